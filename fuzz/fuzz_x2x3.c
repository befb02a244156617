/*
 * libFuzzer target for the X2/X3 parser (the MDF's ingest surface): the input is decoded as
 * one PDU and also fed as a stream through the framer in chunks whose size the first octet
 * picks.  Every PDU the decoder accepts must re-encode to a PDU that decodes to the same
 * values (a crash, not a silent pass, if the encoder and decoder ever disagree), and goes
 * through the duplicate filter (x2x3_dedup.h) as one connection's stream.  The input is also
 * loaded as a duplicate-filter snapshot (bytes an MDF reads back from its storage): an
 * accepted snapshot must save to octets that load again and save to the same length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "x2x3/x2x3.h"
#include "x2x3/x2x3_dedup.h"

#define FUZZ_MAX_PDU 65536
#define SNAP_HDR     8	/* magic, version, reserved, identity count */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
roundtrip(const struct x2x3_pdu *p, size_t len)
{
	struct ovt_builder b;
	struct x2x3_pdu q;
	struct ovt_cursor c;
	uint8_t *buf = malloc(len + 1);
	if (buf == NULL)
		return;
	bld_init_fixed(&b, buf, len + 1);
	if (x2x3_pdu_encode(p, &b) != X2X3_OK)
		abort();
	cur_init(&c, bld_data(&b), bld_len(&b));
	if (x2x3_pdu_decode(c, FUZZ_MAX_PDU, &q) != X2X3_OK || q.type != p->type ||
	    q.format != p->format || q.present != p->present || q.seq != p->seq ||
	    q.correlation_id != p->correlation_id || memcmp(q.xid, p->xid, 16) != 0 ||
	    cur_len(&q.payload) != cur_len(&p->payload) ||
	    cur_len(&q.mti) != cur_len(&p->mti))
		abort();
	free(buf);
}

static void
one(struct ovt_cursor c, size_t input_len, struct x2x3_dedup *dd)
{
	struct x2x3_pdu p;
	int restart;
	if (x2x3_pdu_decode(c, FUZZ_MAX_PDU, &p) != X2X3_OK)
		return;
	roundtrip(&p, input_len);
	if (dd != NULL)
		(void)x2x3_dedup_pdu(dd, "fuzz", 1, &p, &restart);
}

/* Saves dd into a heap buffer (NULL on allocation failure). */
static uint8_t *
save(const struct x2x3_dedup *dd, size_t *len)
{
	struct ovt_builder b;
	*len = x2x3_dedup_saved_len(dd);
	if (!bld_init(&b, *len, *len))
		return NULL;
	if (x2x3_dedup_save(dd, &b) != 0 || bld_len(&b) != *len)
		abort();
	return bld_data(&b);
}

static void
snapshot(const uint8_t *data, size_t size)
{
	struct x2x3_dedup *dd = x2x3_dedup_new(8, 256);
	struct ovt_cursor c;
	uint8_t *s1 = NULL, *s2 = NULL;
	size_t n1, n2;

	if (dd == NULL)
		return;
	cur_init(&c, data, size);
	if (x2x3_dedup_load(dd, c) != X2X3_DEDUP_OK)
		goto out;
	if ((s1 = save(dd, &n1)) == NULL)
		goto out;
	cur_init(&c, s1, n1);
	if (x2x3_dedup_load(dd, c) != X2X3_DEDUP_OK)
		abort();
	/* Same content; the order of XIDs may differ (it follows hash table slots). */
	if ((s2 = save(dd, &n2)) == NULL)
		goto out;
	if (n1 != n2 || memcmp(s1, s2, SNAP_HDR) != 0)
		abort();
out:
	free(s1);
	free(s2);
	x2x3_dedup_free(dd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ovt_cursor c;
	struct x2x3_framer f;
	struct x2x3_dedup *dd;
	size_t chunk, fed = 0;

	cur_init(&c, data, size);
	one(c, size, NULL);
	snapshot(data, size);

	if (size == 0 || x2x3_framer_init(&f, 4096) != X2X3_OK)
		return 0;
	dd = x2x3_dedup_new(2, 64);
	chunk = (size_t)data[0] % 64 + 1;
	while (fed < size) {
		uint8_t *p;
		size_t room, n;
		struct ovt_cursor pdu;
		enum x2x3_err e;
		int r;
		x2x3_framer_space(&f, &p, &room);
		if (room == 0)
			break;
		n = size - fed < chunk ? size - fed : chunk;
		n = n < room ? n : room;
		memcpy(p, data + fed, n);
		x2x3_framer_commit(&f, n);
		fed += n;
		while ((r = x2x3_framer_next(&f, &pdu, &e)) == 1)
			one(pdu, cur_len(&pdu), dd);
		if (r < 0)
			break;
	}
	x2x3_framer_cleanup(&f);
	x2x3_dedup_free(dd);
	return 0;
}
