/*
 * hook: postStart and preStop lifecycle hooks, exec or httpGet, run with
 * the probes' machinery (one attempt, its own completion).  postStart
 * runs right after the workload exec'd; the container is reported
 * Running only once it succeeded, and a failed postStart kills the
 * container (FailedPostStartHook).  preStop runs before SIGTERM and
 * counts against the grace period: SIGTERM follows when it ends, SIGKILL
 * when the grace period does, whichever the hook did.  Both are bounded
 * by the grace period, so a hook that never returns cannot hold a pod.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"

static void post_start_done(struct probe *pr, bool ok, const char *msg);
static void pre_stop_done(struct probe *pr, bool ok, const char *msg);

static bool
hook_run(struct ctr *c, const struct cfg_handler *h, int64_t bound_ns,
    void (*done)(struct probe *, bool, const char *))
{
	struct probe *pr = &c->hook;
	struct ev_loop *loop = c->pod->a->loop;
	char msg[512];

	if (h->type == CFG_H_NONE)
		return false;
	memset(pr, 0, sizeof(*pr));
	memset(&c->hook_spec, 0, sizeof(c->hook_spec));
	c->hook_spec.set = true;
	c->hook_spec.h = *h;
	c->hook_spec.timeout = (int)MAX(1, bound_ns / 1000000000);
	pr->c = c;
	pr->kind = PROBE_HOOK;
	pr->spec = &c->hook_spec;
	pr->done = done;
	pr->busy = true;
	ev_init(&pr->tick, NULL);
	ev_timer_init(&pr->deadline, probe_timeout_cb,
	    (double)bound_ns / 1e9, 0);
	ev_timer_start(loop, &pr->deadline);
	if (probe_attempt(pr, msg, sizeof(msg)) < 0)
		probe_done(pr, false, msg);
	return true;
}

/* Called once the workload exec'd: true when a hook now runs. */
bool
hook_post_start(struct ctr *c)
{
	return c->spec != NULL && hook_run(c, &c->spec->post_start,
	    c->pod->grace_ns, post_start_done);
}

static void
post_start_done(struct probe *pr, bool ok, const char *msg)
{
	struct ctr *c = pr->c;
	struct pod *p = c->pod;

	pr->spec = NULL;
	if (ok) {
		ctr_post_start_ok(c);
		return;
	}
	agent_event(p->a, p, c->name, true, "FailedPostStartHook",
	    "PostStartHook failed: %s", msg);
	ctr_signal(c, SIGKILL);
}

/* Before SIGTERM: true when a preStop hook now runs (SIGTERM follows). */
bool
hook_pre_stop(struct ctr *c, int64_t grace_ns)
{
	if (c->spec == NULL || c->state != CTR_RUNNING)
		return false;
	return hook_run(c, &c->spec->pre_stop, grace_ns, pre_stop_done);
}

static void
pre_stop_done(struct probe *pr, bool ok, const char *msg)
{
	struct ctr *c = pr->c;
	struct pod *p = c->pod;

	pr->spec = NULL;
	if (!ok)
		agent_event(p->a, p, c->name, true, "FailedPreStopHook",
		    "PreStopHook failed: %s", msg);
	ctr_signal(c, SIGTERM);
}

void
hook_cancel(struct ctr *c)
{
	struct probe *pr = &c->hook;

	if (pr->spec == NULL || pr->c == NULL)
		return;
	ev_timer_stop(c->pod->a->loop, &pr->deadline);
	if (pr->busy)
		probe_cancel(pr);
	pr->busy = false;
	pr->spec = NULL;
}
