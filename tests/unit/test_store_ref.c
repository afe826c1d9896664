/* Unit tests for store/: digests, reference normalization, atomic files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/util.h"
#include "store/store.h"

static void
test_digest(void **state)
{
	char d[72];
	struct store_sha h;

	store_sha_buf("", 0, d);
	assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	store_sha_init(&h);
	store_sha_update(&h, "a", 1);
	store_sha_update(&h, "bc", 2);
	store_sha_final(&h, d);
	store_sha_free(&h);
	assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	assert_true(store_digest_valid(d));
	assert_false(store_digest_valid(NULL));
	assert_false(store_digest_valid("sha256:abc"));
	assert_false(store_digest_valid("sha512:ba7816bf8f01cfea414140de5da"
	    "e2223b00361a396177a9cb410ff61f20015ad"));
	d[10] = 'A';
	assert_false(store_digest_valid(d));
	d[10] = 'g';
	assert_false(store_digest_valid(d));
}

static const struct {
	const char *in, *out;
} good[] = {
	{ "busybox", "docker.io/library/busybox:latest" },
	{ "busybox:1.36", "docker.io/library/busybox:1.36" },
	{ "library/busybox", "docker.io/library/busybox:latest" },
	{ "docker.io/busybox", "docker.io/library/busybox:latest" },
	{ "index.docker.io/busybox:x", "docker.io/library/busybox:x" },
	{ "user/app", "docker.io/user/app:latest" },
	{ "ghcr.io/o/r/app:v1.2", "ghcr.io/o/r/app:v1.2" },
	{ "localhost/app", "localhost/app:latest" },
	{ "localhost:5000/x", "localhost:5000/x:latest" },
	{ "10.0.0.1:5000/a/b:t", "10.0.0.1:5000/a/b:t" },
	{ "quay.io/a_b/c-d.e__f", "quay.io/a_b/c-d.e__f:latest" },
	{ "a/b@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410"
	    "ff61f20015ad", "docker.io/a/b@sha256:ba7816bf8f01cfea414140de5"
	    "dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "busybox:1@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a"
	    "9cb410ff61f20015ad", "docker.io/library/busybox:1@sha256:ba781"
	    "6bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
};

static const struct {
	const char *in, *why;
} wrong[] = {
	{ "", "empty" },
	{ "Busybox", "lowercase" },
	{ "docker.io/Library/x", "lowercase" },
	{ "busybox:", "invalid tag" },
	{ "busybox:-x", "invalid tag" },
	{ "a//b", "invalid repository" },
	{ "a/b/", "invalid repository" },
	{ "a..b", "invalid repository" },
	{ "-a", "invalid repository" },
	{ "a@sha256:123", "invalid digest" },
	{ "a@md5:ba7816bf8f01cfea414140de5dae2223", "invalid digest" },
	{ "x y", "invalid repository" },
	{ "ex ample.com/a", "invalid registry" },
};

static void
test_ref(void **state)
{
	char out[512], tiny[16];
	struct err err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		if (store_ref_normalize(good[i].in, out, sizeof(out), &err))
			fail_msg("%s: %s", good[i].in, err.msg);
		assert_string_equal(out, good[i].out);
		/* normalizing is idempotent */
		assert_int_equal(store_ref_normalize(out, out, sizeof(out),
		    &err), 0);
		assert_string_equal(out, good[i].out);
	}
	for (i = 0; i < ARRAY_SIZE(wrong); i++) {
		err.msg[0] = '\0';
		if (store_ref_normalize(wrong[i].in, out, sizeof(out), &err) !=
		    -EINVAL)
			fail_msg("%s: accepted as %s", wrong[i].in, out);
		if (strstr(err.msg, wrong[i].why) == NULL)
			fail_msg("%s: \"%s\", want %s", wrong[i].in, err.msg,
			    wrong[i].why);
	}
	assert_int_equal(store_ref_normalize("busybox", tiny, sizeof(tiny),
	    &err), -ENAMETOOLONG);
	assert_true(store_tag_valid("v1.2-rc_3"));
	assert_false(store_tag_valid(".x"));
}

static void
test_write_atomic(void **state)
{
	char dir[] = "/tmp/picolet-atomic-XXXXXX", *p, *data;
	struct err err;
	struct stat st;
	size_t len;

	assert_non_null(mkdtemp(dir));
	p = xasprintf("%s/f", dir);
	assert_int_equal(store_write_atomic(p, "one", 3, 0640, &err), 0);
	assert_int_equal(store_write_atomic(p, "two!", 4, 0600, &err), 0);
	assert_int_equal(read_file(p, 100, &data, &len, &err), 0);
	assert_string_equal(data, "two!");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(data);
	free(p);
	p = xasprintf("%s/no/f", dir);
	assert_true(store_write_atomic(p, "x", 1, 0600, &err) < 0);
	assert_non_null(strstr(err.msg, "/no/f"));
	free(p);
	assert_int_equal(rm_rf(dir, &err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_ref),
		cmocka_unit_test(test_write_atomic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
