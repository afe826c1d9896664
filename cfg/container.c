/*
 * container: one entry of spec.containers or spec.initContainers, with
 * Kubernetes' defaults (pull policy from the image reference, termination
 * message path and policy, TCP ports, requests defaulting to limits) and
 * the checks the API server makes on each field.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/decode.h"
#include "lib/util.h"

static bool
is_one_of(const char *s, const char *const *l)
{
	for (; *l != NULL; l++)
		if (strcmp(s, *l) == 0)
			return true;
	return false;
}

static void
dec_enum(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    const char *const *allowed, char **out)
{
	if (dec_str(d, n, path, out) == 0 && !is_one_of(*out, allowed)) {
		dec_error(d, n, path, "unsupported value \"%.40s\": must be "
		    "%s%s%s%s%s", *out, allowed[0], allowed[1] ? ", " : "",
		    allowed[1] ? allowed[1] : "", allowed[1] && allowed[2] ?
		    ", " : "", allowed[1] && allowed[2] ? allowed[2] : "");
	}
}

/* Always for untagged or :latest images without a digest. */
static enum cfg_pull_policy
default_pull(const char *image)
{
	const char *slash = strrchr(image, '/'), *colon;
	const char *name = slash ? slash + 1 : image;

	if (strchr(name, '@') != NULL)
		return CFG_PULL_IF_NOT_PRESENT;
	colon = strrchr(name, ':');
	if (colon == NULL || strcmp(colon + 1, "latest") == 0)
		return CFG_PULL_ALWAYS;
	return CFG_PULL_IF_NOT_PRESENT;
}

static void
dec_port_item(struct cfg_diags *d, const struct cfg_node *m, const char *path,
    struct cfg_port *pt)
{
	static const char *const protos[] = { "TCP", "UDP", "SCTP", NULL };
	const struct cfg_node *c;
	char p[DEC_PATH];

	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "containerPort"))
			dec_int32(d, c, p, 1, 65535, &pt->container_port);
		else if (!strcmp(c->key, "hostPort"))
			dec_int32(d, c, p, 0, 65535, &pt->host_port);
		else if (!strcmp(c->key, "name")) {
			if (dec_str(d, c, p, &pt->name) == 0)
				dec_name(d, c, p, pt->name,
				    cfg_check_port_name, "port name");
		} else if (!strcmp(c->key, "protocol"))
			dec_enum(d, c, p, protos, &pt->protocol);
		else if (!strcmp(c->key, "hostIP"))
			dec_str(d, c, p, &pt->host_ip);
		else
			dec_unknown(d, c, p);
	}
	if (pt->container_port == 0 && cfg_node_get(m, "containerPort") ==
	    NULL)
		dec_missing(d, m, path, "containerPort");
	if (pt->protocol == NULL)
		pt->protocol = xstrdup("TCP");
}

static void
dec_ports(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    struct cfg_container *ct)
{
	const struct cfg_node *c;
	char p[DEC_PATH];
	size_t i;

	if (!dec_seq(d, n, path))
		return;
	ct->ports = xcalloc(n->n + 1, sizeof(*ct->ports));
	for (c = n->child, i = 0; c != NULL; c = c->next, i++) {
		dec_path_idx(p, path, i);
		if (dec_item(d, c, p))
			dec_port_item(d, c, p, &ct->ports[ct->nports++]);
	}
	dec_dups(d, &n, &path, 1, "name");
}

static void
dec_quantities(struct cfg_diags *d, const struct cfg_node *m,
    const char *path, int64_t *cpu, int64_t *mem)
{
	const struct cfg_node *c;
	char p[DEC_PATH], *s;
	int r;

	if (!dec_map(d, m, path))
		return;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		s = NULL;
		if (strcmp(c->key, "cpu") && strcmp(c->key, "memory")) {
			if (strcmp(c->key, "ephemeral-storage") &&
			    strncmp(c->key, "hugepages-", 10))
				dec_warn(d, c, p, "unknown resource (ignored)");
			continue;
		}
		if (dec_text(d, c, p, &s) != 0)
			continue;
		r = c->key[0] == 'c' ? cfg_parse_cpu(s, cpu) :
		    cfg_parse_memory(s, mem);
		if (r < 0)
			dec_error(d, c, p, "invalid quantity \"%.40s\": %s", s,
			    r == -ERANGE ? "out of range" : "must match the "
			    "regular expression '^([+-]?[0-9.]+)"
			    "([eEinumkKMGTP]*[-+]?[0-9]*)$' and not be "
			    "negative");
		free(s);
	}
}

static void
dec_resources(struct cfg_diags *d, const struct cfg_node *m,
    const char *path, struct cfg_resources *res)
{
	const struct cfg_node *c;
	char p[DEC_PATH];

	if (!dec_map(d, m, path))
		return;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "limits"))
			dec_quantities(d, c, p, &res->cpu_limit,
			    &res->mem_limit);
		else if (!strcmp(c->key, "requests"))
			dec_quantities(d, c, p, &res->cpu_request,
			    &res->mem_request);
		else
			dec_unknown(d, c, p);
	}
	if (res->cpu_request < 0)
		res->cpu_request = res->cpu_limit;
	if (res->mem_request < 0)
		res->mem_request = res->mem_limit;
	dec_path(p, path, "requests.cpu");
	if (res->cpu_limit >= 0 && res->cpu_request > res->cpu_limit)
		dec_error(d, m, p, "must be less than or equal to cpu limit "
		    "of %lldm", (long long)res->cpu_limit);
	dec_path(p, path, "requests.memory");
	if (res->mem_limit >= 0 && res->mem_request > res->mem_limit)
		dec_error(d, m, p, "must be less than or equal to memory limit "
		    "of %lld", (long long)res->mem_limit);
}

static void
dec_lifecycle(struct cfg_diags *d, const struct cfg_node *m,
    const char *path, struct cfg_container *ct)
{
	const struct cfg_node *c;
	char p[DEC_PATH];

	if (!dec_map(d, m, path))
		return;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "postStart"))
			dec_handler(d, c, p, &ct->post_start);
		else if (!strcmp(c->key, "preStop"))
			dec_handler(d, c, p, &ct->pre_stop);
		else
			dec_unknown(d, c, p);
	}
}

static void
dec_pull_policy(struct cfg_diags *d, const struct cfg_node *c,
    const char *p, struct cfg_container *ct, bool *set)
{
	static const char *const pols[] = { "Always", "IfNotPresent", "Never",
	    NULL };
	char *s = NULL;
	int i;

	dec_enum(d, c, p, pols, &s);
	for (i = 0; s != NULL && pols[i] != NULL; i++) {
		if (strcmp(s, pols[i]) == 0) {
			ct->pull_policy = (enum cfg_pull_policy)i;
			*set = true;
		}
	}
	free(s);
}

/* The fields that are not lists or sub-objects; false if c is not one. */
static bool
dec_simple(struct cfg_diags *d, const struct cfg_node *c, const char *p,
    bool init, struct cfg_container *ct)
{
	static const char *const msgpol[] = { "File", "FallbackToLogsOnError",
	    NULL };
	static const char *const always[] = { "Always", NULL };

	if (!strcmp(c->key, "name")) {
		if (dec_str(d, c, p, &ct->name) == 0)
			dec_name(d, c, p, ct->name, cfg_check_dns1123_label,
			    "name");
	} else if (!strcmp(c->key, "image"))
		dec_str(d, c, p, &ct->image);
	else if (!strcmp(c->key, "command"))
		dec_strv(d, c, p, &ct->command);
	else if (!strcmp(c->key, "args"))
		dec_strv(d, c, p, &ct->args);
	else if (!strcmp(c->key, "workingDir"))
		dec_str(d, c, p, &ct->working_dir);
	else if (!strcmp(c->key, "terminationMessagePath"))
		dec_str(d, c, p, &ct->termination_message_path);
	else if (!strcmp(c->key, "terminationMessagePolicy"))
		dec_enum(d, c, p, msgpol, &ct->termination_message_policy);
	else if (!strcmp(c->key, "stdin"))
		dec_bool(d, c, p, &ct->stdin_);
	else if (!strcmp(c->key, "tty"))
		dec_bool(d, c, p, &ct->tty);
	else if (!strcmp(c->key, "restartPolicy")) {
		if (!init && !dec_is_null(c))
			dec_error(d, c, p, "may not be set for non-init "
			    "containers");
		else
			dec_enum(d, c, p, always, &ct->restart_policy);
	} else
		return false;
	return true;
}

void
dec_container(struct cfg_diags *d, const struct cfg_node *m,
    const char *path, bool init, struct cfg_container *ct)
{
	const struct cfg_node *c;
	char p[DEC_PATH];
	bool pull_set = false;

	ct->line = m->line;
	ct->res.cpu_request = ct->res.cpu_limit = -1;
	ct->res.mem_request = ct->res.mem_limit = -1;
	ct->sec.run_as_user = ct->sec.run_as_group = -1;
	ct->sec.run_as_non_root = ct->sec.privileged = -1;
	ct->sec.read_only_rootfs = ct->sec.allow_privilege_escalation = -1;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (dec_simple(d, c, p, init, ct))
			continue;
		if (!strcmp(c->key, "imagePullPolicy"))
			dec_pull_policy(d, c, p, ct, &pull_set);
		else if (!strcmp(c->key, "env"))
			dec_env(d, c, p, ct);
		else if (!strcmp(c->key, "envFrom"))
			dec_env_from(d, c, p, ct);
		else if (!strcmp(c->key, "ports"))
			dec_ports(d, c, p, ct);
		else if (!strcmp(c->key, "resources"))
			dec_resources(d, c, p, &ct->res);
		else if (!strcmp(c->key, "securityContext"))
			dec_security(d, c, p, &ct->sec, NULL);
		else if (!strcmp(c->key, "livenessProbe"))
			dec_probe(d, c, p, true, &ct->liveness);
		else if (!strcmp(c->key, "readinessProbe"))
			dec_probe(d, c, p, false, &ct->readiness);
		else if (!strcmp(c->key, "startupProbe"))
			dec_probe(d, c, p, true, &ct->startup);
		else if (!strcmp(c->key, "lifecycle"))
			dec_lifecycle(d, c, p, ct);
		else if (!strcmp(c->key, "volumeMounts"))
			dec_mounts(d, c, p, ct);
		else
			dec_unknown(d, c, p);
	}
	if (dec_is_null(cfg_node_get(m, "name")))
		dec_missing(d, m, path, "name");
	if (dec_is_null(cfg_node_get(m, "image")))
		dec_missing(d, m, path, "image");
	else if (ct->image != NULL && ct->image[0] == '\0')
		dec_error(d, cfg_node_get(m, "image"), path, "image: must not "
		    "be empty");
	else if (ct->image != NULL && !pull_set)
		ct->pull_policy = default_pull(ct->image);
	if (ct->termination_message_path == NULL)
		ct->termination_message_path =
		    xstrdup("/dev/termination-log");
	if (ct->termination_message_policy == NULL)
		ct->termination_message_policy = xstrdup("File");
	if (init && ct->restart_policy == NULL && (ct->liveness.set ||
	    ct->readiness.set || ct->startup.set))
		dec_error(d, m, path, "probes may not be set for init "
		    "containers without restartPolicy=Always");
	if (init && ct->restart_policy == NULL && (ct->post_start.type ||
	    ct->pre_stop.type))
		dec_error(d, m, path, "lifecycle may not be set for init "
		    "containers without restartPolicy=Always");
}

void
dec_container_free(struct cfg_container *ct)
{
	size_t i;

	free(ct->name);
	free(ct->image);
	strv_free(ct->command);
	strv_free(ct->args);
	free(ct->working_dir);
	for (i = 0; i < ct->nenv; i++) {
		free(ct->env[i].name);
		free(ct->env[i].value);
		free(ct->env[i].ref_name);
		free(ct->env[i].ref_key);
		free(ct->env[i].divisor);
	}
	free(ct->env);
	for (i = 0; i < ct->nenv_from; i++) {
		free(ct->env_from[i].prefix);
		free(ct->env_from[i].name);
	}
	free(ct->env_from);
	for (i = 0; i < ct->nports; i++) {
		free(ct->ports[i].name);
		free(ct->ports[i].host_ip);
		free(ct->ports[i].protocol);
	}
	free(ct->ports);
	dec_security_free(&ct->sec);
	dec_handler_free(&ct->liveness.h);
	dec_handler_free(&ct->readiness.h);
	dec_handler_free(&ct->startup.h);
	dec_handler_free(&ct->post_start);
	dec_handler_free(&ct->pre_stop);
	for (i = 0; i < ct->nmounts; i++) {
		free(ct->mounts[i].name);
		free(ct->mounts[i].mount_path);
		free(ct->mounts[i].sub_path);
		free(ct->mounts[i].propagation);
	}
	free(ct->mounts);
	free(ct->termination_message_path);
	free(ct->termination_message_policy);
	free(ct->restart_policy);
	memset(ct, 0, sizeof(*ct));
}
