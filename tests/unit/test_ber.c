/*
 * Unit tests for the BER writer and strict reader (src/ber): identifier and length octets at
 * every boundary, hinted constructed elements, INTEGER/OID/time values against hand-computed
 * X.690 bytes, every refusal of the reader, and BER bombs against ber_validate().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ber/ber.h"

static void
assert_bytes(const struct ovt_builder *b, const uint8_t *want, size_t n)
{
	assert_true(bld_ok(b));
	assert_int_equal(bld_len(b), n);
	assert_memory_equal(bld_data(b), want, n);
}

static enum ber_err
hdr(const uint8_t *p, size_t n, uint32_t *tag, size_t *hl, size_t *len)
{
	struct ovt_cursor c;
	cur_init(&c, p, n);
	return ber_peek_hdr(&c, tag, hl, len);
}

static void
test_tags(void **state)
{
	static const struct {
		uint32_t tag;
		uint8_t enc[4];
		size_t n;
	} v[] = {
		{BER_CTX(5), {0x85}, 1},
		{BER_CTX_CONS(30), {0xbe}, 1},
		{BER_SEQUENCE, {0x30}, 1},
		{BER_CTX_CONS(31), {0xbf, 0x1f}, 2},		/* first high-form number */
		{BER_CTX_CONS(59), {0xbf, 0x3b}, 2},		/* logicalFunctionInformation */
		{BER_CTX(127), {0x9f, 0x7f}, 2},
		{BER_CTX(128), {0x9f, 0x81, 0x00}, 3},
		{BER_TAG(BER_APPLICATION, 16383), {0x5f, 0xff, 0x7f}, 3},
		{BER_TAG(BER_PRIVATE | BER_CONS, 16384), {0xff, 0x81, 0x80, 0x00}, 4},
		{BER_CTX(BER_MAX_TAG_NUM), {0x9f, 0xff, 0xff, 0x7f}, 4},
	};
	uint8_t buf[16], in[8];
	struct ovt_builder b;
	uint32_t tag;
	size_t hl, len;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bld_init_fixed(&b, buf, sizeof(buf));
		ber_put_tag(&b, v[i].tag);
		assert_bytes(&b, v[i].enc, v[i].n);
		/* and back, with a zero length after it */
		memcpy(in, v[i].enc, v[i].n);
		in[v[i].n] = 0;
		assert_int_equal(hdr(in, v[i].n + 1, &tag, &hl, &len), BER_OK);
		assert_int_equal(tag, v[i].tag);
		assert_int_equal(hl, v[i].n + 1);
		assert_int_equal(len, 0);
	}
	bld_init_fixed(&b, buf, sizeof(buf));
	ber_put_tag(&b, BER_CTX(BER_MAX_TAG_NUM + 1));
	assert_false(bld_ok(&b));

	static const uint8_t low_in_high[] = {0x9f, 0x1e, 0x00};	/* 30 in high form */
	static const uint8_t leading80[] = {0x9f, 0x80, 0x40, 0x00};	/* 8.1.2.4.2 c */
	static const uint8_t four[] = {0x9f, 0x81, 0x81, 0x81, 0x01, 0x00};
	static const uint8_t cut[] = {0x9f, 0x81};
	assert_int_equal(hdr(low_in_high, 3, &tag, &hl, &len), BER_E_TAG_FORM);
	assert_int_equal(hdr(leading80, 4, &tag, &hl, &len), BER_E_TAG_FORM);
	assert_int_equal(hdr(four, 6, &tag, &hl, &len), BER_E_TAG_TOO_BIG);
	assert_int_equal(hdr(cut, 2, &tag, &hl, &len), BER_E_TRUNCATED);
	assert_int_equal(hdr(cut, 0, &tag, &hl, &len), BER_E_TRUNCATED);
}

static void
test_lengths(void **state)
{
	static const struct {
		size_t len;
		uint8_t enc[5];
		size_t n;
	} v[] = {
		{0, {0x00}, 1},
		{127, {0x7f}, 1},
		{128, {0x81, 0x80}, 2},
		{255, {0x81, 0xff}, 2},
		{256, {0x82, 0x01, 0x00}, 3},
		{65535, {0x82, 0xff, 0xff}, 3},
		{65536, {0x83, 0x01, 0x00, 0x00}, 4},
		{0xffffff, {0x83, 0xff, 0xff, 0xff}, 4},
		{0x1000000, {0x84, 0x01, 0x00, 0x00, 0x00}, 5},
		{0xffffffff, {0x84, 0xff, 0xff, 0xff, 0xff}, 5},
	};
	uint8_t buf[8], in[8];
	struct ovt_builder b;
	uint32_t tag;
	size_t hl, len;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bld_init_fixed(&b, buf, sizeof(buf));
		ber_put_len(&b, v[i].len);
		assert_bytes(&b, v[i].enc, v[i].n);
		assert_int_equal(ber_len_size(v[i].len), v[i].n);
		in[0] = 0x04;
		memcpy(in + 1, v[i].enc, v[i].n);
		assert_int_equal(hdr(in, v[i].n + 1, &tag, &hl, &len), BER_OK);
		assert_int_equal(len, v[i].len);
		assert_int_equal(hl, v[i].n + 1);
	}
	bld_init_fixed(&b, buf, sizeof(buf));
	ber_put_len(&b, (size_t)0x100000000ull);
	assert_false(bld_ok(&b));
	assert_int_equal(ber_len_size((size_t)0x100000000ull), 0);

	static const uint8_t indef[] = {0x30, 0x80, 0x00, 0x00};
	static const uint8_t reserved[] = {0x04, 0xff};
	static const uint8_t five[] = {0x04, 0x85, 0, 0, 0, 0, 1};
	static const uint8_t shortlen[] = {0x04, 0x82, 0x01};
	static const uint8_t nonmin[] = {0x04, 0x82, 0x00, 0x01, 0xaa};	/* BER allows it */
	static const uint8_t eoc[] = {0x00, 0x00};
	assert_int_equal(hdr(indef, 4, &tag, &hl, &len), BER_E_INDEFINITE);
	assert_int_equal(hdr(reserved, 2, &tag, &hl, &len), BER_E_LEN_RESERVED);
	assert_int_equal(hdr(five, 7, &tag, &hl, &len), BER_E_LEN_TOO_LONG);
	assert_int_equal(hdr(shortlen, 3, &tag, &hl, &len), BER_E_TRUNCATED);
	assert_int_equal(hdr(eoc, 2, &tag, &hl, &len), BER_E_EOC);
	assert_int_equal(hdr(nonmin, 5, &tag, &hl, &len), BER_OK);
	assert_int_equal(len, 1);
}

/* Constructed elements: whatever the hint, the output equals tag + minimal length + content. */
static void
test_open_close_hints(void **state)
{
	static const size_t sizes[] = {0, 1, 127, 128, 255, 256, 1000, 65535, 65536, 70000};
	static const size_t hints[] = {0, 1, 100, 200, 300, 70000, 20000000, (size_t)0x200000000ull};
	uint8_t *content = malloc(70000), *want = malloc(70100), *buf = malloc(70100);
	struct ovt_builder b;
	struct ber_mark m;

	assert_non_null(content);
	assert_non_null(want);
	assert_non_null(buf);
	for (size_t i = 0; i < 70000; i++)
		content[i] = (uint8_t)(i * 7 + 1);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct ovt_builder w;
		bld_init_fixed(&w, want, 70100);
		ber_put_tag(&w, BER_CTX_CONS(36));
		ber_put_len(&w, sizes[s]);
		bld_add_bytes(&w, content, sizes[s]);
		assert_true(bld_ok(&w));
		for (size_t h = 0; h < sizeof(hints) / sizeof(hints[0]); h++) {
			bld_init_fixed(&b, buf, 70100);
			bld_add_u8(&b, 0xee);	/* something before: offsets are not 0 */
			ber_open(&b, BER_CTX_CONS(36), hints[h], &m);
			bld_add_bytes(&b, content, sizes[s]);
			ber_close(&b, &m);
			assert_true(bld_ok(&b));
			assert_int_equal(bld_len(&b), bld_len(&w) + 1);
			assert_int_equal(buf[0], 0xee);
			assert_memory_equal(buf + 1, want, bld_len(&w));

			/* A heap builder starting tiny must reach the same bytes through growth. */
			assert_true(bld_init(&b, 1, 1 << 20));
			ber_open(&b, BER_CTX_CONS(36), hints[h], &m);
			bld_add_bytes(&b, content, sizes[s]);
			ber_close(&b, &m);
			assert_true(bld_ok(&b));
			assert_int_equal(bld_len(&b), bld_len(&w));
			assert_memory_equal(bld_data(&b), want, bld_len(&w));
			bld_cleanup(&b);
		}
	}

	/* Nested, inner first, with deliberately bad hints at every level. */
	bld_init_fixed(&b, buf, 70100);
	struct ber_mark a, c;
	ber_open(&b, BER_SEQUENCE, 0, &a);
	ber_open(&b, BER_CTX_CONS(1), 5000, &c);
	ber_put_octets(&b, BER_CTX(2), content, 200);
	ber_close(&b, &c);
	ber_close(&b, &a);
	static const uint8_t head[] = {0x30, 0x81, 0xce, 0xa1, 0x81, 0xcb, 0x82, 0x81, 0xc8};
	assert_true(bld_ok(&b));
	assert_int_equal(bld_len(&b), sizeof(head) + 200);
	assert_memory_equal(buf, head, sizeof(head));
	assert_memory_equal(buf + sizeof(head), content, 200);

	/* Closing marks out of order is caught, not silently mis-encoded. */
	bld_init_fixed(&b, buf, 70100);
	ber_open(&b, BER_SEQUENCE, 0, &a);
	bld_reset(&b);
	ber_close(&b, &a);
	assert_false(bld_ok(&b));

	/* Growth that does not fit a fixed buffer sets the sticky error. */
	uint8_t small[130];
	bld_init_fixed(&b, small, sizeof(small));
	ber_open(&b, BER_SEQUENCE, 0, &a);
	bld_add_bytes(&b, content, 128);
	ber_close(&b, &a);
	assert_false(bld_ok(&b));
	free(content);
	free(want);
	free(buf);
}

static void
test_uint(void **state)
{
	static const struct {
		uint64_t v;
		uint8_t enc[9];
		size_t n;
	} v[] = {
		{0, {0x00}, 1},
		{1, {0x01}, 1},
		{127, {0x7f}, 1},
		{128, {0x00, 0x80}, 2},
		{255, {0x00, 0xff}, 2},
		{256, {0x01, 0x00}, 2},
		{32767, {0x7f, 0xff}, 2},
		{32768, {0x00, 0x80, 0x00}, 3},
		{123456, {0x01, 0xe2, 0x40}, 3},
		{1736936430, {0x67, 0x87, 0x8b, 0xee}, 4},
		{0xffffffffu, {0x00, 0xff, 0xff, 0xff, 0xff}, 5},
		{0x7fffffffffffffffull, {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 8},
		{UINT64_MAX, {0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 9},
	};
	uint8_t buf[16];
	struct ovt_builder b;
	struct ovt_cursor c, val;
	uint64_t out;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bld_init_fixed(&b, buf, sizeof(buf));
		ber_put_uint(&b, BER_CTX(4), v[i].v);
		assert_true(bld_ok(&b));
		assert_int_equal(bld_len(&b), v[i].n + 2);
		assert_int_equal(buf[0], 0x84);
		assert_int_equal(buf[1], v[i].n);
		assert_memory_equal(buf + 2, v[i].enc, v[i].n);
		cur_init(&c, buf, bld_len(&b));
		assert_int_equal(ber_get_tagged(&c, BER_CTX(4), &val), BER_OK);
		assert_int_equal(ber_read_uint(&val, UINT64_MAX, &out), BER_OK);
		assert_true(out == v[i].v);
		if (v[i].v > 0)
			assert_int_equal(ber_read_uint(&val, v[i].v - 1, &out), BER_E_INT);
	}
	static const uint8_t bad[][3] = {
		{0x00, 0x05, 0}, {0x00, 0x00, 0}, {0x80, 0, 0}, {0xff, 0xff, 0},
	};
	static const size_t badn[] = {2, 2, 1, 2};
	for (size_t i = 0; i < 4; i++) {
		cur_init(&val, bad[i], badn[i]);
		assert_int_equal(ber_read_uint(&val, UINT64_MAX, &out), BER_E_INT);
	}
	cur_init(&val, buf, 0);
	assert_int_equal(ber_read_uint(&val, UINT64_MAX, &out), BER_E_INT);	/* empty */
	static const uint8_t nine[] = {0x01, 0, 0, 0, 0, 0, 0, 0, 0};		/* > 64 bits */
	cur_init(&val, nine, sizeof(nine));
	assert_int_equal(ber_read_uint(&val, UINT64_MAX, &out), BER_E_INT);

	static const uint8_t nul[] = {0x00};
	cur_init(&val, nul, 0);
	assert_int_equal(ber_read_null(&val), BER_OK);
	cur_init(&val, nul, 1);
	assert_int_equal(ber_read_null(&val), BER_E_NULL);
	bld_init_fixed(&b, buf, sizeof(buf));
	ber_put_null(&b, BER_CTX(3));
	static const uint8_t ka[] = {0x83, 0x00};
	assert_bytes(&b, ka, 2);
}

static void
test_oid(void **state)
{
	static const uint32_t lips[] = {0, 4, 0, 2, 2, 5, 1, 43};
	static const uint8_t lips_enc[] = {0x80, 0x07, 0x04, 0x00, 0x02, 0x02, 0x05, 0x01, 0x2b};
	static const uint32_t big[] = {2, 999, 3, 0xffffffffu};
	static const uint8_t big_enc[] = {0x06, 0x08, 0x88, 0x37, 0x03, 0x8f, 0xff, 0xff, 0xff, 0x7f};
	uint8_t buf[64];
	uint32_t arcs[BER_OID_MAX_ARCS];
	size_t n;
	struct ovt_builder b;
	struct ovt_cursor val;

	bld_init_fixed(&b, buf, sizeof(buf));
	ber_put_oid(&b, BER_CTX(0), lips, 8);
	assert_bytes(&b, lips_enc, sizeof(lips_enc));
	cur_init(&val, lips_enc + 2, 7);
	assert_int_equal(ber_read_oid(&val, arcs, BER_OID_MAX_ARCS, &n), BER_OK);
	assert_int_equal(n, 8);
	assert_memory_equal(arcs, lips, sizeof(lips));

	bld_init_fixed(&b, buf, sizeof(buf));
	ber_put_oid(&b, BER_TAG(BER_UNIVERSAL, 6), big, 4);
	assert_bytes(&b, big_enc, sizeof(big_enc));
	cur_init(&val, big_enc + 2, sizeof(big_enc) - 2);
	assert_int_equal(ber_read_oid(&val, arcs, BER_OID_MAX_ARCS, &n), BER_OK);
	assert_int_equal(n, 4);
	assert_memory_equal(arcs, big, sizeof(big));
	assert_int_equal(ber_read_oid(&val, arcs, 3, &n), BER_E_OID);	/* cap */

	static const uint32_t bad1[] = {3, 1}, bad2[] = {1, 40};
	bld_init_fixed(&b, buf, sizeof(buf));
	ber_put_oid(&b, BER_CTX(0), bad1, 2);
	assert_false(bld_ok(&b));
	bld_init_fixed(&b, buf, sizeof(buf));
	ber_put_oid(&b, BER_CTX(0), bad2, 2);
	assert_false(bld_ok(&b));
	bld_init_fixed(&b, buf, sizeof(buf));
	ber_put_oid(&b, BER_CTX(0), lips, 1);
	assert_false(bld_ok(&b));

	static const uint8_t unfinished[] = {0x2b, 0x86};
	static const uint8_t lead80[] = {0x2b, 0x80, 0x01};
	static const uint8_t toobig[] = {0x2b, 0x90, 0x80, 0x80, 0x80, 0x00};	/* 2^32 */
	cur_init(&val, unfinished, 2);
	assert_int_equal(ber_read_oid(&val, arcs, BER_OID_MAX_ARCS, &n), BER_E_OID);
	cur_init(&val, lead80, 3);
	assert_int_equal(ber_read_oid(&val, arcs, BER_OID_MAX_ARCS, &n), BER_E_OID);
	cur_init(&val, toobig, sizeof(toobig));
	assert_int_equal(ber_read_oid(&val, arcs, BER_OID_MAX_ARCS, &n), BER_E_OID);
	cur_init(&val, toobig, 0);
	assert_int_equal(ber_read_oid(&val, arcs, BER_OID_MAX_ARCS, &n), BER_E_OID);
}

static void
gentime_is(int64_t sec, uint32_t usec, unsigned digits, const char *want)
{
	uint8_t buf[40];
	struct ovt_builder b;
	struct ovt_cursor c, val;
	int64_t s;
	uint32_t us;

	bld_init_fixed(&b, buf, sizeof(buf));
	ber_put_gentime(&b, BER_CTX(5), sec, usec, digits);
	assert_true(bld_ok(&b));
	assert_int_equal(buf[1], strlen(want));
	assert_memory_equal(buf + 2, want, strlen(want));
	cur_init(&c, buf, bld_len(&b));
	assert_int_equal(ber_get_tagged(&c, BER_CTX(5), &val), BER_OK);
	assert_int_equal(ber_read_gentime(&val, &s, &us), BER_OK);
	assert_true(s == sec);
	assert_int_equal(us, digits == 6 ? usec : digits == 3 ? usec / 1000 * 1000 : 0);
}

static int
gentime_str(const char *str, int64_t *sec, uint32_t *usec)
{
	struct ovt_cursor val;
	cur_init(&val, str, strlen(str));
	return ber_read_gentime(&val, sec, usec);
}

static int
utctime_str(const char *str, int64_t *sec)
{
	struct ovt_cursor val;
	cur_init(&val, str, strlen(str));
	return ber_read_utctime(&val, sec);
}

static void
test_time(void **state)
{
	uint8_t buf[40];
	struct ovt_builder b;
	int64_t s;
	uint32_t us;

	gentime_is(1736936430, 123456, 3, "20250115102030.123Z");
	gentime_is(1736936430, 123456, 6, "20250115102030.123456Z");
	gentime_is(1736936430, 123456, 0, "20250115102030Z");
	gentime_is(0, 0, 0, "19700101000000Z");
	gentime_is(-1, 0, 0, "19691231235959Z");
	gentime_is(951782400, 0, 0, "20000229000000Z");		/* leap day, 400-year rule */
	gentime_is(4107542400, 0, 0, "21000301000000Z");		/* 2100 is not leap */
	gentime_is(253402300799, 999999, 6, "99991231235959.999999Z");
	gentime_is(-62167219200, 0, 0, "00000101000000Z");

	bld_init_fixed(&b, buf, sizeof(buf));
	ber_put_utctime(&b, BER_CTX(1), 1736936430);
	static const uint8_t utc[] = {0x81, 0x0d, '2', '5', '0', '1', '1', '5', '1', '0', '2', '0',
				      '3', '0', 'Z'};
	assert_bytes(&b, utc, sizeof(utc));
	bld_init_fixed(&b, buf, sizeof(buf));
	ber_put_utctime(&b, BER_CTX(1), 2524608000);	/* 2050: not representable */
	assert_false(bld_ok(&b));
	bld_init_fixed(&b, buf, sizeof(buf));
	ber_put_gentime(&b, BER_CTX(5), 0, 1000000, 6);
	assert_false(bld_ok(&b));

	/* Every day from 1600 to 2400 (step 7 days + 1 s) round-trips through the civil code. */
	for (int64_t t = -11676096000; t < 13569465600; t += 86400 * 7 + 1) {
		char str[32];
		struct ovt_builder g;
		struct ovt_cursor v;
		bld_init_fixed(&g, str, sizeof(str));
		ber_put_gentime(&g, BER_CTX(5), t, 0, 0);
		assert_true(bld_ok(&g));
		cur_init(&v, str + 2, bld_len(&g) - 2);
		assert_int_equal(ber_read_gentime(&v, &s, &us), BER_OK);
		assert_true(s == t);
	}

	assert_int_equal(gentime_str("20250115102030+0100", &s, &us), BER_OK);
	assert_true(s == 1736936430 - 3600);
	assert_int_equal(gentime_str("202501151020Z", &s, &us), BER_OK);	/* no seconds */
	assert_true(s == 1736936400);
	assert_int_equal(gentime_str("2025011510Z", &s, &us), BER_OK);	/* hour only */
	assert_int_equal(gentime_str("20250115102030,5Z", &s, &us), BER_OK);
	assert_int_equal(us, 500000);
	assert_int_equal(gentime_str("20250115102030.1234567891Z", &s, &us), BER_OK);
	assert_int_equal(us, 123456);
	assert_int_equal(gentime_str("20250115102030", &s, &us), BER_E_TIME);	/* no zone */
	assert_int_equal(gentime_str("20250230102030Z", &s, &us), BER_E_TIME);	/* Feb 30 */
	assert_int_equal(gentime_str("20240229102030Z", &s, &us), BER_OK);	/* leap */
	assert_int_equal(gentime_str("20230229102030Z", &s, &us), BER_E_TIME);
	assert_int_equal(gentime_str("20250115242030Z", &s, &us), BER_E_TIME);
	assert_int_equal(gentime_str("20250115102030.Z", &s, &us), BER_E_TIME);
	assert_int_equal(gentime_str("20250115102030Zx", &s, &us), BER_E_TIME);
	assert_int_equal(gentime_str("2025011510203OZ", &s, &us), BER_E_TIME);
	assert_int_equal(gentime_str("20250115102030+01", &s, &us), BER_E_TIME);
	assert_int_equal(gentime_str("20250115102030.0000000000000000000000000000Z", &s, &us),
			 BER_E_TIME);	/* longer than BER_TIME_MAX */
	assert_int_equal(utctime_str("250115102030Z", &s), BER_OK);
	assert_true(s == 1736936430);
	assert_int_equal(utctime_str("5001011200Z", &s), BER_OK);	/* 1950, no seconds */
	assert_true(s == -631108800);
	assert_int_equal(utctime_str("250115102030-0130", &s), BER_OK);
	assert_true(s == 1736936430 + 5400);
	assert_int_equal(utctime_str("250115102030", &s), BER_E_TIME);
	assert_int_equal(utctime_str("251315102030Z", &s), BER_E_TIME);
}

static void
test_get_tagged_and_tlv(void **state)
{
	static const uint8_t in[] = {0xa1, 0x03, 0x80, 0x01, 0x05, 0x81, 0x00};
	struct ovt_cursor c, val;
	struct ber_tlv t;
	uint32_t tag;

	cur_init(&c, in, sizeof(in));
	assert_int_equal(ber_get_tagged(&c, BER_CTX(1), &val), BER_E_FORM);
	assert_int_equal(cur_len(&c), sizeof(in));		/* unchanged on error */
	assert_int_equal(ber_get_tagged(&c, BER_CTX_CONS(2), &val), BER_E_TAG);
	assert_int_equal(ber_get_tagged(&c, BER_CTX_CONS(1), &val), BER_OK);
	assert_int_equal(cur_len(&val), 3);
	assert_true(ber_peek_tag(&c, &tag));
	assert_int_equal(tag, BER_CTX(1));
	assert_int_equal(ber_get_tlv(&c, &t), BER_OK);
	assert_int_equal(t.hdrlen, 2);
	assert_int_equal(cur_len(&t.val), 0);
	assert_int_equal(cur_len(&c), 0);
	assert_false(ber_peek_tag(&c, &tag));

	static const uint8_t over[] = {0x04, 0x05, 0x01, 0x02};	/* length past the end */
	cur_init(&c, over, sizeof(over));
	assert_int_equal(ber_get_tlv(&c, &t), BER_E_TRUNCATED);
	assert_int_equal(cur_len(&c), sizeof(over));
}

/* SEQUENCE { n nested SEQUENCEs } built inside-out, each with a minimal length. */
static size_t
nest(uint8_t *buf, size_t cap, unsigned n)
{
	size_t len = 0, pos = cap;
	for (unsigned i = 0; i < n; i++) {
		uint8_t h[6];
		size_t hl = 0, ll = ber_len_size(len);
		h[hl++] = 0x30;
		if (ll == 1) {
			h[hl++] = (uint8_t)len;
		} else {
			h[hl++] = (uint8_t)(0x80 | (ll - 1));
			for (size_t k = ll - 1; k >= 1; k--)
				h[hl++] = (uint8_t)(len >> (8 * (k - 1)));
		}
		pos -= hl;
		memcpy(buf + pos, h, hl);
		len += hl;
	}
	memmove(buf, buf + pos, len);
	return len;
}

static void
test_validate_and_bombs(void **state)
{
	uint8_t *buf = malloc(1 << 20);
	unsigned elems;
	size_t n;

	assert_non_null(buf);
	/* Depth: exactly the cap passes, one more is refused. */
	n = nest(buf, 1 << 20, 24);
	assert_int_equal(ber_validate(buf, n, 24, 1000, &elems), BER_OK);
	assert_int_equal(elems, 24);
	assert_int_equal(ber_validate(buf, n, 23, 1000, &elems), BER_E_TOO_DEEP);
	/* Deep-nesting bomb: 100 000 levels, refused at level 25 without recursion. */
	n = nest(buf, 1 << 20, 100000);
	assert_int_equal(ber_validate(buf, n, 24, 1000000, NULL), BER_E_TOO_DEEP);
	/* max_depth above the hard ceiling is clamped, not trusted. */
	assert_int_equal(ber_validate(buf, n, 1000000, 1000000, NULL), BER_E_TOO_DEEP);

	/* Huge length: 0x84 ffffffff claims 4 GiB that are not there. */
	static const uint8_t huge[] = {0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x04, 0x00};
	assert_int_equal(ber_validate(huge, sizeof(huge), 24, 1000, NULL), BER_E_TRUNCATED);
	static const uint8_t huge_inner[] = {0x30, 0x06, 0x04, 0x84, 0xff, 0xff, 0xff, 0xff};
	assert_int_equal(ber_validate(huge_inner, sizeof(huge_inner), 24, 1000, NULL),
			 BER_E_TRUNCATED);

	/* Many tiny elements: a SEQUENCE of 300 000 NULLs. */
	size_t cnt = 300000, body = 2 * cnt;
	buf[0] = 0x30;
	buf[1] = 0x83;
	buf[2] = (uint8_t)(body >> 16);
	buf[3] = (uint8_t)(body >> 8);
	buf[4] = (uint8_t)body;
	for (size_t i = 0; i < cnt; i++) {
		buf[5 + 2 * i] = 0x05;
		buf[6 + 2 * i] = 0x00;
	}
	assert_int_equal(ber_validate(buf, 5 + body, 24, 1024, &elems), BER_E_TOO_MANY);
	assert_int_equal(ber_validate(buf, 5 + body, 24, 400000, &elems), BER_OK);
	assert_int_equal(elems, cnt + 1);

	static const uint8_t trailing[] = {0x05, 0x00, 0x05, 0x00};
	assert_int_equal(ber_validate(trailing, 4, 24, 1000, NULL), BER_E_TRAILING);
	static const uint8_t inner_indef[] = {0x30, 0x04, 0x30, 0x80, 0x00, 0x00};
	assert_int_equal(ber_validate(inner_indef, 6, 24, 1000, NULL), BER_E_INDEFINITE);
	static const uint8_t inner_eoc[] = {0x30, 0x04, 0x05, 0x00, 0x00, 0x00};
	assert_int_equal(ber_validate(inner_eoc, 6, 24, 1000, NULL), BER_E_EOC);
	static const uint8_t overrun[] = {0x30, 0x03, 0x04, 0x05, 0x00};
	assert_int_equal(ber_validate(overrun, 5, 24, 1000, NULL), BER_E_TRUNCATED);
	assert_int_equal(ber_validate(overrun, 0, 24, 1000, NULL), BER_E_TRUNCATED);
	/* A primitive at level max_depth + 1 is refused like a constructed one. */
	static const uint8_t two[] = {0x30, 0x02, 0x05, 0x00};
	assert_int_equal(ber_validate(two, 4, 1, 1000, NULL), BER_E_TOO_DEEP);
	assert_int_equal(ber_validate(two, 4, 2, 1000, NULL), BER_OK);
	free(buf);
}

static void
test_strerror(void **state)
{
	for (int i = 0; i < BER_E__COUNT; i++) {
		assert_non_null(ber_strerror((enum ber_err)i));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(ber_strerror((enum ber_err)i),
						ber_strerror((enum ber_err)j));
	}
	assert_string_equal(ber_strerror(BER_E__COUNT), "unknown BER error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_open_close_hints),
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_oid),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_get_tagged_and_tlv),
		cmocka_unit_test(test_validate_and_bombs),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
