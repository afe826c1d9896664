/*
 * jsonw: a streaming JSON writer into a struct buf.  Commas and escaping
 * are its business; the caller says what comes next.  A failed append
 * (the buffer's cap) is remembered in w->err and later calls do nothing.
 */
#ifndef PICOLET_JSONW_H
#define PICOLET_JSONW_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"

#define JSONW_MAXDEPTH 32

struct jsonw {
	struct buf *b;
	int depth;
	bool first[JSONW_MAXDEPTH];
	bool after_key;
	int err;
};

void jw_init(struct jsonw *w, struct buf *b);
void jw_obj(struct jsonw *w);		/* { */
void jw_obj_end(struct jsonw *w);	/* } */
void jw_arr(struct jsonw *w);		/* [ */
void jw_arr_end(struct jsonw *w);	/* ] */
void jw_key(struct jsonw *w, const char *k);
void jw_str(struct jsonw *w, const char *s);	/* NULL writes null */
void jw_strn(struct jsonw *w, const char *s, size_t n);
void jw_int(struct jsonw *w, int64_t v);
void jw_bool(struct jsonw *w, bool v);
void jw_null(struct jsonw *w);

/* key + value shorthands */
void jw_kstr(struct jsonw *w, const char *k, const char *v);
void jw_kint(struct jsonw *w, const char *k, int64_t v);
void jw_kbool(struct jsonw *w, const char *k, bool v);
/* key + RFC 3339 time (seconds), or null when ns == 0 */
void jw_ktime(struct jsonw *w, const char *k, int64_t ns);

#endif
