/* libFuzzer harness for rt_log_parse: CRI log records read back from disk. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/rt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_logrec rec;
	char *line;

	/* An exact-size copy so ASan catches any read past len. */
	line = malloc(size ? size : 1);
	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	if (rt_log_parse(line, size, &rec) == 0) {
		if (rec.ts != line || rec.tslen < 20 ||
		    rec.msg < line || rec.msg + rec.msglen != line + size ||
		    memchr(rec.msg, '\n', rec.msglen) != NULL)
			abort();
	}
	free(line);
	return 0;
}
