/*
 * SipHash-2-4, written from the algorithm's description in the SipHash paper (section 2):
 * 64-bit words little-endian, c = 2 compression rounds per 8-byte block, d = 4 finalisation
 * rounds, the last block padded with zeros and the message length mod 256 in its top byte.
 */
#include "mdf/mdf_hash.h"

static inline uint64_t
rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t
load_le64(const uint8_t *p)
{
	return (uint64_t)p[0] | ((uint64_t)p[1] << 8) | ((uint64_t)p[2] << 16) |
	    ((uint64_t)p[3] << 24) | ((uint64_t)p[4] << 32) | ((uint64_t)p[5] << 40) |
	    ((uint64_t)p[6] << 48) | ((uint64_t)p[7] << 56);
}

#define SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);	\
	v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);	\
} while (0)

void
mdf_siphash_start(struct mdf_siphash_state *st, const uint8_t key[MDF_HASH_KEY_LEN],
    const void *prefix, size_t nblocks)
{
	const uint8_t *p = prefix;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	/* "somepseudorandomlygeneratedbytes" */
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k1 ^ 0x7465646279746573ULL;

	for (size_t i = 0; i < nblocks; i++) {
		uint64_t m = load_le64(p + 8 * i);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	st->v0 = v0;
	st->v1 = v1;
	st->v2 = v2;
	st->v3 = v3;
}

uint64_t
mdf_siphash_finish(const struct mdf_siphash_state *st, const void *rest, size_t n,
    size_t total_len)
{
	const uint8_t *p = rest;
	uint64_t v0 = st->v0, v1 = st->v1, v2 = st->v2, v3 = st->v3;
	size_t blocks = n / 8;

	for (size_t i = 0; i < blocks; i++) {
		uint64_t m = load_le64(p + 8 * i);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	uint64_t last = (uint64_t)(total_len & 0xff) << 56;
	const uint8_t *t = p + 8 * blocks;
	for (size_t i = 0; i < (n & 7); i++)
		last |= (uint64_t)t[i] << (8 * i);
	v3 ^= last;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
mdf_siphash(const uint8_t key[MDF_HASH_KEY_LEN], const void *data, size_t len)
{
	struct mdf_siphash_state st;

	mdf_siphash_start(&st, key, data, len / 8);
	return mdf_siphash_finish(&st, (const uint8_t *)data + (len & ~(size_t)7), len & 7, len);
}
