/*
 * GTPv2-C and GTP-U decoder tests: hand-built messages for each IE the tracker uses, and one
 * vector per malformation with the exact error expected.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gtp/gtp.h"
#include "test_gtp_build.h"

struct buf {
	uint8_t mem[8192];
	struct ovt_builder b;
};

static void
buf_init(struct buf *x)
{
	bld_init_fixed(&x->b, x->mem, sizeof(x->mem));
}

static enum gtp_err
parse1(struct buf *x, struct gtpc_msg *m)
{
	struct gtpc_msg msgs[GTPC_MAX_PIGGY];
	size_t n = 0;
	enum gtp_err e;

	assert_true(bld_ok(&x->b));
	e = gtpc_parse(x->mem, bld_len(&x->b), msgs, &n);
	if (e == GTP_OK) {
		assert_int_equal(n, 1);
		*m = msgs[0];
	}
	return e;
}

/* A Create Session Request as an MME sends it on S11 (29.274 table 7.2.1-1). */
static void
build_csr(struct buf *x)
{
	size_t m, bc;
	static const uint8_t sn[3] = {0x00, 0xf1, 0x10}, ind[2] = {0x00, 0x02};
	uint8_t unk[3] = {1, 2, 3};

	buf_init(x);
	m = tb_msg(&x->b, GTPC_CREATE_SESSION_REQ, 0, 0x000123, 0);
	tb_tbcd(&x->b, GTPC_IE_IMSI, "001010123456789");
	tb_tbcd(&x->b, GTPC_IE_MSISDN, "447700900123");
	tb_tbcd(&x->b, GTPC_IE_MEI, "3569380356438091");
	tb_uli(&x->b, 0x3039, 0x1079baf);
	tb_raw_ie(&x->b, GTPC_IE_SERVING_NETWORK, 0, sn, 3);
	tb_u8(&x->b, GTPC_IE_RAT_TYPE, 0, 6);
	tb_fteid4(&x->b, 0, GTP_IF_S11_MME, 0xaaaa, "10.0.0.1");
	tb_fteid4(&x->b, 1, GTP_IF_S5C_PGW, 0, "10.0.0.3");
	tb_apn(&x->b, "internet.mnc001.mcc001.gprs");
	tb_u8(&x->b, GTPC_IE_SELECTION_MODE, 0, 0);
	tb_u8(&x->b, GTPC_IE_PDN_TYPE, 0, 1);
	tb_paa4(&x->b, "0.0.0.0");
	tb_raw_ie(&x->b, GTPC_IE_INDICATION, 0, ind, 2);
	tb_raw_ie(&x->b, 200, 0, unk, 3);		/* unknown IE type: skipped, counted */
	bc = tb_ie(&x->b, GTPC_IE_BEARER_CONTEXT, 0);
	tb_u8(&x->b, GTPC_IE_EBI, 0, 5);
	tb_qos(&x->b, 9);
	tb_fteid4(&x->b, 2, GTP_IF_S5U_SGW, 0x1234, "10.0.0.2");
	tb_raw_ie(&x->b, 201, 0, unk, 1);		/* unknown inside the group */
	tb_ie_end(&x->b, bc);
	tb_end(&x->b, m);
}

static void
test_create_session_request(void **state)
{
	struct buf x;
	struct gtpc_msg m;
	struct gtpc_info in;
	struct gtpc_ie ie;
	char mcc[4], mnc[4];

	build_csr(&x);
	assert_int_equal(parse1(&x, &m), GTP_OK);
	assert_int_equal(m.hdr.version, 2);
	assert_int_equal(m.hdr.type, GTPC_CREATE_SESSION_REQ);
	assert_true(m.hdr.has_teid);
	assert_int_equal(m.hdr.teid, 0);
	assert_int_equal(m.hdr.seq, 0x123);
	assert_int_equal(m.hdr.length, bld_len(&x.b) - 4);
	assert_int_equal(gtpc_decode(&m, &in), GTP_OK);
	assert_string_equal(in.imsi, "001010123456789");
	assert_string_equal(in.msisdn, "447700900123");
	assert_string_equal(in.mei, "3569380356438091");
	assert_string_equal(in.apn, "internet.mnc001.mcc001.gprs");
	assert_true(in.has & GTPC_HAS_ULI);
	assert_int_equal(in.uli.flags, GTP_ULI_TAI | GTP_ULI_ECGI);
	assert_int_equal(in.uli.tac, 0x3039);
	assert_int_equal(in.uli.eci, 0x1079baf);
	assert_int_equal(cur_len(&in.uli.raw), 13);
	gtp_plmn_digits(in.uli.tai_plmn, mcc, mnc);
	assert_string_equal(mcc, "001");
	assert_string_equal(mnc, "01");
	assert_int_equal(in.rat, 6);
	assert_int_equal(in.pdn_type, 1);
	assert_int_equal(in.paa.pdn_type, GTP_PDN_IPV4);
	assert_int_equal(in.indication_len, 2);
	assert_int_equal(in.indication[GTPC_IND_SI_OCTET] & GTPC_IND_SI_BIT, GTPC_IND_SI_BIT);
	assert_int_equal(in.n_fteid, 2);
	assert_int_equal(in.fteid[0].iface, GTP_IF_S11_MME);
	assert_int_equal(in.fteid[0].teid, 0xaaaa);
	assert_int_equal(in.fteid[0].flags, GTP_FTEID_V4);
	assert_memory_equal(in.fteid[0].v4, "\x0a\x00\x00\x01", 4);
	assert_int_equal(in.fteid[1].instance, 1);
	assert_int_equal(in.fteid[1].iface, GTP_IF_S5C_PGW);
	assert_int_equal(in.n_bc, 1);
	assert_int_equal(in.bc[0].ebi, 5);
	assert_true(in.bc[0].has & GTPC_BC_QOS);
	assert_int_equal(cur_len(&in.bc[0].qos), 22);
	assert_int_equal(in.bc[0].n_fteid, 1);
	assert_int_equal(in.bc[0].fteid[0].instance, 2);
	assert_int_equal(in.bc[0].fteid[0].iface, GTP_IF_S5U_SGW);
	assert_int_equal(in.bc[0].fteid[0].teid, 0x1234);
	assert_int_equal(in.n_unknown, 2);
	assert_int_equal(in.n_ies, 15);
	/* raw access to an IE the decoder does not interpret */
	assert_true(gtpc_ie_find(&m, GTPC_IE_SELECTION_MODE, 0, &ie));
	assert_int_equal(cur_len(&ie.val), 1);
	assert_false(gtpc_ie_find(&m, GTPC_IE_SELECTION_MODE, 1, &ie));
}

/* A stored copy of an accepted message reparses to the same header and IEs (decoded alike);
 * bytes after it, a cut header or a lying length are refused. */
static void
test_reparse(void **state)
{
	struct buf x;
	struct gtpc_msg m, r;
	struct gtpc_info a, b;
	uint8_t copy[sizeof(x.mem) + 1];
	size_t len;

	(void)state;
	build_csr(&x);
	assert_int_equal(parse1(&x, &m), GTP_OK);
	len = cur_len(&m.raw);
	memcpy(copy, cur_data(&m.raw), len);
	assert_int_equal(gtpc_reparse(copy, len, &r), GTP_OK);
	assert_memory_equal(&r.hdr, &m.hdr, sizeof(m.hdr));
	assert_int_equal(cur_len(&r.ies), cur_len(&m.ies));
	assert_int_equal(gtpc_decode(&m, &a), GTP_OK);
	assert_int_equal(gtpc_decode(&r, &b), GTP_OK);
	assert_string_equal(a.imsi, b.imsi);
	assert_int_equal(a.n_ies, b.n_ies);
	assert_int_equal(a.n_fteid, b.n_fteid);
	assert_int_equal(b.bc[0].fteid[0].teid, 0x1234);
	copy[len] = 0;
	assert_int_equal(gtpc_reparse(copy, len + 1, &r), GTP_E_TRAILING);
	assert_int_equal(gtpc_reparse(copy, 3, &r), GTP_E_SHORT_HDR);
	assert_int_equal(gtpc_reparse(copy, len - 1, &r), GTP_E_LENGTH);
}

static void
test_paa_variants(void **state)
{
	struct gtp_paa paa;
	struct ovt_cursor c;
	uint8_t v6[18] = {2, 64, 0x20, 0x01, 0x0d, 0xb8};
	uint8_t v4v6[22] = {3, 64, 0x20, 0x01, 0x0d, 0xb8};
	uint8_t bad[3] = {1, 10, 0};
	uint8_t badtype[5] = {6, 1, 2, 3, 4};

	v4v6[18] = 100; v4v6[19] = 64; v4v6[20] = 0; v4v6[21] = 7;
	cur_init(&c, v6, sizeof(v6));
	assert_int_equal(gtp_paa_decode(c, &paa), GTP_OK);
	assert_int_equal(paa.pdn_type, GTP_PDN_IPV6);
	assert_int_equal(paa.v6_prefix_len, 64);
	assert_int_equal(paa.v6[1], 0x01);
	cur_init(&c, v4v6, sizeof(v4v6));
	assert_int_equal(gtp_paa_decode(c, &paa), GTP_OK);
	assert_int_equal(paa.pdn_type, GTP_PDN_IPV4V6);
	assert_memory_equal(paa.v4, "\x64\x40\x00\x07", 4);
	cur_init(&c, v4v6, 21);
	assert_int_equal(gtp_paa_decode(c, &paa), GTP_E_PAA);
	cur_init(&c, bad, sizeof(bad));
	assert_int_equal(gtp_paa_decode(c, &paa), GTP_E_PAA);
	cur_init(&c, badtype, sizeof(badtype));
	assert_int_equal(gtp_paa_decode(c, &paa), GTP_E_PAA);
	cur_init(&c, bad, 0);
	assert_int_equal(gtp_paa_decode(c, &paa), GTP_E_IE_SHORT);
}

static void
test_tbcd_apn_fteid_uli(void **state)
{
	struct ovt_cursor c;
	char d[17], apn[101];
	struct gtp_fteid f;
	struct gtp_uli u;
	uint8_t bad_digit[2] = {0x10, 0x3a};	/* 'a' in the low nibble */
	uint8_t mid_filler[2] = {0xf1, 0x32};	/* F in a middle octet */
	uint8_t nine[9] = {0};
	uint8_t apn_over[4] = {5, 'a', 'b', 'c'};
	uint8_t apn_dot[3] = {2, 'a', '.'};
	uint8_t apn_zero[3] = {1, 'a', 0};
	uint8_t f_noaddr[5] = {0x0a, 0, 0, 0, 1};
	uint8_t f_short[7] = {0x8a, 0, 0, 0, 1, 10, 0};
	uint8_t f_v6[21] = {0x41, 0, 0, 0, 9, 0xfe, 0x80};
	uint8_t f_long[12] = {0x8a, 0, 0, 0, 1, 10, 0, 0, 1, 0xde, 0xad, 0xbf};
	uint8_t uli_short[4] = {0x08, 0x00, 0xf1, 0x10};
	uint8_t uli_cgi[8] = {0x01, 0x00, 0xf1, 0x10, 0, 1, 0, 2};

	cur_init(&c, bad_digit, 2);
	assert_int_equal(gtp_tbcd_decode(c, d, sizeof(d)), GTP_E_TBCD);
	cur_init(&c, mid_filler, 2);
	assert_int_equal(gtp_tbcd_decode(c, d, sizeof(d)), GTP_E_TBCD);
	cur_init(&c, nine, 9);
	assert_int_equal(gtp_tbcd_decode(c, d, sizeof(d)), GTP_E_TBCD);
	cur_init(&c, nine, 0);
	assert_int_equal(gtp_tbcd_decode(c, d, sizeof(d)), GTP_E_IE_SHORT);
	cur_init(&c, mid_filler + 1, 1);
	assert_int_equal(gtp_tbcd_decode(c, d, sizeof(d)), GTP_OK);
	assert_string_equal(d, "23");

	cur_init(&c, apn_over, sizeof(apn_over));
	assert_int_equal(gtp_apn_decode(c, apn), GTP_E_APN);
	cur_init(&c, apn_dot, sizeof(apn_dot));
	assert_int_equal(gtp_apn_decode(c, apn), GTP_E_APN);
	cur_init(&c, apn_zero, sizeof(apn_zero));
	assert_int_equal(gtp_apn_decode(c, apn), GTP_E_APN);
	cur_init(&c, apn_zero, 0);
	assert_int_equal(gtp_apn_decode(c, apn), GTP_OK);
	assert_string_equal(apn, "");

	cur_init(&c, f_noaddr, sizeof(f_noaddr));
	assert_int_equal(gtp_fteid_decode(c, 0, &f), GTP_E_FTEID);
	cur_init(&c, f_short, sizeof(f_short));
	assert_int_equal(gtp_fteid_decode(c, 0, &f), GTP_E_FTEID);
	cur_init(&c, f_short, 3);
	assert_int_equal(gtp_fteid_decode(c, 0, &f), GTP_E_IE_SHORT);
	cur_init(&c, f_v6, sizeof(f_v6));
	assert_int_equal(gtp_fteid_decode(c, 3, &f), GTP_OK);
	assert_int_equal(f.flags, GTP_FTEID_V6);
	assert_int_equal(f.iface, 1);
	assert_int_equal(f.instance, 3);
	assert_int_equal(f.v6[0], 0xfe);
	/* octets beyond the defined layout are ignored (forward compatibility) */
	cur_init(&c, f_long, sizeof(f_long));
	assert_int_equal(gtp_fteid_decode(c, 0, &f), GTP_OK);
	assert_int_equal(f.teid, 1);

	cur_init(&c, uli_short, sizeof(uli_short));
	assert_int_equal(gtp_uli_decode(c, &u), GTP_E_ULI);
	cur_init(&c, uli_cgi, sizeof(uli_cgi));
	assert_int_equal(gtp_uli_decode(c, &u), GTP_OK);
	assert_int_equal(u.flags, GTP_ULI_CGI);
	cur_init(&c, uli_cgi, 0);
	assert_int_equal(gtp_uli_decode(c, &u), GTP_E_IE_SHORT);
}

static void
test_plmn_three_digit_mnc(void **state)
{
	static const uint8_t plmn[3] = {0x13, 0x00, 0x14};	/* MCC 310, MNC 410 */
	char mcc[4], mnc[4];

	gtp_plmn_digits(plmn, mcc, mnc);
	assert_string_equal(mcc, "310");
	assert_string_equal(mnc, "410");
}

/* Header malformations (29.274 5.1, 5.5). */
static void
test_header_errors(void **state)
{
	struct buf x;
	struct gtpc_msg m, msgs[2];
	size_t n, o;
	static const uint8_t three[3] = {0x48, 32, 0};
	static const uint8_t v1[12] = {0x28, 32, 0, 8, 0, 0, 0, 0, 0, 0, 1, 0};
	static const uint8_t shortlen[8] = {0x48, 32, 0, 4, 0, 0, 0, 1};

	assert_int_equal(gtpc_parse(three, sizeof(three), msgs, &n), GTP_E_SHORT_HDR);
	assert_int_equal(n, 0);
	assert_int_equal(gtpc_parse(v1, sizeof(v1), msgs, &n), GTP_E_VERSION);
	assert_int_equal(gtpc_parse(shortlen, sizeof(shortlen), msgs, &n), GTP_E_SHORT_HDR);

	/* lying length: the header claims more than the datagram holds */
	buf_init(&x);
	o = tb_msg(&x.b, GTPC_MODIFY_BEARER_REQ, 1, 2, 0);
	tb_u8(&x.b, GTPC_IE_EBI, 0, 5);
	tb_end(&x.b, o);
	bld_put_u16_at(&x.b, 2, (uint16_t)(bld_len(&x.b) - 4 + 1));
	assert_int_equal(parse1(&x, &m), GTP_E_LENGTH);

	/* trailing garbage after a message without P */
	buf_init(&x);
	o = tb_msg(&x.b, GTPC_MODIFY_BEARER_REQ, 1, 2, 0);
	tb_end(&x.b, o);
	bld_add_u8(&x.b, 0);
	assert_int_equal(gtpc_parse(x.mem, bld_len(&x.b), msgs, &n), GTP_E_TRAILING);
	assert_int_equal(n, 0);

	/* T flag: Echo must not carry a TEID, Create Session must */
	buf_init(&x);
	o = tb_msg(&x.b, GTPC_ECHO_REQ, -1, 7, 0);
	tb_u8(&x.b, GTPC_IE_RECOVERY, 0, 3);
	tb_end(&x.b, o);
	assert_int_equal(parse1(&x, &m), GTP_OK);
	assert_false(m.hdr.has_teid);
	assert_int_equal(m.hdr.seq, 7);
	buf_init(&x);
	o = tb_msg(&x.b, GTPC_ECHO_REQ, 0, 7, 0);
	tb_end(&x.b, o);
	assert_int_equal(parse1(&x, &m), GTP_E_TEID_FLAG);
	buf_init(&x);
	o = tb_msg(&x.b, GTPC_CREATE_SESSION_REQ, -1, 7, 0);
	tb_end(&x.b, o);
	assert_int_equal(parse1(&x, &m), GTP_E_TEID_FLAG);
}

/* IE framing: truncated header, overrun of the message, overrun of a group, nesting, count. */
static void
test_ie_framing_errors(void **state)
{
	struct buf x;
	struct gtpc_msg m;
	size_t o, g1, g2, g3;

	buf_init(&x);
	o = tb_msg(&x.b, GTPC_MODIFY_BEARER_REQ, 1, 2, 0);
	bld_add_u8(&x.b, 73);
	bld_add_u16(&x.b, 1);		/* IE header cut after 3 octets */
	tb_end(&x.b, o);
	assert_int_equal(parse1(&x, &m), GTP_E_IE_HDR);

	buf_init(&x);
	o = tb_msg(&x.b, GTPC_MODIFY_BEARER_REQ, 1, 2, 0);
	tb_u8(&x.b, GTPC_IE_EBI, 0, 5);
	tb_end(&x.b, o);
	bld_put_u16_at(&x.b, 12 + 1, 2);	/* EBI claims 2 octets, 1 present */
	assert_int_equal(parse1(&x, &m), GTP_E_IE_OVERRUN);

	buf_init(&x);
	o = tb_msg(&x.b, GTPC_MODIFY_BEARER_REQ, 1, 2, 0);
	g1 = tb_ie(&x.b, GTPC_IE_BEARER_CONTEXT, 0);
	tb_u8(&x.b, GTPC_IE_EBI, 0, 5);
	tb_ie_end(&x.b, g1);
	tb_u8(&x.b, GTPC_IE_RAT_TYPE, 0, 6);
	tb_end(&x.b, o);
	bld_put_u16_at(&x.b, g1 + 4 + 1, 3);	/* inner EBI runs past its Bearer Context */
	assert_int_equal(parse1(&x, &m), GTP_E_GROUP_OVERRUN);

	buf_init(&x);
	o = tb_msg(&x.b, GTPC_MODIFY_BEARER_REQ, 1, 2, 0);
	g1 = tb_ie(&x.b, GTPC_IE_BEARER_CONTEXT, 0);
	g2 = tb_ie(&x.b, GTPC_IE_BEARER_CONTEXT, 0);
	g3 = tb_ie(&x.b, GTPC_IE_BEARER_CONTEXT, 0);
	tb_u8(&x.b, GTPC_IE_EBI, 0, 5);
	tb_ie_end(&x.b, g3);
	tb_ie_end(&x.b, g2);
	tb_ie_end(&x.b, g1);
	tb_end(&x.b, o);
	assert_int_equal(parse1(&x, &m), GTP_E_NESTING);

	buf_init(&x);
	o = tb_msg(&x.b, GTPC_MODIFY_BEARER_REQ, 1, 2, 0);
	for (int i = 0; i < GTPC_MAX_IES + 1; i++)
		tb_raw_ie(&x.b, 200, 0, NULL, 0);
	tb_end(&x.b, o);
	assert_int_equal(parse1(&x, &m), GTP_E_TOO_MANY_IES);
}

/* Value errors refuse the whole message in gtpc_decode. */
static void
test_ie_value_errors(void **state)
{
	struct buf x;
	struct gtpc_msg m;
	struct gtpc_info in;
	size_t o, g;
	uint8_t two[2] = {0x21, 0xa3};

	buf_init(&x);
	o = tb_msg(&x.b, GTPC_CREATE_SESSION_REQ, 0, 1, 0);
	tb_raw_ie(&x.b, GTPC_IE_IMSI, 0, two, 2);
	tb_end(&x.b, o);
	assert_int_equal(parse1(&x, &m), GTP_OK);
	assert_int_equal(gtpc_decode(&m, &in), GTP_E_TBCD);

	buf_init(&x);
	o = tb_msg(&x.b, GTPC_CREATE_SESSION_RESP, 1, 1, 0);
	tb_raw_ie(&x.b, GTPC_IE_CAUSE, 0, two, 1);	/* cause needs 2 octets */
	tb_end(&x.b, o);
	assert_int_equal(parse1(&x, &m), GTP_OK);
	assert_int_equal(gtpc_decode(&m, &in), GTP_E_IE_SHORT);

	buf_init(&x);
	o = tb_msg(&x.b, GTPC_CREATE_SESSION_RESP, 1, 1, 0);
	g = tb_ie(&x.b, GTPC_IE_BEARER_CONTEXT, 0);
	tb_raw_ie(&x.b, GTPC_IE_BEARER_QOS, 0, two, 2);	/* QoS needs 22 */
	tb_ie_end(&x.b, g);
	tb_end(&x.b, o);
	assert_int_equal(parse1(&x, &m), GTP_OK);
	assert_int_equal(gtpc_decode(&m, &in), GTP_E_IE_SHORT);

	buf_init(&x);
	o = tb_msg(&x.b, GTPC_CREATE_SESSION_RESP, 1, 1, 0);
	for (int i = 0; i < GTPC_MAX_BC + 1; i++) {
		g = tb_ie(&x.b, GTPC_IE_BEARER_CONTEXT, 0);
		tb_u8(&x.b, GTPC_IE_EBI, 0, 5);
		tb_ie_end(&x.b, g);
	}
	tb_end(&x.b, o);
	assert_int_equal(parse1(&x, &m), GTP_OK);
	assert_int_equal(gtpc_decode(&m, &in), GTP_E_TOO_MANY);

	/* an IE longer than this release defines is accepted (RAT type with 2 octets), and a
	 * repeated single-valued IE keeps the first value */
	buf_init(&x);
	o = tb_msg(&x.b, GTPC_MODIFY_BEARER_REQ, 1, 1, 0);
	tb_raw_ie(&x.b, GTPC_IE_RAT_TYPE, 0, "\x06\x01", 2);
	tb_u8(&x.b, GTPC_IE_RAT_TYPE, 0, 1);
	tb_end(&x.b, o);
	assert_int_equal(parse1(&x, &m), GTP_OK);
	assert_int_equal(gtpc_decode(&m, &in), GTP_OK);
	assert_int_equal(in.rat, 6);
	assert_int_equal(in.n_dup, 1);
}

/* Repeated identity, APN, PAA and ULI IEs: the first is kept (each is decoded straight into
 * the result), a repetition is still validated and counted; digit limits per identity. */
static void
test_repeated_ies(void **state)
{
	struct buf x;
	struct gtpc_msg m;
	struct gtpc_info in;
	size_t o;
	const uint8_t bad_tbcd[2] = {0x21, 0xa3};

	buf_init(&x);
	o = tb_msg(&x.b, GTPC_CREATE_SESSION_REQ, 0, 1, 0);
	tb_tbcd(&x.b, GTPC_IE_IMSI, "001010000000001");
	tb_tbcd(&x.b, GTPC_IE_IMSI, "001010000000002");
	tb_tbcd(&x.b, GTPC_IE_MSISDN, "447700900001");
	tb_tbcd(&x.b, GTPC_IE_MSISDN, "4477009000");
	tb_tbcd(&x.b, GTPC_IE_MEI, "3569380356438091");	/* IMEISV: 16 digits */
	tb_tbcd(&x.b, GTPC_IE_MEI, "356938035643809");
	tb_apn(&x.b, "first.apn");
	tb_apn(&x.b, "second");
	tb_paa4(&x.b, "100.64.0.1");
	tb_paa4(&x.b, "100.64.0.2");
	tb_uli(&x.b, 7, 0x101);
	tb_uli(&x.b, 8, 0x102);
	tb_end(&x.b, o);
	assert_int_equal(parse1(&x, &m), GTP_OK);
	assert_int_equal(gtpc_decode(&m, &in), GTP_OK);
	assert_string_equal(in.imsi, "001010000000001");
	assert_string_equal(in.msisdn, "447700900001");
	assert_string_equal(in.mei, "3569380356438091");
	assert_string_equal(in.apn, "first.apn");
	assert_memory_equal(in.paa.v4, "\x64\x40\x00\x01", 4);
	assert_int_equal(in.uli.tac, 7);
	assert_int_equal(in.n_dup, 6);

	/* A bad repetition refuses the message although the first was good. */
	buf_init(&x);
	o = tb_msg(&x.b, GTPC_CREATE_SESSION_REQ, 0, 1, 0);
	tb_tbcd(&x.b, GTPC_IE_IMSI, "001010000000001");
	tb_raw_ie(&x.b, GTPC_IE_IMSI, 0, bad_tbcd, 2);
	tb_end(&x.b, o);
	assert_int_equal(parse1(&x, &m), GTP_OK);
	assert_int_equal(gtpc_decode(&m, &in), GTP_E_TBCD);
	buf_init(&x);
	o = tb_msg(&x.b, GTPC_CREATE_SESSION_REQ, 0, 1, 0);
	tb_apn(&x.b, "first.apn");
	tb_raw_ie(&x.b, GTPC_IE_APN, 0, "\x09" "abc", 4);	/* label longer than the IE */
	tb_end(&x.b, o);
	assert_int_equal(parse1(&x, &m), GTP_OK);
	assert_int_equal(gtpc_decode(&m, &in), GTP_E_APN);

	/* IMSI and MSISDN have at most 15 digits, the MEI 16. */
	buf_init(&x);
	o = tb_msg(&x.b, GTPC_CREATE_SESSION_REQ, 0, 1, 0);
	tb_tbcd(&x.b, GTPC_IE_MSISDN, "4477009000012345");
	tb_end(&x.b, o);
	assert_int_equal(parse1(&x, &m), GTP_OK);
	assert_int_equal(gtpc_decode(&m, &in), GTP_E_TBCD);
	buf_init(&x);
	o = tb_msg(&x.b, GTPC_CREATE_SESSION_REQ, 0, 1, 0);
	tb_tbcd(&x.b, GTPC_IE_IMSI, "0010100000000012");
	tb_end(&x.b, o);
	assert_int_equal(parse1(&x, &m), GTP_OK);
	assert_int_equal(gtpc_decode(&m, &in), GTP_E_TBCD);
}

static void
test_piggyback(void **state)
{
	struct buf x;
	struct gtpc_msg msgs[2];
	struct gtpc_info in;
	size_t n, o, g;

	buf_init(&x);
	o = tb_msg(&x.b, GTPC_CREATE_SESSION_RESP, 0xaaaa, 1, 1);
	tb_cause(&x.b, 16);
	tb_end(&x.b, o);
	o = tb_msg(&x.b, GTPC_CREATE_BEARER_REQ, 0xaaaa, 0x800004, 0);
	tb_u8(&x.b, GTPC_IE_EBI, 0, 5);
	g = tb_ie(&x.b, GTPC_IE_BEARER_CONTEXT, 0);
	tb_u8(&x.b, GTPC_IE_EBI, 0, 0);
	tb_fteid4(&x.b, 0, GTP_IF_S1U_SGW, 0x0a0b0c0d, "10.0.0.2");
	tb_ie_end(&x.b, g);
	tb_end(&x.b, o);
	assert_int_equal(gtpc_parse(x.mem, bld_len(&x.b), msgs, &n), GTP_OK);
	assert_int_equal(n, 2);
	assert_true(msgs[0].hdr.piggyback);
	assert_int_equal(msgs[1].hdr.type, GTPC_CREATE_BEARER_REQ);
	assert_int_equal(msgs[1].hdr.seq, 0x800004);
	assert_int_equal(gtpc_decode(&msgs[1], &in), GTP_OK);
	assert_int_equal(in.n_ebi, 1);
	assert_int_equal(in.bc[0].fteid[0].teid, 0x0a0b0c0d);

	/* P set but nothing follows */
	buf_init(&x);
	o = tb_msg(&x.b, GTPC_CREATE_SESSION_RESP, 0xaaaa, 1, 1);
	tb_cause(&x.b, 16);
	tb_end(&x.b, o);
	assert_int_equal(gtpc_parse(x.mem, bld_len(&x.b), msgs, &n), GTP_E_PIGGYBACK);

	/* the piggybacked message must not set P itself */
	buf_init(&x);
	o = tb_msg(&x.b, GTPC_CREATE_SESSION_RESP, 0xaaaa, 1, 1);
	tb_end(&x.b, o);
	o = tb_msg(&x.b, GTPC_CREATE_BEARER_REQ, 0xaaaa, 2, 1);
	tb_end(&x.b, o);
	o = tb_msg(&x.b, GTPC_CREATE_BEARER_REQ, 0xaaaa, 3, 0);
	tb_end(&x.b, o);
	assert_int_equal(gtpc_parse(x.mem, bld_len(&x.b), msgs, &n), GTP_E_PIGGYBACK);
	assert_int_equal(n, 0);
}

/* Bytes that are not GTPv2 at all (DNS on port 2123) are refused. */
static void
test_not_gtp(void **state)
{
	static const uint8_t dns[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x03, 'w', 'w', 'w', 0x00, 0x00, 0x01, 0x00, 0x01};
	struct gtpc_msg msgs[2];
	struct gtpu_hdr u;
	size_t n, trailing;

	assert_int_equal(gtpc_parse(dns, sizeof(dns), msgs, &n), GTP_E_VERSION);
	assert_int_equal(gtpu_parse(dns, sizeof(dns), &u, &trailing), GTP_E_VERSION);
}

static void
test_msg_tables(void **state)
{
	assert_true(gtpc_msg_known(GTPC_CREATE_SESSION_REQ));
	assert_false(gtpc_msg_known(166));
	assert_true(gtpc_msg_is_request(GTPC_CREATE_BEARER_REQ));
	assert_false(gtpc_msg_is_request(GTPC_CREATE_BEARER_RESP));
	assert_true(gtpu_msg_known(GTPU_GPDU));
	assert_false(gtpu_msg_known(100));
	for (int e = 0; e < GTP_E__COUNT; e++) {
		assert_non_null(gtp_strerror((enum gtp_err)e));
		assert_string_not_equal(gtp_strerror((enum gtp_err)e), "unknown");
	}
	assert_string_equal(gtp_strerror(GTP_E__COUNT), "unknown");
}

/* ================================================================ GTP-U (29.281) */

static void
test_gtpu_gpdu(void **state)
{
	struct buf x;
	struct gtpu_hdr u;
	size_t t;

	buf_init(&x);
	tb_gpdu(&x.b, 0x11223344, "\x45\x00", 2);
	assert_int_equal(gtpu_parse(x.mem, bld_len(&x.b), &u, &t), GTP_OK);
	assert_int_equal(u.type, GTPU_GPDU);
	assert_int_equal(u.teid, 0x11223344);
	assert_int_equal(cur_len(&u.payload), 2);
	assert_int_equal(t, 0);
	/* UDP longer than the GTP length: trailing octets reported, payload cut */
	bld_add_u8(&x.b, 0xee);
	assert_int_equal(gtpu_parse(x.mem, bld_len(&x.b), &u, &t), GTP_OK);
	assert_int_equal(t, 1);
	assert_int_equal(cur_len(&u.payload), 2);
}

static void
test_gtpu_optional_and_ext(void **state)
{
	/* E + S: seq 0x0102, N-PDU 0, next = 0x85 (PDU session container, 1 unit), then 0x40
	 * (UDP port, 1 unit), then end; 2-octet payload.  Length = 4 + 4 + 4 + 2 = 14. */
	static const uint8_t msg[] = {0x36, 0xff, 0x00, 0x0e, 0, 0, 0, 9,
	    0x01, 0x02, 0x00, 0x85, 0x01, 0x10, 0x05, 0x40, 0x01, 0x08, 0x68, 0x00, 0xab, 0xcd};
	static const uint8_t zero_len[] = {0x34, 0xff, 0x00, 0x08, 0, 0, 0, 9,
	    0, 0, 0, 0x85, 0x00, 0, 0, 0};
	static const uint8_t overrun[] = {0x34, 0xff, 0x00, 0x08, 0, 0, 0, 9,
	    0, 0, 0, 0x85, 0x02, 0, 0, 0};
	static const uint8_t nospace[] = {0x32, 0xff, 0x00, 0x02, 0, 0, 0, 9, 0, 1};
	struct gtpu_hdr u;
	size_t t;
	uint8_t many[8 + 4 + 4 * (GTPU_MAX_EXT + 1)];

	assert_int_equal(gtpu_parse(msg, sizeof(msg), &u, &t), GTP_OK);
	assert_int_equal(u.seq, 0x0102);
	assert_int_equal(u.n_ext, 2);
	assert_int_equal(u.ext_types[0], 0x85);
	assert_int_equal(u.ext_types[1], 0x40);
	assert_int_equal(cur_len(&u.payload), 2);
	assert_int_equal(u.payload.p[0], 0xab);
	assert_int_equal(gtpu_parse(zero_len, sizeof(zero_len), &u, &t), GTP_E_EXT_HDR);
	assert_int_equal(gtpu_parse(overrun, sizeof(overrun), &u, &t), GTP_E_EXT_HDR);
	assert_int_equal(gtpu_parse(nospace, sizeof(nospace), &u, &t), GTP_E_SHORT_HDR);

	/* a chain one longer than the cap */
	memset(many, 0, sizeof(many));
	many[0] = 0x34;
	many[1] = 0xff;
	many[2] = 0;
	many[3] = (uint8_t)(sizeof(many) - 8);
	many[11] = 0x40;
	for (int i = 0; i < GTPU_MAX_EXT + 1; i++) {
		many[12 + 4 * i] = 1;
		many[12 + 4 * i + 3] = 0x40;
	}
	assert_int_equal(gtpu_parse(many, sizeof(many), &u, &t), GTP_E_EXT_COUNT);
}

static void
test_gtpu_errors(void **state)
{
	static const uint8_t shorth[7] = {0x30, 0xff, 0, 0, 0, 0, 0};
	static const uint8_t v2[8] = {0x50, 0xff, 0, 0, 0, 0, 0, 1};
	static const uint8_t gtpp[8] = {0x20, 0xff, 0, 0, 0, 0, 0, 1};
	static const uint8_t lying[10] = {0x30, 0xff, 0, 9, 0, 0, 0, 1, 0x45, 0};
	static const uint8_t endm[8] = {0x30, 0xfe, 0, 0, 0, 0, 0, 1};
	struct gtpu_hdr u;
	size_t t;

	assert_int_equal(gtpu_parse(shorth, sizeof(shorth), &u, &t), GTP_E_SHORT_HDR);
	assert_int_equal(gtpu_parse(v2, sizeof(v2), &u, &t), GTP_E_VERSION);
	assert_int_equal(gtpu_parse(gtpp, sizeof(gtpp), &u, &t), GTP_E_PT);
	assert_int_equal(gtpu_parse(lying, sizeof(lying), &u, &t), GTP_E_LENGTH);
	assert_int_equal(gtpu_parse(endm, sizeof(endm), &u, &t), GTP_OK);
	assert_int_equal(u.type, GTPU_END_MARKER);
	assert_int_equal(cur_len(&u.payload), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_session_request),
		cmocka_unit_test(test_reparse),
		cmocka_unit_test(test_paa_variants),
		cmocka_unit_test(test_tbcd_apn_fteid_uli),
		cmocka_unit_test(test_plmn_three_digit_mnc),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_ie_framing_errors),
		cmocka_unit_test(test_ie_value_errors),
		cmocka_unit_test(test_repeated_ies),
		cmocka_unit_test(test_piggyback),
		cmocka_unit_test(test_not_gtp),
		cmocka_unit_test(test_msg_tables),
		cmocka_unit_test(test_gtpu_gpdu),
		cmocka_unit_test(test_gtpu_optional_and_ext),
		cmocka_unit_test(test_gtpu_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
