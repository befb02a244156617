/*
 * BER writer (X.690): identifier and length octets, constructed elements with a hinted length
 * slot, and the primitive types the HI2/HI3 PDUs use.  Everything writes through struct
 * ovt_builder, so a full output buffer becomes one sticky error the caller checks once.
 */
#include "ber/ber.h"

#include <string.h>

/* Writes the definite length n into exactly lenlen octets at dst (lenlen == ber_len_size(n)). */
static void
put_len_at(uint8_t *dst, size_t n, size_t lenlen)
{
	if (lenlen == 1) {
		dst[0] = (uint8_t)n;	/* short form, 8.1.3.4 */
		return;
	}
	/* Long form, 8.1.3.5: 0x80 | count, then the count octets big-endian. */
	dst[0] = (uint8_t)(0x80 | (lenlen - 1));
	for (size_t i = lenlen - 1; i >= 1; i--) {
		dst[i] = (uint8_t)n;
		n >>= 8;
	}
}

void
ber_put_tag_slow(struct ovt_builder *b, uint32_t tag)
{
	uint8_t id = (uint8_t)(tag >> 24) & 0xe0;
	uint32_t num = BER_TAG_NUM(tag);

	if (tag & 0x1fe00000u) {	/* number above BER_MAX_TAG_NUM, or stray bits */
		b->err = 1;
		return;
	}
	if (num <= 30) {
		bld_add_u8(b, id | (uint8_t)num);	/* low-tag-number form, 8.1.2.3 */
		return;
	}
	/* High-tag-number form, 8.1.2.4: 0x1f, then base-128 digits, bit 8 set on all but last. */
	uint8_t t[4];
	size_t n = 0;
	t[n++] = id | 0x1f;
	if (num >= 1u << 14)
		t[n++] = (uint8_t)(0x80 | (num >> 14));
	if (num >= 1u << 7)
		t[n++] = (uint8_t)(0x80 | ((num >> 7) & 0x7f));
	t[n++] = (uint8_t)(num & 0x7f);
	bld_add_bytes(b, t, n);
}

void
ber_put_len_slow(struct ovt_builder *b, size_t n)
{
	size_t ll = ber_len_size(n);
	uint8_t *p;

	if (ll == 0) {
		b->err = 1;
		return;
	}
	if ((p = ber_room(b, ll)) != NULL)
		put_len_at(p, n, ll);
}

void
ber_close_slow(struct ovt_builder *b, const struct ber_mark *m)
{
	if (b->err)
		return;
	if (m->start > b->len || b->len - m->start < m->lenlen) {
		b->err = 1;	/* marks closed out of order, or a reset in between */
		return;
	}
	size_t content = b->len - m->start - m->lenlen;
	size_t need = ber_len_size(content);
	if (need == 0) {
		b->err = 1;
		return;
	}
	if (need > m->lenlen) {
		/* Hint too small: grow the slot (may reallocate a heap builder: offsets only). */
		size_t grow = need - m->lenlen;
		if (bld_reserve(b, grow) == NULL)
			return;
		memmove(b->buf + m->start + need, b->buf + m->start + m->lenlen, content);
	} else if (need < m->lenlen) {
		/* Hint too large: shift the content down so the length stays minimal. */
		memmove(b->buf + m->start + need, b->buf + m->start + m->lenlen, content);
		b->len -= m->lenlen - need;
	}
	put_len_at(b->buf + m->start, content, need);
}

void
ber_put_null(struct ovt_builder *b, uint32_t tag)
{
	ber_put_tag(b, tag);
	bld_add_u8(b, 0);
}

/* One OID subidentifier, base 128, bit 8 set on all but the last octet (8.19.2). */
static size_t
put_subid(uint8_t *dst, uint64_t v)
{
	uint8_t t[10];
	size_t n = 0;
	do {
		t[n++] = (uint8_t)(v & 0x7f);
		v >>= 7;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		dst[i] = t[n - 1 - i] | (i + 1 < n ? 0x80 : 0);
	return n;
}

void
ber_put_oid(struct ovt_builder *b, uint32_t tag, const uint32_t *arcs, size_t n)
{
	uint8_t t[BER_OID_MAX_ARCS * 5];
	size_t len = 0;

	if (n < 2 || n > BER_OID_MAX_ARCS || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40)) {
		b->err = 1;
		return;
	}
	/* 8.19.4: the first two arcs share one subidentifier, 40 * X + Y. */
	len += put_subid(t, (uint64_t)arcs[0] * 40 + arcs[1]);
	for (size_t i = 2; i < n; i++)
		len += put_subid(t + len, arcs[i]);
	ber_put_octets(b, tag, t, len);
}

/* Civil date from days since 1970-01-01 (proleptic Gregorian, H. Hinnant's algorithm). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* n decimal digits of v, n even or 1..: two at a time from a table (hot path: time stamps). */
static void
put_digits(uint8_t *dst, unsigned v, unsigned n)
{
	static const char pairs[201] =
	    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	    "8081828384858687888990919293949596979899";
	while (n >= 2) {
		n -= 2;
		dst[n] = (uint8_t)pairs[2 * (v % 100)];
		dst[n + 1] = (uint8_t)pairs[2 * (v % 100) + 1];
		v /= 100;
	}
	if (n == 1)
		dst[0] = (uint8_t)('0' + v % 10);
}

int
ber_time_set(struct ber_time *t, int64_t sec)
{
	unsigned mon, day, rem;
	int64_t days, y;

	if (t->valid && t->sec == sec)
		return 0;
	t->valid = 0;
	if (sec < -62167219200 || sec > 253402300799)	/* 0000-01-01 .. 9999-12-31 */
		return -1;
	days = sec / 86400;
	if (sec % 86400 < 0)
		days--;
	rem = (unsigned)(sec - days * 86400);
	civil_from_days(days, &y, &mon, &day);
	put_digits(t->digits, (unsigned)y, 4);
	put_digits(t->digits + 4, mon, 2);
	put_digits(t->digits + 6, day, 2);
	put_digits(t->digits + 8, rem / 3600, 2);
	put_digits(t->digits + 10, rem / 60 % 60, 2);
	put_digits(t->digits + 12, rem % 60, 2);
	t->sec = sec;
	t->year = y;
	t->valid = 1;
	return 0;
}

void
ber_put_gentime_t(struct ovt_builder *b, uint32_t tag, const struct ber_time *t, uint32_t usec,
		  unsigned frac_digits)
{
	size_t n = 15 + (frac_digits ? 1 + frac_digits : 0);
	uint8_t *p;

	if (!t->valid || usec > 999999 || (frac_digits != 0 && frac_digits != 3 &&
					   frac_digits != 6)) {
		b->err = 1;
		return;
	}
	ber_put_tag(b, tag);
	if ((p = ber_room(b, 1 + n)) == NULL)
		return;
	p[0] = (uint8_t)n;
	memcpy(p + 1, t->digits, 14);
	if (frac_digits != 0) {
		p[15] = '.';
		put_digits(p + 16, frac_digits == 3 ? usec / 1000 : usec, frac_digits);
	}
	p[n] = 'Z';
}

void
ber_put_gentime(struct ovt_builder *b, uint32_t tag, int64_t sec, uint32_t usec,
		unsigned frac_digits)
{
	struct ber_time t = {0};

	if (ber_time_set(&t, sec) != 0) {
		b->err = 1;
		return;
	}
	ber_put_gentime_t(b, tag, &t, usec, frac_digits);
}

void
ber_put_utctime_t(struct ovt_builder *b, uint32_t tag, const struct ber_time *t)
{
	uint8_t *p;

	/* X.680 47.3: two-digit years; the 1950..2049 window is the X.509 (RFC 5280) reading. */
	if (!t->valid || t->year < 1950 || t->year > 2049) {
		b->err = 1;
		return;
	}
	ber_put_tag(b, tag);
	if ((p = ber_room(b, 14)) == NULL)
		return;
	p[0] = 13;
	memcpy(p + 1, t->digits + 2, 12);
	p[13] = 'Z';
}

uint8_t *
ber_w_utctime(uint8_t *p, uint32_t tag, const struct ber_time *t)
{
	p = ber_w_hdr(p, tag, 13);
	memcpy(p, t->digits + 2, 12);
	p[12] = 'Z';
	return p + 13;
}

uint8_t *
ber_w_gentime3(uint8_t *p, uint32_t tag, const struct ber_time *t, uint32_t usec)
{
	p = ber_w_hdr(p, tag, 19);
	memcpy(p, t->digits, 14);
	p[14] = '.';
	put_digits(p + 15, usec / 1000, 3);
	p[18] = 'Z';
	return p + 19;
}

void
ber_put_utctime(struct ovt_builder *b, uint32_t tag, int64_t sec)
{
	struct ber_time t = {0};

	if (ber_time_set(&t, sec) != 0) {
		b->err = 1;
		return;
	}
	ber_put_utctime_t(b, tag, &t);
}

int64_t
ber_time_from_civil(int year, unsigned mon, unsigned day, unsigned h, unsigned m, unsigned s)
{
	/* Inverse of civil_from_days (days from civil), then the time of day. */
	int64_t y = (int64_t)year - (mon <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 + day - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + (int64_t)doe - 719468;
	return days * 86400 + (int64_t)h * 3600 + (int64_t)m * 60 + s;
}
