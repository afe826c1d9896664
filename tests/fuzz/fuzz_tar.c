/* libFuzzer harness for the store's gzip+tar reader: every entry of any
 * input is read to its end or refused, within bounded memory. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_tar_entry *e;
	struct store_tar t;
	struct store_in in;
	struct err err;
	char buf[4096];
	int n = 0;

	if (store_in_open_mem(&in, data, size, &err) == 0) {
		store_tar_init(&t, &in);
		while (n++ < 10000 && store_tar_next(&t, &e, &err) > 0) {
			if (strlen(e->name) == 0)
				__builtin_trap();
			while (store_tar_read(&t, buf, sizeof(buf), &err) > 0)
				;
		}
		store_tar_free(&t);
	}
	store_in_close(&in);
	return 0;
}
