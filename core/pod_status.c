/*
 * pod_status: the pod's phase and conditions, derived from its containers
 * exactly as kubelet's getPhase does, so `picoctl get pods` agrees with
 * what a Kubernetes user expects (a crash-looping Always pod is Running; a
 * Never pod with a failed container is Failed; OnFailure with all
 * containers done and successful is Succeeded).
 */
#include <string.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"

enum pod_phase
pod_phase_of(enum cfg_restart_policy policy, const struct ctr *ctrs, size_t n)
{
	size_t i, waiting = 0, running = 0, stopped = 0, succeeded = 0;

	for (i = 0; i < n; i++) {
		const struct ctr *c = &ctrs[i];

		switch (c->state) {
		case CTR_RUNNING:
			running++;
			break;
		case CTR_TERMINATED:
			stopped++;
			if (c->term.exit_code == 0)
				succeeded++;
			break;
		case CTR_WAITING:
			if (c->last.set)
				stopped++;
			else
				waiting++;
			break;
		}
	}
	if (waiting > 0)
		return PHASE_PENDING;
	if (running > 0)
		return PHASE_RUNNING;
	if (stopped > 0) {
		if (policy == CFG_RESTART_ALWAYS)
			return PHASE_RUNNING;
		if (stopped == succeeded)
			return PHASE_SUCCEEDED;
		if (policy == CFG_RESTART_NEVER)
			return PHASE_FAILED;
		return PHASE_RUNNING;
	}
	return PHASE_PENDING;
}

enum pod_phase
pod_phase_init(enum cfg_restart_policy policy, const struct ctr *inits,
    size_t n, bool *initialized)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct ctr *c = &inits[i];

		if (c->sidecar)
			continue;
		if (c->state == CTR_TERMINATED && c->term.exit_code != 0 &&
		    policy == CFG_RESTART_NEVER)
			return PHASE_FAILED;
	}
	return *initialized ? PHASE_RUNNING : PHASE_PENDING;
}

void
pod_recompute(struct pod *p)
{
	enum cfg_restart_policy policy = CFG_RESTART_ALWAYS;
	enum pod_phase phase;
	int64_t now = time_now_ns();
	bool ready = p->nctrs > 0;
	size_t i;

	if (p->spec != NULL)
		policy = p->spec->restart_policy;
	phase = pod_phase_init(policy, p->ctrs, p->ninits, &p->initialized);
	if (phase == PHASE_RUNNING)
		phase = pod_phase_of(policy, p->ctrs + p->ninits,
		    p->nctrs - p->ninits);
	if (p->fail_reason[0] != '\0')
		phase = PHASE_FAILED;
	/* Ready: every app container, and every sidecar, ready. */
	for (i = 0; i < p->nctrs; i++)
		if ((!p->ctrs[i].init || p->ctrs[i].sidecar) &&
		    !p->ctrs[i].ready)
			ready = false;
	if (p->nctrs == p->ninits)
		ready = false;
	if (ready != p->ready || p->ready_since == 0) {
		p->ready = ready;
		p->ready_since = now;
		p->a->svc_dirty = true;		/* endpoints follow readiness */
	}
	if (p->init_since == 0 || p->initialized != p->was_initialized) {
		p->init_since = now;
		p->was_initialized = p->initialized;
	}
	if (phase != p->phase) {
		log_info("pod %s/%s: %s -> %s", p->ns, p->name,
		    pod_phase_names[p->phase], pod_phase_names[phase]);
		p->phase = phase;
	}
}
