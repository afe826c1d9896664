/*
 * util: small helpers every folder uses.  Allocation failure aborts (as
 * redis' zmalloc does): on a device with overcommit a NULL from malloc is
 * rare and nothing sensible can follow it; everything else returns -errno.
 */
#ifndef PICOLET_UTIL_H
#define PICOLET_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>

#include "lib/err.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);		/* xstrdup(NULL) == NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* NULL-terminated string vectors. */
size_t strv_len(char *const *v);
char **strv_dup(char *const *v);	/* strv_dup(NULL) == NULL */
void strv_free(char **v);
void strv_push(char ***v, const char *s);	/* copies s */

/* Whole file into a NUL-terminated buffer; -EFBIG past max bytes. */
int read_file(const char *path, size_t max, char **out, size_t *len,
	struct err *err);
/* mkdir -p; existing directories are fine. */
int mkdir_p(const char *path, mode_t mode, struct err *err);
/* rm -rf without following symlinks or crossing mount points. */
int rm_rf(const char *path, struct err *err);
/*
 * Replace path with data: a temp file renamed over it, so a reader sees
 * the old or the new whole.  No fsync: for the run dir, a tmpfs, where a
 * power cut loses everything anyway (durable state: store_write_atomic).
 */
int write_replace(const char *path, const void *data, size_t len,
	mode_t mode, struct err *err);
/* Write all of buf, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);

/* Wall clock in nanoseconds since the epoch. */
int64_t time_now_ns(void);
/* "2006-01-02T15:04:05Z" (nano=0) or "...05.123456789Z" (nano=1). */
void time_fmt_rfc3339(int64_t ns, int nano, char *buf, size_t len);

#endif
