/* Unit tests for lib/json: the strict parser and its lookups. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/json.h"
#include "lib/util.h"

static struct json *
ok(const char *s)
{
	struct json *j = NULL;
	struct err err = { "" };

	if (json_parse(s, strlen(s), &j, &err) != 0)
		fail_msg("%s: %s", s, err.msg);
	return j;
}

static void
bad(const char *s, const char *msg)
{
	struct json *j = (struct json *)1;
	struct err err = { "" };

	assert_int_equal(json_parse(s, strlen(s), &j, &err), -EINVAL);
	assert_null(j);
	if (msg != NULL && strstr(err.msg, msg) == NULL)
		fail_msg("%s: got \"%s\", want \"%s\"", s, err.msg, msg);
}

static void
test_values(void **state)
{
	struct json *j = ok(" {\"a\": [1, -2.5, true, false, null, \"x\"],"
	    " \"b\": {\"c\": {\"d\": \"deep\"}}, \"n\": 0} ");

	assert_int_equal(j->type, JSON_OBJ);
	assert_int_equal(j->n, 3);
	const struct json *a = json_get(j, "a");
	assert_int_equal(a->n, 6);
	assert_true(json_at(a, 0)->is_int);
	assert_int_equal(json_at(a, 0)->i, 1);
	assert_false(json_at(a, 1)->is_int);
	assert_true(json_at(a, 1)->num == -2.5);
	assert_true(json_at(a, 2)->b);
	assert_int_equal(json_at(a, 3)->type, JSON_BOOL);
	assert_false(json_at(a, 3)->b);
	assert_int_equal(json_at(a, 4)->type, JSON_NULL);
	assert_string_equal(json_at(a, 5)->s, "x");
	assert_null(json_at(a, 6));
	assert_string_equal(json_get_str(json_path(j, "b.c"), "d"), "deep");
	assert_string_equal(json_path(j, "b.c.d")->s, "deep");
	assert_null(json_path(j, "b.x.d"));
	assert_int_equal(json_get_int(j, "n", 7), 0);
	assert_int_equal(json_get_int(j, "zz", 7), 7);
	assert_null(json_get_str(j, "n"));
	assert_true(json_get_bool(j, "a", true));
	json_free(j);

	j = ok("[]");
	assert_int_equal(j->n, 0);
	json_free(j);
	j = ok("{}");
	assert_null(json_get(j, "x"));
	json_free(j);
	j = ok("\"s\"");
	assert_string_equal(j->s, "s");
	json_free(j);
	json_free(NULL);
}

static void
test_numbers(void **state)
{
	struct json *j = ok("[9223372036854775807, -9223372036854775808,"
	    " 9223372036854775808, 1e3, 0.5, -0, 12345678901234567890123]");

	assert_true(json_at(j, 0)->is_int);
	assert_true(json_at(j, 0)->i == INT64_MAX);
	assert_true(json_at(j, 1)->is_int);
	assert_true(json_at(j, 1)->i == INT64_MIN);
	assert_false(json_at(j, 2)->is_int);
	assert_true(json_at(j, 2)->num > 9.2e18);
	assert_false(json_at(j, 3)->is_int);
	assert_true(json_at(j, 3)->num == 1000);
	assert_true(json_at(j, 4)->num == 0.5);
	assert_true(json_at(j, 5)->is_int);
	assert_false(json_at(j, 6)->is_int);
	assert_true(json_at(j, 6)->num > 1.2e22);
	json_free(j);
	bad("01", "offset 1: expected end of input");
	bad("1.", "offset 2: expected a digit");
	bad("-", "offset 1: expected a digit");
	bad("1e", "exponent");
	bad("+1", "offset 0: expected a value");
	bad(".5", "offset 0");
}

static void
test_strings(void **state)
{
	struct json *j = ok("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0041\\u00e9"
	    "\\u20ac\\ud83d\\ude00\"");

	assert_string_equal(j->s, "a\"b\\c/d\b\f\n\r\tA\xc3\xa9\xe2\x82\xac"
	    "\xf0\x9f\x98\x80");
	assert_int_equal(j->slen, strlen(j->s));
	json_free(j);
	j = ok("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	assert_int_equal(j->slen, 9);
	json_free(j);

	bad("\"abc", "expected a closing quote");
	bad("\"a\\x\"", "offset 3: expected an escape");
	bad("\"\\u12g4\"", "hex digit");
	bad("\"\\ud83d\"", "low surrogate");
	bad("\"\\ud83d\\u0041\"", "low surrogate");
	bad("\"\\ude00\"", "high surrogate");
	bad("\"\\u0000\"", "NUL");
	bad("\"a\tb\"", "control character");
	bad("\"\xc3\"", "UTF-8");
	bad("\"\xc0\xaf\"", "UTF-8");		/* overlong */
	bad("\"\xed\xa0\x80\"", "UTF-8");	/* surrogate */
	bad("\"\xf4\x90\x80\x80\"", "UTF-8");	/* past U+10FFFF */
	bad("\"\xff\"", "UTF-8");

	struct json *n = NULL;
	struct err err;
	assert_int_equal(json_parse("\"a\0b\"", 5, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "NUL"));
}

static void
test_syntax(void **state)
{
	bad("", "offset 0: expected a value");
	bad("   ", "offset 3: expected a value");
	bad("[1,]", "offset 3: expected a value");
	bad("{\"a\":1,}", "offset 7: expected a member name");
	bad("{\"a\" 1}", "expected ':'");
	bad("{a:1}", "member name");
	bad("[1 2]", "expected ',' or ']'");
	bad("{\"a\":1 \"b\":2}", "expected ',' or '}'");
	bad("[1] x", "offset 4: expected end of input");
	bad("{} {}", "end of input");
	bad("tru", "a value");
	bad("nul", "a value");
	bad("[true false]", NULL);
	bad("// c\n1", NULL);
	bad("[", "a value");
	bad("{", "member name");
}

static void
test_depth(void **state)
{
	char deep[2 * JSON_MAXDEPTH + 8];
	struct json *j;
	int i;

	for (i = 0; i < JSON_MAXDEPTH; i++) {
		deep[i] = '[';
		deep[JSON_MAXDEPTH + i] = ']';
	}
	deep[2 * JSON_MAXDEPTH] = '\0';
	j = ok(deep);
	json_free(j);
	for (i = 0; i <= JSON_MAXDEPTH; i++) {
		deep[i] = '[';
		deep[JSON_MAXDEPTH + 1 + i] = ']';
	}
	deep[2 * JSON_MAXDEPTH + 2] = '\0';
	bad(deep, "nesting");
}

static void
test_dup_and_keys(void **state)
{
	struct json *j = ok("{\"k\":1,\"k\":2,\"\\u00e9\":3}");

	assert_int_equal(json_get_int(j, "k", 0), 2);
	assert_int_equal(json_get_int(j, "\xc3\xa9", 0), 3);
	assert_string_equal(j->child->key, "k");
	json_free(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_dup_and_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
