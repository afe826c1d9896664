/* libFuzzer harness for store/digest.c: every sha256 implementation this
 * CPU runs gives mbedtls' digest of the input, fed in pieces whose
 * lengths the first bytes choose. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const impls[] = { "x86-sha-ni", "arm64-sha2", "mbedtls" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	char want[72], got[72];
	const uint8_t *p;
	struct store_sha h;
	size_t i, k, cut, left, ncut = size > 0 ? data[0] % 8 : 0;

	if (size < 1 + ncut)
		return 0;
	p = data + 1 + ncut;
	(void)mbedtls_sha256_ret(p, size - 1 - ncut, md, 0);
	memcpy(want, "sha256:", 7);
	for (i = 0; i < 32; i++) {
		want[7 + 2 * i] = hex[md[i] >> 4];
		want[8 + 2 * i] = hex[md[i] & 15];
	}
	want[71] = '\0';
	for (i = 0; i < sizeof(impls) / sizeof(impls[0]); i++) {
		if (store_sha_use(impls[i]) < 0)
			continue;
		store_sha_init(&h);
		left = size - 1 - ncut;
		/* piece k is data[1 + k] * 3 bytes long, the rest last */
		for (k = 0, cut = 0; k < ncut; k++) {
			cut = (size_t)data[1 + k] * 3 < left ?
			    (size_t)data[1 + k] * 3 : left;
			store_sha_update(&h, p, cut);
			p += cut;
			left -= cut;
		}
		store_sha_update(&h, p, left);
		store_sha_final(&h, got);
		store_sha_free(&h);
		p = data + 1 + ncut;
		if (strcmp(want, got) != 0)
			__builtin_trap();
	}
	return 0;
}
