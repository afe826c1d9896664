/*
 * cgroup_int: what runtime/cgroup.c shares with its two backends
 * (cgroup_v1.c, cgroup_v2.c) and with the unit tests.  Not for other
 * modules: they use rt.h.
 */
#ifndef PICOLET_CGROUP_INT_H
#define PICOLET_CGROUP_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/rt.h"

/* The v1 controllers we use; a hierarchy may hold several. */
enum {
	CG_CPU = 1 << 0,
	CG_CPUACCT = 1 << 1,
	CG_MEMORY = 1 << 2,
	CG_PIDS = 1 << 3,
	CG_FREEZER = 1 << 4,
};

#define CG_HIER_MAX 8
#define CG_PERIOD_US 100000
#define CG_KILL_ROUNDS 4

struct cg_hier {
	char *mnt;		/* mount point of the hierarchy */
	unsigned ctrls;		/* CG_* it holds; all of them for v2 */
	dev_t dev;		/* to see a hierarchy mounted twice once */
};

struct cg_ops {
	/* After <mnt>/<name> exists: v2 enables controllers down to it,
	 * v1 sets memory.use_hierarchy. */
	int (*prepare)(struct rt_cgroup *cg, struct err *err);
	int (*create)(struct rt_cgroup *cg, const char *rel,
	    const struct rt_limits *lim, struct err *err);
	int (*oom_kills)(const struct rt_cgroup *cg, const char *rel,
	    uint64_t *n);
	int (*kill)(const struct rt_cgroup *cg, const char *rel,
	    struct err *err);
};

/* Owned by whoever called rt_cgroup_open; freed by rt_cgroup_close. */
struct rt_cgroup {
	enum rt_cg_mode mode;
	bool hybrid;		/* v1, with a cgroup2 mounted beside */
	bool no_kill_file;	/* v2: ignore cgroup.kill (tests the
				   freeze path) */
	char *name;
	struct cg_hier h[CG_HIER_MAX];
	int nh;
	const struct cg_ops *ops;
};

extern const struct cg_ops cg_v1_ops;
extern const struct cg_ops cg_v2_ops;

/* "<mnt of h>/<name>[/<rel>][/<file>]"; caller frees. */
char *cg_path(const struct rt_cgroup *cg, int h, const char *rel,
	const char *file);
/* Index of the hierarchy holding ctrl, or -1. */
int cg_hier_find(const struct rt_cgroup *cg, unsigned ctrl);
/* Write val to dir/file; the error names both. */
int cg_write(const char *dir, const char *file, const char *val,
	struct err *err);
/* "key N" line of a flat keyed file (memory.events, oom_control). */
int cg_read_key(const char *path, const char *key, uint64_t *v);
/* SIGKILL every pid in dir/cgroup.procs and below; counts them. */
int cg_kill_tree(const char *dir, int depth, unsigned *nkilled);

/* Kubernetes' conversions of CPU millicores. */
int64_t cg_cpu_quota(int64_t millis);	/* us per CG_PERIOD_US, -1: none */
uint64_t cg_cpu_shares(int64_t millis);	/* v1 cpu.shares */
uint64_t cg_cpu_weight(uint64_t shares);	/* v2 cpu.weight */

#endif
