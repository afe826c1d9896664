/*
 * picolet-shim <run_dir>: one per container; the workload's parent,
 * outside its namespaces.  fd 3 is the status pipe to picolet; 0-2 are
 * /dev/null.  It forks the workload after unshare(CLONE_NEWPID), so the
 * workload is PID 1 of its own pid ns and the shim stays in the host's.
 * The child reports a setup or exec failure over a SEQPACKET socket (one
 * message, CLOEXEC, so a successful exec reads as EOF).  Then the shim
 * copies the two output pipes into the CRI log until both reach EOF and
 * the workload is reaped: when PID 1 of a pid ns dies the kernel kills
 * the rest of it, so orphans holding the pipes do not keep us waiting.
 * SIGPIPE, SIGINT and SIGHUP are ignored: picolet (the reader of fd 3)
 * may be gone or restarting, and the exit record must still be written.
 *
 * With spec->pidns (shareProcessNamespace) the shim joins the pod's pid
 * ns instead (setns only moves its future children there), so the
 * workload is an ordinary process of that ns and the pod's pause is PID 1.
 * Nothing then kills what the workload leaves behind, so once it is
 * reaped the shim kills what remains in the container's cgroups, then
 * writes the record: nothing of the container outlives it (and orphans
 * holding the pipes end).  The pause reaps them.
 *
 * picolet-shim --pause <dir>: the pod's pause process (pause.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/cgroup_int.h"
#include "runtime/container.h"

#define STATUS_FD 3

/*
 * ASan builds (make check): LeakSanitizer's stop-the-world cannot run in
 * a shim whose child pid namespace has ended, and spins; the shim's few
 * allocations end with it anyway.  Unused in other builds.
 */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}

struct shim {
	const char *run;
	struct rt_spec spec;
	struct rt_logw log;
	pid_t pid;
	int out, errp, sig;
	int64_t started_ns;
};

static void
status_line(const char *line)
{
	(void)!write(STATUS_FD, line, strlen(line));
	close(STATUS_FD);
}

/* The workload never ran: tell picolet, leave the record, exit. */
static void __attribute__((noreturn))
not_started(const char *run, const char *reason, const char *msg)
{
	char line[RT_SYNC_MAX + 128];
	struct rt_exit ex;
	struct err e;
	size_t i;

	memset(&ex, 0, sizeof(ex));
	snprintf(ex.reason, sizeof(ex.reason), "%s", reason);
	snprintf(ex.message, sizeof(ex.message), "%s", msg);
	for (i = 0; ex.message[i] != '\0'; i++)
		if (ex.message[i] == '\n' || ex.message[i] == '\t')
			ex.message[i] = ' ';
	ex.exit_code = 128;
	ex.finished_ns = time_now_ns();
	snprintf(line, sizeof(line), "err %s\t%s\n", ex.reason, ex.message);
	/* The record first: when picolet reads the line it may look. */
	rt_exit_write(run, &ex, &e);
	status_line(line);
	/* An orderly end: the record says what happened. */
	_exit(0);
}

/* Move pid into each cgroup: write its pid to <dir>/cgroup.procs. */
static int
join_cgroups(char **dirs, pid_t pid, struct err *err)
{
	char path[4096], num[24];
	int fd, r, n;

	n = snprintf(num, sizeof(num), "%d", (int)pid);
	for (; dirs != NULL && *dirs != NULL; dirs++) {
		if (snprintf(path, sizeof(path), "%s/cgroup.procs", *dirs) >=
		    (int)sizeof(path))
			return err_setx(err, ENAMETOOLONG, "%s: too long",
			    *dirs);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return err_set(err, errno, "open %s", path);
		r = write_all(fd, num, (size_t)n);
		close(fd);
		if (r < 0)
			return err_set(err, -r, "join cgroup %s", *dirs);
	}
	return 0;
}

/* Tell the child its cgroups are joined ("g"), or why not ("x..."). */
static void
cgroups_go(struct shim *sh, int go)
{
	char msg[RT_SYNC_MAX];
	struct err e;
	int n;

	if (join_cgroups(sh->spec.cgroups, sh->pid, &e) == 0) {
		(void)!write(go, "g", 1);
	} else {
		n = snprintf(msg, sizeof(msg), "x%s", e.msg);
		(void)!write(go, msg, (size_t)MIN(n, (int)sizeof(msg) - 1));
	}
	close(go);
}

/* Where the workload is forked: the pod's pid ns, else a new one. */
static int
pid_ns(const char *path, struct err *err)
{
	int fd, r = 0;

	if (path == NULL) {
		if (unshare(CLONE_NEWPID) < 0)
			return err_set(err, errno, "unshare pid namespace");
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, errno, "open %s", path);
	if (setns(fd, CLONE_NEWPID) < 0)
		r = err_set(err, errno, "setns %s", path);
	close(fd);
	return r;
}

/*
 * Fork in the pid ns the workload belongs to.  setns and unshare only
 * move our future children; we go back to our own pid ns at once, so
 * nothing we clone later (a sanitizer's helper thread at exit) lands in
 * the container's.
 */
static pid_t
fork_workload(const char *pidns, struct err *err)
{
	int self, r, e;
	pid_t pid;

	self = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (self < 0)
		return err_set(err, errno, "pidfd_open self");
	if ((r = pid_ns(pidns, err)) < 0) {
		close(self);
		return r;
	}
	pid = fork();
	e = errno;
	if (pid != 0) {
		(void)setns(self, CLONE_NEWPID);
		close(self);
	}
	/* In a shared ns whose init (the pause) died, fork says ENOMEM. */
	if (pid < 0 && e == ENOMEM && pidns != NULL)
		return err_setx(err, ESRCH, "fork into %s: the pod's pause "
		    "process is gone", pidns);
	if (pid < 0)
		return err_set(err, e, "fork");
	return pid;
}

/*
 * The workload is gone but, in a shared pid ns, not what it started:
 * kill everything in its cgroups (v2: cgroup.kill; v1: freeze, kill,
 * thaw, in bounded rounds, as runtime/cgroup_v1.c does).
 */
static void
kill_rest(char **dirs)
{
	char path[4096];
	const char *fz = NULL;
	unsigned killed;
	int i, round;

	for (i = 0; dirs != NULL && dirs[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/cgroup.kill", dirs[i]);
		if (access(path, W_OK) == 0)
			cg_write(dirs[i], "cgroup.kill", "1", NULL);
		snprintf(path, sizeof(path), "%s/freezer.state", dirs[i]);
		if (fz == NULL && access(path, W_OK) == 0)
			fz = dirs[i];
	}
	for (round = 0; round < CG_KILL_ROUNDS; round++) {
		if (fz != NULL)
			cg_write(fz, "freezer.state", "FROZEN", NULL);
		killed = 0;
		for (i = 0; dirs != NULL && dirs[i] != NULL; i++)
			cg_kill_tree(dirs[i], 0, &killed);
		if (fz != NULL)
			cg_write(fz, "freezer.state", "THAWED", NULL);
		if (killed == 0)
			break;
	}
}

/* Fork the workload; returns its message (kind + text), "" on exec. */
static int
start(struct shim *sh, char *msg, size_t mlen, struct err *err)
{
	int out[2], errp[2], sp[2], go[2], r;
	ssize_t n;

	if (pipe2(go, O_CLOEXEC) < 0)
		return err_set(err, errno, "pipe");
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
		return err_set(err, errno, "pipe");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return err_set(err, errno, "socketpair");
	if ((r = fork_workload(sh->spec.pidns, err)) < 0)
		return r;
	sh->pid = r;
	if (sh->pid == 0) {
		close(out[0]);
		close(errp[0]);
		close(sp[0]);
		close(go[1]);
		rt_container_child(&sh->spec, out[1], errp[1], sp[1], go[0]);
	}
	close(out[1]);
	close(errp[1]);
	close(sp[1]);
	close(go[0]);
	/* While the child builds its rootfs. */
	cgroups_go(sh, go[1]);
	sh->out = out[0];
	sh->errp = errp[0];
	do
		n = recv(sp[0], msg, mlen - 1, 0);
	while (n < 0 && errno == EINTR);
	sh->started_ns = time_now_ns();
	close(sp[0]);
	msg[n > 0 ? n : 0] = '\0';
	return 0;
}

static void
drain(struct shim *sh, int *fd, enum rt_stream st)
{
	static char buf[16384];
	ssize_t n;

	n = read(*fd, buf, sizeof(buf));
	if (n > 0) {
		rt_logw_write(&sh->log, st, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	rt_logw_flush(&sh->log, st);
	close(*fd);
	*fd = -1;
}

/* Copy output until both pipes end and the workload is reaped. */
static int
run(struct shim *sh)
{
	struct signalfd_siginfo si;
	struct pollfd pf[3];
	int status = 0;
	bool reaped = false;
	pid_t p;

	while (!reaped || sh->out >= 0 || sh->errp >= 0) {
		pf[0] = (struct pollfd){ .fd = sh->out, .events = POLLIN };
		pf[1] = (struct pollfd){ .fd = sh->errp, .events = POLLIN };
		pf[2] = (struct pollfd){ .fd = reaped ? -1 : sh->sig,
		    .events = POLLIN };
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents)
			drain(sh, &sh->out, RT_STDOUT);
		if (pf[1].revents)
			drain(sh, &sh->errp, RT_STDERR);
		if (pf[2].revents) {
			(void)!read(sh->sig, &si, sizeof(si));
			while ((p = waitpid(-1, &status, WNOHANG)) > 0)
				if (p == sh->pid)
					reaped = true;
			if (reaped && sh->spec.pidns != NULL)
				kill_rest(sh->spec.cgroups);
		}
	}
	return status;
}

static void
finish(struct shim *sh, int status)
{
	struct rt_exit ex;
	struct err e;

	memset(&ex, 0, sizeof(ex));
	if (WIFSIGNALED(status)) {
		ex.signal = WTERMSIG(status);
		ex.exit_code = 128 + ex.signal;
	} else {
		ex.exit_code = WEXITSTATUS(status);
	}
	ex.started_ns = sh->started_ns;
	ex.finished_ns = time_now_ns();
	rt_exit_write(sh->run, &ex, &e);
}

static int
save_state(struct shim *sh, struct err *err)
{
	struct rt_state st;

	memset(&st, 0, sizeof(st));
	st.shim_pid = getpid();
	st.pid = sh->pid;
	st.started_ns = sh->started_ns;
	rt_proc_starttime(st.shim_pid, &st.shim_start);
	rt_proc_starttime(st.pid, &st.pid_start);
	return rt_state_write(sh->run, &st, err);
}

int
main(int argc, char **argv)
{
	char path[4096], msg[RT_SYNC_MAX + 1], line[32];
	struct shim sh;
	struct err e;
	sigset_t chld;

	/* _exit: no atexit work (a sanitizer's leak check needs a /proc
	 * the pause's empty root lacks). */
	if (argc == 3 && strcmp(argv[1], "--pause") == 0)
		_exit(rt_pause_main(argv[2]));
	if (argc != 2)
		return 2;
	/* Nothing but the status line goes to the workload's fd 3. */
	fcntl(STATUS_FD, F_SETFD, FD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	memset(&sh, 0, sizeof(sh));
	sh.run = argv[1];
	if (snprintf(path, sizeof(path), "%s/spec", sh.run) >=
	    (int)sizeof(path))
		not_started(sh.run, "CreateContainerError", "run dir too long");
	if (rt_spec_load(&sh.spec, path, &e) < 0)
		not_started(sh.run, "CreateContainerError", e.msg);
	if (sh.spec.log_dir == NULL)
		not_started(sh.run, "CreateContainerError", "spec: no log dir");
	if (rt_logw_open(&sh.log, sh.spec.log_dir, sh.spec.restart,
	    sh.spec.log_max_size, sh.spec.log_max_files, &e) < 0)
		not_started(sh.run, "CreateContainerError", e.msg);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	sh.sig = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sh.sig < 0)
		not_started(sh.run, "CreateContainerError", "signalfd failed");
	if (start(&sh, msg, sizeof(msg), &e) < 0)
		not_started(sh.run, "CreateContainerError", e.msg);
	if (msg[0] != '\0') {
		waitpid(sh.pid, NULL, 0);
		not_started(sh.run, msg[0] == RT_SYNC_RUN ?
		    "RunContainerError" : "CreateContainerError", msg + 1);
	}
	if (save_state(&sh, &e) < 0) {
		/* Without state a restarted picolet cannot adopt it. */
		kill(sh.pid, SIGKILL);
		waitpid(sh.pid, NULL, 0);
		not_started(sh.run, "CreateContainerError", e.msg);
	}
	snprintf(line, sizeof(line), "ok %d\n", (int)sh.pid);
	status_line(line);
	finish(&sh, run(&sh));
	rt_logw_close(&sh.log);
	rt_spec_free(&sh.spec);
	return 0;
}
