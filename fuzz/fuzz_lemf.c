/*
 * libFuzzer target for the LEMF's per-connection path: the input is an HI2/HI3 TCP byte stream
 * (after a first octet that chooses the read size, so PDU boundaries fall everywhere), fed to
 * lemf_rx exactly as the server feeds it.  Every PDU that decodes goes through what the store
 * does with it, in memory: the duplicate check (lemf_seq), the IRI JSON line, the pcap record
 * and its timestamp choice, and for keep-alives the response the server would send.
 * Checks: a JSON line is one line of printable ASCII ending "}\n"; a pcap record reads back as
 * the packet it was made from; lemf_seq agrees with itself (has/add); the keep-alive response
 * decodes with the keep-alive's sequence number.  The same bytes are also tried as a stored
 * sequence-range blob (lemf_seq_decode), which must re-encode to itself, and as the contents
 * of a CC file that `report --verify` or recovery would walk (a damaged or forged file): the
 * walk only moves forward, stays inside the bytes, and what it reads re-encodes to them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hi2/hi2.h"
#include "lemf/lemf_rec.h"
#include "lemf/lemf_rx.h"
#include "lemf/lemf_seq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(c) do { if (!(c)) abort(); } while (0)
#define NSTREAMS 16

static uint8_t line[LEMF_JSON_MAX];
static uint8_t resp[512];

struct fz {
	struct lemf_seq seq[NSTREAMS];
};

static void
check_iri(const struct hi2_pdu *pdu)
{
	struct hi2_pdu p = *pdu;
	struct hi2_iri_item it;
	struct lemf_iri_ctx ctx = {pdu, 0, 1736936430, 0};

	while (hi2_next_iri(&p, &it)) {
		struct ovt_builder b;
		bld_init_fixed(&b, line, sizeof(line));
		FZ_CHECK(lemf_iri_json(&b, &ctx, &it) == 0);
		FZ_CHECK(bld_len(&b) >= 3 && line[0] == '{');
		FZ_CHECK(line[bld_len(&b) - 2] == '}' && line[bld_len(&b) - 1] == '\n');
		for (size_t i = 0; i + 1 < bld_len(&b); i++)
			FZ_CHECK(line[i] >= 0x20 && line[i] < 0x7f);
		ctx.item++;
	}
}

static void
check_cc(const struct hi2_pdu *pdu)
{
	struct hi2_pdu p = *pdu;
	struct hi2_cc_item it;

	while (hi2_next_cc(&p, &it)) {
		uint8_t h[LEMF_PCAP_RECHDR], t[LEMF_PCAP_RECTRL_MAX];
		uint32_t sec = 0, usec = 0;
		enum lemf_dir dir = lemf_cc_dir(&it);
		struct lemf_pcap_rec r;
		struct ovt_cursor c;
		size_t hl, tl, n;
		uint8_t *rec;

		if (lemf_cc_time(pdu, &it, &sec, &usec))
			FZ_CHECK(usec < 1000000);
		FZ_CHECK(dir == LEMF_DIR_UNKNOWN || dir == LEMF_DIR_TO_TARGET ||
			 dir == LEMF_DIR_FROM_TARGET);
		/* Each format's record reads back as written, with nothing left over. */
		for (enum lemf_pcap_fmt f = LEMF_PCAP_CLASSIC; f <= LEMF_PCAP_NG; f++) {
			lemf_pcap_record(f, sec, usec, (uint32_t)it.pkt.len, dir, h, &hl, t, &tl);
			n = hl + it.pkt.len + tl;
			FZ_CHECK((rec = malloc(n)) != NULL);
			memcpy(rec, h, hl);
			if (it.pkt.len > 0)
				memcpy(rec + hl, it.pkt.p, it.pkt.len);
			memcpy(rec + hl + it.pkt.len, t, tl);
			cur_init(&c, rec, n);
			FZ_CHECK(lemf_pcap_next(&c, f, &r) == 1);
			FZ_CHECK(r.sec == sec && r.usec == usec && cur_len(&c) == 0);
			FZ_CHECK(r.dir == (f == LEMF_PCAP_NG ? dir : LEMF_DIR_UNKNOWN));
			FZ_CHECK(cur_len(&r.pkt) == it.pkt.len);
			FZ_CHECK(it.pkt.len == 0 || memcmp(cur_data(&r.pkt), it.pkt.p, it.pkt.len) == 0);
			free(rec);
		}
	}
}

static void
check_keepalive(const struct hi2_pdu *pdu)
{
	struct hi2_pshdr h;
	struct ovt_builder b;
	struct hi2_diag d;
	struct hi2_pdu back;

	memset(&h, 0, sizeof(h));
	h.liid = pdu->liid;
	memcpy(h.auth_cc, pdu->auth_cc, sizeof(h.auth_cc));
	h.operator_id = pdu->operator_id;
	h.ne_id = pdu->ne_id;
	h.cin = pdu->cin;
	memcpy(h.delivery_cc, pdu->delivery_cc, sizeof(h.delivery_cc));
	h.seq = pdu->seq;
	h.ts_sec = 1736936430;
	bld_init_fixed(&b, resp, sizeof(resp));
	if (hi2_encode_tri(&b, &h, HI2_TRI_KEEPALIVE_RESPONSE, &d) != HI2_OK)
		return;
	FZ_CHECK(hi2_decode(resp, bld_len(&b), &back, &d) == HI2_OK);
	FZ_CHECK(back.kind == HI2_KIND_TRI && back.tri == HI2_TRI_KEEPALIVE_RESPONSE);
	FZ_CHECK(back.seq == pdu->seq && back.liid.len == pdu->liid.len);
}

static int
on_pdu(void *arg, struct hi2_pdu *pdu, const uint8_t *raw, size_t len)
{
	struct fz *f = arg;
	/* IRI and CC are numbered separately within a CIN (lemf_store.h) */
	struct lemf_seq *s = &f->seq[(pdu->cin * 2 + (pdu->kind == HI2_KIND_CC)) % NSTREAMS];
	int had, delta = 0;
	uint32_t n0 = s->n;
	enum lemf_seq_res r;

	if (pdu->kind == HI2_KIND_TRI) {
		if (pdu->tri == HI2_TRI_KEEPALIVE)
			check_keepalive(pdu);
		return 0;
	}
	had = lemf_seq_has(s, pdu->seq);
	r = lemf_seq_add(s, pdu->seq, 64, &delta);
	FZ_CHECK(r != LEMF_SEQ_NOMEM);
	FZ_CHECK(had ? r == LEMF_SEQ_DUP : (r == LEMF_SEQ_NEW || r == LEMF_SEQ_FULL));
	FZ_CHECK((int64_t)s->n == (int64_t)n0 + (r == LEMF_SEQ_NEW ? delta : 0));
	FZ_CHECK(s->n <= 64 && (r != LEMF_SEQ_NEW || lemf_seq_has(s, pdu->seq)));
	if (pdu->kind == HI2_KIND_IRI)
		check_iri(pdu);
	else
		check_cc(pdu);
	return 0;
}

static void
on_bad(void *arg, enum hi2_err e, const struct hi2_diag *d, const uint8_t *raw, size_t len)
{
	char t[256];
	FZ_CHECK(e != HI2_OK && len > 0);
	hi2_diag_format(e, d, t, sizeof(t));
}

/* The bytes as a CC file (with, if they lack one, each file header in front). */
static void
walk_one(const uint8_t *p, size_t n)
{
	struct ovt_cursor c;
	struct lemf_pcap_rec r;
	enum lemf_pcap_fmt fmt;

	cur_init(&c, p, n);
	if ((fmt = lemf_pcap_filehdr_ok(c)) == LEMF_PCAP_BAD)
		return;
	FZ_CHECK(cur_skip(&c, lemf_pcap_filehdr_len(fmt)));
	for (;;) {
		uint8_t h[LEMF_PCAP_RECHDR], t[LEMF_PCAP_RECTRL_MAX];
		size_t before = cur_len(&c), hl, tl;
		const uint8_t *at = cur_data(&c);

		if (!lemf_pcap_next(&c, fmt, &r)) {
			FZ_CHECK(cur_len(&c) == before);
			break;
		}
		FZ_CHECK(cur_len(&c) < before && r.usec < 1000000 && r.dir <= LEMF_DIR_FROM_TARGET);
		FZ_CHECK(fmt == LEMF_PCAP_NG || r.dir == LEMF_DIR_UNKNOWN);
		/* Only the layout the writer produces is accepted: it re-encodes byte for byte. */
		lemf_pcap_record(fmt, r.sec, r.usec, (uint32_t)cur_len(&r.pkt), r.dir, h, &hl, t,
				 &tl);
		FZ_CHECK(hl + cur_len(&r.pkt) + tl == before - cur_len(&c));
		FZ_CHECK(memcmp(at, h, hl) == 0);
		FZ_CHECK(cur_data(&r.pkt) == at + hl);
		FZ_CHECK(tl == 0 || memcmp(at + hl + cur_len(&r.pkt), t, tl) == 0);
	}
}

static void
walk_file(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size + LEMF_PCAP_FILEHDR);

	FZ_CHECK(buf != NULL);
	walk_one(data, size);
	for (enum lemf_pcap_fmt f = LEMF_PCAP_CLASSIC; f <= LEMF_PCAP_NG; f++) {
		size_t hl = lemf_pcap_filehdr(buf, f);
		if (size > 0)
			memcpy(buf + hl, data, size);
		walk_one(buf, hl + size);
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct lemf_rx_ops ops = {on_pdu, on_bad};
	struct lemf_rx_stats st;
	struct lemf_rx rx;
	struct fz f;
	size_t step, off;
	struct lemf_seq blob;
	struct ovt_cursor c;
	enum lemf_rx_res r = LEMF_RX_OK;

	if (size == 0)
		return 0;
	memset(&st, 0, sizeof(st));
	for (int i = 0; i < NSTREAMS; i++)
		lemf_seq_init(&f.seq[i]);
	step = (size_t)data[0] * 37 + 1;	/* 1 .. 9436 octets per read */
	lemf_rx_init(&rx, HI2_MAX_PDU, &st);
	for (off = 1; off < size && r == LEMF_RX_OK; off += step) {
		size_t n = size - off < step ? size - off : step;
		r = lemf_rx_feed(&rx, data + off, n, &ops, &f);
	}
	FZ_CHECK(r == LEMF_RX_OK || r == LEMF_RX_FRAMING);
	FZ_CHECK(r != LEMF_RX_FRAMING || rx.err == HI2_E_FRAMING || rx.err == HI2_E_TOO_BIG);
	FZ_CHECK(lemf_rx_buffered(&rx) < HI2_MAX_PDU && st.bytes <= size);
	lemf_rx_cleanup(&rx);
	for (int i = 0; i < NSTREAMS; i++)
		lemf_seq_cleanup(&f.seq[i]);

	/* The bytes as a stored range blob: accepted blobs re-encode to themselves. */
	lemf_seq_init(&blob);
	cur_init(&c, data, size);
	if (lemf_seq_decode(&blob, c, 1024) == LEMF_OK) {
		struct ovt_builder b;
		uint8_t *o = malloc(size + 1);
		FZ_CHECK(o != NULL);
		bld_init_fixed(&b, o, size + 1);
		lemf_seq_encode(&blob, &b);
		FZ_CHECK(bld_ok(&b) && bld_len(&b) == size && memcmp(o, data, size) == 0);
		free(o);
	}
	lemf_seq_cleanup(&blob);
	walk_file(data, size);
	return 0;
}
