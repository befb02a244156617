/*
 * Open-addressing hash table (linear probing, power-of-two size, load <= 1/2) from identity key
 * to a short list of tasks.  A key whose last task leaves is deleted by backward shift (the
 * entries after it in its run move up to their home or the hole), so no tombstones accumulate
 * and every probe still stops at the first empty slot.
 */
#include "poi/poi_targets.h"

#include <stdlib.h>
#include <string.h>

struct slot {
	uint64_t key;	/* 0 = empty */
	size_t ntasks;
	void *tasks[POI_TARGETS_MAX_PER_ID];
};

struct poi_targets {
	struct slot *slots;
	size_t cap;	/* power of two */
	size_t used;
};

uint64_t
poi_id_key(enum poi_id_kind kind, const char *digits, size_t len)
{
	size_t want = len;
	if (kind == POI_ID_IMEI) {
		if (len < 14 || len > 16)
			return 0;
		want = 14;
	}
	if (want == 0 || want > 15)
		return 0;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (digits[i] < '0' || digits[i] > '9')
			return 0;
		if (i < want)
			v = v * 10 + (uint64_t)(digits[i] - '0');
	}
	/* 10^15 < 2^50: value in bits 0..49, digit count in 50..53, kind in 54..55. */
	return v | ((uint64_t)want << 50) | ((uint64_t)kind << 54);
}

static inline size_t
hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return (size_t)k;
}

struct poi_targets *
poi_targets_new(void)
{
	struct poi_targets *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cap = 16;
	t->slots = calloc(t->cap, sizeof(*t->slots));
	if (t->slots == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void
poi_targets_free(struct poi_targets *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t);
}

void
poi_targets_clear(struct poi_targets *t)
{
	memset(t->slots, 0, t->cap * sizeof(*t->slots));
	t->used = 0;
}

static struct slot *
probe(struct slot *slots, size_t cap, uint64_t key)
{
	size_t i = hash64(key) & (cap - 1);
	while (slots[i].key != 0 && slots[i].key != key)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int
grow(struct poi_targets *t)
{
	size_t ncap = t->cap * 2;
	struct slot *ns = calloc(ncap, sizeof(*ns));
	if (ns == NULL)
		return -1;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].key != 0)
			*probe(ns, ncap, t->slots[i].key) = t->slots[i];
	free(t->slots);
	t->slots = ns;
	t->cap = ncap;
	return 0;
}

int
poi_targets_add(struct poi_targets *t, uint64_t key, void *task)
{
	if (key == 0)
		return -1;
	if ((t->used + 1) * 2 > t->cap && grow(t) < 0)
		return -1;
	struct slot *s = probe(t->slots, t->cap, key);
	if (s->key == 0) {
		s->key = key;
		s->ntasks = 0;
		t->used++;
	}
	for (size_t i = 0; i < s->ntasks; i++)
		if (s->tasks[i] == task)
			return 0; /* the same task names the identity twice */
	if (s->ntasks == POI_TARGETS_MAX_PER_ID)
		return -1;
	s->tasks[s->ntasks++] = task;
	return 0;
}

int
poi_targets_remove(struct poi_targets *t, uint64_t key, const void *task)
{
	if (key == 0 || t->used == 0)
		return 0;
	struct slot *s = probe(t->slots, t->cap, key);
	size_t k;
	if (s->key == 0)
		return 0;
	for (k = 0; k < s->ntasks && s->tasks[k] != task; k++)
		;
	if (k == s->ntasks)
		return 0;
	/* Keep the order of the others: it is the order their IRIs are sent in. */
	memmove(&s->tasks[k], &s->tasks[k + 1], (s->ntasks - k - 1) * sizeof(s->tasks[0]));
	if (--s->ntasks > 0)
		return 1;
	size_t mask = t->cap - 1, hole = (size_t)(s - t->slots), j = hole;
	for (;;) {
		j = (j + 1) & mask;
		if (t->slots[j].key == 0)
			break;
		size_t home = hash64(t->slots[j].key) & mask;
		/* Entry j may fill the hole unless its home lies cyclically in (hole, j]. */
		if (hole <= j ? (hole < home && home <= j) : (hole < home || home <= j))
			continue;
		t->slots[hole] = t->slots[j];
		hole = j;
	}
	memset(&t->slots[hole], 0, sizeof(t->slots[hole]));
	t->used--;
	return 1;
}

size_t
poi_targets_find(const struct poi_targets *t, uint64_t key, void *const **out)
{
	if (key == 0 || t->used == 0)
		return 0;
	const struct slot *s = probe(t->slots, t->cap, key);
	if (s->key == 0)
		return 0;
	*out = s->tasks;
	return s->ntasks;
}

size_t
poi_targets_count(const struct poi_targets *t)
{
	return t->used;
}
