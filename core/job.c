/*
 * job: run slow work (unpacking an image, removing a container's writable
 * layer) in a forked child, so the loop never blocks on it.  The child
 * runs fn and _exits; its error message comes back over a pipe.  The
 * parent watches the child's pidfd; completion is one callback.  The child
 * never touches the loop: it only runs fn.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"

struct job {
	struct agent *a;
	ev_io io;
	int pidfd, msgfd;
	pid_t pid;
	job_done_fn done;
	void *arg;
};

static void
job_exited(struct ev_loop *loop, ev_io *w, int revents)
{
	struct job *j = container_of(w, struct job, io);
	char msg[sizeof(((struct err *)0)->msg)];
	siginfo_t si;
	ssize_t n;
	int status;

	ev_io_stop(loop, w);
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)j->pidfd, &si, WEXITED) < 0)
		si.si_code = CLD_KILLED;
	n = read(j->msgfd, msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	if (si.si_code == CLD_EXITED)
		status = si.si_status == 0 ? 0 : -si.si_status;
	else
		status = -EINTR;
	close(j->pidfd);
	close(j->msgfd);
	j->done(j->arg, status, msg);
	free(j);
}

int
job_run(struct agent *a, job_fn fn, job_done_fn done, void *arg,
    struct err *err)
{
	struct job *j;
	int p[2], r;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return err_set(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		r = err_set(err, errno, "fork");
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		struct err e = { "" };

		close(p[0]);
		r = fn(arg, &e);
		if (r < 0 || e.msg[0] != '\0')	/* an error, or a note */
			(void)write_all(p[1], e.msg, strlen(e.msg));
		_exit(r < 0 ? (-r & 0xff ? -r & 0xff : 1) : 0);
	}
	close(p[1]);
	j = xcalloc(1, sizeof(*j));
	j->a = a;
	j->pid = pid;
	j->msgfd = p[0];
	j->done = done;
	j->arg = arg;
	j->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (j->pidfd < 0) {
		r = err_set(err, errno, "pidfd_open %d", (int)pid);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(p[0]);
		free(j);
		return r;
	}
	fcntl(j->pidfd, F_SETFD, FD_CLOEXEC);
	ev_io_init(&j->io, job_exited, j->pidfd, EV_READ);
	ev_io_start(a->loop, &j->io);
	return 0;
}
