/*
 * hash: spec_hash, the sha256 of a canonical form of a subtree.  Map keys
 * are sorted and every string is length-prefixed, so key order and
 * formatting do not matter while any change of a value, of its quoting
 * ("1" vs 1) or of list order does.  This is how a reload tells "same
 * pod, keep it running" from "changed, recreate it".
 */
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"
#include "lib/util.h"

static void
put(mbedtls_sha256_context *h, const void *p, size_t n)
{
	mbedtls_sha256_update_ret(h, p, n);
}

/* "<tag><len>:<bytes>" */
static void
put_str(mbedtls_sha256_context *h, char tag, const char *s, size_t n)
{
	char head[32];
	int r = snprintf(head, sizeof(head), "%c%zu:", tag, n);

	put(h, head, (size_t)r);
	put(h, s, n);
}

static int
by_key(const void *a, const void *b)
{
	const struct cfg_node *x = *(const struct cfg_node *const *)a;
	const struct cfg_node *y = *(const struct cfg_node *const *)b;

	return strcmp(x->key, y->key);
}

static void
put_node(mbedtls_sha256_context *h, const struct cfg_node *n)
{
	const struct cfg_node **kids, *c;
	size_t i = 0;

	if (n->tag != NULL)
		put_str(h, 'T', n->tag, strlen(n->tag));
	switch (n->type) {
	case CFG_SCALAR:
		put_str(h, n->quoted ? 'Q' : 'S', n->value, n->vlen);
		return;
	case CFG_SEQ:
		put(h, "[", 1);
		for (c = n->child; c != NULL; c = c->next)
			put_node(h, c);
		put(h, "]", 1);
		return;
	case CFG_MAP:
		kids = xcalloc(n->n + 1, sizeof(*kids));
		for (c = n->child; c != NULL && i < n->n; c = c->next)
			kids[i++] = c;
		qsort(kids, i, sizeof(*kids), by_key);
		put(h, "{", 1);
		for (i = 0; i < n->n && kids[i] != NULL; i++) {
			put_str(h, 'K', kids[i]->key, strlen(kids[i]->key));
			put_node(h, kids[i]);
		}
		put(h, "}", 1);
		free(kids);
		return;
	}
}

void
cfg_node_hash(const struct cfg_node *n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	mbedtls_sha256_context h;
	unsigned char sum[32];
	size_t i;

	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts_ret(&h, 0);
	if (n != NULL)
		put_node(&h, n);
	mbedtls_sha256_finish_ret(&h, sum);
	mbedtls_sha256_free(&h);
	for (i = 0; i < sizeof(sum); i++) {
		out[2 * i] = hex[sum[i] >> 4];
		out[2 * i + 1] = hex[sum[i] & 15];
	}
	out[64] = '\0';
}
