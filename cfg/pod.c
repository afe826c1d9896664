/*
 * pod: kind Pod (v1) from its node tree into struct cfg_pod: metadata,
 * the pod-level spec fields, volumes, and the checks that span several
 * containers (names unique across init and app containers, every
 * volumeMount naming a volume).  Defaults follow Kubernetes so that what
 * picolet runs is what the API server would have stored.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/decode.h"
#include "lib/util.h"

/* Server-set metadata that kubectl -o yaml writes out: not a user error. */
static const char *const server_meta[] = { "uid", "resourceVersion",
	"generation", "creationTimestamp", "deletionTimestamp",
	"deletionGracePeriodSeconds", "managedFields", "selfLink",
	"ownerReferences", "finalizers", NULL };

static bool
in(const char *s, const char *const *l)
{
	for (; *l != NULL; l++)
		if (strcmp(s, *l) == 0)
			return true;
	return false;
}

void
dec_meta(struct cfg_diags *d, const struct cfg_node *m, const char *path,
    struct cfg_meta *meta)
{
	const struct cfg_node *c;
	char p[DEC_PATH];

	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "name")) {
			if (dec_str(d, c, p, &meta->name) == 0)
				dec_name(d, c, p, meta->name,
				    cfg_check_dns1123_subdomain, "name");
		} else if (!strcmp(c->key, "namespace")) {
			if (dec_str(d, c, p, &meta->namespace) == 0 &&
			    meta->namespace[0] == '\0') {
				free(meta->namespace);	/* "" is default */
				meta->namespace = NULL;
			} else if (meta->namespace != NULL)
				dec_name(d, c, p, meta->namespace,
				    cfg_check_dns1123_label, "namespace");
		} else if (!strcmp(c->key, "generateName"))
			dec_str(d, c, p, &meta->generate_name);
		else if (!strcmp(c->key, "labels"))
			dec_kvs(d, c, p, DEC_KV_LABELS, &meta->labels);
		else if (!strcmp(c->key, "annotations"))
			dec_kvs(d, c, p, DEC_KV_ANNOTATIONS,
			    &meta->annotations);
		else if (!in(c->key, server_meta))
			dec_unknown(d, c, p);
	}
	if (meta->name == NULL)
		dec_missing(d, m, path, "name");
	if (meta->namespace == NULL)
		meta->namespace = xstrdup("default");
}

static void
dec_containers(struct cfg_diags *d, const struct cfg_node *n,
    const char *path, bool init, struct cfg_container **out, size_t *nout)
{
	const struct cfg_node *c;
	char p[DEC_PATH];
	size_t i;

	if (!dec_seq(d, n, path))
		return;
	*out = xcalloc(n->n + 1, sizeof(**out));
	for (c = n->child, i = 0; c != NULL; c = c->next, i++) {
		dec_path_idx(p, path, i);
		if (dec_item(d, c, p))
			dec_container(d, c, p, init, &(*out)[(*nout)++]);
	}
}

static void
dec_pull_secrets(struct cfg_diags *d, const struct cfg_node *n,
    const char *path, struct cfg_pod *pod)
{
	const struct cfg_node *c, *f;
	char p[DEC_PATH], fp[DEC_PATH], *s;
	size_t i;

	if (!dec_seq(d, n, path))
		return;
	pod->image_pull_secrets = xcalloc(1, sizeof(char *));
	for (c = n->child, i = 0; c != NULL; c = c->next, i++) {
		dec_path_idx(p, path, i);
		if (!dec_item(d, c, p))
			continue;
		for (f = c->child; f != NULL; f = f->next) {
			dec_path(fp, p, f->key);
			s = NULL;
			if (strcmp(f->key, "name") != 0)
				dec_unknown(d, f, fp);
			else if (dec_str(d, f, fp, &s) == 0)
				strv_push(&pod->image_pull_secrets, s);
			free(s);
		}
	}
}

static void
dec_restart(struct cfg_diags *d, const struct cfg_node *c, const char *p,
    struct cfg_pod *pod)
{
	char *s = NULL;

	if (dec_str(d, c, p, &s) != 0)
		return;
	if (!strcmp(s, "Always"))
		pod->restart_policy = CFG_RESTART_ALWAYS;
	else if (!strcmp(s, "OnFailure"))
		pod->restart_policy = CFG_RESTART_ON_FAILURE;
	else if (!strcmp(s, "Never"))
		pod->restart_policy = CFG_RESTART_NEVER;
	else
		dec_error(d, c, p, "unsupported value \"%.40s\": supported "
		    "values: \"Always\", \"OnFailure\", \"Never\"", s);
	free(s);
}

static void
dec_label_field(struct cfg_diags *d, const struct cfg_node *c,
    const char *p, char **out)
{
	if (dec_str(d, c, p, out) == 0)
		dec_name(d, c, p, *out, cfg_check_dns1123_label, "name");
}

/* Scalar and small fields of spec; false if c is not one of them. */
static bool
dec_spec_simple(struct cfg_diags *d, const struct cfg_node *c,
    const char *p, struct cfg_pod *pod)
{
	if (!strcmp(c->key, "restartPolicy"))
		dec_restart(d, c, p, pod);
	else if (!strcmp(c->key, "terminationGracePeriodSeconds"))
		dec_int(d, c, p, 0, INT64_MAX, &pod->grace_period);
	else if (!strcmp(c->key, "activeDeadlineSeconds"))
		dec_int(d, c, p, 1, INT64_MAX, &pod->active_deadline);
	else if (!strcmp(c->key, "hostname"))
		dec_label_field(d, c, p, &pod->hostname);
	else if (!strcmp(c->key, "subdomain"))
		dec_label_field(d, c, p, &pod->subdomain);
	else if (!strcmp(c->key, "hostNetwork"))
		dec_bool(d, c, p, &pod->host_network);
	else if (!strcmp(c->key, "hostPID"))
		dec_bool(d, c, p, &pod->host_pid);
	else if (!strcmp(c->key, "hostIPC"))
		dec_bool(d, c, p, &pod->host_ipc);
	else if (!strcmp(c->key, "shareProcessNamespace"))
		dec_bool(d, c, p, &pod->share_process_namespace);
	else if (!strcmp(c->key, "serviceAccountName") ||
	    !strcmp(c->key, "serviceAccount"))
		dec_str(d, c, p, &pod->service_account);
	else if (!strcmp(c->key, "nodeSelector"))
		dec_kvs(d, c, p, DEC_KV_ANY, &pod->node_selector);
	else
		return false;
	return true;
}

static void
dec_spec(struct cfg_diags *d, const struct cfg_node *m, const char *path,
    struct cfg_pod *pod)
{
	const struct cfg_node *c;
	char p[DEC_PATH];

	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (dec_spec_simple(d, c, p, pod))
			continue;
		if (!strcmp(c->key, "containers"))
			dec_containers(d, c, p, false, &pod->containers,
			    &pod->ncontainers);
		else if (!strcmp(c->key, "initContainers"))
			dec_containers(d, c, p, true, &pod->init_containers,
			    &pod->ninit_containers);
		else if (!strcmp(c->key, "volumes"))
			dec_volumes(d, c, p, pod);
		else if (!strcmp(c->key, "imagePullSecrets"))
			dec_pull_secrets(d, c, p, pod);
		else if (!strcmp(c->key, "hostAliases"))
			dec_host_aliases(d, c, p, pod);
		else if (!strcmp(c->key, "securityContext"))
			dec_security(d, c, p, &pod->sec, &pod->fs_group);
		else
			dec_unknown(d, c, p);
	}
	c = cfg_node_get(m, "containers");
	dec_path(p, path, "containers");
	if (dec_is_null(c))
		dec_missing(d, m, path, "containers");
	else if (c->type == CFG_SEQ && c->n == 0)
		dec_error(d, c, p, "must have at least one container");
}

/* volumeMounts of one container item node must name a volume. */
static void
check_mounts(struct cfg_diags *d, const struct cfg_node *item,
    const char *path, const struct dec_names *vols)
{
	const struct cfg_node *vm = cfg_node_get(item, "volumeMounts"), *c, *n;
	char p[DEC_PATH], np[DEC_PATH];
	size_t i;

	if (vm == NULL || vm->type != CFG_SEQ)
		return;
	for (c = vm->child, i = 0; c != NULL; c = c->next, i++) {
		n = cfg_node_get(c, "name");
		if (n == NULL || n->type != CFG_SCALAR || dec_is_null(n))
			continue;
		dec_path(p, path, "volumeMounts");
		dec_path_idx(np, p, i);
		dec_path(p, np, "name");
		if (!dec_names_has(vols, n->value))
			dec_error(d, n, p, "Not found: \"%.60s\" (no volume of "
			    "that name)", n->value);
	}
}

/*
 * Container names unique across initContainers and containers, checked on
 * the tree so the error points at the second name.
 */
static void
check_containers(struct cfg_diags *d, const struct cfg_node *spec,
    const char *path, const struct cfg_pod *pod)
{
	static const char *const lists[] = { "initContainers", "containers" };
	const struct cfg_node *seqs[2], *c;
	char lp[2][DEC_PATH], p[DEC_PATH];
	const char *paths[2] = { lp[0], lp[1] };
	struct dec_names vols = { NULL, 0 };
	size_t i, k;

	vols.v = xcalloc(pod->nvolumes + 1, sizeof(*vols.v));
	for (i = 0; i < pod->nvolumes; i++)
		if (pod->volumes[i].name != NULL)
			vols.v[vols.n++] = pod->volumes[i].name;
	dec_names_sort(&vols);
	for (k = 0; k < ARRAY_SIZE(lists); k++) {
		seqs[k] = cfg_node_get(spec, lists[k]);
		dec_path(lp[k], path, lists[k]);
		if (seqs[k] == NULL || seqs[k]->type != CFG_SEQ)
			continue;
		for (c = seqs[k]->child, i = 0; c != NULL; c = c->next, i++) {
			dec_path_idx(p, lp[k], i);
			check_mounts(d, c, p, &vols);
		}
	}
	dec_dups(d, seqs, paths, 2, "name");
	free(vols.v);
}

static void
dec_top(struct cfg_diags *d, const struct cfg_node *tree, const char *path,
    struct cfg_pod *pod)
{
	const struct cfg_node *c, *spec = NULL;
	char p[DEC_PATH];

	for (c = tree->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "metadata")) {
			if (dec_map(d, c, p))
				dec_meta(d, c, p, &pod->meta);
		} else if (!strcmp(c->key, "spec")) {
			if (dec_map(d, c, p))
				spec = c;
		} else if (strcmp(c->key, "apiVersion") &&
		    strcmp(c->key, "kind") && strcmp(c->key, "status"))
			dec_unknown(d, c, p);
	}
	if (dec_is_null(cfg_node_get(tree, "metadata")))
		dec_missing(d, tree, path, "metadata");
	if (spec == NULL) {
		if (dec_is_null(cfg_node_get(tree, "spec")))
			dec_missing(d, tree, path, "spec");
		return;
	}
	dec_path(p, path, "spec");
	dec_spec(d, spec, p, pod);
	check_containers(d, spec, p, pod);
	cfg_node_hash(spec, pod->spec_hash);
}

int
cfg_pod_decode(struct cfg_node *tree, const char *path, struct cfg_pod **out,
    struct cfg_diags *d)
{
	struct cfg_pod *pod = xcalloc(1, sizeof(*pod));
	size_t nerr = d->nerrors;

	*out = NULL;
	pod->tree = tree;
	pod->meta.line = tree->line;
	pod->restart_policy = CFG_RESTART_ALWAYS;
	pod->grace_period = 30;
	pod->active_deadline = -1;
	pod->fs_group = -1;
	pod->sec.run_as_user = pod->sec.run_as_group = -1;
	pod->sec.run_as_non_root = pod->sec.privileged = -1;
	pod->sec.read_only_rootfs = pod->sec.allow_privilege_escalation = -1;
	dec_top(d, tree, path, pod);
	if (d->nerrors > nerr) {
		cfg_pod_free(pod);
		return -EINVAL;
	}
	*out = pod;
	return 0;
}

void
dec_meta_free(struct cfg_meta *meta)
{
	free(meta->name);
	free(meta->namespace);
	free(meta->generate_name);
	dec_kvs_free(&meta->labels);
	dec_kvs_free(&meta->annotations);
}

void
cfg_pod_free(struct cfg_pod *pod)
{
	size_t i;

	if (pod == NULL)
		return;
	dec_meta_free(&pod->meta);
	for (i = 0; i < pod->ncontainers; i++)
		dec_container_free(&pod->containers[i]);
	free(pod->containers);
	for (i = 0; i < pod->ninit_containers; i++)
		dec_container_free(&pod->init_containers[i]);
	free(pod->init_containers);
	for (i = 0; i < pod->nvolumes; i++)
		dec_volume_free(&pod->volumes[i]);
	free(pod->volumes);
	free(pod->hostname);
	free(pod->subdomain);
	dec_host_aliases_free(pod);
	free(pod->service_account);
	strv_free(pod->image_pull_secrets);
	dec_kvs_free(&pod->node_selector);
	dec_security_free(&pod->sec);
	cfg_node_free(pod->tree);
	free(pod);
}
