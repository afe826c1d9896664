/*
 * manifest: one file of /etc/manifests into objects.  Every document is
 * decoded, kubectl's `kind: List` is unpacked, kinds picolet does not
 * know are kept with a warning (their controllers may come later), and the
 * whole file is rejected if anything in it is an error, so the caller can
 * keep running the last good version of that file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/decode.h"
#include "lib/util.h"

struct objs {
	struct cfg_object *v;
	size_t n;
	struct cfg_diags *d;
	int doc;
};

static bool
is_empty_doc(const struct cfg_node *n)
{
	return n->type == CFG_SCALAR && n->tag == NULL && dec_is_null(n);
}

static char *
meta_str(const struct cfg_node *tree, const char *key)
{
	const struct cfg_node *n = cfg_node_get(cfg_node_get(tree, "metadata"),
	    key);

	if (n == NULL || n->type != CFG_SCALAR || dec_is_null(n))
		return NULL;
	return xstrdup(n->value);
}

static struct cfg_object *
obj_new_at(struct objs *o, int line, const char *kind, const char *api)
{
	struct cfg_object *ob;

	if ((o->n & (o->n - 1)) == 0)	/* 0, 1, 2, 4, ...: doubling */
		o->v = xrealloc(o->v, (o->n ? o->n * 2 : 1) * sizeof(*o->v));
	ob = &o->v[o->n++];
	memset(ob, 0, sizeof(*ob));
	ob->kind_name = xstrdup(kind);
	ob->api_version = xstrdup(api);
	ob->doc = o->doc;
	ob->line = line;
	return ob;
}

static struct cfg_object *
obj_new(struct objs *o, struct cfg_node *tree, const char *kind,
    const char *api)
{
	return obj_new_at(o, tree->line, kind, api);
}

static void add_object(struct objs *o, struct cfg_node *tree,
    const char *path);

/* kubectl get -o yaml writes `kind: List` with the objects in items. */
static void
add_list(struct objs *o, struct cfg_node *tree, const char *path)
{
	struct cfg_node *items, *c, *next;
	char p[DEC_PATH], ip[DEC_PATH];
	size_t i;

	dec_path(p, path, "items");
	items = (struct cfg_node *)cfg_node_get(tree, "items");
	if (items == NULL || !dec_seq(o->d, items, p)) {
		if (dec_is_null(items))
			dec_missing(o->d, tree, path, "items");
		cfg_node_free(tree);
		return;
	}
	c = items->child;
	items->child = NULL;
	items->n = 0;
	cfg_node_free(tree);
	for (i = 0; c != NULL; c = next, i++) {
		next = c->next;
		c->next = NULL;
		free(c->key);
		c->key = NULL;
		dec_path_idx(ip, p, i);
		if (!dec_map(o->d, c, ip)) {
			if (dec_is_null(c))
				dec_error(o->d, c, ip, "expected an object, "
				    "got null");
			cfg_node_free(c);
			continue;
		}
		dec_path(p, ip, "");	/* "items[i]." prefix */
		add_object(o, c, p);
		dec_path(p, path, "items");
	}
}

static int
type_field(struct objs *o, const struct cfg_node *tree, const char *path,
    const char *key, const char **out)
{
	const struct cfg_node *n = cfg_node_get(tree, key);
	char p[DEC_PATH];
	char *s = NULL;

	dec_path(p, path, key);
	if (dec_is_null(n)) {
		dec_missing(o->d, tree, path, key);
		return -1;
	}
	if (dec_str(o->d, n, p, &s) != 0)
		return -1;
	free(s);
	*out = n->value;
	return 0;
}

/* ConfigMap, Secret, PersistentVolumeClaim: true when kind is one. */
static bool
add_v1(struct objs *o, struct cfg_node *tree, const char *path,
    const char *kind, const char *api)
{
	struct cfg_object *ob;
	struct cfg_config *cfg;
	struct cfg_pvc *pvc;
	char p[DEC_PATH];
	bool secret = !strcmp(kind, "Secret");
	int line;

	if (!secret && strcmp(kind, "ConfigMap") &&
	    strcmp(kind, "PersistentVolumeClaim"))
		return false;
	if (strcmp(api, "v1") != 0) {
		dec_path(p, path, "apiVersion");
		dec_error(o->d, cfg_node_get(tree, "apiVersion"), p,
		    "kind %s needs apiVersion v1, got \"%.40s\"", kind, api);
		cfg_node_free(tree);
		return true;
	}
	if (kind[0] == 'P') {
		if (cfg_pvc_decode(tree, path, &pvc, o->d) < 0)
			return true;
		ob = obj_new(o, tree, kind, api);
		ob->kind = CFG_KIND_PVC;
		ob->u.pvc = pvc;
		ob->name = xstrdup(pvc->meta.name);
		ob->namespace = xstrdup(pvc->meta.namespace);
		return true;
	}
	/* the decoder frees the tree (kind and api point into it) */
	line = tree->line;
	if (cfg_config_decode(tree, path, secret, &cfg, o->d) < 0)
		return true;
	ob = obj_new_at(o, line, secret ? "Secret" : "ConfigMap", "v1");
	ob->kind = CFG_KIND_CONFIG;
	ob->u.cfg = cfg;
	ob->name = xstrdup(cfg->meta.name);
	ob->namespace = xstrdup(cfg->meta.namespace);
	return true;
}

static void
add_object(struct objs *o, struct cfg_node *tree, const char *path)
{
	struct cfg_object *ob;
	struct cfg_pod *pod;
	const char *api = NULL, *kind = NULL;
	char p[DEC_PATH];

	if (type_field(o, tree, path, "apiVersion", &api) < 0 ||
	    type_field(o, tree, path, "kind", &kind) < 0) {
		cfg_node_free(tree);
		return;
	}
	if (!strcmp(kind, "List") && !strcmp(api, "v1")) {
		add_list(o, tree, path);
		return;
	}
	dec_path(p, path, "apiVersion");
	if (!strcmp(kind, "Pod") && strcmp(api, "v1") != 0) {
		dec_error(o->d, cfg_node_get(tree, "apiVersion"), p,
		    "kind Pod needs apiVersion v1, got \"%.40s\"", api);
		cfg_node_free(tree);
		return;
	}
	if (!strcmp(kind, "Pod")) {
		if (cfg_pod_decode(tree, path, &pod, o->d) < 0)
			return;
		ob = obj_new(o, tree, "Pod", "v1");
		ob->kind = CFG_KIND_POD;
		ob->u.pod = pod;
		ob->name = xstrdup(pod->meta.name);
		ob->namespace = xstrdup(pod->meta.namespace);
		return;
	}
	if ((!strcmp(kind, "Service") || !strcmp(kind, "Endpoints")) &&
	    strcmp(api, "v1") != 0) {
		dec_error(o->d, cfg_node_get(tree, "apiVersion"), p,
		    "kind %s needs apiVersion v1, got \"%.40s\"", kind, api);
		cfg_node_free(tree);
		return;
	}
	if (!strcmp(kind, "Service")) {
		struct cfg_service *svc;

		if (cfg_service_decode(tree, path, &svc, o->d) < 0)
			return;
		ob = obj_new(o, tree, "Service", "v1");
		ob->kind = CFG_KIND_SERVICE;
		ob->u.svc = svc;
		ob->name = xstrdup(svc->meta.name);
		ob->namespace = xstrdup(svc->meta.namespace);
		return;
	}
	if (!strcmp(kind, "Endpoints")) {
		struct cfg_endpoints *ep;

		if (cfg_endpoints_decode(tree, path, &ep, o->d) < 0)
			return;
		ob = obj_new(o, tree, "Endpoints", "v1");
		ob->kind = CFG_KIND_ENDPOINTS;
		ob->u.ep = ep;
		ob->name = xstrdup(ep->meta.name);
		ob->namespace = xstrdup(ep->meta.namespace);
		return;
	}
	if (add_v1(o, tree, path, kind, api))
		return;
	dec_path(p, path, "kind");
	dec_warn(o->d, cfg_node_get(tree, "kind"), p, "kind %.60s is not "
	    "supported (ignored)", kind);
	ob = obj_new(o, tree, kind, api);
	ob->kind = CFG_KIND_UNKNOWN;
	ob->name = meta_str(tree, "name");
	ob->namespace = meta_str(tree, "namespace");
	ob->tree = tree;
}

static int
cmp_id(const struct cfg_object *a, const struct cfg_object *b)
{
	int r;

	if ((r = strcmp(a->kind_name, b->kind_name)) != 0)
		return r;
	if ((r = strcmp(a->namespace ? a->namespace : "",
	    b->namespace ? b->namespace : "")) != 0)
		return r;
	return strcmp(a->name, b->name);
}

/* by kind/namespace/name, then file order */
static int
by_id(const void *x, const void *y)
{
	const struct cfg_object *a = *(const struct cfg_object *const *)x;
	const struct cfg_object *b = *(const struct cfg_object *const *)y;
	int r = cmp_id(a, b);

	if (r != 0)
		return r;
	return a < b ? -1 : a > b;
}

/* Sorted, so a file of many small documents is not quadratic. */
static void
check_duplicates(struct objs *o)
{
	const struct cfg_object **v, *first = NULL;
	size_t i, n = 0;

	v = xcalloc(o->n + 1, sizeof(*v));
	for (i = 0; i < o->n; i++)
		if (o->v[i].name != NULL)
			v[n++] = &o->v[i];
	qsort(v, n, sizeof(*v), by_id);
	for (i = 0; i < n; i++) {
		if (first == NULL || cmp_id(first, v[i]) != 0) {
			first = v[i];
			continue;
		}
		cfg_diag_add(o->d, CFG_ERROR, v[i]->line, 1, "metadata.name",
		    "duplicate %s %s/%s (first at line %d)", v[i]->kind_name,
		    v[i]->namespace ? v[i]->namespace : "", v[i]->name,
		    first->line);
	}
	free(v);
}

int
cfg_manifest_parse(const char *data, size_t len, struct cfg_object **objs,
    size_t *nobjs, struct cfg_diags *diags)
{
	struct cfg_node **docs;
	struct objs o = { NULL, 0, diags, 0 };
	size_t ndocs, i;

	*objs = NULL;
	*nobjs = 0;
	if (cfg_yaml_parse(data, len, &docs, &ndocs, diags) < 0)
		return -EINVAL;
	for (i = 0; i < ndocs; i++) {
		o.doc = (int)i;
		if (is_empty_doc(docs[i])) {
			cfg_node_free(docs[i]);
		} else if (docs[i]->type != CFG_MAP) {
			dec_error(diags, docs[i], "", "a document must be a "
			    "map with apiVersion and kind");
			cfg_node_free(docs[i]);
		} else {
			add_object(&o, docs[i], "");
		}
	}
	free(docs);
	check_duplicates(&o);
	if (diags->nerrors > 0) {
		cfg_objects_free(o.v, o.n);
		return -EINVAL;
	}
	*objs = o.v;
	*nobjs = o.n;
	return 0;
}

void
cfg_object_free(struct cfg_object *ob)
{
	if (ob == NULL)
		return;
	free(ob->kind_name);
	free(ob->api_version);
	free(ob->namespace);
	free(ob->name);
	if (ob->kind == CFG_KIND_POD)
		cfg_pod_free(ob->u.pod);
	else if (ob->kind == CFG_KIND_SERVICE)
		cfg_service_free(ob->u.svc);
	else if (ob->kind == CFG_KIND_ENDPOINTS)
		cfg_endpoints_free(ob->u.ep);
	else if (ob->kind == CFG_KIND_CONFIG)
		cfg_config_free(ob->u.cfg);
	else if (ob->kind == CFG_KIND_PVC)
		cfg_pvc_free(ob->u.pvc);
	cfg_node_free(ob->tree);
	memset(ob, 0, sizeof(*ob));
}

void
cfg_objects_free(struct cfg_object *objs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		cfg_object_free(&objs[i]);
	free(objs);
}
