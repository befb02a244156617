/*
 * Sequence counters of one delivery stream: TS 102 232-1 PSHeader sequenceNumber is kept per
 * LIID + CIN (clause on PSHeader; the LEMF detects gaps with it and drops duplicates by
 * (LIID, CIN, sequence number)).  Each counter is a struct hi2_stream (src/hi2), which also
 * holds the pre-encoded constant part of the PSHeader, so one lookup per PDU gives both.
 * Counters are per stream, so an agency's HI2 and HI3 connections number their PDUs
 * independently (IRI and CC each from 0; docs/mdf.md "Sequence numbers").
 *
 * Entries live in a pool of fixed chunks (a hi2_stream points into itself, so entries never
 * move); an open-addressing index of pointers finds them.  The table is bounded by `max`
 * entries: mdf_seqtab_add refuses more (the caller evicts idle entries, whose values are in
 * the state database, and counts what it still cannot place).
 * Memory: 328 octets per entry + 16 octets of index per entry (load <= 1/2).
 * Thread safety: none.
 */
#ifndef OVERT_MDF_MDF_SEQ_H
#define OVERT_MDF_MDF_SEQ_H

#include <stddef.h>
#include <stdint.h>

#include "hi2/hi2.h"

struct mdf_cin {
	struct hi2_stream hs;		/* hs.hdr.seq: next sequence number; hs.hdr.cin: the CIN */
	uint64_t hash;
	uint64_t last_used;		/* caller's clock (ms) */
	uint32_t batch_gen, batch_slot;	/* where its value goes in the open batch (mdf_record.h) */
	uint32_t saved;			/* value in the state database (clean: == hs.hdr.seq) */
	struct mdf_cin *free_next;
};

struct mdf_seqtab;

/* max in [1, 2^26].  NULL on ENOMEM or a bad max. */
struct mdf_seqtab *mdf_seqtab_new(size_t max);
void mdf_seqtab_free(struct mdf_seqtab *);

struct mdf_cin *mdf_seqtab_find(struct mdf_seqtab *, const uint8_t *liid, size_t liid_len,
				uint32_t cin);
/*
 * Adds the counter for (hdr->liid, hdr->cin) with hdr as its header and hdr->seq as the next
 * sequence number; saved = hdr->seq (clean) unless the caller changes it.  NULL when the table is at max,
 * on ENOMEM, or if hi2_stream_init refuses hdr (*hi2 says which: HI2_E_ARG; else HI2_OK).
 */
struct mdf_cin *mdf_seqtab_add(struct mdf_seqtab *, const struct hi2_pshdr *hdr,
			       enum hi2_err *hi2);
void mdf_seqtab_remove(struct mdf_seqtab *, struct mdf_cin *);

size_t mdf_seqtab_count(const struct mdf_seqtab *);
/* Entries removed so far (remove and evict): a pointer from find or add stays valid while this
 * number is unchanged, which lets a caller cache it. */
uint64_t mdf_seqtab_removals(const struct mdf_seqtab *);
size_t mdf_seqtab_max(const struct mdf_seqtab *);

/* Calls cb for every entry (any order); cb must not add or remove.  Stops when cb returns
 * non-zero and returns that value. */
int mdf_seqtab_foreach(struct mdf_seqtab *, int (*cb)(void *, struct mdf_cin *), void *arg);

/* Removes clean entries (hs.hdr.seq == saved) with last_used + idle_ms <= now; returns how
 * many. */
size_t mdf_seqtab_evict(struct mdf_seqtab *, uint64_t now, uint64_t idle_ms);

#endif
