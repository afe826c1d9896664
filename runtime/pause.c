/*
 * pause: the pod's pause process ("picolet-shim --pause <dir>"), PID 1 of
 * the pid namespace its containers share (shareProcessNamespace).  It
 * only reaps: the kernel hands a ns's orphans to its init, and a
 * container whose workload left children (not its ns's init any more)
 * relies on it.  The picolet side (clone, binds, kill) is sandbox.c.
 *
 * Kernel quirks:
 *  - init of a pid ns gets from inside the ns only the signals it has a
 *    handler for, but blocked signals count as wanted: with everything
 *    blocked and taken by sigwaitinfo, a container can still SIGTERM it
 *    (as with Kubernetes' pause), not SIGKILL or SIGSTOP it.  Every
 *    signal is taken, so none stays queued (real-time ones would pile up);
 *  - containers see it as /proc/1: its root and cwd must show nothing of
 *    the host, so it gets a mount ns of its own whose root is an empty
 *    read-only tmpfs (pivot_root, old root detached: ".." of a magic
 *    /proc/1/root link cannot climb past a root mount), and it is not
 *    dumpable, so only a holder of CAP_SYS_PTRACE reaches /proc/1/fd or
 *    environ at all; it keeps its capabilities, which a ptracer must then
 *    hold too;
 *  - it joins the pod's net, ipc and uts ns files before its root goes,
 *    so the links in /proc/1/ns are the pod's, not the host's.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/rt.h"

#define STATUS_FD 3

/* dir/name when it holds a namespace; a leftover empty file is skipped. */
static int
join(const char *dir, const char *name, struct err *err)
{
	char path[4096];
	struct statfs sf;
	int fd, r = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return err_setx(err, ENAMETOOLONG, "%s: too long", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : err_set(err, errno, "open %s",
		    path);
	if (fstatfs(fd, &sf) == 0 && sf.f_type == NSFS_MAGIC &&
	    setns(fd, 0) < 0)
		r = err_set(err, errno, "setns %s", path);
	close(fd);
	return r;
}

/* An empty read-only root in a mount ns of its own. */
static int
empty_root(const char *dir, struct err *err)
{
	if (unshare(CLONE_NEWNS) < 0)
		return err_set(err, errno, "unshare mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_set(err, errno, "make / private");
	/* dir exists; what is under it is hidden only in this ns. */
	if (mount("pause", dir, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, "size=4k,nr_inodes=1,mode=0555") < 0)
		return err_set(err, errno, "mount tmpfs on %s", dir);
	if (chdir(dir) < 0)
		return err_set(err, errno, "chdir %s", dir);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return err_set(err, errno, "pivot_root %s", dir);
	if (umount2(".", MNT_DETACH) < 0)
		return err_set(err, errno, "detach the old root");
	if (chdir("/") < 0)
		return err_set(err, errno, "chdir /");
	return 0;
}

static int
setup(const char *dir, struct err *err)
{
	int r;

	if (getpid() != 1)
		return err_setx(err, EINVAL, "not PID 1 of a pid namespace");
	if ((r = join(dir, "ipc", err)) < 0 ||
	    (r = join(dir, "uts", err)) < 0 ||
	    (r = join(dir, "net", err)) < 0 ||
	    (r = empty_root(dir, err)) < 0)
		return r;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return err_set(err, errno, "prctl DUMPABLE");
	return 0;
}

int
rt_pause_main(const char *dir)
{
	char line[sizeof(((struct err *)0)->msg) + 8];
	sigset_t all;
	siginfo_t si;
	struct err e;
	int n;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	if (setup(dir, &e) < 0) {
		n = snprintf(line, sizeof(line), "err %s\n", e.msg);
		(void)!write(STATUS_FD, line, (size_t)MIN(n,
		    (int)sizeof(line) - 1));
		return 1;
	}
	(void)!write(STATUS_FD, "ok\n", 3);
	close(STATUS_FD);
	for (;;) {
		if (sigwaitinfo(&all, &si) < 0)
			continue;
		if (si.si_signo == SIGTERM || si.si_signo == SIGINT)
			return 0;
		if (si.si_signo == SIGCHLD)
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
	}
}
