/*
 * volumes_limit: sizeLimit of emptyDir volumes on disk.  A Memory emptyDir
 * is a tmpfs of that size and cannot grow past it; one on disk can, so
 * kubelet's eviction manager measures it every housekeeping period and
 * evicts the pod that went over.  Same here: while any pod has such a
 * volume, a timer every 10 s starts one job that walks those directories
 * (du's count of blocks, not crossing mounts) off the loop; a pod over
 * its limit fails with reason Evicted.  No pod with a limit: no timer.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"

#define CHECK_EVERY 10.0		/* seconds, kubelet's housekeeping */

struct check {
	struct agent *a;
	size_t n;
	struct {
		char uid[40];
		char vol[64];
		char path[4200];
		int64_t limit;
	} *v;
};

static int64_t walked;

static int
add_blocks(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	walked += (int64_t)st->st_blocks * 512;
	return 0;
}

/* In the job: the first volume over its limit, as "uid vol bytes". */
static int
check_job(void *arg, struct err *err)
{
	struct check *c = arg;
	size_t i;

	for (i = 0; i < c->n; i++) {
		walked = 0;
		if (nftw(c->v[i].path, add_blocks, 16, FTW_PHYS | FTW_MOUNT) < 0)
			continue;
		if (walked > c->v[i].limit)
			return err_setx(err, EFBIG, "%s %s %lld", c->v[i].uid,
			    c->v[i].vol, (long long)walked);
	}
	return 0;
}

static void
check_free(struct check *c)
{
	free(c->v);
	free(c);
}

/* As a quantity: 1Mi, 512Ki, or bytes. */
static void
fmt_bytes(int64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "", "Ki", "Mi", "Gi", "Ti" };
	size_t u = 0;

	while (u + 1 < sizeof(unit) / sizeof(unit[0]) && n >= 1024 &&
	    n % 1024 == 0) {
		n /= 1024;
		u++;
	}
	snprintf(buf, len, "%lld%s", (long long)n, unit[u]);
}

static void
check_done(void *arg, int status, const char *msg)
{
	struct check *c = arg;
	struct agent *a = c->a;
	char uid[40], vol[64], m[256], q[32];
	long long used;
	struct pod *p;
	size_t i;

	a->vol_check_busy = false;
	if (status == -EFBIG && sscanf(msg, "%39s %63s %lld", uid, vol,
	    &used) == 3) {
		TAILQ_FOREACH(p, &a->pods, entry) {
			if (strcmp(p->uid, uid) != 0 || p->dead ||
			    p->spec == NULL)
				continue;
			for (i = 0; i < c->n; i++)
				if (!strcmp(c->v[i].uid, uid) &&
				    !strcmp(c->v[i].vol, vol))
					break;
			fmt_bytes(i < c->n ? c->v[i].limit : 0, q, sizeof(q));
			snprintf(m, sizeof(m), "Usage of EmptyDir volume "
			    "\"%s\" exceeds the limit \"%s\".", vol, q);
			pod_fail(p, "Evicted", m);
		}
	}
	check_free(c);
}

static void
check_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent *a = container_of(w, struct agent, vol_check_t);
	struct check *c;
	struct err err;
	struct pod *p;
	size_t i;

	if (a->vol_check_busy)
		return;
	c = xcalloc(1, sizeof(*c));
	c->a = a;
	TAILQ_FOREACH(p, &a->pods, entry) {
		if (p->dead || p->spec == NULL || p->vols == NULL ||
		    p->deletion_ns != 0 || p->fail_reason[0] != '\0')
			continue;
		for (i = 0; i < p->spec->nvolumes; i++) {
			const struct cfg_volume *v = &p->spec->volumes[i];

			if (v->kind != CFG_VOL_EMPTYDIR || v->memory ||
			    v->size_limit < 0 || !p->vols[i].ready)
				continue;
			c->v = xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
			snprintf(c->v[c->n].uid, sizeof(c->v[c->n].uid), "%s",
			    p->uid);
			snprintf(c->v[c->n].vol, sizeof(c->v[c->n].vol), "%s",
			    v->name);
			volume_path(p, v, c->v[c->n].path,
			    sizeof(c->v[c->n].path));
			c->v[c->n].limit = v->size_limit;
			c->n++;
		}
	}
	if (c->n == 0) {		/* nothing limited left: sleep */
		ev_timer_stop(loop, w);
		check_free(c);
		return;
	}
	if (job_run(a, check_job, check_done, c, &err) < 0) {
		log_warn("emptyDir size check: %s", err.msg);
		check_free(c);
		return;
	}
	a->vol_check_busy = true;
}

void
volumes_limit_watch(struct agent *a)
{
	if (ev_is_active(&a->vol_check_t))
		return;
	ev_timer_init(&a->vol_check_t, check_tick, CHECK_EVERY, CHECK_EVERY);
	ev_timer_start(a->loop, &a->vol_check_t);
}
