/*
 * Shared pieces of the HI2/HI3 coders: error strings, diagnostics, the domain OIDs, and the
 * small schema-reading helpers (one ASN.1 component at a time, each checked against its
 * constraint) that the IRI and PS-PDU decoders are built from.
 */
#include "hi2/hi2_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* {itu-t(0) identified-organization(4) etsi(0) securityDomain(2) lawfulIntercept(2) li-ps(5)
 * genHeader(1) version43(43)}: TS 102 232-1 LI-PS-PDU, the version our subset follows. */
const uint8_t hi2_oid_li_ps[7] = {0x04, 0x00, 0x02, 0x02, 0x05, 0x01, 0x2b};
/* {... lawfulIntercept(2) threeGPP(4) hi2eps(8) r16(16) version-1(1)}: 33.108 EpsHI2Operations
 * as mirrored in the Wireshark tree. */
const uint8_t hi2_oid_eps_hi2[8] = {0x04, 0x00, 0x02, 0x02, 0x04, 0x08, 0x10, 0x01};
/* {... threeGPP(4) hi3eps(9) r16(16) version-0(0)}: Eps-HI3-PS hi3DomainId.  The release and
 * version arcs follow the reference vectors; check them against the 33.108 version deployed. */
const uint8_t hi2_oid_eps_hi3[8] = {0x04, 0x00, 0x02, 0x02, 0x04, 0x09, 0x10, 0x00};

static const char *const hi2_errstr[HI2_E__COUNT] = {
	[HI2_OK] = "ok",
	[HI2_E_BER] = "malformed BER",
	[HI2_E_TAG] = "unexpected or missing element",
	[HI2_E_ORDER] = "SEQUENCE components out of order or repeated (X.690 8.9.2)",
	[HI2_E_VALUE] = "value outside its ASN.1 constraint or 3GPP coding",
	[HI2_E_PARTY_FORM] = "partyInformation without its inner SEQUENCE (OpenLI style)",
	[HI2_E_UNSUPPORTED] = "alternative not supported by this decoder",
	[HI2_E_TOO_BIG] = "PDU larger than the configured maximum",
	[HI2_E_NEED_MORE] = "incomplete PDU: more bytes needed",
	[HI2_E_FRAMING] = "stream out of sync: outer header is not a definite-length SEQUENCE",
	[HI2_E_ARG] = "invalid input field",
	[HI2_E_SPACE] = "output buffer too small",
};

const char *
hi2_strerror(enum hi2_err e)
{
	if ((unsigned)e >= HI2_E__COUNT || hi2_errstr[e] == NULL)
		return "unknown HI2 error";
	return hi2_errstr[e];
}

void
hi2_diag_format(enum hi2_err e, const struct hi2_diag *d, char *buf, size_t cap)
{
	const char *where = d && d->where ? d->where : "PDU";

	if (cap == 0)
		return;
	if (e == HI2_E_BER && d != NULL)
		snprintf(buf, cap, "%s: %s: %s", where, hi2_strerror(e), ber_strerror(d->ber));
	else
		snprintf(buf, cap, "%s: %s", where, hi2_strerror(e));
}

enum hi2_err
hi2_fail(struct hi2_diag *d, enum hi2_err e, enum ber_err ber, const char *where)
{
	if (d != NULL) {
		d->ber = ber;
		d->where = where;
	}
	return e;
}

void
hi2_size_bug(const char *what)
{
	fprintf(stderr, "overt: internal error: %s written with the wrong size\n", what);
	abort();
}

void
hi2_seq_init(struct hi2_seq *s, const struct ovt_cursor *contents, const char *where)
{
	s->c = *contents;
	s->last = -1;
	s->where = where;
}

enum hi2_err
hi2_seq_next(struct hi2_seq *s, struct ber_tlv *t, struct hi2_diag *d)
{
	enum ber_err e;

	if ((e = ber_get_tlv(&s->c, t)) != BER_OK)
		return hi2_fail(d, HI2_E_BER, e, s->where);
	if (BER_TAG_CLASS(t->tag) != BER_CONTEXT)
		return hi2_fail(d, HI2_E_TAG, BER_E_TAG, s->where);
	if ((long)BER_TAG_NUM(t->tag) <= s->last)
		return hi2_fail(d, HI2_E_ORDER, BER_OK, s->where);
	s->last = (long)BER_TAG_NUM(t->tag);
	return HI2_OK;
}

enum hi2_err
hi2_want_prim(const struct ber_tlv *t, struct hi2_diag *d, const char *where)
{
	/* Constructed strings (X.690 8.7.3) are valid BER but no PS-PDU producer uses them;
	 * refusing them keeps every value a single contiguous slice (documented in hi2.md). */
	if (BER_TAG_IS_CONS(t->tag))
		return hi2_fail(d, HI2_E_BER, BER_E_FORM, where);
	return HI2_OK;
}

enum hi2_err
hi2_want_cons(const struct ber_tlv *t, struct hi2_diag *d, const char *where)
{
	if (!BER_TAG_IS_CONS(t->tag))
		return hi2_fail(d, HI2_E_BER, BER_E_FORM, where);
	return HI2_OK;
}

enum hi2_err
hi2_get_octets(const struct ber_tlv *t, size_t min, size_t max, struct hi2_bytes *out,
	       struct hi2_diag *d, const char *where)
{
	enum hi2_err e;

	if ((e = hi2_want_prim(t, d, where)) != HI2_OK)
		return e;
	if (cur_len(&t->val) < min || cur_len(&t->val) > max)
		return hi2_fail(d, HI2_E_VALUE, BER_OK, where);
	out->p = cur_data(&t->val);
	out->len = cur_len(&t->val);
	return HI2_OK;
}

enum hi2_err
hi2_get_uint(const struct ber_tlv *t, uint64_t max, uint64_t *out, struct hi2_diag *d,
	     const char *where)
{
	enum hi2_err e;
	enum ber_err be;

	if ((e = hi2_want_prim(t, d, where)) != HI2_OK)
		return e;
	if ((be = ber_read_uint(&t->val, max, out)) != BER_OK)
		return hi2_fail(d, HI2_E_BER, be, where);
	return HI2_OK;
}

enum hi2_err
hi2_get_oid(const struct ber_tlv *t, struct hi2_bytes *out, struct hi2_diag *d,
	    const char *where)
{
	uint32_t arcs[BER_OID_MAX_ARCS];
	size_t n;
	enum hi2_err e;
	enum ber_err be;

	if ((e = hi2_want_prim(t, d, where)) != HI2_OK)
		return e;
	if ((be = ber_read_oid(&t->val, arcs, BER_OID_MAX_ARCS, &n)) != BER_OK)
		return hi2_fail(d, HI2_E_BER, be, where);
	out->p = cur_data(&t->val);
	out->len = cur_len(&t->val);
	return HI2_OK;
}

enum hi2_err
hi2_get_gentime(const struct ber_tlv *t, int64_t *sec, uint32_t *usec, struct hi2_diag *d,
		const char *where)
{
	enum hi2_err e;
	enum ber_err be;

	if ((e = hi2_want_prim(t, d, where)) != HI2_OK)
		return e;
	if ((be = ber_read_gentime(&t->val, sec, usec)) != BER_OK)
		return hi2_fail(d, HI2_E_BER, be, where);
	return HI2_OK;
}

/* X.680 41.4 PrintableString character set. */
static int
printable(uint8_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr(" '()+,-./:=?", c) != NULL;
}

int
hi2_country_ok(const char cc[3])
{
	if (cc[0] == '\0')
		return 1;
	return printable((uint8_t)cc[0]) && printable((uint8_t)cc[1]) && cc[1] != '\0' &&
	       cc[2] == '\0';
}

enum hi2_err
hi2_get_country(const struct ber_tlv *t, char cc[3], struct hi2_diag *d, const char *where)
{
	struct hi2_bytes v;
	enum hi2_err e;

	if ((e = hi2_get_octets(t, 2, 2, &v, d, where)) != HI2_OK)
		return e;
	if (!printable(v.p[0]) || !printable(v.p[1]))
		return hi2_fail(d, HI2_E_VALUE, BER_OK, where);
	cc[0] = (char)v.p[0];
	cc[1] = (char)v.p[1];
	cc[2] = '\0';
	return HI2_OK;
}

enum hi2_err
hi2_get_single(const struct ber_tlv *t, struct ber_tlv *inner, struct hi2_diag *d,
	       const char *where)
{
	struct ovt_cursor c = t->val;
	enum hi2_err e;
	enum ber_err be;

	if ((e = hi2_want_cons(t, d, where)) != HI2_OK)
		return e;
	if ((be = ber_get_tlv(&c, inner)) != BER_OK)
		return hi2_fail(d, HI2_E_BER, be, where);
	if (cur_len(&c) != 0)
		return hi2_fail(d, HI2_E_TAG, BER_E_TRAILING, where);	/* a CHOICE has one */
	return HI2_OK;
}

enum hi2_err
hi2_get_timestamp(const struct ber_tlv *t, int64_t *sec, uint32_t *usec, struct hi2_diag *d,
		  const char *where)
{
	struct ber_tlv in, f;
	struct hi2_seq s;
	enum hi2_err e;
	enum ber_err be;
	uint64_t v;
	int have_gt = 0;

	*usec = 0;
	if ((e = hi2_get_single(t, &in, d, where)) != HI2_OK)
		return e;
	if (in.tag == BER_CTX(1)) {	/* utcTime [1] UTCTime */
		if ((be = ber_read_utctime(&in.val, sec)) != BER_OK)
			return hi2_fail(d, HI2_E_BER, be, where);
		return HI2_OK;
	}
	if (in.tag != BER_CTX_CONS(0))	/* localTime [0] LocalTimeStamp */
		return hi2_fail(d, in.tag == BER_CTX(0) || in.tag == BER_CTX_CONS(1) ?
				   HI2_E_BER : HI2_E_TAG, BER_E_FORM, where);
	hi2_seq_init(&s, &in.val, where);
	while (hi2_seq_more(&s)) {
		if ((e = hi2_seq_next(&s, &f, d)) != HI2_OK)
			return e;
		switch (BER_TAG_NUM(f.tag)) {
		case 0:	/* generalizedTime */
			if ((e = hi2_get_gentime(&f, sec, usec, d, where)) != HI2_OK)
				return e;
			have_gt = 1;
			break;
		case 1:	/* winterSummerIndication: extensible ENUMERATED */
			if ((e = hi2_get_uint(&f, 255, &v, d, where)) != HI2_OK)
				return e;
			break;
		default:
			return hi2_fail(d, HI2_E_TAG, BER_E_TAG, where);
		}
	}
	if (!have_gt)
		return hi2_fail(d, HI2_E_TAG, BER_OK, where);
	return HI2_OK;
}

enum hi2_err
hi2_skip_checked(const struct ber_tlv *t, int cons, struct hi2_diag *d, const char *where)
{
	return cons ? hi2_want_cons(t, d, where) : hi2_want_prim(t, d, where);
}
