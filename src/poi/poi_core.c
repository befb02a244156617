/*
 * POI pipeline: GTP in, X2/X3 out.  See poi_core.h for the model.
 *
 * The per-packet path for a subscriber that is not a target is: decode the frame, parse GTP-U,
 * one hash lookup for (address, TEID), one integer compare of the match generation cached in
 * the bearer (the session is not read; docs/gtp.md has the costs).
 * Nothing is allocated per packet; X2/X3 PDUs are encoded straight into the destination queues.
 */
#include "poi/poi_core.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "common/grow.h"
#include "common/log.h"
#include "common/uuid.h"
#include "hi2/hi2.h"
#include "poi/poi_targets.h"
#include "x1/x1_store.h"
#include "x2x3/x2x3_sender.h"

/* Tasks one session can match at once: every task the target index can hold for each of its
 * three identities, so that no warrant on a subscriber is dropped for want of room (match sets
 * exist only for target sessions: 776 octets each). */
#define POI_MAX_MATCH	(3 * POI_TARGETS_MAX_PER_ID)
#define POI_ARENA_CHUNK	256	/* match sets per arena block */
_Static_assert(POI_MAX_MATCH <= 255, "poi_match.n is one octet");
/* Target kinds convert to the tracker's identity kinds by value (target_kind callers). */
_Static_assert((int)POI_ID_IMSI == (int)SESS_ID_IMSI && (int)POI_ID_MSISDN == (int)SESS_ID_MSISDN &&
    (int)POI_ID_IMEI == (int)SESS_ID_MEI, "identity kinds are numbered alike");
#define POI_IRI_BUF	4096	/* an encoded EPS IRI is ~250 bytes */

struct poi_dest {
	uint8_t did[16];
	char host[INET6_ADDRSTRLEN];
	uint16_t port;
	unsigned delivery;		/* x1_delivery_bits: 1 X2, 2 X3 */
	struct x2x3_sender *sender;	/* NULL if it could not be created */
	struct poi_core *core;
	int was_up;
};

struct poi_task {
	uint8_t xid[16];
	char xid_str[UUID_STRLEN + 1];
	unsigned delivery;
	struct x1_task x1;		/* as provisioned */
	size_t ndest;
	struct poi_dest *dest[X1_MAX_DIDS];
	uint64_t x2_events, x3_packets, x3_bytes;
};

struct poi_match {
	uint8_t n;
	struct {
		struct poi_task *task;
		uint8_t kind;		/* enum poi_id_kind that matched */
	} m[POI_MAX_MATCH];
};

struct arena_block {
	struct arena_block *next;
	size_t used;
	struct poi_match sets[POI_ARENA_CHUNK];
};

struct idset {			/* session ids ever intercepted (open addressing) */
	uint64_t *slots;
	size_t cap, used;
};

struct poi_core {
	const struct poi_config *cfg;
	struct ev_loop *loop;
	struct tls_ctx *tls;
	struct x1_store *store;
	struct sess_tracker *tr;
	struct poi_targets *targets;
	struct pkt_frag *frag;		/* outer IP reassembly */

	struct poi_task **tasks;
	size_t ntasks, captasks;
	struct poi_dest **dests;
	size_t ndests, capdests;

	uint64_t gen;			/* match generation; sessions cache with it */
	int targets_short;		/* an identity of a task is missing from the index */
	struct arena_block *arena;	/* match sets of the current generation */
	struct poi_task **doomed;	/* tasks replaced/removed, freed after re-evaluation */
	size_t ndoomed, capdoomed;

	struct idset intercepted;
	struct poi_stats st;
	uint64_t now_ns;		/* capture clock of the frame being processed */
	uint8_t iri_buf[POI_IRI_BUF];
};

/* ------------------------------------------------------------------ small helpers */

static uint64_t
mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

/* Adds id (non-zero); returns 1 if it was new. */
static int
idset_add(struct idset *s, uint64_t id)
{
	if ((s->used + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024;
		uint64_t *n = calloc(ncap, sizeof(*n));
		if (n == NULL)
			return 0;
		for (size_t i = 0; i < s->cap; i++) {
			if (s->slots[i] == 0)
				continue;
			size_t j = mix64(s->slots[i]) & (ncap - 1);
			while (n[j] != 0)
				j = (j + 1) & (ncap - 1);
			n[j] = s->slots[i];
		}
		free(s->slots);
		s->slots = n;
		s->cap = ncap;
	}
	size_t j = mix64(id) & (s->cap - 1);
	while (s->slots[j] != 0) {
		if (s->slots[j] == id)
			return 0;
		j = (j + 1) & (s->cap - 1);
	}
	s->slots[j] = id;
	s->used++;
	return 1;
}

static void
arena_free(struct arena_block *b)
{
	while (b != NULL) {
		struct arena_block *n = b->next;
		free(b);
		b = n;
	}
}

static struct poi_match *
arena_new(struct poi_core *c)
{
	if (c->arena == NULL || c->arena->used == POI_ARENA_CHUNK) {
		struct arena_block *b = malloc(sizeof(*b));
		if (b == NULL)
			return NULL;
		b->next = c->arena;
		b->used = 0;
		c->arena = b;
	}
	return &c->arena->sets[c->arena->used++];
}

/* ------------------------------------------------------------------ destinations */

static void
dest_event(void *arg, enum x2x3_sender_event ev, enum x2x3_err reason, const char *detail)
{
	struct poi_dest *d = arg;
	char did[UUID_STRLEN + 1];
	uuid_format(d->did, did);
	/* Connection state changes are operator-relevant; failures are logged once per outage. */
	if (ev == X2X3_EV_CONNECTED) {
		log_info("destination %s (%s:%u) connected (%s)", did, d->host,
		    d->port, detail ? detail : "");
		d->was_up = 1;
	} else if (ev == X2X3_EV_DISCONNECTED || d->was_up) {
		log_warnx("destination %s (%s:%u) %s: %s%s%s", did, d->host, d->port,
		    ev == X2X3_EV_DISCONNECTED ? "lost" : "unreachable", x2x3_strerror(reason),
		    detail && *detail ? ": " : "", detail ? detail : "");
		d->was_up = 0;
	}
}

static void
dest_close(struct poi_dest *d)
{
	if (d->sender != NULL)
		x2x3_sender_free(d->sender);
	d->sender = NULL;
}

static int
dest_open(struct poi_core *c, struct poi_dest *d, char *err, size_t errlen)
{
	const struct poi_destpol *pol = poi_config_destpol(c->cfg, d->host, d->port);
	struct x2x3_dest_config dc;
	enum x2x3_err xe;

	memset(&dc, 0, sizeof(dc));
	dc.addr = d->host;
	dc.port = d->port;
	dc.insecure_plaintext = pol != NULL && pol->insecure_plaintext;
	dc.tls = dc.insecure_plaintext ? NULL : c->tls;
	dc.tls_name = pol != NULL && pol->tls_name[0] ? pol->tls_name : NULL;
	dc.version = c->cfg->x2x3_version;
	dc.x3_mode = pol != NULL && pol->x3_ip ? X2X3_X3_IP : X2X3_X3_GTPU;
	dc.queue_max_records = c->cfg->queue_records;
	dc.queue_max_bytes = c->cfg->queue_bytes;
	dc.keepalive_interval_ms = c->cfg->keepalive_s ? c->cfg->keepalive_s * 1000
	    : X2X3_KEEPALIVE_OFF;
	dc.on_event = dest_event;
	dc.arg = d;
	if (!dc.insecure_plaintext && dc.tls == NULL) {
		snprintf(err, errlen, "destination %s:%u: no TLS context", d->host, d->port);
		return -1;
	}
	d->sender = x2x3_sender_new(c->loop, &dc, &xe);
	if (d->sender == NULL) {
		snprintf(err, errlen, "destination %s:%u: %s", d->host, d->port,
		    x2x3_strerror(xe));
		return -1;
	}
	return 0;
}

static struct poi_dest *
dest_find(struct poi_core *c, const uint8_t did[16])
{
	for (size_t i = 0; i < c->ndests; i++)
		if (memcmp(c->dests[i]->did, did, 16) == 0)
			return c->dests[i];
	return NULL;
}

static int
dest_set(struct poi_core *c, const struct x1_dest *x, char *err, size_t errlen)
{
	struct poi_dest *d = dest_find(c, x->did);
	int fresh = d == NULL;
	if (fresh) {
		if (ovt_grow_ptrs((void ***)&c->dests, &c->capdests, c->ndests + 1) < 0 ||
		    (d = calloc(1, sizeof(*d))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		memcpy(d->did, x->did, 16);
		d->core = c;
		c->dests[c->ndests++] = d;
	} else {
		dest_close(d);
	}
	inet_ntop(x->family == X1_AF_IPV6 ? AF_INET6 : AF_INET, x->addr, d->host, sizeof(d->host));
	d->port = x->port;
	d->delivery = x1_delivery_bits(x->delivery);
	return dest_open(c, d, err, errlen);
}

static void
dest_remove(struct poi_core *c, const uint8_t did[16])
{
	for (size_t i = 0; i < c->ndests; i++) {
		if (memcmp(c->dests[i]->did, did, 16) == 0) {
			dest_close(c->dests[i]);
			free(c->dests[i]);
			c->dests[i] = c->dests[--c->ndests];
			return;
		}
	}
}

/* ------------------------------------------------------------------ tasks and matching */

static void
task_bind_dests(struct poi_core *c, struct poi_task *t)
{
	t->ndest = 0;
	for (size_t i = 0; i < t->x1.ndids; i++) {
		struct poi_dest *d = dest_find(c, t->x1.dids[i]);
		if (d != NULL)
			t->dest[t->ndest++] = d;
	}
}

static struct poi_task *
task_new(struct poi_core *c, const struct x1_task *x)
{
	struct poi_task *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	memcpy(t->xid, x->xid, 16);
	uuid_format(t->xid, t->xid_str);
	t->x1 = *x;
	t->delivery = x1_delivery_bits(x->delivery);
	task_bind_dests(c, t);
	return t;
}

static void
doom(struct poi_core *c, struct poi_task *t)
{
	if (ovt_grow_ptrs((void ***)&c->doomed, &c->capdoomed, c->ndoomed + 1) < 0) {
		/* Cannot defer: leaking one task beats a use-after-free in the matcher. */
		return;
	}
	c->doomed[c->ndoomed++] = t;
}

static enum poi_id_kind
target_kind(const struct x1_target *g)
{
	return g->type == X1_TGT_IMSI ? POI_ID_IMSI : g->type == X1_TGT_E164 ? POI_ID_MSISDN :
	    POI_ID_IMEI;
}

/* Adds (add = 1) or removes task t's identities in the target index. */
static void
index_task(struct poi_core *c, struct poi_task *t, int add)
{
	for (size_t j = 0; j < t->x1.ntargets; j++) {
		const struct x1_target *g = &t->x1.targets[j];
		uint64_t key = poi_id_key(target_kind(g), g->value, strlen(g->value));
		if (!add) {
			poi_targets_remove(c->targets, key, t);
			continue;
		}
		/* X1 validated the digits; a failure here is ENOMEM or the per-identity cap and
		 * leaves that identity unmatched for this task, until a rebuild finds room. */
		if (key == 0 || poi_targets_add(c->targets, key, t) < 0) {
			log_warnx("task %s: a target could not be indexed", t->xid_str);
			c->targets_short = 1;
		}
	}
}

static void
rebuild_targets(struct poi_core *c)
{
	poi_targets_clear(c->targets);
	c->targets_short = 0;
	for (size_t i = 0; i < c->ntasks; i++)
		index_task(c, c->tasks[i], 1);
}

static void
match_add(struct poi_match *m, void *const *tasks, size_t n, uint8_t kind)
{
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < m->n; j++)
			if (m->m[j].task == tasks[i])
				break;
		if (j == m->n && m->n < POI_MAX_MATCH) {
			m->m[m->n].task = tasks[i];
			m->m[m->n].kind = kind;
			m->n++;
		}
	}
}

/* Tasks targeting session s (NULL if none), cached per generation. */
static const struct poi_match *
session_match(struct poi_core *c, struct sess_session *s)
{
	if (s->match_gen == c->gen)
		return s->match;
	struct poi_match tmp;
	void *const *found;
	size_t n;
	tmp.n = 0;
	/* Only identities the tracker indexes the session under: the sessions a task activation
	 * finds (sess_holders) are then exactly those that match. */
	if (poi_targets_count(c->targets) != 0) {
		if (sess_holds_id(s, SESS_ID_IMSI) && (n = poi_targets_find(c->targets,
		    poi_id_key(POI_ID_IMSI, s->imsi, strlen(s->imsi)), &found)) > 0)
			match_add(&tmp, found, n, POI_ID_IMSI);
		if (sess_holds_id(s, SESS_ID_MSISDN) && (n = poi_targets_find(c->targets,
		    poi_id_key(POI_ID_MSISDN, s->msisdn, strlen(s->msisdn)), &found)) > 0)
			match_add(&tmp, found, n, POI_ID_MSISDN);
		if (sess_holds_id(s, SESS_ID_MEI) && (n = poi_targets_find(c->targets,
		    poi_id_key(POI_ID_IMEI, s->mei, strlen(s->mei)), &found)) > 0)
			match_add(&tmp, found, n, POI_ID_IMEI);
	}
	struct poi_match *m = NULL;
	if (tmp.n > 0 && (m = arena_new(c)) != NULL) {
		*m = tmp;
		if (idset_add(&c->intercepted, s->id))
			c->st.target_sessions++;
	}
	s->match = m;
	s->match_gen = c->gen;
	return m;
}

/* ------------------------------------------------------------------ X2 (IRI) */

/* GTPv2 PAA value (29.274 8.14) from the decoded form: the IRI carries the raw IE value. */
static size_t
paa_encode(const struct gtp_paa *p, uint8_t out[22])
{
	size_t n = 0;
	out[n++] = p->pdn_type & 0x07;
	if (p->pdn_type == GTP_PDN_IPV6 || p->pdn_type == GTP_PDN_IPV4V6) {
		out[n++] = p->v6_prefix_len;
		memcpy(out + n, p->v6, 16);
		n += 16;
	}
	if (p->pdn_type == GTP_PDN_IPV4 || p->pdn_type == GTP_PDN_IPV4V6) {
		memcpy(out + n, p->v4, 4);
		n += 4;
	}
	return p->pdn_type >= GTP_PDN_IPV4 && p->pdn_type <= GTP_PDN_IPV4V6 ? n : 0;
}

/* APN back to labels (TS 23.003 clause 9.1). */
static size_t
apn_encode(const char *apn, uint8_t out[101])
{
	size_t n = 0, len = strlen(apn);
	const char *p = apn;
	if (len == 0 || len > 99)
		return 0;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63 || n + 1 + l > 100)
			return 0;
		out[n++] = (uint8_t)l;
		memcpy(out + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	return n;
}

static const char *
kind_name(uint8_t k)
{
	return k == POI_ID_IMSI ? "imsi" : k == POI_ID_MSISDN ? "e164Number" : "imei";
}

/* Matched Target Identifier attribute (TS 103 221-2): the X1 element name and the value of
 * the identity that matched, e.g. "imsi:001010123456789". */
static size_t
mti_format(const struct sess_session *s, uint8_t kind, char *out, size_t cap)
{
	const char *v = kind == POI_ID_IMSI ? s->imsi : kind == POI_ID_MSISDN ? s->msisdn :
	    s->mei;
	int n = snprintf(out, cap, "%s:%.*s", kind_name(kind), kind == POI_ID_IMEI ? 14 : 15, v);
	return n < 0 ? 0 : (size_t)n;
}

static void
submit(struct poi_core *c, struct poi_task *t, unsigned bit, struct x2x3_pdu *pdu,
    struct ovt_cursor gtpu, struct ovt_cursor inner)
{
	int sent = 0;
	for (size_t i = 0; i < t->ndest; i++) {
		struct poi_dest *d = t->dest[i];
		if (!(d->delivery & bit) || d->sender == NULL)
			continue;
		enum x2x3_err e = bit == 1 ? x2x3_sender_submit(d->sender, pdu) :
		    x2x3_sender_submit_x3(d->sender, pdu, gtpu, inner);
		if (e == X2X3_OK)
			c->st.x2x3_submitted++;
		else
			c->st.x2x3_refused++;
		sent = 1;
	}
	if (!sent)
		c->st.no_destination++;
}

static void
pdu_common(struct poi_core *c, struct x2x3_pdu *pdu, const struct poi_task *t, uint64_t corr,
    uint64_t ts_ns)
{
	x2x3_pdu_init(pdu);
	memcpy(pdu->xid, t->xid, 16);
	pdu->correlation_id = corr;
	pdu->ts_sec = (uint32_t)(ts_ns / 1000000000ULL);
	pdu->ts_nsec = (uint32_t)(ts_ns % 1000000000ULL);
	pdu->present = X2X3_HAS(X2X3_ATTR_TIMESTAMP) | X2X3_HAS(X2X3_ATTR_NFID) |
	    X2X3_HAS(X2X3_ATTR_IPID);
	cur_init(&pdu->nfid, c->cfg->nfid, strlen(c->cfg->nfid));
	cur_init(&pdu->ipid, c->cfg->ipid, strlen(c->cfg->ipid));
}

/* Emits one EPS IRI event for a bearer of a targeted session to every matching task that
 * delivers X2. */
static void
emit_iri(struct poi_core *c, const struct poi_match *m, struct sess_session *s,
    const struct sess_pdn *pdn, const struct sess_bearer *b, uint8_t event, uint8_t cause,
    int has_cause, const struct sess_msgctx *ctx, uint64_t ts_ns)
{
	struct hi2_eps_iri iri;
	struct hi2_diag diag;
	uint8_t corr[8], paa[22], apn[101], ne_addr[16];
	size_t paa_len = 0, apn_len = 0;

	hi2_iri_init(&iri);
	iri.event = event;
	iri.ts_sec = (int64_t)(ts_ns / 1000000000ULL);
	snprintf(iri.imsi, sizeof(iri.imsi), "%s", s->imsi);
	snprintf(iri.msisdn, sizeof(iri.msisdn), "%s", s->msisdn);
	snprintf(iri.imei, sizeof(iri.imei), "%s", s->mei);
	for (int i = 0; i < 8; i++)
		corr[i] = (uint8_t)((pdn ? pdn->id : s->id) >> (56 - 8 * i));
	iri.corr.p = corr;
	iri.corr.len = sizeof(corr);
	iri.operator_id.p = (const uint8_t *)c->cfg->operator_id;
	iri.operator_id.len = strlen(c->cfg->operator_id);
	iri.has_ne_type = 1;
	iri.ne_type = HI2_LFT_SGW;
	if (s->s11_sgw.flags & SESS_FTEID_V4) {
		memcpy(ne_addr, s->s11_sgw.v4, 4);
		iri.ne_addr_len = 4;
	} else if (s->s11_sgw.flags & SESS_FTEID_V6) {
		memcpy(ne_addr, s->s11_sgw.v6, 16);
		iri.ne_addr_len = 16;
	}
	memcpy(iri.ne_addr, ne_addr, iri.ne_addr_len);
	if (pdn != NULL) {
		if ((paa_len = paa_encode(&pdn->paa, paa)) > 0) {
			iri.paa.p = paa;
			iri.paa.len = paa_len;
		}
		if ((apn_len = apn_encode(pdn->apn, apn)) > 0) {
			iri.apn.p = apn;
			iri.apn.len = apn_len;
		}
		if (pdn->pdn_type) {
			iri.has_pdn_type = 1;
			iri.pdn_type = pdn->pdn_type;
		}
	}
	if (b != NULL) {
		iri.has_ebi = 1;
		iri.ebi = b->ebi;
		if (!(b->flags & SESS_BF_DEFAULT)) {
			iri.has_lbi = 1;
			iri.lbi = b->lbi;
		}
		iri.bearer_type = (b->flags & SESS_BF_DEFAULT) ? HI2_BEARER_DEFAULT :
		    HI2_BEARER_DEDICATED;
		if (b->qos_len) {
			iri.qos.p = b->qos;
			iri.qos.len = b->qos_len;
		}
	}
	if (s->rat) {
		iri.has_rat = 1;
		iri.rat = s->rat;
	}
	if (s->uli_len > 0 && s->uli_len <= HI2_ULI_MAX) {
		iri.uli.p = s->uli;
		iri.uli.len = s->uli_len;
	}
	if (has_cause) {
		iri.has_cause = 1;
		iri.cause = cause;
	}

	struct ovt_builder bld;
	bld_init_fixed(&bld, c->iri_buf, sizeof(c->iri_buf));
	if (hi2_iri_encode_x2(&bld, &iri, &diag) != HI2_OK) {
		c->st.encode_err++;
		return;
	}
	struct ovt_cursor none = {0};
	for (size_t i = 0; i < m->n; i++) {
		struct poi_task *t = m->m[i].task;
		if (!(t->delivery & 1))
			continue;
		struct x2x3_pdu pdu;
		char mti[32];
		pdu_common(c, &pdu, t, pdn ? pdn->id : s->id, ts_ns);
		pdu.type = X2X3_TYPE_X2;
		pdu.format = X2X3_FMT_EPS_IRI;
		pdu.direction = X2X3_DIR_NA;
		size_t ml = mti_format(s, m->m[i].kind, mti, sizeof(mti));
		cur_init(&pdu.mti, mti, ml);
		pdu.present |= X2X3_HAS(X2X3_ATTR_MTI);
		if (ctx != NULL) {
			/* Where the triggering GTP-C message was seen. */
			if (ctx->af == 4) {
				memcpy(pdu.src_ipv4, ctx->src, 4);
				memcpy(pdu.dst_ipv4, ctx->dst, 4);
				pdu.present |= X2X3_HAS(X2X3_ATTR_SRC_IPV4) |
				    X2X3_HAS(X2X3_ATTR_DST_IPV4);
			} else {
				memcpy(pdu.src_ipv6, ctx->src, 16);
				memcpy(pdu.dst_ipv6, ctx->dst, 16);
				pdu.present |= X2X3_HAS(X2X3_ATTR_SRC_IPV6) |
				    X2X3_HAS(X2X3_ATTR_DST_IPV6);
			}
			pdu.src_port = ctx->sport;
			pdu.dst_port = ctx->dport;
			pdu.ipproto = 17;
			pdu.present |= X2X3_HAS(X2X3_ATTR_SRC_PORT) | X2X3_HAS(X2X3_ATTR_DST_PORT) |
			    X2X3_HAS(X2X3_ATTR_IPPROTO);
		}
		cur_init(&pdu.payload, bld_data(&bld), bld_len(&bld));
		t->x2_events++;
		c->st.x2_events++;
		submit(c, t, 1, &pdu, none, none);
	}
}

static void
on_sess_event(const struct sess_event *ev, void *arg)
{
	struct poi_core *c = arg;
	const struct poi_match *m = session_match(c, ev->sess);
	if (m == NULL)
		return;
	uint8_t event;
	int has_cause = 0;
	switch (ev->type) {
	case SESS_EV_ACTIVATION:
		event = HI2_EV_BEARER_ACTIVATION;
		break;
	case SESS_EV_MODIFICATION:
		event = HI2_EV_BEARER_MODIFICATION;
		break;
	case SESS_EV_DEACTIVATION:
		event = HI2_EV_BEARER_DEACTIVATION;
		has_cause = ev->cause != 0;
		break;
	case SESS_EV_ACTIVATION_REJECTED:
		event = HI2_EV_BEARER_ACTIVATION;
		has_cause = 1;
		break;
	default:
		return;
	}
	uint64_t ts = ev->ctx != NULL ? ev->ctx->ts_ns : c->now_ns;
	emit_iri(c, m, ev->sess, ev->pdn, ev->bearer, event, ev->cause, has_cause, ev->ctx, ts);
}

/*
 * Whether task t names one of the identities session s is indexed under (the rule of
 * session_match, for a task that is no longer in the target index).
 */
static int
task_names_session(const struct poi_task *t, const struct sess_session *s)
{
	for (size_t j = 0; j < t->x1.ntargets; j++) {
		const struct x1_target *g = &t->x1.targets[j];
		enum poi_id_kind k = target_kind(g);
		const char *v = k == POI_ID_IMSI ? s->imsi : k == POI_ID_MSISDN ? s->msisdn : s->mei;
		enum sess_id_kind sk = (enum sess_id_kind)k;	/* same numbering */
		uint64_t key = poi_id_key(k, g->value, strlen(g->value));
		if (key != 0 && sess_holds_id(s, sk) && poi_id_key(k, v, strlen(v)) == key)
			return 1;
	}
	return 0;
}

/*
 * Task t was activated (old == NULL) or replaced old: a session t targets and old did not gets
 * startOfInterceptionWithActiveBearer for each of its active bearers (33.108).  Only t changed,
 * so only the holders of t's identities can gain a task: they come from the tracker's identity
 * index, and the work is O(targets of t), not O(sessions tracked) -- an X1 request does not
 * stall the capture of a full tracker.  Every other session re-matches lazily, at its next
 * message or packet, by the generation.
 */
static void
start_with_active_bearers(struct poi_core *c, struct poi_task *t, const struct poi_task *old)
{
	struct sess_session *cand[X1_MAX_TARGETS * SESS_ID_HOLDERS];
	size_t ncand = 0;

	for (size_t j = 0; j < t->x1.ntargets; j++) {
		const struct x1_target *g = &t->x1.targets[j];
		enum sess_id_kind k = (enum sess_id_kind)target_kind(g);
		struct sess_session *h[SESS_ID_HOLDERS];
		size_t n = sess_holders(c->tr, k, g->value, h);
		for (size_t i = 0; i < n; i++) {
			size_t d;
			for (d = 0; d < ncand && cand[d] != h[i]; d++)
				;
			if (d == ncand)
				cand[ncand++] = h[i];	/* a session named by two targets: once */
		}
	}
	for (size_t i = 0; i < ncand; i++) {
		struct sess_session *s = cand[i];
		const struct poi_match *now;
		struct poi_match fresh = {0};
		if (old != NULL && task_names_session(old, s))
			continue;	/* intercepted already, under the task's former targets */
		if ((now = session_match(c, s)) == NULL)
			continue;
		for (size_t k = 0; k < now->n; k++)
			if (now->m[k].task == t)
				fresh.m[fresh.n++] = now->m[k];
		if (fresh.n == 0)
			continue;
		for (const struct sess_pdn *p = sess_pdn_first(c->tr, s); p; p = sess_pdn_next(c->tr, p))
			for (const struct sess_bearer *b = sess_bearer_first(c->tr, p); b;
			    b = sess_bearer_next(c->tr, b))
				if (b->flags & SESS_BF_ACTIVE)
					emit_iri(c, &fresh, s, p, b, HI2_EV_START_WITH_ACTIVE_BEARER, 0, 0,
					    NULL, c->now_ns);
	}
}

/*
 * After a task change: t activated or modified (NULL if none), old replaced or deactivated
 * (NULL if none), or with rebuild the target index made again from every task.  The index is
 * updated by the changed tasks' identities alone, unless an identity could not be indexed
 * before (full: a removal may make room for it).  Then a new match generation, which every
 * cached match result (session and bearer) compares with.
 */
static void
tasks_changed(struct poi_core *c, struct poi_task *t, struct poi_task *old, int rebuild)
{
	c->st.task_changes++;
	if (rebuild || (old != NULL && c->targets_short)) {
		rebuild_targets(c);
	} else {
		if (old != NULL)
			index_task(c, old, 0);
		if (t != NULL)
			index_task(c, t, 1);
	}
	c->gen++;
	/* The match sets of the earlier generations are unreachable now. */
	arena_free(c->arena);
	c->arena = NULL;
	if (t != NULL)
		start_with_active_bearers(c, t, old);
	/* Replaced tasks were only needed for the comparison above. */
	for (size_t i = 0; i < c->ndoomed; i++)
		free(c->doomed[i]);
	c->ndoomed = 0;
}

static struct poi_task **
task_slot(struct poi_core *c, const uint8_t xid[16])
{
	for (size_t i = 0; i < c->ntasks; i++)
		if (memcmp(c->tasks[i]->xid, xid, 16) == 0)
			return &c->tasks[i];
	return NULL;
}

static void
forget_xid(struct poi_task *t)
{
	for (size_t i = 0; i < t->ndest; i++)
		if (t->dest[i]->sender != NULL)
			x2x3_sender_forget_xid(t->dest[i]->sender, t->xid);
}

/* Removes the task xid names; returns it (doomed: freed by tasks_changed), or NULL. */
static struct poi_task *
task_remove(struct poi_core *c, const uint8_t xid[16])
{
	struct poi_task **slot = task_slot(c, xid);
	if (slot == NULL)
		return NULL;
	struct poi_task *t = *slot;
	forget_xid(t);
	*slot = c->tasks[--c->ntasks];
	doom(c, t);
	return t;
}

/* Adds or replaces the task x names; *tp gets it and *oldp (may be NULL) the task it replaced,
 * kept (doomed) until tasks_changed.  Returns -1 when out of memory. */
static int
task_set(struct poi_core *c, const struct x1_task *x, struct poi_task **tp,
    struct poi_task **oldp)
{
	struct poi_task *t = task_new(c, x);
	if (t == NULL)
		return -1;
	*tp = t;
	if (oldp != NULL)
		*oldp = NULL;
	struct poi_task **slot = task_slot(c, x->xid);
	if (slot != NULL) {
		/* Keep the counters across a ModifyTask. */
		t->x2_events = (*slot)->x2_events;
		t->x3_packets = (*slot)->x3_packets;
		t->x3_bytes = (*slot)->x3_bytes;
		if (oldp != NULL)
			*oldp = *slot;
		doom(c, *slot);
		*slot = t;
		return 0;
	}
	if (ovt_grow_ptrs((void ***)&c->tasks, &c->captasks, c->ntasks + 1) < 0) {
		free(t);
		return -1;
	}
	c->tasks[c->ntasks++] = t;
	return 0;
}

/* ------------------------------------------------------------------ X1 hooks */

static void
x1_changed(void *arg, const struct x1_event *ev)
{
	struct poi_core *c = arg;
	char err[256], id[UUID_STRLEN + 1];

	switch (ev->type) {
	case X1_EV_TASK_ACTIVATED:
	case X1_EV_TASK_MODIFIED: {
		struct poi_task *t = NULL, *old = NULL;
		uuid_format(ev->task->xid, id);
		if (task_set(c, ev->task, &t, &old) < 0)
			log_warnx("task %s: out of memory, not applied", id);
		else
			log_info("task %s %s by %s", id,
			    ev->type == X1_EV_TASK_ACTIVATED ? "activated" : "modified",
			    ev->hdr ? ev->hdr->admf_id : "?");
		tasks_changed(c, t, old, 0);
		break;
	}
	case X1_EV_TASK_DEACTIVATED: {
		struct poi_task *gone;
		uuid_format(ev->task->xid, id);
		gone = task_remove(c, ev->task->xid);
		log_info("task %s deactivated", id);
		tasks_changed(c, NULL, gone, 0);
		break;
	}
	case X1_EV_ALL_TASKS_DEACTIVATED:
		while (c->ntasks > 0)
			task_remove(c, c->tasks[0]->xid);
		log_info("all tasks deactivated");
		tasks_changed(c, NULL, NULL, 1);
		break;
	case X1_EV_DEST_CREATED:
	case X1_EV_DEST_MODIFIED:
		uuid_format(ev->dest->did, id);
		if (dest_set(c, ev->dest, err, sizeof(err)) < 0)
			log_warnx("destination %s: %s", id, err);
		for (size_t i = 0; i < c->ntasks; i++)
			task_bind_dests(c, c->tasks[i]);
		break;
	case X1_EV_DEST_REMOVED:
		dest_remove(c, ev->dest->did);
		for (size_t i = 0; i < c->ntasks; i++)
			task_bind_dests(c, c->tasks[i]);
		break;
	}
}

static void
x1_dest_status(void *arg, const struct x1_dest *x, struct x1_dest_status *out)
{
	struct poi_core *c = arg;
	struct poi_dest *d = dest_find(c, x->did);
	struct x2x3_sender_stats ss;
	if (d == NULL || d->sender == NULL) {
		out->status = X1_DST_FAULT;
		return;
	}
	x2x3_sender_stats(d->sender, &ss);
	out->status = ss.up ? X1_DST_ACTIVE : X1_DST_FAULT;
}

/*
 * An ActivateTask or ModifyTask whose identity is already listed by POI_TARGETS_MAX_PER_ID other
 * tasks is refused with an X1 error, before anything changes: accepting it would leave the
 * warrant without interception and the ADMF believing otherwise.
 */
static int
x1_check_task(void *arg, enum x1_msg_type type, const struct x1_task *t, char *desc,
    size_t desclen)
{
	struct poi_core *c = arg;
	int code = type == X1_MODIFY_TASK ? X1_C_MODIFY_FAILED : X1_C_ACTIVATE_FAILED;

	for (size_t j = 0; j < t->ntargets; j++) {
		const struct x1_target *g = &t->targets[j];
		uint64_t key = poi_id_key(target_kind(g), g->value, strlen(g->value));
		void *const *found;
		size_t n, others;
		if (key == 0) {
			snprintf(desc, desclen, "target %zu cannot be matched", j + 1);
			return code;
		}
		n = poi_targets_find(c->targets, key, &found);
		others = n;
		for (size_t i = 0; i < n; i++)
			if (memcmp(((const struct poi_task *)found[i])->xid, t->xid, 16) == 0)
				others--;	/* the task being modified */
		/* Never the value: X1 answers travel to the ADMF and into logs. */
		if (others >= POI_TARGETS_MAX_PER_ID) {
			snprintf(desc, desclen, "target %zu is already named by %d active tasks, "
			    "the most this POI matches per identity", j + 1,
			    POI_TARGETS_MAX_PER_ID);
			return code;
		}
	}
	return 0;
}

void
poi_core_x1_hooks(struct poi_core *c, struct x1_hooks *out)
{
	memset(out, 0, sizeof(*out));
	out->check_task = x1_check_task;
	out->changed = x1_changed;
	out->dest_status = x1_dest_status;
	out->arg = c;
}

/* ------------------------------------------------------------------ packets */

static void
on_gpdu(struct poi_core *c, const struct pkt_info *pi, const struct gtpu_hdr *g,
    struct ovt_cursor gtpu_msg)
{
	struct sess_up_hit hit;
	if (!sess_up_lookup(c->tr, pi->ipver, pi->dst, g->teid,
	    (uint32_t)(c->now_ns / 1000000000ULL), &hit)) {
		c->st.gpdu_unknown_teid++;
		return;
	}
	c->st.gpdu_matched++;
	/* Most G-PDUs belong to no target: the bearer caches that per match generation, so
	 * they cost no read of the session (one memory access less per packet at scale).  It
	 * mirrors session_match, which is constant within a generation. */
	if (hit.bearer->nomatch_gen == c->gen)
		return;
	const struct poi_match *m = session_match(c, hit.sess);
	if (m == NULL) {
		hit.bearer->nomatch_gen = c->gen;
		return;
	}
	/* A probe on both S1-U and S5/S8-U sees most user packets twice.  The POI plays the
	 * S-GW's interception point: where the bearer has an S1-U leg, that leg is the one
	 * delivered (uplink as it enters the S-GW, downlink as it leaves); S5/S8-U packets are
	 * delivered only for bearers without S1-U (a probe on S5/S8 alone, or a P-GW view). */
	if ((hit.role == SESS_UP_S5U_SGW || hit.role == SESS_UP_S5U_PGW) &&
	    (hit.bearer->up[SESS_UP_S1U_SGW].flags != 0)) {
		c->st.gpdu_other_leg++;
		return;
	}

	struct pkt_info inner;
	const uint8_t *ip = cur_data(&g->payload);
	size_t iplen = cur_len(&g->payload);
	/* A T-PDU that is not a clean IP packet is still intercepted (content of communication
	 * is delivered as seen); only the 5-tuple attributes need a decoded header. */
	memset(&inner, 0, sizeof(inner));
	enum pkt_err ie = pkt_decode_ip(ip, iplen, &inner);
	int have_inner = inner.ipver == 4 || inner.ipver == 6;
	int have_ports = ie == PKT_OK;
	for (size_t i = 0; i < m->n; i++) {
		struct poi_task *t = m->m[i].task;
		if (!(t->delivery & 2))
			continue;
		struct x2x3_pdu pdu;
		char mti[32];
		pdu_common(c, &pdu, t, hit.pdn->id, c->now_ns);
		pdu.direction = hit.dir;
		size_t ml = mti_format(hit.sess, m->m[i].kind, mti, sizeof(mti));
		cur_init(&pdu.mti, mti, ml);
		pdu.present |= X2X3_HAS(X2X3_ATTR_MTI);
		if (have_inner) {
			if (inner.ipver == 4) {
				memcpy(pdu.src_ipv4, inner.src, 4);
				memcpy(pdu.dst_ipv4, inner.dst, 4);
				pdu.present |= X2X3_HAS(X2X3_ATTR_SRC_IPV4) |
				    X2X3_HAS(X2X3_ATTR_DST_IPV4);
			} else {
				memcpy(pdu.src_ipv6, inner.src, 16);
				memcpy(pdu.dst_ipv6, inner.dst, 16);
				pdu.present |= X2X3_HAS(X2X3_ATTR_SRC_IPV6) |
				    X2X3_HAS(X2X3_ATTR_DST_IPV6);
			}
			pdu.ipproto = inner.proto;
			pdu.present |= X2X3_HAS(X2X3_ATTR_IPPROTO);
			if (have_ports && (inner.proto == 6 || inner.proto == 17 ||
			    inner.proto == 132)) {
				pdu.src_port = inner.sport;
				pdu.dst_port = inner.dport;
				pdu.present |= X2X3_HAS(X2X3_ATTR_SRC_PORT) |
				    X2X3_HAS(X2X3_ATTR_DST_PORT);
			}
		}
		struct ovt_cursor in_ip;
		cur_init(&in_ip, ip, iplen);
		t->x3_packets++;
		t->x3_bytes += iplen;
		c->st.x3_packets++;
		submit(c, t, 2, &pdu, gtpu_msg, in_ip);
	}
}

/* A UDP datagram from the capture (whole, or reassembled from fragments): GTP-U, GTPv2-C or
 * neither, by port. */
static void
udp_in(struct poi_core *c, const struct pkt_info *pi)
{
	const uint8_t *p = cur_data(&pi->payload);
	size_t len = cur_len(&pi->payload);

	if (pi->dport == GTPU_PORT || (pi->sport == GTPU_PORT && pi->dport != GTPC_PORT)) {
		struct gtpu_hdr g;
		size_t trailing;
		enum gtp_err ge = gtpu_parse(p, len, &g, &trailing);
		if (ge != GTP_OK) {
			c->st.gtpu_err[ge]++;
			return;
		}
		c->st.gtpu++;
		if (g.type != GTPU_GPDU) {
			c->st.gtpu_other++;
			return;
		}
		struct ovt_cursor msg;
		cur_init(&msg, p, len - trailing);
		on_gpdu(c, pi, &g, msg);
		return;
	}
	if (pi->dport == GTPC_PORT || pi->sport == GTPC_PORT) {
		struct sess_msgctx ctx;
		enum sess_rc rc;
		ctx.ts_ns = c->now_ns;
		ctx.af = pi->ipver;
		memcpy(ctx.src, pi->src, 16);
		memcpy(ctx.dst, pi->dst, 16);
		ctx.sport = pi->sport;
		ctx.dport = pi->dport;
		enum gtp_err ge = sess_gtpc_udp(c->tr, p, len, &ctx, &rc);
		if (ge != GTP_OK)
			c->st.gtpc_err[ge]++;
		else
			c->st.gtpc++;
		return;
	}
	c->st.not_gtp_port++;
}

/* An outer IP fragment: held until its datagram is whole, which then goes down the same path
 * as an unfragmented frame, with the capture time of the piece that completed it. */
static void
fragment_in(struct poi_core *c, const struct pkt_info *pi)
{
	struct pkt_frag_out fo;
	struct pkt_info whole;
	enum pkt_frag_rc rc;
	enum pkt_err pe;

	c->st.fragments++;
	/* Only UDP can be GTP: other protocols are not worth the reassembler's memory. */
	if (pi->proto != 17) {
		c->st.pkt.n[PKT_E_NOT_UDP]++;
		return;
	}
	rc = pkt_frag_add(c->frag, cur_data(&pi->ip), cur_len(&pi->ip), c->now_ns, &fo);
	c->st.frag = *pkt_frag_stats(c->frag);
	if (rc != PKT_FRAG_COMPLETE)
		return;
	pe = pkt_decode_ip(fo.ip, fo.len, &whole);
	if (pe == PKT_OK && whole.proto != 17)
		pe = PKT_E_NOT_UDP;
	if (pe != PKT_OK) {
		c->st.pkt.n[pe]++;
		return;
	}
	udp_in(c, &whole);
}

void
poi_core_frame(struct poi_core *c, int linktype, const struct pcap_pkthdr *h,
    const uint8_t *data)
{
	struct pkt_info pi;
	enum pkt_err pe;

	c->st.frames++;
	c->st.bytes += h->caplen;
	/* Captures are opened with nanosecond precision (poi_capture.c). */
	c->now_ns = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;

	pe = pkt_decode(linktype, data, h->caplen, &pi);
	if (pe == PKT_E_FRAGMENT)
		fragment_in(c, &pi);
	else if (pe != PKT_OK)
		c->st.pkt.n[pe]++;
	else
		udp_in(c, &pi);
}

void
poi_core_tick(struct poi_core *c, uint64_t now_ns)
{
	/* A budget keeps one tick short even with millions of sessions. */
	sess_sweep(c->tr, now_ns, 65536);
	/* Incomplete datagrams time out even when no fragment arrives to trigger it. */
	(void)pkt_frag_expire(c->frag, now_ns);
	c->st.frag = *pkt_frag_stats(c->frag);
}

/* ------------------------------------------------------------------ life cycle */

static int
load_dest(void *arg, const struct x1_dest *x, const struct x1_store_meta *meta)
{
	struct poi_core *c = arg;
	char err[256], id[UUID_STRLEN + 1];
	if (dest_set(c, x, err, sizeof(err)) < 0) {
		uuid_format(x->did, id);
		log_warnx("destination %s: %s", id, err);
	}
	return 0;
}

static int
load_task(void *arg, const struct x1_task *x, const struct x1_store_meta *meta)
{
	struct poi_core *c = arg;
	struct poi_task *t;
	return task_set(c, x, &t, NULL) < 0 ? -1 : 0;
}

struct poi_core *
poi_core_new(const struct poi_config *cfg, struct ev_loop *loop, struct tls_ctx *tls,
    struct x1_store *store, char *err, size_t errlen)
{
	struct poi_core *c = calloc(1, sizeof(*c));
	struct sess_config sc;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->cfg = cfg;
	c->loop = loop;
	c->tls = tls;
	c->store = store;
	c->gen = 1;
	sess_config_init(&sc);
	sc.max_sessions = (uint32_t)cfg->sess_max;
	sc.max_pdns = (uint32_t)(cfg->sess_max * 2);
	sc.max_bearers = (uint32_t)(cfg->sess_max * 3);
	sc.idle_timeout_s = cfg->sess_idle_s;
	if ((c->tr = sess_new(&sc, on_sess_event, c)) == NULL ||
	    (c->targets = poi_targets_new()) == NULL) {
		snprintf(err, errlen, "cannot allocate the session tracker for %" PRIu64
		    " sessions", cfg->sess_max);
		poi_core_free(c);
		return NULL;
	}
	/* A zero field (a config built by hand rather than parsed) takes the default. */
	struct pkt_frag_config fc, def;
	const char *why = NULL;
	fc = cfg->frag;
	pkt_frag_config_init(&def);
	fc.max_datagrams = fc.max_datagrams ? fc.max_datagrams : def.max_datagrams;
	fc.max_fragments = fc.max_fragments ? fc.max_fragments : def.max_fragments;
	fc.max_datagram = fc.max_datagram ? fc.max_datagram : def.max_datagram;
	fc.max_bytes = fc.max_bytes ? fc.max_bytes : def.max_bytes;
	fc.timeout_ns = fc.timeout_ns ? fc.timeout_ns : def.timeout_ns;
	if ((c->frag = pkt_frag_new(&fc, &why)) == NULL) {
		snprintf(err, errlen, "IP reassembly: %s", why);
		poi_core_free(c);
		return NULL;
	}
	if (store != NULL) {
		enum x1_store_err se;
		if ((se = x1_store_dest_foreach(store, load_dest, c)) != X1S_OK ||
		    (se = x1_store_task_foreach(store, load_task, c)) != X1S_OK) {
			snprintf(err, errlen, "loading tasks: %s", x1_store_strerror(se));
			poi_core_free(c);
			return NULL;
		}
		if (c->ntasks > 0)
			tasks_changed(c, NULL, NULL, 1);	/* nothing tracked yet: nothing to start */
	}
	return c;
}

void
poi_core_free(struct poi_core *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->ndests; i++) {
		dest_close(c->dests[i]);
		free(c->dests[i]);
	}
	for (size_t i = 0; i < c->ntasks; i++)
		free(c->tasks[i]);
	for (size_t i = 0; i < c->ndoomed; i++)
		free(c->doomed[i]);
	free(c->dests);
	free(c->tasks);
	free(c->doomed);
	arena_free(c->arena);
	free(c->intercepted.slots);
	if (c->tr != NULL)
		sess_free(c->tr);
	poi_targets_free(c->targets);
	pkt_frag_free(c->frag);
	free(c);
}

uint64_t
poi_core_queued(const struct poi_core *c)
{
	uint64_t q = 0;
	struct x2x3_sender_stats ss;
	for (size_t i = 0; i < c->ndests; i++) {
		if (c->dests[i]->sender == NULL)
			continue;
		x2x3_sender_stats(c->dests[i]->sender, &ss);
		q += ss.queued_pdus;
	}
	return q;
}

const struct poi_stats *
poi_core_stats(const struct poi_core *c)
{
	return &c->st;
}

const struct sess_stats *
poi_core_sess_stats(const struct poi_core *c)
{
	return sess_stats(c->tr);
}

void
poi_core_sess_memory(const struct poi_core *c, struct sess_mem *out)
{
	sess_memory(c->tr, out);
}

size_t
poi_core_ntasks(const struct poi_core *c)
{
	return c->ntasks;
}

void
poi_core_summary(const struct poi_core *c, FILE *f)
{
	const struct poi_stats *s = &c->st;
	const struct sess_stats *ss = sess_stats(c->tr);
	struct sess_mem mem;
	sess_memory(c->tr, &mem);

	fprintf(f, "frames                 %" PRIu64 " (%" PRIu64 " bytes)\n", s->frames, s->bytes);
	fprintf(f, "GTPv2-C messages       %" PRIu64 "\n", s->gtpc);
	fprintf(f, "GTP-U messages         %" PRIu64 " (G-PDU on tracked bearers %" PRIu64
	    ", unknown TEID %" PRIu64 ")\n", s->gtpu, s->gpdu_matched, s->gpdu_unknown_teid);
	fprintf(f, "subscribers tracked    %" PRIu64 " (now %u, PDN connections %" PRIu64
	    ", bearers %" PRIu64 ")\n", ss->sessions_created, ss->sessions, ss->pdns_created,
	    ss->bearers_created);
	/* The tables are reserved up front so that the hot path never allocates; the kernel backs
	 * their pages only as subscribers arrive, so resident memory follows the real load. */
	fprintf(f, "session memory         %zu MiB reserved for %zu subscribers (%zu bytes each,"
	    " room for 2 PDN connections and 3 bearers; session %zu, PDN %zu, bearer %zu)\n",
	    mem.reserved >> 20, mem.max_sessions, mem.reserved / mem.max_sessions,
	    mem.session_size, mem.pdn_size, mem.bearer_size);
	/* The reassembler is also reserved up front (pkt_frag.h): its bound, stated here. */
	const struct pkt_frag_config *fc = pkt_frag_config(c->frag);
	fprintf(f, "IP fragments           %" PRIu64 " (datagrams reassembled %" PRIu64
	    ", in progress %u, exact duplicates %" PRIu64 ", dropped %" PRIu64 ")\n",
	    s->fragments, s->frag.n[PKT_FRAG_COMPLETE], s->frag.in_flight,
	    s->frag.n[PKT_FRAG_DUPLICATE], s->frag.drops);
	fprintf(f, "reassembly memory      %.1f MiB reserved (%u datagrams of up to %u octets in"
	    " flight, %u fragments each, %" PRIu64 " KiB of fragment storage, peak %" PRIu64
	    " KiB; timeout %" PRIu64 " s)\n", (double)pkt_frag_memory(c->frag) / (1 << 20),
	    fc->max_datagrams, fc->max_datagram, fc->max_fragments, fc->max_bytes >> 10,
	    s->frag.peak_bytes >> 10, (uint64_t)(fc->timeout_ns / 1000000000ULL));
	fprintf(f, "tasks                  %zu\n", c->ntasks);
	fprintf(f, "target sessions        %" PRIu64 "\n", s->target_sessions);
	fprintf(f, "X2 events              %" PRIu64 "\n", s->x2_events);
	fprintf(f, "X3 packets             %" PRIu64 "\n", s->x3_packets);
	fprintf(f, "PDUs queued/refused    %" PRIu64 " / %" PRIu64 " (no destination %" PRIu64
	    ")\n", s->x2x3_submitted, s->x2x3_refused, s->no_destination);
	for (int i = 1; i < PKT_E__COUNT; i++)
		if (s->pkt.n[i])
			fprintf(f, "refused frame          %s: %" PRIu64 "\n",
			    pkt_strerror((enum pkt_err)i), s->pkt.n[i]);
	for (int i = 0; i < PKT_FRAG__COUNT; i++)
		if (pkt_frag_is_drop((enum pkt_frag_rc)i) && s->frag.n[i])
			fprintf(f, "refused fragment       %s: %" PRIu64 "\n",
			    pkt_frag_strerror((enum pkt_frag_rc)i), s->frag.n[i]);
	for (int i = 1; i < GTP_E__COUNT; i++) {
		if (s->gtpc_err[i])
			fprintf(f, "refused GTPv2-C        %s: %" PRIu64 "\n",
			    gtp_strerror((enum gtp_err)i), s->gtpc_err[i]);
		if (s->gtpu_err[i])
			fprintf(f, "refused GTP-U          %s: %" PRIu64 "\n",
			    gtp_strerror((enum gtp_err)i), s->gtpu_err[i]);
	}
	for (int i = 1; i < SESS_RC__COUNT; i++)
		if (ss->rc[i])
			fprintf(f, "GTPv2-C not applied    %s: %" PRIu64 "\n",
			    sess_rc_str((enum sess_rc)i), ss->rc[i]);
	if (s->not_gtp_port)
		fprintf(f, "UDP not on GTP ports   %" PRIu64 "\n", s->not_gtp_port);
	if (ss->id_evicted)
		fprintf(f, "identity index         %" PRIu64 " sessions left it (more than %d held "
		    "one identity; the oldest are no longer matched by it)\n", ss->id_evicted,
		    SESS_ID_HOLDERS);
	for (size_t i = 0; i < c->ntasks; i++)
		fprintf(f, "task %s  X2 %" PRIu64 "  X3 %" PRIu64 " packets %" PRIu64 " bytes\n",
		    c->tasks[i]->xid_str, c->tasks[i]->x2_events, c->tasks[i]->x3_packets,
		    c->tasks[i]->x3_bytes);
	for (size_t i = 0; i < c->ndests; i++) {
		struct x2x3_sender_stats ds;
		char id[UUID_STRLEN + 1];
		uuid_format(c->dests[i]->did, id);
		if (c->dests[i]->sender == NULL) {
			fprintf(f, "destination %s %s:%u  not usable\n", id, c->dests[i]->host,
			    c->dests[i]->port);
			continue;
		}
		x2x3_sender_stats(c->dests[i]->sender, &ds);
		fprintf(f, "destination %s %s:%u  sent %" PRIu64 "  queued %" PRIu64
		    "  dropped (overflow) %" PRIu64 "  reconnects %" PRIu64 "\n", id,
		    c->dests[i]->host, c->dests[i]->port, ds.sent, ds.queued_pdus,
		    ds.dropped_overflow, ds.connects > 0 ? ds.connects - 1 : 0);
	}
}
