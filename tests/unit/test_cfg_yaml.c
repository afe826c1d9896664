/* Unit tests for cfg/yaml.c: the node tree, positions, documents, and
 * refusal of hostile input with its position. */
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

static int
parse(const char *s, size_t len, struct cfg_node ***docs, size_t *n,
    struct cfg_diags *d)
{
	cfg_diags_init(d);
	return cfg_yaml_parse(s, len, docs, n, d);
}

static void
expect_error(const char *s, size_t len, int line, int col, const char *msg)
{
	struct cfg_node **docs;
	struct cfg_diags d;
	size_t n;

	assert_int_equal(parse(s, len, &docs, &n, &d), -EINVAL);
	assert_null(docs);
	assert_int_equal(n, 0);
	assert_int_equal(d.nerrors, 1);
	assert_int_equal(d.d[0].sev, CFG_ERROR);
	if (d.d[0].line != line || d.d[0].col != col ||
	    strstr(d.d[0].msg, msg) == NULL)
		fail_msg("got %d:%d %s, want %d:%d %s", d.d[0].line,
		    d.d[0].col, d.d[0].msg, line, col, msg);
}

static void
test_tree(void **state)
{
	const char *s = "a: 1\n"
	    "b:\n"
	    "  - x\n"
	    "  - \"2\"\n"
	    "  - {c: d}\n"
	    "e: !!str 5\n"
	    "f: |\n"
	    "  text\n";
	const struct cfg_node *b, *it;
	struct cfg_node **docs;
	struct cfg_diags d;
	size_t n;

	assert_int_equal(parse(s, strlen(s), &docs, &n, &d), 0);
	assert_int_equal(n, 1);
	assert_int_equal(docs[0]->type, CFG_MAP);
	assert_int_equal(docs[0]->n, 4);
	assert_int_equal(docs[0]->line, 1);
	assert_int_equal(docs[0]->col, 1);
	it = cfg_node_get(docs[0], "a");
	assert_string_equal(it->value, "1");
	assert_false(it->quoted);
	assert_int_equal(it->line, 1);
	assert_int_equal(it->col, 4);
	assert_int_equal(it->key_line, 1);
	assert_int_equal(it->key_col, 1);
	b = cfg_node_get(docs[0], "b");
	assert_int_equal(b->type, CFG_SEQ);
	assert_int_equal(b->n, 3);
	assert_int_equal(b->line, 3);
	assert_int_equal(b->col, 3);
	it = b->child->next;
	assert_string_equal(it->value, "2");
	assert_true(it->quoted);
	assert_int_equal(it->line, 4);
	assert_int_equal(it->col, 5);
	it = it->next;
	assert_int_equal(it->type, CFG_MAP);
	assert_string_equal(cfg_node_get(it, "c")->value, "d");
	assert_int_equal(cfg_node_get(it, "c")->col, 9);
	it = cfg_node_get(docs[0], "e");
	assert_string_equal(it->tag, "tag:yaml.org,2002:str");
	assert_string_equal(cfg_node_get(docs[0], "f")->value, "text\n");
	assert_null(cfg_node_get(docs[0], "zz"));
	assert_null(cfg_node_get(b, "a"));
	cfg_docs_free(docs, n);
}

static void
test_documents(void **state)
{
	const char *s = "a: 1\n---\n---\n# only a comment\n---\n- 1\n";
	struct cfg_node **docs;
	struct cfg_diags d;
	size_t n;

	assert_int_equal(parse(s, strlen(s), &docs, &n, &d), 0);
	assert_int_equal(n, 4);
	assert_int_equal(docs[0]->type, CFG_MAP);
	assert_int_equal(docs[1]->type, CFG_SCALAR);
	assert_string_equal(docs[1]->value, "");
	assert_int_equal(docs[3]->type, CFG_SEQ);
	assert_int_equal(docs[3]->line, 6);
	cfg_docs_free(docs, n);
	assert_int_equal(parse("", 0, &docs, &n, &d), 0);
	assert_int_equal(n, 0);
	cfg_docs_free(docs, n);
}

static void
test_json(void **state)
{
	const char *s = "{\"a\": [1, \"x\"], \"b\": {\"c\": true}}";
	struct cfg_node **docs;
	struct cfg_diags d;
	size_t n;

	assert_int_equal(parse(s, strlen(s), &docs, &n, &d), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cfg_node_get(docs[0], "a")->n, 2);
	assert_true(cfg_node_get(docs[0], "a")->child->next->quoted);
	assert_int_equal(cfg_node_get(docs[0], "b")->col, 22);
	cfg_docs_free(docs, n);
}

#define EXPECT(s, line, col, msg) expect_error(s, strlen(s), line, col, msg)

static void
test_malformed(void **state)
{
	EXPECT("a: [1, 2\nb: 3\n", 2, 2, "did not find expected ','");
	EXPECT("a: b\n c: d\n", 2, 3, "mapping values are not allowed");
	EXPECT("a:\n\t- b\n", 2, 1, "found character that cannot");
	EXPECT("a: 1\na: 2\n", 2, 1, "duplicate map key \"a\"");
	EXPECT("[1, 2]: x\n", 1, 1, "a map key must be a scalar");
	EXPECT("a: &x [1]\nb: *x\n", 2, 4, "aliases (*x) are not");
	EXPECT("a: b\nc: \xff\n", 2, 4, "invalid UTF-8 byte 0xff");
	EXPECT("a: \xc3\x28\n", 1, 4, "invalid UTF-8");
	EXPECT("a: \xed\xa0\x80\n", 1, 4, "invalid UTF-8");	/* surrogate */
	expect_error("a: b\nc: d\x00 e\n", 12, 2, 5, "NUL byte");
	expect_error("\x7f" "ELF\x02\x01\x01\x00\x00\x00", 10, 1, 8,
	    "NUL byte");
}

static void
test_limits(void **state)
{
	char *big, deep[CFG_MAX_DEPTH * 2 + 8];
	size_t i;

	big = malloc(CFG_MAX_FILE + 1);
	memset(big, '#', CFG_MAX_FILE + 1);
	expect_error(big, CFG_MAX_FILE + 1, 1, 1, "over the limit");
	free(big);
	for (i = 0; i < CFG_MAX_DEPTH + 1; i++)
		deep[i] = '[';
	deep[i] = '\0';
	expect_error(deep, strlen(deep), 1, CFG_MAX_DEPTH + 1,
	    "nested deeper");
	deep[CFG_MAX_DEPTH] = '\0';		/* 64 levels: fine */
	for (i = 0; i < CFG_MAX_DEPTH; i++)
		strcat(deep, "]");
	{
		struct cfg_node **docs;
		struct cfg_diags d;
		size_t n;

		assert_int_equal(parse(deep, strlen(deep), &docs, &n, &d), 0);
		cfg_docs_free(docs, n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
