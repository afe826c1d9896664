/*
 * ctr_adopt: containers that outlived a picolet.  The shim's pid is
 * recorded the moment it is spawned; the shim records the workload once it
 * runs and its exit when it ends.  From those a new picolet tells a running
 * container (watch its shim again), one that ended while picolet was down
 * (handle the exit now, back-off included) and one caught half-started
 * (kill what there is, count it as a failed start).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/core.h"
#include "lib/util.h"

/* Record the shim's pid at once, so a picolet killed mid-start finds it. */
void
ctr_note_shim(const struct ctr *c)
{
	char path[4200], line[64];
	uint64_t start = 0;

	(void)rt_proc_starttime(c->shim_pid, &start);
	snprintf(path, sizeof(path), "%s/shim", c->dir);
	snprintf(line, sizeof(line), "%d %llu\n", (int)c->shim_pid,
	    (unsigned long long)start);
	(void)write_replace(path, line, strlen(line), 0600, NULL);
}

static void
adopt_half_started(struct ctr *c)
{
	char path[4200], *s = NULL, rel[256];
	unsigned long long start;
	int pid, fd;

	snprintf(path, sizeof(path), "%s/shim", c->dir);
	if (read_file(path, 64, &s, NULL, NULL) == 0 &&
	    sscanf(s, "%d %llu", &pid, &start) == 2 &&
	    (fd = rt_pidfd_open_checked(pid, start)) >= 0) {
		syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
		close(fd);
	}
	free(s);
	ctr_cgroup_rel(c, rel, sizeof(rel));
	(void)rt_cgroup_kill(c->pod->a->cg, rel, NULL);
}

/*
 * Take over a container after picolet restarted: running (watch its shim
 * again), ended while picolet was down (handle the exit now), or caught
 * half-started (kill what there is and start over).
 */
void
ctr_adopt(struct ctr *c)
{
	struct rt_state st;
	struct rt_exit ex;
	struct ctr_term t;
	int fd;

	if (rt_exit_read(c->dir, &ex, NULL) == 0) {
		c->shim_pid = -1;	/* pretend: ctr_exited releases it */
		ctr_read_exit(c, &t);
		goto ended;
	}
	if (rt_state_read(c->dir, &st, NULL) == 0) {
		fd = rt_pidfd_open_checked(st.shim_pid, st.shim_start);
		if (fd >= 0) {
			c->shim_pid = st.shim_pid;
			c->shim_pidfd = fd;
			c->pid = st.pid;
			c->pid_start = st.pid_start;
			c->pidfd = rt_pidfd_open_checked(st.pid, st.pid_start);
			c->shim_child = false;
			ctr_set_running(c, st.started_ns);
			ctr_watch(c);
			return;
		}
		/* The shim is gone and left no exit record. */
		c->started_ns = st.started_ns;
		ctr_read_exit(c, &t);
		goto ended;
	}
	if (access(c->dir, F_OK) < 0) {
		c->adopt_ready = c->adopt_started = false;
		return;		/* never started: the caller starts it */
	}
	adopt_half_started(c);
	memset(&t, 0, sizeof(t));
	t.set = true;
	t.exit_code = 137;
	t.signal = SIGKILL;
	t.finished_ns = time_now_ns();
	snprintf(t.reason, sizeof(t.reason), "Error");
	snprintf(t.message, sizeof(t.message), "picolet restarted while "
	    "the container was starting");
ended:
	c->adopt_ready = c->adopt_started = false;	/* a new instance */
	ctr_release(c);
	c->last = t;
	if (c->pod->deletion_ns == 0 && c->pod->spec != NULL)
		agent_event(c->pod->a, c->pod, c->name, t.exit_code != 0,
		    t.exit_code == 0 ? "Completed" : "Died",
		    "Container %s exited with code %d (%s) while picolet was "
		    "down", c->name, t.exit_code, t.reason);
	ctr_after_exit(c, &t, strcmp(t.reason, "StartError") == 0);
}
