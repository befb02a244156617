/*
 * The sequence numbers received on one delivery stream: TS 102 232-1 numbers the PDUs of a
 * communication identity, IRI and CC separately, so (LIID, CIN, IRI or CC, sequenceNumber)
 * names a PDU and is what duplicates are dropped by.  Delivery from the MDF is at-least-once (it resends after
 * a reconnect), so duplicates are normal; gaps are not, and the report lists them.
 *
 * Representation: the received numbers as a sorted list of disjoint, non-adjacent inclusive
 * ranges.  A stream delivered in order is one range, whatever its length; each hole costs one
 * range.  The caller caps the number of ranges (memory bound: 8 bytes per range); a number that
 * would need a range beyond the cap is refused (LEMF_SEQ_FULL) and not recorded, so the caller
 * can refuse the PDU rather than lose track of what it has.
 *
 * Numbering is assumed to start at 0 (the first PDU of a CIN); a missing start is reported as a
 * gap.  Sequence numbers are 32 bits; a stream that wraps past 2^32-1 is not supported (its
 * numbers after the wrap would look like duplicates).  Documented in docs/lemf.md.
 *
 * Persistence: lemf_seq_encode/lemf_seq_decode write/read the ranges as big-endian u32 pairs
 * (the SQLite state blob); decode checks the invariants, since the blob is read back from disk.
 * Thread safety: a struct lemf_seq belongs to one thread.  Allocation: the range array only.
 */
#ifndef OVERT_LEMF_LEMF_SEQ_H
#define OVERT_LEMF_LEMF_SEQ_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "lemf/lemf.h"

#define LEMF_SEQ_RANGE_BYTES	8	/* encoded size of one range */

struct lemf_range {
	uint32_t lo, hi;	/* inclusive */
};

struct lemf_seq {
	struct lemf_range *r;	/* ascending; r[i].hi + 1 < r[i+1].lo */
	uint32_t n;
	uint32_t cap;
};

enum lemf_seq_res {
	LEMF_SEQ_NEW = 0,	/* recorded */
	LEMF_SEQ_DUP,		/* already recorded: nothing changed */
	LEMF_SEQ_FULL,		/* needs a range beyond max_ranges: nothing changed */
	LEMF_SEQ_NOMEM,		/* allocation failed: nothing changed */
};

/* Empty set; no allocation. */
void lemf_seq_init(struct lemf_seq *s);
/* Frees the ranges; the set is empty afterwards. */
void lemf_seq_cleanup(struct lemf_seq *s);

/* 1 if seq has been recorded. O(log n). */
int lemf_seq_has(const struct lemf_seq *s, uint32_t seq);
/* Records seq.  A new range is allowed only while s->n < max_ranges.  *out_delta (may be NULL)
 * receives the change in s->n: +1 (new range), 0 (a range grew), -1 (two ranges merged).
 * O(1) for in-order numbers, O(n) memmove otherwise. */
enum lemf_seq_res lemf_seq_add(struct lemf_seq *s, uint32_t seq, uint32_t max_ranges,
			       int *out_delta);

/* Numbers recorded. */
uint64_t lemf_seq_count(const struct lemf_seq *s);
/* Gaps: numbers below the highest recorded that were never recorded, counting from 0.
 * lemf_seq_ngaps: how many maximal missing ranges; lemf_seq_gap: the idx-th (ascending),
 * 1 and [*lo, *hi], or 0 past the end; lemf_seq_missing: total numbers missing. */
size_t lemf_seq_ngaps(const struct lemf_seq *s);
int lemf_seq_gap(const struct lemf_seq *s, size_t idx, uint32_t *lo, uint32_t *hi);
uint64_t lemf_seq_missing(const struct lemf_seq *s);

/* 1 if no number is in both a and b.  O(a->n + b->n). */
int lemf_seq_disjoint(const struct lemf_seq *a, const struct lemf_seq *b);
/* out (initialised, replaced) = a union b.  LEMF_OK or LEMF_E_NOMEM (out left empty). */
enum lemf_err lemf_seq_union(struct lemf_seq *out, const struct lemf_seq *a,
			     const struct lemf_seq *b);

/* Appends s->n * LEMF_SEQ_RANGE_BYTES octets to b (sticky builder error on overflow). */
void lemf_seq_encode(const struct lemf_seq *s, struct ovt_builder *b);
/* Replaces s with the ranges in c, which must be whole ranges, ascending, disjoint and not
 * adjacent, at most max_ranges of them.  Returns LEMF_OK, LEMF_E_FORMAT (malformed),
 * LEMF_E_LIMIT (too many ranges) or LEMF_E_NOMEM; s is left empty on failure. */
enum lemf_err lemf_seq_decode(struct lemf_seq *s, struct ovt_cursor c, uint32_t max_ranges);

#endif
