/*
 * Privileged tests (root only, else skipped) of the shim and the
 * container child: a busybox rootfs in a temp dir, a pod sandbox, the
 * freshly built picolet-shim (PICOLET_SHIM, else next to this binary's
 * build dir), its status line, exit record and CRI log.  Cgroups are not
 * used (spec->cgroups NULL): they are tested with runtime/cgroup*.c.
 * Everything made lives under one temp dir, removed at the end, and the
 * host's mount table must be the same afterwards.
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "runtime/container.h"
#include "tests/unit/rt_fixture.h"

static const char *const applets[] = {
	"sh", "echo", "sleep", "cat", "ls", "id", "hostname", "grep", "head",
};

static struct {
	bool ready;
	char dir[64];
	char layer[128], sb[128], shim[PATH_MAX];
	char *mounts_before;
	int n;
} G;

struct run {
	char dir[256];
	char status[1024];
	struct rt_exit ex;
	struct rt_shim sh;
	char *log;
	pid_t pid;
};

static int
group_setup(void **state)
{
	char path[PATH_MAX];
	struct err e;
	size_t i;
	int fd;

	if (geteuid() != 0 || access("/bin/busybox", X_OK) != 0)
		return 0;
	/* valgrind does not know pidfd_open: nothing to test there */
	fd = rt_pidfd_open_checked(1, 0);
	if (fd == -ENOSYS)
		return 0;
	if (fd >= 0)
		close(fd);
	fx_find_shim(G.shim, sizeof(G.shim));
	if (access(G.shim, X_OK) != 0)
		return 0;
	snprintf(G.dir, sizeof(G.dir), "/tmp/test_rt_ctr.XXXXXX");
	assert_non_null(mkdtemp(G.dir));
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
	G.mounts_before = fx_mountinfo(G.dir);	/* empty, surely */
	snprintf(G.sb, sizeof(G.sb), "%s/sandbox", G.dir);
	if (rt_sandbox_create(G.sb, "testpod", false, &e) < 0) {
		print_error("sandbox: %s\n", e.msg);
		return -1;
	}
	G.ready = true;
	return 0;
}

static int
group_teardown(void **state)
{
	struct err e;
	char *after;
	int r = 0;

	if (G.dir[0] == '\0')
		return 0;
	if (rt_sandbox_destroy(G.sb, &e) < 0) {
		print_error("sandbox destroy: %s\n", e.msg);
		r = -1;
	}
	after = fx_mountinfo(G.dir);
	if (strcmp(after, G.mounts_before) != 0) {
		print_error("mounts leaked:\n%s\n---\n%s\n", G.mounts_before,
		    after);
		r = -1;
	}
	free(after);
	free(G.mounts_before);
	rm_rf(G.dir, NULL);
	return r;
}

/* A spec for this test's container, argv NULL-terminated. */
static void
spec_init(struct rt_spec *s, struct run *r, char **argv, char **env)
{
	static char *lower[2];
	char path[PATH_MAX];
	struct err e;

	memset(s, 0, sizeof(*s));
	snprintf(r->dir, sizeof(r->dir), "%s/c%d", G.dir, G.n++);
	lower[0] = G.layer;
	lower[1] = NULL;
	s->id = "0123456789abcdef";
	s->rootfs = xasprintf("%s/rootfs", r->dir);
	s->upper = xasprintf("%s/upper", r->dir);
	s->work = xasprintf("%s/work", r->dir);
	s->log_dir = xasprintf("%s/logs", r->dir);
	s->lower = lower;
	s->netns = xasprintf("%s/net", G.sb);
	s->ipcns = xasprintf("%s/ipc", G.sb);
	s->utsns = xasprintf("%s/uts", G.sb);
	s->argv = argv;
	s->env = env;
	s->uid = s->gid = -1;
	s->caps = rt_caps_default();
	s->log_max_size = 1 << 20;
	s->log_max_files = 2;
	assert_int_equal(mkdir_p(s->rootfs, 0755, &e), 0);
	assert_int_equal(mkdir_p(s->upper, 0755, &e), 0);
	assert_int_equal(mkdir_p(s->work, 0755, &e), 0);
	snprintf(path, sizeof(path), "%s", s->log_dir);
	assert_int_equal(mkdir_p(path, 0755, &e), 0);
}

static void
spec_done(struct rt_spec *s)
{
	free(s->rootfs);
	free(s->upper);
	free(s->work);
	free(s->log_dir);
	free(s->netns);
	free(s->ipcns);
	free(s->utsns);
}

/* Start the shim and read its status line. */
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
}

/* Wait for the shim to end; read the exit record and the log. */
static void
finish(struct rt_spec *s, struct run *r)
{
	struct pollfd pf = { .fd = r->sh.pidfd, .events = POLLIN };
	char path[PATH_MAX];
	size_t len;
	struct err e;
	int st;

	assert_int_equal(poll(&pf, 1, 20000), 1);
	assert_int_equal(waitpid(r->sh.pid, &st, 0), r->sh.pid);
	/* not killed; its status is not checked: a sanitizer build's
	 * LeakSanitizer cannot run in a shim whose pid ns has ended */
	assert_true(WIFEXITED(st));
	close(r->sh.pidfd);
	if (rt_exit_read(r->dir, &r->ex, &e) < 0)
		fail_msg("exit record: %s", e.msg);
	snprintf(path, sizeof(path), "%s/0.log", s->log_dir);
	if (read_file(path, 1 << 20, &r->log, &len, &e) < 0)
		r->log = xstrdup("");
}

static void
run(struct rt_spec *s, struct run *r)
{
	pid_t pid;
	char reason[64], msg[512];

	start(s, r);
	if (rt_shim_status_parse(r->status, &pid, reason, sizeof(reason), msg,
	    sizeof(msg)) != 1)
		fail_msg("status: %s", r->status);
	r->pid = pid;
	finish(s, r);
}

/* Wait (bounded, 5 s) until the current log holds text. */
static void
wait_logged(const struct rt_spec *s, const char *text)
{
	char path[4096], *log = NULL;
	int i;

	snprintf(path, sizeof(path), "%s/0.log", s->log_dir);
	for (i = 0; i < 500; i++) {
		if (read_file(path, 1 << 20, &log, NULL, NULL) == 0) {
			bool found = strstr(log, text) != NULL;

			free(log);
			if (found)
				return;
		}
		usleep(10000);
	}
	fail_msg("%s never appeared in %s", text, path);
}

static void
expect_log(const struct run *r, const char *stream, const char *line)
{
	char want[1024];

	snprintf(want, sizeof(want), "Z %s F %s\n", stream, line);
	if (strstr(r->log, want) == NULL)
		fail_msg("log lacks \"%s\":\n%s", want, r->log);
}

#define SH(...) ((char *[]){ "sh", "-c", __VA_ARGS__, NULL })
static char *path_env[] = { "PATH=/bin", "HOME=/", NULL };

#define PREP(s, r) \
	do { \
		if (!G.ready) \
			skip(); \
		memset(&(r), 0, sizeof(r)); \
	} while (0)

static void
test_echo(void **state)
{
	struct rt_spec s;
	struct run r;
	struct rt_state st;
	struct err e;

	PREP(s, r);
	spec_init(&s, &r, SH("echo hello; echo oops >&2; echo $$"), path_env);
	run(&s, &r);
	assert_int_equal(r.ex.exit_code, 0);
	assert_int_equal(r.ex.signal, 0);
	assert_true(r.ex.started_ns > 0);
	assert_true(r.ex.finished_ns >= r.ex.started_ns);
	assert_string_equal(r.ex.reason, "");
	expect_log(&r, "stdout", "hello");
	expect_log(&r, "stderr", "oops");
	expect_log(&r, "stdout", "1");	/* PID 1 of its own pid ns */
	assert_int_equal(rt_state_read(r.dir, &st, &e), 0);
	assert_int_equal(st.pid, r.pid);
	assert_int_equal(st.shim_pid, r.sh.pid);
	assert_true(st.pid_start > 0 && st.shim_start > 0);
	free(r.log);
	spec_done(&s);
}

static void
test_exit_code(void **state)
{
	struct rt_spec s;
	struct run r;

	PREP(s, r);
	spec_init(&s, &r, SH("exit 3"), path_env);
	run(&s, &r);
	assert_int_equal(r.ex.exit_code, 3);
	assert_int_equal(r.ex.signal, 0);
	free(r.log);
	spec_done(&s);
}

static void
test_killed(void **state)
{
	struct rt_spec s;
	struct run r;
	pid_t pid;

	PREP(s, r);
	spec_init(&s, &r, SH("echo up; sleep 100"), path_env);
	start(&s, &r);
	assert_int_equal(rt_shim_status_parse(r.status, &pid, NULL, 0, NULL,
	    0), 1);
	wait_logged(&s, "up");	/* "ok" means exec'd, not "echoed" */
	assert_int_equal(kill(pid, SIGKILL), 0);
	finish(&s, &r);
	assert_int_equal(r.ex.exit_code, 137);
	assert_int_equal(r.ex.signal, 9);
	expect_log(&r, "stdout", "up");
	free(r.log);
	spec_done(&s);
}

static void
test_not_found(void **state)
{
	char *argv[] = { "nonexistent", NULL };
	char reason[64], msg[512];
	struct rt_spec s;
	struct run r;
	pid_t pid;

	PREP(s, r);
	spec_init(&s, &r, argv, path_env);
	start(&s, &r);
	assert_int_equal(rt_shim_status_parse(r.status, &pid, reason,
	    sizeof(reason), msg, sizeof(msg)), 0);
	assert_string_equal(reason, "RunContainerError");
	assert_string_equal(msg, "exec: \"nonexistent\": executable file not "
	    "found in $PATH");
	finish(&s, &r);
	assert_int_equal(r.ex.exit_code, 128);
	assert_int_equal(r.ex.started_ns, 0);
	assert_string_equal(r.ex.reason, "RunContainerError");
	assert_string_equal(r.ex.message, msg);
	free(r.log);
	spec_done(&s);
}

static void
test_setup_error(void **state)
{
	char reason[64], msg[512];
	struct rt_spec s;
	struct run r;
	pid_t pid;

	PREP(s, r);
	spec_init(&s, &r, SH("true"), path_env);
	s.user = "nobody";
	start(&s, &r);
	assert_int_equal(rt_shim_status_parse(r.status, &pid, reason,
	    sizeof(reason), msg, sizeof(msg)), 0);
	assert_string_equal(reason, "CreateContainerError");
	assert_non_null(strstr(msg, "unable to find user nobody"));
	finish(&s, &r);
	assert_int_equal(r.ex.exit_code, 128);
	free(r.log);
	spec_done(&s);
}

static void
test_env_proc_host(void **state)
{
	struct rt_spec s;
	struct run r;

	PREP(s, r);
	spec_init(&s, &r, SH("hostname; test -e /proc/self/status && "
	    "echo proc; cat /proc/1/cmdline | grep -c sh; ls /dev/null "
	    "/dev/pts/ptmx; pwd; echo fds $(ls /proc/self/fd); "
	    "cat /proc/kcore | grep -c . ; echo h > /proc/sys/kernel/hostname "
	    "|| echo sysro; echo y > /sys/x || echo sys2ro"), path_env);
	s.cwd = "/work/dir";
	run(&s, &r);
	assert_int_equal(r.ex.exit_code, 0);
	expect_log(&r, "stdout", "testpod");
	expect_log(&r, "stdout", "proc");
	expect_log(&r, "stdout", "1");
	expect_log(&r, "stdout", "/dev/null");
	expect_log(&r, "stdout", "/work/dir");
	/* nothing of picolet's or the shim's: ls's own dir fd only */
	expect_log(&r, "stdout", "fds 0 1 2 3");
	expect_log(&r, "stdout", "0");		/* /proc/kcore masked */
	expect_log(&r, "stdout", "sysro");
	expect_log(&r, "stdout", "sys2ro");
	free(r.log);
	spec_done(&s);
}

static void
test_readonly(void **state)
{
	struct rt_spec s;
	struct run r;

	PREP(s, r);
	spec_init(&s, &r, SH("echo x > /x && echo wrote; "
	    "echo y > /dev/shm/y && echo shm"), path_env);
	s.readonly_rootfs = true;
	run(&s, &r);
	assert_null(strstr(r.log, "F wrote"));
	expect_log(&r, "stdout", "shm");
	free(r.log);
	spec_done(&s);
}

static void
test_user(void **state)
{
	struct rt_spec s;
	struct run r;

	PREP(s, r);
	spec_init(&s, &r, SH("id -u; id -g; id -G; grep CapEff "
	    "/proc/self/status"), path_env);
	s.uid = 1000;
	run(&s, &r);
	assert_int_equal(r.ex.exit_code, 0);
	expect_log(&r, "stdout", "1000");
	expect_log(&r, "stdout", "1000 2000");
	/* non-root keeps no capability across exec, as under containerd */
	expect_log(&r, "stdout", "CapEff:\t0000000000000000");
	free(r.log);
	spec_done(&s);
}

static void
test_caps(void **state)
{
	struct rt_spec s;
	struct run r;

	PREP(s, r);
	spec_init(&s, &r, SH("grep -E 'Cap(Eff|Bnd)' /proc/self/status"),
	    path_env);
	s.user = "root";
	run(&s, &r);
	assert_int_equal(r.ex.exit_code, 0);
	expect_log(&r, "stdout", "CapEff:\t00000000a80425fb");
	expect_log(&r, "stdout", "CapBnd:\t00000000a80425fb");
	free(r.log);
	spec_done(&s);
}

static void
test_binds(void **state)
{
	char vol[300], file[PATH_MAX];
	struct rt_mount m[2];
	struct rt_spec s;
	struct run r;

	PREP(s, r);
	spec_init(&s, &r, SH("cat /data/f /etc/hosts; echo z > /data/g || "
	    "echo ro"), path_env);
	snprintf(vol, sizeof(vol), "%s/vol", r.dir);
	assert_int_equal(mkdir(vol, 0755), 0);
	snprintf(file, sizeof(file), "%s/f", vol);
	fx_put(file, "in volume\n");
	snprintf(file, sizeof(file), "%s/hosts", r.dir);
	fx_put(file, "127.0.0.1 localhost testpod\n");
	m[0] = (struct rt_mount){ .src = vol, .dst = "/data", .ro = true };
	m[1] = (struct rt_mount){ .src = file, .dst = "/etc/hosts" };
	s.mounts = m;
	s.nmounts = 2;
	run(&s, &r);
	expect_log(&r, "stdout", "in volume");
	expect_log(&r, "stdout", "127.0.0.1 localhost testpod");
	expect_log(&r, "stdout", "ro");
	free(r.log);
	spec_done(&s);
}

/*
 * subPath: a directory of the volume (made when missing), and a symlink
 * planted in the volume that points out of it, absolute or by "..": the
 * shim refuses to start rather than mount what it points at.
 */
static void
test_subpath(void **state)
{
	char vol[300], path[PATH_MAX];
	struct rt_mount m[2];
	struct rt_spec s;
	struct run r;
	const char *via[] = { "abs", "up" };
	size_t i;

	PREP(s, r);
	spec_init(&s, &r, SH("cat /data/f; ls -d /made && echo made"),
	    path_env);
	snprintf(vol, sizeof(vol), "%s/vol", r.dir);
	snprintf(path, sizeof(path), "%s/sub", vol);
	assert_int_equal(mkdir(vol, 0755), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub/f", vol);
	fx_put(path, "in sub\n");
	snprintf(path, sizeof(path), "%s/abs", vol);
	assert_int_equal(symlink("/", path), 0);
	snprintf(path, sizeof(path), "%s/up", vol);
	assert_int_equal(symlink("../../../../../../../..", path), 0);
	m[0] = (struct rt_mount){ .src = vol, .dst = "/data", .sub = "sub" };
	m[1] = (struct rt_mount){ .src = vol, .dst = "/made", .sub = "x/y" };
	s.mounts = m;
	s.nmounts = 2;
	run(&s, &r);
	expect_log(&r, "stdout", "in sub");
	expect_log(&r, "stdout", "made");
	snprintf(path, sizeof(path), "%s/x/y", vol);
	assert_int_equal(access(path, F_OK), 0);
	free(r.log);
	for (i = 0; i < 2; i++) {
		char reason[64], msg[512];
		pid_t pid;

		m[0].sub = (char *)via[i];
		s.nmounts = 1;
		start(&s, &r);
		assert_int_equal(rt_shim_status_parse(r.status, &pid, reason,
		    sizeof(reason), msg, sizeof(msg)), 0);
		assert_string_equal(reason, "CreateContainerError");
		assert_non_null(strstr(msg, "leaves the volume"));
		finish(&s, &r);
		free(r.log);
	}
	spec_done(&s);
}

/* An orphan holding the pipes dies with PID 1: the shim still ends. */
static void
test_orphan(void **state)
{
	struct rt_spec s;
	struct run r;
	int64_t t0;

	PREP(s, r);
	spec_init(&s, &r, SH("sleep 100 & echo bg; exit 4"), path_env);
	t0 = time_now_ns();
	run(&s, &r);
	assert_true(time_now_ns() - t0 < 10LL * 1000000000);
	assert_int_equal(r.ex.exit_code, 4);
	expect_log(&r, "stdout", "bg");
	free(r.log);
	spec_done(&s);
}

/* No spec at all: the shim still answers and leaves a record. */
static void
test_no_spec(void **state)
{
	char reason[64], msg[512], dir[256];
	struct err e;
	struct run r;
	pid_t pid;
	int st;

	if (!G.ready)
		skip();
	memset(&r, 0, sizeof(r));
	snprintf(dir, sizeof(dir), "%s/nospec", G.dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(rt_shim_spawn(G.shim, dir, &r.sh, &e), 0);
	assert_int_equal(waitpid(r.sh.pid, &st, 0), r.sh.pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(read(r.sh.status_fd, r.status, sizeof(r.status) - 1) > 0);
	close(r.sh.status_fd);
	close(r.sh.pidfd);
	assert_int_equal(rt_shim_status_parse(r.status, &pid, reason,
	    sizeof(reason), msg, sizeof(msg)), 0);
	assert_string_equal(reason, "CreateContainerError");
	assert_non_null(strstr(msg, "/nospec/spec"));
	assert_int_equal(rt_exit_read(dir, &r.ex, &e), 0);
	assert_int_equal(r.ex.exit_code, 128);
	assert_string_equal(r.ex.reason, "CreateContainerError");
}

/*
 * More layers than one page of overlay options holds: 45 fit once made
 * relative to their common parent, 60 need fsconfig's lowerdir+.
 */
static void
layers(int n)
{
	char **lower = NULL, path[PATH_MAX], name[256], cmd[64];
	struct rt_spec s;
	struct run r;
	struct err e;
	int i;

	PREP(s, r);
	snprintf(cmd, sizeof(cmd), "cat /l0 /l%d", n - 1);
	spec_init(&s, &r, SH(cmd), path_env);
	strv_push(&lower, G.layer);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s/layers%d/%064d", G.dir, n, i);
		assert_int_equal(mkdir_p(name, 0755, &e), 0);
		snprintf(path, sizeof(path), "%s/l%d", name, i);
		fx_put(path, i == 0 ? "bottom\n" : "top\n");
		snprintf(path, sizeof(path), "%s/l0", name);
		if (i == n - 1)
			fx_put(path, "shadowed\n");
		strv_push(&lower, name);
	}
	s.lower = lower;
	run(&s, &r);
	assert_int_equal(r.ex.exit_code, 0);
	expect_log(&r, "stdout", "shadowed");
	expect_log(&r, "stdout", "top");
	strv_free(lower);
	free(r.log);
	spec_done(&s);
}

static void
test_layers_relative(void **state)
{
	layers(45);
}

static void
test_layers_fsconfig(void **state)
{
	layers(60);
}

static void
test_privileged(void **state)
{
	char my_capeff[64] = "", *st, *p;
	struct rt_spec s;
	struct run r;
	size_t len;

	PREP(s, r);
	/* all we hold (this host's root may lack some) */
	assert_int_equal(read_file("/proc/self/status", 1 << 16, &st, &len,
	    NULL), 0);
	p = strstr(st, "CapEff:");
	assert_non_null(p);
	snprintf(my_capeff, sizeof(my_capeff), "%.*s", (int)strcspn(p, "\n"),
	    p);
	free(st);
	spec_init(&s, &r, SH("grep CapEff /proc/self/status; "
	    "test -e /dev/kmsg && echo hostdev; cat /proc/kcore | head -c1 "
	    ">/dev/null && echo kcore"), path_env);
	s.privileged = true;
	run(&s, &r);
	assert_int_equal(r.ex.exit_code, 0);
	expect_log(&r, "stdout", "hostdev");
	expect_log(&r, "stdout", my_capeff);
	free(r.log);
	spec_done(&s);
}

/* The shim holds /dev/null, its log, pipes, a signalfd; not fd 3 once
 * it reported, nothing of ours. */
static void
shim_fds(pid_t pid)
{
	char dir[64], path[320], link[PATH_MAX];
	struct dirent *d;
	ssize_t n;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	dp = opendir(dir);
	assert_non_null(dp);
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		assert_true(n > 0);
		link[n] = '\0';
		if (strcmp(link, "/dev/zero") == 0 ||
		    (strcmp(d->d_name, "3") == 0 && strncmp(link, "pipe:", 5) == 0))
			fail_msg("shim has fd %s -> %s", d->d_name, link);
	}
	closedir(dp);
}

/* An idle shim: report its memory (not asserted, for the record). */
static void
test_shim_memory(void **state)
{
	char path[64], *smaps, *p;
	struct rt_spec s;
	struct run r;
	size_t len;
	pid_t pid;
	int leak;

	PREP(s, r);
	spec_init(&s, &r, SH("sleep 100"), path_env);
	/* an fd of "picolet's" without CLOEXEC must not reach the shim */
	leak = open("/dev/zero", O_RDONLY);
	assert_true(leak >= 0);
	start(&s, &r);
	close(leak);
	assert_int_equal(rt_shim_status_parse(r.status, &pid, NULL, 0, NULL,
	    0), 1);
	shim_fds(r.sh.pid);
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)r.sh.pid);
	assert_int_equal(read_file(path, 1 << 16, &smaps, &len, NULL), 0);
	for (p = strtok(smaps, "\n"); p != NULL; p = strtok(NULL, "\n"))
		if (strncmp(p, "Rss:", 4) == 0 || strncmp(p, "Pss:", 4) == 0 ||
		    strncmp(p, "Private_Dirty:", 14) == 0)
			print_message("shim %s\n", p);
	free(smaps);
	kill(pid, SIGKILL);
	finish(&s, &r);
	free(r.log);
	spec_done(&s);
}

static void
test_sandbox(void **state)
{
	char dir[256], path[300], *before, *after;
	struct stat st;
	struct err e;

	if (!G.ready)
		skip();
	before = fx_mountinfo(G.dir);
	snprintf(dir, sizeof(dir), "%s/sb2", G.dir);
	assert_int_equal(rt_sandbox_create(dir, "other", false, &e), 0);
	assert_int_equal(rt_sandbox_create(dir, "other", false, &e), 0);
	after = fx_mountinfo(G.dir);
	assert_string_not_equal(before, after);
	free(after);
	assert_int_equal(rt_sandbox_destroy(dir, &e), 0);
	assert_int_equal(rt_sandbox_destroy(dir, &e), 0);
	snprintf(path, sizeof(path), "%s/net", dir);
	assert_int_equal(stat(path, &st), -1);
	after = fx_mountinfo(G.dir);
	assert_string_equal(before, after);
	free(after);
	/* host network: only ipc */
	assert_int_equal(rt_sandbox_create(dir, "h", true, &e), 0);
	assert_int_equal(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/ipc", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(rt_sandbox_destroy(dir, &e), 0);
	after = fx_mountinfo(G.dir);
	assert_string_equal(before, after);
	free(after);
	/* a failure leaves nothing behind */
	assert_int_equal(rt_sandbox_create(dir, "a-hostname-longer-than-the-"
	    "sixty-four-bytes-a-uts-namespace-can-hold", false, &e), -EIO);
	assert_non_null(strstr(e.msg, "sethostname"));
	assert_int_equal(stat(path, &st), -1);
	after = fx_mountinfo(G.dir);
	assert_string_equal(before, after);
	free(after);
	free(before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_exit_code),
		cmocka_unit_test(test_killed),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_setup_error),
		cmocka_unit_test(test_env_proc_host),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_binds),
		cmocka_unit_test(test_subpath),
		cmocka_unit_test(test_orphan),
		cmocka_unit_test(test_no_spec),
		cmocka_unit_test(test_layers_relative),
		cmocka_unit_test(test_layers_fsconfig),
		cmocka_unit_test(test_privileged),
		cmocka_unit_test(test_shim_memory),
		cmocka_unit_test(test_sandbox),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
