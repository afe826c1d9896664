/*
 * ctr_spec: from a pod's container spec and its image to the runtime's
 * rt_spec, with Kubernetes' rules: command replaces the image Entrypoint
 * (and drops Cmd), args replace Cmd; env entries are resolved in order,
 * each value's $(VAR) expanded against the entries before it, valueFrom
 * from the downward API (fieldRef, resourceFieldRef) and from ConfigMaps
 * and Secrets (keyRefs, and envFrom under them); command and args
 * are expanded against the container's env; the image env is the base
 * the container env overrides.  runAsUser/Group from the container, else
 * the pod, else the image User; the default capability set with add/drop,
 * or all when privileged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/ctr_spec.h"
#include "core/expand.h"
#include "lib/util.h"

static void
push_expanded(char ***argv, const char *s, char **cenv)
{
	char *x = expand_vars(s, expand_from_env, cenv);

	strv_push(argv, x);
	free(x);
}

int
ctr_argv(const struct cfg_container *c, const struct store_image *img,
    char **cenv, char ***out, struct err *err)
{
	char **argv = NULL;
	char *const *v;

	/* Only the pod spec's words are expanded, not the image's. */
	if (c->command != NULL)
		for (v = c->command; *v != NULL; v++)
			push_expanded(&argv, *v, cenv);
	else
		for (v = img->entrypoint; v != NULL && *v != NULL; v++)
			strv_push(&argv, *v);
	if (c->args != NULL)
		for (v = c->args; *v != NULL; v++)
			push_expanded(&argv, *v, cenv);
	else if (c->command == NULL)
		for (v = img->cmd; v != NULL && *v != NULL; v++)
			strv_push(&argv, *v);
	if (strv_len(argv) == 0) {
		strv_free(argv);
		return err_setx(err, EINVAL, "no command specified: the image "
		    "has no Entrypoint or Cmd and the container no command");
	}
	*out = argv;
	return 0;
}

static void
env_set(char ***env, const char *name, const char *value)
{
	size_t i, n = strlen(name);
	char *kv = xasprintf("%s=%s", name, value);

	for (i = 0; *env != NULL && (*env)[i] != NULL; i++) {
		if (strncmp((*env)[i], name, n) == 0 && (*env)[i][n] == '=') {
			free((*env)[i]);
			(*env)[i] = kv;
			return;
		}
	}
	strv_push(env, kv);
	free(kv);
}

/* labels['k'] / annotations['k'] */
static const char *
subscript(const struct cfg_kvs *kvs, const char *path, const char *prefix)
{
	size_t n = strlen(prefix), len;
	char key[320];

	if (strncmp(path, prefix, n) != 0)
		return NULL;
	path += n;
	len = strlen(path);
	if (len < 4 || path[0] != '[' || path[1] != '\'' ||
	    path[len - 1] != ']' || path[len - 2] != '\'' ||
	    len - 4 >= sizeof(key))
		return NULL;
	memcpy(key, path + 2, len - 4);
	key[len - 4] = '\0';
	const char *v = cfg_kvs_get(kvs, key);
	return v != NULL ? v : "";
}

int
ctr_field_ref(const struct ctr_ctx *x, const char *path, const char **val,
    struct err *err)
{
	const struct cfg_pod *p = x->pod;

	if (strcmp(path, "metadata.name") == 0)
		*val = p->meta.name;
	else if (strcmp(path, "metadata.namespace") == 0)
		*val = p->meta.namespace;
	else if (strcmp(path, "metadata.uid") == 0)
		*val = x->uid;
	else if (strcmp(path, "spec.nodeName") == 0)
		*val = x->node_name;
	else if (strcmp(path, "spec.serviceAccountName") == 0)
		*val = p->service_account ? p->service_account : "default";
	else if (strcmp(path, "status.podIP") == 0 ||
	    strcmp(path, "status.podIPs") == 0)
		*val = x->pod_ip;
	else if (strcmp(path, "status.hostIP") == 0 ||
	    strcmp(path, "status.hostIPs") == 0)
		*val = x->host_ip;
	else if ((*val = subscript(&p->meta.labels, path,
	    "metadata.labels")) != NULL)
		;
	else if ((*val = subscript(&p->meta.annotations, path,
	    "metadata.annotations")) != NULL)
		;
	else
		return err_setx(err, EINVAL, "fieldRef %s is not supported",
		    path);
	if (*val == NULL)
		*val = "";
	return 0;
}

static const struct cfg_container *
container_named(const struct cfg_pod *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->ncontainers; i++)
		if (strcmp(p->containers[i].name, name) == 0)
			return &p->containers[i];
	for (i = 0; i < p->ninit_containers; i++)
		if (strcmp(p->init_containers[i].name, name) == 0)
			return &p->init_containers[i];
	return NULL;
}

/* Rounded up, as the downward API does ("1" cpu divisor = 1000m). */
static int
resource_of(const struct ctr_ctx *x, const struct cfg_container *c,
    const char *ctr, const char *res, const char *divisor, char *out,
    size_t len, struct err *err)
{
	const struct cfg_resources *r;
	int64_t v, div = 1;
	bool cpu = strstr(res, "cpu") != NULL;

	if (ctr != NULL && ctr[0] != '\0' &&
	    (c = container_named(x->pod, ctr)) == NULL)
		return err_setx(err, EINVAL, "resourceFieldRef: no container "
		    "%s", ctr);
	if (c == NULL)
		return err_setx(err, EINVAL, "resourceFieldRef %s: "
		    "containerName is required", res);
	r = &c->res;
	if (strcmp(res, "limits.cpu") == 0)
		v = r->cpu_limit >= 0 ? r->cpu_limit : x->node_cpu;
	else if (strcmp(res, "requests.cpu") == 0)
		v = r->cpu_request >= 0 ? r->cpu_request :
		    r->cpu_limit >= 0 ? r->cpu_limit : 0;
	else if (strcmp(res, "limits.memory") == 0)
		v = r->mem_limit >= 0 ? r->mem_limit : x->node_mem;
	else if (strcmp(res, "requests.memory") == 0)
		v = r->mem_request >= 0 ? r->mem_request :
		    r->mem_limit >= 0 ? r->mem_limit : 0;
	else
		return err_setx(err, EINVAL, "resourceFieldRef %s is not "
		    "supported", res);
	if (divisor != NULL && ((cpu && cfg_parse_cpu(divisor, &div) < 0) ||
	    (!cpu && cfg_parse_memory(divisor, &div) < 0) || div <= 0))
		return err_setx(err, EINVAL, "bad divisor %s", divisor);
	if (cpu && divisor == NULL)
		div = 1000;
	snprintf(out, len, "%lld", (long long)((v + div - 1) / div));
	return 0;
}

static int
resource_ref(const struct ctr_ctx *x, const struct cfg_container *c,
    const struct cfg_env *e, char *out, size_t len, struct err *err)
{
	return resource_of(x, c, e->ref_name, e->ref_key, e->divisor, out, len,
	    err);
}

int
ctr_resource_value(const struct ctr_ctx *x, const char *container,
    const char *resource, const char *divisor, char *out, size_t len,
    struct err *err)
{
	return resource_of(x, NULL, container, resource, divisor, out, len,
	    err);
}

static const struct cfg_config *
config_of(const struct ctr_ctx *x, const char *name, bool secret)
{
	if (x->config == NULL || name == NULL)
		return NULL;
	return x->config(x->arg, name, secret);
}

/* The messages kubelet gives; never a value (it may be a Secret's). */
static int
key_ref(const struct ctr_ctx *x, const struct cfg_env *e, char ***env,
    struct err *err)
{
	bool secret = e->src == CFG_ENV_SECRET;
	const struct cfg_config *cm = config_of(x, e->ref_name, secret);
	const struct cfg_blob *b;

	if (cm == NULL) {
		if (e->optional)
			return 0;
		return err_setx(err, ENOENT, "%s \"%s\" not found",
		    secret ? "secret" : "configmap", e->ref_name ?
		    e->ref_name : "");
	}
	if ((b = cfg_config_get(cm, e->ref_key)) == NULL) {
		if (e->optional)
			return 0;
		return err_setx(err, ENOENT, "couldn't find key %s in %s %s/%s",
		    e->ref_key, secret ? "Secret" : "ConfigMap",
		    cm->meta.namespace, cm->meta.name);
	}
	/* A value is text up to its first NUL, as a C environment holds. */
	env_set(env, e->name, (const char *)b->data);
	return 0;
}

static void
note_skipped(const struct ctr_ctx *x, const char *key)
{
	size_t n;

	if (x->skipped == NULL || x->skipped_len == 0)
		return;
	n = strlen(x->skipped);
	snprintf(x->skipped + n, x->skipped_len - n, "%s%s", n ? ", " : "",
	    key);
}

static int
env_from(const struct ctr_ctx *x, const struct cfg_env_from *f, char ***env,
    struct err *err)
{
	const struct cfg_config *cm = config_of(x, f->name, f->is_secret);
	const char *prefix = f->prefix != NULL ? f->prefix : "";
	char name[512];
	size_t i;

	if (cm == NULL) {
		if (f->optional)
			return 0;
		return err_setx(err, ENOENT, "%s \"%s\" not found",
		    f->is_secret ? "secret" : "configmap", f->name ? f->name :
		    "");
	}
	for (i = 0; i < cm->ndata; i++) {
		snprintf(name, sizeof(name), "%s%s", prefix, cm->data[i].key);
		if (cfg_check_env_name(name) != NULL) {
			note_skipped(x, name);
			continue;
		}
		env_set(env, name, (const char *)cm->data[i].data);
	}
	return 0;
}

int
ctr_env_resolve(const struct ctr_ctx *x, const struct cfg_container *c,
    char ***out, char *reason, size_t rlen, struct err *err)
{
	char **env = NULL, num[32], *val;
	const char *v;
	size_t i;
	int r = 0;

	if (x->skipped != NULL && x->skipped_len > 0)
		x->skipped[0] = '\0';
	/* envFrom first, in order; env entries then override. */
	for (i = 0; i < c->nenv_from && r == 0; i++)
		r = env_from(x, &c->env_from[i], &env, err);
	for (i = 0; i < c->nenv && r == 0; i++) {
		const struct cfg_env *e = &c->env[i];

		switch (e->src) {
		case CFG_ENV_VALUE:
			val = expand_vars(e->value ? e->value : "",
			    expand_from_env, env);
			env_set(&env, e->name, val);
			free(val);
			break;
		case CFG_ENV_FIELD:
			if ((r = ctr_field_ref(x, e->ref_key, &v, err)) == 0)
				env_set(&env, e->name, v);
			break;
		case CFG_ENV_RESOURCE:
			r = resource_ref(x, c, e, num, sizeof(num), err);
			if (r == 0)
				env_set(&env, e->name, num);
			break;
		case CFG_ENV_CONFIGMAP:
		case CFG_ENV_SECRET:
			r = key_ref(x, e, &env, err);
			break;
		}
	}
	if (r < 0) {
		snprintf(reason, rlen, "CreateContainerConfigError");
		strv_free(env);
		return r;
	}
	*out = env;
	return 0;
}

char **
ctr_env_final(char **cenv, char **svcenv, const struct store_image *img,
    const char *hostname)
{
	char **env = NULL;
	char *const *v;

	env_set(&env, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:"
	    "/usr/bin:/sbin:/bin");
	env_set(&env, "HOSTNAME", hostname);
	for (v = img->env; v != NULL && *v != NULL; v++) {
		const char *eq = strchr(*v, '=');
		char *name;

		if (eq == NULL)
			continue;
		name = xstrndup(*v, (size_t)(eq - *v));
		env_set(&env, name, eq + 1);
		free(name);
	}
	/* Service variables under the container's own, as kubelet. */
	for (v = svcenv; v != NULL && *v != NULL; v++) {
		const char *eq = strchr(*v, '=');
		char *name = xstrndup(*v, (size_t)(eq - *v));

		env_set(&env, name, eq + 1);
		free(name);
	}
	for (v = cenv; v != NULL && *v != NULL; v++) {
		const char *eq = strchr(*v, '=');
		char *name = xstrndup(*v, (size_t)(eq - *v));

		env_set(&env, name, eq + 1);
		free(name);
	}
	return env;
}

uint64_t
ctr_caps(const struct cfg_security *sec)
{
	uint64_t caps = rt_caps_default();
	char *const *v;
	int cap;

	if (sec->privileged == 1)
		return rt_caps_all();
	for (v = sec->cap_drop; v != NULL && *v != NULL; v++) {
		if (strcmp(*v, "ALL") == 0)
			caps = 0;
		else if ((cap = rt_cap_from_name(*v)) >= 0)
			caps &= ~(1ULL << cap);
	}
	for (v = sec->cap_add; v != NULL && *v != NULL; v++) {
		if (strcmp(*v, "ALL") == 0)
			caps = rt_caps_all();
		else if ((cap = rt_cap_from_name(*v)) >= 0)
			caps |= 1ULL << cap;
	}
	return caps;
}

/* Container securityContext wins over the pod's, field by field. */
void
ctr_ids(const struct cfg_pod *pod, const struct cfg_container *c,
    int64_t *uid, int64_t *gid)
{
	*uid = c->sec.run_as_user >= 0 ? c->sec.run_as_user :
	    pod->sec.run_as_user;
	*gid = c->sec.run_as_group >= 0 ? c->sec.run_as_group :
	    pod->sec.run_as_group;
}
