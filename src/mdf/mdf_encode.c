/*
 * Mediation of one X2/X3 PDU into a PS-PDU (contract in mdf_encode.h).  Everything outside
 * comes in as a validated struct x2x3_pdu whose payload is still untrusted bytes: the GTP-U
 * parser and the EpsIRIContent decoder read it through cursors and refuse what they cannot
 * read; nothing here indexes the payload directly.
 */
#include "mdf/mdf_encode.h"

#include <string.h>

#include "gtp/gtp.h"

static const char *const drop_names[MDF_DROP_COUNT] = {
	[MDF_DROP_NONE] = "none",
	[MDF_DROP_UNAUTHORISED] = "unauthorised_poi",
	[MDF_DROP_NO_TASK] = "no_task",
	[MDF_DROP_NO_ROUTE] = "no_route",
	[MDF_DROP_PERIOD] = "outside_period",
	[MDF_DROP_FORMAT] = "payload_format",
	[MDF_DROP_GTPU] = "bad_gtpu",
	[MDF_DROP_IP] = "bad_ip",
	[MDF_DROP_IRI] = "bad_iri",
	[MDF_DROP_ENCODE] = "encode",
	[MDF_DROP_DUPLICATE] = "duplicate",
	[MDF_DROP_SPOOL_FULL] = "spool_full",
	[MDF_DROP_SPOOL_ERROR] = "spool_error",
	[MDF_DROP_NO_SPOOL] = "no_spool",
	[MDF_DROP_CIN_FULL] = "cin_table_full",
	[MDF_DROP_STATE] = "state_db",
};

static const char *const drop_text[MDF_DROP_COUNT] = {
	[MDF_DROP_NONE] = "delivered",
	[MDF_DROP_UNAUTHORISED] = "POI certificate not among x2x3.accepted_pois",
	[MDF_DROP_NO_TASK] = "XID of no active task",
	[MDF_DROP_NO_ROUTE] = "task delivers nothing of this kind to a usable destination",
	[MDF_DROP_PERIOD] = "outside the mediation period (mediationDetails start/end)",
	[MDF_DROP_FORMAT] = "payload format not mediated (X2: 14, X3: 5, 6, 12)",
	[MDF_DROP_GTPU] = "X3 format 12 payload is not exactly one GTP-U G-PDU",
	[MDF_DROP_IP] = "X3 format 5/6 payload empty or of the other IP version",
	[MDF_DROP_IRI] = "X2 format 14 payload refused by the EpsIRIContent decoder",
	[MDF_DROP_ENCODE] = "PS-PDU encoder refused a value",
	[MDF_DROP_DUPLICATE] = "X2/X3 PDU already mediated (resent by the POI)",
	[MDF_DROP_SPOOL_FULL] = "destination spool at its size bound",
	[MDF_DROP_SPOOL_ERROR] = "destination spool failed",
	[MDF_DROP_NO_SPOOL] = "destination spool could not be opened",
	[MDF_DROP_CIN_FULL] = "CIN table of the destination stream is full",
	[MDF_DROP_STATE] = "state database lookup failed",
};

const char *
mdf_drop_name(enum mdf_drop d)
{
	return (unsigned)d < MDF_DROP_COUNT ? drop_names[d] : "?";
}

const char *
mdf_drop_strerror(enum mdf_drop d)
{
	return (unsigned)d < MDF_DROP_COUNT ? drop_text[d] : "unknown drop reason";
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

uint32_t
mdf_cin(const uint8_t key[MDF_HASH_KEY_LEN], uint64_t correlation_id)
{
	uint8_t in[5 + 8] = {'O', 'V', 'C', 'I', 'N'};
	put_be64(in + 5, correlation_id);
	return (uint32_t)mdf_siphash(key, in, sizeof(in));
}

/* The fingerprint's input (43 octets): "OVFP" | POI (8) | type (2) | XID (16) | seq (4) |
 * timestamp present (1) | seconds (4) | nanoseconds (4).  The first 24 octets (3 SipHash blocks)
 * depend only on POI, type and XID. */
#define FP_PREFIX_BLOCKS	3
#define FP_LEN			(4 + 8 + 2 + 16 + 4 + 1 + 8)
#define FP_XID_IN_PREFIX	(8 * FP_PREFIX_BLOCKS - 14)

static void
fp_prefix(uint8_t *in, uint64_t poi, const struct x2x3_pdu *pdu)
{
	memcpy(in, "OVFP", 4);
	put_be64(in + 4, poi);
	in[12] = (uint8_t)(pdu->type >> 8);
	in[13] = (uint8_t)pdu->type;
	memcpy(in + 14, pdu->xid, 16);
}

/* Octets 24.. of the input: the rest of the XID, the sequence number and the timestamp. */
static void
fp_rest(uint8_t *r, const struct x2x3_pdu *pdu)
{
	int ts = (pdu->present & X2X3_HAS(X2X3_ATTR_TIMESTAMP)) ? 1 : 0;
	memcpy(r, pdu->xid + FP_XID_IN_PREFIX, 16 - FP_XID_IN_PREFIX);
	r += 16 - FP_XID_IN_PREFIX;
	put_be32(r, pdu->seq);
	r[4] = (uint8_t)ts;
	put_be32(r + 5, ts ? pdu->ts_sec : 0);
	put_be32(r + 9, ts ? pdu->ts_nsec : 0);
}

uint64_t
mdf_fingerprint(const uint8_t key[MDF_HASH_KEY_LEN], uint64_t poi, const struct x2x3_pdu *pdu)
{
	uint8_t in[FP_LEN];
	uint64_t fp;

	if (!(pdu->present & X2X3_HAS(X2X3_ATTR_SEQ)))
		return 0;
	fp_prefix(in, poi, pdu);
	fp_rest(in + 8 * FP_PREFIX_BLOCKS, pdu);
	fp = mdf_siphash(key, in, sizeof(in));
	return fp != 0 ? fp : 1;	/* 0 means "no identity" */
}

uint64_t
mdf_fingerprint_cached(const uint8_t key[MDF_HASH_KEY_LEN], uint64_t poi,
    const struct x2x3_pdu *pdu, struct mdf_fp_cache *c)
{
	uint8_t rest[FP_LEN - 8 * FP_PREFIX_BLOCKS];
	uint64_t fp;

	if (!(pdu->present & X2X3_HAS(X2X3_ATTR_SEQ)))
		return 0;
	if (!c->valid || c->poi != poi || c->type != pdu->type ||
	    memcmp(c->xid, pdu->xid, 16) != 0) {
		uint8_t in[FP_LEN];
		fp_prefix(in, poi, pdu);
		mdf_siphash_start(&c->st, key, in, FP_PREFIX_BLOCKS);
		c->poi = poi;
		c->type = pdu->type;
		memcpy(c->xid, pdu->xid, 16);
		c->valid = 1;
	}
	fp_rest(rest, pdu);
	fp = mdf_siphash_finish(&c->st, rest, sizeof(rest), FP_LEN);
	return fp != 0 ? fp : 1;
}

void
mdf_cc_dirs(uint16_t d, uint8_t *cc_dir, uint8_t *tpdu_dir)
{
	/* CCPayload.payloadDirection: fromTarget(0) toTarget(1) indeterminate(2) combined(3)
	 * notapplicable(4); ULIC TPDU-direction: from-target(1) to-target(2) unknown(3). */
	switch (d) {
	case X2X3_DIR_FROM_TARGET:
		*cc_dir = 0;
		*tpdu_dir = 1;
		break;
	case X2X3_DIR_TO_TARGET:
		*cc_dir = 1;
		*tpdu_dir = 2;
		break;
	case X2X3_DIR_MULTIPLE:
		*cc_dir = 3;
		*tpdu_dir = 3;
		break;
	case X2X3_DIR_NA:
		*cc_dir = 4;
		*tpdu_dir = 3;
		break;
	default:		/* X2X3_DIR_UNKNOWN */
		*cc_dir = 2;
		*tpdu_dir = 3;
		break;
	}
}

enum mdf_drop
mdf_x3_packet(const struct x2x3_pdu *pdu, struct ovt_cursor *out)
{
	const uint8_t *p = cur_data(&pdu->payload);
	size_t len = cur_len(&pdu->payload);
	uint8_t v;

	switch (pdu->format) {
	case X2X3_FMT_GTPU: {
		/* TS 103 221-2 format 12: the whole GTP-U message (TS 29.281); CC is its T-PDU. */
		struct gtpu_hdr g;
		size_t trailing;
		if (gtpu_parse(p, len, &g, &trailing) != GTP_OK || trailing != 0 ||
		    g.type != GTPU_GPDU || cur_len(&g.payload) == 0)
			return MDF_DROP_GTPU;
		*out = g.payload;
		return MDF_DROP_NONE;
	}
	case X2X3_FMT_IPV4:
	case X2X3_FMT_IPV6:
		if (!cur_peek_u8(&pdu->payload, &v) ||
		    (v >> 4) != (pdu->format == X2X3_FMT_IPV4 ? 4 : 6))
			return MDF_DROP_IP;
		*out = pdu->payload;
		return MDF_DROP_NONE;
	default:
		return MDF_DROP_FORMAT;
	}
}

enum mdf_drop
mdf_item_prepare(struct mdf_item *it, const struct x2x3_pdu *pdu, const struct timespec *now,
		 uint8_t ice_type, struct hi2_diag *diag)
{
	enum mdf_drop r;

	it->unknown = 0;
	if (pdu->present & X2X3_HAS(X2X3_ATTR_TIMESTAMP)) {
		it->ts_sec = pdu->ts_sec;
		it->ts_usec = pdu->ts_nsec / 1000;
		it->tsq = 1;
	} else {
		it->ts_sec = now->tv_sec;
		it->ts_usec = (uint32_t)(now->tv_nsec / 1000);
		it->tsq = 2;
	}
	put_be64(it->corr, pdu->correlation_id);
	if (pdu->type == X2X3_TYPE_X2) {
		it->kind = MDF_HI2;
		if (pdu->format != X2X3_FMT_EPS_IRI)
			return MDF_DROP_FORMAT;
		if (hi2_iri_decode_x2(cur_data(&pdu->payload), cur_len(&pdu->payload), &it->iri,
		    diag) != HI2_OK)
			return MDF_DROP_IRI;
		it->unknown = it->iri.unknown;
		return MDF_DROP_NONE;
	}
	if (pdu->type != X2X3_TYPE_X3)
		return MDF_DROP_FORMAT;
	it->kind = MDF_HI3;
	struct ovt_cursor pkt;
	if ((r = mdf_x3_packet(pdu, &pkt)) != MDF_DROP_NONE)
		return r;
	memset(&it->cc, 0, sizeof(it->cc));
	mdf_cc_dirs(pdu->direction, &it->cc.dir, &it->cc.tpdu_dir);
	it->cc.corr.p = it->corr;
	it->cc.corr.len = sizeof(it->corr);
	it->cc.ice_type = ice_type;
	it->cc.pkt.p = cur_data(&pkt);
	it->cc.pkt.len = cur_len(&pkt);
	return MDF_DROP_NONE;
}

enum hi2_err
mdf_item_encode(struct mdf_item *it, struct hi2_stream *s, struct ovt_builder *b,
		struct hi2_diag *diag)
{
	enum hi2_err e;

	/* The qualifier is per PDU (interception or mediation time); the rest of the header is
	 * the stream's. */
	s->hdr.has_tsq = 1;
	s->hdr.tsq = it->tsq;
	if (it->kind == MDF_HI2) {
		e = hi2_stream_iri(s, b, it->ts_sec, it->ts_usec, &it->iri, diag);
	} else {
		/* 33.108 ULIC sequence-number is 0..65535: the PS-PDU sequence number mod 2^16. */
		it->cc.ulic_seq = (uint16_t)s->hdr.seq;
		e = hi2_stream_cc(s, b, it->ts_sec, it->ts_usec, &it->cc, diag);
	}
	return e;
}
