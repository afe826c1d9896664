/*
 * config: kinds ConfigMap and Secret (v1) into one struct cfg_config of
 * key -> bytes, checked as the API server checks them: keys valid config
 * keys and unique (ConfigMap data vs binaryData), base64 as Go decodes
 * []byte (line breaks ignored, padding required), a Secret's stringData
 * written over its data, the keys each Secret type requires, and at most
 * CFG_CONFIG_MAX bytes of values.
 *
 * A Secret's values must not leak: no diagnostic quotes one (keys are
 * fine), the node tree that held them is zeroed and freed once decoded,
 * and cfg_config_free zeroes the bytes before freeing them.
 */
#include <errno.h>
#include <mbedtls/base64.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/decode.h"
#include "lib/json.h"
#include "lib/util.h"

/* One value while decoding: where it came from, for errors. */
struct val {
	struct cfg_blob b;
	const struct cfg_node *n;
	int from;			/* 0 data, 1 binaryData/stringData */
};

struct vals {
	struct val *v;
	size_t n, cap;
};

static void
zero_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	mbedtls_platform_zeroize(p, len);
	free(p);
}

/* Zero every scalar of a tree (a Secret's text) and free it. */
static void
tree_wipe(struct cfg_node *n)
{
	struct cfg_node *c;

	if (n == NULL)
		return;
	if (n->type == CFG_SCALAR && n->value != NULL)
		mbedtls_platform_zeroize(n->value, n->vlen);
	for (c = n->child; c != NULL; c = c->next)
		tree_wipe(c);
}

/* "data[key]" under path */
static void
key_path(char *buf, const char *path, const char *field, const char *key)
{
	char p[DEC_PATH];
	int r;

	dec_path(p, path, field);
	r = snprintf(buf, DEC_PATH, "%s[%s]", p, key);
	if (r < 0 || r >= DEC_PATH)
		buf[DEC_PATH - 1] = '\0';
}

/*
 * Go's base64.StdEncoding as encoding/json uses it for []byte: \r and \n
 * anywhere are skipped, anything else outside the alphabet is an error,
 * and the padding is required.  0, or -1 (nothing in *out).
 */
static int
b64_decode(const char *s, size_t len, unsigned char **out, size_t *olen)
{
	unsigned char *src, *dst;
	size_t i, n = 0, dlen;
	int r;

	src = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == ' ' || s[i] == '\t') {
			zero_free(src, len + 1);
			return -1;
		}
		src[n++] = (unsigned char)s[i];
	}
	if (n % 4 != 0) {
		zero_free(src, len + 1);
		return -1;
	}
	dlen = n / 4 * 3 + 1;
	dst = xmalloc(dlen);
	r = mbedtls_base64_decode(dst, dlen, olen, src, n);
	zero_free(src, len + 1);
	if (r != 0) {
		zero_free(dst, dlen);
		return -1;
	}
	dst[*olen] = '\0';
	*out = dst;
	return 0;
}

static struct val *
val_add(struct vals *vs, const char *key, const struct cfg_node *n, int from,
    bool secret)
{
	struct val *v;

	if (vs->n == vs->cap) {
		vs->cap = vs->cap ? vs->cap * 2 : 8;
		vs->v = xrealloc(vs->v, vs->cap * sizeof(*vs->v));
	}
	v = &vs->v[vs->n++];
	memset(v, 0, sizeof(*v));
	v->b.key = xstrdup(key);
	v->n = n;
	v->from = from;
	v->b.binary = from == 1 && !secret;
	return v;
}

/* data / binaryData / stringData: one map of values. */
static void
dec_values(struct cfg_diags *d, const struct cfg_node *m, const char *path,
    const char *field, bool secret, bool b64, int from, struct vals *vs)
{
	const struct cfg_node *c;
	char p[DEC_PATH];
	char *s;
	struct val *v;
	int r;

	dec_path(p, path, field);
	if (!dec_map(d, m, p))
		return;
	for (c = m->child; c != NULL; c = c->next) {
		key_path(p, path, field, c->key);
		dec_name(d, c, p, c->key, cfg_check_config_key, "key");
		s = NULL;
		r = secret ? dec_str_secret(d, c, p, &s) :
		    dec_str(d, c, p, &s);
		if (r < 0)
			continue;
		v = val_add(vs, c->key, c, from, secret);
		if (s == NULL) {			/* null: empty */
			v->b.data = (unsigned char *)xstrdup("");
		} else if (!b64) {
			v->b.len = strlen(s);
			v->b.data = (unsigned char *)s;
			s = NULL;
		} else if (b64_decode(s, strlen(s), &v->b.data,
		    &v->b.len) < 0) {
			v->b.data = (unsigned char *)xstrdup("");
			dec_error(d, c, p, "illegal base64 data");
		}
		if (s != NULL)
			zero_free(s, strlen(s));
	}
}

static int
by_key(const void *x, const void *y)
{
	const struct val *a = x, *b = y;
	int r = strcmp(a->b.key, b->b.key);

	if (r != 0)
		return r;
	return a->from - b->from;
}

static void
val_free(struct val *v)
{
	free(v->b.key);
	zero_free(v->b.data, v->b.len);
}

/*
 * Sort, then settle repeated keys: a ConfigMap key in both data and
 * binaryData is an error; a Secret's stringData value replaces data's.
 */
static void
merge(struct cfg_diags *d, const char *path, struct vals *vs, bool secret)
{
	char p[DEC_PATH];
	size_t i, j = 0;

	if (vs->n == 0)
		return;
	qsort(vs->v, vs->n, sizeof(*vs->v), by_key);
	for (i = 0; i < vs->n; i++) {
		if (j > 0 && !strcmp(vs->v[j - 1].b.key, vs->v[i].b.key)) {
			if (!secret) {
				key_path(p, path, "binaryData", vs->v[i].b.key);
				dec_error(d, vs->v[i].n, p, "Invalid value: "
				    "\"%.60s\": duplicate of key present in "
				    "data", vs->v[i].b.key);
			}
			val_free(&vs->v[j - 1]);
			vs->v[j - 1] = vs->v[i];
			continue;
		}
		vs->v[j++] = vs->v[i];
	}
	vs->n = j;
}

static bool
has(const struct vals *vs, const char *key)
{
	size_t i;

	for (i = 0; i < vs->n; i++)
		if (!strcmp(vs->v[i].b.key, key))
			return true;
	return false;
}

static const struct val *
find(const struct vals *vs, const char *key)
{
	size_t i;

	for (i = 0; i < vs->n; i++)
		if (!strcmp(vs->v[i].b.key, key))
			return &vs->v[i];
	return NULL;
}

static void
need(struct cfg_diags *d, const struct cfg_node *at, const char *path,
    const struct vals *vs, const char *key)
{
	char k[DEC_PATH];

	if (has(vs, key))
		return;
	key_path(k, path, "data", key);
	cfg_diag_add(d, CFG_ERROR, at->line, at->col, k,
	    "required field missing (type %.60s)", at->value);
}

static void
need_json(struct cfg_diags *d, const char *path, const struct vals *vs,
    const char *key)
{
	const struct val *v = find(vs, key);
	struct json *j;
	struct err e;
	char p[DEC_PATH];

	if (v == NULL)
		return;
	if (json_parse((const char *)v->b.data, v->b.len, &j, &e) == 0) {
		json_free(j);
		return;
	}
	key_path(p, path, "data", key);
	dec_error(d, v->n, p, "Invalid value: \"<secret contents redacted>\": "
	    "not valid JSON");
}

/* The keys each well-known Secret type must have (errors at `type`). */
static void
check_type(struct cfg_diags *d, const struct cfg_node *tn, const char *path,
    const struct cfg_config *c, const struct vals *vs)
{
	const char *t = c->type;
	char p[DEC_PATH];

	if (tn == NULL || tn->type != CFG_SCALAR)
		return;			/* Opaque */

	if (!strcmp(t, "kubernetes.io/tls")) {
		need(d, tn, path, vs, "tls.crt");
		need(d, tn, path, vs, "tls.key");
	} else if (!strcmp(t, "kubernetes.io/dockerconfigjson")) {
		need(d, tn, path, vs, ".dockerconfigjson");
		need_json(d, path, vs, ".dockerconfigjson");
	} else if (!strcmp(t, "kubernetes.io/dockercfg")) {
		need(d, tn, path, vs, ".dockercfg");
		need_json(d, path, vs, ".dockercfg");
	} else if (!strcmp(t, "kubernetes.io/basic-auth")) {
		if (!has(vs, "username") && !has(vs, "password")) {
			need(d, tn, path, vs, "username");
			need(d, tn, path, vs, "password");
		}
	} else if (!strcmp(t, "kubernetes.io/ssh-auth")) {
		need(d, tn, path, vs, "ssh-privatekey");
	} else if (!strcmp(t, "kubernetes.io/service-account-token") &&
	    cfg_kvs_get(&c->meta.annotations,
	    "kubernetes.io/service-account.name") == NULL) {
		dec_path(p, path, "metadata.annotations");
		cfg_diag_add(d, CFG_ERROR, tn->line, tn->col, p,
		    "kubernetes.io/service-account.name: required field "
		    "missing (type %.60s)", t);
	}
}

static void
hash_put(mbedtls_sha256_context *h, const void *p, size_t n)
{
	char head[32];
	int r = snprintf(head, sizeof(head), "%zu:", n);

	mbedtls_sha256_update_ret(h, (const unsigned char *)head, (size_t)r);
	mbedtls_sha256_update_ret(h, p, n);
}

static void
data_hash(struct cfg_config *c)
{
	static const char hex[] = "0123456789abcdef";
	mbedtls_sha256_context h;
	unsigned char sum[32];
	size_t i;

	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts_ret(&h, 0);
	for (i = 0; i < c->ndata; i++) {
		hash_put(&h, c->data[i].key, strlen(c->data[i].key));
		hash_put(&h, c->data[i].data, c->data[i].len);
	}
	mbedtls_sha256_finish_ret(&h, sum);
	mbedtls_sha256_free(&h);
	for (i = 0; i < sizeof(sum); i++) {
		c->data_hash[2 * i] = hex[sum[i] >> 4];
		c->data_hash[2 * i + 1] = hex[sum[i] & 15];
	}
	c->data_hash[64] = '\0';
}

static void
dec_top(struct cfg_diags *d, const struct cfg_node *tree, const char *path,
    struct cfg_config *c, struct vals *vs)
{
	const struct cfg_node *f;
	char p[DEC_PATH];
	bool s = c->secret;

	for (f = tree->child; f != NULL; f = f->next) {
		dec_path(p, path, f->key);
		if (!strcmp(f->key, "metadata")) {
			if (dec_map(d, f, p))
				dec_meta(d, f, p, &c->meta);
		} else if (!strcmp(f->key, "data")) {
			dec_values(d, f, path, "data", s, s, 0, vs);
		} else if (!s && !strcmp(f->key, "binaryData")) {
			dec_values(d, f, path, "binaryData", s, true, 1, vs);
		} else if (s && !strcmp(f->key, "stringData")) {
			dec_values(d, f, path, "stringData", s, false, 1, vs);
		} else if (s && !strcmp(f->key, "type")) {
			dec_str(d, f, p, &c->type);
		} else if (!strcmp(f->key, "immutable")) {
			dec_bool(d, f, p, &c->immutable);
		} else if (strcmp(f->key, "apiVersion") &&
		    strcmp(f->key, "kind")) {
			dec_unknown(d, f, p);
		}
	}
	if (dec_is_null(cfg_node_get(tree, "metadata")))
		dec_missing(d, tree, path, "metadata");
	if (s && (c->type == NULL || c->type[0] == '\0')) {
		free(c->type);
		c->type = xstrdup("Opaque");
	}
}

int
cfg_config_decode(struct cfg_node *tree, const char *path, bool secret,
    struct cfg_config **out, struct cfg_diags *d)
{
	struct cfg_config *c = xcalloc(1, sizeof(*c));
	struct vals vs = { NULL, 0, 0 };
	size_t nerr = d->nerrors, i;
	char p[DEC_PATH];

	*out = NULL;
	c->secret = secret;
	c->meta.line = tree->line;
	dec_top(d, tree, path, c, &vs);
	merge(d, path, &vs, secret);
	if (secret)
		check_type(d, cfg_node_get(tree, "type"), path, c, &vs);
	c->data = xcalloc(vs.n + 1, sizeof(*c->data));
	for (i = 0; i < vs.n; i++) {
		c->data[c->ndata++] = vs.v[i].b;
		c->bytes += vs.v[i].b.len;
	}
	free(vs.v);
	if (c->bytes > CFG_CONFIG_MAX) {
		dec_path(p, path, secret ? "data" : "");
		cfg_diag_add(d, CFG_ERROR, tree->line, tree->col, p,
		    "Too long: must have at most %d bytes", CFG_CONFIG_MAX);
	}
	data_hash(c);
	if (secret)
		tree_wipe(tree);
	cfg_node_free(tree);
	if (d->nerrors > nerr) {
		cfg_config_free(c);
		return -EINVAL;
	}
	*out = c;
	return 0;
}

static int
blob_cmp(const void *k, const void *x)
{
	return strcmp(k, ((const struct cfg_blob *)x)->key);
}

const struct cfg_blob *
cfg_config_get(const struct cfg_config *c, const char *key)
{
	if (c == NULL || c->ndata == 0)
		return NULL;
	return bsearch(key, c->data, c->ndata, sizeof(*c->data), blob_cmp);
}

void
cfg_config_free(struct cfg_config *c)
{
	size_t i;

	if (c == NULL)
		return;
	dec_meta_free(&c->meta);
	free(c->type);
	for (i = 0; i < c->ndata; i++) {
		free(c->data[i].key);
		zero_free(c->data[i].data, c->data[i].len);
	}
	free(c->data);
	cfg_node_free(c->tree);
	mbedtls_platform_zeroize(c, sizeof(*c));
	free(c);
}
