/*
 * pull: images for containers, from registries (core/pull.c).  One pull
 * per image ref (and pull secret) in flight, shared by every container
 * that waits for it; kubelet's imagePullPolicy, waiting reasons
 * (ErrImagePull, ImagePullBackOff, ErrImageNeverPull) and Events
 * (Pulling, Pulled, Failed, BackOff).
 */
#ifndef PICOLET_CORE_PULL_H
#define PICOLET_CORE_PULL_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/err.h"

struct agent;
struct ctr;
struct pod;
struct store_image;

/*
 * The image for a container about to start: 0 and *img when it may start
 * now; < 0 when it waits (a pull in flight or in back-off, never pull):
 * the waiting reason is set and the container's start is called again
 * when there is news.
 */
int pull_image_for(struct ctr *c, struct store_image **img);

/*
 * Pull ref (a pull of the same ref with the same secret already in flight
 * is joined) with dockerconfigjson (an imagePullSecret's
 * .dockerconfigjson, or NULL) as the first place to look for
 * credentials.  done (may be NULL) is called once, from the loop, with 0
 * or -errno and the registry's reason.  0 or -EINVAL for a bad ref.
 */
typedef void (*pull_done_fn)(void *arg, int error, const char *msg);
int pull_request(struct agent *a, const char *ref,
	const char *dockerconfigjson, pull_done_fn done, void *arg,
	struct err *err);

/*
 * imagePullSecrets: the kubernetes.io/dockerconfigjson blob to use for pod
 * p's pulls (the pod's secrets merged, or NULL when it has none usable);
 * the caller frees it.
 */
char *pull_secret_for(const struct pod *p);

/* Bytes in and in all (0 until known) of the pull container c waits
 * for; false when it waits for none. */
bool pull_progress(const struct ctr *c, int64_t *done, int64_t *total);

/* The waiting message of a container whose image is being pulled:
 * 'Pulling image "x": 12.3 MB of 50.1 MB (24%)'; false when none. */
bool pull_message(const struct ctr *c, char *buf, size_t len);

/* Cancel every pull (picolet stops). */
void pulls_stop(struct agent *a);

#endif
