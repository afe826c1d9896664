/*
 * probe_exec: exec probes, a process in the container (runtime's
 * rt_exec_spawn) with stdout and stderr on one pipe read into a bounded
 * buffer (what kubelet puts into the Unhealthy event), its pidfd telling
 * when it is over.  On a timeout the process and its group are killed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "lib/util.h"

static void
out_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct probe *pr = container_of(w, struct probe, out_w);
	char sink[4096];
	size_t room = sizeof(pr->out) - 1 - pr->outlen;
	ssize_t n;

	n = read(pr->outfd, room > 0 ? pr->out + pr->outlen : sink,
	    room > 0 ? room : sizeof(sink));
	if (n > 0 && room > 0)
		pr->outlen += (size_t)n;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		ev_io_stop(loop, w);
}

static void
trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

static void
exec_exited(struct ev_loop *loop, ev_io *w, int revents)
{
	struct probe *pr = container_of(w, struct probe, exec_w);
	struct rt_exec_proc *x = &pr->exec;
	char msg[512], why[512];
	int code = -1, started;

	ev_io_stop(loop, w);
	if (ev_is_active(&pr->out_w))
		out_read(loop, &pr->out_w, EV_READ);	/* what is left */
	ev_io_stop(loop, &pr->out_w);
	pr->out[pr->outlen] = '\0';
	trim(pr->out);
	started = rt_exec_started(x, why, sizeof(why));
	(void)rt_exec_reap(x, true, &code);
	rt_exec_close(x);
	pr->exec_live = false;
	if (started == 0) {
		snprintf(msg, sizeof(msg), "exec failed: %s", why);
		probe_done(pr, false, msg);
	} else if (code == 0) {
		probe_done(pr, true, "");
	} else {
		snprintf(msg, sizeof(msg), "command %s exited with %d%s%s",
		    pr->spec->h.exec ? pr->spec->h.exec[0] : "?", code,
		    pr->outlen ? ": " : "", pr->out);
		probe_done(pr, false, msg);
	}
}

int
probe_exec(struct probe *pr, char *msg, size_t len)
{
	struct ctr *c = pr->c;
	struct rt_exec x;
	struct err err;

	memset(&x, 0, sizeof(x));
	x.run_dir = c->dir;
	x.pid = c->pid;
	x.pid_start = c->pid_start;
	x.argv = pr->spec->h.exec;
	x.stdio[0] = RT_EXEC_NULL;
	x.stdio[1] = RT_EXEC_PIPE;
	x.stdio[2] = RT_EXEC_STDOUT;
	if (rt_exec_spawn(&x, &pr->exec, &err) < 0) {
		snprintf(msg, len, "exec failed: %s", err.msg);
		return -1;
	}
	pr->exec_live = true;
	pr->outlen = 0;
	pr->outfd = pr->exec.stdio[1];
	ev_io_init(&pr->out_w, out_read, pr->outfd, EV_READ);
	ev_io_start(c->pod->a->loop, &pr->out_w);
	ev_io_init(&pr->exec_w, exec_exited, pr->exec.pidfd, EV_READ);
	ev_io_start(c->pod->a->loop, &pr->exec_w);
	return 0;
}

void
probe_exec_cancel(struct probe *pr)
{
	struct ev_loop *loop = pr->c->pod->a->loop;

	if (!pr->exec_live)
		return;
	ev_io_stop(loop, &pr->exec_w);
	ev_io_stop(loop, &pr->out_w);
	rt_exec_kill(&pr->exec);
	rt_exec_close(&pr->exec);	/* reaps the killed process */
	pr->exec_live = false;
}
