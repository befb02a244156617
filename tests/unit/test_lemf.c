/*
 * LEMF pure pieces: the sequence-number ranges (against a bitmap model, every edge: merges,
 * the leading gap, the range cap, 2^32-1, encode/decode and every refusal of decode), the
 * record encoders (pcap headers to the byte, the CC timestamp choice, an IRI JSON line compared
 * with a hand-written one, string escaping, times outside the calendar), the per-connection
 * stream handler (byte-at-a-time delivery, a malformed PDU skipped with the following one
 * delivered, BER bombs, framing and oversized headers, stop on request, buffer release) and the
 * configuration file (good file, each refusal).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "hi2/hi2.h"
#include "lemf/lemf_config.h"
#include "lemf/lemf_rec.h"
#include "lemf/lemf_rx.h"
#include "lemf/lemf_seq.h"

/* ================================================================ helpers */

static uint8_t pkt4[60];

static size_t
build_cc(uint8_t *out, size_t cap, const char *liid, uint32_t cin, uint32_t seq, int64_t sec,
	 uint32_t usec)
{
	static const uint8_t corr[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct hi2_pshdr h;
	struct hi2_cc cc;
	struct ovt_builder b;
	struct hi2_diag d;

	memset(&h, 0, sizeof(h));
	h.liid.p = (const uint8_t *)liid;
	h.liid.len = strlen(liid);
	h.operator_id.p = (const uint8_t *)"ovt";
	h.operator_id.len = 3;
	h.cin = cin;
	h.seq = seq;
	h.ts_sec = sec;
	h.ts_usec = usec;
	memset(&cc, 0, sizeof(cc));
	pkt4[0] = 0x45;
	pkt4[19] = (uint8_t)seq;
	cc.corr.p = corr;
	cc.corr.len = sizeof(corr);
	cc.tpdu_dir = 1;
	cc.pkt.p = pkt4;
	cc.pkt.len = sizeof(pkt4);
	bld_init_fixed(&b, out, cap);
	assert_int_equal(hi2_encode_cc(&b, &h, &cc, &d), HI2_OK);
	return bld_len(&b);
}

static size_t
build_iri(uint8_t *out, size_t cap, const char *liid, uint32_t cin, uint32_t seq)
{
	static const uint8_t corr[8] = {0xa, 0xb, 0xc, 0xd, 1, 2, 3, 4};
	static const uint8_t apn[] = {8, 'i', 'n', 't', 'e', 'r', 'n', 'e', 't'};
	static const uint8_t paa[] = {1, 100, 64, 0, 9};
	static const uint8_t uli[] = {0x18, 0x00, 0xf1, 0x10, 0x00, 0x2a, 0x00, 0xf1, 0x10,
				      0x01, 0x23, 0x45, 0x67};
	static const uint8_t ambr[] = {0, 0, 0x03, 0xe8, 0, 0, 0x07, 0xd0};
	struct hi2_pshdr h;
	struct hi2_eps_iri iri;
	struct ovt_builder b;
	struct hi2_diag d;

	memset(&h, 0, sizeof(h));
	h.liid.p = (const uint8_t *)liid;
	h.liid.len = strlen(liid);
	h.operator_id.p = (const uint8_t *)"ovt";
	h.operator_id.len = 3;
	h.cin = cin;
	h.seq = seq;
	h.ts_sec = 1736936430;
	h.ts_usec = 250000;
	hi2_iri_init(&iri);
	iri.event = HI2_EV_BEARER_ACTIVATION;
	iri.ts_sec = 1736936430;
	iri.has_initiator = 1;
	iri.initiator = 2;
	snprintf(iri.imsi, sizeof(iri.imsi), "001010123456789");
	snprintf(iri.msisdn, sizeof(iri.msisdn), "447700900123");
	iri.corr.p = corr;
	iri.corr.len = sizeof(corr);
	iri.apn.p = apn;
	iri.apn.len = sizeof(apn);
	iri.paa.p = paa;
	iri.paa.len = sizeof(paa);
	iri.has_ebi = 1;
	iri.ebi = 5;
	iri.has_rat = 1;
	iri.rat = 6;
	iri.bearer_type = HI2_BEARER_DEFAULT;
	iri.apn_ambr.p = ambr;
	iri.apn_ambr.len = sizeof(ambr);
	iri.uli.p = uli;
	iri.uli.len = sizeof(uli);
	iri.has_ne_type = 1;
	iri.ne_type = HI2_LFT_SGW;
	iri.ne_addr_len = 4;
	memcpy(iri.ne_addr, "\xc0\x00\x02\x0a", 4);
	bld_init_fixed(&b, out, cap);
	assert_int_equal(hi2_encode_iri(&b, &h, &iri, &d), HI2_OK);
	return bld_len(&b);
}

/* ================================================================ lemf_seq */

#define MODEL_N 4096

/* Gaps recomputed from a bitmap: holes below the highest number set, from 0. */
static void
check_model(const struct lemf_seq *s, const uint8_t *bits)
{
	int hi = -1;
	uint64_t count = 0, missing = 0;
	size_t ngaps = 0, gi = 0;
	uint32_t lo, ghi;

	for (int i = 0; i < MODEL_N; i++)
		if (bits[i]) {
			hi = i;
			count++;
		}
	assert_int_equal(lemf_seq_count(s), count);
	for (int i = 0; i <= hi; i++) {
		if (bits[i] || (i > 0 && !bits[i - 1]))
			continue;
		int j = i;
		while (!bits[j])
			j++;
		assert_int_equal(lemf_seq_gap(s, gi, &lo, &ghi), 1);
		assert_int_equal(lo, i);
		assert_int_equal(ghi, j - 1);
		gi++;
		ngaps++;
		missing += (uint64_t)(j - i);
	}
	assert_int_equal(lemf_seq_gap(s, gi, &lo, &ghi), 0);
	assert_int_equal(lemf_seq_ngaps(s), ngaps);
	assert_int_equal(lemf_seq_missing(s), missing);
	for (int i = 0; i < MODEL_N; i++)
		assert_int_equal(lemf_seq_has(s, (uint32_t)i), bits[i]);
	/* invariants: ascending, disjoint, never adjacent */
	for (uint32_t i = 0; i < s->n; i++) {
		assert_true(s->r[i].lo <= s->r[i].hi);
		if (i > 0)
			assert_true(s->r[i - 1].hi + 1 < s->r[i].lo);
	}
}

static void
test_seq_in_order(void **state)
{
	struct lemf_seq s;
	int delta;

	lemf_seq_init(&s);
	for (uint32_t i = 0; i < 100000; i++)
		assert_int_equal(lemf_seq_add(&s, i, 1, &delta), LEMF_SEQ_NEW);
	assert_int_equal(s.n, 1);		/* one range whatever the length */
	assert_int_equal(lemf_seq_count(&s), 100000);
	assert_int_equal(lemf_seq_ngaps(&s), 0);
	assert_int_equal(lemf_seq_add(&s, 500, 1, &delta), LEMF_SEQ_DUP);
	assert_int_equal(lemf_seq_add(&s, 0, 1, &delta), LEMF_SEQ_DUP);
	assert_int_equal(lemf_seq_add(&s, 99999, 1, &delta), LEMF_SEQ_DUP);
	lemf_seq_cleanup(&s);
}

static void
test_seq_merges(void **state)
{
	struct lemf_seq s;
	uint32_t lo, hi;
	int d;

	lemf_seq_init(&s);
	assert_int_equal(lemf_seq_add(&s, 5, 10, &d), LEMF_SEQ_NEW);
	assert_int_equal(d, 1);
	/* The numbers before the first one are a gap: numbering starts at 0. */
	assert_int_equal(lemf_seq_ngaps(&s), 1);
	assert_int_equal(lemf_seq_gap(&s, 0, &lo, &hi), 1);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 4);
	assert_int_equal(lemf_seq_add(&s, 9, 10, &d), LEMF_SEQ_NEW);
	assert_int_equal(d, 1);
	assert_int_equal(lemf_seq_add(&s, 7, 10, &d), LEMF_SEQ_NEW);
	assert_int_equal(d, 1);
	assert_int_equal(s.n, 3);
	assert_int_equal(lemf_seq_add(&s, 6, 10, &d), LEMF_SEQ_NEW);	/* joins 5 and 7 */
	assert_int_equal(d, -1);
	assert_int_equal(lemf_seq_add(&s, 8, 10, &d), LEMF_SEQ_NEW);	/* joins 5-7 and 9 */
	assert_int_equal(d, -1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.r[0].lo, 5);
	assert_int_equal(s.r[0].hi, 9);
	assert_int_equal(lemf_seq_add(&s, 4, 10, &d), LEMF_SEQ_NEW);	/* grows left */
	assert_int_equal(d, 0);
	assert_int_equal(s.r[0].lo, 4);
	assert_int_equal(lemf_seq_missing(&s), 4);
	lemf_seq_cleanup(&s);
}

static void
test_seq_random_model(void **state)
{
	static uint8_t bits[MODEL_N];
	struct lemf_seq s;
	uint64_t x = 88172645463325252ULL;

	memset(bits, 0, sizeof(bits));
	lemf_seq_init(&s);
	for (int i = 0; i < 20000; i++) {
		uint32_t v;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = (uint32_t)(x % MODEL_N);
		enum lemf_seq_res r = lemf_seq_add(&s, v, UINT32_MAX, NULL);
		assert_int_equal(r, bits[v] ? LEMF_SEQ_DUP : LEMF_SEQ_NEW);
		bits[v] = 1;
		if (i % 997 == 0)
			check_model(&s, bits);
	}
	check_model(&s, bits);
	lemf_seq_cleanup(&s);
}

static void
test_seq_cap_and_edges(void **state)
{
	struct lemf_seq s;
	int d;

	lemf_seq_init(&s);
	assert_int_equal(lemf_seq_add(&s, 0, 2, &d), LEMF_SEQ_NEW);
	assert_int_equal(lemf_seq_add(&s, 10, 2, &d), LEMF_SEQ_NEW);
	/* A third range is over the cap: refused, nothing changed. */
	assert_int_equal(lemf_seq_add(&s, 20, 2, &d), LEMF_SEQ_FULL);
	assert_int_equal(lemf_seq_has(&s, 20), 0);
	assert_int_equal(s.n, 2);
	/* Growing an existing range or closing a hole needs no new range. */
	assert_int_equal(lemf_seq_add(&s, 11, 2, &d), LEMF_SEQ_NEW);
	assert_int_equal(lemf_seq_add(&s, 1, 2, &d), LEMF_SEQ_NEW);
	assert_int_equal(lemf_seq_add(&s, 9, 2, &d), LEMF_SEQ_NEW);
	lemf_seq_cleanup(&s);

	/* The top of the 32-bit space. */
	lemf_seq_init(&s);
	assert_int_equal(lemf_seq_add(&s, UINT32_MAX, 4, &d), LEMF_SEQ_NEW);
	assert_int_equal(lemf_seq_add(&s, UINT32_MAX - 1, 4, &d), LEMF_SEQ_NEW);
	assert_int_equal(s.n, 1);
	assert_int_equal(lemf_seq_add(&s, UINT32_MAX, 4, &d), LEMF_SEQ_DUP);
	assert_int_equal(lemf_seq_add(&s, 0, 4, &d), LEMF_SEQ_NEW);
	assert_int_equal(s.n, 2);
	assert_int_equal(lemf_seq_missing(&s), (uint64_t)UINT32_MAX - 2);
	lemf_seq_cleanup(&s);
}

static void
test_seq_encode_decode(void **state)
{
	struct lemf_seq s, t;
	struct ovt_builder b;
	struct ovt_cursor c;
	uint8_t buf[256];
	static const uint32_t nums[] = {0, 1, 2, 7, 9, 10, 1000, UINT32_MAX};

	lemf_seq_init(&s);
	lemf_seq_init(&t);
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		assert_int_equal(lemf_seq_add(&s, nums[i], 100, NULL), LEMF_SEQ_NEW);
	bld_init_fixed(&b, buf, sizeof(buf));
	lemf_seq_encode(&s, &b);
	assert_true(bld_ok(&b));
	assert_int_equal(bld_len(&b), s.n * LEMF_SEQ_RANGE_BYTES);
	/* [0,2] first: 00000000 00000002 */
	assert_memory_equal(buf, "\0\0\0\0\0\0\0\2", 8);
	cur_init(&c, buf, bld_len(&b));
	assert_int_equal(lemf_seq_decode(&t, c, 100), LEMF_OK);
	assert_int_equal(t.n, s.n);
	assert_memory_equal(t.r, s.r, s.n * sizeof(s.r[0]));
	/* Too many ranges for the cap. */
	cur_init(&c, buf, bld_len(&b));
	assert_int_equal(lemf_seq_decode(&t, c, s.n - 1), LEMF_E_LIMIT);
	assert_int_equal(t.n, 0);
	/* Not whole ranges. */
	cur_init(&c, buf, bld_len(&b) - 1);
	assert_int_equal(lemf_seq_decode(&t, c, 100), LEMF_E_FORMAT);
	/* lo > hi, overlapping, adjacent, descending */
	{
		static const uint8_t bad[][16] = {
			{0, 0, 0, 5, 0, 0, 0, 4},
			{0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0, 9},
			{0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 9},
			{0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2},
		};
		static const size_t len[] = {8, 16, 16, 16};
		for (size_t i = 0; i < 4; i++) {
			cur_init(&c, bad[i], len[i]);
			assert_int_equal(lemf_seq_decode(&t, c, 100), LEMF_E_FORMAT);
			assert_int_equal(t.n, 0);
		}
	}
	/* Empty is fine. */
	cur_init(&c, buf, 0);
	assert_int_equal(lemf_seq_decode(&t, c, 100), LEMF_OK);
	assert_int_equal(t.n, 0);
	lemf_seq_cleanup(&s);
	lemf_seq_cleanup(&t);
}

static void
test_seq_union_disjoint(void **state)
{
	static uint8_t ba[MODEL_N], bb[MODEL_N], bu[MODEL_N];
	uint64_t x = 1442695040888963407ULL;

	for (int round = 0; round < 50; round++) {
		struct lemf_seq a, b, u;
		int common = 0;
		unsigned na = (unsigned)(round * 37 % 400), nb = (unsigned)(round * 53 % 400);

		lemf_seq_init(&a);
		lemf_seq_init(&b);
		lemf_seq_init(&u);
		memset(ba, 0, sizeof(ba));
		memset(bb, 0, sizeof(bb));
		/* odd rounds: a takes even numbers and b odd ones (disjoint by construction) */
		for (unsigned i = 0; i < na + nb; i++) {
			uint32_t v;
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			v = (uint32_t)(x % 512);
			if (round % 2)
				v = (v & ~1u) | (i < na ? 0u : 1u);
			if (i < na) {
				lemf_seq_add(&a, v, UINT32_MAX, NULL);
				ba[v] = 1;
			} else {
				lemf_seq_add(&b, v, UINT32_MAX, NULL);
				bb[v] = 1;
			}
		}
		for (int i = 0; i < MODEL_N; i++) {
			bu[i] = ba[i] | bb[i];
			common |= ba[i] & bb[i];
		}
		assert_int_equal(lemf_seq_disjoint(&a, &b), !common);
		assert_int_equal(lemf_seq_disjoint(&b, &a), !common);
		if (round % 2)
			assert_int_equal(common, 0);
		assert_int_equal(lemf_seq_union(&u, &a, &b), LEMF_OK);
		check_model(&u, bu);
		lemf_seq_cleanup(&a);
		lemf_seq_cleanup(&b);
		lemf_seq_cleanup(&u);
	}
}

/* ================================================================ records */

static void
test_pcap_headers(void **state)
{
	uint8_t fh[LEMF_PCAP_FILEHDR], hdr[LEMF_PCAP_RECHDR], trl[LEMF_PCAP_RECTRL_MAX];
	uint8_t rec[64];
	size_t hl, tl, n;
	/* pcapng, big-endian: SHB (BOM 1a2b3c4d, 1.0, section length -1), IDB (LINKTYPE_RAW,
	 * snaplen 262144, no options) */
	static const uint8_t want_ng[48] = {
		0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 0x1a, 0x2b, 0x3c, 0x4d, 0, 1, 0, 0,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28,
		0, 0, 0, 1, 0, 0, 0, 20, 0x00, 0x65, 0, 0, 0x00, 0x04, 0x00, 0x00, 0, 0, 0, 20,
	};
	static const uint8_t want_classic[24] = {
		0xa1, 0xb2, 0xc3, 0xd4, 0x00, 0x02, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 0,
		0x00, 0x04, 0x00, 0x00,		/* snaplen 262144 */
		0x00, 0x00, 0x00, 0x65,		/* LINKTYPE_RAW */
	};
	/* EPB of a 3-octet packet at 1736936430.123456 s, from the target: 28 + 3 + 1 (pad) +
	 * 8 (epb_flags = 2, outbound) + 4 (end of options) + 4 = 48 octets; the timestamp is
	 * 1736936430123456 us = 0x00062bbc 0x06ea39c0 */
	static const uint8_t want_epb[48] = {
		0, 0, 0, 6, 0, 0, 0, 48, 0, 0, 0, 0, 0x00, 0x06, 0x2b, 0xbc, 0x06, 0xea, 0x39, 0xc0,
		0, 0, 0, 3, 0, 0, 0, 3, 0x45, 0x00, 0x00, 0,
		0, 2, 0, 4, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 48,
	};
	struct ovt_cursor c;
	struct lemf_pcap_rec r;

	(void)state;
	assert_int_equal(lemf_pcap_filehdr(fh, LEMF_PCAP_NG), 48);
	assert_memory_equal(fh, want_ng, sizeof(want_ng));
	cur_init(&c, fh, sizeof(fh));
	assert_int_equal(lemf_pcap_filehdr_ok(c), LEMF_PCAP_NG);
	cur_init(&c, fh, 47);
	assert_int_equal(lemf_pcap_filehdr_ok(c), LEMF_PCAP_BAD);
	fh[37] = 1;	/* Ethernet: not ours */
	cur_init(&c, fh, sizeof(fh));
	assert_int_equal(lemf_pcap_filehdr_ok(c), LEMF_PCAP_BAD);
	assert_int_equal(lemf_pcap_filehdr(fh, LEMF_PCAP_CLASSIC), 24);
	assert_memory_equal(fh, want_classic, sizeof(want_classic));
	cur_init(&c, fh, 24);
	assert_int_equal(lemf_pcap_filehdr_ok(c), LEMF_PCAP_CLASSIC);
	cur_init(&c, fh, 23);
	assert_int_equal(lemf_pcap_filehdr_ok(c), LEMF_PCAP_BAD);
	assert_int_equal(lemf_pcap_filehdr_len(LEMF_PCAP_NG), 48);
	assert_int_equal(lemf_pcap_filehdr_len(LEMF_PCAP_CLASSIC), 24);
	assert_int_equal(lemf_pcap_filehdr_len(LEMF_PCAP_BAD), 0);

	/* pcapng record */
	lemf_pcap_record(LEMF_PCAP_NG, 1736936430, 123456, 3, LEMF_DIR_FROM_TARGET, hdr, &hl, trl,
			 &tl);
	assert_int_equal(hl, 28);
	assert_int_equal(tl, 17);
	memcpy(rec, hdr, hl);
	memcpy(rec + hl, "\x45\x00\x00", 3);
	memcpy(rec + hl + 3, trl, tl);
	n = hl + 3 + tl;
	assert_int_equal(n, sizeof(want_epb));
	assert_memory_equal(rec, want_epb, n);
	cur_init(&c, rec, n);
	assert_int_equal(lemf_pcap_next(&c, LEMF_PCAP_NG, &r), 1);
	assert_int_equal(r.sec, 1736936430);
	assert_int_equal(r.usec, 123456);
	assert_int_equal(r.dir, LEMF_DIR_FROM_TARGET);
	assert_int_equal(cur_len(&r.pkt), 3);
	assert_int_equal(cur_len(&c), 0);
	/* a packet of a multiple of 4 octets has no padding; every direction round-trips */
	for (int d = 0; d <= 2; d++) {
		lemf_pcap_record(LEMF_PCAP_NG, 7, 999999, 4, (enum lemf_dir)d, hdr, &hl, trl, &tl);
		assert_int_equal(tl, 16);
		memcpy(rec, hdr, hl);
		memset(rec + hl, 0x60, 4);
		memcpy(rec + hl + 4, trl, tl);
		cur_init(&c, rec, hl + 4 + tl);
		assert_int_equal(lemf_pcap_next(&c, LEMF_PCAP_NG, &r), 1);
		assert_int_equal(r.dir, d);
		assert_int_equal(r.sec, 7);
		assert_int_equal(r.usec, 999999);
		/* the same bytes are not a classic record of the right length */
		cur_init(&c, rec, hl + 4 + tl);
		assert_int_equal(lemf_pcap_next(&c, LEMF_PCAP_BAD, &r), 0);
	}
	/* refusals, each on a copy of the good record; the cursor is left unchanged */
	static const struct {
		size_t at;
		uint8_t v;
	} bad[] = {
		{3, 5},		/* another block type */
		{7, 52},	/* block length disagrees with the packet length */
		{11, 1},	/* interface 1 */
		{27, 2},	/* orig_len 2 < captured 3 */
		{27, 4},	/* orig_len 4 > captured 3: cut, which the LEMF never does */
		{31, 1},	/* padding not zero */
		{33, 3},	/* another option */
		{39, 3},	/* both direction bits */
		{38, 1},	/* reserved flag bits */
		{43, 1},	/* opt_endofopt with a length */
		{47, 44},	/* trailing block length disagrees */
		{12, 0x10},	/* a time past 2^32 s */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(rec, want_epb, sizeof(want_epb));
		rec[bad[i].at] = bad[i].v;
		cur_init(&c, rec, sizeof(want_epb));
		if (lemf_pcap_next(&c, LEMF_PCAP_NG, &r) != 0)
			fail_msg("case %zu accepted", i);
		assert_int_equal(cur_len(&c), sizeof(want_epb));
	}
	cur_init(&c, want_epb, sizeof(want_epb) - 1);	/* truncated */
	assert_int_equal(lemf_pcap_next(&c, LEMF_PCAP_NG, &r), 0);
	assert_int_equal(cur_len(&c), sizeof(want_epb) - 1);

	/* classic record: no trailer, no direction */
	lemf_pcap_record(LEMF_PCAP_CLASSIC, 1736936430, 123456, 3, LEMF_DIR_TO_TARGET, hdr, &hl,
			 trl, &tl);
	assert_int_equal(hl, 16);
	assert_int_equal(tl, 0);
	assert_memory_equal(hdr, "\x67\x87\x8b\xee\x00\x01\xe2\x40\0\0\0\3\0\0\0\3", 16);
	memcpy(rec, hdr, hl);
	memcpy(rec + 16, "\x45\x00\x00", 3);
	cur_init(&c, rec, 19);
	assert_int_equal(lemf_pcap_next(&c, LEMF_PCAP_CLASSIC, &r), 1);
	assert_int_equal(r.sec, 1736936430);
	assert_int_equal(r.usec, 123456);
	assert_int_equal(r.dir, LEMF_DIR_UNKNOWN);
	assert_int_equal(cur_len(&r.pkt), 3);
	assert_int_equal(cur_len(&c), 0);
	/* truncated packet, usec out of range, incl > orig: each refused, cursor unchanged */
	cur_init(&c, rec, 18);
	assert_int_equal(lemf_pcap_next(&c, LEMF_PCAP_CLASSIC, &r), 0);
	assert_int_equal(cur_len(&c), 18);
	lemf_pcap_record(LEMF_PCAP_CLASSIC, 1, 1000000, 3, LEMF_DIR_UNKNOWN, rec, &hl, trl, &tl);
	cur_init(&c, rec, 19);
	assert_int_equal(lemf_pcap_next(&c, LEMF_PCAP_CLASSIC, &r), 0);
	lemf_pcap_record(LEMF_PCAP_CLASSIC, 1, 0, 3, LEMF_DIR_UNKNOWN, rec, &hl, trl, &tl);
	rec[15] = 2;	/* orig_len 2 < incl_len 3 */
	cur_init(&c, rec, 19);
	assert_int_equal(lemf_pcap_next(&c, LEMF_PCAP_CLASSIC, &r), 0);
	rec[15] = 4;	/* orig_len 4 > incl_len 3: cut, which the LEMF never did */
	cur_init(&c, rec, 19);
	assert_int_equal(lemf_pcap_next(&c, LEMF_PCAP_CLASSIC, &r), 0);
}

/* Direction from the CC item: payloadDirection first, else the ULIC t-PDU-direction. */
static void
test_cc_direction(void **state)
{
	struct hi2_cc_item it;

	(void)state;
	memset(&it, 0, sizeof(it));
	assert_int_equal(lemf_cc_dir(&it), LEMF_DIR_UNKNOWN);
	it.tpdu_dir = 1;
	assert_int_equal(lemf_cc_dir(&it), LEMF_DIR_FROM_TARGET);
	it.tpdu_dir = 2;
	assert_int_equal(lemf_cc_dir(&it), LEMF_DIR_TO_TARGET);
	it.tpdu_dir = 3;
	assert_int_equal(lemf_cc_dir(&it), LEMF_DIR_UNKNOWN);
	it.has_dir = 1;		/* payloadDirection wins over the ULIC header */
	it.dir = 0;
	assert_int_equal(lemf_cc_dir(&it), LEMF_DIR_FROM_TARGET);
	it.dir = 1;
	it.tpdu_dir = 1;
	assert_int_equal(lemf_cc_dir(&it), LEMF_DIR_TO_TARGET);
	for (uint8_t d = 2; d <= 4; d++) {	/* indeterminate, combined, notKnown */
		it.dir = d;
		assert_int_equal(lemf_cc_dir(&it), LEMF_DIR_UNKNOWN);
	}
}

static void
test_cc_time_choice(void **state)
{
	struct hi2_pdu p;
	struct hi2_cc_item it;
	uint32_t s, u;

	memset(&p, 0, sizeof(p));
	memset(&it, 0, sizeof(it));
	assert_int_equal(lemf_cc_time(&p, &it, &s, &u), 0);	/* nothing: receive time */
	it.has_ulic_ts = 1;
	it.ulic_ts_sec = 1000;
	assert_int_equal(lemf_cc_time(&p, &it, &s, &u), 1);
	assert_int_equal(s, 1000);
	assert_int_equal(u, 0);
	it.has_ts = 1;
	it.ts_sec = 2000;
	it.ts_usec = 5;
	assert_int_equal(lemf_cc_time(&p, &it, &s, &u), 1);
	assert_int_equal(s, 2000);
	p.has_ts = 1;
	p.ts_sec = 3000;
	p.ts_usec = 123000;
	assert_int_equal(lemf_cc_time(&p, &it, &s, &u), 1);
	assert_int_equal(s, 3000);
	assert_int_equal(u, 123000);
	p.has_usts = 1;
	p.usts_sec = 4000;
	p.usts_usec = 123456;
	assert_int_equal(lemf_cc_time(&p, &it, &s, &u), 1);
	assert_int_equal(s, 4000);
	assert_int_equal(u, 123456);
	/* The best time does not fit a pcap record: not used at all (receive time). */
	p.usts_sec = (int64_t)UINT32_MAX + 1;
	assert_int_equal(lemf_cc_time(&p, &it, &s, &u), 0);
	p.usts_sec = -1;
	assert_int_equal(lemf_cc_time(&p, &it, &s, &u), 0);
}

static void
json_of(struct ovt_builder *b, const uint8_t *pdu, size_t len, const char *expect)
{
	struct hi2_pdu p;
	struct hi2_iri_item it;
	struct hi2_diag d;
	struct lemf_iri_ctx ctx;

	assert_int_equal(hi2_decode(pdu, len, &p, &d), HI2_OK);
	ctx.pdu = &p;
	ctx.item = 0;
	ctx.recv_sec = 1736936431;
	ctx.recv_usec = 7;
	assert_int_equal(hi2_next_iri(&p, &it), 1);
	assert_int_equal(lemf_iri_json(b, &ctx, &it), 0);
	if (expect != NULL) {
		if (bld_len(b) != strlen(expect) || memcmp(bld_data(b), expect, bld_len(b)) != 0)
			fail_msg("JSON differs:\n got %.*s\nwant %s", (int)bld_len(b),
				 (const char *)bld_data(b), expect);
	}
}

static void
test_iri_json(void **state)
{
	static uint8_t pdu[2048], out[8192];
	struct ovt_builder b;
	size_t n = build_iri(pdu, sizeof(pdu), "LI-1", 42, 7);
	static const char want[] =
		"{\"liid\":\"LI-1\",\"cin\":42,\"seq\":7,\"item\":0,\"iri_type\":\"BEGIN\","
		"\"event\":\"bearerActivation\",\"event_code\":18,"
		"\"time\":\"2025-01-15T10:20:30.000000Z\",\"iri_time\":\"2025-01-15T10:20:30.000000Z\","
		"\"pdu_time\":\"2025-01-15T10:20:30.250000Z\","
		"\"received\":\"2025-01-15T10:20:31.000007Z\",\"initiator\":\"terminating-Target\","
		"\"imsi\":\"001010123456789\",\"msisdn\":\"447700900123\","
		"\"correlation\":\"0a0b0c0d01020304\","
		"\"network_element\":{\"type\":\"sGW\",\"address\":\"192.0.2.10\"},"
		"\"apn\":\"internet\",\"paa\":{\"pdn_type\":\"IPv4\",\"ipv4\":\"100.64.0.9\"},"
		"\"ebi\":5,\"rat\":\"EUTRAN\",\"rat_code\":6,\"bearer_type\":\"default\","
		"\"apn_ambr\":{\"ul_kbps\":1000,\"dl_kbps\":2000},"
		"\"uli\":{\"tai\":{\"mcc\":\"001\",\"mnc\":\"01\",\"tac\":42},"
		"\"ecgi\":{\"mcc\":\"001\",\"mnc\":\"01\",\"eci\":19088743,\"enb_id\":74565,"
		"\"cell_id\":103},\"raw\":\"1800f110002a00f11001234567\"}}\n";

	bld_init_fixed(&b, out, sizeof(out));
	json_of(&b, pdu, n, want);
	/* Too small an output: the sticky error is reported, never a partial line as success. */
	bld_init_fixed(&b, out, 100);
	{
		struct hi2_pdu p;
		struct hi2_iri_item it;
		struct hi2_diag d;
		struct lemf_iri_ctx ctx = {&p, 0, 0, 0};
		assert_int_equal(hi2_decode(pdu, n, &p, &d), HI2_OK);
		assert_int_equal(hi2_next_iri(&p, &it), 1);
		assert_int_equal(lemf_iri_json(&b, &ctx, &it), -1);
	}
}

static void
test_json_escape_and_time(void **state)
{
	uint8_t out[256];
	struct ovt_builder b;
	static const uint8_t s[] = {'a', '"', '\\', '/', 0x01, 0x7f, 0xff, 'z'};

	bld_init_fixed(&b, out, sizeof(out));
	lemf_json_str(&b, s, sizeof(s));
	assert_int_equal(bld_len(&b), strlen("\"a\\\"\\\\/\\u0001\\u007f\\u00ffz\""));
	assert_memory_equal(out, "\"a\\\"\\\\/\\u0001\\u007f\\u00ffz\"", bld_len(&b));

	bld_init_fixed(&b, out, sizeof(out));
	lemf_json_time(&b, 0, 1);
	lemf_json_time(&b, -62135596800LL, 0);		/* 0001-01-01 */
	lemf_json_time(&b, 253402300799LL, 999999);	/* 9999-12-31 */
	lemf_json_time(&b, 253402300800LL, 0);		/* year 10000: a number */
	lemf_json_time(&b, 5, 1000000);			/* bad usec: the number */
	assert_int_equal(bld_len(&b), strlen("\"1970-01-01T00:00:00.000001Z\""
	    "\"0001-01-01T00:00:00.000000Z\"\"9999-12-31T23:59:59.999999Z\"2534023008005"));
	assert_memory_equal(out, "\"1970-01-01T00:00:00.000001Z\"\"0001-01-01T00:00:00.000000Z\""
	    "\"9999-12-31T23:59:59.999999Z\"2534023008005", bld_len(&b));

	assert_string_equal(lemf_event_name(18), "bearerActivation");
	assert_string_equal(lemf_event_name(41), "startOfInterceptWithEUTRANAttachedUE");
	assert_null(lemf_event_name(0));
	assert_null(lemf_event_name(255));
}

/* ================================================================ stream handler */

struct sink {
	unsigned pdus, bad, stop_after;
	uint32_t seqs[64];
	enum hi2_kind kinds[64];
	enum hi2_err last_bad;
	size_t last_bad_len;
};

static int
sink_pdu(void *arg, struct hi2_pdu *pdu, const uint8_t *raw, size_t len)
{
	struct sink *s = arg;
	if (s->pdus < 64) {
		s->seqs[s->pdus] = pdu->seq;
		s->kinds[s->pdus] = pdu->kind;
	}
	s->pdus++;
	return s->stop_after && s->pdus >= s->stop_after ? -1 : 0;
}

static void
sink_bad(void *arg, enum hi2_err e, const struct hi2_diag *d, const uint8_t *raw, size_t len)
{
	struct sink *s = arg;
	s->bad++;
	s->last_bad = e;
	s->last_bad_len = len;
}

static const struct lemf_rx_ops sink_ops = {sink_pdu, sink_bad};

/* A sane outer SEQUENCE (length 3 * depth) holding depth nested [0] constructed elements. */
static size_t
build_bomb(uint8_t *out, size_t cap, unsigned depth)
{
	size_t n = 0;
	size_t inner = 2 * (size_t)depth;
	/* 30 82 LL LL, then a0 len ... */
	out[n++] = 0x30;
	out[n++] = 0x82;
	out[n++] = (uint8_t)(inner >> 8);
	out[n++] = (uint8_t)inner;
	for (unsigned i = 0; i < depth && n + 2 <= cap; i++) {
		size_t rest = 2 * (size_t)(depth - i - 1);
		out[n++] = 0xa0;
		out[n++] = (uint8_t)(rest < 128 ? rest : 0);	/* keep it short-form */
	}
	return n;
}

static void
test_rx_bytewise_and_bad(void **state)
{
	static uint8_t stream[8192];
	struct lemf_rx_stats st;
	struct lemf_rx rx;
	struct sink s;
	size_t n = 0, badlen;

	memset(&st, 0, sizeof(st));
	memset(&s, 0, sizeof(s));
	n += build_cc(stream + n, sizeof(stream) - n, "A", 1, 0, 1736936430, 0);
	n += build_iri(stream + n, sizeof(stream) - n, "A", 2, 0);
	/* A PDU whose outer header is sane but whose contents are a bare NULL. */
	memcpy(stream + n, "\x30\x02\x05\x00", 4);
	n += 4;
	badlen = 4;
	n += build_cc(stream + n, sizeof(stream) - n, "A", 1, 1, 1736936430, 0);
	lemf_rx_init(&rx, HI2_MAX_PDU, &st);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(lemf_rx_feed(&rx, stream + i, 1, &sink_ops, &s), LEMF_RX_OK);
	assert_int_equal(s.pdus, 3);
	assert_int_equal(s.kinds[0], HI2_KIND_CC);
	assert_int_equal(s.kinds[1], HI2_KIND_IRI);
	assert_int_equal(s.kinds[2], HI2_KIND_CC);
	assert_int_equal(s.seqs[2], 1);
	assert_int_equal(s.bad, 1);
	assert_int_equal(s.last_bad_len, badlen);
	assert_int_equal(st.bytes, n);
	assert_int_equal(st.pdus[HI2_KIND_CC], 2);
	assert_int_equal(st.pdus[HI2_KIND_IRI], 1);
	assert_int_equal(st.refused[HI2_E_TAG] + st.refused[HI2_E_BER], 1);
	assert_int_equal(lemf_rx_buffered(&rx), 0);
	lemf_rx_cleanup(&rx);
}

static void
test_rx_bombs(void **state)
{
	static uint8_t stream[16384];
	struct lemf_rx_stats st;
	struct lemf_rx rx;
	struct sink s;
	size_t n = 0;

	memset(&st, 0, sizeof(st));
	memset(&s, 0, sizeof(s));
	/* 60 levels deep (cap 24), then a good PDU: refused, counted, the good one delivered. */
	n += build_bomb(stream, sizeof(stream), 60);
	/* A huge inner length inside a sane outer one: 30 06 04 84 ff ff ff ff */
	memcpy(stream + n, "\x30\x06\x04\x84\xff\xff\xff\xff", 8);
	n += 8;
	/* Indefinite inner length: refused by design. */
	memcpy(stream + n, "\x30\x04\x30\x80\x00\x00", 6);
	n += 6;
	n += build_cc(stream + n, sizeof(stream) - n, "B", 9, 3, 1736936430, 0);
	lemf_rx_init(&rx, HI2_MAX_PDU, &st);
	assert_int_equal(lemf_rx_feed(&rx, stream, n, &sink_ops, &s), LEMF_RX_OK);
	assert_int_equal(s.bad, 3);
	assert_int_equal(s.pdus, 1);
	assert_int_equal(s.seqs[0], 3);
	assert_int_equal(st.refused[HI2_E_BER], 3);
	assert_int_equal(st.ber[BER_E_TOO_DEEP], 1);
	assert_int_equal(st.ber[BER_E_TRUNCATED], 1);
	assert_int_equal(st.ber[BER_E_INDEFINITE], 1);
	lemf_rx_cleanup(&rx);
}

static void
test_rx_framing(void **state)
{
	static uint8_t stream[4096];
	struct lemf_rx_stats st;
	struct lemf_rx rx;
	struct sink s;
	size_t n;

	/* Garbage after a good PDU: the PDU is delivered, then the stream stops. */
	memset(&st, 0, sizeof(st));
	memset(&s, 0, sizeof(s));
	n = build_cc(stream, sizeof(stream), "C", 1, 0, 1736936430, 0);
	memcpy(stream + n, "GET / HTTP/1.1\r\n", 16);
	n += 16;
	n += build_cc(stream + n, sizeof(stream) - n, "C", 1, 1, 1736936430, 0);
	lemf_rx_init(&rx, HI2_MAX_PDU, &st);
	assert_int_equal(lemf_rx_feed(&rx, stream, n, &sink_ops, &s), LEMF_RX_FRAMING);
	assert_int_equal(s.pdus, 1);
	assert_int_equal(rx.err, HI2_E_FRAMING);
	assert_int_equal(st.refused[HI2_E_FRAMING], 1);
	/* A dead stream stays dead. */
	assert_int_equal(lemf_rx_feed(&rx, stream, 10, &sink_ops, &s), LEMF_RX_FRAMING);
	assert_int_equal(s.pdus, 1);
	lemf_rx_cleanup(&rx);

	/* An outer length over max_pdu: refused as soon as the header is in. */
	memset(&st, 0, sizeof(st));
	memset(&s, 0, sizeof(s));
	lemf_rx_init(&rx, 4096, &st);
	assert_int_equal(lemf_rx_feed(&rx, (const uint8_t *)"\x30\x83\x10\x00", 4, &sink_ops,
				      &s), LEMF_RX_OK);	/* header incomplete */
	assert_int_equal(lemf_rx_feed(&rx, (const uint8_t *)"\x00", 1, &sink_ops, &s),
			 LEMF_RX_FRAMING);
	assert_int_equal(rx.err, HI2_E_TOO_BIG);
	assert_int_equal(st.refused[HI2_E_TOO_BIG], 1);
	lemf_rx_cleanup(&rx);

	/* Five length octets: framing (BER_E_LEN_TOO_LONG) */
	memset(&s, 0, sizeof(s));
	lemf_rx_init(&rx, 4096, &st);
	assert_int_equal(lemf_rx_feed(&rx, (const uint8_t *)"\x30\x85\x00\x00\x00\x00\x10", 7,
				      &sink_ops, &s), LEMF_RX_FRAMING);
	assert_int_equal(rx.err, HI2_E_FRAMING);
	lemf_rx_cleanup(&rx);
}

static void
test_rx_stop_and_release(void **state)
{
	static uint8_t stream[300000];
	struct lemf_rx_stats st;
	struct lemf_rx rx;
	struct sink s;
	size_t n = 0;

	memset(&st, 0, sizeof(st));
	memset(&s, 0, sizeof(s));
	for (uint32_t i = 0; i < 5; i++)
		n += build_cc(stream + n, sizeof(stream) - n, "D", 1, i, 1736936430, 0);
	s.stop_after = 2;
	lemf_rx_init(&rx, HI2_MAX_PDU, &st);
	assert_int_equal(lemf_rx_feed(&rx, stream, n, &sink_ops, &s), LEMF_RX_STOP);
	assert_int_equal(s.pdus, 2);
	assert_int_equal(lemf_rx_feed(&rx, stream, n, &sink_ops, &s), LEMF_RX_STOP);
	assert_int_equal(s.pdus, 2);
	lemf_rx_cleanup(&rx);

	/* A 64 KiB packet grows the buffer past 64 KiB; once handled the memory is given back. */
	{
		static uint8_t big[65535];
		static const uint8_t corr[8] = {1};
		struct hi2_pshdr h;
		struct hi2_cc cc;
		struct ovt_builder b;
		struct hi2_diag d;
		memset(&h, 0, sizeof(h));
		h.liid.p = (const uint8_t *)"E";
		h.liid.len = 1;
		h.operator_id.p = (const uint8_t *)"o";
		h.operator_id.len = 1;
		h.ts_sec = 1736936430;
		memset(&cc, 0, sizeof(cc));
		cc.corr.p = corr;
		cc.corr.len = 8;
		cc.tpdu_dir = 1;
		big[0] = 0x60;
		cc.pkt.p = big;
		cc.pkt.len = 65535;
		bld_init_fixed(&b, stream, sizeof(stream));
		assert_int_equal(hi2_encode_cc(&b, &h, &cc, &d), HI2_OK);
		memset(&s, 0, sizeof(s));
		lemf_rx_init(&rx, HI2_MAX_PDU, &st);
		size_t maxcap = 0;
		for (size_t off = 0; off < bld_len(&b); off += 1000) {
			size_t k = bld_len(&b) - off < 1000 ? bld_len(&b) - off : 1000;
			assert_int_equal(lemf_rx_feed(&rx, stream + off, k, &sink_ops, &s),
					 LEMF_RX_OK);
			assert_true(rx.cap <= HI2_MAX_PDU);
			if (rx.cap > maxcap)
				maxcap = rx.cap;
		}
		assert_true(maxcap > LEMF_RX_KEEP_BUF);
		assert_int_equal(s.pdus, 1);
		assert_null(rx.buf);	/* released */
		lemf_rx_cleanup(&rx);
	}
}

/* ================================================================ configuration */

static void
test_config(void **state)
{
	static const char good[] =
		"output_dir: /var/lib/overt/lemf\n"
		"listen:\n"
		"  - {name: hi2, address: 127.0.0.1:19500}\n"
		"  - {name: hi3, address: '[::1]:19501'}\n"
		"tls: {cert: l.pem, key: l.key, ca: ca.pem, peers: [mdf, mdf-b]}\n"
		"storage: {fsync: false, commit_interval_ms: 200, commit_pdus: 500,"
		" rotate_size: 256MiB, rotate_interval_s: 3600}\n"
		"limits: {max_pdu: 64KiB, connections: 8, liids: 10, streams: 100}\n";
	static const char *const bad[] = {
		/* unknown key */
		"output_dir: /x\nlisten: [{name: a, address: 127.0.0.1:1}]\n"
		"tls: {cert: c, key: k, ca: a, peers: [m]}\nbogus: 1\n",
		/* no peers: no default identity */
		"output_dir: /x\nlisten: [{name: a, address: 127.0.0.1:1}]\n"
		"tls: {cert: c, key: k, ca: a}\n",
		/* no tls at all */
		"output_dir: /x\nlisten: [{name: a, address: 127.0.0.1:1}]\n",
		/* plaintext with a tls section */
		"output_dir: /x\nlisten: [{name: a, address: 127.0.0.1:1}]\ninsecure_plaintext: true\n"
		"tls: {cert: c, key: k, ca: a, peers: [m]}\n",
		/* duplicate listener name */
		"output_dir: /x\nlisten: [{name: a, address: 127.0.0.1:1}, {name: a, address: "
		"127.0.0.1:2}]\ntls: {cert: c, key: k, ca: a, peers: [m]}\n",
		/* bad listener name */
		"output_dir: /x\nlisten: [{name: 'A B', address: 127.0.0.1:1}]\n"
		"tls: {cert: c, key: k, ca: a, peers: [m]}\n",
		/* no listener */
		"output_dir: /x\ntls: {cert: c, key: k, ca: a, peers: [m]}\n",
		/* no output_dir */
		"listen: [{name: a, address: 127.0.0.1:1}]\ntls: {cert: c, key: k, ca: a, peers: [m]}\n",
		/* parts so small they would only multiply files */
		"output_dir: /x\nlisten: [{name: a, address: 127.0.0.1:1}]\n"
		"tls: {cert: c, key: k, ca: a, peers: [m]}\nstorage: {rotate_size: 1000}\n",
		/* a rotation interval beyond a month */
		"output_dir: /x\nlisten: [{name: a, address: 127.0.0.1:1}]\n"
		"tls: {cert: c, key: k, ca: a, peers: [m]}\nstorage: {rotate_interval_s: 9999999}\n",
		/* max_pdu above what a PS-PDU may be */
		"output_dir: /x\nlisten: [{name: a, address: 127.0.0.1:1}]\n"
		"tls: {cert: c, key: k, ca: a, peers: [m]}\nlimits: {max_pdu: 1MiB}\n",
	};
	struct lemf_config c;
	char err[256];

	assert_int_equal(lemf_config_parse(good, strlen(good), &c, err, sizeof(err)), 0);
	assert_string_equal(c.dir, "/var/lib/overt/lemf");
	assert_int_equal(c.nlisten, 2);
	assert_string_equal(c.listen[1].name, "hi3");
	assert_string_equal(c.listen[1].host, "::1");
	assert_int_equal(c.listen[1].port, 19501);
	assert_int_equal(c.npeers, 2);
	assert_string_equal(c.peers[1], "mdf-b");
	assert_int_equal(c.fsync, 0);
	assert_int_equal(c.commit_ms, 200);
	assert_int_equal(c.max_pdu, 65536);
	assert_int_equal(c.max_streams, 100);
	assert_int_equal(c.max_ranges, 1000000);	/* default kept */
	assert_int_equal(c.rotate_bytes, 256ULL << 20);
	assert_int_equal(c.rotate_secs, 3600);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (lemf_config_parse(bad[i], strlen(bad[i]), &c, err, sizeof(err)) != -1)
			fail_msg("bad config %zu accepted", i);
		assert_true(err[0] != '\0');
	}
	/* plaintext, explicitly */
	{
		static const char pt[] = "output_dir: /x\nlisten: [{name: a, address: 127.0.0.1:0}]\n"
					 "insecure_plaintext: true\n";
		assert_int_equal(lemf_config_parse(pt, strlen(pt), &c, err, sizeof(err)), 0);
		assert_int_equal(c.insecure_plaintext, 1);
		assert_int_equal(c.fsync, 1);
		assert_int_equal(c.rotate_bytes, 1ULL << 30);	/* 1 GiB parts by default */
		assert_int_equal(c.rotate_secs, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_in_order),
		cmocka_unit_test(test_seq_merges),
		cmocka_unit_test(test_seq_random_model),
		cmocka_unit_test(test_seq_cap_and_edges),
		cmocka_unit_test(test_seq_encode_decode),
		cmocka_unit_test(test_seq_union_disjoint),
		cmocka_unit_test(test_pcap_headers),
		cmocka_unit_test(test_cc_direction),
		cmocka_unit_test(test_cc_time_choice),
		cmocka_unit_test(test_iri_json),
		cmocka_unit_test(test_json_escape_and_time),
		cmocka_unit_test(test_rx_bytewise_and_bad),
		cmocka_unit_test(test_rx_bombs),
		cmocka_unit_test(test_rx_framing),
		cmocka_unit_test(test_rx_stop_and_release),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
