/*
 * yaml: libyaml's event stream into cfg_node trees, one per document,
 * keeping the 1-based line and column of every node and map key.  JSON
 * goes through the same path (it is YAML flow style).  Outside input is
 * bounded here: NUL bytes and invalid UTF-8 are refused up front with
 * their position (libyaml would read UTF-16 or stop at a NUL), aliases are
 * refused (no billion laughs), and depth and node count are capped.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "cfg/cfg.h"
#include "lib/util.h"

/* One open collection: its node, its last child, a map key pending. */
struct level {
	struct cfg_node *node;
	struct cfg_node *last;
	struct cfg_node *pend;
	struct cfg_node **ht;	/* key index of a large map */
	size_t htcap;
};

/*
 * Duplicate keys are refused, so every key is looked up in its map.  A
 * linear scan is fine for the usual handful of keys; a map with thousands
 * (a hostile 1 MiB file) gets an open-addressing index so the check stays
 * linear in the input instead of quadratic.
 */
#define HT_MIN_KEYS 16

static size_t
hash_key(const char *s)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
ht_put(struct level *lv, struct cfg_node *n)
{
	size_t i = hash_key(n->key) & (lv->htcap - 1);

	while (lv->ht[i] != NULL)
		i = (i + 1) & (lv->htcap - 1);
	lv->ht[i] = n;
}

/* Index the map's keys once it is large, doubling at half load. */
static void
ht_add(struct level *lv, struct cfg_node *n)
{
	struct cfg_node *c;

	if (lv->node->n < HT_MIN_KEYS)
		return;
	if (lv->ht != NULL && lv->node->n * 2 < lv->htcap) {
		ht_put(lv, n);
		return;
	}
	free(lv->ht);
	lv->htcap = lv->htcap ? lv->htcap * 2 : 4 * HT_MIN_KEYS;
	lv->ht = xcalloc(lv->htcap, sizeof(*lv->ht));
	for (c = lv->node->child; c != NULL; c = c->next)
		ht_put(lv, c);
}

static bool
has_key(const struct level *lv, const char *key)
{
	size_t i;

	if (lv->ht == NULL)
		return cfg_node_get(lv->node, key) != NULL;
	for (i = hash_key(key) & (lv->htcap - 1); lv->ht[i] != NULL;
	    i = (i + 1) & (lv->htcap - 1))
		if (strcmp(lv->ht[i]->key, key) == 0)
			return true;
	return false;
}

struct builder {
	struct level lv[CFG_MAX_DEPTH];
	int depth;
	size_t nodes;
	struct cfg_node *root;
	struct cfg_diags *diags;
};

void
cfg_node_free(struct cfg_node *n)
{
	struct cfg_node *c, *next;

	if (n == NULL)
		return;
	for (c = n->child; c != NULL; c = next) {
		next = c->next;
		cfg_node_free(c);
	}
	free(n->tag);
	free(n->key);
	free(n->value);
	free(n);
}

const struct cfg_node *
cfg_node_get(const struct cfg_node *map, const char *key)
{
	const struct cfg_node *c;

	if (map == NULL || map->type != CFG_MAP)
		return NULL;
	for (c = map->child; c != NULL; c = c->next)
		if (strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

void
cfg_docs_free(struct cfg_node **docs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		cfg_node_free(docs[i]);
	free(docs);
}

/* Length of a valid UTF-8 sequence at p (no overlongs, no surrogates). */
static size_t
utf8_len(const unsigned char *p, size_t left)
{
	size_t n, i;
	unsigned int c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (left < n)
		return 0;
	c = p[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return n;
}

static int
check_bytes(const char *data, size_t len, struct cfg_diags *d)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t i = 0, n;
	int line = 1, col = 1;

	if (len > CFG_MAX_FILE) {
		cfg_diag_add(d, CFG_ERROR, 1, 1, NULL,
		    "file is %zu bytes, over the limit of %d", len,
		    CFG_MAX_FILE);
		return -EINVAL;
	}
	while (i < len) {
		if (p[i] == '\0') {
			cfg_diag_add(d, CFG_ERROR, line, col, NULL,
			    "NUL byte in input (binary file?)");
			return -EINVAL;
		}
		if ((n = utf8_len(p + i, len - i)) == 0) {
			cfg_diag_add(d, CFG_ERROR, line, col, NULL,
			    "invalid UTF-8 byte 0x%02x", p[i]);
			return -EINVAL;
		}
		if (p[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
		i += n;
	}
	return 0;
}

static int
fail(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_diag_add(b->diags, CFG_ERROR, (int)m->line + 1, (int)m->column + 1,
	    NULL, "%s", msg);
	return -EINVAL;
}

/*
 * Hang n under the open collection (or make it the root).  In a map the
 * scalars alternate: a key is held in pend until its value arrives.
 */
static int
attach(struct builder *b, struct cfg_node *n, const yaml_mark_t *m)
{
	struct level *lv;

	if (++b->nodes > CFG_MAX_NODES) {
		cfg_node_free(n);
		return fail(b, m, "more than %d nodes", CFG_MAX_NODES);
	}
	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	lv = &b->lv[b->depth - 1];
	if (lv->node->type == CFG_MAP && lv->pend == NULL) {
		if (n->type != CFG_SCALAR) {
			cfg_node_free(n);
			return fail(b, m, "a map key must be a scalar");
		}
		if (has_key(lv, n->value)) {
			cfg_diag_add(b->diags, CFG_ERROR, n->line, n->col, NULL,
			    "duplicate map key \"%s\"", n->value);
			cfg_node_free(n);
			return -EINVAL;
		}
		lv->pend = n;
		return 0;
	}
	if (lv->pend != NULL) {
		n->key = lv->pend->value;
		n->key_line = lv->pend->line;
		n->key_col = lv->pend->col;
		lv->pend->value = NULL;
		cfg_node_free(lv->pend);
		lv->pend = NULL;
	}
	if (lv->last == NULL)
		lv->node->child = n;
	else
		lv->last->next = n;
	lv->last = n;
	lv->node->n++;
	if (lv->node->type == CFG_MAP)
		ht_add(lv, n);
	return 0;
}

static struct cfg_node *
node_new(enum cfg_node_type t, const yaml_mark_t *m, const yaml_char_t *tag)
{
	struct cfg_node *n = xcalloc(1, sizeof(*n));

	n->type = t;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	n->tag = xstrdup((const char *)tag);
	return n;
}

static int
on_event(struct builder *b, yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	struct cfg_node *n;
	int r;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return fail(b, m, "aliases (*%s) are not supported",
		    (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		n = node_new(CFG_SCALAR, m, ev->data.scalar.tag);
		n->value = xstrndup((const char *)ev->data.scalar.value,
		    ev->data.scalar.length);
		n->vlen = ev->data.scalar.length;
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		return attach(b, n, m);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (b->depth >= CFG_MAX_DEPTH)
			return fail(b, m, "nested deeper than %d levels",
			    CFG_MAX_DEPTH);
		n = node_new(ev->type == YAML_MAPPING_START_EVENT ? CFG_MAP :
		    CFG_SEQ, m, ev->type == YAML_MAPPING_START_EVENT ?
		    ev->data.mapping_start.tag : ev->data.sequence_start.tag);
		if ((r = attach(b, n, m)) < 0)
			return r;
		memset(&b->lv[b->depth], 0, sizeof(b->lv[0]));
		b->lv[b->depth++].node = n;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0) {
			b->depth--;
			free(b->lv[b->depth].ht);
			b->lv[b->depth].ht = NULL;
		}
		return 0;
	default:
		return 0;
	}
}

static void
builder_reset(struct builder *b)
{
	int i;

	for (i = 0; i < b->depth; i++) {
		cfg_node_free(b->lv[i].pend);
		free(b->lv[i].ht);
	}
	if (b->root != NULL)
		cfg_node_free(b->root);
	b->root = NULL;
	b->depth = 0;
}

static int
parser_fail(struct builder *b, const yaml_parser_t *p)
{
	const yaml_mark_t *m = &p->problem_mark;

	if (p->error == YAML_MEMORY_ERROR)
		return fail(b, m, "out of memory");
	if (p->context != NULL)
		cfg_diag_add(b->diags, CFG_ERROR, (int)m->line + 1,
		    (int)m->column + 1, NULL, "%s %s", p->problem,
		    p->context);
	else
		return fail(b, m, "%s", p->problem ? p->problem : "bad YAML");
	return -EINVAL;
}

int
cfg_yaml_parse(const char *data, size_t len, struct cfg_node ***docs,
    size_t *ndocs, struct cfg_diags *diags)
{
	struct builder b;
	yaml_parser_t p;
	yaml_event_t ev;
	int r = 0, done = 0;

	*docs = NULL;
	*ndocs = 0;
	if ((r = check_bytes(data, len, diags)) < 0)
		return r;
	memset(&b, 0, sizeof(b));
	b.diags = diags;
	if (!yaml_parser_initialize(&p))
		abort();
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	while (!done && r == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			r = parser_fail(&b, &p);
			break;
		}
		r = on_event(&b, &ev);
		if (ev.type == YAML_DOCUMENT_END_EVENT && r == 0) {
			if ((*ndocs & (*ndocs - 1)) == 0)	/* 0, 1, 2, 4.. */
				*docs = xrealloc(*docs, (*ndocs ? *ndocs * 2 :
				    1) * sizeof(**docs));
			(*docs)[(*ndocs)++] = b.root;
			b.root = NULL;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	builder_reset(&b);
	if (r < 0) {
		cfg_docs_free(*docs, *ndocs);
		*docs = NULL;
		*ndocs = 0;
	}
	return r;
}
