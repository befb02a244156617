/*
 * Two-generation fingerprint set (contract in mdf_dedup.h).  Linear probing by cache line
 * (probe() below) with the load factor at most 1/2, so a probe sequence is short and always ends
 * at an empty slot.
 */
#include "mdf/mdf_dedup.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE	(2u << 20)

int
mdf_dedup_init(struct mdf_dedup *d, size_t window)
{
	size_t slots = 8, bytes;
	void *p = NULL;

	memset(d, 0, sizeof(*d));
	if (window < MDF_DEDUP_MIN || window > MDF_DEDUP_MAX)
		return -1;
	while (slots < 2 * window)
		slots <<= 1;
	bytes = 2 * slots * sizeof(uint64_t);
	if (posix_memalign(&p, bytes >= HUGE_PAGE ? HUGE_PAGE : 128, bytes) != 0)
		return -1;
#ifdef MADV_HUGEPAGE
	if (bytes >= HUGE_PAGE)
		(void)madvise(p, bytes, MADV_HUGEPAGE);	/* a hint: fewer TLB misses */
#endif
	memset(p, 0, bytes);	/* touched now, not on the first PDUs */
	d->tab = p;
	d->mask = slots - 1;
	d->window = window;
	return 0;
}

void
mdf_dedup_cleanup(struct mdf_dedup *d)
{
	free(d->tab);
	d->tab = NULL;
}

/* The probe sequence of fp: its home group of 4 slots (one cache line, with the other
 * generation's 4) from its home slot round to the slot before it, then the following groups
 * whole, in the same rotated order.  So a lookup leaves its line only when the group is full.
 * Fingerprints are uniformly distributed already (SipHash output): the low bits index. */
static inline size_t
probe(uint64_t fp, size_t mask, size_t step)
{
	size_t home = (size_t)fp & mask;
	return (((home & ~(size_t)3) + (step & ~(size_t)3)) & mask) | ((home + step) & 3);
}

static inline int
table_has(const uint64_t *t, int g, size_t mask, uint64_t fp)
{
	for (size_t step = 0;; step++) {
		uint64_t v = t[mdf_dedup_at(g, probe(fp, mask, step))];
		if (v == fp)
			return 1;
		if (v == 0)
			return 0;
	}
}

int
mdf_dedup_seen(const struct mdf_dedup *d, uint64_t fp)
{
	return table_has(d->tab, d->cur, d->mask, fp) ||
	    table_has(d->tab, d->cur ^ 1, d->mask, fp);
}

void
mdf_dedup_add(struct mdf_dedup *d, uint64_t fp)
{
	if (table_has(d->tab, d->cur, d->mask, fp))
		return;
	mdf_dedup_add_new(d, fp);
}

void
mdf_dedup_add_new(struct mdf_dedup *d, uint64_t fp)
{
	if (d->n[d->cur] == d->window) {
		/* The current generation is full: it becomes the previous one. */
		d->cur ^= 1;
		for (size_t i = 0; i <= d->mask; i += 4)
			memset(&d->tab[mdf_dedup_at(d->cur, i)], 0, 4 * sizeof(uint64_t));
		d->n[d->cur] = 0;
	}
	size_t step = 0;
	while (d->tab[mdf_dedup_at(d->cur, probe(fp, d->mask, step))] != 0)
		step++;
	d->tab[mdf_dedup_at(d->cur, probe(fp, d->mask, step))] = fp;
	d->n[d->cur]++;
}

size_t
mdf_dedup_count(const struct mdf_dedup *d)
{
	return d->n[0] + d->n[1];
}
