/*
 * buf: a growable byte buffer with a hard cap, so nothing that grows with
 * outside input is unbounded.  The data is always NUL-terminated.
 */
#ifndef PICOLET_BUF_H
#define PICOLET_BUF_H

#include <stddef.h>

struct buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;	/* appends past this fail with -ENOSPC */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
int buf_append(struct buf *b, const void *data, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Drop the first n bytes. */
void buf_consume(struct buf *b, size_t n);

#endif
