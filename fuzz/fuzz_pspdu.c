/*
 * libFuzzer target for the LEMF side of src/hi2: the input is an HI2/HI3 TCP byte stream, cut
 * with hi2_split() and decoded PDU by PDU with hi2_decode(), the payload items read with the
 * iterators; the same bytes are also tried as one X2 payload format 14 (hi2_iri_decode_x2).
 * Differential checks: whatever decodes and is acceptable to the encoders is re-encoded and
 * decoded again, and must come back with the same fields; the per-stream encoder must produce
 * the stateless encoder's bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hi2/hi2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(c) do { if (!(c)) abort(); } while (0)

static uint8_t out[HI2_MAX_PDU], out2[HI2_MAX_PDU];

/* The per-stream encoder must produce the stateless encoder's bytes. */
static void
same_as_stream(const struct hi2_pshdr *h, const struct hi2_cc *cc, const struct hi2_eps_iri *iri,
	       size_t len)
{
	struct hi2_stream st;
	struct ovt_builder b;
	struct hi2_diag d;
	FZ_CHECK(hi2_stream_init(&st, h, &d) == HI2_OK);
	bld_init_fixed(&b, out2, sizeof(out2));
	if (cc != NULL)
		FZ_CHECK(hi2_stream_cc(&st, &b, h->ts_sec, h->ts_usec, cc, &d) == HI2_OK);
	else
		FZ_CHECK(hi2_stream_iri(&st, &b, h->ts_sec, h->ts_usec, iri, &d) == HI2_OK);
	FZ_CHECK(bld_len(&b) == len && memcmp(out, out2, len) == 0);
	FZ_CHECK(st.hdr.seq == h->seq + 1);
}

static int
same(struct hi2_bytes a, struct hi2_bytes b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static void
check_iri_equal(const struct hi2_eps_iri *a, const struct hi2_eps_iri *b)
{
	FZ_CHECK(a->event == b->event && a->ts_sec == b->ts_sec);
	FZ_CHECK(strcmp(a->imsi, b->imsi) == 0 && strcmp(a->msisdn, b->msisdn) == 0 &&
		 strcmp(a->imei, b->imei) == 0);
	FZ_CHECK(same(a->corr, b->corr) && same(a->apn, b->apn) && same(a->paa, b->paa) &&
		 same(a->uli, b->uli) && same(a->old_uli, b->old_uli) && same(a->qos, b->qos));
	FZ_CHECK(a->has_ebi == b->has_ebi && a->ebi == b->ebi && a->bearer_type == b->bearer_type);
	FZ_CHECK(a->ne_addr_len == b->ne_addr_len &&
		 memcmp(a->ne_addr, b->ne_addr, a->ne_addr_len) == 0);
	FZ_CHECK(hi2_iri_record_of(a) == hi2_iri_record_of(b));
}

static void
roundtrip_iri(const struct hi2_pshdr *h, const struct hi2_eps_iri *iri)
{
	struct ovt_builder b;
	struct hi2_diag d;
	struct hi2_pdu p;
	struct hi2_iri_item it;

	bld_init_fixed(&b, out, sizeof(out));
	if (hi2_encode_iri(&b, h, iri, &d) != HI2_OK)
		return;		/* a field outside what we send (the decoder is more liberal) */
	same_as_stream(h, NULL, iri, bld_len(&b));
	FZ_CHECK(hi2_decode(out, bld_len(&b), &p, &d) == HI2_OK);
	FZ_CHECK(hi2_next_iri(&p, &it) == 1);
	check_iri_equal(iri, &it.eps);
}

static void
roundtrip_cc(const struct hi2_pshdr *h, const struct hi2_cc_item *ci)
{
	struct ovt_builder b;
	struct hi2_diag d;
	struct hi2_pdu p;
	struct hi2_cc_item back;
	struct hi2_cc cc = {
		.dir = ci->dir, .corr = ci->corr, .ulic_seq = (uint16_t)ci->ulic_seq,
		.tpdu_dir = ci->tpdu_dir, .ice_type = ci->ice_type, .pkt = ci->pkt,
	};

	bld_init_fixed(&b, out, sizeof(out));
	if (hi2_encode_cc(&b, h, &cc, &d) != HI2_OK)
		return;
	same_as_stream(h, &cc, NULL, bld_len(&b));
	FZ_CHECK(hi2_decode(out, bld_len(&b), &p, &d) == HI2_OK);
	FZ_CHECK(hi2_next_cc(&p, &back) == 1);
	FZ_CHECK(same(back.pkt, ci->pkt) && same(back.corr, ci->corr));
	FZ_CHECK(back.ulic_seq == ci->ulic_seq && back.tpdu_dir == ci->tpdu_dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hi2_diag d;
	size_t off = 0, len;

	while (off < size && hi2_split(data + off, size - off, HI2_MAX_PDU, &len, &d) == HI2_OK) {
		struct hi2_pdu p;
		FZ_CHECK(len > 0 && len <= size - off);
		if (hi2_decode(data + off, len, &p, &d) == HI2_OK) {
			struct hi2_pshdr h = {
				.liid = p.liid, .operator_id = p.operator_id, .ne_id = p.ne_id,
				.cin = p.cin, .seq = p.seq, .ts_sec = p.ts_sec,
				.ts_usec = p.ts_usec, .has_tsq = p.has_tsq, .tsq = p.tsq,
			};
			struct hi2_iri_item it;
			struct hi2_cc_item ci;
			unsigned n = 0;
			while (hi2_next_iri(&p, &it)) {
				roundtrip_iri(&h, &it.eps);
				n++;
			}
			while (hi2_next_cc(&p, &ci)) {
				roundtrip_cc(&h, &ci);
				n++;
			}
			FZ_CHECK(p.kind == HI2_KIND_TRI ? n == 0 : n == p.nitems);
		} else {
			FZ_CHECK(d.where != NULL);
		}
		off += len;
	}

	struct hi2_eps_iri iri, back;
	if (hi2_iri_decode_x2(data, size, &iri, &d) == HI2_OK) {
		struct ovt_builder b;
		bld_init_fixed(&b, out, sizeof(out));
		if (hi2_iri_encode_x2(&b, &iri, &d) == HI2_OK) {
			FZ_CHECK(hi2_iri_decode_x2(out, bld_len(&b), &back, &d) == HI2_OK);
			check_iri_equal(&iri, &back);
		}
	}
	return 0;
}
