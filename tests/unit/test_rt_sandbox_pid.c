/*
 * Privileged tests (root only, else skipped) of a pod-level pid namespace
 * (shareProcessNamespace): the pause process (rt_sandbox_create_pid,
 * "picolet-shim --pause"), containers joining it through rt_spec.pidns,
 * exec into them, the shim killing what a workload leaves behind, and
 * destroy.  A busybox rootfs and the freshly built picolet-shim as in
 * test_rt_container.c; cgroups of our own (picolet-test-pidns-<pid>).
 * This process is a child subreaper, so pauses orphaned by the
 * "restarted picolet" below are ours to reap.  Everything lives under
 * one temp dir, and the host's mount table must be the same afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "runtime/container.h"
#include "tests/unit/rt_fixture.h"

static const char *const applets[] = {
	"sh", "echo", "sleep", "cat", "ls", "ps", "pidof", "kill", "grep",
	"touch", "sed",
};

static struct {
	bool ready;
	char dir[64], cgname[64];
	char layer[128], sb[128], pidns[160], shim[PATH_MAX];
	char *mounts_before;
	struct rt_cgroup *cg;
	struct rt_pause pause;
	int n;
} G;

struct run {
	char dir[256], rel[32];
	char status[1024];
	struct rt_exit ex;
	struct rt_shim sh;
	char *log;
	pid_t pid;
};

static void
make_layer(void)
{
	char path[PATH_MAX];
	struct err e;
	size_t i;
	int fd;

	snprintf(G.layer, sizeof(G.layer), "%s/layer", G.dir);
	snprintf(path, sizeof(path), "%s/bin", G.layer);
	assert_int_equal(mkdir_p(path, 0755, &e), 0);
	snprintf(path, sizeof(path), "%s/etc", G.layer);
	assert_int_equal(mkdir_p(path, 0755, &e), 0);
	snprintf(path, sizeof(path), "%s/bin/busybox", G.layer);
	assert_int_equal(fx_copy("/bin/busybox", path), 0);
	for (i = 0; i < ARRAY_SIZE(applets); i++) {
		snprintf(path, sizeof(path), "%s/bin/%s", G.layer, applets[i]);
		assert_int_equal(symlink("busybox", path), 0);
	}
	snprintf(path, sizeof(path), "%s/etc/passwd", G.layer);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, "root:x:0:0::/:/bin/sh\n", 22), 0);
	close(fd);
}

static int
group_setup(void **state)
{
	struct rt_limits nolim = { -1, -1, -1, -1 };
	struct err e;
	int fd;

	if (geteuid() != 0 || access("/bin/busybox", X_OK) != 0)
		return 0;
	fd = rt_pidfd_open_checked(1, 0);
	if (fd == -ENOSYS)
		return 0;	/* valgrind */
	if (fd >= 0)
		close(fd);
	fx_find_shim(G.shim, sizeof(G.shim));
	if (access(G.shim, X_OK) != 0)
		return 0;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	snprintf(G.cgname, sizeof(G.cgname), "picolet-test-pidns-%d",
	    (int)getpid());
	if (rt_cgroup_open(&G.cg, NULL, G.cgname, &e) < 0 ||
	    rt_cgroup_create(G.cg, "x", &nolim, &e) < 0) {
		print_message("no cgroups (%s): skipped\n", e.msg);
		return 0;
	}
	snprintf(G.dir, sizeof(G.dir), "/tmp/test_rt_pidns.XXXXXX");
	assert_non_null(mkdtemp(G.dir));
	make_layer();
	G.mounts_before = fx_mountinfo(G.dir);
	snprintf(G.sb, sizeof(G.sb), "%s/sandbox", G.dir);
	snprintf(G.pidns, sizeof(G.pidns), "%s/pid", G.sb);
	if (rt_sandbox_create(G.sb, "testpod", false, &e) < 0 ||
	    rt_sandbox_create_pid(G.sb, G.shim, &G.pause, &e) < 0) {
		print_error("sandbox: %s\n", e.msg);
		return -1;
	}
	G.ready = true;
	return 0;
}

/* Wait (bounded) for a process we can reap to end; its status. */
static int
reap(pid_t pid, int pidfd)
{
	struct pollfd pf = { .fd = pidfd, .events = POLLIN };
	int st = -1;

	assert_int_equal(poll(&pf, 1, 10000), 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static int
group_teardown(void **state)
{
	static const char *const subs[] = {
		"sb-restart", "sb-destroy", "sb-dead",
	};
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char *after, path[300];
	struct err e;
	int r = 0, i;

	if (G.dir[0] != '\0') {
		if (rt_sandbox_destroy(G.sb, &e) < 0) {
			print_error("sandbox destroy: %s\n", e.msg);
			r = -1;
		}
		/* what a failed test left */
		for (i = 0; i < (int)ARRAY_SIZE(subs); i++) {
			snprintf(path, sizeof(path), "%s/%s", G.dir, subs[i]);
			rt_sandbox_destroy(path, NULL);
		}
		if (G.pause.pidfd >= 0 && G.pause.pid > 0)
			close(G.pause.pidfd);
		/* every pause and shim: ours (subreaper), killed by now */
		while (waitpid(-1, NULL, 0) > 0)
			;
		after = fx_mountinfo(G.dir);
		if (strcmp(after, G.mounts_before) != 0) {
			print_error("mounts leaked:\n%s\n", after);
			r = -1;
		}
		free(after);
		free(G.mounts_before);
		rm_rf(G.dir, NULL);
	}
	if (G.cg != NULL) {
		rt_cgroup_kill(G.cg, NULL, NULL);
		for (i = 0; i < 100; i++) {
			if (rt_cgroup_remove(G.cg, NULL, NULL) != -EBUSY)
				break;
			nanosleep(&ts, NULL);
		}
		rt_cgroup_close(G.cg);
	}
	return r;
}

static struct rt_limits nolimits = { -1, -1, -1, -1 };

/* A container of the pod sandbox sb (its pid ns pidns), in cgroup c<n>. */
static void
spec_init(struct rt_spec *s, struct run *r, const char *sb,
	const char *pidns, char **argv)
{
	static char *lower[2], *env[] = { "PATH=/bin", NULL };
	struct err e;

	memset(s, 0, sizeof(*s));
	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "%s/c%d", G.dir, G.n);
	snprintf(r->rel, sizeof(r->rel), "c%d", G.n++);
	lower[0] = G.layer;
	s->id = "0123456789abcdef";
	s->rootfs = xasprintf("%s/rootfs", r->dir);
	s->upper = xasprintf("%s/upper", r->dir);
	s->work = xasprintf("%s/work", r->dir);
	s->log_dir = xasprintf("%s/logs", r->dir);
	s->lower = lower;
	s->netns = xasprintf("%s/net", sb);
	s->ipcns = xasprintf("%s/ipc", sb);
	s->utsns = xasprintf("%s/uts", sb);
	s->pidns = xstrdup(pidns);
	s->argv = argv;
	s->env = env;
	s->uid = s->gid = -1;
	s->caps = rt_caps_default();
	s->log_max_size = 1 << 20;
	s->log_max_files = 2;
	assert_int_equal(rt_cgroup_create(G.cg, r->rel, &nolimits, &e), 0);
	s->cgroups = rt_cgroup_dirs(G.cg, r->rel);
	assert_int_equal(mkdir_p(s->rootfs, 0755, &e), 0);
	assert_int_equal(mkdir_p(s->upper, 0755, &e), 0);
	assert_int_equal(mkdir_p(s->work, 0755, &e), 0);
	assert_int_equal(mkdir_p(s->log_dir, 0755, &e), 0);
}

static void
spec_done(struct rt_spec *s, struct run *r)
{
	s->argv = s->env = s->lower = NULL;
	s->id = NULL;
	rt_spec_free(s);
	free(r->log);
}

static void
start(struct rt_spec *s, struct run *r)
{
	struct pollfd pf;
	char path[PATH_MAX];
	size_t len = 0;
	ssize_t n;
	struct err e;

	snprintf(path, sizeof(path), "%s/spec", r->dir);
	assert_int_equal(rt_spec_save(s, path, &e), 0);
	if (rt_shim_spawn(G.shim, r->dir, &r->sh, &e) < 0)
		fail_msg("spawn: %s", e.msg);
	for (;;) {
		pf.fd = r->sh.status_fd;
		pf.events = POLLIN;
		assert_int_equal(poll(&pf, 1, 10000), 1);
		n = read(r->sh.status_fd, r->status + len,
		    sizeof(r->status) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	r->status[len] = '\0';
	close(r->sh.status_fd);
	if (rt_shim_status_parse(r->status, &r->pid, NULL, 0, NULL, 0) != 1)
		fail_msg("status: %s", r->status);
}

static void
finish(struct rt_spec *s, struct run *r)
{
	char path[PATH_MAX];
	struct err e;
	int st;

	st = reap(r->sh.pid, r->sh.pidfd);
	assert_true(WIFEXITED(st));
	close(r->sh.pidfd);
	if (rt_exit_read(r->dir, &r->ex, &e) < 0)
		fail_msg("exit record: %s", e.msg);
	snprintf(path, sizeof(path), "%s/0.log", s->log_dir);
	if (read_file(path, 1 << 20, &r->log, NULL, &e) < 0)
		r->log = xstrdup("");
}

static void
wait_logged(const struct rt_spec *s, const char *text)
{
	char path[4096], *log = NULL;
	bool found;
	int i;

	snprintf(path, sizeof(path), "%s/0.log", s->log_dir);
	for (i = 0; i < 500; i++) {
		if (read_file(path, 1 << 20, &log, NULL, NULL) == 0) {
			found = strstr(log, text) != NULL;
			free(log);
			if (found)
				return;
		}
		usleep(10000);
	}
	fail_msg("%s never appeared in %s", text, path);
}

static void
expect_log(const struct run *r, const char *line, bool want)
{
	char pat[1024];

	snprintf(pat, sizeof(pat), "Z stdout F %s\n", line);
	if ((strstr(r->log, pat) != NULL) != want)
		fail_msg("log %s \"%s\":\n%s", want ? "lacks" : "has", pat,
		    r->log);
}

#define SH(...) ((char *[]){ "sh", "-c", __VA_ARGS__, NULL })
#define PREP() do { if (!G.ready) skip(); } while (0)

/* "NSpid:\t<host>\t<in ns>" of /proc/<pid>/status: the innermost pid. */
static long
ns_pid(pid_t pid)
{
	char path[64], *s, *p;
	long v = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_file(path, 1 << 16, &s, NULL, NULL) < 0)
		return -1;
	p = strstr(s, "\nNSpid:");
	if (p != NULL) {
		p[strcspn(p + 1, "\n") + 1] = '\0';
		p = strrchr(p, '\t');
		if (p != NULL)
			v = strtol(p + 1, NULL, 10);
	}
	free(s);
	return v;
}

/* Two containers in the pod's pid ns see each other; PID 1 is the pause. */
static void
test_shared(void **state)
{
	struct rt_spec a, b;
	struct run ra, rb;

	PREP();
	assert_int_equal(ns_pid(G.pause.pid), 1);
	spec_init(&a, &ra, G.sb, G.pidns, SH("echo a=$$; exec sleep 1000"));
	start(&a, &ra);
	wait_logged(&a, "a=");
	assert_true(ns_pid(ra.pid) > 1);
	spec_init(&b, &rb, G.sb, G.pidns, SH("echo b=$$; cat /proc/1/comm; "
	    "ls /proc | grep -c '^[0-9]'; ps; kill $(pidof sleep)"));
	start(&b, &rb);
	finish(&b, &rb);
	assert_int_equal(rb.ex.exit_code, 0);
	expect_log(&rb, "b=1", false);
	expect_log(&rb, "picolet-shim", true);
	if (strstr(rb.log, "sleep 1000") == NULL)
		fail_msg("b's ps lacks a's sleep:\n%s", rb.log);
	/* a's sleep is no PID 1: SIGTERM, unhandled, kills it */
	finish(&a, &ra);
	assert_int_equal(ra.ex.signal, SIGTERM);
	assert_int_equal(ra.ex.exit_code, 128 + SIGTERM);
	assert_true(ra.ex.started_ns > 0 && ra.ex.finished_ns > 0);
	expect_log(&ra, "a=1", false);
	spec_done(&a, &ra);
	spec_done(&b, &rb);
}

/* /proc/1 shows nothing of the host: closed to a default container, an
 * empty root to a privileged one (which may look). */
static void
test_pause_hidden(void **state)
{
	struct rt_spec s;
	struct run r;

	PREP();
	spec_init(&s, &r, G.sb, G.pidns, SH("ls /proc/1/root/ >/dev/null "
	    "2>&1 && echo root-open || echo root-closed; cat /proc/1/environ "
	    ">/dev/null 2>&1 || echo env-closed"));
	start(&s, &r);
	finish(&s, &r);
	expect_log(&r, "root-closed", true);
	expect_log(&r, "env-closed", true);
	spec_done(&s, &r);
	spec_init(&s, &r, G.sb, G.pidns, SH("cd /proc/1/root && echo in; "
	    "echo n=$(ls -A /proc/1/root | "
	    "grep -c .); touch /proc/1/root/x 2>/dev/null || echo ro; "
	    "ls /proc/1/root/.. | grep -c . | sed 's/^/up=/'"));
	s.privileged = true;
	start(&s, &r);
	finish(&s, &r);
	expect_log(&r, "in", true);
	expect_log(&r, "n=0", true);
	expect_log(&r, "ro", true);
	expect_log(&r, "up=0", true);
	spec_done(&s, &r);
}

/* A workload's children do not outlive it: the shim kills the cgroup. */
static void
test_leftovers(void **state)
{
	struct rt_spec s;
	struct run r;
	char **d, path[4200], *procs;
	int64_t t0;
	bool empty;
	int i;

	PREP();
	spec_init(&s, &r, G.sb, G.pidns, SH("sleep 1000 & sleep 1000 >/dev/null"
	    " 2>&1 </dev/null & echo bg; exit 4"));
	t0 = time_now_ns();
	start(&s, &r);
	finish(&s, &r);
	assert_true(time_now_ns() - t0 < 10LL * 1000000000);
	assert_int_equal(r.ex.exit_code, 4);
	expect_log(&r, "bg", true);
	/* SIGKILLed before the record; gone a moment later (bounded). */
	for (d = s.cgroups; *d != NULL; d++) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", *d);
		for (i = 0; i < 200; i++) {
			assert_int_equal(read_file(path, 65536, &procs, NULL,
			    NULL), 0);
			empty = procs[0] == '\0';
			if (!empty && i == 199)
				fail_msg("%s still holds %s", path, procs);
			free(procs);
			if (empty)
				break;
			usleep(10000);
		}
	}
	spec_done(&s, &r);
}

/* exec joins the shared ns too. */
static void
test_exec(void **state)
{
	struct rt_spec s;
	struct run r;
	struct rt_state st;
	struct rt_exec_proc p;
	struct err e;
	char out[512], msg[256];
	size_t len = 0;
	ssize_t n;
	int code;
	struct pollfd pf;

	PREP();
	spec_init(&s, &r, G.sb, G.pidns, SH("echo up; exec sleep 1000"));
	start(&s, &r);
	wait_logged(&s, "up");
	assert_int_equal(rt_state_read(r.dir, &st, &e), 0);
	{
		struct rt_exec x = {
			.run_dir = r.dir, .pid = st.pid,
			.pid_start = st.pid_start,
			.argv = SH("echo x=$$; cat /proc/1/comm"),
			.stdio = { RT_EXEC_NULL, RT_EXEC_PIPE,
			    RT_EXEC_STDOUT },
		};

		if (rt_exec_spawn(&x, &p, &e) < 0)
			fail_msg("exec: %s", e.msg);
	}
	pf.fd = p.stdio[1];
	pf.events = POLLIN;
	for (;;) {
		assert_int_equal(poll(&pf, 1, 10000), 1);
		n = read(p.stdio[1], out + len, sizeof(out) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	assert_int_equal(rt_exec_started(&p, msg, sizeof(msg)), 1);
	assert_int_equal(rt_exec_reap(&p, true, &code), 1);
	assert_int_equal(code, 0);
	rt_exec_close(&p);
	assert_non_null(strstr(out, "x="));
	assert_null(strstr(out, "x=1\n"));
	assert_non_null(strstr(out, "picolet-shim\n"));
	kill(st.pid, SIGKILL);
	finish(&s, &r);
	assert_int_equal(r.ex.exit_code, 137);
	spec_done(&s, &r);
}

/* The pause's fds: 0-2 only. */
static void
pause_fds(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dp;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dp = opendir(path);
	assert_non_null(dp);
	while ((d = readdir(dp)) != NULL)
		if (d->d_name[0] != '.' && atoi(d->d_name) > 2)
			fail_msg("pause has fd %s", d->d_name);
	closedir(dp);
}

static void
print_pss(pid_t pid)
{
	char path[64], *s, *p;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	assert_int_equal(read_file(path, 1 << 16, &s, NULL, NULL), 0);
	for (p = strtok(s, "\n"); p != NULL; p = strtok(NULL, "\n"))
		if (strncmp(p, "Rss:", 4) == 0 || strncmp(p, "Pss:", 4) == 0 ||
		    strncmp(p, "Private_Dirty:", 14) == 0)
			print_message("pause %s\n", p);
	free(s);
}

/* The pause outlives its maker (picolet restarting) and is found again. */
static void
test_restart(void **state)
{
	char dir[256], path[300], *before, *after;
	struct rt_pause p, q;
	struct stat sb;
	struct err e;
	pid_t child;
	int st;

	PREP();
	before = fx_mountinfo(G.dir);
	snprintf(dir, sizeof(dir), "%s/sb-restart", G.dir);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* our "picolet": makes the pause, then dies */
		_exit(rt_sandbox_create_pid(dir, G.shim, &p, &e) < 0 ? 1 : 0);
	}
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_int_equal(st, 0);
	assert_int_equal(rt_sandbox_pause_find(dir, &p, &e), 0);
	assert_int_equal(ns_pid(p.pid), 1);
	assert_true(getpgid(p.pid) != getpgid(0));	/* own session */
	pause_fds(p.pid);
	print_pss(p.pid);
	/* idempotent: the same pause */
	assert_int_equal(rt_sandbox_create_pid(dir, G.shim, &q, &e), 0);
	assert_int_equal(q.pid, p.pid);
	assert_int_equal(q.start, p.start);
	close(q.pidfd);
	/* destroy kills it; we, the subreaper, reap it */
	assert_int_equal(rt_sandbox_destroy(dir, &e), 0);
	st = reap(p.pid, p.pidfd);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	close(p.pidfd);
	assert_int_equal(rt_sandbox_pause_find(dir, &p, &e), -ENOENT);
	snprintf(path, sizeof(path), "%s/pid", dir);
	assert_int_equal(stat(path, &sb), -1);
	snprintf(path, sizeof(path), "%s/pause", dir);
	assert_int_equal(stat(path, &sb), -1);
	assert_int_equal(rt_sandbox_destroy(dir, &e), 0);
	after = fx_mountinfo(G.dir);
	assert_string_equal(before, after);
	free(after);
	free(before);
}

/* Destroying the sandbox ends the pause, and with it its ns's processes;
 * SIGTERM ends a pause cleanly; a failed start leaves nothing. */
static void
test_destroy(void **state)
{
	char dir[256], pidns[300], path[300], *before, *after;
	struct rt_spec s;
	struct run r;
	struct rt_pause p;
	struct stat sb;
	struct err e;
	int st;

	PREP();
	before = fx_mountinfo(G.dir);
	snprintf(dir, sizeof(dir), "%s/sb-destroy", G.dir);
	snprintf(pidns, sizeof(pidns), "%s/pid", dir);
	assert_int_equal(rt_sandbox_create(dir, "other", false, &e), 0);
	assert_int_equal(rt_sandbox_create_pid(dir, G.shim, &p, &e), 0);
	spec_init(&s, &r, dir, pidns, SH("echo up; exec sleep 1000"));
	start(&s, &r);
	wait_logged(&s, "up");
	assert_int_equal(rt_sandbox_destroy(dir, &e), 0);
	finish(&s, &r);
	assert_int_equal(r.ex.exit_code, 137);
	st = reap(p.pid, p.pidfd);
	assert_true(WIFSIGNALED(st));
	close(p.pidfd);
	after = fx_mountinfo(G.dir);
	assert_string_equal(before, after);
	free(after);
	/* a container cannot start in a ns whose pause is gone */
	spec_done(&s, &r);
	assert_int_equal(rt_sandbox_create_pid(dir, G.shim, &p, &e), 0);
	kill(p.pid, SIGTERM);
	st = reap(p.pid, p.pidfd);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p.pidfd);
	assert_int_equal(rt_sandbox_pause_find(dir, &p, &e), -ESRCH);
	/* ... and a new create replaces the dead one */
	assert_int_equal(rt_sandbox_create_pid(dir, G.shim, &p, &e), 0);
	assert_int_equal(rt_sandbox_destroy(dir, &e), 0);
	reap(p.pid, p.pidfd);
	close(p.pidfd);
	/* no such shim: an error, nothing left */
	assert_true(rt_sandbox_create_pid(dir, "/nonexistent", &p, &e) < 0);
	assert_non_null(strstr(e.msg, "exec"));
	snprintf(path, sizeof(path), "%s/pid", dir);
	assert_int_equal(stat(path, &sb), -1);
	snprintf(path, sizeof(path), "%s/pause", dir);
	assert_int_equal(stat(path, &sb), -1);
	assert_int_equal(rt_sandbox_destroy(dir, &e), 0);
	after = fx_mountinfo(G.dir);
	assert_string_equal(before, after);
	free(after);
	free(before);
}

/* A dead pause: the shim says so instead of a bare ENOMEM. */
static void
test_dead_pause(void **state)
{
	char dir[256], pidns[300], spath[300], reason[64], msg[512];
	struct rt_spec s;
	struct run r;
	struct rt_pause p;
	struct err e;
	ssize_t n;

	PREP();
	snprintf(dir, sizeof(dir), "%s/sb-dead", G.dir);
	snprintf(pidns, sizeof(pidns), "%s/pid", dir);
	assert_int_equal(rt_sandbox_create(dir, "dead", false, &e), 0);
	assert_int_equal(rt_sandbox_create_pid(dir, G.shim, &p, &e), 0);
	kill(p.pid, SIGKILL);
	reap(p.pid, p.pidfd);
	close(p.pidfd);
	spec_init(&s, &r, dir, pidns, SH("echo never"));
	snprintf(spath, sizeof(spath), "%s/spec", r.dir);
	assert_int_equal(rt_spec_save(&s, spath, &e), 0);
	assert_int_equal(rt_shim_spawn(G.shim, r.dir, &r.sh, &e), 0);
	{
		struct pollfd pf = { .fd = r.sh.status_fd, .events = POLLIN };

		assert_int_equal(poll(&pf, 1, 10000), 1);
	}
	n = read(r.sh.status_fd, r.status, sizeof(r.status) - 1);
	assert_true(n > 0);
	r.status[n] = '\0';
	close(r.sh.status_fd);
	assert_int_equal(rt_shim_status_parse(r.status, &r.pid, reason,
	    sizeof(reason), msg, sizeof(msg)), 0);
	assert_string_equal(reason, "CreateContainerError");
	assert_non_null(strstr(msg, "pause process is gone"));
	finish(&s, &r);
	spec_done(&s, &r);
	assert_int_equal(rt_sandbox_destroy(dir, &e), 0);
}

/* pidns on disk: saved, loaded; absent means NULL. */
static void
test_spec_pidns(void **state)
{
	char dir[] = "/tmp/test_rt_pidns_spec.XXXXXX", path[64];
	char *argv[] = { "x", NULL };
	struct rt_spec s, l;
	struct err e;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/spec", dir);
	memset(&s, 0, sizeof(s));
	s.rootfs = "/r";
	s.argv = argv;
	s.pidns = "/run/p/ns/pid";
	assert_int_equal(rt_spec_save(&s, path, &e), 0);
	assert_int_equal(rt_spec_load(&l, path, &e), 0);
	assert_string_equal(l.pidns, "/run/p/ns/pid");
	rt_spec_free(&l);
	s.pidns = NULL;
	assert_int_equal(rt_spec_save(&s, path, &e), 0);
	assert_int_equal(rt_spec_load(&l, path, &e), 0);
	assert_null(l.pidns);
	rt_spec_free(&l);
	rm_rf(dir, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_pidns),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_leftovers),
		cmocka_unit_test(test_pause_hidden),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_destroy),
		cmocka_unit_test(test_dead_pause),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
