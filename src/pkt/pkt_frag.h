/*
 * Reassembly of fragmented outer IP datagrams: IPv4 (RFC 791 3.2) and IPv6 (RFC 8200 4.5).
 *
 * On S1-U and S5/S8-U, GTP-U encapsulation of full-size user packets routinely exceeds the
 * transport MTU and the tunnel endpoints' IP layer fragments it.  The probe sees the pieces;
 * pkt_decode() reports each one as PKT_E_FRAGMENT and hands its IP packet here.  When the last
 * missing piece arrives, pkt_frag_add() returns the whole datagram as contiguous bytes with a
 * valid IP header, ready for pkt_decode_ip():
 *   IPv4: the first fragment's header (options included), total length set, MF and fragment
 *         offset cleared (DF and the reserved bit kept), header checksum recomputed;
 *   IPv6: the headers that preceded the fragment header (RFC 8200 "unfragmentable part") of
 *         the offset-0 fragment, the fragment header removed, the Next Header that pointed at
 *         it set to the fragment header's, payload length set.
 *
 * Key: IPv4 (source, destination, protocol, identification) as RFC 791 says; IPv6 (source,
 * destination, identification) as RFC 8200 4.5 says (the Next Header is taken from the offset-0
 * fragment, and other fragments may differ).  Fragments may arrive in any order.
 *
 * Rules (each refusal has its own enum value and counter, pkt_frag_strerror()):
 *   - a fragment with no data, or a non-last one whose length is not a multiple of 8 octets,
 *     is dropped alone (RFC 8200 4.5);
 *   - an exact duplicate (same offset, same length, same bytes) is ignored (RFC 8200 4.5 allows
 *     it); any other overlap drops the whole datagram (RFC 5722; IPv4 is treated the same), and
 *     so do fragments that disagree on where the datagram ends, one fragment more than
 *     max_fragments, a datagram that would exceed max_datagram octets (headers included: the
 *     output never exceeds 65535 octets, so an IPv6 datagram is refused at a 65535-octet total
 *     where RFC 8200 would allow a 65535-octet payload; no GTP link carries either), and a first
 *     fragment too short to hold the upper-layer header (RFC 7112 for IPv6: the whole header
 *     chain and 8 octets of the upper-layer header, 20 for TCP; RFC 1858 for IPv4 TCP);
 *   - after such a drop the datagram's key is remembered until its timeout, and later pieces
 *     of it are dropped too (RFC 5722: "including those not yet received");
 *   - a datagram not complete timeout_ns after its first piece arrived is dropped
 *     (pkt_frag_expire, also run by every pkt_frag_add);
 *   - with max_datagrams in flight, a new datagram evicts the oldest one; when the fragment
 *     storage (max_bytes) is full, the oldest datagrams are evicted until the piece fits.
 *   - an IPv6 "atomic fragment" (offset 0, M = 0: RFC 6946) is complete by itself.
 *
 * Memory: everything is allocated by pkt_frag_new() and never grows; nothing is allocated per
 * packet.  pkt_frag_memory_for(cfg) gives the exact figure: about
 *     max_datagrams * (PKT_FRAG_HDR_MAX + 100 + 8 * max_fragments + 4 * ceil(max_datagram /
 *     PKT_FRAG_BLOCK)) + max_bytes * (1 + 4 / PKT_FRAG_BLOCK) + max_datagram
 * octets; with the defaults (4096 datagrams, 64 fragments each, 65535 octets, 8 MiB of storage)
 * 14 172 479 octets (13.5 MiB), of which the kernel backs only the pages in use.  Fragment data is held in
 * PKT_FRAG_BLOCK-octet blocks placed at the fragment's offset in its datagram, so max_bytes
 * counts whole blocks.
 *
 * Work per call: O(max_fragments) for the overlap check, plus the copy of the fragment, plus
 * the copy of the datagram when it completes; expiry and eviction free whole datagrams.
 * Thread safety: none; one instance per capture thread.
 */
#ifndef OVERT_PKT_PKT_FRAG_H
#define OVERT_PKT_PKT_FRAG_H

#include <stddef.h>
#include <stdint.h>

#define PKT_FRAG_MAX_SIZE	65535	/* largest datagram, headers included */
#define PKT_FRAG_HDR_MAX	256	/* IPv6 headers before the fragment header (IPv4: 60) */
#define PKT_FRAG_BLOCK		512	/* storage granule, octets */

/* Defaults (pkt_frag_config_init); timeout as Linux's ipfrag_time. */
#define PKT_FRAG_DEF_DATAGRAMS	4096
#define PKT_FRAG_DEF_FRAGMENTS	64
#define PKT_FRAG_DEF_BYTES	(8u * 1024 * 1024)
#define PKT_FRAG_DEF_TIMEOUT_NS	(30ULL * 1000000000ULL)

/* Ranges accepted by pkt_frag_new. */
#define PKT_FRAG_MAX_DATAGRAMS	(1u << 20)
#define PKT_FRAG_MAX_FRAGMENTS	8192
#define PKT_FRAG_MAX_BYTES	(1ULL << 30)
#define PKT_FRAG_MAX_TIMEOUT_NS	(3600ULL * 1000000000ULL)

struct pkt_frag_config {
	uint32_t max_datagrams;	/* being reassembled at once, 1..PKT_FRAG_MAX_DATAGRAMS */
	uint32_t max_fragments;	/* per datagram, 2..PKT_FRAG_MAX_FRAGMENTS */
	uint32_t max_datagram;	/* octets, headers included, 68..PKT_FRAG_MAX_SIZE */
	uint64_t max_bytes;	/* fragment storage: at least max_datagram + PKT_FRAG_BLOCK
				 * (one datagram always fits), at most PKT_FRAG_MAX_BYTES */
	uint64_t timeout_ns;	/* 1 ms..PKT_FRAG_MAX_TIMEOUT_NS, from the first piece */
};

/*
 * What pkt_frag_add did with a fragment.  The values also index pkt_frag_stats.n, where the
 * "datagram dropped" reasons count datagrams (once each) and the others count fragments;
 * TIMEOUT, EVICTED and EVICTED_MEM are never returned by pkt_frag_add: they happen to other
 * datagrams and are only counted.
 */
enum pkt_frag_rc {
	PKT_FRAG_HELD = 0,	/* kept: the datagram is not complete yet */
	PKT_FRAG_COMPLETE,	/* the datagram is complete: see *out (counts datagrams) */
	PKT_FRAG_DUPLICATE,	/* exact duplicate of a piece held: ignored */
	/* This fragment dropped, the datagram (if any) goes on: */
	PKT_FRAG_E_HDR,		/* not a well-formed IPv4/IPv6 packet (truncated, lying length) */
	PKT_FRAG_E_NOT_FRAG,	/* no MF flag, no offset and no IPv6 fragment header */
	PKT_FRAG_E_LEN,		/* no data, or a non-last piece not a multiple of 8 octets */
	PKT_FRAG_E_HDR_LONG,	/* IPv6 headers before the fragment header > PKT_FRAG_HDR_MAX */
	PKT_FRAG_E_DEAD,	/* a piece of a datagram already dropped (RFC 5722) */
	/* The whole datagram dropped: */
	PKT_FRAG_E_OVERLAP,	/* pieces overlap and are not exact duplicates (RFC 5722) */
	PKT_FRAG_E_OVERSIZE,	/* it would exceed max_datagram octets */
	PKT_FRAG_E_BOUNDS,	/* pieces disagree on where it ends */
	PKT_FRAG_E_TOO_MANY,	/* more than max_fragments pieces */
	PKT_FRAG_E_TINY_FIRST,	/* the first piece lacks the upper-layer header (RFC 7112/1858) */
	PKT_FRAG_E_TIMEOUT,	/* incomplete after timeout_ns */
	PKT_FRAG_E_EVICTED,	/* oldest evicted: max_datagrams in flight */
	PKT_FRAG_E_EVICTED_MEM,	/* oldest evicted: fragment storage full */
	PKT_FRAG__COUNT
};

/* Static English text for each value; "unknown" for out-of-range values. */
const char *pkt_frag_strerror(enum pkt_frag_rc rc);
/* 1 for the refusals (PKT_FRAG_E_*), 0 for HELD, COMPLETE and DUPLICATE. */
int pkt_frag_is_drop(enum pkt_frag_rc rc);

struct pkt_frag_stats {
	uint64_t fragments;		/* pieces handed to pkt_frag_add */
	uint64_t n[PKT_FRAG__COUNT];	/* by outcome (see enum pkt_frag_rc) */
	uint64_t drops;			/* sum of the PKT_FRAG_E_* counters */
	uint32_t in_flight;		/* datagrams being reassembled now */
	uint32_t dead;			/* dropped datagrams remembered until their timeout */
	uint64_t bytes_held;		/* storage in use now (whole blocks) */
	uint64_t peak_bytes;		/* highest bytes_held so far */
};

/* A reassembled datagram.  ip points into the reassembler: valid until the next call of
 * pkt_frag_add, pkt_frag_expire or pkt_frag_free on the same instance. */
struct pkt_frag_out {
	const uint8_t *ip;
	size_t len;
	uint8_t ipver;		/* 4 or 6 */
	uint32_t nfrags;	/* pieces it was made of */
	uint64_t first_ns;	/* capture time of the first piece received */
	uint64_t ts_ns;		/* capture time of the piece that completed it (the now_ns given) */
};

struct pkt_frag;

/* The defaults above. */
void pkt_frag_config_init(struct pkt_frag_config *cfg);

/* NULL if every field of cfg is in range, else a static message naming the first that is not
 * (e.g. "max_bytes out of range"). */
const char *pkt_frag_config_check(const struct pkt_frag_config *cfg);

/* Exact number of octets pkt_frag_new(cfg) allocates, or 0 if cfg is out of range. */
size_t pkt_frag_memory_for(const struct pkt_frag_config *cfg);

/* Creates a reassembler with all its memory and a secret hash seed (OpenSSL RAND_bytes).
 * Returns NULL with a static message in *err (if err is not NULL) when a field of cfg is out
 * of range, memory is short or no random seed is available. */
struct pkt_frag *pkt_frag_new(const struct pkt_frag_config *cfg, const char **err);
void pkt_frag_free(struct pkt_frag *);

/*
 * Takes one fragment: ip/len is the IP packet from its version octet on (pkt_info.ip of a
 * PKT_E_FRAGMENT; octets past the IP length are ignored).  now_ns is its capture time; it
 * also drives expiry.  The bytes are copied: the caller's buffer may be reused on return.
 * Returns PKT_FRAG_COMPLETE with *out filled when this piece completes a datagram, otherwise
 * what happened to the piece; counters are updated either way.  Never reads outside
 * [ip, ip+len).
 */
enum pkt_frag_rc pkt_frag_add(struct pkt_frag *, const uint8_t *ip, size_t len, uint64_t now_ns,
    struct pkt_frag_out *out);

/* Drops (and counts as PKT_FRAG_E_TIMEOUT) the datagrams whose first piece arrived timeout_ns
 * or longer before now_ns, and forgets dropped ones as old.  Returns how many it dropped. */
size_t pkt_frag_expire(struct pkt_frag *, uint64_t now_ns);

const struct pkt_frag_stats *pkt_frag_stats(const struct pkt_frag *);
const struct pkt_frag_config *pkt_frag_config(const struct pkt_frag *);
/* Octets allocated by pkt_frag_new (= pkt_frag_memory_for of its config). */
size_t pkt_frag_memory(const struct pkt_frag *);

#endif
