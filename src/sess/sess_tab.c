/*
 * Open-addressing table of the session tracker: memory, init, insert, backward-shift delete
 * (see sess_tab.h).
 */
#include "sess/sess_tab.h"

#include <stdlib.h>
#include <sys/mman.h>

#define TAB_HUGE	((size_t)2 << 20)	/* one x86-64 huge page */

/* Zeroed slots; see sess_tab_init for the choice of huge pages and committing. */
static void *
tab_mem_alloc(size_t bytes)
{
	void *p;

	if (bytes < TAB_HUGE)
		return calloc(1, bytes);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* Advice only: the order matters, pages must be marked before they are faulted in to
	 * come as huge pages. */
	(void)madvise(p, bytes, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
	(void)madvise(p, bytes, MADV_POPULATE_WRITE);	/* Linux 5.14 */
#endif
	return p;
}

static void
tab_mem_free(void *p, size_t bytes)
{
	if (bytes < TAB_HUGE)
		free(p);
	else
		(void)munmap(p, bytes);
}

int
sess_tab_init(struct sess_tab *t, uint32_t keys)
{
	uint64_t cap = 16;

	while (cap * 3 < 4 * (uint64_t)keys)
		cap <<= 1;
	if (cap > (1ULL << 31))
		return -1;
	t->mask = (uint32_t)(cap - 1);
	t->slots = tab_mem_alloc(sess_tab_bytes(t));
	if (t->slots == NULL)
		return -1;
	t->count = 0;
	t->limit = (uint32_t)(cap / 4 * 3);
	return 0;
}

void
sess_tab_free(struct sess_tab *t)
{
	if (t->slots != NULL)
		tab_mem_free(t->slots, sess_tab_bytes(t));
	t->slots = NULL;
}

int
sess_tab_add(struct sess_tab *t, uint32_t fp, uint32_t ref)
{
	uint32_t i;

	if (t->count >= t->limit)
		return -1;
	for (i = fp & t->mask; t->slots[i].fp != 0; i = (i + 1) & t->mask)
		;
	t->slots[i].fp = fp;
	t->slots[i].ref = ref;
	t->count++;
	return 0;
}

int
sess_tab_del(struct sess_tab *t, uint32_t fp, uint32_t ref)
{
	uint32_t i, j, home;

	for (i = sess_tab_first(t, fp); i != UINT32_MAX; i = sess_tab_next(t, fp, i))
		if (t->slots[i].ref == ref)
			break;
	if (i == UINT32_MAX)
		return 0;
	/* Backward shift (Knuth 6.4 algorithm R): pull later run members into the hole when
	 * their home slot does not lie cyclically in (hole, their position]. */
	for (j = i;;) {
		j = (j + 1) & t->mask;
		if (t->slots[j].fp == 0)
			break;
		home = t->slots[j].fp & t->mask;
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].fp = 0;
	t->slots[i].ref = 0;
	t->count--;
	return 1;
}
