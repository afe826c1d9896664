/*
 * security: securityContext at pod and container level.  Capability
 * names are kept without the "CAP_" prefix, which some users write and
 * runtimes accept either way, so later code compares one spelling.
 */
#include <stdlib.h>
#include <string.h>

#include "cfg/decode.h"
#include "lib/util.h"

static void
dec_caps(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    char ***out)
{
	const struct cfg_node *c;
	char p[DEC_PATH], *s;
	size_t i;

	if (dec_strv(d, n, path, out) != 0 || *out == NULL)
		return;
	for (i = 0, c = n->child; (*out)[i] != NULL && c != NULL;
	    i++, c = c->next) {
		s = (*out)[i];
		if (strncmp(s, "CAP_", 4) == 0)
			memmove(s, s + 4, strlen(s + 4) + 1);
		dec_path_idx(p, path, i);
		dec_name(d, c, p, s, cfg_check_cap_name, "capability");
	}
}

static void
dec_capabilities(struct cfg_diags *d, const struct cfg_node *m,
    const char *path, struct cfg_security *s)
{
	const struct cfg_node *c;
	char p[DEC_PATH];

	if (!dec_map(d, m, path))
		return;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "add"))
			dec_caps(d, c, p, &s->cap_add);
		else if (!strcmp(c->key, "drop"))
			dec_caps(d, c, p, &s->cap_drop);
		else
			dec_unknown(d, c, p);
	}
}

/* fs_group != NULL: pod level (fsGroup allowed, container-only fields not) */
void
dec_security(struct cfg_diags *d, const struct cfg_node *m, const char *path,
    struct cfg_security *s, int64_t *fs_group)
{
	const struct cfg_node *c;
	char p[DEC_PATH];
	bool ctr = fs_group == NULL;

	if (!dec_map(d, m, path))
		return;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "runAsUser"))
			dec_int(d, c, p, 0, INT32_MAX, &s->run_as_user);
		else if (!strcmp(c->key, "runAsGroup"))
			dec_int(d, c, p, 0, INT32_MAX, &s->run_as_group);
		else if (!strcmp(c->key, "runAsNonRoot"))
			dec_tri(d, c, p, &s->run_as_non_root);
		else if (!ctr && !strcmp(c->key, "fsGroup"))
			dec_int(d, c, p, 0, INT32_MAX, fs_group);
		else if (ctr && !strcmp(c->key, "privileged"))
			dec_tri(d, c, p, &s->privileged);
		else if (ctr && !strcmp(c->key, "readOnlyRootFilesystem"))
			dec_tri(d, c, p, &s->read_only_rootfs);
		else if (ctr && !strcmp(c->key, "allowPrivilegeEscalation"))
			dec_tri(d, c, p, &s->allow_privilege_escalation);
		else if (ctr && !strcmp(c->key, "capabilities"))
			dec_capabilities(d, c, p, s);
		else
			dec_unknown(d, c, p);
	}
	if (s->run_as_non_root == 1 && s->run_as_user == 0)
		dec_error(d, m, path, "runAsNonRoot is true but runAsUser "
		    "is 0");
	if (s->privileged == 1 && s->allow_privilege_escalation == 0)
		dec_error(d, m, path, "cannot set allowPrivilegeEscalation to "
		    "false and privileged to true");
}

void
dec_security_free(struct cfg_security *s)
{
	strv_free(s->cap_add);
	strv_free(s->cap_drop);
	s->cap_add = s->cap_drop = NULL;
}
