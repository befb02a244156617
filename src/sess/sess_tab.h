/*
 * Fixed-size open-addressing hash table for the session tracker (internal).
 *
 * A slot is 8 octets: the upper 32 bits of a 64-bit keyed hash of the key (the fingerprint,
 * never 0; 0 marks an empty slot) and a reference: an index into one of the tracker's pools
 * with a 4-bit tag (which endpoint or identity kind of that object the key is).  The key itself
 * lives in the pooled object and the caller verifies it, so a fingerprint collision costs one
 * extra compare, never a wrong answer.  Eight slots share a cache line, so a probe run rarely
 * leaves the first line it touches.
 *
 * Linear probing from home = fingerprint & mask, backward-shift deletion (no tombstones).
 * Capacity is a power of two fixed at init, at least 4/3 of the key cap: inserts beyond 3/4
 * load are refused (the caller counts overflow), so every lookup ends at an empty slot after a
 * short run.  Hashes are keyed with a per-tracker random seed so that crafted TEIDs cannot aim
 * at one bucket.  Thread safety: none.
 */
#ifndef OVERT_SESS_SESS_TAB_H
#define OVERT_SESS_SESS_TAB_H

#include <stddef.h>
#include <stdint.h>

struct sess_tab_slot {
	uint32_t fp;		/* fingerprint, 0 = empty */
	uint32_t ref;		/* pool index << SESS_TAB_TAG_BITS | tag */
};

#define SESS_TAB_TAG_BITS	4
#define SESS_TAB_TAG_MASK	((1u << SESS_TAB_TAG_BITS) - 1)
#define SESS_TAB_MAX_INDEX	((1u << (32 - SESS_TAB_TAG_BITS)) - 1)	/* pools stay below */

struct sess_tab {
	struct sess_tab_slot *slots;
	uint32_t mask;
	uint32_t count;
	uint32_t limit;		/* 3/4 of capacity */
};

/*
 * Capacity = smallest power of two >= 4/3 * keys (at least 16).  Returns 0, or -1 on ENOMEM or
 * a capacity over 2^31.  Tables of 2 MiB or more are mapped with transparent huge pages
 * requested and committed at once: lookups land anywhere in them, so with 4 KiB pages nearly
 * every probe would also miss the TLB, and random access makes them resident within seconds
 * of traffic anyway; committing them here keeps page faults (and huge-page compaction, which
 * can take milliseconds) off the packet path.  Smaller tables come from calloc, so that
 * test-sized trackers stay under the sanitizers' bounds checks.  Huge pages and committing
 * are advice: where the kernel refuses them, memory is faulted in as usual.
 */
int sess_tab_init(struct sess_tab *t, uint32_t keys);
void sess_tab_free(struct sess_tab *t);
/* Returns 0, or -1 when the table is at its load limit. */
int sess_tab_add(struct sess_tab *t, uint32_t fp, uint32_t ref);
/* Removes the slot holding exactly (fp, ref); returns 1 if one was removed. */
int sess_tab_del(struct sess_tab *t, uint32_t fp, uint32_t ref);

static inline size_t
sess_tab_bytes(const struct sess_tab *t)
{
	return ((size_t)t->mask + 1) * sizeof(struct sess_tab_slot);
}

static inline uint32_t
sess_ref(uint32_t index, uint32_t tag)
{
	return index << SESS_TAB_TAG_BITS | tag;
}

static inline uint32_t
sess_ref_index(uint32_t ref)
{
	return ref >> SESS_TAB_TAG_BITS;
}

static inline uint32_t
sess_ref_tag(uint32_t ref)
{
	return ref & SESS_TAB_TAG_MASK;
}

/* The fingerprint of a 64-bit keyed hash: its upper half, 0 mapped to 1. */
static inline uint32_t
sess_tab_fp(uint64_t h)
{
	uint32_t fp = (uint32_t)(h >> 32);

	return fp != 0 ? fp : 1;
}

/* Probe iteration: for (i = sess_tab_first(t, fp); i != UINT32_MAX; i = sess_tab_next(t, fp, i))
 * visits, oldest insertion first, every slot holding fingerprint fp. */
static inline uint32_t
sess_tab_scan(const struct sess_tab *t, uint32_t fp, uint32_t i)
{
	for (;; i = (i + 1) & t->mask) {
		if (t->slots[i].fp == 0)
			return UINT32_MAX;
		if (t->slots[i].fp == fp)
			return i;
	}
}

static inline uint32_t
sess_tab_first(const struct sess_tab *t, uint32_t fp)
{
	return sess_tab_scan(t, fp, fp & t->mask);
}

static inline uint32_t
sess_tab_next(const struct sess_tab *t, uint32_t fp, uint32_t i)
{
	return sess_tab_scan(t, fp, (i + 1) & t->mask);
}

/* Starts loading the cache line of fp's home slot (a hint; no effect on the table).  The tracker
 * issues these for every key a message will look up, insert or delete before it touches the
 * first one, so that the misses on a large table overlap instead of following each other. */
static inline void
sess_tab_prefetch(const struct sess_tab *t, uint32_t fp)
{
	__builtin_prefetch(&t->slots[fp & t->mask], 1);
}

/* Keyed 64-bit mixing (the MurmurHash3 finaliser applied per word).  Not cryptographic: the
 * seed only keeps outsiders from predicting bucket positions. */
static inline uint64_t
sess_mix(uint64_t h, uint64_t w)
{
	h ^= w;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

#endif
