/*
 * ETSI TS 102 232-1 PS-PDU encoders for EPS: IRI (ePSIRI [15] -> iRI-EPS-Parameters [0]),
 * CC (ePSCC-CC-PDU [17], 33.108 Eps-HI3-PS CC-PDU with its ULIC header) and TRI keep-alives.
 *
 * The MDF calls these once per delivered PDU, so they validate their inputs, then write straight
 * into the caller's builder in one pass: no allocation, no intermediate copies, the user packet
 * copied once.  Two entry points share one writer: the stateless hi2_encode_*() and the
 * per-stream hi2_stream_*(), which keeps the constant PSHeader components pre-encoded and the
 * time text of the current second (see hi2.h).
 * Tagging (IMPLICIT TAGS modules): a tagged CHOICE becomes EXPLICIT, so payload [2],
 * iRIContents [2], ePSIRI [15], cCContents [2] and timeStamp [4] of the ULIC header each wrap
 * one inner element (X.680 31.2.7).
 */
#include "hi2/hi2_int.h"

#include <string.h>

#define HI2_PKT_MAX	65535	/* an IP packet never exceeds its 16-bit total length */

/* What changes per PDU, plus where the constant part of the header is. */
struct pdu_ctx {
	const struct hi2_pshdr *h;	/* liid, tsq */
	const uint8_t *prefix;		/* PSHeader [0]..[3], encoded */
	size_t prefix_len;
	uint32_t seq;
	int64_t ts_sec;
	uint32_t ts_usec;
	const struct ber_time *t;	/* ts_sec formatted */
};

#define CHECK(cond, where) \
	do { if (!(cond)) return hi2_fail(d, HI2_E_ARG, BER_OK, (where)); } while (0)

/* The fields that go into the pre-encoded prefix. */
static enum hi2_err
hdr_fields_check(const struct hi2_pshdr *h, struct hi2_diag *d)
{
	CHECK(h->liid.len >= 1 && h->liid.len <= HI2_LIID_MAX,
	      "PSHeader.lawfulInterceptionIdentifier");
	CHECK(hi2_country_ok(h->auth_cc), "PSHeader.authorizationCountryCode");
	CHECK(h->operator_id.len >= 1 && h->operator_id.len <= HI2_OPERATOR_ID_MAX,
	      "NetworkIdentifier.operatorIdentifier");
	CHECK(h->ne_id.len <= HI2_NE_ID_MAX, "NetworkIdentifier.networkElementIdentifier");
	CHECK(hi2_country_ok(h->delivery_cc), "CommunicationIdentifier.deliveryCountryCode");
	CHECK(!h->has_tsq || h->tsq <= 3, "PSHeader.timeStampQualifier");
	return HI2_OK;
}

/* microSecondTimeStamp.seconds is INTEGER (0..MAX); GeneralizedTime stops at 9999. */
static enum hi2_err
time_check(int64_t sec, uint32_t usec, struct hi2_diag *d)
{
	CHECK(sec >= 0 && sec <= 253402300799 && usec <= 999999, "PSHeader.timeStamp");
	return HI2_OK;
}

/* Size of a TLV with a one-octet tag (all of ours below 31) and n content octets. */
static inline size_t
tlv(size_t n)
{
	return ber_tlv_size(n);
}

static inline size_t
uint_tlv(uint64_t v)
{
	return 2 + ber_uint_size(v);
}

/* PSHeader components [0] li-psDomainId .. [3] communicationIdentifier: constant for a stream.
 * At most 9 + 27 + 4 + 51 = 91 octets (HI2_PREFIX_MAX). */
static void
put_prefix(struct ovt_builder *b, const struct hi2_pshdr *h)
{
	struct ber_mark cm, nm;

	ber_put_octets(b, BER_CTX(0), hi2_oid_li_ps, sizeof(hi2_oid_li_ps));
	ber_put_octets(b, BER_CTX(1), h->liid.p, h->liid.len);
	if (h->auth_cc[0])
		ber_put_octets(b, BER_CTX(2), h->auth_cc, 2);
	ber_open(b, BER_CTX_CONS(3), 40, &cm);		/* communicationIdentifier */
	ber_open(b, BER_CTX_CONS(0), 30, &nm);		/* networkIdentifier */
	ber_put_octets(b, BER_CTX(0), h->operator_id.p, h->operator_id.len);
	if (h->ne_id.len)
		ber_put_octets(b, BER_CTX(1), h->ne_id.p, h->ne_id.len);
	ber_close(b, &nm);
	ber_put_uint(b, BER_CTX(1), h->cin);		/* communicationIdentityNumber */
	if (h->delivery_cc[0])
		ber_put_octets(b, BER_CTX(2), h->delivery_cc, 2);
	ber_close(b, &cm);
}

/* Exact contents size of put_pshdr()'s PSHeader: the length hint, and the CC path sizes
 * everything from it before writing.  Only a hint: ber_close() repairs a wrong one. */
static size_t
pshdr_size(const struct pdu_ctx *c)
{
	size_t us = uint_tlv((uint64_t)c->ts_sec) + uint_tlv(c->ts_usec);
	return c->prefix_len + uint_tlv(c->seq) + tlv(19) + tlv(us) + (c->h->has_tsq ? 3 : 0);
}

/* pSHeader [1] PSHeader (TS 102 232-1 clause 5.2 / annex A), size-first: writes exactly
 * tlv(size) octets at p, size = pshdr_size(c). */
static uint8_t *
w_pshdr(uint8_t *p, const struct pdu_ctx *c, size_t size)
{
	size_t us = uint_tlv((uint64_t)c->ts_sec) + uint_tlv(c->ts_usec);

	p = ber_w_hdr(p, BER_CTX_CONS(1), size);
	memcpy(p, c->prefix, c->prefix_len);
	p += c->prefix_len;
	p = ber_w_uint(p, BER_CTX(4), c->seq);			/* sequenceNumber */
	p = ber_w_gentime3(p, BER_CTX(5), c->t, c->ts_usec);	/* timeStamp */
	p = ber_w_hdr(p, BER_CTX_CONS(7), us);			/* microSecondTimeStamp */
	p = ber_w_uint(p, BER_CTX(0), (uint64_t)c->ts_sec);
	p = ber_w_uint(p, BER_CTX(1), c->ts_usec);
	if (c->h->has_tsq)
		p = ber_w_uint(p, BER_CTX(8), c->h->tsq);	/* timeStampQualifier */
	return p;
}

/* The PSHeader through the builder: reserved whole, then written size-first. */
static void
put_pshdr(struct ovt_builder *b, const struct pdu_ctx *c)
{
	size_t size = pshdr_size(c);
	uint8_t *p = bld_reserve(b, tlv(size));

	if (p != NULL && w_pshdr(p, c, size) != p + tlv(size))
		hi2_size_bug("PSHeader");
}

static enum hi2_err
finish(struct ovt_builder *b, struct hi2_diag *d)
{
	return bld_ok(b) ? HI2_OK : hi2_fail(d, HI2_E_SPACE, BER_E_ENCODE, "PS-PDU");
}

static enum hi2_err
write_iri(struct ovt_builder *b, const struct pdu_ctx *c, const struct hi2_eps_iri *iri,
	  struct hi2_diag *d)
{
	struct ber_mark pdu, pl, sq, ip, ic, eps, par;

	/* Hint 0 for the containers: an IRI's size varies with the fields present, and an
	 * overestimated hint would need room beyond the final size (see ber_open).  The cost is
	 * one short memmove per container longer than 127 octets; IRIs are not the hot path. */
	ber_open(b, BER_SEQUENCE, 0, &pdu);
	put_pshdr(b, c);
	ber_open(b, BER_CTX_CONS(2), 0, &pl);		/* payload (CHOICE) */
	ber_open(b, BER_CTX_CONS(0), 0, &sq);		/* iRIPayloadSequence */
	ber_open(b, BER_SEQUENCE, 0, &ip);		/* IRIPayload */
	ber_put_uint(b, BER_CTX(0), hi2_iri_record_of(iri));	/* iRIType */
	ber_put_gentime(b, BER_CTX(1), iri->ts_sec, iri->ts_usec, 3);
	ber_open(b, BER_CTX_CONS(2), 0, &ic);		/* iRIContents (CHOICE) */
	ber_open(b, BER_CTX_CONS(15), 0, &eps);		/* ePSIRI (CHOICE) */
	ber_open(b, BER_CTX_CONS(0), 0, &par);		/* iRI-EPS-Parameters */
	hi2_iri_put_params(b, iri, c->h->liid.p, c->h->liid.len);
	ber_close(b, &par);
	ber_close(b, &eps);
	ber_close(b, &ic);
	ber_close(b, &ip);
	ber_close(b, &sq);
	ber_close(b, &pl);
	ber_close(b, &pdu);
	return finish(b, d);
}

static enum hi2_err
cc_check(const struct hi2_cc *cc, int64_t ts_sec, struct hi2_diag *d)
{
	CHECK(cc->dir <= 4, "CCPayload.payloadDirection");
	CHECK(cc->corr.len >= 1 && cc->corr.len <= HI2_CORR_MAX, "ULIC-header.correlation-Number");
	CHECK(cc->tpdu_dir >= 1 && cc->tpdu_dir <= 3, "ULIC-header.t-PDU-direction");
	CHECK(cc->ice_type <= 6, "ULIC-header.ice-type");
	CHECK(cc->pkt.len <= HI2_PKT_MAX, "Eps-CC-PDU.payload");
	CHECK(ts_sec <= 2524607999, "ULIC-header.timeStamp");	/* UTCTime: up to 2049 */
	return HI2_OK;
}

/*
 * The hot path, size-first: every element's size is computed (a few additions), the whole PDU is
 * reserved with one bounds check and written front to back through a raw pointer, so no length
 * slot moves and there is no per-element error check.  The sizes here and the ber_w_*() writers
 * must agree; the end pointer is checked, and tests compare the output with an encoder built on
 * ber_open()/ber_close(), which sizes nothing in advance.
 */
static enum hi2_err
write_cc(struct ovt_builder *b, const struct pdu_ctx *c, const struct hi2_cc *cc,
	 struct hi2_diag *d)
{
	size_t s_hdr = pshdr_size(c);
	size_t s_ulic = tlv(sizeof(hi2_oid_eps_hi3)) + tlv(c->h->liid.len) + tlv(cc->corr.len) +
			tlv(15) + uint_tlv(cc->ulic_seq) + uint_tlv(cc->tpdu_dir) +
			(cc->ice_type ? uint_tlv(cc->ice_type) : 0);
	size_t s_epdu = tlv(s_ulic) + tlv(cc->pkt.len);
	size_t s_ccc = tlv(s_epdu);
	size_t s_cp = uint_tlv(cc->dir) + tlv(s_ccc);
	size_t s_sq = tlv(s_cp);
	size_t s_pl = tlv(s_sq);
	size_t s_pdu = tlv(s_hdr) + tlv(s_pl);
	uint8_t *start, *p;

	if ((start = bld_reserve(b, tlv(s_pdu))) == NULL)
		return finish(b, d);
	p = ber_w_hdr(start, BER_SEQUENCE, s_pdu);
	p = w_pshdr(p, c, s_hdr);
	p = ber_w_hdr(p, BER_CTX_CONS(2), s_pl);	/* payload (CHOICE) */
	p = ber_w_hdr(p, BER_CTX_CONS(1), s_sq);	/* cCPayloadSequence */
	p = ber_w_hdr(p, BER_SEQUENCE, s_cp);		/* CCPayload */
	p = ber_w_uint(p, BER_CTX(0), cc->dir);		/* payloadDirection */
	p = ber_w_hdr(p, BER_CTX_CONS(2), s_ccc);	/* cCContents (CHOICE) */
	p = ber_w_hdr(p, BER_CTX_CONS(17), s_epdu);	/* ePSCC-CC-PDU: Eps-HI3-PS CC-PDU */
	p = ber_w_hdr(p, BER_CTX_CONS(1), s_ulic);	/* uLIC-header */
	p = ber_w_octets(p, BER_CTX(0), hi2_oid_eps_hi3, sizeof(hi2_oid_eps_hi3));
	p = ber_w_octets(p, BER_CTX(2), c->h->liid.p, c->h->liid.len);
	p = ber_w_octets(p, BER_CTX(3), cc->corr.p, cc->corr.len);
	p = ber_w_hdr(p, BER_CTX_CONS(4), 15);		/* timeStamp (TimeStamp CHOICE) */
	p = ber_w_utctime(p, BER_CTX(1), c->t);		/* utcTime: the PSHeader's second */
	p = ber_w_uint(p, BER_CTX(5), cc->ulic_seq);
	p = ber_w_uint(p, BER_CTX(6), cc->tpdu_dir);
	if (cc->ice_type)
		p = ber_w_uint(p, BER_CTX(8), cc->ice_type);
	p = ber_w_octets(p, BER_CTX(2), cc->pkt.p, cc->pkt.len);	/* payload: the IP packet */
	if (p != start + tlv(s_pdu))
		hi2_size_bug("CC PS-PDU");
	return HI2_OK;
}

static enum hi2_err
write_tri(struct ovt_builder *b, const struct pdu_ctx *c, enum hi2_tri kind,
	  struct hi2_diag *d)
{
	size_t s_hdr = pshdr_size(c);
	size_t s_pdu = tlv(s_hdr) + 6;
	uint8_t *start, *p;

	CHECK(kind == HI2_TRI_KEEPALIVE || kind == HI2_TRI_KEEPALIVE_RESPONSE, "TRIPayload");
	if ((start = bld_reserve(b, tlv(s_pdu))) == NULL)
		return finish(b, d);
	p = ber_w_hdr(start, BER_SEQUENCE, s_pdu);
	p = w_pshdr(p, c, s_hdr);
	p = ber_w_hdr(p, BER_CTX_CONS(2), 4);		/* payload (CHOICE) */
	p = ber_w_hdr(p, BER_CTX_CONS(2), 2);		/* tRIPayload (CHOICE) */
	p = ber_w_hdr(p, BER_CTX(kind), 0);		/* keep-alive [3] / keep-aliveResponse [4] */
	if (p != start + tlv(s_pdu))
		hi2_size_bug("TRI PS-PDU");
	return HI2_OK;
}

/* ---- stateless entry points ----------------------------------------------------------------- */

/* A pdu_ctx for one call: the prefix encoded into the caller's stack buffer. */
static enum hi2_err
ctx_once(struct pdu_ctx *c, const struct hi2_pshdr *h, uint8_t prefix[HI2_PREFIX_MAX],
	 struct ber_time *t, struct hi2_diag *d)
{
	struct ovt_builder pb;
	enum hi2_err e;

	if ((e = hdr_fields_check(h, d)) != HI2_OK ||
	    (e = time_check(h->ts_sec, h->ts_usec, d)) != HI2_OK)
		return e;
	bld_init_fixed(&pb, prefix, HI2_PREFIX_MAX);
	put_prefix(&pb, h);
	if (!bld_ok(&pb) || ber_time_set(t, h->ts_sec) != 0)
		return hi2_fail(d, HI2_E_ARG, BER_E_ENCODE, "PSHeader");	/* cannot happen */
	c->h = h;
	c->prefix = prefix;
	c->prefix_len = bld_len(&pb);
	c->seq = h->seq;
	c->ts_sec = h->ts_sec;
	c->ts_usec = h->ts_usec;
	c->t = t;
	return HI2_OK;
}

enum hi2_err
hi2_encode_iri(struct ovt_builder *b, const struct hi2_pshdr *hdr, const struct hi2_eps_iri *iri,
	       struct hi2_diag *d)
{
	uint8_t prefix[HI2_PREFIX_MAX];
	struct ber_time t = {0};
	struct pdu_ctx c;
	enum hi2_err e;

	if ((e = ctx_once(&c, hdr, prefix, &t, d)) != HI2_OK ||
	    (e = hi2_iri_check(iri, d)) != HI2_OK)
		return e;
	return write_iri(b, &c, iri, d);
}

enum hi2_err
hi2_encode_cc(struct ovt_builder *b, const struct hi2_pshdr *hdr, const struct hi2_cc *cc,
	      struct hi2_diag *d)
{
	uint8_t prefix[HI2_PREFIX_MAX];
	struct ber_time t = {0};
	struct pdu_ctx c;
	enum hi2_err e;

	if ((e = ctx_once(&c, hdr, prefix, &t, d)) != HI2_OK ||
	    (e = cc_check(cc, hdr->ts_sec, d)) != HI2_OK)
		return e;
	return write_cc(b, &c, cc, d);
}

enum hi2_err
hi2_encode_tri(struct ovt_builder *b, const struct hi2_pshdr *hdr, enum hi2_tri kind,
	       struct hi2_diag *d)
{
	uint8_t prefix[HI2_PREFIX_MAX];
	struct ber_time t = {0};
	struct pdu_ctx c;
	enum hi2_err e;

	if ((e = ctx_once(&c, hdr, prefix, &t, d)) != HI2_OK)
		return e;
	return write_tri(b, &c, kind, d);
}

enum hi2_err
hi2_encode_iri_from_x2(struct ovt_builder *b, const struct hi2_pshdr *hdr, const uint8_t *x2,
		       size_t x2_len, unsigned *out_unknown, struct hi2_diag *d)
{
	struct hi2_eps_iri iri;
	enum hi2_err e;

	if ((e = hi2_iri_decode_x2(x2, x2_len, &iri, d)) != HI2_OK)
		return e;
	if (out_unknown != NULL)
		*out_unknown = iri.unknown;
	return hi2_encode_iri(b, hdr, &iri, d);
}

/* ---- per-stream entry points ---------------------------------------------------------------- */

enum hi2_err
hi2_stream_init(struct hi2_stream *s, const struct hi2_pshdr *hdr, struct hi2_diag *d)
{
	struct ovt_builder pb;
	enum hi2_err e;

	memset(s, 0, sizeof(*s));
	if ((e = hdr_fields_check(hdr, d)) != HI2_OK)
		return e;
	s->hdr = *hdr;
	memcpy(s->liid, hdr->liid.p, hdr->liid.len);
	s->hdr.liid.p = s->liid;
	memcpy(s->operator_id, hdr->operator_id.p, hdr->operator_id.len);
	s->hdr.operator_id.p = s->operator_id;
	if (hdr->ne_id.len)
		memcpy(s->ne_id, hdr->ne_id.p, hdr->ne_id.len);
	s->hdr.ne_id.p = s->ne_id;
	bld_init_fixed(&pb, s->prefix, sizeof(s->prefix));
	put_prefix(&pb, &s->hdr);
	if (!bld_ok(&pb))
		return hi2_fail(d, HI2_E_ARG, BER_E_ENCODE, "PSHeader");	/* cannot happen */
	s->prefix_len = bld_len(&pb);
	return HI2_OK;
}

static enum hi2_err
ctx_stream(struct pdu_ctx *c, struct hi2_stream *s, int64_t ts_sec, uint32_t ts_usec,
	   struct hi2_diag *d)
{
	enum hi2_err e;

	if ((e = time_check(ts_sec, ts_usec, d)) != HI2_OK)
		return e;
	if (ber_time_set(&s->time, ts_sec) != 0)	/* re-formats only on a new second */
		return hi2_fail(d, HI2_E_ARG, BER_OK, "PSHeader.timeStamp");
	c->h = &s->hdr;
	c->prefix = s->prefix;
	c->prefix_len = s->prefix_len;
	c->seq = s->hdr.seq;
	c->ts_sec = ts_sec;
	c->ts_usec = ts_usec;
	c->t = &s->time;
	return HI2_OK;
}

static enum hi2_err
stream_done(struct hi2_stream *s, enum hi2_err e)
{
	if (e == HI2_OK)
		s->hdr.seq++;	/* sequenceNumber (0..4294967295) wraps */
	return e;
}

enum hi2_err
hi2_stream_cc(struct hi2_stream *s, struct ovt_builder *b, int64_t ts_sec, uint32_t ts_usec,
	      const struct hi2_cc *cc, struct hi2_diag *d)
{
	struct pdu_ctx c;
	enum hi2_err e;

	if ((e = ctx_stream(&c, s, ts_sec, ts_usec, d)) != HI2_OK ||
	    (e = cc_check(cc, ts_sec, d)) != HI2_OK)
		return e;
	return stream_done(s, write_cc(b, &c, cc, d));
}

enum hi2_err
hi2_stream_iri(struct hi2_stream *s, struct ovt_builder *b, int64_t ts_sec, uint32_t ts_usec,
	       const struct hi2_eps_iri *iri, struct hi2_diag *d)
{
	struct pdu_ctx c;
	enum hi2_err e;

	if ((e = ctx_stream(&c, s, ts_sec, ts_usec, d)) != HI2_OK ||
	    (e = hi2_iri_check(iri, d)) != HI2_OK)
		return e;
	return stream_done(s, write_iri(b, &c, iri, d));
}

enum hi2_err
hi2_stream_tri(struct hi2_stream *s, struct ovt_builder *b, int64_t ts_sec, uint32_t ts_usec,
	       enum hi2_tri kind, struct hi2_diag *d)
{
	struct pdu_ctx c;
	enum hi2_err e;

	if ((e = ctx_stream(&c, s, ts_sec, ts_usec, d)) != HI2_OK)
		return e;
	return stream_done(s, write_tri(b, &c, kind, d));
}
