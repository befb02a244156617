/*
 * 3GPP TS 33.108 EPS IRI: IRI-Parameters (EpsHI2Operations, clause 10.5 / annex B.9) for the
 * events of a GTP-based S-GW/P-GW, the event -> IRI record mapping, and the X2 payload format 14
 * wrapping (EpsIRIContent) that the S-GW/P-GW IRI-POI sends (TS 33.128 clause 6.3.3.2.1).
 *
 * The same body coder serves both paths: the POI wraps it in EpsIRIContent, the MDF in a
 * PS-PDU ePSIRI [15] iRI-EPS-Parameters [0] with the real LIID.
 */
#include "hi2/hi2_int.h"

#include <string.h>

void
hi2_iri_init(struct hi2_eps_iri *iri)
{
	memset(iri, 0, sizeof(*iri));
}

enum hi2_record
hi2_iri_record(const struct hi2_eps_iri *iri)
{
	/* 33.108 EPS IRI transaction (STANDARDS 4.2; docs/hi2.md): BEGIN opens the IRI
	 * transaction of one PDN connection (its default bearer), CONTINUE reports changes inside
	 * it, END closes it; events outside an established PDN connection are REPORTs. */
	switch (iri->event) {
	case HI2_EV_BEARER_ACTIVATION:
		if (iri->has_cause)
			return HI2_REC_REPORT;	/* unsuccessful activation */
		return iri->bearer_type == HI2_BEARER_DEDICATED ? HI2_REC_CONTINUE : HI2_REC_BEGIN;
	case HI2_EV_START_WITH_ACTIVE_BEARER:
		return iri->bearer_type == HI2_BEARER_DEDICATED ? HI2_REC_CONTINUE : HI2_REC_BEGIN;
	case HI2_EV_BEARER_MODIFICATION:
		return HI2_REC_CONTINUE;
	case HI2_EV_BEARER_DEACTIVATION:
		return iri->bearer_type == HI2_BEARER_DEDICATED ? HI2_REC_CONTINUE : HI2_REC_END;
	default:
		return HI2_REC_REPORT;
	}
}

enum hi2_record
hi2_iri_record_of(const struct hi2_eps_iri *iri)
{
	return iri->record != HI2_REC_NONE ? (enum hi2_record)iri->record : hi2_iri_record(iri);
}

/* EPSEvent enumeration (33.108): 1, 2, 4, 5, 6, 10, 11, 13, 14, then 15..55 after the
 * extension marker.  Anything else is not a value we may write. */
static int
event_ok(unsigned ev)
{
	switch (ev) {
	case 1: case 2: case 4: case 5: case 6: case 10: case 11: case 13: case 14:
		return 1;
	default:
		return ev >= 15 && ev <= 55;
	}
}

static int
digits_ok(const char *s, size_t min, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n == 0)
		return 1;	/* absent */
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* TBCD (TS 29.002 TBCD-STRING): two digits per octet, first digit in the low nibble, an odd
 * count padded with 0xF; pad_to forces a fixed octet count with 0xFF (IMEI is always 8). */
static size_t
tbcd_encode(const char *digits, uint8_t *out, size_t pad_to)
{
	size_t n = strlen(digits), o = 0;
	for (size_t i = 0; i < n; i += 2) {
		uint8_t lo = (uint8_t)(digits[i] - '0');
		uint8_t hi = i + 1 < n ? (uint8_t)(digits[i + 1] - '0') : 0x0f;
		out[o++] = (uint8_t)(hi << 4 | lo);
	}
	while (o < pad_to)
		out[o++] = 0xff;
	return o;
}

/* Decodes TBCD digits; a 0xF filler may only end the string.  0 on a non-digit nibble. */
static int
tbcd_decode(const struct hi2_bytes *v, char *out, size_t outcap)
{
	size_t n = 0;
	int ended = 0;
	for (size_t i = 0; i < v->len; i++) {
		uint8_t nib[2] = {(uint8_t)(v->p[i] & 0x0f), (uint8_t)(v->p[i] >> 4)};
		for (int k = 0; k < 2; k++) {
			if (nib[k] == 0x0f) {
				ended = 1;
				continue;
			}
			if (ended || nib[k] > 9 || n + 1 >= outcap)
				return 0;
			out[n++] = (char)('0' + nib[k]);
		}
	}
	out[n] = '\0';
	return n > 0;
}

enum hi2_err
hi2_iri_check(const struct hi2_eps_iri *iri, struct hi2_diag *d)
{
#define CHECK(cond, where) \
	do { if (!(cond)) return hi2_fail(d, HI2_E_ARG, BER_OK, (where)); } while (0)
	CHECK(event_ok(iri->event), "IRI-Parameters.ePSevent");
	CHECK(iri->record <= HI2_REC_REPORT, "EpsIRIContent/IRIPayload.iRIType");
	CHECK(!iri->has_initiator || iri->initiator <= 2, "IRI-Parameters.initiator");
	/* UTCTime window (X.680 47): 1950..2049. */
	CHECK(iri->ts_sec >= -631152000 && iri->ts_sec <= 2524607999, "IRI-Parameters.timeStamp");
	CHECK(digits_ok(iri->imsi, 5, HI2_IMSI_DIGITS_MAX), "partyIdentity.imsi");
	CHECK(digits_ok(iri->msisdn, 1, HI2_MSISDN_DIGITS_MAX), "partyIdentity.msISDN");
	CHECK(digits_ok(iri->imei, 15, HI2_IMEI_DIGITS_MAX), "partyIdentity.imei");
	CHECK(iri->corr.len == 0 || (iri->corr.len >= HI2_CORR_MIN && iri->corr.len <= HI2_CORR_MAX),
	      "IRI-Parameters.ePSCorrelationNumber");
	CHECK(iri->operator_id.len <= HI2_IRI_OPERATOR_MAX, "networkIdentifier.operator-Identifier");
	CHECK(iri->ne_addr_len == 0 || iri->ne_addr_len == 4 || iri->ne_addr_len == 16,
	      "logicalFunctionInformation.dataNodeAddress");
	CHECK(!iri->has_ne_type || iri->ne_type <= 4, "logicalFunctionInformation.logicalFunctionType");
	CHECK(iri->paa.len <= 22, "ePS-GTPV2-specificParameters.pDNAddressAllocation");
	CHECK(iri->apn.len <= HI2_APN_MAX, "ePS-GTPV2-specificParameters.aPN");
	CHECK(iri->bearer_type <= HI2_BEARER_DEDICATED, "ePS-GTPV2-specificParameters.bearerType");
	CHECK(iri->qos.len <= 255, "ePS-GTPV2-specificParameters.ePSBearerQoS");
	CHECK(iri->apn_ambr.len <= 255, "ePS-GTPV2-specificParameters.aPN-AMBR");
	CHECK(iri->tft.len <= 255, "ePS-GTPV2-specificParameters.tFT");
	CHECK(iri->uli.len <= HI2_ULI_MAX, "ePSlocationOfTheTarget.userLocationInfo");
	CHECK(iri->old_uli.len <= HI2_ULI_MAX, "ePSlocationOfTheTarget.olduserLocationInfo");
#undef CHECK
	return HI2_OK;
}

static int
has_party(const struct hi2_eps_iri *iri)
{
	return iri->imsi[0] || iri->msisdn[0] || iri->imei[0];
}

static int
has_gtpv2(const struct hi2_eps_iri *iri)
{
	return iri->paa.len || iri->apn.len || iri->has_ebi || iri->has_rat || iri->has_cause ||
	       iri->qos.len || iri->bearer_type || iri->apn_ambr.len || iri->has_lbi ||
	       iri->tft.len || iri->uli.len || iri->old_uli.len || iri->has_pdn_type;
}

/* partyInformation [9] SET SIZE (1..10) OF PartyInformation: the SET's element is the
 * PartyInformation SEQUENCE itself (universal tag 16) -- the inner SEQUENCE that OpenLI omits
 * (STANDARDS 3.6). */
static void
put_party(struct ovt_builder *b, const struct hi2_eps_iri *iri)
{
	struct ber_mark set, seq, id;
	uint8_t t[9];
	size_t n;

	ber_open(b, BER_CTX_CONS(9), 40, &set);
	ber_open(b, BER_SEQUENCE, 40, &seq);
	ber_put_uint(b, BER_CTX(0), 3);			/* party-Qualifier gPRS-Target(3) */
	ber_open(b, BER_CTX_CONS(1), 30, &id);		/* partyIdentity */
	if (iri->imei[0]) {
		n = tbcd_encode(iri->imei, t, 8);	/* imei [1] OCTET STRING (SIZE (8)) */
		ber_put_octets(b, BER_CTX(1), t, n);
	}
	if (iri->imsi[0]) {
		n = tbcd_encode(iri->imsi, t, 0);	/* imsi [3] (SIZE (3..8)) */
		ber_put_octets(b, BER_CTX(3), t, n);
	}
	if (iri->msisdn[0]) {
		/* msISDN [6]: MAP AddressString, TON/NPI octet then TBCD digits (SIZE (1..9)). */
		t[0] = HI2_MSISDN_TON_NPI;
		n = tbcd_encode(iri->msisdn, t + 1, 0);
		ber_put_octets(b, BER_CTX(6), t, n + 1);
	}
	ber_close(b, &id);
	ber_close(b, &seq);
	ber_close(b, &set);
}

/* IPAddress ::= SEQUENCE { iP-type [1], iP-value [2] IP-value (CHOICE: EXPLICIT),
 * iP-assignment [3] OPTIONAL } -- contents only. */
static void
put_ipaddress(struct ovt_builder *b, const uint8_t *addr, size_t len)
{
	struct ber_mark v;
	ber_put_uint(b, BER_CTX(1), len == 16 ? 1 : 0);		/* iPV4(0) / iPV6(1) */
	ber_open(b, BER_CTX_CONS(2), 20, &v);
	ber_put_octets(b, BER_CTX(1), addr, len);		/* iPBinaryAddress */
	ber_close(b, &v);
}

static void
put_gtpv2(struct ovt_builder *b, const struct hi2_eps_iri *iri)
{
	struct ber_mark m, loc;
	int ev = iri->event;

	/* EPS-GTPV2-SpecificParameters [36]; components in tag order (X.690 8.9.2). */
	ber_open(b, BER_CTX_CONS(36), 100, &m);
	if (iri->paa.len)
		ber_put_octets(b, BER_CTX(1), iri->paa.p, iri->paa.len);
	if (iri->apn.len)
		ber_put_octets(b, BER_CTX(2), iri->apn.p, iri->apn.len);
	if (iri->has_ebi)
		ber_put_octets(b, BER_CTX(5), &iri->ebi, 1);
	if (iri->has_rat)
		ber_put_octets(b, BER_CTX(7), &iri->rat, 1);
	if (iri->has_cause && ev == HI2_EV_BEARER_ACTIVATION)
		ber_put_octets(b, BER_CTX(8), &iri->cause, 1);	/* failedBearerActivationReason */
	if (iri->qos.len)
		ber_put_octets(b, BER_CTX(9), iri->qos.p, iri->qos.len);
	if (iri->bearer_type && ev != HI2_EV_BEARER_DEACTIVATION)
		ber_put_uint(b, BER_CTX(10), iri->bearer_type);	/* bearerActivationType */
	if (iri->apn_ambr.len)
		ber_put_octets(b, BER_CTX(11), iri->apn_ambr.p, iri->apn_ambr.len);
	if (iri->has_lbi)
		ber_put_octets(b, BER_CTX(13), &iri->lbi, 1);
	if (iri->tft.len)
		ber_put_octets(b, BER_CTX(14), iri->tft.p, iri->tft.len);
	if (iri->has_cause && ev != HI2_EV_BEARER_ACTIVATION && ev != HI2_EV_BEARER_DEACTIVATION)
		ber_put_octets(b, BER_CTX(16), &iri->cause, 1);	/* failedBearerModReason */
	if (iri->bearer_type && ev == HI2_EV_BEARER_DEACTIVATION)
		ber_put_uint(b, BER_CTX(21), iri->bearer_type);	/* bearerDeactivationType */
	if (iri->has_cause && ev == HI2_EV_BEARER_DEACTIVATION)
		ber_put_octets(b, BER_CTX(22), &iri->cause, 1);	/* bearerDeactivationCause */
	if (iri->uli.len || iri->old_uli.len) {
		ber_open(b, BER_CTX_CONS(23), 40, &loc);	/* ePSlocationOfTheTarget */
		if (iri->uli.len)
			ber_put_octets(b, BER_CTX(1), iri->uli.p, iri->uli.len);
		if (iri->old_uli.len)
			ber_put_octets(b, BER_CTX(4), iri->old_uli.p, iri->old_uli.len);
		ber_close(b, &loc);
	}
	if (iri->has_pdn_type)
		ber_put_octets(b, BER_CTX(24), &iri->pdn_type, 1);
	ber_close(b, &m);
}

void
hi2_iri_put_params(struct ovt_builder *b, const struct hi2_eps_iri *iri, const uint8_t *liid,
		   size_t liid_len)
{
	struct ber_mark m, m2, m3;

	ber_put_octets(b, BER_CTX(0), hi2_oid_eps_hi2, sizeof(hi2_oid_eps_hi2));
	ber_put_octets(b, BER_CTX(1), liid, liid_len);
	ber_open(b, BER_CTX_CONS(3), 15, &m);		/* timeStamp: TimeStamp CHOICE */
	ber_put_utctime(b, BER_CTX(1), iri->ts_sec);	/* utcTime [1] */
	ber_close(b, &m);
	if (iri->has_initiator)
		ber_put_uint(b, BER_CTX(4), iri->initiator);
	if (has_party(iri))
		put_party(b, iri);
	if (iri->corr.len)
		ber_put_octets(b, BER_CTX(18), iri->corr.p, iri->corr.len);
	ber_put_uint(b, BER_CTX(20), iri->event);	/* ePSevent */
	if (iri->operator_id.len) {
		ber_open(b, BER_CTX_CONS(26), 10, &m);	/* networkIdentifier */
		ber_put_octets(b, BER_CTX(0), iri->operator_id.p, iri->operator_id.len);
		ber_close(b, &m);
	}
	if (has_gtpv2(iri))
		put_gtpv2(b, iri);
	if (iri->has_ne_type || iri->ne_addr_len) {
		/* logicalFunctionInformation [59] DataNodeIdentifier: which S-GW/P-GW reports. */
		ber_open(b, BER_CTX_CONS(59), 30, &m);
		if (iri->ne_addr_len) {
			ber_open(b, BER_CTX_CONS(1), 30, &m2);	/* dataNodeAddress (CHOICE) */
			ber_open(b, BER_CTX_CONS(1), 30, &m3);	/* ipAddress [1] IPAddress */
			put_ipaddress(b, iri->ne_addr, iri->ne_addr_len);
			ber_close(b, &m3);
			ber_close(b, &m2);
		}
		if (iri->has_ne_type)
			ber_put_uint(b, BER_CTX(2), iri->ne_type);
		ber_close(b, &m);
	}
}

/* ---- decoding ------------------------------------------------------------------------------ */

static enum hi2_err
get_party_identity(const struct ber_tlv *t, struct hi2_eps_iri *out, struct hi2_diag *d)
{
	static const char W[] = "PartyInformation.partyIdentity";
	struct hi2_seq s;
	struct ber_tlv f;
	struct hi2_bytes v;
	enum hi2_err e;

	if ((e = hi2_want_cons(t, d, W)) != HI2_OK)
		return e;
	hi2_seq_init(&s, &t->val, W);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 1:	/* imei (SIZE (8)) */
			if ((e = hi2_get_octets(&f, 8, 8, &v, d, "partyIdentity.imei")) != HI2_OK)
				return e;
			if (!tbcd_decode(&v, out->imei, sizeof(out->imei)))
				return hi2_fail(d, HI2_E_VALUE, BER_OK, "partyIdentity.imei");
			break;
		case 3:	/* imsi (SIZE (3..8)) */
			if ((e = hi2_get_octets(&f, 3, 8, &v, d, "partyIdentity.imsi")) != HI2_OK)
				return e;
			if (!tbcd_decode(&v, out->imsi, sizeof(out->imsi)))
				return hi2_fail(d, HI2_E_VALUE, BER_OK, "partyIdentity.imsi");
			break;
		case 6:	/* msISDN (SIZE (1..9)): AddressString */
			if ((e = hi2_get_octets(&f, 2, 9, &v, d, "partyIdentity.msISDN")) != HI2_OK)
				return e;
			out->msisdn_ton_npi = v.p[0];
			v.p++;
			v.len--;
			if (!tbcd_decode(&v, out->msisdn, sizeof(out->msisdn)))
				return hi2_fail(d, HI2_E_VALUE, BER_OK, "partyIdentity.msISDN");
			break;
		default:	/* tei, calling/called numbers, SIP/TEL URIs...: not EPS target ids */
			out->unknown++;
			break;
		}
	}
	return HI2_OK;
}

/* One PartyInformation SEQUENCE. */
static enum hi2_err
get_party(const struct ber_tlv *t, struct hi2_eps_iri *out, struct hi2_diag *d)
{
	static const char W[] = "PartyInformation";
	struct hi2_seq s;
	struct ber_tlv f;
	enum hi2_err e;
	uint64_t v = 0;
	int have_q = 0, have_id = 0;

	hi2_seq_init(&s, &t->val, W);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 0:
			e = hi2_get_uint(&f, 255, &v, d, "PartyInformation.party-Qualifier");
			if (e != HI2_OK)
				return e;
			have_q = 1;
			break;
		case 1:
			/* Only the target's identities are ours (party-Qualifier gPRS-Target(3), which
			 * X.690 8.9.2 order puts before partyIdentity); another party's are
			 * validated into scratch and counted as unknown. */
			if (have_q && v == 3) {
				e = get_party_identity(&f, out, d);
			} else {
				struct hi2_eps_iri other;
				memset(&other, 0, sizeof(other));
				e = get_party_identity(&f, &other, d);
				out->unknown++;
			}
			if (e != HI2_OK)
				return e;
			have_id = 1;
			break;
		case 4:	/* services-Data-Information: validated, not used for EPS */
			if ((e = hi2_skip_checked(&f, 1, d, W)) != HI2_OK)
				return e;
			break;
		default:
			out->unknown++;
			break;
		}
	}
	if (!have_q || !have_id)
		return hi2_fail(d, HI2_E_TAG, BER_OK, W);
	return HI2_OK;
}

static enum hi2_err
get_party_set(const struct ber_tlv *t, struct hi2_eps_iri *out, struct hi2_diag *d)
{
	static const char W[] = "IRI-Parameters.partyInformation";
	struct ovt_cursor c = t->val;
	struct ber_tlv el;
	enum hi2_err e;
	enum ber_err be;
	unsigned n = 0;

	if ((e = hi2_want_cons(t, d, W)) != HI2_OK)
		return e;
	while (cur_len(&c) > 0) {
		if ((be = ber_get_tlv(&c, &el)) != BER_OK)
			return hi2_fail(d, HI2_E_BER, be, W);
		/* Each SET OF element is a PartyInformation SEQUENCE, universal 16 (STANDARDS 3.6);
		 * context-tagged components here are the OpenLI encoding without it. */
		if (el.tag != BER_SEQUENCE)
			return hi2_fail(d, HI2_E_PARTY_FORM, BER_E_TAG, W);
		if (++n > HI2_PARTY_MAX)
			return hi2_fail(d, HI2_E_VALUE, BER_OK, W);
		if ((e = get_party(&el, out, d)) != HI2_OK)
			return e;
	}
	if (n == 0)
		return hi2_fail(d, HI2_E_VALUE, BER_OK, W);	/* SIZE (1..10) */
	return HI2_OK;
}

static enum hi2_err
get_one_octet(const struct ber_tlv *f, uint8_t *has, uint8_t *val, struct hi2_diag *d,
	      const char *where)
{
	struct hi2_bytes v;
	enum hi2_err e;
	if ((e = hi2_get_octets(f, 1, 1, &v, d, where)) != HI2_OK)
		return e;
	*has = 1;
	*val = v.p[0];
	return HI2_OK;
}

static enum hi2_err
get_location(const struct ber_tlv *t, struct hi2_eps_iri *out, struct hi2_diag *d)
{
	static const char W[] = "ePSlocationOfTheTarget";
	struct hi2_seq s;
	struct ber_tlv f;
	enum hi2_err e;

	if ((e = hi2_want_cons(t, d, W)) != HI2_OK)
		return e;
	hi2_seq_init(&s, &t->val, W);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 1:
			e = hi2_get_octets(&f, 1, HI2_ULI_MAX, &out->uli, d,
					   "ePSlocationOfTheTarget.userLocationInfo");
			break;
		case 4:
			e = hi2_get_octets(&f, 1, HI2_ULI_MAX, &out->old_uli, d,
					   "ePSlocationOfTheTarget.olduserLocationInfo");
			break;
		default:	/* gsm/umtsLocation, lastVisitedTAI, tAIlist, extensions */
			out->unknown++;
			break;
		}
		if (e != HI2_OK)
			return e;
	}
	return HI2_OK;
}

static enum hi2_err
get_gtpv2(const struct ber_tlv *t, struct hi2_eps_iri *out, struct hi2_diag *d)
{
	static const char W[] = "ePS-GTPV2-specificParameters";
	struct hi2_seq s;
	struct ber_tlv f;
	enum hi2_err e;
	uint64_t v;

	if ((e = hi2_want_cons(t, d, W)) != HI2_OK)
		return e;
	hi2_seq_init(&s, &t->val, W);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 1:
			e = hi2_get_octets(&f, 1, 22, &out->paa, d, "ePS-GTPV2.pDNAddressAllocation");
			break;
		case 2:
			e = hi2_get_octets(&f, 1, HI2_APN_MAX, &out->apn, d, "ePS-GTPV2.aPN");
			break;
		case 5:
			e = get_one_octet(&f, &out->has_ebi, &out->ebi, d, "ePS-GTPV2.ePSBearerIdentity");
			break;
		case 7:
			e = get_one_octet(&f, &out->has_rat, &out->rat, d, "ePS-GTPV2.rATType");
			break;
		case 8:		/* failedBearerActivationReason */
		case 16:	/* failedBearerModReason */
		case 22:	/* bearerDeactivationCause */
			e = get_one_octet(&f, &out->has_cause, &out->cause, d, "ePS-GTPV2.cause");
			break;
		case 9:
			e = hi2_get_octets(&f, 1, 255, &out->qos, d, "ePS-GTPV2.ePSBearerQoS");
			break;
		case 10:	/* bearerActivationType */
		case 21:	/* bearerDeactivationType */
			e = hi2_get_uint(&f, 255, &v, d, "ePS-GTPV2.TypeOfBearer");
			out->bearer_type = (uint8_t)v;
			break;
		case 11:
			e = hi2_get_octets(&f, 1, 255, &out->apn_ambr, d, "ePS-GTPV2.aPN-AMBR");
			break;
		case 13:
			e = get_one_octet(&f, &out->has_lbi, &out->lbi, d, "ePS-GTPV2.linkedEPSBearerId");
			break;
		case 14:
			e = hi2_get_octets(&f, 1, 255, &out->tft, d, "ePS-GTPV2.tFT");
			break;
		case 23:
			e = get_location(&f, out, d);
			break;
		case 24:
			e = get_one_octet(&f, &out->has_pdn_type, &out->pdn_type, d, "ePS-GTPV2.pDNType");
			break;
		case 15:	/* handoverIndication NULL */
		case 35:	/* secondaryRATUsageIndication NULL */
			if ((e = hi2_want_prim(&f, d, W)) == HI2_OK && ber_read_null(&f.val) != BER_OK)
				e = hi2_fail(d, HI2_E_BER, BER_E_NULL, W);
			out->unknown++;
			break;
		case 3: case 33: case 34:	/* protConfigOptions, proSe contexts: constructed */
			e = hi2_skip_checked(&f, 1, d, W);
			out->unknown++;
			break;
		default:	/* the other OCTET STRING parameters (attach/detach type, PTI...) */
			out->unknown++;
			break;
		}
		if (e != HI2_OK)
			return e;
	}
	return HI2_OK;
}

/* DataNodeAddress CHOICE { ipAddress [1] IPAddress, x25Address [2] ... } from the contents of
 * its EXPLICIT wrapper.  Stores an IP address in out->ne_addr (x25 is ignored). */
static enum hi2_err
get_datanode(const struct ber_tlv *t, struct hi2_eps_iri *out, int store, struct hi2_diag *d,
	     const char *where)
{
	struct ber_tlv in, f, val;
	struct hi2_seq s;
	struct hi2_bytes a;
	enum hi2_err e;
	uint64_t type = 0;
	int have_type = 0, have_val = 0;

	if ((e = hi2_get_single(t, &in, d, where)) != HI2_OK)
		return e;
	if (BER_TAG_NUM(in.tag) == 2 && BER_TAG_CLASS(in.tag) == BER_CONTEXT)
		return hi2_want_prim(&in, d, where);		/* x25Address */
	if (in.tag != BER_CTX_CONS(1))
		return hi2_fail(d, in.tag == BER_CTX(1) ? HI2_E_BER : HI2_E_TAG, BER_E_FORM, where);
	hi2_seq_init(&s, &in.val, where);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 1:	/* iP-type */
			if ((e = hi2_get_uint(&f, 255, &type, d, where)) != HI2_OK)
				return e;
			have_type = 1;
			break;
		case 2:	/* iP-value: CHOICE { iPBinaryAddress [1], iPTextAddress [2] } */
			if ((e = hi2_get_single(&f, &val, d, where)) != HI2_OK)
				return e;
			if (val.tag == BER_CTX(1)) {
				if ((e = hi2_get_octets(&val, 4, 16, &a, d, where)) != HI2_OK)
					return e;
				if (a.len != 4 && a.len != 16)
					return hi2_fail(d, HI2_E_VALUE, BER_OK, where);
				if (store) {
					memcpy(out->ne_addr, a.p, a.len);
					out->ne_addr_len = (uint8_t)a.len;
				}
			} else if (val.tag == BER_CTX(2)) {
				if ((e = hi2_get_octets(&val, 7, 45, &a, d, where)) != HI2_OK)
					return e;
			} else {
				return hi2_fail(d, HI2_E_TAG, BER_E_TAG, where);
			}
			have_val = 1;
			break;
		case 3: case 4: case 5:	/* iP-assignment, prefix length, subnet mask */
			if ((e = hi2_want_prim(&f, d, where)) != HI2_OK)
				return e;
			break;
		default:
			out->unknown++;
			break;
		}
	}
	if (!have_type || !have_val)
		return hi2_fail(d, HI2_E_TAG, BER_OK, where);
	return HI2_OK;
}

static enum hi2_err
get_lfi(const struct ber_tlv *t, struct hi2_eps_iri *out, struct hi2_diag *d)
{
	static const char W[] = "IRI-Parameters.logicalFunctionInformation";
	struct hi2_seq s;
	struct ber_tlv f;
	struct hi2_bytes v;
	enum hi2_err e;
	uint64_t u;

	if ((e = hi2_want_cons(t, d, W)) != HI2_OK)
		return e;
	hi2_seq_init(&s, &t->val, W);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 1:
			e = get_datanode(&f, out, 1, d, "logicalFunctionInformation.dataNodeAddress");
			break;
		case 2:
			e = hi2_get_uint(&f, 255, &u, d, "logicalFunctionInformation.logicalFunctionType");
			out->has_ne_type = 1;
			out->ne_type = (uint8_t)u;
			break;
		case 3:
			e = hi2_get_octets(&f, 7, 25, &v, d, "logicalFunctionInformation.dataNodeName");
			break;
		default:
			out->unknown++;
			break;
		}
		if (e != HI2_OK)
			return e;
	}
	return HI2_OK;
}

static enum hi2_err
get_netid(const struct ber_tlv *t, struct hi2_eps_iri *out, struct hi2_diag *d)
{
	static const char W[] = "IRI-Parameters.networkIdentifier";
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
			e = hi2_get_octets(&f, 1, HI2_IRI_OPERATOR_MAX, &out->operator_id, d,
					   "networkIdentifier.operator-Identifier");
			have_op = 1;
			break;
		case 1:	/* network-Element-Identifier: a CHOICE, EXPLICIT */
			e = hi2_skip_checked(&f, 1, d, "networkIdentifier.network-Element-Identifier");
			break;
		default:
			out->unknown++;
			break;
		}
		if (e != HI2_OK)
			return e;
	}
	return have_op ? HI2_OK : hi2_fail(d, HI2_E_TAG, BER_OK, W);
}

enum hi2_err
hi2_iri_get_params(const struct ber_tlv *t, struct hi2_eps_iri *out, struct hi2_diag *d)
{
	static const char W[] = "IRI-Parameters";
	struct hi2_seq s;
	struct ber_tlv f;
	struct hi2_bytes oid;
	enum hi2_err e;
	uint64_t v;
	int have_dom = 0, have_liid = 0, have_ts = 0;

	hi2_iri_init(out);
	if ((e = hi2_want_cons(t, d, W)) != HI2_OK)
		return e;
	hi2_seq_init(&s, &t->val, W);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 0:
			e = hi2_get_oid(&f, &oid, d, "IRI-Parameters.hi2epsDomainId");
			have_dom = 1;
			break;
		case 1:
			e = hi2_get_octets(&f, 1, HI2_LIID_MAX, &out->liid, d,
					   "IRI-Parameters.lawfulInterceptionIdentifier");
			have_liid = 1;
			break;
		case 3:
			e = hi2_get_timestamp(&f, &out->ts_sec, &out->ts_usec, d,
					      "IRI-Parameters.timeStamp");
			have_ts = 1;
			break;
		case 4:
			e = hi2_get_uint(&f, 255, &v, d, "IRI-Parameters.initiator");
			out->has_initiator = 1;
			out->initiator = (uint8_t)v;
			break;
		case 9:
			e = get_party_set(&f, out, d);
			break;
		case 18:
			e = hi2_get_octets(&f, 1, 255, &out->corr, d,
					   "IRI-Parameters.ePSCorrelationNumber");
			break;
		case 20:
			e = hi2_get_uint(&f, 255, &v, d, "IRI-Parameters.ePSevent");
			out->event = (uint8_t)v;
			break;
		case 21:	/* sgsnAddress, ggsnAddress: DataNodeAddress (CHOICE, EXPLICIT) */
		case 24:
			e = get_datanode(&f, out, 0, d, "IRI-Parameters.sgsnAddress/ggsnAddress");
			break;
		case 26:
			e = get_netid(&f, out, d);
			break;
		case 36:
			e = get_gtpv2(&f, out, d);
			break;
		case 59:
			e = get_lfi(&f, out, d);
			break;
		default:	/* the many other 33.108 parameters (SMS, IMS, location...) */
			out->unknown++;
			break;
		}
		if (e != HI2_OK)
			return e;
	}
	/* hi2epsDomainId, lawfulInterceptionIdentifier and timeStamp are mandatory (annex B.9
	 * as in our subset). */
	if (!have_dom || !have_liid || !have_ts)
		return hi2_fail(d, HI2_E_TAG, BER_OK, W);
	return HI2_OK;
}

/* ---- X2 payload format 14 ------------------------------------------------------------------ */

enum hi2_err
hi2_iri_encode_x2(struct ovt_builder *b, const struct hi2_eps_iri *iri, struct hi2_diag *d)
{
	static const uint8_t nolid[] = HI2_LIID_NOT_PRESENT;
	struct ber_mark m;
	const uint8_t *liid = iri->liid.p;
	size_t liid_len = iri->liid.len;
	enum hi2_err e;

	if (liid_len == 0) {
		liid = nolid;
		liid_len = sizeof(nolid) - 1;
	}
	if (liid_len > HI2_LIID_MAX)
		return hi2_fail(d, HI2_E_ARG, BER_OK, "IRI-Parameters.lawfulInterceptionIdentifier");
	if ((e = hi2_iri_check(iri, d)) != HI2_OK)
		return e;
	/* EpsIRIContent ::= CHOICE { iRI-Begin-record [1] IRI-Parameters, ...End [2],
	 * ...Continue [3], ...Report [4] }: IMPLICIT tags on the SEQUENCE. */
	ber_open(b, BER_CTX_CONS(hi2_iri_record_of(iri)), 0, &m);	/* see hi2_encode_iri */
	hi2_iri_put_params(b, iri, liid, liid_len);
	ber_close(b, &m);
	return bld_ok(b) ? HI2_OK : hi2_fail(d, HI2_E_SPACE, BER_E_ENCODE, "EpsIRIContent");
}

enum hi2_err
hi2_iri_decode_x2(const uint8_t *p, size_t len, struct hi2_eps_iri *out, struct hi2_diag *d)
{
	struct ovt_cursor c;
	struct ber_tlv t;
	enum ber_err be;
	enum hi2_err e;

	if ((be = ber_validate(p, len, HI2_MAX_DEPTH, HI2_MAX_ELEMS, NULL)) != BER_OK)
		return hi2_fail(d, HI2_E_BER, be, "EpsIRIContent");
	cur_init(&c, p, len);
	if ((be = ber_get_tlv(&c, &t)) != BER_OK)
		return hi2_fail(d, HI2_E_BER, be, "EpsIRIContent");
	if (BER_TAG_CLASS(t.tag) != BER_CONTEXT || BER_TAG_NUM(t.tag) < 1 ||
	    BER_TAG_NUM(t.tag) > 4)
		return hi2_fail(d, HI2_E_TAG, BER_E_TAG, "EpsIRIContent");
	if ((e = hi2_iri_get_params(&t, out, d)) != HI2_OK)
		return e;
	out->record = (uint8_t)BER_TAG_NUM(t.tag);
	return HI2_OK;
}
