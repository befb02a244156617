/*
 * MDF core: X1 tasks and destinations -> routes; X2/X3 PDUs -> streams (see mdf_core.h).
 *
 * The per-PDU path: one connection-table lookup (cached), one XID hash lookup, one decode of
 * the payload, two SipHash computations (fingerprint and CIN), then per route a recent-set
 * probe, a counter lookup and the PS-PDU encoded into the stream's batch buffer.  Nothing is
 * allocated per PDU.
 */
#include "mdf/mdf_core_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/grow.h"

/* ------------------------------------------------------------------ logging helpers */

void
mdf_core_note(struct mdf_core *c, int alarm, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (alarm) {
		c->st.alarms++;
		if (c->log.alarm != NULL)
			c->log.alarm(c->log.arg, msg);
	} else if (c->log.info != NULL) {
		c->log.info(c->log.arg, msg);
	}
}

/* ------------------------------------------------------------------ streams */

static void
stream_event(void *arg, struct mdf_stream *s, enum mdf_stream_event ev, const char *detail)
{
	struct mdf_core *c = arg;
	const char *id = mdf_stream_id(s);

	switch (ev) {
	case MDF_SEV_CONNECTED:
		mdf_core_note(c, 0, "stream %s: LEMF connected (%s)", id, detail);
		break;
	case MDF_SEV_CONNECT_FAILED:
		/* Every failed attempt would flood the log during an outage; the first one
		 * after a working connection is the news. */
		for (size_t i = 0; i < c->ndests; i++)
			for (int k = 0; k < 2; k++)
				if (c->dests[i]->stream[k] == s && c->dests[i]->was_up[k]) {
					c->dests[i]->was_up[k] = 0;
					mdf_core_note(c, 0, "stream %s: LEMF unreachable: %s", id, detail);
				}
		break;
	case MDF_SEV_DISCONNECTED:
		mdf_core_note(c, 0, "stream %s: LEMF connection lost: %s", id, detail);
		break;
	case MDF_SEV_SPOOL_FULL:
		mdf_core_note(c, 1, "ALARM stream %s: spool full (bound reached): %s", id, detail);
		break;
	case MDF_SEV_SPOOL_OK:
		mdf_core_note(c, 0, "stream %s: spool accepting again (%s)", id, detail);
		break;
	case MDF_SEV_SPOOL_ERROR:
		mdf_core_note(c, 1, "ALARM stream %s: spool: %s", id, detail);
		break;
	case MDF_SEV_LOST:
		mdf_core_note(c, 1, "ALARM stream %s: damaged spool, %s (the LEMF sees the gap)", id,
		    detail);
		break;
	case MDF_SEV_BAD_RECORD:
		mdf_core_note(c, 1, "ALARM stream %s: unreadable spool record: %s", id, detail);
		break;
	}
	if (ev == MDF_SEV_CONNECTED)
		for (size_t i = 0; i < c->ndests; i++)
			for (int k = 0; k < 2; k++)
				if (c->dests[i]->stream[k] == s)
					c->dests[i]->was_up[k] = 1;
}

static struct mdf_stream *
stream_open(struct mdf_core *c, struct mdf_dest *d, enum mdf_kind kind, char *err,
    size_t errlen)
{
	const struct mdf_config *cfg = c->cfg;
	const struct mdf_destpol *pol = mdf_config_destpol(cfg, d->host, d->port);
	struct mdf_stream_config sc;
	char id[MDF_STREAM_ID_MAX], dir[MDF_PATH_MAX + MDF_STREAM_ID_MAX + 2];

	snprintf(id, sizeof(id), "%s-%s", d->did_str, kind == MDF_HI2 ? "hi2" : "hi3");
	if (snprintf(dir, sizeof(dir), "%s/%s", cfg->spool_dir, id) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "spool directory name too long");
		return NULL;
	}
	memset(&sc, 0, sizeof(sc));
	sc.id = id;
	sc.kind = kind;
	sc.spool_dir = dir;
	sc.spool = cfg->spool;
	sc.max_pdu = cfg->max_pdu;
	sc.dedup_window = cfg->dedup_window;
	sc.hdr = &c->hdr;
	sc.keepalive_liid = cfg->keepalive_liid;
	sc.addr = d->host;
	sc.port = d->port;
	sc.insecure_plaintext = pol != NULL && pol->insecure_plaintext;
	sc.tls = sc.insecure_plaintext ? NULL : c->hi_tls;
	sc.tls_name = pol != NULL && pol->tls_name[0] ? pol->tls_name : NULL;
	sc.ack = pol != NULL ? pol->ack : MDF_ACK_KEEPALIVE;
	sc.keepalive_ms = cfg->keepalive_ms;
	sc.keepalive_timeout_ms = cfg->keepalive_timeout_ms;
	sc.ack_interval_ms = cfg->ack_interval_ms;
	sc.connect_timeout_ms = cfg->connect_timeout_ms;
	sc.backoff_min_ms = cfg->backoff_min_ms;
	sc.backoff_max_ms = cfg->backoff_max_ms;
	sc.tap_dir = cfg->tap_dir;
	sc.on_event = stream_event;
	sc.arg = c;
	if (!sc.insecure_plaintext && sc.tls == NULL) {
		snprintf(err, errlen, "stream %s: no TLS context for HI delivery", id);
		return NULL;
	}
	return mdf_stream_open(c->loop, &c->env, &sc, err, errlen);
}

/* ------------------------------------------------------------------ sequence counters */

/* The counter of (liid, cin): from memory, else from the database, else new at 0.  NULL with
 * *why set when it cannot be had. */
static struct mdf_cin *
counter(struct mdf_core *c, const uint8_t *liid, size_t liid_len, uint32_t cin,
    enum mdf_drop *why)
{
	struct mdf_cin *e = mdf_seqtab_find(c->seq, liid, liid_len, cin);
	struct hi2_pshdr h;
	uint32_t next = 0;
	enum hi2_err he;

	if (e != NULL)
		return e;
	switch (mdf_state_seq_get(c->state, liid, liid_len, cin, &next)) {
	case MDF_ST_OK:
		c->st.cin_db_loads++;
		break;
	case MDF_ST_NOT_FOUND:
		next = 0;
		break;
	default:
		*why = MDF_DROP_STATE;
		return NULL;
	}
	/* At the bound: every clean counter may go (its value is in the database). */
	if (mdf_seqtab_count(c->seq) >= mdf_seqtab_max(c->seq))
		c->st.cin_evictions += mdf_seqtab_evict(c->seq, UINT64_MAX, 0);
	h = c->hdr;
	h.liid.p = liid;
	h.liid.len = liid_len;
	h.cin = cin;
	h.seq = next;
	if ((e = mdf_seqtab_add(c->seq, &h, &he)) == NULL) {
		*why = he != HI2_OK ? MDF_DROP_ENCODE : MDF_DROP_CIN_FULL;
		return NULL;
	}
	return e;
}

/* counter() behind a small direct-mapped cache: the per-PDU lookup without hashing the LIID.
 * An entry is used only while the table has removed nothing since it was stored (so the
 * counter is still live) and when its own LIID and CIN are the ones asked for. */
static struct mdf_cin *
counter_cached(struct mdf_core *c, const uint8_t *liid, size_t liid_len, uint32_t cin,
    enum mdf_drop *why)
{
	size_t h = cin ^ (cin >> 8) ^ liid_len ^ (liid_len > 0 ? liid[liid_len - 1] : 0);
	struct ctr_cache *k = &c->ctrs[h & (CTR_CACHE - 1)];
	uint64_t removals = mdf_seqtab_removals(c->seq);
	struct mdf_cin *e = k->e;

	if (e != NULL && k->removals == removals && e->hs.hdr.cin == cin &&
	    e->hs.hdr.liid.len == liid_len && memcmp(e->hs.liid, liid, liid_len) == 0)
		return e;
	if ((e = counter(c, liid, liid_len, cin, why)) != NULL) {
		/* counter() may have evicted: read the count after it. */
		k->e = e;
		k->removals = mdf_seqtab_removals(c->seq);
	}
	return e;
}

/* Recovery: a committed record says the next number of (LIID, CIN) is at least q->next. */
static int
roll(void *arg, const struct mdf_rec_seq *q)
{
	struct mdf_core *c = arg;
	enum mdf_drop why;
	struct mdf_cin *e = counter(c, q->liid, q->liid_len, q->cin, &why);

	if (e == NULL)
		return -1;
	if ((int32_t)(q->next - e->hs.hdr.seq) > 0)
		e->hs.hdr.seq = q->next;
	e->last_used = ev_now_ms();
	return 0;
}

/* ------------------------------------------------------------------ destinations */

static struct mdf_dest *
dest_find(struct mdf_core *c, const uint8_t did[16])
{
	for (size_t i = 0; i < c->ndests; i++)
		if (memcmp(c->dests[i]->did, did, 16) == 0)
			return c->dests[i];
	return NULL;
}

static void
dest_close_stream(struct mdf_core *c, struct mdf_dest *d, int k)
{
	if (d->stream[k] == NULL)
		return;
	uint64_t pending = mdf_stream_pending(d->stream[k]);
	if (pending > 0)
		mdf_core_note(c, 0, "stream %s closed with %" PRIu64 " records undelivered (kept in its "
		    "spool; delivered if the destination is created again)",
		    mdf_stream_id(d->stream[k]), pending);
	mdf_stream_close(d->stream[k]);
	d->stream[k] = NULL;
	d->was_up[k] = 0;
}

/* Creates or updates d's streams from x.  Errors are logged as alarms: the destination
 * exists in X1, and GetDestinationDetails reports it as deliveryFault. */
static void
dest_apply(struct mdf_core *c, struct mdf_dest *d, const struct x1_dest *x)
{
	const struct mdf_destpol *pol;
	char err[256];
	int moved;

	char host[INET6_ADDRSTRLEN];
	inet_ntop(x->family == X1_AF_IPV6 ? AF_INET6 : AF_INET, x->addr, host, sizeof(host));
	moved = strcmp(host, d->host) != 0 || x->port != d->port;
	snprintf(d->host, sizeof(d->host), "%s", host);
	d->port = x->port;
	d->delivery = x1_delivery_bits(x->delivery);
	pol = mdf_config_destpol(c->cfg, d->host, d->port);
	for (int k = 0; k < 2; k++) {
		enum mdf_kind kind = k == 0 ? MDF_HI2 : MDF_HI3;
		if (!(d->delivery & (1u << k))) {
			dest_close_stream(c, d, k);
			continue;
		}
		if (d->stream[k] != NULL) {
			int plain = pol != NULL && pol->insecure_plaintext;
			if (moved && mdf_stream_set_peer(d->stream[k], d->host, d->port, plain,
			    plain ? NULL : c->hi_tls,
			    pol != NULL && pol->tls_name[0] ? pol->tls_name : NULL,
			    pol != NULL ? pol->ack : MDF_ACK_KEEPALIVE) != 0)
				mdf_core_note(c, 1, "ALARM destination %s: new address not usable",
				    d->did_str);
			continue;
		}
		if ((d->stream[k] = stream_open(c, d, kind, err, sizeof(err))) == NULL)
			mdf_core_note(c, 1, "ALARM destination %s: %s", d->did_str, err);
	}
}

static int
dest_set(struct mdf_core *c, const struct x1_dest *x)
{
	struct mdf_dest *d = dest_find(c, x->did);
	if (d == NULL) {
		if (ovt_grow_ptrs((void ***)&c->dests, &c->capdests, c->ndests + 1) < 0 ||
		    (d = calloc(1, sizeof(*d))) == NULL)
			return -1;
		memcpy(d->did, x->did, 16);
		uuid_format(d->did, d->did_str);
		c->dests[c->ndests++] = d;
	}
	dest_apply(c, d, x);
	return 0;
}

static void
dest_remove(struct mdf_core *c, const uint8_t did[16])
{
	for (size_t i = 0; i < c->ndests; i++) {
		if (memcmp(c->dests[i]->did, did, 16) != 0)
			continue;
		dest_close_stream(c, c->dests[i], 0);
		dest_close_stream(c, c->dests[i], 1);
		free(c->dests[i]);
		c->dests[i] = c->dests[--c->ndests];
		return;
	}
}

/* ------------------------------------------------------------------ tasks and routes */

/* X1 QualifiedMicrosecondDateTime (validated by the X1 parser) -> seconds since 1970. */
static int64_t
x1_time(const char *s)
{
	struct tm tm;
	int v[6], pos[6] = {0, 5, 8, 11, 14, 17}, len[6] = {4, 2, 2, 2, 2, 2};
	size_t n = strlen(s), z;

	if (n < 20)
		return 0;
	for (int i = 0; i < 6; i++) {
		v[i] = 0;
		for (int j = 0; j < len[i]; j++)
			v[i] = v[i] * 10 + (s[pos[i] + j] - '0');
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	int64_t t = (int64_t)timegm(&tm);
	/* Zone: "Z" or "+hh:mm"/"-hh:mm" after the fraction. */
	for (z = 19; z < n && s[z] != 'Z' && s[z] != '+' && s[z] != '-'; z++)
		;
	if (z + 6 <= n && (s[z] == '+' || s[z] == '-')) {
		int off = ((s[z + 1] - '0') * 10 + (s[z + 2] - '0')) * 3600 +
		    ((s[z + 4] - '0') * 10 + (s[z + 5] - '0')) * 60;
		t += s[z] == '+' ? -off : off;
	}
	return t;
}

static void
task_routes(struct mdf_core *c, struct mdf_task *t, const struct x1_task *x)
{
	t->nroutes = 0;
	for (size_t m = 0; m < x->nmed; m++) {
		const struct x1_mediation *md = &x->med[m];
		unsigned want = x1_delivery_bits(md->delivery);
		for (size_t i = 0; i < md->ndids; i++) {
			struct mdf_dest *d = dest_find(c, md->dids[i]);
			if (d == NULL)
				continue;
			for (int k = 0; k < 2; k++) {
				if (!(want & d->delivery & (1u << k)) || t->nroutes == MAX_ROUTES)
					continue;
				struct mdf_route *r = &t->routes[t->nroutes++];
				r->kind = k == 0 ? MDF_HI2 : MDF_HI3;
				r->liid_len = (uint8_t)strlen(md->liid);
				memcpy(r->liid, md->liid, r->liid_len);
				r->start = md->start[0] ? x1_time(md->start) : 0;
				r->end = md->end[0] ? x1_time(md->end) : 0;
				r->liid_tag = mdf_siphash(c->key, r->liid, r->liid_len);
				r->dest = d;
			}
		}
	}
}

/* The fingerprint a stream records for this route's copy of a PDU: the POI resend of the
 * same PDU for the same LIID gives the same value (a duplicate), another LIID another one.
 * Zero stays zero (no fingerprint: never deduplicated) and no other value becomes zero. */
static inline uint64_t
route_fp(uint64_t fp, const struct mdf_route *r)
{
	uint64_t v = fp ^ r->liid_tag;
	return fp == 0 ? 0 : v != 0 ? v : 1;
}

static void
index_rebuild(struct mdf_core *c)
{
	size_t slots = 16;
	while (slots < 2 * c->ntasks)
		slots <<= 1;
	struct mdf_task **n = calloc(slots, sizeof(*n));
	if (n == NULL) {
		/* Keep the old index (stale by one change) rather than none; logged. */
		mdf_core_note(c, 1, "ALARM out of memory rebuilding the task index");
		return;
	}
	free(c->index);
	c->index = n;
	c->index_mask = slots - 1;
	for (size_t i = 0; i < c->ntasks; i++) {
		size_t h;
		memcpy(&h, c->tasks[i]->xid, sizeof(h));	/* v4 UUIDs: random bits */
		h &= c->index_mask;
		while (n[h] != NULL)
			h = (h + 1) & c->index_mask;
		n[h] = c->tasks[i];
	}
}

static struct mdf_task *
task_find(const struct mdf_core *c, const uint8_t xid[16])
{
	size_t h;
	if (c->index == NULL)
		return NULL;
	memcpy(&h, xid, sizeof(h));
	for (h &= c->index_mask; c->index[h] != NULL; h = (h + 1) & c->index_mask)
		if (memcmp(c->index[h]->xid, xid, 16) == 0)
			return c->index[h];
	return NULL;
}

static struct mdf_task **
task_slot(struct mdf_core *c, const uint8_t xid[16])
{
	for (size_t i = 0; i < c->ntasks; i++)
		if (memcmp(c->tasks[i]->xid, xid, 16) == 0)
			return &c->tasks[i];
	return NULL;
}

static int
task_set(struct mdf_core *c, const struct x1_task *x)
{
	struct mdf_task **slot = task_slot(c, x->xid);
	struct mdf_task *t = slot != NULL ? *slot : calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	if (slot == NULL) {
		if (ovt_grow_ptrs((void ***)&c->tasks, &c->captasks, c->ntasks + 1) < 0) {
			free(t);
			return -1;
		}
		memcpy(t->xid, x->xid, 16);
		uuid_format(t->xid, t->xid_str);
		c->tasks[c->ntasks++] = t;
	}
	task_routes(c, t, x);
	return 0;
}

static void
task_remove(struct mdf_core *c, const uint8_t xid[16])
{
	struct mdf_task **slot = task_slot(c, xid);
	if (slot == NULL)
		return;
	free(*slot);
	*slot = c->tasks[--c->ntasks];
}

/* Routes point at destinations: recompute every task's after a destination change. */
static int
reroute_one(void *arg, const struct x1_task *x, const struct x1_store_meta *meta)
{
	struct mdf_core *c = arg;
	struct mdf_task **slot = task_slot(c, x->xid);
	if (slot != NULL)
		task_routes(c, *slot, x);
	return 0;
}

static void
reroute_all(struct mdf_core *c)
{
	enum x1_store_err e = x1_store_task_foreach(c->store, reroute_one, c);
	if (e != X1S_OK)
		mdf_core_note(c, 1, "ALARM reading tasks after a destination change: %s",
		    x1_store_strerror(e));
}

/* ------------------------------------------------------------------ X1 hooks */

static int
x1_check_task(void *arg, enum x1_msg_type type, const struct x1_task *t, char *desc,
    size_t desclen)
{
	for (size_t i = 0; i < t->nmed; i++) {
		/* TS 102 232-1 LIID is OCTET STRING (SIZE (1..25)); TS 103 280 also allows
		 * 26..50 hex digits, which a PS-PDU cannot carry. */
		if (strlen(t->med[i].liid) > HI2_LIID_MAX) {
			snprintf(desc, desclen, "LIID longer than %d characters cannot be "
			    "carried in a TS 102 232-1 PS-PDU", HI2_LIID_MAX);
			return type == X1_MODIFY_TASK ? X1_C_MODIFY_FAILED : X1_C_ACTIVATE_FAILED;
		}
	}
	return 0;
}

static void
x1_changed(void *arg, const struct x1_event *ev)
{
	struct mdf_core *c = arg;
	char id[UUID_STRLEN + 1];

	/* PDUs received so far were mediated under the old tables: spool them first. */
	mdf_core_commit(c);
	c->st.task_changes++;
	switch (ev->type) {
	case X1_EV_TASK_ACTIVATED:
	case X1_EV_TASK_MODIFIED:
		uuid_format(ev->task->xid, id);
		if (task_set(c, ev->task) < 0)
			mdf_core_note(c, 1, "ALARM task %s: out of memory, not applied", id);
		else
			mdf_core_note(c, 0, "task %s %s by %s (%zu mediation details)", id,
			    ev->type == X1_EV_TASK_ACTIVATED ? "activated" : "modified",
			    ev->hdr ? ev->hdr->admf_id : "?", ev->task->nmed);
		break;
	case X1_EV_TASK_DEACTIVATED:
		uuid_format(ev->task->xid, id);
		task_remove(c, ev->task->xid);
		mdf_core_note(c, 0, "task %s deactivated", id);
		break;
	case X1_EV_ALL_TASKS_DEACTIVATED:
		while (c->ntasks > 0)
			task_remove(c, c->tasks[0]->xid);
		mdf_core_note(c, 0, "all tasks deactivated");
		break;
	case X1_EV_DEST_CREATED:
	case X1_EV_DEST_MODIFIED:
		uuid_format(ev->dest->did, id);
		if (dest_set(c, ev->dest) < 0)
			mdf_core_note(c, 1, "ALARM destination %s: out of memory, not applied", id);
		else
			mdf_core_note(c, 0, "destination %s %s", id,
			    ev->type == X1_EV_DEST_CREATED ? "created" : "modified");
		reroute_all(c);
		break;
	case X1_EV_DEST_REMOVED:
		uuid_format(ev->dest->did, id);
		dest_remove(c, ev->dest->did);
		mdf_core_note(c, 0, "destination %s removed", id);
		reroute_all(c);
		break;
	}
	index_rebuild(c);
}

static void
x1_dest_status(void *arg, const struct x1_dest *x, struct x1_dest_status *out)
{
	struct mdf_core *c = arg;
	struct mdf_dest *d = dest_find(c, x->did);
	struct mdf_stream_stats ss;

	out->status = X1_DST_ACTIVE;
	for (int k = 0; d != NULL && k < 2; k++) {
		if (!(d->delivery & (1u << k)))
			continue;
		if (d->stream[k] == NULL) {
			out->status = X1_DST_FAULT;
			continue;
		}
		mdf_stream_stats(d->stream[k], &ss);
		if (!ss.up || ss.full_alarm || ss.broken)
			out->status = X1_DST_FAULT;
	}
	if (d == NULL)
		out->status = X1_DST_FAULT;
}

static void
x1_ne_status(void *arg, struct x1_ne_status *out)
{
	struct mdf_core *c = arg;
	struct mdf_stream_stats ss;

	for (size_t i = 0; i < c->ndests; i++) {
		for (int k = 0; k < 2; k++) {
			struct mdf_stream *s = c->dests[i]->stream[k];
			if (s == NULL || out->faults.n == X1_MAX_FAULTS)
				continue;
			mdf_stream_stats(s, &ss);
			if (!ss.full_alarm && !ss.broken)
				continue;
			out->status = X1_NES_FAULTS;
			struct x1_fault *f = &out->faults.f[out->faults.n++];
			f->code = 0;
			snprintf(f->desc, sizeof(f->desc), "stream %s: %s", mdf_stream_id(s),
			    ss.full_alarm ? "spool full" : "spool failed");
		}
	}
}

void
mdf_core_x1_hooks(struct mdf_core *c, struct x1_hooks *out)
{
	memset(out, 0, sizeof(*out));
	out->check_task = x1_check_task;
	out->changed = x1_changed;
	out->dest_status = x1_dest_status;
	out->ne_status = x1_ne_status;
	out->arg = c;
}

/* ------------------------------------------------------------------ POI connections */

/* With TLS only the POIs named in accepted_pois may deliver; without TLS there is no
 * identity, and an empty list admits every POI (lab only). */
static int
poi_allowed(const struct mdf_core *c, const struct x2x3_peer *peer)
{
	if (!peer->tls)
		return c->cfg->npois == 0;
	for (size_t i = 0; i < c->cfg->npois; i++)
		if (strcmp(c->cfg->pois[i], peer->cn) == 0)
			return 1;
	return 0;
}

void
mdf_core_on_conn(void *arg, const struct x2x3_peer *peer, enum x2x3_conn_event ev,
    enum x2x3_err reason, const char *detail)
{
	struct mdf_core *c = arg;

	if (ev == X2X3_CONN_UP) {
		struct conninfo ci = {.id = peer->id};
		if (c->nconns == c->capconns) {
			size_t ncap = c->capconns ? c->capconns * 2 : 16;
			struct conninfo *n = realloc(c->conns, ncap * sizeof(*n));
			if (n == NULL) {
				mdf_core_note(c, 1, "ALARM out of memory: POI connection %" PRIu64
				    " not admitted", peer->id);
				return;
			}
			c->conns = n;
			c->capconns = ncap;
		}
		/* mdf_core_accept_peer() normally refused an unknown POI already; this
		 * check stays for receivers configured without it. */
		ci.allowed = poi_allowed(c, peer);
		ci.poi = mdf_siphash(c->key, peer->cn, strlen(peer->cn));
		c->conns[c->nconns++] = ci;
		c->last_conn = NULL;
		if (!ci.allowed) {
			c->st.poi_conns_refused++;
			mdf_core_note(c, 1, "ALARM X2/X3 connection %" PRIu64 " from %s: certificate CN "
			    "'%s' not in x2x3.accepted_pois: its PDUs are discarded", peer->id,
			    peer->addr, peer->cn);
		} else {
			mdf_core_note(c, 0, "POI %s connected from %s:%u (%s)", peer->cn[0] ? peer->cn :
			    "(plaintext)", peer->addr, peer->port, detail);
		}
		return;
	}
	if (ev == X2X3_CONN_CLOSED) {
		for (size_t i = 0; i < c->nconns; i++) {
			if (c->conns[i].id == peer->id) {
				c->conns[i] = c->conns[--c->nconns];
				c->last_conn = NULL;
				break;
			}
		}
		if (reason != X2X3_E_EOF)
			mdf_core_note(c, 0, "X2/X3 connection %" PRIu64 " from %s dropped: %s (%s)",
			    peer->id, peer->addr, x2x3_errname(reason), detail);
	}
}

int
mdf_core_accept_peer(void *arg, const struct x2x3_peer *peer)
{
	struct mdf_core *c = arg;

	if (poi_allowed(c, peer))
		return 0;
	c->st.poi_conns_refused++;
	mdf_core_note(c, 1, "ALARM X2/X3 connection from %s:%u refused: certificate CN '%s' not in "
	    "x2x3.accepted_pois", peer->addr, peer->port, peer->tls ? peer->cn : "(plaintext)");
	return -1;
}

static struct conninfo *
conn_get(struct mdf_core *c, uint64_t id)
{
	if (c->last_conn != NULL && c->last_conn->id == id)
		return c->last_conn;
	for (size_t i = 0; i < c->nconns; i++)
		if (c->conns[i].id == id)
			return c->last_conn = &c->conns[i];
	return NULL;
}

/* The CIN of a Correlation ID, through a small cache: a session's PDUs come in runs. */
_Static_assert(CIN_CACHE == 256, "cin_of indexes with the top 8 bits of a 64-bit hash");

static uint32_t
cin_of(struct mdf_core *c, uint64_t corr)
{
	struct cin_cache *e = &c->cins[(corr * 0x9e3779b97f4a7c15ULL) >> 56];
	if (!e->valid || e->corr != corr) {
		e->corr = corr;
		e->cin = mdf_cin(c->key, corr);
		e->valid = 1;
	}
	return e->cin;
}

void
mdf_core_on_pdu(void *arg, const struct x2x3_peer *peer, const struct x2x3_pdu *pdu,
    struct ovt_cursor raw)
{
	struct mdf_core *c = arg;
	struct conninfo *ci;
	const struct mdf_task *t;
	struct mdf_item it;
	struct hi2_diag diag;
	struct timespec now = {0, 0};
	enum mdf_drop why;
	enum mdf_kind kind;
	uint64_t now_ms, fp;
	uint32_t cin;
	size_t routes = 0, done = 0, dups = 0;
	uint64_t handled[(MAX_ROUTES + 63) / 64];	/* a bit per route (no memset call: this
							 * runs per PDU) */

	c->st.pdus[pdu->type < 5 ? pdu->type : 0]++;
	ci = conn_get(c, peer->id);
	if (pdu->type == X2X3_TYPE_KEEPALIVE) {
		/* TS 103 221-2 keepalive: acknowledged only once every PDU before it is in a
		 * committed round on stable storage (poi_acks, at the next sync tick). */
		c->st.poi_keepalives++;
		/* A POI that may not deliver gets no acknowledgement either: it keeps its PDUs
		 * (counted by it when its queue overflows) instead of believing them delivered. */
		if (ci != NULL && ci->allowed) {
			ci->ka_pending = 1;
			ci->ka_seq = pdu->seq;
			c->acks_pending = 1;
		}
		return;
	}
	if (pdu->type != X2X3_TYPE_X2 && pdu->type != X2X3_TYPE_X3)
		return;
	if (ci == NULL || !ci->allowed) {
		c->st.drops[MDF_DROP_UNAUTHORISED]++;
		return;
	}
	if ((t = task_find(c, pdu->xid)) == NULL) {
		c->st.drops[MDF_DROP_NO_TASK]++;
		return;
	}
	/* The recent-set tables do not fit the caches: start loading the line this PDU will
	 * probe before the payload is decoded and the PS-PDU encoded (the stream looks it up
	 * after encoding), so the miss overlaps that work.  The fingerprint's constant part
	 * (POI, type, XID) is hashed once per connection and XID. */
	fp = mdf_fingerprint_cached(c->key, ci->poi, pdu, &ci->fpc);
	kind = pdu->type == X2X3_TYPE_X2 ? MDF_HI2 : MDF_HI3;
	for (size_t i = 0; fp != 0 && i < t->nroutes; i++)
		if (t->routes[i].kind == kind && t->routes[i].dest->stream[kind - 1] != NULL)
			mdf_stream_prefetch(t->routes[i].dest->stream[kind - 1],
			    route_fp(fp, &t->routes[i]));
	if (!(pdu->present & X2X3_HAS(X2X3_ATTR_TIMESTAMP)))
		clock_gettime(CLOCK_REALTIME, &now);
	if ((why = mdf_item_prepare(&it, pdu, &now, c->cfg->ice_type, &diag)) != MDF_DROP_NONE) {
		c->st.drops[why]++;
		return;
	}
	c->st.iri_unknown += it.unknown;
	cin = cin_of(c, pdu->correlation_id);
	now_ms = c->now_ms;
	for (size_t i = 0; i < (t->nroutes + 63) / 64; i++)
		handled[i] = 0;
	/* One sequence number per LIID for this PDU: every route of the LIID (one per
	 * destination stream) carries the same number. */
	for (size_t i = 0; i < t->nroutes; i++) {
		const struct mdf_route *r = &t->routes[i];
		struct mdf_cin *e;
		uint32_t seq;
		int used = 0;

		if (r->kind != kind || (handled[i / 64] >> (i % 64) & 1))
			continue;
		if ((r->start != 0 && it.ts_sec < r->start) || (r->end != 0 && it.ts_sec >= r->end)) {
			routes++;
			c->st.route_drops[MDF_DROP_PERIOD]++;
			continue;
		}
		if ((e = counter_cached(c, r->liid, r->liid_len, cin, &why)) == NULL) {
			routes++;
			c->st.route_drops[why]++;
			continue;
		}
		seq = e->hs.hdr.seq;
		for (size_t j = i; j < t->nroutes; j++) {
			const struct mdf_route *q = &t->routes[j];
			struct mdf_stream *s;
			if ((handled[j / 64] >> (j % 64) & 1) || q->kind != kind ||
			    q->liid_len != r->liid_len || memcmp(q->liid, r->liid, r->liid_len) != 0)
				continue;
			handled[j / 64] |= (uint64_t)1 << (j % 64);
			routes++;
			if ((s = q->dest->stream[kind - 1]) == NULL) {
				c->st.route_drops[MDF_DROP_NO_SPOOL]++;
				continue;
			}
			why = mdf_stream_put(s, e, seq, &it, route_fp(fp, q), now_ms);
			if (why == MDF_DROP_NONE) {
				used = 1;
				done++;
				c->st.copies++;
			} else if (why == MDF_DROP_DUPLICATE) {
				dups++;
			} else {
				c->st.route_drops[why]++;
			}
		}
		/* The number is consumed if any copy carries it, else it stays free. */
		e->hs.hdr.seq = used ? seq + 1 : seq;
		e->last_used = now_ms;
	}
	if (routes == 0)
		c->st.drops[MDF_DROP_NO_ROUTE]++;
	else if (done > 0)
		c->st.mediated++;
	else if (dups > 0)
		c->st.duplicates++;
}

void
mdf_core_set_receiver(struct mdf_core *c, struct x2x3_receiver *rx)
{
	c->rx = rx;
}


/* ------------------------------------------------------------------ life cycle */

static int
load_dest(void *arg, const struct x1_dest *x, const struct x1_store_meta *meta)
{
	return dest_set(arg, x) < 0 ? -1 : 0;
}

static int
load_task(void *arg, const struct x1_task *x, const struct x1_store_meta *meta)
{
	return task_set(arg, x) < 0 ? -1 : 0;
}

struct mdf_core *
mdf_core_new(const struct mdf_config *cfg, struct ev_loop *loop, struct tls_ctx *hi_tls,
    struct x1_store *store, struct mdf_state *state, const struct mdf_core_log *log,
    char *err, size_t errlen)
{
	struct mdf_core *c = calloc(1, sizeof(*c));
	enum x1_store_err se;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->cfg = cfg;
	c->loop = loop;
	c->hi_tls = hi_tls;
	c->store = store;
	c->state = state;
	if (log != NULL)
		c->log = *log;
	mdf_state_key(state, c->key);
	c->hdr.operator_id.p = (const uint8_t *)cfg->operator_id;
	c->hdr.operator_id.len = strlen(cfg->operator_id);
	c->hdr.ne_id.p = (const uint8_t *)cfg->network_element_id;
	c->hdr.ne_id.len = strlen(cfg->network_element_id);
	memcpy(c->hdr.auth_cc, cfg->auth_cc, 3);
	memcpy(c->hdr.delivery_cc, cfg->delivery_cc, 3);
	c->hdr.has_tsq = 1;
	c->hdr.tsq = 1;
	c->last_prune = ev_now_ms() - PRUNE_EVERY_MS;
	c->last_evict = c->now_ms = ev_now_ms();
	c->env.state = state;
	memcpy(c->env.key, c->key, sizeof(c->key));
	c->env.roll = roll;
	c->env.roll_arg = c;
	if ((c->seq = mdf_seqtab_new(cfg->max_cins)) == NULL) {
		snprintf(err, errlen, "out of memory (sequence counters)");
		goto fail;
	}
	if (mkdir(cfg->spool_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "spool directory %s: %s", cfg->spool_dir, strerror(errno));
		goto fail;
	}
	if (mdf_journal_open(c, err, errlen) != 0)
		goto fail;
	if ((se = x1_store_dest_foreach(store, load_dest, c)) != X1S_OK ||
	    (se = x1_store_task_foreach(store, load_task, c)) != X1S_OK) {
		snprintf(err, errlen, "loading X1 state: %s", x1_store_strerror(se));
		goto fail;
	}
	/* A stream that cannot open its spool at start-up stops the MDF: undelivered records
	 * are in there, and carrying on would hide them (docs/mdf.md "Alarms"). */
	for (size_t i = 0; i < c->ndests; i++) {
		for (int k = 0; k < 2; k++) {
			if ((c->dests[i]->delivery & (1u << k)) && c->dests[i]->stream[k] == NULL) {
				snprintf(err, errlen, "destination %s: %s spool could not be opened "
				    "(see the alarm above)", c->dests[i]->did_str, k ? "HI3" : "HI2");
				goto fail;
			}
		}
	}
	if (mdf_journal_start(c) != 0) {
		snprintf(err, errlen, "journal: cannot flush");
		goto fail;
	}
	index_rebuild(c);
	if ((c->ckpt_timer = ev_timer_add(loop, cfg->checkpoint_ms, mdf_core_ckpt_cb, c)) == 0 ||
	    (c->sync_timer = ev_timer_add(loop, SYNC_TICK_MS, mdf_core_sync_cb, c)) == 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return c;
fail:
	mdf_core_free(c);
	return NULL;
}

void
mdf_core_free(struct mdf_core *c)
{
	if (c == NULL)
		return;
	if (c->ckpt_timer != 0)
		ev_timer_del(c->loop, c->ckpt_timer);
	if (c->sync_timer != 0)
		ev_timer_del(c->loop, c->sync_timer);
	if (c->journal != NULL && c->seq != NULL)
		(void)mdf_core_sync(c);
	for (size_t i = 0; i < c->ndests; i++) {
		for (int k = 0; k < 2; k++)
			if (c->dests[i]->stream[k] != NULL)
				mdf_stream_close(c->dests[i]->stream[k]);
		free(c->dests[i]);
	}
	for (size_t i = 0; i < c->ntasks; i++)
		free(c->tasks[i]);
	free(c->dests);
	free(c->tasks);
	free(c->index);
	free(c->conns);
	mdf_seqtab_free(c->seq);
	spool_close(c->journal);
	memset(c->key, 0, sizeof(c->key));
	memset(c->env.key, 0, sizeof(c->env.key));
	free(c);
}

uint64_t
mdf_core_pending(const struct mdf_core *c)
{
	uint64_t n = 0;
	for (size_t i = 0; i < c->ndests; i++)
		for (int k = 0; k < 2; k++)
			if (c->dests[i]->stream[k] != NULL)
				n += mdf_stream_pending(c->dests[i]->stream[k]);
	return n;
}

const struct mdf_core_stats *
mdf_core_stats(const struct mdf_core *c)
{
	return &c->st;
}

size_t
mdf_core_ntasks(const struct mdf_core *c)
{
	return c->ntasks;
}

size_t
mdf_core_nstreams(const struct mdf_core *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->ndests; i++)
		n += (c->dests[i]->stream[0] != NULL) + (c->dests[i]->stream[1] != NULL);
	return n;
}
