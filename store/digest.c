/*
 * digest: sha256 digests as the store names blobs ("sha256:<64 hex>").
 * Every byte a pull brings is hashed twice (the blob as it arrives, the
 * layer's diffid as it is unpacked), so the hash is what a pull costs
 * on a fast link: the CPU's SHA-256 instructions are used when it has
 * them (sha256_x86.c, sha256_arm64.c, picked once, at the first hash),
 * mbedtls 2.28 otherwise.  Our own blocks get our own buffering and
 * padding (FIPS 180-4, 5.1.1); mbedtls keeps its context.  A context
 * remembers which it started with, so store_sha_use (tests) never
 * changes one in flight.  mbedtls 2.28 has only the *_ret variants that
 * report errors; with a valid context they cannot fail, so the results
 * are not passed on.  The context lives inside struct store_sha so
 * callers need no mbedtls header; its size is checked at compile time.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "store/sha256.h"
#include "store/store.h"

const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t h0[8] = {	/* FIPS 180-4, 5.3.3 */
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

struct own {
	uint32_t h[8];
	uint64_t len;			/* bytes so far */
	unsigned char buf[64];		/* len % 64 of them */
};

struct sha {
	sha256_blocks_fn *blocks;	/* NULL: mbedtls */
	union {
		mbedtls_sha256_context mb;
		struct own o;
	} u;
};

_Static_assert(sizeof(struct sha) <= sizeof(((struct store_sha *)0)->ctx),
    "store_sha too small");

static const struct impl {
	const char *name;
	sha256_blocks_fn *(*probe)(void);
} impls[] = {
	{ "x86-sha-ni", sha256_x86_probe },
	{ "arm64-sha2", sha256_arm64_probe },
	{ "mbedtls", NULL },
};

static const struct impl *cur;
static sha256_blocks_fn *cur_blocks;

static void
pick(void)
{
	size_t i;

	for (i = 0; cur == NULL; i++)
		if (impls[i].probe == NULL ||
		    (cur_blocks = impls[i].probe()) != NULL)
			cur = &impls[i];
}

const char *
store_sha_impl(void)
{
	if (cur == NULL)
		pick();
	return cur->name;
}

int
store_sha_use(const char *name)
{
	sha256_blocks_fn *f = NULL;
	size_t i;

	for (i = 0; i < sizeof(impls) / sizeof(impls[0]); i++) {
		if (strcmp(impls[i].name, name) != 0)
			continue;
		if (impls[i].probe != NULL && (f = impls[i].probe()) == NULL)
			return -ENOTSUP;
		cur = &impls[i];
		cur_blocks = f;
		return 0;
	}
	return -ENOENT;
}

static struct sha *
ctx(struct store_sha *h)
{
	return (struct sha *)(void *)h->ctx;
}

static void
restart(struct sha *c)
{
	if (c->blocks == NULL) {
		(void)mbedtls_sha256_starts_ret(&c->u.mb, 0);
		return;
	}
	memcpy(c->u.o.h, h0, sizeof(h0));
	c->u.o.len = 0;
}

void
store_sha_init(struct store_sha *h)
{
	struct sha *c = ctx(h);

	if (cur == NULL)
		pick();
	c->blocks = cur_blocks;
	if (c->blocks == NULL)
		mbedtls_sha256_init(&c->u.mb);
	restart(c);
}

static void
own_update(struct sha *c, const unsigned char *p, size_t n)
{
	struct own *o = &c->u.o;
	size_t used = (size_t)(o->len & 63), k;

	o->len += n;
	if (used > 0) {
		k = 64 - used < n ? 64 - used : n;
		memcpy(o->buf + used, p, k);
		p += k;
		n -= k;
		if (used + k < 64)
			return;
		c->blocks(o->h, o->buf, 1);
	}
	if (n >= 64) {
		c->blocks(o->h, p, n / 64);
		p += n & ~(size_t)63;
		n &= 63;
	}
	memcpy(o->buf, p, n);
}

void
store_sha_update(struct store_sha *h, const void *p, size_t n)
{
	struct sha *c = ctx(h);

	if (n == 0)
		return;
	if (c->blocks == NULL)
		(void)mbedtls_sha256_update_ret(&c->u.mb, p, n);
	else
		own_update(c, p, n);
}

/* 0x80, zeros up to 56 mod 64, the length in bits big-endian. */
static void
own_final(struct sha *c, unsigned char md[32])
{
	struct own *o = &c->u.o;
	uint64_t bits = o->len * 8;
	unsigned char pad[72] = { 0x80 };
	size_t used = (size_t)(o->len & 63), n, i;

	n = (used < 56 ? 56 : 120) - used;
	for (i = 0; i < 8; i++)
		pad[n + i] = (unsigned char)(bits >> (56 - 8 * i));
	own_update(c, pad, n + 8);
	for (i = 0; i < 8; i++) {
		md[4 * i] = (unsigned char)(o->h[i] >> 24);
		md[4 * i + 1] = (unsigned char)(o->h[i] >> 16);
		md[4 * i + 2] = (unsigned char)(o->h[i] >> 8);
		md[4 * i + 3] = (unsigned char)o->h[i];
	}
}

void
store_sha_final(struct store_sha *h, char out[72])
{
	static const char hex[] = "0123456789abcdef";
	struct sha *c = ctx(h);
	unsigned char md[32];
	size_t i;

	if (c->blocks == NULL)
		(void)mbedtls_sha256_finish_ret(&c->u.mb, md);
	else
		own_final(c, md);
	memcpy(out, "sha256:", 7);
	for (i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[71] = '\0';
	/* ready for reuse, as if freshly initialised */
	restart(c);
}

void
store_sha_free(struct store_sha *h)
{
	struct sha *c = ctx(h);

	if (c->blocks == NULL)
		mbedtls_sha256_free(&c->u.mb);
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
