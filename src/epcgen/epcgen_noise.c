/*
 * The noise of the EPC traffic generator: what a probe on the EPC also sees and must handle
 * without attributing it to anyone - echo on both GTP planes, DNS between unrelated hosts, a
 * well-formed G-PDU for a TEID nobody announced - or must refuse: bytes that are not GTP on
 * the GTP ports, and GTP headers whose length overruns the datagram.  One frame per call; a
 * pair (request, response) is spread over two calls.  Every frame gets a "noise" truth line.
 */
#include "epcgen/epcgen_int.h"

#include <string.h>

enum eg_noise_kind {
	NZ_V2ECHO, NZ_UECHO, NZ_DNS, NZ_NONGTP_C, NZ_NONGTP_U, NZ_BAD_C, NZ_BAD_U, NZ_UNKNOWN,
	NZ_KINDS
};

static int
nz_pair(int k)
{
	return k == NZ_V2ECHO || k == NZ_UECHO || k == NZ_DNS;
}

static const char *const dns_names[] = {"www.example.com", "example.org", "ntp.example.net"};

static void
junk_payload(struct eg_sim *s)
{
	/* First octet with version 0 or 7: neither GTPv1 (version 1) nor GTPv2 (version 2),
	 * TS 29.281 5.1 / TS 29.274 5.1 - a parser must refuse it. */
	static const uint8_t first[] = {0x00, 0x0f, 0xe0, 0xff};
	uint32_t n = (uint32_t)eg_rnd(s, 8, 64);

	bld_add_u8(&s->fb, first[epcgen_rng_below(&s->rng, 4)]);
	for (uint32_t i = 1; i < n; i++)
		bld_add_u8(&s->fb, (uint8_t)epcgen_rng_next(&s->rng));
}

void
eg_noise_frame(struct eg_sim *s)
{
	struct eg_noise *nz = &s->noise;
	struct eg_node *host, *res = eg_node(s, EG_HOST, 0), *junk = eg_node(s, EG_HOST, 5);
	struct eg_node *mme, *sgw, *enb;
	struct epcgen_gtpc g;
	struct epcgen_gtpu gu;
	int kind, second = 0;
	uint32_t f = eg_frame_next(s);

	if (nz->pending) {
		kind = nz->pending - 1;
		nz->pending = 0;
		second = 1;
	} else {
		/* the first items cover every kind once, then a weighted mix */
		if (nz->items < NZ_KINDS) {
			kind = (int)nz->items;
		} else {
			uint32_t r = epcgen_rng_below(&s->rng, 100);
			kind = r < 30 ? NZ_V2ECHO : r < 50 ? NZ_UECHO : r < 75 ? NZ_DNS :
			    r < 80 ? NZ_NONGTP_C : r < 85 ? NZ_NONGTP_U : r < 90 ? NZ_BAD_C :
			    r < 95 ? NZ_BAD_U : NZ_UNKNOWN;
		}
		if (nz_pair(kind) && nz->left < 2)
			kind = NZ_UNKNOWN;
		nz->items++;
		nz->mme = (uint16_t)epcgen_rng_below(&s->rng, s->count[EG_MME]);
		nz->sgw = (uint16_t)epcgen_rng_below(&s->rng, s->count[EG_SGW]);
		nz->enb = (uint16_t)epcgen_rng_below(&s->rng, s->count[EG_ENB]);
		nz->host = (uint16_t)eg_rnd(s, 1, 4);
		nz->qid = (uint16_t)epcgen_rng_next(&s->rng);
		nz->sport = (uint16_t)eg_rnd(s, 1024, 65535);
		nz->name = (uint8_t)epcgen_rng_below(&s->rng, 3);
		if (nz_pair(kind))
			nz->pending = (uint8_t)(kind + 1);
	}
	mme = eg_node(s, EG_MME, nz->mme);
	sgw = eg_node(s, EG_SGW, nz->sgw);
	enb = eg_node(s, EG_ENB, nz->enb);
	host = eg_node(s, EG_HOST, nz->host);
	nz->left--;

	switch (kind) {
	case NZ_V2ECHO:
		if (!second)
			nz->seq = eg_seq_initial(mme);
		eg_v2_init(&g, second ? EPCGEN_MSG_ECHO_RESP : EPCGEN_MSG_ECHO_REQ, 0, nz->seq);
		g.recovery = second ? sgw->recovery : mme->recovery;
		eg_send_v2(s, second ? sgw : mme, second ? mme : sgw, &g, NULL);
		eg_truth_noise(s, second ? "gtpv2_echo_resp" : "gtpv2_echo_req", f);
		break;
	case NZ_UECHO:
		/* 29.281 7.2.1/7.2.2: S flag set, TEID 0; the response carries Recovery (14)
		 * whose restart counter is 0. */
		if (!second)
			nz->seq = (uint16_t)epcgen_rng_next(&s->rng);
		eg_frame_begin(s, second ? sgw : enb, second ? enb : sgw, 2152, 2152);
		epcgen_gtpu_begin(&s->fb, &gu,
		    second ? EPCGEN_GTPU_ECHO_RESP : EPCGEN_GTPU_ECHO_REQ, 0, 1,
		    (uint16_t)nz->seq, NULL, 0);
		if (second) {
			bld_add_u8(&s->fb, 14);
			bld_add_u8(&s->fb, 0);
		}
		epcgen_gtpu_end(&s->fb, &gu);
		eg_frame_end(s);
		if (second)
			s->tot->gtpu_echo_resp++;
		else
			s->tot->gtpu_echo_req++;
		eg_truth_noise(s, second ? "gtpu_echo_resp" : "gtpu_echo_req", f);
		break;
	case NZ_DNS:
		if (!second)
			eg_frame_begin(s, host, res, nz->sport, 53);
		else
			eg_frame_begin(s, res, host, 53, nz->sport);
		epcgen_dns(&s->fb, nz->qid, second, dns_names[nz->name],
		    0xc0000200u | (uint32_t)(nz->name + 1));	/* 192.0.2.x */
		eg_frame_end(s);
		s->tot->dns++;
		eg_truth_noise(s, second ? "dns_response" : "dns_query", f);
		break;
	case NZ_NONGTP_C:
	case NZ_NONGTP_U:
		eg_frame_begin(s, junk, sgw, nz->sport, kind == NZ_NONGTP_C ? 2123 : 2152);
		junk_payload(s);
		eg_frame_end(s);
		if (kind == NZ_NONGTP_C)
			s->tot->non_gtp_c++;
		else
			s->tot->non_gtp_u++;
		eg_truth_noise(s, kind == NZ_NONGTP_C ? "non_gtp_c" : "non_gtp_u", f);
		break;
	case NZ_BAD_C:
		/* A GTPv2-C header whose length claims 200 more octets than the datagram has
		 * (TS 29.274 5.5.1): must be refused, not read past its end. */
		eg_frame_begin(s, junk, sgw, 2123, 2123);
		bld_add_u8(&s->fb, 0x48);
		bld_add_u8(&s->fb, EPCGEN_MSG_CS_REQ);
		bld_add_u16(&s->fb, 8 + 12 + 200);
		bld_add_u32(&s->fb, 0);
		bld_add_u24(&s->fb, (uint32_t)eg_rnd(s, 1, 0x7fffff));
		bld_add_u8(&s->fb, 0);
		epcgen_ie_tbcd(&s->fb, EPCGEN_IE_IMSI, 0, "001019999999999");
		eg_frame_end(s);
		s->tot->bad_gtp_c++;
		eg_truth_noise(s, "bad_gtp_c", f);
		break;
	case NZ_BAD_U:
		/* A G-PDU header whose length exceeds the datagram (TS 29.281 5.1). */
		eg_frame_begin(s, enb, sgw, 2152, 2152);
		bld_add_u8(&s->fb, 0x30);
		bld_add_u8(&s->fb, EPCGEN_GTPU_GPDU);
		bld_add_u16(&s->fb, 1400);
		bld_add_u32(&s->fb, eg_teid_junk(s));
		for (int i = 0; i < 20; i++)
			bld_add_u8(&s->fb, (uint8_t)epcgen_rng_next(&s->rng));
		eg_frame_end(s);
		s->tot->bad_gtp_u++;
		eg_truth_noise(s, "bad_gtp_u", f);
		break;
	case NZ_UNKNOWN:
	default: {
		/* A well-formed G-PDU for a TEID no signalling announced (from a UE address
		 * outside the pool): the POI sees it but can attribute it to nobody. */
		struct epcgen_addr ue, srv;
		struct epcgen_ip ip;
		uint8_t *pay;
		eg_frame_begin(s, enb, sgw, 2152, 2152);
		epcgen_gtpu_begin(&s->fb, &gu, EPCGEN_GTPU_GPDU, eg_teid_junk(s), 0, 0, NULL, 0);
		/* 100.127.x.x: inside 100.64/10 but beyond any address the plan hands out */
		eg_addr_ue_v4(&ue, 0x647f0000u | (uint32_t)eg_rnd(s, 1, 0xfffe));
		eg_server_addr(&srv, 0, 1);
		epcgen_ip_begin(&s->fb, &ip, &ue, &srv, EPCGEN_IPPROTO_UDP, 1);
		epcgen_udp_hdr(&s->fb, &ip, 40000, 443);
		if ((pay = bld_reserve(&s->fb, 32)) != NULL)
			memset(pay, 0xab, 32);
		epcgen_ip_end(&s->fb, &ip);
		epcgen_gtpu_end(&s->fb, &gu);
		eg_frame_end(s);
		s->tot->gpdu++;
		s->tot->gpdu_unknown_teid++;
		eg_truth_noise(s, "gpdu_unknown_teid", f);
		break;
	}
	}
}
