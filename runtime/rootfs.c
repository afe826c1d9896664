/*
 * rootfs: the container's filesystem, built inside its fresh mount ns by
 * the child before it drops privileges.  Quirks handled:
 *  - everything is made rslave first, so nothing we mount propagates back
 *    to the host even when / is shared (and pivot_root accepts the tree);
 *  - overlayfs takes its options in one page: a long lowerdir (many
 *    layers) is written relative to the layers' common parent, with the
 *    cwd there during the mount;
 *  - paths inside the image are resolved with openat2(RESOLVE_IN_ROOT),
 *    so a symlink in an image ("/etc -> /host/etc") cannot send a mount
 *    outside the rootfs; the mount target is then the O_PATH fd's
 *    /proc/self/fd link;
 *  - in a pod's network namespace a fresh sysfs may be refused: then the
 *    host's /sys is bound read-only instead;
 *  - pivot_root(".", ".") stacks the old root on the new one; unmounting
 *    "." then drops it without needing a directory for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "runtime/container.h"

#define FDPATH_LEN 32

/* Paths a default (unprivileged) container cannot see or write, as in
 * containerd's default spec. */
static const char *const masked[] = {
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/proc/scsi", "/sys/firmware",
	"/sys/devices/virtual/powercap",
};
static const char *const readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	"/proc/sysrq-trigger",
};

static const struct {
	const char *name;
	unsigned maj, min;
} devs[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
	const char *name, *target;
} links[] = {
	{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	{ "ptmx", "pts/ptmx" }, { "core", "/proc/kcore" },
};

static int
resolve(int rootfd, const char *path, int flags)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

static void
fdpath(char *buf, int fd)
{
	snprintf(buf, FDPATH_LEN, "/proc/self/fd/%d", fd);
}

/* Make an empty dir or file in dirfd. */
static int
mkat(int dirfd, const char *name, bool dir)
{
	int fd;

	if (dir)
		return mkdirat(dirfd, name, 0755) < 0 ? -errno : 0;
	fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* An O_PATH fd for path inside the root, made (dir or empty file) when
 * missing, parents included. */
static int
target(int rootfd, const char *path, bool dir, struct err *err)
{
	char p[PATH_MAX], *slash;
	size_t i, len = strlen(path);
	int fd, pfd, r;

	if (len == 0 || len >= sizeof(p))
		return err_setx(err, EINVAL, "mount target \"%s\": bad path",
		    path);
	memcpy(p, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		fd = resolve(rootfd, p, O_PATH);
		if (fd < 0 && errno == ENOENT) {
			slash = strrchr(p, '/');
			*slash = '\0';
			pfd = resolve(rootfd, slash == p ? "/" : p, O_PATH);
			*slash = '/';
			if (pfd < 0)
				return err_set(err, errno, "open %s", p);
			r = mkat(pfd, slash + 1, i < len || dir);
			close(pfd);
			if (r < 0 && r != -EEXIST)
				return err_set(err, -r, "create %s", p);
			fd = resolve(rootfd, p, O_PATH);
		}
		if (fd < 0)
			return err_set(err, errno, "open %s", p);
		if (i == len)
			return fd;
		close(fd);
		p[i] = '/';
	}
	return -EINVAL;
}

static int
mnt(const char *src, const char *dst, const char *type, unsigned long fl,
	const char *data, const char *what, struct err *err)
{
	if (mount(src, dst, type, fl, data) < 0)
		return err_set(err, errno, "mount %s on %s",
		    src != NULL ? src : "(remount)", what);
	return 0;
}

/* The fd taken before a bind names the mount below it: look again. */
static int
remount_ro(int rootfd, const char *path, unsigned long fl, struct err *err)
{
	char fp[FDPATH_LEN];
	int fd, r;

	fd = resolve(rootfd, path, O_PATH);
	if (fd < 0)
		return err_set(err, errno, "open %s", path);
	fdpath(fp, fd);
	r = mnt(NULL, fp, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
	    (fl & (MS_NOSUID | MS_NODEV | MS_NOEXEC)), NULL, path, err);
	close(fd);
	return r;
}

/* Mount on path inside the root (made if missing). */
static int
mnt_in(int rootfd, const char *src, const char *path, const char *type,
	unsigned long fl, const char *data, bool dir, struct err *err)
{
	char fp[FDPATH_LEN];
	int fd, r;

	fd = target(rootfd, path, dir, err);
	if (fd < 0)
		return fd;
	fdpath(fp, fd);
	r = mnt(src, fp, type, fl, data, path, err);
	close(fd);
	if (r == 0 && (fl & MS_BIND) && (fl & MS_RDONLY))
		r = remount_ro(rootfd, path, fl, err);
	return r;
}

/* Longest common directory prefix of the layers, "" when none. */
static size_t
common_dir(char **lower)
{
	size_t n, i, j;

	n = strlen(lower[0]);
	for (i = 1; lower[i] != NULL; i++) {
		for (j = 0; j < n && lower[i][j] == lower[0][j]; j++)
			;
		n = j;
	}
	while (n > 0 && lower[0][n - 1] != '/')
		n--;
	return n;
}

static void
overlay_opts(struct buf *b, const struct rt_spec *s, size_t skip)
{
	size_t i, n = strv_len(s->lower);

	buf_reset(b);
	buf_puts(b, "lowerdir=");
	for (i = n; i-- > 0;) {
		buf_puts(b, s->lower[i] + skip);
		if (i > 0)
			buf_puts(b, ":");
	}
	buf_printf(b, ",upperdir=%s,workdir=%s", s->upper, s->work);
}

/*
 * Past a page even with relative paths: the new mount API takes one layer
 * per call ("lowerdir+", Linux 6.8), so no option string limits them.
 * Older kernels refuse the key: then there are too many layers.
 */
static int
overlay_fsconfig(const struct rt_spec *s, struct err *err)
{
	size_t i = strv_len(s->lower);
	int fs, mfd = -1, r = 0;

	fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return err_set(err, errno, "fsopen overlay");
	while (r == 0 && i-- > 0)
		if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", s->lower[i],
		    0) < 0)
			r = err_set(err, errno, "mount overlay on %s: %zu "
			    "layers, lowerdir+ %s", s->rootfs,
			    strv_len(s->lower), s->lower[i]);
	if (r == 0 && (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", s->upper,
	    0) < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "workdir", s->work,
	    0) < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0))
		r = err_set(err, errno, "mount overlay on %s", s->rootfs);
	if (r == 0 && (mfd = fsmount(fs, FSMOUNT_CLOEXEC, 0)) < 0)
		r = err_set(err, errno, "fsmount overlay");
	if (r == 0 && move_mount(mfd, "", AT_FDCWD, s->rootfs,
	    MOVE_MOUNT_F_EMPTY_PATH) < 0)
		r = err_set(err, errno, "move_mount overlay to %s", s->rootfs);
	if (mfd >= 0)
		close(mfd);
	close(fs);
	return r;
}

static int
mount_overlay(const struct rt_spec *s, struct err *err)
{
	char dir[PATH_MAX];
	struct buf b;
	size_t skip = 0;
	int r;

	if (s->lower == NULL || s->lower[0] == NULL)
		return err_setx(err, EINVAL, "mount overlay on %s: no layers",
		    s->rootfs);
	if (s->upper == NULL || s->work == NULL)
		return err_setx(err, EINVAL, "mount overlay on %s: no upper dir",
		    s->rootfs);
	buf_init(&b, 1 << 20);
	overlay_opts(&b, s, 0);
	if (b.len >= (size_t)getpagesize() - 1) {
		skip = common_dir(s->lower);
		if (skip == 0 || skip >= sizeof(dir)) {
			buf_free(&b);
			return overlay_fsconfig(s, err);
		}
		memcpy(dir, s->lower[0], skip);
		dir[skip] = '\0';
		if (chdir(dir) < 0) {
			buf_free(&b);
			return err_set(err, errno, "chdir %s", dir);
		}
		overlay_opts(&b, s, skip);
	}
	if (b.len >= (size_t)getpagesize() - 1)
		r = overlay_fsconfig(s, err);
	else
		r = mnt("overlay", s->rootfs, "overlay", 0, b.p, s->rootfs,
		    err);
	buf_free(&b);
	if (skip > 0 && chdir("/") < 0 && r == 0)
		r = err_set(err, errno, "chdir /");
	return r;
}

static int
mount_dev(int rootfd, bool privileged, struct err *err)
{
	size_t i;
	int r, devfd;

	if (privileged)
		return mnt_in(rootfd, "/dev", "/dev", NULL, MS_BIND | MS_REC,
		    NULL, true, err);
	r = mnt_in(rootfd, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
	    "mode=755,size=65536k", true, err);
	if (r < 0)
		return r;
	/* Ours now: a fresh tmpfs holds no symlinks to follow. */
	devfd = resolve(rootfd, "/dev", O_PATH | O_DIRECTORY);
	if (devfd < 0)
		return err_set(err, errno, "open /dev");
	for (i = 0; i < ARRAY_SIZE(devs) && r == 0; i++) {
		if (mknodat(devfd, devs[i].name, S_IFCHR | 0666,
		    makedev(devs[i].maj, devs[i].min)) < 0 ||
		    fchmodat(devfd, devs[i].name, 0666, 0) < 0)
			r = err_set(err, errno, "mknod /dev/%s", devs[i].name);
	}
	for (i = 0; i < ARRAY_SIZE(links) && r == 0; i++)
		if (symlinkat(links[i].target, devfd, links[i].name) < 0)
			r = err_set(err, errno, "symlink /dev/%s", links[i].name);
	close(devfd);
	if (r == 0)
		r = mnt_in(rootfd, "devpts", "/dev/pts", "devpts",
		    MS_NOSUID | MS_NOEXEC,
		    "newinstance,ptmxmode=0666,mode=0620,gid=5", true, err);
	if (r == 0)
		r = mnt_in(rootfd, "shm", "/dev/shm", "tmpfs",
		    MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k",
		    true, err);
	if (r == 0)
		r = mnt_in(rootfd, "mqueue", "/dev/mqueue", "mqueue",
		    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true, err);
	return r;
}

static int
mount_sys(int rootfd, bool privileged, struct err *err)
{
	unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	int r;

	if (!privileged)
		fl |= MS_RDONLY;
	r = mnt_in(rootfd, "sysfs", "/sys", "sysfs", fl, NULL, true, err);
	if (r == -EPERM || r == -EBUSY)
		r = mnt_in(rootfd, "/sys", "/sys", NULL, MS_BIND | MS_REC | fl,
		    NULL, true, err);
	return r;
}

static int
mask_paths(int rootfd, struct err *err)
{
	char fp[FDPATH_LEN];
	struct stat st;
	size_t i;
	int fd, r = 0;

	for (i = 0; i < ARRAY_SIZE(masked) && r == 0; i++) {
		fd = resolve(rootfd, masked[i], O_PATH);
		if (fd < 0)
			continue;	/* not in this kernel */
		fdpath(fp, fd);
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
			r = mnt("tmpfs", fp, "tmpfs", MS_RDONLY, "size=0",
			    masked[i], err);
		else
			r = mnt("/dev/null", fp, NULL, MS_BIND, NULL, masked[i],
			    err);
		close(fd);
	}
	for (i = 0; i < ARRAY_SIZE(readonly) && r == 0; i++) {
		fd = resolve(rootfd, readonly[i], O_PATH);
		if (fd < 0)
			continue;
		fdpath(fp, fd);
		r = mnt(fp, fp, NULL, MS_BIND | MS_REC, NULL, readonly[i], err);
		close(fd);
		if (r == 0)
			r = remount_ro(rootfd, readonly[i], MS_NOSUID | MS_NODEV |
			    MS_NOEXEC, err);
	}
	return r;
}

/* Under the volume, each component a directory made if missing. */
static int
beneath(int vfd, const char *sub)
{
	struct open_how how;
	char p[PATH_MAX], *c, *save = NULL;
	int fd, dfd, r;

	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, vfd, sub, &how, sizeof(how));
	if (fd >= 0 || errno != ENOENT)
		return fd < 0 ? -errno : fd;
	if (snprintf(p, sizeof(p), "%s", sub) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	if ((dfd = dup(vfd)) < 0)
		return -errno;
	for (c = strtok_r(p, "/", &save); c != NULL;
	    c = strtok_r(NULL, "/", &save)) {
		if (mkdirat(dfd, c, 0755) < 0 && errno != EEXIST) {
			r = -errno;
			close(dfd);
			return r;
		}
		fd = (int)syscall(SYS_openat2, dfd, c, &how, sizeof(how));
		r = -errno;
		close(dfd);
		if (fd < 0)
			return r;
		dfd = fd;
	}
	return dfd;
}

/* The source of a subPath mount: an O_PATH fd's /proc/self/fd link. */
static int
sub_source(const struct rt_mount *m, char *fp, struct err *err)
{
	int vfd, fd;

	vfd = open(m->src, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (vfd < 0)
		return err_set(err, errno, "mount %s on %s: open volume",
		    m->src, m->dst);
	fd = beneath(vfd, m->sub);
	close(vfd);
	if (fd == -EXDEV || fd == -ELOOP)
		return err_setx(err, EXDEV, "subPath \"%s\" of %s leaves the "
		    "volume", m->sub, m->dst);
	if (fd < 0)
		return err_set(err, -fd, "subPath \"%s\" of %s", m->sub,
		    m->dst);
	fdpath(fp, fd);
	return fd;
}

static int
propagate(int rootfd, const struct rt_mount *m, struct err *err)
{
	char fp[FDPATH_LEN];
	unsigned long fl = MS_REC;
	int fd, r;

	fl |= m->prop == RT_PROP_SHARED ? MS_SHARED :
	    m->prop == RT_PROP_SLAVE ? MS_SLAVE : MS_PRIVATE;
	fd = resolve(rootfd, m->dst, O_PATH);
	if (fd < 0)
		return err_set(err, errno, "open %s", m->dst);
	fdpath(fp, fd);
	r = mnt(NULL, fp, NULL, fl, NULL, m->dst, err);
	close(fd);
	return r;
}

static int
mount_binds(int rootfd, const struct rt_spec *s, struct err *err)
{
	const struct rt_mount *m;
	char fp[FDPATH_LEN];
	const char *src;
	struct stat st;
	unsigned long fl;
	size_t i;
	int r, sfd;

	for (i = 0; i < s->nmounts; i++) {
		m = &s->mounts[i];
		src = m->src;
		sfd = -1;
		if (m->sub != NULL) {
			if ((sfd = sub_source(m, fp, err)) < 0)
				return sfd;
			src = fp;
		}
		r = 0;
		if (stat(src, &st) < 0)
			r = err_set(err, errno, "mount %s on %s: stat", m->src,
			    m->dst);
		fl = MS_BIND | MS_REC | (m->ro ? MS_RDONLY : 0);
		if (r == 0)
			r = mnt_in(rootfd, src, m->dst, NULL, fl, NULL,
			    S_ISDIR(st.st_mode), err);
		if (sfd >= 0)
			close(sfd);
		if (r == 0)
			r = propagate(rootfd, m, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
pivot(const char *rootfs, struct err *err)
{
	if (chdir(rootfs) < 0)
		return err_set(err, errno, "chdir %s", rootfs);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return err_set(err, errno, "pivot_root %s", rootfs);
	if (umount2(".", MNT_DETACH) < 0)
		return err_set(err, errno, "umount old root");
	if (chdir("/") < 0)
		return err_set(err, errno, "chdir /");
	return 0;
}

int
rt_rootfs_setup(const struct rt_spec *s, struct err *err)
{
	int rootfd, r;

	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return err_set(err, errno, "make / rslave");
	r = mount_overlay(s, err);
	if (r < 0)
		return r;
	rootfd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return err_set(err, errno, "open %s", s->rootfs);
	r = mnt_in(rootfd, "proc", "/proc", "proc",
	    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true, err);
	if (r == 0)
		r = mount_dev(rootfd, s->privileged, err);
	if (r == 0)
		r = mount_sys(rootfd, s->privileged, err);
	if (r == 0)
		r = mount_binds(rootfd, s, err);
	if (r == 0 && !s->privileged)
		r = mask_paths(rootfd, err);
	close(rootfd);
	if (r == 0)
		r = pivot(s->rootfs, err);
	if (r == 0 && s->readonly_rootfs && mount(NULL, "/", NULL,
	    MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		r = err_set(err, errno, "remount / read-only");
	return r;
}
