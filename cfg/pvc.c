/*
 * pvc: kind PersistentVolumeClaim (v1).  On this node a claim is bound to
 * a directory, so only what that needs is decoded: the requested size
 * (required, above zero), accessModes (kept and shown), storageClassName
 * and volumeMode (Filesystem; Block is refused).  Fields that pick a
 * volume elsewhere (volumeName, selector, dataSource) are accepted with a
 * warning that they are ignored.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/decode.h"
#include "lib/util.h"

static const char *const modes[] = { "ReadOnlyMany", "ReadWriteMany",
	"ReadWriteOnce", "ReadWriteOncePod" };

static void
dec_modes(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    struct cfg_pvc *c)
{
	const struct cfg_node *it;
	char p[DEC_PATH];
	size_t i, k;
	bool pod = false;

	if (dec_strv(d, n, path, &c->access_modes) != 0)
		return;
	for (it = n->child, i = 0; it != NULL; it = it->next, i++) {
		dec_path_idx(p, path, i);
		for (k = 0; k < ARRAY_SIZE(modes); k++)
			if (!strcmp(c->access_modes[i], modes[k]))
				break;
		if (k == ARRAY_SIZE(modes))
			dec_error(d, it, p, "Unsupported value: \"%.40s\": "
			    "supported values: \"ReadOnlyMany\", "
			    "\"ReadWriteMany\", \"ReadWriteOnce\", "
			    "\"ReadWriteOncePod\"", c->access_modes[i]);
		else if (k == 3)
			pod = true;
	}
	if (pod && i > 1)
		dec_error(d, n, path, "may not use ReadWriteOncePod with other "
		    "access modes");
}

static void
dec_resources(struct cfg_diags *d, const struct cfg_node *m,
    const char *path, struct cfg_pvc *c)
{
	const struct cfg_node *f, *r;
	char p[DEC_PATH], q[DEC_PATH];

	if (!dec_map(d, m, path))
		return;
	for (f = m->child; f != NULL; f = f->next) {
		dec_path(p, path, f->key);
		if (strcmp(f->key, "requests") && strcmp(f->key, "limits")) {
			dec_unknown(d, f, p);
			continue;
		}
		if (!dec_map(d, f, p))
			continue;
		for (r = f->child; r != NULL; r = r->next) {
			dec_path(q, p, r->key);
			if (strcmp(r->key, "storage") != 0)
				dec_error(d, r, q, "Unsupported value: "
				    "\"%.40s\": supported values: \"storage\"",
				    r->key);
			else if (f->key[0] == 'r' &&
			    dec_bytes(d, r, q, &c->request) == 0) {
				if (c->request <= 0)
					dec_error(d, r, q, "must be greater "
					    "than zero");
				free(c->request_text);
				c->request_text = xstrdup(r->value);
			}
		}
	}
}

static void
dec_spec(struct cfg_diags *d, const struct cfg_node *m, const char *path,
    struct cfg_pvc *c)
{
	const struct cfg_node *f;
	char p[DEC_PATH];

	for (f = m->child; f != NULL; f = f->next) {
		dec_path(p, path, f->key);
		if (!strcmp(f->key, "accessModes")) {
			dec_modes(d, f, p, c);
		} else if (!strcmp(f->key, "resources")) {
			dec_resources(d, f, p, c);
		} else if (!strcmp(f->key, "storageClassName")) {
			if (dec_str(d, f, p, &c->storage_class) == 0 &&
			    c->storage_class[0] != '\0')
				dec_name(d, f, p, c->storage_class,
				    cfg_check_dns1123_subdomain,
				    "storageClassName");
		} else if (!strcmp(f->key, "volumeMode")) {
			if (dec_str(d, f, p, &c->volume_mode) != 0)
				continue;
			if (!strcmp(c->volume_mode, "Block"))
				dec_error(d, f, p, "Block volumes are not "
				    "supported on this node");
			else if (strcmp(c->volume_mode, "Filesystem") != 0)
				dec_error(d, f, p, "Unsupported value: "
				    "\"%.40s\": supported values: \"Block\", "
				    "\"Filesystem\"", c->volume_mode);
		} else if (!strcmp(f->key, "volumeName") ||
		    !strcmp(f->key, "selector") ||
		    !strcmp(f->key, "dataSource") ||
		    !strcmp(f->key, "dataSourceRef") ||
		    !strcmp(f->key, "volumeAttributesClassName")) {
			dec_warn(d, f, p, "ignored: a claim on this node is "
			    "bound to a local directory");
		} else {
			dec_unknown(d, f, p);
		}
	}
	dec_path(p, path, "accessModes");
	if (c->access_modes == NULL || c->access_modes[0] == NULL)
		cfg_diag_add(d, CFG_ERROR, m->line, m->col, p, "Required "
		    "value: at least 1 access mode is required");
	if (c->request < 0 && dec_is_null(cfg_node_get(cfg_node_get(
	    cfg_node_get(m, "resources"), "requests"), "storage")))
		dec_missing(d, m, path, "resources.requests.storage");
	if (c->volume_mode == NULL)
		c->volume_mode = xstrdup("Filesystem");
}

int
cfg_pvc_decode(struct cfg_node *tree, const char *path, struct cfg_pvc **out,
    struct cfg_diags *d)
{
	struct cfg_pvc *c = xcalloc(1, sizeof(*c));
	const struct cfg_node *f, *spec = NULL;
	size_t nerr = d->nerrors;
	char p[DEC_PATH];

	*out = NULL;
	c->tree = tree;
	c->meta.line = tree->line;
	c->request = -1;
	for (f = tree->child; f != NULL; f = f->next) {
		dec_path(p, path, f->key);
		if (!strcmp(f->key, "metadata")) {
			if (dec_map(d, f, p))
				dec_meta(d, f, p, &c->meta);
		} else if (!strcmp(f->key, "spec")) {
			if (dec_map(d, f, p))
				spec = f;
		} else if (strcmp(f->key, "apiVersion") &&
		    strcmp(f->key, "kind") && strcmp(f->key, "status")) {
			dec_unknown(d, f, p);
		}
	}
	if (dec_is_null(cfg_node_get(tree, "metadata")))
		dec_missing(d, tree, path, "metadata");
	dec_path(p, path, "spec");
	if (spec != NULL)
		dec_spec(d, spec, p, c);
	else if (dec_is_null(cfg_node_get(tree, "spec")))
		dec_missing(d, tree, path, "spec");
	if (d->nerrors > nerr) {
		cfg_pvc_free(c);
		return -EINVAL;
	}
	*out = c;
	return 0;
}

void
cfg_pvc_free(struct cfg_pvc *c)
{
	if (c == NULL)
		return;
	dec_meta_free(&c->meta);
	strv_free(c->access_modes);
	free(c->storage_class);
	free(c->volume_mode);
	free(c->request_text);
	cfg_node_free(c->tree);
	free(c);
}
