/* jsonw: streaming JSON writer; escaping per RFC 8259. */
#include <stdio.h>
#include <errno.h>
#include <string.h>

#include "lib/jsonw.h"
#include "lib/util.h"

void
jw_init(struct jsonw *w, struct buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->first[0] = true;
}

static void
put(struct jsonw *w, const char *s, size_t n)
{
	if (w->err == 0)
		w->err = buf_append(w->b, s, n);
}

/* Separator before a value or key at the current depth. */
static void
sep(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = false;
}

static void
open_(struct jsonw *w, const char *c)
{
	sep(w);
	put(w, c, 1);
	if (w->depth + 1 >= JSONW_MAXDEPTH) {
		w->err = -E2BIG;
		return;
	}
	w->first[++w->depth] = true;
}

static void
close_(struct jsonw *w, const char *c)
{
	put(w, c, 1);
	if (w->depth > 0)
		w->depth--;
}

void jw_obj(struct jsonw *w) { open_(w, "{"); }
void jw_obj_end(struct jsonw *w) { close_(w, "}"); }
void jw_arr(struct jsonw *w) { open_(w, "["); }
void jw_arr_end(struct jsonw *w) { close_(w, "]"); }

static void
quote(struct jsonw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, start = 0;
	char esc[7];

	put(w, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = NULL;

		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				esc[6] = '\0';
				e = esc;
			}
		}
		if (e == NULL)
			continue;
		put(w, s + start, i - start);
		put(w, e, strlen(e));
		start = i + 1;
	}
	put(w, s + start, n - start);
	put(w, "\"", 1);
}

void
jw_key(struct jsonw *w, const char *k)
{
	sep(w);
	quote(w, k, strlen(k));
	put(w, ":", 1);
	w->after_key = true;
}

void
jw_strn(struct jsonw *w, const char *s, size_t n)
{
	sep(w);
	quote(w, s, n);
}

void
jw_str(struct jsonw *w, const char *s)
{
	if (s == NULL)
		jw_null(w);
	else
		jw_strn(w, s, strlen(s));
}

void
jw_int(struct jsonw *w, int64_t v)
{
	char tmp[24];

	sep(w);
	put(w, tmp, (size_t)snprintf(tmp, sizeof(tmp), "%lld", (long long)v));
}

void
jw_bool(struct jsonw *w, bool v)
{
	sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void
jw_null(struct jsonw *w)
{
	sep(w);
	put(w, "null", 4);
}

void jw_kstr(struct jsonw *w, const char *k, const char *v)
{ jw_key(w, k); jw_str(w, v); }
void jw_kint(struct jsonw *w, const char *k, int64_t v)
{ jw_key(w, k); jw_int(w, v); }
void jw_kbool(struct jsonw *w, const char *k, bool v)
{ jw_key(w, k); jw_bool(w, v); }

void
jw_ktime(struct jsonw *w, const char *k, int64_t ns)
{
	char t[40];

	jw_key(w, k);
	if (ns == 0) {
		jw_null(w);
		return;
	}
	time_fmt_rfc3339(ns, 0, t, sizeof(t));
	jw_str(w, t);
}
