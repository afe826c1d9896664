/*
 * ctr: one container's life, one step per callback.
 *
 *   Waiting(ContainerCreating) --shim "ok"--> Running --shim exits-->
 *   Terminated --restartPolicy--> Waiting(CrashLoopBackOff) --timer--> ...
 *
 * Start: the image (pulled first if its policy says so: pull.c), the pod
 * sandbox and volumes, then the container's layer, cgroup and spec
 * (ctr_prepare.c), then the shim.  The shim's
 * status line says whether the workload exec'd; the shim's pidfd says when
 * it is over, and its exit record says how.  Only ctr_set_* change state.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"
#include "core/ctr_spec.h"
#include "core/log.h"
#include "core/pull.h"
#include "lib/util.h"
#include "store/store.h"

static void ctr_exited(struct ev_loop *loop, ev_io *w, int revents);
static void ctr_status(struct ev_loop *loop, ev_io *w, int revents);
static void ctr_restart_due(struct ev_loop *loop, ev_timer *w, int revents);


/* kubelet's reason for a container not made yet: in a pod with init
 * containers it is PodInitializing, for those and the app containers
 * alike (kubectl then shows Init:N/M, not Init:ContainerCreating). */
const char *
ctr_creating_reason(const struct ctr *c)
{
	return c->pod->ninits > 0 ? "PodInitializing" : "ContainerCreating";
}

bool
ctr_is_creating(const struct ctr *c)
{
	return strcmp(c->reason, "ContainerCreating") == 0 ||
	    strcmp(c->reason, "PodInitializing") == 0;
}

void
ctr_set_waiting(struct ctr *c, const char *reason, const char *msg)
{
	c->state = CTR_WAITING;
	c->ready = false;
	snprintf(c->reason, sizeof(c->reason), "%s", reason);
	snprintf(c->message, sizeof(c->message), "%s", msg ? msg : "");
	pod_recompute(c->pod);
}

void
ctr_set_running(struct ctr *c, int64_t started)
{
	c->state = CTR_RUNNING;
	c->started_ns = started;
	c->reason[0] = c->message[0] = '\0';
	probes_start(c);
	/* Without a readiness probe a container is ready once started; an
	 * adopted one keeps what its probes last said. */
	c->ready = c->started && (c->probes[PROBE_READINESS].spec == NULL ||
	    c->adopt_ready);
	c->adopt_ready = false;
	pod_recompute(c->pod);
}

static void
ctr_set_terminated(struct ctr *c, const struct ctr_term *t)
{
	c->state = CTR_TERMINATED;
	c->term = *t;
	c->ready = false;
	pod_recompute(c->pod);
}

void
ctr_log_dir(const struct ctr *c, char *buf, size_t len)
{
	const struct pod *p = c->pod;

	snprintf(buf, len, "%s/%s_%s_%s/%s", p->a->conf.logs, p->ns, p->name,
	    p->uid, c->name);
}

void
ctr_cgroup_rel(const struct ctr *c, char *buf, size_t len)
{
	snprintf(buf, len, "pod%s/%s", c->pod->uid, c->name);
}

static int
rm_job(void *arg, struct err *err)
{
	return rm_rf(arg, err);
}

static void
rm_done(void *arg, int status, const char *msg)
{
	if (status < 0)
		log_warn("remove %s: %s", (char *)arg, msg);
	free(arg);
}

/* Remove a directory tree in a child: it may be large (a writable layer). */
void
ctr_remove_later(struct agent *a, const char *path)
{
	struct err err;
	char *p = xstrdup(path);

	if (job_run(a, rm_job, rm_done, p, &err) < 0) {
		log_warn("remove %s: %s", path, err.msg);
		free(p);
	}
}

static void
new_id(char id[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[32];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		memset(r, 0, sizeof(r));
	for (i = 0; i < sizeof(r); i++) {
		id[2 * i] = hex[r[i] >> 4];
		id[2 * i + 1] = hex[r[i] & 15];
	}
	id[64] = '\0';
}

void
ctr_watch(struct ctr *c)
{
	struct ev_loop *loop = c->pod->a->loop;

	if (c->shim_pidfd >= 0 && !ev_is_active(&c->shim_w)) {
		ev_io_init(&c->shim_w, ctr_exited, c->shim_pidfd, EV_READ);
		ev_io_start(loop, &c->shim_w);
	}
	if (c->status_fd >= 0 && !ev_is_active(&c->status_w)) {
		ev_io_init(&c->status_w, ctr_status, c->status_fd, EV_READ);
		ev_io_start(loop, &c->status_w);
	}
}

/* A start that failed before the shim: retried with back-off. */
static void
start_failed(struct ctr *c, const char *reason, const char *msg)
{
	struct ctr_term t;

	memset(&t, 0, sizeof(t));
	t.set = true;
	t.exit_code = 128;
	snprintf(t.reason, sizeof(t.reason), "StartError");
	snprintf(t.message, sizeof(t.message), "%s", msg);
	t.finished_ns = time_now_ns();
	memcpy(t.id, c->id, sizeof(t.id));
	agent_event(c->pod->a, c->pod, c->name, true, "Failed", "Error: %s",
	    msg);
	ctr_set_waiting(c, reason, msg);
	c->last = t;
	ctr_after_exit(c, &t, true);
}

void
ctr_start(struct ctr *c)
{
	struct pod *p = c->pod;
	struct agent *a = p->a;
	struct store_image *img = NULL;
	struct rt_shim shim;
	struct ctr_ctx x;
	struct err err;
	char dir[4096], reason[64], skipped[512], **cenv = NULL;
	int r;

	if (p->deletion_ns != 0 || c->shim_pid > 0 || p->fail_reason[0] != '\0')
		return;
	if (pull_image_for(c, &img) < 0)
		return;
	snprintf(c->image_id, sizeof(c->image_id), "%s", img->id);
	images_note_use(a, img->id);
	if (pod_sandbox(p, &err) < 0) {
		store_image_free(img);
		agent_event(a, p, NULL, true, "FailedCreatePodSandBox",
		    "Failed to create pod sandbox: %s", err.msg);
		ctr_set_waiting(c, ctr_creating_reason(c), err.msg);
		/* No address free: woken when one is released, not polled. */
		if (!p->ip_wait)
			ctr_retry(c, 10);
		return;
	}
	if (volumes_setup(p, &err) < 0) {
		store_image_free(img);
		if (strcmp(c->message, err.msg) != 0)
			agent_event(a, p, NULL, true, "FailedMount", "%s",
			    err.msg);
		ctr_set_waiting(c, ctr_creating_reason(c), err.msg);
		ctr_retry(c, 10);
		return;
	}
	ctr_context_pod(p, &x);
	x.skipped = skipped;
	x.skipped_len = sizeof(skipped);
	if (ctr_env_resolve(&x, c->spec, &cenv, reason, sizeof(reason),
	    &err) < 0) {
		/* Not a start: no restart counted; tried again later. */
		store_image_free(img);
		if (strcmp(c->reason, reason) != 0)
			agent_event(a, p, c->name, true, "Failed",
			    "Error: %s", err.msg);
		ctr_set_waiting(c, reason, err.msg);
		ctr_retry(c, 10);
		return;
	}
	if (skipped[0] != '\0')
		agent_event(a, p, c->name, true, "InvalidEnvironmentVariableNames",
		    "Keys [%s] from the EnvFrom were skipped since they are "
		    "considered invalid environment variable names.", skipped);
	new_id(c->id);
	ctr_set_waiting(c, ctr_creating_reason(c), NULL);
	r = ctr_prepare(c, img, cenv, dir, sizeof(dir), &err);
	strv_free(cenv);
	store_image_free(img);
	if (r < 0) {
		start_failed(c, "CreateContainerError", err.msg);
		return;
	}
	if (rt_shim_spawn(a->conf.shim, dir, &shim, &err) < 0) {
		start_failed(c, "RunContainerError", err.msg);
		return;
	}
	c->shim_pid = shim.pid;
	c->shim_pidfd = shim.pidfd;
	c->status_fd = shim.status_fd;
	c->shim_child = true;
	c->status_len = 0;
	ctr_note_shim(c);
	ctr_watch(c);
	log_debug("pod %s/%s: container %s: shim %d started", p->ns, p->name,
	    c->name, (int)shim.pid);
}

/* The shim's one status line: the workload runs, or why it does not. */
static void
status_line(struct ctr *c, const char *line)
{
	struct pod *p = c->pod;
	struct rt_state st;
	char reason[64], msg[512];
	pid_t pid = 0;
	int r;

	r = rt_shim_status_parse(line, &pid, reason, sizeof(reason), msg,
	    sizeof(msg));
	if (r == 1) {
		int64_t started = time_now_ns();

		c->pid = pid;
		if (rt_state_read(c->dir, &st, NULL) == 0) {
			started = st.started_ns;
			c->pid_start = st.pid_start;
			c->pidfd = rt_pidfd_open_checked(st.pid, st.pid_start);
		} else {
			c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		}
		if (c->pidfd < 0)
			c->pidfd = -1;
		c->started_ns = started;
		agent_event(p->a, p, c->name, false, "Started",
		    "Started container %s", c->name);
		(void)pod_save(p);
		if (p->deletion_ns != 0) {
			ctr_signal(c, SIGTERM);
			return;
		}
		/* Running only once a postStart hook, if any, succeeded. */
		if (!hook_post_start(c))
			ctr_post_start_ok(c);
		return;
	}
	if (r == 0) {
		agent_event(p->a, p, c->name, true, "Failed", "Error: %s",
		    msg);
		ctr_set_waiting(c, reason, msg);
		return;
	}
	log_warn("pod %s/%s: container %s: bad status from shim: %s",
	    p->ns, p->name, c->name, line);
}

static void
status_close(struct ctr *c)
{
	if (c->status_fd < 0)
		return;
	ev_io_stop(c->pod->a->loop, &c->status_w);
	close(c->status_fd);
	c->status_fd = -1;
}

static void
ctr_status(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctr *c = container_of(w, struct ctr, status_w);
	char *nl;
	ssize_t n;

	n = read(c->status_fd, c->status_line + c->status_len,
	    sizeof(c->status_line) - 1 - c->status_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		c->status_len += (size_t)n;
		c->status_line[c->status_len] = '\0';
		if ((nl = strchr(c->status_line, '\n')) == NULL &&
		    c->status_len < sizeof(c->status_line) - 1)
			return;
		if (nl != NULL)
			*nl = '\0';
		status_line(c, c->status_line);
	}
	/* One line is all the shim says; EOF without one: the exit says. */
	status_close(c);
}

void
ctr_signal(struct ctr *c, int sig)
{
	if (c->pidfd >= 0) {
		if (syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0) < 0 &&
		    errno != ESRCH)
			log_warn("pod %s/%s: container %s: signal %d: %s",
			    c->pod->ns, c->pod->name, c->name, sig,
			    strerror(errno));
	} else if (sig == SIGKILL && c->shim_pid > 0) {
		char rel[256];

		ctr_cgroup_rel(c, rel, sizeof(rel));
		(void)rt_cgroup_kill(c->pod->a->cg, rel, NULL);
	}
	if (sig == SIGTERM)
		c->stopping = true;
}

static void
kill_due(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctr *c = container_of(w, struct ctr, kill_t);

	if (c->shim_pid > 0)
		ctr_signal(c, SIGKILL);
}

void
ctr_post_start_ok(struct ctr *c)
{
	ctr_set_running(c, c->started_ns);
	pod_advance(c->pod);	/* a sidecar may let the next one start */
}

void
ctr_terminate(struct ctr *c, int64_t grace_ns)
{
	if (c->shim_pid <= 0 || c->stopping)
		return;
	hook_cancel(c);		/* a postStart still running */
	c->stopping = true;
	if (!hook_pre_stop(c, grace_ns))
		ctr_signal(c, SIGTERM);
}

void
ctr_stop(struct ctr *c, int64_t grace_ns)
{
	struct ev_loop *loop = c->pod->a->loop;

	if (c->shim_pid <= 0 || c->stopping)
		return;
	ctr_terminate(c, grace_ns);
	ev_timer_stop(loop, &c->kill_t);
	ev_timer_init(&c->kill_t, kill_due, (double)grace_ns / 1e9, 0);
	ev_timer_start(loop, &c->kill_t);
}

void
ctr_retry(struct ctr *c, int seconds)
{
	struct ev_loop *loop = c->pod->a->loop;

	ev_timer_stop(loop, &c->restart_t);
	ev_timer_init(&c->restart_t, ctr_restart_due, seconds, 0);
	ev_timer_start(loop, &c->restart_t);
}

static void
ctr_restart_due(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctr *c = container_of(w, struct ctr, restart_t);

	if (c->pod->deletion_ns != 0)
		return;
	if (c->backoff_pending) {
		c->backoff_pending = false;
		backoff_next(&c->backoff, time_now_ns(), c->last.finished_ns);
		c->restarts++;
	}
	ctr_start(c);
}

static bool
should_restart(const struct ctr *c, const struct ctr_term *t)
{
	/* Sidecars always; other init containers until they succeed,
	 * unless the pod never restarts anything. */
	if (c->sidecar)
		return true;
	if (c->init)
		return t->exit_code != 0 &&
		    c->pod->spec->restart_policy != CFG_RESTART_NEVER;
	switch (c->pod->spec->restart_policy) {
	case CFG_RESTART_ALWAYS:
		return true;
	case CFG_RESTART_ON_FAILURE:
		return t->exit_code != 0;
	default:
		return false;
	}
}

/* After an instance ended (or failed to start): restart or stay down. */
void
ctr_after_exit(struct ctr *c, const struct ctr_term *t, bool start_error)
{
	struct pod *p = c->pod;
	int64_t now = time_now_ns(), wait;
	char msg[512];

	if (p->deletion_ns != 0 || p->spec == NULL) {
		pod_container_gone(p);
		return;
	}
	if (p->fail_reason[0] != '\0' || !should_restart(c, t)) {
		if (!start_error)
			ctr_set_terminated(c, t);
		(void)pod_save(p);
		pod_advance(p);		/* the next init container, or apps */
		return;
	}
	wait = backoff_wait(&c->backoff, now, t->finished_ns);
	if (wait == 0) {
		/* kubelet restarts at once, and arms the back-off. */
		backoff_next(&c->backoff, now, t->finished_ns);
		c->restarts++;
		(void)pod_save(p);
		ctr_start(c);
		return;
	}
	snprintf(msg, sizeof(msg), "back-off %llds restarting failed "
	    "container=%s pod=%s_%s(%s)",
	    (long long)(c->backoff.delay / 1000000000), c->name, p->name,
	    p->ns, p->uid);
	ctr_set_waiting(c, "CrashLoopBackOff", msg);
	agent_event(p->a, p, c->name, true, "BackOff",
	    "Back-off restarting failed container %s in pod %s_%s(%s)",
	    c->name, p->name, p->ns, p->uid);
	(void)pod_save(p);
	ev_timer_stop(p->a->loop, &c->restart_t);
	ev_timer_init(&c->restart_t, ctr_restart_due,
	    (double)wait / 1e9, 0);
	ev_timer_start(p->a->loop, &c->restart_t);
	c->backoff_pending = true;
}

/* How the instance ended, from the shim's exit record and the cgroup. */
void
ctr_read_exit(struct ctr *c, struct ctr_term *t)
{
	struct agent *a = c->pod->a;
	struct rt_exit ex;
	struct err err;
	char rel[256];
	uint64_t ooms = 0;

	memset(t, 0, sizeof(*t));
	t->set = true;
	memcpy(t->id, c->id, sizeof(t->id));
	t->started_ns = c->started_ns;
	t->finished_ns = time_now_ns();
	if (rt_exit_read(c->dir, &ex, &err) < 0) {
		t->exit_code = 137;
		snprintf(t->reason, sizeof(t->reason), "Error");
		snprintf(t->message, sizeof(t->message), "the container's "
		    "shim ended without an exit record: %s", err.msg);
		return;
	}
	t->exit_code = ex.exit_code;
	t->signal = ex.signal;
	if (ex.started_ns != 0)
		t->started_ns = ex.started_ns;
	if (ex.finished_ns != 0)
		t->finished_ns = ex.finished_ns;
	if (ex.reason[0] != '\0') {
		snprintf(t->reason, sizeof(t->reason), "StartError");
		snprintf(t->message, sizeof(t->message), "%s", ex.message);
		return;
	}
	/*
	 * As containerd: any OOM kill in the container's cgroup makes it
	 * OOMKilled, also when PID 1 is a shell that only saw its child die.
	 */
	ctr_cgroup_rel(c, rel, sizeof(rel));
	if (ex.exit_code != 0 &&
	    rt_cgroup_oom_kills(a->cg, rel, &ooms) == 0 && ooms > 0)
		snprintf(t->reason, sizeof(t->reason), "OOMKilled");
	else
		snprintf(t->reason, sizeof(t->reason), "%s",
		    ex.exit_code == 0 ? "Completed" : "Error");
	ctr_msg_read(c, t);
}

static void
ctr_exited(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctr *c = container_of(w, struct ctr, shim_w);
	struct pod *p = c->pod;
	struct ctr_term t;
	siginfo_t si;
	bool start_error;
	char rel[256];

	/* The status line may still be in the pipe: read it first. */
	if (c->status_fd >= 0)
		ctr_status(loop, &c->status_w, EV_READ);
	ev_io_stop(loop, w);
	if (c->shim_child) {
		memset(&si, 0, sizeof(si));
		(void)waitid((idtype_t)P_PIDFD, (id_t)c->shim_pidfd, &si,
		    WEXITED | WNOHANG);
	}
	ctr_read_exit(c, &t);
	start_error = strcmp(t.reason, "StartError") == 0;
	ctr_release(c);
	logs_container_ended(p->a, p->uid, c->name);
	ctr_cgroup_rel(c, rel, sizeof(rel));
	(void)rt_cgroup_remove(p->a->cg, rel, NULL);
	c->last = t;
	if (!start_error && p->deletion_ns == 0)
		agent_event(p->a, p, c->name, t.exit_code != 0,
		    t.exit_code == 0 ? "Completed" : "Died",
		    "Container %s exited with code %d (%s)", c->name,
		    t.exit_code, t.reason);
	log_info("pod %s/%s: container %s exited: code %d (%s)", p->ns,
	    p->name, c->name, t.exit_code, t.reason);
	if (start_error) {
		char why[sizeof(c->reason)];

		snprintf(why, sizeof(why), "%s", c->reason[0] &&
		    !ctr_is_creating(c) ? c->reason : "RunContainerError");
		ctr_set_waiting(c, why, t.message);
	}
	ctr_after_exit(c, &t, start_error);
}

/* Drop the process handles of an instance that ended. */
void
ctr_release(struct ctr *c)
{
	struct ev_loop *loop = c->pod->a->loop;

	probes_stop(c);
	hook_cancel(c);
	ev_timer_stop(loop, &c->kill_t);
	status_close(c);
	ev_io_stop(loop, &c->shim_w);
	if (c->shim_pidfd >= 0)
		close(c->shim_pidfd);
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->shim_pidfd = c->pidfd = -1;
	c->shim_pid = c->pid = 0;
	c->stopping = false;
	c->started = false;
	c->started_ns = 0;
}
