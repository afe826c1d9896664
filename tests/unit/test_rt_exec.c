/*
 * Privileged tests (root only, else skipped) of rt_exec_spawn: one
 * container (busybox rootfs in a temp dir, a pod sandbox, the freshly
 * built picolet-shim, its own cgroup, workload `sleep` as uid 1000) and
 * processes exec'd into it.  The fixture is a trimmed copy of
 * test_rt_container.c's.  Everything made lives under one temp dir and
 * one cgroup, removed at the end.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "runtime/container.h"
#include "tests/unit/rt_fixture.h"

static const char *const applets[] = {
	"sh", "echo", "sleep", "cat", "ls", "id", "hostname", "grep", "pwd",
	"true", "wc",
};

static struct {
	bool ready;
	char dir[64], cgname[64];
	char layer[128], sb[128], run[128], shim[PATH_MAX];
	struct rt_cgroup *cg;
	struct rt_shim sh;
	struct rt_state st;
} G;

static const struct rt_limits nolim = { -1, -1, -1, -1 };

static void
make_layer(void)
{
	char path[PATH_MAX];
	struct err e;
	size_t i;

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
	fx_put(path, "root:x:0:0:root:/root:/bin/sh\n"
	    "user:x:1000:1000::/home/user:/bin/sh\n");
	snprintf(path, sizeof(path), "%s/etc/group", G.layer);
	fx_put(path, "root:x:0:\nusers:x:1000:\nextra:x:2000:other,user\n");
}

/* The container's spec: `sleep 1000` as uid 1000 in /work, our cgroup. */
static void
save_spec(void)
{
	static char *argv[] = { "sleep", "1000", NULL };
	static char *env[] = { "PATH=/bin", "HOME=/", "FOO=image", NULL };
	char *lower[] = { G.layer, NULL }, path[PATH_MAX];
	struct rt_spec s;
	struct err e;

	memset(&s, 0, sizeof(s));
	s.id = "0123456789abcdef";
	s.rootfs = xasprintf("%s/rootfs", G.run);
	s.upper = xasprintf("%s/upper", G.run);
	s.work = xasprintf("%s/work", G.run);
	s.log_dir = xasprintf("%s/logs", G.run);
	s.lower = lower;
	s.netns = xasprintf("%s/net", G.sb);
	s.ipcns = xasprintf("%s/ipc", G.sb);
	s.utsns = xasprintf("%s/uts", G.sb);
	s.argv = argv;
	s.env = env;
	s.cwd = "/work";
	s.uid = 1000;
	s.gid = -1;
	s.caps = rt_caps_default();
	s.no_new_privs = true;
	s.log_max_size = 1 << 20;
	s.log_max_files = 2;
	s.cgroups = rt_cgroup_dirs(G.cg, "ctr");
	assert_int_equal(mkdir_p(s.rootfs, 0755, &e), 0);
	assert_int_equal(mkdir_p(s.upper, 0755, &e), 0);
	assert_int_equal(mkdir_p(s.work, 0755, &e), 0);
	assert_int_equal(mkdir_p(s.log_dir, 0755, &e), 0);
	snprintf(path, sizeof(path), "%s/spec", G.run);
	assert_int_equal(rt_spec_save(&s, path, &e), 0);
	strv_free(s.cgroups);
	free(s.rootfs);
	free(s.upper);
	free(s.work);
	free(s.log_dir);
	free(s.netns);
	free(s.ipcns);
	free(s.utsns);
}

static int
start_workload(void)
{
	char status[256];
	struct pollfd pf;
	struct err e;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (rt_shim_spawn(G.shim, G.run, &G.sh, &e) < 0) {
		print_error("spawn: %s\n", e.msg);
		return -1;
	}
	for (;;) {
		pf = (struct pollfd){ .fd = G.sh.status_fd, .events = POLLIN };
		if (poll(&pf, 1, 10000) != 1)
			break;
		n = read(G.sh.status_fd, status + len, sizeof(status) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	status[len] = '\0';
	close(G.sh.status_fd);
	if (rt_shim_status_parse(status, &pid, NULL, 0, NULL, 0) != 1 ||
	    rt_state_read(G.run, &G.st, &e) < 0 || G.st.pid != pid) {
		print_error("workload: %s\n", status);
		return -1;
	}
	return 0;
}

static int
group_setup(void **state)
{
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
	snprintf(G.cgname, sizeof(G.cgname), "picolet-test-exec-%d",
	    (int)getpid());
	if (rt_cgroup_open(&G.cg, NULL, G.cgname, &e) < 0 ||
	    rt_cgroup_create(G.cg, "ctr", &nolim, &e) < 0) {
		print_message("no cgroups (%s): skipped\n", e.msg);
		return 0;
	}
	snprintf(G.dir, sizeof(G.dir), "/tmp/test_rt_exec.XXXXXX");
	assert_non_null(mkdtemp(G.dir));
	make_layer();
	snprintf(G.sb, sizeof(G.sb), "%s/sandbox", G.dir);
	snprintf(G.run, sizeof(G.run), "%s/ctr", G.dir);
	if (rt_sandbox_create(G.sb, "testpod", false, &e) < 0) {
		print_error("sandbox: %s\n", e.msg);
		return -1;
	}
	save_spec();
	if (start_workload() < 0)
		return -1;
	G.ready = true;
	return 0;
}

static int
group_teardown(void **state)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	struct err e;
	int i;

	if (G.sh.pid > 0) {
		kill(G.st.pid, SIGKILL);
		waitpid(G.sh.pid, NULL, 0);
		close(G.sh.pidfd);
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
	if (G.dir[0] != '\0') {
		rt_sandbox_destroy(G.sb, &e);
		rm_rf(G.dir, NULL);
	}
	return 0;
}

static void
spawn(struct rt_exec_proc *p, char *const *argv, char *const *env,
	int err_fd)
{
	struct rt_exec x = {
		.run_dir = G.run, .pid = G.st.pid, .pid_start = G.st.pid_start,
		.argv = argv, .env = env,
		.stdio = { RT_EXEC_NULL, RT_EXEC_PIPE, err_fd },
	};
	struct err e;

	if (!G.ready)
		skip();
	if (rt_exec_spawn(&x, p, &e) < 0)
		fail_msg("rt_exec_spawn: %s", e.msg);
}

/* 1 exec'd, 0 not (msg). */
static int
started(struct rt_exec_proc *p, char *msg, size_t mlen)
{
	struct pollfd pf = { .fd = p->status_fd, .events = POLLIN };
	int r;

	while ((r = rt_exec_started(p, msg, mlen)) == -EAGAIN)
		assert_int_equal(poll(&pf, 1, 10000), 1);
	return r;
}

/* Run argv to its end; its stdout+stderr and exit code. */
static char *
run(char *const *argv, char *const *env, int *code)
{
	struct rt_exec_proc p;
	struct pollfd pf;
	char buf[4096], msg[512];
	struct buf out;
	ssize_t n;

	spawn(&p, argv, env, RT_EXEC_STDOUT);
	if (started(&p, msg, sizeof(msg)) != 1)
		fail_msg("not started: %s", msg);
	buf_init(&out, 1 << 20);
	for (;;) {
		pf = (struct pollfd){ .fd = p.stdio[1], .events = POLLIN };
		assert_int_equal(poll(&pf, 1, 10000), 1);
		n = read(p.stdio[1], buf, sizeof(buf));
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0)
			break;
		buf_append(&out, buf, (size_t)n);
	}
	assert_int_equal(rt_exec_reap(&p, true, code), 1);
	rt_exec_close(&p);
	return out.p != NULL ? out.p : xstrdup("");
}

#define SH(...) ((char *[]){ "sh", "-c", __VA_ARGS__, NULL })

static void
expect(char *const *argv, const char *want)
{
	char *out;
	int code = -1;

	out = run(argv, NULL, &code);
	assert_int_equal(code, 0);
	assert_string_equal(out, want);
	free(out);
}

static void
test_hostname(void **state)
{
	char *argv[] = { "hostname", NULL };

	expect(argv, "testpod\n");
}

/* In the container's pid ns, not its PID 1; sees the workload as 1. */
static void
test_pid_ns(void **state)
{
	char *out, *line;
	long self;
	int code;

	/* Both the workload (1) and this shell are visible; the host's
	 * picolet is not (its pid is far above anything in a fresh ns). */
	char host[64], *env[] = { host, NULL };

	snprintf(host, sizeof(host), "PPID_HOST=%d", (int)getpid());
	out = run(SH("echo $$; cat /proc/1/comm; test -d /proc/$$ && "
	    "echo both; test -d /proc/$PPID_HOST || echo isolated"), env,
	    &code);
	assert_int_equal(code, 0);
	self = strtol(out, &line, 10);
	assert_true(self > 1);
	assert_string_equal(line, "\nsleep\nboth\nisolated\n");
	free(out);
}

static void
test_user_cwd_env(void **state)
{
	char *env[] = { "FOO=extra", "BAR=1", NULL }, *out;
	int code;

	out = run(SH("id -u; id -G; pwd; echo $FOO $BAR $PATH; grep CapEff "
	    "/proc/self/status; grep NoNewPrivs /proc/self/status; "
	    "ls -ln /proc/$$/status | { read m l u r; echo owner $u; }"), env,
	    &code);
	assert_int_equal(code, 0);
	/* dumpable again after the exec: its /proc files are its own */
	assert_string_equal(out, "1000\n1000 2000\n/work\nextra 1 /bin\n"
	    "CapEff:\t0000000000000000\nNoNewPrivs:\t1\nowner 1000\n");
	free(out);
}

static void
test_not_found(void **state)
{
	char *argv[] = { "nonexistent", NULL }, msg[512];
	struct rt_exec_proc p;
	int code = -1;

	spawn(&p, argv, NULL, RT_EXEC_NULL);
	assert_int_equal(started(&p, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "exec: \"nonexistent\": executable file not "
	    "found in $PATH");
	assert_int_equal(rt_exec_reap(&p, true, &code), 1);
	assert_int_equal(code, 127);
	rt_exec_close(&p);
}

static void
test_exit_code(void **state)
{
	char *out;
	int code = -1;

	out = run(SH("echo bye >&2; exit 7"), NULL, &code);
	assert_int_equal(code, 7);
	assert_string_equal(out, "bye\n");
	free(out);
}

static int
count_fds(void)
{
	struct dirent *d;
	DIR *dp = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(dp);
	while ((d = readdir(dp)) != NULL)
		n += d->d_name[0] != '.';
	closedir(dp);
	return n;
}

/* A hanging one, killed at a deadline: no fd, no zombie, no child left
 * in the container (its process group is killed too). */
static void
test_hang_killed(void **state)
{
	char msg[512], path[64];
	struct rt_exec_proc p;
	struct pollfd pf;
	int before, code = -1;
	pid_t pid;

	if (!G.ready)
		skip();
	before = count_fds();
	spawn(&p, SH("sleep 100 & sleep 100"), NULL, RT_EXEC_STDOUT);
	pid = p.pid;
	assert_int_equal(started(&p, msg, sizeof(msg)), 1);
	pf = (struct pollfd){ .fd = p.pidfd, .events = POLLIN };
	assert_int_equal(poll(&pf, 1, 200), 0);	/* the deadline */
	assert_int_equal(rt_exec_reap(&p, false, &code), 0);
	rt_exec_kill(&p);
	assert_int_equal(poll(&pf, 1, 5000), 1);
	assert_int_equal(rt_exec_reap(&p, false, &code), 1);
	assert_int_equal(code, 137);
	rt_exec_close(&p);
	assert_int_equal(count_fds(), before);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	assert_int_equal(access(path, F_OK), -1);
	/* Alive in the container's pid ns: its PID 1 and the checker
	 * (the killed background sleep is a zombie of PID 1's, as under
	 * Kubernetes when PID 1 does not reap). */
	expect(SH("for p in /proc/[0-9]*; do grep -q '^State:.*[RSD]' "
	    "$p/status 2>/dev/null && cat $p/comm; done"), "sleep\nsh\n");
}

static void
test_cgroup(void **state)
{
	char path[64], *mine, *theirs, msg[512];
	char *argv[] = { "sleep", "100", NULL };
	struct rt_exec_proc p;

	spawn(&p, argv, NULL, RT_EXEC_NULL);
	assert_int_equal(started(&p, msg, sizeof(msg)), 1);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)p.pid);
	assert_int_equal(read_file(path, 1 << 16, &mine, NULL, NULL), 0);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)G.st.pid);
	assert_int_equal(read_file(path, 1 << 16, &theirs, NULL, NULL), 0);
	assert_non_null(strstr(theirs, G.cgname));
	assert_string_equal(mine, theirs);
	free(mine);
	free(theirs);
	rt_exec_close(&p);
}

/* Nothing of the caller's crosses: ls sees 0-2 and its own dir fd. */
static void
test_no_fd_leak(void **state)
{
	int leak;

	if (!G.ready)
		skip();
	leak = open("/dev/zero", O_RDONLY);
	assert_true(leak > 2);
	expect(SH("ls /proc/self/fd | grep -v '^[0-2]$' | wc -l"), "1\n");
	close(leak);
}

/* Fields 5-7 of /proc/<pid>/stat: pgrp, session, tty_nr. */
static void
stat_ids(pid_t pid, long *pgrp, long *sid, long *tty)
{
	char path[64], *st, *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	assert_int_equal(read_file(path, 4096, &st, NULL, NULL), 0);
	p = strrchr(st, ')');
	assert_non_null(p);
	assert_int_equal(sscanf(p + 1, " %*c %*d %ld %ld %ld", pgrp, sid, tty),
	    3);
	free(st);
}

/* tty: a session leader with the pty as its controlling terminal. */
static void
test_tty(void **state)
{
	char *argv[] = { "sh", "-c", "test -t 0 && echo istty; read x; "
	    "echo got $x", NULL }, buf[256] = "", name[64], msg[512];
	struct rt_exec_proc p;
	struct rt_exec x = {
		.run_dir = G.run, .pid = G.st.pid, .pid_start = G.st.pid_start,
		.argv = argv, .tty = true,
	};
	struct pollfd pf;
	struct err e;
	size_t len = 0;
	long pgrp, sid, tty;
	int master, slave, code = -1;
	ssize_t n;

	if (!G.ready)
		skip();
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	assert_int_equal(ptsname_r(master, name, sizeof(name)), 0);
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	x.stdio[0] = x.stdio[1] = x.stdio[2] = slave;
	if (rt_exec_spawn(&x, &p, &e) < 0)
		fail_msg("rt_exec_spawn: %s", e.msg);
	close(slave);
	assert_int_equal(started(&p, msg, sizeof(msg)), 1);
	stat_ids(p.pid, &pgrp, &sid, &tty);
	assert_int_equal(pgrp, p.pid);
	assert_int_equal(sid, p.pid);
	assert_true(tty != 0);
	assert_int_equal(write_all(master, "hi\n", 3), 0);
	while (strstr(buf, "got hi") == NULL && len < sizeof(buf) - 1) {
		pf = (struct pollfd){ .fd = master, .events = POLLIN };
		assert_int_equal(poll(&pf, 1, 10000), 1);
		n = read(master, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	assert_non_null(strstr(buf, "istty"));
	assert_non_null(strstr(buf, "got hi"));
	assert_int_equal(rt_exec_reap(&p, true, &code), 1);
	assert_int_equal(code, 0);
	rt_exec_close(&p);
	close(master);
}

static void
test_stale_pid(void **state)
{
	char *argv[] = { "true", NULL };
	struct rt_exec x = {
		.run_dir = G.run, .pid = G.st.pid,
		.pid_start = G.st.pid_start + 1, .argv = argv,
		.stdio = { RT_EXEC_NULL, RT_EXEC_NULL, RT_EXEC_NULL },
	};
	struct rt_exec_proc p;
	struct err e;

	if (!G.ready)
		skip();
	assert_int_equal(rt_exec_spawn(&x, &p, &e), -ESRCH);
	assert_non_null(strstr(e.msg, "gone"));
	assert_int_equal(p.pidfd, -1);
	/* the run dir without a spec */
	x.pid_start = G.st.pid_start;
	x.run_dir = G.dir;
	assert_true(rt_exec_spawn(&x, &p, &e) < 0);
	assert_non_null(strstr(e.msg, "/spec"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostname),
		cmocka_unit_test(test_pid_ns),
		cmocka_unit_test(test_user_cwd_env),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_exit_code),
		cmocka_unit_test(test_hang_killed),
		cmocka_unit_test(test_cgroup),
		cmocka_unit_test(test_no_fd_leak),
		cmocka_unit_test(test_tty),
		cmocka_unit_test(test_stale_pid),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
