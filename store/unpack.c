/*
 * unpack: one layer tar into one directory, the lower dir overlayfs will
 * stack.  The archive is hostile until proven otherwise: every path is
 * walked component by component from the layer's root with O_NOFOLLOW,
 * so "..", absolute names and writes through a symlink (even one the
 * same layer planted a moment ago) are refused, and nothing outside the
 * layer dir can be touched.  Missing parents are created, as the layer
 * may rely on directories of lower layers.  Whiteouts become what
 * overlayfs reads: ".wh.x" a 0/0 char device, ".wh..wh..opq" the
 * trusted.overlay.opaque xattr.  Directory modes and mtimes are applied
 * last, so a read-only directory does not stop its own entries and
 * creating entries does not bump an mtime already set.  Writeback of a
 * big file is started every MiB, so the commit's syncfs finds little
 * left to write.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/util.h"
#include "store/store.h"

#define WH	".wh."
#define OPQ	".wh..wh..opq"
#define FLUSH	(1 << 20)	/* start writeback every MiB */

struct dirmeta {
	char *path;
	mode_t mode;
	struct timespec ts[2];
};

struct unpack {
	int root;		/* fd of the layer dir */
	const char *dir;
	struct dirmeta *dirs;
	size_t ndirs;
	bool root_user;
};

/* "./a//b/" -> "a/b"; NULL for "..", absolute names or nothing left. */
static char *
clean(const char *name)
{
	char *out = xmalloc(strlen(name) + 1), *o = out;
	const char *p = name, *c;
	size_t n;

	if (name[0] == '/')
		goto bad;
	while (*p != '\0') {
		c = p;
		n = strcspn(p, "/");
		p += n;
		while (*p == '/')
			p++;
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.')
			goto bad;
		if (o != out)
			*o++ = '/';
		memcpy(o, c, n);
		o += n;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

/* Open the directory holding path's last component; create missing ones
 * when mk.  *base points into path at that component. */
static int
open_parent(struct unpack *u, char *path, const char **base, bool mk,
    struct err *err)
{
	char *slash, *c = path;
	int fd, nfd;

	if ((fd = dup(u->root)) < 0)
		return err_set(err, errno, "dup");
	while ((slash = strchr(c, '/')) != NULL) {
		*slash = '\0';
		nfd = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && mk) {
			if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST)
				nfd = -1;
			else
				nfd = openat(fd, c, O_RDONLY | O_DIRECTORY |
				    O_NOFOLLOW | O_CLOEXEC);
		}
		*slash = '/';
		if (nfd < 0) {
			int e = errno;

			close(fd);
			if (e == ELOOP || e == ENOTDIR)
				return err_setx(err, EINVAL, "a parent is a "
				    "symlink or not a directory");
			return err_set(err, e, "open parent");
		}
		close(fd);
		fd = nfd;
		c = slash + 1;
	}
	*base = c;
	return fd;
}

/* rm -rf of name in dirfd, never following a symlink. */
static int
remove_at(int pfd, const char *name, struct err *err)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, r = 0;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_set(err, errno, "stat");
	if (!S_ISDIR(st.st_mode))
		return unlinkat(pfd, name, 0) < 0 ?
		    err_set(err, errno, "unlink") : 0;
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return err_set(err, errno, "open");
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return err_set(err, errno, "opendir");
	}
	while (r == 0 && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			r = remove_at(dirfd(d), de->d_name, err);
	closedir(d);
	if (r == 0 && unlinkat(pfd, name, AT_REMOVEDIR) < 0)
		r = err_set(err, errno, "rmdir");
	return r;
}

/* Make room for a new entry: a directory stays for a directory. */
static int
make_room(int pfd, const char *base, bool is_dir, struct err *err)
{
	struct stat st;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_set(err, errno, "stat");
	if (S_ISDIR(st.st_mode) && is_dir)
		return 1;
	return remove_at(pfd, base, err);
}

static int
write_file(struct store_tar *t, int pfd, const char *base,
    const struct store_tar_entry *e, struct err *err)
{
	char buf[65536];
	off_t done = 0, flushed = 0;
	ssize_t n;
	int fd, r = 0;

	fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(err, errno, "create");
	while ((n = store_tar_read(t, buf, sizeof(buf), err)) > 0) {
		if ((r = write_all(fd, buf, (size_t)n)) < 0) {
			r = err_set(err, -r, "write");
			break;
		}
		/* a big file goes to disk while we go on, not all at the
		 * commit's syncfs */
		if ((done += n) - flushed >= FLUSH) {
			(void)sync_file_range(fd, flushed, done - flushed,
			    SYNC_FILE_RANGE_WRITE);
			flushed = done;
		}
	}
	if (n < 0)
		r = (int)n;
	if (close(fd) < 0 && r == 0)
		r = err_set(err, errno, "close");
	return r;
}

static int
set_xattrs(int pfd, const char *base, const struct store_tar_entry *e,
    struct err *err)
{
	int fd, r = 0;
	size_t i;

	if (e->nxattrs == 0 || (e->type != '0' && e->type != '5'))
		return 0;
	fd = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, errno, "open for xattrs");
	for (i = 0; i < e->nxattrs && r == 0; i++)
		/* overlayfs' own xattrs are ours to set, never a layer's */
		if (strncmp(e->xattrs[i].name, "trusted.overlay.", 16) != 0 &&
		    fsetxattr(fd, e->xattrs[i].name, e->xattrs[i].value,
		    e->xattrs[i].len, 0) < 0 && errno != EOPNOTSUPP &&
		    errno != ENOTSUP && errno != EPERM)
			r = err_set(err, errno, "setxattr %s",
			    e->xattrs[i].name);
	close(fd);
	return r;
}

/* Owner, xattrs, mode, mtime: chown first as it clears setuid bits and
 * file capabilities. */
static int
set_meta(struct unpack *u, int pfd, const char *base, const char *path,
    const struct store_tar_entry *e, struct err *err)
{
	struct timespec ts[2];
	int r;

	if (fchownat(pfd, base, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0 &&
	    (u->root_user || errno != EPERM))
		return err_set(err, errno, "chown");
	if ((r = set_xattrs(pfd, base, e, err)) < 0)
		return r;
	ts[0].tv_sec = ts[1].tv_sec = (time_t)e->mtime_sec;
	ts[0].tv_nsec = ts[1].tv_nsec = e->mtime_nsec;
	if (e->type == '5') {
		u->dirs = xrealloc(u->dirs, (u->ndirs + 1) * sizeof(*u->dirs));
		u->dirs[u->ndirs].path = xstrdup(path);
		u->dirs[u->ndirs].mode = e->mode;
		memcpy(u->dirs[u->ndirs].ts, ts, sizeof(ts));
		u->ndirs++;
		return 0;
	}
	if (e->type != '2' && fchmodat(pfd, base, e->mode, 0) < 0)
		return err_set(err, errno, "chmod");
	if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return err_set(err, errno, "utimensat");
	return 0;
}

static int
hardlink(struct unpack *u, int pfd, const char *base,
    const struct store_tar_entry *e, struct err *err)
{
	char *target = clean(e->linkname);
	const char *tbase;
	int tfd, r = 0;

	if (target == NULL || target[0] == '\0') {
		free(target);
		return err_setx(err, EINVAL, "hard link target %s outside "
		    "the layer", e->linkname);
	}
	if ((tfd = open_parent(u, target, &tbase, false, err)) < 0) {
		free(target);
		return tfd;
	}
	if (linkat(tfd, tbase, pfd, base, 0) < 0)
		r = errno == ENOENT ? err_setx(err, EINVAL, "hard link target "
		    "%s not in the layer", e->linkname) :
		    err_set(err, errno, "link to %s", e->linkname);
	close(tfd);
	free(target);
	return r;
}

static int
whiteout(int pfd, const char *base, struct err *err)
{
	const char *name = base + strlen(WH);
	int r;

	/* the opaque marker's parent is the dir open_parent gave us */
	if (strcmp(base, OPQ) == 0)
		return fsetxattr(pfd, "trusted.overlay.opaque", "y", 1, 0) < 0 ?
		    err_set(err, errno, "setxattr trusted.overlay.opaque") : 0;
	if (name[0] == '\0' || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return err_setx(err, EINVAL, "bad whiteout");
	/* aufs' own metadata (.wh..wh.plnk and the like): not for overlay */
	if (strncmp(name, WH, strlen(WH)) == 0)
		return 0;
	if ((r = remove_at(pfd, name, err)) < 0)
		return r;
	if (mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
		return err_set(err, errno, "mknod whiteout");
	return 0;
}

static int
create(struct unpack *u, struct store_tar *t, int pfd, const char *base,
    const struct store_tar_entry *e, struct err *err)
{
	mode_t fmt;

	switch (e->type) {
	case '0':
		return write_file(t, pfd, base, e, err);
	case '1':
		return hardlink(u, pfd, base, e, err);
	case '2':
		if (symlinkat(e->linkname, pfd, base) < 0)
			return err_set(err, errno, "symlink");
		return 0;
	case '5':
		if (mkdirat(pfd, base, 0755) < 0)
			return err_set(err, errno, "mkdir");
		return 0;
	case '3':
	case '4':
	case '6':
		fmt = e->type == '3' ? S_IFCHR : e->type == '4' ? S_IFBLK :
		    S_IFIFO;
		if (mknodat(pfd, base, fmt | (e->mode & 0777),
		    makedev(e->devmajor, e->devminor)) < 0)
			return err_set(err, errno, "mknod");
		return 0;
	default:
		return err_setx(err, EINVAL, "unsupported type '%c'", e->type);
	}
}

static int
entry(struct unpack *u, struct store_tar *t, struct store_tar_entry *e,
    struct err *err)
{
	const char *base;
	char *path = clean(e->name);
	int pfd, r;

	if (path == NULL) {
		r = err_setx(err, EINVAL, "path outside the layer");
		goto out;
	}
	if (path[0] == '\0') {
		r = 0;		/* the layer root itself */
		goto out;
	}
	if ((pfd = r = open_parent(u, path, &base, true, err)) < 0)
		goto out;
	if (strncmp(base, WH, strlen(WH)) == 0)
		r = whiteout(pfd, base, err);
	else if ((r = make_room(pfd, base, e->type == '5', err)) == 0 ||
	    (r == 1 && e->type == '5')) {
		if (r == 0)
			r = create(u, t, pfd, base, e, err);
		if (r >= 0 && e->type != '1')
			r = set_meta(u, pfd, base, path, e, err);
	}
	close(pfd);
out:
	free(path);
	if (r < 0)
		err_prefix(err, "layer entry %s", e->name);
	return r;
}

static int
finish_dirs(struct unpack *u, struct err *err)
{
	const char *base;
	struct stat st;
	size_t i;
	int pfd, r = 0;

	/* Later entries may have replaced a directory (or its parent) by a
	 * symlink: walk again without following, skip what is gone. */
	for (i = u->ndirs; i-- > 0 && r == 0;) {
		char *p = u->dirs[i].path;

		if ((pfd = open_parent(u, p, &base, false, NULL)) < 0)
			continue;
		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode) &&
		    (fchmodat(pfd, base, u->dirs[i].mode, 0) < 0 ||
		    utimensat(pfd, base, u->dirs[i].ts,
		    AT_SYMLINK_NOFOLLOW) < 0))
			r = err_set(err, errno, "layer entry %s: chmod", p);
		close(pfd);
	}
	return r;
}

int
store_layer_unpack_into(struct store_in *in, const char *dir,
    char diffid[72], struct err *err)
{
	struct unpack u = { .dir = dir, .root_user = geteuid() == 0 };
	struct store_tar t;
	struct store_tar_entry *e;
	char buf[4096];
	ssize_t n;
	size_t i;
	int r;

	u.root = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (u.root < 0)
		return err_set(err, errno, "open %s", dir);
	store_tar_init(&t, in);
	while ((r = store_tar_next(&t, &e, err)) > 0)
		if ((r = entry(&u, &t, e, err)) < 0)
			break;
	/* the diffid covers the padding after the end blocks too */
	while (r == 0 && (n = store_in_read(in, buf, sizeof(buf), err)) != 0)
		if (n < 0)
			r = (int)n;
	if (r == 0)
		r = finish_dirs(&u, err);
	if (r == 0 && diffid != NULL)
		store_sha_final(&in->sha, diffid);
	store_tar_free(&t);
	for (i = 0; i < u.ndirs; i++)
		free(u.dirs[i].path);
	free(u.dirs);
	close(u.root);
	return r;
}

int
store_layer_unpack(int fd, const char *dir, char diffid[72],
    struct err *err)
{
	struct store_in in;
	char *tmp = xasprintf("%s.tmp.%d", dir, (int)getpid());
	int r;

	if (access(dir, F_OK) == 0) {
		r = err_setx(err, EEXIST, "unpack %s: exists", dir);
		goto out;
	}
	(void)rm_rf(tmp, NULL);
	if (mkdir(tmp, 0755) < 0) {
		r = err_set(err, errno, "mkdir %s", tmp);
		goto out;
	}
	if ((r = store_in_open_fd(&in, fd, err)) == 0)
		r = store_layer_unpack_into(&in, tmp, diffid, err);
	store_in_close(&in);
	if (r == 0 && rename(tmp, dir) < 0)
		r = err_set(err, errno, "rename %s", dir);
	if (r < 0)
		(void)rm_rf(tmp, NULL);
out:
	free(tmp);
	return r;
}
