/*
 * libFuzzer target for the BER reader (src/ber): ber_validate() with small caps, then a walk of
 * every element reading each primitive as INTEGER, OID, NULL and both time types.  Two
 * differential checks tie the writer to the reader:
 *   - a value the strict reader accepts as INTEGER or OID re-encodes to the same contents
 *     (the reader refuses non-minimal forms, so there is exactly one encoding);
 *   - the validated tree re-encoded through ber_open/ber_close (with input-driven hints)
 *     validates again with the same element count, and is byte-identical when the input
 *     used minimal lengths.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ber/ber.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_DEPTH 16
#define FZ_ELEMS 4096
#define FZ_CHECK(c) do { if (!(c)) abort(); } while (0)

static void
check_value(const struct ber_tlv *t)
{
	uint8_t buf[BER_OID_MAX_ARCS * 5 + 16];
	struct ovt_builder b;
	uint32_t arcs[BER_OID_MAX_ARCS];
	uint64_t v;
	int64_t sec;
	uint32_t usec;
	size_t n;

	if (ber_read_uint(&t->val, UINT64_MAX, &v) == BER_OK) {
		bld_init_fixed(&b, buf, sizeof(buf));
		ber_put_uint(&b, BER_CTX(0), v);
		FZ_CHECK(bld_ok(&b) && bld_len(&b) == 2 + cur_len(&t->val));
		FZ_CHECK(memcmp(buf + 2, cur_data(&t->val), cur_len(&t->val)) == 0);
	}
	if (ber_read_oid(&t->val, arcs, BER_OID_MAX_ARCS, &n) == BER_OK) {
		struct ovt_cursor c;
		struct ber_tlv back;
		bld_init_fixed(&b, buf, sizeof(buf));
		ber_put_oid(&b, BER_CTX(0), arcs, n);
		/* The reader maps a first subidentifier >= 80 to arc 2 (8.19.4) and refuses
		 * leading 0x80 octets, so exactly these contents come back. */
		FZ_CHECK(bld_ok(&b));
		cur_init(&c, buf, bld_len(&b));
		FZ_CHECK(ber_get_tlv(&c, &back) == BER_OK);
		FZ_CHECK(cur_len(&back.val) == cur_len(&t->val));
		FZ_CHECK(memcmp(cur_data(&back.val), cur_data(&t->val), cur_len(&t->val)) == 0);
	}
	(void)ber_read_null(&t->val);
	if (ber_read_gentime(&t->val, &sec, &usec) == BER_OK)
		FZ_CHECK(usec <= 999999);
	(void)ber_read_utctime(&t->val, &sec);
}

/* Copies the elements of c into b, recursively (depth already capped by ber_validate). */
static int
reencode(struct ovt_cursor c, struct ovt_builder *b, unsigned depth, uint8_t salt, int *minimal)
{
	while (cur_len(&c) > 0) {
		struct ber_tlv t;
		if (ber_get_tlv(&c, &t) != BER_OK || depth > FZ_DEPTH)
			return 0;
		size_t tagoct = BER_TAG_NUM(t.tag) <= 30 ? 1 : BER_TAG_NUM(t.tag) < 128 ? 2 :
				BER_TAG_NUM(t.tag) < 16384 ? 3 : 4;
		if (t.hdrlen - tagoct != ber_len_size(cur_len(&t.val)))
			*minimal = 0;
		if (BER_TAG_IS_CONS(t.tag)) {
			struct ber_mark m;
			size_t hint = (salt & 3) == 0 ? 0 : (salt & 3) == 1 ? cur_len(&t.val) :
				      (salt & 3) == 2 ? 200 : 70000;
			ber_open(b, t.tag, hint, &m);
			if (!reencode(t.val, b, depth + 1, (uint8_t)(salt * 5 + 1), minimal))
				return 0;
			ber_close(b, &m);
		} else {
			check_value(&t);
			ber_put_octets(b, t.tag, cur_data(&t.val), cur_len(&t.val));
		}
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ovt_cursor c;
	struct ovt_builder b;
	unsigned elems, elems2;
	uint32_t tag;
	size_t hl, len;
	int minimal = 1;

	cur_init(&c, data, size);
	(void)ber_peek_hdr(&c, &tag, &hl, &len);
	if (ber_validate(data, size, FZ_DEPTH, FZ_ELEMS, &elems) != BER_OK)
		return 0;
	if (!bld_init(&b, 64, size + 64))
		return 0;
	if (reencode(c, &b, 1, size ? data[0] : 0, &minimal) && bld_ok(&b)) {
		FZ_CHECK(ber_validate(bld_data(&b), bld_len(&b), FZ_DEPTH, FZ_ELEMS, &elems2) ==
			 BER_OK);
		FZ_CHECK(elems == elems2);
		if (minimal)
			FZ_CHECK(bld_len(&b) == size && memcmp(bld_data(&b), data, size) == 0);
	}
	bld_cleanup(&b);
	return 0;
}
