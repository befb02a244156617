/*
 * Session tracker (see sess.h for the model).  Layout of this file:
 *   pools and indexes     fixed-capacity arrays with free lists, keyed hash indexes
 *   pending requests      copies of requests waiting for their response
 *   apply_*               one function per procedure, run when the response arrives
 *   prefetching           cache hints started a message or more ahead (no state change)
 *   flush                 coalesced events once a subscriber has nothing pending
 *   public API            feed, lookups, iteration, sweep, stats
 *
 * Why responses drive state: a request may be refused (cause) and only the response tells;
 * the request carries half of the data (IMSI, eNB TEIDs) and the response the other half
 * (SGW TEIDs, UE address), so the request is kept until then.  Why S11 and S5/S8 are merged:
 * an interception needs one IRI per bearer with every TEID, whichever leg the probe sees.
 */
#include "sess/sess.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "sess/sess_tab.h"

#define NIL UINT32_MAX

/* Index tags: control-plane endpoint kinds (which object the value indexes). */
enum ctl_kind { CTL_S11_MME = 1, CTL_S11_SGW, CTL_S5_SGW, CTL_S5_PGW };
enum id_kind { ID_IMSI = SESS_ID_IMSI, ID_MSISDN = SESS_ID_MSISDN, ID_MEI = SESS_ID_MEI };

/* Bearer event bits (coalesced until flush). */
#define EV_NEW	0x1
#define EV_MOD	0x2
#define EV_DEL	0x4

/* PDN deletion bits. */
#define DEL_YES		0x1
#define DEL_REPLACED	0x2
#define DEL_EXPIRED	0x4

/*
 * An unanswered request.  Its message is kept (bounded by max_request_copy) and decoded again
 * when the response arrives: a decoded request takes kilobytes (struct gtpc_info), its bytes
 * a few hundred.  Requests up to PEND_INLINE octets (all the captures we know of: a Create
 * Session Request is 180-280) live inside the entry, so the common case allocates nothing and
 * the copy shares the entry's cache lines; longer ones are copied to the heap.
 */
#define PEND_INLINE	400

struct pend {
	uint64_t ts_ns;
	uint64_t sess_id;	/* the session's id when the request was seen */
	uint64_t pdn_id;	/* 0 when the request is not bound to a PDN */
	uint32_t sess;
	uint32_t pdn;
	uint32_t seq;
	uint32_t expect_teid;	/* the TEID the response header must carry */
	uint32_t prev, next;	/* oldest-first list, for timeouts */
	uint8_t used;
	uint8_t type;
	uint8_t leg;		/* SESS_LEG_* */
	uint8_t af;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint16_t copy_len;
	uint8_t *copy;		/* the request message, P flag cleared: inl, or heap if longer */
	uint8_t inl[PEND_INLINE];
};

struct sess_tracker {
	struct sess_config cfg;
	sess_event_cb cb;
	void *cb_arg;
	uint64_t seed;
	uint64_t next_id;

	struct sess_session *sess;
	struct sess_pdn *pdn;
	struct sess_bearer *bearer;
	struct pend *pend;
	uint32_t sess_hw, sess_free;	/* high-water mark and free list */
	uint32_t pdn_hw, pdn_free;
	uint32_t bearer_hw, bearer_free;
	uint32_t pend_hw, pend_free;
	uint32_t pend_head, pend_tail;
	uint32_t sweep_pos;

	struct sess_tab up;	/* (address, TEID) -> bearer; tag = role | af6 << 4 */
	struct sess_tab ctl;	/* (address, TEID-C, kind) -> session or PDN; tag = kind | af6 << 4 */
	struct sess_tab id;	/* (kind, digits) -> session; tag = kind */
	struct sess_tab pt;	/* sequence number -> pending */

	/* decode buffers (a few kilobytes each): allocated once, not per message */
	struct gtpc_info *in_msg;
	struct gtpc_info *in_req;

	/* prefetch chain started by the last request, advanced one step per message (see
	 * prefetch_chase): a PDN, then its first bearer, then that bearer's index slots */
	uint32_t chase_pdn, chase_bearer;

	/* context of the message being applied, for the events of the next flush */
	const struct sess_msgctx *ev_ctx;
	uint8_t ev_msg;
	uint8_t ev_cause;

	struct sess_stats st;
};

static const char *const rc_str[SESS_RC__COUNT] = {
	[SESS_RC_OK] = "ok",
	[SESS_RC_DECODE] = "message refused by the decoder",
	[SESS_RC_UNKNOWN_MSG] = "message type not handled",
	[SESS_RC_IGNORED] = "message carries no session state",
	[SESS_RC_UNKNOWN_TEID] = "request for an unknown TEID-C",
	[SESS_RC_UNMATCHED] = "response without a pending request",
	[SESS_RC_RETRANSMIT] = "request retransmission",
	[SESS_RC_NO_IDENTITY] = "Create Session without identity",
	[SESS_RC_UNSUPPORTED] = "Create Session from an unsupported interface",
	[SESS_RC_OVERFLOW] = "tracker full",
	[SESS_RC_STALE] = "response for a removed subscriber",
	[SESS_RC_TOO_BIG] = "request too large to keep",
};

const char *
sess_rc_str(enum sess_rc rc)
{
	if ((unsigned)rc >= SESS_RC__COUNT)
		return "unknown";
	return rc_str[rc];
}

void
sess_config_init(struct sess_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_sessions = 131072;
	cfg->max_pdns = 2 * cfg->max_sessions;
	cfg->max_bearers = 3 * cfg->max_sessions;
	cfg->max_pending = 65536;
	cfg->pending_timeout_ms = 10000;
	cfg->idle_timeout_s = 86400;
	cfg->max_request_copy = 4096;
	cfg->hash_seed = 0;
}

/* ================================================================ hashing */

/* Index keys hash to a 32-bit fingerprint (sess_tab.h); the kind is part of the hash so that
 * one node's S11 and S5/S8 TEID-C (often equal) sit apart. */
static uint32_t
hash_addr(uint64_t seed, uint8_t af, const uint8_t *a, uint32_t teid, uint32_t kind)
{
	uint64_t h, w0 = teid | ((uint64_t)kind << 40) | ((uint64_t)af << 48), w1, w2;

	if (af == 4) {
		w1 = ((uint64_t)a[0] << 24) | ((uint64_t)a[1] << 16) | ((uint64_t)a[2] << 8) | a[3];
		return sess_tab_fp(sess_mix(sess_mix(seed, w0), w1));
	}
	memcpy(&w1, a, 8);
	memcpy(&w2, a + 8, 8);
	h = sess_mix(seed, w0);
	h = sess_mix(h, w1);
	return sess_tab_fp(sess_mix(h, w2));
}

/* Identities are digit strings of at most 16 characters (find_id and id_set refuse longer
 * ones): their low nibbles fill one 64-bit word w (n digits), so the hash is two mixing
 * rounds.  Other characters (only from sess_find_* callers) may collide; lookups compare the
 * strings.  prefetch_imsi packs w straight from the TBCD octets. */
static uint32_t
hash_id_packed(uint64_t seed, uint32_t kind, uint64_t w, size_t n)
{
	return sess_tab_fp(sess_mix(sess_mix(seed, kind | (uint64_t)n << 8), w));
}

/* The part of an identity the index keys on: all of it, except that an IMEI (15 digits) or
 * IMEISV (16) counts by its first 14 digits, TAC and serial number (23.003 6.2): the device,
 * whichever check digit or software version it reported, as X1 imei targets name it. */
static size_t
id_key_len(uint32_t kind, const char *s)
{
	size_t n = strnlen(s, 17);

	return kind == ID_MEI && n > SESS_MEI_KEY_DIGITS ? SESS_MEI_KEY_DIGITS : n;
}

static int
id_same(uint32_t kind, const char *a, const char *b)
{
	size_t n = id_key_len(kind, a);

	return n == id_key_len(kind, b) && memcmp(a, b, n) == 0;
}

static uint32_t
hash_id(uint64_t seed, uint32_t kind, const char *s)
{
	uint64_t w = 0;
	size_t n, len = id_key_len(kind, s);

	for (n = 0; n < 16 && n < len; n++)
		w = (w << 4) | ((uint8_t)s[n] & 0x0f);
	return hash_id_packed(seed, kind, w, n);
}

static uint32_t
hash_seq(uint64_t seed, uint32_t seq)
{
	return sess_tab_fp(sess_mix(seed, seq));
}

static int
fteid_has(const struct sess_fteid *f, uint8_t af, const uint8_t *a)
{
	if (af == 4)
		return (f->flags & SESS_FTEID_V4) && memcmp(f->v4, a, 4) == 0;
	return (f->flags & SESS_FTEID_V6) && memcmp(f->v6, a, 16) == 0;
}

static int
fteid_eq(const struct sess_fteid *a, const struct sess_fteid *b)
{
	return a->flags == b->flags && a->teid == b->teid &&
	    (!(a->flags & SESS_FTEID_V4) || memcmp(a->v4, b->v4, 4) == 0) &&
	    (!(a->flags & SESS_FTEID_V6) || memcmp(a->v6, b->v6, 16) == 0);
}

static void
fteid_from_gtp(struct sess_fteid *f, const struct gtp_fteid *g)
{
	memset(f, 0, sizeof(*f));
	f->teid = g->teid;
	if (g->flags & GTP_FTEID_V4) {
		f->flags |= SESS_FTEID_V4;
		memcpy(f->v4, g->v4, 4);
	}
	if (g->flags & GTP_FTEID_V6) {
		f->flags |= SESS_FTEID_V6;
		memcpy(f->v6, g->v6, 16);
	}
}

static const uint8_t *
fteid_addr(const struct sess_fteid *f, uint8_t af)
{
	return af == 4 ? f->v4 : f->v6;
}

/* ================================================================ prefetching
 *
 * A message touches a handful of index slots and objects spread over tens of megabytes: each
 * is a cache miss, and done one after the other they dominate the cost of a message.  These
 * hints start the loads of everything a step will touch before its first access (the slots of
 * the keys it will insert or delete, the objects a pending request names), so that the misses
 * overlap with each other and with decoding.  They change no state.
 */

static void
prefetch_obj(const void *p, size_t n)
{
	const char *c = p;

	for (size_t o = 0; o < n; o += 64)
		__builtin_prefetch(c + o, 1);
	__builtin_prefetch(c + n - 1, 1);
}

/* Slots of the index keys of an F-TEID (user plane: kind 0). */
static void
prefetch_fteid(struct sess_tracker *tr, const struct sess_tab *t, const struct gtp_fteid *g,
    uint32_t kind)
{
	if (g->flags & GTP_FTEID_V4)
		sess_tab_prefetch(t, hash_addr(tr->seed, 4, g->v4, g->teid, kind));
	if (g->flags & GTP_FTEID_V6)
		sess_tab_prefetch(t, hash_addr(tr->seed, 6, g->v6, g->teid, kind));
}

/* ================================================================ pools */

static uint32_t
sess_alloc(struct sess_tracker *tr)
{
	uint32_t i;

	if (tr->sess_free != NIL) {
		i = tr->sess_free;
		tr->sess_free = tr->sess[i].next_free;
	} else if (tr->sess_hw < tr->cfg.max_sessions) {
		i = tr->sess_hw++;
	} else {
		tr->st.overflow_sessions++;
		return NIL;
	}
	memset(&tr->sess[i], 0, sizeof(tr->sess[i]));
	tr->sess[i].used = 1;
	tr->sess[i].id = ++tr->next_id;
	tr->sess[i].pdns = NIL;
	if (++tr->st.sessions > tr->st.sessions_peak)
		tr->st.sessions_peak = tr->st.sessions;
	tr->st.sessions_created++;
	return i;
}

static uint32_t
pdn_alloc(struct sess_tracker *tr, uint32_t si)
{
	struct sess_session *s = &tr->sess[si];
	uint32_t i;

	if (tr->pdn_free != NIL) {
		i = tr->pdn_free;
		tr->pdn_free = tr->pdn[i].next;
	} else if (tr->pdn_hw < tr->cfg.max_pdns) {
		i = tr->pdn_hw++;
	} else {
		tr->st.overflow_pdns++;
		return NIL;
	}
	memset(&tr->pdn[i], 0, sizeof(tr->pdn[i]));
	tr->pdn[i].used = 1;
	tr->pdn[i].id = ++tr->next_id;
	tr->pdn[i].sess = si;
	tr->pdn[i].bearers = NIL;
	tr->pdn[i].next = s->pdns;
	s->pdns = i;
	tr->st.pdns++;
	tr->st.pdns_created++;
	return i;
}

static uint32_t
bearer_alloc(struct sess_tracker *tr, uint32_t pi, uint8_t ebi)
{
	struct sess_pdn *p = &tr->pdn[pi];
	uint32_t i, *pp;

	if (tr->bearer_free != NIL) {
		i = tr->bearer_free;
		tr->bearer_free = tr->bearer[i].next;
	} else if (tr->bearer_hw < tr->cfg.max_bearers) {
		i = tr->bearer_hw++;
	} else {
		tr->st.overflow_bearers++;
		return NIL;
	}
	memset(&tr->bearer[i], 0, sizeof(tr->bearer[i]));
	tr->bearer[i].used = 1;
	tr->bearer[i].pdn = pi;
	tr->bearer[i].sess = p->sess;
	tr->bearer[i].ebi = ebi;
	tr->bearer[i].next = NIL;
	/* Keep EBI order so that iteration and events are deterministic. */
	for (pp = &p->bearers; *pp != NIL && tr->bearer[*pp].ebi < ebi; pp = &tr->bearer[*pp].next)
		;
	tr->bearer[i].next = *pp;
	*pp = i;
	tr->st.bearers++;
	tr->st.bearers_created++;
	return i;
}

/* ================================================================ indexes */

/* Tags beside the pool index in a slot (sess_tab.h): which endpoint or identity of the object
 * the key is, and whether it is the IPv6 address of that endpoint. */
static uint32_t
up_tag(int role, int a6)
{
	return (uint32_t)role | (uint32_t)a6 << 2;
}

static uint32_t
ctl_tag(int kind, int a6)
{
	return (uint32_t)kind | (uint32_t)a6 << 3;
}

static void
up_unindex(struct sess_tracker *tr, uint32_t bi, int role)
{
	struct sess_bearer *b = &tr->bearer[bi];
	const struct sess_fteid *f = &b->up[role];

	for (int a6 = 0; a6 < 2; a6++) {
		uint8_t bit = (uint8_t)(1u << (role * 2 + a6)), af = a6 ? 6 : 4;
		if (!(b->idx & bit))
			continue;
		sess_tab_del(&tr->up, hash_addr(tr->seed, af, fteid_addr(f, af), f->teid, 0),
		    sess_ref(bi, up_tag(role, a6)));
		b->idx &= (uint8_t)~bit;
	}
}

static void
up_index(struct sess_tracker *tr, uint32_t bi, int role)
{
	struct sess_bearer *b = &tr->bearer[bi];
	const struct sess_fteid *f = &b->up[role];

	for (int a6 = 0; a6 < 2; a6++) {
		uint8_t af = a6 ? 6 : 4, bit = (uint8_t)(1u << (role * 2 + a6));
		uint32_t fp, i;

		if (!(f->flags & (a6 ? SESS_FTEID_V6 : SESS_FTEID_V4)))
			continue;
		fp = hash_addr(tr->seed, af, fteid_addr(f, af), f->teid, 0);
		/* A node reuses a TEID only once the old tunnel is gone: the newest wins. */
		for (i = sess_tab_first(&tr->up, fp); i != UINT32_MAX;
		    i = sess_tab_next(&tr->up, fp, i)) {
			uint32_t ref = tr->up.slots[i].ref, obi = sess_ref_index(ref);
			int orole = (int)(sess_ref_tag(ref) & 3);
			struct sess_bearer *o = &tr->bearer[obi];
			if ((int)(sess_ref_tag(ref) >> 2) == a6 && o->up[orole].teid == f->teid &&
			    fteid_has(&o->up[orole], af, fteid_addr(f, af))) {
				tr->st.teid_collisions++;
				up_unindex(tr, obi, orole);
				break;
			}
		}
		if (sess_tab_add(&tr->up, fp, sess_ref(bi, up_tag(role, a6))) != 0) {
			tr->st.overflow_index++;
			continue;
		}
		b->idx |= bit;
	}
}

/* Sets a user-plane endpoint; returns 1 if it changed. */
static int
up_set(struct sess_tracker *tr, uint32_t bi, int role, const struct gtp_fteid *g)
{
	struct sess_fteid nf;

	fteid_from_gtp(&nf, g);
	if (fteid_eq(&nf, &tr->bearer[bi].up[role]))
		return 0;
	up_unindex(tr, bi, role);
	tr->bearer[bi].up[role] = nf;
	up_index(tr, bi, role);
	return 1;
}

static int
up_clear(struct sess_tracker *tr, uint32_t bi, int role)
{
	if (tr->bearer[bi].up[role].flags == 0)
		return 0;
	up_unindex(tr, bi, role);
	memset(&tr->bearer[bi].up[role], 0, sizeof(tr->bearer[bi].up[role]));
	return 1;
}

/* Control endpoints: S11 ones live in the session, S5/S8 ones in the PDN. */
static struct sess_fteid *
ctl_fteid(struct sess_tracker *tr, int kind, uint32_t ref, uint8_t **idxp, uint8_t *shift)
{
	switch (kind) {
	case CTL_S11_MME:
		*idxp = &tr->sess[ref].idx;
		*shift = 0;
		return &tr->sess[ref].s11_mme;
	case CTL_S11_SGW:
		*idxp = &tr->sess[ref].idx;
		*shift = 2;
		return &tr->sess[ref].s11_sgw;
	case CTL_S5_SGW:
		*idxp = &tr->pdn[ref].idx;
		*shift = 0;
		return &tr->pdn[ref].s5_sgw;
	default:
		*idxp = &tr->pdn[ref].idx;
		*shift = 2;
		return &tr->pdn[ref].s5_pgw;
	}
}

static void
ctl_unindex(struct sess_tracker *tr, int kind, uint32_t ref)
{
	uint8_t *idx, shift;
	struct sess_fteid *f = ctl_fteid(tr, kind, ref, &idx, &shift);

	for (int a6 = 0; a6 < 2; a6++) {
		uint8_t af = a6 ? 6 : 4, bit = (uint8_t)(1u << (shift + a6));
		if (!(*idx & bit))
			continue;
		sess_tab_del(&tr->ctl, hash_addr(tr->seed, af, fteid_addr(f, af), f->teid,
		    (uint32_t)kind), sess_ref(ref, ctl_tag(kind, a6)));
		*idx &= (uint8_t)~bit;
	}
}

static void
ctl_index(struct sess_tracker *tr, int kind, uint32_t ref)
{
	uint8_t *idx, shift;
	struct sess_fteid *f = ctl_fteid(tr, kind, ref, &idx, &shift);

	for (int a6 = 0; a6 < 2; a6++) {
		uint8_t af = a6 ? 6 : 4, bit = (uint8_t)(1u << (shift + a6));
		uint32_t fp, i;

		if (!(f->flags & (a6 ? SESS_FTEID_V6 : SESS_FTEID_V4)))
			continue;
		fp = hash_addr(tr->seed, af, fteid_addr(f, af), f->teid, (uint32_t)kind);
		for (i = sess_tab_first(&tr->ctl, fp); i != UINT32_MAX;
		    i = sess_tab_next(&tr->ctl, fp, i)) {
			uint32_t oref = tr->ctl.slots[i].ref, o = sess_ref_index(oref);
			uint8_t *oidx, oshift;
			struct sess_fteid *of;
			if (sess_ref_tag(oref) != ctl_tag(kind, a6))
				continue;
			of = ctl_fteid(tr, kind, o, &oidx, &oshift);
			if (of->teid == f->teid && fteid_has(of, af, fteid_addr(f, af))) {
				if (o != ref)
					tr->st.teid_collisions++;
				ctl_unindex(tr, kind, o);
				break;
			}
		}
		if (sess_tab_add(&tr->ctl, fp, sess_ref(ref, ctl_tag(kind, a6))) != 0) {
			tr->st.overflow_index++;
			continue;
		}
		*idx |= bit;
	}
}

/* Sets a control endpoint from a decoded F-TEID; returns 1 if it changed. */
static int
ctl_set(struct sess_tracker *tr, int kind, uint32_t ref, const struct gtp_fteid *g)
{
	uint8_t *idx, shift;
	struct sess_fteid *f = ctl_fteid(tr, kind, ref, &idx, &shift), nf;

	fteid_from_gtp(&nf, g);
	if (fteid_eq(&nf, f))
		return 0;
	ctl_unindex(tr, kind, ref);
	*f = nf;
	ctl_index(tr, kind, ref);
	return 1;
}

/* Finds the owner of a TEID-C among two kinds; *kind gets the one found. */
static uint32_t
ctl_lookup(struct sess_tracker *tr, uint8_t af, const uint8_t *a, uint32_t teid,
    int k1, int k2, int *kind)
{
	int kinds[2] = {k1, k2};

	for (int k = 0; k < 2; k++) {
		uint32_t fp = hash_addr(tr->seed, af, a, teid, (uint32_t)kinds[k]);
		uint32_t want = ctl_tag(kinds[k], af == 6);
		for (uint32_t i = sess_tab_first(&tr->ctl, fp); i != UINT32_MAX;
		    i = sess_tab_next(&tr->ctl, fp, i)) {
			uint32_t ref = tr->ctl.slots[i].ref, o = sess_ref_index(ref);
			uint8_t *idx, shift;
			struct sess_fteid *f;
			if (sess_ref_tag(ref) != want)
				continue;
			f = ctl_fteid(tr, kinds[k], o, &idx, &shift);
			if (f->teid == teid && fteid_has(f, af, a)) {
				*kind = kinds[k];
				return o;
			}
		}
	}
	return NIL;
}

static char *
id_field(struct sess_session *s, int kind)
{
	return kind == ID_IMSI ? s->imsi : kind == ID_MSISDN ? s->msisdn : s->mei;
}

/*
 * The sessions holding an identity, at most SESS_ID_HOLDERS of them, into out (may be NULL);
 * returns their number, and in *newest / *oldest (may be NULL) those with the highest and
 * lowest session id.  Several sessions can hold one identity: an MSISDN given to a new
 * subscriber before the old session ended, a device (IMEI) moved to another SIM.
 */
static size_t
id_holders_fp(struct sess_tracker *tr, int kind, const char *v, uint32_t fp, uint32_t *out,
    uint32_t *newest, uint32_t *oldest)
{
	uint32_t nw = NIL, ol = NIL;
	size_t n = 0;

	for (uint32_t i = sess_tab_first(&tr->id, fp); i != UINT32_MAX;
	    i = sess_tab_next(&tr->id, fp, i)) {
		uint32_t ref = tr->id.slots[i].ref, si = sess_ref_index(ref);
		if (sess_ref_tag(ref) != (uint32_t)kind ||
		    !id_same((uint32_t)kind, id_field(&tr->sess[si], kind), v))
			continue;
		if (out != NULL && n < SESS_ID_HOLDERS)
			out[n] = si;
		n++;
		if (nw == NIL || tr->sess[si].id > tr->sess[nw].id)
			nw = si;
		if (ol == NIL || tr->sess[si].id < tr->sess[ol].id)
			ol = si;
	}
	if (newest != NULL)
		*newest = nw;
	if (oldest != NULL)
		*oldest = ol;
	return n;
}

/* The newest session holding an identity, or NIL. */
static uint32_t
id_lookup_fp(struct sess_tracker *tr, int kind, const char *v, uint32_t fp)
{
	uint32_t si;

	id_holders_fp(tr, kind, v, fp, NULL, &si, NULL);
	return si;
}

static uint32_t
id_lookup(struct sess_tracker *tr, int kind, const char *v)
{
	return id_lookup_fp(tr, kind, v, hash_id(tr->seed, (uint32_t)kind, v));
}

static void
id_unindex(struct sess_tracker *tr, uint32_t si, int kind)
{
	struct sess_session *s = &tr->sess[si];
	uint8_t bit = (uint8_t)(1u << kind);

	if (!(s->ids & bit))
		return;
	sess_tab_del(&tr->id, hash_id(tr->seed, (uint32_t)kind, id_field(s, kind)),
	    sess_ref(si, (uint32_t)kind));
	s->ids &= (uint8_t)~bit;
}

/*
 * Sets an identity.  Every session holding it stays indexed (lookups take the newest; a task
 * activated later finds them all), up to SESS_ID_HOLDERS: past that the oldest holder leaves
 * the index, so that traffic naming one identity many times cannot lengthen its probe chain.
 */
static void
id_set(struct sess_tracker *tr, uint32_t si, int kind, const char *v)
{
	struct sess_session *s = &tr->sess[si];
	char *field = id_field(s, kind);
	uint32_t oldest, fp;
	size_t cap, n;

	if (v[0] == '\0' || (strcmp(field, v) == 0 && (s->ids & (1u << kind))))
		return;
	cap = kind == ID_MEI ? sizeof(s->mei) : sizeof(s->imsi);
	if ((n = strlen(v)) >= cap)
		return;
	id_unindex(tr, si, kind);
	memcpy(field, v, n + 1);
	fp = hash_id(tr->seed, (uint32_t)kind, v);
	if (id_holders_fp(tr, kind, v, fp, NULL, NULL, &oldest) >= SESS_ID_HOLDERS) {
		id_unindex(tr, oldest, kind);
		tr->st.id_evicted++;
	}
	if (sess_tab_add(&tr->id, fp, sess_ref(si, (uint32_t)kind)) != 0) {
		tr->st.overflow_index++;
		return;
	}
	s->ids |= (uint8_t)(1u << kind);
}

static int role_of_iface(uint8_t iface);

/* Slots of the user-plane keys a bearer holds (before they are removed). */
static void
up_prefetch_keys(struct sess_tracker *tr, uint32_t bi)
{
	const struct sess_bearer *b = &tr->bearer[bi];

	if (b->idx == 0)
		return;
	for (int r = 0; r < SESS_UP_NROLES; r++)
		for (int a6 = 0; a6 < 2; a6++)
			if (b->idx & (1u << (r * 2 + a6)))
				sess_tab_prefetch(&tr->up, hash_addr(tr->seed, a6 ? 6 : 4,
				    fteid_addr(&b->up[r], a6 ? 6 : 4), b->up[r].teid, 0));
}

/* Slots of the control keys of kind held by a session (S11) or a PDN (S5/S8). */
static void
ctl_prefetch_keys(struct sess_tracker *tr, int kind, uint32_t ref)
{
	uint8_t *idx, shift;
	const struct sess_fteid *f = ctl_fteid(tr, kind, ref, &idx, &shift);

	for (int a6 = 0; a6 < 2; a6++)
		if (*idx & (1u << (shift + a6)))
			sess_tab_prefetch(&tr->ctl, hash_addr(tr->seed, a6 ? 6 : 4,
			    fteid_addr(f, a6 ? 6 : 4), f->teid, (uint32_t)kind));
}

/* Slots a decoded message may insert into: the user-plane F-TEIDs of its Bearer Contexts, its
 * control F-TEIDs and, for a Create Session Request, its identities. */
static void
prefetch_info(struct sess_tracker *tr, const struct gtpc_info *in, int identities)
{
	for (int i = 0; i < in->n_bc; i++)
		for (int k = 0; k < in->bc[i].n_fteid; k++)
			if (role_of_iface(in->bc[i].fteid[k].iface) >= 0)
				prefetch_fteid(tr, &tr->up, &in->bc[i].fteid[k], 0);
	for (int i = 0; i < in->n_fteid; i++) {
		uint32_t kind;
		switch (in->fteid[i].iface) {
		case GTP_IF_S11_MME: kind = CTL_S11_MME; break;
		case GTP_IF_S11_SGW: kind = CTL_S11_SGW; break;
		case GTP_IF_S5C_SGW: kind = CTL_S5_SGW; break;
		case GTP_IF_S5C_PGW: kind = CTL_S5_PGW; break;
		default: continue;
		}
		prefetch_fteid(tr, &tr->ctl, &in->fteid[i], kind);
	}
	if (!identities)
		return;
	if (in->has & GTPC_HAS_IMSI)
		sess_tab_prefetch(&tr->id, hash_id(tr->seed, ID_IMSI, in->imsi));
	if (in->has & GTPC_HAS_MSISDN)
		sess_tab_prefetch(&tr->id, hash_id(tr->seed, ID_MSISDN, in->msisdn));
	if (in->has & GTPC_HAS_MEI)
		sess_tab_prefetch(&tr->id, hash_id(tr->seed, ID_MEI, in->mei));
}

/* ================================================================ freeing */

static void
bearer_free(struct sess_tracker *tr, uint32_t bi)
{
	struct sess_bearer *b = &tr->bearer[bi];
	struct sess_pdn *p = &tr->pdn[b->pdn];
	uint32_t *pp;

	for (int r = 0; r < SESS_UP_NROLES; r++)
		up_unindex(tr, bi, r);
	for (pp = &p->bearers; *pp != NIL; pp = &tr->bearer[*pp].next)
		if (*pp == bi) {
			*pp = b->next;
			break;
		}
	b->used = 0;
	b->next = tr->bearer_free;
	tr->bearer_free = bi;
	tr->st.bearers--;
	tr->st.bearers_freed++;
}

static void
pdn_free(struct sess_tracker *tr, uint32_t pi)
{
	struct sess_pdn *p = &tr->pdn[pi];
	struct sess_session *s = &tr->sess[p->sess];
	uint32_t *pp;

	while (p->bearers != NIL)
		bearer_free(tr, p->bearers);
	ctl_unindex(tr, CTL_S5_SGW, pi);
	ctl_unindex(tr, CTL_S5_PGW, pi);
	for (pp = &s->pdns; *pp != NIL; pp = &tr->pdn[*pp].next)
		if (*pp == pi) {
			*pp = p->next;
			break;
		}
	p->used = 0;
	p->id = 0;
	p->next = tr->pdn_free;
	tr->pdn_free = pi;
	tr->st.pdns--;
	tr->st.pdns_freed++;
}

static void
sess_release(struct sess_tracker *tr, uint32_t si)
{
	struct sess_session *s = &tr->sess[si];

	while (s->pdns != NIL)
		pdn_free(tr, s->pdns);
	ctl_unindex(tr, CTL_S11_MME, si);
	ctl_unindex(tr, CTL_S11_SGW, si);
	id_unindex(tr, si, ID_IMSI);
	id_unindex(tr, si, ID_MSISDN);
	id_unindex(tr, si, ID_MEI);
	s->used = 0;
	s->id = 0;
	s->next_free = tr->sess_free;
	tr->sess_free = si;
	tr->st.sessions--;
	tr->st.sessions_freed++;
}

/* ================================================================ events */

static void
emit(struct sess_tracker *tr, enum sess_ev_type type, uint32_t si, const struct sess_pdn *p,
    const struct sess_bearer *b, uint8_t chg, uint8_t flags)
{
	struct sess_event ev;

	tr->st.events++;
	if (tr->cb == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.sess = &tr->sess[si];
	ev.pdn = p;
	ev.bearer = b;
	ev.chg = chg;
	ev.flags = flags;
	ev.msg_type = tr->ev_msg;
	ev.cause = tr->ev_cause;
	ev.ctx = tr->ev_ctx;
	tr->cb(&ev, tr->cb_arg);
}

/*
 * Emits the coalesced events of a subscriber once nothing of it is pending, then frees what
 * was deleted: deactivations first (so a replaced PDN ends before its successor begins),
 * dedicated bearers before the default one, then activations and modifications.
 */
static void
flush(struct sess_tracker *tr, uint32_t si)
{
	struct sess_session *s = &tr->sess[si];
	uint32_t pi, bi, nb, np;
	int live = 0;

	if (!s->used || s->pending != 0)
		return;
	for (pi = s->pdns; pi != NIL; pi = tr->pdn[pi].next) {
		if (tr->pdn[pi].bearers == NIL)
			tr->pdn[pi].del |= DEL_YES;	/* no bearer left: nothing to carry traffic */
		if (!tr->pdn[pi].del)
			live++;
	}
	for (pi = s->pdns; pi != NIL; pi = np) {
		struct sess_pdn *p = &tr->pdn[pi];
		np = p->next;
		for (int pass = 0; pass < 2; pass++) {
			for (bi = p->bearers; bi != NIL; bi = nb) {
				struct sess_bearer *b = &tr->bearer[bi];
				uint8_t f = 0;
				nb = b->next;
				if (!p->del && !(b->ev & EV_DEL))
					continue;
				if ((pass == 0) != !(b->flags & SESS_BF_DEFAULT))
					continue;
				if (p->del) {
					f |= SESS_EVF_PDN_END;
					if (live == 0)
						f |= SESS_EVF_SESSION_END;
					if (p->del & DEL_REPLACED)
						f |= SESS_EVF_REPLACED;
					if (p->del & DEL_EXPIRED)
						f |= SESS_EVF_EXPIRED;
				}
				if (b->flags & SESS_BF_ACTIVE)
					emit(tr, SESS_EV_DEACTIVATION, si, p, b, 0, f);
				bearer_free(tr, bi);
			}
		}
		if (p->del)
			pdn_free(tr, pi);
	}
	for (pi = s->pdns; pi != NIL; pi = tr->pdn[pi].next) {
		struct sess_pdn *p = &tr->pdn[pi];
		for (bi = p->bearers; bi != NIL; bi = tr->bearer[bi].next) {
			struct sess_bearer *b = &tr->bearer[bi];
			if (b->ev & EV_NEW) {
				b->flags |= SESS_BF_ACTIVE;
				emit(tr, SESS_EV_ACTIVATION, si, p, b, 0, 0);
			} else if ((b->ev & EV_MOD) && b->chg && (b->flags & SESS_BF_ACTIVE)) {
				emit(tr, SESS_EV_MODIFICATION, si, p, b, b->chg, 0);
			}
			b->ev = 0;
			b->chg = 0;
		}
	}
	s->held11 = 0;
	if (s->pdns == NIL)
		sess_release(tr, si);
}

/*
 * A new S11 procedure completes while events of an earlier one are still held back (the
 * subscriber had another request outstanding, e.g. on S5/S8): report the earlier activations
 * and modifications now, so that every procedure gives its own IRI (3GPP TS 33.108 reports a
 * bearerActivation for Create Session and a bearerModification for each Modify Bearer; merging
 * them would hide one).  An S5/S8 response followed by the S11 response of the same procedure
 * stays one event: held11 is only set by S11 responses.  Deletions stay held for flush().
 */
static void
settle(struct sess_tracker *tr, uint32_t si)
{
	struct sess_session *s = &tr->sess[si];
	if (!s->held11)
		return;
	for (uint32_t pi = s->pdns; pi != NIL; pi = tr->pdn[pi].next) {
		struct sess_pdn *p = &tr->pdn[pi];
		for (uint32_t bi = p->bearers; bi != NIL; bi = tr->bearer[bi].next) {
			struct sess_bearer *b = &tr->bearer[bi];
			if (b->ev & EV_NEW) {
				b->flags |= SESS_BF_ACTIVE;
				emit(tr, SESS_EV_ACTIVATION, si, p, b, 0, 0);
			} else if ((b->ev & EV_MOD) && b->chg && (b->flags & SESS_BF_ACTIVE)) {
				emit(tr, SESS_EV_MODIFICATION, si, p, b, b->chg, 0);
			}
			b->ev &= (uint8_t)~(EV_NEW | EV_MOD);
			b->chg = 0;
		}
	}
	s->held11 = 0;
}

/* ================================================================ pending requests */

static void
pend_unlink(struct sess_tracker *tr, uint32_t i)
{
	struct pend *q = &tr->pend[i];

	if (q->prev != NIL)
		tr->pend[q->prev].next = q->next;
	else
		tr->pend_head = q->next;
	if (q->next != NIL)
		tr->pend[q->next].prev = q->prev;
	else
		tr->pend_tail = q->prev;
}

/* Frees a pending request and releases its hold on the subscriber (which may flush). */
static void
pend_free(struct sess_tracker *tr, uint32_t i, int do_flush)
{
	struct pend *q = &tr->pend[i];
	uint32_t si = q->sess;

	sess_tab_del(&tr->pt, hash_seq(tr->seed, q->seq), sess_ref(i, 0));
	pend_unlink(tr, i);
	if (q->copy != q->inl)
		free(q->copy);
	q->copy = NULL;
	q->used = 0;
	q->next = tr->pend_free;
	tr->pend_free = i;
	tr->st.pending--;
	if (tr->sess[si].used && tr->sess[si].id == q->sess_id) {
		tr->sess[si].pending--;
		if (do_flush)
			flush(tr, si);
	}
}

static int
resp_matches(uint8_t req, uint8_t resp)
{
	switch (req) {
	case GTPC_CREATE_SESSION_REQ: case GTPC_MODIFY_BEARER_REQ: case GTPC_DELETE_SESSION_REQ:
	case GTPC_CREATE_BEARER_REQ: case GTPC_UPDATE_BEARER_REQ: case GTPC_DELETE_BEARER_REQ:
	case GTPC_RELEASE_ACCESS_BEARERS_REQ: case GTPC_MODIFY_ACCESS_BEARERS_REQ:
		return resp == req + 1;
	default:
		return 0;
	}
}

static enum sess_rc
pend_add(struct sess_tracker *tr, const struct gtpc_msg *m, const struct sess_msgctx *ctx,
    uint32_t si, uint32_t pi, int leg, uint32_t expect_teid)
{
	uint32_t fp = hash_seq(tr->seed, m->hdr.seq);
	struct ovt_cursor raw = m->raw;
	struct pend *q;
	uint32_t i;

	for (i = sess_tab_first(&tr->pt, fp); i != UINT32_MAX; i = sess_tab_next(&tr->pt, fp, i)) {
		q = &tr->pend[sess_ref_index(tr->pt.slots[i].ref)];
		if (q->seq == m->hdr.seq && q->type == m->hdr.type && q->af == ctx->af &&
		    q->sport == ctx->sport && q->dport == ctx->dport &&
		    memcmp(q->src, ctx->src, 16) == 0 && memcmp(q->dst, ctx->dst, 16) == 0)
			return SESS_RC_RETRANSMIT;
	}
	if (cur_len(&raw) > tr->cfg.max_request_copy)
		return SESS_RC_TOO_BIG;
	if (tr->pend_free == NIL && tr->pend_hw >= tr->cfg.max_pending) {
		/* Full: the oldest request is the likeliest to have lost its response. */
		uint64_t sid = tr->sess[si].id;
		tr->st.pending_evicted++;
		pend_free(tr, tr->pend_head, 1);
		if (!tr->sess[si].used || tr->sess[si].id != sid)
			return SESS_RC_STALE;	/* that was this subscriber's only hold */
	}
	if (tr->pend_free != NIL) {
		i = tr->pend_free;
		tr->pend_free = tr->pend[i].next;
	} else {
		i = tr->pend_hw++;
	}
	q = &tr->pend[i];
	memset(q, 0, offsetof(struct pend, inl));
	q->copy = cur_len(&raw) <= sizeof(q->inl) ? q->inl : malloc(cur_len(&raw));
	if (q->copy == NULL || sess_tab_add(&tr->pt, fp, sess_ref(i, 0)) != 0) {
		if (q->copy != q->inl)
			free(q->copy);
		q->copy = NULL;
		q->next = tr->pend_free;
		tr->pend_free = i;
		tr->st.overflow_index++;
		return SESS_RC_OVERFLOW;
	}
	q->copy_len = (uint16_t)cur_len(&raw);
	cur_copy(&raw, q->copy, q->copy_len);
	q->copy[0] &= (uint8_t)~0x10;	/* a piggybacked request is re-parsed on its own */
	q->used = 1;
	q->ts_ns = ctx->ts_ns;
	q->sess = si;
	q->sess_id = tr->sess[si].id;
	q->pdn = pi;
	q->pdn_id = pi != NIL ? tr->pdn[pi].id : 0;
	q->seq = m->hdr.seq;
	q->expect_teid = expect_teid;
	q->type = m->hdr.type;
	q->leg = (uint8_t)leg;
	q->af = ctx->af;
	memcpy(q->src, ctx->src, 16);
	memcpy(q->dst, ctx->dst, 16);
	q->sport = ctx->sport;
	q->dport = ctx->dport;
	q->next = NIL;
	q->prev = tr->pend_tail;
	if (tr->pend_tail != NIL)
		tr->pend[tr->pend_tail].next = i;
	else
		tr->pend_head = i;
	tr->pend_tail = i;
	tr->sess[si].pending++;
	tr->st.pending++;
	return SESS_RC_OK;
}

/* The pending request a response answers: same sequence number and a matching type, from the
 * peer the request went to (addresses and ports reversed) or, failing that, carrying the TEID
 * the requester gave (loopback captures where replies leave from other addresses). */
static uint32_t
pend_match(struct sess_tracker *tr, const struct gtpc_msg *m, const struct sess_msgctx *ctx)
{
	uint32_t fp = hash_seq(tr->seed, m->hdr.seq);
	uint32_t by_teid = NIL;

	for (uint32_t i = sess_tab_first(&tr->pt, fp); i != UINT32_MAX;
	    i = sess_tab_next(&tr->pt, fp, i)) {
		uint32_t pi = sess_ref_index(tr->pt.slots[i].ref);
		struct pend *q = &tr->pend[pi];
		if (q->seq != m->hdr.seq || !resp_matches(q->type, m->hdr.type))
			continue;
		if (q->af == ctx->af && q->sport == ctx->dport && q->dport == ctx->sport &&
		    memcmp(q->src, ctx->dst, 16) == 0 && memcmp(q->dst, ctx->src, 16) == 0)
			return pi;
		if (by_teid == NIL && m->hdr.teid == q->expect_teid && q->expect_teid != 0)
			by_teid = pi;
	}
	return by_teid;
}

/* ================================================================ helpers for apply_* */

static int
cause_accepts(uint8_t cause)
{
	return cause >= 16 && cause <= 63;	/* 29.274 table 8.4-1: acceptance range */
}

static const struct gtp_fteid *
info_fteid(const struct gtpc_info *in, uint8_t iface)
{
	for (int i = 0; i < in->n_fteid; i++)
		if (in->fteid[i].iface == iface)
			return &in->fteid[i];
	return NULL;
}

static int
lbi_of(const struct gtpc_info *in)
{
	for (int i = 0; i < in->n_ebi; i++)
		if (in->ebi[i].instance == 0)
			return in->ebi[i].ebi;
	return -1;
}

static int
role_of_iface(uint8_t iface)
{
	switch (iface) {
	case GTP_IF_S1U_ENB: return SESS_UP_S1U_ENB;
	case GTP_IF_S1U_SGW: return SESS_UP_S1U_SGW;
	case GTP_IF_S5U_SGW: return SESS_UP_S5U_SGW;
	case GTP_IF_S5U_PGW: return SESS_UP_S5U_PGW;
	default: return -1;
	}
}

static const struct gtpc_bearer_ctx *
bc_by_ebi(const struct gtpc_info *in, uint8_t instance, uint8_t ebi)
{
	for (int i = 0; i < in->n_bc; i++)
		if (in->bc[i].instance == instance && (in->bc[i].has & GTPC_BC_EBI) &&
		    in->bc[i].ebi == ebi)
			return &in->bc[i];
	return NULL;
}

/* Applies the user-plane F-TEIDs of a Bearer Context; returns 1 if one changed. */
static int
bearer_apply_bc(struct sess_tracker *tr, uint32_t bi, const struct gtpc_bearer_ctx *bc)
{
	struct sess_bearer *b = &tr->bearer[bi];
	int changed = 0;

	if (bc == NULL)
		return 0;
	for (int i = 0; i < bc->n_fteid; i++) {
		int role = role_of_iface(bc->fteid[i].iface);
		if (role >= 0)
			changed |= up_set(tr, bi, role, &bc->fteid[i]);
	}
	if (bc->has & GTPC_BC_QOS) {
		struct ovt_cursor q = bc->qos;
		uint8_t nq[SESS_QOS_LEN];
		cur_copy(&q, nq, SESS_QOS_LEN);
		if (b->qos_len != SESS_QOS_LEN || memcmp(b->qos, nq, SESS_QOS_LEN) != 0) {
			if (b->qos_len == SESS_QOS_LEN)
				b->chg |= SESS_CHG_QOS;
			memcpy(b->qos, nq, SESS_QOS_LEN);
			b->qos_len = SESS_QOS_LEN;
		}
	}
	if (bc->has & GTPC_BC_CHARGING_ID)
		b->charging_id = bc->charging_id;
	return changed;
}

static void
bearer_mod(struct sess_tracker *tr, uint32_t bi, uint8_t chg)
{
	tr->bearer[bi].ev |= EV_MOD;
	tr->bearer[bi].chg |= chg;
}

static uint32_t
pdn_bearer(struct sess_tracker *tr, uint32_t pi, uint8_t ebi)
{
	for (uint32_t bi = tr->pdn[pi].bearers; bi != NIL; bi = tr->bearer[bi].next)
		if (tr->bearer[bi].ebi == ebi)
			return bi;
	return NIL;
}

/* The bearer with this EBI among the live PDNs of a subscriber (EBIs are per UE). */
static uint32_t
sess_bearer(struct sess_tracker *tr, uint32_t si, uint8_t ebi)
{
	for (uint32_t pi = tr->sess[si].pdns; pi != NIL; pi = tr->pdn[pi].next) {
		uint32_t bi;
		if (tr->pdn[pi].del)
			continue;
		if ((bi = pdn_bearer(tr, pi, ebi)) != NIL)
			return bi;
	}
	return NIL;
}

static uint32_t
pdn_by_lbi(struct sess_tracker *tr, uint32_t si, uint8_t lbi)
{
	for (uint32_t pi = tr->sess[si].pdns; pi != NIL; pi = tr->pdn[pi].next)
		if (!tr->pdn[pi].del && tr->pdn[pi].default_ebi == lbi)
			return pi;
	return NIL;
}

/* The PDN a request bound to: the one recorded with it (S5/S8) if still the same. */
static uint32_t
pend_pdn(struct sess_tracker *tr, const struct pend *q)
{
	if (q->pdn == NIL || !tr->pdn[q->pdn].used || tr->pdn[q->pdn].id != q->pdn_id ||
	    tr->pdn[q->pdn].del)
		return NIL;
	return q->pdn;
}

/* Identity, location, RAT and serving network carried by a request. */
static void
sess_update_common(struct sess_tracker *tr, uint32_t si, const struct gtpc_info *in,
    uint32_t only_pdn)
{
	struct sess_session *s = &tr->sess[si];
	uint8_t chg = 0;

	if (in->has & GTPC_HAS_IMSI)
		id_set(tr, si, ID_IMSI, in->imsi);
	if (in->has & GTPC_HAS_MSISDN)
		id_set(tr, si, ID_MSISDN, in->msisdn);
	if (in->has & GTPC_HAS_MEI)
		id_set(tr, si, ID_MEI, in->mei);
	if (in->has & GTPC_HAS_ULI) {
		struct ovt_cursor raw = in->uli.raw;
		size_t n = cur_len(&raw);
		if (n <= SESS_ULI_MAX && (n != s->uli_len || memcmp(s->uli, raw.p, n) != 0)) {
			if (s->uli_len != 0)
				chg |= SESS_CHG_LOCATION;
			cur_copy(&raw, s->uli, n);
			s->uli_len = (uint8_t)n;
		}
	}
	if (in->has & GTPC_HAS_RAT) {
		if (s->rat != 0 && s->rat != in->rat)
			chg |= SESS_CHG_RAT;
		s->rat = in->rat;
	}
	if (in->has & GTPC_HAS_SERVING_NET)
		memcpy(s->serving_net, in->serving_net, 3);
	if (chg == 0)
		return;
	/* Location is per subscriber: one modification per PDN connection, on its default bearer. */
	for (uint32_t pi = s->pdns; pi != NIL; pi = tr->pdn[pi].next) {
		uint32_t bi;
		if (tr->pdn[pi].del || (only_pdn != NIL && pi != only_pdn))
			continue;
		if ((bi = pdn_bearer(tr, pi, tr->pdn[pi].default_ebi)) != NIL)
			bearer_mod(tr, bi, chg);
	}
}

/* Marks a bearer for deletion.  Its user-plane keys go at once, so that no G-PDU is
 * attributed to it any more; the object stays until flush for its deactivation event. */
static void
bearer_delete(struct sess_tracker *tr, uint32_t bi)
{
	tr->bearer[bi].ev |= EV_DEL;
	for (int r = 0; r < SESS_UP_NROLES; r++)
		up_unindex(tr, bi, r);
}

/* Marks a PDN connection, and so all its bearers, for deletion (see bearer_delete). */
static void
pdn_delete(struct sess_tracker *tr, uint32_t pi, uint8_t why)
{
	tr->pdn[pi].del |= (uint8_t)(DEL_YES | why);
	for (uint32_t bi = tr->pdn[pi].bearers; bi != NIL; bi = tr->bearer[bi].next)
		up_prefetch_keys(tr, bi);
	for (uint32_t bi = tr->pdn[pi].bearers; bi != NIL; bi = tr->bearer[bi].next)
		bearer_delete(tr, bi);
}

/* ================================================================ apply_* (per procedure) */

/* Create Session (29.274 7.2.1/7.2.2), on S11 (MME -> SGW) or S5/S8 (SGW -> PGW). */
static void
apply_create_session(struct sess_tracker *tr, const struct pend *q, const struct gtpc_info *rq,
    const struct gtpc_info *rs)
{
	uint32_t si = q->sess, pi = NIL, old = NIL;
	struct sess_pdn *p;
	int ebi = -1;
	const struct gtp_fteid *f;

	for (int i = 0; i < rq->n_bc; i++)
		if (rq->bc[i].instance == 0 && (rq->bc[i].has & GTPC_BC_EBI)) {
			ebi = rq->bc[i].ebi;
			break;
		}
	if (ebi < 0)
		return;
	/* The other leg of the same PDN connection, created moments ago. */
	for (uint32_t i = tr->sess[si].pdns; i != NIL; i = tr->pdn[i].next) {
		if (tr->pdn[i].del || tr->pdn[i].default_ebi != ebi)
			continue;
		if (!(tr->pdn[i].legs & q->leg) && pi == NIL)
			pi = i;
		else if (tr->pdn[i].legs & q->leg)
			old = i;
	}
	if (pi == NIL && old != NIL && q->leg == SESS_LEG_S11 &&
	    (f = info_fteid(rq, GTP_IF_S5C_PGW)) != NULL && f->teid != 0) {
		struct sess_fteid pg;
		fteid_from_gtp(&pg, f);
		if (fteid_eq(&pg, &tr->pdn[old].s5_pgw)) {
			/* Same PGW tunnel, new SGW: SGW relocation (23.401 5.5.1.1.3), not a new PDN. */
			pi = old;
			old = NIL;
			for (uint32_t bi = tr->pdn[pi].bearers; bi != NIL; bi = tr->bearer[bi].next)
				bearer_mod(tr, bi, SESS_CHG_CONTROL);
		}
	}
	if (old != NIL && old != pi)
		pdn_delete(tr, old, DEL_REPLACED);	/* the UE attached again: the old one is stale */
	if (pi == NIL && (pi = pdn_alloc(tr, si)) == NIL)
		return;
	p = &tr->pdn[pi];
	p->legs |= q->leg;
	p->default_ebi = (uint8_t)ebi;
	if (rq->has & GTPC_HAS_APN)
		memcpy(p->apn, rq->apn, sizeof(p->apn));
	if (rq->has & GTPC_HAS_PDN_TYPE)
		p->pdn_type = rq->pdn_type;
	if (rs->has & GTPC_HAS_PAA)
		p->paa = rs->paa;
	else if ((rq->has & GTPC_HAS_PAA) && p->paa.pdn_type == 0)
		p->paa = rq->paa;
	if (rs->has & GTPC_HAS_AMBR) {
		p->ambr_ul = rs->ambr_ul;
		p->ambr_dl = rs->ambr_dl;
	} else if (rq->has & GTPC_HAS_AMBR) {
		p->ambr_ul = rq->ambr_ul;
		p->ambr_dl = rq->ambr_dl;
	}
	if (q->leg == SESS_LEG_S11) {
		struct sess_session *s = &tr->sess[si];
		const struct gtp_fteid *mme = info_fteid(rq, GTP_IF_S11_MME);
		/* A new S11 tunnel (TEID 0 in the header, another MME TEID-C) means the UE context
		 * was created afresh: every PDN still on the old tunnel is stale (29.274 7.2.1). */
		if (mme != NULL && s->s11_mme.flags != 0) {
			struct sess_fteid nm;
			fteid_from_gtp(&nm, mme);
			if (!fteid_eq(&nm, &s->s11_mme))
				for (uint32_t i = s->pdns; i != NIL; i = tr->pdn[i].next)
					if (i != pi && (tr->pdn[i].legs & SESS_LEG_S11))
						pdn_delete(tr, i, DEL_REPLACED);
		}
		if (mme != NULL)
			ctl_set(tr, CTL_S11_MME, si, mme);
		if ((f = info_fteid(rs, GTP_IF_S11_SGW)) != NULL)
			ctl_set(tr, CTL_S11_SGW, si, f);
		if ((f = info_fteid(rs, GTP_IF_S5C_PGW)) != NULL && f->teid != 0)
			ctl_set(tr, CTL_S5_PGW, pi, f);
	} else {
		if ((f = info_fteid(rq, GTP_IF_S5C_SGW)) != NULL)
			ctl_set(tr, CTL_S5_SGW, pi, f);
		if ((f = info_fteid(rs, GTP_IF_S5C_PGW)) != NULL)
			ctl_set(tr, CTL_S5_PGW, pi, f);
	}
	for (int i = 0; i < rq->n_bc; i++) {
		const struct gtpc_bearer_ctx *bq = &rq->bc[i], *bs;
		uint32_t bi;
		int isnew = 0;

		if (bq->instance != 0 || !(bq->has & GTPC_BC_EBI))
			continue;
		bs = bc_by_ebi(rs, 0, bq->ebi);
		if (bs != NULL && (bs->has & GTPC_BC_CAUSE) && !cause_accepts(bs->cause))
			continue;
		if ((bi = pdn_bearer(tr, pi, bq->ebi)) == NIL) {
			if ((bi = bearer_alloc(tr, pi, bq->ebi)) == NIL)
				continue;
			isnew = 1;
			tr->bearer[bi].ev |= EV_NEW;
		}
		tr->bearer[bi].lbi = (uint8_t)ebi;
		if (bq->ebi == ebi)
			tr->bearer[bi].flags |= SESS_BF_DEFAULT;
		if ((bearer_apply_bc(tr, bi, bq) | bearer_apply_bc(tr, bi, bs)) && !isnew)
			bearer_mod(tr, bi, SESS_CHG_UP);
	}
}

/* Modify Bearer (7.2.7/7.2.8) and Modify Access Bearers (7.2.24/7.2.25): handover, service
 * request after idle, TAU with ULI, MME or SGW change. */
static void
apply_modify(struct sess_tracker *tr, const struct pend *q, uint32_t pi,
    const struct gtpc_info *rq, const struct gtpc_info *rs)
{
	uint32_t si = q->sess;
	const struct gtp_fteid *f;

	if (q->leg == SESS_LEG_S11) {
		if ((f = info_fteid(rq, GTP_IF_S11_MME)) != NULL &&
		    ctl_set(tr, CTL_S11_MME, si, f)) {
			for (uint32_t p = tr->sess[si].pdns; p != NIL; p = tr->pdn[p].next)
				if (!tr->pdn[p].del && pdn_bearer(tr, p, tr->pdn[p].default_ebi) != NIL)
					bearer_mod(tr, pdn_bearer(tr, p, tr->pdn[p].default_ebi),
					    SESS_CHG_CONTROL);
		}
		if ((f = info_fteid(rs, GTP_IF_S11_SGW)) != NULL)
			ctl_set(tr, CTL_S11_SGW, si, f);
	} else if (pi != NIL) {
		if ((f = info_fteid(rq, GTP_IF_S5C_SGW)) != NULL && ctl_set(tr, CTL_S5_SGW, pi, f) &&
		    pdn_bearer(tr, pi, tr->pdn[pi].default_ebi) != NIL)
			bearer_mod(tr, pdn_bearer(tr, pi, tr->pdn[pi].default_ebi), SESS_CHG_CONTROL);
	}
	sess_update_common(tr, si, rq, q->leg == SESS_LEG_S5 ? pi : NIL);
	for (int i = 0; i < rq->n_bc; i++) {
		const struct gtpc_bearer_ctx *bq = &rq->bc[i], *bs;
		uint32_t bi;

		if (!(bq->has & GTPC_BC_EBI))
			continue;
		bi = q->leg == SESS_LEG_S5 ? (pi != NIL ? pdn_bearer(tr, pi, bq->ebi) : NIL) :
		    sess_bearer(tr, si, bq->ebi);
		if (bi == NIL)
			continue;
		if (bq->instance == 1) {	/* Bearer Contexts to be removed */
			bearer_delete(tr, bi);
			continue;
		}
		bs = bc_by_ebi(rs, 0, bq->ebi);
		if (bs != NULL && (bs->has & GTPC_BC_CAUSE) && !cause_accepts(bs->cause))
			continue;
		if (bearer_apply_bc(tr, bi, bq) | bearer_apply_bc(tr, bi, bs))
			bearer_mod(tr, bi, SESS_CHG_UP);
		if (tr->bearer[bi].chg & SESS_CHG_QOS)
			tr->bearer[bi].ev |= EV_MOD;
	}
}

/* Delete Session (7.2.9/7.2.10): the PDN named by the LBI (S11) or by the TEID-C (S5/S8). */
static void
apply_delete_session(struct sess_tracker *tr, const struct pend *q, uint32_t pi,
    const struct gtpc_info *rq)
{
	uint32_t si = q->sess;
	int lbi = lbi_of(rq);

	/* Scope Indication: the old SGW of a relocation drops its S11 part only (8.12). */
	if ((rq->has & GTPC_HAS_INDICATION) && rq->indication_len > GTPC_IND_SI_OCTET &&
	    (rq->indication[GTPC_IND_SI_OCTET] & GTPC_IND_SI_BIT))
		return;
	sess_update_common(tr, si, rq, NIL);
	if (q->leg == SESS_LEG_S5) {
		if (pi != NIL)
			pdn_delete(tr, pi, 0);
		return;
	}
	for (uint32_t i = tr->sess[si].pdns; i != NIL; i = tr->pdn[i].next)
		if (!tr->pdn[i].del && (lbi < 0 || tr->pdn[i].default_ebi == lbi))
			pdn_delete(tr, i, 0);
}

/* Release Access Bearers (7.2.21/7.2.22): the UE went idle, every eNB endpoint is gone. */
static void
apply_release_access(struct sess_tracker *tr, const struct pend *q)
{
	for (uint32_t pi = tr->sess[q->sess].pdns; pi != NIL; pi = tr->pdn[pi].next)
		for (uint32_t bi = tr->pdn[pi].bearers; bi != NIL; bi = tr->bearer[bi].next)
			if (up_clear(tr, bi, SESS_UP_S1U_ENB))
				bearer_mod(tr, bi, SESS_CHG_IDLE);
}

/* The request Bearer Context a response Bearer Context answers: the one sharing an F-TEID
 * (the response echoes the requester's), else the one at the same position. */
static const struct gtpc_bearer_ctx *
bc_answered(const struct gtpc_info *rq, const struct gtpc_info *rs, int ri)
{
	const struct gtpc_bearer_ctx *bs = &rs->bc[ri];
	int pos = 0, k = 0;

	for (int i = 0; i < rq->n_bc; i++)
		for (int a = 0; a < rq->bc[i].n_fteid; a++)
			for (int b = 0; b < bs->n_fteid; b++)
				if (rq->bc[i].fteid[a].iface == bs->fteid[b].iface &&
				    rq->bc[i].fteid[a].teid == bs->fteid[b].teid)
					return &rq->bc[i];
	for (int i = 0; i < ri; i++)
		if (rs->bc[i].instance == 0)
			pos++;
	for (int i = 0; i < rq->n_bc; i++)
		if (rq->bc[i].instance == 0 && k++ == pos)
			return &rq->bc[i];
	return NULL;
}

/* Create Bearer (7.2.3/7.2.4): dedicated bearers; the EBI is assigned by the MME in the
 * response. */
static void
apply_create_bearer(struct sess_tracker *tr, const struct pend *q, uint32_t pi,
    const struct gtpc_info *rq, const struct gtpc_info *rs)
{
	uint32_t si = q->sess;
	int lbi = lbi_of(rq);

	if (q->leg == SESS_LEG_S11)
		pi = lbi >= 0 ? pdn_by_lbi(tr, si, (uint8_t)lbi) : NIL;
	if (pi == NIL)
		return;
	sess_update_common(tr, si, rs, NIL);
	for (int i = 0; i < rs->n_bc; i++) {
		const struct gtpc_bearer_ctx *bs = &rs->bc[i], *bq;
		uint32_t bi;
		int isnew = 0;

		if (bs->instance != 0 || !(bs->has & GTPC_BC_EBI) || bs->ebi == 0 ||
		    ((bs->has & GTPC_BC_CAUSE) && !cause_accepts(bs->cause)))
			continue;
		bq = bc_answered(rq, rs, i);
		if ((bi = pdn_bearer(tr, pi, bs->ebi)) == NIL) {
			if ((bi = bearer_alloc(tr, pi, bs->ebi)) == NIL)
				continue;
			isnew = 1;
			tr->bearer[bi].ev |= EV_NEW;
		}
		tr->bearer[bi].lbi = tr->pdn[pi].default_ebi;
		if ((bearer_apply_bc(tr, bi, bq) | bearer_apply_bc(tr, bi, bs)) && !isnew)
			bearer_mod(tr, bi, SESS_CHG_UP);
	}
}

/* Update Bearer (7.2.15/7.2.16): QoS / TFT change of existing bearers. */
static void
apply_update_bearer(struct sess_tracker *tr, const struct pend *q, uint32_t pi,
    const struct gtpc_info *rq, const struct gtpc_info *rs)
{
	uint32_t si = q->sess;

	sess_update_common(tr, si, rs, NIL);
	for (int i = 0; i < rq->n_bc; i++) {
		const struct gtpc_bearer_ctx *bq = &rq->bc[i], *bs;
		uint32_t bi;

		if (!(bq->has & GTPC_BC_EBI))
			continue;
		bi = q->leg == SESS_LEG_S5 ? (pi != NIL ? pdn_bearer(tr, pi, bq->ebi) : NIL) :
		    sess_bearer(tr, si, bq->ebi);
		if (bi == NIL)
			continue;
		bs = bc_by_ebi(rs, 0, bq->ebi);
		if (bs != NULL && (bs->has & GTPC_BC_CAUSE) && !cause_accepts(bs->cause))
			continue;
		if (bearer_apply_bc(tr, bi, bq))
			bearer_mod(tr, bi, SESS_CHG_UP);
		if (bq->has & GTPC_BC_TFT)
			bearer_mod(tr, bi, SESS_CHG_QOS);	/* a new TFT changes the bearer's flows */
		if (tr->bearer[bi].chg & SESS_CHG_QOS)
			tr->bearer[bi].ev |= EV_MOD;
	}
}

/* Delete Bearer (7.2.9.2/7.2.10.2): dedicated bearers by EBI, or the whole PDN by LBI. */
static void
apply_delete_bearer(struct sess_tracker *tr, const struct pend *q, uint32_t pi,
    const struct gtpc_info *rq, const struct gtpc_info *rs)
{
	uint32_t si = q->sess;

	sess_update_common(tr, si, rs, NIL);
	for (int i = 0; i < rq->n_ebi; i++) {
		uint8_t ebi = rq->ebi[i].ebi;
		const struct gtpc_bearer_ctx *bs = bc_by_ebi(rs, 0, ebi);
		uint32_t bi;

		if (bs != NULL && (bs->has & GTPC_BC_CAUSE) && !cause_accepts(bs->cause) &&
		    bs->cause != GTPC_CAUSE_CONTEXT_NOT_FOUND)
			continue;
		bi = q->leg == SESS_LEG_S5 ? (pi != NIL ? pdn_bearer(tr, pi, ebi) : NIL) :
		    sess_bearer(tr, si, ebi);
		if (bi == NIL)
			continue;
		/* The LBI (instance 0), or any default EBI, takes the PDN connection down. */
		if (tr->bearer[bi].flags & SESS_BF_DEFAULT)
			pdn_delete(tr, tr->bearer[bi].pdn, 0);
		else
			bearer_delete(tr, bi);
	}
}

/* ================================================================ prefetching per message */

/* A Create Session Request is resolved by its IMSI: the slot hash_id gives the decoded digits,
 * computed here from the raw TBCD octets (low nibble first, 0xF filler last) so that the slot
 * loads while the message is decoded.  Malformed digits are refused later by the decoder. */
static void
prefetch_imsi(struct sess_tracker *tr, const struct gtpc_msg *m)
{
	struct gtpc_ie ie;
	const uint8_t *p;
	uint64_t w = 0;
	size_t n = 0, len;

	if (!gtpc_ie_find(m, GTPC_IE_IMSI, 0, &ie) || (len = cur_len(&ie.val)) > 8)
		return;
	p = cur_data(&ie.val);
	for (size_t i = 0; i < len; i++) {
		uint8_t lo = p[i] & 0x0f, hi = p[i] >> 4;
		w = (w << 4) | lo;
		n++;
		if (hi == 0x0f)
			break;
		w = (w << 4) | hi;
		n++;
	}
	sess_tab_prefetch(&tr->id, hash_id_packed(tr->seed, ID_IMSI, w, n));
}

/* A request is resolved by its header TEID among the control keys of the kinds that can
 * receive it (on_request): start loading those slots. */
static void
prefetch_request(struct sess_tracker *tr, const struct gtpc_msg *m, const struct sess_msgctx *ctx)
{
	uint32_t k1, k2;

	switch (m->hdr.type) {
	case GTPC_MODIFY_BEARER_REQ: case GTPC_DELETE_SESSION_REQ:
	case GTPC_RELEASE_ACCESS_BEARERS_REQ: case GTPC_MODIFY_ACCESS_BEARERS_REQ:
		k1 = CTL_S11_SGW;
		k2 = CTL_S5_PGW;
		break;
	case GTPC_CREATE_BEARER_REQ: case GTPC_UPDATE_BEARER_REQ: case GTPC_DELETE_BEARER_REQ:
		k1 = CTL_S11_MME;
		k2 = CTL_S5_SGW;
		break;
	case GTPC_CREATE_SESSION_REQ:
		prefetch_imsi(tr, m);
		return;
	default:
		return;
	}
	sess_tab_prefetch(&tr->ctl, hash_addr(tr->seed, ctx->af, ctx->dst, m->hdr.teid, k1));
	sess_tab_prefetch(&tr->ctl, hash_addr(tr->seed, ctx->af, ctx->dst, m->hdr.teid, k2));
}

/*
 * A request was recorded: its response (typically a few frames later) will read the
 * subscriber's PDN connections and bearers, and insert the request's keys.  Start loading the
 * PDNs now (the session was just read) and the slots of the request's keys, so that the
 * response finds them cached; prefetch_pending follows the chain from there.
 */
static void
prefetch_after_request(struct sess_tracker *tr, const struct gtpc_msg *m,
    const struct gtpc_info *in, uint32_t si)
{
	uint32_t pi = tr->sess[si].pdns;

	prefetch_info(tr, in, m->hdr.type == GTPC_CREATE_SESSION_REQ);
	if (m->hdr.type == GTPC_DELETE_SESSION_REQ) {
		/* The subscriber's last PDN may go, and its control keys and identities with it. */
		struct sess_session *s = &tr->sess[si];
		ctl_prefetch_keys(tr, CTL_S11_MME, si);
		ctl_prefetch_keys(tr, CTL_S11_SGW, si);
		for (int k = ID_IMSI; k <= ID_MEI; k++)
			if (s->ids & (1u << k))
				sess_tab_prefetch(&tr->id, hash_id(tr->seed, (uint32_t)k,
				    id_field(s, k)));
	}
	/* The first PDN only: following the list here would wait for each PDN. */
	if (pi != NIL)
		prefetch_obj(&tr->pdn[pi], sizeof(struct sess_pdn));
	tr->chase_pdn = pi;
}

/*
 * One step of the chain prefetch_after_request started, run at each message: by then the
 * line loaded one message earlier has arrived, so reading it costs no wait.  PDN -> its first
 * bearer -> that bearer's user-plane slots (which a Modify Bearer or Delete moves or removes).
 * Stale indexes are harmless: they stay inside the pools and only hint at what to load.
 */
static void
prefetch_chase(struct sess_tracker *tr)
{
	uint32_t bi = tr->chase_bearer;

	tr->chase_bearer = NIL;
	if (bi != NIL && tr->bearer[bi].used)
		up_prefetch_keys(tr, bi);
	if (tr->chase_pdn != NIL) {
		bi = tr->pdn[tr->chase_pdn].bearers;
		tr->chase_pdn = NIL;
		if (bi != NIL && bi < tr->cfg.max_bearers) {
			prefetch_obj(&tr->bearer[bi], sizeof(struct sess_bearer));
			tr->chase_bearer = bi;
		}
	}
}

/* A response: its subscriber, the subscriber's PDN connections (loaded when the request was
 * seen) and their bearers will be read and written. */
static void
prefetch_pending(struct sess_tracker *tr, const struct pend *q)
{
	const struct sess_session *s = &tr->sess[q->sess];

	if (!s->used || s->id != q->sess_id)
		return;
	for (uint32_t pi = s->pdns; pi != NIL; pi = tr->pdn[pi].next)
		for (uint32_t bi = tr->pdn[pi].bearers; bi != NIL; bi = tr->bearer[bi].next)
			prefetch_obj(&tr->bearer[bi], sizeof(struct sess_bearer));
}

/* Before applying a response that may move or remove user-plane keys: their slots. */
static void
prefetch_bearer_keys(struct sess_tracker *tr, const struct pend *q)
{
	switch (q->type) {
	case GTPC_MODIFY_BEARER_REQ: case GTPC_MODIFY_ACCESS_BEARERS_REQ:
	case GTPC_RELEASE_ACCESS_BEARERS_REQ: case GTPC_DELETE_SESSION_REQ:
	case GTPC_DELETE_BEARER_REQ:
		break;
	default:
		return;
	}
	for (uint32_t pi = tr->sess[q->sess].pdns; pi != NIL; pi = tr->pdn[pi].next)
		for (uint32_t bi = tr->pdn[pi].bearers; bi != NIL; bi = tr->bearer[bi].next)
			up_prefetch_keys(tr, bi);
}

/* ================================================================ feeding messages */

static int
ctx_is_valid(const struct sess_msgctx *ctx)
{
	return ctx->af == 4 || ctx->af == 6;
}

static void
touch(struct sess_tracker *tr, uint32_t si, const struct sess_msgctx *ctx)
{
	uint32_t now = (uint32_t)(ctx->ts_ns / 1000000000ULL);

	if (tr->sess[si].first_seen == 0)
		tr->sess[si].first_seen = now;
	tr->sess[si].last_seen = now;
}

static enum sess_rc
on_create_session_req(struct sess_tracker *tr, const struct gtpc_msg *m,
    const struct gtpc_info *in, const struct sess_msgctx *ctx)
{
	const struct gtp_fteid *sender = NULL;
	uint32_t si = NIL;
	uint64_t sid;
	enum sess_rc rc;
	int leg, kind;

	for (int i = 0; i < in->n_fteid; i++)
		if (in->fteid[i].instance == 0)
			sender = &in->fteid[i];
	if (sender == NULL)
		return SESS_RC_UNSUPPORTED;
	if (sender->iface == GTP_IF_S11_MME)
		leg = SESS_LEG_S11;
	else if (sender->iface == GTP_IF_S5C_SGW)
		leg = SESS_LEG_S5;
	else
		return SESS_RC_UNSUPPORTED;	/* S4 (2G/3G), S2a/S2b (non-3GPP) are not tracked */
	if (in->has & GTPC_HAS_IMSI)
		si = id_lookup(tr, ID_IMSI, in->imsi);
	else if (in->has & GTPC_HAS_MEI)
		si = id_lookup(tr, ID_MEI, in->mei);
	if (si == NIL && m->hdr.teid != 0 && leg == SESS_LEG_S11)
		si = ctl_lookup(tr, ctx->af, ctx->dst, m->hdr.teid, CTL_S11_SGW, CTL_S11_SGW, &kind);
	if (si == NIL) {
		if (!(in->has & (GTPC_HAS_IMSI | GTPC_HAS_MEI)))
			return SESS_RC_NO_IDENTITY;
		if ((si = sess_alloc(tr)) == NIL)
			return SESS_RC_OVERFLOW;
		if (in->has & GTPC_HAS_IMSI)
			id_set(tr, si, ID_IMSI, in->imsi);
		else
			id_set(tr, si, ID_MEI, in->mei);
	}
	touch(tr, si, ctx);
	sid = tr->sess[si].id;
	rc = pend_add(tr, m, ctx, si, NIL, leg, sender->teid);
	if (rc == SESS_RC_OK)
		prefetch_after_request(tr, m, in, si);
	else if (tr->sess[si].used && tr->sess[si].id == sid)
		flush(tr, si);		/* frees a session created for nothing */
	return rc;
}

static enum sess_rc
on_request(struct sess_tracker *tr, const struct gtpc_msg *m, const struct gtpc_info *in,
    const struct sess_msgctx *ctx)
{
	uint32_t ref, si, pi = NIL, expect;
	int kind = 0, core;
	enum sess_rc rc;

	switch (m->hdr.type) {
	case GTPC_CREATE_SESSION_REQ:
		return on_create_session_req(tr, m, in, ctx);
	case GTPC_MODIFY_BEARER_REQ: case GTPC_DELETE_SESSION_REQ:
	case GTPC_RELEASE_ACCESS_BEARERS_REQ: case GTPC_MODIFY_ACCESS_BEARERS_REQ:
		core = 1;	/* sent towards the SGW (S11) or the PGW (S5/S8) */
		break;
	case GTPC_CREATE_BEARER_REQ: case GTPC_UPDATE_BEARER_REQ: case GTPC_DELETE_BEARER_REQ:
		core = 0;	/* network-initiated: towards the MME (S11) or the SGW (S5/S8) */
		break;
	default:
		return SESS_RC_IGNORED;	/* echo, commands, DDN: no state of their own */
	}
	ref = core ? ctl_lookup(tr, ctx->af, ctx->dst, m->hdr.teid, CTL_S11_SGW, CTL_S5_PGW, &kind) :
	    ctl_lookup(tr, ctx->af, ctx->dst, m->hdr.teid, CTL_S11_MME, CTL_S5_SGW, &kind);
	if (ref == NIL)
		return SESS_RC_UNKNOWN_TEID;
	switch (kind) {
	case CTL_S11_SGW:
		si = ref;
		expect = tr->sess[si].s11_mme.teid;
		break;
	case CTL_S11_MME:
		si = ref;
		expect = tr->sess[si].s11_sgw.teid;
		break;
	case CTL_S5_PGW:
		pi = ref;
		si = tr->pdn[pi].sess;
		expect = tr->pdn[pi].s5_sgw.teid;
		break;
	default:
		pi = ref;
		si = tr->pdn[pi].sess;
		expect = tr->pdn[pi].s5_pgw.teid;
		break;
	}
	touch(tr, si, ctx);
	rc = pend_add(tr, m, ctx, si, pi,
	    (kind == CTL_S11_SGW || kind == CTL_S11_MME) ? SESS_LEG_S11 : SESS_LEG_S5, expect);
	if (rc == SESS_RC_OK)
		prefetch_after_request(tr, m, in, si);
	return rc;
}

/* A response; i is its pending request (pend_match, NIL if none). */
static enum sess_rc
on_response(struct sess_tracker *tr, const struct gtpc_msg *m, const struct gtpc_info *rs,
    const struct sess_msgctx *ctx, uint32_t i)
{
	struct gtpc_msg rm;
	struct gtpc_info *rq = tr->in_req;
	struct pend *q;
	uint32_t si, pi;
	int accepted;

	if (i == NIL)
		return SESS_RC_UNMATCHED;
	q = &tr->pend[i];
	si = q->sess;
	if (!tr->sess[si].used || tr->sess[si].id != q->sess_id) {
		pend_free(tr, i, 0);
		return SESS_RC_STALE;
	}
	prefetch_info(tr, rs, 0);
	prefetch_bearer_keys(tr, q);
	if (gtpc_reparse(q->copy, q->copy_len, &rm) != GTP_OK || gtpc_decode(&rm, rq) != GTP_OK) {
		/* Cannot happen: the copy was decoded when it arrived. */
		pend_free(tr, i, 1);
		return SESS_RC_DECODE;
	}
	touch(tr, si, ctx);
	if (q->leg == SESS_LEG_S11)
		settle(tr, si);
	tr->ev_ctx = ctx;
	tr->ev_msg = m->hdr.type;
	tr->ev_cause = (rs->has & GTPC_HAS_CAUSE) ? rs->cause : 0;
	accepted = (rs->has & GTPC_HAS_CAUSE) && cause_accepts(rs->cause);
	pi = pend_pdn(tr, q);
	if (!accepted)
		tr->st.rejected++;
	switch (q->type) {
	case GTPC_CREATE_SESSION_REQ:
		if (accepted) {
			sess_update_common(tr, si, rq, NIL);
			apply_create_session(tr, q, rq, rs);
		} else {
			emit(tr, SESS_EV_ACTIVATION_REJECTED, si, NULL, NULL, 0, 0);
		}
		break;
	case GTPC_MODIFY_BEARER_REQ:
	case GTPC_MODIFY_ACCESS_BEARERS_REQ:
		if (accepted)
			apply_modify(tr, q, pi, rq, rs);
		break;
	case GTPC_DELETE_SESSION_REQ:
		/* Context Not Found: the peer has nothing left, neither shall we. */
		if (accepted || tr->ev_cause == GTPC_CAUSE_CONTEXT_NOT_FOUND)
			apply_delete_session(tr, q, pi, rq);
		break;
	case GTPC_RELEASE_ACCESS_BEARERS_REQ:
		if (accepted)
			apply_release_access(tr, q);
		break;
	case GTPC_CREATE_BEARER_REQ:
		if (accepted)
			apply_create_bearer(tr, q, pi, rq, rs);
		else
			emit(tr, SESS_EV_ACTIVATION_REJECTED, si, NULL, NULL, 0, 0);
		break;
	case GTPC_UPDATE_BEARER_REQ:
		if (accepted)
			apply_update_bearer(tr, q, pi, rq, rs);
		break;
	case GTPC_DELETE_BEARER_REQ:
		if (accepted || tr->ev_cause == GTPC_CAUSE_CONTEXT_NOT_FOUND)
			apply_delete_bearer(tr, q, pi, rq, rs);
		break;
	default:
		break;
	}
	if (q->leg == SESS_LEG_S11 && tr->sess[si].used)
		tr->sess[si].held11 = 1;
	pend_free(tr, i, 1);
	tr->ev_ctx = NULL;
	return SESS_RC_OK;
}

enum sess_rc
sess_gtpc(struct sess_tracker *tr, const struct gtpc_msg *m, const struct sess_msgctx *ctx)
{
	struct gtpc_info *in = tr->in_msg;
	enum sess_rc rc;
	enum gtp_err e;
	uint32_t pq = NIL;
	int req;

	if (!ctx_is_valid(ctx)) {
		tr->st.rc[SESS_RC_UNSUPPORTED]++;
		return SESS_RC_UNSUPPORTED;
	}
	if (!gtpc_msg_known(m->hdr.type)) {
		tr->st.rc[SESS_RC_UNKNOWN_MSG]++;
		return SESS_RC_UNKNOWN_MSG;
	}
	if (m->hdr.type == GTPC_ECHO_REQ || m->hdr.type == GTPC_ECHO_RESP ||
	    m->hdr.type == GTPC_VERSION_NOT_SUPPORTED) {
		tr->st.rc[SESS_RC_IGNORED]++;
		return SESS_RC_IGNORED;
	}
	/* Start the loads the message will need first, then decode it meanwhile (prefetching). */
	req = gtpc_msg_is_request(m->hdr.type);
	prefetch_chase(tr);
	if (req)
		prefetch_request(tr, m, ctx);
	else if ((pq = pend_match(tr, m, ctx)) != NIL)
		prefetch_pending(tr, &tr->pend[pq]);
	if ((e = gtpc_decode(m, in)) != GTP_OK) {
		tr->st.decode[e]++;
		rc = SESS_RC_DECODE;
	} else if (req) {
		rc = on_request(tr, m, in, ctx);
	} else {
		rc = on_response(tr, m, in, ctx, pq);
	}
	tr->st.rc[rc]++;
	return rc;
}

enum gtp_err
sess_gtpc_udp(struct sess_tracker *tr, const uint8_t *p, size_t len,
    const struct sess_msgctx *ctx, enum sess_rc *rc)
{
	struct gtpc_msg msgs[GTPC_MAX_PIGGY];
	enum gtp_err e;
	size_t n;

	*rc = SESS_RC_DECODE;
	if ((e = gtpc_parse(p, len, msgs, &n)) != GTP_OK) {
		tr->st.decode[e]++;
		tr->st.rc[SESS_RC_DECODE]++;
		return e;
	}
	for (size_t i = 0; i < n; i++)
		*rc = sess_gtpc(tr, &msgs[i], ctx);
	return GTP_OK;
}

/* ================================================================ lookups */

int
sess_up_lookup(struct sess_tracker *tr, uint8_t af, const uint8_t *addr, uint32_t teid,
    uint32_t now_s, struct sess_up_hit *out)
{
	uint32_t fp, i;

	if (af != 4 && af != 6)
		return 0;
	fp = hash_addr(tr->seed, af, addr, teid, 0);
	for (i = sess_tab_first(&tr->up, fp); i != UINT32_MAX; i = sess_tab_next(&tr->up, fp, i)) {
		uint32_t ref = tr->up.slots[i].ref, tag = sess_ref_tag(ref);
		struct sess_bearer *b = &tr->bearer[sess_ref_index(ref)];
		int role = (int)(tag & 3);

		if ((tag >> 2) != (af == 6) || b->up[role].teid != teid ||
		    !fteid_has(&b->up[role], af, addr))
			continue;
		b->last_used = now_s;
		out->bearer = b;
		out->pdn = &tr->pdn[b->pdn];
		out->sess = &tr->sess[b->sess];
		out->role = (enum sess_up_role)role;
		/* The TEID belongs to the receiver: SGW/PGW receive uplink, eNB/SGW-S5 downlink. */
		out->dir = (role == SESS_UP_S1U_SGW || role == SESS_UP_S5U_PGW) ?
		    SESS_DIR_FROM_TARGET : SESS_DIR_TO_TARGET;
		return 1;
	}
	return 0;
}

static struct sess_session *
find_id(struct sess_tracker *tr, int kind, const char *v)
{
	uint32_t si;

	if (v == NULL || v[0] == '\0' || strlen(v) > 16)
		return NULL;
	si = id_lookup(tr, kind, v);
	return si == NIL ? NULL : &tr->sess[si];
}

size_t
sess_holders(struct sess_tracker *tr, enum sess_id_kind kind, const char *v,
    struct sess_session *out[SESS_ID_HOLDERS])
{
	uint32_t si[SESS_ID_HOLDERS];
	size_t n;

	if ((kind != SESS_ID_IMSI && kind != SESS_ID_MSISDN && kind != SESS_ID_MEI) ||
	    v == NULL || v[0] == '\0' || strlen(v) > 16)
		return 0;
	n = id_holders_fp(tr, (int)kind, v, hash_id(tr->seed, (uint32_t)kind, v), si, NULL, NULL);
	if (n > SESS_ID_HOLDERS)
		n = SESS_ID_HOLDERS;	/* cannot happen: id_set keeps at most that many */
	for (size_t i = 0; i < n; i++)
		out[i] = &tr->sess[si[i]];
	return n;
}

int
sess_holds_id(const struct sess_session *s, enum sess_id_kind kind)
{
	return (s->ids & (1u << kind)) != 0;
}

struct sess_session *
sess_find_imsi(struct sess_tracker *tr, const char *imsi)
{
	return find_id(tr, ID_IMSI, imsi);
}

struct sess_session *
sess_find_msisdn(struct sess_tracker *tr, const char *msisdn)
{
	return find_id(tr, ID_MSISDN, msisdn);
}

struct sess_session *
sess_find_mei(struct sess_tracker *tr, const char *mei)
{
	return find_id(tr, ID_MEI, mei);
}

const struct sess_pdn *
sess_pdn_first(struct sess_tracker *tr, const struct sess_session *s)
{
	uint32_t pi = s->pdns;

	while (pi != NIL && tr->pdn[pi].del)
		pi = tr->pdn[pi].next;
	return pi == NIL ? NULL : &tr->pdn[pi];
}

const struct sess_pdn *
sess_pdn_next(struct sess_tracker *tr, const struct sess_pdn *p)
{
	uint32_t pi = p->next;

	while (pi != NIL && tr->pdn[pi].del)
		pi = tr->pdn[pi].next;
	return pi == NIL ? NULL : &tr->pdn[pi];
}

const struct sess_bearer *
sess_bearer_first(struct sess_tracker *tr, const struct sess_pdn *p)
{
	return p->bearers == NIL ? NULL : &tr->bearer[p->bearers];
}

const struct sess_bearer *
sess_bearer_next(struct sess_tracker *tr, const struct sess_bearer *b)
{
	return b->next == NIL ? NULL : &tr->bearer[b->next];
}

/* ================================================================ sweep */

static uint32_t
sess_last_activity(struct sess_tracker *tr, uint32_t si)
{
	uint32_t last = tr->sess[si].last_seen;

	for (uint32_t pi = tr->sess[si].pdns; pi != NIL; pi = tr->pdn[pi].next)
		for (uint32_t bi = tr->pdn[pi].bearers; bi != NIL; bi = tr->bearer[bi].next)
			if (tr->bearer[bi].last_used > last)
				last = tr->bearer[bi].last_used;
	return last;
}

void
sess_sweep(struct sess_tracker *tr, uint64_t now_ns, uint32_t budget)
{
	struct sess_msgctx ctx;
	uint64_t tmo = (uint64_t)tr->cfg.pending_timeout_ms * 1000000ULL;
	uint32_t now = (uint32_t)(now_ns / 1000000000ULL);

	memset(&ctx, 0, sizeof(ctx));
	ctx.ts_ns = now_ns;
	tr->ev_ctx = &ctx;
	tr->ev_msg = 0;
	tr->ev_cause = 0;
	while (tr->pend_head != NIL && tr->pend[tr->pend_head].ts_ns + tmo <= now_ns) {
		tr->st.pending_timeouts++;
		pend_free(tr, tr->pend_head, 1);
	}
	if (tr->cfg.idle_timeout_s != 0) {
		for (; budget > 0 && tr->sess_hw > 0; budget--) {
			uint32_t si = tr->sweep_pos++ % tr->sess_hw;
			struct sess_session *s = &tr->sess[si];
			if (!s->used || s->pending != 0)
				continue;
			if ((uint64_t)sess_last_activity(tr, si) + tr->cfg.idle_timeout_s > now)
				continue;
			tr->st.sessions_expired++;
			for (uint32_t pi = s->pdns; pi != NIL; pi = tr->pdn[pi].next)
				pdn_delete(tr, pi, DEL_EXPIRED);
			flush(tr, si);
		}
		tr->sweep_pos %= tr->sess_hw ? tr->sess_hw : 1;
	}
	tr->ev_ctx = NULL;
}

/* ================================================================ life cycle */

struct sess_tracker *
sess_new(const struct sess_config *cfg, sess_event_cb cb, void *arg)
{
	struct sess_tracker *tr;
	uint32_t ms;

	/* Pool indexes share a 32-bit index slot with a 4-bit tag (sess_tab.h). */
	if (cfg->max_sessions == 0 || cfg->max_pdns == 0 || cfg->max_bearers == 0 ||
	    cfg->max_pending == 0 || cfg->max_sessions > SESS_TAB_MAX_INDEX ||
	    cfg->max_pdns > SESS_TAB_MAX_INDEX || cfg->max_bearers > SESS_TAB_MAX_INDEX ||
	    cfg->max_pending > SESS_TAB_MAX_INDEX || cfg->max_request_copy > 65535 + 4)
		return NULL;
	if ((tr = calloc(1, sizeof(*tr))) == NULL)
		return NULL;
	tr->cfg = *cfg;
	tr->cb = cb;
	tr->cb_arg = arg;
	tr->seed = cfg->hash_seed;
	if (tr->seed == 0 && RAND_bytes((unsigned char *)&tr->seed, sizeof(tr->seed)) != 1) {
		free(tr);
		return NULL;
	}
	tr->sess_free = tr->pdn_free = tr->bearer_free = tr->pend_free = NIL;
	tr->pend_head = tr->pend_tail = NIL;
	tr->chase_pdn = tr->chase_bearer = NIL;
	ms = cfg->max_sessions;
	/* Pools fill from index 0 and reuse freed entries first, so only the pages of the peak
	 * population are ever touched: they are neither committed up front nor given huge pages
	 * (a huge-page fault may compact memory for milliseconds while packets arrive: the live
	 * capture test lost frames that way).  The index tables are committed (sess_tab.h). */
	tr->sess = calloc(ms, sizeof(*tr->sess));
	tr->pdn = calloc(cfg->max_pdns, sizeof(*tr->pdn));
	tr->bearer = calloc(cfg->max_bearers, sizeof(*tr->bearer));
	tr->pend = calloc(cfg->max_pending, sizeof(*tr->pend));
	tr->in_msg = malloc(sizeof(*tr->in_msg));
	tr->in_req = malloc(sizeof(*tr->in_req));
	/* Keys per object: 4 user-plane endpoints per bearer, 2 control endpoints per session
	 * (S11) and per PDN (S5/S8), 3 identities per session; dual-stack endpoints count twice
	 * but are rare, and the tables refuse (and count) rather than grow. */
	if (tr->sess == NULL || tr->pdn == NULL || tr->bearer == NULL || tr->pend == NULL ||
	    tr->in_msg == NULL || tr->in_req == NULL ||
	    sess_tab_init(&tr->up, cfg->max_bearers * 4) != 0 ||
	    sess_tab_init(&tr->ctl, 2 * ms + 2 * cfg->max_pdns) != 0 ||
	    sess_tab_init(&tr->id, 3 * ms) != 0 ||
	    sess_tab_init(&tr->pt, cfg->max_pending) != 0) {
		sess_free(tr);
		return NULL;
	}
	return tr;
}

void
sess_free(struct sess_tracker *tr)
{
	if (tr == NULL)
		return;
	if (tr->pend != NULL)
		for (uint32_t i = 0; i < tr->pend_hw; i++)
			if (tr->pend[i].copy != tr->pend[i].inl)
				free(tr->pend[i].copy);
	sess_tab_free(&tr->up);
	sess_tab_free(&tr->ctl);
	sess_tab_free(&tr->id);
	sess_tab_free(&tr->pt);
	free(tr->sess);
	free(tr->pdn);
	free(tr->bearer);
	free(tr->pend);
	free(tr->in_msg);
	free(tr->in_req);
	free(tr);
}

const struct sess_stats *
sess_stats(const struct sess_tracker *tr)
{
	return &tr->st;
}

void
sess_memory(const struct sess_tracker *tr, struct sess_mem *out)
{
	memset(out, 0, sizeof(*out));
	out->max_sessions = tr->cfg.max_sessions;
	out->session_size = sizeof(struct sess_session);
	out->pdn_size = sizeof(struct sess_pdn);
	out->bearer_size = sizeof(struct sess_bearer);
	out->slot_size = sizeof(struct sess_tab_slot);
	out->up_slots = (size_t)tr->up.mask + 1;
	out->ctl_slots = (size_t)tr->ctl.mask + 1;
	out->id_slots = (size_t)tr->id.mask + 1;
	out->pend_slots = (size_t)tr->pt.mask + 1;
	out->pend_size = sizeof(struct pend);
	out->tables = (out->up_slots + out->ctl_slots + out->id_slots + out->pend_slots) *
	    out->slot_size;
	out->reserved = sizeof(*tr) + 2 * sizeof(struct gtpc_info) +
	    (size_t)tr->cfg.max_sessions * sizeof(struct sess_session) +
	    (size_t)tr->cfg.max_pdns * sizeof(struct sess_pdn) +
	    (size_t)tr->cfg.max_bearers * sizeof(struct sess_bearer) +
	    (size_t)tr->cfg.max_pending * sizeof(struct pend) +
	    (out->up_slots + out->ctl_slots + out->id_slots + out->pend_slots) * out->slot_size;
}
