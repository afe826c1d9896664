/*
 * expand: Kubernetes' $(VAR) expansion in command, args and env values.
 * "$(NAME)" becomes NAME's value when NAME is defined, and stays as it is
 * when not; "$$" is an escaped "$" (so "$$(NAME)" gives "$(NAME)"); a "$"
 * before anything else, and an unclosed "$(", are kept literally.
 */
#include <string.h>

#include "core/expand.h"
#include "lib/buf.h"
#include "lib/util.h"

#define EXPAND_MAX (1024 * 1024)

char *
expand_vars(const char *in, expand_lookup lookup, void *arg)
{
	const char *p = in, *close, *val;
	struct buf b;
	char *out;

	buf_init(&b, EXPAND_MAX);
	while (*p != '\0') {
		if (p[0] != '$') {
			size_t n = strcspn(p, "$");

			buf_append(&b, p, n);
			p += n;
			continue;
		}
		if (p[1] == '$') {
			buf_append(&b, "$", 1);
			p += 2;
			continue;
		}
		if (p[1] != '(' || (close = strchr(p + 2, ')')) == NULL) {
			buf_append(&b, p, 1);
			p++;
			continue;
		}
		val = lookup(arg, p + 2, (size_t)(close - p - 2));
		if (val != NULL)
			buf_puts(&b, val);
		else
			buf_append(&b, p, (size_t)(close - p + 1));
		p = close + 1;
	}
	out = b.p != NULL ? b.p : xstrdup("");
	return out;
}

/* Lookup over a "NAME=value" vector. */
const char *
expand_from_env(void *arg, const char *name, size_t n)
{
	char **env = arg;
	size_t i;

	for (i = strv_len(env); i-- > 0;)
		if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}
