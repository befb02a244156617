/*
 * Link, IP and UDP decoding for captured frames and for the inner packet of G-PDUs.
 *
 * Every header is read through struct ovt_cursor; a length field only ever becomes a child
 * cursor.  The IP length bounds everything after it (Ethernet padding is dropped, a capture
 * cut by the snaplen is reported as PKT_E_TRUNCATED).  This is the hot path of the probe: no
 * allocation, no loops other than the bounded VLAN and IPv6 extension-header walks.
 */
#include "pkt/pkt.h"

#include <string.h>

#define ETH_HLEN	14
#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_8021Q	0x8100
#define ETHERTYPE_8021AD 0x88a8
#define ETHERTYPE_QINQ	0x9100	/* pre-standard QinQ */

#define IPPROTO_HOPOPTS_	0
#define IPPROTO_TCP_		6
#define IPPROTO_UDP_		17
#define IPPROTO_ROUTING_	43
#define IPPROTO_FRAGMENT_	44
#define IPPROTO_AH_		51
#define IPPROTO_DSTOPTS_	60
#define IPPROTO_SCTP_		132

static const char *const pkt_errstr[PKT_E__COUNT] = {
	[PKT_OK] = "ok",
	[PKT_E_LINKTYPE] = "unsupported link type",
	[PKT_E_LINK_SHORT] = "frame shorter than its link header",
	[PKT_E_VLAN_DEPTH] = "too many VLAN tags",
	[PKT_E_NOT_IP] = "not an IP packet",
	[PKT_E_IP_VERSION] = "IP version disagrees with the link layer",
	[PKT_E_IPV4_HDR] = "bad or truncated IPv4 header",
	[PKT_E_IPV4_LEN] = "IPv4 total length smaller than its header",
	[PKT_E_IPV6_HDR] = "truncated IPv6 header or zero payload length",
	[PKT_E_IPV6_EXT] = "truncated or lying IPv6 extension header",
	[PKT_E_IPV6_EXT_DEPTH] = "too many IPv6 extension headers",
	[PKT_E_TRUNCATED] = "packet truncated by the capture",
	[PKT_E_FRAGMENT] = "IP fragment",
	[PKT_E_NOT_UDP] = "not UDP",
	[PKT_E_UDP_HDR] = "truncated UDP header",
	[PKT_E_UDP_LEN] = "bad UDP length",
	[PKT_E_L4_HDR] = "truncated transport header",
};

const char *
pkt_strerror(enum pkt_err e)
{
	if ((unsigned)e >= PKT_E__COUNT)
		return "unknown";
	return pkt_errstr[e];
}

/* ---------------------------------------------------------------- link layers */

/* Ethernet with any number (up to PKT_MAX_VLAN) of 802.1Q / 802.1ad tags. */
static enum pkt_err
link_ether(struct ovt_cursor *c, struct pkt_info *out, uint16_t *ethertype)
{
	const uint8_t *h;
	uint16_t type, tci;

	/* Destination, source, ethertype: 14 octets taken at once. */
	if (!cur_take(c, &h, 14))
		return PKT_E_LINK_SHORT;
	type = (uint16_t)((h[12] << 8) | h[13]);
	while (type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD || type == ETHERTYPE_QINQ) {
		if (out->nvlan >= PKT_MAX_VLAN)
			return PKT_E_VLAN_DEPTH;
		if (!cur_get_u16(c, &tci) || !cur_get_u16(c, &type))
			return PKT_E_LINK_SHORT;
		if (out->nvlan < 2)
			out->vlan[out->nvlan] = tci & 0x0fff;	/* IEEE 802.1Q: 12-bit VID */
		out->nvlan++;
	}
	*ethertype = type;
	return PKT_OK;
}

/* Linux cooked capture v1: 16 octets, protocol (ethertype) last. */
static enum pkt_err
link_sll(struct ovt_cursor *c, uint16_t *ethertype)
{
	if (!cur_skip(c, 14) || !cur_get_u16(c, ethertype))
		return PKT_E_LINK_SHORT;
	return PKT_OK;
}

/* Linux cooked capture v2: 20 octets, protocol (ethertype) first. */
static enum pkt_err
link_sll2(struct ovt_cursor *c, uint16_t *ethertype)
{
	if (!cur_get_u16(c, ethertype) || !cur_skip(c, 18))
		return PKT_E_LINK_SHORT;
	return PKT_OK;
}

/*
 * BSD loopback: a 4-octet address family in the byte order of the capturing host (DLT_NULL)
 * or network order (DLT_LOOP).  Both orders are tried because files travel between hosts.
 * AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux).
 */
static enum pkt_err
link_null(struct ovt_cursor *c, int *ipver)
{
	uint32_t be, le;
	const uint8_t *p;

	if (!cur_take(c, &p, 4))
		return PKT_E_LINK_SHORT;
	be = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
	le = ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
	if (be == 2 || le == 2)
		*ipver = 4;
	else if (be == 24 || be == 28 || be == 30 || be == 10 ||
	    le == 24 || le == 28 || le == 30 || le == 10)
		*ipver = 6;
	else
		return PKT_E_NOT_IP;
	return PKT_OK;
}

/* ---------------------------------------------------------------- IP */

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static enum pkt_err
ipv4(struct ovt_cursor *c, struct pkt_info *out, struct ovt_cursor *l4)
{
	struct ovt_cursor save = *c;
	const uint8_t *h;
	uint8_t vihl, proto;
	uint16_t totlen, id, fragw;
	size_t hlen;

	/* RFC 791 3.1: version/IHL, TOS, total length, id, flags/offset, TTL, protocol,
	 * checksum, source, destination: the fixed 20 octets, taken at once. */
	if (!cur_take(c, &h, 20))
		return PKT_E_IPV4_HDR;
	vihl = h[0];
	totlen = be16(h + 2);
	id = be16(h + 4);
	fragw = be16(h + 6);
	proto = h[9];
	memcpy(out->src, h + 12, 4);
	memcpy(out->dst, h + 16, 4);
	if ((vihl >> 4) != 4)
		return PKT_E_IP_VERSION;
	hlen = (size_t)(vihl & 0x0f) * 4;	/* RFC 791: IHL in 32-bit words, minimum 5 */
	if (hlen < 20)
		return PKT_E_IPV4_HDR;
	if (totlen < hlen)
		return PKT_E_IPV4_LEN;
	out->ipver = 4;
	out->proto = proto;
	*c = save;
	/* The IP length bounds the packet: shorter capture = truncated, longer = link padding. */
	if (!cur_get_sub(c, &out->ip, totlen)) {
		cur_init(&out->ip, cur_data(c), cur_len(c));
		return PKT_E_TRUNCATED;
	}
	*l4 = out->ip;
	if (!cur_skip(l4, hlen))		/* options (RFC 791 3.1) are skipped whole */
		return PKT_E_IPV4_HDR;
	out->frag_id = id;
	out->frag_off = (uint16_t)((fragw & 0x1fff) * 8);
	out->frag_more = (fragw & 0x2000) != 0;
	if (out->frag_more || out->frag_off != 0)
		out->frag = PKT_FRAG_IS | (out->frag_off == 0 ? PKT_FRAG_FIRST : 0);
	return PKT_OK;
}

static enum pkt_err
ipv6(struct ovt_cursor *c, struct pkt_info *out, struct ovt_cursor *l4)
{
	struct ovt_cursor save = *c;
	const uint8_t *h;
	uint16_t plen;
	uint8_t nh;
	int hdrs;

	/* RFC 8200 3: version/class/flow label, payload length, next header, hop limit, source,
	 * destination: the fixed 40 octets, taken at once. */
	if (!cur_take(c, &h, 40))
		return PKT_E_IPV6_HDR;
	plen = be16(h + 4);
	nh = h[6];
	memcpy(out->src, h + 8, 16);
	memcpy(out->dst, h + 24, 16);
	if ((h[0] >> 4) != 6)
		return PKT_E_IP_VERSION;
	out->ipver = 6;
	if (plen == 0)		/* jumbogram (RFC 2675): never on GTP links */
		return PKT_E_IPV6_HDR;
	*c = save;
	if (!cur_get_sub(c, &out->ip, 40 + (size_t)plen)) {
		cur_init(&out->ip, cur_data(c), cur_len(c));
		return PKT_E_TRUNCATED;
	}
	*l4 = out->ip;
	if (!cur_skip(l4, 40))
		return PKT_E_IPV6_HDR;

	/* RFC 8200 section 4: walk the extension headers we know, bounded. */
	for (hdrs = 0;; hdrs++) {
		uint8_t next, hlen8;
		uint16_t offw;
		uint32_t id;
		struct ovt_cursor ext;

		if (nh != IPPROTO_HOPOPTS_ && nh != IPPROTO_ROUTING_ && nh != IPPROTO_DSTOPTS_ &&
		    nh != IPPROTO_FRAGMENT_ && nh != IPPROTO_AH_)
			break;
		if (hdrs >= PKT_MAX_IPV6_EXT)
			return PKT_E_IPV6_EXT_DEPTH;
		if (nh == IPPROTO_FRAGMENT_) {
			/* RFC 8200 4.5: fixed 8 octets, offset in 8-octet units, M flag. */
			if (!cur_get_u8(l4, &next) || !cur_skip(l4, 1) || !cur_get_u16(l4, &offw) ||
			    !cur_get_u32(l4, &id))
				return PKT_E_IPV6_EXT;
			out->frag_id = id;
			out->frag_off = (uint16_t)(offw & 0xfff8);
			out->frag_more = offw & 1;
			if (out->frag_more || out->frag_off != 0) {
				out->frag = PKT_FRAG_IS | (out->frag_off == 0 ? PKT_FRAG_FIRST : 0);
				if (out->frag_off != 0) {
					out->proto = next;
					return PKT_OK;	/* no further headers in this piece */
				}
			}
			nh = next;
			continue;
		}
		if (!cur_get_u8(l4, &next) || !cur_get_u8(l4, &hlen8))
			return PKT_E_IPV6_EXT;
		/* AH (RFC 4302) counts 4-octet units minus 2; the others 8-octet units minus 1. */
		size_t total = nh == IPPROTO_AH_ ? ((size_t)hlen8 + 2) * 4 : ((size_t)hlen8 + 1) * 8;
		if (!cur_get_sub(l4, &ext, total - 2))
			return PKT_E_IPV6_EXT;
		nh = next;
	}
	out->proto = nh;
	return PKT_OK;
}

/* Transport ports and payload.  For UDP the datagram length must fit the IP payload
 * (RFC 768); for a first fragment the datagram is partial and only the header is checked. */
static enum pkt_err
transport(struct ovt_cursor *l4, struct pkt_info *out)
{
	struct ovt_cursor c = *l4;
	const uint8_t *h;
	uint16_t ulen;
	uint8_t off;

	cur_init(&out->payload, cur_data(l4), 0);
	switch (out->proto) {
	case IPPROTO_UDP_:
		/* RFC 768: source port, destination port, length, checksum. */
		if (!cur_take(&c, &h, 8))
			return PKT_E_UDP_HDR;
		out->sport = be16(h);
		out->dport = be16(h + 2);
		ulen = be16(h + 4);
		if (out->frag & PKT_FRAG_IS) {
			out->payload = c;
			return PKT_OK;
		}
		if (ulen < 8 || !cur_get_sub(&c, &out->payload, ulen - 8u))
			return PKT_E_UDP_LEN;
		return PKT_OK;
	case IPPROTO_TCP_:
		if (!cur_get_u16(&c, &out->sport) || !cur_get_u16(&c, &out->dport) ||
		    !cur_skip(&c, 8) || !cur_get_u8(&c, &off))
			return PKT_E_L4_HDR;
		c = *l4;
		/* RFC 9293 3.1: data offset in 32-bit words, at least 5. */
		if ((off >> 4) < 5 || !cur_skip(&c, (size_t)(off >> 4) * 4))
			return PKT_E_L4_HDR;
		out->payload = c;
		return PKT_OK;
	case IPPROTO_SCTP_:
		if (!cur_get_u16(&c, &out->sport) || !cur_get_u16(&c, &out->dport))
			return PKT_E_L4_HDR;
		return PKT_OK;
	default:
		return PKT_OK;
	}
}

static enum pkt_err
decode_ip(struct ovt_cursor *c, int ipver, struct pkt_info *out, int udp_only)
{
	struct ovt_cursor l4;
	enum pkt_err e;
	uint8_t v;

	if (!cur_peek_u8(c, &v))
		return ipver == 6 ? PKT_E_IPV6_HDR : PKT_E_IPV4_HDR;
	if (ipver == 0)
		ipver = v >> 4;
	if ((v >> 4) != ipver)
		return PKT_E_IP_VERSION;
	if (ipver == 4)
		e = ipv4(c, out, &l4);
	else if (ipver == 6)
		e = ipv6(c, out, &l4);
	else
		return PKT_E_IP_VERSION;
	if (e != PKT_OK)
		return e;
	out->l4 = l4;
	if (udp_only && out->proto != IPPROTO_UDP_)
		return (out->frag & PKT_FRAG_IS) && !(out->frag & PKT_FRAG_FIRST) ?
		    PKT_E_FRAGMENT : PKT_E_NOT_UDP;
	if ((out->frag & PKT_FRAG_IS) && !(out->frag & PKT_FRAG_FIRST))
		return PKT_E_FRAGMENT;
	e = transport(&l4, out);
	if (e != PKT_OK)
		return e;
	return (out->frag & PKT_FRAG_IS) ? PKT_E_FRAGMENT : PKT_OK;
}

enum pkt_err
pkt_decode(int linktype, const uint8_t *p, size_t caplen, struct pkt_info *out)
{
	struct ovt_cursor c;
	uint16_t et = 0;
	int ipver = 0;
	enum pkt_err e;

	memset(out, 0, sizeof(*out));
	cur_init(&c, p, caplen);
	switch (linktype) {
	case PKT_DLT_EN10MB:
		e = link_ether(&c, out, &et);
		break;
	case PKT_DLT_LINUX_SLL:
		e = link_sll(&c, &et);
		break;
	case PKT_DLT_LINUX_SLL2:
		e = link_sll2(&c, &et);
		break;
	case PKT_DLT_NULL:
	case PKT_DLT_LOOP:
		e = link_null(&c, &ipver);
		break;
	case PKT_DLT_RAW:
	case PKT_DLT_RAW_OPENBSD:
	case PKT_LINKTYPE_RAW:
		e = PKT_OK;	/* version nibble decides */
		break;
	case PKT_LINKTYPE_IPV4:
		e = PKT_OK;
		ipver = 4;
		break;
	case PKT_LINKTYPE_IPV6:
		e = PKT_OK;
		ipver = 6;
		break;
	default:
		return PKT_E_LINKTYPE;
	}
	if (e != PKT_OK)
		return e;
	if (et != 0) {
		if (et == ETHERTYPE_IPV4)
			ipver = 4;
		else if (et == ETHERTYPE_IPV6)
			ipver = 6;
		else
			return PKT_E_NOT_IP;
	}
	return decode_ip(&c, ipver, out, 1);
}

enum pkt_err
pkt_decode_ip(const uint8_t *p, size_t len, struct pkt_info *out)
{
	struct ovt_cursor c;

	memset(out, 0, sizeof(*out));
	cur_init(&c, p, len);
	return decode_ip(&c, 0, out, 0);
}
