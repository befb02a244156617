/*
 * libFuzzer target for the MDF's mediation of one X2/X3 PDU (src/mdf/mdf_encode.c): the input
 * is decoded as an X2/X3 PDU; an accepted one goes through mdf_item_prepare (GTP-U T-PDU
 * extraction, the EpsIRIContent decoder) and, if that accepts it, is encoded as a PS-PDU.
 * Oracle: every PS-PDU the MDF encodes must decode with the LEMF-side decoder, carrying the
 * LIID, CIN and sequence number it was given (a crash, not a silent pass, otherwise).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mdf/mdf_encode.h"
#include "x2x3/x2x3.h"

#define FUZZ_MAX_PDU 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[MDF_HASH_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ovt_cursor c;
	struct x2x3_pdu pdu;
	struct mdf_item it;
	struct hi2_diag d;
	struct hi2_stream s;
	struct hi2_pshdr h;
	struct ovt_builder b;
	struct hi2_pdu dec;
	struct timespec now = {1700000000, 0};
	static uint8_t out[FUZZ_MAX_PDU + 4096];

	cur_init(&c, data, size);
	if (x2x3_pdu_decode(c, FUZZ_MAX_PDU, &pdu) != X2X3_OK)
		return 0;
	(void)mdf_fingerprint(key, 7, &pdu);
	if (mdf_item_prepare(&it, &pdu, &now, MDF_ICE_SGW, &d) != MDF_DROP_NONE)
		return 0;
	memset(&h, 0, sizeof(h));
	h.liid.p = (const uint8_t *)"FUZZ-LIID";
	h.liid.len = 9;
	h.operator_id.p = (const uint8_t *)"op";
	h.operator_id.len = 2;
	h.cin = mdf_cin(key, pdu.correlation_id);
	h.seq = 0xfffffffeu;
	if (hi2_stream_init(&s, &h, &d) != HI2_OK)
		abort();
	for (int i = 0; i < 3; i++) {
		uint32_t seq = s.hdr.seq;
		bld_init_fixed(&b, out, sizeof(out));
		enum hi2_err e = mdf_item_encode(&it, &s, &b, &d);
		if (e == HI2_E_ARG)
			return 0;	/* a value the PS-PDU cannot carry: refused, counted */
		if (e != HI2_OK)
			abort();	/* the buffer is always large enough */
		if (hi2_decode(out, bld_len(&b), &dec, &d) != HI2_OK || dec.seq != seq ||
		    dec.cin != h.cin || dec.liid.len != 9 || memcmp(dec.liid.p, "FUZZ-LIID", 9) != 0 ||
		    dec.kind != (it.kind == MDF_HI2 ? HI2_KIND_IRI : HI2_KIND_CC))
			abort();
		if (s.hdr.seq != seq + 1)
			abort();
	}
	return 0;
}
