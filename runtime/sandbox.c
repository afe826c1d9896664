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
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/rt.h"

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
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		return err_set(err, errno, "bind %s on %s", src, dst);
	if (mount(NULL, dst, NULL, MS_PRIVATE, NULL) < 0)
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

int
rt_sandbox_destroy(const char *dir, struct err *err)
{
	char path[PATH_MAX];
	size_t i;
	int r = 0;

	for (i = 0; i < ARRAY_SIZE(nss); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, nss[i].name) >=
		    (int)sizeof(path))
			return err_setx(err, ENAMETOOLONG, "%s: too long", dir);
		while (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
			;	/* stacked by a racing create: all of them */
		if (errno != EINVAL && errno != ENOENT && r == 0)
			r = err_set(err, errno, "umount %s", path);
		if (unlink(path) < 0 && errno != ENOENT && r == 0)
			r = err_set(err, errno, "unlink %s", path);
	}
	return r;
}
