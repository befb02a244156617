/*
 * RFC 9162 Merkle tree: hashes (through OpenSSL), the tile-by-tile right edge of a tree, and
 * inclusion/consistency proofs (verification after RFC 9162 2.1.3.2/2.1.4.2, generation after
 * the PATH and SUBPROOF definitions of 2.1.3.1/2.1.4.1).
 */
#include "tlog/merkle.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

struct tlog_hasher {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
};

/* SHA-256(""), RFC 9162 2.1.1. */
static const uint8_t empty_root[TLOG_HASH_LEN] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9,
	0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52,
	0xb8, 0x55,
};

struct tlog_hasher *
tlog_hasher_new(void)
{
	struct tlog_hasher *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	/* One explicit fetch: EVP_sha256() would re-fetch the implementation on every init. */
	h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	h->ctx = EVP_MD_CTX_new();
	if (h->md == NULL || h->ctx == NULL || !EVP_DigestInit_ex2(h->ctx, h->md, NULL)) {
		tlog_hasher_free(h);
		return NULL;
	}
	return h;
}

void
tlog_hasher_free(struct tlog_hasher *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
	free(h);
}

static int
hash2(struct tlog_hasher *h, uint8_t prefix, const void *a, size_t alen, const void *b,
    size_t blen, uint8_t out[TLOG_HASH_LEN])
{
	unsigned int n = 0;
	/* NULL type: reuse the digest already set on the context (no fetch, no allocation). */
	if (!EVP_DigestInit_ex2(h->ctx, NULL, NULL) ||
	    !EVP_DigestUpdate(h->ctx, &prefix, 1) ||
	    (alen && !EVP_DigestUpdate(h->ctx, a, alen)) ||
	    (blen && !EVP_DigestUpdate(h->ctx, b, blen)) ||
	    !EVP_DigestFinal_ex(h->ctx, out, &n))
		return 0;
	return n == TLOG_HASH_LEN;
}

int
tlog_hash_leaf(struct tlog_hasher *h, const void *data, size_t len, uint8_t out[TLOG_HASH_LEN])
{
	return hash2(h, 0x00, data, len, NULL, 0, out);
}

int
tlog_hash_node(struct tlog_hasher *h, const uint8_t left[TLOG_HASH_LEN],
    const uint8_t right[TLOG_HASH_LEN], uint8_t out[TLOG_HASH_LEN])
{
	/* out may alias left or right: both are consumed before the digest is written. */
	return hash2(h, 0x01, left, TLOG_HASH_LEN, right, TLOG_HASH_LEN, out);
}

void
tlog_hash_empty(uint8_t out[TLOG_HASH_LEN])
{
	memcpy(out, empty_root, TLOG_HASH_LEN);
}

/* Folds perfect-subtree roots, left to right with strictly decreasing heights, into MTH. */
static enum tlog_err
fold(struct tlog_hasher *h, uint8_t (*peaks)[TLOG_HASH_LEN], size_t n, uint8_t out[TLOG_HASH_LEN])
{
	uint8_t r[TLOG_HASH_LEN];

	if (n == 0) {
		tlog_hash_empty(out);
		return TLOG_OK;
	}
	memcpy(r, peaks[n - 1], TLOG_HASH_LEN);
	for (size_t i = n - 1; i-- > 0;)
		if (!tlog_hash_node(h, peaks[i], r, r))
			return TLOG_E_CRYPTO;
	memcpy(out, r, TLOG_HASH_LEN);
	return TLOG_OK;
}

enum tlog_err
tlog_root_of(struct tlog_hasher *h, const uint8_t (*hashes)[TLOG_HASH_LEN], size_t n,
    uint8_t out[TLOG_HASH_LEN])
{
	/* Compact range: st holds the perfect subtrees of the prefix read so far, one per set
	 * bit of i, so 64 entries cover any size_t count. */
	uint8_t st[64][TLOG_HASH_LEN];
	size_t top = 0;

	for (size_t i = 0; i < n; i++) {
		memcpy(st[top++], hashes[i], TLOG_HASH_LEN);
		for (size_t m = i; m & 1; m >>= 1) {
			if (!tlog_hash_node(h, st[top - 2], st[top - 1], st[top - 2]))
				return TLOG_E_CRYPTO;
			top--;
		}
	}
	return fold(h, st, top, out);
}

void
tlog_tree_init(struct tlog_tree *t)
{
	t->size = 0;
	memset(t->count, 0, sizeof(t->count));
}

unsigned
tlog_tree_width(uint64_t size, unsigned level)
{
	if (level >= TLOG_MAX_LEVELS)
		return 0;
	return (unsigned)((size >> (TLOG_TILE_HEIGHT * level)) & (TLOG_TILE_WIDTH - 1));
}

uint64_t
tlog_tree_tile_index(uint64_t size, unsigned level)
{
	if (level + 1 >= TLOG_MAX_LEVELS)
		return 0;
	return size >> (TLOG_TILE_HEIGHT * (level + 1));
}

enum tlog_err
tlog_tree_push(struct tlog_hasher *h, struct tlog_tree *t, const uint8_t leaf[TLOG_HASH_LEN],
    const struct tlog_tile_sink *sink)
{
	uint8_t up[TLOG_HASH_LEN];
	enum tlog_err e;

	if (t->size >= TLOG_MAX_SIZE)
		return TLOG_E_FULL;
	memcpy(t->hash[0][t->count[0]++], leaf, TLOG_HASH_LEN);
	/* A level can only fill up to level 6: TLOG_MAX_SIZE < 256^8 keeps level 7 partial. */
	for (unsigned l = 0; t->count[l] == TLOG_TILE_WIDTH; l++) {
		if (l + 1 >= TLOG_MAX_LEVELS)
			return TLOG_E_FULL;
		uint64_t index = ((t->size + 1) >> (TLOG_TILE_HEIGHT * (l + 1))) - 1;
		if (sink != NULL && (e = sink->full(sink->arg, l, index,
		    (const uint8_t (*)[TLOG_HASH_LEN])t->hash[l])) != TLOG_OK)
			return e;
		if ((e = tlog_root_of(h, (const uint8_t (*)[TLOG_HASH_LEN])t->hash[l],
		    TLOG_TILE_WIDTH, up)) != TLOG_OK)
			return e;
		t->count[l] = 0;
		memcpy(t->hash[l + 1][t->count[l + 1]++], up, TLOG_HASH_LEN);
	}
	t->size++;
	return TLOG_OK;
}

enum tlog_err
tlog_tree_root(struct tlog_hasher *h, const struct tlog_tree *t, uint8_t out[TLOG_HASH_LEN])
{
	/* The binary decomposition of size, read tile level by tile level from the top: within
	 * level L the held hashes split into chunks of 128, 64, ... hashes (the set bits of
	 * count[L]), each the root of a perfect subtree of height 8L + b. */
	uint8_t peaks[TLOG_MAX_LEVELS * TLOG_TILE_HEIGHT][TLOG_HASH_LEN];
	size_t n = 0;
	enum tlog_err e;

	for (unsigned l = TLOG_MAX_LEVELS; l-- > 0;) {
		unsigned pos = 0, c = t->count[l];
		for (unsigned b = TLOG_TILE_HEIGHT; b-- > 0;) {
			if (!(c & (1u << b)))
				continue;
			if ((e = tlog_root_of(h, (const uint8_t (*)[TLOG_HASH_LEN])t->hash[l] + pos,
			    (size_t)1 << b, peaks[n++])) != TLOG_OK)
				return e;
			pos += 1u << b;
		}
	}
	return fold(h, peaks, n, out);
}

static unsigned
bitlen(uint64_t x)
{
	return x == 0 ? 0 : 64 - (unsigned)__builtin_clzll(x);
}

/* Lengths per transparency-dev/merkle proof.go decompInclProof: the inner part climbs to where
 * the leaf's path and the right border meet, the border part follows the border up. */
size_t
tlog_inclusion_len(uint64_t index, uint64_t size)
{
	if (index >= size)
		return 0;
	unsigned inner = bitlen(index ^ (size - 1));
	return inner + (size_t)__builtin_popcountll(index >> inner);
}

size_t
tlog_consistency_len(uint64_t size1, uint64_t size2)
{
	if (size1 == 0 || size1 >= size2)
		return 0;
	unsigned level = (unsigned)__builtin_ctzll(size1);
	uint64_t index = (size1 - 1) >> level;
	uint64_t size = ((size2 - 1) >> level) + 1;
	/* Unless size1 is a power of two, the proof starts with the seed hash of old root. */
	return tlog_inclusion_len(index, size) + (index != 0);
}

enum tlog_err
tlog_verify_inclusion(struct tlog_hasher *h, uint64_t index, uint64_t size,
    const uint8_t leaf[TLOG_HASH_LEN], const uint8_t (*proof)[TLOG_HASH_LEN], size_t n,
    const uint8_t root[TLOG_HASH_LEN])
{
	uint8_t r[TLOG_HASH_LEN];
	uint64_t fn = index, sn;

	if (index >= size)
		return TLOG_E_PROOF_RANGE;
	if (n != tlog_inclusion_len(index, size))
		return TLOG_E_PROOF_LEN;
	sn = size - 1;
	memcpy(r, leaf, TLOG_HASH_LEN);
	/* RFC 9162 2.1.3.2 step by step. */
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return TLOG_E_PROOF_LEN;
		if ((fn & 1) || fn == sn) {
			if (!tlog_hash_node(h, proof[i], r, r))
				return TLOG_E_CRYPTO;
			if (!(fn & 1))
				while (fn != 0 && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
		} else if (!tlog_hash_node(h, r, proof[i], r))
			return TLOG_E_CRYPTO;
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return TLOG_E_PROOF_LEN;
	return memcmp(r, root, TLOG_HASH_LEN) == 0 ? TLOG_OK : TLOG_E_PROOF_ROOT;
}

enum tlog_err
tlog_verify_consistency(struct tlog_hasher *h, uint64_t size1, uint64_t size2,
    const uint8_t (*proof)[TLOG_HASH_LEN], size_t n, const uint8_t root1[TLOG_HASH_LEN],
    const uint8_t root2[TLOG_HASH_LEN])
{
	uint8_t fr[TLOG_HASH_LEN], sr[TLOG_HASH_LEN];
	uint64_t fn, sn;
	size_t i;

	if (size2 < size1 || size1 == 0)
		return TLOG_E_PROOF_RANGE;
	if (size1 == size2) {
		if (n != 0)
			return TLOG_E_PROOF_LEN;
		return memcmp(root1, root2, TLOG_HASH_LEN) == 0 ? TLOG_OK : TLOG_E_PROOF_ROOT;
	}
	if (n != tlog_consistency_len(size1, size2))
		return TLOG_E_PROOF_LEN;
	/* RFC 9162 2.1.4.2: if size1 is a power of two the old root is the seed, else proof[0]. */
	if ((size1 & (size1 - 1)) == 0) {
		memcpy(fr, root1, TLOG_HASH_LEN);
		i = 0;
	} else {
		memcpy(fr, proof[0], TLOG_HASH_LEN);
		i = 1;
	}
	memcpy(sr, fr, TLOG_HASH_LEN);
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < n; i++) {
		if (sn == 0)
			return TLOG_E_PROOF_LEN;
		if ((fn & 1) || fn == sn) {
			if (!tlog_hash_node(h, proof[i], fr, fr) ||
			    !tlog_hash_node(h, proof[i], sr, sr))
				return TLOG_E_CRYPTO;
			if (!(fn & 1))
				while (fn != 0 && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
		} else if (!tlog_hash_node(h, sr, proof[i], sr))
			return TLOG_E_CRYPTO;
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return TLOG_E_PROOF_LEN;
	if (memcmp(fr, root1, TLOG_HASH_LEN) != 0 || memcmp(sr, root2, TLOG_HASH_LEN) != 0)
		return TLOG_E_PROOF_ROOT;
	return TLOG_OK;
}

/* Largest power of two strictly less than n (n >= 2): the RFC's split point k. */
static uint64_t
split(uint64_t n)
{
	return UINT64_C(1) << (bitlen(n - 1) - 1);
}

enum tlog_err
tlog_range_hash(struct tlog_hasher *h, const struct tlog_hash_reader *rd, uint64_t lo,
    uint64_t hi, uint8_t out[TLOG_HASH_LEN])
{
	uint8_t peaks[64][TLOG_HASH_LEN];
	size_t n = 0;
	enum tlog_err e;

	if (lo >= hi)
		return TLOG_E_ARG;
	/* Perfect subtrees of decreasing height, left to right; each must start aligned. */
	for (uint64_t a = lo; a < hi;) {
		unsigned p = bitlen(hi - a) - 1;
		if ((a & ((UINT64_C(1) << p) - 1)) != 0 || n >= 64)
			return TLOG_E_ARG;
		if ((e = rd->get(rd->arg, p, a >> p, peaks[n++])) != TLOG_OK)
			return e;
		a += UINT64_C(1) << p;
	}
	return fold(h, peaks, n, out);
}

static enum tlog_err
add_range(struct tlog_hasher *h, const struct tlog_hash_reader *rd, uint64_t lo, uint64_t hi,
    uint8_t (*out)[TLOG_HASH_LEN], size_t *n)
{
	if (*n >= TLOG_MAX_PROOF)
		return TLOG_E_PROOF_LEN;
	return tlog_range_hash(h, rd, lo, hi, out[(*n)++]);
}

/* PATH(m, D[lo:hi]) of RFC 9162 2.1.3.1; recursion depth <= 63 (one level per split). */
static enum tlog_err
path(struct tlog_hasher *h, const struct tlog_hash_reader *rd, uint64_t m, uint64_t lo,
    uint64_t hi, uint8_t (*out)[TLOG_HASH_LEN], size_t *n)
{
	enum tlog_err e;

	if (hi - lo == 1)
		return TLOG_OK;
	uint64_t k = split(hi - lo);
	if (m < lo + k) {
		if ((e = path(h, rd, m, lo, lo + k, out, n)) != TLOG_OK)
			return e;
		return add_range(h, rd, lo + k, hi, out, n);
	}
	if ((e = path(h, rd, m, lo + k, hi, out, n)) != TLOG_OK)
		return e;
	return add_range(h, rd, lo, lo + k, out, n);
}

/* SUBPROOF(m, D[lo:hi], b) of RFC 9162 2.1.4.1, m counted from lo. */
static enum tlog_err
subproof(struct tlog_hasher *h, const struct tlog_hash_reader *rd, uint64_t m, uint64_t lo,
    uint64_t hi, int b, uint8_t (*out)[TLOG_HASH_LEN], size_t *n)
{
	enum tlog_err e;

	if (m == hi - lo)
		return b ? TLOG_OK : add_range(h, rd, lo, hi, out, n);
	uint64_t k = split(hi - lo);
	if (m <= k) {
		if ((e = subproof(h, rd, m, lo, lo + k, b, out, n)) != TLOG_OK)
			return e;
		return add_range(h, rd, lo + k, hi, out, n);
	}
	if ((e = subproof(h, rd, m - k, lo + k, hi, 0, out, n)) != TLOG_OK)
		return e;
	return add_range(h, rd, lo, lo + k, out, n);
}

enum tlog_err
tlog_prove_inclusion(struct tlog_hasher *h, const struct tlog_hash_reader *rd, uint64_t index,
    uint64_t size, uint8_t (*out)[TLOG_HASH_LEN], size_t *out_n)
{
	*out_n = 0;
	if (index >= size || size > TLOG_MAX_SIZE)
		return TLOG_E_PROOF_RANGE;
	return path(h, rd, index, 0, size, out, out_n);
}

enum tlog_err
tlog_prove_consistency(struct tlog_hasher *h, const struct tlog_hash_reader *rd, uint64_t size1,
    uint64_t size2, uint8_t (*out)[TLOG_HASH_LEN], size_t *out_n)
{
	*out_n = 0;
	if (size1 == 0 || size1 > size2 || size2 > TLOG_MAX_SIZE)
		return TLOG_E_PROOF_RANGE;
	if (size1 == size2)
		return TLOG_OK;
	return subproof(h, rd, size1, 0, size2, 1, out, out_n);
}
