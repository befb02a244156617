/*
 * Received sequence numbers as ranges (contract in lemf_seq.h).  The common case, the next
 * number of an in-order stream, extends the last range in O(1); anything else is a binary
 * search and at most one memmove of the range array.
 */
#include "lemf/lemf_seq.h"

#include <stdlib.h>
#include <string.h>

void
lemf_seq_init(struct lemf_seq *s)
{
	s->r = NULL;
	s->n = 0;
	s->cap = 0;
}

void
lemf_seq_cleanup(struct lemf_seq *s)
{
	free(s->r);
	lemf_seq_init(s);
}

/* Index of the first range whose hi >= seq (s->n if none). */
static uint32_t
find(const struct lemf_seq *s, uint32_t seq)
{
	uint32_t lo = 0, hi = s->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->r[mid].hi < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
lemf_seq_has(const struct lemf_seq *s, uint32_t seq)
{
	uint32_t i = find(s, seq);
	return i < s->n && s->r[i].lo <= seq;
}

static int
reserve(struct lemf_seq *s)
{
	uint32_t ncap;
	struct lemf_range *nr;

	if (s->n < s->cap)
		return 0;
	ncap = s->cap ? s->cap * 2 : 4;
	if (ncap < s->cap)	/* cannot happen below the callers' caps; stay safe */
		return -1;
	if ((nr = realloc(s->r, (size_t)ncap * sizeof(*nr))) == NULL)
		return -1;
	s->r = nr;
	s->cap = ncap;
	return 0;
}

enum lemf_seq_res
lemf_seq_add(struct lemf_seq *s, uint32_t seq, uint32_t max_ranges, int *out_delta)
{
	uint32_t i;
	int join_left, join_right;
	int delta = 0;

	/* In-order fast path: the number after the last range. */
	if (s->n > 0 && s->r[s->n - 1].hi != UINT32_MAX && s->r[s->n - 1].hi + 1 == seq) {
		s->r[s->n - 1].hi = seq;
		goto done;
	}
	i = find(s, seq);		/* r[i] is the first range ending at or after seq */
	if (i < s->n && s->r[i].lo <= seq)
		return LEMF_SEQ_DUP;
	/* seq lies in the hole before r[i] (or after the last range when i == n). */
	join_left = i > 0 && s->r[i - 1].hi + 1 == seq;
	join_right = i < s->n && seq + 1 == s->r[i].lo;
	if (join_left && join_right) {
		s->r[i - 1].hi = s->r[i].hi;
		memmove(&s->r[i], &s->r[i + 1], (size_t)(s->n - i - 1) * sizeof(s->r[0]));
		s->n--;
		delta = -1;
	} else if (join_left) {
		s->r[i - 1].hi = seq;
	} else if (join_right) {
		s->r[i].lo = seq;
	} else {
		if (s->n >= max_ranges)
			return LEMF_SEQ_FULL;
		if (reserve(s) != 0)
			return LEMF_SEQ_NOMEM;
		memmove(&s->r[i + 1], &s->r[i], (size_t)(s->n - i) * sizeof(s->r[0]));
		s->r[i].lo = s->r[i].hi = seq;
		s->n++;
		delta = 1;
	}
done:
	if (out_delta != NULL)
		*out_delta = delta;
	return LEMF_SEQ_NEW;
}

uint64_t
lemf_seq_count(const struct lemf_seq *s)
{
	uint64_t c = 0;
	for (uint32_t i = 0; i < s->n; i++)
		c += (uint64_t)s->r[i].hi - s->r[i].lo + 1;
	return c;
}

size_t
lemf_seq_ngaps(const struct lemf_seq *s)
{
	if (s->n == 0)
		return 0;
	return (size_t)(s->n - 1) + (s->r[0].lo > 0 ? 1 : 0);
}

int
lemf_seq_gap(const struct lemf_seq *s, size_t idx, uint32_t *lo, uint32_t *hi)
{
	if (s->n == 0)
		return 0;
	if (s->r[0].lo > 0) {		/* the numbers before the first one received */
		if (idx == 0) {
			*lo = 0;
			*hi = s->r[0].lo - 1;
			return 1;
		}
		idx--;
	}
	if (idx + 1 >= s->n)
		return 0;
	*lo = s->r[idx].hi + 1;
	*hi = s->r[idx + 1].lo - 1;
	return 1;
}

uint64_t
lemf_seq_missing(const struct lemf_seq *s)
{
	uint64_t m = 0;
	uint32_t lo, hi;
	for (size_t i = 0; lemf_seq_gap(s, i, &lo, &hi); i++)
		m += (uint64_t)hi - lo + 1;
	return m;
}

int
lemf_seq_disjoint(const struct lemf_seq *a, const struct lemf_seq *b)
{
	uint32_t i = 0, j = 0;

	while (i < a->n && j < b->n) {
		if (a->r[i].hi < b->r[j].lo)
			i++;
		else if (b->r[j].hi < a->r[i].lo)
			j++;
		else
			return 0;
	}
	return 1;
}

enum lemf_err
lemf_seq_union(struct lemf_seq *out, const struct lemf_seq *a, const struct lemf_seq *b)
{
	uint32_t i = 0, j = 0;

	lemf_seq_cleanup(out);
	/* Both inputs are sorted: merge by lower bound, joining overlapping or adjacent
	 * ranges as they come. */
	while (i < a->n || j < b->n) {
		struct lemf_range r;
		if (j >= b->n || (i < a->n && a->r[i].lo <= b->r[j].lo))
			r = a->r[i++];
		else
			r = b->r[j++];
		if (out->n > 0 && (out->r[out->n - 1].hi == UINT32_MAX ||
				   out->r[out->n - 1].hi + 1 >= r.lo)) {
			if (r.hi > out->r[out->n - 1].hi)
				out->r[out->n - 1].hi = r.hi;
			continue;
		}
		if (reserve(out) != 0) {
			lemf_seq_cleanup(out);
			return LEMF_E_NOMEM;
		}
		out->r[out->n++] = r;
	}
	return LEMF_OK;
}

void
lemf_seq_encode(const struct lemf_seq *s, struct ovt_builder *b)
{
	for (uint32_t i = 0; i < s->n; i++) {
		bld_add_u32(b, s->r[i].lo);
		bld_add_u32(b, s->r[i].hi);
	}
}

enum lemf_err
lemf_seq_decode(struct lemf_seq *s, struct ovt_cursor c, uint32_t max_ranges)
{
	size_t n;

	lemf_seq_cleanup(s);
	if (cur_len(&c) % LEMF_SEQ_RANGE_BYTES != 0)
		return LEMF_E_FORMAT;
	n = cur_len(&c) / LEMF_SEQ_RANGE_BYTES;
	if (n > max_ranges)
		return LEMF_E_LIMIT;
	if (n == 0)
		return LEMF_OK;
	if ((s->r = calloc(n, sizeof(s->r[0]))) == NULL)
		return LEMF_E_NOMEM;
	s->cap = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		struct lemf_range r;
		if (!cur_get_u32(&c, &r.lo) || !cur_get_u32(&c, &r.hi) || r.lo > r.hi ||
		    (i > 0 && (s->r[i - 1].hi == UINT32_MAX || s->r[i - 1].hi + 1 >= r.lo))) {
			lemf_seq_cleanup(s);
			return LEMF_E_FORMAT;
		}
		s->r[i] = r;
		s->n++;
	}
	return LEMF_OK;
}
