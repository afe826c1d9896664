/*
 * volume: spec.volumes of a Pod into typed struct cfg_volume, checked as
 * the API server checks them: a DNS-1123 label name and exactly one
 * source; emptyDir medium "" or Memory with a sizeLimit; hostPath an
 * absolute path without ".." and a known type; configMap, secret,
 * downwardAPI and projected sources with items whose paths stay inside
 * the volume (no "..", not absolute, not starting with "..") and are not
 * repeated, modes 0..0777 (those sources are volume_src.c's);
 * persistentVolumeClaim by claimName.  A type
 * picolet does not serve is kept as CFG_VOL_OTHER with a warning: it is an
 * error only for a container that mounts it, which core reports.
 */
#include <stdlib.h>
#include <string.h>

#include "cfg/decode.h"
#include "lib/util.h"

#define DEFAULT_MODE 0644

static const char *const host_types[] = { "", "DirectoryOrCreate",
	"Directory", "FileOrCreate", "File", "Socket", "CharDevice",
	"BlockDevice" };

static void
dec_empty_dir(struct cfg_diags *d, const struct cfg_node *m,
    const char *path, struct cfg_volume *v)
{
	const struct cfg_node *c;
	char p[DEC_PATH], *s = NULL;

	v->size_limit = -1;
	if (!dec_map(d, m, path))
		return;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "medium")) {
			if (dec_str(d, c, p, &s) != 0)
				continue;
			if (!strcmp(s, "Memory"))
				v->memory = true;
			else if (!strncmp(s, "HugePages", 9))
				dec_error(d, c, p, "HugePages are not supported "
				    "on this node");
			else if (s[0] != '\0')
				dec_error(d, c, p, "Unsupported value: \"%.40s\": "
				    "supported values: \"\", \"Memory\"", s);
			free(s);
			s = NULL;
		} else if (!strcmp(c->key, "sizeLimit")) {
			/* 0 is no limit, as the kubelet reads it */
			if (dec_bytes(d, c, p, &v->size_limit) == 0 &&
			    v->size_limit == 0)
				v->size_limit = -1;
		} else {
			dec_unknown(d, c, p);
		}
	}
}

/* A ".." component, as in "/a/../b" (but "/a..b" is a name). */
static bool
has_dotdot(const char *s)
{
	const char *p;

	for (p = s; (p = strstr(p, "..")) != NULL; p += 2)
		if ((p == s || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
	return false;
}

static void
dec_host_path(struct cfg_diags *d, const struct cfg_node *m,
    const char *path, struct cfg_volume *v)
{
	const struct cfg_node *c;
	char p[DEC_PATH], *s = NULL;
	size_t i;

	if (!dec_map(d, m, path)) {
		if (dec_is_null(m))
			dec_missing(d, m, path, "path");
		return;
	}
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "path")) {
			if (dec_str(d, c, p, &v->host_path) != 0)
				continue;
			if (v->host_path[0] != '/')
				dec_error(d, c, p, "must be an absolute path");
			else if (has_dotdot(v->host_path))
				dec_error(d, c, p, "must not contain '..'");
		} else if (!strcmp(c->key, "type")) {
			if (dec_str(d, c, p, &s) != 0)
				continue;
			for (i = 0; i < ARRAY_SIZE(host_types); i++)
				if (!strcmp(s, host_types[i]))
					break;
			if (i == ARRAY_SIZE(host_types))
				dec_error(d, c, p, "Unsupported value: \"%.40s\": "
				    "supported values: \"\", \"BlockDevice\", "
				    "\"CharDevice\", \"Directory\", "
				    "\"DirectoryOrCreate\", \"File\", "
				    "\"FileOrCreate\", \"Socket\"", s);
			else
				v->host_type = (enum cfg_host_type)i;
			free(s);
			s = NULL;
		} else {
			dec_unknown(d, c, p);
		}
	}
	if (v->host_path == NULL || v->host_path[0] == '\0')
		dec_missing(d, m, path, "path");
}

static void
dec_pvc_source(struct cfg_diags *d, const struct cfg_node *m,
    const char *path, struct cfg_volume *v)
{
	const struct cfg_node *c;
	char p[DEC_PATH];

	if (!dec_map(d, m, path)) {
		if (dec_is_null(m))
			dec_missing(d, m, path, "claimName");
		return;
	}
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "claimName")) {
			if (dec_str(d, c, p, &v->claim) == 0 &&
			    v->claim[0] != '\0')
				dec_name(d, c, p, v->claim,
				    cfg_check_dns1123_subdomain, "claimName");
		} else if (!strcmp(c->key, "readOnly")) {
			dec_bool(d, c, p, &v->read_only);
		} else {
			dec_unknown(d, c, p);
		}
	}
	if (v->claim == NULL || v->claim[0] == '\0')
		dec_missing(d, m, path, "claimName");
}

struct path_ref {
	const char *path;
	const struct cfg_node *n;
};

static int
by_path(const void *x, const void *y)
{
	const struct path_ref *a = x, *b = y;
	int r = strcmp(a->path, b->path);

	if (r != 0)
		return r;
	return a->n->line != b->n->line ? a->n->line - b->n->line :
	    a->n->col - b->n->col;
}

static const struct cfg_node *
item_node(const struct cfg_node *src, size_t k)
{
	const struct cfg_node *items = cfg_node_get(src, "items"), *c;

	if (items == NULL || items->type != CFG_SEQ)
		return src;
	for (c = items->child; c != NULL && k > 0; c = c->next)
		k--;
	if (c == NULL)
		return items;
	return cfg_node_get(c, "path") ? cfg_node_get(c, "path") : c;
}

/* The source nodes of v, in v->srcs order (projected: the inner map). */
static const struct cfg_node *
src_node(const struct cfg_volume *v, size_t i)
{
	const struct cfg_node *srcs, *it, *f;
	size_t k = 0;

	if (v->kind != CFG_VOL_PROJECTED)
		return v->node;
	srcs = cfg_node_get(v->node, "sources");
	for (it = srcs ? srcs->child : NULL; it != NULL; it = it->next) {
		for (f = it->type == CFG_MAP ? it->child : NULL; f != NULL;
		    f = f->next) {
			if (strcmp(f->key, "configMap") &&
			    strcmp(f->key, "secret") &&
			    strcmp(f->key, "downwardAPI"))
				continue;
			if (k++ == i)
				return f;
			break;
		}
	}
	return v->node;
}

/* Two items writing one path: "conflicting duplicate paths". */
static void
check_paths(struct cfg_diags *d, const char *path, struct cfg_volume *v)
{
	struct path_ref *refs;
	size_t i, j, n = 0, total = 0;

	for (i = 0; i < v->nsrcs; i++)
		total += v->srcs[i].nitems + v->srcs[i].nfields;
	refs = xcalloc(total + 1, sizeof(*refs));
	for (i = 0; i < v->nsrcs; i++) {
		const struct cfg_vol_source *s = &v->srcs[i];
		const struct cfg_node *sn = src_node(v, i);

		for (j = 0; j < s->nitems; j++)
			if (s->items[j].path != NULL)
				refs[n++] = (struct path_ref){ s->items[j].path,
				    item_node(sn, j) };
		for (j = 0; j < s->nfields; j++)
			if (s->fields[j].path != NULL)
				refs[n++] = (struct path_ref){
				    s->fields[j].path, item_node(sn, j) };
	}
	qsort(refs, n, sizeof(*refs), by_path);
	for (i = 1; i < n; i++)
		if (!strcmp(refs[i].path, refs[i - 1].path))
			dec_error(d, refs[i].n, path, "Invalid value: \"%.60s\": "
			    "conflicting duplicate paths", refs[i].path);
	free(refs);
}

static void
dec_source_of(struct cfg_diags *d, const char *path, struct cfg_volume *v)
{
	const struct cfg_node *n = v->node;
	const char *t = v->type;

	v->default_mode = DEFAULT_MODE;
	v->size_limit = -1;
	if (!strcmp(t, "emptyDir")) {
		v->kind = CFG_VOL_EMPTYDIR;
		dec_empty_dir(d, n, path, v);
	} else if (!strcmp(t, "hostPath")) {
		v->kind = CFG_VOL_HOSTPATH;
		dec_host_path(d, n, path, v);
	} else if (!strcmp(t, "configMap") || !strcmp(t, "secret") ||
	    !strcmp(t, "downwardAPI")) {
		v->kind = t[0] == 'c' ? CFG_VOL_CONFIGMAP : t[0] == 's' ?
		    CFG_VOL_SECRET : CFG_VOL_DOWNWARD;
		v->srcs = xcalloc(1, sizeof(*v->srcs));
		v->nsrcs = 1;
		dec_vol_source(d, n, path, v->kind, t[0] == 'c' ? "name" :
		    t[0] == 's' ? "secretName" : NULL, v, v->srcs);
	} else if (!strcmp(t, "projected")) {
		v->kind = CFG_VOL_PROJECTED;
		dec_vol_projected(d, n, path, v);
	} else if (!strcmp(t, "persistentVolumeClaim")) {
		v->kind = CFG_VOL_PVC;
		dec_pvc_source(d, n, path, v);
	} else {
		v->kind = CFG_VOL_OTHER;
		dec_warn(d, n, path, "volume type %.40s is not supported on "
		    "this node: a container that mounts it will not start", t);
		return;
	}
	check_paths(d, path, v);
}

/* Each volume: a name and exactly one source. */
void
dec_volumes(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    struct cfg_pod *pod)
{
	const struct cfg_node *c, *f;
	struct cfg_volume *v;
	char p[DEC_PATH], fp[DEC_PATH], sp[DEC_PATH];
	size_t i;

	if (!dec_seq(d, n, path))
		return;
	pod->volumes = xcalloc(n->n + 1, sizeof(*pod->volumes));
	for (c = n->child, i = 0; c != NULL; c = c->next, i++) {
		dec_path_idx(p, path, i);
		if (!dec_item(d, c, p))
			continue;
		v = &pod->volumes[pod->nvolumes++];
		v->default_mode = DEFAULT_MODE;
		v->size_limit = -1;
		for (f = c->child; f != NULL; f = f->next) {
			dec_path(fp, p, f->key);
			if (!strcmp(f->key, "name")) {
				if (dec_str(d, f, fp, &v->name) == 0)
					dec_name(d, f, fp, v->name,
					    cfg_check_dns1123_label, "name");
			} else if (v->type != NULL) {
				dec_error(d, f, fp, "may not specify more than "
				    "1 volume type");
			} else {
				v->type = xstrdup(f->key);
				v->node = f;
				dec_path(sp, p, f->key);
			}
		}
		if (v->name == NULL)
			dec_missing(d, c, p, "name");
		if (v->type == NULL)
			dec_error(d, c, p, "must specify a volume type");
		else
			dec_source_of(d, sp, v);
	}
	dec_dups(d, &n, &path, 1, "name");
}

static void
source_free(struct cfg_vol_source *s)
{
	size_t i;

	free(s->name);
	for (i = 0; i < s->nitems; i++) {
		free(s->items[i].key);
		free(s->items[i].path);
	}
	free(s->items);
	for (i = 0; i < s->nfields; i++) {
		free(s->fields[i].path);
		free(s->fields[i].field_path);
		free(s->fields[i].resource);
		free(s->fields[i].container_name);
		free(s->fields[i].divisor);
	}
	free(s->fields);
}

void
dec_volume_free(struct cfg_volume *v)
{
	size_t i;

	free(v->name);
	free(v->type);
	free(v->host_path);
	for (i = 0; i < v->nsrcs; i++)
		source_free(&v->srcs[i]);
	free(v->srcs);
	free(v->claim);
}
