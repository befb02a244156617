/*
 * X2/X3 PDU -> HI2/HI3 PS-PDU: the MDF's mediation of one PDU, as pure functions of bytes and a
 * key (no I/O, no allocation, no state beyond the caller's hi2_stream), so that unit tests and
 * the fuzzer (fuzz/fuzz_mdf_encode.c) drive exactly the code the MDF runs.
 *
 *   X2, payload format 14 (TS 103 221-2 clause 5.4, EpsIRIContent)  -> IRI PS-PDU (ePSIRI),
 *       iRIType as the POI chose it (the record alternative), LIID replaced by the task's;
 *   X3, payload format 12 (GTP-U message)                           -> CC PS-PDU carrying the
 *       T-PDU of the G-PDU (ePSCC-CC-PDU: the user packet, 33.108 clause 10.5 ULIC header);
 *   X3, payload format 5 / 6 (IPv4 / IPv6 packet)                   -> CC PS-PDU with it.
 * Every other format is refused with MDF_DROP_FORMAT (counted by the caller, never forwarded).
 *
 * Identifiers derived here (docs/mdf.md "Identifiers"):
 *   CIN          = low 32 bits of SipHash-2-4(key, "OVCIN" || Correlation ID), so X2 and X3 of
 *                  one PDN connection share a CIN, every MDF restart (same key) gives the same
 *                  CIN, and a new state database (new key) starts fresh CINs;
 *   fingerprint  = SipHash-2-4(key, "OVFP" || SipHash(CN of the POI) || PDU type || XID ||
 *                  sequence number || timestamp): the X2/X3 identity of a PDU, equal for a PDU
 *                  that a POI sends again after a reconnection (same XID, sequence number and
 *                  timestamp); 0 when the PDU has no Sequence Number attribute (no identity:
 *                  never treated as a duplicate).
 * PSHeader time: the X2/X3 Timestamp attribute with timeStampQualifier timeOfInterception(1);
 * without it, the time of mediation with timeOfMediation(2) (TS 102 232-1 PSHeader
 * timeStampQualifier: the qualifier tells the LEMF which of the two it got).
 * Thread safety: pure functions.
 */
#ifndef OVERT_MDF_MDF_ENCODE_H
#define OVERT_MDF_MDF_ENCODE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/bytes.h"
#include "hi2/hi2.h"
#include "mdf/mdf_hash.h"
#include "x2x3/x2x3.h"

/* Why the MDF did not deliver an X2/X3 PDU (or one copy of it), one counter each. */
enum mdf_drop {
	MDF_DROP_NONE = 0,
	MDF_DROP_UNAUTHORISED,	/* POI certificate CN not in x2x3.accepted_pois */
	MDF_DROP_NO_TASK,	/* XID of no active task */
	MDF_DROP_NO_ROUTE,	/* the task sends nothing of this kind to a usable destination */
	MDF_DROP_PERIOD,	/* outside the mediationDetails startTime/endTime */
	MDF_DROP_FORMAT,	/* payload format not mediated (X2: 14; X3: 5, 6, 12) */
	MDF_DROP_GTPU,		/* format 12 payload not exactly one G-PDU */
	MDF_DROP_IP,		/* format 5/6 payload empty or of the other IP version */
	MDF_DROP_IRI,		/* format 14 payload refused by the EpsIRIContent decoder */
	MDF_DROP_ENCODE,	/* the PS-PDU encoder refused a value (e.g. packet > 65535) */
	MDF_DROP_DUPLICATE,	/* X2/X3 identity seen before: a POI resend, not an error */
	MDF_DROP_SPOOL_FULL,	/* the destination stream's spool reached its bound */
	MDF_DROP_SPOOL_ERROR,	/* the spool failed (I/O, broken): alarm raised */
	MDF_DROP_NO_SPOOL,	/* the destination stream could not open its spool */
	MDF_DROP_CIN_FULL,	/* the stream's CIN table is at its bound */
	MDF_DROP_STATE,		/* the state database could not be read */
	MDF_DROP_COUNT
};

/* Stable short token for counters and JSON ("no_task"); "?" out of range. */
const char *mdf_drop_name(enum mdf_drop);
/* One-line description; never NULL. */
const char *mdf_drop_strerror(enum mdf_drop);

/* Which handover interface a stream or a route carries. */
enum mdf_kind {
	MDF_HI2 = 1,	/* IRI, from X2 */
	MDF_HI3 = 2,	/* CC, from X3 */
};

/* ULIC ice-type (33.108 Eps-HI3-PS): where CC was intercepted; 0 = not sent. */
#define MDF_ICE_NONE		0
#define MDF_ICE_SGW		3
#define MDF_ICE_PGW		4
#define MDF_ICE_COLOCATED	5

/* One X2/X3 PDU prepared for encoding: decoded once, encoded once per route.  Holds pointers
 * into the PDU's bytes and into itself: valid while both are, never copied. */
struct mdf_item {
	enum mdf_kind kind;
	int64_t ts_sec;
	uint32_t ts_usec;
	uint8_t tsq;			/* 1 timeOfInterception, 2 timeOfMediation */
	uint8_t corr[8];		/* Correlation ID, network order */
	struct hi2_eps_iri iri;		/* MDF_HI2 */
	struct hi2_cc cc;		/* MDF_HI3 (cc.ulic_seq is set per encode) */
	unsigned unknown;		/* IRI elements the decoder skipped (unknown extensions) */
};

uint32_t mdf_cin(const uint8_t key[MDF_HASH_KEY_LEN], uint64_t correlation_id);

/* poi is SipHash(key, CN) of the sending POI (computed once per connection). */
uint64_t mdf_fingerprint(const uint8_t key[MDF_HASH_KEY_LEN], uint64_t poi,
			 const struct x2x3_pdu *pdu);

/* The same value, with the hash state of the constant part of the input ("OVFP", POI, PDU type,
 * first 10 octets of the XID) kept in *cache and reused while POI, type and XID stay the same
 * (one cache per POI connection; it belongs to one key).  Zero the cache before first use. */
struct mdf_fp_cache {
	struct mdf_siphash_state st;
	uint64_t poi;
	uint16_t type;
	uint8_t xid[16];
	int valid;
};
uint64_t mdf_fingerprint_cached(const uint8_t key[MDF_HASH_KEY_LEN], uint64_t poi,
				const struct x2x3_pdu *pdu, struct mdf_fp_cache *cache);

/* TS 103 221-2 payload direction -> TS 102 232-1 CCPayload.payloadDirection (*cc_dir) and
 * 33.108 ULIC t-PDU-direction (*tpdu_dir). */
void mdf_cc_dirs(uint16_t x2x3_dir, uint8_t *cc_dir, uint8_t *tpdu_dir);

/* The user packet an X3 PDU carries (format 5/6: the payload; 12: the G-PDU's T-PDU). */
enum mdf_drop mdf_x3_packet(const struct x2x3_pdu *pdu, struct ovt_cursor *out);

/*
 * Prepares it from a validated X2 or X3 PDU (type 1 or 2; x2x3_pdu_decode has checked the
 * framing).  now is the mediation time used when the PDU has no Timestamp attribute.
 * MDF_DROP_FORMAT / _GTPU / _IP / _IRI (diag says where) or MDF_DROP_NONE.
 */
enum mdf_drop mdf_item_prepare(struct mdf_item *it, const struct x2x3_pdu *pdu,
			       const struct timespec *now, uint8_t ice_type,
			       struct hi2_diag *diag);

/*
 * Appends the PS-PDU of it to b with stream s's header and next sequence number (incremented
 * on success).  Returns HI2_OK, HI2_E_SPACE (b too small: callers encode into a fixed builder
 * over the free tail of their batch, so nothing of theirs is touched), or HI2_E_ARG with diag
 * naming the field the encoder refused (e.g. a packet over 65535 octets).  On error the
 * sequence number is not consumed.
 */
enum hi2_err mdf_item_encode(struct mdf_item *it, struct hi2_stream *s, struct ovt_builder *b,
			     struct hi2_diag *diag);

#endif
