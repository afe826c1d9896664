/*
 * Unit tests (unprivileged) for the container spec file, the shim's
 * status line and the state/exit records, the capability table and
 * /proc starttime.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/container.h"

struct fx {
	char dir[64];
	char path[96];
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_rt_spec.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/spec", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	rm_rf(f->dir, NULL);
	free(f);
	return 0;
}

static void
strv_eq(char **a, char **b)
{
	size_t i;

	if (a == NULL || b == NULL) {
		assert_ptr_equal(a, b);
		return;
	}
	assert_int_equal(strv_len(a), strv_len(b));
	for (i = 0; a[i] != NULL; i++)
		assert_string_equal(a[i], b[i]);
}

static void
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void
test_roundtrip(void **state)
{
	struct fx *f = *state;
	char *lower[] = { "/l/1", "/l/two words", NULL };
	char *argv[] = { "sh", "-c", "echo 'a=b'\nexit 3", "", NULL };
	char *env[] = { NULL };
	struct rt_mount m[2] = {
		{ .src = "/src a", .dst = "/dst\nnl", .ro = true,
		    .sub = "a/b c", .prop = RT_PROP_SLAVE },
		{ .src = "", .dst = "/x" },
	};
	struct rt_spec s = {
		.id = "abc", .rootfs = "/run/x/rootfs", .lower = lower,
		.upper = "/u", .work = "", .netns = "/n=s", .argv = argv,
		.env = env, .cwd = NULL, .user = "1000:1000", .uid = -1,
		.gid = 42, .caps = 0xffffffffffULL, .no_new_privs = true,
		.readonly_rootfs = false, .privileged = true, .cgroups = NULL,
		.mounts = m, .nmounts = 2, .log_dir = "/var/log/pods/x",
		.restart = 7, .log_max_size = 10 << 20, .log_max_files = 5,
	};
	struct rt_spec t;
	struct err e;
	size_t i;

	assert_int_equal(rt_spec_save(&s, f->path, &e), 0);
	assert_int_equal(rt_spec_load(&t, f->path, &e), 0);
	str_eq(t.id, s.id);
	str_eq(t.rootfs, s.rootfs);
	strv_eq(t.lower, s.lower);
	str_eq(t.upper, s.upper);
	str_eq(t.work, "");
	str_eq(t.netns, s.netns);
	assert_null(t.ipcns);
	strv_eq(t.argv, s.argv);
	assert_non_null(t.env);
	assert_null(t.env[0]);
	assert_null(t.cgroups);
	assert_null(t.cwd);
	str_eq(t.user, s.user);
	assert_int_equal(t.uid, -1);
	assert_int_equal(t.gid, 42);
	assert_true(t.caps == s.caps);
	assert_true(t.no_new_privs);
	assert_false(t.readonly_rootfs);
	assert_true(t.privileged);
	assert_int_equal(t.nmounts, 2);
	for (i = 0; i < 2; i++) {
		str_eq(t.mounts[i].src, m[i].src);
		str_eq(t.mounts[i].dst, m[i].dst);
		assert_int_equal(t.mounts[i].ro, m[i].ro);
		assert_int_equal(t.mounts[i].prop, m[i].prop);
	}
	str_eq(t.mounts[0].sub, "a/b c");
	assert_null(t.mounts[1].sub);
	str_eq(t.log_dir, s.log_dir);
	assert_int_equal(t.restart, 7);
	assert_int_equal(t.log_max_size, 10 << 20);
	assert_int_equal(t.log_max_files, 5);
	rt_spec_free(&t);
	rt_spec_free(&t);	/* freed specs are empty */
}

static void
write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, s, strlen(s)), 0);
	close(fd);
}

static void
test_malformed(void **state)
{
	static const char *bad[] = {
		"",
		"picolet-spec 1\n2\n",
		"picolet-spec 1\n1\nrootfs 2\n/r\nargv# 1\n1\n",
		"picolet-spec 1\n1\nrootfs 2\n/r\nargv# 1\n1\nargv 1\nsh\n",
		"picolet-spec 1\n1\nrootfs 99\n/r\nargv# 1\n1\nargv 2\nsh\n",
		"picolet-spec 1\n1\nrootfs 2\n/r\nargv# 1\n1\nargv 2\nsh\n"
		    "argv 1\nx\n",
		"picolet-spec 1\n1\nrootfs 2\n/r\nargv# 1\n1\nargv 2\nsh\n"
		    "uid 3\nabc\n",
		"picolet-spec 1\n1\nrootfs 2\n/r\nargv# 1\n1\nargv 2\nsh\n"
		    "mounts# 1\n1\n",
		"picolet-spec 1\n1\nrootfs 2\n/r\nargv# 1\n1\nargv 2\nsh\n"
		    "mounts# 1\n1\nmount.src 1\n/\nmount.dst 1\nx\n",
		"picolet-spec 1\n1\nrootfs 2\n/r\nrootfs 2\n/r\n",
		"picolet-spec 1\n1\nrootfs -1\n/r\n",
	};
	static const char *good =
	    "picolet-spec 1\n1\nrootfs 2\n/r\nargv# 1\n1\nargv 2\nsh\n"
	    "future 3\nabc\n";
	struct fx *f = *state;
	struct rt_spec t;
	struct err e;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		write_str(f->path, bad[i]);
		assert_int_equal(rt_spec_load(&t, f->path, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "malformed"));
	}
	write_str(f->path, good);
	assert_int_equal(rt_spec_load(&t, f->path, &e), 0);
	assert_string_equal(t.argv[0], "sh");
	assert_int_equal(t.uid, -1);
	rt_spec_free(&t);
	assert_int_equal(rt_spec_load(&t, "/nonexistent/spec", &e), -ENOENT);
}

static void
test_status(void **state)
{
	char reason[32], msg[64];
	pid_t pid = 0;

	assert_int_equal(rt_shim_status_parse("ok 1234\n", &pid, reason,
	    sizeof(reason), msg, sizeof(msg)), 1);
	assert_int_equal(pid, 1234);
	assert_int_equal(rt_shim_status_parse("ok 77", &pid, NULL, 0, NULL,
	    0), 1);
	assert_int_equal(pid, 77);
	assert_int_equal(rt_shim_status_parse("err RunContainerError\texec: "
	    "\"foo\": executable file not found in $PATH\n", &pid, reason,
	    sizeof(reason), msg, sizeof(msg)), 0);
	assert_string_equal(reason, "RunContainerError");
	assert_string_equal(msg,
	    "exec: \"foo\": executable file not found in $PATH");
	/* truncated, never overflowing */
	assert_int_equal(rt_shim_status_parse("err R\t0123456789", &pid,
	    reason, 4, msg, 5), 0);
	assert_string_equal(msg, "0123");
	assert_int_equal(rt_shim_status_parse("ok", &pid, NULL, 0, NULL, 0),
	    -EINVAL);
	assert_int_equal(rt_shim_status_parse("ok 0\n", &pid, NULL, 0, NULL,
	    0), -EINVAL);
	assert_int_equal(rt_shim_status_parse("ok 12x\n", &pid, NULL, 0,
	    NULL, 0), -EINVAL);
	assert_int_equal(rt_shim_status_parse("err nomsg\n", &pid, reason,
	    sizeof(reason), msg, sizeof(msg)), -EINVAL);
	assert_int_equal(rt_shim_status_parse("", &pid, NULL, 0, NULL, 0),
	    -EINVAL);
}

static void
test_records(void **state)
{
	struct fx *f = *state;
	struct rt_state st = { 10, 20, 30, 40, 1700000000123456789LL }, st2;
	struct rt_exit ex, ex2;
	char path[128];
	struct err e;

	assert_int_equal(rt_exit_read(f->dir, &ex2, &e), -ENOENT);
	assert_int_equal(rt_state_read(f->dir, &st2, &e), -ENOENT);
	assert_int_equal(rt_state_write(f->dir, &st, &e), 0);
	assert_int_equal(rt_state_read(f->dir, &st2, &e), 0);
	assert_int_equal(st2.shim_pid, 10);
	assert_int_equal(st2.shim_start, 20);
	assert_int_equal(st2.pid, 30);
	assert_int_equal(st2.pid_start, 40);
	assert_true(st2.started_ns == st.started_ns);

	memset(&ex, 0, sizeof(ex));
	ex.exit_code = 128;
	ex.started_ns = 0;
	ex.finished_ns = 5;
	snprintf(ex.reason, sizeof(ex.reason), "RunContainerError");
	snprintf(ex.message, sizeof(ex.message), "line1\nline2 a=b");
	assert_int_equal(rt_exit_write(f->dir, &ex, &e), 0);
	assert_int_equal(rt_exit_read(f->dir, &ex2, &e), 0);
	assert_int_equal(ex2.exit_code, 128);
	assert_int_equal(ex2.signal, 0);
	assert_int_equal(ex2.finished_ns, 5);
	assert_string_equal(ex2.reason, "RunContainerError");
	assert_string_equal(ex2.message, "line1 line2 a=b");

	/* What a shim writes by hand, and torn or foreign files. */
	snprintf(path, sizeof(path), "%s/exit", f->dir);
	write_str(path, "exit_code 137\nsignal 9\nstarted_ns 1\n"
	    "finished_ns 2\nreason \nmessage \n");
	assert_int_equal(rt_exit_read(f->dir, &ex2, &e), 0);
	assert_int_equal(ex2.exit_code, 137);
	assert_int_equal(ex2.signal, 9);
	assert_string_equal(ex2.reason, "");
	write_str(path, "exit_code 1");
	assert_int_equal(rt_exit_read(f->dir, &ex2, &e), -EINVAL);
	write_str(path, "signal 9\n");
	assert_int_equal(rt_exit_read(f->dir, &ex2, &e), -EINVAL);
	write_str(path, "exit_code x\n");
	assert_int_equal(rt_exit_read(f->dir, &ex2, &e), -EINVAL);
	snprintf(path, sizeof(path), "%s/state", f->dir);
	write_str(path, "shim_pid 5\n");
	assert_int_equal(rt_state_read(f->dir, &st2, &e), -EINVAL);
}

static void
test_caps(void **state)
{
	assert_int_equal(rt_cap_from_name("CHOWN"), 0);
	assert_int_equal(rt_cap_from_name("NET_ADMIN"), 12);
	assert_int_equal(rt_cap_from_name("CAP_SYS_ADMIN"), 21);
	assert_int_equal(rt_cap_from_name("net_raw"), 13);
	assert_int_equal(rt_cap_from_name("CHECKPOINT_RESTORE"), 40);
	assert_int_equal(rt_cap_from_name("NOPE"), -EINVAL);
	assert_int_equal(rt_cap_from_name(""), -EINVAL);
	/* containerd's default, as docker prints it */
	assert_true(rt_caps_default() == 0xa80425fbULL);
	assert_true(rt_caps_all() == 0x1ffffffffffULL);
	assert_string_equal(rt_cap_name(12), "NET_ADMIN");
	assert_null(rt_cap_name(41));
}

static void
test_proc(void **state)
{
	uint64_t a, b;
	pid_t pid;
	int fd, st;

	assert_int_equal(rt_proc_starttime(getpid(), &a), 0);
	assert_int_equal(rt_proc_starttime(getpid(), &b), 0);
	assert_true(a == b && a > 0);
	fd = rt_pidfd_open_checked(getpid(), a);
	if (fd == -ENOSYS)
		skip();	/* valgrind does not know pidfd_open */
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	assert_int_equal(rt_pidfd_open_checked(getpid(), a + 1), -ESRCH);
	pid = fork();
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(rt_proc_starttime(pid, &b), -ESRCH);
	assert_int_equal(rt_pidfd_open_checked(pid, b), -ESRCH);
	assert_int_equal(rt_pidfd_open_checked(0, 0), -ESRCH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test(test_status),
		cmocka_unit_test_setup_teardown(test_records, setup, teardown),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
