/*
 * volume_src: the sources of files in a volume: configMap and secret
 * (items of key, path and mode), downwardAPI (fieldRef of the volume's
 * metadata set, resourceFieldRef of a container's requests and limits)
 * and the sources[] of a projected volume.  Every items path must stay
 * inside the volume: relative, no ".." component, not starting with ".."
 * (the kubelet's own "..data" names live there).
 */
#include <stdlib.h>
#include <string.h>

#include "cfg/decode.h"
#include "lib/util.h"

/* items[].path: inside the volume. */
static void
dec_item_path(struct cfg_diags *d, const struct cfg_node *c, const char *p,
    char **out)
{
	const char *why;

	if (dec_str(d, c, p, out) != 0)
		return;
	if ((why = cfg_check_rel_path(*out)) != NULL)
		dec_error(d, c, p, "invalid path \"%.60s\": %s", *out, why);
	else if (!strncmp(*out, "..", 2))
		dec_error(d, c, p, "invalid path \"%.60s\": must not start "
		    "with '..'", *out);
}

/* configMap / secret items: [{key, path, mode}] */
static void
dec_key_paths(struct cfg_diags *d, const struct cfg_node *n,
    const char *path, struct cfg_vol_source *s)
{
	const struct cfg_node *c, *f;
	char p[DEC_PATH], fp[DEC_PATH];
	struct cfg_key_path *kp;
	size_t i;

	if (!dec_seq(d, n, path))
		return;
	s->items = xcalloc(n->n + 1, sizeof(*s->items));
	for (c = n->child, i = 0; c != NULL; c = c->next, i++) {
		dec_path_idx(p, path, i);
		if (!dec_item(d, c, p))
			continue;
		kp = &s->items[s->nitems++];
		kp->mode = -1;
		for (f = c->child; f != NULL; f = f->next) {
			dec_path(fp, p, f->key);
			if (!strcmp(f->key, "key")) {
				if (dec_str(d, f, fp, &kp->key) == 0)
					dec_name(d, f, fp, kp->key,
					    cfg_check_config_key, "key");
			} else if (!strcmp(f->key, "path")) {
				dec_item_path(d, f, fp, &kp->path);
			} else if (!strcmp(f->key, "mode")) {
				dec_mode(d, f, fp, &kp->mode);
			} else {
				dec_unknown(d, f, fp);
			}
		}
		if (kp->key == NULL || kp->key[0] == '\0')
			dec_missing(d, c, p, "key");
		if (kp->path == NULL || kp->path[0] == '\0')
			dec_missing(d, c, p, "path");
	}
}

/* metadata.name, ..., metadata.labels['k']: the downward volume's set */
static void
check_field_path(struct cfg_diags *d, const struct cfg_node *n,
    const char *path, const char *s)
{
	static const char *const plain[] = { "metadata.annotations",
	    "metadata.labels", "metadata.name", "metadata.namespace",
	    "metadata.uid" };
	const char *key = NULL, *(*check)(const char *) = NULL;
	size_t i, len;
	char *k;

	for (i = 0; i < ARRAY_SIZE(plain); i++)
		if (!strcmp(s, plain[i]))
			return;
	if (!strncmp(s, "metadata.labels['", 17)) {
		key = s + 17;
		check = cfg_check_label_key;
	} else if (!strncmp(s, "metadata.annotations['", 22)) {
		key = s + 22;
		check = cfg_check_label_key;
	}
	len = key ? strlen(key) : 0;
	if (key == NULL || len < 2 || strcmp(key + len - 2, "']") != 0) {
		dec_error(d, n, path, "Unsupported value: \"%.60s\": supported "
		    "values: \"metadata.annotations\", \"metadata.labels\", "
		    "\"metadata.name\", \"metadata.namespace\", "
		    "\"metadata.uid\"", s);
		return;
	}
	k = xstrndup(key, len - 2);
	dec_name(d, n, path, k, check, "key");
	free(k);
}

static void
dec_field_ref(struct cfg_diags *d, const struct cfg_node *m,
    const char *path, struct cfg_field_path *fp)
{
	const struct cfg_node *c;
	char p[DEC_PATH];

	if (!dec_map(d, m, path))
		return;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "fieldPath")) {
			if (dec_str(d, c, p, &fp->field_path) == 0)
				check_field_path(d, c, p, fp->field_path);
		} else if (strcmp(c->key, "apiVersion") != 0) {
			dec_unknown(d, c, p);
		}
	}
	if (fp->field_path == NULL)
		dec_missing(d, m, path, "fieldPath");
}

static void
dec_resource_ref(struct cfg_diags *d, const struct cfg_node *m,
    const char *path, struct cfg_field_path *fp)
{
	static const char *const res[] = { "limits.cpu", "limits.memory",
	    "limits.ephemeral-storage", "requests.cpu", "requests.memory",
	    "requests.ephemeral-storage" };
	const struct cfg_node *c;
	char p[DEC_PATH];
	size_t i;

	if (!dec_map(d, m, path))
		return;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "resource")) {
			if (dec_str(d, c, p, &fp->resource) != 0)
				continue;
			for (i = 0; i < ARRAY_SIZE(res); i++)
				if (!strcmp(fp->resource, res[i]))
					break;
			if (i == ARRAY_SIZE(res))
				dec_error(d, c, p, "Unsupported value: \"%.40s\": "
				    "supported values: \"limits.cpu\", "
				    "\"limits.ephemeral-storage\", "
				    "\"limits.memory\", \"requests.cpu\", "
				    "\"requests.ephemeral-storage\", "
				    "\"requests.memory\"", fp->resource);
		} else if (!strcmp(c->key, "containerName")) {
			dec_str(d, c, p, &fp->container_name);
		} else if (!strcmp(c->key, "divisor")) {
			dec_text(d, c, p, &fp->divisor);
		} else {
			dec_unknown(d, c, p);
		}
	}
	if (fp->resource == NULL)
		dec_missing(d, m, path, "resource");
	if (fp->container_name == NULL || fp->container_name[0] == '\0')
		dec_missing(d, m, path, "containerName");
}

/* downwardAPI items: [{path, fieldRef | resourceFieldRef, mode}] */
static void
dec_field_paths(struct cfg_diags *d, const struct cfg_node *n,
    const char *path, struct cfg_vol_source *s)
{
	const struct cfg_node *c, *f;
	char p[DEC_PATH], fp[DEC_PATH];
	struct cfg_field_path *it;
	size_t i;
	int nsrc;

	if (!dec_seq(d, n, path))
		return;
	s->fields = xcalloc(n->n + 1, sizeof(*s->fields));
	for (c = n->child, i = 0; c != NULL; c = c->next, i++) {
		dec_path_idx(p, path, i);
		if (!dec_item(d, c, p))
			continue;
		it = &s->fields[s->nfields++];
		it->mode = -1;
		nsrc = 0;
		for (f = c->child; f != NULL; f = f->next) {
			dec_path(fp, p, f->key);
			if (!strcmp(f->key, "path")) {
				dec_item_path(d, f, fp, &it->path);
			} else if (!strcmp(f->key, "mode")) {
				dec_mode(d, f, fp, &it->mode);
			} else if (!strcmp(f->key, "fieldRef") ||
			    !strcmp(f->key, "resourceFieldRef")) {
				if (dec_is_null(f))
					continue;
				if (nsrc++ > 0) {
					dec_error(d, f, fp, "fieldRef and "
					    "resourceFieldRef can not be "
					    "specified simultaneously");
					continue;
				}
				if (f->key[0] == 'f')
					dec_field_ref(d, f, fp, it);
				else
					dec_resource_ref(d, f, fp, it);
			} else {
				dec_unknown(d, f, fp);
			}
		}
		if (it->path == NULL || it->path[0] == '\0')
			dec_missing(d, c, p, "path");
		if (nsrc == 0)
			dec_error(d, c, p, "must specify one of: `fieldRef` or "
			    "`resourceFieldRef`");
	}
}

/*
 * One source of files.  name_key: "name" (configMap, and every projected
 * source) or "secretName" (a secret volume); NULL for downwardAPI.  A
 * volume (not a projected source) also has defaultMode.
 */
void
dec_vol_source(struct cfg_diags *d, const struct cfg_node *m, const char *path,
    enum cfg_vol_kind kind, const char *name_key, struct cfg_volume *v,
    struct cfg_vol_source *s)
{
	const struct cfg_node *c;
	char p[DEC_PATH];
	bool is_vol = v != NULL;

	s->kind = kind;
	if (!dec_map(d, m, path)) {
		if (dec_is_null(m) && name_key != NULL)
			dec_missing(d, m, path, name_key);
		return;
	}
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (name_key != NULL && !strcmp(c->key, name_key)) {
			if (dec_str(d, c, p, &s->name) == 0 &&
			    s->name[0] != '\0')
				dec_name(d, c, p, s->name,
				    cfg_check_dns1123_subdomain, "name");
		} else if (name_key != NULL && !strcmp(c->key, "optional")) {
			dec_bool(d, c, p, &s->optional);
		} else if (!strcmp(c->key, "items")) {
			if (kind == CFG_VOL_DOWNWARD)
				dec_field_paths(d, c, p, s);
			else
				dec_key_paths(d, c, p, s);
		} else if (is_vol && !strcmp(c->key, "defaultMode")) {
			dec_mode(d, c, p, &v->default_mode);
		} else {
			dec_unknown(d, c, p);
		}
	}
	if (name_key != NULL && (s->name == NULL || s->name[0] == '\0'))
		dec_missing(d, m, path, name_key);
}

/* projected.sources[]: each exactly one of configMap, secret, downwardAPI */
void
dec_vol_projected(struct cfg_diags *d, const struct cfg_node *m,
    const char *path, struct cfg_volume *v)
{
	const struct cfg_node *c, *srcs = NULL, *it, *f;
	char p[DEC_PATH], ip[DEC_PATH], fp[DEC_PATH];
	size_t i;
	int n;

	if (!dec_map(d, m, path))
		return;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "sources"))
			srcs = c;
		else if (!strcmp(c->key, "defaultMode"))
			dec_mode(d, c, p, &v->default_mode);
		else
			dec_unknown(d, c, p);
	}
	dec_path(p, path, "sources");
	if (srcs == NULL || !dec_seq(d, srcs, p))
		return;
	v->srcs = xcalloc(srcs->n + 1, sizeof(*v->srcs));
	for (it = srcs->child, i = 0; it != NULL; it = it->next, i++) {
		struct cfg_vol_source *s = &v->srcs[v->nsrcs];

		dec_path_idx(ip, p, i);
		if (!dec_item(d, it, ip))
			continue;
		n = 0;
		for (f = it->child; f != NULL; f = f->next) {
			dec_path(fp, ip, f->key);
			if (!strcmp(f->key, "serviceAccountToken") ||
			    !strcmp(f->key, "clusterTrustBundle")) {
				dec_error(d, f, fp, "%s sources are not "
				    "supported on this node", f->key);
				n++;
				continue;
			}
			if (strcmp(f->key, "configMap") &&
			    strcmp(f->key, "secret") &&
			    strcmp(f->key, "downwardAPI")) {
				dec_unknown(d, f, fp);
				continue;
			}
			if (n++ > 0) {
				dec_error(d, f, fp, "may not specify more than "
				    "1 volume type per source");
				continue;
			}
			v->nsrcs++;
			if (!strcmp(f->key, "configMap"))
				dec_vol_source(d, f, fp, CFG_VOL_CONFIGMAP, "name",
				    NULL, s);
			else if (!strcmp(f->key, "secret"))
				dec_vol_source(d, f, fp, CFG_VOL_SECRET, "name",
				    NULL, s);
			else
				dec_vol_source(d, f, fp, CFG_VOL_DOWNWARD, NULL,
				    NULL, s);
		}
		if (n == 0)
			dec_error(d, it, ip, "must specify one of: `configMap`, "
			    "`secret` or `downwardAPI`");
	}
}
