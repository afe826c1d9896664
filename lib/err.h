/*
 * err: the one error convention.  Functions return int: >= 0 on success,
 * -errno on failure.  Where a message helps, a last `struct err *` argument
 * (fixed size, on the caller's stack) carries "context: cause".  Library
 * folders fill it and return; only core/ logs.
 */
#ifndef PICOLET_ERR_H
#define PICOLET_ERR_H

#include <stddef.h>

struct err {
	char msg[512];
};

/* Format the message and append ": strerror(errnum)"; returns -errnum. */
int err_set(struct err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Format the message only (no strerror); returns -errnum. */
int err_setx(struct err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepend "context: " to the message already there. */
void err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
