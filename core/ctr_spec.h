/* ctr_spec: Kubernetes' rules for a container's argv, env, ids and caps. */
#ifndef PICOLET_CTR_SPEC_H
#define PICOLET_CTR_SPEC_H

#include <stdint.h>

#include "cfg/cfg.h"
#include "runtime/rt.h"
#include "store/store.h"

int ctr_argv(const struct cfg_container *c, const struct store_image *img,
	char ***out, struct err *err);
char **ctr_env(const struct cfg_container *c, const struct store_image *img,
	const char *hostname);
uint64_t ctr_caps(const struct cfg_security *sec);
void ctr_ids(const struct cfg_pod *pod, const struct cfg_container *c,
	int64_t *uid, int64_t *gid);

#endif
