/*
 * Strict BER reader (X.690): identifier and definite-length octets, whole-element validation
 * with depth and element caps, and value decoders for INTEGER/ENUMERATED, NULL, OBJECT
 * IDENTIFIER, GeneralizedTime and UTCTime.  Input comes only through struct ovt_cursor; a length
 * only ever becomes a child cursor.  See ber.h for what is refused and why.
 */
#include "ber/ber.h"

static const char *const ber_errstr[BER_E__COUNT] = {
	[BER_OK] = "ok",
	[BER_E_TRUNCATED] = "truncated: the element runs past the end of its container",
	[BER_E_EOC] = "end-of-contents octets outside an indefinite length (X.690 8.1.5)",
	[BER_E_TAG_FORM] = "bad high-tag-number form (X.690 8.1.2.3/8.1.2.4.2)",
	[BER_E_TAG_TOO_BIG] = "tag number too large",
	[BER_E_INDEFINITE] = "indefinite length refused (X.690 8.1.3.6; definite lengths only)",
	[BER_E_LEN_RESERVED] = "reserved length octet 0xFF (X.690 8.1.3.5 c)",
	[BER_E_LEN_TOO_LONG] = "more than 4 length octets",
	[BER_E_TOO_DEEP] = "nesting too deep",
	[BER_E_TOO_MANY] = "too many elements",
	[BER_E_TRAILING] = "unexpected bytes after the last element",
	[BER_E_TAG] = "unexpected tag",
	[BER_E_FORM] = "wrong primitive/constructed form (X.690 8.1.2.5)",
	[BER_E_INT] = "bad INTEGER/ENUMERATED: empty, not minimal (X.690 8.3.2) or out of range",
	[BER_E_NULL] = "NULL with contents (X.690 8.8.2)",
	[BER_E_OID] = "bad OBJECT IDENTIFIER (X.690 8.19)",
	[BER_E_TIME] = "bad UTCTime/GeneralizedTime (X.680 46/47)",
	[BER_E_ENCODE] = "value cannot be encoded or output buffer full",
};

const char *
ber_strerror(enum ber_err e)
{
	if ((unsigned)e >= BER_E__COUNT || ber_errstr[e] == NULL)
		return "unknown BER error";
	return ber_errstr[e];
}

enum ber_err
ber_peek_hdr(const struct ovt_cursor *in, uint32_t *tag, size_t *hdrlen, size_t *len)
{
	struct ovt_cursor c = *in;
	uint8_t id, o;
	uint32_t num;

	if (!cur_get_u8(&c, &id))
		return BER_E_TRUNCATED;
	num = id & 0x1f;
	if (num == 0x1f) {
		/* High-tag-number form (8.1.2.4): base-128 digits, bit 8 = "more follow". */
		num = 0;
		for (int i = 0;; i++) {
			if (!cur_get_u8(&c, &o))
				return BER_E_TRUNCATED;
			if (i == 0 && o == 0x80)
				return BER_E_TAG_FORM;	/* 8.1.2.4.2 c: no leading zero digit */
			if (i == 3)
				return BER_E_TAG_TOO_BIG;
			num = (num << 7) | (o & 0x7f);
			if (!(o & 0x80))
				break;
		}
		if (num <= 30)
			return BER_E_TAG_FORM;	/* 8.1.2.3: 0..30 use the single-octet form */
	}
	if (!cur_get_u8(&c, &o))
		return BER_E_TRUNCATED;
	if (o < 0x80) {
		*len = o;	/* short form, 8.1.3.4 */
	} else if (o == 0x80) {
		return BER_E_INDEFINITE;
	} else if (o == 0xff) {
		return BER_E_LEN_RESERVED;
	} else {
		size_t n = o & 0x7f, v = 0;
		if (n > BER_MAX_LEN_OCTETS)
			return BER_E_LEN_TOO_LONG;
		for (size_t i = 0; i < n; i++) {
			if (!cur_get_u8(&c, &o))
				return BER_E_TRUNCATED;
			v = (v << 8) | o;
		}
		*len = v;
	}
	/* Universal tag 0 with length 0 is end-of-contents: only meaningful after an
	 * indefinite length, which we never accept. */
	if (id == 0x00 && num == 0)
		return BER_E_EOC;
	*tag = BER_TAG(id & 0xe0, num);
	*hdrlen = in->len - c.len;
	return BER_OK;
}

enum ber_err
ber_get_tlv(struct ovt_cursor *c, struct ber_tlv *out)
{
	struct ovt_cursor save = *c;
	size_t hdrlen, len;
	enum ber_err e;

	if ((e = ber_peek_hdr(c, &out->tag, &hdrlen, &len)) != BER_OK)
		return e;
	if (!cur_skip(c, hdrlen) || !cur_get_sub(c, &out->val, len)) {
		*c = save;
		return BER_E_TRUNCATED;
	}
	out->hdrlen = hdrlen;
	return BER_OK;
}

enum ber_err
ber_get_tagged(struct ovt_cursor *c, uint32_t tag, struct ovt_cursor *out_val)
{
	struct ovt_cursor save = *c;
	struct ber_tlv t;
	enum ber_err e;

	if ((e = ber_get_tlv(c, &t)) != BER_OK)
		return e;
	if (t.tag != tag) {
		*c = save;
		return (t.tag ^ tag) == BER_TAG(BER_CONS, 0) ? BER_E_FORM : BER_E_TAG;
	}
	*out_val = t.val;
	return BER_OK;
}

int
ber_peek_tag(const struct ovt_cursor *c, uint32_t *tag)
{
	size_t hdrlen, len;
	return ber_peek_hdr(c, tag, &hdrlen, &len) == BER_OK;
}

enum ber_err
ber_read_uint(const struct ovt_cursor *val, uint64_t max, uint64_t *out)
{
	struct ovt_cursor c = *val;
	uint8_t o, next;
	uint64_t v = 0;

	if (!cur_get_u8(&c, &o))
		return BER_E_INT;	/* 8.3.1: one or more contents octets */
	if (o & 0x80)
		return BER_E_INT;	/* negative: no unsigned field we read allows it */
	/* 8.3.2: the first 9 bits must not be all zero (nor all one, excluded above). */
	if (o == 0 && cur_peek_u8(&c, &next) && !(next & 0x80))
		return BER_E_INT;
	if (o == 0 && cur_len(&c) > 8)
		return BER_E_INT;
	if (o != 0 && cur_len(&c) > 7)
		return BER_E_INT;
	v = o;
	while (cur_get_u8(&c, &o))
		v = (v << 8) | o;
	if (v > max)
		return BER_E_INT;
	*out = v;
	return BER_OK;
}

enum ber_err
ber_read_null(const struct ovt_cursor *val)
{
	return cur_len(val) == 0 ? BER_OK : BER_E_NULL;
}

enum ber_err
ber_read_oid(const struct ovt_cursor *val, uint32_t *arcs, size_t max, size_t *out_n)
{
	struct ovt_cursor c = *val;
	size_t n = 0;
	uint8_t o;

	if (max > BER_OID_MAX_ARCS)
		max = BER_OID_MAX_ARCS;
	if (cur_len(&c) == 0 || max < 2)
		return BER_E_OID;
	while (cur_len(&c) > 0) {
		uint64_t v = 0;
		int first = 1;
		/* 8.19.2: base-128 subidentifier, no leading 0x80 octet. */
		do {
			if (!cur_get_u8(&c, &o))
				return BER_E_OID;	/* last octet had bit 8 set */
			if (first && o == 0x80)
				return BER_E_OID;
			first = 0;
			v = (v << 7) | (o & 0x7f);
			if (v > 0xffffffffu + 80ull)
				return BER_E_OID;
		} while (o & 0x80);
		if (n == 0) {
			/* 8.19.4: first subidentifier is 40 * X + Y. */
			if (v < 80) {
				arcs[n++] = (uint32_t)(v / 40);
				arcs[n++] = (uint32_t)(v % 40);
			} else {
				arcs[n++] = 2;
				if (v - 80 > 0xffffffffu)
					return BER_E_OID;
				arcs[n++] = (uint32_t)(v - 80);
			}
		} else {
			if (n >= max || v > 0xffffffffu)
				return BER_E_OID;
			arcs[n++] = (uint32_t)v;
		}
	}
	*out_n = n;
	return BER_OK;
}

/* n decimal digits from c into *v; 0 if any is not a digit or the input is short. */
static int
get_num(struct ovt_cursor *c, unsigned n, unsigned *v)
{
	const uint8_t *p;
	if (!cur_take(c, &p, n))
		return 0;
	*v = 0;
	for (unsigned i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		*v = *v * 10 + (unsigned)(p[i] - '0');
	}
	return 1;
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
date_ok(int y, unsigned mon, unsigned day, unsigned h, unsigned mi, unsigned s)
{
	static const uint8_t mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (mon < 1 || mon > 12 || day < 1 || h > 23 || mi > 59 || s > 59)
		return 0;
	return day <= (unsigned)mdays[mon - 1] + (mon == 2 && is_leap(y) ? 1u : 0u);
}

/* 'Z' or +-hhmm at the end of a time string: seconds to subtract to reach UTC. */
static int
get_zone(struct ovt_cursor *c, int64_t *off)
{
	uint8_t o;
	unsigned hh, mm;
	if (!cur_get_u8(c, &o))
		return 0;	/* no zone: local time of unknown offset, refused */
	if (o == 'Z') {
		*off = 0;
		return cur_len(c) == 0;
	}
	if ((o != '+' && o != '-') || !get_num(c, 2, &hh) || !get_num(c, 2, &mm) ||
	    hh > 23 || mm > 59 || cur_len(c) != 0)
		return 0;
	*off = (int64_t)(hh * 3600 + mm * 60) * (o == '+' ? 1 : -1);
	return 1;
}

enum ber_err
ber_read_gentime(const struct ovt_cursor *val, int64_t *sec, uint32_t *usec)
{
	struct ovt_cursor c = *val;
	unsigned y, mon, day, h, mi = 0, s = 0, frac = 0, scale = 100000;
	int64_t off;
	uint8_t o;

	if (cur_len(&c) > BER_TIME_MAX)
		return BER_E_TIME;
	if (!get_num(&c, 4, &y) || !get_num(&c, 2, &mon) || !get_num(&c, 2, &day) ||
	    !get_num(&c, 2, &h))
		return BER_E_TIME;
	/* Optional minutes and seconds (X.680 46.2), each two digits. */
	if (cur_peek_u8(&c, &o) && o >= '0' && o <= '9') {
		if (!get_num(&c, 2, &mi))
			return BER_E_TIME;
		if (cur_peek_u8(&c, &o) && o >= '0' && o <= '9' && !get_num(&c, 2, &s))
			return BER_E_TIME;
	}
	if (cur_peek_u8(&c, &o) && (o == '.' || o == ',')) {
		int digits = 0;
		(void)cur_skip(&c, 1);
		while (cur_peek_u8(&c, &o) && o >= '0' && o <= '9') {
			(void)cur_skip(&c, 1);
			if (scale > 0) {
				frac += (unsigned)(o - '0') * scale;
				scale /= 10;
			}
			digits++;
		}
		if (digits == 0)
			return BER_E_TIME;
	}
	if (!get_zone(&c, &off) || !date_ok((int)y, mon, day, h, mi, s))
		return BER_E_TIME;
	*sec = ber_time_from_civil((int)y, mon, day, h, mi, s) - off;
	*usec = frac;
	return BER_OK;
}

enum ber_err
ber_read_utctime(const struct ovt_cursor *val, int64_t *sec)
{
	struct ovt_cursor c = *val;
	unsigned yy, mon, day, h, mi, s = 0;
	int64_t off;
	uint8_t o;

	if (!get_num(&c, 2, &yy) || !get_num(&c, 2, &mon) || !get_num(&c, 2, &day) ||
	    !get_num(&c, 2, &h) || !get_num(&c, 2, &mi))
		return BER_E_TIME;
	if (cur_peek_u8(&c, &o) && o >= '0' && o <= '9' && !get_num(&c, 2, &s))
		return BER_E_TIME;
	int y = (int)(yy < 50 ? 2000 + yy : 1900 + yy);
	if (!get_zone(&c, &off) || !date_ok(y, mon, day, h, mi, s))
		return BER_E_TIME;
	*sec = ber_time_from_civil(y, mon, day, h, mi, s) - off;
	return BER_OK;
}

enum ber_err
ber_validate(const uint8_t *p, size_t len, unsigned max_depth, unsigned max_elems,
	     unsigned *out_elems)
{
	/* lvl[d] holds what remains of the contents of the element open at depth d; lvl[0] is
	 * the input itself.  Each iteration consumes one header, so the walk is O(len). */
	struct ovt_cursor lvl[BER_DEPTH_LIMIT + 1];
	struct ber_tlv t;
	unsigned d = 0, count = 0;
	enum ber_err e;

	if (max_depth > BER_DEPTH_LIMIT)
		max_depth = BER_DEPTH_LIMIT;
	if (out_elems != NULL)
		*out_elems = 0;
	cur_init(&lvl[0], p, len);
	if (len == 0)
		return BER_E_TRUNCATED;
	for (;;) {
		if (cur_len(&lvl[d]) == 0) {
			if (d == 0)
				break;
			d--;
			continue;
		}
		if (d == 0 && count > 0)
			return BER_E_TRAILING;
		if ((e = ber_get_tlv(&lvl[d], &t)) != BER_OK)
			return e;
		if (++count > max_elems)
			return BER_E_TOO_MANY;
		if (BER_TAG_IS_CONS(t.tag)) {
			if (d + 1 > max_depth)
				return BER_E_TOO_DEEP;
			lvl[++d] = t.val;
		} else if (d + 1 > max_depth) {
			return BER_E_TOO_DEEP;
		}
	}
	if (out_elems != NULL)
		*out_elems = count;
	return BER_OK;
}
