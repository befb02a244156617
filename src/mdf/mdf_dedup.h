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
 * Thread safety: none.
 */
#ifndef OVERT_MDF_MDF_DEDUP_H
#define OVERT_MDF_MDF_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#define MDF_DEDUP_MIN	16
#define MDF_DEDUP_MAX	(1u << 24)

struct mdf_dedup {
	uint64_t *slot[2];
	size_t n[2];		/* fingerprints in each generation */
	size_t mask;		/* slots - 1 */
	size_t window;
	int cur;
};

/* window in [MDF_DEDUP_MIN, MDF_DEDUP_MAX].  0, or -1 (EINVAL/ENOMEM). */
int mdf_dedup_init(struct mdf_dedup *d, size_t window);
void mdf_dedup_cleanup(struct mdf_dedup *d);
/* 1 if fp (non-zero) is in the set. */
int mdf_dedup_seen(const struct mdf_dedup *d, uint64_t fp);
/* Adds fp (non-zero; adding one already present is harmless but uses room). */
void mdf_dedup_add(struct mdf_dedup *d, uint64_t fp);
/* Starts loading the cache lines a lookup of fp will touch (the tables are larger than the
 * caches; the core calls this early, before decoding the PDU, to overlap the misses). */
static inline void
mdf_dedup_prefetch(const struct mdf_dedup *d, uint64_t fp)
{
	__builtin_prefetch(&d->slot[0][(size_t)fp & d->mask]);
	__builtin_prefetch(&d->slot[1][(size_t)fp & d->mask]);
}

/* Fingerprints remembered now. */
size_t mdf_dedup_count(const struct mdf_dedup *d);

#endif
