/*
 * logparse: one CRI log record, "<RFC3339Nano> stdout|stderr F|P <text>",
 * split in place (no copies, no allocation).  Strict, because the input is
 * a file on disk anyone with root could have edited: the timestamp is
 * checked field by field (fraction of 1-9 digits optional, "Z" or a
 * +hh:mm offset, as Go's RFC3339Nano prints), the stream and the tag must
 * be exactly one of the known words, and the text must not hold a newline.
 * The space after the tag is required even for an empty line, as kubelet
 * requires it.
 */
#include <errno.h>
#include <string.h>

#include "runtime/rt.h"

/* n digits at p, value in [lo, hi]; returns the end or NULL. */
static const char *
digits(const char *p, const char *end, int n, int lo, int hi)
{
	int v = 0, i;

	if (end - p < n)
		return NULL;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return NULL;
		v = v * 10 + (p[i] - '0');
	}
	return v < lo || v > hi ? NULL : p + n;
}

static const char *
lit(const char *p, const char *end, char c)
{
	return p != NULL && p < end && *p == c ? p + 1 : NULL;
}

/* Returns the end of the timestamp at p, or NULL. */
static const char *
timestamp(const char *p, const char *end)
{
	int i;

	p = digits(p, end, 4, 0, 9999);
	p = lit(p, end, '-');
	p = p ? digits(p, end, 2, 1, 12) : NULL;
	p = lit(p, end, '-');
	p = p ? digits(p, end, 2, 1, 31) : NULL;
	p = lit(p, end, 'T');
	p = p ? digits(p, end, 2, 0, 23) : NULL;
	p = lit(p, end, ':');
	p = p ? digits(p, end, 2, 0, 59) : NULL;
	p = lit(p, end, ':');
	p = p ? digits(p, end, 2, 0, 60) : NULL;	/* leap second */
	if (p == NULL || p == end)
		return NULL;
	if (*p == '.') {
		for (i = 0, p++; i < 9 && p < end && *p >= '0' && *p <= '9';
		    i++, p++)
			;
		if (i == 0)
			return NULL;
	}
	if (p < end && *p == 'Z')
		return p + 1;
	if (p == end || (*p != '+' && *p != '-'))
		return NULL;
	p = digits(p + 1, end, 2, 0, 23);
	p = lit(p, end, ':');
	return p ? digits(p, end, 2, 0, 59) : NULL;
}

int
rt_log_parse(const char *line, size_t len, struct rt_logrec *rec)
{
	const char *end = line + len, *p;

	if (line == NULL)
		return -EINVAL;
	p = timestamp(line, end);
	if (p == NULL || end - p < 10 || *p != ' ')
		return -EINVAL;
	rec->ts = line;
	rec->tslen = (size_t)(p - line);
	p++;
	if (memcmp(p, "stdout ", 7) == 0)
		rec->stream = RT_STDOUT;
	else if (memcmp(p, "stderr ", 7) == 0)
		rec->stream = RT_STDERR;
	else
		return -EINVAL;
	p += 7;
	if ((*p != 'F' && *p != 'P') || p[1] != ' ')
		return -EINVAL;
	rec->partial = *p == 'P';
	p += 2;
	if (memchr(p, '\n', (size_t)(end - p)) != NULL)
		return -EINVAL;
	rec->msg = p;
	rec->msglen = (size_t)(end - p);
	return 0;
}
