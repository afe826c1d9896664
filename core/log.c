/* log: timestamped lines on stderr, filtered by level. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "lib/util.h"

static enum log_level level = LOG_INFO;
static const char *names[] = { "debug", "info", "warn", "error" };

void
log_set_level(enum log_level l)
{
	level = l;
}

int
log_level_parse(const char *s, enum log_level *l)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (strcmp(s, names[i]) == 0) {
			*l = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void
log_msg(enum log_level l, const char *fmt, ...)
{
	char ts[40], line[2048];
	va_list ap;
	int n;

	if (l < level)
		return;
	time_fmt_rfc3339(time_now_ns(), 0, ts, sizeof(ts));
	n = snprintf(line, sizeof(line), "%s %s ", ts, names[l]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line, so lines from a forked child never interleave. */
	fprintf(stderr, "%s\n", line);
}
