/*
 * probe: a container's startup, liveness and readiness probes, as kubelet
 * runs them.  Each probe is a timer: the first attempt initialDelaySeconds
 * after the container started, then one every periodSeconds; an attempt
 * has timeoutSeconds.  successThreshold successes in a row make the probe
 * succeed, failureThreshold failures in a row make it fail.  The startup
 * probe gates the other two; once it succeeds it stops.  A failed startup
 * or liveness probe restarts the container; readiness drives its ready
 * flag.  Every failed attempt is an Unhealthy event with the reason.
 *
 * Attempts never block: tcpSocket and httpGet are non-blocking sockets
 * made in the pod's network namespace (probe_net.c), exec is a process
 * in the container (probe_exec.c); each ends in probe_done exactly once,
 * or is cancelled with probe_cancel.
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"

static const char *const kind_names[] = { "Startup", "Liveness",
	"Readiness" };

static void probe_tick(struct ev_loop *loop, ev_timer *w, int revents);

static const struct cfg_probe *
spec_of(const struct ctr *c, enum probe_kind k)
{
	const struct cfg_probe *p;

	if (c->spec == NULL)
		return NULL;
	p = k == PROBE_STARTUP ? &c->spec->startup :
	    k == PROBE_LIVENESS ? &c->spec->liveness : &c->spec->readiness;
	return p->set ? p : NULL;
}

static void
arm(struct probe *pr, double after)
{
	struct ev_loop *loop = pr->c->pod->a->loop;

	ev_timer_stop(loop, &pr->tick);
	ev_timer_set(&pr->tick, after > 0 ? after : 0, 0);
	ev_timer_start(loop, &pr->tick);
}

/* Seconds from now until started + initialDelaySeconds. */
static double
initial_wait(const struct probe *pr)
{
	double since = (double)(time_now_ns() - pr->c->started_ns) / 1e9;

	return pr->spec->initial_delay - since;
}

static void
probe_begin(struct ctr *c, enum probe_kind k)
{
	struct probe *pr = &c->probes[k];

	pr->c = c;
	pr->kind = k;
	pr->spec = spec_of(c, k);
	pr->successes = pr->failures = 0;
	pr->state = -1;
	if (pr->spec == NULL)
		return;
	ev_init(&pr->tick, probe_tick);
	ev_init(&pr->deadline, probe_timeout_cb);
	arm(pr, initial_wait(pr));
}

void
probes_start(struct ctr *c)
{
	memset(c->probes, 0, sizeof(c->probes));
	c->started = spec_of(c, PROBE_STARTUP) == NULL || c->adopt_started;
	c->adopt_started = false;
	if (!c->started) {
		probe_begin(c, PROBE_STARTUP);
		return;
	}
	probe_begin(c, PROBE_LIVENESS);
	probe_begin(c, PROBE_READINESS);
}

static void
probe_halt(struct probe *pr)
{
	struct ev_loop *loop;

	if (pr->spec == NULL || pr->c == NULL)
		return;
	loop = pr->c->pod->a->loop;
	ev_timer_stop(loop, &pr->tick);
	ev_timer_stop(loop, &pr->deadline);
	if (pr->busy)
		probe_cancel(pr);
	pr->busy = false;
	pr->spec = NULL;
}

void
probes_stop(struct ctr *c)
{
	int k;

	for (k = 0; k < PROBE_NKINDS; k++)
		probe_halt(&c->probes[k]);
}

static void
probe_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe *pr = container_of(w, struct probe, tick);
	char msg[512];

	/* kubelet: the next attempt a period after this one began. */
	arm(pr, pr->spec->period);
	if (pr->busy)
		return;		/* the last one is still running */
	pr->busy = true;
	pr->attempt_ns = time_now_ns();
	ev_timer_set(&pr->deadline, pr->spec->timeout, 0);
	ev_timer_start(loop, &pr->deadline);
	if (probe_attempt(pr, msg, sizeof(msg)) < 0)
		probe_done(pr, false, msg);
}

void
probe_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe *pr = container_of(w, struct probe, deadline);
	char msg[128];

	if (!pr->busy)
		return;
	probe_cancel(pr);
	snprintf(msg, sizeof(msg), "timeout: %s did not answer within %ds",
	    pr->done != NULL ? "the hook" : "the probe", pr->spec->timeout);
	probe_done(pr, false, msg);
}

/* The startup probe succeeded: liveness and readiness take over. */
static void
started(struct ctr *c)
{
	c->started = true;
	probe_halt(&c->probes[PROBE_STARTUP]);
	probe_begin(c, PROBE_LIVENESS);
	probe_begin(c, PROBE_READINESS);
	if (c->probes[PROBE_READINESS].spec == NULL)
		c->ready = true;
	pod_recompute(c->pod);
	(void)pod_save(c->pod);	/* a restarted picolet keeps this */
	pod_advance(c->pod);	/* a started sidecar lets the next one go */
}

static void
failed(struct probe *pr, const char *msg)
{
	struct ctr *c = pr->c;
	struct pod *p = c->pod;
	const char *kind = pr->kind == PROBE_STARTUP ? "startup" : "liveness";
	int64_t grace;

	if (pr->kind == PROBE_READINESS) {
		if (c->ready) {
			c->ready = false;
			pod_recompute(p);
			(void)pod_save(p);
		}
		return;
	}
	/* A probe-level terminationGracePeriodSeconds wins over the pod's. */
	grace = pr->spec->termination_grace >= 0 ?
	    pr->spec->termination_grace * 1000000000LL : p->grace_ns;
	agent_event(p->a, p, c->name, false, "Killing", "Container %s "
	    "failed %s probe, will be restarted", c->name, kind);
	probes_stop(c);		/* pr->spec is NULL from here */
	ctr_stop(c, grace);
}

void
probe_done(struct probe *pr, bool ok, const char *msg)
{
	struct ctr *c = pr->c;
	struct pod *p = c->pod;

	if (!pr->busy)
		return;
	pr->busy = false;
	ev_timer_stop(p->a->loop, &pr->deadline);
	if (pr->done != NULL) {
		pr->done(pr, ok, msg);
		return;
	}
	if (ok) {
		pr->failures = 0;
		if (++pr->successes < pr->spec->success_threshold ||
		    pr->state == 1)
			return;
		pr->state = 1;
		if (pr->kind == PROBE_STARTUP) {
			started(c);
		} else if (pr->kind == PROBE_READINESS && !c->ready) {
			c->ready = true;
			pod_recompute(p);
			(void)pod_save(p);
		}
		return;
	}
	pr->successes = 0;
	snprintf(pr->msg, sizeof(pr->msg), "%s", msg);
	agent_event(p->a, p, c->name, true, "Unhealthy", "%s probe failed: %s",
	    kind_names[pr->kind], msg);
	if (++pr->failures < pr->spec->failure_threshold)
		return;
	pr->state = 0;
	failed(pr, msg);
}
