/*
 * X2/X3 codec and framer tests: round trips, one test per malformation (each refused with its
 * own reason), the reference captures in shared/reference/x2x3 (PDUs built by an independent
 * Python encoder and one from a third-party implementation) accepted, bad.pcap refused, and the
 * framer fed byte by byte and in odd chunks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/uuid.h"
#include "x2x3/x2x3.h"

#define MAXPDU X2X3_MAX_PDU_DEFAULT

static const char *xid_txt = "29f28e1c-f230-486a-a860-f5a784ab9172";

/* A PDU with every interpreted attribute. */
static void
full_pdu(struct x2x3_pdu *p, uint16_t type, uint16_t fmt, const char *payload)
{
	x2x3_pdu_init(p);
	p->type = type;
	p->format = fmt;
	p->direction = X2X3_DIR_FROM_TARGET;
	assert_int_equal(uuid_parse(xid_txt, p->xid), 0);
	p->correlation_id = 0x0102030405060708ull;
	p->present = X2X3_HAS(X2X3_ATTR_DID) | X2X3_HAS(X2X3_ATTR_NFID) | X2X3_HAS(X2X3_ATTR_IPID) |
		     X2X3_HAS(X2X3_ATTR_SEQ) | X2X3_HAS(X2X3_ATTR_TIMESTAMP) |
		     X2X3_HAS(X2X3_ATTR_SRC_IPV4) | X2X3_HAS(X2X3_ATTR_DST_IPV4) |
		     X2X3_HAS(X2X3_ATTR_SRC_IPV6) | X2X3_HAS(X2X3_ATTR_DST_IPV6) |
		     X2X3_HAS(X2X3_ATTR_SRC_PORT) | X2X3_HAS(X2X3_ATTR_DST_PORT) |
		     X2X3_HAS(X2X3_ATTR_IPPROTO) | X2X3_HAS(X2X3_ATTR_MTI) | X2X3_HAS(X2X3_ATTR_OTI);
	cur_init(&p->did, "\x01\x02\x03", 3);
	cur_init(&p->nfid, "sgw01", 5);
	cur_init(&p->ipid, "poi-s1u", 7);
	p->seq = 0x89abcdef;
	p->ts_sec = 1736936430;
	p->ts_nsec = 123456789;
	memcpy(p->src_ipv4, "\x0a\x00\x00\x01", 4);
	memcpy(p->dst_ipv4, "\x0a\x00\x00\x02", 4);
	memcpy(p->src_ipv6, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	memcpy(p->dst_ipv6, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
	p->src_port = 2152;
	p->dst_port = 40000;
	p->ipproto = 17;
	cur_init(&p->mti, "001010123456789", 15);
	cur_init(&p->oti, "447700900123", 12);
	cur_init(&p->payload, payload, strlen(payload));
}

static size_t
encode(const struct x2x3_pdu *p, uint8_t *buf, size_t cap)
{
	struct ovt_builder b;
	bld_init_fixed(&b, buf, cap);
	assert_int_equal(x2x3_pdu_encode(p, &b), X2X3_OK);
	assert_int_equal(bld_len(&b), x2x3_pdu_encoded_len(p));
	return bld_len(&b);
}

static enum x2x3_err
decode(const uint8_t *buf, size_t len, struct x2x3_pdu *out)
{
	struct ovt_cursor c;
	cur_init(&c, buf, len);
	return x2x3_pdu_decode(c, MAXPDU, out);
}

static void
assert_cur_eq(struct ovt_cursor a, struct ovt_cursor b)
{
	assert_int_equal(cur_len(&a), cur_len(&b));
	assert_memory_equal(cur_data(&a), cur_data(&b), cur_len(&a));
}

static void
test_roundtrip_all_attrs(void **state)
{
	const uint16_t cases[][2] = {{X2X3_TYPE_X2, X2X3_FMT_3GPP_33128},
				     {X2X3_TYPE_X2, X2X3_FMT_EPS_IRI},
				     {X2X3_TYPE_X3, X2X3_FMT_GTPU},
				     {X2X3_TYPE_X3, X2X3_FMT_IPV6}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct x2x3_pdu in, out;
		uint8_t buf[512];
		full_pdu(&in, cases[i][0], cases[i][1], "payload bytes");
		size_t n = encode(&in, buf, sizeof(buf));
		/* Header length = 40 + TLVs, payload length = payload (STANDARDS 1.1). */
		assert_int_equal(buf[4] << 24 | buf[5] << 16 | buf[6] << 8 | buf[7],
				 n - strlen("payload bytes"));
		assert_int_equal(buf[11], strlen("payload bytes"));
		assert_int_equal(buf[0] << 8 | buf[1], 0x0005);
		assert_int_equal(decode(buf, n, &out), X2X3_OK);
		assert_int_equal(out.version, 5);
		assert_int_equal(out.type, in.type);
		assert_int_equal(out.format, in.format);
		assert_int_equal(out.direction, in.direction);
		assert_memory_equal(out.xid, in.xid, 16);
		assert_true(out.correlation_id == in.correlation_id);
		assert_int_equal(out.present, in.present);
		assert_int_equal(out.seq, 0x89abcdef);
		assert_int_equal(out.ts_sec, in.ts_sec);
		assert_int_equal(out.ts_nsec, in.ts_nsec);
		assert_memory_equal(out.src_ipv4, in.src_ipv4, 4);
		assert_memory_equal(out.dst_ipv4, in.dst_ipv4, 4);
		assert_memory_equal(out.src_ipv6, in.src_ipv6, 16);
		assert_memory_equal(out.dst_ipv6, in.dst_ipv6, 16);
		assert_int_equal(out.src_port, 2152);
		assert_int_equal(out.dst_port, 40000);
		assert_int_equal(out.ipproto, 17);
		assert_cur_eq(out.did, in.did);
		assert_cur_eq(out.nfid, in.nfid);
		assert_cur_eq(out.ipid, in.ipid);
		assert_cur_eq(out.mti, in.mti);
		assert_cur_eq(out.oti, in.oti);
		assert_int_equal(out.oti_count, 1);
		assert_int_equal(out.skipped_attrs, 0);
		assert_cur_eq(out.payload, in.payload);
	}
}

static void
test_keepalive_roundtrip(void **state)
{
	struct x2x3_pdu ka, out;
	uint8_t buf[64];
	x2x3_pdu_keepalive(&ka, 0, 41, 0x0005);
	size_t n = encode(&ka, buf, sizeof(buf));
	assert_int_equal(n, X2X3_KEEPALIVE_LEN);
	/* OpenLI's acknowledgement bytes (STANDARDS 1.3) with type 3 instead of 4. */
	static const uint8_t want[X2X3_KEEPALIVE_LEN] = {
		0x00, 0x05, 0x00, 0x03, 0, 0, 0, 0x30, 0, 0, 0, 0, 0, 0, 0, 0,
		[40] = 0x00, 0x08, 0x00, 0x04, 0, 0, 0, 41};
	assert_memory_equal(buf, want, n);
	assert_int_equal(decode(buf, n, &out), X2X3_OK);
	assert_int_equal(out.type, X2X3_TYPE_KEEPALIVE);
	assert_int_equal(out.seq, 41);
	x2x3_pdu_keepalive(&ka, 1, 42, 0x0005);
	n = encode(&ka, buf, sizeof(buf));
	assert_int_equal(decode(buf, n, &out), X2X3_OK);
	assert_int_equal(out.type, X2X3_TYPE_KEEPALIVE_ACK);
	assert_int_equal(out.seq, 42);
}

/* ------------------------------------------------------------------ malformations */

/* A small valid X2 PDU with seq (8), ts (9) and mti (17) TLVs, built by hand. */
static size_t
base_pdu(uint8_t *buf)
{
	static const uint8_t b[] = {
		0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x4f, 0x00, 0x00, 0x00, 0x03,
		0x00, 0x02, 0x00, 0x03,
		0x29, 0xf2, 0x8e, 0x1c, 0xf2, 0x30, 0x48, 0x6a, 0xa8, 0x60, 0xf5, 0xa7, 0x84,
		0xab, 0x91, 0x72,
		1, 2, 3, 4, 5, 6, 7, 8,
		0x00, 0x08, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07,	/* 40: seq 7 */
		0x00, 0x09, 0x00, 0x08, 0x67, 0x87, 0x8b, 0xee, 0x07, 0x5b, 0xcd, 0x15, /* 48: ts */
		0x00, 0x11, 0x00, 0x0f, '0', '0', '1', '0', '1', '0', '1', '2', '3', '4', '5',
		'6', '7', '8', '9',					/* 60: mti */
		0xaa, 0xbb, 0xcc};					/* 79: payload */
	memcpy(buf, b, sizeof(b));
	return sizeof(b);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
test_base_is_valid(void **state)
{
	uint8_t buf[256];
	struct x2x3_pdu p;
	size_t n = base_pdu(buf);
	assert_int_equal(decode(buf, n, &p), X2X3_OK);
	assert_int_equal(p.seq, 7);
	assert_int_equal(p.ts_sec, 1736936430);
	assert_int_equal(p.ts_nsec, 123456789);
	assert_int_equal(cur_len(&p.payload), 3);
	/* The version field is never a reason to refuse (STANDARDS 1.6). */
	put16(buf, 0x0500);
	assert_int_equal(decode(buf, n, &p), X2X3_OK);
	assert_int_equal(p.version, 0x0500);
	put16(buf, 0x0001);
	assert_int_equal(decode(buf, n, &p), X2X3_OK);
}

static void
test_length_errors(void **state)
{
	uint8_t buf[256];
	struct x2x3_pdu p;
	size_t n = base_pdu(buf);

	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(decode(buf, cut, &p), X2X3_E_SHORT);
	assert_int_equal(decode(buf, n + 1, &p), X2X3_E_TRAILING);
	n = base_pdu(buf);
	put32(buf + 4, 39);
	assert_int_equal(decode(buf, n, &p), X2X3_E_HDR_LEN);
	n = base_pdu(buf);
	put32(buf + 8, 0xffffffff);	/* 79 + 4 GiB: no overflow, refused as too big */
	assert_int_equal(decode(buf, n, &p), X2X3_E_TOO_BIG);
	n = base_pdu(buf);
	struct ovt_cursor c;
	cur_init(&c, buf, n);
	assert_int_equal(x2x3_pdu_decode(c, n - 1, &p), X2X3_E_TOO_BIG);
	assert_int_equal(x2x3_pdu_decode(c, n, &p), X2X3_OK);
	/* Header length one short of the TLVs: the mti TLV overruns it. */
	n = base_pdu(buf);
	put32(buf + 4, 0x4e);
	put32(buf + 8, 4);
	assert_int_equal(decode(buf, n, &p), X2X3_E_TLV_OVERRUN);
	/* Two stray octets after the last TLV. */
	n = base_pdu(buf);
	put32(buf + 4, 0x4f + 2);
	put32(buf + 8, 1);
	assert_int_equal(decode(buf, n, &p), X2X3_E_TLV_TRUNC);
}

static void
test_header_field_errors(void **state)
{
	uint8_t buf[256];
	struct x2x3_pdu p;
	size_t n = base_pdu(buf);
	const uint16_t bad_types[] = {0, 5, 0xffff};
	for (size_t i = 0; i < 3; i++) {
		base_pdu(buf);
		put16(buf + 2, bad_types[i]);
		assert_int_equal(decode(buf, n, &p), X2X3_E_TYPE);
	}
	/* X2 may not carry GTP-U (12) or Ethernet (7); X3 may not carry SIP (9) or
	 * EpsIRIContent (14); 0 and 17+ are not formats at all (STANDARDS 1.1 table). */
	const uint16_t fmt_cases[][2] = {{1, 12}, {1, 7}, {1, 8}, {1, 13}, {1, 16}, {2, 9},
					 {2, 10}, {2, 11}, {2, 14}, {1, 0}, {2, 0}, {1, 17},
					 {2, 0xffff}};
	for (size_t i = 0; i < sizeof(fmt_cases) / sizeof(fmt_cases[0]); i++) {
		base_pdu(buf);
		put16(buf + 2, fmt_cases[i][0]);
		put16(buf + 12, fmt_cases[i][1]);
		assert_int_equal(decode(buf, n, &p), X2X3_E_FORMAT);
	}
	const uint16_t ok_cases[][2] = {{1, 9}, {1, 14}, {2, 12}, {2, 5}, {2, 6}, {2, 16}};
	for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		base_pdu(buf);
		put16(buf + 2, ok_cases[i][0]);
		put16(buf + 12, ok_cases[i][1]);
		assert_int_equal(decode(buf, n, &p), X2X3_OK);
	}
	const uint16_t bad_dirs[] = {0, 6, 0xffff};
	for (size_t i = 0; i < 3; i++) {
		base_pdu(buf);
		put16(buf + 14, bad_dirs[i]);
		assert_int_equal(decode(buf, n, &p), X2X3_E_DIRECTION);
	}
}

static void
test_attribute_errors(void **state)
{
	uint8_t buf[256];
	struct x2x3_pdu p;
	size_t n = base_pdu(buf);

	/* Wrong fixed lengths: rewrite the seq TLV (offset 40) as another type of length 4. */
	const uint16_t four_is_wrong[] = {X2X3_ATTR_TIMESTAMP, X2X3_ATTR_SRC_IPV6,
					  X2X3_ATTR_DST_IPV6,  X2X3_ATTR_SRC_PORT,
					  X2X3_ATTR_DST_PORT,  X2X3_ATTR_IPPROTO};
	for (size_t i = 0; i < sizeof(four_is_wrong) / sizeof(four_is_wrong[0]); i++) {
		base_pdu(buf);
		put16(buf + 40, four_is_wrong[i]);
		assert_int_equal(decode(buf, n, &p), X2X3_E_ATTR_LEN);
	}
	/* Timestamp TLV (offset 48, length 8) relabelled as an 8-octet IPv4 address. */
	base_pdu(buf);
	put16(buf + 48, X2X3_ATTR_SRC_IPV4);
	assert_int_equal(decode(buf, n, &p), X2X3_E_ATTR_LEN);
	/* Nanoseconds must be below 1e9. */
	base_pdu(buf);
	put32(buf + 56, 1000000000);
	assert_int_equal(decode(buf, n, &p), X2X3_E_ATTR_VALUE);
	/* Duplicate single-valued attribute: relabel seq and mti as two NFIDs. */
	base_pdu(buf);
	put16(buf + 40, X2X3_ATTR_NFID);	/* seq -> nfid "\0\0\0\7" (strings: any length) */
	assert_int_equal(decode(buf, n, &p), X2X3_OK);
	put16(buf + 60, X2X3_ATTR_NFID);	/* mti -> a second nfid */
	assert_int_equal(decode(buf, n, &p), X2X3_E_ATTR_DUP);
	/* Other Target Identifier may repeat: first kept, all counted. */
	base_pdu(buf);
	put16(buf + 40, X2X3_ATTR_OTI);
	put16(buf + 60, X2X3_ATTR_OTI);
	assert_int_equal(decode(buf, n, &p), X2X3_OK);
	assert_int_equal(p.oti_count, 2);
	assert_int_equal(cur_len(&p.oti), 4);
	/* Types this codec does not interpret are skipped and counted, whatever their length. */
	base_pdu(buf);
	put16(buf + 40, 1);
	put16(buf + 48, 22);
	put16(buf + 60, 0xffff);
	assert_int_equal(decode(buf, n, &p), X2X3_OK);
	assert_int_equal(p.skipped_attrs, 3);
	assert_int_equal(p.present, 0);
	/* An empty string attribute is refused: seq becomes an empty mti followed by an
	 * empty TLV of (skipped) type 0. */
	base_pdu(buf);
	put16(buf + 40, X2X3_ATTR_MTI);
	put16(buf + 42, 0);
	put16(buf + 44, 0);
	put16(buf + 46, 0);
	assert_int_equal(decode(buf, n, &p), X2X3_E_ATTR_LEN);
	put16(buf + 40, 2);		/* the same layout with an opaque type is fine */
	assert_int_equal(decode(buf, n, &p), X2X3_OK);
}

static void
test_too_many_attrs(void **state)
{
	uint8_t buf[40 + 4 * (X2X3_MAX_ATTRS + 1)];
	struct x2x3_pdu p;
	base_pdu(buf);
	memset(buf + 40, 0, sizeof(buf) - 40);
	/* X2X3_MAX_ATTRS empty TLVs of an uninterpreted type (1) are accepted, one more is not. */
	for (size_t i = 0; i <= X2X3_MAX_ATTRS; i++)
		put16(buf + 40 + 4 * i, 1);
	put32(buf + 8, 0);
	put32(buf + 4, 40 + 4 * X2X3_MAX_ATTRS);
	assert_int_equal(decode(buf, 40 + 4 * X2X3_MAX_ATTRS, &p), X2X3_OK);
	assert_int_equal(p.skipped_attrs, X2X3_MAX_ATTRS);
	put32(buf + 4, 40 + 4 * (X2X3_MAX_ATTRS + 1));
	assert_int_equal(decode(buf, sizeof(buf), &p), X2X3_E_TOO_MANY_ATTRS);
}

static void
test_keepalive_shape(void **state)
{
	uint8_t buf[64], ok[64];
	struct x2x3_pdu ka, p;
	struct ovt_builder b;
	x2x3_pdu_keepalive(&ka, 0, 9, 5);
	size_t n = encode(&ka, ok, sizeof(ok));

	memcpy(buf, ok, n);
	put16(buf + 12, 1);		/* format must be 0 */
	assert_int_equal(decode(buf, n, &p), X2X3_E_KEEPALIVE);
	memcpy(buf, ok, n);
	put16(buf + 14, 1);		/* direction must be 0 */
	assert_int_equal(decode(buf, n, &p), X2X3_E_KEEPALIVE);
	memcpy(buf, ok, n);
	buf[20] = 1;			/* XID must be nil */
	assert_int_equal(decode(buf, n, &p), X2X3_E_KEEPALIVE);
	memcpy(buf, ok, n);
	buf[39] = 1;			/* correlation ID must be 0 */
	assert_int_equal(decode(buf, n, &p), X2X3_E_KEEPALIVE);
	memcpy(buf, ok, n);
	put16(buf + 40, 1);		/* no sequence number */
	assert_int_equal(decode(buf, n, &p), X2X3_E_KEEPALIVE);
	memcpy(buf, ok, n);
	buf[n] = 0;
	put32(buf + 8, 1);		/* payload must be empty */
	assert_int_equal(decode(buf, n + 1, &p), X2X3_E_KEEPALIVE);
	/* The encoder refuses the same shapes. */
	ka.format = 5;
	bld_init_fixed(&b, buf, sizeof(buf));
	assert_int_equal(x2x3_pdu_encode(&ka, &b), X2X3_E_KEEPALIVE);
	assert_int_equal(bld_len(&b), 0);
}

static void
test_encode_refusals(void **state)
{
	struct x2x3_pdu p;
	uint8_t buf[512];
	struct ovt_builder b;

	full_pdu(&p, X2X3_TYPE_X2, X2X3_FMT_GTPU, "x");
	bld_init_fixed(&b, buf, sizeof(buf));
	assert_int_equal(x2x3_pdu_encode(&p, &b), X2X3_E_FORMAT);
	assert_int_equal(bld_len(&b), 0);
	full_pdu(&p, X2X3_TYPE_X3, X2X3_FMT_GTPU, "x");
	p.direction = 0;
	assert_int_equal(x2x3_pdu_check(&p), X2X3_E_DIRECTION);
	full_pdu(&p, X2X3_TYPE_X3, X2X3_FMT_GTPU, "x");
	p.ts_nsec = 1000000000;
	assert_int_equal(x2x3_pdu_check(&p), X2X3_E_ATTR_VALUE);
	full_pdu(&p, X2X3_TYPE_X3, X2X3_FMT_GTPU, "x");
	cur_init(&p.nfid, "", 0);
	assert_int_equal(x2x3_pdu_check(&p), X2X3_E_ATTR_LEN);
	full_pdu(&p, X2X3_TYPE_X3, X2X3_FMT_GTPU, "x");
	p.present |= 1u << 30;	/* a flag for no attribute */
	assert_int_equal(x2x3_pdu_check(&p), X2X3_E_ENCODE);
	/* Builder too small: X2X3_E_ENCODE, and the error is sticky in the builder. */
	full_pdu(&p, X2X3_TYPE_X3, X2X3_FMT_GTPU, "x");
	bld_init_fixed(&b, buf, x2x3_pdu_encoded_len(&p) - 1);
	assert_int_equal(x2x3_pdu_encode(&p, &b), X2X3_E_ENCODE);
	assert_false(bld_ok(&b));
}

/* ------------------------------------------------------------------ reference captures */

/* TCP payloads of an Ethernet/IPv4 pcap, through cursors. */
static size_t
pcap_payloads(const char *file, uint8_t bufs[][2048], size_t lens[], size_t max)
{
	char path[1024], errbuf[PCAP_ERRBUF_SIZE];
	const char *shared = getenv("OVERT_SHARED");
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/reference/x2x3/%s", shared ? shared : "/work/shared",
		 file);
	pcap_t *pc = pcap_open_offline(path, errbuf);
	assert_non_null(pc);
	assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
	while (pcap_next_ex(pc, &h, &data) == 1 && n < max) {
		struct ovt_cursor c, ip = { 0 }, tcp = { 0 };
		uint16_t ethertype = 0, totlen = 0;
		uint8_t vihl = 0, proto = 0, off = 0;
		cur_init(&c, data, h->caplen);
		assert_true(cur_skip(&c, 12) && cur_get_u16(&c, &ethertype));
		assert_int_equal(ethertype, 0x0800);
		assert_true(cur_peek_u8(&c, &vihl));
		assert_true(cur_get_sub(&c, &ip, cur_len(&c)));
		assert_true(cur_skip(&ip, 2) && cur_get_u16(&ip, &totlen) && cur_skip(&ip, 5) &&
			    cur_get_u8(&ip, &proto) && cur_skip(&ip, (size_t)(vihl & 15) * 4 - 10));
		if (proto != 6)
			continue;
		assert_true(cur_get_sub(&ip, &tcp, totlen - (size_t)(vihl & 15) * 4));
		assert_true(cur_skip(&tcp, 12) && cur_peek_u8(&tcp, &off) &&
			    cur_skip(&tcp, (size_t)(off >> 4) * 4 - 12));
		if (cur_len(&tcp) == 0)
			continue;
		assert_true(cur_len(&tcp) <= 2048);
		lens[n] = cur_len(&tcp);
		assert_true(cur_copy(&tcp, bufs[n], lens[n]));
		n++;
	}
	pcap_close(pc);
	return n;
}

static void
test_reference_single(void **state)
{
	static uint8_t bufs[4][2048];
	size_t lens[4];
	struct x2x3_pdu p;
	uint8_t xid[16];
	assert_int_equal(pcap_payloads("x2_single.pcap", bufs, lens, 4), 1);
	assert_int_equal(decode(bufs[0], lens[0], &p), X2X3_OK);
	assert_int_equal(uuid_parse(xid_txt, xid), 0);
	/* Values from STANDARDS 1.7, as tshark shows them. */
	assert_int_equal(p.type, X2X3_TYPE_X2);
	assert_int_equal(p.format, X2X3_FMT_3GPP_33128);
	assert_int_equal(p.direction, X2X3_DIR_FROM_TARGET);
	assert_memory_equal(p.xid, xid, 16);
	assert_true(p.correlation_id == 0x0102030405060708ull);
	assert_int_equal(p.seq, 7);
	assert_int_equal(p.ts_sec, 1736936430);
	assert_int_equal(p.ts_nsec, 123456789);
	assert_int_equal(cur_len(&p.nfid), 5);
	assert_memory_equal(cur_data(&p.nfid), "mme01", 5);
	assert_memory_equal(cur_data(&p.ipid), "poi-s11", 7);
	assert_memory_equal(p.src_ipv4, "\x0a\x00\x00\x01", 4);
	assert_int_equal(p.dst_port, 2123);
	assert_int_equal(p.ipproto, 17);
	assert_memory_equal(cur_data(&p.mti), "001010123456789", 15);
	assert_int_equal(cur_len(&p.payload), 67);

	/* Re-encoding what we decoded gives a PDU that decodes to the same values. */
	uint8_t again[512];
	struct x2x3_pdu q;
	size_t n = encode(&p, again, sizeof(again));
	assert_int_equal(n, lens[0]);
	assert_int_equal(decode(again, n, &q), X2X3_OK);
	assert_int_equal(q.present, p.present);
	assert_cur_eq(q.payload, p.payload);
}

static void
test_reference_mixed_and_thirdparty(void **state)
{
	static uint8_t bufs[8][2048];
	size_t lens[8];
	struct x2x3_pdu p;
	const uint16_t types[] = {1, 2, 2, 3, 4}, fmts[] = {2, 12, 5, 0, 0};
	assert_int_equal(pcap_payloads("x2x3_mixed.pcap", bufs, lens, 8), 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(decode(bufs[i], lens[i], &p), X2X3_OK);
		assert_int_equal(p.type, types[i]);
		assert_int_equal(p.format, fmts[i]);
	}
	assert_int_equal(pcap_payloads("third-party-sipgate-x2-demo-01.pcap", bufs, lens, 8), 1);
	assert_int_equal(decode(bufs[0], lens[0], &p), X2X3_OK);
	assert_int_equal(p.type, X2X3_TYPE_X2);
	assert_int_equal(p.format, X2X3_FMT_SIP);
	assert_int_equal(cur_len(&p.mti), 37);
	assert_int_equal(cur_len(&p.payload), 539);
}

static void
test_reference_bad(void **state)
{
	static uint8_t bufs[4][2048];
	size_t lens[4];
	struct x2x3_pdu p;
	assert_int_equal(pcap_payloads("bad.pcap", bufs, lens, 4), 2);
	/* Frame 1: sequence number TLV of length 9 in an 8-octet attribute area. */
	assert_int_equal(decode(bufs[0], lens[0], &p), X2X3_E_TLV_OVERRUN);
	/* Frame 2: header length 45 cuts the 8-octet TLV; the segment also holds 3 octets more
	 * than header + payload length, so as a whole it has trailing bytes, and the PDU the
	 * framer would cut from a stream has an overrunning TLV. */
	assert_int_equal(decode(bufs[1], lens[1], &p), X2X3_E_TRAILING);
	assert_int_equal(decode(bufs[1], 45 + 67, &p), X2X3_E_TLV_OVERRUN);
}

/* ------------------------------------------------------------------ framer */

static size_t
stream3(uint8_t *buf, size_t cap, size_t *ends)
{
	struct x2x3_pdu p;
	size_t n = 0;
	full_pdu(&p, X2X3_TYPE_X2, X2X3_FMT_3GPP_33128, "first");
	n += encode(&p, buf + n, cap - n);
	ends[0] = n;
	x2x3_pdu_keepalive(&p, 0, 3, 5);
	n += encode(&p, buf + n, cap - n);
	ends[1] = n;
	full_pdu(&p, X2X3_TYPE_X3, X2X3_FMT_GTPU, "a rather longer third payload");
	n += encode(&p, buf + n, cap - n);
	ends[2] = n;
	return n;
}

static void
feed_in_chunks(size_t chunk)
{
	uint8_t s[1024];
	size_t ends[3], total = stream3(s, sizeof(s), ends), fed = 0, got = 0;
	struct x2x3_framer f;
	enum x2x3_err e;
	assert_int_equal(x2x3_framer_init(&f, 1024), X2X3_OK);
	while (fed < total) {
		uint8_t *p;
		size_t room, k;
		struct ovt_cursor pdu;
		int r;
		x2x3_framer_space(&f, &p, &room);
		assert_true(room >= 1);
		k = total - fed < chunk ? total - fed : chunk;
		k = k < room ? k : room;
		memcpy(p, s + fed, k);
		x2x3_framer_commit(&f, k);
		fed += k;
		while ((r = x2x3_framer_next(&f, &pdu, &e)) == 1) {
			size_t start = got ? ends[got - 1] : 0;
			assert_true(got < 3);
			assert_int_equal(cur_len(&pdu), ends[got] - start);
			assert_memory_equal(cur_data(&pdu), s + start, cur_len(&pdu));
			got++;
		}
		assert_int_equal(r, 0);
		assert_true(f.cap <= 1024);
	}
	assert_int_equal(got, 3);
	assert_int_equal(x2x3_framer_buffered(&f), 0);
	x2x3_framer_cleanup(&f);
}

static void
test_framer_chunks(void **state)
{
	const size_t sizes[] = {1, 2, 3, 7, 12, 13, 40, 100, 1000};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		feed_in_chunks(sizes[i]);
}

static void
test_framer_errors(void **state)
{
	struct x2x3_framer f;
	uint8_t *p;
	size_t room;
	struct ovt_cursor pdu;
	enum x2x3_err e;
	uint8_t hdr[12] = {0, 5, 0, 1, 0, 0, 0, 40, 0, 0, 0, 0};

	assert_int_equal(x2x3_framer_init(&f, 10), X2X3_E_CONFIG);
	/* A PDU announcing more than max_pdu is refused after its 12th octet, before any
	 * memory is spent on it. */
	assert_int_equal(x2x3_framer_init(&f, 4096), X2X3_OK);
	put32(hdr + 8, 4096 - 40 + 1);
	x2x3_framer_space(&f, &p, &room);
	memcpy(p, hdr, 11);
	x2x3_framer_commit(&f, 11);
	assert_int_equal(x2x3_framer_next(&f, &pdu, &e), 0);
	x2x3_framer_space(&f, &p, &room);
	memcpy(p, hdr + 11, 1);
	x2x3_framer_commit(&f, 1);
	assert_int_equal(x2x3_framer_next(&f, &pdu, &e), -1);
	assert_int_equal(e, X2X3_E_TOO_BIG);
	assert_true(f.cap <= X2X3_FRAMER_INITIAL);
	/* The error is sticky: no more space, same answer. */
	x2x3_framer_space(&f, &p, &room);
	assert_int_equal(room, 0);
	assert_int_equal(x2x3_framer_next(&f, &pdu, &e), -1);
	x2x3_framer_cleanup(&f);

	assert_int_equal(x2x3_framer_init(&f, 4096), X2X3_OK);
	put32(hdr + 4, 12);
	x2x3_framer_space(&f, &p, &room);
	memcpy(p, hdr, 12);
	x2x3_framer_commit(&f, 12);
	assert_int_equal(x2x3_framer_next(&f, &pdu, &e), -1);
	assert_int_equal(e, X2X3_E_HDR_LEN);
	x2x3_framer_cleanup(&f);
}

static void
test_framer_grows_to_max(void **state)
{
	/* A PDU larger than the initial buffer makes it grow exactly to the PDU's size. */
	static uint8_t big[X2X3_FRAMER_INITIAL * 3];
	struct x2x3_pdu p;
	struct x2x3_framer f;
	struct ovt_cursor pdu;
	enum x2x3_err e;
	size_t n, fed = 0;
	int r = 0;
	x2x3_pdu_init(&p);
	p.type = X2X3_TYPE_X3;
	p.format = X2X3_FMT_IPV4;
	p.direction = X2X3_DIR_TO_TARGET;
	cur_init(&p.payload, big, sizeof(big) - 100);
	uint8_t *enc = malloc(sizeof(big));
	assert_non_null(enc);
	n = encode(&p, enc, sizeof(big));
	assert_int_equal(x2x3_framer_init(&f, sizeof(big)), X2X3_OK);
	while (fed < n) {
		uint8_t *sp;
		size_t room;
		x2x3_framer_space(&f, &sp, &room);
		size_t k = n - fed < room ? n - fed : room;
		memcpy(sp, enc + fed, k);
		x2x3_framer_commit(&f, k);
		fed += k;
		r = x2x3_framer_next(&f, &pdu, &e);
		assert_int_not_equal(r, -1);
	}
	assert_int_equal(r, 1);
	assert_int_equal(cur_len(&pdu), n);
	assert_int_equal(f.cap, n);
	x2x3_framer_cleanup(&f);
	free(enc);
}

static void
test_strerror(void **state)
{
	for (int e = 0; e < X2X3_E_COUNT; e++) {
		assert_non_null(x2x3_strerror((enum x2x3_err)e));
		assert_true(strlen(x2x3_errname((enum x2x3_err)e)) > 0);
		for (int f = 0; f < e; f++)
			assert_string_not_equal(x2x3_errname((enum x2x3_err)e),
						x2x3_errname((enum x2x3_err)f));
	}
	assert_string_equal(x2x3_strerror(X2X3_E_COUNT), "unknown x2x3 error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_all_attrs),
		cmocka_unit_test(test_keepalive_roundtrip),
		cmocka_unit_test(test_base_is_valid),
		cmocka_unit_test(test_length_errors),
		cmocka_unit_test(test_header_field_errors),
		cmocka_unit_test(test_attribute_errors),
		cmocka_unit_test(test_too_many_attrs),
		cmocka_unit_test(test_keepalive_shape),
		cmocka_unit_test(test_encode_refusals),
		cmocka_unit_test(test_reference_single),
		cmocka_unit_test(test_reference_mixed_and_thirdparty),
		cmocka_unit_test(test_reference_bad),
		cmocka_unit_test(test_framer_chunks),
		cmocka_unit_test(test_framer_errors),
		cmocka_unit_test(test_framer_grows_to_max),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
