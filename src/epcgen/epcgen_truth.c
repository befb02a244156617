/*
 * The ground truth of the EPC traffic generator: one JSON object per line (FILE.truth.jsonl),
 * schema in docs/epcgen.md.  Lines are written as things end (a tunnel when its TEID is
 * replaced or released, a bearer or session when deleted, a procedure when its last message
 * is written) and, for what is still open, at the end of the capture; then one line per
 * subscriber and the totals.  Frame numbers are 1-based like tshark's frame.number; times are
 * absolute microseconds since 1970 (the pcap timestamps).
 */
#include "epcgen/epcgen_int.h"

#include <string.h>

static const char *const role_names[EG_NROLES] = {"mme", "sgw", "pgw", "enb", "host"};

static uint64_t
abs_us(uint64_t t)
{
	return EG_T0_SEC * 1000000 + t;
}

static const char *
pdn_type_name(uint8_t t)
{
	return t == EPCGEN_PDN_IPV4 ? "ipv4" : t == EPCGEN_PDN_IPV6 ? "ipv6" : "ipv4v6";
}

static void
imsi_field(struct eg_out *o, const struct eg_sub *u)
{
	char imsi[16];

	eg_sub_imsi(u, imsi);
	ej_str(o, "imsi", imsi);
}

void
eg_truth_meta(struct eg_sim *s)
{
	struct eg_out *o = &s->out;
	const struct epcgen_config *c = s->cfg;

	ej_begin(o, "meta");
	ej_u64(o, "schema", 1);
	ej_str(o, "generator", "epcgen");
	ej_str(o, "scenario", epcgen_scenario_name(c->scenario));
	ej_u64(o, "seed", c->seed);
	ej_u64(o, "subscribers", c->subscribers);
	ej_u64(o, "targets", c->targets);
	ej_u64(o, "packets", c->packets);
	ej_str(o, "transport", c->ipv6_transport ? "ipv6" : "ipv4");
	if (c->vlan)
		ej_u64(o, "vlan", c->vlan);
	else
		ej_null(o, "vlan");
	ej_bool(o, "s5", c->s5);
	ej_str(o, "link", "ethernet");
	ej_str(o, "mcc", "001");
	ej_str(o, "mnc", "01");
	ej_u64(o, "t0_us", abs_us(0));
	/* Without --mtu the line is what it always was (same options, same bytes). */
	if (c->mtu) {
		ej_u64(o, "mtu", c->mtu);
		ej_str(o, "frame_numbering", "1-based, per IP datagram");
	} else {
		ej_str(o, "frame_numbering", "1-based");
	}
	ej_end(o);
}

void
eg_truth_nodes(struct eg_sim *s)
{
	struct eg_out *o = &s->out;
	char mac[18];

	for (uint32_t i = 0; i < s->nnodes; i++) {
		const struct eg_node *n = &s->nodes[i];
		ej_begin(o, "node");
		ej_str(o, "role", role_names[n->role]);
		ej_u64(o, "id", n->id);
		ej_addr(o, "addr", &n->addr);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
		    n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
		ej_str(o, "mac", mac);
		if (n->role == EG_ENB) {
			ej_u64(o, "tac", n->tac);
			ej_u64(o, "eci", n->eci);
		}
		ej_end(o);
	}
}

void
eg_truth_tunnel(struct eg_sim *s, const struct eg_bearer *br, const char *iface,
    const struct eg_tun *t, const struct epcgen_addr *addr, uint32_t closed)
{
	struct eg_out *o = &s->out;

	ej_begin(o, "tunnel");
	ej_u64(o, "sub", br->sub);
	imsi_field(o, &s->subs[br->sub]);
	ej_u64(o, "pdn", br->pdn);
	ej_u64(o, "ebi", br->ebi);
	ej_u64(o, "bearer_id", (uint64_t)(br - s->bearers));
	ej_str(o, "iface", iface);
	ej_u64(o, "teid", t->teid);
	ej_addr(o, "addr", addr);
	ej_frame(o, "opened_frame", t->opened);
	ej_frame(o, "closed_frame", closed);
	ej_u64(o, "gpdus", t->gpdus);
	ej_u64(o, "bytes", t->bytes);
	ej_frame(o, "first_frame", t->first);
	ej_frame(o, "last_frame", t->last);
	ej_end(o);
}

void
eg_truth_bearer(struct eg_sim *s, const struct eg_bearer *br, uint32_t deleted)
{
	struct eg_out *o = &s->out;
	const struct eg_sub *u = &s->subs[br->sub];
	struct epcgen_addr a;

	ej_begin(o, "bearer");
	ej_u64(o, "sub", br->sub);
	imsi_field(o, u);
	ej_u64(o, "pdn", br->pdn);
	ej_u64(o, "ebi", br->ebi);
	ej_u64(o, "bearer_id", (uint64_t)(br - s->bearers));
	ej_u64(o, "lbi", u->pdn[br->pdn].lbi);
	ej_bool(o, "default", br->dflt);
	ej_u64(o, "qci", br->qci);
	ej_u64(o, "charging_id", br->charging_id);
	ej_frame(o, "created_req_frame", br->created_req);
	ej_frame(o, "created_frame", br->created);
	ej_frame(o, "deleted_frame", deleted);
	ej_u64(o, "ul_gpdus", br->ul_pkts);
	ej_u64(o, "ul_bytes", br->ul_bytes);
	ej_u64(o, "dl_gpdus", br->dl_pkts);
	ej_u64(o, "dl_bytes", br->dl_bytes);
	ej_u64(o, "sgw_s1u_teid", br->s1u_sgw.teid);
	ej_u64(o, "pgw_s5u_teid", br->s5u_pgw.teid);
	if (s->cfg->s5)
		ej_u64(o, "sgw_s5u_teid", br->s5u_sgw.teid);
	else
		ej_null(o, "sgw_s5u_teid");
	if (br->dflt) {
		ej_null(o, "tft");
	} else {
		ej_obj_begin(o, "tft");
		eg_server_addr(&a, br->tft_v6, br->tft_server);
		ej_addr(o, "remote", &a);
		ej_u64(o, "proto", br->tft_proto);
		ej_u64(o, "port", br->tft_port);
		ej_obj_end(o);
	}
	ej_end(o);
	s->tot->bearers++;
}

void
eg_truth_session(struct eg_sim *s, const struct eg_sub *u, int slot, uint32_t deleted)
{
	struct eg_out *o = &s->out;
	const struct eg_pdn *pd = &u->pdn[slot];
	struct epcgen_addr a;

	ej_begin(o, "session");
	ej_u64(o, "sub", (uint64_t)(u - s->subs));
	imsi_field(o, u);
	ej_u64(o, "pdn", (uint64_t)slot);
	ej_str(o, "apn", eg_apns[pd->apn]);
	ej_str(o, "pdn_type", pdn_type_name(pd->pdn_type));
	if (pd->pdn_type != EPCGEN_PDN_IPV6) {
		eg_addr_ue_v4(&a, pd->ue_v4);
		ej_addr(o, "ue_ipv4", &a);
	} else {
		ej_null(o, "ue_ipv4");
	}
	if (pd->pdn_type != EPCGEN_PDN_IPV4) {
		epcgen_addr_v6(&a, pd->ue_v6);
		ej_addr(o, "ue_ipv6", &a);
		ej_u64(o, "ipv6_prefix_len", 64);
	} else {
		ej_null(o, "ue_ipv6");
		ej_null(o, "ipv6_prefix_len");
	}
	ej_u64(o, "lbi", pd->lbi);
	ej_u64(o, "pgw", pd->pgw);
	ej_addr(o, "pgw_addr", &s->nodes[s->first[EG_PGW] + pd->pgw].addr);
	ej_u64(o, "pgw_s5c_teid", pd->pgw_s5c_teid);
	if (s->cfg->s5)
		ej_u64(o, "sgw_s5c_teid", pd->sgw_s5c_teid);
	else
		ej_null(o, "sgw_s5c_teid");
	ej_frame(o, "created_req_frame", pd->created_req);
	ej_frame(o, "created_frame", pd->created);
	ej_frame(o, "deleted_frame", deleted);
	ej_end(o);
	s->tot->sessions++;
}

void
eg_truth_subscriber(struct eg_sim *s, uint32_t idx)
{
	struct eg_out *o = &s->out;
	const struct eg_sub *u = &s->subs[idx];
	char msisdn[16], imei[16], mei[17];

	eg_sub_msisdn(u, msisdn);
	eg_sub_imei(u, imei);
	eg_sub_mei(u, mei);
	ej_begin(o, "subscriber");
	ej_u64(o, "sub", idx);
	imsi_field(o, u);
	ej_str(o, "msisdn", msisdn);
	ej_str(o, "imei", imei);
	ej_str(o, "mei", mei);
	ej_str(o, "mei_kind", u->imeisv ? "imeisv" : "imei");
	ej_bool(o, "target", u->target);
	ej_u64(o, "mme", u->mme);
	ej_u64(o, "sgw", u->sgw);
	ej_u64(o, "s11_mme_teid", u->mme_teid);
	ej_u64(o, "s11_sgw_teid", u->sgw_teid);
	ej_frame(o, "attach_frame", u->attach_frame);
	ej_frame(o, "detach_frame", u->detach_frame);
	ej_str(o, "state_at_end", u->state == EG_CONNECTED ? "connected" :
	    u->state == EG_IDLE ? "idle" : "detached");
	ej_u64(o, "procedures", u->nprocs);
	ej_end(o);
}

void
eg_truth_noise(struct eg_sim *s, const char *kind, uint32_t frame)
{
	ej_begin(&s->out, "noise");
	ej_str(&s->out, "kind", kind);
	ej_u64(&s->out, "frame", frame);
	ej_end(&s->out);
}

void
eg_truth_totals(struct eg_sim *s)
{
	struct eg_out *o = &s->out;
	const struct epcgen_totals *t = s->tot;
	char key[8];

	ej_begin(o, "totals");
	ej_u64(o, "frames", t->frames);
	ej_u64(o, "gtpv2_frames", t->gtpv2_frames);
	ej_obj_begin(o, "gtpv2_msgs");
	for (unsigned i = 0; i < 256; i++) {
		if (t->gtpv2_msgs[i] == 0)
			continue;
		snprintf(key, sizeof(key), "%u", i & 0xff);
		ej_u64(o, key, t->gtpv2_msgs[i]);
	}
	ej_obj_end(o);
	ej_u64(o, "piggybacked", t->piggybacked);
	ej_u64(o, "gpdu", t->gpdu);
	ej_u64(o, "gpdu_s1u_ul", t->gpdu_s1u_ul);
	ej_u64(o, "gpdu_s1u_dl", t->gpdu_s1u_dl);
	ej_u64(o, "gpdu_s5u_ul", t->gpdu_s5u_ul);
	ej_u64(o, "gpdu_s5u_dl", t->gpdu_s5u_dl);
	ej_u64(o, "gpdu_unknown_teid", t->gpdu_unknown_teid);
	ej_u64(o, "gpdu_with_seq", t->gpdu_with_seq);
	ej_u64(o, "gpdu_with_ext", t->gpdu_with_ext);
	ej_u64(o, "gtpu_echo_req", t->gtpu_echo_req);
	ej_u64(o, "gtpu_echo_resp", t->gtpu_echo_resp);
	ej_u64(o, "gtpu_end_marker", t->gtpu_end_marker);
	ej_u64(o, "dns", t->dns);
	ej_u64(o, "non_gtp_c", t->non_gtp_c);
	ej_u64(o, "non_gtp_u", t->non_gtp_u);
	ej_u64(o, "bad_gtp_c", t->bad_gtp_c);
	ej_u64(o, "bad_gtp_u", t->bad_gtp_u);
	ej_u64(o, "procedures", t->procedures);
	ej_u64(o, "bearers", t->bearers);
	ej_u64(o, "sessions", t->sessions);
	ej_u64(o, "subscribers", s->nsubs);
	ej_u64(o, "targets", s->cfg->targets);
	ej_u64(o, "duration_us", t->duration_us);
	if (s->cfg->mtu) {
		ej_u64(o, "pcap_records", t->pcap_records);
		ej_u64(o, "fragmented_datagrams", t->fragmented);
		ej_u64(o, "fragments", t->fragments);
		ej_u64(o, "reordered_datagrams", t->reordered);
	}
	ej_end(o);
}

/* ------------------------------------------------------------ procedures ---- */

static void
proc_begin(struct eg_sim *s, uint32_t ui, const char *proc, const char *reason,
    const struct eg_tx *tx, uint8_t req_type, uint8_t resp_type, int pdn)
{
	struct eg_out *o = &s->out;

	ej_begin(o, "proc");
	ej_u64(o, "sub", ui);
	imsi_field(o, &s->subs[ui]);
	ej_str(o, "proc", proc);
	if (reason != NULL)
		ej_str(o, "reason", reason);
	else
		ej_null(o, "reason");
	ej_u64(o, "req_type", req_type);
	ej_u64(o, "resp_type", resp_type);
	ej_frame(o, "req_frame", tx->req);
	ej_frame(o, "resp_frame", tx->resp);
	ej_u64(o, "req_t_us", abs_us(tx->treq));
	ej_u64(o, "resp_t_us", abs_us(tx->tresp));
	ej_frame(o, "s5_req_frame", tx->req5);
	ej_frame(o, "s5_resp_frame", tx->resp5);
	if (pdn >= 0)
		ej_u64(o, "pdn", (uint64_t)pdn);
	else
		ej_null(o, "pdn");
	ej_arr_begin(o, "ebis");
	for (int e = 0; e < 11; e++)
		if (tx->ebis & (1u << e))
			ej_arr_u64(o, (uint64_t)(EG_FIRST_EBI + e));
	ej_arr_end(o);
	s->tot->procedures++;
}

static void
proc_end(struct eg_sim *s, uint32_t ui)
{
	ej_end(&s->out);
	s->subs[ui].nprocs++;
}

static void
location(struct eg_sim *s, const struct eg_sub *u)
{
	const struct eg_node *enb = &s->nodes[s->first[EG_ENB] + u->enb];

	ej_u64(&s->out, "enb", u->enb);
	ej_u64(&s->out, "tac", enb->tac);
	ej_u64(&s->out, "eci", enb->eci);
}

static void
proc_default(struct eg_sim *s, uint32_t ui, const struct eg_sub *u, int p, const char *reason)
{
	struct eg_out *o = &s->out;
	const struct eg_tx *tx = &u->tx[0];
	const struct eg_pdn *pd = &u->pdn[p];
	const struct eg_bearer *b = &s->bearers[tx->bearer];
	struct epcgen_addr a;

	proc_begin(s, ui, "default_bearer_activation", reason, tx, EPCGEN_MSG_CS_REQ,
	    EPCGEN_MSG_CS_RESP, p);
	ej_str(o, "apn", eg_apns[pd->apn]);
	ej_str(o, "pdn_type", pdn_type_name(pd->pdn_type));
	if (pd->pdn_type != EPCGEN_PDN_IPV6) {
		eg_addr_ue_v4(&a, pd->ue_v4);
		ej_addr(o, "ue_ipv4", &a);
	} else {
		ej_null(o, "ue_ipv4");
	}
	if (pd->pdn_type != EPCGEN_PDN_IPV4) {
		epcgen_addr_v6(&a, pd->ue_v6);
		ej_addr(o, "ue_ipv6", &a);
	} else {
		ej_null(o, "ue_ipv6");
	}
	ej_u64(o, "ebi", b->ebi);
	ej_u64(o, "bearer_id", tx->bearer);
	ej_u64(o, "qci", b->qci);
	ej_u64(o, "sgw_s1u_teid", b->s1u_sgw.teid);
	ej_u64(o, "pgw_s5u_teid", b->s5u_pgw.teid);
	ej_u64(o, "pgw_s5c_teid", pd->pgw_s5c_teid);
	ej_u64(o, "s11_mme_teid", u->mme_teid);
	ej_u64(o, "s11_sgw_teid", u->sgw_teid);
	ej_u64(o, "charging_id", b->charging_id);
	location(s, u);
	proc_end(s, ui);
}

static void
proc_modify(struct eg_sim *s, uint32_t ui, const struct eg_sub *u, const char *reason,
    int moved, int pdn)
{
	struct eg_out *o = &s->out;
	const struct eg_tx *tx = &u->tx[1];

	proc_begin(s, ui, "bearer_modification", reason, tx, EPCGEN_MSG_MB_REQ,
	    EPCGEN_MSG_MB_RESP, pdn);
	ej_bool(o, "location_change", moved);
	location(s, u);
	if (moved && strcmp(reason, "handover") == 0)
		ej_u64(o, "old_enb", u->old_enb);
	else
		ej_null(o, "old_enb");
	/* the bearers modified with their new eNodeB TEIDs, in the message's order */
	ej_arr_begin(o, "bearers");
	for (int p = 0; p < EG_MAX_PDN; p++) {
		if (!u->pdn[p].active)
			continue;
		for (int i = 0; i < u->pdn[p].nb; i++) {
			const struct eg_bearer *b = &s->bearers[u->pdn[p].bearer[i]];
			if (!(tx->ebis & (1u << (b->ebi - EG_FIRST_EBI))))
				continue;
			ej_obj_begin(o, NULL);
			ej_u64(o, "ebi", b->ebi);
			ej_u64(o, "enb_teid", b->s1u_enb.teid);
			ej_obj_end(o);
		}
	}
	ej_arr_end(o);
	ej_frame(o, "end_marker_frame", u->em_frame);
	if (u->em_frame)
		ej_u64(o, "end_marker_teid", u->em_teid);
	else
		ej_null(o, "end_marker_teid");
	proc_end(s, ui);
}

static void
proc_dedicated(struct eg_sim *s, uint32_t ui, const struct eg_sub *u, int piggy)
{
	struct eg_out *o = &s->out;
	const struct eg_tx *tx = &u->tx[2];
	const struct eg_bearer *b = &s->bearers[tx->bearer];
	struct epcgen_addr a;

	proc_begin(s, ui, "dedicated_bearer_activation", piggy ? "attach" : "network", tx,
	    EPCGEN_MSG_CB_REQ, EPCGEN_MSG_CB_RESP, b->pdn);
	ej_bool(o, "piggybacked", piggy);
	ej_u64(o, "ebi", b->ebi);
	ej_u64(o, "bearer_id", tx->bearer);
	ej_u64(o, "lbi", u->pdn[b->pdn].lbi);
	ej_u64(o, "qci", b->qci);
	ej_u64(o, "sgw_s1u_teid", b->s1u_sgw.teid);
	ej_u64(o, "pgw_s5u_teid", b->s5u_pgw.teid);
	ej_u64(o, "enb_teid", b->s1u_enb.teid);
	ej_u64(o, "charging_id", b->charging_id);
	ej_obj_begin(o, "tft");
	eg_server_addr(&a, b->tft_v6, b->tft_server);
	ej_addr(o, "remote", &a);
	ej_u64(o, "proto", b->tft_proto);
	ej_u64(o, "port", b->tft_port);
	ej_obj_end(o);
	proc_end(s, ui);
}

void
eg_truth_step(struct eg_sim *s, uint32_t ui, const struct eg_sub *u, const struct eg_step *st)
{
	const struct eg_tx *tx;

	switch (st->kind) {
	case EG_ST_ATTACH:
	case EG_ST_PDN_ADD: {
		int p = st->kind == EG_ST_ATTACH ? 0 : 1;
		const char *why = p == 0 ? "attach" : "pdn_connectivity";
		proc_default(s, ui, u, p, why);
		proc_modify(s, ui, u, why, 0, p);
		if (st->kind == EG_ST_ATTACH && st->flag)
			proc_dedicated(s, ui, u, 1);
		break;
	}
	case EG_ST_HANDOVER:
		proc_modify(s, ui, u, "handover", u->moved, -1);
		break;
	case EG_ST_SERVICE_REQ:
		proc_modify(s, ui, u, "service_request", u->moved, -1);
		break;
	case EG_ST_IDLE:
		proc_begin(s, ui, "access_bearers_release", "idle", &u->tx[1], EPCGEN_MSG_RAB_REQ,
		    EPCGEN_MSG_RAB_RESP, -1);
		proc_end(s, ui);
		break;
	case EG_ST_DED_ADD:
		proc_dedicated(s, ui, u, 0);
		break;
	case EG_ST_DED_DEL:
		tx = &u->tx[2];
		proc_begin(s, ui, "dedicated_bearer_deactivation", "network", tx,
		    EPCGEN_MSG_DB_REQ, EPCGEN_MSG_DB_RESP, tx->pdn);
		ej_u64(&s->out, "ebi", s->bearers[tx->bearer].ebi);
		ej_u64(&s->out, "bearer_id", tx->bearer);
		ej_u64(&s->out, "lbi", u->pdn[tx->pdn].lbi);
		proc_end(s, ui);
		break;
	case EG_ST_PDN_DEL:
	case EG_ST_DETACH: {
		uint8_t mask = st->kind == EG_ST_PDN_DEL ? 2 : st->mask;
		for (int p = EG_MAX_PDN - 1; p >= 0; p--) {
			if (!(mask & (1 << p)))
				continue;
			tx = &u->tx[p];
			proc_begin(s, ui, "session_deletion",
			    st->kind == EG_ST_DETACH ? "detach" : "pdn_disconnection", tx,
			    EPCGEN_MSG_DS_REQ, EPCGEN_MSG_DS_RESP, p);
			ej_u64(&s->out, "lbi", u->pdn[p].lbi);
			ej_bool(&s->out, "last_session", st->kind == EG_ST_DETACH && p == 0);
			proc_end(s, ui);
		}
		break;
	}
	default:
		break;
	}
}
