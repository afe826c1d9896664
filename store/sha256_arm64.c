/*
 * sha256_arm64: SHA-256 blocks with the ARMv8 cryptography extension's
 * SHA2 instructions (the Pi 5 and many newer boards; not the Pi 3 or 4,
 * whose SoCs leave the extension out).  Written from Arm's description
 * of the instructions:
 *  - sha256h does four rounds and returns the new ABCD, sha256h2 the new
 *    EFGH, both from the old ABCD and EFGH and the four W+K, so ABCD is
 *    kept for the second;
 *  - sha256su0 adds sigma0 of W[t-15] to W[t-16] for four t, sha256su1
 *    adds W[t-7] and sigma1 of W[t-2] from the two groups before.
 * The kernel says whether the CPU has them (AT_HWCAP's HWCAP_SHA2); the
 * function carries the target attribute, so the rest of the build stays
 * plain armv8-a.
 */
#include "store/sha256.h"

/* gcc's arm_neon.h declares the SHA2 intrinsics for functions with the
 * target attribute; clang's (14) only when the whole file is built for
 * the extension (-march=armv8-a+crypto), else clang builds the stub. */
#if defined(__aarch64__) && \
    (!defined(__clang__) || defined(__ARM_FEATURE_SHA2))

#include <arm_neon.h>
#include <sys/auxv.h>

#ifndef HWCAP_SHA2
#define HWCAP_SHA2	(1UL << 6)
#endif

#ifdef __clang__
#define TARGET
#else
#define TARGET	__attribute__((target("+crypto")))
#endif

#define RNDS4(i, x) do {						\
	wk = vaddq_u32((x), vld1q_u32(&sha256_k[4 * (i)]));		\
	t = abcd;							\
	abcd = vsha256hq_u32(abcd, efgh, wk);				\
	efgh = vsha256h2q_u32(efgh, t, wk);				\
} while (0)

/* x0 (W[t-16..t-13]) becomes W[t..t+3]. */
#define SCHED(x0, x1, x2, x3)						\
	(x0) = vsha256su1q_u32(vsha256su0q_u32((x0), (x1)), (x2), (x3))

#define LOAD(i)	vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 16 * (i))))

static void TARGET
blocks(uint32_t st[8], const unsigned char *p, size_t n)
{
	uint32x4_t abcd, efgh, abcd0, efgh0, m0, m1, m2, m3, wk, t;
	int i;

	abcd = vld1q_u32(st);
	efgh = vld1q_u32(st + 4);
	for (; n > 0; n--, p += 64) {
		abcd0 = abcd;
		efgh0 = efgh;
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
		abcd = vaddq_u32(abcd, abcd0);
		efgh = vaddq_u32(efgh, efgh0);
	}
	vst1q_u32(st, abcd);
	vst1q_u32(st + 4, efgh);
}

sha256_blocks_fn *
sha256_arm64_probe(void)
{
	return (getauxval(AT_HWCAP) & HWCAP_SHA2) ? blocks : NULL;
}

#else

sha256_blocks_fn *
sha256_arm64_probe(void)
{
	return NULL;
}

#endif
