/*
 * The generator's pseudo-random numbers: xoshiro256** seeded through splitmix64 (Blackman and
 * Vigna).  This is NOT for anything secret - it exists so that the same seed always produces
 * the same capture byte for byte, on every machine.  Anything needing real randomness in Overt
 * uses OpenSSL's RAND_bytes instead.
 * Thread safety: a generator belongs to one thread.
 */
#ifndef OVERT_EPCGEN_RNG_H
#define OVERT_EPCGEN_RNG_H

#include <stdint.h>

struct epcgen_rng {
	uint64_t s[4];
};

static inline uint64_t
epcgen_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Any seed is fine, 0 included: splitmix64 never yields the all-zero state in four draws. */
static inline void
epcgen_rng_seed(struct epcgen_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = epcgen_splitmix64(&seed);
}

static inline uint64_t
epcgen_rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t
epcgen_rng_next(struct epcgen_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = epcgen_rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = epcgen_rng_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n) by multiply-shift (bias below 2^-32 for the n used here); n == 0 gives 0. */
static inline uint32_t
epcgen_rng_below(struct epcgen_rng *r, uint32_t n)
{
	return (uint32_t)(((epcgen_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]; requires lo <= hi. */
static inline uint32_t
epcgen_rng_range(struct epcgen_rng *r, uint32_t lo, uint32_t hi)
{
	return lo + epcgen_rng_below(r, hi - lo + 1);
}

/* True with probability permille/1000. */
static inline int
epcgen_rng_pm(struct epcgen_rng *r, uint32_t permille)
{
	return epcgen_rng_below(r, 1000) < permille;
}

#endif
