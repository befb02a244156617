/*
 * Merkle tree hashing and proofs of RFC 9162 section 2.1 (= RFC 6962 section 2.1), SHA-256.
 *
 *   leaf hash  = SHA-256(0x00 || entry)
 *   node hash  = SHA-256(0x01 || left || right)
 *   MTH({})    = SHA-256("")
 *   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n
 *
 * Hashing goes through OpenSSL 3 (EVP, one reused context per struct tlog_hasher).  The tree
 * itself is held tile by tile (C2SP tlog-tiles: 256 hashes per tile, a level-L hash covers
 * 256^L leaves), which is both how the log is stored and the only state a writer or an auditor
 * needs to extend it: struct tlog_tree holds the rightmost tile of every level (64 KiB).
 *
 * Thread safety: a hasher or a tree belongs to one thread at a time; the rest is pure.
 * Nothing here allocates except tlog_hasher_new.
 */
#ifndef OVERT_TLOG_MERKLE_H
#define OVERT_TLOG_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "tlog/tlog_err.h"

#define TLOG_HASH_LEN	 32
#define TLOG_TILE_HEIGHT 8			/* C2SP tlog-tiles: tiles are 2^8 hashes wide */
#define TLOG_TILE_WIDTH	 256
#define TLOG_MAX_LEVELS	 8			/* 256^8 = 2^64 leaves */
#define TLOG_MAX_SIZE	 (UINT64_C(1) << 62)	/* tree size limit, leaves */
#define TLOG_MAX_PROOF	 64			/* hashes in any proof for size < 2^63 */

struct tlog_hasher;

/* A SHA-256 context for the leaf/node hashes.  Returns NULL if OpenSSL cannot allocate. */
struct tlog_hasher *tlog_hasher_new(void);
void tlog_hasher_free(struct tlog_hasher *);

/* Leaf and node hashes.  Return 1, or 0 if OpenSSL failed (out is then undefined). */
int tlog_hash_leaf(struct tlog_hasher *, const void *data, size_t len,
    uint8_t out[TLOG_HASH_LEN]);
int tlog_hash_node(struct tlog_hasher *, const uint8_t left[TLOG_HASH_LEN],
    const uint8_t right[TLOG_HASH_LEN], uint8_t out[TLOG_HASH_LEN]);
/* MTH of the empty tree: SHA-256 of the empty string. */
void tlog_hash_empty(uint8_t out[TLOG_HASH_LEN]);

/* MTH over n already-hashed leaves (hashes[i] is the leaf hash of D[i]); n may be 0. */
enum tlog_err tlog_root_of(struct tlog_hasher *, const uint8_t (*hashes)[TLOG_HASH_LEN],
    size_t n, uint8_t out[TLOG_HASH_LEN]);

/*
 * Right edge of a tree, tile by tile.  count[L] hashes of level L are held (count[L] =
 * floor(size / 256^L) mod 256); full tiles are handed to a callback and dropped.
 */
struct tlog_tree {
	uint64_t size;
	uint16_t count[TLOG_MAX_LEVELS];
	uint8_t hash[TLOG_MAX_LEVELS][TLOG_TILE_WIDTH][TLOG_HASH_LEN];
};

/* Called with each tile that becomes full (256 hashes) at `level`, tile number `index`, before
 * the tile's root is added to the level above.  A non-TLOG_OK return aborts the push and is
 * returned by tlog_tree_push (the tree is then unusable). */
struct tlog_tile_sink {
	enum tlog_err (*full)(void *arg, unsigned level, uint64_t index,
	    const uint8_t (*hashes)[TLOG_HASH_LEN]);
	void *arg;
};

void tlog_tree_init(struct tlog_tree *);
/* Appends one leaf hash; sink may be NULL.  TLOG_E_FULL at TLOG_MAX_SIZE, TLOG_E_CRYPTO. */
enum tlog_err tlog_tree_push(struct tlog_hasher *, struct tlog_tree *,
    const uint8_t leaf[TLOG_HASH_LEN], const struct tlog_tile_sink *sink);
/* MTH of the whole tree held. */
enum tlog_err tlog_tree_root(struct tlog_hasher *, const struct tlog_tree *,
    uint8_t out[TLOG_HASH_LEN]);
/* Number of hashes in the rightmost tile of `level` for a tree of `size` leaves, and that
 * tile's number. */
unsigned tlog_tree_width(uint64_t size, unsigned level);
uint64_t tlog_tree_tile_index(uint64_t size, unsigned level);

/*
 * Proof verification, RFC 9162 2.1.3.2 (inclusion) and 2.1.4.2 (consistency), with the edge
 * cases of transparency-dev/merkle: the proof must have exactly the expected length; a
 * consistency proof from size 0 is refused (TLOG_E_PROOF_RANGE); size1 == size2 needs an empty
 * proof and equal roots.
 */
enum tlog_err tlog_verify_inclusion(struct tlog_hasher *, uint64_t index, uint64_t size,
    const uint8_t leaf[TLOG_HASH_LEN], const uint8_t (*proof)[TLOG_HASH_LEN], size_t n,
    const uint8_t root[TLOG_HASH_LEN]);
enum tlog_err tlog_verify_consistency(struct tlog_hasher *, uint64_t size1, uint64_t size2,
    const uint8_t (*proof)[TLOG_HASH_LEN], size_t n, const uint8_t root1[TLOG_HASH_LEN],
    const uint8_t root2[TLOG_HASH_LEN]);
/* Expected proof lengths (0 for the refused cases). */
size_t tlog_inclusion_len(uint64_t index, uint64_t size);
size_t tlog_consistency_len(uint64_t size1, uint64_t size2);

/*
 * Proof generation from stored hashes.  The reader returns the hash of the perfect subtree of
 * 2^height leaves whose first leaf is index << height (for tiles: see tlog/tile.h).
 */
struct tlog_hash_reader {
	enum tlog_err (*get)(void *arg, unsigned height, uint64_t index,
	    uint8_t out[TLOG_HASH_LEN]);
	void *arg;
};

/* MTH(D[lo:hi]) for 0 <= lo < hi, lo a multiple of the largest power of two <= hi - lo (the
 * ranges the RFC recursion produces). */
enum tlog_err tlog_range_hash(struct tlog_hasher *, const struct tlog_hash_reader *,
    uint64_t lo, uint64_t hi, uint8_t out[TLOG_HASH_LEN]);
/* Inclusion proof of leaf `index` in a tree of `size`; out has room for TLOG_MAX_PROOF. */
enum tlog_err tlog_prove_inclusion(struct tlog_hasher *, const struct tlog_hash_reader *,
    uint64_t index, uint64_t size, uint8_t (*out)[TLOG_HASH_LEN], size_t *out_n);
/* Consistency proof from size1 to size2 (0 < size1 <= size2). */
enum tlog_err tlog_prove_consistency(struct tlog_hasher *, const struct tlog_hash_reader *,
    uint64_t size1, uint64_t size2, uint8_t (*out)[TLOG_HASH_LEN], size_t *out_n);

#endif
