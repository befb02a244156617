/*
 * The recent-set of X2/X3 PDU fingerprints of one delivery stream: how the MDF recognises a PDU
 * that a POI sends again after a reconnection (TS 103 221-2 gives no delivery acknowledgement,
 * so an at-least-once POI resends what it could not see acknowledged).
 *
 * Two generations of open-addressing tables of 64-bit fingerprints (0 = empty slot).  Inserts
 * go to the current generation; when it holds `window` fingerprints it becomes the previous one
 * and the old previous one is cleared.  A lookup checks both.  So the set always remembers at
 * least the last `window` fingerprints inserted (and at most 2 x window), with no deletion, no
 * per-entry allocation and O(1) work per PDU.  Fingerprints are keyed SipHash values (mdf_encode.h),
 * so two different PDUs collide with probability about 2 x window / 2^64 per lookup.
 * Memory: 2 tables of the next power of two >= 2 x window slots, 8 octets each (32 MiB for a
 * window of 1M; 4 MiB for the default 131072).
 * Layout: the two generations are interleaved by groups of 8 slots (one 64-octet cache line
 * each), so that slot i of both generations lies in one aligned 128-octet pair of lines: a
 * lookup (both generations, and a probe run up to the end of its group) touches two adjacent
 * lines, which one prefetch pair loads.  The tables are larger than the caches, so the memory is 2 MiB-aligned and
 * advised for transparent huge pages (fewer TLB misses; a hint, nothing depends on it).
 * Thread safety: none.
 */
#ifndef OVERT_MDF_MDF_DEDUP_H
#define OVERT_MDF_MDF_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#define MDF_DEDUP_MIN	16
#define MDF_DEDUP_MAX	(1u << 24)

struct mdf_dedup {
	uint64_t *tab;		/* both generations, interleaved (mdf_dedup_at) */
	size_t n[2];		/* fingerprints in each generation */
	size_t mask;		/* slots per generation - 1 */
	size_t window;
	int cur;
};

/* Slot i of generation g: groups of 8 slots (a cache line), generation 0 then 1. */
static inline size_t
mdf_dedup_at(int g, size_t i)
{
	return ((i & ~(size_t)3) << 1) | ((size_t)g << 2) | (i & 3);
}

/* window in [MDF_DEDUP_MIN, MDF_DEDUP_MAX].  0, or -1 (EINVAL/ENOMEM). */
int mdf_dedup_init(struct mdf_dedup *d, size_t window);
void mdf_dedup_cleanup(struct mdf_dedup *d);
/* 1 if fp (non-zero) is in the set. */
int mdf_dedup_seen(const struct mdf_dedup *d, uint64_t fp);
/* Adds fp (non-zero; adding one already present is harmless but uses room). */
void mdf_dedup_add(struct mdf_dedup *d, uint64_t fp);
/* The same when the caller knows fp is absent (mdf_dedup_seen said so, nothing added since):
 * skips the lookup. */
void mdf_dedup_add_new(struct mdf_dedup *d, uint64_t fp);
/* Starts loading the cache lines a lookup of fp will touch (the tables are larger than the
 * caches; the core calls this early, before decoding the PDU, to overlap the misses). */
static inline void
mdf_dedup_prefetch(const struct mdf_dedup *d, uint64_t fp)
{
	__builtin_prefetch(&d->tab[mdf_dedup_at(0, (size_t)fp & d->mask)]);
}

/* Fingerprints remembered now. */
size_t mdf_dedup_count(const struct mdf_dedup *d);

#endif
