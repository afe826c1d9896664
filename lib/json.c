/*
 * json: a strict recursive-descent parser into a tree.  Input comes from
 * outside (image configs, registry replies), so every rule of RFC 8259 is
 * enforced and nothing grows without a bound: depth is capped at
 * JSON_MAXDEPTH and the tree is never larger than a few nodes per input
 * byte.  Integers that fit int64 are kept exact in i; num is always set.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/util.h"

struct parser {
	const unsigned char *s;
	size_t len;
	size_t pos;
	int depth;
	struct err *err;
};

static int parse_value(struct parser *p, struct json *j);

static int
fail(struct parser *p, const char *what)
{
	return err_setx(p->err, EINVAL, "offset %zu: expected %s", p->pos,
	    what);
}

static void
skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' ||
	    p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
	    p->s[p->pos] == '\r'))
		p->pos++;
}

static int
literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, "a value");
	p->pos += n;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static size_t
utf8_put(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int
hex4(struct parser *p, unsigned *out)
{
	unsigned v = 0;
	int i, c;

	if (p->len - p->pos < 4)
		return fail(p, "4 hex digits");
	for (i = 0; i < 4; i++) {
		c = p->s[p->pos];
		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned)(c - 'A' + 10);
		else
			return fail(p, "a hex digit");
		p->pos++;
	}
	*out = v;
	return 0;
}

static int
escape(struct parser *p, char *o, size_t *olen)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	unsigned cp, lo;
	int r;

	if (p->pos >= p->len)
		return fail(p, "an escape");
	if (p->s[p->pos] != 'u') {
		if (p->s[p->pos] == '\0' ||
		    (e = strchr(from, p->s[p->pos])) == NULL)
			return fail(p, "an escape");
		o[(*olen)++] = to[e - from];
		p->pos++;
		return 0;
	}
	p->pos++;
	if ((r = hex4(p, &cp)) < 0)
		return r;
	if (cp >= 0xdc00 && cp <= 0xdfff) {
		p->pos -= 4;
		return fail(p, "a high surrogate before a low one");
	}
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (p->len - p->pos < 2 || p->s[p->pos] != '\\' ||
		    p->s[p->pos + 1] != 'u')
			return fail(p, "a low surrogate");
		p->pos += 2;
		if ((r = hex4(p, &lo)) < 0)
			return r;
		if (lo < 0xdc00 || lo > 0xdfff) {
			p->pos -= 4;
			return fail(p, "a low surrogate");
		}
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0) {
		p->pos -= 6;
		return fail(p, "no NUL in a string");
	}
	*olen += utf8_put(o + *olen, cp);
	return 0;
}

/* At the opening quote.  The decoded string is never longer than the
 * source, so one allocation of the remaining length bound suffices. */
static int
parse_string(struct parser *p, char **out, size_t *outlen)
{
	size_t start = ++p->pos, end, n = 0, l;
	char *o;
	int r;

	for (end = start; end < p->len && p->s[end] != '"'; end++)
		if (p->s[end] == '\\')
			end++;
	if (end >= p->len) {
		p->pos = p->len;
		return fail(p, "a closing quote");
	}
	o = xmalloc(end - start + 1);
	while (p->s[p->pos] != '"') {
		unsigned char c = p->s[p->pos];

		if (c == '\\') {
			p->pos++;
			if ((r = escape(p, o, &n)) < 0)
				goto bad;
			continue;
		}
		if (c < 0x20) {
			r = fail(p, c == 0 ? "no NUL in a string" :
			    "no control character in a string");
			goto bad;
		}
		if ((l = utf8_len(p->s + p->pos, end - p->pos)) == 0) {
			r = fail(p, "valid UTF-8");
			goto bad;
		}
		memcpy(o + n, p->s + p->pos, l);
		n += l;
		p->pos += l;
	}
	p->pos++;
	o[n] = '\0';
	*out = o;
	*outlen = n;
	return 0;
bad:
	free(o);
	return r;
}

static int
parse_number(struct parser *p, struct json *j)
{
	size_t start = p->pos;
	const unsigned char *s = p->s;
	int frac = 0;
	char tmp[64], *end;

	if (p->pos < p->len && s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9')
		return fail(p, "a digit");
	if (s[p->pos] == '0')
		p->pos++;
	else
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	if (p->pos < p->len && s[p->pos] == '.') {
		frac = 1;
		p->pos++;
		if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9')
			return fail(p, "a digit after '.'");
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
		frac = 1;
		p->pos++;
		if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9')
			return fail(p, "a digit in the exponent");
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	}
	j->type = JSON_NUM;
	if (p->pos - start >= sizeof(tmp)) {
		/* a long literal: strtod needs it terminated, so copy */
		char *big = xstrndup((const char *)s + start, p->pos - start);

		j->num = strtod(big, NULL);
		free(big);
		return 0;
	}
	memcpy(tmp, s + start, p->pos - start);
	tmp[p->pos - start] = '\0';
	j->num = strtod(tmp, NULL);
	if (!frac) {
		errno = 0;
		long long v = strtoll(tmp, &end, 10);
		if (errno == 0 && *end == '\0') {
			j->i = v;
			j->is_int = true;
		}
	}
	return 0;
}

static int
parse_members(struct parser *p, struct json *j, int obj)
{
	struct json **tail = &j->child, *c;
	char close = obj ? '}' : ']';
	size_t klen;
	int r;

	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		c = xcalloc(1, sizeof(*c));
		*tail = c;
		tail = &c->next;
		j->n++;
		if (obj) {
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "a member name");
			if ((r = parse_string(p, &c->key, &klen)) < 0)
				return r;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return fail(p, "':'");
			p->pos++;
		}
		if ((r = parse_value(p, c)) < 0)
			return r;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return 0;
		}
		return fail(p, obj ? "',' or '}'" : "',' or ']'");
	}
}

static int
parse_value(struct parser *p, struct json *j)
{
	int r;

	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "a value");
	switch (p->s[p->pos]) {
	case '{':
	case '[':
		if (++p->depth > JSON_MAXDEPTH)
			return err_setx(p->err, EINVAL,
			    "offset %zu: expected nesting under %d levels",
			    p->pos, JSON_MAXDEPTH);
		j->type = p->s[p->pos] == '{' ? JSON_OBJ : JSON_ARR;
		r = parse_members(p, j, j->type == JSON_OBJ);
		p->depth--;
		return r;
	case '"':
		j->type = JSON_STR;
		return parse_string(p, &j->s, &j->slen);
	case 't':
		j->type = JSON_BOOL;
		j->b = true;
		return literal(p, "true");
	case 'f':
		j->type = JSON_BOOL;
		return literal(p, "false");
	case 'n':
		j->type = JSON_NULL;
		return literal(p, "null");
	default:
		if (p->s[p->pos] != '-' && (p->s[p->pos] < '0' ||
		    p->s[p->pos] > '9'))
			return fail(p, "a value");
		return parse_number(p, j);
	}
}

int
json_parse(const char *s, size_t len, struct json **out, struct err *err)
{
	struct parser p = { (const unsigned char *)s, len, 0, 0, err };
	struct json *j = xcalloc(1, sizeof(*j));
	int r;

	*out = NULL;
	if ((r = parse_value(&p, j)) < 0)
		goto bad;
	skip_ws(&p);
	if (p.pos != p.len) {
		r = fail(&p, "end of input");
		goto bad;
	}
	*out = j;
	return 0;
bad:
	json_free(j);
	return r;
}

void
json_free(struct json *j)
{
	struct json *next;

	/* siblings iteratively, children recursively: depth is bounded */
	for (; j != NULL; j = next) {
		next = j->next;
		json_free(j->child);
		free(j->key);
		free(j->s);
		free(j);
	}
}

const struct json *
json_get(const struct json *obj, const char *key)
{
	const struct json *c, *found = NULL;

	if (obj == NULL || obj->type != JSON_OBJ)
		return NULL;
	/* the last duplicate wins, as in most parsers */
	for (c = obj->child; c != NULL; c = c->next)
		if (strcmp(c->key, key) == 0)
			found = c;
	return found;
}

const struct json *
json_at(const struct json *arr, size_t i)
{
	const struct json *c;

	if (arr == NULL || arr->type != JSON_ARR || i >= arr->n)
		return NULL;
	for (c = arr->child; i > 0; i--)
		c = c->next;
	return c;
}

const char *
json_get_str(const struct json *obj, const char *key)
{
	const struct json *c = json_get(obj, key);

	return c != NULL && c->type == JSON_STR ? c->s : NULL;
}

int64_t
json_get_int(const struct json *obj, const char *key, int64_t dflt)
{
	const struct json *c = json_get(obj, key);

	return c != NULL && c->type == JSON_NUM && c->is_int ? c->i : dflt;
}

bool
json_get_bool(const struct json *obj, const char *key, bool dflt)
{
	const struct json *c = json_get(obj, key);

	return c != NULL && c->type == JSON_BOOL ? c->b : dflt;
}

const struct json *
json_path(const struct json *j, const char *path)
{
	char part[256];
	const char *dot;
	size_t n;

	while (j != NULL && *path != '\0') {
		dot = strchr(path, '.');
		n = dot != NULL ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		j = json_get(j, part);
		path += n;
		if (*path == '.')
			path++;
	}
	return j;
}
