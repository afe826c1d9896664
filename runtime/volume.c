/*
 * volume: the filesystem side of pod volumes.  A tmpfs per in-memory
 * volume (emptyDir medium Memory, and every volume made of ConfigMaps,
 * Secrets or the downward API, so a Secret never touches a disk), and
 * the atomic writer those volumes are filled with:
 *
 *   <dir>/..2026_11_26_01_02_03.Ab12Cd/   this version's files
 *   <dir>/..data -> ..2026_11_26_01_02_03.Ab12Cd
 *   <dir>/<key>  -> ..data/<key>          one link per top-level name
 *
 * A new version is written beside the old one, then ..data is swapped
 * by rename(2), so a reader sees the old files or the new ones, never a
 * mix: the layout kubelet uses, which applications watching ..data know.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/rt.h"

static bool
is_mountpoint(const char *dir)
{
	char parent[PATH_MAX];
	struct stat a, b;

	if (snprintf(parent, sizeof(parent), "%s/..", dir) >=
	    (int)sizeof(parent))
		return false;
	return stat(dir, &a) == 0 && stat(parent, &b) == 0 &&
	    a.st_dev != b.st_dev;
}

int
rt_tmpfs_mount(const char *dir, int64_t size, mode_t mode, struct err *err)
{
	char opts[64];
	int r;

	if ((r = mkdir_p(dir, 0700, err)) < 0)
		return r;
	if (is_mountpoint(dir))		/* still there from before a restart */
		return 0;
	if (size > 0)
		snprintf(opts, sizeof(opts), "mode=%04o,size=%lld",
		    (unsigned)mode, (long long)size);
	else
		snprintf(opts, sizeof(opts), "mode=%04o", (unsigned)mode);
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
		return err_set(err, errno, "mount tmpfs on %s", dir);
	return 0;
}

void
rt_volume_umount(const char *dir)
{
	while (umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		;
}

/* Parents of rel inside dfd, each 0755. */
static int
mkparents(int dfd, const char *rel)
{
	char p[PATH_MAX], *s;

	if (snprintf(p, sizeof(p), "%s", rel) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	for (s = strchr(p, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(dfd, p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

static int
write_one(int dfd, const struct rt_proj_file *f, gid_t gid)
{
	int fd, r;

	if ((r = mkparents(dfd, f->path)) < 0)
		return r;
	fd = openat(dfd, f->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = write_all(fd, f->data, f->len);
	if (r == 0 && gid != (gid_t)-1 && fchown(fd, 0, gid) < 0)
		r = -errno;
	if (r == 0 && fchmod(fd, f->mode & 07777) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* The first component of path into buf. */
static const char *
top_name(const char *path, char *buf, size_t len)
{
	size_t n = strcspn(path, "/");

	if (n >= len)
		n = len - 1;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return buf;
}

static bool
in_payload(const struct rt_proj_file *f, size_t n, const char *name)
{
	char top[NAME_MAX + 1];
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(top_name(f[i].path, top, sizeof(top)), name) == 0)
			return true;
	return false;
}

/* name -> ..data/name, replaced atomically when it is anything else. */
static int
link_top(int dfd, const char *name)
{
	char want[NAME_MAX + 16], have[NAME_MAX + 16], tmp[NAME_MAX + 16];
	ssize_t n;

	snprintf(want, sizeof(want), "..data/%s", name);
	n = readlinkat(dfd, name, have, sizeof(have) - 1);
	if (n >= 0) {
		have[n] = '\0';
		if (strcmp(have, want) == 0)
			return 0;
	}
	snprintf(tmp, sizeof(tmp), "..link_tmp");
	(void)unlinkat(dfd, tmp, 0);
	if (symlinkat(want, dfd, tmp) < 0 || renameat(dfd, tmp, dfd, name) < 0)
		return -errno;
	return 0;
}

/* Old versions, and links to names the payload no longer has. */
static void
prune(int dfd, const char *dir, const char *keep,
    const struct rt_proj_file *f, size_t n)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *s = de->d_name;

		if (!strcmp(s, ".") || !strcmp(s, "..") || !strcmp(s, "..data") ||
		    !strcmp(s, keep))
			continue;
		if (strncmp(s, "..", 2) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, s);
			(void)rm_rf(path, NULL);
		} else if (!in_payload(f, n, s)) {
			(void)unlinkat(dfd, s, 0);
		}
	}
	closedir(d);
}

int
rt_proj_write(const char *dir, const struct rt_proj_file *f, size_t n,
    gid_t gid, struct err *err)
{
	char tmpl[PATH_MAX], top[NAME_MAX + 1], *ver;
	struct timespec ts;
	struct tm tm;
	size_t i;
	int dfd, vfd, r = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (snprintf(tmpl, sizeof(tmpl), "%s/..%04d_%02d_%02d_%02d_%02d_%02d."
	    "XXXXXX", dir, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec) >= (int)sizeof(tmpl))
		return err_setx(err, ENAMETOOLONG, "volume %s: path too long",
		    dir);
	if (mkdtemp(tmpl) == NULL)
		return err_set(err, errno, "volume %s: new version", dir);
	ver = strrchr(tmpl, '/') + 1;
	if (chmod(tmpl, 0755) < 0 || (gid != (gid_t)-1 &&
	    chown(tmpl, 0, gid) < 0)) {
		r = err_set(err, errno, "volume %s: chmod", dir);
		goto fail;
	}
	vfd = open(tmpl, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (vfd < 0) {
		r = err_set(err, errno, "open %s", tmpl);
		goto fail;
	}
	for (i = 0; i < n && r == 0; i++)
		if ((r = write_one(vfd, &f[i], gid)) < 0)
			err_set(err, -r, "volume %s: write %s", dir, f[i].path);
	close(vfd);
	if (r < 0)
		goto fail;

	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = err_set(err, errno, "open %s", dir);
		goto fail;
	}
	(void)unlinkat(dfd, "..data_tmp", 0);
	if (symlinkat(ver, dfd, "..data_tmp") < 0 ||
	    renameat(dfd, "..data_tmp", dfd, "..data") < 0) {
		r = err_set(err, errno, "volume %s: swap ..data", dir);
		close(dfd);
		goto fail;
	}
	for (i = 0; i < n && r == 0; i++)
		if ((r = link_top(dfd, top_name(f[i].path, top,
		    sizeof(top)))) < 0)
			err_set(err, -r, "volume %s: link %s", dir, top);
	prune(dfd, dir, ver, f, n);
	close(dfd);
	return r;
fail:
	(void)rm_rf(tmpl, NULL);
	return r;
}
