/*
 * Session tracker scenarios with hand-built GTPv2-C messages: attach on S11 and on S11+S5/S8,
 * handover, idle and service request, dedicated bearers, detach, piggybacked messages,
 * expiry, overflow, re-attach, loopback-style replies, and the bytes each session costs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gtp/gtp.h"
#include "sess/sess.h"
#include "test_gtp_build.h"

#define MME	"10.0.0.1"
#define SGW	"10.0.0.2"
#define PGW	"10.0.0.3"
#define ENB	"10.0.0.4"
#define ENB2	"10.0.0.5"
#define SGWU	"10.0.1.2"
#define PGWU	"10.0.1.3"
#define IMSI	"001010123456789"
#define SEC	1000000000ULL

struct rec {
	enum sess_ev_type type;
	uint8_t ebi, lbi, chg, flags, cause, msg;
	char imsi[16];
	uint32_t teid[SESS_UP_NROLES];
	uint8_t paa[4];
};

struct env {
	struct sess_tracker *tr;
	struct rec ev[64];
	int nev;
	uint64_t now;
};

struct buf {
	uint8_t mem[4096];
	struct ovt_builder b;
};

static void
on_event(const struct sess_event *ev, void *arg)
{
	struct env *e = arg;
	struct rec *r;

	if (e->nev++ >= 64)
		return;		/* long runs only count */
	r = &e->ev[e->nev - 1];
	memset(r, 0, sizeof(*r));
	r->type = ev->type;
	r->chg = ev->chg;
	r->flags = ev->flags;
	r->cause = ev->cause;
	r->msg = ev->msg_type;
	memcpy(r->imsi, ev->sess->imsi, sizeof(r->imsi));
	if (ev->bearer != NULL) {
		r->ebi = ev->bearer->ebi;
		r->lbi = ev->bearer->lbi;
		for (int i = 0; i < SESS_UP_NROLES; i++)
			r->teid[i] = ev->bearer->up[i].teid;
	}
	if (ev->pdn != NULL)
		memcpy(r->paa, ev->pdn->paa.v4, 4);
}

static struct env *
env_new(uint32_t max_sessions)
{
	struct env *e = calloc(1, sizeof(*e));
	struct sess_config cfg;

	assert_non_null(e);
	sess_config_init(&cfg);
	cfg.max_sessions = max_sessions;
	cfg.max_pdns = 2 * max_sessions;
	cfg.max_bearers = 3 * max_sessions;
	cfg.max_pending = 64;
	cfg.hash_seed = 0x1234567;
	cfg.idle_timeout_s = 3600;
	e->tr = sess_new(&cfg, on_event, e);
	assert_non_null(e->tr);
	e->now = 1700000000ULL * SEC;
	return e;
}

static void
env_free(struct env *e)
{
	sess_free(e->tr);
	free(e);
}

static void
b_init(struct buf *x)
{
	bld_init_fixed(&x->b, x->mem, sizeof(x->mem));
}

/* Feeds a UDP payload from src to dst (ports 2123) at the env clock, +1 ms per message. */
static enum sess_rc
feed_ports(struct env *e, struct buf *x, const char *src, uint16_t sp, const char *dst,
    uint16_t dp)
{
	struct sess_msgctx c;
	enum sess_rc rc;

	assert_true(bld_ok(&x->b));
	memset(&c, 0, sizeof(c));
	c.af = 4;
	inet_pton(AF_INET, src, c.src);
	inet_pton(AF_INET, dst, c.dst);
	c.sport = sp;
	c.dport = dp;
	c.ts_ns = (e->now += 1000000);
	assert_int_equal(sess_gtpc_udp(e->tr, x->mem, bld_len(&x->b), &c, &rc), GTP_OK);
	return rc;
}

static enum sess_rc
feed(struct env *e, struct buf *x, const char *src, const char *dst)
{
	return feed_ports(e, x, src, 2123, dst, 2123);
}

static int
lookup(struct env *e, const char *ip, uint32_t teid, struct sess_up_hit *h)
{
	uint8_t a[16] = {0};

	inet_pton(AF_INET, ip, a);
	return sess_up_lookup(e->tr, 4, a, teid, (uint32_t)(e->now / SEC), h);
}

/* ---------------------------------------------------------------- message builders */

static void
m_csr(struct buf *x, const char *imsi, uint32_t seq, uint8_t sender_if, uint32_t sender_teid,
    const char *sender_ip, uint8_t ebi, uint32_t s5u_sgw_teid)
{
	size_t m, g;

	b_init(x);
	m = tb_msg(&x->b, GTPC_CREATE_SESSION_REQ, 0, seq, 0);
	tb_tbcd(&x->b, GTPC_IE_IMSI, imsi);
	tb_tbcd(&x->b, GTPC_IE_MSISDN, "447700900123");
	tb_tbcd(&x->b, GTPC_IE_MEI, "3569380356438091");
	tb_uli(&x->b, 1, 0x101);
	tb_u8(&x->b, GTPC_IE_RAT_TYPE, 0, 6);
	tb_fteid4(&x->b, 0, sender_if, sender_teid, sender_ip);
	if (sender_if == GTP_IF_S11_MME)
		tb_fteid4(&x->b, 1, GTP_IF_S5C_PGW, 0, PGW);
	tb_apn(&x->b, "internet");
	tb_u8(&x->b, GTPC_IE_PDN_TYPE, 0, 1);
	tb_paa4(&x->b, "0.0.0.0");
	g = tb_ie(&x->b, GTPC_IE_BEARER_CONTEXT, 0);
	tb_u8(&x->b, GTPC_IE_EBI, 0, ebi);
	tb_qos(&x->b, 9);
	if (s5u_sgw_teid)
		tb_fteid4(&x->b, 2, GTP_IF_S5U_SGW, s5u_sgw_teid, SGWU);
	tb_ie_end(&x->b, g);
	tb_end(&x->b, m);
}

static void
m_csr_s11(struct buf *x, uint32_t seq, uint32_t mme_teid, uint8_t ebi)
{
	m_csr(x, IMSI, seq, GTP_IF_S11_MME, mme_teid, MME, ebi, 0);
}

static size_t
m_csresp_begin(struct buf *x, uint32_t hdr_teid, uint32_t seq, uint8_t cause, uint8_t sender_if,
    uint32_t sender_teid, const char *sender_ip, uint8_t ebi, uint8_t up_if, uint32_t up_teid,
    const char *up_ip, uint32_t pgwu_teid, const char *ue_ip, int piggy)
{
	size_t m, g;

	b_init(x);
	m = tb_msg(&x->b, GTPC_CREATE_SESSION_RESP, hdr_teid, seq, piggy);
	tb_cause(&x->b, cause);
	tb_fteid4(&x->b, 0, sender_if, sender_teid, sender_ip);
	tb_fteid4(&x->b, 1, GTP_IF_S5C_PGW, 0x5c, PGW);
	tb_paa4(&x->b, ue_ip);
	g = tb_ie(&x->b, GTPC_IE_BEARER_CONTEXT, 0);
	tb_u8(&x->b, GTPC_IE_EBI, 0, ebi);
	tb_cause(&x->b, cause);
	if (up_teid)
		tb_fteid4(&x->b, 0, up_if, up_teid, up_ip);
	tb_fteid4(&x->b, 2, GTP_IF_S5U_PGW, pgwu_teid, PGWU);
	tb_raw_ie(&x->b, GTPC_IE_CHARGING_ID, 0, "\x00\x00\x00\x2a", 4);
	tb_ie_end(&x->b, g);
	tb_end(&x->b, m);
	return m;
}

static void
m_csresp_s11(struct buf *x, uint32_t mme_teid, uint32_t seq, uint8_t cause, uint32_t sgw_teid,
    uint8_t ebi, uint32_t s1u_teid, const char *ue_ip)
{
	m_csresp_begin(x, mme_teid, seq, cause, GTP_IF_S11_SGW, sgw_teid, SGW, ebi, GTP_IF_S1U_SGW,
	    s1u_teid, SGWU, 0x77000000u | s1u_teid, ue_ip, 0);
}

static void
m_mbr(struct buf *x, uint32_t sgw_teid, uint32_t seq, uint8_t ebi, uint32_t enb_teid,
    const char *enb_ip, uint16_t tac)
{
	size_t m, g;

	b_init(x);
	m = tb_msg(&x->b, GTPC_MODIFY_BEARER_REQ, sgw_teid, seq, 0);
	if (tac)
		tb_uli(&x->b, tac, 0x202);
	g = tb_ie(&x->b, GTPC_IE_BEARER_CONTEXT, 0);
	tb_u8(&x->b, GTPC_IE_EBI, 0, ebi);
	tb_fteid4(&x->b, 0, GTP_IF_S1U_ENB, enb_teid, enb_ip);
	tb_ie_end(&x->b, g);
	tb_end(&x->b, m);
}

static void
m_resp(struct buf *x, uint8_t type, uint32_t teid, uint32_t seq, uint8_t cause)
{
	size_t m;

	b_init(x);
	m = tb_msg(&x->b, type, teid, seq, 0);
	tb_cause(&x->b, cause);
	tb_end(&x->b, m);
}

static void
m_simple_req(struct buf *x, uint8_t type, uint32_t teid, uint32_t seq, int ebi_inst, int ebi)
{
	size_t m;

	b_init(x);
	m = tb_msg(&x->b, type, teid, seq, 0);
	if (ebi >= 0)
		tb_u8(&x->b, GTPC_IE_EBI, (uint8_t)ebi_inst, (uint8_t)ebi);
	tb_end(&x->b, m);
}

static void
m_cbr(struct buf *x, uint32_t mme_teid, uint32_t seq, uint8_t lbi, uint32_t sgwu_teid, int piggy_off)
{
	size_t m, g;

	if (!piggy_off)
		b_init(x);
	m = tb_msg(&x->b, GTPC_CREATE_BEARER_REQ, mme_teid, seq, 0);
	tb_u8(&x->b, GTPC_IE_EBI, 0, lbi);
	g = tb_ie(&x->b, GTPC_IE_BEARER_CONTEXT, 0);
	tb_u8(&x->b, GTPC_IE_EBI, 0, 0);
	tb_qos(&x->b, 1);
	tb_fteid4(&x->b, 0, GTP_IF_S1U_SGW, sgwu_teid, SGWU);
	tb_ie_end(&x->b, g);
	tb_end(&x->b, m);
}

static void
m_cbresp(struct buf *x, uint32_t sgw_teid, uint32_t seq, uint8_t ebi, uint32_t enb_teid,
    uint32_t sgwu_teid)
{
	size_t m, g;

	b_init(x);
	m = tb_msg(&x->b, GTPC_CREATE_BEARER_RESP, sgw_teid, seq, 0);
	tb_cause(&x->b, 16);
	g = tb_ie(&x->b, GTPC_IE_BEARER_CONTEXT, 0);
	tb_u8(&x->b, GTPC_IE_EBI, 0, ebi);
	tb_cause(&x->b, 16);
	tb_fteid4(&x->b, 0, GTP_IF_S1U_ENB, enb_teid, ENB);
	tb_fteid4(&x->b, 1, GTP_IF_S1U_SGW, sgwu_teid, SGWU);
	tb_ie_end(&x->b, g);
	tb_end(&x->b, m);
}

/* Attach on S11 only: CSReq/CSResp then MBReq/MBResp with the eNB TEID. */
static void
attach_s11(struct env *e, uint32_t seq, uint32_t mme_teid, uint32_t sgw_teid, uint32_t s1u,
    uint32_t enb_teid)
{
	struct buf x;

	m_csr_s11(&x, seq, mme_teid, 5);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	m_csresp_s11(&x, mme_teid, seq, 16, sgw_teid, 5, s1u, "100.64.0.5");
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
	m_mbr(&x, sgw_teid, seq + 1, 5, enb_teid, ENB, 0);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	m_resp(&x, GTPC_MODIFY_BEARER_RESP, mme_teid, seq + 1, 16);
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
}

/* ---------------------------------------------------------------- scenarios */

static void
test_attach_s11(void **state)
{
	struct env *e = env_new(16);
	struct sess_up_hit h;
	struct sess_session *s;
	const struct sess_pdn *p;
	const struct sess_bearer *b;

	attach_s11(e, 1, 0xaaaa, 0xbbbb, 0x11223344, 0x99aabbcc);
	assert_int_equal(e->nev, 2);
	assert_int_equal(e->ev[0].type, SESS_EV_ACTIVATION);
	assert_string_equal(e->ev[0].imsi, IMSI);
	assert_int_equal(e->ev[0].ebi, 5);
	assert_int_equal(e->ev[0].lbi, 5);
	assert_int_equal(e->ev[0].msg, GTPC_CREATE_SESSION_RESP);
	assert_int_equal(e->ev[0].cause, 16);
	assert_int_equal(e->ev[0].teid[SESS_UP_S1U_SGW], 0x11223344);
	assert_int_equal(e->ev[0].teid[SESS_UP_S5U_PGW], 0x77000000u | 0x11223344);
	assert_int_equal(e->ev[0].teid[SESS_UP_S1U_ENB], 0);
	assert_memory_equal(e->ev[0].paa, "\x64\x40\x00\x05", 4);
	/* the eNB TEID arrives with Modify Bearer: a user-plane modification */
	assert_int_equal(e->ev[1].type, SESS_EV_MODIFICATION);
	assert_int_equal(e->ev[1].chg, SESS_CHG_UP);
	assert_int_equal(e->ev[1].teid[SESS_UP_S1U_ENB], 0x99aabbcc);

	/* uplink S1-U: addressed to the SGW TEID, from the target */
	assert_int_equal(lookup(e, SGWU, 0x11223344, &h), 1);
	assert_int_equal(h.role, SESS_UP_S1U_SGW);
	assert_int_equal(h.dir, SESS_DIR_FROM_TARGET);
	assert_string_equal(h.sess->imsi, IMSI);
	assert_int_equal(h.bearer->ebi, 5);
	assert_true(h.bearer->flags & SESS_BF_DEFAULT);
	assert_int_equal(lookup(e, ENB, 0x99aabbcc, &h), 1);
	assert_int_equal(h.dir, SESS_DIR_TO_TARGET);
	/* same TEID at another address, or another TEID: no match */
	assert_int_equal(lookup(e, ENB2, 0x99aabbcc, &h), 0);
	assert_int_equal(lookup(e, SGWU, 0x11223345, &h), 0);

	/* identities and iteration, as the POI uses them on task activation */
	s = sess_find_msisdn(e->tr, "447700900123");
	assert_non_null(s);
	assert_ptr_equal(s, sess_find_imsi(e->tr, IMSI));
	assert_ptr_equal(s, sess_find_mei(e->tr, "3569380356438091"));
	assert_null(sess_find_imsi(e->tr, "001010123456780"));
	assert_string_equal(s->mei, "3569380356438091");
	assert_int_equal(s->rat, 6);
	assert_int_equal(s->uli_len, 13);
	assert_int_equal(s->s11_mme.teid, 0xaaaa);
	assert_int_equal(s->s11_sgw.teid, 0xbbbb);
	p = sess_pdn_first(e->tr, s);
	assert_non_null(p);
	assert_string_equal(p->apn, "internet");
	assert_int_equal(p->legs, SESS_LEG_S11);
	assert_int_equal(p->s5_pgw.teid, 0x5c);
	assert_null(sess_pdn_next(e->tr, p));
	b = sess_bearer_first(e->tr, p);
	assert_non_null(b);
	assert_int_equal(b->charging_id, 42);
	assert_int_equal(b->qos_len, SESS_QOS_LEN);
	assert_int_equal(b->qos[1], 9);
	assert_null(sess_bearer_next(e->tr, b));
	assert_int_equal(sess_stats(e->tr)->sessions, 1);
	assert_int_equal(sess_stats(e->tr)->pending, 0);
	env_free(e);
}

/* One PDN connection seen on S11 and on S5/S8 is one PDN, with one activation carrying the
 * TEIDs of both legs, emitted when the outer (S11) response completes the procedure. */
static void
test_attach_s11_s5_merged(void **state)
{
	struct env *e = env_new(16);
	struct buf x;
	struct sess_up_hit h;
	struct sess_session *s;
	const struct sess_pdn *p;

	m_csr_s11(&x, 1, 0xaaaa, 5);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	m_csr(&x, IMSI, 7, GTP_IF_S5C_SGW, 0x5500, SGW, 5, 0x5511);
	assert_int_equal(feed(e, &x, SGW, PGW), SESS_RC_OK);
	m_csresp_begin(&x, 0x5500, 7, 16, GTP_IF_S5C_PGW, 0x5c, PGW, 5, 0, 0, NULL, 0x77001111,
	    "100.64.0.9", 0);
	assert_int_equal(feed(e, &x, PGW, SGW), SESS_RC_OK);
	assert_int_equal(e->nev, 0);		/* S11 still pending: nothing emitted yet */
	m_csresp_s11(&x, 0xaaaa, 1, 16, 0xbbbb, 5, 0x1111, "100.64.0.9");
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
	assert_int_equal(e->nev, 1);
	assert_int_equal(e->ev[0].type, SESS_EV_ACTIVATION);
	assert_int_equal(e->ev[0].teid[SESS_UP_S1U_SGW], 0x1111);
	assert_int_equal(e->ev[0].teid[SESS_UP_S5U_SGW], 0x5511);
	assert_int_equal(e->ev[0].teid[SESS_UP_S5U_PGW], 0x77001111);
	s = sess_find_imsi(e->tr, IMSI);
	p = sess_pdn_first(e->tr, s);
	assert_int_equal(p->legs, SESS_LEG_S11 | SESS_LEG_S5);
	assert_int_equal(p->s5_sgw.teid, 0x5500);
	assert_null(sess_pdn_next(e->tr, p));
	assert_int_equal(sess_stats(e->tr)->pdns, 1);
	/* S5-U downlink reaches the SGW: towards the target */
	assert_int_equal(lookup(e, SGWU, 0x5511, &h), 1);
	assert_int_equal(h.role, SESS_UP_S5U_SGW);
	assert_int_equal(h.dir, SESS_DIR_TO_TARGET);
	assert_int_equal(lookup(e, PGWU, 0x77001111, &h), 1);
	assert_int_equal(h.dir, SESS_DIR_FROM_TARGET);

	/* S5 Delete Session first, then S11: one set of deactivations, at the end */
	m_simple_req(&x, GTPC_DELETE_SESSION_REQ, 0xbbbb, 20, 0, 5);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	m_simple_req(&x, GTPC_DELETE_SESSION_REQ, 0x5c, 21, 0, 5);
	assert_int_equal(feed(e, &x, SGW, PGW), SESS_RC_OK);
	m_resp(&x, GTPC_DELETE_SESSION_RESP, 0x5500, 21, 16);
	assert_int_equal(feed(e, &x, PGW, SGW), SESS_RC_OK);
	assert_int_equal(e->nev, 1);
	m_resp(&x, GTPC_DELETE_SESSION_RESP, 0xaaaa, 20, 16);
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
	assert_int_equal(e->nev, 2);
	assert_int_equal(e->ev[1].type, SESS_EV_DEACTIVATION);
	assert_int_equal(e->ev[1].flags, SESS_EVF_PDN_END | SESS_EVF_SESSION_END);
	assert_null(sess_find_imsi(e->tr, IMSI));
	assert_int_equal(lookup(e, SGWU, 0x5511, &h), 0);
	assert_int_equal(sess_stats(e->tr)->sessions, 0);
	assert_int_equal(sess_stats(e->tr)->bearers, 0);
	env_free(e);
}

static void
test_handover_and_idle(void **state)
{
	struct env *e = env_new(16);
	struct buf x;
	struct sess_up_hit h;

	attach_s11(e, 1, 0xaaaa, 0xbbbb, 0x1111, 0xe1);
	e->nev = 0;
	/* X2 handover: new eNB TEID and address, new cell */
	m_mbr(&x, 0xbbbb, 10, 5, 0xe2, ENB2, 7);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	m_resp(&x, GTPC_MODIFY_BEARER_RESP, 0xaaaa, 10, 16);
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
	assert_int_equal(e->nev, 1);
	assert_int_equal(e->ev[0].type, SESS_EV_MODIFICATION);
	assert_int_equal(e->ev[0].chg, SESS_CHG_UP | SESS_CHG_LOCATION);
	assert_int_equal(lookup(e, ENB, 0xe1, &h), 0);
	assert_int_equal(lookup(e, ENB2, 0xe2, &h), 1);

	/* idle: Release Access Bearers drops the eNB endpoint */
	m_simple_req(&x, GTPC_RELEASE_ACCESS_BEARERS_REQ, 0xbbbb, 11, 0, -1);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	m_resp(&x, GTPC_RELEASE_ACCESS_BEARERS_RESP, 0xaaaa, 11, 16);
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
	assert_int_equal(e->nev, 2);
	assert_int_equal(e->ev[1].chg, SESS_CHG_IDLE);
	assert_int_equal(e->ev[1].teid[SESS_UP_S1U_ENB], 0);
	assert_int_equal(lookup(e, ENB2, 0xe2, &h), 0);
	assert_int_equal(lookup(e, SGWU, 0x1111, &h), 1);	/* uplink still known */

	/* service request: Modify Bearer restores it; a refused one changes nothing */
	m_mbr(&x, 0xbbbb, 12, 5, 0xe3, ENB, 0);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	m_resp(&x, GTPC_MODIFY_BEARER_RESP, 0xaaaa, 12, 73);
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
	assert_int_equal(lookup(e, ENB, 0xe3, &h), 0);
	assert_int_equal(e->nev, 2);
	m_mbr(&x, 0xbbbb, 13, 5, 0xe3, ENB, 0);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	m_resp(&x, GTPC_MODIFY_BEARER_RESP, 0xaaaa, 13, 16);
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
	assert_int_equal(e->nev, 3);
	assert_int_equal(e->ev[2].chg, SESS_CHG_UP);
	assert_int_equal(lookup(e, ENB, 0xe3, &h), 1);
	env_free(e);
}

static void
test_dedicated_bearer(void **state)
{
	struct env *e = env_new(16);
	struct buf x;
	struct sess_up_hit h;

	attach_s11(e, 1, 0xaaaa, 0xbbbb, 0x1111, 0xe1);
	e->nev = 0;
	/* network-initiated, command-triggered: sequence number with the MSB set */
	m_cbr(&x, 0xaaaa, 0x800004, 5, 0x2222, 0);
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
	m_cbresp(&x, 0xbbbb, 0x800004, 6, 0xe6, 0x2222);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	assert_int_equal(e->nev, 1);
	assert_int_equal(e->ev[0].type, SESS_EV_ACTIVATION);
	assert_int_equal(e->ev[0].ebi, 6);
	assert_int_equal(e->ev[0].lbi, 5);
	assert_int_equal(e->ev[0].teid[SESS_UP_S1U_SGW], 0x2222);
	assert_int_equal(e->ev[0].teid[SESS_UP_S1U_ENB], 0xe6);
	assert_int_equal(lookup(e, SGWU, 0x2222, &h), 1);
	assert_int_equal(h.bearer->ebi, 6);
	assert_false(h.bearer->flags & SESS_BF_DEFAULT);
	assert_int_equal(sess_stats(e->tr)->bearers, 2);

	/* delete the dedicated bearer only (EBI instance 1) */
	m_simple_req(&x, GTPC_DELETE_BEARER_REQ, 0xaaaa, 0x800005, 1, 6);
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
	m_resp(&x, GTPC_DELETE_BEARER_RESP, 0xbbbb, 0x800005, 16);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	assert_int_equal(e->nev, 2);
	assert_int_equal(e->ev[1].type, SESS_EV_DEACTIVATION);
	assert_int_equal(e->ev[1].ebi, 6);
	assert_int_equal(e->ev[1].flags, 0);
	assert_int_equal(lookup(e, SGWU, 0x2222, &h), 0);
	assert_int_equal(lookup(e, SGWU, 0x1111, &h), 1);
	assert_int_equal(sess_stats(e->tr)->bearers, 1);

	/* detach: Delete Session with the LBI ends the PDN and the subscriber */
	m_simple_req(&x, GTPC_DELETE_SESSION_REQ, 0xbbbb, 30, 0, 5);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	m_resp(&x, GTPC_DELETE_SESSION_RESP, 0xaaaa, 30, 16);
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
	assert_int_equal(e->nev, 3);
	assert_int_equal(e->ev[2].type, SESS_EV_DEACTIVATION);
	assert_int_equal(e->ev[2].ebi, 5);
	assert_int_equal(e->ev[2].flags, SESS_EVF_PDN_END | SESS_EVF_SESSION_END);
	assert_int_equal(sess_stats(e->tr)->sessions, 0);
	assert_int_equal(sess_stats(e->tr)->pdns, 0);
	env_free(e);
}

/* Create Bearer Request piggybacked on Create Session Response (29.274 5.5.1): the carrying
 * response is applied first, then the piggybacked request. */
static void
test_piggybacked(void **state)
{
	struct env *e = env_new(16);
	struct buf x;
	struct sess_up_hit h;

	m_csr_s11(&x, 1, 0xaaaa, 5);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	m_csresp_begin(&x, 0xaaaa, 1, 16, GTP_IF_S11_SGW, 0xbbbb, SGW, 5, GTP_IF_S1U_SGW, 0x1111,
	    SGWU, 0x7711, "100.64.0.5", 1);
	m_cbr(&x, 0xaaaa, 2, 5, 0x2222, 1);
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
	assert_int_equal(e->nev, 1);
	assert_int_equal(sess_stats(e->tr)->pending, 1);	/* the Create Bearer */
	m_cbresp(&x, 0xbbbb, 2, 6, 0xe6, 0x2222);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	assert_int_equal(e->nev, 2);
	assert_int_equal(e->ev[1].ebi, 6);
	assert_int_equal(lookup(e, ENB, 0xe6, &h), 1);
	env_free(e);
}

static void
test_expiry_and_pending_timeout(void **state)
{
	struct env *e = env_new(16);
	struct buf x;
	struct sess_up_hit h;

	attach_s11(e, 1, 0xaaaa, 0xbbbb, 0x1111, 0xe1);
	/* traffic keeps it alive */
	e->now += 3000 * SEC;
	assert_int_equal(lookup(e, SGWU, 0x1111, &h), 1);
	e->nev = 0;
	e->now += 3000 * SEC;
	sess_sweep(e->tr, e->now, 100);
	assert_int_equal(e->nev, 0);
	assert_non_null(sess_find_imsi(e->tr, IMSI));
	e->now += 700 * SEC;
	sess_sweep(e->tr, e->now, 100);
	assert_int_equal(e->nev, 1);
	assert_int_equal(e->ev[0].type, SESS_EV_DEACTIVATION);
	assert_int_equal(e->ev[0].flags,
	    SESS_EVF_PDN_END | SESS_EVF_SESSION_END | SESS_EVF_EXPIRED);
	assert_null(sess_find_imsi(e->tr, IMSI));
	assert_int_equal(sess_stats(e->tr)->sessions_expired, 1);

	/* a request never answered is dropped after the pending timeout, and the subscriber it
	 * created with it */
	m_csr_s11(&x, 50, 0xcccc, 5);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	assert_non_null(sess_find_imsi(e->tr, IMSI));
	sess_sweep(e->tr, e->now + 5 * SEC, 100);
	assert_int_equal(sess_stats(e->tr)->pending, 1);
	sess_sweep(e->tr, e->now + 11 * SEC, 100);
	assert_int_equal(sess_stats(e->tr)->pending, 0);
	assert_int_equal(sess_stats(e->tr)->pending_timeouts, 1);
	assert_null(sess_find_imsi(e->tr, IMSI));
	/* its late response matches nothing */
	m_csresp_s11(&x, 0xcccc, 50, 16, 0xdddd, 5, 0x3333, "100.64.0.6");
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_UNMATCHED);
	assert_int_equal(sess_stats(e->tr)->sessions, 0);
	env_free(e);
}

static void
test_overflow(void **state)
{
	struct env *e = env_new(2);
	struct buf x;

	m_csr(&x, "001010000000001", 1, GTP_IF_S11_MME, 1, MME, 5, 0);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	m_csr(&x, "001010000000002", 2, GTP_IF_S11_MME, 2, MME, 5, 0);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	m_csr(&x, "001010000000003", 3, GTP_IF_S11_MME, 3, MME, 5, 0);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OVERFLOW);
	assert_int_equal(sess_stats(e->tr)->overflow_sessions, 1);
	assert_int_equal(sess_stats(e->tr)->rc[SESS_RC_OVERFLOW], 1);
	/* what was accepted is kept */
	assert_non_null(sess_find_imsi(e->tr, "001010000000001"));
	assert_non_null(sess_find_imsi(e->tr, "001010000000002"));
	assert_null(sess_find_imsi(e->tr, "001010000000003"));
	env_free(e);
}

static void
test_rejected_and_unknown(void **state)
{
	struct env *e = env_new(16);
	struct buf x;

	m_csr_s11(&x, 1, 0xaaaa, 5);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_RETRANSMIT);
	m_resp(&x, GTPC_CREATE_SESSION_RESP, 0xaaaa, 1, 73);	/* no resources */
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
	assert_int_equal(e->nev, 1);
	assert_int_equal(e->ev[0].type, SESS_EV_ACTIVATION_REJECTED);
	assert_int_equal(e->ev[0].cause, 73);
	assert_null(sess_find_imsi(e->tr, IMSI));
	assert_int_equal(sess_stats(e->tr)->sessions, 0);
	assert_int_equal(sess_stats(e->tr)->rejected, 1);

	m_mbr(&x, 0x4242, 2, 5, 1, ENB, 0);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_UNKNOWN_TEID);
	m_resp(&x, GTPC_MODIFY_BEARER_RESP, 0x4242, 2, 16);
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_UNMATCHED);
	m_simple_req(&x, 166, 1, 3, 0, -1);	/* Create Indirect Data Forwarding Tunnel */
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_UNKNOWN_MSG);
	/* a Create Session from S2b (ePDG) is not tracked */
	m_csr(&x, IMSI, 4, 30, 1, MME, 5, 0);
	assert_int_equal(feed(e, &x, MME, PGW), SESS_RC_UNSUPPORTED);
	assert_int_equal(sess_stats(e->tr)->rc[SESS_RC_UNKNOWN_TEID], 1);
	assert_int_equal(sess_stats(e->tr)->rc[SESS_RC_UNMATCHED], 1);
	assert_int_equal(sess_stats(e->tr)->rc[SESS_RC_UNKNOWN_MSG], 1);
	assert_int_equal(sess_stats(e->tr)->sessions, 0);
	env_free(e);
}

/* A second attach for the same IMSI/EBI on a new S11 tunnel replaces the stale PDN. */
static void
test_reattach_replaces(void **state)
{
	struct env *e = env_new(16);
	struct sess_up_hit h;

	attach_s11(e, 1, 0xaaaa, 0xbbbb, 0x1111, 0xe1);
	e->nev = 0;
	attach_s11(e, 100, 0xa2, 0xb2, 0x3333, 0xe9);
	assert_true(e->nev >= 2);
	assert_int_equal(e->ev[0].type, SESS_EV_DEACTIVATION);
	assert_int_equal(e->ev[0].flags & SESS_EVF_REPLACED, SESS_EVF_REPLACED);
	assert_int_equal(e->ev[0].teid[SESS_UP_S1U_SGW], 0x1111);
	assert_int_equal(e->ev[1].type, SESS_EV_ACTIVATION);
	assert_int_equal(e->ev[1].teid[SESS_UP_S1U_SGW], 0x3333);
	assert_int_equal(lookup(e, SGWU, 0x1111, &h), 0);
	assert_int_equal(lookup(e, SGWU, 0x3333, &h), 1);
	assert_int_equal(sess_stats(e->tr)->sessions, 1);
	assert_int_equal(sess_stats(e->tr)->pdns, 1);
	env_free(e);
}

/* Loopback captures: replies leave from other addresses and ports than the request went to;
 * the response is matched by the TEID the requester announced. */
static void
test_reply_from_other_address(void **state)
{
	struct env *e = env_new(16);
	struct buf x;

	m_csr_s11(&x, 1, 0xaaaa, 5);
	assert_int_equal(feed_ports(e, &x, "127.0.0.2", 62653, "127.0.0.2", 2123), SESS_RC_OK);
	m_csresp_s11(&x, 0xaaaa, 1, 16, 0xbbbb, 5, 0x1111, "45.45.0.2");
	assert_int_equal(feed_ports(e, &x, "192.168.0.6", 60819, "192.168.0.6", 2123), SESS_RC_OK);
	assert_int_equal(e->nev, 1);
	/* wrong TEID and wrong addresses: unmatched */
	m_csr_s11(&x, 2, 0xaaaa, 6);
	assert_int_equal(feed_ports(e, &x, "127.0.0.2", 62653, "127.0.0.2", 2123), SESS_RC_OK);
	m_csresp_s11(&x, 0xabab, 2, 16, 0xbbbb, 6, 0x1112, "45.45.0.3");
	assert_int_equal(feed_ports(e, &x, "192.168.0.6", 60819, "192.168.0.6", 2123),
	    SESS_RC_UNMATCHED);
	env_free(e);
}

static void
test_msisdn_takeover(void **state)
{
	struct env *e = env_new(16);
	struct buf x;
	struct sess_session *s;

	m_csr(&x, "001010000000001", 1, GTP_IF_S11_MME, 1, MME, 5, 0);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	/* identities other than the key are taken when the response accepts the request */
	assert_null(sess_find_msisdn(e->tr, "447700900123"));
	m_csresp_s11(&x, 1, 1, 16, 0x101, 5, 0x1001, "100.64.0.1");
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
	s = sess_find_msisdn(e->tr, "447700900123");
	assert_non_null(s);
	assert_string_equal(s->imsi, "001010000000001");
	m_csr(&x, "001010000000002", 2, GTP_IF_S11_MME, 2, MME, 5, 0);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	m_csresp_s11(&x, 2, 2, 16, 0x102, 5, 0x1002, "100.64.0.2");
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
	/* both carry the same MSISDN: the newest owns the lookup, both stay indexed */
	s = sess_find_msisdn(e->tr, "447700900123");
	assert_non_null(s);
	assert_string_equal(s->imsi, "001010000000002");
	struct sess_session *h[SESS_ID_HOLDERS];
	assert_int_equal(sess_holders(e->tr, SESS_ID_MSISDN, "447700900123", h), 2);
	assert_true(h[0] != h[1]);
	assert_true(sess_holds_id(h[0], SESS_ID_MSISDN) && sess_holds_id(h[1], SESS_ID_MSISDN));
	assert_int_equal(sess_holders(e->tr, SESS_ID_IMSI, "001010000000001", h), 1);
	assert_string_equal(h[0]->imsi, "001010000000001");
	assert_int_equal(sess_holders(e->tr, SESS_ID_MSISDN, "447700900124", h), 0);
	assert_int_equal(sess_holders(e->tr, SESS_ID_MSISDN, "", h), 0);
	assert_int_equal(sess_holders(e->tr, (enum sess_id_kind)0, "447700900123", h), 0);
	assert_int_equal(sess_stats(e->tr)->id_evicted, 0);
	env_free(e);
}

/* A device is named by the first 14 digits of its IMEI (TAC + serial number): the IMEISV it
 * reports, its 15-digit IMEI and the 14-digit X1 form find the same session; another serial
 * number does not. */
static void
test_mei_names_the_device(void **state)
{
	struct env *e = env_new(16);
	struct sess_session *h[SESS_ID_HOLDERS], *s;

	attach_s11(e, 1, 0xaaaa, 0xbbbb, 0x11223344, 0x99aabbcc);
	s = sess_find_imsi(e->tr, IMSI);
	assert_non_null(s);
	assert_string_equal(s->mei, "3569380356438091");
	assert_ptr_equal(sess_find_mei(e->tr, "3569380356438091"), s);	/* IMEISV */
	assert_ptr_equal(sess_find_mei(e->tr, "356938035643809"), s);	/* IMEI */
	assert_ptr_equal(sess_find_mei(e->tr, "35693803564380"), s);	/* X1 imei */
	assert_ptr_equal(sess_find_mei(e->tr, "3569380356438000"), s);	/* other SV */
	assert_null(sess_find_mei(e->tr, "35693803564381"));
	assert_null(sess_find_mei(e->tr, "3569380356438"));
	assert_int_equal(sess_holders(e->tr, SESS_ID_MEI, "35693803564380", h), 1);
	assert_ptr_equal(h[0], s);
	assert_true(sess_holds_id(s, SESS_ID_MEI));
	env_free(e);
}

/* An identity held by many sessions (one MSISDN and one IMEI reported for every subscriber,
 * as a faulty or hostile MME could) keeps at most SESS_ID_HOLDERS of them indexed: the
 * oldest leaves, is counted, and is no longer reported as holding it. */
static void
test_identity_holders_bounded(void **state)
{
	struct env *e = env_new(32);
	struct sess_session *h[SESS_ID_HOLDERS], *first;
	struct buf x;
	char imsi[16];

	for (uint32_t i = 1; i <= SESS_ID_HOLDERS + 1; i++) {
		snprintf(imsi, sizeof(imsi), "00101000000%04u", i);
		m_csr(&x, imsi, i, GTP_IF_S11_MME, i, MME, 5, 0);
		assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
		m_csresp_s11(&x, i, i, 16, 0x100 + i, 5, 0x1000 + i, "100.64.0.1");
		assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
		assert_int_equal(sess_holders(e->tr, SESS_ID_MSISDN, "447700900123", h),
		    i <= SESS_ID_HOLDERS ? i : SESS_ID_HOLDERS);
	}
	first = sess_find_imsi(e->tr, "001010000000001");
	assert_non_null(first);
	assert_string_equal(first->msisdn, "447700900123");	/* still its own field */
	assert_false(sess_holds_id(first, SESS_ID_MSISDN));
	assert_false(sess_holds_id(first, SESS_ID_MEI));
	assert_true(sess_holds_id(first, SESS_ID_IMSI));
	for (size_t i = 0; i < SESS_ID_HOLDERS; i++)
		assert_true(h[i] != first);
	assert_int_equal(sess_holders(e->tr, SESS_ID_MEI, "35693803564380", h), SESS_ID_HOLDERS);
	assert_int_equal(sess_stats(e->tr)->id_evicted, 2);	/* the MSISDN and the IMEI */
	assert_string_equal(sess_find_msisdn(e->tr, "447700900123")->imsi, "001010000000009");
	env_free(e);
}

/* Fills N subscribers (one PDN, one bearer with all four endpoints each) and reports the
 * bytes per session from the structure sizes and the index slots at the tables' sizing; the
 * figure is checked against the tracker's own accounting. */
static void
test_memory_per_session(void **state)
{
	enum { N = 2000 };
	struct env *e = env_new(N);
	struct buf x;
	struct sess_mem mem;
	char imsi[16];
	size_t per;

	for (uint32_t i = 0; i < N; i++) {
		snprintf(imsi, sizeof(imsi), "0010100%08u", i);
		m_csr(&x, imsi, i + 1, GTP_IF_S11_MME, 0x10000 + i, MME, 5, 0x50000 + i);
		assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
		m_csresp_s11(&x, 0x10000 + i, i + 1, 16, 0x20000 + i, 5, 0x30000 + i, "100.64.0.1");
		assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
		m_mbr(&x, 0x20000 + i, 0x400000 + i, 5, 0x40000 + i, ENB, 0);
		assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
		m_resp(&x, GTPC_MODIFY_BEARER_RESP, 0x10000 + i, 0x400000 + i, 16);
		assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
	}
	assert_int_equal(sess_stats(e->tr)->sessions, N);
	assert_int_equal(sess_stats(e->tr)->sessions_peak, N);
	assert_int_equal(sess_stats(e->tr)->bearers, N);
	assert_int_equal(sess_stats(e->tr)->overflow_index, 0);
	for (uint32_t i = 0; i < N; i += 97) {
		struct sess_up_hit h;
		snprintf(imsi, sizeof(imsi), "0010100%08u", i);
		assert_int_equal(lookup(e, ENB, 0x40000 + i, &h), 1);
		assert_string_equal(h.sess->imsi, imsi);
	}
	sess_memory(e->tr, &mem);
	assert_int_equal(mem.slot_size, 8);
	assert_int_equal(mem.tables, (mem.up_slots + mem.ctl_slots + mem.id_slots +
	    mem.pend_slots) * mem.slot_size);
	/* Objects in use + index slots at the tables' sizing (4/3 slot per key): 3 user-plane
	 * keys (S1-U eNB/SGW, S5-U PGW), 3 control keys, 3 identity keys. */
	per = mem.session_size + mem.pdn_size + mem.bearer_size + (3 + 3 + 3) * 4 / 3 * mem.slot_size;
	print_message("bytes per session (1 PDN, 1 bearer): %zu = session %zu + pdn %zu + "
	    "bearer %zu + 9 keys x 4/3 slots x %zu; reserved at caps: %zu per session\n", per,
	    mem.session_size, mem.pdn_size, mem.bearer_size, mem.slot_size, mem.reserved / N);
	assert_true(per < 768);
	assert_true(mem.reserved / N < 2048);
	assert_true(mem.reserved > (size_t)N * per);
	env_free(e);
}

/* A request longer than what a pending entry holds inline is kept on the heap, and one longer
 * than max_request_copy is refused; both behave like any other otherwise. */
static void
test_large_request(void **state)
{
	struct env *e = env_new(16);
	struct sess_up_hit h;
	struct buf x;
	uint8_t pco[1000];
	size_t m, g;

	memset(pco, 0x80, sizeof(pco));
	/* A Create Session Request with a 1000-octet PCO: kept on the heap until answered. */
	b_init(&x);
	m = tb_msg(&x.b, GTPC_CREATE_SESSION_REQ, 0, 7, 0);
	tb_tbcd(&x.b, GTPC_IE_IMSI, IMSI);
	tb_fteid4(&x.b, 0, GTP_IF_S11_MME, 0xaaaa, MME);
	tb_apn(&x.b, "internet");
	tb_raw_ie(&x.b, GTPC_IE_PCO, 0, pco, sizeof(pco));
	g = tb_ie(&x.b, GTPC_IE_BEARER_CONTEXT, 0);
	tb_u8(&x.b, GTPC_IE_EBI, 0, 5);
	tb_qos(&x.b, 9);
	tb_ie_end(&x.b, g);
	tb_end(&x.b, m);
	assert_true(bld_len(&x.b) > 1000);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_RETRANSMIT);
	m_csresp_s11(&x, 0xaaaa, 7, 16, 0xbbbb, 5, 0x1111, "100.64.0.9");
	assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
	assert_int_equal(e->nev, 1);
	assert_int_equal(e->ev[0].type, SESS_EV_ACTIVATION);
	assert_int_equal(e->ev[0].teid[SESS_UP_S1U_SGW], 0x1111);
	assert_int_equal(lookup(e, SGWU, 0x1111, &h), 1);
	assert_int_equal(sess_stats(e->tr)->pending, 0);
	/* An unanswered large request is freed with the tracker (the sanitizers check it). */
	m_mbr(&x, 0xbbbb, 8, 5, 0xe1, ENB, 0);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	b_init(&x);
	m = tb_msg(&x.b, GTPC_MODIFY_BEARER_REQ, 0xbbbb, 9, 0);
	tb_raw_ie(&x.b, GTPC_IE_PCO, 0, pco, sizeof(pco));
	tb_end(&x.b, m);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
	assert_int_equal(sess_stats(e->tr)->pending, 2);
	env_free(e);

	/* Longer than max_request_copy: refused and counted. */
	struct sess_config cfg;
	sess_config_init(&cfg);
	cfg.max_sessions = 4;
	cfg.max_pdns = 8;
	cfg.max_bearers = 12;
	cfg.max_pending = 4;
	cfg.max_request_copy = 512;
	cfg.hash_seed = 3;
	e = calloc(1, sizeof(*e));
	assert_non_null(e);
	e->tr = sess_new(&cfg, on_event, e);
	assert_non_null(e->tr);
	e->now = 1700000000ULL * SEC;
	attach_s11(e, 1, 0xaaaa, 0xbbbb, 0x1111, 0xe1);
	b_init(&x);
	m = tb_msg(&x.b, GTPC_MODIFY_BEARER_REQ, 0xbbbb, 9, 0);
	tb_raw_ie(&x.b, GTPC_IE_PCO, 0, pco, 600);
	tb_end(&x.b, m);
	assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_TOO_BIG);
	assert_int_equal(sess_stats(e->tr)->rc[SESS_RC_TOO_BIG], 1);
	assert_int_equal(sess_stats(e->tr)->pending, 0);
	env_free(e);
}

/* Caps that do not fit an index slot's pool index are refused at creation. */
static void
test_caps_refused(void **state)
{
	struct sess_config cfg;

	sess_config_init(&cfg);
	cfg.max_sessions = 1u << 28;
	assert_null(sess_new(&cfg, NULL, NULL));
	sess_config_init(&cfg);
	cfg.max_bearers = 1u << 28;
	assert_null(sess_new(&cfg, NULL, NULL));
	sess_config_init(&cfg);
	cfg.max_pending = 0;
	assert_null(sess_new(&cfg, NULL, NULL));
}

/* Tables of 2 MiB and more come from mmap with huge pages requested and are committed at
 * creation: a tracker of that size behaves like a small one. */
static void
test_large_tables(void **state)
{
	struct env *e = env_new(100000);
	struct sess_mem mem;
	struct sess_up_hit h;

	sess_memory(e->tr, &mem);
	assert_true(mem.up_slots * mem.slot_size >= ((size_t)2 << 20));
	/* 4 user-plane keys per bearer at most, 4/3 slot per key. */
	assert_true(mem.up_slots * 3 >= (size_t)4 * (4 * 3 * 100000));
	for (uint32_t i = 0; i < 50; i++) {
		char imsi[16];
		struct buf x;
		snprintf(imsi, sizeof(imsi), "0010100%08u", i);
		m_csr(&x, imsi, 100 + i, GTP_IF_S11_MME, 0x10000 + i, MME, 5, 0);
		assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
		m_csresp_s11(&x, 0x10000 + i, 100 + i, 16, 0x20000 + i, 5, 0x30000 + i,
		    "100.64.0.1");
		assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
		assert_int_equal(lookup(e, SGWU, 0x30000 + i, &h), 1);
		assert_string_equal(h.sess->imsi, imsi);
		m_simple_req(&x, GTPC_DELETE_SESSION_REQ, 0x20000 + i, 300 + i, 0, 5);
		assert_int_equal(feed(e, &x, MME, SGW), SESS_RC_OK);
		m_resp(&x, GTPC_DELETE_SESSION_RESP, 0x10000 + i, 300 + i, 16);
		assert_int_equal(feed(e, &x, SGW, MME), SESS_RC_OK);
		assert_int_equal(lookup(e, SGWU, 0x30000 + i, &h), 0);
	}
	assert_int_equal(sess_stats(e->tr)->sessions, 0);
	assert_int_equal(sess_stats(e->tr)->sessions_peak, 1);
	assert_int_equal(sess_stats(e->tr)->sessions_freed, 50);
	env_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_s11),
		cmocka_unit_test(test_attach_s11_s5_merged),
		cmocka_unit_test(test_handover_and_idle),
		cmocka_unit_test(test_dedicated_bearer),
		cmocka_unit_test(test_piggybacked),
		cmocka_unit_test(test_expiry_and_pending_timeout),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_rejected_and_unknown),
		cmocka_unit_test(test_reattach_replaces),
		cmocka_unit_test(test_reply_from_other_address),
		cmocka_unit_test(test_msisdn_takeover),
		cmocka_unit_test(test_mei_names_the_device),
		cmocka_unit_test(test_identity_holders_bounded),
		cmocka_unit_test(test_memory_per_session),
		cmocka_unit_test(test_large_request),
		cmocka_unit_test(test_caps_refused),
		cmocka_unit_test(test_large_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
