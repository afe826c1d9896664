/*
 * digest: sha256 digests as the store names blobs ("sha256:<64 hex>").
 * mbedtls 2.28 has only the *_ret variants that report errors; with a
 * valid context they cannot fail, so the results are not passed on.
 * The context lives inside struct store_sha so callers need no mbedtls
 * header; its size is checked at compile time.
 */
#include <stdbool.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "store/store.h"

_Static_assert(sizeof(mbedtls_sha256_context) <=
    sizeof(((struct store_sha *)0)->ctx), "store_sha too small");

static mbedtls_sha256_context *
ctx(struct store_sha *h)
{
	return (mbedtls_sha256_context *)(void *)h->ctx;
}

void
store_sha_init(struct store_sha *h)
{
	mbedtls_sha256_init(ctx(h));
	(void)mbedtls_sha256_starts_ret(ctx(h), 0);
}

void
store_sha_update(struct store_sha *h, const void *p, size_t n)
{
	if (n > 0)
		(void)mbedtls_sha256_update_ret(ctx(h), p, n);
}

void
store_sha_final(struct store_sha *h, char out[72])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	size_t i;

	(void)mbedtls_sha256_finish_ret(ctx(h), md);
	memcpy(out, "sha256:", 7);
	for (i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[71] = '\0';
	/* ready for reuse, as if freshly initialised */
	(void)mbedtls_sha256_starts_ret(ctx(h), 0);
}

void
store_sha_free(struct store_sha *h)
{
	mbedtls_sha256_free(ctx(h));
}

void
store_sha_buf(const void *p, size_t n, char out[72])
{
	struct store_sha h;

	store_sha_init(&h);
	store_sha_update(&h, p, n);
	store_sha_final(&h, out);
	store_sha_free(&h);
}

bool
store_digest_valid(const char *d)
{
	size_t i;

	if (d == NULL || strncmp(d, "sha256:", 7) != 0 ||
	    strlen(d) != STORE_DIGEST_LEN)
		return false;
	for (i = 7; i < STORE_DIGEST_LEN; i++)
		if (!((d[i] >= '0' && d[i] <= '9') ||
		    (d[i] >= 'a' && d[i] <= 'f')))
			return false;
	return true;
}
