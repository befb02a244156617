/*
 * BER (ITU-T X.690) writer and strict reader, for the HI2/HI3 PDUs of ETSI TS 102 232-1 and
 * 3GPP TS 33.108 and for the X2 payload format 14 (EpsIRIContent).
 *
 * Writer: everything goes through struct ovt_builder (sticky error, caller memory or bounded
 * heap).  Only definite lengths, always in minimal form (X.690 8.1.3.4/8.1.3.5).  A constructed
 * element is written in one pass: ber_open() writes the tag and reserves length octets sized for
 * a caller hint of the content length; ber_close() fills them in.  When the hint has the same
 * number of length octets as the real size (the normal case: the hot-path callers know the size
 * of the packet they wrap) nothing moves; otherwise the content is shifted by 1-4 octets with
 * memmove, so the output is minimal either way and the hint only affects speed.
 * Hints should be lower bounds: an overestimate needs, until ber_close(), a few octets of room
 * beyond the final size, so an exactly-sized fixed buffer would fail; an underestimate never
 * does.  Hints below 128 can never overestimate.  No allocation unless the builder is a heap
 * builder.
 *
 * Reader: a TLV cursor over struct ovt_cursor.  It accepts exactly what a BER decoder must accept
 * for definite-length encodings and refuses, with one error value each:
 *   - high-tag-number form used for numbers 0..30, or with a leading 0x80 octet (8.1.2.4.2 c),
 *     or numbers above BER_MAX_TAG_NUM;
 *   - the indefinite length form (8.1.3.6): valid BER, but the LEMF decodes definite-length PDUs
 *     only, and refusing it removes the unbounded end-of-contents search (documented decision);
 *   - the reserved initial length octet 0xFF (8.1.3.5 c), and more than 4 length octets (our
 *     cap: no HI2/HI3 PDU comes near 4 GiB);
 *   - lengths running past the enclosing element; end-of-contents octets (8.1.5) outside an
 *     indefinite form.
 * Non-minimal long-form lengths are accepted (X.690 8.1.3.5 NOTE 2 allows them in BER).
 * ber_validate() walks a whole element iteratively with caps on depth and element count, so BER
 * bombs (deep nesting, huge lengths, floods of tiny elements) are refused in O(input) time with
 * no recursion and no allocation.
 *
 * Tags are uint32_t values built with BER_TAG(): the identifier octet's class and constructed
 * bits in the top byte, the tag number in the low 21 bits.
 * Thread safety: no global state; a cursor or builder belongs to one thread at a time.
 */
#ifndef OVERT_BER_BER_H
#define OVERT_BER_BER_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"

#define BER_UNIVERSAL	0x00u
#define BER_APPLICATION	0x40u
#define BER_CONTEXT	0x80u
#define BER_PRIVATE	0xc0u
#define BER_CONS	0x20u	/* constructed bit of the identifier octet (X.690 8.1.2.5) */

#define BER_TAG(bits, num)	(((uint32_t)(bits) << 24) | (uint32_t)(num))
#define BER_TAG_NUM(t)		((uint32_t)(t) & 0x1fffffu)
#define BER_TAG_CLASS(t)	(((uint32_t)(t) >> 24) & 0xc0u)
#define BER_TAG_IS_CONS(t)	((((uint32_t)(t) >> 24) & BER_CONS) != 0)
/* [n] IMPLICIT on a primitive type, and [n] on a constructed one (SEQUENCE, SET, EXPLICIT). */
#define BER_CTX(n)		BER_TAG(BER_CONTEXT, (n))
#define BER_CTX_CONS(n)		BER_TAG(BER_CONTEXT | BER_CONS, (n))
#define BER_SEQUENCE		BER_TAG(BER_UNIVERSAL | BER_CONS, 16)
#define BER_SET			BER_TAG(BER_UNIVERSAL | BER_CONS, 17)

#define BER_MAX_TAG_NUM		0x1fffffu	/* 3 subsequent identifier octets */
#define BER_MAX_LEN_OCTETS	4		/* long-form length octets we accept */
#define BER_DEPTH_LIMIT		64		/* hard ceiling for ber_validate's max_depth */
#define BER_OID_MAX_ARCS	32
#define BER_TIME_MAX		32		/* longest time string we read or write */

enum ber_err {
	BER_OK = 0,
	BER_E_TRUNCATED,	/* header or contents end before the input does */
	BER_E_EOC,		/* end-of-contents octets outside an indefinite form (8.1.5) */
	BER_E_TAG_FORM,		/* high-tag-number form for a number <= 30 or leading 0x80 */
	BER_E_TAG_TOO_BIG,	/* tag number above BER_MAX_TAG_NUM */
	BER_E_INDEFINITE,	/* indefinite length: refused by design */
	BER_E_LEN_RESERVED,	/* initial length octet 0xFF (8.1.3.5 c) */
	BER_E_LEN_TOO_LONG,	/* more than BER_MAX_LEN_OCTETS length octets */
	BER_E_TOO_DEEP,		/* nesting deeper than the caller's cap */
	BER_E_TOO_MANY,		/* more elements than the caller's cap */
	BER_E_TRAILING,		/* bytes after the element that should end the input */
	BER_E_TAG,		/* not the element the schema expects here */
	BER_E_FORM,		/* primitive where constructed is required, or the reverse */
	BER_E_INT,		/* INTEGER/ENUMERATED empty, not minimal (8.3.2), negative, too big */
	BER_E_NULL,		/* NULL with contents (8.8.2) */
	BER_E_OID,		/* OBJECT IDENTIFIER malformed (8.19) or too many arcs */
	BER_E_TIME,		/* UTCTime/GeneralizedTime malformed or out of range */
	BER_E_ENCODE,		/* writer: value not encodable or output buffer full */
	BER_E__COUNT
};

/* Static description of an error, citing the X.690 clause where there is one.  Never NULL. */
const char *ber_strerror(enum ber_err e);

/* ---- writer -------------------------------------------------------------------------------- */

/* Bookmark for a constructed element being written (see ber_open). */
struct ber_mark {
	size_t start;	/* offset of the first length octet */
	size_t lenlen;	/* length octets reserved */
};

/* Octets needed for the definite length n: 1..5, or 0 when n > 0xffffffff. */
static inline size_t
ber_len_size(size_t n)
{
	if (n < 0x80)
		return 1;
	if (n <= 0xff)
		return 2;
	if (n <= 0xffff)
		return 3;
	if (n <= 0xffffff)
		return 4;
	if ((uint64_t)n <= 0xffffffffu)
		return 5;
	return 0;
}

/* Octets of a whole TLV with tag number < 31 and content length n (size-first callers). */
static inline size_t
ber_tlv_size(size_t n)
{
	return 1 + ber_len_size(n) + n;
}

/* Out-of-line halves of the inline writers below (any tag, any length). */
void ber_put_tag_slow(struct ovt_builder *b, uint32_t tag);
void ber_put_len_slow(struct ovt_builder *b, size_t n);

/* n writable bytes at the end of b, or NULL with the sticky error set.  One bounds check for a
 * whole small TLV instead of one per octet. */
static inline uint8_t *
ber_room(struct ovt_builder *b, size_t n)
{
	if (!b->err && b->cap - b->len >= n) {
		uint8_t *p = b->buf + b->len;
		b->len += n;
		return p;
	}
	return bld_reserve(b, n);
}

/* Identifier octets of tag (X.690 8.1.2); tag numbers above BER_MAX_TAG_NUM set the error. */
static inline void
ber_put_tag(struct ovt_builder *b, uint32_t tag)
{
	uint8_t *p;
	if ((tag & 0x1fffffe0u) == 0 && BER_TAG_NUM(tag) <= 30) {	/* 8.1.2.3: one octet */
		if ((p = ber_room(b, 1)) != NULL)
			p[0] = (uint8_t)((tag >> 24) & 0xe0) | (uint8_t)tag;
		return;
	}
	ber_put_tag_slow(b, tag);
}

/* Definite length octets, minimal form (8.1.3); n > 0xffffffff sets the error. */
static inline void
ber_put_len(struct ovt_builder *b, size_t n)
{
	uint8_t *p;
	if (n < 0x80) {						/* 8.1.3.4: short form */
		if ((p = ber_room(b, 1)) != NULL)
			p[0] = (uint8_t)n;
		return;
	}
	ber_put_len_slow(b, n);
}
void ber_close_slow(struct ovt_builder *b, const struct ber_mark *m);

/* Tag, then length slot sized for a content of about hint octets.  Pair with ber_close(). */
static inline void
ber_open(struct ovt_builder *b, uint32_t tag, size_t hint, struct ber_mark *m)
{
	size_t ll = ber_len_size(hint);

	ber_put_tag(b, tag);
	m->start = b->len;
	m->lenlen = ll != 0 ? ll : 5;
	(void)ber_room(b, m->lenlen);
}

/* Writes the length of everything added since ber_open(m), moving the content if the slot size
 * was wrong.  Marks close innermost first. */
static inline void
ber_close(struct ovt_builder *b, const struct ber_mark *m)
{
	size_t content;
	uint8_t *p;

	if (b->err || m->start > b->len || b->len - m->start < m->lenlen ||
	    ber_len_size(content = b->len - m->start - m->lenlen) != m->lenlen) {
		ber_close_slow(b, m);	/* error, misuse, or the slot must change size */
		return;
	}
	p = b->buf + m->start;
	if (m->lenlen == 1) {
		p[0] = (uint8_t)content;		/* short form, 8.1.3.4 */
		return;
	}
	p[0] = (uint8_t)(0x80 | (m->lenlen - 1));	/* long form, 8.1.3.5 */
	for (size_t i = m->lenlen - 1; i >= 1; i--, content >>= 8)
		p[i] = (uint8_t)content;
}

/* Primitive TLV with the given contents (OCTET STRING, PrintableString, raw OID contents...). */
static inline void
ber_put_octets(struct ovt_builder *b, uint32_t tag, const void *p, size_t n)
{
	ber_put_tag(b, tag);
	ber_put_len(b, n);
	bld_add_bytes(b, p, n);
}

/* Contents octets of the INTEGER v >= 0 in minimal two's complement (8.3.2): 1..9. */
static inline size_t
ber_uint_size(uint64_t v)
{
	/* Room for the value's significant bits and a 0 sign bit: bits / 8 + 1 octets. */
	unsigned bits = v ? 64 - (unsigned)__builtin_clzll(v) : 0;
	return bits / 8 + 1;
}

/* INTEGER or ENUMERATED with a non-negative value, minimal two's complement (8.3.2, 8.4). */
static inline void
ber_put_uint(struct ovt_builder *b, uint32_t tag, uint64_t v)
{
	/* 8.3.2: the fewest octets such that the value is not negative in two's complement, so
	 * a leading 0x00 is added exactly when the top bit of the first octet is set. */
	size_t n = ber_uint_size(v);
	uint8_t *p;

	ber_put_tag(b, tag);
	if ((p = ber_room(b, 1 + n)) == NULL)
		return;
	p[0] = (uint8_t)n;
	for (size_t i = n; i >= 1; i--, v >>= 8)	/* a 9th octet gets the 0 sign octet */
		p[i] = (uint8_t)v;
}
/* NULL (8.8). */
void ber_put_null(struct ovt_builder *b, uint32_t tag);
/* OBJECT IDENTIFIER from n arcs (8.19): n >= 2, arc0 <= 2, arc1 < 40 unless arc0 == 2. */
void ber_put_oid(struct ovt_builder *b, uint32_t tag, const uint32_t *arcs, size_t n);
/* A UTC second formatted once as "YYYYMMDDhhmmss" and kept: a PDU stream re-uses it for every
 * PDU within the same second and for both of a PDU's time types.  Zero-initialise, then
 * ber_time_set(); it converts only when the second changes.  Owned by the caller (no global
 * cache), so it is as thread-safe as the struct that holds it. */
struct ber_time {
	int64_t sec;
	int64_t year;
	uint8_t valid;
	uint8_t digits[14];
};
/* 0 on success; -1 (t invalid) outside years 0..9999. */
int ber_time_set(struct ber_time *t, int64_t sec);

/* GeneralizedTime "YYYYMMDDhhmmss[.f]Z" in UTC (X.680 46) with 0, 3 or 6 fraction digits.
 * Years 0..9999. */
void ber_put_gentime(struct ovt_builder *b, uint32_t tag, int64_t sec, uint32_t usec,
		     unsigned frac_digits);
void ber_put_gentime_t(struct ovt_builder *b, uint32_t tag, const struct ber_time *t,
		       uint32_t usec, unsigned frac_digits);
/* UTCTime "YYMMDDhhmmssZ" (X.680 47); only years 1950..2049 are representable. */
void ber_put_utctime(struct ovt_builder *b, uint32_t tag, int64_t sec);
void ber_put_utctime_t(struct ovt_builder *b, uint32_t tag, const struct ber_time *t);

/* ---- size-first writer ---------------------------------------------------------------------
 * For a hot encoder that computes the exact size of every element before writing (the HI3 CC
 * PDU): it reserves the whole PDU once with bld_reserve() and writes through a raw pointer, so
 * there is one bounds check per PDU instead of one per element, and no length slot ever moves.
 * Each ber_w_*() writes at p and returns the position after what it wrote; none checks room:
 * the caller reserved exactly the sum of the sizes below and checks it landed on the end.
 * Tags must have a number <= 30 (one identifier octet) and lengths <= 0xffffffff.
 * Sizes: ber_w_hdr 1 + ber_len_size(n); ber_w_octets ber_tlv_size(n); ber_w_uint
 * 2 + ber_uint_size(v); ber_w_gentime3 21; ber_w_utctime 15. */

static inline uint8_t *
ber_w_hdr(uint8_t *p, uint32_t tag, size_t n)
{
	size_t ll;

	*p++ = (uint8_t)((tag >> 24) & 0xe0) | (uint8_t)(tag & 0x1f);
	if (n < 0x80) {
		*p++ = (uint8_t)n;			/* short form, 8.1.3.4 */
		return p;
	}
	ll = ber_len_size(n) - 1;			/* long form, 8.1.3.5 */
	*p++ = (uint8_t)(0x80 | ll);
	for (size_t i = ll; i >= 1; i--, n >>= 8)
		p[i - 1] = (uint8_t)n;
	return p + ll;
}

static inline uint8_t *
ber_w_octets(uint8_t *p, uint32_t tag, const void *src, size_t n)
{
	p = ber_w_hdr(p, tag, n);
	if (n)
		memcpy(p, src, n);
	return p + n;
}

static inline uint8_t *
ber_w_uint(uint8_t *p, uint32_t tag, uint64_t v)
{
	size_t n = ber_uint_size(v);

	p = ber_w_hdr(p, tag, n);
	for (size_t i = n; i-- > 0; v >>= 8)	/* 8.3.2; a 9th octet gets the 0 sign octet */
		p[i] = (uint8_t)v;
	return p + n;
}

/* GeneralizedTime "YYYYMMDDhhmmss.fffZ" (milliseconds of usec); t must be valid, usec <= 999999. */
uint8_t *ber_w_gentime3(uint8_t *p, uint32_t tag, const struct ber_time *t, uint32_t usec);
/* UTCTime "YYMMDDhhmmssZ"; t must be valid with a year in 1950..2049. */
uint8_t *ber_w_utctime(uint8_t *p, uint32_t tag, const struct ber_time *t);

/* ---- reader -------------------------------------------------------------------------------- */

struct ber_tlv {
	uint32_t tag;
	size_t hdrlen;		/* identifier + length octets */
	struct ovt_cursor val;	/* the contents octets */
};

/* Decodes the identifier and length octets at the start of c without consuming anything, and
 * without requiring the contents to be present (stream framing).  BER_E_TRUNCATED when the
 * header itself is incomplete. */
enum ber_err ber_peek_hdr(const struct ovt_cursor *c, uint32_t *tag, size_t *hdrlen,
			  size_t *len);
/* Reads one whole TLV; on success advances c past it.  On error c is unchanged. */
enum ber_err ber_get_tlv(struct ovt_cursor *c, struct ber_tlv *out);
/* Reads one TLV that must carry exactly tag (class, form and number): BER_E_TAG otherwise, or
 * BER_E_FORM if only the constructed bit differs.  c is unchanged on error. */
enum ber_err ber_get_tagged(struct ovt_cursor *c, uint32_t tag, struct ovt_cursor *out_val);
/* 1 and *tag when c starts with a well-formed identifier+length, else 0. */
int ber_peek_tag(const struct ovt_cursor *c, uint32_t *tag);

/* Value decoders on a contents cursor (ber_tlv.val); the whole cursor is the value. */
enum ber_err ber_read_uint(const struct ovt_cursor *val, uint64_t max, uint64_t *out);
enum ber_err ber_read_null(const struct ovt_cursor *val);
/* Decodes up to max arcs (<= BER_OID_MAX_ARCS); arcs above 0xffffffff are refused. */
enum ber_err ber_read_oid(const struct ovt_cursor *val, uint32_t *arcs, size_t max,
			  size_t *out_n);
/* GeneralizedTime "YYYYMMDDhh[mm[ss]][.f+]" followed by 'Z' or +-hhmm; local times without a
 * zone are refused (ambiguous).  Fractions beyond microseconds are truncated. */
enum ber_err ber_read_gentime(const struct ovt_cursor *val, int64_t *sec, uint32_t *usec);
/* UTCTime "YYMMDDhhmm[ss]" followed by 'Z' or +-hhmm; YY < 50 is 20YY (X.509 convention). */
enum ber_err ber_read_utctime(const struct ovt_cursor *val, int64_t *sec);

/* Walks the single element that must span exactly p[0..len), and every element nested in its
 * constructed parts, checking each header and length.  At most max_depth levels (clamped to
 * BER_DEPTH_LIMIT; the outer element is level 1) and max_elems elements in total.
 * Iterative, O(len), no allocation.  *out_elems (may be NULL) gets the element count. */
enum ber_err ber_validate(const uint8_t *p, size_t len, unsigned max_depth, unsigned max_elems,
			  unsigned *out_elems);

/* ---- time helpers shared with the HI2 code ------------------------------------------------- */

/* Seconds since 1970-01-01 for a proleptic Gregorian UTC date/time; fields are not checked. */
int64_t ber_time_from_civil(int year, unsigned mon, unsigned day, unsigned h, unsigned m,
			    unsigned s);

#endif
