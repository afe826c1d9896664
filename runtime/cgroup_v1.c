/*
 * cgroup_v1: the backend for hosts with v1 controllers (hybrid systems,
 * older Raspberry Pi OS).  Each controller lives in its own hierarchy, so
 * a cgroup is one directory per hierarchy and the limits go to whichever
 * hierarchy holds the controller.
 *
 * Kernel quirks handled here:
 *  - memory.memsw.limit_in_bytes must stay >= memory.limit_in_bytes at
 *    every step, so the order of the two writes depends on the direction;
 *    it exists only with swap accounting on;
 *  - memory.use_hierarchy defaults to 0 before 6.x kernels and can only
 *    be changed while a cgroup has no children; newer kernels fix it at 1;
 *  - oom_kill in memory.oom_control exists from 4.13 on;
 *  - the freezer is asynchronous (FREEZING before FROZEN) and frozen tasks
 *    die of SIGKILL only once thawed; without a freezer hierarchy a forking
 *    workload can outrun one pass of kill(2), hence bounded rounds.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/cgroup_int.h"

static int
v1_prepare(struct rt_cgroup *cg, struct err *err)
{
	char *p;
	int h;

	if ((h = cg_hier_find(cg, CG_MEMORY)) < 0)
		return 0;
	/* Only where writable: a cgroup with children refuses.  New
	 * cgroups copy it from their parent, so setting it here on our
	 * top-level cgroup (empty the first time) covers all below. */
	p = cg_path(cg, h, NULL, NULL);
	cg_write(p, "memory.use_hierarchy", "1", NULL);
	free(p);
	return 0;
}

static int
need(const struct rt_cgroup *cg, unsigned ctrl, const char *what,
    struct err *err)
{
	int h = cg_hier_find(cg, ctrl);

	if (h < 0)
		return err_setx(err, ENOENT, "%s limit set, but no cgroup v1 "
		    "%s controller is mounted", what, what);
	return h;
}

static int
set_cpu(struct rt_cgroup *cg, const char *dir, const struct rt_limits *lim,
    struct err *err)
{
	char v[32];
	int r;

	snprintf(v, sizeof(v), "%d", CG_PERIOD_US);
	if ((r = cg_write(dir, "cpu.cfs_period_us", v, err)) < 0)
		return r;
	snprintf(v, sizeof(v), "%" PRId64, cg_cpu_quota(lim->cpu_limit));
	if ((r = cg_write(dir, "cpu.cfs_quota_us", v, err)) < 0)
		return r;
	snprintf(v, sizeof(v), "%" PRIu64, cg_cpu_shares(lim->cpu_request));
	return cg_write(dir, "cpu.shares", v, err);
}

static int
set_memory(struct rt_cgroup *cg, const char *dir, int64_t lim,
    struct err *err)
{
	char v[32], *sw;
	bool memsw;
	int r;

	sw = xasprintf("%s/memory.memsw.limit_in_bytes", dir);
	memsw = access(sw, F_OK) == 0;
	free(sw);
	snprintf(v, sizeof(v), "%" PRId64, lim < 0 ? (int64_t)-1 : lim);
	if (lim >= 0) {
		/* Lowering: memory first.  EINVAL means memsw is below the
		 * new value (raising): memsw first then. */
		r = cg_write(dir, "memory.limit_in_bytes", v, err);
		if (r == -EINVAL && memsw) {
			if ((r = cg_write(dir, "memory.memsw.limit_in_bytes",
			    v, err)) < 0)
				return r;
			return cg_write(dir, "memory.limit_in_bytes", v, err);
		}
		if (r < 0 || !memsw)
			return r;
		return cg_write(dir, "memory.memsw.limit_in_bytes", v, err);
	}
	if (memsw && (r = cg_write(dir, "memory.memsw.limit_in_bytes", v,
	    err)) < 0)
		return r;
	return cg_write(dir, "memory.limit_in_bytes", v, err);
}

static int
v1_create(struct rt_cgroup *cg, const char *rel, const struct rt_limits *lim,
    struct err *err)
{
	char v[32], *dir;
	int h, r = 0;

	for (h = 0; h < cg->nh; h++) {
		dir = cg_path(cg, h, rel, NULL);
		r = mkdir_p(dir, 0755, err);
		free(dir);
		if (r < 0)
			return r;
	}
	if ((h = cg_hier_find(cg, CG_CPU)) >= 0) {
		dir = cg_path(cg, h, rel, NULL);
		r = set_cpu(cg, dir, lim, err);
		free(dir);
	} else if (lim->cpu_limit > 0 || lim->cpu_request >= 0)
		r = need(cg, CG_CPU, "cpu", err);
	if (r < 0)
		return r;
	if ((h = cg_hier_find(cg, CG_MEMORY)) >= 0) {
		dir = cg_path(cg, h, rel, NULL);
		r = set_memory(cg, dir, lim->mem_limit, err);
		free(dir);
	} else if (lim->mem_limit >= 0)
		r = need(cg, CG_MEMORY, "memory", err);
	if (r < 0)
		return r;
	if ((h = cg_hier_find(cg, CG_PIDS)) >= 0) {
		dir = cg_path(cg, h, rel, NULL);
		if (lim->pids > 0)
			snprintf(v, sizeof(v), "%" PRId64, lim->pids);
		else
			snprintf(v, sizeof(v), "max");
		r = cg_write(dir, "pids.max", v, err);
		free(dir);
	} else if (lim->pids > 0)
		r = need(cg, CG_PIDS, "pids", err);
	return r < 0 ? r : 0;
}

static int
v1_oom_kills(const struct rt_cgroup *cg, const char *rel, uint64_t *n)
{
	int h = cg_hier_find(cg, CG_MEMORY), r;
	char *p;

	if (h < 0)
		return -ENOENT;
	p = cg_path(cg, h, rel, "memory.oom_control");
	r = cg_read_key(p, "oom_kill", n);
	free(p);
	return r;
}

static int
v1_kill(const struct rt_cgroup *cg, const char *rel, struct err *err)
{
	int fz = cg_hier_find(cg, CG_FREEZER), round, h, r;
	unsigned killed;
	char *fdir = NULL, *dir;

	if (fz >= 0)
		fdir = cg_path(cg, fz, rel, NULL);
	for (round = 0; round < CG_KILL_ROUNDS; round++) {
		/* If freezing fails (cgroup gone), killing still helps. */
		if (fdir)
			cg_write(fdir, "freezer.state", "FROZEN", NULL);
		killed = 0;
		for (h = 0; h < cg->nh; h++) {
			dir = cg_path(cg, h, rel, NULL);
			cg_kill_tree(dir, 0, &killed);
			free(dir);
		}
		if (fdir && (r = cg_write(fdir, "freezer.state", "THAWED",
		    err)) < 0 && r != -ENOENT) {
			free(fdir);
			return r;
		}
		if (killed == 0)
			break;
	}
	free(fdir);
	return 0;
}

const struct cg_ops cg_v1_ops = {
	.prepare = v1_prepare,
	.create = v1_create,
	.oom_kills = v1_oom_kills,
	.kill = v1_kill,
};
