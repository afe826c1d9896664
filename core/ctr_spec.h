/* ctr_spec: Kubernetes' rules for a container's argv, env, ids and caps. */
#ifndef PICOLET_CTR_SPEC_H
#define PICOLET_CTR_SPEC_H

#include <stdint.h>

#include "cfg/cfg.h"
#include "runtime/rt.h"
#include "store/store.h"

/* What the downward API and the env may refer to. */
struct ctr_ctx {
	const struct cfg_pod *pod;
	const char *uid, *node_name, *pod_ip, *host_ip;
	int64_t node_cpu;		/* millicores: limits.cpu when unset */
	int64_t node_mem;		/* bytes: limits.memory when unset */
	/* The pod namespace's ConfigMap or Secret by name, NULL if absent. */
	const struct cfg_config *(*config)(void *arg, const char *name,
	    bool secret);
	void *arg;
	char *skipped;			/* envFrom keys skipped, for an event */
	size_t skipped_len;
};

/* fieldRef paths (metadata.name, metadata.labels['k'], status.podIP...) */
int ctr_field_ref(const struct ctr_ctx *x, const char *path,
	const char **val, struct err *err);
/* resourceFieldRef of the named container, divided (rounded up). */
int ctr_resource_value(const struct ctr_ctx *x, const char *container,
	const char *resource, const char *divisor, char *out, size_t len,
	struct err *err);

struct pod;
/* The context of a pod's containers (ctr.c). */
void ctr_context_pod(const struct pod *p, struct ctr_ctx *x);

/* The container's own env entries, resolved and expanded in order; on
 * failure reason gets the waiting reason (CreateContainerConfigError). */
int ctr_env_resolve(const struct ctr_ctx *x, const struct cfg_container *c,
	char ***out, char *reason, size_t rlen, struct err *err);
/* PATH and HOSTNAME defaults, then the image env, the services' env
 * (svcenv), then cenv on top. */
char **ctr_env_final(char **cenv, char **svcenv,
	const struct store_image *img, const char *hostname);
/* Entrypoint/Cmd/command/args, with $(VAR) expanded against cenv. */
int ctr_argv(const struct cfg_container *c, const struct store_image *img,
	char **cenv, char ***out, struct err *err);
uint64_t ctr_caps(const struct cfg_security *sec);
void ctr_ids(const struct cfg_pod *pod, const struct cfg_container *c,
	int64_t *uid, int64_t *gid);

#endif
