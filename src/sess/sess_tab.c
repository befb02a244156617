/*
 * Open-addressing table of the session tracker: init, insert, backward-shift delete.
 */
#include "sess/sess_tab.h"

#include <stdlib.h>

int
sess_tab_init(struct sess_tab *t, uint32_t keys)
{
	uint64_t cap = 16;

	while (cap < 2 * (uint64_t)keys)
		cap <<= 1;
	if (cap > (1ULL << 31))
		return -1;
	t->slots = calloc((size_t)cap, sizeof(*t->slots));
	if (t->slots == NULL)
		return -1;
	t->mask = (uint32_t)(cap - 1);
	t->count = 0;
	t->limit = (uint32_t)(cap / 4 * 3);
	return 0;
}

void
sess_tab_free(struct sess_tab *t)
{
	free(t->slots);
	t->slots = NULL;
}

int
sess_tab_add(struct sess_tab *t, uint64_t h, uint32_t val, uint32_t tag)
{
	uint32_t i;

	if (t->count >= t->limit)
		return -1;
	for (i = (uint32_t)(h >> 32) & t->mask; t->slots[i].h != 0; i = (i + 1) & t->mask)
		;
	t->slots[i].h = h;
	t->slots[i].val = val;
	t->slots[i].tag = tag;
	t->count++;
	return 0;
}

int
sess_tab_del(struct sess_tab *t, uint64_t h, uint32_t val, uint32_t tag)
{
	uint32_t i, j, home;

	for (i = sess_tab_first(t, h); i != UINT32_MAX; i = sess_tab_next(t, h, i))
		if (t->slots[i].val == val && t->slots[i].tag == tag)
			break;
	if (i == UINT32_MAX)
		return 0;
	/* Backward shift (Knuth 6.4 algorithm R): pull later run members into the hole when
	 * their home slot does not lie cyclically in (hole, their position]. */
	for (j = i;;) {
		j = (j + 1) & t->mask;
		if (t->slots[j].h == 0)
			break;
		home = (uint32_t)(t->slots[j].h >> 32) & t->mask;
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].h = 0;
	t->count--;
	return 1;
}
