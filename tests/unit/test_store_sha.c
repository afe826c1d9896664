/* Unit tests for store/digest.c's sha256: every implementation this CPU
 * runs (SHA-NI, the ARMv8 SHA2 instructions under qemu-aarch64, mbedtls)
 * gives FIPS 180-4's example digests, and the same digests as mbedtls
 * called directly over random lengths cut at random points. */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mbedtls/sha256.h>

#include "lib/util.h"
#include "store/store.h"

static const char *const impls[] = { "x86-sha-ni", "arm64-sha2", "mbedtls" };
#define NIMPLS	(sizeof(impls) / sizeof(impls[0]))

static const char *best;

static int
setup(void **state)
{
	best = store_sha_impl();
	print_message("sha256: %s\n", best);
	return 0;
}

static int
teardown(void **state)
{
	return store_sha_use(best);
}

/* The hex digest of n bytes of p, fed in pieces cut at cuts[]. */
static void
digest_cut(const unsigned char *p, size_t n, const size_t *cuts,
    size_t ncuts, char out[72])
{
	struct store_sha h;
	size_t at = 0, i;

	store_sha_init(&h);
	for (i = 0; i < ncuts; i++) {
		store_sha_update(&h, p + at, cuts[i] - at);
		at = cuts[i];
	}
	store_sha_update(&h, p + at, n - at);
	store_sha_final(&h, out);
	store_sha_free(&h);
}

static void
reference(const unsigned char *p, size_t n, char out[72])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	size_t i;

	assert_int_equal(mbedtls_sha256_ret(p, n, md, 0), 0);
	memcpy(out, "sha256:", 7);
	for (i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[71] = '\0';
}

static const struct {
	const char *msg, *digest;
} nist[] = {
	{ "", "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855" },
	{ "abc", "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1" },
	{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	    "cf5b16a778af8380036ce59e7b049237"
	    "0b249b11e8f07a51afac45037afee9d1" },
};

static void
test_nist(void **state)
{
	unsigned char *a = xmalloc(1000000);
	struct store_sha h;
	char d[72];
	size_t i, k, ran = 0;

	memset(a, 'a', 1000000);
	for (i = 0; i < NIMPLS; i++) {
		if (store_sha_use(impls[i]) == -ENOTSUP)
			continue;
		assert_string_equal(store_sha_impl(), impls[i]);
		ran++;
		for (k = 0; k < sizeof(nist) / sizeof(nist[0]); k++) {
			store_sha_buf(nist[k].msg, strlen(nist[k].msg), d);
			assert_string_equal(d + 7, nist[k].digest);
		}
		store_sha_buf(a, 1000000, d);
		assert_string_equal(d, "sha256:cdc76e5c9914fb9281a1c7e2"
		    "84d73e67f1809a48a497200e046d39ccc7112cd0");
		/* a million 'a' one at a time, then the context reused */
		store_sha_init(&h);
		for (k = 0; k < 1000000; k++)
			store_sha_update(&h, "a", 1);
		store_sha_final(&h, d);
		assert_string_equal(d + 7, "cdc76e5c9914fb9281a1c7e2"
		    "84d73e67f1809a48a497200e046d39ccc7112cd0");
		store_sha_update(&h, "abc", 3);
		store_sha_final(&h, d);
		store_sha_free(&h);
		assert_string_equal(d + 7, nist[1].digest);
	}
	print_message("%zu implementation(s) on this CPU\n", ran);
	assert_true(ran >= 1);
	free(a);
}

/* Random lengths around the 64-byte blocks and the 56-byte padding
 * boundary, cut at up to 4 random points, against mbedtls. */
static void
test_random(void **state)
{
	unsigned char *p = xmalloc(70000);
	size_t cuts[4], i, k, n, c, ncuts, lens;
	char want[72], got[72];
	unsigned seed = 12345;

	for (i = 0; i < 70000; i++)
		p[i] = (unsigned char)rand_r(&seed);
	for (i = 0; i < NIMPLS; i++) {
		if (store_sha_use(impls[i]) == -ENOTSUP)
			continue;
		for (lens = 0; lens < 600; lens++) {
			n = lens < 300 ? lens :
			    (size_t)rand_r(&seed) % 70000;
			ncuts = (size_t)rand_r(&seed) % 5;
			for (k = 0; k < ncuts; k++)
				cuts[k] = n > 0 ?
				    (size_t)rand_r(&seed) % (n + 1) : 0;
			/* in order */
			for (k = 1; k < ncuts; k++)
				for (c = k; c > 0 && cuts[c] < cuts[c - 1];
				    c--) {
					size_t t = cuts[c];

					cuts[c] = cuts[c - 1];
					cuts[c - 1] = t;
				}
			reference(p + lens % 7, n > 69990 ? 69990 : n, want);
			digest_cut(p + lens % 7, n > 69990 ? 69990 : n, cuts,
			    n > 69990 ? 0 : ncuts, got);
			if (strcmp(want, got) != 0)
				fail_msg("%s: %zu bytes, %zu cuts: %s, want %s",
				    impls[i], n, ncuts, got, want);
		}
	}
	free(p);
}

/* A context keeps the implementation it started with. */
static void
test_switch(void **state)
{
	struct store_sha h[NIMPLS];
	bool started[NIMPLS];
	char d[72];
	size_t i;

	assert_int_equal(store_sha_use("no-such-sha"), -ENOENT);
	for (i = 0; i < NIMPLS; i++)
		if ((started[i] = store_sha_use(impls[i]) == 0))
			store_sha_init(&h[i]);
	for (i = 0; i < NIMPLS; i++) {
		if (!started[i])
			continue;
		(void)store_sha_use(impls[(i + 1) % NIMPLS]);
		store_sha_update(&h[i], "ab", 2);
		store_sha_update(&h[i], "c", 1);
		store_sha_final(&h[i], d);
		store_sha_free(&h[i]);
		assert_string_equal(d + 7, nist[1].digest);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nist),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_switch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
