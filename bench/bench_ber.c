/*
 * Benchmark of the HI2/HI3 hot path: PS-PDU encodes per second for EPS IRI, EPS CC with
 * realistic packet sizes and TRI keep-alives, through the stateless encoders ("encode") and
 * through a per-LIID+CIN struct hi2_stream ("stream", what the MDF uses), the MDF's
 * X2-format-14 -> PS-PDU conversion, and the LEMF side (split + decode).  One thread, one
 * core, fixed output buffer (no allocation).
 *
 * Each figure is also given as a ratio against a baseline measured in the same run: memcpy of
 * the same number of bytes into the same buffer, i.e. the least work that produces those bytes.
 * Usage: bench_ber [seconds per case, default 0.3]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hi2/hi2.h"

static double secs_per_case = 0.3;
static volatile size_t sink;

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef size_t (*bench_fn)(void *arg);

/* Runs fn in batches until secs_per_case elapse; returns calls per second. */
static double
rate(bench_fn fn, void *arg)
{
	unsigned long n = 0, batch = 256;
	double t0 = now(), t;
	do {
		for (unsigned long i = 0; i < batch; i++)
			sink += fn(arg);
		n += batch;
		t = now();
	} while (t - t0 < secs_per_case);
	return (double)n / (t - t0);
}

static uint8_t out[HI2_MAX_PDU];
static uint8_t pkt[1500];
static const uint8_t CORR[8] = {0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0x30, 0x39};
static const uint8_t APN[] = {8, 'i', 'n', 't', 'e', 'r', 'n', 'e', 't'};
static const uint8_t PAA[] = {0x01, 100, 64, 0, 5};
static const uint8_t ULI[] = {0x18, 0x00, 0xf1, 0x10, 0x00, 0x01, 0x00, 0xf1, 0x10,
			      0x00, 0x00, 0x10, 0x10};
static const uint8_t QOS[22] = {0x48, 0x09};

struct ctx {
	struct hi2_stream st;
	int64_t t;
	struct hi2_pshdr h;
	struct hi2_eps_iri iri;
	struct hi2_cc cc;
	const uint8_t *in;
	size_t in_len;
	size_t copy_len;
};

static struct hi2_bytes
bytes(const void *p, size_t n)
{
	struct hi2_bytes b = {p, n};
	return b;
}

static size_t
do_memcpy(void *arg)
{
	struct ctx *c = arg;
	memcpy(out, pkt, c->copy_len > sizeof(pkt) ? sizeof(pkt) : c->copy_len);
	return out[c->copy_len / 2];
}

static size_t
do_iri(void *arg)
{
	struct ctx *c = arg;
	struct ovt_builder b;
	struct hi2_diag d;
	c->h.seq++;
	bld_init_fixed(&b, out, sizeof(out));
	if (hi2_encode_iri(&b, &c->h, &c->iri, &d) != HI2_OK)
		abort();
	return bld_len(&b);
}

static size_t
do_cc(void *arg)
{
	struct ctx *c = arg;
	struct ovt_builder b;
	struct hi2_diag d;
	c->h.seq++;
	c->cc.ulic_seq++;
	bld_init_fixed(&b, out, sizeof(out));
	if (hi2_encode_cc(&b, &c->h, &c->cc, &d) != HI2_OK)
		abort();
	return bld_len(&b);
}

/* The MDF's path: one hi2_stream per LIID+CIN; the clock advances one second per 64 Ki PDUs. */
static size_t
do_stream_cc(void *arg)
{
	struct ctx *c = arg;
	struct ovt_builder b;
	struct hi2_diag d;
	c->cc.ulic_seq++;
	c->t++;
	bld_init_fixed(&b, out, sizeof(out));
	if (hi2_stream_cc(&c->st, &b, 1736936430 + (c->t >> 16), (uint32_t)(c->t & 0xffff) * 15,
			  &c->cc, &d) != HI2_OK)
		abort();
	return bld_len(&b);
}

static size_t
do_stream_iri(void *arg)
{
	struct ctx *c = arg;
	struct ovt_builder b;
	struct hi2_diag d;
	c->t++;
	bld_init_fixed(&b, out, sizeof(out));
	if (hi2_stream_iri(&c->st, &b, 1736936430 + (c->t >> 16), 0, &c->iri, &d) != HI2_OK)
		abort();
	return bld_len(&b);
}

static size_t
do_tri(void *arg)
{
	struct ctx *c = arg;
	struct ovt_builder b;
	struct hi2_diag d;
	c->h.seq++;
	bld_init_fixed(&b, out, sizeof(out));
	if (hi2_encode_tri(&b, &c->h, HI2_TRI_KEEPALIVE, &d) != HI2_OK)
		abort();
	return bld_len(&b);
}

static size_t
do_x2(void *arg)
{
	struct ctx *c = arg;
	struct ovt_builder b;
	struct hi2_diag d;
	c->h.seq++;
	bld_init_fixed(&b, out, sizeof(out));
	if (hi2_encode_iri_from_x2(&b, &c->h, c->in, c->in_len, NULL, &d) != HI2_OK)
		abort();
	return bld_len(&b);
}

static size_t
do_decode(void *arg)
{
	struct ctx *c = arg;
	struct hi2_pdu p;
	struct hi2_diag d;
	struct hi2_iri_item it;
	struct hi2_cc_item cc;
	size_t len, n = 0;
	if (hi2_split(c->in, c->in_len, HI2_MAX_PDU, &len, &d) != HI2_OK ||
	    hi2_decode(c->in, len, &p, &d) != HI2_OK)
		abort();
	while (hi2_next_iri(&p, &it))
		n += it.eps.event;
	while (hi2_next_cc(&p, &cc))
		n += cc.pkt.len;
	return n + p.seq;
}

static void
report(const char *name, double r, size_t bytes_out, struct ctx *c)
{
	c->copy_len = bytes_out;
	double base = rate(do_memcpy, c);
	printf("%-28s %9.0f PDU/s  %5zu B  %7.1f ns/PDU  %6.1f MB/s  ratio vs memcpy(%zu B) %.3f\n",
	       name, r, bytes_out, 1e9 / r, r * (double)bytes_out / 1e6, bytes_out, r / base);
}

int
main(int argc, char **argv)
{
	static struct ctx c;
	static uint8_t x2[2048], pdu[4096];
	struct ovt_builder b;
	struct hi2_diag d;

	if (argc > 1)
		secs_per_case = strtod(argv[1], NULL);
	if (!(secs_per_case > 0.0 && secs_per_case < 60.0))
		secs_per_case = 0.3;
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 131 + 7);

	c.h.liid = bytes("LIID-0042", 9);
	memcpy(c.h.auth_cc, "DE", 3);
	c.h.operator_id = bytes("OPERATOR1", 9);
	c.h.ne_id = bytes("SGW-A", 5);
	c.h.cin = 305419896;
	memcpy(c.h.delivery_cc, "DE", 3);
	c.h.ts_sec = 1736936430;
	c.h.ts_usec = 654321;
	c.h.has_tsq = 1;
	c.h.tsq = 1;

	hi2_iri_init(&c.iri);
	c.iri.event = HI2_EV_BEARER_ACTIVATION;
	c.iri.ts_sec = 1736936431;
	c.iri.has_initiator = 1;
	c.iri.initiator = 1;
	snprintf(c.iri.imsi, sizeof(c.iri.imsi), "262011234567890");
	snprintf(c.iri.msisdn, sizeof(c.iri.msisdn), "4915112345678");
	snprintf(c.iri.imei, sizeof(c.iri.imei), "356938035643809");
	c.iri.corr = bytes(CORR, 8);
	c.iri.operator_id = bytes("OP-DE", 5);
	c.iri.has_ne_type = 1;
	c.iri.ne_type = HI2_LFT_SGW;
	c.iri.ne_addr_len = 4;
	memcpy(c.iri.ne_addr, "\x0a\x00\x00\x02", 4);
	c.iri.paa = bytes(PAA, sizeof(PAA));
	c.iri.apn = bytes(APN, sizeof(APN));
	c.iri.has_ebi = 1;
	c.iri.ebi = 5;
	c.iri.has_rat = 1;
	c.iri.rat = 6;
	c.iri.bearer_type = HI2_BEARER_DEFAULT;
	c.iri.qos = bytes(QOS, sizeof(QOS));
	c.iri.uli = bytes(ULI, sizeof(ULI));

	c.cc.corr = bytes(CORR, 8);
	c.cc.tpdu_dir = 1;
	c.cc.ice_type = 3;

	if (hi2_stream_init(&c.st, &c.h, &d) != HI2_OK)
		abort();
	printf("bench_ber: one core, %.2f s per case, output into a fixed %u-byte buffer\n",
	       secs_per_case, (unsigned)sizeof(out));
	report("encode IRI (bearerAct.)", rate(do_iri, &c), do_iri(&c), &c);
	report("stream IRI (bearerAct.)", rate(do_stream_iri, &c), do_stream_iri(&c), &c);
	static const size_t sizes[] = {60, 576, 1400};
	for (size_t i = 0; i < 3; i++) {
		char name[64];
		c.cc.pkt = bytes(pkt, sizes[i]);
		snprintf(name, sizeof(name), "encode CC %zu B packet", sizes[i]);
		report(name, rate(do_cc, &c), do_cc(&c), &c);
		snprintf(name, sizeof(name), "stream CC %zu B packet", sizes[i]);
		report(name, rate(do_stream_cc, &c), do_stream_cc(&c), &c);
	}
	report("encode TRI keep-alive", rate(do_tri, &c), do_tri(&c), &c);

	bld_init_fixed(&b, x2, sizeof(x2));
	if (hi2_iri_encode_x2(&b, &c.iri, &d) != HI2_OK)
		abort();
	c.in = x2;
	c.in_len = bld_len(&b);
	report("X2 fmt14 -> IRI PS-PDU", rate(do_x2, &c), do_x2(&c), &c);

	bld_init_fixed(&b, pdu, sizeof(pdu));
	if (hi2_encode_iri(&b, &c.h, &c.iri, &d) != HI2_OK)
		abort();
	c.in = pdu;
	c.in_len = bld_len(&b);
	report("split+decode IRI", rate(do_decode, &c), c.in_len, &c);
	c.cc.pkt = bytes(pkt, 1400);
	bld_init_fixed(&b, pdu, sizeof(pdu));
	if (hi2_encode_cc(&b, &c.h, &c.cc, &d) != HI2_OK)
		abort();
	c.in_len = bld_len(&b);
	report("split+decode CC 1400 B", rate(do_decode, &c), c.in_len, &c);
	c.cc.pkt = bytes(pkt, 60);
	bld_init_fixed(&b, pdu, sizeof(pdu));
	if (hi2_encode_cc(&b, &c.h, &c.cc, &d) != HI2_OK)
		abort();
	c.in_len = bld_len(&b);
	report("split+decode CC 60 B", rate(do_decode, &c), c.in_len, &c);
	return 0;
}
