/*
 * Wire encoders of the EPC traffic generator (see epcgen_wire.h).  Every length field is
 * back-patched from what was actually written, which is how the generator avoids the length
 * bugs that make scapy's GTPv2 output malformed (STANDARDS.md 5.3).
 */
#include "epcgen/epcgen_wire.h"
#include "pkt/pkt_csum.h"

#include <arpa/inet.h>
#include <string.h>

/* Marks a builder failed without writing (bad argument): the sticky error of bytes.h. */
static void
bld_fail(struct ovt_builder *b)
{
	b->err = 1;
}

void
epcgen_addr_v4(struct epcgen_addr *out, uint32_t host_order)
{
	memset(out, 0, sizeof(*out));
	out->family = 4;
	out->a[0] = (uint8_t)(host_order >> 24);
	out->a[1] = (uint8_t)(host_order >> 16);
	out->a[2] = (uint8_t)(host_order >> 8);
	out->a[3] = (uint8_t)host_order;
}

void
epcgen_addr_v6(struct epcgen_addr *out, const uint8_t a[16])
{
	out->family = 6;
	memcpy(out->a, a, 16);
}

void
epcgen_addr_str(const struct epcgen_addr *a, char *out, size_t n)
{
	const char *r;

	if (n == 0)
		return;
	if (a->family == 4)
		r = inet_ntop(AF_INET, a->a, out, (socklen_t)n);
	else
		r = inet_ntop(AF_INET6, a->a, out, (socklen_t)n);
	if (r == NULL)
		out[0] = '\0';
}

static size_t
addr_len(const struct epcgen_addr *a)
{
	return a->family == 6 ? 16 : 4;
}

/* ----------------------------------------------------------------- Ethernet ---- */

void
epcgen_eth(struct ovt_builder *b, const uint8_t dst[6], const uint8_t src[6], uint16_t vlan,
    uint16_t ethertype)
{
	bld_add_bytes(b, dst, 6);
	bld_add_bytes(b, src, 6);
	if (vlan != 0) {
		/* IEEE 802.1Q: TPID 0x8100, then PCP 0 / DEI 0 / 12-bit VLAN ID. */
		if (vlan > 4094) {
			bld_fail(b);
			return;
		}
		bld_add_u16(b, 0x8100);
		bld_add_u16(b, vlan);
	}
	bld_add_u16(b, ethertype);
}

/* ------------------------------------------------------------ IP + transport ---- */

void
epcgen_ip_begin(struct ovt_builder *b, struct epcgen_ip *ip, const struct epcgen_addr *src,
    const struct epcgen_addr *dst, uint8_t proto, uint16_t ipv4_id)
{
	ip->ip_off = bld_len(b);
	ip->l4_off = 0;
	ip->src = *src;
	ip->dst = *dst;
	ip->proto = proto;
	if (src->family != dst->family || (src->family != 4 && src->family != 6)) {
		bld_fail(b);
		return;
	}
	if (src->family == 4) {
		/* RFC 791: version 4, IHL 5, DSCP 0; DF set; TTL 64; checksum patched at end. */
		bld_add_u8(b, 0x45);
		bld_add_u8(b, 0);
		bld_add_u16(b, 0);
		bld_add_u16(b, ipv4_id);
		bld_add_u16(b, 0x4000);
		bld_add_u8(b, 64);
		bld_add_u8(b, proto);
		bld_add_u16(b, 0);
		bld_add_bytes(b, src->a, 4);
		bld_add_bytes(b, dst->a, 4);
	} else {
		/* RFC 8200: version 6, no traffic class or flow label; hop limit 64. */
		bld_add_u32(b, 0x60000000);
		bld_add_u16(b, 0);
		bld_add_u8(b, proto);
		bld_add_u8(b, 64);
		bld_add_bytes(b, src->a, 16);
		bld_add_bytes(b, dst->a, 16);
	}
}

void
epcgen_udp_hdr(struct ovt_builder *b, struct epcgen_ip *ip, uint16_t sport, uint16_t dport)
{
	ip->l4_off = bld_len(b);
	bld_add_u16(b, sport);
	bld_add_u16(b, dport);
	bld_add_u16(b, 0);	/* length, patched */
	bld_add_u16(b, 0);	/* checksum, patched */
}

void
epcgen_tcp_hdr(struct ovt_builder *b, struct epcgen_ip *ip, uint16_t sport, uint16_t dport,
    uint32_t seq, uint32_t ack, uint8_t flags)
{
	ip->l4_off = bld_len(b);
	bld_add_u16(b, sport);
	bld_add_u16(b, dport);
	bld_add_u32(b, seq);
	bld_add_u32(b, ack);
	bld_add_u8(b, 5 << 4);	/* data offset: 5 words, no options */
	bld_add_u8(b, flags);
	bld_add_u16(b, 65535);	/* window */
	bld_add_u16(b, 0);	/* checksum, patched */
	bld_add_u16(b, 0);	/* urgent pointer */
}

void
epcgen_icmp_echo_hdr(struct ovt_builder *b, struct epcgen_ip *ip, int reply, uint16_t id,
    uint16_t seq)
{
	ip->l4_off = bld_len(b);
	if (ip->src.family == 4)
		bld_add_u8(b, reply ? 0 : 8);		/* RFC 792 echo reply / request */
	else
		bld_add_u8(b, reply ? 129 : 128);	/* RFC 4443 echo reply / request */
	bld_add_u8(b, 0);
	bld_add_u16(b, 0);	/* checksum, patched */
	bld_add_u16(b, id);
	bld_add_u16(b, seq);
}

/* Offset of the checksum field inside each transport header. */
static size_t
l4_csum_off(uint8_t proto)
{
	switch (proto) {
	case EPCGEN_IPPROTO_UDP:
		return 6;
	case EPCGEN_IPPROTO_TCP:
		return 16;
	default:
		return 2;	/* ICMP, ICMPv6 */
	}
}

void
epcgen_ip_end(struct ovt_builder *b, struct epcgen_ip *ip)
{
	size_t end, l4len;
	uint64_t sum = 0;
	uint16_t csum;

	if (!bld_ok(b))
		return;
	end = bld_len(b);
	if (ip->l4_off == 0 || ip->l4_off > end) {
		bld_fail(b);
		return;
	}
	l4len = end - ip->l4_off;
	if (l4len > 0xffff - 40) {
		bld_fail(b);
		return;
	}
	if (ip->src.family == 4) {
		bld_put_u16_at(b, ip->ip_off + 2, (uint16_t)(end - ip->ip_off));
		bld_put_u16_at(b, ip->ip_off + 10, pkt_csum_fold(
		    pkt_csum_add(0, bld_data(b) + ip->ip_off, 20)));
	} else {
		bld_put_u16_at(b, ip->ip_off + 4, (uint16_t)l4len);
	}
	if (ip->proto == EPCGEN_IPPROTO_UDP)
		bld_put_u16_at(b, ip->l4_off + 4, (uint16_t)l4len);

	/* Pseudo-header: RFC 768/793 for IPv4, RFC 8200 8.1 for IPv6; plain ICMPv4 has none. */
	if (ip->proto != EPCGEN_IPPROTO_ICMP) {
		sum = pkt_csum_add(sum, ip->src.a, addr_len(&ip->src));
		sum = pkt_csum_add(sum, ip->dst.a, addr_len(&ip->dst));
		sum += ip->proto;
		sum += l4len;
	}
	sum = pkt_csum_add(sum, bld_data(b) + ip->l4_off, l4len);
	csum = pkt_csum_fold(sum);
	if (csum == 0 && ip->proto == EPCGEN_IPPROTO_UDP)
		csum = 0xffff;
	bld_put_u16_at(b, ip->l4_off + l4_csum_off(ip->proto), csum);
}

/* ------------------------------------------------------------- fragmentation ---- */

/* Header octets kept from the packet (hl) and repeated in every piece (over). */
static int
frag_geometry(const uint8_t *ip, size_t len, size_t *hl, size_t *over)
{
	if (len < 1)
		return -1;
	if ((ip[0] >> 4) == 4) {
		*hl = (size_t)(ip[0] & 0x0f) * 4;
		*over = *hl;
	} else if ((ip[0] >> 4) == 6) {
		*hl = 40;
		*over = 40 + 8;
	} else {
		return -1;
	}
	return *hl >= 20 && *hl <= len ? 0 : -1;
}

size_t
epcgen_ip_frag_count(const uint8_t *ip, size_t len, size_t mtu)
{
	size_t hl, over, per;

	if (len <= mtu || frag_geometry(ip, len, &hl, &over) < 0)
		return 1;
	if (mtu < over + 8)
		return 0;
	per = (mtu - over) & ~(size_t)7;
	return (len - hl + per - 1) / per;
}

void
epcgen_ip_frag_write(struct ovt_builder *b, const uint8_t *ip, size_t len, size_t mtu,
    uint32_t id6, size_t k)
{
	size_t n = epcgen_ip_frag_count(ip, len, mtu), hl = 0, over = 0, per, off, dl, start;
	int more;

	if (n == 0 || k >= n) {
		bld_fail(b);
		return;
	}
	if (n == 1) {
		bld_add_bytes(b, ip, len);
		return;
	}
	if (frag_geometry(ip, len, &hl, &over) < 0) {	/* not with n > 1: count checked it */
		bld_fail(b);
		return;
	}
	per = (mtu - over) & ~(size_t)7;
	off = k * per;
	dl = len - hl - off < per ? len - hl - off : per;
	more = k + 1 < n;
	start = bld_len(b);
	if (hl == over) {
		/* IPv4: total length, flags (DF cleared, MF) + offset in 8-octet units, checksum. */
		bld_add_bytes(b, ip, hl);
		bld_put_u16_at(b, start + 2, (uint16_t)(hl + dl));
		bld_put_u16_at(b, start + 6, (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
		bld_put_u16_at(b, start + 10, 0);
		if (bld_ok(b))
			bld_put_u16_at(b, start + 10, pkt_csum_fold(
			    pkt_csum_add(0, bld_data(b) + start, hl)));
	} else {
		/* IPv6: payload length, Next Header 44, then the fragment header. */
		bld_add_bytes(b, ip, 40);
		bld_put_u16_at(b, start + 4, (uint16_t)(8 + dl));
		if (bld_ok(b))
			bld_data(b)[start + 6] = 44;
		bld_add_u8(b, ip[6]);
		bld_add_u8(b, 0);
		bld_add_u16(b, (uint16_t)(off | (more ? 1 : 0)));
		bld_add_u32(b, id6);
	}
	bld_add_bytes(b, ip + hl + off, dl);
}

/* ------------------------------------------------------------------ GTPv2-C ---- */

void
epcgen_v2_begin(struct ovt_builder *b, struct epcgen_v2 *m, uint8_t type, int piggy,
    int has_teid, uint32_t teid, uint32_t seq)
{
	/* TS 29.274 5.1: version 2 in bits 8-6, P bit 5, T bit 4, MP bit 3 (0 here). */
	uint8_t flags = 0x40 | (piggy ? 0x10 : 0) | (has_teid ? 0x08 : 0);

	m->start = bld_len(b);
	m->depth = 0;
	if (seq > 0xffffff) {
		bld_fail(b);
		return;
	}
	bld_add_u8(b, flags);
	bld_add_u8(b, type);
	bld_add_u16(b, 0);		/* length, patched */
	if (has_teid)
		bld_add_u32(b, teid);
	bld_add_u24(b, seq);
	bld_add_u8(b, 0);		/* spare (message priority unused: MP = 0) */
}

void
epcgen_v2_end(struct ovt_builder *b, struct epcgen_v2 *m)
{
	size_t len;

	if (m->depth != 0) {
		bld_fail(b);
		return;
	}
	/* 5.5.1: the length excludes the first 4 octets (flags, type, length itself). */
	len = bld_len(b) - m->start - 4;
	if (len > 0xffff) {
		bld_fail(b);
		return;
	}
	bld_put_u16_at(b, m->start + 2, (uint16_t)len);
}

/* IE header (8.2.1): type, 16-bit length of the value only, spare nibble + instance. */
static void
ie_hdr(struct ovt_builder *b, uint8_t type, uint16_t len, uint8_t inst)
{
	if (inst > 15) {
		bld_fail(b);
		return;
	}
	bld_add_u8(b, type);
	bld_add_u16(b, len);
	bld_add_u8(b, inst);
}

void
epcgen_v2_group_begin(struct ovt_builder *b, struct epcgen_v2 *m, uint8_t type, uint8_t inst)
{
	if (m->depth >= EPCGEN_V2_MAX_DEPTH) {
		bld_fail(b);
		return;
	}
	m->open[m->depth++] = bld_len(b) + 1;
	ie_hdr(b, type, 0, inst);
}

void
epcgen_v2_group_end(struct ovt_builder *b, struct epcgen_v2 *m)
{
	size_t off, len;

	if (m->depth <= 0) {
		bld_fail(b);
		return;
	}
	off = m->open[--m->depth];
	len = bld_len(b) - off - 3;	/* value starts after length (2) and instance (1) */
	if (len > 0xffff) {
		bld_fail(b);
		return;
	}
	bld_put_u16_at(b, off, (uint16_t)len);
}

void
epcgen_ie_u8(struct ovt_builder *b, uint8_t type, uint8_t inst, uint8_t v)
{
	ie_hdr(b, type, 1, inst);
	bld_add_u8(b, v);
}

void
epcgen_ie_u32(struct ovt_builder *b, uint8_t type, uint8_t inst, uint32_t v)
{
	ie_hdr(b, type, 4, inst);
	bld_add_u32(b, v);
}

void
epcgen_ie_bytes(struct ovt_builder *b, uint8_t type, uint8_t inst, const void *p, size_t n)
{
	if (n > 0xffff) {
		bld_fail(b);
		return;
	}
	ie_hdr(b, type, (uint16_t)n, inst);
	bld_add_bytes(b, p, n);
}

void
epcgen_tbcd(struct ovt_builder *b, const char *digits)
{
	size_t n = strlen(digits);

	for (size_t i = 0; i < n; i += 2) {
		uint8_t lo, hi;
		if (digits[i] < '0' || digits[i] > '9') {
			bld_fail(b);
			return;
		}
		lo = (uint8_t)(digits[i] - '0');
		if (i + 1 < n) {
			if (digits[i + 1] < '0' || digits[i + 1] > '9') {
				bld_fail(b);
				return;
			}
			hi = (uint8_t)(digits[i + 1] - '0');
		} else {
			hi = 0xf;	/* filler for an odd number of digits */
		}
		bld_add_u8(b, (uint8_t)(hi << 4 | lo));
	}
}

void
epcgen_ie_tbcd(struct ovt_builder *b, uint8_t type, uint8_t inst, const char *digits)
{
	size_t n = strlen(digits);

	if (n == 0 || n > 16) {		/* IMSI <= 15, MSISDN <= 15, IMEISV 16 */
		bld_fail(b);
		return;
	}
	ie_hdr(b, type, (uint16_t)((n + 1) / 2), inst);
	epcgen_tbcd(b, digits);
}

void
epcgen_ie_cause(struct ovt_builder *b, uint8_t inst, uint8_t cause)
{
	ie_hdr(b, EPCGEN_IE_CAUSE, 2, inst);
	bld_add_u8(b, cause);
	bld_add_u8(b, 0);	/* spare, PCE, BCE, CS = 0 */
}

void
epcgen_ie_ebi(struct ovt_builder *b, uint8_t inst, uint8_t ebi)
{
	if (ebi > 15) {
		bld_fail(b);
		return;
	}
	epcgen_ie_u8(b, EPCGEN_IE_EBI, inst, ebi);
}

void
epcgen_ie_apn(struct ovt_builder *b, uint8_t inst, const char *apn)
{
	size_t n = strlen(apn), lab = 0;
	size_t len_off;

	/* TS 23.003 9.1: labels of 1..63 octets, each preceded by its length; total <= 100. */
	if (n == 0 || n > 99) {
		bld_fail(b);
		return;
	}
	ie_hdr(b, EPCGEN_IE_APN, (uint16_t)(n + 1), inst);
	len_off = bld_len(b);
	bld_add_u8(b, 0);
	for (size_t i = 0; i <= n; i++) {
		if (i == n || apn[i] == '.') {
			if (lab == 0 || lab > 63 || !bld_ok(b)) {
				bld_fail(b);
				return;
			}
			bld_data(b)[len_off] = (uint8_t)lab;
			if (i < n) {
				len_off = bld_len(b);
				bld_add_u8(b, 0);
			}
			lab = 0;
		} else {
			bld_add_u8(b, (uint8_t)apn[i]);
			lab++;
		}
	}
}

void
epcgen_ie_ambr(struct ovt_builder *b, uint8_t inst, uint32_t ul_kbps, uint32_t dl_kbps)
{
	ie_hdr(b, EPCGEN_IE_AMBR, 8, inst);
	bld_add_u32(b, ul_kbps);
	bld_add_u32(b, dl_kbps);
}

void
epcgen_ie_fteid(struct ovt_builder *b, uint8_t inst, uint8_t iface, uint32_t teid,
    const struct epcgen_addr *addr)
{
	/* 8.22: octet 5 = V4 (bit 8) | V6 (bit 7) | interface type (bits 6-1). */
	int v6 = addr->family == 6;

	if (iface > 0x3f || (addr->family != 4 && addr->family != 6)) {
		bld_fail(b);
		return;
	}
	ie_hdr(b, EPCGEN_IE_FTEID, v6 ? 21 : 9, inst);
	bld_add_u8(b, (uint8_t)((v6 ? 0x40 : 0x80) | iface));
	bld_add_u32(b, teid);
	bld_add_bytes(b, addr->a, v6 ? 16 : 4);
}

void
epcgen_ie_paa(struct ovt_builder *b, uint8_t inst, uint8_t pdn_type, uint32_t v4,
    const uint8_t v6[16], uint8_t v6_plen)
{
	/* 8.14: octet 5 = spare | PDN type (3 bits); IPv4v6 puts the IPv6 part first. */
	switch (pdn_type) {
	case EPCGEN_PDN_IPV4:
		ie_hdr(b, EPCGEN_IE_PAA, 5, inst);
		bld_add_u8(b, pdn_type);
		bld_add_u32(b, v4);
		break;
	case EPCGEN_PDN_IPV6:
		ie_hdr(b, EPCGEN_IE_PAA, 18, inst);
		bld_add_u8(b, pdn_type);
		bld_add_u8(b, v6_plen);
		bld_add_bytes(b, v6, 16);
		break;
	case EPCGEN_PDN_IPV4V6:
		ie_hdr(b, EPCGEN_IE_PAA, 22, inst);
		bld_add_u8(b, pdn_type);
		bld_add_u8(b, v6_plen);
		bld_add_bytes(b, v6, 16);
		bld_add_u32(b, v4);
		break;
	default:
		bld_fail(b);
	}
}

static void
add_u40(struct ovt_builder *b, uint64_t v)
{
	bld_add_u8(b, (uint8_t)(v >> 32));
	bld_add_u32(b, (uint32_t)v);
}

void
epcgen_ie_bearer_qos(struct ovt_builder *b, uint8_t inst, uint8_t qci, uint8_t prio_level,
    uint64_t mbr_ul, uint64_t mbr_dl, uint64_t gbr_ul, uint64_t gbr_dl)
{
	const uint64_t max40 = (1ULL << 40) - 1;

	if (prio_level < 1 || prio_level > 15 || mbr_ul > max40 || mbr_dl > max40 ||
	    gbr_ul > max40 || gbr_dl > max40) {
		bld_fail(b);
		return;
	}
	/* 8.15: octet 5 = spare | PCI (bit 7) | PL (bits 6-3) | spare | PVI (bit 1).  PCI = 1:
	 * this bearer may not pre-empt others; PVI = 0: it may be pre-empted (a common
	 * default, TS 23.401 4.7.3). */
	ie_hdr(b, EPCGEN_IE_BEARER_QOS, 22, inst);
	bld_add_u8(b, (uint8_t)(0x40 | prio_level << 2));
	bld_add_u8(b, qci);
	add_u40(b, mbr_ul);
	add_u40(b, mbr_dl);
	add_u40(b, gbr_ul);
	add_u40(b, gbr_dl);
}

void
epcgen_plmn(struct ovt_builder *b, const char mcc[3], const char *mnc)
{
	size_t mlen = strlen(mnc);
	uint8_t d[6];

	/* 8.18 / TS 24.008 10.5.1.3: MCC2|MCC1, MNC3|MCC3, MNC2|MNC1; MNC3 = F when 2 digits. */
	if (mlen < 2 || mlen > 3) {
		bld_fail(b);
		return;
	}
	for (int i = 0; i < 3; i++) {
		if (mcc[i] < '0' || mcc[i] > '9') {
			bld_fail(b);
			return;
		}
		d[i] = (uint8_t)(mcc[i] - '0');
	}
	for (size_t i = 0; i < mlen; i++) {
		if (mnc[i] < '0' || mnc[i] > '9') {
			bld_fail(b);
			return;
		}
		d[3 + i] = (uint8_t)(mnc[i] - '0');
	}
	if (mlen == 2)
		d[5] = 0xf;
	bld_add_u8(b, (uint8_t)(d[1] << 4 | d[0]));
	bld_add_u8(b, (uint8_t)(d[5] << 4 | d[2]));
	bld_add_u8(b, (uint8_t)(d[4] << 4 | d[3]));
}

void
epcgen_ie_serving_network(struct ovt_builder *b, uint8_t inst, const char mcc[3],
    const char *mnc)
{
	ie_hdr(b, EPCGEN_IE_SERVING_NET, 3, inst);
	epcgen_plmn(b, mcc, mnc);
}

void
epcgen_ie_uli(struct ovt_builder *b, uint8_t inst, const char mcc[3], const char *mnc,
    uint16_t tac, uint32_t eci)
{
	if (eci > 0x0fffffff) {
		bld_fail(b);
		return;
	}
	/* 8.21: flags (TAI bit 4, ECGI bit 5), then TAI (8.21.4) and ECGI (8.21.5) in that
	 * order; the ECGI's top nibble is spare. */
	ie_hdr(b, EPCGEN_IE_ULI, 1 + 5 + 7, inst);
	bld_add_u8(b, 0x18);
	epcgen_plmn(b, mcc, mnc);
	bld_add_u16(b, tac);
	epcgen_plmn(b, mcc, mnc);
	bld_add_u32(b, eci);
}

void
epcgen_ie_tft(struct ovt_builder *b, uint8_t inst, const struct epcgen_addr *remote,
    uint8_t proto, uint16_t port)
{
	int v6 = remote->family == 6;
	/* one filter: address component (1 + 2*addrlen) + protocol (2) + single port (3) */
	uint8_t comp_len = (uint8_t)(1 + 2 * (v6 ? 16 : 4) + 2 + 3);

	/* TS 24.008 10.5.6.12: octet 3 = operation "create new TFT" (001) | E = 0 |
	 * number of packet filters; per filter: direction (bits 6-5, 11 = bidirectional) |
	 * identifier (bits 4-1), evaluation precedence, length of contents, components. */
	ie_hdr(b, EPCGEN_IE_TFT, (uint16_t)(1 + 3 + comp_len), inst);
	bld_add_u8(b, 1 << 5 | 1);
	bld_add_u8(b, 0x30 | 1);
	bld_add_u8(b, 0x10);
	bld_add_u8(b, comp_len);
	bld_add_u8(b, v6 ? 0x20 : 0x10);	/* IPv6 / IPv4 remote address type */
	bld_add_bytes(b, remote->a, v6 ? 16 : 4);
	for (int i = 0; i < (v6 ? 16 : 4); i++)
		bld_add_u8(b, 0xff);		/* mask: a single host */
	bld_add_u8(b, 0x30);			/* protocol identifier / next header type */
	bld_add_u8(b, proto);
	bld_add_u8(b, 0x50);			/* single remote port type */
	bld_add_u16(b, port);
}

/* -------------------------------------------------------------------- GTP-U ---- */

void
epcgen_gtpu_begin(struct ovt_builder *b, struct epcgen_gtpu *u, uint8_t type, uint32_t teid,
    int has_seq, uint16_t seq, const struct epcgen_gtpu_ext *ext, size_t n_ext)
{
	/* 29.281 5.1: version 1 (bits 8-6), PT 1 (bit 5), spare, E (bit 3), S (bit 2), PN. */
	uint8_t flags = 0x30 | (n_ext ? 0x04 : 0) | (has_seq ? 0x02 : 0);

	u->start = bld_len(b);
	if (n_ext > EPCGEN_GTPU_EXT_MAX) {
		bld_fail(b);
		return;
	}
	bld_add_u8(b, flags);
	bld_add_u8(b, type);
	bld_add_u16(b, 0);		/* length, patched */
	bld_add_u32(b, teid);
	if (!has_seq && n_ext == 0)
		return;
	/* The optional octets exist as soon as any of E, S, PN is set (5.1 NOTE 4); fields
	 * whose flag is clear are sent as 0. */
	bld_add_u16(b, has_seq ? seq : 0);
	bld_add_u8(b, 0);		/* N-PDU number */
	bld_add_u8(b, n_ext ? ext[0].type : 0);
	for (size_t i = 0; i < n_ext; i++) {
		/* 5.2.1: the length counts 4-octet units including itself and next-type. */
		if (ext[i].len % 4 != 2 || ext[i].len > EPCGEN_GTPU_EXT_CONTENT_MAX) {
			bld_fail(b);
			return;
		}
		bld_add_u8(b, (uint8_t)((ext[i].len + 2) / 4));
		bld_add_bytes(b, ext[i].content, ext[i].len);
		bld_add_u8(b, i + 1 < n_ext ? ext[i + 1].type : 0);
	}
}

void
epcgen_gtpu_end(struct ovt_builder *b, struct epcgen_gtpu *u)
{
	/* 5.1: length = octets after the mandatory 8 (optional fields included). */
	size_t len = bld_len(b) - u->start - 8;

	if (!bld_ok(b))
		return;
	if (len > 0xffff) {
		bld_fail(b);
		return;
	}
	bld_put_u16_at(b, u->start + 2, (uint16_t)len);
}

void
epcgen_gtpu_ext_pdu_session(struct epcgen_gtpu_ext *e, int uplink, uint8_t qfi)
{
	/* TS 38.415 5.5.2.1/5.5.2.2: PDU type in the high nibble, flags 0, QFI 6 bits. */
	memset(e, 0, sizeof(*e));
	e->type = EPCGEN_GTPU_EXT_PDU_SESSION;
	e->len = 2;
	e->content[0] = (uint8_t)((uplink ? 1 : 0) << 4);
	e->content[1] = qfi & 0x3f;
}

void
epcgen_gtpu_ext_udp_port(struct epcgen_gtpu_ext *e, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->type = EPCGEN_GTPU_EXT_UDP_PORT;
	e->len = 2;
	e->content[0] = (uint8_t)(port >> 8);
	e->content[1] = (uint8_t)port;
}

/* ---------------------------------------------------------------------- DNS ---- */

void
epcgen_dns(struct ovt_builder *b, uint16_t id, int response, const char *qname,
    uint32_t answer_v4)
{
	size_t n = strlen(qname), start, lab = 0, len_off;

	if (n == 0 || n > 253) {
		bld_fail(b);
		return;
	}
	/* RFC 1035 4.1.1: id, flags (RD; QR+RA in the answer), QD=1, AN=0/1, NS=0, AR=0. */
	bld_add_u16(b, id);
	bld_add_u16(b, response ? 0x8180 : 0x0100);
	bld_add_u16(b, 1);
	bld_add_u16(b, response ? 1 : 0);
	bld_add_u16(b, 0);
	bld_add_u16(b, 0);
	start = bld_len(b);
	len_off = start;
	bld_add_u8(b, 0);
	for (size_t i = 0; i <= n; i++) {
		if (i == n || qname[i] == '.') {
			if (lab == 0 || lab > 63 || !bld_ok(b)) {
				bld_fail(b);
				return;
			}
			bld_data(b)[len_off] = (uint8_t)lab;
			len_off = bld_len(b);
			bld_add_u8(b, 0);	/* next label length, or the root label */
			lab = 0;
		} else {
			bld_add_u8(b, (uint8_t)qname[i]);
			lab++;
		}
	}
	bld_add_u16(b, 1);	/* QTYPE A */
	bld_add_u16(b, 1);	/* QCLASS IN */
	if (!response)
		return;
	/* 4.1.4: the answer name points back at the question (offset 12). */
	bld_add_u16(b, 0xc00c);
	bld_add_u16(b, 1);
	bld_add_u16(b, 1);
	bld_add_u32(b, 300);
	bld_add_u16(b, 4);
	bld_add_u32(b, answer_v4);
}
