/*
 * container.h: runtime-internal declarations shared by the shim
 * (shim_main.c), the container child (container.c, rootfs.c, user.c) and
 * the readers in shim.c.  Not for core/: picolet only needs rt.h.
 */
#ifndef PICOLET_RT_CONTAINER_H
#define PICOLET_RT_CONTAINER_H

#include <stdint.h>

#include "lib/err.h"
#include "runtime/rt.h"

/* Messages on the child's sync socket: one byte kind, then the text. */
#define RT_SYNC_CREATE 'C'	/* setup failed: CreateContainerError */
#define RT_SYNC_RUN 'R'		/* exec failed: RunContainerError */
#define RT_SYNC_MAX 512

/* Write path atomically: temp file in the same dir, fsync, rename. */
int rt_write_atomic(const char *path, const void *data, size_t len,
	struct err *err);
int rt_state_write(const char *run_dir, const struct rt_state *st,
	struct err *err);
int rt_exit_write(const char *run_dir, const struct rt_exit *ex,
	struct err *err);

/*
 * The workload child, PID 1 of its pid ns: joins namespaces, builds the
 * rootfs, drops privileges, waits on go for the shim to have moved it into
 * its cgroups ("g", or "x<why>") and execs.  On failure it sends one
 * message on sync and _exits; on success the exec closes sync (CLOEXEC).
 */
void rt_container_child(const struct rt_spec *s, int out, int errfd,
	int sync, int go) __attribute__((noreturn));

/* caps.c: "NET_ADMIN" for 12, NULL past the table. */
const char *rt_cap_name(int cap);

/* rootfs.c: overlay, /proc, /dev, /sys, binds, pivot_root, ro root. */
int rt_rootfs_setup(const struct rt_spec *s, struct err *err);

/* user.c: uid, gid and groups for the spec, from the (new) root's
 * /etc/passwd and /etc/group. */
struct rt_ids {
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	int ngroups;
	char home[256];		/* from passwd, "" when not found */
};
int rt_user_resolve(const struct rt_spec *s, struct rt_ids *ids,
	struct err *err);
char **rt_env_home(char *const *env, const struct rt_ids *ids);
/* The exec path of argv[0] per the container's PATH; execs or fails. */
int rt_user_exec(const struct rt_spec *s, struct err *err);

/*
 * container.c, shared with exec.c: the bounding set cut to the spec's
 * caps (or all, privileged), ids and groups set, then permitted =
 * effective = those caps (inheritable, ambient empty); and every signal
 * back to default, none blocked.
 */
int rt_privs_drop(const struct rt_spec *s, const struct rt_ids *ids,
	struct err *err);
void rt_signals_reset(void);

#endif
