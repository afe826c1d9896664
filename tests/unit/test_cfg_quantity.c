/* Unit tests for cfg/quantity.c, cfg/names.c and cfg/selector.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg/cfg.h"

static int64_t
cpu(const char *s)
{
	int64_t v = -12345;

	assert_int_equal(cfg_parse_cpu(s, &v), 0);
	return v;
}

static int64_t
mem(const char *s)
{
	int64_t v = -12345;

	assert_int_equal(cfg_parse_memory(s, &v), 0);
	return v;
}

static void
test_cpu(void **state)
{
	int64_t v;

	assert_int_equal(cpu("500m"), 500);
	assert_int_equal(cpu("2"), 2000);
	assert_int_equal(cpu("0.5"), 500);
	assert_int_equal(cpu(".5"), 500);
	assert_int_equal(cpu("5."), 5000);
	assert_int_equal(cpu("0.0001"), 1);	/* rounded up */
	assert_int_equal(cpu("1e3"), 1000000);
	assert_int_equal(cpu("1E-3"), 1);
	assert_int_equal(cpu("+1"), 1000);
	assert_int_equal(cpu("0"), 0);
	assert_int_equal(cpu("-0"), 0);
	assert_int_equal(cpu("100u"), 1);
	assert_int_equal(cpu("1k"), 1000000);
	assert_int_equal(cpu("250000000n"), 250);
	assert_int_equal(cfg_parse_cpu("-1", &v), -EINVAL);
	assert_int_equal(cfg_parse_cpu("", &v), -EINVAL);
	assert_int_equal(cfg_parse_cpu("abc", &v), -EINVAL);
	assert_int_equal(cfg_parse_cpu("1x", &v), -EINVAL);
	assert_int_equal(cfg_parse_cpu("1 ", &v), -EINVAL);
	assert_int_equal(cfg_parse_cpu(".", &v), -EINVAL);
	assert_int_equal(cfg_parse_cpu("1..2", &v), -EINVAL);
	assert_int_equal(cfg_parse_cpu("1e", &v), -EINVAL);
	assert_int_equal(cfg_parse_cpu("1mm", &v), -EINVAL);
	assert_int_equal(cfg_parse_cpu("1E", &v), -ERANGE);	/* exa */
	assert_int_equal(mem("1E"), 1000000000000000000LL);
	assert_int_equal(cfg_parse_cpu("10E", &v), -ERANGE);
	assert_int_equal(cfg_parse_cpu("1e100", &v), -ERANGE);
	assert_int_equal(cfg_parse_cpu("99999999999999999999", &v), -ERANGE);
}

static void
test_memory(void **state)
{
	int64_t v;

	assert_int_equal(mem("128Mi"), 128LL << 20);
	assert_int_equal(mem("1G"), 1000000000);
	assert_int_equal(mem("1e3"), 1000);
	assert_int_equal(mem("129M"), 129000000);
	assert_int_equal(mem("123456"), 123456);
	assert_int_equal(mem("1.5Ki"), 1536);
	assert_int_equal(mem("0.5"), 1);	/* fractional byte up */
	assert_int_equal(mem("1m"), 1);
	assert_int_equal(mem("0.1Ki"), 103);	/* 102.4 up */
	assert_int_equal(mem("7Ei"), 7LL << 60);
	assert_int_equal(mem("1000000000000000000m"), 1000000000000000LL);
	assert_int_equal(mem("0.000000001Ki"), 1);
	assert_int_equal(cfg_parse_memory("8Ei", &v), -ERANGE);
	assert_int_equal(cfg_parse_memory("10E", &v), -ERANGE);
	assert_int_equal(cfg_parse_memory("1Mb", &v), -EINVAL);
	assert_int_equal(cfg_parse_memory("1KI", &v), -EINVAL);
	assert_int_equal(cfg_parse_memory("Mi", &v), -EINVAL);
	assert_int_equal(cfg_parse_memory("-1Mi", &v), -EINVAL);
	assert_int_equal(cfg_parse_memory(NULL, &v), -EINVAL);
}

static void
test_names(void **state)
{
	char s[300];

	assert_null(cfg_check_dns1123_label("my-name"));
	assert_null(cfg_check_dns1123_label("123-abc"));
	assert_non_null(cfg_check_dns1123_label("My-name"));
	assert_non_null(cfg_check_dns1123_label("-a"));
	assert_non_null(cfg_check_dns1123_label("a-"));
	assert_non_null(cfg_check_dns1123_label(""));
	assert_non_null(cfg_check_dns1123_label("a.b"));
	memset(s, 'a', 63);
	s[63] = '\0';
	assert_null(cfg_check_dns1123_label(s));
	s[63] = 'a';
	s[64] = '\0';
	assert_string_equal(cfg_check_dns1123_label(s),
	    "must be no more than 63 characters");
	assert_null(cfg_check_dns1123_subdomain("example.com"));
	assert_non_null(cfg_check_dns1123_subdomain("example..com"));
	assert_non_null(cfg_check_dns1123_subdomain(".example"));
	memset(s, 'a', 254);
	s[254] = '\0';
	assert_non_null(cfg_check_dns1123_subdomain(s));

	assert_null(cfg_check_label_key("app"));
	assert_null(cfg_check_label_key("app.kubernetes.io/name"));
	assert_null(cfg_check_label_key("My_Key.x"));
	assert_non_null(cfg_check_label_key("/name"));
	assert_non_null(cfg_check_label_key("Example.com/name"));
	assert_non_null(cfg_check_label_key("example.com/"));
	assert_non_null(cfg_check_label_key("a/b/c"));
	assert_non_null(cfg_check_label_key("_a"));
	assert_null(cfg_check_label_value(""));
	assert_null(cfg_check_label_value("v1.2_x-Y"));
	assert_non_null(cfg_check_label_value("a b"));
	assert_non_null(cfg_check_label_value("-a"));

	assert_null(cfg_check_port_name("http"));
	assert_null(cfg_check_port_name("h2c-8080"));
	assert_non_null(cfg_check_port_name("8080"));
	assert_non_null(cfg_check_port_name("HTTP"));
	assert_non_null(cfg_check_port_name("a--b"));
	assert_non_null(cfg_check_port_name("-ab"));
	assert_non_null(cfg_check_port_name("abcdefghijklmnop"));
	assert_null(cfg_check_env_name("MY_VAR.x-1"));
	assert_non_null(cfg_check_env_name("1VAR"));
	assert_non_null(cfg_check_env_name("A=B"));
	assert_null(cfg_check_cap_name("NET_ADMIN"));
	assert_non_null(cfg_check_cap_name("net_admin"));
}

static bool
sel_match(const char *sel, const struct cfg_kvs *labels)
{
	struct cfg_selector *s;
	struct err e;
	bool r;

	assert_int_equal(cfg_selector_parse(sel, &s, &e), 0);
	r = cfg_selector_match(s, labels);
	cfg_selector_free(s);
	return r;
}

static void
test_selector(void **state)
{
	struct cfg_kv kv[] = { { "app", "web" }, { "tier", "front" },
	    { "env", "" } };
	struct cfg_kvs labels = { kv, 3 };
	struct cfg_selector *s;
	struct err e;

	assert_true(sel_match("", &labels));
	assert_true(sel_match("app=web", &labels));
	assert_true(sel_match("app==web,tier=front", &labels));
	assert_false(sel_match("app=web,tier=back", &labels));
	assert_true(sel_match("app!=db", &labels));
	assert_true(sel_match("missing!=x", &labels));
	assert_false(sel_match("app!=web", &labels));
	assert_true(sel_match("tier in (front, back)", &labels));
	assert_false(sel_match("tier notin (front,back)", &labels));
	assert_true(sel_match("missing notin (a)", &labels));
	assert_false(sel_match("missing in (a)", &labels));
	assert_true(sel_match("app", &labels));
	assert_true(sel_match("!missing", &labels));
	assert_false(sel_match("!app", &labels));
	assert_true(sel_match(" env = , app ", &labels));

	assert_int_equal(cfg_selector_parse("app=", &s, &e), 0);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->reqs[0].op, CFG_SEL_EQ);
	assert_string_equal(s->reqs[0].values[0], "");
	cfg_selector_free(s);

	assert_int_equal(cfg_selector_parse("a in b", &s, &e), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(e.msg, "expected '('"));
	assert_int_equal(cfg_selector_parse("a=b,", &s, &e), -EINVAL);
	assert_int_equal(cfg_selector_parse("a b", &s, &e), -EINVAL);
	assert_int_equal(cfg_selector_parse("a in (b", &s, &e), -EINVAL);
	assert_int_equal(cfg_selector_parse("a=b c", &s, &e), -EINVAL);
	assert_int_equal(cfg_selector_parse("-a=b", &s, &e), -EINVAL);
	assert_int_equal(cfg_selector_parse("a=-b", &s, &e), -EINVAL);
	assert_int_equal(cfg_selector_parse("=b", &s, &e), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_selector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
