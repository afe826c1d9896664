/*
 * decode: typed reads from the node tree.  Manifests reach Kubernetes as
 * YAML 1.1 turned into JSON, so a plain `8080` is a number and `yes` a
 * boolean, while a quoted "8080" is a string; the API server then refuses
 * a number where a string belongs.  We resolve plain scalars the same way
 * so a manifest that kubectl rejects is rejected here with the same idea.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/decode.h"
#include "lib/util.h"

enum scalar_kind { K_STR, K_NULL, K_BOOL, K_INT, K_FLOAT };

static const char *const trues[] = { "y", "Y", "yes", "Yes", "YES", "true",
	"True", "TRUE", "on", "On", "ON" };
static const char *const falses[] = { "n", "N", "no", "No", "NO", "false",
	"False", "FALSE", "off", "Off", "OFF" };

static int
in_list(const char *s, const char *const *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, l[i]) == 0)
			return 1;
	return 0;
}

static int
is_int(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int
is_float(const char *s)
{
	int digits = 0;

	if (*s == '+' || *s == '-')
		s++;
	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") ||
	    !strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		return 1;
	for (; *s >= '0' && *s <= '9'; s++)
		digits++;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits++;
	if (digits == 0)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

static enum scalar_kind
kind_of(const struct cfg_node *n)
{
	const char *v = n->value;

	if (n->quoted || (n->tag != NULL && strcmp(n->tag,
	    "tag:yaml.org,2002:str") == 0))
		return K_STR;
	if (v[0] == '\0' || !strcmp(v, "~") || !strcmp(v, "null") ||
	    !strcmp(v, "Null") || !strcmp(v, "NULL"))
		return K_NULL;
	if (in_list(v, trues, ARRAY_SIZE(trues)) ||
	    in_list(v, falses, ARRAY_SIZE(falses)))
		return K_BOOL;
	if (is_int(v))
		return K_INT;
	if (is_float(v))
		return K_FLOAT;
	return K_STR;
}

/* "string \"abc\"", "integer 5", "a map": for "expected X, got Y" */
static const char *
got(const struct cfg_node *n, char *buf, size_t size)
{
	static const char *const names[] = { "string", "null", "boolean",
	    "integer", "number" };
	int r;

	if (n->type == CFG_MAP)
		return "a map";
	if (n->type == CFG_SEQ)
		return "a list";
	if (kind_of(n) == K_NULL)
		return "null";
	r = snprintf(buf, size, kind_of(n) == K_STR ? "%s \"%.40s%s\"" :
	    "%s %.40s%s", names[kind_of(n)], n->value,
	    strlen(n->value) > 40 ? "..." : "");
	if (r < 0)
		buf[0] = '\0';
	return buf;
}

void
dec_path(char *buf, const char *path, const char *key)
{
	int r;

	if (path[0] == '\0' || path[strlen(path) - 1] == '.')
		r = snprintf(buf, DEC_PATH, "%s%s", path, key);
	else
		r = snprintf(buf, DEC_PATH, "%s.%s", path, key);
	if (r < 0 || r >= DEC_PATH)
		buf[DEC_PATH - 1] = '\0';
}

void
dec_path_idx(char *buf, const char *path, size_t i)
{
	int r = snprintf(buf, DEC_PATH, "%s[%zu]", path, i);

	if (r < 0 || r >= DEC_PATH)
		buf[DEC_PATH - 1] = '\0';
}

static void vdiag(struct cfg_diags *, enum cfg_severity,
    const struct cfg_node *, const char *, const char *, va_list)
    __attribute__((format(printf, 5, 0)));

static void
vdiag(struct cfg_diags *d, enum cfg_severity sev, const struct cfg_node *n,
    const char *path, const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	cfg_diag_add(d, sev, n ? n->line : 0, n ? n->col : 0, path, "%s", msg);
}

void
dec_error(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(d, CFG_ERROR, n, path, fmt, ap);
	va_end(ap);
}

void
dec_warn(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(d, CFG_WARNING, n, path, fmt, ap);
	va_end(ap);
}

void
dec_unknown(struct cfg_diags *d, const struct cfg_node *n, const char *path)
{
	cfg_diag_add(d, CFG_WARNING, n->key_line, n->key_col, path,
	    "unknown field (ignored)");
}

void
dec_missing(struct cfg_diags *d, const struct cfg_node *m, const char *path,
    const char *key)
{
	char p[DEC_PATH];

	dec_path(p, path, key);
	cfg_diag_add(d, CFG_ERROR, m->line, m->col, p,
	    "required field missing");
}

bool
dec_is_null(const struct cfg_node *n)
{
	return n == NULL || (n->type == CFG_SCALAR && kind_of(n) == K_NULL);
}

static bool
want(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    enum cfg_node_type t, const char *what)
{
	char buf[80];

	if (dec_is_null(n))
		return false;
	if (n->type == t)
		return true;
	dec_error(d, n, path, "expected %s, got %s", what,
	    got(n, buf, sizeof(buf)));
	return false;
}

bool
dec_map(struct cfg_diags *d, const struct cfg_node *n, const char *path)
{
	return want(d, n, path, CFG_MAP, "a map");
}

bool
dec_item(struct cfg_diags *d, const struct cfg_node *n, const char *path)
{
	if (dec_is_null(n)) {
		dec_error(d, n, path, "expected a map, got null");
		return false;
	}
	return dec_map(d, n, path);
}

bool
dec_seq(struct cfg_diags *d, const struct cfg_node *n, const char *path)
{
	return want(d, n, path, CFG_SEQ, "a list");
}

static int
scalar_of(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    enum scalar_kind k, const char *what)
{
	char buf[80];

	if (dec_is_null(n))
		return 1;
	if (n->type == CFG_SCALAR && kind_of(n) == k)
		return 0;
	dec_error(d, n, path, "expected %s, got %s", what,
	    got(n, buf, sizeof(buf)));
	return -1;
}

int
dec_str(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    char **out)
{
	int r = scalar_of(d, n, path, K_STR, "a string");

	if (r == 0) {
		free(*out);
		*out = xstrdup(n->value);
	}
	return r;
}

int
dec_text(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    char **out)
{
	char buf[80];

	if (dec_is_null(n))
		return 1;
	if (n->type != CFG_SCALAR || kind_of(n) == K_BOOL) {
		dec_error(d, n, path, "expected a string or a number, got %s",
		    got(n, buf, sizeof(buf)));
		return -1;
	}
	free(*out);
	*out = xstrdup(n->value);
	return 0;
}

int
dec_int(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    int64_t min, int64_t max, int64_t *out)
{
	long long v;
	char *end;
	int r;

	if ((r = scalar_of(d, n, path, K_INT, "an integer")) != 0)
		return r;
	errno = 0;
	v = strtoll(n->value, &end, 10);
	if (errno != 0 || v < min || v > max) {
		if (max >= INT32_MAX && (errno != 0 || v < min))
			dec_error(d, n, path, "must be greater than or equal "
			    "to %lld", (long long)min);
		else
			dec_error(d, n, path, "must be between %lld and %lld, "
			    "inclusive", (long long)min, (long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

int
dec_int32(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    int min, int max, int *out)
{
	int64_t v;
	int r = dec_int(d, n, path, min, max, &v);

	if (r == 0)
		*out = (int)v;
	return r;
}

int
dec_bool(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    bool *out)
{
	int r = scalar_of(d, n, path, K_BOOL, "a boolean");

	if (r == 0)
		*out = in_list(n->value, trues, ARRAY_SIZE(trues));
	return r;
}

int
dec_tri(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    int *out)
{
	bool b;
	int r = dec_bool(d, n, path, &b);

	if (r == 0)
		*out = b;
	return r;
}

int
dec_strv(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    char ***out)
{
	const struct cfg_node *c;
	char p[DEC_PATH];
	size_t i = 0;
	int r = 0;

	if (!dec_seq(d, n, path))
		return dec_is_null(n) ? 1 : -1;
	strv_free(*out);
	*out = xcalloc(1, sizeof(**out));	/* [] is not absent */
	for (c = n->child; c != NULL; c = c->next, i++) {
		char *s = NULL;

		dec_path_idx(p, path, i);
		if (dec_str(d, c, p, &s) >= 0)
			strv_push(out, s ? s : "");	/* null is "" in JSON */
		else
			r = -1;
		free(s);
	}
	return r;
}

void
dec_kvs_free(struct cfg_kvs *kvs)
{
	size_t i;

	for (i = 0; i < kvs->n; i++) {
		free(kvs->v[i].key);
		free(kvs->v[i].value);
	}
	free(kvs->v);
	kvs->v = NULL;
	kvs->n = 0;
}

int
dec_kvs(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    enum dec_kv_check check, struct cfg_kvs *out)
{
	const struct cfg_node *c;
	char p[DEC_PATH];
	char *v;
	int r = 0;

	if (!dec_map(d, n, path))
		return dec_is_null(n) ? 1 : -1;
	dec_kvs_free(out);
	out->v = xcalloc(n->n ? n->n : 1, sizeof(*out->v));
	for (c = n->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		v = NULL;
		if (dec_str(d, c, p, &v) < 0) {
			r = -1;
			continue;
		}
		if (v == NULL)
			v = xstrdup("");
		if (check != DEC_KV_ANY)
			dec_name(d, c, p, c->key, cfg_check_label_key, "key");
		if (check == DEC_KV_LABELS)
			dec_name(d, c, p, v, cfg_check_label_value, "value");
		out->v[out->n].key = xstrdup(c->key);
		out->v[out->n++].value = v;
	}
	return r;
}

void
dec_name(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    const char *s, const char *(*check)(const char *), const char *what)
{
	const char *why = check(s);

	if (why != NULL)
		dec_error(d, n, path, "invalid %s \"%.60s\": %s", what, s, why);
}

const char *
cfg_kvs_get(const struct cfg_kvs *kvs, const char *key)
{
	size_t i;

	for (i = 0; kvs != NULL && i < kvs->n; i++)
		if (strcmp(kvs->v[i].key, key) == 0)
			return kvs->v[i].value;
	return NULL;
}

struct dup {
	const struct cfg_node *n;
	size_t seq, i;
};

static int
by_value(const void *x, const void *y)
{
	const struct dup *a = x, *b = y;
	int r = strcmp(a->n->value, b->n->value);

	if (r != 0)
		return r;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

void
dec_dups(struct cfg_diags *d, const struct cfg_node *const *seqs,
    const char *const *paths, size_t nseqs, const char *field)
{
	const struct cfg_node *c, *f;
	char ip[DEC_PATH], p[DEC_PATH];
	struct dup *v;
	size_t k, i, n = 0, total = 0;

	for (k = 0; k < nseqs; k++)
		if (seqs[k] != NULL && seqs[k]->type == CFG_SEQ)
			total += seqs[k]->n;
	v = xcalloc(total + 1, sizeof(*v));
	for (k = 0; k < nseqs; k++) {
		if (seqs[k] == NULL || seqs[k]->type != CFG_SEQ)
			continue;
		for (c = seqs[k]->child, i = 0; c != NULL; c = c->next, i++) {
			f = cfg_node_get(c, field);
			if (f != NULL && f->type == CFG_SCALAR && !dec_is_null(f))
				v[n++] = (struct dup){ f, k, i };
		}
	}
	qsort(v, n, sizeof(*v), by_value);
	for (i = 1; i < n; i++) {
		if (strcmp(v[i].n->value, v[i - 1].n->value) != 0)
			continue;
		dec_path_idx(ip, paths[v[i].seq], v[i].i);
		dec_path(p, ip, field);
		dec_error(d, v[i].n, p, "Duplicate value: \"%.60s\"",
		    v[i].n->value);
	}
	free(v);
}

static int
by_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

void
dec_names_sort(struct dec_names *s)
{
	qsort(s->v, s->n, sizeof(*s->v), by_str);
}

bool
dec_names_has(const struct dec_names *s, const char *name)
{
	return s->n > 0 && bsearch(&name, s->v, s->n, sizeof(*s->v),
	    by_str) != NULL;
}

/* dec_str for a secret: the error names the type but never the value. */
int
dec_str_secret(struct cfg_diags *d, const struct cfg_node *n,
    const char *path, char **out)
{
	static const char *const names[] = { "string", "null", "boolean",
	    "integer", "number" };

	if (dec_is_null(n))
		return 1;
	if (n->type != CFG_SCALAR || kind_of(n) != K_STR) {
		dec_error(d, n, path, "expected a string, got %s",
		    n->type == CFG_MAP ? "a map" : n->type == CFG_SEQ ?
		    "a list" : names[kind_of(n)]);
		return -1;
	}
	free(*out);
	*out = xstrdup(n->value);
	return 0;
}

int
dec_bytes(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    int64_t *out)
{
	char *s = NULL;
	int r;

	if ((r = dec_text(d, n, path, &s)) != 0)
		return r;
	r = cfg_parse_memory(s, out);
	if (r < 0)
		dec_error(d, n, path, "invalid quantity \"%.40s\": %s", s,
		    r == -ERANGE ? "out of range" : "must match the regular "
		    "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' "
		    "and not be negative");
	free(s);
	return r < 0 ? -1 : 0;
}

/*
 * File modes as kubectl reads them (YAML 1.1 through Go): 0644 is octal,
 * 0x1a4 hex, 420 decimal: all the same mode.
 */
int
dec_mode(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    int *out)
{
	const char *v;
	long long m;
	char *end;
	int base = 0;

	if (dec_is_null(n))
		return 1;
	if (n->type != CFG_SCALAR || n->quoted || (kind_of(n) != K_INT &&
	    kind_of(n) != K_STR)) {
		char buf[80];

		dec_error(d, n, path, "expected an integer, got %s",
		    got(n, buf, sizeof(buf)));
		return -1;
	}
	v = n->value;
	if (v[0] == '0' && (v[1] == 'o' || v[1] == 'O')) {
		v += 2;
		base = 8;
	}
	errno = 0;
	m = strtoll(v, &end, base);
	if (end == v || *end != '\0' || errno != 0 || m < 0 || m > 0777) {
		dec_error(d, n, path, "must be a number between 0 and 0777 "
		    "(octal), both inclusive");
		return -1;
	}
	*out = (int)m;
	return 0;
}
