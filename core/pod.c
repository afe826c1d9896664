/*
 * pod: one pod's life.  A pod is made from a manifest's spec (or found in
 * the run dir at start and adopted), gets its sandbox (namespaces, cgroup,
 * /etc files from pod_etc.c) when its first container starts, and ends by
 * graceful termination: SIGTERM to every container, SIGKILL when the
 * grace period is over, then teardown of everything it made.  A
 * replacement spec waits in p->next until the old pod is gone, as kubelet
 * does for static pods.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"
#include "store/store.h"

const char *const pod_phase_names[] = { "Pending", "Running", "Succeeded",
	"Failed" };

static void grace_over(struct ev_loop *loop, ev_timer *w, int revents);
static void deadline_over(struct ev_loop *loop, ev_timer *w, int revents);
static void teardown_retry(struct ev_loop *loop, ev_timer *w, int revents);

struct podspec *
podspec_new(struct cfg_pod *cfg)
{
	struct podspec *ps = xcalloc(1, sizeof(*ps));

	ps->refs = 1;
	ps->cfg = cfg;
	return ps;
}

struct podspec *
podspec_ref(struct podspec *ps)
{
	if (ps != NULL)
		ps->refs++;
	return ps;
}

void
podspec_unref(struct podspec *ps)
{
	if (ps == NULL || --ps->refs > 0)
		return;
	cfg_pod_free(ps->cfg);
	free(ps);
}

static void
new_uid(char uid[40])
{
	unsigned char r[16];

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		memset(r, 0, sizeof(r));
	r[6] = (r[6] & 0x0f) | 0x40;	/* version 4 */
	r[8] = (r[8] & 0x3f) | 0x80;	/* variant 1 */
	snprintf(uid, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5],
	    r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
}

void
pod_ctr_init(struct pod *p, size_t idx, const char *name)
{
	struct ctr *c = &p->ctrs[idx];

	c->pod = p;
	c->idx = (int)idx;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->dir, sizeof(c->dir), "%s/%s", p->run_dir, name);
	c->shim_pidfd = c->pidfd = c->status_fd = -1;
	c->state = CTR_WAITING;
	snprintf(c->reason, sizeof(c->reason), "ContainerCreating");
	ev_init(&c->shim_w, NULL);
	ev_init(&c->status_w, NULL);
	ev_init(&c->restart_t, NULL);
	ev_init(&c->kill_t, NULL);
}

static struct pod *
pod_alloc(struct agent *a, const char *ns, const char *name, const char *uid,
    size_t nctrs)
{
	struct pod *p = xcalloc(1, sizeof(*p));

	p->a = a;
	snprintf(p->ns, sizeof(p->ns), "%s", ns);
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (uid != NULL)
		snprintf(p->uid, sizeof(p->uid), "%s", uid);
	else
		new_uid(p->uid);
	snprintf(p->run_dir, sizeof(p->run_dir), "%s/pods/%s", a->conf.run,
	    p->uid);
	p->created_ns = time_now_ns();
	p->grace_ns = 30LL * 1000000000;
	p->ctrs = xcalloc(nctrs, sizeof(*p->ctrs));
	p->nctrs = nctrs;
	ev_init(&p->grace_t, NULL);
	ev_init(&p->teardown_t, NULL);
	ev_init(&p->deadline_t, deadline_over);
	ev_init(&p->pause_w, NULL);
	p->pause.pidfd = -1;
	TAILQ_INSERT_TAIL(&a->pods, p, entry);
	return p;
}

struct pod *
pod_alloc_orphan(struct agent *a, const char *ns, const char *name,
    const char *uid, size_t nctrs)
{
	return pod_alloc(a, ns, name, uid, nctrs);
}

struct pod *
pod_new(struct agent *a, struct podspec *ps, const char *uid)
{
	const struct cfg_pod *s = ps->cfg;
	struct pod *p;
	size_t i;

	p = pod_alloc(a, s->meta.namespace, s->meta.name, uid,
	    s->ninit_containers + s->ncontainers);
	p->ps = podspec_ref(ps);
	p->spec = s;
	memcpy(p->spec_hash, s->spec_hash, sizeof(p->spec_hash));
	p->grace_ns = s->grace_period * 1000000000LL;
	p->ninits = s->ninit_containers;
	for (i = 0; i < p->nctrs; i++) {
		const struct cfg_container *cs = i < p->ninits ?
		    &s->init_containers[i] : &s->containers[i - p->ninits];
		struct ctr *c = &p->ctrs[i];

		pod_ctr_init(p, i, cs->name);
		c->spec = cs;
		c->init = i < p->ninits;
		c->sidecar = c->init && cs->restart_policy != NULL &&
		    strcmp(cs->restart_policy, "Always") == 0;
		snprintf(c->reason, sizeof(c->reason), "%s",
		    ctr_creating_reason(c));
	}
	pod_recompute(p);
	return p;
}

int
pod_sandbox(struct pod *p, struct err *err)
{
	struct rt_limits lim = { -1, -1, -1, -1 };
	char path[4200], rel[64], hn[64];
	int r;

	if (p->sandbox)
		return 0;
	if ((r = mkdir_p(p->run_dir, 0700, err)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/ns", p->run_dir);
	r = rt_sandbox_create(path, pod_hostname(p, hn), p->spec->host_network,
	    err);
	if (r < 0)
		return r;
	/* The address first: a pod waiting for one has no pause yet. */
	if ((r = podnet_attach(p, err)) < 0)
		return r;
	if ((r = pod_pause_start(p, err)) < 0)
		return r;
	p->a->svc_dirty = true;
	if ((r = pod_etc_files(p, err)) < 0)
		return r;
	lim.pids = p->a->conf.pids > 0 ? p->a->conf.pids : -1;
	snprintf(rel, sizeof(rel), "pod%s", p->uid);
	if ((r = rt_cgroup_create(p->a->cg, rel, &lim, err)) < 0)
		return r;
	p->sandbox = true;
	p->start_ns = time_now_ns();
	pod_deadline_arm(p);
	(void)pod_save(p);
	return 0;
}

void
pod_deadline_arm(struct pod *p)
{
	double left;

	if (p->spec == NULL || p->spec->active_deadline < 0 ||
	    p->start_ns == 0 || p->fail_reason[0] != '\0')
		return;
	left = (double)p->spec->active_deadline -
	    (double)(time_now_ns() - p->start_ns) / 1e9;
	ev_timer_stop(p->a->loop, &p->deadline_t);
	ev_timer_set(&p->deadline_t, left > 0 ? left : 0, 0);
	ev_timer_start(p->a->loop, &p->deadline_t);
}

/* kubelet: the pod fails, its containers are stopped and stay stopped. */
void
pod_fail(struct pod *p, const char *reason, const char *msg)
{
	struct ev_loop *loop = p->a->loop;
	size_t i;

	if (p->fail_reason[0] != '\0')
		return;
	snprintf(p->fail_reason, sizeof(p->fail_reason), "%s", reason);
	snprintf(p->fail_message, sizeof(p->fail_message), "%s", msg);
	agent_event(p->a, p, NULL, true, reason, "%s", msg);
	for (i = 0; i < p->nctrs; i++) {
		struct ctr *c = &p->ctrs[i];

		ev_timer_stop(loop, &c->restart_t);
		c->backoff_pending = false;
		if (c->shim_pid > 0)
			ctr_stop(c, p->grace_ns);
		else if (c->state == CTR_WAITING && c->last.set) {
			/* Back-off is over for good: it stays as it ended. */
			c->state = CTR_TERMINATED;
			c->term = c->last;
		}
	}
	pod_recompute(p);
	(void)pod_save(p);
}

static void
deadline_over(struct ev_loop *loop, ev_timer *w, int revents)
{
	pod_fail(container_of(w, struct pod, deadline_t), "DeadlineExceeded",
	    DEADLINE_MSG);
}

/* Never started, nothing pending: this container's first start is due. */
static bool
fresh(const struct ctr *c)
{
	return c->shim_pid == 0 && c->state == CTR_WAITING && !c->last.set &&
	    !ev_is_active(&c->restart_t) && c->id[0] == '\0';
}

void
pod_advance(struct pod *p)
{
	size_t i;

	if (p->deletion_ns != 0 || p->spec == NULL || p->dead ||
	    p->fail_reason[0] != '\0')
		return;
	/* Init containers one at a time, in order; a sidecar only has to
	 * have started (its startup probe passed) before the next one. */
	for (i = 0; i < p->ninits; i++) {
		struct ctr *c = &p->ctrs[i];

		if (c->sidecar) {
			if (fresh(c))
				ctr_start(c);
			if (!(c->state == CTR_RUNNING && c->started) &&
			    !p->initialized)
				return;
			continue;
		}
		if (c->state == CTR_TERMINATED && c->term.exit_code == 0)
			continue;
		if (p->initialized)
			continue;	/* done once; not run again */
		if (fresh(c))
			ctr_start(c);
		return;
	}
	if (!p->initialized) {
		p->initialized = true;
		pod_recompute(p);
	}
	for (i = p->ninits; i < p->nctrs; i++) {
		struct ctr *c = &p->ctrs[i];

		if (fresh(c) && (c->reason[0] == '\0' || ctr_is_creating(c)))
			ctr_start(c);
	}
}

void
pod_start(struct pod *p)
{
	pod_advance(p);
	(void)pod_save(p);
}

void
pod_images_changed(struct pod *p)
{
	size_t i;

	for (i = 0; i < p->nctrs; i++) {
		struct ctr *c = &p->ctrs[i];

		if (c->state != CTR_WAITING || c->shim_pid != 0)
			continue;
		/* A pull that failed does not hold back an image that came
		 * by other means (an import), unless the policy is Always. */
		if (c->spec->pull_policy != CFG_PULL_ALWAYS &&
		    (strcmp(c->reason, "ErrImagePull") == 0 ||
		    strcmp(c->reason, "ImagePullBackOff") == 0)) {
			ev_timer_stop(p->a->loop, &c->restart_t);
			ctr_start(c);
		} else if (!ev_is_active(&c->restart_t) &&
		    (strcmp(c->reason, "ErrImageNeverPull") == 0 ||
		    strcmp(c->reason, "ErrImageInspect") == 0))
			ctr_start(c);
	}
}

void
pod_update_meta(struct pod *p, struct podspec *ps)
{
	size_t i;

	/* Same spec hash: the containers' specs are equal; repoint them. */
	podspec_ref(ps);
	podspec_unref(p->ps);
	p->ps = ps;
	p->spec = ps->cfg;
	for (i = 0; i < p->nctrs; i++)
		p->ctrs[i].spec = i < p->ninits ?
		    &ps->cfg->init_containers[i] :
		    &ps->cfg->containers[i - p->ninits];
}

struct pod *
pod_find(struct agent *a, const char *ns, const char *name)
{
	struct pod *p;

	TAILQ_FOREACH(p, &a->pods, entry) {
		if (!p->dead && strcmp(p->ns, ns) == 0 &&
		    strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

void
pod_terminate(struct pod *p, const char *why)
{
	struct ev_loop *loop = p->a->loop;
	size_t i;

	if (p->deletion_ns != 0)
		return;
	p->deletion_ns = time_now_ns();
	log_info("pod %s/%s: stopping (%s), grace period %llds", p->ns,
	    p->name, why, (long long)(p->grace_ns / 1000000000));
	for (i = 0; i < p->nctrs; i++) {
		struct ctr *c = &p->ctrs[i];

		ev_timer_stop(loop, &c->restart_t);
		c->backoff_pending = false;
		probes_stop(c);
		if (c->shim_pid == 0)
			continue;
		agent_event(p->a, p, c->name, false, "Killing",
		    "Stopping container %s", c->name);
		ctr_terminate(c, p->grace_ns);
	}
	ev_timer_init(&p->grace_t, grace_over, (double)p->grace_ns / 1e9, 0);
	ev_timer_start(loop, &p->grace_t);
	pod_recompute(p);
	pod_container_gone(p);
}

static void
grace_over(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pod *p = container_of(w, struct pod, grace_t);
	char rel[64];
	size_t i;

	for (i = 0; i < p->nctrs; i++)
		if (p->ctrs[i].shim_pid > 0)
			ctr_signal(&p->ctrs[i], SIGKILL);
	snprintf(rel, sizeof(rel), "pod%s", p->uid);
	(void)rt_cgroup_kill(p->a->cg, rel, NULL);
}

static int
remove_cgroups(struct pod *p, struct err *err)
{
	char rel[256];
	size_t i;
	int r;

	for (i = 0; i < p->nctrs; i++) {
		ctr_cgroup_rel(&p->ctrs[i], rel, sizeof(rel));
		if ((r = rt_cgroup_remove(p->a->cg, rel, err)) < 0 &&
		    r != -ENOENT)
			return r;
	}
	snprintf(rel, sizeof(rel), "pod%s", p->uid);
	r = rt_cgroup_remove(p->a->cg, rel, err);
	return r == -ENOENT ? 0 : r;
}

static void
teardown(struct pod *p)
{
	struct agent *a = p->a;
	struct err err;
	char path[4200];
	int r;

	podnet_detach(p);
	volumes_teardown(p);
	snprintf(path, sizeof(path), "%s/ns", p->run_dir);
	if (rt_sandbox_destroy(path, &err) < 0)
		log_warn("pod %s/%s: %s", p->ns, p->name, err.msg);
	pod_pause_stop(p);
	if ((r = remove_cgroups(p, &err)) == -EBUSY &&
	    p->teardown_tries++ < 50) {
		snprintf(path, sizeof(path), "pod%s", p->uid);
		(void)rt_cgroup_kill(a->cg, path, NULL);
		ev_timer_init(&p->teardown_t, teardown_retry, 0.1, 0);
		ev_timer_start(a->loop, &p->teardown_t);
		return;
	}
	if (r < 0)
		log_warn("pod %s/%s: cgroup left behind: %s", p->ns, p->name,
		    err.msg);
	if (rm_rf(p->run_dir, &err) < 0)
		log_warn("pod %s/%s: %s", p->ns, p->name, err.msg);
	snprintf(path, sizeof(path), "%s/pods/%s", a->conf.state, p->uid);
	ctr_remove_later(a, path);
	snprintf(path, sizeof(path), "%s/%s_%s_%s", a->conf.logs, p->ns,
	    p->name, p->uid);
	ctr_remove_later(a, path);
	log_info("pod %s/%s: removed", p->ns, p->name);
	p->dead = true;
	a->pods_dead = true;
	a->svc_dirty = true;
	podnet_idle(a);
	claims_reclaim(a);	/* a claim it held may be released now */
	ev_timer_stop(a->loop, &p->grace_t);
	ev_timer_stop(a->loop, &p->deadline_t);
	if (p->next != NULL) {
		struct podspec *next = p->next;
		struct pod *np;

		p->next = NULL;
		np = pod_new(a, next, NULL);
		podspec_unref(next);
		pod_start(np);
	}
	if (a->stopping)
		ev_break(a->loop, EVBREAK_ONE);	/* main re-checks */
}

static void
teardown_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	teardown(container_of(w, struct pod, teardown_t));
}

void
pod_container_gone(struct pod *p)
{
	size_t i;

	if (p->deletion_ns == 0 || p->dead || ev_is_active(&p->teardown_t))
		return;
	for (i = 0; i < p->nctrs; i++)
		if (p->ctrs[i].shim_pid > 0)
			return;
	teardown(p);
}

void
pod_free(struct pod *p)
{
	struct ev_loop *loop = p->a->loop;
	size_t i;

	for (i = 0; i < p->nctrs; i++) {
		ev_timer_stop(loop, &p->ctrs[i].restart_t);
		ctr_release(&p->ctrs[i]);
	}
	ev_timer_stop(loop, &p->grace_t);
	ev_timer_stop(loop, &p->teardown_t);
	ev_timer_stop(loop, &p->deadline_t);
	ev_io_stop(loop, &p->pause_w);
	if (p->pause.pidfd >= 0)
		close(p->pause.pidfd);
	podspec_unref(p->ps);
	podspec_unref(p->next);
	free(p->vols);
	free(p->ctrs);
	free(p);
}
