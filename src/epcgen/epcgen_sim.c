/*
 * The simulator of the EPC traffic generator: runs the planned scripts as a discrete-event
 * simulation and writes every frame.  One actor per subscriber plus one for the noise sit in
 * a binary heap ordered by (time, insertion order); each pop writes exactly one frame and
 * schedules the actor's next, so the interleaving is deterministic and frames come out in
 * time order.
 *
 * Roles and directions follow TS 23.401 and TS 29.274: on S11 the MME sends Create Session,
 * Modify Bearer, Release Access Bearers and Delete Session Requests and the S-GW answers; the
 * S-GW (network) sends Create/Delete Bearer Requests with sequence numbers whose MSB is set and
 * the MME answers.  A response's header TEID is the peer's TEID-C (5.5.2).  G-PDUs carry the
 * receiver's TEID: uplink on S1-U the S-GW's, downlink the eNodeB's (TS 29.281 5.1).
 */
#include "epcgen/epcgen_int.h"

#include <stdlib.h>
#include <string.h>

#define EG_DONE		UINT64_MAX
#define EG_NOISE_ACTOR	UINT32_MAX
#define EG_SEQ_NET	0x800000u	/* MSB of the 24-bit sequence number */
#define EG_UE_V4_BASE	0x64400000u	/* 100.64.0.0/10: UE addresses */
#define EG_JUNK_TEID	0x80000000u	/* TEID counters from here are never announced */

enum eg_gpdu_leg { EG_S1U_UL, EG_S1U_DL, EG_S5U_UL, EG_S5U_DL };

/* ------------------------------------------------------------------ helpers ---- */

struct eg_node *
eg_node(struct eg_sim *s, int role, uint32_t i)
{
	return &s->nodes[s->first[role] + i];
}

static struct eg_node *
mme_of(struct eg_sim *s, const struct eg_sub *u)
{
	return eg_node(s, EG_MME, u->mme);
}

static struct eg_node *
sgw_of(struct eg_sim *s, const struct eg_sub *u)
{
	return eg_node(s, EG_SGW, u->sgw);
}

static struct eg_node *
pgw_of(struct eg_sim *s, const struct eg_pdn *pd)
{
	return eg_node(s, EG_PGW, pd->pgw);
}

static struct eg_node *
enb_node(struct eg_sim *s, uint16_t enb)
{
	return eg_node(s, EG_ENB, enb);
}

uint64_t
eg_rnd(struct eg_sim *s, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + epcgen_rng_next(&s->rng) % (hi - lo + 1);
}

static uint32_t
teid_new(struct eg_sim *s)
{
	uint32_t t;

	do
		t = eg_teid_mix(++s->teid_ctr);
	while (t == 0);		/* TEID 0 means "no context yet" in GTPv2-C headers */
	return t;
}

uint32_t
eg_teid_junk(struct eg_sim *s)
{
	uint32_t t;

	do
		t = eg_teid_mix(EG_JUNK_TEID + ++s->junk_teid_ctr);
	while (t == 0);
	return t;
}

uint32_t
eg_seq_initial(struct eg_node *n)
{
	uint32_t q = n->seq & 0x7fffff;

	n->seq = (n->seq + 1) & 0x7fffff;
	return q;
}

static uint32_t
seq_network(struct eg_node *n)
{
	return EG_SEQ_NET | eg_seq_initial(n);
}

static uint8_t
ebi_alloc(struct eg_sub *u)
{
	for (int i = 0; i < 11; i++) {
		if (!(u->ebi_used & (1u << i))) {
			u->ebi_used |= (uint16_t)(1u << i);
			return (uint8_t)(EG_FIRST_EBI + i);
		}
	}
	return 0;	/* the plan never opens more than 6 bearers */
}

static void
ebi_free(struct eg_sub *u, uint8_t ebi)
{
	if (ebi >= EG_FIRST_EBI && ebi < EG_FIRST_EBI + 11)
		u->ebi_used &= (uint16_t)~(1u << (ebi - EG_FIRST_EBI));
}

static uint16_t
ebi_bit(uint8_t ebi)
{
	return (uint16_t)(1u << (ebi - EG_FIRST_EBI));
}

static void
ft(struct epcgen_fteid *f, uint8_t iface, uint32_t teid, const struct eg_node *n)
{
	f->iface = iface;
	f->teid = teid;
	f->addr = n->addr;
}

static void
bctx_fteid(struct epcgen_bctx *c, uint8_t inst, uint8_t iface, uint32_t teid,
    const struct eg_node *n)
{
	if (c->n_fteid >= EPCGEN_BCTX_MAX_FTEID)
		return;
	c->fteid[c->n_fteid].inst = inst;
	ft(&c->fteid[c->n_fteid].f, iface, teid, n);
	c->n_fteid++;
}

void
eg_v2_init(struct epcgen_gtpc *g, uint8_t type, uint32_t teid, uint32_t seq)
{
	memset(g, 0, sizeof(*g));
	g->type = type;
	g->teid = teid;
	g->seq = seq;
	g->cause = EPCGEN_CAUSE_ACCEPTED;
}

void
eg_addr_ue_v4(struct epcgen_addr *a, uint32_t v4)
{
	epcgen_addr_v4(a, v4);
}

/* Remote hosts of user traffic: 198.51.100.x / 203.0.113.x, or 2001:db8:ffff::x.  Servers
 * 1-200 serve default bearers, 201-250 are the peers named by dedicated bearers' TFTs. */
void
eg_server_addr(struct epcgen_addr *a, int v6, uint16_t server)
{
	if (!v6) {
		uint32_t net = server <= 200 ? 0xc6336400u : 0xcb007100u;
		epcgen_addr_v4(a, net | (server <= 200 ? server : server - 200));
	} else {
		uint8_t x[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff};
		x[14] = (uint8_t)(server >> 8);
		x[15] = (uint8_t)server;
		epcgen_addr_v6(a, x);
	}
}

/* ------------------------------------------------------------------- frames ---- */

void
eg_frame_begin(struct eg_sim *s, struct eg_node *src, struct eg_node *dst, uint16_t sport,
    uint16_t dport)
{
	bld_init_fixed(&s->fb, s->fbuf, sizeof(s->fbuf));
	s->fsrc = src;
	epcgen_eth(&s->fb, dst->mac, src->mac, s->cfg->vlan,
	    src->addr.family == 6 ? EPCGEN_ETH_IPV6 : EPCGEN_ETH_IPV4);
	epcgen_ip_begin(&s->fb, &s->fip, &src->addr, &dst->addr, EPCGEN_IPPROTO_UDP, src->ipid++);
	epcgen_udp_hdr(&s->fb, &s->fip, sport, dport);
}

/* Number the next frame will get (1-based, as tshark's frame.number). */
uint32_t
eg_frame_next(const struct eg_sim *s)
{
	return s->frame + 1;
}

/*
 * Writes the frame in s->fb as one pcap record or, with --mtu and an IP packet larger than
 * the MTU, as fragments: each a record with the same link header and timestamp (a router
 * forwards them back to back).  EG_PM_REORDER permille of the fragmented datagrams have
 * their pieces written in a shuffled order (never the original one), as seen after
 * multipath forwarding: the receiver must reassemble out of order.  The shuffle draws from
 * frag_rng only, so the main stream, hence every other byte and the truth, stays the same.
 */
static void
emit(struct eg_sim *s)
{
	const uint8_t *fr = bld_data(&s->fb), *ip = fr + s->fip.ip_off;
	size_t len = bld_len(&s->fb) - s->fip.ip_off, n = 1;
	size_t order[EG_MAX_PIECES];
	uint32_t id6 = 0;

	if (s->cfg->mtu)
		n = epcgen_ip_frag_count(ip, len, s->cfg->mtu);
	if (n == 1) {
		eg_out_frame(&s->out, s->now, fr, bld_len(&s->fb));
		s->tot->pcap_records++;
		return;
	}
	if (n == 0 || n > EG_MAX_PIECES) {
		s->enc_err = 1;
		return;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	if (epcgen_rng_pm(&s->frag_rng, EG_PM_REORDER)) {
		int same = 1;
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = epcgen_rng_below(&s->frag_rng, (uint32_t)i + 1), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (size_t i = 0; i < n; i++)
			same &= order[i] == i;
		if (same) {
			order[0] = n - 1;
			order[n - 1] = 0;
		}
		s->tot->reordered++;
	}
	if (s->fsrc->addr.family == 6)
		id6 = ++s->fsrc->frag6_id;
	for (size_t i = 0; i < n; i++) {
		struct ovt_builder b;
		bld_init_fixed(&b, s->pbuf, sizeof(s->pbuf));
		bld_add_bytes(&b, fr, s->fip.ip_off);
		epcgen_ip_frag_write(&b, ip, len, s->cfg->mtu, id6, order[i]);
		if (!bld_ok(&b)) {
			s->enc_err = 1;
			return;
		}
		eg_out_frame(&s->out, s->now, bld_data(&b), bld_len(&b));
	}
	s->tot->pcap_records += n;
	s->tot->fragments += n;
	s->tot->fragmented++;
}

uint32_t
eg_frame_end(struct eg_sim *s)
{
	epcgen_ip_end(&s->fb, &s->fip);
	if (!bld_ok(&s->fb)) {
		s->enc_err = 1;
		return s->frame;
	}
	if (s->frame == 0)
		s->first_t = s->now;
	s->last_t = s->now;
	emit(s);
	s->tot->frames++;
	return ++s->frame;
}

/* One GTPv2-C frame: a message and, when g2 is given, the message piggybacked on it. */
uint32_t
eg_send_v2(struct eg_sim *s, struct eg_node *src, struct eg_node *dst,
    const struct epcgen_gtpc *g, const struct epcgen_gtpc *g2)
{
	eg_frame_begin(s, src, dst, 2123, 2123);
	epcgen_gtpc_encode(&s->fb, g);
	s->tot->gtpv2_msgs[g->type]++;
	if (g2 != NULL) {
		epcgen_gtpc_encode(&s->fb, g2);
		s->tot->gtpv2_msgs[g2->type]++;
		s->tot->piggybacked++;
	}
	s->tot->gtpv2_frames++;
	return eg_frame_end(s);
}

/* ------------------------------------------------------------------ bearers ---- */

static struct eg_bearer *
bearer(struct eg_sim *s, uint32_t i)
{
	return &s->bearers[i];
}

static uint32_t
bearer_new(struct eg_sim *s, uint32_t ui, uint8_t pdn, int dflt)
{
	struct eg_bearer *b;
	uint32_t i;

	if (s->nbearers >= s->cap_bearers) {
		s->plan_err = 1;	/* the plan counted every bearer: cannot happen */
		return 0;
	}
	i = s->nbearers++;
	b = bearer(s, i);
	memset(b, 0, sizeof(*b));
	b->sub = ui;
	b->pdn = pdn;
	b->dflt = (uint8_t)dflt;
	b->s1u_sgw.teid = teid_new(s);
	b->s5u_sgw.teid = teid_new(s);
	b->s5u_pgw.teid = teid_new(s);
	b->charging_id = ++s->charging_ctr;
	/* 52000-53999 (UE side) and 50000-51999 (TFT peers): no port-registered dissector in
	 * tshark 4.0, see the comment in user_pick(). */
	b->ue_port = (uint16_t)eg_rnd(s, 52000, 53999);
	b->tcp_ul = (uint32_t)epcgen_rng_next(&s->rng);
	b->tcp_dl = (uint32_t)epcgen_rng_next(&s->rng);
	if (dflt) {
		/* TS 23.203 6.1.7: QCI 9 for internet, 5 for IMS signalling */
		b->qci = pdn == 0 ? 9 : 5;
	} else {
		b->qci = pdn == 0 ? 4 : 1;	/* GBR: 4 video, 1 voice */
		b->tft_server = (uint16_t)eg_rnd(s, 201, 250);
		b->tft_proto = EPCGEN_IPPROTO_UDP;
		b->tft_port = (uint16_t)eg_rnd(s, 50000, 51999);
	}
	return i;
}

static void
tun_hit(struct eg_tun *t, uint32_t frame, size_t bytes)
{
	if (t->gpdus == 0)
		t->first = frame;
	t->last = frame;
	t->gpdus++;
	t->bytes += bytes;
}

/* Ends the bearer's current eNodeB tunnel (handover, idle, deletion) and writes its line. */
static void
enb_close(struct eg_sim *s, struct eg_bearer *b, uint32_t closed)
{
	if (!b->has_enb)
		return;
	eg_truth_tunnel(s, b, "s1u_enb", &b->s1u_enb, &enb_node(s, b->enb)->addr, closed);
	b->has_enb = 0;
}

static void
enb_open(struct eg_sim *s, struct eg_bearer *b, uint16_t enb, uint32_t opened)
{
	memset(&b->s1u_enb, 0, sizeof(b->s1u_enb));
	b->s1u_enb.teid = teid_new(s);
	b->s1u_enb.opened = opened;
	b->enb = enb;
	b->has_enb = 1;
}

/* The bearer goes away: its last tunnel lines, then its own line. */
static void
bearer_end(struct eg_sim *s, struct eg_sub *u, uint32_t bi, uint32_t closed)
{
	struct eg_bearer *b = bearer(s, bi);
	struct eg_pdn *pd = &u->pdn[b->pdn];

	enb_close(s, b, closed);
	eg_truth_tunnel(s, b, "s1u_sgw", &b->s1u_sgw, &sgw_of(s, u)->addr, closed);
	eg_truth_tunnel(s, b, "s5u_pgw", &b->s5u_pgw, &pgw_of(s, pd)->addr, closed);
	if (s->cfg->s5)
		eg_truth_tunnel(s, b, "s5u_sgw", &b->s5u_sgw, &sgw_of(s, u)->addr, closed);
	eg_truth_bearer(s, b, closed);
	ebi_free(u, b->ebi);
}

/* Bearers of the UE that exist now, all PDNs, in PDN then creation order. */
static int
bearers_of(struct eg_sub *u, uint32_t out[EG_MAX_PDN * EG_MAX_BEARERS_PER_PDN])
{
	int n = 0;

	for (int p = 0; p < EG_MAX_PDN; p++)
		if (u->pdn[p].active)
			for (int i = 0; i < u->pdn[p].nb; i++)
				out[n++] = u->pdn[p].bearer[i];
	return n;
}

/* ---------------------------------------------------------------- user plane ---- */

static void
ue_addr(const struct eg_pdn *pd, int v6, struct epcgen_addr *a)
{
	if (v6)
		epcgen_addr_v6(a, pd->ue_v6);
	else
		eg_addr_ue_v4(a, pd->ue_v4);
}

/* The inner IP packet of the pending user packet, written at the builder's end.  A pure
 * function of u->up, so the S1-U and S5-U copies are identical.  Returns its length. */
static size_t
inner_packet(struct eg_sim *s, const struct eg_sub *u, const struct eg_bearer *b)
{
	const struct eg_upkt *up = &u->up;
	struct epcgen_addr ue, srv;
	struct epcgen_ip ip;
	size_t start = bld_len(&s->fb);
	uint8_t *pay;

	ue_addr(&u->pdn[b->pdn], up->v6, &ue);
	eg_server_addr(&srv, up->v6, up->server);
	epcgen_ip_begin(&s->fb, &ip, up->ul ? &ue : &srv, up->ul ? &srv : &ue,
	    up->proto == EPCGEN_IPPROTO_ICMP && up->v6 ? EPCGEN_IPPROTO_ICMPV6 : up->proto,
	    up->icmp_seq);
	switch (up->proto) {
	case EPCGEN_IPPROTO_TCP:
		/* ACK|PSH */
		epcgen_tcp_hdr(&s->fb, &ip, up->sport, up->dport, up->tcp_seq, up->tcp_ack, 0x18);
		break;
	case EPCGEN_IPPROTO_ICMP:
		epcgen_icmp_echo_hdr(&s->fb, &ip, !up->ul, b->ue_port, up->icmp_seq);
		break;
	default:
		epcgen_udp_hdr(&s->fb, &ip, up->sport, up->dport);
		break;
	}
	if ((pay = bld_reserve(&s->fb, up->paylen)) != NULL && up->paylen > 0)
		memset(pay, up->fill, up->paylen);
	epcgen_ip_end(&s->fb, &ip);
	return bld_len(&s->fb) - start;
}

/* Chooses the next user packet of a subscriber: bearer, direction, protocol, size. */
static void
user_pick(struct eg_sim *s, struct eg_sub *u)
{
	/* Server ports no tshark 4.0 dissector claims strictly (TLS on TCP 443 copes with any
	 * bytes): the payload is filler, and a well-known port (53, 123, 5060) would make a
	 * decoder report it malformed. */
	static const uint16_t ports[] = {443, 8443};
	uint32_t list[EG_MAX_PDN * EG_MAX_BEARERS_PER_PDN];
	int n = bearers_of(u, list);
	struct eg_upkt *up = &u->up;
	struct eg_bearer *b;
	const struct eg_pdn *pd;
	uint16_t srv_port;

	memset(up, 0, sizeof(*up));
	up->bearer = list[epcgen_rng_below(&s->rng, (uint32_t)n)];
	b = bearer(s, up->bearer);
	pd = &u->pdn[b->pdn];
	up->ul = (uint8_t)epcgen_rng_pm(&s->rng, 480);
	if (b->dflt) {
		up->v6 = pd->pdn_type == EPCGEN_PDN_IPV6 ||
		    (pd->pdn_type == EPCGEN_PDN_IPV4V6 && epcgen_rng_pm(&s->rng, 500));
		up->server = (uint16_t)eg_rnd(s, 1, 200);
		uint32_t r = epcgen_rng_below(&s->rng, 100);
		up->proto = r < 50 ? EPCGEN_IPPROTO_UDP : r < 85 ? EPCGEN_IPPROTO_TCP :
		    EPCGEN_IPPROTO_ICMP;
		srv_port = ports[epcgen_rng_below(&s->rng, 2)];
	} else {
		/* traffic on a dedicated bearer matches its TFT */
		up->v6 = b->tft_v6;
		up->server = b->tft_server;
		up->proto = b->tft_proto;
		srv_port = b->tft_port;
	}
	up->sport = up->ul ? b->ue_port : srv_port;
	up->dport = up->ul ? srv_port : b->ue_port;
	if (epcgen_rng_pm(&s->rng, s->sc.pm_large) && s->sc.pay_max > 600)
		up->paylen = (uint16_t)eg_rnd(s, 600, s->sc.pay_max);
	else
		up->paylen = (uint16_t)eg_rnd(s, 0, s->sc.pay_max < 200 ? s->sc.pay_max : 200);
	if (up->proto == EPCGEN_IPPROTO_TCP) {
		/* one byte at least: an empty PSH segment would look like a retransmission */
		if (up->paylen == 0)
			up->paylen = 1;
		up->tcp_seq = up->ul ? b->tcp_ul : b->tcp_dl;
		up->tcp_ack = up->ul ? b->tcp_dl : b->tcp_ul;
		if (up->ul)
			b->tcp_ul += up->paylen;
		else
			b->tcp_dl += up->paylen;
	}
	up->icmp_seq = (uint16_t)(b->ul_pkts + b->dl_pkts);
	up->fill = (uint8_t)s->frame;
}

/* One G-PDU frame of the pending user packet on one leg. */
static void
user_frame(struct eg_sim *s, struct eg_sub *u, enum eg_gpdu_leg leg)
{
	struct eg_bearer *b = bearer(s, u->up.bearer);
	struct eg_pdn *pd = &u->pdn[b->pdn];
	struct eg_node *sgw = sgw_of(s, u), *pgw = pgw_of(s, pd), *enb = enb_node(s, b->enb);
	struct epcgen_gtpu_ext ext[2];
	struct epcgen_gtpu g;
	struct eg_tun *t;
	size_t n_ext = 0, inner;
	uint32_t f = eg_frame_next(s);
	int ul = leg == EG_S1U_UL || leg == EG_S5U_UL;
	int has_seq = epcgen_rng_pm(&s->rng, s->sc.pm_gtpu_seq);

	switch (leg) {
	case EG_S1U_UL:
		eg_frame_begin(s, enb, sgw, 2152, 2152);
		t = &b->s1u_sgw;
		break;
	case EG_S1U_DL:
		eg_frame_begin(s, sgw, enb, 2152, 2152);
		t = &b->s1u_enb;
		break;
	case EG_S5U_UL:
		eg_frame_begin(s, sgw, pgw, 2152, 2152);
		t = &b->s5u_pgw;
		break;
	case EG_S5U_DL:
	default:
		eg_frame_begin(s, pgw, sgw, 2152, 2152);
		t = &b->s5u_sgw;
		break;
	}
	if (epcgen_rng_pm(&s->rng, s->sc.pm_gtpu_ext2)) {
		epcgen_gtpu_ext_udp_port(&ext[n_ext++], 2152);
		epcgen_gtpu_ext_pdu_session(&ext[n_ext++], ul, b->qci);
	} else if (epcgen_rng_pm(&s->rng, s->sc.pm_gtpu_ext)) {
		epcgen_gtpu_ext_pdu_session(&ext[n_ext++], ul, b->qci);
	}
	epcgen_gtpu_begin(&s->fb, &g, EPCGEN_GTPU_GPDU, t->teid, has_seq, b->useq, ext, n_ext);
	if (has_seq)
		b->useq++;
	inner = inner_packet(s, u, b);
	epcgen_gtpu_end(&s->fb, &g);
	eg_frame_end(s);

	tun_hit(t, f, inner);
	s->tot->gpdu++;
	s->tot->gpdu_with_seq += (uint64_t)has_seq;
	s->tot->gpdu_with_ext += n_ext > 0;
	switch (leg) {
	case EG_S1U_UL:
		b->ul_pkts++;
		b->ul_bytes += inner;
		s->tot->gpdu_s1u_ul++;
		break;
	case EG_S1U_DL:
		b->dl_pkts++;
		b->dl_bytes += inner;
		s->tot->gpdu_s1u_dl++;
		break;
	case EG_S5U_UL:
		s->tot->gpdu_s5u_ul++;
		break;
	case EG_S5U_DL:
		s->tot->gpdu_s5u_dl++;
		break;
	}
}

/* Writes one frame of a traffic step.  With S5 a user packet is two frames: uplink
 * eNB->SGW then SGW->PGW, downlink PGW->SGW then SGW->eNB. */
static void
user_step(struct eg_sim *s, struct eg_sub *u)
{
	struct eg_upkt *up = &u->up;

	if (s->cfg->s5 && up->pending5) {
		up->pending5 = 0;
		user_frame(s, u, up->ul ? EG_S5U_UL : EG_S1U_DL);
		return;
	}
	user_pick(s, u);
	if (!s->cfg->s5) {
		user_frame(s, u, up->ul ? EG_S1U_UL : EG_S1U_DL);
		return;
	}
	user_frame(s, u, up->ul ? EG_S1U_UL : EG_S5U_DL);
	up->pending5 = 1;
}

/* ------------------------------------------------------------ control plane ---- */

static const struct eg_step *
cur_step(const struct eg_sim *s, const struct eg_sub *u)
{
	return &s->steps[u->step_first + u->step_cur];
}

static uint8_t
pick_pdn_type(struct eg_sim *s, int slot)
{
	if (slot == 0) {
		if (epcgen_rng_pm(&s->rng, s->sc.pm_v4v6))
			return EPCGEN_PDN_IPV4V6;
		if (epcgen_rng_pm(&s->rng, s->sc.pm_v6))
			return EPCGEN_PDN_IPV6;
		return EPCGEN_PDN_IPV4;
	}
	/* the IMS PDN: mostly dual stack or IPv6 */
	return epcgen_rng_pm(&s->rng, 500) ? EPCGEN_PDN_IPV4V6 :
	    epcgen_rng_pm(&s->rng, 600) ? EPCGEN_PDN_IPV6 : EPCGEN_PDN_IPV4;
}

/* A new eNodeB for a moving UE: any other one. */
static uint16_t
pick_other_enb(struct eg_sim *s, uint16_t cur)
{
	uint32_t n = s->count[EG_ENB];

	if (n < 2)
		return cur;
	return (uint16_t)((cur + 1 + epcgen_rng_below(&s->rng, n - 1)) % n);
}

static void
cs_common(struct eg_sim *s, struct eg_sub *u, struct epcgen_gtpc *g, const struct eg_pdn *pd,
    char imsi[16], char msisdn[16], char mei[17])
{
	const struct eg_node *enb = enb_node(s, u->enb);

	eg_sub_imsi(u, imsi);
	eg_sub_msisdn(u, msisdn);
	eg_sub_mei(u, mei);
	g->imsi = imsi;
	g->msisdn = msisdn;
	g->mei = mei;
	g->has_uli = 1;
	g->tac = enb->tac;
	g->eci = enb->eci;
	g->apn = eg_apns[pd->apn];
	g->pdn_type = pd->pdn_type;
	g->ambr_ul = 50000;
	g->ambr_dl = 150000;
}

static void
bctx_qos(struct epcgen_bctx *c, const struct eg_bearer *b)
{
	c->qci = b->qci;
	c->arp_pl = b->dflt ? 9 : 2;
	c->gbr_kbps = b->dflt ? 0 : (b->qci == 1 ? 128 : 2048);
}

static void
bctx_tft(struct epcgen_bctx *c, const struct eg_bearer *b, struct epcgen_addr *buf)
{
	eg_server_addr(buf, b->tft_v6, b->tft_server);
	c->tft_remote = buf;
	c->tft_proto = b->tft_proto;
	c->tft_port = b->tft_port;
}

/* The dedicated bearer of the running step (tx[2]), created on first use. */
static uint32_t
ded_bearer(struct eg_sim *s, uint32_t ui, struct eg_sub *u, int p)
{
	struct eg_pdn *pd = &u->pdn[p];
	struct eg_bearer *b;
	uint32_t bi;

	if (u->tx[2].bearer != EG_NONE)
		return u->tx[2].bearer;
	bi = bearer_new(s, ui, (uint8_t)p, 0);
	b = bearer(s, bi);
	/* The TFT family: the PDN's only one, or IPv4 on a dual-stack PDN. */
	b->tft_v6 = pd->pdn_type == EPCGEN_PDN_IPV6;
	if (pd->nb < EG_MAX_BEARERS_PER_PDN)
		pd->bearer[pd->nb++] = bi;
	else
		s->plan_err = 1;
	u->tx[2].bearer = bi;
	u->tx[2].pdn = (uint8_t)p;
	return bi;
}

/* Create Bearer Request on S11 (SGW->MME, to_mme) or S5 (PGW->SGW). */
static void
cbreq(struct eg_sim *s, struct eg_sub *u, int p, int to_mme, struct epcgen_gtpc *g,
    struct epcgen_addr *tftbuf)
{
	struct eg_pdn *pd = &u->pdn[p];
	struct eg_bearer *b = bearer(s, u->tx[2].bearer);
	struct epcgen_bctx *c = &g->bctx[0];

	if (to_mme) {
		u->tx[2].seq = seq_network(sgw_of(s, u));
		eg_v2_init(g, EPCGEN_MSG_CB_REQ, u->mme_teid, u->tx[2].seq);
	} else {
		u->tx[2].seq5 = seq_network(pgw_of(s, pd));
		eg_v2_init(g, EPCGEN_MSG_CB_REQ, pd->sgw_s5c_teid, u->tx[2].seq5);
	}
	g->lbi = pd->lbi;
	g->n_bctx = 1;
	c->ebi = 0;	/* 7.2.3: the MME allocates the EBI */
	bctx_tft(c, b, tftbuf);
	/* Table 7.2.3-2: S1-U SGW F-TEID instance 0, S5/S8-U PGW F-TEID instance 1 */
	if (to_mme)
		bctx_fteid(c, 0, EPCGEN_IF_S1U_SGW, b->s1u_sgw.teid, sgw_of(s, u));
	bctx_fteid(c, 1, EPCGEN_IF_S5U_PGW, b->s5u_pgw.teid, pgw_of(s, pd));
	bctx_qos(c, b);
	c->charging_id = b->charging_id;
}

/* Create Bearer Response on S11 (MME->SGW): allocates the EBI and the eNodeB's TEID. */
static void
cbresp(struct eg_sim *s, struct eg_sub *u, struct epcgen_gtpc *g, uint32_t frame)
{
	struct eg_bearer *b = bearer(s, u->tx[2].bearer);
	struct epcgen_bctx *c = &g->bctx[0];

	b->ebi = ebi_alloc(u);
	enb_open(s, b, u->enb, frame);
	b->created = frame;
	eg_v2_init(g, EPCGEN_MSG_CB_RESP, u->sgw_teid, u->tx[2].seq);
	g->n_bctx = 1;
	c->ebi = b->ebi;
	c->cause = EPCGEN_CAUSE_ACCEPTED;
	/* Table 7.2.4-2: S1-U eNodeB F-TEID instance 0, S1-U SGW F-TEID instance 1 */
	bctx_fteid(c, 0, EPCGEN_IF_S1U_ENB, b->s1u_enb.teid, enb_node(s, b->enb));
	bctx_fteid(c, 1, EPCGEN_IF_S1U_SGW, b->s1u_sgw.teid, sgw_of(s, u));
	u->tx[2].resp = frame;
	u->tx[2].tresp = s->now;
	u->tx[2].ebis = ebi_bit(b->ebi);
}

static void
leg_cs(struct eg_sim *s, uint32_t ui, struct eg_sub *u, int kind, int p, int piggy)
{
	struct eg_pdn *pd = &u->pdn[p];
	struct eg_tx *tx = &u->tx[0];
	struct epcgen_gtpc g, g2;
	struct epcgen_bctx *c = &g.bctx[0];
	struct epcgen_addr tftbuf;
	char imsi[16], msisdn[16], mei[17];
	uint32_t f = eg_frame_next(s);
	struct eg_bearer *b;

	switch (kind) {
	case EG_L_CSREQ:
		if (p == 0) {
			/* a new UE context: the S11 TEID-C pair lives as long as it */
			u->mme_teid = teid_new(s);
			u->sgw_teid = teid_new(s);
			u->attach_frame = f;
			u->state = EG_CONNECTED;
		}
		memset(pd, 0, sizeof(*pd));
		pd->active = 1;
		pd->apn = (uint8_t)p;
		pd->pdn_type = pick_pdn_type(s, p);
		pd->pgw = (uint8_t)epcgen_rng_below(&s->rng, s->count[EG_PGW]);
		pd->lbi = ebi_alloc(u);
		pd->sgw_s5c_teid = teid_new(s);
		pd->pgw_s5c_teid = teid_new(s);
		s->ue_ctr++;
		pd->ue_v4 = EG_UE_V4_BASE + s->ue_ctr;
		{
			/* 2001:db8:<counter>::/64 + a random interface identifier */
			uint64_t iid = epcgen_rng_next(&s->rng) | 1;
			uint8_t *a = pd->ue_v6;
			a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8;
			a[4] = (uint8_t)(s->ue_ctr >> 24), a[5] = (uint8_t)(s->ue_ctr >> 16);
			a[6] = (uint8_t)(s->ue_ctr >> 8), a[7] = (uint8_t)s->ue_ctr;
			for (int i = 0; i < 8; i++)
				a[8 + i] = (uint8_t)(iid >> (56 - 8 * i));
		}
		pd->bearer[0] = bearer_new(s, ui, (uint8_t)p, 1);
		pd->nb = 1;
		b = bearer(s, pd->bearer[0]);
		b->ebi = pd->lbi;
		b->created_req = f;
		pd->created_req = f;
		tx->pdn = (uint8_t)p;
		tx->bearer = pd->bearer[0];
		tx->seq = eg_seq_initial(mme_of(s, u));
		tx->req = f;
		tx->treq = s->now;
		/* 5.5.2: header TEID 0 only while the MME has no S-GW TEID-C for this UE */
		eg_v2_init(&g, EPCGEN_MSG_CS_REQ, p == 0 ? 0 : u->sgw_teid, tx->seq);
		cs_common(s, u, &g, pd, imsi, msisdn, mei);
		ft(&g.sender, EPCGEN_IF_S11_MME, u->mme_teid, mme_of(s, u));
		g.has_pgw_c = 1;	/* TEID still unknown: 0 (Table 7.2.1-1) */
		ft(&g.pgw_c, EPCGEN_IF_S5C_PGW, 0, pgw_of(s, pd));
		g.n_bctx = 1;
		c->ebi = pd->lbi;
		bctx_qos(c, b);
		eg_send_v2(s, mme_of(s, u), sgw_of(s, u), &g, NULL);
		break;
	case EG_L_CSREQ5:
		b = bearer(s, pd->bearer[0]);
		tx->seq5 = eg_seq_initial(sgw_of(s, u));
		tx->req5 = f;
		eg_v2_init(&g, EPCGEN_MSG_CS_REQ, 0, tx->seq5);
		cs_common(s, u, &g, pd, imsi, msisdn, mei);
		ft(&g.sender, EPCGEN_IF_S5C_SGW, pd->sgw_s5c_teid, sgw_of(s, u));
		g.n_bctx = 1;
		c->ebi = pd->lbi;
		/* Table 7.2.1-2: S5/S8-U SGW F-TEID is instance 2 */
		bctx_fteid(c, 2, EPCGEN_IF_S5U_SGW, b->s5u_sgw.teid, sgw_of(s, u));
		bctx_qos(c, b);
		b->s5u_sgw.opened = f;
		eg_send_v2(s, sgw_of(s, u), pgw_of(s, pd), &g, NULL);
		break;
	case EG_L_CSRESP5:
		b = bearer(s, pd->bearer[0]);
		tx->resp5 = f;
		eg_v2_init(&g, EPCGEN_MSG_CS_RESP, pd->sgw_s5c_teid, tx->seq5);
		ft(&g.sender, EPCGEN_IF_S5C_PGW, pd->pgw_s5c_teid, pgw_of(s, pd));
		g.pdn_type = pd->pdn_type;
		g.ue_v4 = pd->ue_v4;
		memcpy(g.ue_v6, pd->ue_v6, 16);
		g.v6_plen = 64;
		g.ambr_ul = 50000;
		g.ambr_dl = 150000;
		g.n_bctx = 1;
		c->ebi = pd->lbi;
		c->cause = EPCGEN_CAUSE_ACCEPTED;
		/* Table 7.2.2-2: S5/S8-U PGW F-TEID is instance 2 */
		bctx_fteid(c, 2, EPCGEN_IF_S5U_PGW, b->s5u_pgw.teid, pgw_of(s, pd));
		c->charging_id = b->charging_id;
		b->s5u_pgw.opened = f;
		if (piggy) {
			ded_bearer(s, ui, u, p);
			cbreq(s, u, p, 0, &g2, &tftbuf);
			g.piggy = 1;
			u->tx[2].req5 = f;
		}
		eg_send_v2(s, pgw_of(s, pd), sgw_of(s, u), &g, piggy ? &g2 : NULL);
		break;
	case EG_L_CSRESP:
	default:
		b = bearer(s, pd->bearer[0]);
		tx->resp = f;
		tx->tresp = s->now;
		tx->ebis = ebi_bit(pd->lbi);
		eg_v2_init(&g, EPCGEN_MSG_CS_RESP, u->mme_teid, tx->seq);
		ft(&g.sender, EPCGEN_IF_S11_SGW, u->sgw_teid, sgw_of(s, u));
		g.has_pgw_c = 1;
		ft(&g.pgw_c, EPCGEN_IF_S5C_PGW, pd->pgw_s5c_teid, pgw_of(s, pd));
		g.pdn_type = pd->pdn_type;
		g.ue_v4 = pd->ue_v4;
		memcpy(g.ue_v6, pd->ue_v6, 16);
		g.v6_plen = 64;
		g.ambr_ul = 50000;
		g.ambr_dl = 150000;
		g.n_bctx = 1;
		c->ebi = pd->lbi;
		c->cause = EPCGEN_CAUSE_ACCEPTED;
		/* Table 7.2.2-2: S1-U SGW F-TEID instance 0, S5/S8-U PGW F-TEID instance 2 */
		bctx_fteid(c, 0, EPCGEN_IF_S1U_SGW, b->s1u_sgw.teid, sgw_of(s, u));
		bctx_fteid(c, 2, EPCGEN_IF_S5U_PGW, b->s5u_pgw.teid, pgw_of(s, pd));
		c->charging_id = b->charging_id;
		b->s1u_sgw.opened = f;
		if (!s->cfg->s5)
			b->s5u_pgw.opened = f;
		b->created = f;
		pd->created = f;
		if (piggy) {
			ded_bearer(s, ui, u, p);
			cbreq(s, u, p, 1, &g2, &tftbuf);
			g.piggy = 1;
			u->tx[2].req = f;
			u->tx[2].treq = s->now;
			bearer(s, u->tx[2].bearer)->created_req = f;
			bearer(s, u->tx[2].bearer)->s1u_sgw.opened = f;
			if (!s->cfg->s5)
				bearer(s, u->tx[2].bearer)->s5u_pgw.opened = f;
		}
		eg_send_v2(s, sgw_of(s, u), mme_of(s, u), &g, piggy ? &g2 : NULL);
		break;
	}
}

/* Modify Bearer Request: after attach / PDN connectivity the new default bearer gets its
 * eNodeB F-TEID; on handover and service request every bearer of the UE gets a new one, with
 * the ULI when the location changed (Table 7.2.7-1). */
static void
leg_mbreq(struct eg_sim *s, struct eg_sub *u, const struct eg_step *st, int p)
{
	struct eg_tx *tx = &u->tx[1];
	struct epcgen_gtpc g, g2;
	uint32_t list[EG_MAX_PDN * EG_MAX_BEARERS_PER_PDN];
	uint32_t f = eg_frame_next(s);
	int n, piggy = st->kind == EG_ST_ATTACH && st->flag;

	tx->seq = eg_seq_initial(mme_of(s, u));
	tx->req = f;
	tx->treq = s->now;
	tx->ebis = 0;
	eg_v2_init(&g, EPCGEN_MSG_MB_REQ, u->sgw_teid, tx->seq);
	if (st->kind == EG_ST_ATTACH || st->kind == EG_ST_PDN_ADD) {
		list[0] = u->pdn[p].bearer[0];
		n = 1;
	} else {
		n = bearers_of(u, list);
		u->em_teid = 0;
		if (st->kind == EG_ST_HANDOVER && st->flag)
			u->em_teid = bearer(s, list[0])->s1u_enb.teid;
		if (u->moved) {
			const struct eg_node *enb = enb_node(s, u->enb);
			g.has_uli = 1;
			g.tac = enb->tac;
			g.eci = enb->eci;
		}
	}
	for (int i = 0; i < n; i++) {
		struct eg_bearer *b = bearer(s, list[i]);
		struct epcgen_bctx *c = &g.bctx[g.n_bctx++];
		enb_close(s, b, f);
		enb_open(s, b, u->enb, f);
		c->ebi = b->ebi;
		/* Table 7.2.7-2: S1-U eNodeB F-TEID instance 0 */
		bctx_fteid(c, 0, EPCGEN_IF_S1U_ENB, b->s1u_enb.teid, enb_node(s, b->enb));
		tx->ebis |= ebi_bit(b->ebi);
	}
	if (piggy) {
		/* 5.5.1 / TS 23.401 5.3.2.1: the Create Bearer Response rides on the Modify
		 * Bearer Request that follows the piggybacked Create Bearer Request. */
		g.piggy = 1;
		cbresp(s, u, &g2, f);
	}
	eg_send_v2(s, mme_of(s, u), sgw_of(s, u), &g, piggy ? &g2 : NULL);
}

static void
leg_mbresp(struct eg_sim *s, struct eg_sub *u)
{
	struct eg_tx *tx = &u->tx[1];
	struct epcgen_gtpc g;
	uint32_t list[EG_MAX_PDN * EG_MAX_BEARERS_PER_PDN];
	int n = bearers_of(u, list);

	tx->resp = eg_frame_next(s);
	tx->tresp = s->now;
	eg_v2_init(&g, EPCGEN_MSG_MB_RESP, u->mme_teid, tx->seq);
	for (int i = 0; i < n; i++) {
		struct eg_bearer *b = bearer(s, list[i]);
		struct epcgen_bctx *c;
		if (!(tx->ebis & ebi_bit(b->ebi)))
			continue;
		c = &g.bctx[g.n_bctx++];
		c->ebi = b->ebi;
		c->cause = EPCGEN_CAUSE_ACCEPTED;
		/* Table 7.2.8-2: S1-U SGW F-TEID instance 0 */
		bctx_fteid(c, 0, EPCGEN_IF_S1U_SGW, b->s1u_sgw.teid, sgw_of(s, u));
	}
	u->state = EG_CONNECTED;
	eg_send_v2(s, sgw_of(s, u), mme_of(s, u), &g, NULL);
}

static void
leg_end_marker(struct eg_sim *s, struct eg_sub *u)
{
	struct epcgen_gtpu g;

	/* TS 29.281 7.3.2 / TS 23.401 5.5.1.1.2: after the path switch the S-GW sends an End
	 * Marker on the old path (TEID of the source eNodeB), no payload. */
	u->em_frame = eg_frame_next(s);
	eg_frame_begin(s, sgw_of(s, u), enb_node(s, u->old_enb), 2152, 2152);
	epcgen_gtpu_begin(&s->fb, &g, EPCGEN_GTPU_END_MARKER, u->em_teid, 0, 0, NULL, 0);
	epcgen_gtpu_end(&s->fb, &g);
	eg_frame_end(s);
	s->tot->gtpu_end_marker++;
}

static void
leg_rab(struct eg_sim *s, struct eg_sub *u, int req)
{
	struct eg_tx *tx = &u->tx[1];
	struct epcgen_gtpc g;
	uint32_t list[EG_MAX_PDN * EG_MAX_BEARERS_PER_PDN];
	uint32_t f = eg_frame_next(s);
	int n;

	if (req) {
		tx->seq = eg_seq_initial(mme_of(s, u));
		tx->req = f;
		tx->treq = s->now;
		tx->ebis = 0;
		n = bearers_of(u, list);
		for (int i = 0; i < n; i++) {
			struct eg_bearer *b = bearer(s, list[i]);
			tx->ebis |= ebi_bit(b->ebi);
			enb_close(s, b, f);	/* S1-U released: no more downlink to the eNB */
		}
		eg_v2_init(&g, EPCGEN_MSG_RAB_REQ, u->sgw_teid, tx->seq);
		eg_send_v2(s, mme_of(s, u), sgw_of(s, u), &g, NULL);
	} else {
		tx->resp = f;
		tx->tresp = s->now;
		eg_v2_init(&g, EPCGEN_MSG_RAB_RESP, u->mme_teid, tx->seq);
		u->state = EG_IDLE;
		eg_send_v2(s, sgw_of(s, u), mme_of(s, u), &g, NULL);
	}
}

static void
leg_cb(struct eg_sim *s, uint32_t ui, struct eg_sub *u, int kind, int p)
{
	struct eg_pdn *pd = &u->pdn[p];
	struct eg_tx *tx = &u->tx[2];
	struct epcgen_gtpc g;
	struct epcgen_addr tftbuf;
	uint32_t f = eg_frame_next(s);
	struct eg_bearer *b;

	switch (kind) {
	case EG_L_CBREQ5:
		ded_bearer(s, ui, u, p);
		tx->req5 = f;
		cbreq(s, u, p, 0, &g, &tftbuf);
		bearer(s, tx->bearer)->s5u_pgw.opened = f;
		eg_send_v2(s, pgw_of(s, pd), sgw_of(s, u), &g, NULL);
		break;
	case EG_L_CBREQ:
		ded_bearer(s, ui, u, p);
		tx->req = f;
		tx->treq = s->now;
		cbreq(s, u, p, 1, &g, &tftbuf);
		b = bearer(s, tx->bearer);
		b->created_req = f;
		b->s1u_sgw.opened = f;
		if (!s->cfg->s5)
			b->s5u_pgw.opened = f;
		eg_send_v2(s, sgw_of(s, u), mme_of(s, u), &g, NULL);
		break;
	case EG_L_CBRESP:
		cbresp(s, u, &g, f);
		eg_send_v2(s, mme_of(s, u), sgw_of(s, u), &g, NULL);
		break;
	case EG_L_CBRESP5:
	default: {
		struct epcgen_bctx *c = &g.bctx[0];
		b = bearer(s, tx->bearer);
		tx->resp5 = f;
		eg_v2_init(&g, EPCGEN_MSG_CB_RESP, pd->pgw_s5c_teid, tx->seq5);
		g.n_bctx = 1;
		c->ebi = b->ebi;
		c->cause = EPCGEN_CAUSE_ACCEPTED;
		/* Table 7.2.4-2: S5/S8-U SGW F-TEID instance 2, S5/S8-U PGW F-TEID instance 3 */
		bctx_fteid(c, 2, EPCGEN_IF_S5U_SGW, b->s5u_sgw.teid, sgw_of(s, u));
		bctx_fteid(c, 3, EPCGEN_IF_S5U_PGW, b->s5u_pgw.teid, pgw_of(s, pd));
		b->s5u_sgw.opened = f;
		eg_send_v2(s, sgw_of(s, u), pgw_of(s, pd), &g, NULL);
		break;
	}
	}
}

static void
leg_db(struct eg_sim *s, struct eg_sub *u, int kind, int p)
{
	struct eg_pdn *pd = &u->pdn[p];
	struct eg_tx *tx = &u->tx[2];
	struct epcgen_gtpc g;
	uint32_t f = eg_frame_next(s);
	struct eg_bearer *b;

	/* The victim: the PDN's oldest dedicated bearer (slot 1; slot 0 is the default). */
	if (kind == EG_L_DBREQ5 || (kind == EG_L_DBREQ && !s->cfg->s5)) {
		memset(tx, 0, sizeof(*tx));
		tx->pdn = (uint8_t)p;
		tx->bearer = pd->nb > 1 ? pd->bearer[1] : EG_NONE;
		if (tx->bearer == EG_NONE) {
			s->plan_err = 1;
			return;
		}
	}
	b = bearer(s, tx->bearer);
	switch (kind) {
	case EG_L_DBREQ5:
		tx->seq5 = seq_network(pgw_of(s, pd));
		tx->req5 = f;
		eg_v2_init(&g, EPCGEN_MSG_DB_REQ, pd->sgw_s5c_teid, tx->seq5);
		g.ebi = b->ebi;
		eg_send_v2(s, pgw_of(s, pd), sgw_of(s, u), &g, NULL);
		break;
	case EG_L_DBREQ:
		tx->seq = seq_network(sgw_of(s, u));
		tx->req = f;
		tx->treq = s->now;
		tx->ebis = ebi_bit(b->ebi);
		eg_v2_init(&g, EPCGEN_MSG_DB_REQ, u->mme_teid, tx->seq);
		g.ebi = b->ebi;
		eg_send_v2(s, sgw_of(s, u), mme_of(s, u), &g, NULL);
		break;
	case EG_L_DBRESP:
		tx->resp = f;
		tx->tresp = s->now;
		eg_v2_init(&g, EPCGEN_MSG_DB_RESP, u->sgw_teid, tx->seq);
		g.n_bctx = 1;
		g.bctx[0].ebi = b->ebi;
		g.bctx[0].cause = EPCGEN_CAUSE_ACCEPTED;
		eg_send_v2(s, mme_of(s, u), sgw_of(s, u), &g, NULL);
		/* gone: the MME confirmed (its last G-PDU came before the request) */
		bearer_end(s, u, tx->bearer, tx->req);
		for (int i = 1; i < pd->nb; i++)
			if (pd->bearer[i] == tx->bearer) {
				memmove(&pd->bearer[i], &pd->bearer[i + 1],
				    (size_t)(pd->nb - i - 1) * sizeof(pd->bearer[0]));
				pd->nb--;
				break;
			}
		break;
	case EG_L_DBRESP5:
	default:
		tx->resp5 = f;
		eg_v2_init(&g, EPCGEN_MSG_DB_RESP, pd->pgw_s5c_teid, tx->seq5);
		g.n_bctx = 1;
		g.bctx[0].ebi = b->ebi;
		g.bctx[0].cause = EPCGEN_CAUSE_ACCEPTED;
		eg_send_v2(s, sgw_of(s, u), pgw_of(s, pd), &g, NULL);
		break;
	}
}

static void
leg_ds(struct eg_sim *s, struct eg_sub *u, int kind, int p)
{
	struct eg_pdn *pd = &u->pdn[p];
	struct eg_tx *tx = &u->tx[p];
	struct epcgen_gtpc g;
	uint32_t f = eg_frame_next(s);

	switch (kind) {
	case EG_L_DSREQ:
		memset(tx, 0, sizeof(*tx));
		tx->pdn = (uint8_t)p;
		tx->seq = eg_seq_initial(mme_of(s, u));
		tx->req = f;
		tx->treq = s->now;
		for (int i = 0; i < pd->nb; i++)
			tx->ebis |= ebi_bit(bearer(s, pd->bearer[i])->ebi);
		eg_v2_init(&g, EPCGEN_MSG_DS_REQ, u->sgw_teid, tx->seq);
		g.lbi = pd->lbi;
		eg_send_v2(s, mme_of(s, u), sgw_of(s, u), &g, NULL);
		break;
	case EG_L_DSREQ5:
		tx->seq5 = eg_seq_initial(sgw_of(s, u));
		tx->req5 = f;
		eg_v2_init(&g, EPCGEN_MSG_DS_REQ, pd->pgw_s5c_teid, tx->seq5);
		g.lbi = pd->lbi;
		eg_send_v2(s, sgw_of(s, u), pgw_of(s, pd), &g, NULL);
		break;
	case EG_L_DSRESP5:
		tx->resp5 = f;
		eg_v2_init(&g, EPCGEN_MSG_DS_RESP, pd->sgw_s5c_teid, tx->seq5);
		eg_send_v2(s, pgw_of(s, pd), sgw_of(s, u), &g, NULL);
		break;
	case EG_L_DSRESP:
	default:
		tx->resp = f;
		tx->tresp = s->now;
		eg_v2_init(&g, EPCGEN_MSG_DS_RESP, u->mme_teid, tx->seq);
		eg_send_v2(s, sgw_of(s, u), mme_of(s, u), &g, NULL);
		for (int i = 0; i < pd->nb; i++)
			bearer_end(s, u, pd->bearer[i], tx->req);
		eg_truth_session(s, u, p, tx->req);
		pd->active = 0;
		pd->nb = 0;
		if (!u->pdn[0].active && !u->pdn[1].active) {
			u->state = EG_DETACHED;
			u->detach_frame = f;
		}
		break;
	}
}

static void
emit_leg(struct eg_sim *s, uint32_t ui, struct eg_sub *u, const struct eg_step *st, uint8_t leg)
{
	int kind = eg_leg_kind(leg), p = eg_leg_pdn(leg);

	switch (kind) {
	case EG_L_CSREQ:
	case EG_L_CSREQ5:
	case EG_L_CSRESP5:
	case EG_L_CSRESP:
		leg_cs(s, ui, u, kind, p, st->kind == EG_ST_ATTACH && st->flag);
		break;
	case EG_L_MBREQ:
		leg_mbreq(s, u, st, p);
		break;
	case EG_L_MBRESP:
		leg_mbresp(s, u);
		break;
	case EG_L_END_MARKER:
		leg_end_marker(s, u);
		break;
	case EG_L_RABREQ:
	case EG_L_RABRESP:
		leg_rab(s, u, kind == EG_L_RABREQ);
		break;
	case EG_L_CBREQ5:
	case EG_L_CBREQ:
	case EG_L_CBRESP:
	case EG_L_CBRESP5:
		leg_cb(s, ui, u, kind, p);
		break;
	case EG_L_DBREQ5:
	case EG_L_DBREQ:
	case EG_L_DBRESP:
	case EG_L_DBRESP5:
		leg_db(s, u, kind, p);
		break;
	default:
		leg_ds(s, u, kind, p);
		break;
	}
}

/* Realistic spacing before a leg: node processing on S11/S5 takes milliseconds, radio
 * procedures between the MME's messages (RRC, E-RAB setup) tens of milliseconds. */
static uint64_t
leg_delay(struct eg_sim *s, uint8_t leg)
{
	switch (eg_leg_kind(leg)) {
	case EG_L_CSREQ5:
	case EG_L_DSREQ5:
	case EG_L_CBREQ:
	case EG_L_DBREQ:
	case EG_L_CBRESP5:
	case EG_L_DBRESP5:
		return eg_rnd(s, 200, 2000);		/* S-GW relays */
	case EG_L_CSRESP5:
	case EG_L_DSRESP5:
		return eg_rnd(s, 500, 5000);		/* P-GW answers */
	case EG_L_MBREQ:
	case EG_L_CBRESP:
	case EG_L_DBRESP:
		return eg_rnd(s, 20000, 150000);		/* radio signalling in between */
	case EG_L_END_MARKER:
		return eg_rnd(s, 100, 1000);
	default:
		return eg_rnd(s, 1000, 10000);		/* S-GW answers, next PDN */
	}
}

static void
step_start(struct eg_sim *s, struct eg_sub *u, const struct eg_step *st)
{
	u->leg = 0;
	u->nlegs = 0;
	u->traffic_left = 0;
	if (st->kind == EG_ST_TRAFFIC) {
		u->traffic_left = st->n * (s->cfg->s5 ? 2u : 1u);
		u->up.pending5 = 0;
		return;
	}
	u->nlegs = (uint8_t)eg_step_legs(st, s->cfg->s5, u->legs);
	u->moved = 0;
	if (st->kind == EG_ST_HANDOVER || (st->kind == EG_ST_SERVICE_REQ && st->flag)) {
		u->old_enb = u->enb;
		u->enb = pick_other_enb(s, u->enb);
		u->moved = u->enb != u->old_enb;
	}
	/* every control step starts with clean transaction records: a field a step does not
	 * set (an S5 frame, say) must not leak from an earlier step into its truth */
	memset(u->tx, 0, sizeof(u->tx));
	u->tx[2].bearer = EG_NONE;
	u->em_frame = 0;
}

static uint64_t
sub_advance(struct eg_sim *s, uint32_t ui)
{
	struct eg_sub *u = &s->subs[ui];
	const struct eg_step *st;

	/* Start the next step; traffic steps that got no packets are skipped. */
	while (u->leg == u->nlegs && u->traffic_left == 0) {
		if (u->step_cur >= u->step_count)
			return EG_DONE;
		step_start(s, u, cur_step(s, u));
		if (u->nlegs == 0 && u->traffic_left == 0)
			u->step_cur++;
	}
	st = cur_step(s, u);
	if (u->traffic_left > 0) {
		user_step(s, u);
		if (--u->traffic_left > 0)
			return u->up.pending5 ? eg_rnd(s, 50, 500) :
			    eg_rnd(s, s->sc.iat_min_us, s->sc.iat_max_us);
	} else {
		emit_leg(s, ui, u, st, u->legs[u->leg++]);
		if (u->leg < u->nlegs)
			return leg_delay(s, u->legs[u->leg]);
		eg_truth_step(s, ui, u, st);
		u->leg = u->nlegs = 0;
	}
	if (++u->step_cur >= u->step_count)
		return EG_DONE;
	/* Traffic follows a procedure quickly; the next procedure comes after a while. */
	if (s->steps[u->step_first + u->step_cur].kind == EG_ST_TRAFFIC)
		return eg_rnd(s, 20000, 1000000);
	return eg_rnd(s, s->sc.gap_min_us, s->sc.gap_max_us);
}

/* --------------------------------------------------------------------- heap ---- */

static int
heap_less(const struct eg_heap_ent *a, const struct eg_heap_ent *b)
{
	return a->t < b->t || (a->t == b->t && a->tie < b->tie);
}

static void
heap_push(struct eg_sim *s, uint64_t t, uint32_t actor)
{
	struct eg_heap_ent e = {t, s->tie++, actor};
	uint32_t i = s->nheap++;

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (!heap_less(&e, &s->heap[parent]))
			break;
		s->heap[i] = s->heap[parent];
		i = parent;
	}
	s->heap[i] = e;
}

static struct eg_heap_ent
heap_pop(struct eg_sim *s)
{
	struct eg_heap_ent top = s->heap[0], last = s->heap[--s->nheap];
	uint32_t i = 0;

	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && heap_less(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!heap_less(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->nheap > 0)
		s->heap[i] = last;
	return top;
}

/* ---------------------------------------------------------------------- run ---- */

/* At the end of the capture, what is still open gets its lines (closed/deleted: null). */
static void
close_open(struct eg_sim *s)
{
	for (uint32_t ui = 0; ui < s->nsubs; ui++) {
		struct eg_sub *u = &s->subs[ui];
		for (int p = 0; p < EG_MAX_PDN; p++) {
			struct eg_pdn *pd = &u->pdn[p];
			if (!pd->active)
				continue;
			for (int i = 0; i < pd->nb; i++)
				bearer_end(s, u, pd->bearer[i], 0);
			eg_truth_session(s, u, p, 0);
		}
	}
}

enum epcgen_err
eg_simulate(struct eg_sim *s)
{
	uint64_t span;

	s->heap = calloc((size_t)s->nsubs + 1, sizeof(*s->heap));
	if (s->heap == NULL)
		return EPCGEN_E_NOMEM;
	eg_truth_meta(s);
	eg_truth_nodes(s);
	for (uint32_t i = 0; i < s->nsubs; i++)
		heap_push(s, epcgen_rng_next(&s->rng) % s->sc.window_us, i);
	/* Noise spread over about the time the subscribers take. */
	span = s->sc.window_us +
	    (s->nsteps / s->nsubs + 1) * (s->sc.gap_min_us + s->sc.gap_max_us) / 2;
	s->noise.iat_us = s->noise.left ? span / (s->noise.left + 1) : 0;
	if (s->noise.left)
		heap_push(s, eg_rnd(s, 0, s->noise.iat_us), EG_NOISE_ACTOR);

	while (s->nheap > 0 && !s->enc_err && !s->plan_err && !s->out.err) {
		struct eg_heap_ent e = heap_pop(s);
		uint64_t d;
		s->now = e.t;
		if (e.actor == EG_NOISE_ACTOR) {
			eg_noise_frame(s);
			if (s->noise.left > 0)
				heap_push(s, s->now + (s->noise.pending ? eg_rnd(s, 500, 20000) :
				    eg_rnd(s, s->noise.iat_us / 2, s->noise.iat_us * 3 / 2)),
				    EG_NOISE_ACTOR);
			continue;
		}
		d = sub_advance(s, e.actor);
		if (d != EG_DONE)
			heap_push(s, s->now + d, e.actor);
	}
	if (s->enc_err)
		return EPCGEN_E_ENCODE;
	if (s->out.err)
		return EPCGEN_E_IO;
	close_open(s);
	for (uint32_t i = 0; i < s->nsubs; i++)
		eg_truth_subscriber(s, i);
	s->tot->duration_us = s->last_t - s->first_t;
	s->tot->bearers = s->nbearers;
	if (s->plan_err || s->frame != s->planned || s->tot->frames != s->cfg->packets)
		return EPCGEN_E_INTERNAL;
	eg_truth_totals(s);
	return s->out.err ? EPCGEN_E_IO : EPCGEN_OK;
}
