/*
 * Packet decoding for the passive probe: link layer -> outer IP -> UDP, and the inner IP packet
 * of a G-PDU (for the X3 5-tuple).  Pure functions of (bytes, length): no allocation, no
 * logging, no global state.  Every failure has its own enum value so the capture loop can keep
 * one counter per reason (pkt_err_counts) and a bad frame is simply dropped.
 *
 * Link types (libpcap DLT values as returned by pcap_datalink(), which maps file LINKTYPE_*):
 *   DLT_EN10MB (1) with 802.1Q/802.1ad/QinQ tags (0x8100, 0x88a8, 0x9100), DLT_LINUX_SLL (113),
 *   DLT_LINUX_SLL2 (276), DLT_RAW (12, 14 on OpenBSD), LINKTYPE_RAW (101), LINKTYPE_IPV4 (228),
 *   LINKTYPE_IPV6 (229), DLT_NULL (0) and DLT_LOOP (108) in either byte order.
 * IPv4 with options (RFC 791), IPv6 with hop-by-hop, routing, destination-options and fragment
 * extension headers (RFC 8200 section 4).  Fragments are reported (pkt_info.frag) and only the
 * first fragment carries an L4 header; pkt_frag.h reassembles them: hand it pkt_info.ip of each
 * PKT_E_FRAGMENT, and run pkt_decode_ip() on the datagram it returns once complete (the POI
 * does so in poi_core.c; pkt_decode itself keeps no state).
 *
 * Thread safety: none needed; the functions touch only their arguments.
 */
#ifndef OVERT_PKT_PKT_H
#define OVERT_PKT_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"

/* libpcap link-type values we accept (numbers, so this header needs no pcap.h). */
#define PKT_DLT_NULL		0
#define PKT_DLT_EN10MB		1
#define PKT_DLT_RAW		12
#define PKT_DLT_RAW_OPENBSD	14
#define PKT_LINKTYPE_RAW	101
#define PKT_DLT_LOOP		108
#define PKT_DLT_LINUX_SLL	113
#define PKT_LINKTYPE_IPV4	228
#define PKT_LINKTYPE_IPV6	229
#define PKT_DLT_LINUX_SLL2	276

#define PKT_MAX_VLAN		4	/* tags walked; more is refused (QinQ uses 2) */
#define PKT_MAX_IPV6_EXT	8	/* IPv6 extension headers walked before giving up */

enum pkt_err {
	PKT_OK = 0,
	PKT_E_LINKTYPE,		/* link type not supported */
	PKT_E_LINK_SHORT,	/* frame shorter than its link header */
	PKT_E_VLAN_DEPTH,	/* more than PKT_MAX_VLAN tags */
	PKT_E_NOT_IP,		/* ethertype / address family is not IPv4 or IPv6 */
	PKT_E_IP_VERSION,	/* version nibble disagrees with the link layer */
	PKT_E_IPV4_HDR,		/* IHL < 5 or header truncated */
	PKT_E_IPV4_LEN,		/* total length smaller than the header */
	PKT_E_IPV6_HDR,		/* fixed header truncated */
	PKT_E_IPV6_EXT,		/* extension header truncated or lying length */
	PKT_E_IPV6_EXT_DEPTH,	/* more than PKT_MAX_IPV6_EXT extension headers */
	PKT_E_TRUNCATED,	/* fewer bytes captured than the IP length says (snaplen) */
	PKT_E_FRAGMENT,		/* non-first fragment: no L4 header here (see frag fields) */
	PKT_E_NOT_UDP,		/* outer L4 is not UDP (pkt_decode only) */
	PKT_E_UDP_HDR,		/* UDP header truncated */
	PKT_E_UDP_LEN,		/* UDP length < 8 or larger than the IP payload */
	PKT_E_L4_HDR,		/* inner TCP/SCTP/ICMP header truncated (pkt_decode_ip) */
	PKT_E__COUNT
};

/* Fragment flags of pkt_info.frag. */
#define PKT_FRAG_IS	0x1	/* the packet is a fragment (MF set or offset != 0) */
#define PKT_FRAG_FIRST	0x2	/* offset 0: the L4 header is here but the payload is partial */

struct pkt_info {
	uint8_t ipver;		/* 4 or 6 */
	uint8_t proto;		/* L4 protocol after IPv6 extension headers (17 = UDP) */
	uint8_t nvlan;		/* VLAN tags seen (outer first); ids of the first two kept */
	uint8_t frag;		/* PKT_FRAG_* */
	uint16_t vlan[2];
	uint16_t sport, dport;	/* TCP/UDP/SCTP ports, else 0 */
	uint8_t src[16], dst[16]; /* IPv4 uses the first 4 octets, the rest is zero */
	uint32_t frag_id;	/* IPv4 identification or IPv6 fragment identification */
	uint16_t frag_off;	/* fragment offset in octets */
	uint8_t frag_more;	/* MF */
	struct ovt_cursor ip;	/* the IP packet, cut to the IP length */
	struct ovt_cursor l4;	/* from the L4 header to the end of the IP packet */
	struct ovt_cursor payload; /* UDP: the datagram payload (cut to the UDP length);
				    * TCP: bytes after the TCP header; else empty */
};

/*
 * Decodes one captured frame down to UDP.  On PKT_OK out->payload is the UDP payload.
 * A fragment (IPv4 MF/offset, IPv6 fragment header) returns PKT_E_FRAGMENT with the IP fields,
 * frag, frag_id, frag_off, frag_more and ip filled, plus the ports when it is the first
 * fragment (PKT_FRAG_FIRST); the caller hands ip to pkt_frag_add() (pkt_frag.h).  proto is
 * the IPv4 protocol or, for IPv6, what follows the fragment header.
 * Returns the first problem found; out is partially filled on error (addresses are valid once
 * the IP header decoded).  Never reads outside [p, p+caplen).
 */
enum pkt_err pkt_decode(int linktype, const uint8_t *p, size_t caplen, struct pkt_info *out);

/* Same from the IP header on (an inner G-PDU packet or a reassembled datagram).  Accepts any
 * L4 protocol: ports are filled for TCP (6), UDP (17) and SCTP (132). */
enum pkt_err pkt_decode_ip(const uint8_t *p, size_t len, struct pkt_info *out);

/* Static English text for each value; "unknown" for out-of-range values. */
const char *pkt_strerror(enum pkt_err e);

/* Per-reason counters, one array per capture loop. */
struct pkt_err_counts {
	uint64_t n[PKT_E__COUNT];
};

#endif
