/*
 * sha256: the block functions under store/digest.c.  Each takes the
 * eight state words (a..h) and n whole 64-byte blocks; padding and
 * buffering are digest.c's.  A probe returns its block function when this
 * CPU can run it, NULL otherwise (another architecture, or the
 * instructions missing), so every file builds everywhere.
 */
#ifndef PICOLET_SHA256_H
#define PICOLET_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef void sha256_blocks_fn(uint32_t st[8], const unsigned char *p,
	size_t n);

sha256_blocks_fn *sha256_x86_probe(void);	/* SHA-NI, amd64 */
sha256_blocks_fn *sha256_arm64_probe(void);	/* ARMv8 SHA2 */

extern const uint32_t sha256_k[64];		/* FIPS 180-4, 4.2.2 */

#endif
