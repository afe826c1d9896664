/*
 * cgroup_v2: the backend for the unified hierarchy (Raspberry Pi OS since
 * bookworm, any systemd host).  One directory per cgroup.
 *
 * Kernel rules followed here:
 *  - a controller's files appear in a cgroup only once its parent lists
 *    the controller in cgroup.subtree_control, so cpu, memory and pids
 *    are enabled on every inner node from the mount root down;
 *  - "no internal processes": a non-root cgroup with controllers enabled
 *    for its children may hold no process, so picolet only ever puts
 *    processes in leaves and never enables anything in a leaf;
 *  - a controller the kernel lacks (a Pi booted without cgroup_enable=
 *    memory) leaves its files missing: fine while no limit asks for it,
 *    an error naming the file when one does;
 *  - cgroup.kill exists from 5.14; before, freeze, kill, thaw (the v2
 *    freezer lets SIGKILL through to frozen tasks).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/util.h"
#include "runtime/cgroup_int.h"

static const char *const wanted[] = { "cpu", "memory", "pids" };

static bool
has_word(const char *list, const char *w)
{
	size_t n = strlen(w);
	const char *p;

	for (p = list; (p = strstr(p, w)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

/* Enable in dir's subtree_control what dir has and does not enable yet. */
static int
enable(const char *dir, struct err *err)
{
	char *avail = NULL, *on = NULL, *p, req[64] = "";
	size_t len, i;
	int r;

	p = xasprintf("%s/cgroup.controllers", dir);
	r = read_file(p, 4096, &avail, &len, err);
	free(p);
	if (r < 0)
		return r;
	p = xasprintf("%s/cgroup.subtree_control", dir);
	r = read_file(p, 4096, &on, &len, err);
	free(p);
	if (r < 0)
		goto out;
	for (i = 0; i < ARRAY_SIZE(wanted); i++) {
		if (!has_word(avail, wanted[i]) || has_word(on, wanted[i]))
			continue;
		if (req[0] != '\0')
			strcat(req, " ");
		strcat(req, "+");
		strcat(req, wanted[i]);
	}
	if (req[0] != '\0')
		r = cg_write(dir, "cgroup.subtree_control", req, err);
out:
	free(avail);
	free(on);
	return r;
}

static int
v2_prepare(struct rt_cgroup *cg, struct err *err)
{
	char *p;
	int r;

	if ((r = enable(cg->h[0].mnt, err)) < 0)
		return r;
	p = cg_path(cg, 0, NULL, NULL);
	r = enable(p, err);
	free(p);
	return r;
}

/* A missing file is fine when nothing was asked of its controller. */
static int
set(const char *dir, const char *file, const char *val, bool asked,
    struct err *err)
{
	int r = cg_write(dir, file, val, err);

	return r == -ENOENT && !asked ? 0 : r;
}

static int
set_limits(const char *dir, const struct rt_limits *lim, struct err *err)
{
	bool mem = lim->mem_limit >= 0;
	int64_t q = cg_cpu_quota(lim->cpu_limit);
	char v[48];
	int r;

	if (q < 0)
		snprintf(v, sizeof(v), "max %d", CG_PERIOD_US);
	else
		snprintf(v, sizeof(v), "%" PRId64 " %d", q, CG_PERIOD_US);
	if ((r = set(dir, "cpu.max", v, q >= 0, err)) < 0)
		return r;
	snprintf(v, sizeof(v), "%" PRIu64, lim->cpu_request < 0 ? 100 :
	    cg_cpu_weight(cg_cpu_shares(lim->cpu_request)));
	if ((r = set(dir, "cpu.weight", v, lim->cpu_request >= 0, err)) < 0)
		return r;
	if (mem)
		snprintf(v, sizeof(v), "%" PRId64, lim->mem_limit);
	else
		snprintf(v, sizeof(v), "max");
	if ((r = set(dir, "memory.max", v, mem, err)) < 0)
		return r;
	/* Kubernetes without swap support: a limited container gets none. */
	if ((r = set(dir, "memory.swap.max", mem ? "0" : "max", false,
	    err)) < 0)
		return r;
	/* As kubelet: an OOM kill takes the whole container, not one
	 * process of it. */
	if ((r = set(dir, "memory.oom.group", "1", false, err)) < 0)
		return r;
	if (lim->pids > 0)
		snprintf(v, sizeof(v), "%" PRId64, lim->pids);
	else
		snprintf(v, sizeof(v), "max");
	return set(dir, "pids.max", v, lim->pids > 0, err);
}

static int
v2_create(struct rt_cgroup *cg, const char *rel, const struct rt_limits *lim,
    struct err *err)
{
	char *dir = cg_path(cg, 0, rel, NULL), *p;
	size_t base = strlen(dir) - strlen(rel);
	int r = 0;

	/* Walk rel's components; every one but the leaf is inner. */
	for (p = dir + base; r == 0; p++) {
		p += strcspn(p, "/");
		if (*p == '\0')
			break;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			r = err_set(err, errno, "mkdir %s", dir);
		else
			r = enable(dir, err);
		*p = '/';
	}
	if (r == 0 && mkdir(dir, 0755) < 0 && errno != EEXIST)
		r = err_set(err, errno, "mkdir %s", dir);
	if (r == 0)
		r = set_limits(dir, lim, err);
	free(dir);
	return r;
}

static int
v2_oom_kills(const struct rt_cgroup *cg, const char *rel, uint64_t *n)
{
	char *p = cg_path(cg, 0, rel, "memory.events");
	int r = cg_read_key(p, "oom_kill", n);

	free(p);
	return r;
}

static int
v2_kill(const struct rt_cgroup *cg, const char *rel, struct err *err)
{
	char *dir = cg_path(cg, 0, rel, NULL);
	unsigned killed;
	int round, r = -ENOENT;

	if (!cg->no_kill_file)
		r = cg_write(dir, "cgroup.kill", "1", err);
	for (round = 0; r == -ENOENT && round < CG_KILL_ROUNDS; round++) {
		cg_write(dir, "cgroup.freeze", "1", NULL);
		killed = 0;
		cg_kill_tree(dir, 0, &killed);
		cg_write(dir, "cgroup.freeze", "0", NULL);
		if (killed == 0)
			r = 0;
	}
	free(dir);
	return r == -ENOENT ? 0 : r;
}

const struct cg_ops cg_v2_ops = {
	.prepare = v2_prepare,
	.create = v2_create,
	.oom_kills = v2_oom_kills,
	.kill = v2_kill,
};
