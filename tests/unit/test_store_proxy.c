/* Unit tests for store/proxy.c: HTTPS_PROXY, HTTP_PROXY and NO_PROXY. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/util.h"
#include "store/store.h"

static const char *const vars[] = { "HTTPS_PROXY", "https_proxy",
	"HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy" };

static int
clear(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	return 0;
}

/* "host:port" of the proxy for https://host:port, or "direct". */
static const char *
via(bool tls, const char *host, unsigned short port)
{
	static char buf[300];
	struct store_proxy p;
	struct err e;
	int r;

	r = store_proxy_for(tls, host, port, &p, &e);
	if (r == -ENOENT)
		return "direct";
	if (r < 0) {
		snprintf(buf, sizeof(buf), "error: %s", e.msg);
		return buf;
	}
	snprintf(buf, sizeof(buf), "%s:%u%s%s", p.host, p.port,
	    p.creds[0] ? " as " : "", p.creds);
	return buf;
}

static void
test_scheme_and_case(void **state)
{
	assert_string_equal(via(true, "ghcr.io", 443), "direct");
	setenv("https_proxy", "http://proxy.lan:3128", 1);
	assert_string_equal(via(true, "ghcr.io", 443), "proxy.lan:3128");
	assert_string_equal(via(false, "ghcr.io", 80), "direct");
	setenv("HTTPS_PROXY", "10.0.0.1:8080", 1);	/* upper case first */
	assert_string_equal(via(true, "ghcr.io", 443), "10.0.0.1:8080");
	setenv("HTTP_PROXY", "http://u:p%20w@[fd00::1]/", 1);
	assert_string_equal(via(false, "reg.lan", 5000), "fd00::1:80 as u:p%20w");
	setenv("HTTPS_PROXY", "https://proxy.lan", 1);
	assert_string_equal(via(true, "ghcr.io", 443), "error: HTTPS_PROXY "
	    "https://proxy.lan: https proxies are not supported");
	setenv("HTTPS_PROXY", "http://nouser@proxy.lan", 1);
	assert_string_equal(via(true, "ghcr.io", 443), "error: proxy "
	    "credentials: expected user:password");
}

static void
test_no_proxy(void **state)
{
	setenv("HTTPS_PROXY", "http://proxy.lan:3128", 1);
	/* loopback is never proxied */
	assert_string_equal(via(true, "localhost", 443), "direct");
	assert_string_equal(via(true, "127.0.0.5", 443), "direct");
	assert_string_equal(via(true, "::1", 443), "direct");
	setenv("NO_PROXY", " example.com, .corp.lan ,10.8.0.0/16, 1.2.3.4,"
	    "mirror.lan:5000,fd00::/8", 1);
	assert_string_equal(via(true, "example.com", 443), "direct");
	assert_string_equal(via(true, "reg.example.com", 443), "direct");
	assert_string_equal(via(true, "badexample.com", 443), "proxy.lan:3128");
	assert_string_equal(via(true, "corp.lan", 443), "proxy.lan:3128");
	assert_string_equal(via(true, "x.corp.lan", 443), "direct");
	assert_string_equal(via(true, "10.8.200.1", 443), "direct");
	assert_string_equal(via(true, "10.9.0.1", 443), "proxy.lan:3128");
	assert_string_equal(via(true, "1.2.3.4", 443), "direct");
	assert_string_equal(via(true, "mirror.lan", 5000), "direct");
	assert_string_equal(via(true, "mirror.lan", 443), "proxy.lan:3128");
	assert_string_equal(via(true, "fd00::7", 443), "direct");
	assert_string_equal(via(true, "ghcr.io", 443), "proxy.lan:3128");
	setenv("NO_PROXY", "*", 1);
	assert_string_equal(via(true, "ghcr.io", 443), "direct");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_scheme_and_case, clear),
		cmocka_unit_test_setup(test_no_proxy, clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
