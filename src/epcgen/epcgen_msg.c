/*
 * GTPv2-C message bodies (TS 29.274 clause 7) for the generator; see epcgen_msg.h.  The IE
 * order follows the message tables; receivers must not depend on it (7.1), but following it
 * keeps captures readable next to the specification.
 */
#include "epcgen/epcgen_msg.h"

/* PLMN of every generated subscriber and cell (test network, TS 23.003 / ITU-T E.212). */
static const char plmn_mcc[3] = {'0', '0', '1'};
static const char *plmn_mnc = "01";

static void
bctx(struct ovt_builder *b, struct epcgen_v2 *m, const struct epcgen_bctx *c)
{
	epcgen_v2_group_begin(b, m, EPCGEN_IE_BEARER_CTX, 0);
	epcgen_ie_ebi(b, 0, c->ebi);
	if (c->tft_remote != NULL)
		epcgen_ie_tft(b, 0, c->tft_remote, c->tft_proto, c->tft_port);
	if (c->cause)
		epcgen_ie_cause(b, 0, c->cause);
	for (int i = 0; i < c->n_fteid && i < EPCGEN_BCTX_MAX_FTEID; i++)
		epcgen_ie_fteid(b, c->fteid[i].inst, c->fteid[i].f.iface, c->fteid[i].f.teid,
		    &c->fteid[i].f.addr);
	if (c->qci)
		epcgen_ie_bearer_qos(b, 0, c->qci, c->arp_pl, c->gbr_kbps, c->gbr_kbps,
		    c->gbr_kbps, c->gbr_kbps);
	if (c->charging_id)
		epcgen_ie_u32(b, EPCGEN_IE_CHARGING_ID, 0, c->charging_id);
	epcgen_v2_group_end(b, m);
}

static void
fteid(struct ovt_builder *b, uint8_t inst, const struct epcgen_fteid *f)
{
	epcgen_ie_fteid(b, inst, f->iface, f->teid, &f->addr);
}

static void
all_bctx(struct ovt_builder *b, struct epcgen_v2 *m, const struct epcgen_gtpc *g, int min,
    int max)
{
	if (g->n_bctx < min || g->n_bctx > max) {
		b->err = 1;
		return;
	}
	for (int i = 0; i < g->n_bctx; i++)
		bctx(b, m, &g->bctx[i]);
}

void
epcgen_gtpc_encode(struct ovt_builder *b, const struct epcgen_gtpc *g)
{
	struct epcgen_v2 m;
	static const uint8_t zero16[16];
	int echo = g->type == EPCGEN_MSG_ECHO_REQ || g->type == EPCGEN_MSG_ECHO_RESP;

	/* 5.5.2: every message but Echo (and Version Not Supported) carries a TEID. */
	epcgen_v2_begin(b, &m, g->type, g->piggy, !echo, g->teid, g->seq);
	switch (g->type) {
	case EPCGEN_MSG_ECHO_REQ:
	case EPCGEN_MSG_ECHO_RESP:
		/* 7.1.1/7.1.2: Recovery is mandatory in both. */
		epcgen_ie_u8(b, EPCGEN_IE_RECOVERY, 0, g->recovery);
		break;
	case EPCGEN_MSG_CS_REQ:
		/* 7.2.1, Table 7.2.1-1 */
		if (g->imsi == NULL || g->apn == NULL) {
			b->err = 1;
			break;
		}
		epcgen_ie_tbcd(b, EPCGEN_IE_IMSI, 0, g->imsi);
		if (g->msisdn != NULL)
			epcgen_ie_tbcd(b, EPCGEN_IE_MSISDN, 0, g->msisdn);
		if (g->mei != NULL)
			epcgen_ie_tbcd(b, EPCGEN_IE_MEI, 0, g->mei);
		if (g->has_uli)
			epcgen_ie_uli(b, 0, plmn_mcc, plmn_mnc, g->tac, g->eci);
		epcgen_ie_serving_network(b, 0, plmn_mcc, plmn_mnc);
		epcgen_ie_u8(b, EPCGEN_IE_RAT_TYPE, 0, 6);	/* 8.17: 6 = EUTRAN */
		fteid(b, 0, &g->sender);
		if (g->has_pgw_c)
			fteid(b, 1, &g->pgw_c);
		epcgen_ie_apn(b, 0, g->apn);
		epcgen_ie_u8(b, EPCGEN_IE_SEL_MODE, 0, 0);	/* 8.58: MS or network provided */
		epcgen_ie_u8(b, EPCGEN_IE_PDN_TYPE, 0, g->pdn_type);
		/* The UE has no address yet: PAA of the requested type, all zeros. */
		epcgen_ie_paa(b, 0, g->pdn_type, 0, zero16, 0);
		epcgen_ie_u8(b, EPCGEN_IE_APN_RESTR, 0, 0);	/* 8.57: no restriction */
		epcgen_ie_ambr(b, 0, g->ambr_ul, g->ambr_dl);
		all_bctx(b, &m, g, 1, 1);
		break;
	case EPCGEN_MSG_CS_RESP:
		/* 7.2.2, Table 7.2.2-1 */
		epcgen_ie_cause(b, 0, g->cause);
		fteid(b, 0, &g->sender);
		if (g->has_pgw_c)
			fteid(b, 1, &g->pgw_c);
		epcgen_ie_paa(b, 0, g->pdn_type, g->ue_v4, g->ue_v6, g->v6_plen);
		epcgen_ie_u8(b, EPCGEN_IE_APN_RESTR, 0, 0);
		epcgen_ie_ambr(b, 0, g->ambr_ul, g->ambr_dl);
		all_bctx(b, &m, g, 1, 1);
		break;
	case EPCGEN_MSG_MB_REQ:
		/* 7.2.7, Table 7.2.7-1: ULI only when the location changed. */
		if (g->has_uli)
			epcgen_ie_uli(b, 0, plmn_mcc, plmn_mnc, g->tac, g->eci);
		all_bctx(b, &m, g, 1, EPCGEN_MAX_BCTX);
		break;
	case EPCGEN_MSG_MB_RESP:
		/* 7.2.8, Table 7.2.8-1 */
		epcgen_ie_cause(b, 0, g->cause);
		all_bctx(b, &m, g, 1, EPCGEN_MAX_BCTX);
		break;
	case EPCGEN_MSG_DS_REQ:
		/* 7.2.9.1, Table 7.2.9.1-1: LBI, instance 0 */
		epcgen_ie_ebi(b, 0, g->lbi);
		break;
	case EPCGEN_MSG_DS_RESP:
	case EPCGEN_MSG_RAB_RESP:
		/* 7.2.10.1 / 7.2.22: Cause only */
		epcgen_ie_cause(b, 0, g->cause);
		break;
	case EPCGEN_MSG_RAB_REQ:
		/* 7.2.21: every IE is conditional; none applies to a plain S1 release. */
		break;
	case EPCGEN_MSG_CB_REQ:
		/* 7.2.3, Table 7.2.3-1: LBI (instance 0), one Bearer Context with EBI 0 */
		epcgen_ie_ebi(b, 0, g->lbi);
		all_bctx(b, &m, g, 1, 1);
		break;
	case EPCGEN_MSG_CB_RESP:
		/* 7.2.4, Table 7.2.4-1 */
		epcgen_ie_cause(b, 0, g->cause);
		all_bctx(b, &m, g, 1, 1);
		break;
	case EPCGEN_MSG_DB_REQ:
		/* 7.2.9.2, Table 7.2.9.2-1: "EPS Bearer IDs" is instance 1 (instance 0 is the
		 * LBI, used only to delete a whole PDN connection). */
		epcgen_ie_ebi(b, 1, g->ebi);
		break;
	case EPCGEN_MSG_DB_RESP:
		/* 7.2.10.2, Table 7.2.10.2-1 */
		epcgen_ie_cause(b, 0, g->cause);
		all_bctx(b, &m, g, 1, EPCGEN_MAX_BCTX);
		break;
	default:
		b->err = 1;
		break;
	}
	epcgen_v2_end(b, &m);
}
