/* expand: Kubernetes' $(VAR) expansion. */
#ifndef PICOLET_EXPAND_H
#define PICOLET_EXPAND_H

#include <stddef.h>

/* The value of name[0..n), or NULL when not defined. */
typedef const char *(*expand_lookup)(void *arg, const char *name, size_t n);

/* A new string with $(VAR) references expanded; the caller frees it. */
char *expand_vars(const char *in, expand_lookup lookup, void *arg);
/* expand_lookup over a NULL-terminated "NAME=value" vector (last wins). */
const char *expand_from_env(void *arg, const char *name, size_t n);

#endif
