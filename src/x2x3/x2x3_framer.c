/*
 * X2/X3 stream framer: TCP (or TLS) gives bytes, X2/X3 needs whole PDUs (TS 103 221-2 PDUs are
 * self-delimiting by their header and payload lengths, several may share a segment and one may
 * span many).  The buffer starts small and grows only to the length the current PDU announces,
 * capped by max_pdu, so a peer announcing a huge PDU costs nothing: it is refused as soon as its
 * first 12 octets arrive.
 */
#include "x2x3/x2x3.h"

#include <stdlib.h>
#include <string.h>

/* Octets of the fixed header that carry both lengths. */
#define X2X3_LEN_PREFIX 12

enum x2x3_err
x2x3_framer_init(struct x2x3_framer *f, size_t max_pdu)
{
	memset(f, 0, sizeof(*f));
	if (max_pdu < X2X3_MIN_PDU_LIMIT || max_pdu > X2X3_MAX_PDU_LIMIT)
		return X2X3_E_CONFIG;
	f->max_pdu = max_pdu;
	f->cap = max_pdu < X2X3_FRAMER_INITIAL ? max_pdu : X2X3_FRAMER_INITIAL;
	if ((f->buf = malloc(f->cap)) == NULL)
		return X2X3_E_NOMEM;
	return X2X3_OK;
}

void
x2x3_framer_cleanup(struct x2x3_framer *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

size_t
x2x3_framer_buffered(const struct x2x3_framer *f)
{
	return f->wr - f->rd - f->last;
}

/* Releases the PDU handed out last time. */
static void
release_last(struct x2x3_framer *f)
{
	f->rd += f->last;
	f->last = 0;
	if (f->rd == f->wr)
		f->rd = f->wr = 0;
}

void
x2x3_framer_space(struct x2x3_framer *f, uint8_t **out_p, size_t *out_n)
{
	release_last(f);
	*out_p = NULL;
	*out_n = 0;
	if (f->err != X2X3_OK || f->buf == NULL)
		return;
	/* Grow to hold the whole PDU being collected; `want` is already <= max_pdu. */
	if (f->want > f->cap) {
		uint8_t *nb;
		/* Move the partial PDU to the front first so the copy realloc makes is small. */
		if (f->rd > 0) {
			memmove(f->buf, f->buf + f->rd, f->wr - f->rd);
			f->wr -= f->rd;
			f->rd = 0;
		}
		if ((nb = realloc(f->buf, f->want)) == NULL) {
			f->err = X2X3_E_NOMEM;
			return;
		}
		f->buf = nb;
		f->cap = f->want;
	}
	/* Compact when the tail cannot take the rest of the current PDU (or its length
	 * prefix): each octet moves at most once per PDU. */
	size_t need = f->want ? f->want : X2X3_LEN_PREFIX;
	if (f->rd > 0 && f->cap - f->rd < need) {
		memmove(f->buf, f->buf + f->rd, f->wr - f->rd);
		f->wr -= f->rd;
		f->rd = 0;
	}
	*out_p = f->buf + f->wr;
	*out_n = f->cap - f->wr;
}

void
x2x3_framer_commit(struct x2x3_framer *f, size_t n)
{
	/* Callers pass what they read into the space we gave; clamp defensively. */
	if (n > f->cap - f->wr)
		n = f->cap - f->wr;
	f->wr += n;
}

int
x2x3_framer_next(struct x2x3_framer *f, struct ovt_cursor *out, enum x2x3_err *err)
{
	struct ovt_cursor c;

	release_last(f);
	if (f->err != X2X3_OK) {
		*err = f->err;
		return -1;
	}
	cur_init(&c, f->buf + f->rd, f->wr - f->rd);
	if (f->want == 0) {
		size_t len;
		enum x2x3_err e = x2x3_pdu_peek_len(&c, f->max_pdu, &len);
		if (e == X2X3_E_SHORT)
			return 0;
		if (e != X2X3_OK) {
			f->err = e;
			*err = e;
			return -1;
		}
		f->want = len;
	}
	if (cur_len(&c) < f->want)
		return 0;
	cur_init(out, f->buf + f->rd, f->want);
	f->last = f->want;
	f->want = 0;
	return 1;
}
