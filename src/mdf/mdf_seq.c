/*
 * Per-stream sequence counter table (contract in mdf_seq.h): pooled entries, linear-probing
 * index with backward-shift deletion (no tombstones, so lookups stay short after evictions).
 */
#include "mdf/mdf_seq.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_ENTRIES	256
#define MAX_ENTRIES	(1u << 26)

struct chunk {
	struct chunk *next;
	struct mdf_cin e[CHUNK_ENTRIES];
};

struct mdf_seqtab {
	struct mdf_cin **index;
	size_t mask;
	size_t count, max;
	struct chunk *chunks;
	struct mdf_cin *free;
	uint64_t removals;	/* entries removed so far (mdf_seqtab_removals) */
};

static uint64_t
key_hash(const uint8_t *liid, size_t len, uint32_t cin)
{
	/* The LIID 8 octets at a time (a multiply each: a LIID is up to 25 octets), then mixed
	 * with the CIN (already a keyed hash) by a 64-bit finaliser so that the low bits index
	 * well.  In memory only: nothing stores it. */
	uint64_t h = 0xcbf29ce484222325ULL ^ len;
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, liid, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
		liid += 8;
		len -= 8;
	}
	if (len > 0) {
		uint64_t w = 0;
		memcpy(&w, liid, len);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	h ^= (uint64_t)cin * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

struct mdf_seqtab *
mdf_seqtab_new(size_t max)
{
	struct mdf_seqtab *t;

	if (max < 1 || max > MAX_ENTRIES || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->max = max;
	t->mask = 63;
	if ((t->index = calloc(t->mask + 1, sizeof(*t->index))) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void
mdf_seqtab_free(struct mdf_seqtab *t)
{
	if (t == NULL)
		return;
	while (t->chunks != NULL) {
		struct chunk *c = t->chunks;
		t->chunks = c->next;
		free(c);
	}
	free(t->index);
	free(t);
}

static int
entry_is(const struct mdf_cin *e, uint64_t h, const uint8_t *liid, size_t len, uint32_t cin)
{
	return e->hash == h && e->hs.hdr.cin == cin && e->hs.hdr.liid.len == len &&
	    memcmp(e->hs.liid, liid, len) == 0;
}

struct mdf_cin *
mdf_seqtab_find(struct mdf_seqtab *t, const uint8_t *liid, size_t len, uint32_t cin)
{
	uint64_t h = key_hash(liid, len, cin);
	for (size_t i = (size_t)h & t->mask; t->index[i] != NULL; i = (i + 1) & t->mask)
		if (entry_is(t->index[i], h, liid, len, cin))
			return t->index[i];
	return NULL;
}

static void
place(struct mdf_cin **index, size_t mask, struct mdf_cin *e)
{
	size_t i = (size_t)e->hash & mask;
	while (index[i] != NULL)
		i = (i + 1) & mask;
	index[i] = e;
}

static int
grow(struct mdf_seqtab *t)
{
	size_t nmask = t->mask * 2 + 1;
	struct mdf_cin **n = calloc(nmask + 1, sizeof(*n));
	if (n == NULL)
		return -1;
	for (size_t i = 0; i <= t->mask; i++)
		if (t->index[i] != NULL)
			place(n, nmask, t->index[i]);
	free(t->index);
	t->index = n;
	t->mask = nmask;
	return 0;
}

static struct mdf_cin *
entry_alloc(struct mdf_seqtab *t)
{
	if (t->free == NULL) {
		struct chunk *c = malloc(sizeof(*c));
		if (c == NULL)
			return NULL;
		c->next = t->chunks;
		t->chunks = c;
		for (size_t i = 0; i < CHUNK_ENTRIES; i++) {
			c->e[i].free_next = t->free;
			t->free = &c->e[i];
		}
	}
	struct mdf_cin *e = t->free;
	t->free = e->free_next;
	return e;
}

struct mdf_cin *
mdf_seqtab_add(struct mdf_seqtab *t, const struct hi2_pshdr *hdr, enum hi2_err *hi2)
{
	struct hi2_diag d;
	struct mdf_cin *e;

	*hi2 = HI2_OK;
	if (t->count >= t->max)
		return NULL;
	if ((t->count + 1) * 2 > t->mask + 1 && grow(t) != 0)
		return NULL;
	if ((e = entry_alloc(t)) == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	if ((*hi2 = hi2_stream_init(&e->hs, hdr, &d)) != HI2_OK) {
		e->free_next = t->free;
		t->free = e;
		return NULL;
	}
	e->hash = key_hash(hdr->liid.p, hdr->liid.len, hdr->cin);
	e->saved = hdr->seq;
	place(t->index, t->mask, e);
	t->count++;
	return e;
}

static void
remove_at(struct mdf_seqtab *t, size_t i)
{
	struct mdf_cin *e = t->index[i];
	size_t j = i;

	t->index[i] = NULL;
	/* Backward shift: pull later entries of the probe run into the hole when their home
	 * slot is not cyclically within (hole, j]. */
	for (;;) {
		j = (j + 1) & t->mask;
		if (t->index[j] == NULL)
			break;
		size_t k = (size_t)t->index[j]->hash & t->mask;
		int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stays) {
			t->index[i] = t->index[j];
			t->index[j] = NULL;
			i = j;
		}
	}
	e->free_next = t->free;
	t->free = e;
	t->count--;
	t->removals++;
}

void
mdf_seqtab_remove(struct mdf_seqtab *t, struct mdf_cin *e)
{
	for (size_t i = (size_t)e->hash & t->mask; t->index[i] != NULL; i = (i + 1) & t->mask) {
		if (t->index[i] == e) {
			remove_at(t, i);
			return;
		}
	}
}

size_t
mdf_seqtab_count(const struct mdf_seqtab *t)
{
	return t->count;
}

uint64_t
mdf_seqtab_removals(const struct mdf_seqtab *t)
{
	return t->removals;
}

size_t
mdf_seqtab_max(const struct mdf_seqtab *t)
{
	return t->max;
}

int
mdf_seqtab_foreach(struct mdf_seqtab *t, int (*cb)(void *, struct mdf_cin *), void *arg)
{
	for (size_t i = 0; i <= t->mask; i++) {
		int r;
		if (t->index[i] != NULL && (r = cb(arg, t->index[i])) != 0)
			return r;
	}
	return 0;
}

size_t
mdf_seqtab_evict(struct mdf_seqtab *t, uint64_t now, uint64_t idle_ms)
{
	size_t n = 0;
	/* A removal may shift a later entry into slot i: look at i again before moving on.
	 * Bounded: each step either removes an entry or advances i. */
	for (size_t i = 0; i <= t->mask;) {
		struct mdf_cin *e = t->index[i];
		if (e != NULL && e->hs.hdr.seq == e->saved && e->last_used + idle_ms <= now) {
			remove_at(t, i);
			n++;
			continue;
		}
		i++;
	}
	return n;
}
