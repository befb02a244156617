/*
 * X2/X3 duplicate filter (contract in x2x3_dedup.h).  Identities live in a fixed array found
 * through an open-addressing index; each identity has its own open-addressing table of XIDs
 * (linear probing, load <= 1/2, backward-shift deletion), so clearing an identity on a restart
 * frees exactly its entries.  Snapshots are parsed only through struct ovt_cursor.
 */
#include "x2x3/x2x3_dedup.h"

#include <stdlib.h>
#include <string.h>

#define SNAP_MAGIC	"OVXD"
#define SNAP_VERSION	1
#define SNAP_HDR_LEN	8	/* magic, version, reserved, identity count */
#define SNAP_XID_LEN	28	/* xid, highest, bitmap */
#define FLAG_KA_KNOWN	0x01
#define XTAB_INITIAL	16

struct dxid {
	uint8_t xid[16];
	uint32_t high;		/* highest sequence number accepted */
	uint64_t bits;		/* bit i: high - i accepted (bit 0 always set) */
	uint8_t used;
};

struct dpeer {
	char id[X2X3_DEDUP_ID_MAX + 1];
	uint8_t idlen;
	uint8_t ka_known;
	uint32_t last_ka;	/* last keepalive number seen (valid if ka_known) */
	uint64_t conn;		/* connection last seen; 0: none since start or load */
	struct dxid *x;		/* NULL until the first XID */
	size_t xcap, xn;
};

struct x2x3_dedup {
	size_t max_peers, max_entries;
	struct dpeer *peers;	/* [0, npeers) in use, in order of first appearance */
	size_t npeers;
	int32_t *pidx;		/* index into peers, -1 empty; pcap slots */
	size_t pcap;
	size_t entries;
	struct x2x3_dedup_stats st;
};

static const char *const dedup_errs[X2X3_DEDUP_E_COUNT] = {
	[X2X3_DEDUP_OK] = "ok",
	[X2X3_DEDUP_E_SHORT] = "snapshot truncated",
	[X2X3_DEDUP_E_MAGIC] = "not a duplicate-filter snapshot",
	[X2X3_DEDUP_E_VERSION] = "unsupported snapshot version",
	[X2X3_DEDUP_E_ID] = "invalid identity in snapshot",
	[X2X3_DEDUP_E_FLAGS] = "unknown flags in snapshot",
	[X2X3_DEDUP_E_DUP] = "identity or XID repeated in snapshot",
	[X2X3_DEDUP_E_BITS] = "bitmap lacks the highest number",
	[X2X3_DEDUP_E_LIMIT] = "snapshot exceeds the filter's bounds",
	[X2X3_DEDUP_E_TRAILING] = "octets after the snapshot",
	[X2X3_DEDUP_E_NOMEM] = "out of memory",
};

const char *
x2x3_dedup_strerror(enum x2x3_dedup_err e)
{
	if ((unsigned)e >= X2X3_DEDUP_E_COUNT)
		return "unknown dedup error";
	return dedup_errs[e];
}

/* ------------------------------------------------------------------ hashing */

static uint64_t
fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;	/* FNV-1a */
	return h;
}

/* ------------------------------------------------------------------ identities */

static struct dpeer *
peer_find(struct x2x3_dedup *d, const char *id, size_t len, int create)
{
	size_t mask = d->pcap - 1, i = (size_t)fnv((const uint8_t *)id, len) & mask;
	struct dpeer *p;

	for (;; i = (i + 1) & mask) {
		if (d->pidx[i] < 0)
			break;
		p = &d->peers[d->pidx[i]];
		if (p->idlen == len && memcmp(p->id, id, len) == 0)
			return p;
	}
	if (!create || d->npeers >= d->max_peers)
		return NULL;
	p = &d->peers[d->npeers];
	memset(p, 0, sizeof(*p));
	memcpy(p->id, id, len);
	p->idlen = (uint8_t)len;
	d->pidx[i] = (int32_t)d->npeers++;
	d->st.peers = d->npeers;
	return p;
}

/* Forgets the identity's XIDs (the table's memory too) and its last keepalive number. */
static void
peer_reset(struct x2x3_dedup *d, struct dpeer *p)
{
	d->entries -= p->xn;
	free(p->x);
	p->x = NULL;
	p->xcap = p->xn = 0;
	p->ka_known = 0;
	p->last_ka = 0;
	d->st.restarts++;
}

/* ------------------------------------------------------------------ XIDs of one identity */

static struct dxid *
xid_slot(struct dpeer *p, const uint8_t xid[16], int *found)
{
	size_t mask = p->xcap - 1, i = (size_t)fnv(xid, 16) & mask;
	for (;; i = (i + 1) & mask) {
		struct dxid *e = &p->x[i];
		if (!e->used) {
			*found = 0;
			return e;
		}
		if (memcmp(e->xid, xid, 16) == 0) {
			*found = 1;
			return e;
		}
	}
}

static int
xtab_grow(struct dpeer *p)
{
	size_t ncap = p->xcap ? p->xcap * 2 : XTAB_INITIAL, ocap = p->xcap;
	struct dxid *old = p->x, *n = calloc(ncap, sizeof(*n));
	if (n == NULL)
		return -1;
	p->x = n;
	p->xcap = ncap;
	for (size_t i = 0; i < ocap; i++) {
		if (old[i].used) {
			int found;
			*xid_slot(p, old[i].xid, &found) = old[i];
		}
	}
	free(old);
	return 0;
}

/* The entry for xid, created (unused fields zero) if there is room; NULL otherwise. */
static struct dxid *
xid_get(struct x2x3_dedup *d, struct dpeer *p, const uint8_t xid[16], int *created)
{
	int found = 0;
	struct dxid *e = p->xcap ? xid_slot(p, xid, &found) : NULL;

	*created = 0;
	if (found)
		return e;
	if (d->entries >= d->max_entries)
		return NULL;
	/* Keep the load factor at or below 1/2 so probes stay short. */
	if ((p->xn + 1) * 2 > p->xcap) {
		if (xtab_grow(p) != 0)
			return NULL;
		e = xid_slot(p, xid, &found);
	}
	memcpy(e->xid, xid, 16);
	e->used = 1;
	e->high = 0;
	e->bits = 0;
	p->xn++;
	d->entries++;
	*created = 1;
	return e;
}

static void
xid_delete(struct dpeer *p, struct dxid *e)
{
	/* Backward-shift deletion keeps linear probing correct without tombstones. */
	size_t mask = p->xcap - 1, i = (size_t)(e - p->x), j = i;
	for (;;) {
		p->x[i].used = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (!p->x[j].used) {
				p->xn--;
				return;
			}
			size_t home = (size_t)fnv(p->x[j].xid, 16) & mask;
			/* Move j into the hole at i unless its home lies cyclically in (i, j]. */
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		p->x[i] = p->x[j];
		i = j;
	}
}

/* Accepts seq for e (created: first number of the XID) or calls it a duplicate. */
static enum x2x3_dedup_verdict
judge(struct dxid *e, int created, uint32_t seq)
{
	uint32_t fwd = seq - e->high, back = e->high - seq;

	if (created) {
		e->high = seq;
		e->bits = 1;
		return X2X3_DEDUP_NEW;
	}
	/* Serial arithmetic: forward if seq is less than half the number space ahead. */
	if (fwd != 0 && fwd < 0x80000000u) {
		e->bits = fwd >= 64 ? 1 : (e->bits << fwd) | 1;
		e->high = seq;
		return X2X3_DEDUP_NEW;
	}
	if (back < X2X3_DEDUP_WINDOW && !(e->bits & (1ull << back))) {
		e->bits |= 1ull << back;
		return X2X3_DEDUP_NEW;
	}
	/* The highest itself, a number seen within the window, or one older than the window:
	 * on one sender instance all were received before (or never sent). */
	return X2X3_DEDUP_DUP;
}

static enum x2x3_dedup_verdict
count(struct x2x3_dedup *d, enum x2x3_dedup_verdict v)
{
	if (v == X2X3_DEDUP_NEW)
		d->st.accepted++;
	else if (v == X2X3_DEDUP_DUP)
		d->st.duplicates++;
	else if (v == X2X3_DEDUP_UNTRACKED)
		d->st.untracked++;
	d->st.entries = d->entries;
	return v;
}

static enum x2x3_dedup_verdict
record_seq(struct x2x3_dedup *d, struct dpeer *p, const uint8_t xid[16], uint32_t seq)
{
	int created;
	struct dxid *e = xid_get(d, p, xid, &created);
	if (e == NULL)
		return count(d, X2X3_DEDUP_UNTRACKED);
	return count(d, judge(e, created, seq));
}

/* ------------------------------------------------------------------ public API */

struct x2x3_dedup *
x2x3_dedup_new(size_t max_peers, size_t max_entries)
{
	struct x2x3_dedup *d;

	if (max_peers == 0)
		max_peers = X2X3_DEDUP_PEERS_DEFAULT;
	if (max_entries == 0)
		max_entries = X2X3_DEDUP_ENTRIES_DEFAULT;
	if (max_peers > X2X3_DEDUP_PEERS_MAX || max_entries > X2X3_DEDUP_ENTRIES_MAX)
		return NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->max_peers = max_peers;
	d->max_entries = max_entries;
	for (d->pcap = 16; d->pcap < 2 * max_peers; d->pcap *= 2)
		;
	if ((d->peers = calloc(max_peers, sizeof(*d->peers))) == NULL ||
	    (d->pidx = malloc(d->pcap * sizeof(*d->pidx))) == NULL) {
		free(d->peers);
		free(d);
		return NULL;
	}
	memset(d->pidx, 0xff, d->pcap * sizeof(*d->pidx));	/* all -1 */
	return d;
}

void
x2x3_dedup_clear(struct x2x3_dedup *d)
{
	for (size_t i = 0; i < d->npeers; i++)
		free(d->peers[i].x);
	d->npeers = 0;
	d->entries = 0;
	memset(d->pidx, 0xff, d->pcap * sizeof(*d->pidx));
	d->st.entries = d->st.peers = 0;
}

void
x2x3_dedup_free(struct x2x3_dedup *d)
{
	if (d == NULL)
		return;
	x2x3_dedup_clear(d);
	free(d->pidx);
	free(d->peers);
	free(d);
}

/* Decides, on the first PDU of a new connection, whether the sender instance continues. */
static int
continues(const struct dpeer *p, const struct x2x3_pdu *pdu)
{
	if (pdu->type != X2X3_TYPE_KEEPALIVE || pdu->seq == 0)
		return 0;
	if (!p->ka_known)
		return 1;
	uint32_t fwd = pdu->seq - p->last_ka;
	return fwd != 0 && fwd < 0x80000000u;
}

enum x2x3_dedup_verdict
x2x3_dedup_pdu(struct x2x3_dedup *d, const char *identity, uint64_t conn_id,
	       const struct x2x3_pdu *pdu, int *out_restart)
{
	size_t len = strnlen(identity, X2X3_DEDUP_ID_MAX + 1);
	int keepalive = pdu->type == X2X3_TYPE_KEEPALIVE || pdu->type == X2X3_TYPE_KEEPALIVE_ACK;
	struct dpeer *p;

	*out_restart = 0;
	if (len > X2X3_DEDUP_ID_MAX || (p = peer_find(d, identity, len, 1)) == NULL)
		return keepalive ? X2X3_DEDUP_KEEPALIVE : count(d, X2X3_DEDUP_UNTRACKED);
	if (p->conn != conn_id) {
		p->conn = conn_id;
		if (!continues(p, pdu)) {
			peer_reset(d, p);
			d->st.entries = d->entries;
			*out_restart = 1;
		}
	}
	if (keepalive) {
		if (pdu->type == X2X3_TYPE_KEEPALIVE) {
			p->last_ka = pdu->seq;
			p->ka_known = 1;
		}
		return X2X3_DEDUP_KEEPALIVE;
	}
	if (!(pdu->present & X2X3_HAS(X2X3_ATTR_SEQ)))
		return count(d, X2X3_DEDUP_UNTRACKED);
	return record_seq(d, p, pdu->xid, pdu->seq);
}

enum x2x3_dedup_verdict
x2x3_dedup_note(struct x2x3_dedup *d, const char *identity, const uint8_t xid[16], uint32_t seq)
{
	size_t len = strnlen(identity, X2X3_DEDUP_ID_MAX + 1);
	struct dpeer *p;

	if (len > X2X3_DEDUP_ID_MAX || (p = peer_find(d, identity, len, 1)) == NULL)
		return count(d, X2X3_DEDUP_UNTRACKED);
	return record_seq(d, p, xid, seq);
}

void
x2x3_dedup_restart(struct x2x3_dedup *d, const char *identity)
{
	size_t len = strnlen(identity, X2X3_DEDUP_ID_MAX + 1);
	struct dpeer *p;

	if (len <= X2X3_DEDUP_ID_MAX && (p = peer_find(d, identity, len, 0)) != NULL) {
		peer_reset(d, p);
		d->st.entries = d->entries;
	}
}

void
x2x3_dedup_forget_xid(struct x2x3_dedup *d, const uint8_t xid[16])
{
	for (size_t i = 0; i < d->npeers; i++) {
		struct dpeer *p = &d->peers[i];
		int found;
		struct dxid *e;
		if (p->xcap == 0)
			continue;
		e = xid_slot(p, xid, &found);
		if (found) {
			xid_delete(p, e);
			d->entries--;
		}
	}
	d->st.entries = d->entries;
}

void
x2x3_dedup_stats(const struct x2x3_dedup *d, struct x2x3_dedup_stats *out)
{
	*out = d->st;
}

/* ------------------------------------------------------------------ snapshots */

size_t
x2x3_dedup_saved_len(const struct x2x3_dedup *d)
{
	size_t n = SNAP_HDR_LEN;
	for (size_t i = 0; i < d->npeers; i++)
		n += 1 + d->peers[i].idlen + 1 + 4 + 4 + SNAP_XID_LEN * d->peers[i].xn;
	return n;
}

int
x2x3_dedup_save(const struct x2x3_dedup *d, struct ovt_builder *b)
{
	bld_add_bytes(b, SNAP_MAGIC, 4);
	bld_add_u8(b, SNAP_VERSION);
	bld_add_u8(b, 0);
	bld_add_u16(b, (uint16_t)d->npeers);	/* <= X2X3_DEDUP_PEERS_MAX */
	for (size_t i = 0; i < d->npeers; i++) {
		const struct dpeer *p = &d->peers[i];
		bld_add_u8(b, p->idlen);
		bld_add_bytes(b, p->id, p->idlen);
		bld_add_u8(b, p->ka_known ? FLAG_KA_KNOWN : 0);
		bld_add_u32(b, p->last_ka);
		bld_add_u32(b, (uint32_t)p->xn);
		for (size_t j = 0; j < p->xcap; j++) {
			const struct dxid *e = &p->x[j];
			if (!e->used)
				continue;
			bld_add_bytes(b, e->xid, 16);
			bld_add_u32(b, e->high);
			bld_add_u64(b, e->bits);
		}
	}
	return bld_ok(b) ? 0 : -1;
}

static enum x2x3_dedup_err
load_peer(struct x2x3_dedup *d, struct ovt_cursor *in)
{
	struct ovt_cursor id;
	uint8_t flags;
	uint32_t last_ka, nx;
	char name[X2X3_DEDUP_ID_MAX + 1];
	struct dpeer *p;

	if (!cur_get_u8_prefixed(in, &id))
		return X2X3_DEDUP_E_SHORT;
	if (cur_len(&id) > X2X3_DEDUP_ID_MAX || memchr(cur_data(&id), 0, cur_len(&id)) != NULL)
		return X2X3_DEDUP_E_ID;
	memcpy(name, cur_data(&id), cur_len(&id));
	if (!cur_get_u8(in, &flags) || !cur_get_u32(in, &last_ka) || !cur_get_u32(in, &nx))
		return X2X3_DEDUP_E_SHORT;
	if (flags & ~FLAG_KA_KNOWN)
		return X2X3_DEDUP_E_FLAGS;
	if (peer_find(d, name, cur_len(&id), 0) != NULL)
		return X2X3_DEDUP_E_DUP;
	if ((p = peer_find(d, name, cur_len(&id), 1)) == NULL)
		return X2X3_DEDUP_E_LIMIT;
	p->ka_known = flags & FLAG_KA_KNOWN;
	p->last_ka = last_ka;
	/* nx is checked against the bound before any entry is made: never an allocation size. */
	if (nx > d->max_entries - d->entries)
		return X2X3_DEDUP_E_LIMIT;
	for (uint32_t k = 0; k < nx; k++) {
		uint8_t xid[16];
		uint32_t high;
		uint64_t bits;
		int created;
		struct dxid *e;
		if (!cur_copy(in, xid, 16) || !cur_get_u32(in, &high) || !cur_get_u64(in, &bits))
			return X2X3_DEDUP_E_SHORT;
		if (!(bits & 1))
			return X2X3_DEDUP_E_BITS;
		if ((e = xid_get(d, p, xid, &created)) == NULL)
			return X2X3_DEDUP_E_NOMEM;	/* room was checked above */
		if (!created)
			return X2X3_DEDUP_E_DUP;
		e->high = high;
		e->bits = bits;
	}
	return X2X3_DEDUP_OK;
}

enum x2x3_dedup_err
x2x3_dedup_load(struct x2x3_dedup *d, struct ovt_cursor in)
{
	const uint8_t *magic;
	uint8_t version, reserved;
	uint16_t np;
	enum x2x3_dedup_err e = X2X3_DEDUP_OK;

	x2x3_dedup_clear(d);
	if (!cur_take(&in, &magic, 4) || !cur_get_u8(&in, &version) ||
	    !cur_get_u8(&in, &reserved) || !cur_get_u16(&in, &np))
		e = X2X3_DEDUP_E_SHORT;
	else if (memcmp(magic, SNAP_MAGIC, 4) != 0)
		e = X2X3_DEDUP_E_MAGIC;
	else if (version != SNAP_VERSION || reserved != 0)
		e = X2X3_DEDUP_E_VERSION;
	else if (np > d->max_peers)
		e = X2X3_DEDUP_E_LIMIT;
	for (uint16_t i = 0; e == X2X3_DEDUP_OK && i < np; i++)
		e = load_peer(d, &in);
	if (e == X2X3_DEDUP_OK && cur_len(&in) != 0)
		e = X2X3_DEDUP_E_TRAILING;
	if (e != X2X3_DEDUP_OK)
		x2x3_dedup_clear(d);
	d->st.entries = d->entries;
	return e;
}
