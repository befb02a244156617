/*
 * The MDF's spool records: one record = one batch of PS-PDUs for one delivery stream (an
 * agency's HI2 or HI3 connection), plus what the MDF must know again after a crash to carry on
 * exactly where it stopped.  The spool (src/spool) treats records as opaque bytes with a CRC;
 * this is their inside.  Integers big-endian:
 *
 *   u8 version (1) | u8 kind (1 HI2, 2 HI3) | u16 flags (0) | u64 epoch | u32 n | u32 P |
 *   P octets: n PS-PDUs back to back (exactly what goes on the wire to the LEMF) |
 *   n x u64 fingerprint (X2/X3 identity of the PDU each PS-PDU came from; 0 = none) |
 *   u32 m | m x { u8 liid_len (1..25) | LIID | u32 CIN | u32 next sequence number }
 *
 * The epoch is the MDF's commit round the record belongs to: records of all streams appended
 * in one round are committed together by one journal record (mdf_core.c), so that a crash
 * never leaves one stream holding a PDU numbered after one another stream lost.  The trailer
 * is the state change: the fingerprints rebuild the recent-set that recognises PDUs a POI
 * sends again, and the (LIID, CIN, next) entries roll the shared sequence counters forward past
 * everything the record holds (docs/mdf.md "Crash recovery").

 * Batching is what makes the spool cheap per PDU: one spool append (one pwritev) per batch of up
 * to MDF_BATCH_MAX_PDUS PDUs or MDF_BATCH_BYTES octets, instead of one per PDU.
 * A record read back from disk is outside input (the CRC catches rot, not bugs or tampering):
 * mdf_record_parse() checks every count and length and splits the PS-PDU region with
 * hi2_split() before anything is sent (fuzz/fuzz_mdf_record.c).
 * Memory: a batch owns one buffer of mdf_batch_capacity(max_pdu) octets (under 1 MiB) and the
 * fingerprint and sequence arrays (about 180 KiB), allocated once.
 * Thread safety: none (a batch belongs to its stream).
 */
#ifndef OVERT_MDF_MDF_RECORD_H
#define OVERT_MDF_MDF_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "hi2/hi2.h"

#define MDF_REC_VERSION		1
#define MDF_REC_HDR		20
#define MDF_BATCH_MAX_PDUS	4096		/* PS-PDUs per record */
#define MDF_BATCH_BYTES		(256 * 1024)	/* PS-PDU octets after which a batch is sealed */
#define MDF_REC_SEQ_MAX		(1 + HI2_LIID_MAX + 8)
#define MDF_REC_TRAILER_MAX	(MDF_BATCH_MAX_PDUS * 8 + 4 + MDF_BATCH_MAX_PDUS * MDF_REC_SEQ_MAX)
#define MDF_PSPDU_OVERHEAD	1024		/* PS-PDU octets beyond the X2/X3 payload, max */

enum mdf_rec_err {
	MDF_REC_OK = 0,
	MDF_REC_E_SHORT,		/* ends before a header, count or length says */
	MDF_REC_E_VERSION,	/* unknown version or non-zero flags */
	MDF_REC_E_KIND,		/* kind not 1 or 2, or not the stream's */
	MDF_REC_E_COUNT,		/* n or m above the limits, or n = 0 */
	MDF_REC_E_PDU,		/* PS-PDU region does not split into exactly n PS-PDUs */
	MDF_REC_E_LIID,		/* LIID length not 1..25 */
	MDF_REC_E_TRAILING,	/* octets after the last sequence entry */
	MDF_REC__COUNT
};

const char *mdf_rec_strerror(enum mdf_rec_err);

struct mdf_rec_seq {
	uint8_t liid_len;
	uint8_t liid[HI2_LIID_MAX];
	uint32_t cin;
	uint32_t next;
};

/* A parsed record: cursors into the caller's bytes (valid while they are). */
struct mdf_record {
	uint8_t kind;
	uint64_t epoch;
	uint32_t npdu;
	struct ovt_cursor pdus;		/* the P octets to send */
	struct ovt_cursor fps;		/* iterator state, mdf_record_next_fp */
	uint32_t nseq;
	struct ovt_cursor seqs;		/* iterator state, mdf_record_next_seq */
};

/* Checks the whole record (see top); kind 0 accepts either kind. */
enum mdf_rec_err mdf_record_parse(const uint8_t *p, size_t len, uint8_t kind,
				  struct mdf_record *out);
/* Next fingerprint / sequence entry: 1, or 0 at the end (cannot fail after a good parse). */
int mdf_record_next_fp(struct mdf_record *r, uint64_t *out);
int mdf_record_next_seq(struct mdf_record *r, struct mdf_rec_seq *out);

/* ------------------------------------------------------------------ building (one batch) */

struct mdf_batch {
	uint8_t kind;
	uint8_t *buf;		/* header + PS-PDUs; the trailer is written at seal */
	size_t len, cap;
	uint32_t npdu;
	uint64_t *fps;		/* MDF_BATCH_MAX_PDUS */
	uint32_t nseq;
	struct mdf_rec_seq *seqs;	/* MDF_BATCH_MAX_PDUS */
	uint32_t gen;		/* changes at every reset; never 0 */
	uint32_t *gens;		/* source of gen, shared by every batch whose slots the same
				 * counters may hold (so a gen is never reused among them) */
	int sealed;
};

/* Buffer size for PS-PDUs of X2/X3 payloads up to max_pdu octets. */
size_t mdf_batch_capacity(size_t max_pdu);

/* gens is the shared generation source (see struct mdf_batch).  0, or -1 on ENOMEM. */
int mdf_batch_init(struct mdf_batch *b, uint8_t kind, size_t max_pdu, uint32_t *gens);
void mdf_batch_cleanup(struct mdf_batch *b);

static inline int mdf_batch_empty(const struct mdf_batch *b) { return b->npdu == 0; }

/* A fixed builder over the free space for the next PS-PDU (never the trailer's room). */
void mdf_batch_space(struct mdf_batch *b, struct ovt_builder *out);

/* The slot of the sequence entry for (liid, cin) in this batch: slot_gen and slot name the
 * slot a caller's counter holds; a new slot is taken when *slot_gen is not this batch's gen.  Returns
 * -1 when the batch has no free slot (seal it first; never happens while npdu < max). */
int mdf_batch_seq(struct mdf_batch *b, const uint8_t *liid, size_t liid_len, uint32_t cin,
		  uint32_t *slot_gen, uint32_t *slot);

/* Accepts the PS-PDU just written into the space (len octets) with its fingerprint and the
 * counter value after it into slot. */
void mdf_batch_add(struct mdf_batch *b, size_t len, uint64_t fp, uint32_t slot, uint32_t next);

/* 1 when the next PDU must go into a new batch. */
int mdf_batch_full(const struct mdf_batch *b);

/* Writes the header (with epoch) and the trailer; p and len give the whole record (valid
 * until reset). */
void mdf_batch_seal(struct mdf_batch *b, uint64_t epoch, const uint8_t **p, size_t *len);
/* Empties the batch for the next record. */
void mdf_batch_reset(struct mdf_batch *b);
/* Gives the batch buffer (holding the sealed record) to the caller and continues with buf,
 * which must have b->cap octets; then reset.  Returns the old buffer. */
uint8_t *mdf_batch_swap_buf(struct mdf_batch *b, uint8_t *buf);
/* The PS-PDU region of a record this process built and sealed (no checks: not for bytes read
 * back from anywhere, which go through mdf_record_parse). */
struct ovt_cursor mdf_record_pdus_own(const uint8_t *p, size_t len);

#endif
