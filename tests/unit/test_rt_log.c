/* Unit tests for the CRI log writer (runtime/logw.c) and parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/rt.h"

struct fx {
	char dir[64];
	char logdir[96];
	struct rt_logw w;
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_rt_log.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* The writer must create the missing level itself. */
	snprintf(f->logdir, sizeof(f->logdir), "%s/ns_pod_uid/ctr", f->dir);
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

/* Every record of file, parsed; returns the count. */
static size_t
read_records(const char *path, struct rt_logrec *recs, size_t max,
    char **buf)
{
	size_t len, n = 0;
	char *p, *nl;

	assert_int_equal(read_file(path, 1 << 24, buf, &len, NULL), 0);
	for (p = *buf; p < *buf + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(*buf + len - p));
		assert_non_null(nl);
		assert_true(n < max);
		assert_int_equal(rt_log_parse(p, (size_t)(nl - p), &recs[n]),
		    0);
		assert_int_equal(recs[n].tslen, 30);
		assert_int_equal(recs[n].ts[29], 'Z');
		n++;
	}
	return n;
}

static void
check_rec(const struct rt_logrec *r, enum rt_stream s, bool partial,
    const char *msg)
{
	assert_int_equal(r->stream, s);
	assert_int_equal(r->partial, partial);
	assert_int_equal(r->msglen, strlen(msg));
	assert_memory_equal(r->msg, msg, r->msglen);
}

static void
test_chunks(void **state)
{
	struct fx *f = *state;
	const char *text = "alpha\nbeta\n\ngamma delta\nepsilon";
	struct rt_logrec recs[16];
	char path[128], *buf;
	size_t i, n, step;
	struct stat st;

	/* Every chunk size must give the same records. */
	for (step = 1; step <= 7; step++) {
		assert_int_equal(rt_logw_open(&f->w, f->logdir, (int)step, 0, 5,
		    NULL), 0);
		for (i = 0; i < strlen(text); i += step)
			assert_int_equal(rt_logw_write(&f->w, RT_STDOUT,
			    text + i, MIN(step, strlen(text) - i)), 0);
		assert_int_equal(rt_logw_flush(&f->w, RT_STDOUT), 0);
		rt_logw_close(&f->w);
		snprintf(path, sizeof(path), "%s/%zu.log", f->logdir, step);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0640);
		n = read_records(path, recs, 16, &buf);
		assert_int_equal(n, 5);
		check_rec(&recs[0], RT_STDOUT, false, "alpha");
		check_rec(&recs[1], RT_STDOUT, false, "beta");
		check_rec(&recs[2], RT_STDOUT, false, "");
		check_rec(&recs[3], RT_STDOUT, false, "gamma delta");
		check_rec(&recs[4], RT_STDOUT, false, "epsilon");
		free(buf);
	}
	assert_int_equal(stat(f->logdir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
}

static void
test_interleave(void **state)
{
	struct fx *f = *state;
	struct rt_logrec recs[8];
	char path[128], *buf;

	assert_int_equal(rt_logw_open(&f->w, f->logdir, 0, 0, 5, NULL), 0);
	rt_logw_write(&f->w, RT_STDOUT, "out-a", 5);
	rt_logw_write(&f->w, RT_STDERR, "err-a\nerr", 9);
	rt_logw_write(&f->w, RT_STDOUT, "-b\n", 3);
	rt_logw_write(&f->w, RT_STDERR, "-b\n", 3);
	rt_logw_write(&f->w, RT_STDERR, "tail", 4);
	rt_logw_close(&f->w);	/* flushes "tail" */
	snprintf(path, sizeof(path), "%s/0.log", f->logdir);
	assert_int_equal(read_records(path, recs, 8, &buf), 4);
	check_rec(&recs[0], RT_STDERR, false, "err-a");
	check_rec(&recs[1], RT_STDOUT, false, "out-a-b");
	check_rec(&recs[2], RT_STDERR, false, "err-b");
	check_rec(&recs[3], RT_STDERR, false, "tail");
	free(buf);
}

static void
test_long_line(void **state)
{
	struct fx *f = *state;
	size_t len = 40 * 1024, i;
	struct rt_logrec recs[8];
	char path[128], *buf, *line = xmalloc(len + 1);

	for (i = 0; i < len; i++)
		line[i] = (char)('a' + i % 26);
	line[len] = '\n';
	assert_int_equal(rt_logw_open(&f->w, f->logdir, 0, 0, 5, NULL), 0);
	/* In two odd chunks, to cross the buffer boundary mid-write. */
	rt_logw_write(&f->w, RT_STDOUT, line, 1000);
	rt_logw_write(&f->w, RT_STDOUT, line + 1000, len + 1 - 1000);
	/* A line of exactly RT_LOG_LINE_MAX is one F record. */
	rt_logw_write(&f->w, RT_STDERR, line, RT_LOG_LINE_MAX);
	rt_logw_write(&f->w, RT_STDERR, "\n", 1);
	rt_logw_close(&f->w);
	snprintf(path, sizeof(path), "%s/0.log", f->logdir);
	assert_int_equal(read_records(path, recs, 8, &buf), 4);
	assert_true(recs[0].partial && recs[1].partial && !recs[2].partial);
	assert_int_equal(recs[0].msglen, RT_LOG_LINE_MAX);
	assert_int_equal(recs[1].msglen, RT_LOG_LINE_MAX);
	assert_int_equal(recs[2].msglen, len - 2 * RT_LOG_LINE_MAX);
	assert_memory_equal(recs[0].msg, line, RT_LOG_LINE_MAX);
	assert_memory_equal(recs[1].msg, line + RT_LOG_LINE_MAX,
	    RT_LOG_LINE_MAX);
	assert_memory_equal(recs[2].msg, line + 2 * RT_LOG_LINE_MAX,
	    recs[2].msglen);
	assert_false(recs[3].partial);
	assert_int_equal(recs[3].msglen, RT_LOG_LINE_MAX);
	free(buf);
	free(line);
}

static int
cmp_ver(const void *a, const void *b)
{
	return strverscmp(a, b);
}

static void
test_rotation(void **state)
{
	struct fx *f = *state;
	char line[64], path[512], rot[4][256], *buf;
	size_t nfiles = 0, nrot = 0, i, j, n;
	struct rt_logrec recs[64];
	int num, last = -1;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	assert_int_equal(rt_logw_open(&f->w, f->logdir, 2, 1024, 3, NULL), 0);
	/* Another restart's rotated file must be left alone. */
	snprintf(path, sizeof(path), "%s/1.log.20200101-000000", f->logdir);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0640);
	assert_true(fd >= 0);
	close(fd);
	for (i = 0; i < 200; i++) {
		snprintf(line, sizeof(line), "line %03zu of the rotation test\n",
		    i);
		assert_int_equal(rt_logw_write(&f->w, RT_STDOUT, line,
		    strlen(line)), 0);
	}
	rt_logw_close(&f->w);
	assert_non_null(d = opendir(f->logdir));
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "2.log", 5) != 0)
			continue;
		nfiles++;
		if (de->d_name[5] == '.' && nrot < 3)
			snprintf(rot[nrot++], sizeof(rot[0]), "%s", de->d_name);
		snprintf(path, sizeof(path), "%s/%s", f->logdir, de->d_name);
		assert_int_equal(stat(path, &st), 0);
		assert_true(st.st_size <= 1024);
	}
	closedir(d);
	assert_int_equal(nfiles, 3);
	assert_int_equal(nrot, 2);
	snprintf(path, sizeof(path), "%s/1.log.20200101-000000", f->logdir);
	assert_int_equal(access(path, F_OK), 0);
	/* Oldest rotated file to current: the newest lines, none missing. */
	qsort(rot, nrot, sizeof(rot[0]), cmp_ver);
	snprintf(rot[nrot++], sizeof(rot[0]), "2.log");
	for (i = 0; i < nrot; i++) {
		snprintf(path, sizeof(path), "%s/%s", f->logdir, rot[i]);
		n = read_records(path, recs, 64, &buf);
		for (j = 0; j < n; j++) {
			num = atoi(recs[j].msg + 5);
			assert_true(last < 0 || num == last + 1);
			last = num;
		}
		free(buf);
	}
	assert_int_equal(last, 199);
}

static void
test_enospc(void **state)
{
	struct fx *f = *state;
	int r;

	if (access("/dev/full", W_OK) != 0)
		skip();
	assert_int_equal(rt_logw_open(&f->w, f->logdir, 0, 0, 1, NULL), 0);
	close(f->w.fd);
	f->w.fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	assert_true(f->w.fd >= 0);
	r = rt_logw_write(&f->w, RT_STDOUT, "lost\n", 5);
	assert_int_equal(r, -ENOSPC);
	assert_int_equal(f->w.dropped, 30 + 10 + 5);
	r = rt_logw_write(&f->w, RT_STDOUT, "lost too\n", 9);
	assert_int_equal(r, -ENOSPC);
	rt_logw_close(&f->w);
}

static void
test_parse(void **state)
{
	static const char *const bad[] = {
		"",
		"2026-11-25T18:48:00.123456789Z stdout F",
		"2026-11-25T18:48:00.123456789Z stdout X hello",
		"2026-11-25T18:48:00.123456789Z stdin F hello",
		"2026-11-25T18:48:00.123456789Z  stdout F hello",
		"2026-11-25T18:48:00.123456789Zstdout F hello",
		"2026-11-25T18:48:00.1234567891Z stdout F hello",
		"2026-11-25T18:48:00.Z stdout F hello",
		"2026-13-25T18:48:00Z stdout F hello",
		"2026-11-25 18:48:00Z stdout F hello",
		"2026-11-25T24:48:00Z stdout F hello",
		"2026-11-25T18:48:00 stdout F hello",
		"2026-11-25T18:48:00+0100 stdout F hello",
		"2026-11-25T18:48:00Z stdout FP hello",
		"2026-11-25T18:48:00Z stdout F hel\nlo",
		"26-11-25T18:48:00Z stdout F hello",
	};
	struct rt_logrec r;
	const char *s;
	size_t i;

	(void)state;
	s = "2026-11-25T18:48:00.123456789Z stderr P hello world";
	assert_int_equal(rt_log_parse(s, strlen(s), &r), 0);
	assert_int_equal(r.tslen, 30);
	check_rec(&r, RT_STDERR, true, "hello world");
	s = "2026-11-25T18:48:00.5+01:00 stdout F ";
	assert_int_equal(rt_log_parse(s, strlen(s), &r), 0);
	check_rec(&r, RT_STDOUT, false, "");
	s = "2026-11-25T18:48:00Z stdout F  two  spaces ";
	assert_int_equal(rt_log_parse(s, strlen(s), &r), 0);
	check_rec(&r, RT_STDOUT, false, " two  spaces ");
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(rt_log_parse(bad[i], strlen(bad[i]), &r),
		    -EINVAL);
	/* Truncations of a good record must fail cleanly, not overread. */
	s = "2026-11-25T18:48:00.123456789Z stdout F x";
	for (i = 0; i < strlen(s) - 1; i++) {
		char *t = xstrndup(s, i);

		assert_int_equal(rt_log_parse(t, i, &r), -EINVAL);
		free(t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interleave, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_line, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enospc, setup, teardown),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
