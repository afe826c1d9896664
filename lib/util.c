/* util: allocation, string vectors, files and time. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

static void
oom(size_t n)
{
	fprintf(stderr, "out of memory allocating %zu bytes\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *
xstrdup(const char *s)
{
	return s == NULL ? NULL : xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	return p;
}

size_t
strv_len(char *const *v)
{
	size_t n = 0;

	if (v != NULL)
		while (v[n] != NULL)
			n++;
	return n;
}

char **
strv_dup(char *const *v)
{
	size_t i, n;
	char **d;

	if (v == NULL)
		return NULL;
	n = strv_len(v);
	d = xcalloc(n + 1, sizeof(*d));
	for (i = 0; i < n; i++)
		d[i] = xstrdup(v[i]);
	return d;
}

void
strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

void
strv_push(char ***v, const char *s)
{
	size_t n = strv_len(*v);

	*v = xrealloc(*v, (n + 2) * sizeof(**v));
	(*v)[n] = xstrdup(s);
	(*v)[n + 1] = NULL;
}

int
read_file(const char *path, size_t max, char **out, size_t *len,
    struct err *err)
{
	size_t cap = 4096, n = 0;
	char *p = NULL;
	ssize_t r;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_set(err, errno, "open %s", path);
	p = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			if (cap > max + 1) {
				e = err_setx(err, EFBIG,
				    "%s: larger than %zu bytes", path, max);
				goto fail;
			}
			cap *= 2;
			p = xrealloc(p, cap);
		}
		r = read(fd, p + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = err_set(err, errno, "read %s", path);
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			e = err_setx(err, EFBIG, "%s: larger than %zu bytes",
			    path, max);
			goto fail;
		}
	}
	close(fd);
	p[n] = '\0';
	*out = p;
	if (len != NULL)
		*len = n;
	return 0;
fail:
	close(fd);
	free(p);
	return e;
}

int
mkdir_p(const char *path, mode_t mode, struct err *err)
{
	char tmp[4096], *s;
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return err_setx(err, ENAMETOOLONG, "mkdir %s: bad path", path);
	memcpy(tmp, path, n + 1);
	for (s = tmp + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return err_set(err, errno, "mkdir %s", tmp);
		*s = c;
		if (c == '\0')
			break;
	}
	return 0;
}

static int
rm_at(int dirfd, const char *name, dev_t dev, struct err *err)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, r = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_set(err, errno, "stat %s",
		    name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return err_set(err, errno, "unlink %s", name);
		return 0;
	}
	if (st.st_dev != dev)
		return err_setx(err, EXDEV, "%s: a mount point, not removed",
		    name);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return err_set(err, errno, "open %s", name);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return err_set(err, errno, "opendir %s", name);
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		r = rm_at(fd, de->d_name, dev, err);
	}
	closedir(d);
	if (r == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 &&
	    errno != ENOENT)
		r = err_set(err, errno, "rmdir %s", name);
	return r;
}

int
rm_rf(const char *path, struct err *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_set(err, errno, "stat %s",
		    path);
	return rm_at(AT_FDCWD, path, st.st_dev, err);
}

int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t r;

	while (len > 0) {
		r = write(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int64_t
time_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
time_fmt_rfc3339(int64_t ns, int nano, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;
	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (nano)
		snprintf(buf + n, len - n, ".%09ldZ",
		    (long)(ns % 1000000000));
	else
		snprintf(buf + n, len - n, "Z");
}

int
write_replace(const char *path, const void *data, size_t len, mode_t mode,
    struct err *err)
{
	char tmp[4200];
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return err_setx(err, ENAMETOOLONG, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    mode);
	if (fd < 0)
		return err_set(err, errno, "open %s", tmp);
	if ((r = write_all(fd, data, len)) < 0) {
		close(fd);
		unlink(tmp);
		return err_set(err, -r, "write %s", tmp);
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		r = err_set(err, errno, "rename %s", tmp);
		unlink(tmp);
		return r;
	}
	return 0;
}
