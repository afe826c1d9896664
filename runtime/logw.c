/*
 * logw: the shim's CRI log writer.  The workload's stdout and stderr become
 * records "<RFC3339Nano> stdout|stderr F|P <text>\n" in <dir>/<restart>.log,
 * as kubelet reads them.  Each record is one writev on an O_APPEND fd, so a
 * reader never sees half a record from us.  Lines longer than
 * RT_LOG_LINE_MAX become P records closed by an F record; a partial line
 * waits in a per-stream buffer until its newline (or EOF).
 *
 * A full disk must not kill the shim (the workload would lose its pipe and
 * get SIGPIPE): a failed write is counted in dropped and forgotten.
 * Rotation is by size and only touches files named after this restart.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/rt.h"

static const char *const stream_name[2] = { "stdout", "stderr" };

static void
cur_name(const struct rt_logw *w, char *buf, size_t len)
{
	snprintf(buf, len, "%d.log", w->restart);
}

static int
open_cur(struct rt_logw *w)
{
	char name[32];
	struct stat st;
	int fd;

	cur_name(w, name, sizeof(name));
	fd = openat(w->dirfd, name,
	    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -errno;
	}
	w->fd = fd;
	w->size = st.st_size;
	return 0;
}

int
rt_logw_open(struct rt_logw *w, const char *dir, int restart,
    int64_t max_size, int max_files, struct err *err)
{
	char name[32];
	int r;

	memset(w->partlen, 0, sizeof(w->partlen));
	w->fd = w->dirfd = -1;
	w->restart = restart;
	w->max_size = max_size;
	w->max_files = max_files < 1 ? 1 : max_files;
	w->size = 0;
	w->dropped = 0;
	if (restart < 0)
		return err_setx(err, EINVAL, "log restart count %d", restart);
	if ((r = mkdir_p(dir, 0755, err)) < 0)
		return r;
	w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0)
		return err_set(err, errno, "open %s", dir);
	if ((r = open_cur(w)) < 0) {
		cur_name(w, name, sizeof(name));
		close(w->dirfd);
		w->dirfd = -1;
		return err_set(err, -r, "open %s/%s", dir, name);
	}
	return 0;
}

/* A rotated file of ours: "<restart>.log.YYYYMMDD-HHMMSS[.N]"; *n = N. */
static int
rotated_match(const char *name, const char *cur, long *n)
{
	size_t cl = strlen(cur);
	const char *p;
	char *end;
	int i;

	if (strncmp(name, cur, cl) != 0 || name[cl] != '.')
		return 0;
	p = name + cl + 1;
	for (i = 0; i < 15; i++) {
		if (i == 8 ? p[i] != '-' : (p[i] < '0' || p[i] > '9'))
			return 0;
	}
	p += 15;
	*n = 0;
	if (*p == '\0')
		return 1;
	if (*p != '.' || p[1] < '1' || p[1] > '9')
		return 0;
	errno = 0;
	*n = strtol(p + 1, &end, 10);
	return *end == '\0' && errno == 0;
}

struct rotated {
	char *name;
	long n;
};

static int
rotated_cmp(const void *a, const void *b)
{
	const struct rotated *x = a, *y = b;
	/* The timestamp part has fixed width: compare it, then N. */
	int c = strncmp(x->name, y->name, strcspn(x->name, ".") + 20);

	if (c != 0)
		return c;
	return (x->n > y->n) - (x->n < y->n);
}

/* This restart's rotated files, oldest first; returns the count. */
static size_t
scan(struct rt_logw *w, struct rotated **out)
{
	struct rotated *v = NULL;
	size_t nv = 0, cap = 0;
	struct dirent *de;
	char cur[32];
	DIR *d;
	long n;
	int fd;

	*out = NULL;
	fd = openat(w->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	cur_name(w, cur, sizeof(cur));
	while ((de = readdir(d)) != NULL) {
		if (!rotated_match(de->d_name, cur, &n))
			continue;
		if (nv == cap) {
			cap = cap ? cap * 2 : 8;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[nv].name = xstrdup(de->d_name);
		v[nv++].n = n;
	}
	closedir(d);
	if (nv > 0)
		qsort(v, nv, sizeof(*v), rotated_cmp);
	*out = v;
	return nv;
}

static void
free_rotated(struct rotated *v, size_t nv)
{
	size_t i;

	for (i = 0; i < nv; i++)
		free(v[i].name);
	free(v);
}

/*
 * The name to rotate to.  Within one second the suffix grows past every
 * file of that second still there, so the newest always sorts last even
 * after the oldest were pruned.
 */
static int
rotated_name(struct rt_logw *w, const char *stamp, char *to, size_t len)
{
	struct rotated *v;
	size_t nv, i;
	long next = 0;
	char base[64];
	int n;

	n = snprintf(base, sizeof(base), "%d.log.%s", w->restart, stamp);
	if (n < 0 || (size_t)n >= sizeof(base))
		return -ENAMETOOLONG;
	nv = scan(w, &v);
	for (i = 0; i < nv; i++)
		if (strncmp(v[i].name, base, (size_t)n) == 0 &&
		    v[i].n >= next)
			next = v[i].n + 1;
	free_rotated(v, nv);
	if (next == 0)
		n = snprintf(to, len, "%s", base);
	else
		n = snprintf(to, len, "%s.%ld", base, next);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Delete the oldest rotated files beyond max_files - 1. */
static void
prune(struct rt_logw *w)
{
	struct rotated *v;
	size_t nv, keep, i;

	nv = scan(w, &v);
	keep = (size_t)(w->max_files - 1);
	for (i = 0; i + keep < nv; i++)
		unlinkat(w->dirfd, v[i].name, 0);
	free_rotated(v, nv);
}

/*
 * Rename the current file aside and start a new one.  On failure the old
 * file stays current and grows past max_size: better than losing lines.
 */
static void
rotate(struct rt_logw *w)
{
	char cur[32], to[96], stamp[24];
	time_t now = (time_t)(time_now_ns() / 1000000000);
	struct stat st;
	struct tm tm;

	cur_name(w, cur, sizeof(cur));
	gmtime_r(&now, &tm);
	if (strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm) == 0 ||
	    rotated_name(w, stamp, to, sizeof(to)) < 0)
		return;
	/* Never overwrite: a file there we did not list is not ours. */
	if (fstatat(w->dirfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT)
		return;
	if (renameat(w->dirfd, cur, w->dirfd, to) < 0)
		return;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->size = 0;
	prune(w);
}

/* Write one record; text may be empty. */
static int
emit(struct rt_logw *w, enum rt_stream s, bool partial, const char *text,
    size_t len)
{
	char hdr[64], ts[40];
	struct iovec iov[3];
	size_t total;
	ssize_t r;
	int n;

	time_fmt_rfc3339(time_now_ns(), 1, ts, sizeof(ts));
	n = snprintf(hdr, sizeof(hdr), "%s %s %c ", ts, stream_name[s],
	    partial ? 'P' : 'F');
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return -EINVAL;
	total = (size_t)n + len + 1;
	if (w->max_size > 0 && w->size > 0 &&
	    w->size + (int64_t)total > w->max_size)
		rotate(w);
	if (w->fd < 0 && open_cur(w) < 0) {
		w->dropped += total;
		return -EIO;
	}
	iov[0] = (struct iovec){ hdr, (size_t)n };
	iov[1] = (struct iovec){ (void *)(uintptr_t)text, len };
	iov[2] = (struct iovec){ "\n", 1 };
	do
		r = writev(w->fd, iov, 3);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		w->dropped += total;
		return -errno;
	}
	/* A short write on a regular file means the disk filled up: the
	 * tail is lost, and the next record starts on a fresh line. */
	w->size += r;
	if ((size_t)r < total) {
		w->dropped += total - (size_t)r;
		if (write(w->fd, "\n", 1) == 1)
			w->size++;
		return -ENOSPC;
	}
	return 0;
}

int
rt_logw_write(struct rt_logw *w, enum rt_stream s, const char *data,
    size_t n)
{
	char *part = w->part[s];
	size_t *plen = &w->partlen[s], len, k;
	const char *nl;
	int r, ret = 0;

	while (n > 0) {
		nl = memchr(data, '\n', n);
		len = nl ? (size_t)(nl - data) : n;
		n -= len;
		while (len > 0) {
			/* Only a full buffer followed by more text makes a P:
			 * a line of exactly RT_LOG_LINE_MAX is one F. */
			if (*plen == RT_LOG_LINE_MAX) {
				if ((r = emit(w, s, true, part, *plen)) < 0)
					ret = r;
				*plen = 0;
			}
			k = MIN(len, RT_LOG_LINE_MAX - *plen);
			memcpy(part + *plen, data, k);
			*plen += k;
			data += k;
			len -= k;
		}
		if (nl) {
			if ((r = emit(w, s, false, part, *plen)) < 0)
				ret = r;
			*plen = 0;
			data++;
			n--;
		}
	}
	return ret;
}

int
rt_logw_flush(struct rt_logw *w, enum rt_stream s)
{
	int r;

	if (w->partlen[s] == 0)
		return 0;
	r = emit(w, s, false, w->part[s], w->partlen[s]);
	w->partlen[s] = 0;
	return r;
}

void
rt_logw_close(struct rt_logw *w)
{
	if (w->dirfd >= 0) {
		rt_logw_flush(w, RT_STDOUT);
		rt_logw_flush(w, RT_STDERR);
	}
	if (w->fd >= 0)
		close(w->fd);
	if (w->dirfd >= 0)
		close(w->dirfd);
	w->fd = w->dirfd = -1;
}
