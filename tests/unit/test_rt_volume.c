/*
 * Unit tests (unprivileged) for the atomic writer of ConfigMap, Secret
 * and downward API volumes: the ..data layout, modes, nested paths, a
 * second version replacing the first whole (removed keys unlinked, the
 * old version dir gone), and a failed write leaving the old version.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/rt.h"

struct fx {
	char dir[64];
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_rt_volume.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	assert_int_equal(rm_rf(f->dir, NULL), 0);
	free(f);
	return 0;
}

static void
expect_file(const char *dir, const char *rel, const char *want, int mode)
{
	char path[PATH_MAX], *s = NULL;
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(read_file(path, 1 << 20, &s, NULL, NULL), 0);
	assert_string_equal(s, want);
	free(s);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
}

static void
expect_link(const char *dir, const char *name, const char *want)
{
	char path[PATH_MAX], buf[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	n = readlink(path, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

/* Entries of dir whose names start with "..2" (version dirs). */
static int
versions(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "..2", 3) == 0)
			n++;
	closedir(d);
	return n;
}

static void
test_layout(void **state)
{
	struct fx *f = *state;
	struct rt_proj_file v1[] = {
		{ "a.conf", "one", 3, 0644 },
		{ "dir/nested/b", "two", 3, 0400 },
		{ "gone", "x", 1, 0644 },
	};
	struct rt_proj_file v2[] = {
		{ "a.conf", "ONE", 3, 0600 },
		{ "dir/nested/b", "two", 3, 0400 },
		{ "new", "", 0, 0644 },
	};
	char path[PATH_MAX];
	struct err e;

	assert_int_equal(rt_proj_write(f->dir, v1, 3, (gid_t)-1, &e), 0);
	expect_file(f->dir, "a.conf", "one", 0644);
	expect_file(f->dir, "dir/nested/b", "two", 0400);
	expect_link(f->dir, "a.conf", "..data/a.conf");
	expect_link(f->dir, "dir", "..data/dir");
	assert_int_equal(versions(f->dir), 1);

	assert_int_equal(rt_proj_write(f->dir, v2, 3, (gid_t)-1, &e), 0);
	expect_file(f->dir, "a.conf", "ONE", 0600);
	expect_file(f->dir, "new", "", 0644);
	snprintf(path, sizeof(path), "%s/gone", f->dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(versions(f->dir), 1);
	snprintf(path, sizeof(path), "%s/..data_tmp", f->dir);
	assert_int_equal(access(path, F_OK), -1);
}

/* Two items on one path: the write fails and the old version stays. */
static void
test_failed_write_keeps_old(void **state)
{
	struct fx *f = *state;
	struct rt_proj_file v1[] = { { "k", "old", 3, 0644 } };
	struct rt_proj_file bad[] = {
		{ "k", "new", 3, 0644 }, { "k", "again", 5, 0644 },
	};
	struct err e;

	assert_int_equal(rt_proj_write(f->dir, v1, 1, (gid_t)-1, &e), 0);
	assert_true(rt_proj_write(f->dir, bad, 2, (gid_t)-1, &e) < 0);
	assert_non_null(strstr(e.msg, "write k"));
	expect_file(f->dir, "k", "old", 0644);
	assert_int_equal(versions(f->dir), 1);
}

/* No files (an optional source that is absent): an empty ..data. */
static void
test_empty(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];
	struct stat st;
	struct err e;

	assert_int_equal(rt_proj_write(f->dir, NULL, 0, (gid_t)-1, &e), 0);
	snprintf(path, sizeof(path), "%s/..data", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_write_keeps_old,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
