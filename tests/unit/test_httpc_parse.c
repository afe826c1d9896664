/* Unit tests for net/httpc_parse.c: response heads at every split,
 * refusals, header lookup, the chunked decoder at every split. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "net/net.h"

static int
parse(const char *s, struct net_httpc_head *h)
{
	return net_httpc_parse(s, strlen(s), h);
}

static void
test_head(void **state)
{
	struct net_httpc_head h;
	const char *s = "HTTP/1.1 301 Moved Permanently\r\n"
	    "Location: /new\r\nContent-Length:  0 \r\n\r\nxyz";
	char v[32];

	assert_int_equal(parse(s, &h), (int)strlen(s) - 3);
	assert_int_equal(h.minor, 1);
	assert_int_equal(h.status, 301);
	assert_int_equal(h.rlen, strlen("Moved Permanently"));
	assert_memory_equal(h.reason, "Moved Permanently", h.rlen);
	assert_int_equal(h.nh, 2);
	assert_int_equal(net_httpc_header(&h, "location", v, sizeof(v)), 0);
	assert_string_equal(v, "/new");
	assert_int_equal(net_httpc_header(&h, "Content-Length", v, sizeof(v)),
	    0);
	assert_string_equal(v, "0");
	assert_int_equal(net_httpc_header(&h, "Location", v, 4), -ENOSPC);
	assert_int_equal(net_httpc_header(&h, "X", v, sizeof(v)), -ENOENT);
}

static void
test_head_variants(void **state)
{
	struct net_httpc_head h;

	assert_int_equal(parse("HTTP/1.0 200\r\n\r\n", &h), 16);
	assert_int_equal(h.status, 200);
	assert_int_equal(h.minor, 0);
	assert_int_equal(h.rlen, 0);
	assert_int_equal(parse("HTTP/1.1 404 \nA:\n\n", &h), 18);
	assert_int_equal(h.status, 404);
	assert_int_equal(h.nh, 1);
	assert_int_equal(h.h[0].vlen, 0);
	assert_int_equal(parse("HTTP/1.1 599 x y\tz\r\n\r\n", &h), 22);
}

static void
test_incomplete(void **state)
{
	const char *s = "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 2"
	    "\r\n\r\n";
	struct net_httpc_head h;
	size_t i;

	for (i = 0; i < strlen(s); i++)
		assert_int_equal(net_httpc_parse(s, i, &h), -2);
	assert_int_equal(net_httpc_parse(s, strlen(s), &h), (int)strlen(s));
}

static void
test_malformed(void **state)
{
	static const char *bad[] = {
		"SSH-2.0-OpenSSH_9.2\r\n",
		"HTTP/2 200\r\n\r\n",
		"HTTP/1.2 200 OK\r\n\r\n",
		"HTTP/1.1  200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 099 OK\r\n\r\n",
		"HTTP/1.1 200 O\x01K\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX : a\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\x00\r\n\r\n",
		"HTTP/1.1 200 OK\r\n: a\r\n\r\n",
		"HTTP/1.1 200 OK\r\r\n",
		"\r\nHTTP/1.1 200 OK\r\n\r\n",
		"<html>",
	};
	struct net_httpc_head h;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* strlen stops at the NUL of the value test: give more */
		if (net_httpc_parse(bad[i], strlen(bad[i]) + (i == 11 ? 5 : 0),
		    &h) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(h.bad);
	}
}

static void
test_too_many_headers(void **state)
{
	struct net_httpc_head h;
	char s[4096];
	size_t off, i;

	off = (size_t)snprintf(s, sizeof(s), "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < NET_HTTPC_MAXHDR; i++)
		off += (size_t)snprintf(s + off, sizeof(s) - off,
		    "H%zu: v\r\n", i);
	snprintf(s + off, sizeof(s) - off, "\r\n");
	assert_true(parse(s, &h) > 0);
	snprintf(s + off, sizeof(s) - off, "One: more\r\n\r\n");
	assert_int_equal(parse(s, &h), -1);
	assert_string_equal(h.bad, "too many header fields");
}

/* Decode s fed in pieces of size step; the body or NULL if malformed. */
static const char *
dechunk(const char *s, size_t len, size_t step, char *out, size_t outlen,
    size_t *rest)
{
	struct net_httpc_chunked st;
	size_t off = 0, o = 0, n, d, piece;
	long r;

	memset(&st, 0, sizeof(st));
	while (off < len && !net_httpc_chunked_done(&st)) {
		piece = len - off < step ? len - off : step;
		n = 0;
		while (n < piece && !net_httpc_chunked_done(&st)) {
			r = net_httpc_chunked_step(&st, s + off + n, piece - n,
			    &d);
			if (r < 0)
				return NULL;
			assert_true(o + d < outlen);
			memcpy(out + o, s + off + n, d);
			o += d;
			n += (size_t)r;
		}
		off += n;
	}
	out[o] = '\0';
	*rest = len - off;
	return net_httpc_chunked_done(&st) ? out : "(incomplete)";
}

static void
test_chunked(void **state)
{
	const char *s = "5\r\nhello\r\n6;ext=\"a b\"\r\n world\r\n"
	    "A \r\n0123456789\n0\r\nTrailer: x\r\n\r\nNEXT";
	char out[64];
	size_t step, rest;

	for (step = 1; step <= strlen(s); step++) {
		assert_string_equal(dechunk(s, strlen(s), step, out,
		    sizeof(out), &rest), "hello world0123456789");
		assert_int_equal(rest, 4);
	}
	assert_string_equal(dechunk("0\r\n\r\n", 5, 1, out, sizeof(out),
	    &rest), "");
	assert_string_equal(dechunk("3\r\nabc\r\n", 8, 3, out, sizeof(out),
	    &rest), "(incomplete)");
}

static void
test_chunked_bad(void **state)
{
	static const char *bad[] = {
		"x\r\n",
		"\r\n",
		"5x\r\nhello\r\n0\r\n\r\n",
		"5\r\nhelloX\r\n0\r\n\r\n",
		"5\r\rhello\r\n",
		"11111111111111111\r\n",	/* 2^64 and more */
		"1\r\na\r\n0\r\n\r\r",
		"-1\r\n",
	};
	char out[64];
	size_t i, rest;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dechunk(bad[i], strlen(bad[i]), 64, out, sizeof(out),
		    &rest) != NULL)
			fail_msg("accepted: %s", bad[i]);
	}
}

static void
test_chunked_bounded(void **state)
{
	struct net_httpc_chunked st;
	size_t d, i;
	long r = 0;

	/* an endless chunk-size line or trailer is refused, not kept */
	memset(&st, 0, sizeof(st));
	for (i = 0; i < 10000 && r >= 0; i++)
		r = net_httpc_chunked_step(&st, "0", 1, &d);
	assert_int_equal(r, -1);
	memset(&st, 0, sizeof(st));
	r = net_httpc_chunked_step(&st, "0\r\n", 3, &d);
	assert_int_equal(r, 3);
	for (i = 0; i < 100000 && r >= 0; i++)
		r = net_httpc_chunked_step(&st, "T: v\r\n", 6, &d);
	assert_int_equal(r, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_head_variants),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_too_many_headers),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_chunked_bad),
		cmocka_unit_test(test_chunked_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
