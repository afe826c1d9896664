/* err: formatting of the error messages carried by struct err. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"

static int vset(struct err *, int, int, const char *, va_list)
	__attribute__((format(printf, 4, 0)));

static int
vset(struct err *e, int errnum, int with_cause, const char *fmt, va_list ap)
{
	size_t n;

	if (errnum < 0)
		errnum = -errnum;
	if (e == NULL)
		return -errnum;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	n = strlen(e->msg);
	if (with_cause && n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(errnum));
	return -errnum;
}

int
err_set(struct err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vset(e, errnum, 1, fmt, ap);
	va_end(ap);
	return r;
}

int
err_setx(struct err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vset(e, errnum, 0, fmt, ap);
	va_end(ap);
	return r;
}

void
err_prefix(struct err *e, const char *fmt, ...)
{
	char old[sizeof(e->msg)];
	size_t n, m;
	va_list ap;

	if (e == NULL)
		return;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	if (n + 2 >= sizeof(e->msg))
		return;
	memcpy(e->msg + n, ": ", 2);
	n += 2;
	m = strnlen(old, sizeof(old) - 1);
	if (m > sizeof(e->msg) - 1 - n)
		m = sizeof(e->msg) - 1 - n;
	memcpy(e->msg + n, old, m);
	e->msg[n + m] = '\0';
}
