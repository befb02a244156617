/*
 * ETSI TS 102 232-1 PS-PDU encoders for EPS: IRI (ePSIRI [15] -> iRI-EPS-Parameters [0]),
 * CC (ePSCC-CC-PDU [17], 33.108 Eps-HI3-PS CC-PDU with its ULIC header) and TRI keep-alives.
 *
 * The MDF calls these once per delivered PDU, so they validate their inputs, then write straight
 * into the caller's builder in one pass: no allocation, no intermediate copies, the user packet
 * copied once.  Length slots are hinted with the packet size so a CC PDU moves nothing.
 * Tagging (IMPLICIT TAGS modules): a tagged CHOICE becomes EXPLICIT, so payload [2],
 * iRIContents [2], ePSIRI [15], cCContents [2] and timeStamp [4] of the ULIC header each wrap
 * one inner element (X.680 31.2.7).
 */
#include "hi2/hi2_int.h"

#define HI2_PKT_MAX	65535	/* an IP packet never exceeds its 16-bit total length */
#define PSHDR_TLV_MIN	56	/* see hi2_encode_cc */
#define ULIC_MIN	39

static enum hi2_err
hdr_check(const struct hi2_pshdr *h, struct hi2_diag *d)
{
#define CHECK(cond, where) \
	do { if (!(cond)) return hi2_fail(d, HI2_E_ARG, BER_OK, (where)); } while (0)
	CHECK(h->liid.len >= 1 && h->liid.len <= HI2_LIID_MAX, "PSHeader.lawfulInterceptionIdentifier");
	CHECK(hi2_country_ok(h->auth_cc), "PSHeader.authorizationCountryCode");
	CHECK(h->operator_id.len >= 1 && h->operator_id.len <= HI2_OPERATOR_ID_MAX,
	      "NetworkIdentifier.operatorIdentifier");
	CHECK(h->ne_id.len <= HI2_NE_ID_MAX, "NetworkIdentifier.networkElementIdentifier");
	CHECK(hi2_country_ok(h->delivery_cc), "CommunicationIdentifier.deliveryCountryCode");
	/* microSecondTimeStamp.seconds is INTEGER (0..MAX); GeneralizedTime stops at 9999. */
	CHECK(h->ts_sec >= 0 && h->ts_sec <= 253402300799 && h->ts_usec <= 999999,
	      "PSHeader.timeStamp");
	CHECK(!h->has_tsq || h->tsq <= 3, "PSHeader.timeStampQualifier");
#undef CHECK
	return HI2_OK;
}

/* pSHeader [1] PSHeader (TS 102 232-1 clause 5.2 / annex A). */
static void
put_pshdr(struct ovt_builder *b, const struct hi2_pshdr *h)
{
	struct ber_mark hm, cm, nm, um;

	ber_open(b, BER_CTX_CONS(1), PSHDR_TLV_MIN - 2, &hm);
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
	ber_put_uint(b, BER_CTX(4), h->seq);
	ber_put_gentime(b, BER_CTX(5), h->ts_sec, h->ts_usec, 3);
	ber_open(b, BER_CTX_CONS(7), 12, &um);		/* microSecondTimeStamp */
	ber_put_uint(b, BER_CTX(0), (uint64_t)h->ts_sec);
	ber_put_uint(b, BER_CTX(1), h->ts_usec);
	ber_close(b, &um);
	if (h->has_tsq)
		ber_put_uint(b, BER_CTX(8), h->tsq);
	ber_close(b, &hm);
}

static enum hi2_err
finish(struct ovt_builder *b, struct hi2_diag *d)
{
	return bld_ok(b) ? HI2_OK : hi2_fail(d, HI2_E_SPACE, BER_E_ENCODE, "PS-PDU");
}

enum hi2_err
hi2_encode_iri(struct ovt_builder *b, const struct hi2_pshdr *hdr, const struct hi2_eps_iri *iri,
	       struct hi2_diag *d)
{
	struct ber_mark pdu, pl, sq, ip, ic, eps, par;
	enum hi2_err e;

	if ((e = hdr_check(hdr, d)) != HI2_OK || (e = hi2_iri_check(iri, d)) != HI2_OK)
		return e;
	/* Hint 0 everywhere: an IRI's size varies with the fields present, and an overestimated
	 * hint would need room beyond the final size (see ber_open).  The cost is one short
	 * memmove per container longer than 127 octets; IRIs are not the hot path. */
	ber_open(b, BER_SEQUENCE, 0, &pdu);
	put_pshdr(b, hdr);
	ber_open(b, BER_CTX_CONS(2), 0, &pl);		/* payload (CHOICE) */
	ber_open(b, BER_CTX_CONS(0), 0, &sq);		/* iRIPayloadSequence */
	ber_open(b, BER_SEQUENCE, 0, &ip);		/* IRIPayload */
	ber_put_uint(b, BER_CTX(0), hi2_iri_record_of(iri));	/* iRIType */
	ber_put_gentime(b, BER_CTX(1), iri->ts_sec, iri->ts_usec, 3);
	ber_open(b, BER_CTX_CONS(2), 0, &ic);		/* iRIContents (CHOICE) */
	ber_open(b, BER_CTX_CONS(15), 0, &eps);		/* ePSIRI (CHOICE) */
	ber_open(b, BER_CTX_CONS(0), 0, &par);		/* iRI-EPS-Parameters */
	hi2_iri_put_params(b, iri, hdr->liid.p, hdr->liid.len);
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
cc_check(const struct hi2_pshdr *h, const struct hi2_cc *cc, struct hi2_diag *d)
{
#define CHECK(cond, where) \
	do { if (!(cond)) return hi2_fail(d, HI2_E_ARG, BER_OK, (where)); } while (0)
	CHECK(cc->dir <= 4, "CCPayload.payloadDirection");
	CHECK(cc->corr.len >= 1 && cc->corr.len <= HI2_CORR_MAX, "ULIC-header.correlation-Number");
	CHECK(cc->tpdu_dir >= 1 && cc->tpdu_dir <= 3, "ULIC-header.t-PDU-direction");
	CHECK(cc->ice_type <= 6, "ULIC-header.ice-type");
	CHECK(cc->pkt.len <= HI2_PKT_MAX, "Eps-CC-PDU.payload");
	CHECK(h->ts_sec <= 2524607999, "ULIC-header.timeStamp");	/* UTCTime window */
#undef CHECK
	return HI2_OK;
}

/* Lower bounds of element sizes, for the length hints of the CC path: a PSHeader TLV with
 * one-octet LIID and operator, no options (A1 36 {80 07 oid, 81 01, A3 08 {A0 03 {80 01}, 81 01},
 * 84 01, 85 13 time, A7 06 {80 01, 81 01}}), and a ULIC header's contents (80 08 oid, 82 01,
 * 83 01, A4 0f {81 0d time}, 85 01, 86 01).  Hints that never exceed the real size keep every
 * intermediate state within the final size, so an exactly-sized buffer always suffices. */
enum hi2_err
hi2_encode_cc(struct ovt_builder *b, const struct hi2_pshdr *hdr, const struct hi2_cc *cc,
	      struct hi2_diag *d)
{
	struct ber_mark pdu, pl, sq, cp, cc_c, epdu, ulic, ts;
	size_t h_epdu = 2 + ULIC_MIN + 2 + cc->pkt.len;	/* uLIC-header TLV + payload TLV */
	size_t h_ccc = h_epdu + 2, h_cp = 3 + h_ccc + 2, h_sq = h_cp + 2, h_pl = h_sq + 2;
	enum hi2_err e;

	if ((e = hdr_check(hdr, d)) != HI2_OK || (e = cc_check(hdr, cc, d)) != HI2_OK)
		return e;
	ber_open(b, BER_SEQUENCE, PSHDR_TLV_MIN + 2 + h_pl, &pdu);
	put_pshdr(b, hdr);
	ber_open(b, BER_CTX_CONS(2), h_pl, &pl);	/* payload (CHOICE) */
	ber_open(b, BER_CTX_CONS(1), h_sq, &sq);	/* cCPayloadSequence */
	ber_open(b, BER_SEQUENCE, h_cp, &cp);		/* CCPayload */
	ber_put_uint(b, BER_CTX(0), cc->dir);		/* payloadDirection */
	ber_open(b, BER_CTX_CONS(2), h_ccc, &cc_c);	/* cCContents (CHOICE) */
	ber_open(b, BER_CTX_CONS(17), h_epdu, &epdu);	/* ePSCC-CC-PDU: Eps-HI3-PS CC-PDU */
	ber_open(b, BER_CTX_CONS(1), ULIC_MIN, &ulic);	/* uLIC-header */
	ber_put_octets(b, BER_CTX(0), hi2_oid_eps_hi3, sizeof(hi2_oid_eps_hi3));
	ber_put_octets(b, BER_CTX(2), hdr->liid.p, hdr->liid.len);
	ber_put_octets(b, BER_CTX(3), cc->corr.p, cc->corr.len);
	ber_open(b, BER_CTX_CONS(4), 15, &ts);		/* timeStamp (TimeStamp CHOICE) */
	ber_put_utctime(b, BER_CTX(1), hdr->ts_sec);
	ber_close(b, &ts);
	ber_put_uint(b, BER_CTX(5), cc->ulic_seq);
	ber_put_uint(b, BER_CTX(6), cc->tpdu_dir);
	if (cc->ice_type)
		ber_put_uint(b, BER_CTX(8), cc->ice_type);
	ber_close(b, &ulic);
	ber_put_octets(b, BER_CTX(2), cc->pkt.p, cc->pkt.len);	/* payload: the IP packet */
	ber_close(b, &epdu);
	ber_close(b, &cc_c);
	ber_close(b, &cp);
	ber_close(b, &sq);
	ber_close(b, &pl);
	ber_close(b, &pdu);
	return finish(b, d);
}

enum hi2_err
hi2_encode_tri(struct ovt_builder *b, const struct hi2_pshdr *hdr, enum hi2_tri kind,
	       struct hi2_diag *d)
{
	struct ber_mark pdu, pl, tri;
	enum hi2_err e;

	if ((e = hdr_check(hdr, d)) != HI2_OK)
		return e;
	if (kind != HI2_TRI_KEEPALIVE && kind != HI2_TRI_KEEPALIVE_RESPONSE)
		return hi2_fail(d, HI2_E_ARG, BER_OK, "TRIPayload");
	ber_open(b, BER_SEQUENCE, PSHDR_TLV_MIN + 6, &pdu);
	put_pshdr(b, hdr);
	ber_open(b, BER_CTX_CONS(2), 4, &pl);		/* payload (CHOICE) */
	ber_open(b, BER_CTX_CONS(2), 2, &tri);		/* tRIPayload (CHOICE) */
	ber_put_null(b, BER_CTX(kind));			/* keep-alive [3] / keep-aliveResponse [4] */
	ber_close(b, &tri);
	ber_close(b, &pl);
	ber_close(b, &pdu);
	return finish(b, d);
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
