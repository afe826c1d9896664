/* Unit tests for net/http_parse.c: heads, incompleteness, refusals,
 * header and query lookups. */
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
parse(const char *s, struct net_http_req *req)
{
	return net_http_parse(s, strlen(s), req);
}

static void
test_simple(void **state)
{
	struct net_http_req req;
	const char *s = "GET /api/v1/pods?labelSelector=app%3Dweb HTTP/1.1\r\n"
	    "Host: x\r\nAccept:  text/plain  \r\n\r\nBODY";
	char v[64];

	assert_int_equal(parse(s, &req), (int)(strlen(s) - 4));
	assert_int_equal(req.mlen, 3);
	assert_memory_equal(req.method, "GET", 3);
	assert_int_equal(req.minor, 1);
	assert_int_equal(req.nh, 2);
	assert_string_equal(req.path, "/api/v1/pods");
	assert_string_equal(req.query, "labelSelector=app%3Dweb");
	assert_int_equal(net_http_header(&req, "accept", v, sizeof(v)), 0);
	assert_string_equal(v, "text/plain");
	assert_int_equal(net_http_header(&req, "HOST", v, sizeof(v)), 0);
	assert_int_equal(net_http_header(&req, "Cookie", v, sizeof(v)),
	    -ENOENT);
	assert_int_equal(net_http_header(&req, "Accept", v, 4), -ENOSPC);
	assert_int_equal(net_http_query(&req, "labelSelector", v, sizeof(v)),
	    0);
	assert_string_equal(v, "app=web");
	assert_int_equal(net_http_query(&req, "x", v, sizeof(v)), -ENOENT);
}

static void
test_bare_lf_and_http10(void **state)
{
	struct net_http_req req;
	const char *s = "\r\nHEAD / HTTP/1.0\nX-A: b\n\n";

	assert_int_equal(parse(s, &req), (int)strlen(s));
	assert_int_equal(req.minor, 0);
	assert_string_equal(req.path, "/");
	assert_string_equal(req.query, "");
}

static void
test_incomplete(void **state)
{
	struct net_http_req req;
	const char *s = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
	size_t i;

	for (i = 0; i < strlen(s); i++)
		assert_int_equal(net_http_parse(s, i, &req), -2);
	assert_int_equal(net_http_parse(s, strlen(s), &req), (int)strlen(s));
}

static void
test_malformed(void **state)
{
	static const char *bad[] = {
		"GET /a HTTP/2.0\r\n\r\n",
		"GET /a HTTP/1.1\r\nX: a\r\n b\r\n\r\n",	/* folding */
		"GET /a HTTP/1.1\r\nX : a\r\n\r\n",
		"GET /a HTTP/1.1\r\nX: a\x01\r\n\r\n",
		"GET /a HTTP/1.1\r\nX: a\rb\r\n\r\n",
		"GET /a\x7f HTTP/1.1\r\n\r\n",
		"G(T /a HTTP/1.1\r\n\r\n",
		" GET /a HTTP/1.1\r\n\r\n",
		"GET  /a HTTP/1.1\r\n\r\n",
		"GET a HTTP/1.1\r\n\r\n",
		"GET /a%00b HTTP/1.1\r\n\r\n",
		"GET /a%zz HTTP/1.1\r\n\r\n",
		"GET /a% HTTP/1.1\r\n\r\n",
		"GET /a#f HTTP/1.1\r\n\r\n",
		"GET /a HTTP/1.1 \r\n\r\n",
		"GET /a HTTP/1.1\r\n: v\r\n\r\n",
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",	/* TLS */
	};
	struct net_http_req req;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &req) != -1)
			fail_msg("accepted: %s", bad[i]);
	}
}

static void
test_too_many_headers(void **state)
{
	struct net_http_req req;
	char s[4096];
	size_t off, i;

	off = (size_t)snprintf(s, sizeof(s), "GET / HTTP/1.1\r\n");
	for (i = 0; i < NET_HTTP_MAXHDR; i++)
		off += (size_t)snprintf(s + off, sizeof(s) - off,
		    "H%zu: v\r\n", i);
	snprintf(s + off, sizeof(s) - off, "\r\n");
	assert_true(parse(s, &req) > 0);
	assert_int_equal(req.nh, NET_HTTP_MAXHDR);
	snprintf(s + off, sizeof(s) - off, "One: more\r\n\r\n");
	assert_int_equal(parse(s, &req), -1);
}

static void
test_path_decode(void **state)
{
	struct net_http_req req;
	char v[16];

	assert_true(parse("GET /a%20b/%2Fc+d?x=1+2&y&z=%41&&w= HTTP/1.1\r\n\r\n",
	    &req) > 0);
	assert_string_equal(req.path, "/a b//c+d");
	assert_int_equal(net_http_query(&req, "x", v, sizeof(v)), 0);
	assert_string_equal(v, "1 2");
	assert_int_equal(net_http_query(&req, "y", v, sizeof(v)), 0);
	assert_string_equal(v, "");
	assert_int_equal(net_http_query(&req, "z", v, sizeof(v)), 0);
	assert_string_equal(v, "A");
	assert_int_equal(net_http_query(&req, "w", v, sizeof(v)), 0);
	assert_int_equal(net_http_query(&req, "q", v, sizeof(v)), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_bare_lf_and_http10),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_too_many_headers),
		cmocka_unit_test(test_path_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
