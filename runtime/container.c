/*
 * container: the workload child, from fork to execve.  It runs as PID 1
 * of a new pid namespace (the shim unshared CLONE_NEWPID before forking)
 * and makes its own mount namespace.  Order matters:
 *  - cgroups: the shim moves the child into them while the child builds
 *    its rootfs (on cgroup v1 a migration waits for an RCU grace period,
 *    milliseconds of idle time), and the child execs only after the shim
 *    says it is done, so the workload is accounted from its first
 *    instruction;
 *  - the pod's ipc/uts/net namespaces before the mounts (sysfs and
 *    mqueue belong to the namespaces current at mount time);
 *  - privileges last: the bounding set is dropped while CAP_SETPCAP is
 *    still held, ids are changed with KEEPCAPS so capset can then set the
 *    final sets.  Inheritable and ambient stay empty (containerd since
 *    CVE-2022-24769), so a non-root workload keeps no capability across
 *    its exec, as under containerd.
 * Every failure goes to the shim over the sync socket as one message;
 * nothing is written to the workload's stdout/stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/container.h"

static void __attribute__((noreturn))
fail(int sync, char kind, const struct err *e)
{
	char msg[RT_SYNC_MAX];
	int n;

	n = snprintf(msg, sizeof(msg), "%c%s", kind, e->msg);
	if (n >= (int)sizeof(msg))
		n = sizeof(msg) - 1;
	(void)!send(sync, msg, (size_t)n, MSG_NOSIGNAL);
	_exit(127);
}

/* The shim's word that the cgroups are joined: 'g', or why not. */
static int
wait_cgroups(int go, struct err *err)
{
	char buf[RT_SYNC_MAX];
	ssize_t n;

	do
		n = read(go, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(go);
	if (n == 1 && buf[0] == 'g')
		return 0;
	buf[n > 0 ? n : 0] = '\0';
	return err_setx(err, EIO, "%s", n > 1 ? buf + 1 :
	    "the shim did not confirm the cgroups");
}

static int
join_ns(const char *path, int type, struct err *err)
{
	int fd, r = 0;

	if (path == NULL)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, errno, "open %s", path);
	if (setns(fd, type) < 0)
		r = err_set(err, errno, "setns %s", path);
	close(fd);
	return r;
}

static int
last_cap(void)
{
	char buf[16];
	int fd, n, v = CAP_LAST_CAP;

	fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return v;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		v = atoi(buf);
	}
	return v > 63 ? 63 : v;
}

/* What we hold: a workload can get no more (a privileged pod on a host
 * whose root lacks a capability gets the rest, not an error). */
static uint64_t
held_caps(void)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2];

	memset(&h, 0, sizeof(h));
	memset(d, 0, sizeof(d));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	return d[0].permitted | (uint64_t)d[1].permitted << 32;
}

static int
set_caps(uint64_t caps, struct err *err)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2];

	memset(&h, 0, sizeof(h));
	memset(d, 0, sizeof(d));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	d[0].permitted = d[0].effective = (uint32_t)caps;
	d[1].permitted = d[1].effective = (uint32_t)(caps >> 32);
	if (syscall(SYS_capset, &h, d) < 0)
		return err_set(err, errno, "capset");
	return 0;
}

int
rt_privs_drop(const struct rt_spec *s, const struct rt_ids *ids,
	struct err *err)
{
	uint64_t caps = s->privileged ? rt_caps_all() : s->caps;
	int c, last = last_cap();

	caps &= held_caps();

	for (c = 0; c <= last; c++)
		if (!(caps & (UINT64_C(1) << c)) &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return err_set(err, errno, "drop capability %d", c);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return err_set(err, errno, "prctl KEEPCAPS");
	if (setgroups((size_t)ids->ngroups, ids->groups) < 0)
		return err_set(err, errno, "setgroups");
	if (setresgid(ids->gid, ids->gid, ids->gid) < 0)
		return err_set(err, errno, "setgid %u", (unsigned)ids->gid);
	if (setresuid(ids->uid, ids->uid, ids->uid) < 0)
		return err_set(err, errno, "setuid %u", (unsigned)ids->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return err_set(err, errno, "prctl KEEPCAPS");
	if (last < 63)
		caps &= (UINT64_C(1) << (last + 1)) - 1;
	return set_caps(caps, err);
}

void
rt_signals_reset(void)
{
	sigset_t none;
	int i;

	for (i = 1; i < NSIG; i++)
		signal(i, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int
stdio(int out, int errfd, struct err *err)
{
	int nul;

	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nul < 0)
		return err_set(err, errno, "open /dev/null");
	if (dup2(nul, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0) {
		close(nul);
		return err_set(err, errno, "dup2");
	}
	close(nul);
	return 0;
}

static int
setup(const struct rt_spec *s, int out, int errfd, struct rt_ids *ids,
	struct err *err)
{
	const char *cwd = s->cwd != NULL && s->cwd[0] != '\0' ? s->cwd : "/";
	int r;

	umask(022);
	setsid();	/* its own session, as under runc */
	if ((r = join_ns(s->ipcns, CLONE_NEWIPC, err)) < 0 ||
	    (r = join_ns(s->utsns, CLONE_NEWUTS, err)) < 0 ||
	    (r = join_ns(s->netns, CLONE_NEWNET, err)) < 0)
		return r;
	if (unshare(CLONE_NEWNS) < 0)
		return err_set(err, errno, "unshare mount namespace");
	if ((r = stdio(out, errfd, err)) < 0 ||
	    (r = rt_rootfs_setup(s, err)) < 0 ||
	    (r = rt_user_resolve(s, ids, err)) < 0)
		return r;
	/* Made as root, as runc does; entered as the user below. */
	if ((r = mkdir_p(cwd, 0755, err)) < 0 ||
	    (r = rt_privs_drop(s, ids, err)) < 0)
		return r;
	if (chdir(cwd) < 0)
		return err_set(err, errno, "chdir %s", cwd);
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_set(err, errno, "prctl NO_NEW_PRIVS");
	return 0;
}

void
rt_container_child(const struct rt_spec *s, int out, int errfd, int sync,
	int go)
{
	struct rt_spec run;
	struct rt_ids ids;
	struct err e;

	memset(&e, 0, sizeof(e));
	if (setup(s, out, errfd, &ids, &e) < 0 || wait_cgroups(go, &e) < 0)
		fail(sync, RT_SYNC_CREATE, &e);
	rt_signals_reset();
	run = *s;
	run.env = rt_env_home(s->env, &ids);
	rt_user_exec(&run, &e);
	fail(sync, RT_SYNC_RUN, &e);
}
