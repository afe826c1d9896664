/*
 * pod_pause: shareProcessNamespace.  The pod's containers share one pid
 * namespace whose PID 1 is a pause process (runtime's
 * rt_sandbox_create_pid), as in Kubernetes, so they see each other's
 * processes and the workloads are not PID 1.  picolet watches the pause
 * by pidfd: if it dies the kernel has killed every process of the
 * namespace, and a new pause is made so containers can start again (they
 * restart by their policy, their exits having been seen).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"

static void
pause_exited(struct ev_loop *loop, ev_io *w, int revents)
{
	struct pod *p = container_of(w, struct pod, pause_w);
	struct err err;
	siginfo_t si;
	char dir[4200];

	ev_io_stop(loop, w);
	memset(&si, 0, sizeof(si));
	(void)waitid((idtype_t)P_PIDFD, (id_t)p->pause.pidfd, &si,
	    WEXITED | WNOHANG);
	close(p->pause.pidfd);
	p->pause.pidfd = -1;
	p->pause.pid = 0;
	if (p->deletion_ns != 0 || p->dead)
		return;
	agent_event(p->a, p, NULL, true, "SandboxChanged", "the pod's pause "
	    "process ended; its pid namespace is made again");
	snprintf(dir, sizeof(dir), "%s/ns", p->run_dir);
	(void)rt_sandbox_destroy_pid(dir, NULL);
	if (pod_pause_start(p, &err) < 0)
		log_error("pod %s/%s: %s", p->ns, p->name, err.msg);
}

static void
watch(struct pod *p)
{
	ev_io_init(&p->pause_w, pause_exited, p->pause.pidfd, EV_READ);
	ev_io_start(p->a->loop, &p->pause_w);
}

int
pod_pause_start(struct pod *p, struct err *err)
{
	char dir[4200];
	int r;

	if (p->spec == NULL || !p->spec->share_process_namespace)
		return 0;
	snprintf(dir, sizeof(dir), "%s/ns", p->run_dir);
	if ((r = rt_sandbox_create_pid(dir, p->a->conf.shim, &p->pause,
	    err)) < 0)
		return r;
	watch(p);
	return 0;
}

void
pod_pause_adopt(struct pod *p)
{
	struct err err;
	char dir[4200];

	if (p->spec == NULL || !p->spec->share_process_namespace)
		return;
	snprintf(dir, sizeof(dir), "%s/ns", p->run_dir);
	if (rt_sandbox_pause_find(dir, &p->pause, NULL) == 0) {
		watch(p);
		return;
	}
	(void)rt_sandbox_destroy_pid(dir, NULL);
	if (pod_pause_start(p, &err) < 0)
		log_error("pod %s/%s: %s", p->ns, p->name, err.msg);
}

void
pod_pause_stop(struct pod *p)
{
	siginfo_t si;

	if (p->pause.pidfd < 0)
		return;
	ev_io_stop(p->a->loop, &p->pause_w);
	/* Killed by rt_sandbox_destroy; reap it if it is ours. */
	memset(&si, 0, sizeof(si));
	(void)waitid((idtype_t)P_PIDFD, (id_t)p->pause.pidfd, &si,
	    WEXITED | WNOHANG);
	close(p->pause.pidfd);
	p->pause.pidfd = -1;
}
