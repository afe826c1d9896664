/*
 * sha256_x86: SHA-256 blocks with the x86 SHA extensions (SHA-NI: most
 * AMD CPUs since Zen, Intel since Ice Lake and the Atoms since Goldmont),
 * six times mbedtls' C here.  Written from Intel's description of the
 * instructions:
 *  - sha256rnds2 does two rounds on the state split as ABEF and CDGH
 *    (A in the top lane), taking W+K of those rounds in the low two
 *    lanes of its third operand; it returns the new ABEF, and the new
 *    CDGH is the old ABEF, so two calls with the operands swapped make
 *    four rounds and leave both halves in place;
 *  - sha256msg1 adds sigma0 of W[t-15] to W[t-16] for four t, and
 *    sha256msg2 adds sigma1 of W[t-2] (the two lanes it needs from the
 *    group before, the other two from its own result) once W[t-7] is
 *    added in between (palignr of the two groups before).
 * Message words are big-endian: pshufb swaps each lane's bytes.  The
 * function carries the target attribute, so the file builds with plain
 * -O2 and only runs where cpuid says it can.
 */
#include "store/sha256.h"

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>

#define TARGET	__attribute__((target("sha,sse4.1")))

#define KW(i)	_mm_loadu_si128(					\
	(const __m128i *)(const void *)&sha256_k[4 * (i)])

/* Four rounds with the message group x. */
#define RNDS4(i, x) do {						\
	wk = _mm_add_epi32((x), KW(i));					\
	cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);			\
	abef = _mm_sha256rnds2_epu32(abef, cdgh,			\
	    _mm_shuffle_epi32(wk, 0x0e));				\
} while (0)

/* x0 (W[t-16..t-13]) becomes W[t..t+3]; x3 is W[t-4..t-1]. */
#define SCHED(x0, x1, x2, x3)						\
	(x0) = _mm_sha256msg2_epu32(_mm_add_epi32(			\
	    _mm_sha256msg1_epu32((x0), (x1)),				\
	    _mm_alignr_epi8((x3), (x2), 4)), (x3))

#define LOAD(i)	_mm_shuffle_epi8(_mm_loadu_si128(			\
	(const __m128i *)(const void *)(p + 16 * (i))), bswap)

static void TARGET
blocks(uint32_t st[8], const unsigned char *p, size_t n)
{
	const __m128i bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11,
	    4, 5, 6, 7, 0, 1, 2, 3);
	__m128i abef, cdgh, abef0, cdgh0, m0, m1, m2, m3, wk;
	uint32_t o[8];
	int i;

	abef = _mm_set_epi32((int)st[0], (int)st[1], (int)st[4], (int)st[5]);
	cdgh = _mm_set_epi32((int)st[2], (int)st[3], (int)st[6], (int)st[7]);
	for (; n > 0; n--, p += 64) {
		abef0 = abef;
		cdgh0 = cdgh;
		m0 = LOAD(0);
		m1 = LOAD(1);
		m2 = LOAD(2);
		m3 = LOAD(3);
		RNDS4(0, m0);
		RNDS4(1, m1);
		RNDS4(2, m2);
		RNDS4(3, m3);
		for (i = 4; i < 16; i += 4) {
			SCHED(m0, m1, m2, m3);
			RNDS4(i, m0);
			SCHED(m1, m2, m3, m0);
			RNDS4(i + 1, m1);
			SCHED(m2, m3, m0, m1);
			RNDS4(i + 2, m2);
			SCHED(m3, m0, m1, m2);
			RNDS4(i + 3, m3);
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}
	/* lanes low to high: F E B A, H G D C */
	_mm_storeu_si128((__m128i *)(void *)o, abef);
	_mm_storeu_si128((__m128i *)(void *)(o + 4), cdgh);
	st[0] = o[3];
	st[1] = o[2];
	st[2] = o[7];
	st[3] = o[6];
	st[4] = o[1];
	st[5] = o[0];
	st[6] = o[5];
	st[7] = o[4];
}

sha256_blocks_fn *
sha256_x86_probe(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) ||
	    !(c & bit_SSE4_1))
		return NULL;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & bit_SHA))
		return NULL;
	return blocks;
}

#else

sha256_blocks_fn *
sha256_x86_probe(void)
{
	return NULL;
}

#endif
