/*
 * MDF mediation of single PDUs (src/mdf/mdf_encode.c, mdf_hash.c): SipHash against the
 * paper's vectors and OpenSSL's implementation; CIN and fingerprint derivations; direction
 * mapping; X3 packet extraction for formats 5/6/12 and every refusal; X2 -> IRI PS-PDU and
 * X3 -> CC PS-PDU, decoded back with the LEMF-side decoder field by field.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "mdf/mdf_encode.h"
#include "mdf/mdf_hash.h"
#include "test_mdf_util.h"

static const uint8_t xid[16] = {0x29, 0xf2, 0x8e, 0x1c, 0xf2, 0x30, 0x48, 0x6a, 0xa8, 0x60,
    0xf5, 0xa7, 0x84, 0xab, 0x91, 0x72};
static const uint8_t key[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static uint64_t
openssl_siphash(const uint8_t k[16], const uint8_t *m, size_t n)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	size_t outlen = 8, got = 0;
	uint8_t out[8];
	OSSL_PARAM p[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &outlen),
	    OSSL_PARAM_END};
	assert_non_null(ctx);
	assert_int_equal(EVP_MAC_init(ctx, k, 16, p), 1);
	assert_int_equal(EVP_MAC_update(ctx, m, n), 1);
	assert_int_equal(EVP_MAC_final(ctx, out, &got, sizeof(out)), 1);
	assert_int_equal(got, 8);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)	/* SipHash output is a little-endian word */
		v = (v << 8) | out[i];
	return v;
}

static void
test_siphash(void **state)
{
	uint8_t m[64];
	for (int i = 0; i < 64; i++)
		m[i] = (uint8_t)i;
	/* SipHash paper, appendix A: key 00..0f, messages 00, 00 01, ... */
	assert_true(mdf_siphash(key, m, 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(mdf_siphash(key, m, 15) == 0xa129ca6149be45e5ULL);
	/* Every length against an independent implementation (OpenSSL's EVP_MAC). */
	for (size_t n = 0; n <= 64; n++)
		assert_true(mdf_siphash(key, m, n) == openssl_siphash(key, m, n));
	uint8_t k2[16];
	memset(k2, 0xa5, sizeof(k2));
	for (size_t n = 0; n <= 64; n += 7)
		assert_true(mdf_siphash(k2, m, n) == openssl_siphash(k2, m, n));
}

static void
test_cin_fingerprint(void **state)
{
	uint8_t k2[16];
	struct x2x3_pdu a, b;
	uint8_t pl[4] = {1, 2, 3, 4};

	memset(k2, 0x5a, sizeof(k2));
	/* Stable for one key, different under another, and spread over 32 bits. */
	assert_int_equal(mdf_cin(key, 42), mdf_cin(key, 42));
	assert_int_not_equal(mdf_cin(key, 42), mdf_cin(key, 43));
	assert_int_not_equal(mdf_cin(key, 42), mdf_cin(k2, 42));
	int hi = 0;
	for (uint64_t c = 0; c < 64; c++)
		hi |= (mdf_cin(key, c) & 0x80000000u) != 0;
	assert_true(hi);

	tm_pdu(&a, X2X3_TYPE_X3, X2X3_FMT_IPV4, xid, 7, 100, 1700000000, 5, pl, sizeof(pl));
	b = a;
	uint64_t fa = mdf_fingerprint(key, 1, &a);
	assert_true(fa != 0);
	/* The identity is XID, type, sequence number and timestamp (and the POI): the payload
	 * and other attributes do not change it. */
	b.correlation_id = 8;
	cur_init(&b.payload, pl, 2);
	assert_true(mdf_fingerprint(key, 1, &b) == fa);
	b = a; b.seq = 101;
	assert_true(mdf_fingerprint(key, 1, &b) != fa);
	b = a; b.ts_nsec = 6;
	assert_true(mdf_fingerprint(key, 1, &b) != fa);
	b = a; b.xid[15] ^= 1;
	assert_true(mdf_fingerprint(key, 1, &b) != fa);
	b = a; b.type = X2X3_TYPE_X2;
	assert_true(mdf_fingerprint(key, 1, &b) != fa);
	assert_true(mdf_fingerprint(key, 2, &a) != fa);
	assert_true(mdf_fingerprint(k2, 1, &a) != fa);
	/* No Sequence Number attribute: no identity. */
	b = a; b.present &= ~X2X3_HAS(X2X3_ATTR_SEQ);
	assert_true(mdf_fingerprint(key, 1, &b) == 0);
	/* No timestamp: still an identity (XID + seq), different from with one. */
	b = a; b.present &= ~X2X3_HAS(X2X3_ATTR_TIMESTAMP);
	assert_true(mdf_fingerprint(key, 1, &b) != 0 && mdf_fingerprint(key, 1, &b) != fa);

	/* The input layout is part of the on-disk format (fingerprints in spool records are
	 * compared with resends after a restart): the documented concatenation, by hand. */
	uint8_t in[43] = {'O', 'V', 'F', 'P', 0, 0, 0, 0, 0, 0, 0, 1, 0, X2X3_TYPE_X3};
	memcpy(in + 14, xid, 16);
	in[30] = 0, in[31] = 0, in[32] = 0, in[33] = 100;
	in[34] = 1;
	in[35] = 1700000000u >> 24, in[36] = (1700000000u >> 16) & 0xff;
	in[37] = (1700000000u >> 8) & 0xff, in[38] = 1700000000u & 0xff;
	in[39] = 0, in[40] = 0, in[41] = 0, in[42] = 5;
	uint64_t ref = mdf_siphash(key, in, sizeof(in));
	assert_true(fa == (ref != 0 ? ref : 1));

	/* The cached variant equals the plain one, whatever changes between calls. */
	struct mdf_fp_cache cache;
	memset(&cache, 0, sizeof(cache));
	for (int i = 0; i < 200; i++) {
		b = a;
		b.seq = (uint32_t)(i * 7919);
		b.ts_sec = 1700000000u + (uint32_t)i;
		b.ts_nsec = (uint32_t)i * 1000;
		if (i % 13 == 0)
			b.xid[i % 16] ^= (uint8_t)i;
		if (i % 17 == 0)
			b.type = X2X3_TYPE_X2;
		if (i % 19 == 0)
			b.present &= ~X2X3_HAS(X2X3_ATTR_TIMESTAMP);
		if (i % 23 == 0)
			b.present &= ~X2X3_HAS(X2X3_ATTR_SEQ);
		uint64_t poi = i % 11 == 0 ? 2 : 1;
		assert_true(mdf_fingerprint_cached(key, poi, &b, &cache) ==
		    mdf_fingerprint(key, poi, &b));
	}
	/* The split SipHash equals the whole one at every length and split. */
	uint8_t m[64];
	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(i * 37 + 1);
	for (size_t n = 0; n <= sizeof(m); n++)
		for (size_t blocks = 0; blocks * 8 <= n; blocks++) {
			struct mdf_siphash_state st;
			mdf_siphash_start(&st, key, m, blocks);
			assert_true(mdf_siphash_finish(&st, m + 8 * blocks, n - 8 * blocks, n) ==
			    mdf_siphash(key, m, n));
		}
}

static void
test_dirs(void **state)
{
	static const struct { uint16_t in; uint8_t cc, tpdu; } t[] = {
		{X2X3_DIR_FROM_TARGET, 0, 1}, {X2X3_DIR_TO_TARGET, 1, 2}, {X2X3_DIR_UNKNOWN, 2, 3},
		{X2X3_DIR_MULTIPLE, 3, 3}, {X2X3_DIR_NA, 4, 3},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t cc = 99, tp = 99;
		mdf_cc_dirs(t[i].in, &cc, &tp);
		assert_int_equal(cc, t[i].cc);
		assert_int_equal(tp, t[i].tpdu);
	}
	for (int i = 0; i < MDF_DROP_COUNT; i++) {
		assert_non_null(mdf_drop_name((enum mdf_drop)i));
		assert_string_not_equal(mdf_drop_strerror((enum mdf_drop)i), "unknown drop reason");
	}
	assert_string_equal(mdf_drop_name(MDF_DROP_COUNT), "?");
}

static void
test_x3_packet(void **state)
{
	uint8_t ip[32], g[128], ip6[48];
	struct ovt_builder b;
	struct x2x3_pdu pdu;
	struct ovt_cursor out;

	tm_ipv4(ip, 7);
	bld_init_fixed(&b, g, sizeof(g));
	tb_gpdu(&b, 0x1234, ip, sizeof(ip));
	size_t glen = bld_len(&b);

	tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_GTPU, xid, 1, 0, 1, 0, g, glen);
	assert_int_equal(mdf_x3_packet(&pdu, &out), MDF_DROP_NONE);
	assert_int_equal(cur_len(&out), sizeof(ip));
	assert_memory_equal(cur_data(&out), ip, sizeof(ip));
	/* Format 12 with trailing octets, truncated, not a G-PDU, empty T-PDU. */
	g[glen] = 0;
	tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_GTPU, xid, 1, 0, 1, 0, g, glen + 1);
	assert_int_equal(mdf_x3_packet(&pdu, &out), MDF_DROP_GTPU);
	for (size_t n = 0; n < glen; n++) {
		tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_GTPU, xid, 1, 0, 1, 0, g, n);
		assert_int_equal(mdf_x3_packet(&pdu, &out), MDF_DROP_GTPU);
	}
	uint8_t echo[] = {0x32, 1, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0};	/* echo request */
	tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_GTPU, xid, 1, 0, 1, 0, echo, sizeof(echo));
	assert_int_equal(mdf_x3_packet(&pdu, &out), MDF_DROP_GTPU);
	bld_init_fixed(&b, g, sizeof(g));
	tb_gpdu(&b, 1, NULL, 0);
	tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_GTPU, xid, 1, 0, 1, 0, g, bld_len(&b));
	assert_int_equal(mdf_x3_packet(&pdu, &out), MDF_DROP_GTPU);

	/* Formats 5 and 6: the payload as it is, if its version nibble agrees. */
	tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_IPV4, xid, 1, 0, 1, 0, ip, sizeof(ip));
	assert_int_equal(mdf_x3_packet(&pdu, &out), MDF_DROP_NONE);
	assert_int_equal(cur_len(&out), sizeof(ip));
	tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_IPV6, xid, 1, 0, 1, 0, ip, sizeof(ip));
	assert_int_equal(mdf_x3_packet(&pdu, &out), MDF_DROP_IP);
	memset(ip6, 0, sizeof(ip6));
	ip6[0] = 0x60;
	tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_IPV6, xid, 1, 0, 1, 0, ip6, sizeof(ip6));
	assert_int_equal(mdf_x3_packet(&pdu, &out), MDF_DROP_NONE);
	tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_IPV4, xid, 1, 0, 1, 0, ip, 0);
	assert_int_equal(mdf_x3_packet(&pdu, &out), MDF_DROP_IP);
	/* Every other format is not mediated. */
	for (uint16_t f = 0; f <= 20; f++) {
		if (f == X2X3_FMT_GTPU || f == X2X3_FMT_IPV4 || f == X2X3_FMT_IPV6)
			continue;
		tm_pdu(&pdu, X2X3_TYPE_X3, f, xid, 1, 0, 1, 0, ip, sizeof(ip));
		assert_int_equal(mdf_x3_packet(&pdu, &out), MDF_DROP_FORMAT);
	}
}

static void
stream_init(struct hi2_stream *s, const char *liid, uint32_t cin, uint32_t seq)
{
	struct hi2_pshdr h;
	struct hi2_diag d;
	memset(&h, 0, sizeof(h));
	h.liid.p = (const uint8_t *)liid;
	h.liid.len = strlen(liid);
	h.operator_id.p = (const uint8_t *)"operator-x";
	h.operator_id.len = 10;
	h.ne_id.p = (const uint8_t *)"mdf-01";
	h.ne_id.len = 6;
	memcpy(h.auth_cc, "DE", 3);
	memcpy(h.delivery_cc, "FR", 3);
	h.cin = cin;
	h.seq = seq;
	assert_int_equal(hi2_stream_init(s, &h, &d), HI2_OK);
}

static void
test_encode_iri(void **state)
{
	uint8_t pl[1024], out[4096];
	const uint8_t corr[8] = {0, 0, 0, 0, 0, 0, 0x12, 0x34};
	size_t n = tm_iri_payload(pl, sizeof(pl), HI2_EV_BEARER_ACTIVATION, "001010123456789",
	    1700000000, corr);
	struct x2x3_pdu pdu;
	struct mdf_item it;
	struct hi2_stream s;
	struct hi2_diag d;
	struct ovt_builder b;
	struct hi2_pdu dec;
	struct hi2_iri_item item;
	struct timespec now = {1800000000, 0};

	assert_true(n > 0);
	tm_pdu(&pdu, X2X3_TYPE_X2, X2X3_FMT_EPS_IRI, xid, 0x1234, 9, 1700000001, 123456789, pl, n);
	assert_int_equal(mdf_item_prepare(&it, &pdu, &now, MDF_ICE_SGW, &d), MDF_DROP_NONE);
	assert_int_equal(it.kind, MDF_HI2);
	assert_int_equal(it.tsq, 1);
	stream_init(&s, "LIID-A", 0xdeadbeef, 41);
	bld_init_fixed(&b, out, sizeof(out));
	assert_int_equal(mdf_item_encode(&it, &s, &b, &d), HI2_OK);
	assert_int_equal(s.hdr.seq, 42);
	assert_int_equal(hi2_decode(out, bld_len(&b), &dec, &d), HI2_OK);
	assert_int_equal(dec.kind, HI2_KIND_IRI);
	assert_int_equal(dec.liid.len, 6);
	assert_memory_equal(dec.liid.p, "LIID-A", 6);
	assert_true(dec.has_cin);
	assert_int_equal(dec.cin, 0xdeadbeef);
	assert_int_equal(dec.seq, 41);
	assert_string_equal(dec.auth_cc, "DE");
	assert_string_equal(dec.delivery_cc, "FR");
	assert_memory_equal(dec.operator_id.p, "operator-x", 10);
	assert_true(dec.has_usts);
	assert_int_equal(dec.usts_sec, 1700000001);
	assert_int_equal(dec.usts_usec, 123456);
	assert_true(dec.has_tsq);
	assert_int_equal(dec.tsq, 1);
	assert_int_equal(hi2_next_iri(&dec, &item), 1);
	assert_int_equal(item.iri_type, HI2_REC_BEGIN);
	assert_int_equal(item.eps.event, HI2_EV_BEARER_ACTIVATION);
	assert_string_equal(item.eps.imsi, "001010123456789");
	/* The IRI's own LIID is the task's, not the POI's "LIIDNotPresent". */
	assert_int_equal(item.eps.liid.len, 6);
	assert_memory_equal(item.eps.liid.p, "LIID-A", 6);
	assert_int_equal(item.eps.corr.len, 8);
	assert_memory_equal(item.eps.corr.p, corr, 8);

	/* Without the timestamp attribute: time of mediation, qualifier 2. */
	pdu.present &= ~X2X3_HAS(X2X3_ATTR_TIMESTAMP);
	assert_int_equal(mdf_item_prepare(&it, &pdu, &now, MDF_ICE_SGW, &d), MDF_DROP_NONE);
	bld_init_fixed(&b, out, sizeof(out));
	assert_int_equal(mdf_item_encode(&it, &s, &b, &d), HI2_OK);
	assert_int_equal(hi2_decode(out, bld_len(&b), &dec, &d), HI2_OK);
	assert_int_equal(dec.usts_sec, 1800000000);
	assert_int_equal(dec.tsq, 2);
	assert_int_equal(dec.seq, 42);

	/* Refusals: a format-14 payload that is not EpsIRIContent, every truncation, and X2
	 * formats other than 14. */
	for (size_t k = 0; k < n; k++) {
		tm_pdu(&pdu, X2X3_TYPE_X2, X2X3_FMT_EPS_IRI, xid, 1, 0, 1, 0, pl, k);
		assert_int_equal(mdf_item_prepare(&it, &pdu, &now, 0, &d), MDF_DROP_IRI);
	}
	tm_pdu(&pdu, X2X3_TYPE_X2, X2X3_FMT_SIP, xid, 1, 0, 1, 0, pl, n);
	assert_int_equal(mdf_item_prepare(&it, &pdu, &now, 0, &d), MDF_DROP_FORMAT);
	tm_pdu(&pdu, X2X3_TYPE_KEEPALIVE, 0, xid, 1, 0, 1, 0, pl, 0);
	assert_int_equal(mdf_item_prepare(&it, &pdu, &now, 0, &d), MDF_DROP_FORMAT);
	/* Too small an output: HI2_E_SPACE and the sequence number not consumed. */
	tm_pdu(&pdu, X2X3_TYPE_X2, X2X3_FMT_EPS_IRI, xid, 1, 0, 1, 0, pl, n);
	assert_int_equal(mdf_item_prepare(&it, &pdu, &now, 0, &d), MDF_DROP_NONE);
	bld_init_fixed(&b, out, 40);
	assert_int_equal(mdf_item_encode(&it, &s, &b, &d), HI2_E_SPACE);
	assert_int_equal(s.hdr.seq, 43);
}

static void
test_encode_cc(void **state)
{
	uint8_t ip[32], g[128], out[4096];
	struct ovt_builder b;
	struct x2x3_pdu pdu;
	struct mdf_item it;
	struct hi2_stream s;
	struct hi2_diag d;
	struct hi2_pdu dec;
	struct hi2_cc_item item;
	struct timespec now = {0, 0};

	tm_ipv4(ip, 99);
	bld_init_fixed(&b, g, sizeof(g));
	tb_gpdu(&b, 0x1234, ip, sizeof(ip));
	stream_init(&s, "LIID-B", 77, 65535);
	for (int fmt = 0; fmt < 2; fmt++) {
		if (fmt == 0)
			tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_GTPU, xid, 0x0102030405060708ULL, 3,
			    1700000002, 999, g, bld_len(&b));
		else
			tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_IPV4, xid, 0x0102030405060708ULL, 3,
			    1700000002, 999, ip, sizeof(ip));
		pdu.direction = X2X3_DIR_TO_TARGET;
		assert_int_equal(mdf_item_prepare(&it, &pdu, &now, MDF_ICE_SGW, &d), MDF_DROP_NONE);
		uint32_t seq = s.hdr.seq;
		struct ovt_builder ob;
		bld_init_fixed(&ob, out, sizeof(out));
		assert_int_equal(mdf_item_encode(&it, &s, &ob, &d), HI2_OK);
		assert_int_equal(hi2_decode(out, bld_len(&ob), &dec, &d), HI2_OK);
		assert_int_equal(dec.kind, HI2_KIND_CC);
		assert_int_equal(dec.seq, seq);
		assert_int_equal(dec.cin, 77);
		assert_int_equal(hi2_next_cc(&dec, &item), 1);
		assert_int_equal(item.dir, 1);		/* toTarget */
		assert_int_equal(item.tpdu_dir, 2);	/* to-target */
		assert_true(item.has_ice);
		assert_int_equal(item.ice_type, MDF_ICE_SGW);
		assert_int_equal(item.ulic_seq, seq & 0xffff);
		static const uint8_t corr[8] = {1, 2, 3, 4, 5, 6, 7, 8};
		assert_int_equal(item.corr.len, 8);
		assert_memory_equal(item.corr.p, corr, 8);
		assert_int_equal(item.pkt.len, sizeof(ip));
		assert_memory_equal(item.pkt.p, ip, sizeof(ip));
		assert_int_equal(item.liid.len, 6);
	}
	/* The sequence number wraps at 2^32 (INTEGER (0..4294967295)). */
	s.hdr.seq = 0xffffffffu;
	bld_init_fixed(&b, out, sizeof(out));
	assert_int_equal(mdf_item_encode(&it, &s, &b, &d), HI2_OK);
	assert_int_equal(s.hdr.seq, 0);
	/* ice-type none: the element is absent. */
	assert_int_equal(mdf_item_prepare(&it, &pdu, &now, MDF_ICE_NONE, &d), MDF_DROP_NONE);
	bld_init_fixed(&b, out, sizeof(out));
	assert_int_equal(mdf_item_encode(&it, &s, &b, &d), HI2_OK);
	assert_int_equal(hi2_decode(out, bld_len(&b), &dec, &d), HI2_OK);
	assert_int_equal(hi2_next_cc(&dec, &item), 1);
	assert_false(item.has_ice);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash),
		cmocka_unit_test(test_cin_fingerprint),
		cmocka_unit_test(test_dirs),
		cmocka_unit_test(test_x3_packet),
		cmocka_unit_test(test_encode_iri),
		cmocka_unit_test(test_encode_cc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
