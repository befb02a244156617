/*
 * IP reassembly for the probe (see pkt_frag.h for the rules and the memory bound).
 *
 * Layout: a fixed table of datagram slots, found through a chained hash on the key and kept on
 * one list in arrival order (the oldest first: that is both the expiry order and the eviction
 * order).  Each slot keeps the header of its offset-0 piece, the data ranges it holds sorted by
 * offset (the overlap check), and a page table: the datagram's data space cut into
 * PKT_FRAG_BLOCK-octet pages, each backed by a block of the shared pool once a piece writes
 * into it.  A piece is copied straight to its final place, so completing a datagram is one
 * copy of the header and one pass over its pages into the output buffer.
 * Every fragment header is parsed again here through cursors: the reassembler does not trust
 * what the caller decoded.
 */
#include "pkt/pkt_frag.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "common/bytes.h"
#include "pkt/pkt.h"
#include "pkt/pkt_csum.h"

#define NIL		UINT32_MAX
#define IPV4_MINHDR	20
#define IPV6_HDR	40
#define IPV6_FRAGHDR	8

/* IPv6 Next Header values walked before the fragment header (RFC 8200 4.1 order, plus AH as
 * pkt.c accepts it) and "No Next Header" (RFC 8200 4.7). */
#define NH_HOPOPTS	0
#define NH_TCP		6
#define NH_ROUTING	43
#define NH_FRAGMENT	44
#define NH_AH		51
#define NH_NONE		59
#define NH_DSTOPTS	60

#define MAX_RANGES	(1u << 24)	/* max_datagrams * max_fragments */

enum { S_FREE, S_LIVE, S_DEAD };
#define F_FIRST	0x1	/* the offset-0 piece is here: header known */
#define F_LAST	0x2	/* the piece without MF is here: total known */

struct frag_range {
	uint32_t start, end;	/* data octets [start, end) */
};

struct frag_slot {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint8_t ipver;
	uint8_t proto;		/* IPv4 protocol (key); 0 for IPv6 */
	uint8_t state;
	uint8_t flags;
	uint8_t next_hdr;	/* IPv6: Next Header of the offset-0 piece's fragment header */
	uint16_t hdr_len;	/* header kept from the offset-0 piece */
	uint16_t nh_off;	/* IPv6: offset in hdr of the Next Header naming the fragment hdr */
	uint32_t total;		/* data length (F_LAST) */
	uint32_t held;		/* data octets held (pieces never overlap, so this is coverage) */
	uint32_t max_end;	/* highest end of a piece held */
	uint32_t nfrag;
	uint64_t born_ns;	/* capture time of the first piece received */
	uint32_t hash;		/* key_hash of the key */
	uint32_t hnext;		/* hash chain */
	uint32_t older, newer;	/* arrival list */
	uint8_t hdr[PKT_FRAG_HDR_MAX];
};

/* One fragment as parsed from its bytes. */
struct frag_in {
	uint8_t ipver, proto, more, next_hdr;
	uint8_t src[16], dst[16];
	uint32_t id, off;
	const uint8_t *hdr;	/* IPv4 header or IPv6 unfragmentable part */
	size_t hdr_len, nh_off;
	const uint8_t *data;
	size_t len;
};

struct pkt_frag {
	struct pkt_frag_config cfg;
	size_t mem;
	struct frag_slot *slots;
	struct frag_range *ranges;	/* max_fragments per slot */
	uint32_t *pages;		/* npages per slot: block number + 1, 0 = none */
	uint32_t npages;
	uint32_t *bucket;
	uint32_t bucket_mask;
	uint32_t *free_slot;
	uint32_t nfree_slot;
	uint8_t *pool;
	uint32_t nblocks;
	uint32_t *free_blk;
	uint32_t nfree_blk;
	uint32_t oldest, newest;
	uint64_t seed;			/* secret: see key_hash */
	uint8_t *out;			/* max_datagram octets */
	struct pkt_frag_stats st;
};

static const char *const frag_errstr[PKT_FRAG__COUNT] = {
	[PKT_FRAG_HELD] = "held",
	[PKT_FRAG_COMPLETE] = "reassembled",
	[PKT_FRAG_DUPLICATE] = "exact duplicate ignored",
	[PKT_FRAG_E_HDR] = "malformed IP header",
	[PKT_FRAG_E_NOT_FRAG] = "not a fragment",
	[PKT_FRAG_E_LEN] = "empty fragment or length not a multiple of 8",
	[PKT_FRAG_E_HDR_LONG] = "IPv6 headers before the fragment header too long",
	[PKT_FRAG_E_DEAD] = "fragment of a datagram already dropped",
	[PKT_FRAG_E_OVERLAP] = "overlapping fragments (datagram dropped)",
	[PKT_FRAG_E_OVERSIZE] = "datagram larger than the maximum (dropped)",
	[PKT_FRAG_E_BOUNDS] = "fragments disagree on the end (datagram dropped)",
	[PKT_FRAG_E_TOO_MANY] = "too many fragments (datagram dropped)",
	[PKT_FRAG_E_TINY_FIRST] = "first fragment without the transport header (datagram dropped)",
	[PKT_FRAG_E_TIMEOUT] = "incomplete at timeout (datagram dropped)",
	[PKT_FRAG_E_EVICTED] = "evicted, too many datagrams in flight (datagram dropped)",
	[PKT_FRAG_E_EVICTED_MEM] = "evicted, fragment memory full (datagram dropped)",
};

const char *
pkt_frag_strerror(enum pkt_frag_rc rc)
{
	if ((unsigned)rc >= PKT_FRAG__COUNT)
		return "unknown";
	return frag_errstr[rc];
}

int
pkt_frag_is_drop(enum pkt_frag_rc rc)
{
	return rc >= PKT_FRAG_E_HDR && rc < PKT_FRAG__COUNT;
}

static void
count(struct pkt_frag *f, enum pkt_frag_rc rc)
{
	f->st.n[rc]++;
	if (pkt_frag_is_drop(rc))
		f->st.drops++;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void
put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ------------------------------------------------------------------ configuration */

void
pkt_frag_config_init(struct pkt_frag_config *cfg)
{
	cfg->max_datagrams = PKT_FRAG_DEF_DATAGRAMS;
	cfg->max_fragments = PKT_FRAG_DEF_FRAGMENTS;
	cfg->max_datagram = PKT_FRAG_MAX_SIZE;
	cfg->max_bytes = PKT_FRAG_DEF_BYTES;
	cfg->timeout_ns = PKT_FRAG_DEF_TIMEOUT_NS;
}

const char *
pkt_frag_config_check(const struct pkt_frag_config *c)
{
	if (c->max_datagrams < 1 || c->max_datagrams > PKT_FRAG_MAX_DATAGRAMS)
		return "max_datagrams out of range";
	if (c->max_fragments < 2 || c->max_fragments > PKT_FRAG_MAX_FRAGMENTS)
		return "max_fragments out of range";
	if ((uint64_t)c->max_datagrams * c->max_fragments > MAX_RANGES)
		return "max_datagrams times max_fragments too large";
	/* 68: the smallest datagram every IPv4 link must pass unfragmented (RFC 791). */
	if (c->max_datagram < 68 || c->max_datagram > PKT_FRAG_MAX_SIZE)
		return "max_datagram out of range";
	if (c->max_bytes < (uint64_t)c->max_datagram + PKT_FRAG_BLOCK ||
	    c->max_bytes > PKT_FRAG_MAX_BYTES)
		return "max_bytes out of range";
	if (c->timeout_ns < 1000000ULL || c->timeout_ns > PKT_FRAG_MAX_TIMEOUT_NS)
		return "timeout out of range";
	return NULL;
}

static uint32_t
nbuckets(uint32_t n)
{
	uint32_t b = 16;
	while (b < 2 * n)
		b <<= 1;
	return b;
}

size_t
pkt_frag_memory_for(const struct pkt_frag_config *c)
{
	if (pkt_frag_config_check(c) != NULL)
		return 0;
	size_t n = c->max_datagrams;
	size_t npages = (c->max_datagram + PKT_FRAG_BLOCK - 1) / PKT_FRAG_BLOCK;
	size_t nblocks = (size_t)(c->max_bytes / PKT_FRAG_BLOCK);
	return sizeof(struct pkt_frag) + n * sizeof(struct frag_slot) +
	    n * c->max_fragments * sizeof(struct frag_range) + n * npages * sizeof(uint32_t) +
	    nbuckets(c->max_datagrams) * sizeof(uint32_t) + n * sizeof(uint32_t) +
	    nblocks * (PKT_FRAG_BLOCK + sizeof(uint32_t)) + c->max_datagram;
}

struct pkt_frag *
pkt_frag_new(const struct pkt_frag_config *cfg, const char **err)
{
	const char *why = pkt_frag_config_check(cfg);
	struct pkt_frag *f;

	if (why != NULL) {
		if (err != NULL)
			*err = why;
		return NULL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		goto nomem;
	f->cfg = *cfg;
	f->mem = pkt_frag_memory_for(cfg);
	f->npages = (cfg->max_datagram + PKT_FRAG_BLOCK - 1) / PKT_FRAG_BLOCK;
	f->nblocks = (uint32_t)(cfg->max_bytes / PKT_FRAG_BLOCK);
	f->bucket_mask = nbuckets(cfg->max_datagrams) - 1;
	f->slots = calloc(cfg->max_datagrams, sizeof(*f->slots));
	f->ranges = calloc((size_t)cfg->max_datagrams * cfg->max_fragments, sizeof(*f->ranges));
	f->pages = calloc((size_t)cfg->max_datagrams * f->npages, sizeof(*f->pages));
	f->bucket = malloc(((size_t)f->bucket_mask + 1) * sizeof(*f->bucket));
	f->free_slot = malloc((size_t)cfg->max_datagrams * sizeof(*f->free_slot));
	f->pool = malloc((size_t)f->nblocks * PKT_FRAG_BLOCK);
	f->free_blk = malloc((size_t)f->nblocks * sizeof(*f->free_blk));
	f->out = malloc(cfg->max_datagram);
	if (f->slots == NULL || f->ranges == NULL || f->pages == NULL || f->bucket == NULL ||
	    f->free_slot == NULL || f->pool == NULL || f->free_blk == NULL || f->out == NULL) {
		pkt_frag_free(f);
		goto nomem;
	}
	for (uint32_t i = 0; i <= f->bucket_mask; i++)
		f->bucket[i] = NIL;
	/* Stacks handed out from the low end, so that a quiet link touches few pages. */
	for (uint32_t i = 0; i < cfg->max_datagrams; i++)
		f->free_slot[i] = cfg->max_datagrams - 1 - i;
	f->nfree_slot = cfg->max_datagrams;
	for (uint32_t i = 0; i < f->nblocks; i++)
		f->free_blk[i] = f->nblocks - 1 - i;
	f->nfree_blk = f->nblocks;
	f->oldest = f->newest = NIL;
	if (RAND_bytes((unsigned char *)&f->seed, sizeof(f->seed)) != 1) {
		pkt_frag_free(f);
		if (err != NULL)
			*err = "no random seed for the hash (OpenSSL RAND_bytes)";
		return NULL;
	}
	return f;
nomem:
	if (err != NULL)
		*err = "out of memory";
	return NULL;
}

void
pkt_frag_free(struct pkt_frag *f)
{
	if (f == NULL)
		return;
	free(f->slots);
	free(f->ranges);
	free(f->pages);
	free(f->bucket);
	free(f->free_slot);
	free(f->pool);
	free(f->free_blk);
	free(f->out);
	free(f);
}

const struct pkt_frag_stats *
pkt_frag_stats(const struct pkt_frag *f)
{
	return &f->st;
}

const struct pkt_frag_config *
pkt_frag_config(const struct pkt_frag *f)
{
	return &f->cfg;
}

size_t
pkt_frag_memory(const struct pkt_frag *f)
{
	return f->mem;
}

/* ------------------------------------------------------------------ parsing */

/* RFC 791 3.1.  The IP length bounds the packet; anything after it is link padding. */
static enum pkt_frag_rc
parse_v4(const uint8_t *ip, size_t len, struct frag_in *fi)
{
	struct ovt_cursor c, pkt;
	const uint8_t *h;
	size_t hl;
	uint16_t totlen, fragw;

	cur_init(&c, ip, len);
	if (!cur_take(&c, &h, IPV4_MINHDR))
		return PKT_FRAG_E_HDR;
	hl = (size_t)(h[0] & 0x0f) * 4;
	totlen = be16(h + 2);
	if (hl < IPV4_MINHDR || totlen < hl)
		return PKT_FRAG_E_HDR;
	cur_init(&c, ip, len);
	if (!cur_get_sub(&c, &pkt, totlen) || !cur_take(&pkt, &fi->hdr, hl))
		return PKT_FRAG_E_HDR;
	fi->ipver = 4;
	fi->hdr_len = hl;
	fi->id = be16(h + 4);
	fragw = be16(h + 6);
	fi->more = (fragw & 0x2000) != 0;
	fi->off = (uint32_t)(fragw & 0x1fff) * 8;
	fi->proto = h[9];
	memcpy(fi->src, h + 12, 4);
	memcpy(fi->dst, h + 16, 4);
	fi->data = cur_data(&pkt);
	fi->len = cur_len(&pkt);
	if (!fi->more && fi->off == 0)
		return PKT_FRAG_E_NOT_FRAG;
	return PKT_FRAG_HELD;
}

/* Length of the extension header of type nh at the cursor, 0 if it does not fit.  AH (RFC
 * 4302) counts 4-octet units minus 2, the others 8-octet units minus 1 (RFC 8200 4.3-4.6). */
static size_t
ext_len(const struct ovt_cursor *c, uint8_t nh, uint8_t *next)
{
	struct ovt_cursor t = *c;
	uint8_t hl8;
	size_t n;

	if (!cur_get_u8(&t, next) || !cur_get_u8(&t, &hl8))
		return 0;
	n = nh == NH_AH ? ((size_t)hl8 + 2) * 4 : ((size_t)hl8 + 1) * 8;
	return cur_len(c) >= n ? n : 0;
}

static int
is_ext(uint8_t nh)
{
	return nh == NH_HOPOPTS || nh == NH_ROUTING || nh == NH_DSTOPTS || nh == NH_AH;
}

/* RFC 8200 4.5: the unfragmentable part is every header before the fragment header. */
static enum pkt_frag_rc
parse_v6(const uint8_t *ip, size_t len, struct frag_in *fi)
{
	struct ovt_cursor c, pkt;
	const uint8_t *h;
	uint16_t plen, offw;
	uint8_t nh, next;
	size_t nh_off = 6, pos = IPV6_HDR;

	cur_init(&c, ip, len);
	if (!cur_take(&c, &h, IPV6_HDR))
		return PKT_FRAG_E_HDR;
	plen = be16(h + 4);
	if (plen == 0)		/* jumbogram (RFC 2675): cannot be fragmented */
		return PKT_FRAG_E_HDR;
	cur_init(&c, ip, len);
	if (!cur_get_sub(&c, &pkt, IPV6_HDR + (size_t)plen) || !cur_skip(&pkt, IPV6_HDR))
		return PKT_FRAG_E_HDR;
	memcpy(fi->src, h + 8, 16);
	memcpy(fi->dst, h + 24, 16);
	fi->ipver = 6;
	nh = h[6];
	for (int i = 0; nh != NH_FRAGMENT; i++) {
		size_t n;
		if (!is_ext(nh))
			return PKT_FRAG_E_NOT_FRAG;
		if (i >= PKT_MAX_IPV6_EXT || (n = ext_len(&pkt, nh, &next)) == 0)
			return PKT_FRAG_E_HDR;
		(void)cur_skip(&pkt, n);
		nh_off = pos;
		pos += n;
		nh = next;
	}
	/* RFC 8200 4.5: next header, reserved, offset (13 bits) + 2 reserved bits + M, id. */
	if (!cur_get_u8(&pkt, &fi->next_hdr) || !cur_skip(&pkt, 1) ||
	    !cur_get_u16(&pkt, &offw) || !cur_get_u32(&pkt, &fi->id))
		return PKT_FRAG_E_HDR;
	fi->hdr = ip;
	fi->hdr_len = pos;
	fi->nh_off = nh_off;
	fi->off = offw & 0xfff8;
	fi->more = offw & 1;
	fi->data = cur_data(&pkt);
	fi->len = cur_len(&pkt);
	return PKT_FRAG_HELD;
}

/* RFC 7112 (IPv6): the first piece must hold the whole header chain and the upper-layer
 * header; RFC 1858 (IPv4): a first piece shorter than a TCP header is an attack.  We ask for
 * 8 octets of upper-layer header (UDP, ICMP), 20 for TCP. */
static int
tiny_first(const struct frag_in *fi)
{
	struct ovt_cursor c;
	uint8_t nh = fi->ipver == 6 ? fi->next_hdr : fi->proto, next;

	cur_init(&c, fi->data, fi->len);
	for (int i = 0; fi->ipver == 6 && is_ext(nh); i++) {
		size_t n;
		if (i >= PKT_MAX_IPV6_EXT || (n = ext_len(&c, nh, &next)) == 0)
			return 1;
		(void)cur_skip(&c, n);
		nh = next;
	}
	if (fi->ipver == 6 && nh == NH_NONE)
		return 0;
	return cur_len(&c) < (nh == NH_TCP ? 20u : 8u);
}

/* ------------------------------------------------------------------ table */

static uint32_t
key_hash(const struct pkt_frag *f, const struct frag_in *fi)
{
	/* Keyed with a per-instance secret: the keys come from the wire, and whoever could
	 * predict buckets could pile datagrams into one chain and make every piece walk it. */
	uint64_t w[4], h = f->seed ^ fi->id ^ ((uint64_t)fi->proto << 32) ^
	    ((uint64_t)fi->ipver << 40);

	memcpy(w, fi->src, 16);
	memcpy(w + 2, fi->dst, 16);
	for (int i = 0; i < 4; i++) {
		h ^= w[i];
		h *= 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return (uint32_t)(h ^ (h >> 32));
}

static int
key_eq(const struct frag_slot *s, const struct frag_in *fi)
{
	return s->id == fi->id && s->ipver == fi->ipver && s->proto == fi->proto &&
	    memcmp(s->src, fi->src, 16) == 0 && memcmp(s->dst, fi->dst, 16) == 0;
}

static uint32_t *
slot_pages(struct pkt_frag *f, uint32_t si)
{
	return &f->pages[(size_t)si * f->npages];
}

static struct frag_range *
slot_ranges(struct pkt_frag *f, uint32_t si)
{
	return &f->ranges[(size_t)si * f->cfg.max_fragments];
}

static void
held_changed(struct pkt_frag *f)
{
	f->st.bytes_held = (uint64_t)(f->nblocks - f->nfree_blk) * PKT_FRAG_BLOCK;
	if (f->st.bytes_held > f->st.peak_bytes)
		f->st.peak_bytes = f->st.bytes_held;
}

/* Gives the slot's blocks back to the pool. */
static void
release_data(struct pkt_frag *f, uint32_t si)
{
	struct frag_slot *s = &f->slots[si];
	uint32_t *pg = slot_pages(f, si);
	uint32_t n = (s->max_end + PKT_FRAG_BLOCK - 1) / PKT_FRAG_BLOCK;

	for (uint32_t p = 0; p < n; p++) {
		if (pg[p] != 0) {
			f->free_blk[f->nfree_blk++] = pg[p] - 1;
			pg[p] = 0;
		}
	}
	s->nfrag = 0;
	s->held = 0;
	s->max_end = 0;
	held_changed(f);
}

/* Forgets the slot entirely (hash chain, arrival list, data). */
static void
slot_release(struct pkt_frag *f, uint32_t si)
{
	struct frag_slot *s = &f->slots[si];
	uint32_t *link = &f->bucket[s->hash & f->bucket_mask];

	release_data(f, si);
	while (*link != si)
		link = &f->slots[*link].hnext;
	*link = s->hnext;
	if (s->older != NIL)
		f->slots[s->older].newer = s->newer;
	else
		f->oldest = s->newer;
	if (s->newer != NIL)
		f->slots[s->newer].older = s->older;
	else
		f->newest = s->older;
	if (s->state == S_LIVE)
		f->st.in_flight--;
	else
		f->st.dead--;
	s->state = S_FREE;
	f->free_slot[f->nfree_slot++] = si;
}

/* Drops a datagram for reason rc but remembers its key until its timeout (RFC 5722: its
 * pieces not yet received are discarded too). */
static enum pkt_frag_rc
slot_kill(struct pkt_frag *f, uint32_t si, enum pkt_frag_rc rc)
{
	release_data(f, si);
	f->slots[si].state = S_DEAD;
	f->st.in_flight--;
	f->st.dead++;
	count(f, rc);
	return rc;
}

/* Frees the oldest slot other than keep, counting rc if it was still being reassembled.
 * Returns 0 if there was none. */
static int
evict_oldest(struct pkt_frag *f, uint32_t keep, enum pkt_frag_rc rc)
{
	uint32_t si = f->oldest;

	if (si == keep && si != NIL)
		si = f->slots[si].newer;
	if (si == NIL)
		return 0;
	if (f->slots[si].state == S_LIVE)
		count(f, rc);
	slot_release(f, si);
	return 1;
}

size_t
pkt_frag_expire(struct pkt_frag *f, uint64_t now_ns)
{
	size_t n = 0;
	uint32_t si;

	/* Arrival order is age order, unless the capture clock went backwards: then an old
	 * datagram may wait behind a newer one for a while, never forever. */
	while ((si = f->oldest) != NIL) {
		struct frag_slot *s = &f->slots[si];
		if (now_ns <= s->born_ns || now_ns - s->born_ns < f->cfg.timeout_ns)
			break;
		if (s->state == S_LIVE) {
			count(f, PKT_FRAG_E_TIMEOUT);
			n++;
		}
		slot_release(f, si);
	}
	return n;
}

static uint32_t
lookup(struct pkt_frag *f, const struct frag_in *fi, uint32_t h)
{
	for (uint32_t si = f->bucket[h & f->bucket_mask]; si != NIL; si = f->slots[si].hnext)
		if (key_eq(&f->slots[si], fi))
			return si;
	return NIL;
}

static uint32_t
slot_new(struct pkt_frag *f, const struct frag_in *fi, uint32_t h, uint64_t now_ns)
{
	uint32_t si;
	struct frag_slot *s;

	if (f->nfree_slot == 0)
		(void)evict_oldest(f, NIL, PKT_FRAG_E_EVICTED);
	si = f->free_slot[--f->nfree_slot];
	s = &f->slots[si];
	memcpy(s->src, fi->src, 16);
	memcpy(s->dst, fi->dst, 16);
	s->id = fi->id;
	s->ipver = fi->ipver;
	s->proto = fi->proto;
	s->state = S_LIVE;
	s->flags = 0;
	s->hdr_len = 0;
	s->total = s->held = s->max_end = s->nfrag = 0;
	s->born_ns = now_ns;
	s->hash = h;
	s->hnext = f->bucket[h & f->bucket_mask];
	f->bucket[h & f->bucket_mask] = si;
	s->older = f->newest;
	s->newer = NIL;
	if (f->newest != NIL)
		f->slots[f->newest].newer = si;
	else
		f->oldest = si;
	f->newest = si;
	f->st.in_flight++;
	return si;
}

/* ------------------------------------------------------------------ data pages */

/* Pages [start, end) would need that are not backed yet. */
static uint32_t
pages_missing(struct pkt_frag *f, uint32_t si, uint32_t start, uint32_t end)
{
	const uint32_t *pg = slot_pages(f, si);
	uint32_t n = 0;

	for (uint32_t p = start / PKT_FRAG_BLOCK; p <= (end - 1) / PKT_FRAG_BLOCK; p++)
		n += pg[p] == 0;
	return n;
}

static void
data_write(struct pkt_frag *f, uint32_t si, uint32_t off, const uint8_t *src, size_t n)
{
	uint32_t *pg = slot_pages(f, si);

	while (n > 0) {
		uint32_t p = off / PKT_FRAG_BLOCK, in = off % PKT_FRAG_BLOCK;
		size_t k = PKT_FRAG_BLOCK - in < n ? PKT_FRAG_BLOCK - in : n;
		if (pg[p] == 0)
			pg[p] = f->free_blk[--f->nfree_blk] + 1;
		memcpy(f->pool + (size_t)(pg[p] - 1) * PKT_FRAG_BLOCK + in, src, k);
		src += k;
		off += (uint32_t)k;
		n -= k;
	}
}

/* 1 if the held bytes at [off, off+n) equal src (the range is fully held). */
static int
data_equal(struct pkt_frag *f, uint32_t si, uint32_t off, const uint8_t *src, size_t n)
{
	const uint32_t *pg = slot_pages(f, si);

	while (n > 0) {
		uint32_t p = off / PKT_FRAG_BLOCK, in = off % PKT_FRAG_BLOCK;
		size_t k = PKT_FRAG_BLOCK - in < n ? PKT_FRAG_BLOCK - in : n;
		if (pg[p] == 0 ||
		    memcmp(f->pool + (size_t)(pg[p] - 1) * PKT_FRAG_BLOCK + in, src, k) != 0)
			return 0;
		src += k;
		off += (uint32_t)k;
		n -= k;
	}
	return 1;
}

/* The whole datagram into f->out. */
static void
build(struct pkt_frag *f, uint32_t si, uint64_t now_ns, struct pkt_frag_out *out)
{
	struct frag_slot *s = &f->slots[si];
	const uint32_t *pg = slot_pages(f, si);
	uint8_t *o = f->out;
	size_t hl = s->hdr_len, n = hl + s->total;

	memcpy(o, s->hdr, hl);
	if (s->ipver == 4) {
		put16(o + 2, n);
		o[6] &= 0xc0;		/* keep the reserved bit and DF, clear MF */
		o[7] = 0;		/* and the offset */
		o[10] = o[11] = 0;
		put16(o + 10, pkt_csum_fold(pkt_csum_add(0, o, hl)));
	} else {
		o[s->nh_off] = s->next_hdr;
		put16(o + 4, n - IPV6_HDR);
	}
	for (uint32_t off = 0; off < s->total; off += PKT_FRAG_BLOCK) {
		uint32_t k = s->total - off < PKT_FRAG_BLOCK ? s->total - off : PKT_FRAG_BLOCK;
		memcpy(o + hl + off, f->pool + (size_t)(pg[off / PKT_FRAG_BLOCK] - 1) *
		    PKT_FRAG_BLOCK, k);
	}
	out->ip = o;
	out->len = n;
	out->ipver = s->ipver;
	out->nfrags = s->nfrag;
	out->first_ns = s->born_ns;
	out->ts_ns = now_ns;
}

/* RFC 6946: an IPv6 fragment header with offset 0 and M = 0 is a whole packet. */
static enum pkt_frag_rc
atomic(struct pkt_frag *f, const struct frag_in *fi, uint64_t now_ns, struct pkt_frag_out *out)
{
	size_t n = fi->hdr_len + fi->len;

	if (n > f->cfg.max_datagram) {
		count(f, PKT_FRAG_E_OVERSIZE);
		return PKT_FRAG_E_OVERSIZE;
	}
	memcpy(f->out, fi->hdr, fi->hdr_len);
	f->out[fi->nh_off] = fi->next_hdr;
	put16(f->out + 4, n - IPV6_HDR);
	if (fi->len)
		memcpy(f->out + fi->hdr_len, fi->data, fi->len);
	out->ip = f->out;
	out->len = n;
	out->ipver = 6;
	out->nfrags = 1;
	out->first_ns = out->ts_ns = now_ns;
	count(f, PKT_FRAG_COMPLETE);
	return PKT_FRAG_COMPLETE;
}

/* ------------------------------------------------------------------ the entry point */

/* Checks a piece against what the slot holds and stores it.  Returns HELD, DUPLICATE or the
 * reason the datagram was dropped. */
static enum pkt_frag_rc
place(struct pkt_frag *f, uint32_t si, const struct frag_in *fi)
{
	struct frag_slot *s = &f->slots[si];
	struct frag_range *r = slot_ranges(f, si);
	uint32_t start = fi->off, end = fi->off + (uint32_t)fi->len, n = s->nfrag, i;
	size_t hdr = (s->flags & F_FIRST) ? s->hdr_len : start == 0 ? fi->hdr_len :
	    fi->ipver == 4 ? IPV4_MINHDR : IPV6_HDR;

	if ((size_t)(end > s->max_end ? end : s->max_end) + hdr > f->cfg.max_datagram)
		return slot_kill(f, si, PKT_FRAG_E_OVERSIZE);
	/* The piece without MF fixes the end: nothing may lie beyond it (RFC 791 3.2). */
	if (!fi->more) {
		if (((s->flags & F_LAST) && end != s->total) || end < s->max_end)
			return slot_kill(f, si, PKT_FRAG_E_BOUNDS);
	} else if ((s->flags & F_LAST) && end > s->total) {
		return slot_kill(f, si, PKT_FRAG_E_BOUNDS);
	}

	/* Ranges are sorted by start and never overlap: only the neighbours can. */
	for (i = n; i > 0 && r[i - 1].start > start; i--)
		;
	if (i > 0 && r[i - 1].start == start && r[i - 1].end == end) {
		if (!data_equal(f, si, start, fi->data, fi->len))
			return slot_kill(f, si, PKT_FRAG_E_OVERLAP);
		return PKT_FRAG_DUPLICATE;
	}
	if ((i > 0 && r[i - 1].end > start) || (i < n && r[i].start < end))
		return slot_kill(f, si, PKT_FRAG_E_OVERLAP);
	if (n >= f->cfg.max_fragments)
		return slot_kill(f, si, PKT_FRAG_E_TOO_MANY);
	if (start == 0 && tiny_first(fi))
		return slot_kill(f, si, PKT_FRAG_E_TINY_FIRST);

	/* Room in the pool: evict the oldest others.  The configuration guarantees that one
	 * whole datagram fits, so this ends before running out of others. */
	uint32_t need = pages_missing(f, si, start, end);
	while (f->nfree_blk < need)
		if (!evict_oldest(f, si, PKT_FRAG_E_EVICTED_MEM))
			return slot_kill(f, si, PKT_FRAG_E_EVICTED_MEM);
	data_write(f, si, start, fi->data, fi->len);
	held_changed(f);
	memmove(&r[i + 1], &r[i], (size_t)(n - i) * sizeof(*r));
	r[i].start = start;
	r[i].end = end;
	s->nfrag++;
	s->held += (uint32_t)fi->len;
	if (end > s->max_end)
		s->max_end = end;
	if (start == 0) {
		memcpy(s->hdr, fi->hdr, fi->hdr_len);
		s->hdr_len = (uint16_t)fi->hdr_len;
		s->nh_off = (uint16_t)fi->nh_off;
		s->next_hdr = fi->next_hdr;
		s->flags |= F_FIRST;
	}
	return PKT_FRAG_HELD;
}

enum pkt_frag_rc
pkt_frag_add(struct pkt_frag *f, const uint8_t *ip, size_t len, uint64_t now_ns,
    struct pkt_frag_out *out)
{
	struct frag_in fi;
	enum pkt_frag_rc rc;
	uint32_t h, si;

	f->st.fragments++;
	memset(&fi, 0, sizeof(fi));
	if (len < 1)
		rc = PKT_FRAG_E_HDR;
	else if ((ip[0] >> 4) == 4)
		rc = parse_v4(ip, len, &fi);
	else if ((ip[0] >> 4) == 6)
		rc = parse_v6(ip, len, &fi);
	else
		rc = PKT_FRAG_E_HDR;
	if (rc != PKT_FRAG_HELD) {
		count(f, rc);
		return rc;
	}
	if (fi.ipver == 6 && fi.off == 0 && !fi.more)
		return atomic(f, &fi, now_ns, out);
	/* RFC 8200 4.5: a piece with M set must be a multiple of 8 octets; an empty one carries
	 * nothing and no sender emits it. */
	if (fi.len == 0 || (fi.more && fi.len % 8 != 0)) {
		count(f, PKT_FRAG_E_LEN);
		return PKT_FRAG_E_LEN;
	}
	if (fi.hdr_len > PKT_FRAG_HDR_MAX) {
		count(f, PKT_FRAG_E_HDR_LONG);
		return PKT_FRAG_E_HDR_LONG;
	}

	(void)pkt_frag_expire(f, now_ns);
	h = key_hash(f, &fi);
	if ((si = lookup(f, &fi, h)) == NIL)
		si = slot_new(f, &fi, h, now_ns);
	else if (f->slots[si].state == S_DEAD) {
		count(f, PKT_FRAG_E_DEAD);
		return PKT_FRAG_E_DEAD;
	}
	rc = place(f, si, &fi);
	if (pkt_frag_is_drop(rc))
		return rc;	/* counted by slot_kill */

	struct frag_slot *s = &f->slots[si];
	if (!fi.more) {
		s->flags |= F_LAST;
		s->total = fi.off + (uint32_t)fi.len;
	}
	if ((s->flags & (F_FIRST | F_LAST)) == (F_FIRST | F_LAST) && s->held == s->total) {
		build(f, si, now_ns, out);
		slot_release(f, si);
		count(f, PKT_FRAG_COMPLETE);
		return PKT_FRAG_COMPLETE;
	}
	count(f, rc);
	return rc;
}
