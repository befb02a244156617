/*
 * Two-generation fingerprint set (contract in mdf_dedup.h).  Linear probing with the load
 * factor at most 1/2, so a probe sequence is short and always ends at an empty slot.
 */
#include "mdf/mdf_dedup.h"

#include <stdlib.h>
#include <string.h>

int
mdf_dedup_init(struct mdf_dedup *d, size_t window)
{
	size_t slots = 1;

	memset(d, 0, sizeof(*d));
	if (window < MDF_DEDUP_MIN || window > MDF_DEDUP_MAX)
		return -1;
	while (slots < 2 * window)
		slots <<= 1;
	d->slot[0] = calloc(slots, sizeof(uint64_t));
	d->slot[1] = calloc(slots, sizeof(uint64_t));
	if (d->slot[0] == NULL || d->slot[1] == NULL) {
		mdf_dedup_cleanup(d);
		return -1;
	}
	d->mask = slots - 1;
	d->window = window;
	return 0;
}

void
mdf_dedup_cleanup(struct mdf_dedup *d)
{
	free(d->slot[0]);
	free(d->slot[1]);
	d->slot[0] = d->slot[1] = NULL;
}

/* Fingerprints are uniformly distributed already (SipHash output): the low bits index. */
static int
table_has(const uint64_t *t, size_t mask, uint64_t fp)
{
	for (size_t i = (size_t)fp & mask;; i = (i + 1) & mask) {
		if (t[i] == fp)
			return 1;
		if (t[i] == 0)
			return 0;
	}
}

int
mdf_dedup_seen(const struct mdf_dedup *d, uint64_t fp)
{
	return table_has(d->slot[d->cur], d->mask, fp) ||
	    table_has(d->slot[d->cur ^ 1], d->mask, fp);
}

void
mdf_dedup_add(struct mdf_dedup *d, uint64_t fp)
{
	if (table_has(d->slot[d->cur], d->mask, fp))
		return;
	if (d->n[d->cur] == d->window) {
		/* The current generation is full: it becomes the previous one. */
		d->cur ^= 1;
		memset(d->slot[d->cur], 0, (d->mask + 1) * sizeof(uint64_t));
		d->n[d->cur] = 0;
	}
	uint64_t *t = d->slot[d->cur];
	size_t i = (size_t)fp & d->mask;
	while (t[i] != 0)
		i = (i + 1) & d->mask;
	t[i] = fp;
	d->n[d->cur]++;
}

size_t
mdf_dedup_count(const struct mdf_dedup *d)
{
	return d->n[0] + d->n[1];
}
