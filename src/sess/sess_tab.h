/*
 * Fixed-size open-addressing hash table for the session tracker (internal).
 *
 * Slots hold a 64-bit keyed hash of the key, a 32-bit value (an index into one of the
 * tracker's pools) and a 32-bit tag; the key itself lives in the pooled object and the caller
 * verifies it.  Linear probing with backward-shift deletion (no tombstones), capacity a power of
 * two fixed at init and at least twice the key cap, so probe runs stay short and every lookup
 * ends at an empty slot.  Inserts beyond 3/4 load are refused (the caller counts overflow).
 * Hashes are keyed with a per-tracker random seed so crafted TEIDs cannot aim at one bucket.
 * Thread safety: none.
 */
#ifndef OVERT_SESS_SESS_TAB_H
#define OVERT_SESS_SESS_TAB_H

#include <stddef.h>
#include <stdint.h>

struct sess_tab_slot {
	uint64_t h;		/* 0 = empty; stored hashes have bit 0 forced to 1 */
	uint32_t val;
	uint32_t tag;
};

struct sess_tab {
	struct sess_tab_slot *slots;
	uint32_t mask;
	uint32_t count;
	uint32_t limit;		/* 3/4 of capacity */
};

/* Capacity = smallest power of two >= 2 * keys (at least 16).  Returns 0, or -1 on ENOMEM. */
int sess_tab_init(struct sess_tab *t, uint32_t keys);
void sess_tab_free(struct sess_tab *t);
/* Returns 0, or -1 when the table is at its load limit. */
int sess_tab_add(struct sess_tab *t, uint64_t h, uint32_t val, uint32_t tag);
/* Removes the slot holding exactly (h, val, tag); returns 1 if one was removed. */
int sess_tab_del(struct sess_tab *t, uint64_t h, uint32_t val, uint32_t tag);

static inline uint64_t
sess_tab_fix(uint64_t h)
{
	return h | 1;
}

/* Probe iteration: for (i = sess_tab_first(t, h); i != UINT32_MAX; i = sess_tab_next(t, h, i))
 * visits every slot whose stored hash equals h. */
static inline uint32_t
sess_tab_scan(const struct sess_tab *t, uint64_t h, uint32_t i)
{
	for (;; i = (i + 1) & t->mask) {
		if (t->slots[i].h == 0)
			return UINT32_MAX;
		if (t->slots[i].h == h)
			return i;
	}
}

static inline uint32_t
sess_tab_first(const struct sess_tab *t, uint64_t h)
{
	return sess_tab_scan(t, h, (uint32_t)(h >> 32) & t->mask);
}

static inline uint32_t
sess_tab_next(const struct sess_tab *t, uint64_t h, uint32_t i)
{
	return sess_tab_scan(t, h, (i + 1) & t->mask);
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
