/*
 * Link/IP/UDP decoder tests: one hand-built frame per link type, VLAN depth, IPv4 options,
 * IPv6 extension headers, fragments, and each malformation with its error value.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pkt/pkt.h"

/* IPv4/UDP 10.0.0.1:2152 -> 10.0.0.2:2152 with a 4-octet payload, no options. */
static const uint8_t ip4udp[] = {
	0x45, 0x00, 0x00, 0x20, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	10, 0, 0, 1, 10, 0, 0, 2,
	0x08, 0x68, 0x08, 0x68, 0x00, 0x0c, 0x00, 0x00,
	0xde, 0xad, 0xbe, 0xef,
};

/* IPv6/UDP ::1 -> ::2 port 2123, through hop-by-hop and destination options headers. */
static const uint8_t ip6ext[] = {
	0x60, 0, 0, 0, 0x00, 0x1c, 0x00, 0x40,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	60, 0, 1, 4, 0, 0, 0, 0,		/* hop-by-hop -> dstopts, 8 octets */
	17, 0, 1, 4, 0, 0, 0, 0,		/* dstopts -> UDP */
	0x30, 0x39, 0x08, 0x4b, 0x00, 0x0c, 0x00, 0x00, 1, 2, 3, 4,
};

static size_t
frame(uint8_t *out, const uint8_t *hdr, size_t hl, const uint8_t *ip, size_t il)
{
	memcpy(out, hdr, hl);
	memcpy(out + hl, ip, il);
	return hl + il;
}

static void
check_ip4(const struct pkt_info *pi)
{
	assert_int_equal(pi->ipver, 4);
	assert_int_equal(pi->proto, 17);
	assert_memory_equal(pi->src, "\x0a\x00\x00\x01", 4);
	assert_memory_equal(pi->dst, "\x0a\x00\x00\x02", 4);
	assert_int_equal(pi->sport, 2152);
	assert_int_equal(pi->dport, 2152);
	assert_int_equal(cur_len(&pi->payload), 4);
	assert_int_equal(pi->payload.p[0], 0xde);
}

static void
test_link_types(void **state)
{
	static const uint8_t eth[14] = {[12] = 0x08, [13] = 0x00};
	static const uint8_t qinq[22] = {[12] = 0x88, [13] = 0xa8, [14] = 0x00, [15] = 0x64,
	    [16] = 0x81, [17] = 0x00, [18] = 0x20, [19] = 0xc8, [20] = 0x08, [21] = 0x00};
	static const uint8_t sll[16] = {[14] = 0x08, [15] = 0x00};
	static const uint8_t sll2[20] = {0x08, 0x00};
	static const uint8_t null_le[4] = {2, 0, 0, 0};
	static const uint8_t loop_be[4] = {0, 0, 0, 2};
	static const uint8_t null6_le[4] = {30, 0, 0, 0};
	static const uint8_t null_bad[4] = {7, 0, 0, 0};
	uint8_t f[256];
	struct pkt_info pi;
	size_t n;

	n = frame(f, eth, sizeof(eth), ip4udp, sizeof(ip4udp));
	assert_int_equal(pkt_decode(PKT_DLT_EN10MB, f, n, &pi), PKT_OK);
	check_ip4(&pi);
	assert_int_equal(pi.nvlan, 0);
	/* Ethernet padding after the IP packet is cut by the IP length */
	memset(f + n, 0, 10);
	assert_int_equal(pkt_decode(PKT_DLT_EN10MB, f, n + 10, &pi), PKT_OK);
	assert_int_equal(cur_len(&pi.ip), sizeof(ip4udp));

	n = frame(f, qinq, sizeof(qinq), ip4udp, sizeof(ip4udp));
	assert_int_equal(pkt_decode(PKT_DLT_EN10MB, f, n, &pi), PKT_OK);
	check_ip4(&pi);
	assert_int_equal(pi.nvlan, 2);
	assert_int_equal(pi.vlan[0], 100);
	assert_int_equal(pi.vlan[1], 200);

	n = frame(f, sll, sizeof(sll), ip4udp, sizeof(ip4udp));
	assert_int_equal(pkt_decode(PKT_DLT_LINUX_SLL, f, n, &pi), PKT_OK);
	check_ip4(&pi);
	n = frame(f, sll2, sizeof(sll2), ip4udp, sizeof(ip4udp));
	assert_int_equal(pkt_decode(PKT_DLT_LINUX_SLL2, f, n, &pi), PKT_OK);
	check_ip4(&pi);
	n = frame(f, null_le, 4, ip4udp, sizeof(ip4udp));
	assert_int_equal(pkt_decode(PKT_DLT_NULL, f, n, &pi), PKT_OK);
	check_ip4(&pi);
	n = frame(f, loop_be, 4, ip4udp, sizeof(ip4udp));
	assert_int_equal(pkt_decode(PKT_DLT_LOOP, f, n, &pi), PKT_OK);
	check_ip4(&pi);
	n = frame(f, null_bad, 4, ip4udp, sizeof(ip4udp));
	assert_int_equal(pkt_decode(PKT_DLT_NULL, f, n, &pi), PKT_E_NOT_IP);
	/* the family says IPv6 but the packet is IPv4 */
	n = frame(f, null6_le, 4, ip4udp, sizeof(ip4udp));
	assert_int_equal(pkt_decode(PKT_DLT_NULL, f, n, &pi), PKT_E_IP_VERSION);
	for (int lt = 0; lt < 3; lt++) {
		static const int raw[3] = {PKT_DLT_RAW, PKT_LINKTYPE_RAW, PKT_LINKTYPE_IPV4};
		assert_int_equal(pkt_decode(raw[lt], ip4udp, sizeof(ip4udp), &pi), PKT_OK);
		check_ip4(&pi);
	}
	assert_int_equal(pkt_decode(PKT_LINKTYPE_IPV6, ip4udp, sizeof(ip4udp), &pi),
	    PKT_E_IP_VERSION);
	assert_int_equal(pkt_decode(147, ip4udp, sizeof(ip4udp), &pi), PKT_E_LINKTYPE);
	assert_int_equal(pkt_decode(PKT_DLT_EN10MB, eth, 13, &pi), PKT_E_LINK_SHORT);
	assert_int_equal(pkt_decode(PKT_DLT_LINUX_SLL, sll, 15, &pi), PKT_E_LINK_SHORT);
}

static void
test_vlan_depth_and_ethertype(void **state)
{
	uint8_t f[64] = {0};
	struct pkt_info pi;

	for (int i = 0; i < PKT_MAX_VLAN + 1; i++) {
		f[12 + 4 * i] = 0x81;
		f[13 + 4 * i] = 0x00;
	}
	assert_int_equal(pkt_decode(PKT_DLT_EN10MB, f, sizeof(f), &pi), PKT_E_VLAN_DEPTH);
	memset(f, 0, sizeof(f));
	f[12] = 0x08;
	f[13] = 0x06;		/* ARP */
	assert_int_equal(pkt_decode(PKT_DLT_EN10MB, f, sizeof(f), &pi), PKT_E_NOT_IP);
}

static void
test_ipv4_options_and_errors(void **state)
{
	uint8_t p[64];
	struct pkt_info pi;

	/* IHL 6: one 4-octet option (NOPs) before UDP */
	memcpy(p, ip4udp, 20);
	p[0] = 0x46;
	p[3] = 0x24;
	memset(p + 20, 1, 4);
	memcpy(p + 24, ip4udp + 20, 12);
	assert_int_equal(pkt_decode_ip(p, 36, &pi), PKT_OK);
	check_ip4(&pi);

	memcpy(p, ip4udp, sizeof(ip4udp));
	p[0] = 0x44;
	assert_int_equal(pkt_decode_ip(p, sizeof(ip4udp), &pi), PKT_E_IPV4_HDR);
	memcpy(p, ip4udp, sizeof(ip4udp));
	p[3] = 0x10;		/* total length 16 < header */
	assert_int_equal(pkt_decode_ip(p, sizeof(ip4udp), &pi), PKT_E_IPV4_LEN);
	memcpy(p, ip4udp, sizeof(ip4udp));
	p[3] = 0x40;		/* claims 64 octets, 32 captured */
	assert_int_equal(pkt_decode_ip(p, sizeof(ip4udp), &pi), PKT_E_TRUNCATED);
	assert_memory_equal(pi.dst, "\x0a\x00\x00\x02", 4);
	assert_int_equal(pkt_decode_ip(p, 19, &pi), PKT_E_IPV4_HDR);
	memcpy(p, ip4udp, sizeof(ip4udp));
	p[25] = 0x07;		/* UDP length 7 */
	assert_int_equal(pkt_decode_ip(p, sizeof(ip4udp), &pi), PKT_E_UDP_LEN);
	p[25] = 0x0d;		/* UDP length 13 > 12 available */
	assert_int_equal(pkt_decode_ip(p, sizeof(ip4udp), &pi), PKT_E_UDP_LEN);
	memcpy(p, ip4udp, sizeof(ip4udp));
	p[3] = 24;		/* IP payload 4 octets: UDP header cut */
	assert_int_equal(pkt_decode_ip(p, 24, &pi), PKT_E_UDP_HDR);
	memcpy(p, ip4udp, sizeof(ip4udp));
	p[9] = 1;		/* ICMP: fine for an inner packet, not for the outer one */
	assert_int_equal(pkt_decode_ip(p, sizeof(ip4udp), &pi), PKT_OK);
	assert_int_equal(pkt_decode(PKT_DLT_RAW, p, sizeof(ip4udp), &pi), PKT_E_NOT_UDP);
}

static void
test_ipv4_fragments(void **state)
{
	uint8_t p[64];
	struct pkt_info pi;

	memcpy(p, ip4udp, sizeof(ip4udp));
	p[6] = 0x20;		/* MF, offset 0: first fragment, UDP header here */
	assert_int_equal(pkt_decode(PKT_DLT_RAW, p, sizeof(ip4udp), &pi), PKT_E_FRAGMENT);
	assert_int_equal(pi.frag, PKT_FRAG_IS | PKT_FRAG_FIRST);
	assert_int_equal(pi.frag_id, 0x1234);
	assert_int_equal(pi.dport, 2152);
	p[6] = 0x00;
	p[7] = 0xb9;		/* offset 185 * 8 = 1480, last fragment */
	assert_int_equal(pkt_decode(PKT_DLT_RAW, p, sizeof(ip4udp), &pi), PKT_E_FRAGMENT);
	assert_int_equal(pi.frag, PKT_FRAG_IS);
	assert_int_equal(pi.frag_off, 1480);
	assert_int_equal(pi.frag_more, 0);
	assert_int_equal(pi.dport, 0);
	p[6] = 0x40;		/* DF only: not a fragment */
	p[7] = 0;
	assert_int_equal(pkt_decode(PKT_DLT_RAW, p, sizeof(ip4udp), &pi), PKT_OK);
}

static void
test_ipv6(void **state)
{
	uint8_t p[128];
	struct pkt_info pi;

	assert_int_equal(pkt_decode(PKT_LINKTYPE_IPV6, ip6ext, sizeof(ip6ext), &pi), PKT_OK);
	assert_int_equal(pi.ipver, 6);
	assert_int_equal(pi.proto, 17);
	assert_int_equal(pi.dst[15], 2);
	assert_int_equal(pi.sport, 12345);
	assert_int_equal(pi.dport, 2123);
	assert_int_equal(cur_len(&pi.payload), 4);

	/* destination options header length runs past the packet */
	memcpy(p, ip6ext, sizeof(ip6ext));
	p[49] = 5;
	assert_int_equal(pkt_decode_ip(p, sizeof(ip6ext), &pi), PKT_E_IPV6_EXT);
	/* payload length larger than captured */
	memcpy(p, ip6ext, sizeof(ip6ext));
	p[5] = 0x40;
	assert_int_equal(pkt_decode_ip(p, sizeof(ip6ext), &pi), PKT_E_TRUNCATED);
	p[4] = p[5] = 0;	/* jumbogram */
	assert_int_equal(pkt_decode_ip(p, sizeof(ip6ext), &pi), PKT_E_IPV6_HDR);
	assert_int_equal(pkt_decode_ip(ip6ext, 39, &pi), PKT_E_IPV6_HDR);

	/* a chain of PKT_MAX_IPV6_EXT + 1 destination options headers */
	memset(p, 0, sizeof(p));
	memcpy(p, ip6ext, 40);
	p[5] = 8 * (PKT_MAX_IPV6_EXT + 1);
	p[6] = 60;
	for (int i = 0; i < PKT_MAX_IPV6_EXT + 1; i++)
		p[40 + 8 * i] = 60;
	assert_int_equal(pkt_decode_ip(p, 40 + 8 * (PKT_MAX_IPV6_EXT + 1), &pi),
	    PKT_E_IPV6_EXT_DEPTH);

	/* fragment header: first piece (offset 0, M) keeps the UDP header, later ones do not */
	memset(p, 0, sizeof(p));
	memcpy(p, ip6ext, 40);
	p[5] = 8 + 12;
	p[6] = 44;
	p[40] = 17;
	p[43] = 1;		/* offset 0, M = 1 */
	p[47] = 9;		/* id 9 */
	memcpy(p + 48, ip6ext + 56, 12);
	assert_int_equal(pkt_decode_ip(p, 60, &pi), PKT_E_FRAGMENT);
	assert_int_equal(pi.frag, PKT_FRAG_IS | PKT_FRAG_FIRST);
	assert_int_equal(pi.frag_id, 9);
	assert_int_equal(pi.dport, 2123);
	p[42] = 0x05;
	p[43] = 0xc8;		/* offset 0x5c8 & ~7 = 1480, M = 0 */
	assert_int_equal(pkt_decode_ip(p, 60, &pi), PKT_E_FRAGMENT);
	assert_int_equal(pi.frag_off, 1480);
	assert_int_equal(pi.dport, 0);
}

static void
test_tcp_inner(void **state)
{
	/* IPv4/TCP with a 20-octet header and 2 data octets: the X3 5-tuple of an inner packet */
	static const uint8_t tcp[] = {
		0x45, 0, 0, 42, 0, 0, 0x40, 0, 64, 6, 0, 0, 100, 64, 0, 5, 8, 8, 8, 8,
		0xc0, 0x01, 0x01, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x18, 0, 0, 0, 0, 0, 0,
		'h', 'i',
	};
	struct pkt_info pi;
	uint8_t bad[sizeof(tcp)];

	assert_int_equal(pkt_decode_ip(tcp, sizeof(tcp), &pi), PKT_OK);
	assert_int_equal(pi.proto, 6);
	assert_int_equal(pi.sport, 49153);
	assert_int_equal(pi.dport, 443);
	assert_int_equal(cur_len(&pi.payload), 2);
	memcpy(bad, tcp, sizeof(tcp));
	bad[32] = 0x40;		/* data offset 4 < 5 */
	assert_int_equal(pkt_decode_ip(bad, sizeof(bad), &pi), PKT_E_L4_HDR);
	for (int e = 0; e < PKT_E__COUNT; e++)
		assert_string_not_equal(pkt_strerror((enum pkt_err)e), "unknown");
	assert_string_equal(pkt_strerror(PKT_E__COUNT), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_vlan_depth_and_ethertype),
		cmocka_unit_test(test_ipv4_options_and_errors),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_tcp_inner),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
