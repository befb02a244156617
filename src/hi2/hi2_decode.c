/*
 * LEMF side of TS 102 232-1: a strict PS-PDU decoder (PSHeader, EPS IRI, EPS CC, TRI) and the
 * splitter that finds PDU boundaries in an HI2/HI3 TCP byte stream.
 *
 * Order of checks for one PDU: ber_validate() walks the whole TLV tree first with the depth
 * and element caps, so a BER bomb costs one linear pass and no recursion; only then is the
 * schema applied, component by component (tags ascending per X.690 8.9.2, each value inside its
 * ASN.1 constraint).  Every payload item is decoded once here, so hi2_next_iri()/hi2_next_cc()
 * cannot fail later.  Known extension components are validated and skipped; unknown ones after
 * an extension marker are skipped and counted (X.680 52: extensible types must tolerate them).
 */
#include "hi2/hi2_int.h"

#include <string.h>

static enum hi2_err
get_netid(const struct ber_tlv *t, struct hi2_pdu *out, struct hi2_diag *d)
{
	static const char W[] = "CommunicationIdentifier.networkIdentifier";
	struct hi2_seq s;
	struct ber_tlv f;
	enum hi2_err e;
	int have_op = 0;

	if ((e = hi2_want_cons(t, d, W)) != HI2_OK)
		return e;
	hi2_seq_init(&s, &t->val, W);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 0:
			e = hi2_get_octets(&f, 1, HI2_OPERATOR_ID_MAX, &out->operator_id, d,
					   "NetworkIdentifier.operatorIdentifier");
			have_op = 1;
			break;
		case 1:
			e = hi2_get_octets(&f, 1, HI2_NE_ID_MAX, &out->ne_id, d,
					   "NetworkIdentifier.networkElementIdentifier");
			break;
		default:	/* eTSI671NEID and later extensions */
			out->unknown++;
			break;
		}
		if (e != HI2_OK)
			return e;
	}
	return have_op ? HI2_OK : hi2_fail(d, HI2_E_TAG, BER_OK, W);
}

static enum hi2_err
get_commid(const struct ber_tlv *t, struct hi2_pdu *out, struct hi2_diag *d)
{
	static const char W[] = "PSHeader.communicationIdentifier";
	struct hi2_seq s;
	struct ber_tlv f;
	enum hi2_err e;
	uint64_t v;
	int have_net = 0;

	if ((e = hi2_want_cons(t, d, W)) != HI2_OK)
		return e;
	hi2_seq_init(&s, &t->val, W);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 0:
			e = get_netid(&f, out, d);
			have_net = 1;
			break;
		case 1:
			e = hi2_get_uint(&f, 0xffffffffu, &v, d,
					 "CommunicationIdentifier.communicationIdentityNumber");
			out->has_cin = 1;
			out->cin = (uint32_t)v;
			break;
		case 2:
			e = hi2_get_country(&f, out->delivery_cc, d,
					    "CommunicationIdentifier.deliveryCountryCode");
			break;
		default:	/* cINExtension [3] and later */
			out->unknown++;
			break;
		}
		if (e != HI2_OK)
			return e;
	}
	return have_net ? HI2_OK : hi2_fail(d, HI2_E_TAG, BER_OK, W);
}

/* MicroSecondTimeStamp ::= SEQUENCE { seconds [0] INTEGER (0..MAX), microSeconds [1] ... } */
static enum hi2_err
get_usts(const struct ber_tlv *t, int64_t *sec, uint32_t *usec, struct hi2_diag *d,
	 const char *where)
{
	struct hi2_seq s;
	struct ber_tlv f;
	enum hi2_err e;
	uint64_t v;
	int have = 0;

	if ((e = hi2_want_cons(t, d, where)) != HI2_OK)
		return e;
	hi2_seq_init(&s, &t->val, where);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 0:	/* seconds: we keep them in int64_t, enough for 292 billion years */
			e = hi2_get_uint(&f, INT64_MAX, &v, d, where);
			*sec = (int64_t)v;
			have |= 1;
			break;
		case 1:
			e = hi2_get_uint(&f, 999999, &v, d, where);
			*usec = (uint32_t)v;
			have |= 2;
			break;
		default:
			break;
		}
		if (e != HI2_OK)
			return e;
	}
	return have == 3 ? HI2_OK : hi2_fail(d, HI2_E_TAG, BER_OK, where);
}

static enum hi2_err
get_pshdr(const struct ber_tlv *t, struct hi2_pdu *out, struct hi2_diag *d)
{
	static const char W[] = "PSHeader";
	struct hi2_seq s;
	struct ber_tlv f;
	struct hi2_bytes v;
	enum hi2_err e;
	uint64_t u;
	unsigned have = 0;

	if ((e = hi2_want_cons(t, d, W)) != HI2_OK)
		return e;
	hi2_seq_init(&s, &t->val, W);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 0:
			e = hi2_get_oid(&f, &out->domain_id, d, "PSHeader.li-psDomainId");
			have |= 1;
			break;
		case 1:
			e = hi2_get_octets(&f, 1, HI2_LIID_MAX, &out->liid, d,
					   "PSHeader.lawfulInterceptionIdentifier");
			have |= 2;
			break;
		case 2:
			e = hi2_get_country(&f, out->auth_cc, d, "PSHeader.authorizationCountryCode");
			break;
		case 3:
			e = get_commid(&f, out, d);
			have |= 4;
			break;
		case 4:
			e = hi2_get_uint(&f, 0xffffffffu, &u, d, "PSHeader.sequenceNumber");
			out->seq = (uint32_t)u;
			have |= 8;
			break;
		case 5:
			e = hi2_get_gentime(&f, &out->ts_sec, &out->ts_usec, d, "PSHeader.timeStamp");
			out->has_ts = 1;
			break;
		case 6:
			e = hi2_get_octets(&f, 1, 8, &v, d, "PSHeader.interceptionPointID");
			break;
		case 7:
			e = get_usts(&f, &out->usts_sec, &out->usts_usec, d,
				     "PSHeader.microSecondTimeStamp");
			out->has_usts = 1;
			break;
		case 8:	/* TimeStampQualifier: extensible ENUMERATED */
			e = hi2_get_uint(&f, 255, &u, d, "PSHeader.timeStampQualifier");
			out->has_tsq = 1;
			out->tsq = (uint8_t)u;
			break;
		case 9:
		case 10:
			e = hi2_get_octets(&f, 1, 65535, &v, d, "PSHeader.extendedIPID/NFID");
			break;
		default:
			out->unknown++;
			break;
		}
		if (e != HI2_OK)
			return e;
	}
	/* li-psDomainId, lawfulInterceptionIdentifier, communicationIdentifier, sequenceNumber
	 * are mandatory. */
	return have == 15 ? HI2_OK : hi2_fail(d, HI2_E_TAG, BER_OK, W);
}

/* iRIContents [2] IRIContents (CHOICE): only ePSIRI [15] is handled. */
static enum hi2_err
get_iri_contents(const struct ber_tlv *t, struct hi2_iri_item *it, struct hi2_diag *d)
{
	static const char W[] = "IRIPayload.iRIContents";
	struct ber_tlv c, eps, rec;
	enum hi2_err e;

	if ((e = hi2_get_single(t, &c, d, W)) != HI2_OK)
		return e;
	if (c.tag != BER_CTX_CONS(15))
		return hi2_fail(d, HI2_E_UNSUPPORTED, BER_OK, W);	/* UMTS, 33.128... */
	if ((e = hi2_get_single(&c, &eps, d, "IRIContents.ePSIRI")) != HI2_OK)
		return e;
	if (eps.tag == BER_CTX_CONS(0)) {		/* iRI-EPS-Parameters */
		it->epsiris_form = 0;
		if ((e = hi2_iri_get_params(&eps, &it->eps, d)) != HI2_OK)
			return e;
		it->eps.record = it->has_type ? it->iri_type : HI2_REC_NONE;
		return HI2_OK;
	}
	if (eps.tag != BER_CTX_CONS(1))
		return hi2_fail(d, HI2_E_UNSUPPORTED, BER_OK, "IRIContents.ePSIRI");
	/* epsIRIsContent [1] EpsIRIsContent (CHOICE): epsiRIContent (one record) is handled,
	 * epsIRISequence (aggregation, 33.108 calls it optional) is not. */
	it->epsiris_form = 1;
	if ((e = hi2_get_single(&eps, &rec, d, "EPSIRI.epsIRIsContent")) != HI2_OK)
		return e;
	if (BER_TAG_CLASS(rec.tag) != BER_CONTEXT || BER_TAG_NUM(rec.tag) < 1 ||
	    BER_TAG_NUM(rec.tag) > 4)
		return hi2_fail(d, HI2_E_UNSUPPORTED, BER_OK, "EPSIRI.epsIRIsContent");
	if ((e = hi2_iri_get_params(&rec, &it->eps, d)) != HI2_OK)
		return e;
	it->eps.record = (uint8_t)BER_TAG_NUM(rec.tag);
	return HI2_OK;
}

static enum hi2_err
get_iri_item(const struct ber_tlv *t, struct hi2_iri_item *it, struct hi2_diag *d)
{
	static const char W[] = "IRIPayload";
	struct hi2_seq s;
	struct ber_tlv f, contents;
	enum hi2_err e;
	uint64_t v;
	int have_contents = 0;

	memset(it, 0, sizeof(*it));
	if (t->tag != BER_SEQUENCE)
		return hi2_fail(d, HI2_E_TAG, BER_E_TAG, W);
	hi2_seq_init(&s, &t->val, W);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 0:
			e = hi2_get_uint(&f, 255, &v, d, "IRIPayload.iRIType");
			if (e == HI2_OK && (v < HI2_REC_BEGIN || v > HI2_REC_REPORT))
				e = hi2_fail(d, HI2_E_VALUE, BER_OK, "IRIPayload.iRIType");
			it->has_type = 1;
			it->iri_type = (uint8_t)v;
			break;
		case 1:
			e = hi2_get_gentime(&f, &it->ts_sec, &it->ts_usec, d, "IRIPayload.timeStamp");
			it->has_ts = 1;
			break;
		case 2:
			contents = f;	/* decoded after the loop, once iRIType is known */
			have_contents = 1;
			break;
		case 3:
			e = hi2_skip_checked(&f, 1, d, "IRIPayload.microSecondTimeStamp");
			break;
		case 4: case 5: case 6:	/* timeStampQualifier, session/payloadDirection */
			e = hi2_get_uint(&f, 255, &v, d, W);
			break;
		default:
			break;
		}
		if (e != HI2_OK)
			return e;
	}
	if (!have_contents)
		return hi2_fail(d, HI2_E_TAG, BER_OK, "IRIPayload.iRIContents");
	return get_iri_contents(&contents, it, d);
}

static enum hi2_err
get_ulic(const struct ber_tlv *t, struct hi2_cc_item *it, struct hi2_diag *d)
{
	static const char W[] = "ULIC-header";
	struct hi2_seq s;
	struct ber_tlv f;
	struct hi2_bytes v;
	enum hi2_err e;
	uint64_t u;
	uint32_t usec;
	unsigned have = 0;

	if ((e = hi2_want_cons(t, d, W)) != HI2_OK)
		return e;
	hi2_seq_init(&s, &t->val, W);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 0:
			e = hi2_get_oid(&f, &it->hi3_domain, d, "ULIC-header.hi3DomainId");
			have |= 1;
			break;
		case 2:
			e = hi2_get_octets(&f, 1, HI2_LIID_MAX, &it->liid, d, "ULIC-header.lIID");
			break;
		case 3:
			e = hi2_get_octets(&f, 1, 255, &it->corr, d, "ULIC-header.correlation-Number");
			have |= 2;
			break;
		case 4:
			e = hi2_get_timestamp(&f, &it->ulic_ts_sec, &usec, d, "ULIC-header.timeStamp");
			it->has_ulic_ts = 1;
			break;
		case 5:
			e = hi2_get_uint(&f, 65535, &u, d, "ULIC-header.sequence-number");
			it->ulic_seq = (uint32_t)u;
			have |= 4;
			break;
		case 6:	/* TPDU-direction: not extensible, 1..3 */
			e = hi2_get_uint(&f, 3, &u, d, "ULIC-header.t-PDU-direction");
			if (e == HI2_OK && u == 0)
				e = hi2_fail(d, HI2_E_VALUE, BER_OK, "ULIC-header.t-PDU-direction");
			it->tpdu_dir = (uint8_t)u;
			have |= 8;
			break;
		case 7:
			e = hi2_get_octets(&f, 0, 65535, &v, d, "ULIC-header.nationalParameters");
			break;
		case 8:	/* ICE-type: extensible */
			e = hi2_get_uint(&f, 255, &u, d, "ULIC-header.ice-type");
			it->has_ice = 1;
			it->ice_type = (uint8_t)u;
			break;
		default:
			break;
		}
		if (e != HI2_OK)
			return e;
	}
	/* hi3DomainId, correlation-Number, sequence-number, t-PDU-direction are mandatory. */
	return have == 15 ? HI2_OK : hi2_fail(d, HI2_E_TAG, BER_OK, W);
}

/* cCContents [2] CCContents (CHOICE): only ePSCC-CC-PDU [17] is handled. */
static enum hi2_err
get_cc_contents(const struct ber_tlv *t, struct hi2_cc_item *it, struct hi2_diag *d)
{
	static const char W[] = "Eps-CC-PDU";
	struct ber_tlv c, f;
	struct hi2_seq s;
	enum hi2_err e;
	int have_ulic = 0, have_pl = 0;

	if ((e = hi2_get_single(t, &c, d, "CCPayload.cCContents")) != HI2_OK)
		return e;
	if (c.tag != BER_CTX_CONS(17))
		return hi2_fail(d, HI2_E_UNSUPPORTED, BER_OK, "CCPayload.cCContents");
	hi2_seq_init(&s, &c.val, W);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 1:
			e = get_ulic(&f, it, d);
			have_ulic = 1;
			break;
		case 2:
			e = hi2_get_octets(&f, 0, HI2_MAX_PDU, &it->pkt, d, "Eps-CC-PDU.payload");
			have_pl = 1;
			break;
		default:	/* CC-PDU has no extension marker */
			e = hi2_fail(d, HI2_E_TAG, BER_E_TAG, W);
			break;
		}
		if (e != HI2_OK)
			return e;
	}
	return have_ulic && have_pl ? HI2_OK : hi2_fail(d, HI2_E_TAG, BER_OK, W);
}

static enum hi2_err
get_cc_item(const struct ber_tlv *t, struct hi2_cc_item *it, struct hi2_diag *d)
{
	static const char W[] = "CCPayload";
	struct hi2_seq s;
	struct ber_tlv f, contents;
	enum hi2_err e;
	uint64_t v;
	int have_contents = 0;

	memset(it, 0, sizeof(*it));
	if (t->tag != BER_SEQUENCE)
		return hi2_fail(d, HI2_E_TAG, BER_E_TAG, W);
	hi2_seq_init(&s, &t->val, W);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 0:
			e = hi2_get_uint(&f, 255, &v, d, "CCPayload.payloadDirection");
			it->has_dir = 1;
			it->dir = (uint8_t)v;
			break;
		case 1:
			e = hi2_get_gentime(&f, &it->ts_sec, &it->ts_usec, d, "CCPayload.timeStamp");
			it->has_ts = 1;
			break;
		case 2:
			contents = f;
			have_contents = 1;
			break;
		case 3:
			e = hi2_skip_checked(&f, 1, d, "CCPayload.microSecondTimeStamp");
			break;
		case 4:
			e = hi2_get_uint(&f, 255, &v, d, "CCPayload.timeStampQualifier");
			break;
		default:
			break;
		}
		if (e != HI2_OK)
			return e;
	}
	if (!have_contents)
		return hi2_fail(d, HI2_E_TAG, BER_OK, "CCPayload.cCContents");
	return get_cc_contents(&contents, it, d);
}

/* TRIPayload (CHOICE): the NULL alternatives and paddingPDU. */
static enum hi2_err
get_tri(const struct ber_tlv *t, struct hi2_pdu *out, struct hi2_diag *d)
{
	static const char W[] = "Payload.tRIPayload";
	struct ber_tlv in;
	enum hi2_err e;
	unsigned n;

	if ((e = hi2_get_single(t, &in, d, W)) != HI2_OK)
		return e;
	n = BER_TAG_NUM(in.tag);
	if (BER_TAG_CLASS(in.tag) != BER_CONTEXT || n == 0 || n > 7)
		return hi2_fail(d, HI2_E_UNSUPPORTED, BER_OK, W);	/* integrityCheck, ... */
	if ((e = hi2_want_prim(&in, d, W)) != HI2_OK)
		return e;
	if (n != 2 && ber_read_null(&in.val) != BER_OK)			/* 2 = paddingPDU */
		return hi2_fail(d, HI2_E_BER, BER_E_NULL, W);
	out->tri = (uint8_t)n;
	return HI2_OK;
}

/* payload [2] Payload (CHOICE). */
static enum hi2_err
get_payload(const struct ber_tlv *t, struct hi2_pdu *out, struct hi2_diag *d)
{
	static const char W[] = "PS-PDU.payload";
	struct ber_tlv in, item;
	struct ovt_cursor c;
	enum hi2_err e;
	enum ber_err be;

	if ((e = hi2_get_single(t, &in, d, W)) != HI2_OK)
		return e;
	if (in.tag == BER_CTX_CONS(2)) {
		out->kind = HI2_KIND_TRI;
		return get_tri(&in, out, d);
	}
	if (in.tag == BER_CTX_CONS(0))
		out->kind = HI2_KIND_IRI;
	else if (in.tag == BER_CTX_CONS(1))
		out->kind = HI2_KIND_CC;
	else
		return hi2_fail(d, HI2_E_UNSUPPORTED, BER_OK, W);	/* HI1, encryption... */
	out->items = in.val;
	out->nitems = 0;
	c = in.val;
	while (cur_len(&c) > 0) {
		/* Decode every item now, into a scratch copy, so that nothing is delivered from
		 * a PDU whose later items are malformed. */
		union {
			struct hi2_iri_item iri;
			struct hi2_cc_item cc;
		} scratch;
		if ((be = ber_get_tlv(&c, &item)) != BER_OK)
			return hi2_fail(d, HI2_E_BER, be, W);
		if (out->kind == HI2_KIND_IRI)
			e = get_iri_item(&item, &scratch.iri, d);
		else
			e = get_cc_item(&item, &scratch.cc, d);
		if (e != HI2_OK)
			return e;
		out->nitems++;
	}
	if (out->nitems == 0)	/* an empty sequence delivers nothing: treat as malformed */
		return hi2_fail(d, HI2_E_TAG, BER_OK, W);
	return HI2_OK;
}

enum hi2_err
hi2_decode(const uint8_t *p, size_t len, struct hi2_pdu *out, struct hi2_diag *d)
{
	static const char W[] = "PS-PDU";
	struct ovt_cursor c;
	struct ber_tlv t, f;
	struct hi2_seq s;
	enum ber_err be;
	enum hi2_err e;
	int have_hdr = 0, have_pl = 0;

	memset(out, 0, sizeof(*out));
	if (d != NULL) {
		d->ber = BER_OK;
		d->where = NULL;
	}
	if ((be = ber_validate(p, len, HI2_MAX_DEPTH, HI2_MAX_ELEMS, NULL)) != BER_OK)
		return hi2_fail(d, HI2_E_BER, be, W);
	cur_init(&c, p, len);
	if ((be = ber_get_tlv(&c, &t)) != BER_OK)
		return hi2_fail(d, HI2_E_BER, be, W);
	if (t.tag != BER_SEQUENCE)
		return hi2_fail(d, HI2_E_TAG, BER_E_TAG, W);
	hi2_seq_init(&s, &t.val, W);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 1:
			e = get_pshdr(&f, out, d);
			have_hdr = 1;
			break;
		case 2:
			e = get_payload(&f, out, d);
			have_pl = 1;
			break;
		default:	/* PS-PDU has no extension marker */
			e = hi2_fail(d, HI2_E_TAG, BER_E_TAG, W);
			break;
		}
		if (e != HI2_OK)
			return e;
	}
	return have_hdr && have_pl ? HI2_OK : hi2_fail(d, HI2_E_TAG, BER_OK, W);
}

int
hi2_next_iri(struct hi2_pdu *pdu, struct hi2_iri_item *out)
{
	struct ber_tlv item;

	if (pdu->kind != HI2_KIND_IRI || cur_len(&pdu->items) == 0)
		return 0;
	if (ber_get_tlv(&pdu->items, &item) != BER_OK ||
	    get_iri_item(&item, out, NULL) != HI2_OK)
		return 0;	/* cannot happen after hi2_decode() succeeded */
	return 1;
}

int
hi2_next_cc(struct hi2_pdu *pdu, struct hi2_cc_item *out)
{
	struct ber_tlv item;

	if (pdu->kind != HI2_KIND_CC || cur_len(&pdu->items) == 0)
		return 0;
	if (ber_get_tlv(&pdu->items, &item) != BER_OK ||
	    get_cc_item(&item, out, NULL) != HI2_OK)
		return 0;
	return 1;
}

enum hi2_err
hi2_split(const uint8_t *p, size_t len, size_t max_pdu, size_t *pdu_len, struct hi2_diag *d)
{
	static const char W[] = "PS-PDU header";
	struct ovt_cursor c;
	uint32_t tag;
	size_t hdrlen, clen;
	enum ber_err be;

	*pdu_len = 0;
	cur_init(&c, p, len);
	be = ber_peek_hdr(&c, &tag, &hdrlen, &clen);
	if (be == BER_E_TRUNCATED)
		return hi2_fail(d, HI2_E_NEED_MORE, be, W);
	if (be != BER_OK)
		return hi2_fail(d, HI2_E_FRAMING, be, W);
	/* A PS-PDU is a SEQUENCE (X.690 8.9: universal 16, constructed): any other first octet
	 * means we are not at a PDU boundary, and nothing tells where the next one starts. */
	if (tag != BER_SEQUENCE)
		return hi2_fail(d, HI2_E_FRAMING, BER_E_TAG, W);
	if (clen > max_pdu || hdrlen + clen > max_pdu)
		return hi2_fail(d, HI2_E_TOO_BIG, BER_OK, W);
	*pdu_len = hdrlen + clen;
	if (*pdu_len > len)
		return hi2_fail(d, HI2_E_NEED_MORE, BER_E_TRUNCATED, W);
	return HI2_OK;
}
