/*
 * Unit tests for src/hi2: the research team's hand-written PS-PDU vectors decode with our
 * decoder (and the two bad ones are refused with the right error), every encoder round-trips
 * through our decoder field by field, the 33.108 event -> record mapping, minimal lengths in
 * every PDU, encoder argument and buffer-size errors, truncations and mutations of every
 * vector, the stream splitter skipping a malformed PDU, and BER bombs inside PS-PDUs.
 * The independent decoders (asn1c, dumpasn1) are in test_hi2_asn1c.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hi2/hi2.h"

#define BUF 70000

static const uint8_t PAA[] = {0x01, 100, 64, 0, 5};
static const uint8_t APN[] = {8, 'i', 'n', 't', 'e', 'r', 'n', 'e', 't'};
static const uint8_t ULI[] = {0x18, 0x00, 0xf1, 0x10, 0x00, 0x01, 0x00, 0xf1, 0x10,
			      0x00, 0x00, 0x10, 0x10};
static const uint8_t OLD_ULI[] = {0x08, 0x00, 0xf1, 0x10, 0x00, 0x02};
static const uint8_t CORR[] = {0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x2a};
static const uint8_t QOS[] = {0x00, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			      0, 0, 0};
static const uint8_t AMBR[] = {0, 0, 0x27, 0x10, 0, 0, 0x27, 0x10};
static const uint8_t TFT[] = {0x21, 0x10, 0x01, 0x10, 0x04, 0x30, 0x10, 0x00, 0x00};
static const uint8_t OPER[] = {'O', 'P', 'E', 'R', '1'};
static const uint8_t LIID[] = "LIID-0001";
static const uint8_t OPERATOR[] = "OPERATOR1";
static const uint8_t NEID[] = "PGW01";

static struct hi2_bytes
bytes(const uint8_t *p, size_t n)
{
	struct hi2_bytes b = {p, n};
	return b;
}

static void
fill_iri(struct hi2_eps_iri *iri, uint8_t event, uint8_t bearer, int cause)
{
	hi2_iri_init(iri);
	iri->event = event;
	iri->ts_sec = 1736936430;
	iri->has_initiator = 1;
	iri->initiator = 1;
	snprintf(iri->imsi, sizeof(iri->imsi), "%s", "001010123456789");
	snprintf(iri->msisdn, sizeof(iri->msisdn), "%s", "447700900123");
	snprintf(iri->imei, sizeof(iri->imei), "%s", "3569380356438091");
	iri->corr = bytes(CORR, sizeof(CORR));
	iri->operator_id = bytes(OPER, sizeof(OPER));
	iri->has_ne_type = 1;
	iri->ne_type = HI2_LFT_SGW;
	iri->ne_addr_len = 4;
	memcpy(iri->ne_addr, "\x0a\x00\x00\x02", 4);
	iri->paa = bytes(PAA, sizeof(PAA));
	iri->apn = bytes(APN, sizeof(APN));
	iri->has_ebi = 1;
	iri->ebi = 5;
	if (bearer == HI2_BEARER_DEDICATED) {
		iri->has_lbi = 1;
		iri->lbi = 5;
		iri->ebi = 6;
	}
	iri->has_rat = 1;
	iri->rat = 6;
	iri->has_pdn_type = 1;
	iri->pdn_type = 1;
	iri->bearer_type = bearer;
	if (cause >= 0) {
		iri->has_cause = 1;
		iri->cause = (uint8_t)cause;
	}
	iri->qos = bytes(QOS, sizeof(QOS));
	iri->apn_ambr = bytes(AMBR, sizeof(AMBR));
	iri->tft = bytes(TFT, sizeof(TFT));
	iri->uli = bytes(ULI, sizeof(ULI));
	if (event == HI2_EV_BEARER_MODIFICATION)
		iri->old_uli = bytes(OLD_ULI, sizeof(OLD_ULI));
}

static void
fill_hdr(struct hi2_pshdr *h)
{
	memset(h, 0, sizeof(*h));
	h->liid = bytes(LIID, 9);
	memcpy(h->auth_cc, "GB", 3);
	h->operator_id = bytes(OPERATOR, 9);
	h->ne_id = bytes(NEID, 5);
	h->cin = 42;
	memcpy(h->delivery_cc, "GB", 3);
	h->seq = 7;
	h->ts_sec = 1736936430;
	h->ts_usec = 123456;
	h->has_tsq = 1;
	h->tsq = 1;
}

static void
assert_same_bytes(struct hi2_bytes a, struct hi2_bytes b)
{
	assert_int_equal(a.len, b.len);
	if (a.len)
		assert_memory_equal(a.p, b.p, a.len);
}

/* Everything an encoder takes from iri must come back from the decoder. */
static void
assert_iri_equal(const struct hi2_eps_iri *a, const struct hi2_eps_iri *b)
{
	assert_int_equal(a->event, b->event);
	assert_true(a->ts_sec == b->ts_sec);
	assert_int_equal(a->has_initiator, b->has_initiator);
	assert_int_equal(a->initiator, b->initiator);
	assert_string_equal(a->imsi, b->imsi);
	assert_string_equal(a->msisdn, b->msisdn);
	assert_string_equal(a->imei, b->imei);
	assert_same_bytes(a->corr, b->corr);
	assert_same_bytes(a->operator_id, b->operator_id);
	assert_int_equal(a->has_ne_type, b->has_ne_type);
	assert_int_equal(a->ne_type, b->ne_type);
	assert_int_equal(a->ne_addr_len, b->ne_addr_len);
	assert_memory_equal(a->ne_addr, b->ne_addr, a->ne_addr_len);
	assert_same_bytes(a->paa, b->paa);
	assert_same_bytes(a->apn, b->apn);
	assert_int_equal(a->has_ebi, b->has_ebi);
	assert_int_equal(a->ebi, b->ebi);
	assert_int_equal(a->has_lbi, b->has_lbi);
	assert_int_equal(a->lbi, b->lbi);
	assert_int_equal(a->has_rat, b->has_rat);
	assert_int_equal(a->rat, b->rat);
	assert_int_equal(a->has_pdn_type, b->has_pdn_type);
	assert_int_equal(a->pdn_type, b->pdn_type);
	assert_int_equal(a->bearer_type, b->bearer_type);
	assert_int_equal(a->has_cause, b->has_cause);
	assert_int_equal(a->cause, b->cause);
	assert_same_bytes(a->qos, b->qos);
	assert_same_bytes(a->apn_ambr, b->apn_ambr);
	assert_same_bytes(a->tft, b->tft);
	assert_same_bytes(a->uli, b->uli);
	assert_same_bytes(a->old_uli, b->old_uli);
}

/* Walks every TLV and checks each length is in its minimal form (X.690 8.1.3 / DER). */
static void
assert_minimal(const uint8_t *p, size_t len)
{
	struct ovt_cursor c;
	cur_init(&c, p, len);
	while (cur_len(&c) > 0) {
		struct ber_tlv t;
		assert_int_equal(ber_get_tlv(&c, &t), BER_OK);
		size_t ll = t.hdrlen - (BER_TAG_NUM(t.tag) > 30 ? 2 : 1);
		if (BER_TAG_NUM(t.tag) >= 128)
			ll--;
		assert_int_equal(ll, ber_len_size(cur_len(&t.val)));
		if (BER_TAG_IS_CONS(t.tag))
			assert_minimal(cur_data(&t.val), cur_len(&t.val));
	}
}

static size_t
read_vector(const char *name, uint8_t *buf, size_t cap)
{
	const char *shared = getenv("OVERT_SHARED");
	char path[512];
	snprintf(path, sizeof(path), "%s/reference/hi2/%s", shared ? shared : "../shared", name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open vector %s (set OVERT_SHARED)", path);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	assert_true(n > 0 && n < cap);
	return n;
}

static void
test_vector_iri(void **state)
{
	static uint8_t buf[4096];
	size_t n = read_vector("eps_iri_bearer_activation.ber", buf, sizeof(buf));
	struct hi2_pdu p;
	struct hi2_iri_item it;
	struct hi2_diag d;
	static const uint8_t corr[] = {0, 0, 0, 0, 0, 0, 0, 0x2a};

	assert_int_equal(hi2_decode(buf, n, &p, &d), HI2_OK);
	assert_int_equal(p.kind, HI2_KIND_IRI);
	assert_int_equal(p.liid.len, 9);
	assert_memory_equal(p.liid.p, "LIID-0001", 9);
	assert_string_equal(p.auth_cc, "GB");
	assert_string_equal(p.delivery_cc, "GB");
	assert_memory_equal(p.operator_id.p, "OPERATOR1", 9);
	assert_memory_equal(p.ne_id.p, "PGW01", 5);
	assert_true(p.has_cin);
	assert_int_equal(p.cin, 42);
	assert_int_equal(p.seq, 1);
	assert_true(p.has_ts);
	assert_true(p.ts_sec == 1736936430);
	assert_int_equal(p.ts_usec, 123000);
	assert_true(p.has_usts);
	assert_true(p.usts_sec == 1736936430);
	assert_int_equal(p.usts_usec, 123456);
	assert_true(p.has_tsq);
	assert_int_equal(p.tsq, 1);
	assert_int_equal(p.domain_id.len, 7);
	assert_int_equal(p.nitems, 1);
	assert_int_equal(hi2_next_iri(&p, &it), 1);
	assert_true(it.has_type);
	assert_int_equal(it.iri_type, HI2_REC_BEGIN);
	assert_int_equal(it.eps.record, HI2_REC_BEGIN);
	assert_int_equal(it.eps.event, HI2_EV_BEARER_ACTIVATION);
	assert_string_equal(it.eps.imsi, "001010123456789");
	assert_string_equal(it.eps.msisdn, "447700900123");
	assert_int_equal(it.eps.msisdn_ton_npi, 0x91);
	assert_string_equal(it.eps.imei, "3569380356438091");
	assert_true(it.eps.ts_sec == 1736936430);
	assert_int_equal(it.eps.initiator, 1);
	assert_int_equal(it.eps.corr.len, 8);
	assert_memory_equal(it.eps.corr.p, corr, 8);
	assert_memory_equal(it.eps.apn.p, APN, sizeof(APN));
	assert_int_equal(it.eps.paa.len, 5);
	assert_memory_equal(it.eps.paa.p, PAA, 5);
	assert_int_equal(it.eps.ebi, 5);
	assert_int_equal(it.eps.rat, 6);
	assert_int_equal(it.eps.bearer_type, HI2_BEARER_DEFAULT);
	assert_int_equal(it.eps.uli.len, sizeof(ULI));
	assert_memory_equal(it.eps.uli.p, ULI, sizeof(ULI));
	assert_memory_equal(it.eps.operator_id.p, "OPER1", 5);
	assert_int_equal(it.eps.unknown, 0);
	assert_int_equal(hi2_next_iri(&p, &it), 0);
	assert_int_equal(hi2_next_cc(&p, NULL), 0);	/* wrong kind: no items */
}

static void
test_vector_cc_tri_stream(void **state)
{
	static uint8_t buf[4096];
	size_t n = read_vector("all3.ber", buf, sizeof(buf)), off = 0, len;
	struct hi2_pdu p;
	struct hi2_cc_item cc;
	struct hi2_diag d;
	int kinds[3], k = 0;

	while (off < n) {
		assert_int_equal(hi2_split(buf + off, n - off, HI2_MAX_PDU, &len, &d), HI2_OK);
		assert_int_equal(hi2_decode(buf + off, len, &p, &d), HI2_OK);
		assert_true(k < 3);
		kinds[k++] = p.kind;
		assert_int_equal(p.seq, (uint32_t)k);
		if (p.kind == HI2_KIND_CC) {
			assert_int_equal(hi2_next_cc(&p, &cc), 1);
			assert_true(cc.has_dir);
			assert_int_equal(cc.dir, 0);
			assert_int_equal(cc.hi3_domain.len, 8);
			assert_memory_equal(cc.liid.p, "LIID-0001", 9);
			assert_memory_equal(cc.corr.p, "42", 2);
			assert_true(cc.has_ulic_ts);
			assert_true(cc.ulic_ts_sec == 1736936430);
			assert_int_equal(cc.ulic_seq, 7);
			assert_int_equal(cc.tpdu_dir, 1);
			assert_int_equal(cc.ice_type, 4);
			assert_int_equal(cc.pkt.len, 33);
			assert_int_equal(cc.pkt.p[0], 0x45);
			assert_memory_equal(cc.pkt.p + 28, "hello", 5);
			assert_int_equal(hi2_next_cc(&p, &cc), 0);
		}
		if (p.kind == HI2_KIND_TRI) {
			assert_int_equal(p.tri, HI2_TRI_KEEPALIVE);
			assert_int_equal(p.cin, 0);
		}
		off += len;
	}
	assert_int_equal(k, 3);
	assert_int_equal(kinds[0], HI2_KIND_IRI);
	assert_int_equal(kinds[1], HI2_KIND_CC);
	assert_int_equal(kinds[2], HI2_KIND_TRI);
}

static void
test_vector_bad(void **state)
{
	static uint8_t buf[4096];
	size_t n;
	struct hi2_pdu p;
	struct hi2_diag d;
	char msg[256];

	/* ePSevent [20] re-tagged [21]: sgsnAddress is a DataNodeAddress (CHOICE) and must be
	 * constructed, so the primitive 0x95 is refused. */
	n = read_vector("bad_tag.ber", buf, sizeof(buf));
	assert_int_equal(hi2_decode(buf, n, &p, &d), HI2_E_BER);
	assert_int_equal(d.ber, BER_E_FORM);
	hi2_diag_format(HI2_E_BER, &d, msg, sizeof(msg));
	assert_non_null(strstr(msg, "sgsnAddress"));

	/* OpenLI/libwandder partyInformation without the inner SEQUENCE: refused, named. */
	n = read_vector("eps_iri_openli_style_party.ber", buf, sizeof(buf));
	assert_int_equal(hi2_decode(buf, n, &p, &d), HI2_E_PARTY_FORM);
	assert_string_equal(d.where, "IRI-Parameters.partyInformation");
}

/* Every prefix and every 1-byte mutation of every vector: a clean verdict, never a crash. */
static void
test_vector_truncations_mutations(void **state)
{
	static const char *names[] = {"eps_iri_bearer_activation.ber", "eps_cc.ber",
				      "tri_keepalive.ber"};
	static uint8_t buf[4096], m[4096];
	struct hi2_pdu p;
	struct hi2_diag d;
	struct hi2_iri_item it;
	struct hi2_cc_item cc;

	for (size_t v = 0; v < 3; v++) {
		size_t n = read_vector(names[v], buf, sizeof(buf));
		for (size_t i = 0; i < n; i++)
			assert_int_not_equal(hi2_decode(buf, i, &p, &d), HI2_OK);
		for (size_t i = 0; i < n; i++) {
			static const uint8_t x[] = {0x00, 0x01, 0x80, 0xff, 0x30};
			for (size_t k = 0; k < sizeof(x); k++) {
				memcpy(m, buf, n);
				m[i] ^= x[k] ? x[k] : m[i];
				if (hi2_decode(m, n, &p, &d) == HI2_OK) {
					while (hi2_next_iri(&p, &it))
						;
					while (hi2_next_cc(&p, &cc))
						;
				} else {
					assert_true(d.where != NULL);
				}
			}
		}
	}
}

static void
test_record_mapping(void **state)
{
	static const struct {
		uint8_t ev, bearer;
		int cause;
		enum hi2_record rec;
	} v[] = {
		{HI2_EV_BEARER_ACTIVATION, HI2_BEARER_DEFAULT, -1, HI2_REC_BEGIN},
		{HI2_EV_BEARER_ACTIVATION, HI2_BEARER_NONE, -1, HI2_REC_BEGIN},
		{HI2_EV_BEARER_ACTIVATION, HI2_BEARER_DEDICATED, -1, HI2_REC_CONTINUE},
		{HI2_EV_BEARER_ACTIVATION, HI2_BEARER_DEFAULT, 64, HI2_REC_REPORT},
		{HI2_EV_START_WITH_ACTIVE_BEARER, HI2_BEARER_DEFAULT, -1, HI2_REC_BEGIN},
		{HI2_EV_START_WITH_ACTIVE_BEARER, HI2_BEARER_DEDICATED, -1, HI2_REC_CONTINUE},
		{HI2_EV_BEARER_MODIFICATION, HI2_BEARER_DEFAULT, -1, HI2_REC_CONTINUE},
		{HI2_EV_BEARER_MODIFICATION, HI2_BEARER_NONE, 73, HI2_REC_CONTINUE},
		{HI2_EV_BEARER_DEACTIVATION, HI2_BEARER_DEFAULT, -1, HI2_REC_END},
		{HI2_EV_BEARER_DEACTIVATION, HI2_BEARER_DEDICATED, 8, HI2_REC_CONTINUE},
		{HI2_EV_UE_BEARER_RESOURCE_MOD, HI2_BEARER_NONE, -1, HI2_REC_REPORT},
		{HI2_EV_UE_PDN_CONNECTIVITY, HI2_BEARER_NONE, -1, HI2_REC_REPORT},
		{HI2_EV_EUTRAN_ATTACH, HI2_BEARER_NONE, -1, HI2_REC_REPORT},
		{HI2_EV_TAU, HI2_BEARER_NONE, -1, HI2_REC_REPORT},
		{HI2_EV_START_WITH_ATTACHED_UE, HI2_BEARER_NONE, -1, HI2_REC_REPORT},
	};
	static uint8_t buf[BUF], x2[2048];
	struct hi2_pshdr h;
	struct hi2_eps_iri iri, back;
	struct hi2_pdu p;
	struct hi2_iri_item it;
	struct ovt_builder b;
	struct hi2_diag d;

	fill_hdr(&h);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		fill_iri(&iri, v[i].ev, v[i].bearer, v[i].cause);
		assert_int_equal(hi2_iri_record(&iri), v[i].rec);

		/* PS-PDU: iRIType carries the record, every field survives. */
		bld_init_fixed(&b, buf, sizeof(buf));
		assert_int_equal(hi2_encode_iri(&b, &h, &iri, &d), HI2_OK);
		assert_minimal(bld_data(&b), bld_len(&b));
		assert_int_equal(hi2_decode(bld_data(&b), bld_len(&b), &p, &d), HI2_OK);
		assert_int_equal(p.kind, HI2_KIND_IRI);
		assert_int_equal(hi2_next_iri(&p, &it), 1);
		assert_int_equal(it.iri_type, v[i].rec);
		assert_int_equal(it.eps.record, v[i].rec);
		assert_true(it.has_ts);
		assert_true(it.ts_sec == iri.ts_sec);
		assert_iri_equal(&iri, &it.eps);
		assert_int_equal(it.eps.unknown, 0);
		assert_memory_equal(it.eps.liid.p, LIID, 9);	/* the MDF's LIID */

		/* X2 format 14: the EpsIRIContent alternative is the record. */
		bld_init_fixed(&b, x2, sizeof(x2));
		assert_int_equal(hi2_iri_encode_x2(&b, &iri, &d), HI2_OK);
		assert_int_equal(x2[0], 0xa0 | v[i].rec);
		assert_minimal(x2, bld_len(&b));
		assert_int_equal(hi2_iri_decode_x2(x2, bld_len(&b), &back, &d), HI2_OK);
		assert_int_equal(back.record, v[i].rec);
		assert_iri_equal(&iri, &back);
		assert_int_equal(back.liid.len, strlen(HI2_LIID_NOT_PRESENT));
		assert_memory_equal(back.liid.p, HI2_LIID_NOT_PRESENT, back.liid.len);
	}
}

static void
test_x2_to_pspdu(void **state)
{
	static uint8_t buf[4096], x2[2048], direct[4096];
	struct hi2_pshdr h;
	struct hi2_eps_iri iri;
	struct ovt_builder b, bd;
	struct hi2_diag d;
	unsigned unknown = 99;

	fill_hdr(&h);
	fill_iri(&iri, HI2_EV_BEARER_DEACTIVATION, HI2_BEARER_DEFAULT, 36);
	bld_init_fixed(&b, x2, sizeof(x2));
	assert_int_equal(hi2_iri_encode_x2(&b, &iri, &d), HI2_OK);
	size_t x2len = bld_len(&b);

	/* MDF path: X2 payload in, PS-PDU out, identical to encoding the IRI directly. */
	bld_init_fixed(&b, buf, sizeof(buf));
	assert_int_equal(hi2_encode_iri_from_x2(&b, &h, x2, x2len, &unknown, &d), HI2_OK);
	assert_int_equal(unknown, 0);
	bld_init_fixed(&bd, direct, sizeof(direct));
	assert_int_equal(hi2_encode_iri(&bd, &h, &iri, &d), HI2_OK);
	assert_int_equal(bld_len(&b), bld_len(&bd));
	assert_memory_equal(buf, direct, bld_len(&b));

	/* A POI that chose another record than our mapping keeps its choice through the MDF. */
	x2[0] = 0xa4;	/* iRI-Report-record */
	bld_init_fixed(&b, buf, sizeof(buf));
	assert_int_equal(hi2_encode_iri_from_x2(&b, &h, x2, x2len, NULL, &d), HI2_OK);
	struct hi2_pdu p;
	struct hi2_iri_item it;
	assert_int_equal(hi2_decode(buf, bld_len(&b), &p, &d), HI2_OK);
	assert_int_equal(hi2_next_iri(&p, &it), 1);
	assert_int_equal(it.iri_type, HI2_REC_REPORT);

	/* Not an EpsIRIContent alternative, truncated, trailing garbage. */
	x2[0] = 0xa5;
	assert_int_equal(hi2_encode_iri_from_x2(&b, &h, x2, x2len, NULL, &d), HI2_E_TAG);
	x2[0] = 0xa2;
	assert_int_equal(hi2_iri_decode_x2(x2, x2len - 1, &iri, &d), HI2_E_BER);
	assert_int_equal(d.ber, BER_E_TRUNCATED);
	assert_int_equal(hi2_iri_decode_x2(x2, x2len + 1, &iri, &d), HI2_E_BER);
	assert_int_equal(d.ber, BER_E_TRAILING);
}

static void
test_cc_roundtrip_sizes(void **state)
{
	static const size_t sizes[] = {0, 1, 20, 60, 100, 127, 128, 129, 200, 255, 256, 576,
				       1400, 1500, 9000, 65535};
	static uint8_t pkt[65535], buf[BUF];
	struct hi2_pshdr h;
	struct hi2_cc cc;
	struct hi2_pdu p;
	struct hi2_cc_item it;
	struct ovt_builder b;
	struct hi2_diag d;

	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 13 + 5);
	fill_hdr(&h);
	memset(&cc, 0, sizeof(cc));
	cc.dir = 1;
	cc.corr = bytes(CORR, sizeof(CORR));
	cc.tpdu_dir = 2;
	cc.ice_type = 3;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		cc.pkt = bytes(pkt, sizes[i]);
		cc.ulic_seq = (uint16_t)(65530 + i);
		h.seq = 0xfffffff0u + (uint32_t)i;
		h.cin = 0xffffffffu - (uint32_t)i;
		bld_init_fixed(&b, buf, sizeof(buf));
		assert_int_equal(hi2_encode_cc(&b, &h, &cc, &d), HI2_OK);
		assert_minimal(bld_data(&b), bld_len(&b));
		assert_int_equal(hi2_decode(buf, bld_len(&b), &p, &d), HI2_OK);
		assert_int_equal(p.kind, HI2_KIND_CC);
		assert_int_equal(p.seq, h.seq);
		assert_int_equal(p.cin, h.cin);
		assert_true(p.usts_sec == h.ts_sec);
		assert_int_equal(p.usts_usec, h.ts_usec);
		assert_int_equal(p.nitems, 1);
		assert_int_equal(hi2_next_cc(&p, &it), 1);
		assert_int_equal(it.dir, 1);
		assert_int_equal(it.tpdu_dir, 2);
		assert_int_equal(it.ice_type, 3);
		assert_int_equal(it.ulic_seq, cc.ulic_seq);
		assert_same_bytes(it.corr, cc.corr);
		assert_memory_equal(it.liid.p, LIID, 9);
		assert_true(it.ulic_ts_sec == h.ts_sec);
		assert_same_bytes(it.pkt, cc.pkt);
		assert_int_equal(hi2_next_cc(&p, &it), 0);
	}
}

static void
test_tri(void **state)
{
	static uint8_t buf[512];
	struct hi2_pshdr h;
	struct hi2_pdu p;
	struct ovt_builder b;
	struct hi2_diag d;

	fill_hdr(&h);
	h.auth_cc[0] = h.delivery_cc[0] = '\0';
	h.ne_id.len = 0;
	h.has_tsq = 0;
	for (int k = HI2_TRI_KEEPALIVE; k <= HI2_TRI_KEEPALIVE_RESPONSE; k++) {
		bld_init_fixed(&b, buf, sizeof(buf));
		assert_int_equal(hi2_encode_tri(&b, &h, (enum hi2_tri)k, &d), HI2_OK);
		assert_int_equal(hi2_decode(buf, bld_len(&b), &p, &d), HI2_OK);
		assert_int_equal(p.kind, HI2_KIND_TRI);
		assert_int_equal(p.tri, k);
		assert_string_equal(p.auth_cc, "");
		assert_int_equal(p.ne_id.len, 0);
		assert_false(p.has_tsq);
		/* ... ends with payload A2 04 A2 02 8k 00 */
		assert_int_equal(buf[bld_len(&b) - 2], 0x80 | k);
		assert_int_equal(buf[bld_len(&b) - 1], 0x00);
	}
	bld_init_fixed(&b, buf, sizeof(buf));
	assert_int_equal(hi2_encode_tri(&b, &h, (enum hi2_tri)5, &d), HI2_E_ARG);
}

static void
test_encoder_args(void **state)
{
	static uint8_t buf[BUF], big[30];
	struct hi2_pshdr h;
	struct hi2_eps_iri iri;
	struct hi2_cc cc;
	struct ovt_builder b;
	struct hi2_diag d;

#define EXPECT_ARG_IRI(mutate, where_part)                                                 \
	do {                                                                               \
		fill_hdr(&h);                                                              \
		fill_iri(&iri, HI2_EV_BEARER_ACTIVATION, HI2_BEARER_DEFAULT, -1);          \
		mutate;                                                                    \
		bld_init_fixed(&b, buf, sizeof(buf));                                      \
		assert_int_equal(hi2_encode_iri(&b, &h, &iri, &d), HI2_E_ARG);             \
		assert_int_equal(bld_len(&b), 0);                                          \
		assert_true(bld_ok(&b));                                                   \
		assert_non_null(strstr(d.where, where_part));                              \
	} while (0)

	EXPECT_ARG_IRI(h.liid.len = 0, "lawfulInterceptionIdentifier");
	EXPECT_ARG_IRI(h.liid = bytes(big, 26), "lawfulInterceptionIdentifier");
	EXPECT_ARG_IRI(memcpy(h.auth_cc, "G", 2), "authorizationCountryCode");
	EXPECT_ARG_IRI(memcpy(h.delivery_cc, "G\n", 3), "deliveryCountryCode");
	EXPECT_ARG_IRI(h.operator_id.len = 0, "operatorIdentifier");
	EXPECT_ARG_IRI(h.ne_id = bytes(big, 17), "networkElementIdentifier");
	EXPECT_ARG_IRI(h.ts_sec = -1, "timeStamp");
	EXPECT_ARG_IRI(h.ts_usec = 1000000, "timeStamp");
	EXPECT_ARG_IRI(h.tsq = 4, "timeStampQualifier");
	EXPECT_ARG_IRI(iri.event = 3, "ePSevent");
	EXPECT_ARG_IRI(iri.event = 56, "ePSevent");
	EXPECT_ARG_IRI(iri.record = 5, "iRIType");
	EXPECT_ARG_IRI(iri.initiator = 3, "initiator");
	EXPECT_ARG_IRI(iri.ts_sec = 2524608000, "timeStamp");
	EXPECT_ARG_IRI(snprintf(iri.imsi, sizeof(iri.imsi), "1234"), "imsi");
	EXPECT_ARG_IRI(snprintf(iri.imsi, sizeof(iri.imsi), "00101012345678a"), "imsi");
	EXPECT_ARG_IRI(snprintf(iri.imei, sizeof(iri.imei), "35693803564380"), "imei"); /* 14 */
	EXPECT_ARG_IRI(snprintf(iri.msisdn, sizeof(iri.msisdn), "+4477"), "msISDN");
	EXPECT_ARG_IRI(iri.corr.len = 7, "ePSCorrelationNumber");
	EXPECT_ARG_IRI(iri.corr = bytes(big, 21), "ePSCorrelationNumber");
	EXPECT_ARG_IRI(iri.operator_id = bytes(big, 6), "operator-Identifier");
	EXPECT_ARG_IRI(iri.ne_addr_len = 5, "dataNodeAddress");
	EXPECT_ARG_IRI(iri.ne_type = 5, "logicalFunctionType");
	EXPECT_ARG_IRI(iri.paa = bytes(buf, 23), "pDNAddressAllocation");
	EXPECT_ARG_IRI(iri.apn = bytes(buf, 101), "aPN");
	EXPECT_ARG_IRI(iri.bearer_type = 3, "bearerType");
	EXPECT_ARG_IRI(iri.uli = bytes(buf, 40), "userLocationInfo");
	EXPECT_ARG_IRI(iri.old_uli = bytes(buf, 40), "olduserLocationInfo");
	EXPECT_ARG_IRI(iri.tft = bytes(buf, 256), "tFT");
#undef EXPECT_ARG_IRI

	fill_hdr(&h);
	fill_iri(&iri, HI2_EV_BEARER_ACTIVATION, HI2_BEARER_DEFAULT, -1);
	iri.liid = bytes(big, 26);
	bld_init_fixed(&b, buf, sizeof(buf));
	assert_int_equal(hi2_iri_encode_x2(&b, &iri, &d), HI2_E_ARG);

	memset(&cc, 0, sizeof(cc));
	cc.corr = bytes(CORR, 8);
	cc.tpdu_dir = 1;
	cc.pkt = bytes(buf, 100);
	bld_init_fixed(&b, buf + 1000, 1000);
	assert_int_equal(hi2_encode_cc(&b, &h, &cc, &d), HI2_OK);
	struct hi2_cc bad = cc;
	bad.tpdu_dir = 0;
	assert_int_equal(hi2_encode_cc(&b, &h, &bad, &d), HI2_E_ARG);
	bad = cc;
	bad.dir = 5;
	assert_int_equal(hi2_encode_cc(&b, &h, &bad, &d), HI2_E_ARG);
	bad = cc;
	bad.corr.len = 0;
	assert_int_equal(hi2_encode_cc(&b, &h, &bad, &d), HI2_E_ARG);
	bad = cc;
	bad.ice_type = 7;
	assert_int_equal(hi2_encode_cc(&b, &h, &bad, &d), HI2_E_ARG);
	bad = cc;
	bad.pkt.len = 65536;
	assert_int_equal(hi2_encode_cc(&b, &h, &bad, &d), HI2_E_ARG);
}

/* Every output buffer one byte short of the PDU fails with HI2_E_SPACE; exact size works. */
static void
test_encoder_space(void **state)
{
	static uint8_t full[BUF], buf[BUF], pkt[300];
	struct hi2_pshdr h;
	struct hi2_eps_iri iri;
	struct hi2_cc cc;
	struct ovt_builder b;
	struct hi2_diag d;
	size_t n;

	fill_hdr(&h);
	fill_iri(&iri, HI2_EV_BEARER_MODIFICATION, HI2_BEARER_DEFAULT, -1);
	memset(&cc, 0, sizeof(cc));
	cc.corr = bytes(CORR, 8);
	cc.tpdu_dir = 1;
	cc.pkt = bytes(pkt, sizeof(pkt));
	for (int kind = 0; kind < 3; kind++) {
		bld_init_fixed(&b, full, sizeof(full));
		enum hi2_err e = kind == 0 ? hi2_encode_iri(&b, &h, &iri, &d) :
				 kind == 1 ? hi2_encode_cc(&b, &h, &cc, &d) :
					     hi2_encode_tri(&b, &h, HI2_TRI_KEEPALIVE, &d);
		assert_int_equal(e, HI2_OK);
		n = bld_len(&b);
		for (size_t cap = 0; cap < n; cap++) {
			bld_init_fixed(&b, buf, cap);
			e = kind == 0 ? hi2_encode_iri(&b, &h, &iri, &d) :
			    kind == 1 ? hi2_encode_cc(&b, &h, &cc, &d) :
					hi2_encode_tri(&b, &h, HI2_TRI_KEEPALIVE, &d);
			assert_int_equal(e, HI2_E_SPACE);
		}
		bld_init_fixed(&b, buf, n);
		e = kind == 0 ? hi2_encode_iri(&b, &h, &iri, &d) :
		    kind == 1 ? hi2_encode_cc(&b, &h, &cc, &d) :
				hi2_encode_tri(&b, &h, HI2_TRI_KEEPALIVE, &d);
		assert_int_equal(e, HI2_OK);
		assert_memory_equal(buf, full, n);
	}
}

/* Byte-level surgery on an encoded PDU for decoder error paths. */
static size_t
encode_iri(uint8_t *buf, size_t cap)
{
	struct hi2_pshdr h;
	struct hi2_eps_iri iri;
	struct ovt_builder b;
	struct hi2_diag d;
	fill_hdr(&h);
	fill_iri(&iri, HI2_EV_BEARER_ACTIVATION, HI2_BEARER_DEFAULT, -1);
	bld_init_fixed(&b, buf, cap);
	assert_int_equal(hi2_encode_iri(&b, &h, &iri, &d), HI2_OK);
	return bld_len(&b);
}

/* Offset of the element reached by following tags from the start of buf (each step searches
 * the components of the previous element); *hl and *cl get its header and contents sizes. */
static size_t
locate(const uint8_t *buf, size_t n, const uint32_t *path, size_t depth, size_t *hl, size_t *cl)
{
	struct ovt_cursor c;
	size_t off = 0;
	cur_init(&c, buf, n);
	for (size_t i = 0; i < depth; i++) {
		struct ber_tlv t;
		for (;;) {
			size_t before = n - off - cur_len(&c);
			assert_int_equal(ber_get_tlv(&c, &t), BER_OK);
			if (t.tag == path[i]) {
				off += before;
				break;
			}
		}
		*hl = t.hdrlen;
		*cl = cur_len(&t.val);
		if (i + 1 < depth) {
			off += t.hdrlen;
			c = t.val;
			n = off + cur_len(&c);
		}
	}
	return off;
}

static void
test_decoder_schema_errors(void **state)
{
	static uint8_t buf[4096];
	size_t n;
	struct hi2_pdu p;
	struct hi2_diag d;

	static const uint32_t p_seq[] = {BER_SEQUENCE, BER_CTX_CONS(1), BER_CTX(4)};
	static const uint32_t p_cin[] = {BER_SEQUENCE, BER_CTX_CONS(1), BER_CTX_CONS(3), BER_CTX(1)};
	static const uint32_t p_type[] = {BER_SEQUENCE, BER_CTX_CONS(2), BER_CTX_CONS(0),
					  BER_SEQUENCE, BER_CTX(0)};
	static const uint32_t p_eps[] = {BER_SEQUENCE, BER_CTX_CONS(2), BER_CTX_CONS(0),
					 BER_SEQUENCE, BER_CTX_CONS(2), BER_CTX_CONS(15)};
	size_t hl, cl, at;

	/* sequenceNumber [4] re-tagged [2]: after communicationIdentifier [3] = out of order. */
	n = encode_iri(buf, sizeof(buf));
	at = locate(buf, n, p_seq, 3, &hl, &cl);
	assert_int_equal(buf[at], 0x84);
	buf[at] = 0x82;
	assert_int_equal(hi2_decode(buf, n, &p, &d), HI2_E_ORDER);
	assert_string_equal(d.where, "PSHeader");
	/* ... and re-tagged [3]: a repeat is refused the same way. */
	buf[at] = 0x83;
	assert_int_equal(hi2_decode(buf, n, &p, &d), HI2_E_ORDER);
	/* ... and [6]: in order itself, but timeStamp [5] then follows it. */
	buf[at] = 0x86;
	assert_int_equal(hi2_decode(buf, n, &p, &d), HI2_E_ORDER);

	/* iRIType 9 is outside IRIType. */
	n = encode_iri(buf, sizeof(buf));
	at = locate(buf, n, p_type, 5, &hl, &cl);
	assert_int_equal(buf[at + 2], HI2_REC_BEGIN);
	buf[at + 2] = 9;
	assert_int_equal(hi2_decode(buf, n, &p, &d), HI2_E_VALUE);
	assert_string_equal(d.where, "IRIPayload.iRIType");

	/* CIN 0x80 alone is a negative INTEGER (8.3.3): refused. */
	n = encode_iri(buf, sizeof(buf));
	at = locate(buf, n, p_cin, 4, &hl, &cl);
	assert_int_equal(buf[at + 2], 42);
	buf[at + 2] = 0x80;
	assert_int_equal(hi2_decode(buf, n, &p, &d), HI2_E_BER);
	assert_int_equal(d.ber, BER_E_INT);
	assert_string_equal(d.where, "CommunicationIdentifier.communicationIdentityNumber");

	/* IRI contents of another domain ([19] threeGPP33128DefinedIRI) are not ours. */
	n = encode_iri(buf, sizeof(buf));
	at = locate(buf, n, p_eps, 6, &hl, &cl);
	buf[at] = 0xb3;
	assert_int_equal(hi2_decode(buf, n, &p, &d), HI2_E_UNSUPPORTED);

	/* Outer tag not SEQUENCE. */
	n = encode_iri(buf, sizeof(buf));
	buf[0] = 0x31;
	assert_int_equal(hi2_decode(buf, n, &p, &d), HI2_E_TAG);

	/* An empty iRIPayloadSequence delivers nothing and is refused. */
	static const uint8_t empty_seq_tail[] = {0xa2, 0x02, 0xa0, 0x00};
	uint8_t small[200];
	struct hi2_pshdr h;
	struct ovt_builder b;
	fill_hdr(&h);
	bld_init_fixed(&b, small, sizeof(small));
	assert_int_equal(hi2_encode_tri(&b, &h, HI2_TRI_KEEPALIVE, &d), HI2_OK);
	n = bld_len(&b);
	assert_int_equal(small[n - 6], 0xa2);
	memcpy(small + n - 6, empty_seq_tail, 4);	/* A2 04 A2 02 83 00 -> A2 02 A0 00 */
	assert_true(small[1] < 0x80);
	small[1] -= 2;
	n -= 2;
	assert_int_equal(hi2_decode(small, n, &p, &d), HI2_E_TAG);
	assert_string_equal(d.where, "PS-PDU.payload");
}

/* The epsIRIsContent [1] form of EPSIRI: EpsIRIContent inside, record from its tag. */
/* A second PartyInformation for a non-target party must not overwrite the target's ids. */
static void
test_decoder_other_party(void **state)
{
	static uint8_t x2[2048], buf[2200];
	struct hi2_eps_iri iri, back;
	struct ovt_builder b;
	struct hi2_diag d;
	static const uint32_t p_set[] = {BER_CTX_CONS(1), BER_CTX_CONS(9)};
	size_t hl, cl, at;

	fill_iri(&iri, HI2_EV_BEARER_ACTIVATION, HI2_BEARER_DEFAULT, -1);
	bld_init_fixed(&b, x2, sizeof(x2));
	assert_int_equal(hi2_iri_encode_x2(&b, &iri, &d), HI2_OK);
	size_t n = bld_len(&b);
	at = locate(x2, n, p_set, 2, &hl, &cl);
	/* Insert, after the target's PartyInformation, a terminating-Party(1) with another IMSI:
	 * 30 0c 80 01 01 a1 07 83 05 21 43 65 87 f9. */
	static const uint8_t other[] = {0x30, 0x0c, 0x80, 0x01, 0x01, 0xa1, 0x07, 0x83, 0x05,
					0x21, 0x43, 0x65, 0x87, 0xf9};
	size_t end = at + hl + cl;
	assert_true(x2[1] == 0x81 && x2[at + 1] < 0x80 - sizeof(other));
	memcpy(buf, x2, end);
	memcpy(buf + end, other, sizeof(other));
	memcpy(buf + end + sizeof(other), x2 + end, n - end);
	buf[2] += sizeof(other);		/* EpsIRIContent length (81 xx) */
	buf[at + 1] += sizeof(other);		/* partyInformation length */
	assert_int_equal(hi2_iri_decode_x2(buf, n + sizeof(other), &back, &d), HI2_OK);
	assert_string_equal(back.imsi, "001010123456789");
	assert_int_equal(back.unknown, 1);
	assert_iri_equal(&iri, &back);
}

static void
test_decoder_epsiris_form(void **state)
{
	static uint8_t x2[2048], buf[4096];
	struct hi2_pshdr h;
	struct hi2_eps_iri iri;
	struct ovt_builder b;
	struct ber_mark pdu, pl, sq, ip, ic, eps, wrap;
	struct hi2_diag d;
	struct hi2_pdu p;
	struct hi2_iri_item it;

	fill_hdr(&h);
	fill_iri(&iri, HI2_EV_BEARER_MODIFICATION, HI2_BEARER_DEFAULT, -1);
	bld_init_fixed(&b, x2, sizeof(x2));
	assert_int_equal(hi2_iri_encode_x2(&b, &iri, &d), HI2_OK);
	size_t x2len = bld_len(&b);

	/* Build the PS-PDU by hand: the pSHeader of a TRI PDU, then the epsIRIsContent payload. */
	static const uint32_t p_hdr[] = {BER_SEQUENCE, BER_CTX_CONS(1)};
	static const uint32_t p_wrap[] = {BER_SEQUENCE, BER_CTX_CONS(2), BER_CTX_CONS(0),
					  BER_SEQUENCE, BER_CTX_CONS(2), BER_CTX_CONS(15),
					  BER_CTX_CONS(1)};
	static uint8_t hdrcopy[256];
	size_t hl, cl, at;
	bld_init_fixed(&b, buf, sizeof(buf));
	assert_int_equal(hi2_encode_tri(&b, &h, HI2_TRI_KEEPALIVE, &d), HI2_OK);
	at = locate(buf, bld_len(&b), p_hdr, 2, &hl, &cl);
	memcpy(hdrcopy, buf + at, hl + cl);

	bld_init_fixed(&b, buf, sizeof(buf));
	ber_open(&b, BER_SEQUENCE, 0, &pdu);
	bld_add_bytes(&b, hdrcopy, hl + cl);
	ber_open(&b, BER_CTX_CONS(2), 0, &pl);
	ber_open(&b, BER_CTX_CONS(0), 0, &sq);
	ber_open(&b, BER_SEQUENCE, 0, &ip);
	ber_open(&b, BER_CTX_CONS(2), 0, &ic);
	ber_open(&b, BER_CTX_CONS(15), 0, &eps);
	ber_open(&b, BER_CTX_CONS(1), 0, &wrap);	/* epsIRIsContent */
	bld_add_bytes(&b, x2, x2len);			/* epsiRIContent: EpsIRIContent */
	ber_close(&b, &wrap);
	ber_close(&b, &eps);
	ber_close(&b, &ic);
	ber_close(&b, &ip);
	ber_close(&b, &sq);
	ber_close(&b, &pl);
	ber_close(&b, &pdu);
	assert_true(bld_ok(&b));
	assert_int_equal(hi2_decode(buf, bld_len(&b), &p, &d), HI2_OK);
	assert_int_equal(hi2_next_iri(&p, &it), 1);
	assert_false(it.has_type);
	assert_int_equal(it.epsiris_form, 1);
	assert_int_equal(it.eps.record, HI2_REC_CONTINUE);
	assert_iri_equal(&iri, &it.eps);

	/* epsIRISequence (aggregation) is refused as unsupported, not misread. */
	at = locate(buf, bld_len(&b), p_wrap, 7, &hl, &cl);
	assert_int_equal(buf[at + hl], 0xa3);
	buf[at + hl] = 0x30;			/* EpsIRIContent tag -> SEQUENCE OF */
	assert_int_equal(hi2_decode(buf, bld_len(&b), &p, &d), HI2_E_UNSUPPORTED);
}

static void
test_splitter(void **state)
{
	static uint8_t stream[8192], pkt[100];
	struct hi2_pshdr h;
	struct hi2_eps_iri iri;
	struct hi2_cc cc;
	struct ovt_builder b;
	struct hi2_diag d;
	struct hi2_pdu p;
	size_t len, off = 0, lens[3];

	fill_hdr(&h);
	fill_iri(&iri, HI2_EV_BEARER_ACTIVATION, HI2_BEARER_DEFAULT, -1);
	memset(&cc, 0, sizeof(cc));
	cc.corr = bytes(CORR, 8);
	cc.tpdu_dir = 1;
	cc.pkt = bytes(pkt, sizeof(pkt));
	bld_init_fixed(&b, stream, sizeof(stream));
	assert_int_equal(hi2_encode_iri(&b, &h, &iri, &d), HI2_OK);
	lens[0] = bld_len(&b);
	h.seq++;
	assert_int_equal(hi2_encode_cc(&b, &h, &cc, &d), HI2_OK);
	lens[1] = bld_len(&b) - lens[0];
	h.seq++;
	assert_int_equal(hi2_encode_tri(&b, &h, HI2_TRI_KEEPALIVE, &d), HI2_OK);
	lens[2] = bld_len(&b) - lens[0] - lens[1];
	size_t total = bld_len(&b);

	/* Break the CC PDU inside (the first tag of its ULIC header: 0x80 -> 0x1f, a high-tag
	 * form for number 8), keeping its outer length sane. */
	static const uint32_t p_ulic[] = {BER_SEQUENCE, BER_CTX_CONS(2), BER_CTX_CONS(1),
					  BER_SEQUENCE, BER_CTX_CONS(2), BER_CTX_CONS(17),
					  BER_CTX_CONS(1)};
	size_t hl, cl, at = lens[0] + locate(stream + lens[0], lens[1], p_ulic, 7, &hl, &cl);
	assert_int_equal(stream[at + hl], 0x80);
	stream[at + hl] = 0x1f;

	/* Fed one byte at a time, the splitter waits, then yields each PDU exactly. */
	int ok = 0, bad = 0;
	size_t have = 0;
	while (off < total) {
		enum hi2_err e = hi2_split(stream + off, have - off, HI2_MAX_PDU, &len, &d);
		if (e == HI2_E_NEED_MORE) {
			assert_true(have < total);
			have++;
			continue;
		}
		assert_int_equal(e, HI2_OK);
		assert_int_equal(have - off, len);	/* noticed as soon as complete */
		if (hi2_decode(stream + off, len, &p, &d) == HI2_OK)
			ok++;
		else
			bad++;
		off += len;
	}
	assert_int_equal(ok, 2);	/* the IRI before and the TRI after survive */
	assert_int_equal(bad, 1);

	/* An unusable outer header cannot be skipped: framing error. */
	static const uint8_t notseq[] = {0x04, 0x01, 0x00};
	static const uint8_t indef[] = {0x30, 0x80, 0x05, 0x00, 0x00, 0x00};
	static const uint8_t huge[] = {0x30, 0x84, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t five[] = {0x30, 0x85, 0, 0, 0, 0, 1};
	assert_int_equal(hi2_split(notseq, 3, HI2_MAX_PDU, &len, &d), HI2_E_FRAMING);
	assert_int_equal(hi2_split(indef, 6, HI2_MAX_PDU, &len, &d), HI2_E_FRAMING);
	assert_int_equal(d.ber, BER_E_INDEFINITE);
	assert_int_equal(hi2_split(huge, 6, HI2_MAX_PDU, &len, &d), HI2_E_TOO_BIG);
	assert_int_equal(hi2_split(five, 7, HI2_MAX_PDU, &len, &d), HI2_E_FRAMING);
	assert_int_equal(hi2_split(huge, 0, HI2_MAX_PDU, &len, &d), HI2_E_NEED_MORE);
	assert_int_equal(hi2_split(stream, 10, 100, &len, &d), HI2_E_TOO_BIG);
}

/* BER bombs wrapped in a PS-PDU: refused by ber_validate before the schema runs. */
static void
test_pspdu_bombs(void **state)
{
	uint8_t *buf = malloc(1 << 20);
	struct hi2_pdu p;
	struct hi2_diag d;
	size_t n = 0;

	assert_non_null(buf);
	/* 0x30 0x84 ffffffff: 4 GiB announced, 6 bytes present. */
	static const uint8_t huge[] = {0x30, 0x84, 0xff, 0xff, 0xff, 0xff};
	assert_int_equal(hi2_decode(huge, sizeof(huge), &p, &d), HI2_E_BER);
	assert_int_equal(d.ber, BER_E_TRUNCATED);

	/* 50 000 nested [2] constructed elements. */
	unsigned depth = 50000;
	size_t len = 0, pos = 1 << 20;
	for (unsigned i = 0; i < depth; i++) {
		size_t ll = ber_len_size(len);
		uint8_t h[6];
		size_t hl = 0;
		h[hl++] = 0xa2;
		if (ll == 1)
			h[hl++] = (uint8_t)len;
		else {
			h[hl++] = (uint8_t)(0x80 | (ll - 1));
			for (size_t k = ll - 1; k >= 1; k--)
				h[hl++] = (uint8_t)(len >> (8 * (k - 1)));
		}
		pos -= hl;
		memcpy(buf + pos, h, hl);
		len += hl;
	}
	buf[0] = 0x30;
	buf[1] = 0x83;
	buf[2] = (uint8_t)(len >> 16);
	buf[3] = (uint8_t)(len >> 8);
	buf[4] = (uint8_t)len;
	memmove(buf + 5, buf + pos, len);
	n = 5 + len;
	assert_int_equal(hi2_decode(buf, n, &p, &d), HI2_E_BER);
	assert_int_equal(d.ber, BER_E_TOO_DEEP);

	/* 100 000 tiny elements in one SEQUENCE. */
	size_t cnt = 100000;
	buf[0] = 0x30;
	buf[1] = 0x83;
	buf[2] = (uint8_t)((2 * cnt) >> 16);
	buf[3] = (uint8_t)((2 * cnt) >> 8);
	buf[4] = (uint8_t)(2 * cnt);
	for (size_t i = 0; i < cnt; i++) {
		buf[5 + 2 * i] = 0x80;
		buf[6 + 2 * i] = 0x00;
	}
	assert_int_equal(hi2_decode(buf, 5 + 2 * cnt, &p, &d), HI2_E_BER);
	assert_int_equal(d.ber, BER_E_TOO_MANY);
	free(buf);
}

/* ---- an independent reference for the size-first CC and TRI writers -------------------------
 * Built only from ber_open()/ber_close() with hint 0 (every length computed after its contents
 * are written, so nothing is sized in advance) and the generic ber_put_*(); the OIDs spelled
 * out here from their arcs.  The fast writers must produce the same bytes for every input. */
static const uint8_t REF_OID_LI_PS[] = {0x04, 0x00, 0x02, 0x02, 0x05, 0x01, 0x2b};
static const uint8_t REF_OID_HI3[] = {0x04, 0x00, 0x02, 0x02, 0x04, 0x09, 0x10, 0x00};

static void
ref_pshdr(struct ovt_builder *b, const struct hi2_pshdr *h)
{
	struct ber_mark hm, cm, nm, um;

	ber_open(b, BER_CTX_CONS(1), 0, &hm);
	ber_put_octets(b, BER_CTX(0), REF_OID_LI_PS, sizeof(REF_OID_LI_PS));
	ber_put_octets(b, BER_CTX(1), h->liid.p, h->liid.len);
	if (h->auth_cc[0])
		ber_put_octets(b, BER_CTX(2), h->auth_cc, 2);
	ber_open(b, BER_CTX_CONS(3), 0, &cm);
	ber_open(b, BER_CTX_CONS(0), 0, &nm);
	ber_put_octets(b, BER_CTX(0), h->operator_id.p, h->operator_id.len);
	if (h->ne_id.len)
		ber_put_octets(b, BER_CTX(1), h->ne_id.p, h->ne_id.len);
	ber_close(b, &nm);
	ber_put_uint(b, BER_CTX(1), h->cin);
	if (h->delivery_cc[0])
		ber_put_octets(b, BER_CTX(2), h->delivery_cc, 2);
	ber_close(b, &cm);
	ber_put_uint(b, BER_CTX(4), h->seq);
	ber_put_gentime(b, BER_CTX(5), h->ts_sec, h->ts_usec, 3);
	ber_open(b, BER_CTX_CONS(7), 0, &um);
	ber_put_uint(b, BER_CTX(0), (uint64_t)h->ts_sec);
	ber_put_uint(b, BER_CTX(1), h->ts_usec);
	ber_close(b, &um);
	if (h->has_tsq)
		ber_put_uint(b, BER_CTX(8), h->tsq);
	ber_close(b, &hm);
}

static void
ref_cc(struct ovt_builder *b, const struct hi2_pshdr *h, const struct hi2_cc *cc)
{
	struct ber_mark m[8], ts;

	ber_open(b, BER_SEQUENCE, 0, &m[0]);
	ref_pshdr(b, h);
	ber_open(b, BER_CTX_CONS(2), 0, &m[1]);
	ber_open(b, BER_CTX_CONS(1), 0, &m[2]);
	ber_open(b, BER_SEQUENCE, 0, &m[3]);
	ber_put_uint(b, BER_CTX(0), cc->dir);
	ber_open(b, BER_CTX_CONS(2), 0, &m[4]);
	ber_open(b, BER_CTX_CONS(17), 0, &m[5]);
	ber_open(b, BER_CTX_CONS(1), 0, &m[6]);
	ber_put_octets(b, BER_CTX(0), REF_OID_HI3, sizeof(REF_OID_HI3));
	ber_put_octets(b, BER_CTX(2), h->liid.p, h->liid.len);
	ber_put_octets(b, BER_CTX(3), cc->corr.p, cc->corr.len);
	ber_open(b, BER_CTX_CONS(4), 0, &ts);
	ber_put_utctime(b, BER_CTX(1), h->ts_sec);
	ber_close(b, &ts);
	ber_put_uint(b, BER_CTX(5), cc->ulic_seq);
	ber_put_uint(b, BER_CTX(6), cc->tpdu_dir);
	if (cc->ice_type)
		ber_put_uint(b, BER_CTX(8), cc->ice_type);
	ber_close(b, &m[6]);
	ber_put_octets(b, BER_CTX(2), cc->pkt.p, cc->pkt.len);
	for (int i = 5; i >= 0; i--)
		ber_close(b, &m[i]);
}

static void
ref_tri(struct ovt_builder *b, const struct hi2_pshdr *h, enum hi2_tri kind)
{
	struct ber_mark m[3];

	ber_open(b, BER_SEQUENCE, 0, &m[0]);
	ref_pshdr(b, h);
	ber_open(b, BER_CTX_CONS(2), 0, &m[1]);
	ber_open(b, BER_CTX_CONS(2), 0, &m[2]);
	ber_put_null(b, BER_CTX(kind));
	ber_close(b, &m[2]);
	ber_close(b, &m[1]);
	ber_close(b, &m[0]);
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15u;

static uint64_t
rnd(void)
{
	rnd_state ^= rnd_state << 13;	/* xorshift64: reproducible, no libc state */
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* A value around one of the boundaries where an encoding changes size. */
static uint64_t
rnd_edge(uint64_t max)
{
	static const uint64_t edges[] = {0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
					 0x10000, 0x7fffff, 0x800000, 0xffffff, 0x1000000,
					 0x7fffffff, 0x80000000u, 0xffffffffu};
	uint64_t v = rnd() % 3 == 0 ? rnd() : edges[rnd() % (sizeof(edges) / sizeof(edges[0]))] +
					      rnd() % 3 - 1;
	return v > max ? max : v;
}

/* Size-first writers (CC, TRI, the PSHeader of all three) against the reference above: random
 * headers and packets, with every length and integer near a size boundary often. */
static void
test_size_first_matches_reference(void **state)
{
	static uint8_t fast[BUF], ref[BUF], pkt[65535], text[64];
	struct hi2_pshdr h;
	struct hi2_cc cc;
	struct hi2_stream st;
	struct ovt_builder bf, br;
	struct hi2_diag d;

	(void)state;
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)rnd();
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (uint8_t)('A' + rnd() % 26);
	for (int iter = 0; iter < 5000; iter++) {
		memset(&h, 0, sizeof(h));
		h.liid = bytes(text, 1 + rnd() % HI2_LIID_MAX);
		if (rnd() % 2)
			memcpy(h.auth_cc, "FR", 3);
		h.operator_id = bytes(text + 3, 1 + rnd() % HI2_OPERATOR_ID_MAX);
		h.ne_id = bytes(text + 7, rnd() % (HI2_NE_ID_MAX + 1));
		h.cin = (uint32_t)rnd_edge(0xffffffffu);
		if (rnd() % 2)
			memcpy(h.delivery_cc, "DE", 3);
		h.seq = (uint32_t)rnd_edge(0xffffffffu);
		h.ts_sec = (int64_t)(rnd() % 2524608000u);
		h.ts_usec = (uint32_t)(rnd() % 1000000);
		h.has_tsq = (uint8_t)(rnd() % 2);
		h.tsq = (uint8_t)(rnd() % 4);
		memset(&cc, 0, sizeof(cc));
		cc.dir = (uint8_t)(rnd() % 5);
		cc.corr = bytes(text + 11, HI2_CORR_MIN + rnd() % (HI2_CORR_MAX - HI2_CORR_MIN + 1));
		cc.ulic_seq = (uint16_t)rnd_edge(0xffff);
		cc.tpdu_dir = (uint8_t)(1 + rnd() % 3);
		cc.ice_type = (uint8_t)(rnd() % 7);
		cc.pkt = bytes(pkt, (size_t)rnd_edge(sizeof(pkt)));

		bld_init_fixed(&br, ref, sizeof(ref));
		ref_cc(&br, &h, &cc);
		assert_true(bld_ok(&br));
		bld_init_fixed(&bf, fast, sizeof(fast));
		assert_int_equal(hi2_encode_cc(&bf, &h, &cc, &d), HI2_OK);
		assert_int_equal(bld_len(&bf), bld_len(&br));
		assert_memory_equal(fast, ref, bld_len(&br));
		/* The stream path, too, and an exactly-sized buffer is enough. */
		assert_int_equal(hi2_stream_init(&st, &h, &d), HI2_OK);
		bld_init_fixed(&bf, fast, bld_len(&br));
		assert_int_equal(hi2_stream_cc(&st, &bf, h.ts_sec, h.ts_usec, &cc, &d), HI2_OK);
		assert_memory_equal(fast, ref, bld_len(&br));
		/* One octet short (same sequence number again): refused as HI2_E_SPACE, the
		 * number not consumed. */
		st.hdr.seq = h.seq;
		bld_init_fixed(&bf, fast, bld_len(&br) - 1);
		assert_int_equal(hi2_stream_cc(&st, &bf, h.ts_sec, h.ts_usec, &cc, &d),
				 HI2_E_SPACE);
		assert_int_equal(st.hdr.seq, h.seq);

		enum hi2_tri kind = rnd() % 2 ? HI2_TRI_KEEPALIVE : HI2_TRI_KEEPALIVE_RESPONSE;
		bld_init_fixed(&br, ref, sizeof(ref));
		ref_tri(&br, &h, kind);
		assert_true(bld_ok(&br));
		bld_init_fixed(&bf, fast, sizeof(fast));
		assert_int_equal(hi2_encode_tri(&bf, &h, kind, &d), HI2_OK);
		assert_int_equal(bld_len(&bf), bld_len(&br));
		assert_memory_equal(fast, ref, bld_len(&br));
	}
}

/* The per-stream fast path produces exactly the stateless encoders' bytes, numbers the PDUs,
 * survives second changes and the 2^32 wrap, and consumes no number on error. */
static void
test_stream(void **state)
{
	static uint8_t a[BUF], s_out[BUF], pkt[1400];
	static const int64_t times[] = {1736936430, 1736936430, 1736936431, 1736936430, 0,
					2524607999};
	struct hi2_pshdr h;
	struct hi2_stream st;
	struct hi2_eps_iri iri;
	struct hi2_cc cc;
	struct ovt_builder ba, bs;
	struct hi2_diag d;

	fill_hdr(&h);
	h.seq = 0xfffffffeu;
	assert_int_equal(hi2_stream_init(&st, &h, &d), HI2_OK);
	h.liid = bytes((const uint8_t *)"changed!!", 9);	/* the stream holds its own copy */
	fill_hdr(&h);
	fill_iri(&iri, HI2_EV_BEARER_MODIFICATION, HI2_BEARER_DEFAULT, -1);
	memset(&cc, 0, sizeof(cc));
	cc.corr = bytes(CORR, sizeof(CORR));
	cc.tpdu_dir = 1;
	cc.pkt = bytes(pkt, sizeof(pkt));
	uint32_t seq = 0xfffffffeu;
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		for (int kind = 0; kind < 3; kind++) {
			h.seq = seq;
			h.ts_sec = times[i];
			h.ts_usec = (uint32_t)(i * 111111);
			cc.pkt.len = 100 * i;
			bld_init_fixed(&ba, a, sizeof(a));
			bld_init_fixed(&bs, s_out, sizeof(s_out));
			enum hi2_err ea, es;
			if (kind == 0) {
				ea = hi2_encode_cc(&ba, &h, &cc, &d);
				es = hi2_stream_cc(&st, &bs, h.ts_sec, h.ts_usec, &cc, &d);
			} else if (kind == 1) {
				ea = hi2_encode_iri(&ba, &h, &iri, &d);
				es = hi2_stream_iri(&st, &bs, h.ts_sec, h.ts_usec, &iri, &d);
			} else {
				ea = hi2_encode_tri(&ba, &h, HI2_TRI_KEEPALIVE, &d);
				es = hi2_stream_tri(&st, &bs, h.ts_sec, h.ts_usec,
						    HI2_TRI_KEEPALIVE, &d);
			}
			assert_int_equal(ea, HI2_OK);
			assert_int_equal(es, HI2_OK);
			assert_int_equal(bld_len(&ba), bld_len(&bs));
			assert_memory_equal(a, s_out, bld_len(&ba));
			seq++;
			assert_int_equal(st.hdr.seq, seq);
		}
	}
	assert_true(seq < 100);	/* wrapped through 0xffffffff to 0 */

	/* Errors consume no sequence number. */
	uint32_t before = st.hdr.seq;
	bld_init_fixed(&bs, s_out, 10);
	assert_int_equal(hi2_stream_cc(&st, &bs, times[0], 0, &cc, &d), HI2_E_SPACE);
	bld_init_fixed(&bs, s_out, sizeof(s_out));
	assert_int_equal(hi2_stream_cc(&st, &bs, -5, 0, &cc, &d), HI2_E_ARG);
	assert_int_equal(hi2_stream_cc(&st, &bs, 2524608000, 0, &cc, &d), HI2_E_ARG);
	assert_int_equal(hi2_stream_tri(&st, &bs, times[0], 0, (enum hi2_tri)9, &d), HI2_E_ARG);
	iri.event = 3;
	assert_int_equal(hi2_stream_iri(&st, &bs, times[0], 0, &iri, &d), HI2_E_ARG);
	assert_int_equal(bld_len(&bs), 0);
	assert_int_equal(st.hdr.seq, before);

	/* A bad header is refused at init, naming the field. */
	h.operator_id = bytes(PAA, 0);
	assert_int_equal(hi2_stream_init(&st, &h, &d), HI2_E_ARG);
	assert_string_equal(d.where, "NetworkIdentifier.operatorIdentifier");

	/* The largest prefix fits HI2_PREFIX_MAX. */
	static const uint8_t big[25] = "0123456789012345678901234";
	fill_hdr(&h);
	h.liid = bytes(big, 25);
	h.operator_id = bytes(big, 16);
	h.ne_id = bytes(big, 16);
	h.cin = 0xffffffffu;
	assert_int_equal(hi2_stream_init(&st, &h, &d), HI2_OK);
	assert_true(st.prefix_len <= HI2_PREFIX_MAX);
	assert_int_equal(st.prefix_len, 91);
}

static void
test_strerror(void **state)
{
	char msg[128];
	struct hi2_diag d = {BER_E_INDEFINITE, "PSHeader"};
	for (int i = 0; i < HI2_E__COUNT; i++)
		assert_string_not_equal(hi2_strerror((enum hi2_err)i), "unknown HI2 error");
	assert_string_equal(hi2_strerror(HI2_E__COUNT), "unknown HI2 error");
	hi2_diag_format(HI2_E_BER, &d, msg, sizeof(msg));
	assert_non_null(strstr(msg, "PSHeader: malformed BER: indefinite"));
	hi2_diag_format(HI2_E_TAG, NULL, msg, 10);	/* truncates, stays terminated */
	assert_int_equal(strlen(msg), 9);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_iri),
		cmocka_unit_test(test_vector_cc_tri_stream),
		cmocka_unit_test(test_vector_bad),
		cmocka_unit_test(test_vector_truncations_mutations),
		cmocka_unit_test(test_record_mapping),
		cmocka_unit_test(test_x2_to_pspdu),
		cmocka_unit_test(test_cc_roundtrip_sizes),
		cmocka_unit_test(test_tri),
		cmocka_unit_test(test_encoder_args),
		cmocka_unit_test(test_encoder_space),
		cmocka_unit_test(test_decoder_schema_errors),
		cmocka_unit_test(test_decoder_other_party),
		cmocka_unit_test(test_decoder_epsiris_form),
		cmocka_unit_test(test_splitter),
		cmocka_unit_test(test_pspdu_bombs),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_size_first_matches_reference),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
