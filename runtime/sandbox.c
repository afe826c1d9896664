/*
 * sandbox: a pod's shared namespaces kept alive by bind mounts of their
 * ns files, not by a process (no pause container).  A short-lived child
 * unshares them, sets the hostname and brings lo up (a new net ns starts
 * with lo down), then waits; the parent, still in the host's mount ns,
 * binds /proc/<child>/ns/<x> onto empty files in dir, then lets the
 * child go.  Each bind is then made private, so that on a run dir that
 * is a shared mount nothing later mounted on it spreads to the peers;
 * the unmount in destroy propagates like the bind did, so peers' copies
 * go with ours and no copy keeps the namespace alive.
 *
 * The exception is a shared pid namespace (shareProcessNamespace): a pid
 * ns whose init is gone takes no new process, so it needs a live PID 1,
 * the pause (runtime/pause.c).  Here it is forked after
 * unshare(CLONE_NEWPID), the caller's own pid ns restored right after
 * (setns on a pidfd of itself, as exec.c does), and it execs the small
 * shim binary, so it keeps nothing of the caller's heap.  Its pid and
 * starttime go to dir/pause before it is even set up, so that a caller
 * killed at any point leaves a pause the next create or destroy finds and
 * kills; its pid ns is bound to dir/pid like the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/container.h"

static const struct {
	const char *name;
	int flag;
} nss[] = {
	{ "net", CLONE_NEWNET }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
};

/* dir/name is a bind of an ns file already: keep it. */
static bool
held(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == NSFS_MAGIC;
}

static int
lo_up(void)
{
	struct ifreq ifr;
	int fd, r = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (r == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* The child: make the namespaces, report, wait for the parent's EOF. */
static void __attribute__((noreturn))
child(int flags, const char *hostname, int rep, int wait)
{
	char msg[256] = "";
	const char *what = "unshare";
	int r = 0;
	char c;

	if (unshare(flags) < 0)
		r = -errno;
	if (r == 0 && (flags & CLONE_NEWUTS) && hostname != NULL) {
		what = "sethostname";
		if (sethostname(hostname, strlen(hostname)) < 0)
			r = -errno;
	}
	if (r == 0 && (flags & CLONE_NEWNET)) {
		what = "bring up lo";
		r = lo_up();
	}
	if (r < 0)
		snprintf(msg, sizeof(msg), "%s: %s", what, strerror(-r));
	else
		snprintf(msg, sizeof(msg), "ok");
	(void)!write(rep, msg, strlen(msg));
	close(rep);
	while (read(wait, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static int
bind_ns(pid_t pid, const char *dir, const char *name, struct err *err)
{
	char src[64], dst[PATH_MAX];
	int fd;

	snprintf(src, sizeof(src), "/proc/%d/ns/%s", (int)pid, name);
	if (snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= (int)sizeof(dst))
		return err_setx(err, ENAMETOOLONG, "%s: too long", dir);
	fd = open(dst, O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
	if (fd < 0)
		return err_set(err, errno, "create %s", dst);
	close(fd);
	if (mount(src, dst, "none", MS_BIND, NULL) < 0)
		return err_set(err, errno, "bind %s on %s", src, dst);
	if (mount("none", dst, "none", MS_PRIVATE, NULL) < 0)
		return err_set(err, errno, "make %s private", dst);
	return 0;
}

static void
unbind(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return;
	umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
	unlink(path);
}

static int
spawn(const char *dir, int flags, const char *hostname, struct err *err)
{
	int rep[2], wait[2], r = 0;
	char msg[256];
	ssize_t n;
	size_t i;
	pid_t pid;

	if (pipe2(rep, O_CLOEXEC) < 0)
		return err_set(err, errno, "pipe");
	if (pipe2(wait, O_CLOEXEC) < 0) {
		close(rep[0]);
		close(rep[1]);
		return err_set(err, errno, "pipe");
	}
	pid = fork();
	if (pid == 0) {
		close(rep[0]);
		close(wait[1]);
		child(flags, hostname, rep[1], wait[0]);
	}
	close(rep[1]);
	close(wait[0]);
	if (pid < 0) {
		close(rep[0]);
		close(wait[1]);
		return err_set(err, errno, "fork");
	}
	do
		n = read(rep[0], msg, sizeof(msg) - 1);
	while (n < 0 && errno == EINTR);
	msg[n > 0 ? n : 0] = '\0';
	close(rep[0]);
	if (strcmp(msg, "ok") != 0)
		r = err_setx(err, EIO, "sandbox %s: %s", dir,
		    msg[0] ? msg : "child died");
	for (i = 0; i < ARRAY_SIZE(nss) && r == 0; i++)
		if (flags & nss[i].flag)
			r = bind_ns(pid, dir, nss[i].name, err);
	/* Undo only what this call bound: older ns files stay. */
	while (r < 0 && i-- > 0)
		if (flags & nss[i].flag)
			unbind(dir, nss[i].name);
	close(wait[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return r;
}

int
rt_sandbox_create(const char *dir, const char *hostname, bool host_network,
	struct err *err)
{
	char path[PATH_MAX];
	size_t i;
	int flags = 0, r;

	r = mkdir_p(dir, 0755, err);
	if (r < 0)
		return r;
	for (i = 0; i < ARRAY_SIZE(nss); i++) {
		if (host_network && nss[i].flag != CLONE_NEWIPC)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, nss[i].name) >=
		    (int)sizeof(path))
			return err_setx(err, ENAMETOOLONG, "%s: too long", dir);
		if (!held(path))
			flags |= nss[i].flag;
	}
	if (flags == 0)
		return 0;
	return spawn(dir, flags, hostname, err);
}

/* Every bind on path (a racing create may have stacked two), then the
 * file. */
static int
unbind_all(const char *dir, const char *name, struct err *err)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return err_setx(err, ENAMETOOLONG, "%s: too long", dir);
	while (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		;
	if (errno != EINVAL && errno != ENOENT)
		return err_set(err, errno, "umount %s", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return err_set(err, errno, "unlink %s", path);
	return 0;
}

int
rt_sandbox_destroy(const char *dir, struct err *err)
{
	size_t i;
	int r, ret;

	ret = rt_sandbox_destroy_pid(dir, err);
	for (i = 0; i < ARRAY_SIZE(nss); i++) {
		r = unbind_all(dir, nss[i].name, ret < 0 ? NULL : err);
		if (ret == 0)
			ret = r;
	}
	return ret;
}

/* ---- the pause: PID 1 of a shared pid ns ---- */

#define PAUSE_WAIT_NS (5LL * 1000000000)

static int
pause_read(const char *dir, pid_t *pid, uint64_t *start)
{
	char path[PATH_MAX], *buf;
	int p, r;

	if (snprintf(path, sizeof(path), "%s/pause", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if ((r = read_file(path, 128, &buf, NULL, NULL)) < 0)
		return r;
	r = sscanf(buf, "%d %" SCNu64, &p, start) == 2 && p > 0 ? 0 : -EINVAL;
	*pid = p;
	free(buf);
	return r;
}

/* The child, PID 1 of the new ns: exec the pause, fd 3 the status pipe. */
static void __attribute__((noreturn))
pause_exec(const char *shim, const char *dir, int st)
{
	char msg[512];
	int nul, hi, i;

	rt_signals_reset();
	setsid();	/* a ^C to the caller's group is not for it */
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	/* Above 3 first: the caller's 0-3 may be anything. */
	hi = fcntl(st, F_DUPFD_CLOEXEC, 4);
	if (nul < 0 || (nul = fcntl(nul, F_DUPFD_CLOEXEC, 4)) < 0 || hi < 0 ||
	    dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0 ||
	    dup2(hi, 3) < 0)
		_exit(127);
	if (syscall(SYS_close_range, 4U, ~0U, 0U) < 0)
		for (i = 4; i < 65536; i++)
			close(i);
	execl(shim, "picolet-shim", "--pause", dir, (char *)NULL);
	snprintf(msg, sizeof(msg), "err exec %s: %s\n", shim, strerror(errno));
	(void)!write(3, msg, strlen(msg));
	_exit(127);
}

/* Fork into a new pid ns; the caller's later children stay in its own. */
static pid_t
fork_pidns(struct err *err)
{
	int self, e;
	pid_t pid;

	self = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (self < 0)
		return err_set(err, errno, "pidfd_open self");
	if (unshare(CLONE_NEWPID) < 0) {
		e = errno;
		close(self);
		return err_set(err, e, "unshare pid namespace");
	}
	pid = fork();
	e = errno;
	/* Cannot fail (our active ns); if it did, every later fork of the
	 * caller would be in the pod's pid ns: better stop here. */
	if (pid != 0 && setns(self, CLONE_NEWPID) < 0)
		abort();
	if (pid != 0)
		close(self);
	if (pid < 0)
		return err_set(err, e, "fork");
	return pid;
}

/* The pause's one line: "ok", or why not; bounded (its set-up is a few
 * syscalls: milliseconds). */
static int
pause_wait(int fd, const char *dir, struct err *err)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	int64_t end = time_now_ns() + PAUSE_WAIT_NS, left;
	char line[600];
	size_t len = 0;
	ssize_t n;
	int r;

	for (;;) {
		left = (end - time_now_ns()) / 1000000;
		r = left > 0 ? poll(&pf, 1, (int)left) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return err_setx(err, ETIMEDOUT, "pause %s: no answer "
			    "in %d s", dir, (int)(PAUSE_WAIT_NS / 1000000000));
		n = read(fd, line + len, sizeof(line) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (len += (size_t)n) == sizeof(line) - 1)
			break;
	}
	line[len] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (strcmp(line, "ok") == 0)
		return 0;
	return err_setx(err, EIO, "pause %s: %s", dir, strncmp(line, "err ",
	    4) == 0 ? line + 4 : "died before it was set up");
}

static int
pause_save(const char *dir, const struct rt_pause *p, struct err *err)
{
	char path[PATH_MAX], line[64];
	int n;

	if (snprintf(path, sizeof(path), "%s/pause", dir) >= (int)sizeof(path))
		return err_setx(err, ENAMETOOLONG, "%s: too long", dir);
	n = snprintf(line, sizeof(line), "%d %" PRIu64 "\n", (int)p->pid,
	    p->start);
	return rt_write_atomic(path, line, (size_t)n, err);
}

/* A pause that failed half-way: ours, so killed and reaped at once. */
static void
pause_undo(const char *dir, struct rt_pause *p)
{
	char path[PATH_MAX];

	if (p->pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
		close(p->pidfd);
	}
	while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
		;
	unbind_all(dir, "pid", NULL);
	if (snprintf(path, sizeof(path), "%s/pause", dir) < (int)sizeof(path))
		unlink(path);
	p->pid = -1;
	p->pidfd = -1;
}

int
rt_sandbox_create_pid(const char *dir, const char *shim_path,
	struct rt_pause *out, struct err *err)
{
	int st[2], r;
	pid_t pid;

	out->pid = -1;
	out->start = 0;
	out->pidfd = -1;
	if ((r = mkdir_p(dir, 0755, err)) < 0)
		return r;
	if (rt_sandbox_pause_find(dir, out, NULL) == 0)
		return 0;
	if ((r = rt_sandbox_destroy_pid(dir, err)) < 0)
		return r;
	if (pipe2(st, O_CLOEXEC) < 0)
		return err_set(err, errno, "pipe");
	pid = fork_pidns(err);
	if (pid == 0) {
		close(st[0]);
		pause_exec(shim_path, dir, st[1]);
	}
	close(st[1]);
	if (pid < 0) {
		close(st[0]);
		return pid;
	}
	out->pid = pid;
	/* Our unreaped child: the pid cannot be anyone else's yet. */
	out->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (out->pidfd < 0)
		r = err_set(err, errno, "pidfd_open %d", (int)pid);
	else if ((r = rt_proc_starttime(pid, &out->start)) < 0)
		err_set(err, -r, "pause %d: starttime", (int)pid);
	else
		r = pause_save(dir, out, err);
	if (r == 0)
		r = pause_wait(st[0], dir, err);
	close(st[0]);
	if (r == 0)
		r = bind_ns(pid, dir, "pid", err);
	if (r < 0)
		pause_undo(dir, out);
	return r;
}

int
rt_sandbox_pause_find(const char *dir, struct rt_pause *out,
	struct err *err)
{
	char path[PATH_MAX], self[64];
	struct stat a, b;
	uint64_t start;
	pid_t pid;
	int fd, r;

	out->pid = -1;
	out->start = 0;
	out->pidfd = -1;
	if ((r = pause_read(dir, &pid, &start)) < 0)
		return r == -ENOENT ? err_setx(err, ENOENT, "%s: no pause", dir) :
		    err_setx(err, -r, "%s/pause: unreadable", dir);
	if ((fd = rt_pidfd_open_checked(pid, start)) < 0)
		return err_setx(err, ESRCH, "%s: pause %d is gone", dir,
		    (int)pid);
	/* Its ns must still be the one containers join through dir/pid. */
	snprintf(path, sizeof(path), "%s/pid", dir);
	snprintf(self, sizeof(self), "/proc/%d/ns/pid", (int)pid);
	if (stat(path, &a) < 0 || stat(self, &b) < 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino) {
		close(fd);
		return err_setx(err, ESRCH, "%s: pause %d does not hold %s",
		    dir, (int)pid, path);
	}
	out->pid = pid;
	out->start = start;
	out->pidfd = fd;
	return 0;
}

int
rt_sandbox_destroy_pid(const char *dir, struct err *err)
{
	char path[PATH_MAX];
	uint64_t start;
	pid_t pid;
	int fd, r;

	if (pause_read(dir, &pid, &start) == 0 &&
	    (fd = rt_pidfd_open_checked(pid, start)) >= 0) {
		syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
		close(fd);
	}
	if ((r = unbind_all(dir, "pid", err)) < 0)
		return r;
	if (snprintf(path, sizeof(path), "%s/pause", dir) >= (int)sizeof(path))
		return err_setx(err, ENAMETOOLONG, "%s: too long", dir);
	if (unlink(path) < 0 && errno != ENOENT)
		return err_set(err, errno, "unlink %s", path);
	return 0;
}
