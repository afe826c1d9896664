/*
 * json: a small, bounded JSON parser into a tree, for outside input
 * (image configs and manifests, registry replies, picolet's own API as
 * read by picoctl).  Strict RFC 8259: no comments, no trailing commas,
 * UTF-8 validated, \u escapes (with surrogate pairs) decoded, NUL in
 * strings refused, nesting limited to JSON_MAXDEPTH.
 */
#ifndef PICOLET_JSON_H
#define PICOLET_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define JSON_MAXDEPTH 64

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUM,
	JSON_STR,
	JSON_ARR,
	JSON_OBJ,
};

/* A node owns its key, its string, its children and its next siblings. */
struct json {
	enum json_type type;
	char *key;		/* member name when the parent is an object */
	bool b;
	double num;
	int64_t i;		/* exact when is_int */
	bool is_int;
	char *s;		/* JSON_STR, NUL-terminated */
	size_t slen;
	struct json *child;	/* first element / member */
	struct json *next;
	size_t n;		/* number of children */
};

/* Parse exactly one JSON value (surrounding whitespace allowed).  On a
 * syntax error err says "offset N: what was expected" and -EINVAL. */
int json_parse(const char *s, size_t len, struct json **out, struct err *err);
void json_free(struct json *j);

/* Lookups; NULL (or the fallback) when absent or of another type. */
const struct json *json_get(const struct json *obj, const char *key);
const struct json *json_at(const struct json *arr, size_t i);
const char *json_get_str(const struct json *obj, const char *key);
int64_t json_get_int(const struct json *obj, const char *key, int64_t dflt);
bool json_get_bool(const struct json *obj, const char *key, bool dflt);
/* Dotted path through objects: json_path(j, "status.phase"). */
const struct json *json_path(const struct json *j, const char *path);

#endif
