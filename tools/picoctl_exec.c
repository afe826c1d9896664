/*
 * picoctl_exec: `picoctl exec POD [-c C] [-i] [-t] -- CMD...`, as kubectl
 * exec.  picolet's API names the pod's uid and the container's state; the
 * process itself is started here (picoctl runs as root on the device)
 * with rt_exec_spawn, from the container's run dir
 * <run>/pods/<uid>/<container>/ (its spec and the workload's pid).  The
 * run dir root is --run, else $PICOLET_RUN, else picolet's /status
 * "runDir", else /run/picolet.
 *
 * Without -t the command gets picoctl's own stdout and stderr (and stdin
 * with -i, else /dev/null); termination signals picoctl gets are passed
 * on to it.  With -i -t and a terminal on stdin, a pty: its slave is the
 * command's stdio and controlling terminal, picoctl's terminal goes raw
 * (restored at every exit) and both directions are copied with poll;
 * SIGWINCH carries the window size over, and a termination signal to
 * picoctl is a hangup for the command (a second one kills it).  As
 * kubectl, -t without -i is ignored, and -it with no terminal on stdin
 * says so and goes on without.
 * The exit code is the command's ("command terminated with exit code N").
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "runtime/rt.h"
#include "tools/picoctl.h"

#define CTL_DEFAULT_RUN "/run/picolet"

struct target {
	char *uid;
	char *name;		/* the container */
	char dir[4096];		/* its run dir */
};

struct tty {
	int master, slave;
	struct termios saved;
	bool raw;
};

static struct tty *restore_on_exit;

static void
tty_restore(void)
{
	if (restore_on_exit != NULL && restore_on_exit->raw) {
		tcsetattr(0, TCSADRAIN, &restore_on_exit->saved);
		restore_on_exit->raw = false;
	}
}

static void
list_names(const struct json *arr, const char *suffix, struct buf *b)
{
	const struct json *c;

	for (c = arr != NULL ? arr->child : NULL; c != NULL; c = c->next)
		buf_printf(b, "%s%s%s", b->len ? ", " : "",
		    json_get_str(c, "name") ? json_get_str(c, "name") : "",
		    suffix);
}

/* kubectl's default: the annotated default container, else the first. */
static const char *
default_container(const struct json *pod)
{
	const struct json *cs = json_path(pod, "spec.containers");
	const struct json *ann = json_path(pod, "metadata.annotations");
	const char *name;
	struct buf b;

	name = json_get_str(ann, "kubectl.kubernetes.io/default-container");
	if (name == NULL && cs != NULL && cs->child != NULL)
		name = json_get_str(cs->child, "name");
	if (name == NULL)
		return NULL;
	if (cs != NULL && cs->n + (json_path(pod, "spec.initContainers") ?
	    json_path(pod, "spec.initContainers")->n : 0) > 1) {
		buf_init(&b, 65536);
		list_names(cs, "", &b);
		list_names(json_path(pod, "spec.initContainers"), " (init)", &b);
		fprintf(stderr, "Defaulted container \"%s\" out of: %s\n", name,
		    b.p);
		buf_free(&b);
	}
	return name;
}

static const struct json *
find_status(const struct json *pod, const char *name)
{
	static const char *const lists[] = { "status.containerStatuses",
	    "status.initContainerStatuses" };
	const struct json *c;
	const char *n;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lists); i++)
		for (c = json_path(pod, lists[i]) ? json_path(pod,
		    lists[i])->child : NULL; c != NULL; c = c->next)
			if ((n = json_get_str(c, "name")) && !strcmp(n, name))
				return c;
	return NULL;
}

static bool
declared(const struct json *pod, const char *name)
{
	static const char *const lists[] = { "spec.containers",
	    "spec.initContainers" };
	const struct json *c;
	const char *n;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lists); i++)
		for (c = json_path(pod, lists[i]) ? json_path(pod,
		    lists[i])->child : NULL; c != NULL; c = c->next)
			if ((n = json_get_str(c, "name")) && !strcmp(n, name))
				return true;
	return false;
}

static const char *
run_root(const struct ctl *ctl, struct json **status)
{
	const char *env = getenv("PICOLET_RUN");

	if (ctl->run != NULL && ctl->run[0] != '\0')
		return ctl->run;
	if (env != NULL && env[0] != '\0')
		return env;
	if (ctl_get_json(ctl, "/status", status) == 0 &&
	    json_get_str(*status, "runDir") != NULL)
		return json_get_str(*status, "runDir");
	return CTL_DEFAULT_RUN;
}

/* The pod from picolet, checks as kubectl's, the container's run dir. */
static int
find_target(const struct ctl *ctl, struct target *t)
{
	const char *phase, *name, *uid, *root;
	struct json *pod, *status = NULL;
	const struct json *cs;
	struct buf path;
	int r = -1;

	buf_init(&path, 8192);
	buf_printf(&path, "/api/v1/namespaces/%s/pods/", ctl_ns(ctl));
	ctl_query_escape(&path, ctl->args[0]);
	r = ctl_get_json(ctl, path.p, &pod);
	buf_free(&path);
	if (r < 0)
		return -1;
	r = -1;
	phase = json_get_str(json_get(pod, "status"), "phase");
	uid = json_get_str(json_get(pod, "metadata"), "uid");
	name = ctl->container ? ctl->container : default_container(pod);
	if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
		fprintf(stderr, "error: cannot exec into a container in a "
		    "completed pod; current phase is %s\n", phase);
	else if (name == NULL || uid == NULL || !declared(pod, name))
		fprintf(stderr, "error: unable to upgrade connection: container "
		    "not found (\"%s\")\n", name ? name : "");
	else if ((cs = find_status(pod, name)) == NULL ||
	    json_path(cs, "state.running") == NULL)
		fprintf(stderr, "error: container %s is not running\n", name);
	else if ((root = run_root(ctl, &status)) && snprintf(t->dir,
	    sizeof(t->dir), "%s/pods/%s/%s", root, uid, name) >=
	    (int)sizeof(t->dir))
		fprintf(stderr, "error: %s: path too long\n", root);
	else {
		t->uid = xstrdup(uid);
		t->name = xstrdup(name);
		r = 0;
	}
	json_free(status);
	json_free(pod);
	return r;
}

static int
tty_open(struct tty *t)
{
	struct winsize ws;
	char name[64];

	t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->master < 0 || grantpt(t->master) < 0 ||
	    unlockpt(t->master) < 0 || ptsname_r(t->master, name,
	    sizeof(name)) != 0 ||
	    (t->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "error: pty: %s\n", strerror(errno));
		return -1;
	}
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(t->master, TIOCSWINSZ, &ws);
	fcntl(t->master, F_SETFL, O_NONBLOCK);
	return 0;
}

static void
tty_raw(struct tty *t)
{
	struct termios raw;

	if (tcgetattr(0, &t->saved) < 0)
		return;
	raw = t->saved;
	cfmakeraw(&raw);
	restore_on_exit = t;
	if (tcsetattr(0, TCSADRAIN, &raw) == 0)
		t->raw = true;
	atexit(tty_restore);
}

/* Signals picoctl watches instead of dying of them. */
static int
signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGWINCH);
	sigprocmask(SIG_BLOCK, set, NULL);
	return signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
}

struct io {
	struct rt_exec_proc *p;
	struct tty *t;		/* NULL: no pty */
	int sigfd;
	bool in_open;		/* stdin still copied to the pty */
	bool out_open;		/* the pty still read */
	int hups;		/* termination signals passed on, pty */
	char in[4096];
	size_t inlen, inoff;
};

static void
on_signals(struct io *io)
{
	struct signalfd_siginfo si;
	struct winsize ws;
	int sig;

	while (read(io->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGWINCH) {
			if (io->t != NULL && ioctl(0, TIOCGWINSZ, &ws) == 0)
				ioctl(io->t->master, TIOCSWINSZ, &ws);
			continue;
		}
		sig = (int)si.ssi_signo;
		/* A pty's user going away is a hangup (an interactive shell
		 * ignores SIGTERM and SIGINT); asked twice, a kill. */
		if (io->t != NULL)
			sig = io->hups++ > 0 ? SIGKILL : SIGHUP;
		if (io->t != NULL)
			kill(-io->p->pid, sig);
		syscall(SYS_pidfd_send_signal, io->p->pidfd, sig, NULL, 0);
	}
}

/* pty -> stdout until nothing is there; EIO: every slave is closed. */
static void
pty_out(struct io *io)
{
	char buf[8192];
	ssize_t n;

	while (io->out_open) {
		n = read(io->t->master, buf, sizeof(buf));
		if (n > 0) {
			if (write_all(1, buf, (size_t)n) < 0)
				io->out_open = false;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN)
			io->out_open = false;
		break;
	}
}

/* stdin -> pty, one buffer at a time: the pty's input queue is small and
 * the command may not read it. */
static void
pty_in(struct io *io, bool readable)
{
	ssize_t n;

	if (io->inlen == 0 && readable) {
		n = read(0, io->in, sizeof(io->in));
		if (n > 0) {
			io->inlen = (size_t)n;
			io->inoff = 0;
		} else if (n == 0 || (errno != EINTR && errno != EAGAIN))
			io->in_open = false;
	}
	if (io->inlen == 0)
		return;
	n = write(io->t->master, io->in + io->inoff, io->inlen - io->inoff);
	if (n > 0)
		io->inoff += (size_t)n;
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		io->inoff = io->inlen;
	if (io->inoff == io->inlen)
		io->inlen = 0;
}

/* Until the command exits; its pty output drained then. */
static void
copy_loop(struct io *io)
{
	struct pollfd pf[4];
	bool tty = io->t != NULL;

	io->out_open = tty;
	for (;;) {
		pf[0] = (struct pollfd){ .fd = io->p->pidfd, .events = POLLIN };
		pf[1] = (struct pollfd){ .fd = io->sigfd, .events = POLLIN };
		pf[2] = (struct pollfd){ .fd = tty && io->out_open ?
		    io->t->master : -1, .events = POLLIN |
		    (io->inlen > 0 ? POLLOUT : 0) };
		pf[3] = (struct pollfd){ .fd = tty && io->in_open &&
		    io->inlen == 0 ? 0 : -1, .events = POLLIN };
		if (poll(pf, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents)
			on_signals(io);
		if (pf[2].revents & (POLLIN | POLLHUP | POLLERR))
			pty_out(io);
		if (tty && io->in_open && (pf[3].revents || (pf[2].revents &
		    POLLOUT)))
			pty_in(io, pf[3].revents != 0);
		if (pf[0].revents) {
			if (tty)
				pty_out(io);
			break;
		}
	}
}

static int
wait_started(struct rt_exec_proc *p)
{
	struct pollfd pf = { .fd = p->status_fd, .events = POLLIN };
	char msg[512];
	int r;

	while ((r = rt_exec_started(p, msg, sizeof(msg))) == -EAGAIN)
		if (poll(&pf, 1, -1) < 0 && errno != EINTR)
			break;
	if (r == 1)
		return 0;
	tty_restore();
	fprintf(stderr, "error: Internal error occurred: error executing "
	    "command in container: %s\n", r == 0 ? msg : "no answer");
	return -1;
}

static int
spawn(const struct ctl *ctl, const struct target *tg, struct tty *t,
	struct rt_exec_proc *p)
{
	static char *const term[] = { "TERM=xterm", NULL };
	struct rt_state st;
	struct rt_exec x;
	struct err err;
	int r;

	if (rt_state_read(tg->dir, &st, &err) < 0) {
		fprintf(stderr, "error: container %s is not running (%s)\n",
		    tg->name, err.msg);
		return -1;
	}
	memset(&x, 0, sizeof(x));
	x.run_dir = tg->dir;
	x.pid = st.pid;
	x.pid_start = st.pid_start;
	x.argv = ctl->cmdv;
	x.tty = t != NULL;
	x.env = t != NULL ? term : NULL;
	x.stdio[0] = t != NULL ? t->slave : ctl->stdin_attach ? 0 :
	    RT_EXEC_NULL;
	x.stdio[1] = t != NULL ? t->slave : 1;
	x.stdio[2] = t != NULL ? t->slave : 2;
	r = rt_exec_spawn(&x, p, &err);
	if (t != NULL)
		close(t->slave);
	if (r == -ESRCH)
		fprintf(stderr, "error: container %s is not running\n",
		    tg->name);
	else if (r < 0)
		fprintf(stderr, "error: exec in container %s: %s\n", tg->name,
		    err.msg);
	return r;
}

/* -i -t with a terminal: a pty; else NULL (said why when -it). */
static struct tty *
want_tty(const struct ctl *ctl, struct tty *t)
{
	if (!ctl->tty || !ctl->stdin_attach)
		return NULL;
	if (!isatty(0)) {
		fprintf(stderr, "Unable to use a TTY - input is not a terminal "
		    "or the right kind of file\n");
		return NULL;
	}
	return tty_open(t) < 0 ? NULL : t;
}

int
ctl_cmd_exec(struct ctl *ctl)
{
	struct target tg = { 0 };
	struct rt_exec_proc p;
	struct tty tbuf, *t;
	struct io io;
	sigset_t set;
	int code = 1;

	if (ctl->nargs < 1) {
		fprintf(stderr, "error: expected 'exec POD_NAME COMMAND "
		    "[ARG1] [ARG2] ... [ARGN]'.\nPOD_NAME and COMMAND are "
		    "required arguments for the exec command\n");
		return 1;
	}
	if (ctl->cmdc == 0 && ctl->nargs > 1) {	/* kubectl's old form */
		ctl->cmdc = ctl->nargs - 1;
		ctl->cmdv = xcalloc((size_t)ctl->cmdc + 1, sizeof(char *));
		memcpy(ctl->cmdv, ctl->args + 1, (size_t)ctl->cmdc *
		    sizeof(char *));
	}
	if (ctl->cmdc == 0) {
		fprintf(stderr, "error: you must specify at least one command "
		    "for the container\n");
		return 1;
	}
	if (find_target(ctl, &tg) < 0)
		return 1;
	memset(&tbuf, 0, sizeof(tbuf));
	t = want_tty(ctl, &tbuf);
	if (ctl->tty && ctl->stdin_attach && isatty(0) && t == NULL)
		goto out;
	memset(&io, 0, sizeof(io));
	io.sigfd = signals(&set);
	/* A closed stdout must not kill us with the terminal raw (the
	 * command gets its signals back to default). */
	signal(SIGPIPE, SIG_IGN);
	if (spawn(ctl, &tg, t, &p) < 0)
		goto out;
	if (t != NULL)
		tty_raw(t);
	if (wait_started(&p) == 0) {
		io.p = &p;
		io.t = t;
		io.in_open = t != NULL;
		copy_loop(&io);
		if (rt_exec_reap(&p, true, &code) != 1)
			code = 1;
		tty_restore();
		if (code != 0)
			fprintf(stderr, "command terminated with exit code "
			    "%d\n", code);
	} else
		code = 1;
	rt_exec_close(&p);
out:
	if (t != NULL)
		close(t->master);
	free(tg.uid);
	free(tg.name);
	return code;
}
