/* libFuzzer harness for lib/json: any input parses or fails cleanly, and
 * every lookup on what parsed is safe. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
walk(const struct json *j, int depth)
{
	const struct json *c;

	for (c = j->child; c != NULL; c = c->next) {
		if (c->type == JSON_STR && strlen(c->s) != c->slen)
			__builtin_trap();	/* NUL inside a string */
		walk(c, depth + 1);
	}
	if (depth > JSON_MAXDEPTH)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json *j;
	struct err err;

	if (json_parse((const char *)data, size, &j, &err) == 0) {
		walk(j, 1);
		(void)json_path(j, "a.b.c");
		(void)json_get_int(j, "x", 0);
		(void)json_at(j, 3);
		json_free(j);
	}
	return 0;
}
