/*
 * Unit tests for runtime/cgroup*.c.  The pure conversions run anywhere;
 * the rest needs root and a cgroup filesystem and is skipped without.
 * Every test works under its own top-level cgroup "picolet-test-<pid>"
 * and the teardown kills and removes it whatever happened.  The v2 test
 * mounts a private cgroup2 in a mount namespace of its own (on a hybrid
 * host it is the controller-less unified hierarchy).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/cgroup_int.h"
#include "runtime/rt.h"

#define MAXKIDS 16

struct fx {
	struct rt_cgroup *cg;
	char name[64];
	char mnt[64];		/* private cgroup2 mount, v2 test only */
	pid_t kids[MAXKIDS];
	int nkids;
};

static const struct rt_limits nolim = { -1, -1, -1, -1 };

static int
open_fx(void **state, const char *root)
{
	struct fx *f = *state;
	struct err err;
	int r;

	snprintf(f->name, sizeof(f->name), "picolet-test-%d", (int)getpid());
	r = rt_cgroup_open(&f->cg, root, f->name, &err);
	if (r < 0)
		print_message("rt_cgroup_open: %s\n", err.msg);
	return r;
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	*state = f;
	if (geteuid() != 0 || access("/proc/self/mountinfo", R_OK) != 0)
		return 0;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	open_fx(state, NULL);
	return 0;
}

static void
reap(struct fx *f)
{
	int i, st;

	for (i = 0; i < f->nkids; i++) {
		kill(f->kids[i], SIGKILL);
		waitpid(f->kids[i], &st, 0);
	}
	f->nkids = 0;
	/* Grandchildren come to us as subreaper. */
	while (waitpid(-1, &st, WNOHANG) > 0)
		;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i;

	if (f->cg) {
		rt_cgroup_kill(f->cg, NULL, NULL);
		reap(f);
		/* Dying tasks leave the cgroup a moment after SIGKILL. */
		for (i = 0; i < 100; i++) {
			if (rt_cgroup_remove(f->cg, NULL, NULL) != -EBUSY)
				break;
			nanosleep(&ts, NULL);
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
		}
		rt_cgroup_close(f->cg);
	}
	if (f->mnt[0]) {
		umount2(f->mnt, MNT_DETACH);
		rmdir(f->mnt);
	}
	free(f);
	return 0;
}

static void
need_cg(struct fx *f)
{
	if (f->cg == NULL)
		skip();
}

/* Content of dir/file, trailing newline cut. */
static char *
readf(const char *dir, const char *file)
{
	char *p = xasprintf("%s/%s", dir, file), *buf;
	size_t len;

	assert_int_equal(read_file(p, 65536, &buf, &len, NULL), 0);
	free(p);
	if (len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	return buf;
}

static void
assert_file(const char *dir, const char *file, const char *want)
{
	char *got = readf(dir, file);

	if (strcmp(got, want) != 0)
		fail_msg("%s/%s: got \"%s\", want \"%s\"", dir, file, got, want);
	free(got);
}

/* The dir of the hierarchy holding file, or NULL. */
static char *
dir_with(char **dirs, const char *file)
{
	char *p;
	size_t i;

	for (i = 0; dirs[i]; i++) {
		p = xasprintf("%s/%s", dirs[i], file);
		if (access(p, F_OK) == 0) {
			free(p);
			return dirs[i];
		}
		free(p);
	}
	return NULL;
}

/* Fork a child that joins rel and runs fn, which writes a byte on fd
 * once everything it is to make exists. */
static pid_t
spawn(struct fx *f, const char *rel, void (*fn)(int))
{
	char **dirs = rt_cgroup_dirs(f->cg, rel), c;
	int p[2], fd, i;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (i = 0; dirs[i]; i++) {
			char *q = xasprintf("%s/cgroup.procs", dirs[i]);

			fd = open(q, O_WRONLY | O_CLOEXEC);
			if (fd < 0 || write(fd, "0", 1) != 1)
				_exit(99);
			close(fd);
		}
		fn(p[1]);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	strv_free(dirs);
	assert_true(f->nkids < MAXKIDS);
	f->kids[f->nkids++] = pid;
	return pid;
}

static int
wait_kid(struct fx *f, pid_t pid)
{
	int st, i;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	for (i = 0; i < f->nkids; i++)
		if (f->kids[i] == pid)
			f->kids[i] = f->kids[--f->nkids];
	return st;
}

static void
sleeper(int fd)
{
	if (fork() == 0) {	/* a grandchild, to kill a tree */
		if (write(fd, "j", 1) != 1)
			_exit(98);
		for (;;)
			pause();
	}
	for (;;)
		pause();
}

static void
hog(int fd)
{
	size_t n = 64 << 20, i;
	volatile char *p;

	if (write(fd, "j", 1) != 1)
		_exit(98);
	p = malloc(n);

	for (i = 0; p && i < n; i += 4096)
		p[i] = 1;
}

static void
test_values(void **state)
{
	(void)state;
	assert_int_equal(cg_cpu_quota(-1), -1);
	assert_int_equal(cg_cpu_quota(0), -1);
	assert_int_equal(cg_cpu_quota(1), 1000);	/* the kernel minimum */
	assert_int_equal(cg_cpu_quota(250), 25000);
	assert_int_equal(cg_cpu_quota(2000), 200000);
	assert_int_equal(cg_cpu_shares(-1), 1024);
	assert_int_equal(cg_cpu_shares(0), 2);
	assert_int_equal(cg_cpu_shares(1), 2);
	assert_int_equal(cg_cpu_shares(100), 102);
	assert_int_equal(cg_cpu_shares(1000), 1024);
	assert_int_equal(cg_cpu_shares(1000000), 262144);
	assert_int_equal(cg_cpu_weight(2), 1);
	assert_int_equal(cg_cpu_weight(102), 4);
	assert_int_equal(cg_cpu_weight(1024), 39);
	assert_int_equal(cg_cpu_weight(262144), 10000);
}

static void
test_limits(void **state)
{
	struct fx *f = *state;
	struct rt_limits lim = { 250, 100, 32 << 20, 64 };
	char **dirs, *d, *p;
	struct stat st;
	size_t i, j;
	struct err err;

	need_cg(f);
	print_message("cgroup mode: %s\n", rt_cgroup_mode_name(f->cg));
	assert_int_equal(rt_cgroup_create(f->cg, "pod/ctr", &lim, &err), 0);
	/* Idempotent. */
	assert_int_equal(rt_cgroup_create(f->cg, "pod/ctr", &lim, &err), 0);
	assert_int_equal(rt_cgroup_create(f->cg, "../x", &lim, &err), -EINVAL);
	assert_int_equal(rt_cgroup_create(f->cg, "a//b", &lim, &err), -EINVAL);
	dirs = rt_cgroup_dirs(f->cg, "pod/ctr");
	for (i = 0; dirs[i]; i++) {
		assert_int_equal(stat(dirs[i], &st), 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(dirs[i], dirs[j]);
	}
	if (rt_cgroup_mode(f->cg) == RT_CG_V2) {
		assert_int_equal(strv_len(dirs), 1);
		assert_file(dirs[0], "cpu.max", "25000 100000");
		assert_file(dirs[0], "cpu.weight", "4");
		assert_file(dirs[0], "memory.max", "33554432");
		assert_file(dirs[0], "pids.max", "64");
	} else {
		assert_non_null(d = dir_with(dirs, "cpu.cfs_quota_us"));
		assert_file(d, "cpu.cfs_period_us", "100000");
		assert_file(d, "cpu.cfs_quota_us", "25000");
		assert_file(d, "cpu.shares", "102");
		assert_non_null(d = dir_with(dirs, "memory.limit_in_bytes"));
		assert_file(d, "memory.limit_in_bytes", "33554432");
		p = xasprintf("%s/memory.memsw.limit_in_bytes", d);
		if (access(p, F_OK) == 0)
			assert_file(d, "memory.memsw.limit_in_bytes", "33554432");
		free(p);
		assert_non_null(d = dir_with(dirs, "pids.max"));
		assert_file(d, "pids.max", "64");
	}
	/* Raising the memory limit past memsw, then dropping all limits. */
	lim.mem_limit = 64 << 20;
	assert_int_equal(rt_cgroup_create(f->cg, "pod/ctr", &lim, &err), 0);
	assert_int_equal(rt_cgroup_create(f->cg, "pod/ctr", &nolim, &err), 0);
	if (rt_cgroup_mode(f->cg) == RT_CG_V2) {
		assert_file(dirs[0], "cpu.max", "max 100000");
		assert_file(dirs[0], "memory.max", "max");
	} else {
		assert_file(dir_with(dirs, "cpu.cfs_quota_us"),
		    "cpu.cfs_quota_us", "-1");
		assert_file(dir_with(dirs, "pids.max"), "pids.max", "max");
	}
	strv_free(dirs);
}

static void
test_oom(void **state)
{
	struct fx *f = *state;
	struct rt_limits lim = { -1, -1, 8 << 20, -1 };
	uint64_t n = 99;
	struct err err;
	pid_t pid;
	int st;

	need_cg(f);
	assert_int_equal(rt_cgroup_create(f->cg, "oom", &lim, &err), 0);
	assert_int_equal(rt_cgroup_oom_kills(f->cg, "oom", &n), 0);
	assert_int_equal(n, 0);
	pid = spawn(f, "oom", hog);
	st = wait_kid(f, pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	assert_int_equal(rt_cgroup_oom_kills(f->cg, "oom", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rt_cgroup_remove(f->cg, "oom", &err), 0);
}

/* Kill a tree of sleepers; remove is refused until it is empty. */
static void
kill_tree_check(struct fx *f, const char *rel)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	struct err err;
	pid_t pid[3];
	int i, r, st;
	char **dirs;

	assert_int_equal(rt_cgroup_create(f->cg, rel, &nolim, &err), 0);
	for (i = 0; i < 3; i++)
		pid[i] = spawn(f, rel, sleeper);
	r = rt_cgroup_remove(f->cg, rel, &err);
	assert_int_equal(r, -EBUSY);
	assert_non_null(strstr(err.msg, "rmdir "));
	assert_int_equal(rt_cgroup_kill(f->cg, rel, &err), 0);
	for (i = 0; i < 3; i++) {
		st = wait_kid(f, pid[i]);
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), SIGKILL);
	}
	/* The grandchildren, reparented to us, died too. */
	for (i = 0; i < 3;) {
		r = waitpid(-1, &st, 0);
		assert_true(r > 0);
		assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		i++;
	}
	for (i = 0; i < 50; i++) {
		if ((r = rt_cgroup_remove(f->cg, rel, &err)) != -EBUSY)
			break;
		nanosleep(&ts, NULL);
	}
	assert_int_equal(r, 0);
	dirs = rt_cgroup_dirs(f->cg, rel);
	for (i = 0; dirs[i]; i++)
		assert_int_equal(access(dirs[i], F_OK), -1);
	strv_free(dirs);
}

static void
test_kill(void **state)
{
	struct fx *f = *state;

	need_cg(f);
	kill_tree_check(f, "pod2/ctr");
	assert_int_equal(rt_cgroup_remove(f->cg, "pod2", NULL), 0);
}

/* The v2 backend for real, on a private cgroup2 mount. */
static void
test_v2(void **state)
{
	struct fx *f = *state;
	struct rt_limits lim = { -1, -1, 16 << 20, -1 };
	char *ctrls;
	uint64_t n;
	struct err err;
	int r;

	if (geteuid() != 0)
		skip();
	if (f->cg) {
		rt_cgroup_remove(f->cg, NULL, NULL);
		rt_cgroup_close(f->cg);
		f->cg = NULL;
	}
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		skip();
	snprintf(f->mnt, sizeof(f->mnt), "/tmp/test_rt_cgroup.XXXXXX");
	assert_non_null(mkdtemp(f->mnt));
	if (mount("cgroup2", f->mnt, "cgroup2", 0, NULL) < 0) {
		print_message("no private cgroup2: %s\n", strerror(errno));
		skip();
	}
	assert_int_equal(open_fx(state, f->mnt), 0);
	assert_int_equal(rt_cgroup_mode(f->cg), RT_CG_V2);
	assert_string_equal(rt_cgroup_mode_name(f->cg), "v2");
	assert_int_equal(rt_cgroup_create(f->cg, "pod/ctr", &nolim, &err), 0);
	ctrls = readf(f->mnt, "cgroup.controllers");
	r = rt_cgroup_create(f->cg, "pod/mem", &lim, &err);
	if (strstr(ctrls, "memory") == NULL) {
		/* No memory controller here: the error names the file. */
		assert_int_equal(r, -ENOENT);
		assert_non_null(strstr(err.msg, "memory.max"));
		assert_int_equal(rt_cgroup_oom_kills(f->cg, "pod/ctr", &n),
		    -ENOENT);
	} else
		assert_int_equal(r, 0);
	free(ctrls);
	kill_tree_check(f, "pod/ctr");
	f->cg->no_kill_file = true;	/* the freeze, kill, thaw path */
	kill_tree_check(f, "pod/ctr");
}

/* A hierarchy mounted twice (and co-mounted controllers) is one dir. */
static void
test_v1_twice(void **state)
{
	struct fx *f = *state;
	struct rt_limits lim = { 500, -1, -1, -1 };
	char a[128], b[128], **dirs;
	uint64_t n;

	if (geteuid() != 0)
		skip();
	if (f->cg) {
		rt_cgroup_remove(f->cg, NULL, NULL);
		rt_cgroup_close(f->cg);
		f->cg = NULL;
	}
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		skip();
	snprintf(f->mnt, sizeof(f->mnt), "/tmp/test_rt_cgroup.XXXXXX");
	assert_non_null(mkdtemp(f->mnt));
	snprintf(a, sizeof(a), "%s/memory", f->mnt);
	snprintf(b, sizeof(b), "%s/memory2", f->mnt);
	assert_int_equal(mount("tmpfs", f->mnt, "tmpfs", 0, NULL), 0);
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(b, 0755), 0);
	if (mount("cgroup", a, "cgroup", 0, "memory") < 0) {
		print_message("no v1 memory hierarchy: %s\n", strerror(errno));
		umount2(f->mnt, MNT_DETACH);
		skip();
	}
	assert_int_equal(mount("cgroup", b, "cgroup", 0, "memory"), 0);
	assert_int_equal(open_fx(state, f->mnt), 0);
	assert_string_equal(rt_cgroup_mode_name(f->cg), "v1");
	dirs = rt_cgroup_dirs(f->cg, "x");
	assert_int_equal(strv_len(dirs), 1);
	strv_free(dirs);
	assert_int_equal(rt_cgroup_create(f->cg, "x", &nolim, NULL), 0);
	assert_int_equal(rt_cgroup_oom_kills(f->cg, "x", &n), 0);
	/* No cpu hierarchy here: a cpu limit is an error, not ignored. */
	assert_int_equal(rt_cgroup_create(f->cg, "x", &lim, NULL), -ENOENT);
	/* Without a freezer, the bounded kill loop. */
	kill_tree_check(f, "y");
	rt_cgroup_remove(f->cg, NULL, NULL);
	rt_cgroup_close(f->cg);
	f->cg = NULL;
	umount2(a, MNT_DETACH);
	umount2(b, MNT_DETACH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill, setup, teardown),
		/* Last: these leave the process in its own mount namespace. */
		cmocka_unit_test_setup_teardown(test_v2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_twice, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
