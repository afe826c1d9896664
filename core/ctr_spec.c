/*
 * ctr_spec: from a pod's container spec and its image to the runtime's
 * rt_spec, with Kubernetes' rules: command replaces the image Entrypoint
 * (and drops Cmd), args replace Cmd; container env overrides image env by
 * name; runAsUser/Group from the container, else the pod, else the image
 * User; the default capability set with add/drop, or all when privileged.
 */
#include <errno.h>
#include <string.h>

#include "core/ctr_spec.h"
#include "lib/util.h"

int
ctr_argv(const struct cfg_container *c, const struct store_image *img,
    char ***out, struct err *err)
{
	char **argv = NULL;
	char *const *v;

	if (c->command != NULL) {
		for (v = c->command; *v != NULL; v++)
			strv_push(&argv, *v);
		for (v = c->args; v != NULL && *v != NULL; v++)
			strv_push(&argv, *v);
	} else {
		for (v = img->entrypoint; v != NULL && *v != NULL; v++)
			strv_push(&argv, *v);
		v = c->args != NULL ? c->args : img->cmd;
		for (; v != NULL && *v != NULL; v++)
			strv_push(&argv, *v);
	}
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

char **
ctr_env(const struct cfg_container *c, const struct store_image *img,
    const char *hostname)
{
	char **env = NULL;
	char *const *v;
	size_t i;

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
	for (i = 0; i < c->nenv; i++) {
		if (c->env[i].src == CFG_ENV_VALUE)
			env_set(&env, c->env[i].name,
			    c->env[i].value ? c->env[i].value : "");
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
