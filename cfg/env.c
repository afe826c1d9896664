/*
 * env: a container's env, envFrom and volumeMounts lists.  valueFrom
 * sources are decoded and kept (resolving configMaps and secrets is
 * another module's job); exactly one source per entry, as Kubernetes says.
 */
#include <stdlib.h>
#include <string.h>

#include "cfg/decode.h"
#include "lib/util.h"

/* {name, key, optional} of configMapKeyRef / secretKeyRef / envFrom refs */
static void
dec_ref(struct cfg_diags *d, const struct cfg_node *m, const char *path,
    bool want_key, char **name, char **key, bool *optional)
{
	const struct cfg_node *c;
	char p[DEC_PATH];

	if (!dec_map(d, m, path))
		return;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "name"))
			dec_str(d, c, p, name);
		else if (want_key && !strcmp(c->key, "key"))
			dec_str(d, c, p, key);
		else if (!strcmp(c->key, "optional"))
			dec_bool(d, c, p, optional);
		else
			dec_unknown(d, c, p);
	}
	if (want_key && *key == NULL)
		dec_missing(d, m, path, "key");
}

static void
dec_field_ref(struct cfg_diags *d, const struct cfg_node *m,
    const char *path, struct cfg_env *e)
{
	const struct cfg_node *c;
	char p[DEC_PATH];
	bool res = e->src == CFG_ENV_RESOURCE;

	if (!dec_map(d, m, path))
		return;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!res && !strcmp(c->key, "fieldPath"))
			dec_str(d, c, p, &e->ref_key);
		else if (!res && !strcmp(c->key, "apiVersion"))
			continue;
		else if (res && !strcmp(c->key, "resource"))
			dec_str(d, c, p, &e->ref_key);
		else if (res && !strcmp(c->key, "containerName"))
			dec_str(d, c, p, &e->ref_name);
		else if (res && !strcmp(c->key, "divisor"))
			dec_text(d, c, p, &e->divisor);
		else
			dec_unknown(d, c, p);
	}
	if (e->ref_key == NULL)
		dec_missing(d, m, path, res ? "resource" : "fieldPath");
}

static void
dec_value_from(struct cfg_diags *d, const struct cfg_node *m,
    const char *path, struct cfg_env *e)
{
	const struct cfg_node *c;
	char p[DEC_PATH];
	int n = 0;

	if (!dec_map(d, m, path))
		return;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "fieldRef"))
			e->src = CFG_ENV_FIELD;
		else if (!strcmp(c->key, "resourceFieldRef"))
			e->src = CFG_ENV_RESOURCE;
		else if (!strcmp(c->key, "configMapKeyRef"))
			e->src = CFG_ENV_CONFIGMAP;
		else if (!strcmp(c->key, "secretKeyRef"))
			e->src = CFG_ENV_SECRET;
		else {
			dec_unknown(d, c, p);
			continue;
		}
		if (++n > 1) {
			dec_error(d, c, p, "may not have more than one field "
			    "specified at a time");
			return;
		}
		if (e->src == CFG_ENV_FIELD || e->src == CFG_ENV_RESOURCE)
			dec_field_ref(d, c, p, e);
		else
			dec_ref(d, c, p, true, &e->ref_name, &e->ref_key,
			    &e->optional);
	}
	if (n == 0)
		dec_error(d, m, path, "must specify one of: `fieldRef`, "
		    "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
}

static void
dec_env_item(struct cfg_diags *d, const struct cfg_node *m, const char *path,
    struct cfg_env *e)
{
	const struct cfg_node *c, *vf = NULL;
	char p[DEC_PATH];

	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "name")) {
			if (dec_str(d, c, p, &e->name) == 0)
				dec_name(d, c, p, e->name, cfg_check_env_name,
				    "name");
		} else if (!strcmp(c->key, "value"))
			dec_str(d, c, p, &e->value);
		else if (!strcmp(c->key, "valueFrom")) {
			vf = c;
			dec_value_from(d, c, p, e);
		} else
			dec_unknown(d, c, p);
	}
	if (e->name == NULL)
		dec_missing(d, m, path, "name");
	if (vf != NULL && !dec_is_null(vf) && e->value != NULL &&
	    e->value[0] != '\0') {
		dec_path(p, path, "valueFrom");
		dec_error(d, vf, p, "may not be specified when `value` is not "
		    "empty");
	}
	if (e->value == NULL)
		e->value = xstrdup("");
}

void
dec_env(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    struct cfg_container *ct)
{
	const struct cfg_node *c;
	char p[DEC_PATH];
	size_t i;

	if (!dec_seq(d, n, path))
		return;
	ct->env = xcalloc(n->n + 1, sizeof(*ct->env));
	for (c = n->child, i = 0; c != NULL; c = c->next, i++) {
		dec_path_idx(p, path, i);
		if (dec_item(d, c, p))
			dec_env_item(d, c, p, &ct->env[ct->nenv++]);
	}
}

void
dec_env_from(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    struct cfg_container *ct)
{
	const struct cfg_node *c, *f;
	char p[DEC_PATH], fp[DEC_PATH];
	struct cfg_env_from *e;
	size_t i;
	int nsrc;

	if (!dec_seq(d, n, path))
		return;
	ct->env_from = xcalloc(n->n + 1, sizeof(*ct->env_from));
	for (c = n->child, i = 0; c != NULL; c = c->next, i++) {
		dec_path_idx(p, path, i);
		if (!dec_item(d, c, p))
			continue;
		e = &ct->env_from[ct->nenv_from++];
		nsrc = 0;
		for (f = c->child; f != NULL; f = f->next) {
			dec_path(fp, p, f->key);
			if (!strcmp(f->key, "prefix"))
				dec_str(d, f, fp, &e->prefix);
			else if (!strcmp(f->key, "configMapRef") ||
			    !strcmp(f->key, "secretRef")) {
				e->is_secret = f->key[0] == 's';
				if (nsrc++ > 0)
					dec_error(d, f, fp, "may not have more "
					    "than one field specified at a "
					    "time");
				else
					dec_ref(d, f, fp, false, &e->name,
					    NULL, &e->optional);
			} else
				dec_unknown(d, f, fp);
		}
		if (nsrc == 0)
			dec_error(d, c, p, "must specify one of: `configMapRef`"
			    " or `secretRef`");
		else if (e->prefix != NULL && e->prefix[0] != '\0')
			dec_name(d, c, p, e->prefix, cfg_check_env_name,
			    "prefix");
	}
}

static void
dec_mount_item(struct cfg_diags *d, const struct cfg_node *m,
    const char *path, struct cfg_volume_mount *vm)
{
	static const char *const props[] = { "None", "HostToContainer",
	    "Bidirectional" };
	const struct cfg_node *c;
	const char *why;
	char p[DEC_PATH];
	size_t i;

	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "name"))
			dec_str(d, c, p, &vm->name);
		else if (!strcmp(c->key, "mountPath")) {
			if (dec_str(d, c, p, &vm->mount_path) == 0 &&
			    vm->mount_path[0] == '\0')
				dec_error(d, c, p, "must not be empty");
		} else if (!strcmp(c->key, "subPath")) {
			if (dec_str(d, c, p, &vm->sub_path) == 0 &&
			    vm->sub_path[0] != '\0' &&
			    (why = cfg_check_rel_path(vm->sub_path)) != NULL)
				dec_error(d, c, p, "invalid path \"%.60s\": %s",
				    vm->sub_path, why);
		} else if (!strcmp(c->key, "readOnly"))
			dec_bool(d, c, p, &vm->read_only);
		else if (!strcmp(c->key, "mountPropagation")) {
			if (dec_str(d, c, p, &vm->propagation) != 0)
				continue;
			for (i = 0; i < ARRAY_SIZE(props); i++)
				if (!strcmp(vm->propagation, props[i]))
					break;
			if (i == ARRAY_SIZE(props))
				dec_error(d, c, p, "supported values: \"None\","
				    " \"HostToContainer\", \"Bidirectional\"");
		} else
			dec_unknown(d, c, p);
	}
	if (vm->name == NULL)
		dec_missing(d, m, path, "name");
	if (vm->mount_path == NULL)
		dec_missing(d, m, path, "mountPath");
}

void
dec_mounts(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    struct cfg_container *ct)
{
	const struct cfg_node *c;
	char p[DEC_PATH];
	size_t i;

	if (!dec_seq(d, n, path))
		return;
	ct->mounts = xcalloc(n->n + 1, sizeof(*ct->mounts));
	for (c = n->child, i = 0; c != NULL; c = c->next, i++) {
		dec_path_idx(p, path, i);
		if (dec_item(d, c, p))
			dec_mount_item(d, c, p, &ct->mounts[ct->nmounts++]);
	}
	dec_dups(d, &n, &path, 1, "mountPath");
}
