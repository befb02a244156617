/*
 * Wire encoders of the EPC traffic generator: Ethernet/802.1Q, IPv4/IPv6, UDP/TCP/ICMP with
 * correct lengths and checksums, GTPv2-C headers and information elements (TS 29.274 clauses 5
 * and 8), GTP-U headers with sequence numbers and extension headers (TS 29.281 clause 5), TBCD
 * digit strings and the DNS messages used as unrelated traffic.
 *
 * Written from the specifications, independently of src/gtp/ (whose parser this generator
 * checks).  Everything writes through struct ovt_builder: a bad argument (digit string that is
 * not digits, extension header of the wrong size, nesting too deep) or a full buffer sets the
 * builder's sticky error, and the caller checks once with bld_ok().  Lengths are back-patched by
 * the *_end() functions, so an open element must be closed on the same builder, innermost first.
 * Nothing here allocates, prints or keeps state between calls.
 */
#ifndef OVERT_EPCGEN_WIRE_H
#define OVERT_EPCGEN_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"

/* An IPv4 (family 4, bytes 0-3 used) or IPv6 (family 6) address. */
struct epcgen_addr {
	uint8_t family;
	uint8_t a[16];
};

void epcgen_addr_v4(struct epcgen_addr *out, uint32_t host_order);
void epcgen_addr_v6(struct epcgen_addr *out, const uint8_t a[16]);
/* Text form (inet_ntop) into out of n >= 46 bytes; "" on failure. */
void epcgen_addr_str(const struct epcgen_addr *a, char *out, size_t n);

/* ---- Ethernet II with optional 802.1Q tag (vlan 0 = untagged) ---- */
#define EPCGEN_ETH_IPV4 0x0800
#define EPCGEN_ETH_IPV6 0x86dd
void epcgen_eth(struct ovt_builder *b, const uint8_t dst[6], const uint8_t src[6], uint16_t vlan,
    uint16_t ethertype);

/* ---- IPv4/IPv6 + one transport header ----
 * epcgen_ip_begin() writes the IP header with a zero length; one of the *_hdr() functions adds
 * the transport header; the caller writes the payload; epcgen_ip_end() patches the IP length,
 * the IPv4 header checksum, the UDP length and the transport checksum (pseudo-header included
 * for UDP, TCP and ICMPv6; UDP's 0 result is sent as 0xffff, RFC 768). */
#define EPCGEN_IPPROTO_ICMP	1
#define EPCGEN_IPPROTO_TCP	6
#define EPCGEN_IPPROTO_UDP	17
#define EPCGEN_IPPROTO_ICMPV6	58

struct epcgen_ip {
	size_t ip_off;		/* start of the IP header in the builder */
	size_t l4_off;		/* start of the transport header */
	struct epcgen_addr src, dst;
	uint8_t proto;
};

/* src and dst must have the same family, else the builder's error is set. */
void epcgen_ip_begin(struct ovt_builder *b, struct epcgen_ip *ip, const struct epcgen_addr *src,
    const struct epcgen_addr *dst, uint8_t proto, uint16_t ipv4_id);
void epcgen_udp_hdr(struct ovt_builder *b, struct epcgen_ip *ip, uint16_t sport, uint16_t dport);
void epcgen_tcp_hdr(struct ovt_builder *b, struct epcgen_ip *ip, uint16_t sport, uint16_t dport,
    uint32_t seq, uint32_t ack, uint8_t flags);
/* ICMP (IPv4) or ICMPv6 echo request (reply = 0) or reply (reply = 1), by the IP family. */
void epcgen_icmp_echo_hdr(struct ovt_builder *b, struct epcgen_ip *ip, int reply, uint16_t id,
    uint16_t seq);
void epcgen_ip_end(struct ovt_builder *b, struct epcgen_ip *ip);

/* ---- IP fragmentation (--mtu) ----
 * IPv4 as a router on the path does it (RFC 791 3.2): every piece but the last carries a
 * multiple of 8 data octets, the offset counts 8-octet units, MF is set on all but the last,
 * the header is copied (packets built here have no options) with its total length and checksum
 * redone and DF cleared (a router only fragments packets sent without DF).  IPv6 as the sending
 * node does it (RFC 8200 4.5): a fragment header after the 40-octet header (packets built here
 * have no extension headers) with the packet's Next Header, the offset, M and the given
 * identification; the payload length redone.  ip/len is a whole packet from epcgen_ip_end. */
/* Pieces the packet needs on a link of this MTU: 1 if it fits (or is neither IPv4 nor IPv6),
 * 0 if the MTU cannot carry 8 data octets a piece. */
size_t epcgen_ip_frag_count(const uint8_t *ip, size_t len, size_t mtu);
/* Appends piece k (0-based, below the count) to b; a bad k sets the builder's error.  With a
 * count of 1 the packet is copied unchanged. */
void epcgen_ip_frag_write(struct ovt_builder *b, const uint8_t *ip, size_t len, size_t mtu,
    uint32_t id6, size_t k);

/* ---- GTPv2-C (TS 29.274) ---- */
#define EPCGEN_V2_MAX_DEPTH 4	/* grouped IEs nest at most this deep here */

struct epcgen_v2 {
	size_t start;			/* first octet of the message header */
	size_t open[EPCGEN_V2_MAX_DEPTH]; /* offsets of the open grouped IEs' length fields */
	int depth;
};

/* Header (clause 5.1): version 2, P flag when piggy, T flag and TEID when has_teid; the
 * 24-bit sequence number; the length is patched by epcgen_v2_end(). */
void epcgen_v2_begin(struct ovt_builder *b, struct epcgen_v2 *m, uint8_t type, int piggy,
    int has_teid, uint32_t teid, uint32_t seq);
/* Sets an error if a grouped IE is still open. */
void epcgen_v2_end(struct ovt_builder *b, struct epcgen_v2 *m);

/* Grouped IE (clause 8.2.1): type, length patched at close, spare/instance. */
void epcgen_v2_group_begin(struct ovt_builder *b, struct epcgen_v2 *m, uint8_t type, uint8_t inst);
void epcgen_v2_group_end(struct ovt_builder *b, struct epcgen_v2 *m);

/* IE types used (clause 8.1, Table 8.1-1). */
#define EPCGEN_IE_IMSI		1
#define EPCGEN_IE_CAUSE		2
#define EPCGEN_IE_RECOVERY	3
#define EPCGEN_IE_APN		71
#define EPCGEN_IE_AMBR		72
#define EPCGEN_IE_EBI		73
#define EPCGEN_IE_MEI		75
#define EPCGEN_IE_MSISDN	76
#define EPCGEN_IE_PAA		79
#define EPCGEN_IE_BEARER_QOS	80
#define EPCGEN_IE_RAT_TYPE	82
#define EPCGEN_IE_SERVING_NET	83
#define EPCGEN_IE_TFT		84
#define EPCGEN_IE_ULI		86
#define EPCGEN_IE_FTEID		87
#define EPCGEN_IE_BEARER_CTX	93
#define EPCGEN_IE_CHARGING_ID	94
#define EPCGEN_IE_PDN_TYPE	99
#define EPCGEN_IE_APN_RESTR	127
#define EPCGEN_IE_SEL_MODE	128

/* F-TEID interface types (clause 8.22, Table 8.22-1). */
#define EPCGEN_IF_S1U_ENB	0
#define EPCGEN_IF_S1U_SGW	1
#define EPCGEN_IF_S5U_SGW	4
#define EPCGEN_IF_S5U_PGW	5
#define EPCGEN_IF_S5C_SGW	6
#define EPCGEN_IF_S5C_PGW	7
#define EPCGEN_IF_S11_MME	10
#define EPCGEN_IF_S11_SGW	11

/* PDN types (clause 8.14 PAA and 8.34 PDN Type). */
#define EPCGEN_PDN_IPV4		1
#define EPCGEN_PDN_IPV6		2
#define EPCGEN_PDN_IPV4V6	3

/* Fixed-size IEs. */
void epcgen_ie_u8(struct ovt_builder *b, uint8_t type, uint8_t inst, uint8_t v);
void epcgen_ie_u32(struct ovt_builder *b, uint8_t type, uint8_t inst, uint32_t v);
void epcgen_ie_bytes(struct ovt_builder *b, uint8_t type, uint8_t inst, const void *p, size_t n);
/* IMSI, MSISDN, MEI: TBCD digits (clause 8.3, 8.10, 8.11). */
void epcgen_ie_tbcd(struct ovt_builder *b, uint8_t type, uint8_t inst, const char *digits);
/* Cause (clause 8.4): value, then the PCE/BCE/CS octet as 0. */
void epcgen_ie_cause(struct ovt_builder *b, uint8_t inst, uint8_t cause);
/* EBI (clause 8.8): low four bits. */
void epcgen_ie_ebi(struct ovt_builder *b, uint8_t inst, uint8_t ebi);
/* APN (clause 8.6): dot-separated text written as length-prefixed labels (TS 23.003 9.1). */
void epcgen_ie_apn(struct ovt_builder *b, uint8_t inst, const char *apn);
/* AMBR (clause 8.7): uplink then downlink, kbit/s. */
void epcgen_ie_ambr(struct ovt_builder *b, uint8_t inst, uint32_t ul_kbps, uint32_t dl_kbps);
/* F-TEID (clause 8.22): V4 or V6 flag by the address family, interface type, TEID, address. */
void epcgen_ie_fteid(struct ovt_builder *b, uint8_t inst, uint8_t iface, uint32_t teid,
    const struct epcgen_addr *addr);
/* PAA (clause 8.14): v4 and/or v6 by pdn_type; v6 is prefix length + 16 octets. */
void epcgen_ie_paa(struct ovt_builder *b, uint8_t inst, uint8_t pdn_type, uint32_t v4,
    const uint8_t v6[16], uint8_t v6_plen);
/* Bearer QoS (clause 8.15): ARP (PCI, PL, PVI), QCI, MBR/GBR up/down as 40-bit kbit/s. */
void epcgen_ie_bearer_qos(struct ovt_builder *b, uint8_t inst, uint8_t qci, uint8_t prio_level,
    uint64_t mbr_ul, uint64_t mbr_dl, uint64_t gbr_ul, uint64_t gbr_dl);
/* PLMN 001/01 style MCC+MNC (clause 8.18 Serving Network; also inside TAI/ECGI). */
void epcgen_plmn(struct ovt_builder *b, const char mcc[3], const char *mnc);
void epcgen_ie_serving_network(struct ovt_builder *b, uint8_t inst, const char mcc[3],
    const char *mnc);
/* ULI (clause 8.21) with TAI and ECGI only (flags 0x18). */
void epcgen_ie_uli(struct ovt_builder *b, uint8_t inst, const char mcc[3], const char *mnc,
    uint16_t tac, uint32_t eci);
/* Bearer TFT (clause 8.19 -> TS 24.008 10.5.6.12): "create new TFT" with one bidirectional
 * packet filter matching a remote address (IPv4 /32 or IPv6 /128), a protocol and a remote
 * port. */
void epcgen_ie_tft(struct ovt_builder *b, uint8_t inst, const struct epcgen_addr *remote,
    uint8_t proto, uint16_t port);

/* ---- GTP-U (TS 29.281) ---- */
#define EPCGEN_GTPU_ECHO_REQ	1
#define EPCGEN_GTPU_ECHO_RESP	2
#define EPCGEN_GTPU_END_MARKER	254
#define EPCGEN_GTPU_GPDU	255

/* Extension header types (clause 5.2.1, Figure 5.2.1-3). */
#define EPCGEN_GTPU_EXT_UDP_PORT	0x40
#define EPCGEN_GTPU_EXT_PDU_SESSION	0x85
#define EPCGEN_GTPU_EXT_MAX		4	/* per packet, here */
#define EPCGEN_GTPU_EXT_CONTENT_MAX	10	/* content octets: length*4 - 2 */

struct epcgen_gtpu_ext {
	uint8_t type;
	uint8_t len;			/* content octets; must be 4k-2 (clause 5.2.1) */
	uint8_t content[EPCGEN_GTPU_EXT_CONTENT_MAX];
};

struct epcgen_gtpu {
	size_t start;
};

/* Header (clause 5.1): version 1, PT 1; the optional 4 octets (sequence number, N-PDU number,
 * next extension header type) are present when has_seq or n_ext > 0, with S set only when
 * has_seq; the extension headers follow, chained by their "next type" octet.  The length
 * (octets after the first 8) is patched by epcgen_gtpu_end(). */
void epcgen_gtpu_begin(struct ovt_builder *b, struct epcgen_gtpu *u, uint8_t type, uint32_t teid,
    int has_seq, uint16_t seq, const struct epcgen_gtpu_ext *ext, size_t n_ext);
void epcgen_gtpu_end(struct ovt_builder *b, struct epcgen_gtpu *u);

/* PDU Session Container (TS 38.415 5.5.2): downlink (type 0) or uplink (type 1) with a QFI. */
void epcgen_gtpu_ext_pdu_session(struct epcgen_gtpu_ext *e, int uplink, uint8_t qfi);
/* UDP Port (TS 29.281 5.2.2.1). */
void epcgen_gtpu_ext_udp_port(struct epcgen_gtpu_ext *e, uint16_t port);

/* ---- TBCD (TS 29.274 8.3: digits in nibbles, low nibble first, odd count padded with F) ---- */
void epcgen_tbcd(struct ovt_builder *b, const char *digits);

/* ---- DNS (RFC 1035) query or response for an A record, used as unrelated traffic ---- */
void epcgen_dns(struct ovt_builder *b, uint16_t id, int response, const char *qname,
    uint32_t answer_v4);

#endif
