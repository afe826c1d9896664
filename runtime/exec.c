/*
 * exec: a process started inside a running container (picoctl exec, exec
 * probes and hooks).  One fork, no helper process:
 *  - setns(CLONE_NEWPID) changes only the pid ns of the caller's future
 *    children, so the caller enters the workload's pid ns for the one
 *    fork and goes back to its own at once (entering the caller's active
 *    pid ns is always allowed).  The child is thus inside the container's
 *    pid ns and still the caller's child, so it can be waited for by
 *    pidfd; a double fork would hand it to someone else's reaper;
 *  - the child moves itself into the workload's cgroups (writing "0"),
 *    while it still sees the host's /sys/fs/cgroup, so the caller never
 *    waits out a v1 migration's RCU grace period;
 *  - then one setns on the workload's pidfd joins its mount, uts, ipc, net
 *    and cgroup namespaces at once (kernel >= 5.8); entering the mount ns
 *    puts the root and cwd at the container's root (after its pivot_root);
 *  - the pidfd is checked against the workload's starttime first, so a
 *    pid reused since the state file was written is refused;
 *  - the user, groups and capabilities are set the way the workload's
 *    were (container.c), resolved in the container's /etc files;
 *  - a failure before the exec is one message on a CLOEXEC SEQPACKET
 *    socket (EOF means exec'd), as between the shim and the workload;
 *  - the child is not dumpable until its exec: once in the container's
 *    pid ns its /proc/<pid>/fd would otherwise show the caller's fds to
 *    the container (runc's CVE-2016-9962).
 * The child gets its own session: signals to the caller's process group
 * (a terminal's ^C to picolet) do not reach it, and rt_exec_kill can kill
 * the group it leads.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/container.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define EXEC_NS (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | \
	CLONE_NEWCGROUP)

/* What the child needs, prepared by the parent before the fork. */
struct child {
	struct rt_spec spec;	/* argv and env replaced by the exec's */
	char **env;
	int nsfd;		/* the workload's pidfd */
	int sync;
	int fds[3];		/* sources of 0, 1, 2; -1: /dev/null */
	bool tty;
};

static void __attribute__((noreturn))
fail(int sync, const struct err *e)
{
	size_t n = strlen(e->msg);

	(void)!send(sync, e->msg, MIN(n, (size_t)RT_SYNC_MAX - 1),
	    MSG_NOSIGNAL);
	_exit(127);
}

/* The container's env with the extras: an extra replaces its key. */
static char **
merge_env(char *const *base, char *const *extra)
{
	char **env = NULL;
	size_t i, j, kl;
	bool replaced;

	for (i = 0; base != NULL && base[i] != NULL; i++) {
		kl = strcspn(base[i], "=");
		replaced = false;
		for (j = 0; extra != NULL && extra[j] != NULL; j++)
			if (strncmp(extra[j], base[i], kl) == 0 &&
			    extra[j][kl] == '=')
				replaced = true;
		if (!replaced)
			strv_push(&env, base[i]);
	}
	for (j = 0; extra != NULL && extra[j] != NULL; j++)
		strv_push(&env, extra[j]);
	if (env == NULL)
		env = xcalloc(1, sizeof(*env));
	return env;
}

/* 0-2 from c->fds, which may be any fds, 0-2 included. */
static int
child_stdio(const struct child *c, struct err *err)
{
	int hi[3], i, nul = -1;

	for (i = 0; i < 3; i++) {
		if (c->fds[i] < 0 && nul < 0 &&
		    (nul = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
			return err_set(err, errno, "open /dev/null");
		hi[i] = fcntl(c->fds[i] < 0 ? nul : c->fds[i],
		    F_DUPFD_CLOEXEC, 3);
		if (hi[i] < 0)
			return err_set(err, errno, "dup stdio");
	}
	for (i = 0; i < 3; i++)
		if (dup2(hi[i], i) < 0)
			return err_set(err, errno, "dup2");
	/* Even fds a library opened without CLOEXEC stay behind. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		for (i = 3; i < 65536; i++)
			fcntl(i, F_SETFD, FD_CLOEXEC);
	return 0;
}

static int
join_cgroups(char **dirs, struct err *err)
{
	char path[4096];
	int fd, r;

	for (; dirs != NULL && *dirs != NULL; dirs++) {
		if (snprintf(path, sizeof(path), "%s/cgroup.procs", *dirs) >=
		    (int)sizeof(path))
			return err_setx(err, ENAMETOOLONG, "%s: too long",
			    *dirs);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return err_set(err, errno, "open %s", path);
		r = write_all(fd, "0", 1);
		close(fd);
		if (r < 0)
			return err_set(err, -r, "join cgroup %s", *dirs);
	}
	return 0;
}

static int
child_setup(struct child *c, struct err *err)
{
	struct rt_spec *s = &c->spec;
	const char *cwd = s->cwd != NULL && s->cwd[0] != '\0' ? s->cwd : "/";
	struct rt_ids ids;
	int r;

	setsid();
	if ((r = child_stdio(c, err)) < 0 ||
	    (r = join_cgroups(s->cgroups, err)) < 0)
		return r;
	if (setns(c->nsfd, EXEC_NS) < 0)
		return err_set(err, errno, "setns");
	if (c->tty && ioctl(0, TIOCSCTTY, 0) < 0)
		return err_set(err, errno, "set controlling terminal");
	umask(022);
	if ((r = rt_user_resolve(s, &ids, err)) < 0 ||
	    (r = rt_privs_drop(s, &ids, err)) < 0)
		return r;
	s->env = rt_env_home(s->env, &ids);	/* the old one is the spec's */
	if (chdir(cwd) < 0)
		return err_set(err, errno, "chdir %s", cwd);
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_set(err, errno, "prctl NO_NEW_PRIVS");
	return 0;
}

static void __attribute__((noreturn))
child(struct child *c)
{
	struct err e;

	memset(&e, 0, sizeof(e));
	/* Until the exec (which makes it dumpable again) the container's
	 * processes must not reach our fds through /proc/<pid>/fd, as runc
	 * learned (CVE-2016-9962). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	rt_signals_reset();
	if (child_setup(c, &e) < 0)
		fail(c->sync, &e);
	rt_user_exec(&c->spec, &e);
	fail(c->sync, &e);
}

/* Fork in the workload's pid ns; the caller stays where it was. */
static pid_t
fork_in(int nsfd, struct err *err)
{
	int self, e;
	pid_t pid;

	self = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (self < 0)
		return err_set(err, errno, "pidfd_open self");
	if (setns(nsfd, CLONE_NEWPID) < 0) {
		e = errno;
		close(self);
		return err_set(err, e, "setns pid");
	}
	pid = fork();
	e = errno;
	/* Cannot fail (our active ns); if it did, every later fork of
	 * the caller would land in the container: better stop here. */
	if (pid != 0 && setns(self, CLONE_NEWPID) < 0)
		abort();
	if (pid != 0)
		close(self);
	if (pid < 0)	/* ENOMEM: the ns's init is gone */
		return err_set(err, e == ENOMEM ? ESRCH : e, "fork");
	return pid;
}

/* Our ends of the pipes asked for, the child's in c->fds. */
static int
make_pipes(const struct rt_exec *x, struct child *c, struct rt_exec_proc *out,
	struct err *err)
{
	int i, p[2];

	for (i = 0; i < 3; i++) {
		out->stdio[i] = -1;
		c->fds[i] = x->stdio[i] >= 0 ? x->stdio[i] : -1;
		if (x->stdio[i] != RT_EXEC_PIPE)
			continue;
		if (pipe2(p, O_CLOEXEC) < 0)
			return err_set(err, errno, "pipe");
		out->stdio[i] = p[i == 0 ? 1 : 0];
		c->fds[i] = p[i == 0 ? 0 : 1];
		fcntl(out->stdio[i], F_SETFL, O_NONBLOCK);
	}
	if (x->stdio[2] == RT_EXEC_STDOUT)
		c->fds[2] = c->fds[1];
	return 0;
}

static void
close_child_ends(const struct rt_exec *x, struct child *c)
{
	int i;

	for (i = 0; i < 3; i++)
		if (x->stdio[i] == RT_EXEC_PIPE && c->fds[i] >= 0)
			close(c->fds[i]);
}

static int
load_spec(const struct rt_exec *x, struct child *c, struct err *err)
{
	char path[4096];
	int r;

	if (x->argv == NULL || x->argv[0] == NULL)
		return err_setx(err, EINVAL, "exec: no command");
	if (snprintf(path, sizeof(path), "%s/spec", x->run_dir) >=
	    (int)sizeof(path))
		return err_setx(err, ENAMETOOLONG, "%s: too long", x->run_dir);
	if ((r = rt_spec_load(&c->spec, path, err)) < 0)
		return r;
	c->env = merge_env(c->spec.env, x->env);
	return 0;
}

static void
child_free(struct child *c, char **argv_saved)
{
	strv_free(c->env);
	c->spec.env = NULL;
	c->spec.argv = argv_saved;
	rt_spec_free(&c->spec);
}

int
rt_exec_spawn(const struct rt_exec *x, struct rt_exec_proc *out,
	struct err *err)
{
	struct child c;
	char **saved_argv, **saved_env;
	int sp[2] = { -1, -1 }, r, i;
	pid_t pid;

	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	out->pid = -1;
	out->pidfd = out->status_fd = -1;
	out->reaped = true;
	for (i = 0; i < 3; i++)
		out->stdio[i] = c.fds[i] = -1;
	c.nsfd = rt_pidfd_open_checked(x->pid, x->pid_start);
	if (c.nsfd < 0)
		return err_setx(err, -c.nsfd, "container process %d: %s",
		    (int)x->pid, c.nsfd == -ESRCH ? "gone" :
		    strerror(-c.nsfd));
	if ((r = load_spec(x, &c, err)) < 0) {
		close(c.nsfd);
		return r;
	}
	saved_argv = c.spec.argv;
	saved_env = c.spec.env;
	c.spec.argv = (char **)x->argv;
	c.spec.env = c.env;
	c.tty = x->tty;
	if ((r = make_pipes(x, &c, out, err)) < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		r = err_set(err, errno, "socketpair");
		goto fail;
	}
	c.sync = sp[1];
	if ((pid = fork_in(c.nsfd, err)) < 0) {
		r = pid;
		goto fail;
	}
	if (pid == 0)
		child(&c);
	out->pid = pid;
	out->reaped = false;
	/* Ours until we reap it: the pid cannot go to anyone else. */
	out->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (out->pidfd < 0) {
		r = err_set(err, errno, "pidfd_open %d", (int)pid);
		goto fail;
	}
	close(sp[1]);
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	out->status_fd = sp[0];
	close_child_ends(x, &c);
	close(c.nsfd);
	strv_free(saved_env);
	child_free(&c, saved_argv);
	return 0;
fail:
	if (sp[0] >= 0) {
		close(sp[0]);
		close(sp[1]);
	}
	close_child_ends(x, &c);
	close(c.nsfd);
	strv_free(saved_env);
	child_free(&c, saved_argv);
	rt_exec_close(out);
	return r;
}

int
rt_exec_started(struct rt_exec_proc *p, char *msg, size_t mlen)
{
	char buf[RT_SYNC_MAX];
	ssize_t n;

	if (p->status_fd < 0)
		return -EBADF;
	n = recv(p->status_fd, buf, sizeof(buf) - 1, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -EAGAIN;
	close(p->status_fd);
	p->status_fd = -1;
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	if (mlen > 0)
		snprintf(msg, mlen, "%s", buf);
	return 0;
}

void
rt_exec_kill(const struct rt_exec_proc *p)
{
	if (p->reaped || p->pid <= 0)
		return;
	/* Unreaped, it still owns its pid and so its group's id. */
	kill(-p->pid, SIGKILL);
	if (p->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
	else
		kill(p->pid, SIGKILL);
}

int
rt_exec_reap(struct rt_exec_proc *p, bool block, int *code)
{
	siginfo_t si;
	int r;

	if (p->reaped)
		return -ECHILD;
	memset(&si, 0, sizeof(si));
	do
		r = waitid(P_PID, (id_t)p->pid, &si, WEXITED |
		    (block ? 0 : WNOHANG));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (si.si_pid == 0)
		return 0;
	p->reaped = true;
	if (code != NULL)
		*code = si.si_code == CLD_EXITED ? si.si_status :
		    128 + si.si_status;
	return 1;
}

void
rt_exec_close(struct rt_exec_proc *p)
{
	int i;

	if (!p->reaped) {
		rt_exec_kill(p);
		rt_exec_reap(p, true, NULL);
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->status_fd >= 0)
		close(p->status_fd);
	for (i = 0; i < 3; i++)
		if (p->stdio[i] >= 0)
			close(p->stdio[i]);
	p->pidfd = p->status_fd = -1;
	p->stdio[0] = p->stdio[1] = p->stdio[2] = -1;
}
