/*
 * Unit tests of the EPC traffic generator (src/epcgen).
 *
 * Encoders are checked byte for byte against vectors written by hand from the specifications
 * (TS 29.274 clause 8 IE layouts, TS 29.281 5.1/5.2, TS 24.008 PLMN coding, RFC 1071), so a
 * wrong length, instance or nibble order fails here before tshark ever sees it.  Whole runs
 * are checked by reading the capture back with libpcap and walking every frame with the
 * cursor API (a small structural decoder local to this test, independent of the encoders):
 * lengths must tally at every layer, and the counts per message kind must equal the totals
 * the generator reports.  Also: exact frame budget, determinism, refusals and I/O errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "epcgen/epcgen.h"
#include "epcgen/epcgen_msg.h"
#include "epcgen/epcgen_rng.h"
#include "epcgen/epcgen_wire.h"
#include "pkt/pkt.h"
#include "pkt/pkt_csum.h"
#include "pkt/pkt_frag.h"

/* ------------------------------------------------------------------ helpers ---- */

static uint8_t scratch[4096];

static void
fixed(struct ovt_builder *b)
{
	bld_init_fixed(b, scratch, sizeof(scratch));
}

static void
expect_hex(const struct ovt_builder *b, const char *hex)
{
	uint8_t want[1024];
	long n = hex_decode(hex, want, sizeof(want));
	char got[2 * 1024 + 1];

	assert_true(n >= 0);
	assert_true(bld_ok(b));
	if ((size_t)n != bld_len(b) || memcmp(want, bld_data(b), (size_t)n) != 0) {
		hex_encode(bld_data(b), bld_len(b) < 1024 ? bld_len(b) : 1024, got);
		print_error("want %s\n got  %s\n", hex, got);
		fail();
	}
}

static char tmpdir[64];

static int
setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_epcgen.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_dir(void **state)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	char p[384];

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(tmpdir);
	return 0;
}

static void
path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

static int
exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* Whole file into a heap buffer (test files are small). */
static uint8_t *
slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* ------------------------------------------------------------ wire encoders ---- */

static void
test_checksum_rfc1071(void **state)
{
	/* RFC 1071 section 3 example: the one's complement sum of these words is 0xddf2. */
	const uint8_t v[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	assert_int_equal(pkt_csum_fold(pkt_csum_add(0, v, sizeof(v))), 0x220d);
	/* odd length pads with a zero octet */
	const uint8_t w[] = {0x01};
	assert_int_equal(pkt_csum_fold(pkt_csum_add(0, w, 1)), 0xfeff);
}

static void
test_tbcd_and_plmn(void **state)
{
	struct ovt_builder b;

	fixed(&b);
	epcgen_tbcd(&b, "001010123456789");	/* odd: filler F in the last high nibble */
	expect_hex(&b, "00010121436587f9");
	fixed(&b);
	epcgen_tbcd(&b, "447700900123");
	expect_hex(&b, "447700091032");
	fixed(&b);
	epcgen_tbcd(&b, "12a4");
	assert_false(bld_ok(&b));

	/* TS 24.008 10.5.1.3: 001/01 and a three-digit MNC 310/260 */
	fixed(&b);
	epcgen_plmn(&b, "001", "01");
	expect_hex(&b, "00f110");
	fixed(&b);
	epcgen_plmn(&b, "310", "260");
	expect_hex(&b, "130062");
	fixed(&b);
	epcgen_plmn(&b, "001", "1");
	assert_false(bld_ok(&b));
}

static void
test_ie_layouts(void **state)
{
	struct ovt_builder b;
	struct epcgen_addr a4, a6;
	const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2};

	epcgen_addr_v4(&a4, 0x0a030001);
	epcgen_addr_v6(&a6, v6);

	/* 8.22 F-TEID: type 87, length 9, instance 2, V4|S5/S8-U PGW (5), TEID, IPv4 */
	fixed(&b);
	epcgen_ie_fteid(&b, 2, EPCGEN_IF_S5U_PGW, 0x11223344, &a4);
	expect_hex(&b, "5700090285112233440a030001");
	/* IPv6: length 21, V6 flag 0x40 */
	fixed(&b);
	epcgen_ie_fteid(&b, 0, EPCGEN_IF_S1U_SGW, 0xdeadbeef, &a6);
	expect_hex(&b, "57001500" "41" "deadbeef" "20010db8000000010000000000000002");
	fixed(&b);
	epcgen_ie_fteid(&b, 16, 1, 1, &a4);	/* instance is 4 bits */
	assert_false(bld_ok(&b));

	/* 8.14 PAA: IPv4 / IPv6 (prefix length first) / IPv4v6 (IPv6 part first) */
	fixed(&b);
	epcgen_ie_paa(&b, 0, EPCGEN_PDN_IPV4, 0x64400002, v6, 64);
	expect_hex(&b, "4f0005000164400002");
	fixed(&b);
	epcgen_ie_paa(&b, 0, EPCGEN_PDN_IPV6, 0, v6, 64);
	expect_hex(&b, "4f001200" "02" "40" "20010db8000000010000000000000002");
	fixed(&b);
	epcgen_ie_paa(&b, 0, EPCGEN_PDN_IPV4V6, 0x64400002, v6, 64);
	expect_hex(&b, "4f001600" "03" "40" "20010db8000000010000000000000002" "64400002");
	fixed(&b);
	epcgen_ie_paa(&b, 0, 4, 0, v6, 0);	/* non-IP: not generated */
	assert_false(bld_ok(&b));

	/* 8.21 ULI: flags TAI|ECGI, TAI = PLMN + TAC, ECGI = PLMN + spare nibble + 28-bit ECI */
	fixed(&b);
	epcgen_ie_uli(&b, 0, "001", "01", 1, 0x0100101);
	expect_hex(&b, "56000d00" "18" "00f1100001" "00f11000100101");
	fixed(&b);
	epcgen_ie_uli(&b, 0, "001", "01", 1, 0x10000000);	/* ECI is 28 bits */
	assert_false(bld_ok(&b));

	/* 8.6 APN: labels with their lengths (TS 23.003 9.1) */
	fixed(&b);
	epcgen_ie_apn(&b, 0, "ims.mnc001");
	expect_hex(&b, "47000b00" "03696d73" "066d6e63303031");
	fixed(&b);
	epcgen_ie_apn(&b, 0, "a..b");
	assert_false(bld_ok(&b));

	/* 8.15 Bearer QoS: ARP octet = PCI (bit 7) | PL << 2; QCI; four 40-bit rates */
	fixed(&b);
	epcgen_ie_bearer_qos(&b, 0, 1, 2, 128, 128, 128, 128);
	expect_hex(&b, "50001600" "48" "01" "0000000080" "0000000080" "0000000080" "0000000080");
	fixed(&b);
	epcgen_ie_bearer_qos(&b, 0, 9, 16, 0, 0, 0, 0);
	assert_false(bld_ok(&b));

	/* 8.8 EBI: spare nibble + 4-bit EBI */
	fixed(&b);
	epcgen_ie_ebi(&b, 1, 6);
	expect_hex(&b, "4900010106");
	fixed(&b);
	epcgen_ie_ebi(&b, 0, 16);
	assert_false(bld_ok(&b));

	/* 8.19 TFT (TS 24.008 10.5.6.12): create new TFT, one bidirectional filter id 1,
	 * precedence 0x10, IPv4 remote address + mask, protocol 17, single remote port 5060 */
	fixed(&b);
	epcgen_ie_tft(&b, 0, &a4, 17, 5060);
	expect_hex(&b, "54001200" "21" "31" "10" "0e" "100a030001ffffffff" "3011" "5013c4");
}

static void
test_grouped_ie_nesting(void **state)
{
	struct ovt_builder b;
	struct epcgen_v2 m;

	fixed(&b);
	epcgen_v2_begin(&b, &m, EPCGEN_MSG_MB_RESP, 0, 1, 0x01020304, 0x000a0b);
	epcgen_v2_group_begin(&b, &m, EPCGEN_IE_BEARER_CTX, 0);
	epcgen_ie_ebi(&b, 0, 5);
	epcgen_v2_group_begin(&b, &m, EPCGEN_IE_BEARER_CTX, 3);	/* nested, for the test */
	epcgen_v2_group_end(&b, &m);
	epcgen_v2_group_end(&b, &m);
	epcgen_v2_end(&b, &m);
	/* header length = 8 (TEID, seq, spare) + 4 + 5 + 4 */
	expect_hex(&b, "48230015" "01020304" "000a0b00" "5d000900" "4900010005" "5d000003");

	/* closing what is not open, or ending with a group open, is an error */
	fixed(&b);
	epcgen_v2_begin(&b, &m, EPCGEN_MSG_MB_RESP, 0, 1, 1, 1);
	epcgen_v2_group_end(&b, &m);
	assert_false(bld_ok(&b));
	fixed(&b);
	epcgen_v2_begin(&b, &m, EPCGEN_MSG_MB_RESP, 0, 1, 1, 1);
	epcgen_v2_group_begin(&b, &m, EPCGEN_IE_BEARER_CTX, 0);
	epcgen_v2_end(&b, &m);
	assert_false(bld_ok(&b));
	/* the nesting depth is capped */
	fixed(&b);
	epcgen_v2_begin(&b, &m, EPCGEN_MSG_MB_RESP, 0, 1, 1, 1);
	for (int i = 0; i <= EPCGEN_V2_MAX_DEPTH; i++)
		epcgen_v2_group_begin(&b, &m, EPCGEN_IE_BEARER_CTX, 0);
	assert_false(bld_ok(&b));
	/* sequence numbers are 24 bits */
	fixed(&b);
	epcgen_v2_begin(&b, &m, EPCGEN_MSG_MB_RESP, 0, 1, 1, 0x1000000);
	assert_false(bld_ok(&b));
}

static void
test_msg_create_session_request(void **state)
{
	struct ovt_builder b;
	struct epcgen_gtpc g;

	/* Every IE of TS 29.274 Table 7.2.1-1 the generator sends, hand-encoded. */
	memset(&g, 0, sizeof(g));
	g.type = EPCGEN_MSG_CS_REQ;
	g.teid = 0;
	g.seq = 0x000102;
	g.imsi = "001010123456789";
	g.msisdn = "447700900123";
	g.mei = "3569380356438091";
	g.has_uli = 1;
	g.tac = 1;
	g.eci = 0x101;
	g.sender.iface = EPCGEN_IF_S11_MME;
	g.sender.teid = 0xaaaa;
	epcgen_addr_v4(&g.sender.addr, 0x0a000001);
	g.has_pgw_c = 1;
	g.pgw_c.iface = EPCGEN_IF_S5C_PGW;
	epcgen_addr_v4(&g.pgw_c.addr, 0x0a000003);
	g.apn = "internet";
	g.pdn_type = EPCGEN_PDN_IPV4;
	g.ambr_ul = 50000;
	g.ambr_dl = 100000;
	g.n_bctx = 1;
	g.bctx[0].ebi = 5;
	g.bctx[0].qci = 9;
	g.bctx[0].arp_pl = 9;
	fixed(&b);
	epcgen_gtpc_encode(&b, &g);
	expect_hex(&b,
	    "482000b5" "00000000" "00010200"		/* header: T=1, length 181 */
	    "01000800" "00010121436587f9"		/* IMSI */
	    "4c000600" "447700091032"			/* MSISDN */
	    "4b000800" "5396833065340819"		/* MEI (IMEISV, 16 digits) */
	    "56000d00" "18" "00f1100001" "00f11000000101" /* ULI TAI+ECGI */
	    "53000300" "00f110"				/* Serving Network */
	    "52000100" "06"				/* RAT Type EUTRAN */
	    "57000900" "8a" "0000aaaa" "0a000001"	/* sender F-TEID, S11 MME */
	    "57000901" "87" "00000000" "0a000003"	/* PGW S5/S8 C F-TEID, instance 1 */
	    "47000900" "08696e7465726e6574"		/* APN */
	    "80000100" "00"				/* Selection Mode */
	    "63000100" "01"				/* PDN Type */
	    "4f000500" "0100000000"			/* PAA, not yet allocated */
	    "7f000100" "00"				/* Max APN Restriction */
	    "48000800" "0000c350000186a0"		/* APN-AMBR */
	    "5d001f00" "4900010005"			/* Bearer Context: EBI 5 */
	    "50001600" "64" "09" "0000000000000000000000000000000000000000");

	/* a Create Session Request without IMSI or APN is refused */
	g.apn = NULL;
	fixed(&b);
	epcgen_gtpc_encode(&b, &g);
	assert_false(bld_ok(&b));
}

static void
test_msg_small(void **state)
{
	struct ovt_builder b;
	struct epcgen_gtpc g;

	/* Delete Bearer Request (7.2.9.2): the dedicated EBI as "EPS Bearer IDs", instance 1 */
	memset(&g, 0, sizeof(g));
	g.type = EPCGEN_MSG_DB_REQ;
	g.teid = 0x0000aaaa;
	g.seq = 0x800005;
	g.ebi = 6;
	fixed(&b);
	epcgen_gtpc_encode(&b, &g);
	expect_hex(&b, "4863000d" "0000aaaa" "80000500" "4900010106");

	/* Echo Request (7.1.1): no TEID, Recovery */
	memset(&g, 0, sizeof(g));
	g.type = EPCGEN_MSG_ECHO_REQ;
	g.seq = 7;
	g.recovery = 3;
	fixed(&b);
	epcgen_gtpc_encode(&b, &g);
	expect_hex(&b, "40010009" "00000700" "0300010003");

	/* P flag on a response followed by a second message in the same buffer */
	memset(&g, 0, sizeof(g));
	g.type = EPCGEN_MSG_DS_RESP;
	g.teid = 1;
	g.seq = 2;
	g.cause = EPCGEN_CAUSE_ACCEPTED;
	g.piggy = 1;
	fixed(&b);
	epcgen_gtpc_encode(&b, &g);
	expect_hex(&b, "5825000e" "00000001" "00000200" "020002001000");

	/* Modify Bearer Request needs a bearer context; unknown types are refused */
	memset(&g, 0, sizeof(g));
	g.type = EPCGEN_MSG_MB_REQ;
	fixed(&b);
	epcgen_gtpc_encode(&b, &g);
	assert_false(bld_ok(&b));
	g.type = 200;
	fixed(&b);
	epcgen_gtpc_encode(&b, &g);
	assert_false(bld_ok(&b));
}

static void
test_gtpu_header(void **state)
{
	struct ovt_builder b;
	struct epcgen_gtpu u;
	struct epcgen_gtpu_ext ext[2];

	/* plain G-PDU: flags 0x30, length = payload only */
	fixed(&b);
	epcgen_gtpu_begin(&b, &u, EPCGEN_GTPU_GPDU, 0x01020304, 0, 0, NULL, 0);
	bld_add_u16(&b, 0xabcd);
	epcgen_gtpu_end(&b, &u);
	expect_hex(&b, "30ff0002" "01020304" "abcd");

	/* S flag + two extension headers (UDP Port, then PDU Session Container uplink QFI 9):
	 * the optional octets, each extension's length in 4-octet units, the chain of types */
	epcgen_gtpu_ext_udp_port(&ext[0], 2152);
	epcgen_gtpu_ext_pdu_session(&ext[1], 1, 9);
	fixed(&b);
	epcgen_gtpu_begin(&b, &u, EPCGEN_GTPU_GPDU, 0x01020304, 1, 0x0102, ext, 2);
	bld_add_u8(&b, 0x45);
	epcgen_gtpu_end(&b, &u);
	expect_hex(&b, "36ff000d" "01020304" "0102" "00" "40" "01086885" "01100900" "45");

	/* an extension whose content is not 4k-2 octets is refused (29.281 5.2.1) */
	ext[0].len = 3;
	fixed(&b);
	epcgen_gtpu_begin(&b, &u, EPCGEN_GTPU_GPDU, 1, 0, 0, ext, 1);
	assert_false(bld_ok(&b));
}

/* Verifies IP header and transport checksums of a packet at p by recomputing them. */
static void
verify_ip(const uint8_t *p, size_t n)
{
	struct ovt_cursor c;
	uint8_t vihl = 0, proto = 0;
	uint16_t tot = 0;
	uint64_t sum = 0;
	size_t hl, l4;

	cur_init(&c, p, n);
	assert_true(cur_peek_u8(&c, &vihl));
	if (vihl >> 4 == 4) {
		hl = 20;
		assert_int_equal(pkt_csum_fold(pkt_csum_add(0, p, 20)), 0);
		tot = (uint16_t)(p[2] << 8 | p[3]);
		assert_int_equal(tot, n);
		proto = p[9];
		l4 = n - hl;
		if (proto != EPCGEN_IPPROTO_ICMP) {
			sum = pkt_csum_add(0, p + 12, 8);
			sum += proto;
			sum += l4;
		}
	} else {
		hl = 40;
		assert_int_equal((size_t)(p[4] << 8 | p[5]) + 40, n);
		proto = p[6];
		l4 = n - hl;
		sum = pkt_csum_add(0, p + 8, 32);
		sum += proto;
		sum += l4;
	}
	if (proto == EPCGEN_IPPROTO_UDP)
		assert_int_equal((size_t)(p[hl + 4] << 8 | p[hl + 5]), l4);
	sum = pkt_csum_add(sum, p + hl, l4);
	assert_int_equal(pkt_csum_fold(sum), 0);
}

static void
test_ip_checksums(void **state)
{
	struct ovt_builder b;
	struct epcgen_ip ip;
	struct epcgen_addr s4, d4, s6, d6;
	const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	const uint8_t b6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0x12, [15] = 0x34};

	epcgen_addr_v4(&s4, 0x64400001);
	epcgen_addr_v4(&d4, 0xc6336401);
	epcgen_addr_v6(&s6, a6);
	epcgen_addr_v6(&d6, b6);
	for (int proto = 0; proto < 3; proto++) {
		for (int v6 = 0; v6 < 2; v6++) {
			fixed(&b);
			epcgen_ip_begin(&b, &ip, v6 ? &s6 : &s4, v6 ? &d6 : &d4,
			    proto == 0 ? EPCGEN_IPPROTO_UDP : proto == 1 ? EPCGEN_IPPROTO_TCP :
			    v6 ? EPCGEN_IPPROTO_ICMPV6 : EPCGEN_IPPROTO_ICMP, 77);
			if (proto == 0)
				epcgen_udp_hdr(&b, &ip, 52000, 443);
			else if (proto == 1)
				epcgen_tcp_hdr(&b, &ip, 52000, 443, 1000, 2000, 0x18);
			else
				epcgen_icmp_echo_hdr(&b, &ip, 0, 1, 2);
			for (int i = 0; i < 37; i++)	/* odd length on purpose */
				bld_add_u8(&b, (uint8_t)(i * 7));
			epcgen_ip_end(&b, &ip);
			assert_true(bld_ok(&b));
			verify_ip(bld_data(&b), bld_len(&b));
		}
	}
	/* mixed families are refused */
	fixed(&b);
	epcgen_ip_begin(&b, &ip, &s4, &d6, EPCGEN_IPPROTO_UDP, 1);
	assert_false(bld_ok(&b));
	/* ip_end without a transport header is refused */
	fixed(&b);
	epcgen_ip_begin(&b, &ip, &s4, &d4, EPCGEN_IPPROTO_UDP, 1);
	epcgen_ip_end(&b, &ip);
	assert_false(bld_ok(&b));
}

/* IP fragmentation (--mtu): each piece checked field by field against RFC 791 3.2 / RFC 8200
 * 4.5, and the pieces put back together by hand give the packet again. */
static void
test_ip_fragment(void **state)
{
	static uint8_t pkt[2048], rebuilt[2048], pc[2048];
	struct ovt_builder b, pb;
	struct epcgen_ip ip;
	struct epcgen_addr s4, d4, s6, d6;
	const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	const uint8_t b6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

	epcgen_addr_v4(&s4, 0x0a020001);
	epcgen_addr_v4(&d4, 0x0a040001);
	epcgen_addr_v6(&s6, a6);
	epcgen_addr_v6(&d6, b6);
	for (int v6 = 0; v6 < 2; v6++) {
		bld_init_fixed(&b, pkt, sizeof(pkt));
		epcgen_ip_begin(&b, &ip, v6 ? &s6 : &s4, v6 ? &d6 : &d4, EPCGEN_IPPROTO_UDP, 0x4242);
		epcgen_udp_hdr(&b, &ip, 2152, 2152);
		for (int i = 0; i < 1400; i++)
			bld_add_u8(&b, (uint8_t)(i * 31));
		epcgen_ip_end(&b, &ip);
		assert_true(bld_ok(&b));
		size_t n = bld_len(&b), hl = v6 ? 40 : 20;
		/* fits: one piece, the packet itself */
		assert_int_equal(epcgen_ip_frag_count(pkt, n, n), 1);
		bld_init_fixed(&pb, pc, sizeof(pc));
		epcgen_ip_frag_write(&pb, pkt, n, n, 1, 0);
		assert_int_equal(bld_len(&pb), n);
		assert_memory_equal(pc, pkt, n);
		/* MTU 576: 552 (IPv4) or 528 (IPv6) data octets a piece */
		size_t per = v6 ? 528 : 552, cnt = (n - hl + per - 1) / per;
		assert_int_equal(epcgen_ip_frag_count(pkt, n, 576), cnt);
		assert_int_equal(cnt, 3);
		assert_int_equal(epcgen_ip_frag_count(pkt, n, v6 ? 55 : 27), 0);
		memcpy(rebuilt, pkt, hl);
		size_t got = 0;
		for (size_t k = 0; k < cnt; k++) {
			bld_init_fixed(&pb, pc, sizeof(pc));
			epcgen_ip_frag_write(&pb, pkt, n, 576, 0xa1b2c3d4, k);
			assert_true(bld_ok(&pb));
			size_t pl = bld_len(&pb), dl, off;
			int more;
			assert_true(pl <= 576);
			if (!v6) {
				assert_int_equal((size_t)(pc[2] << 8 | pc[3]), pl);
				assert_int_equal(pc[4] << 8 | pc[5], 0x4242);	/* same id */
				assert_int_equal(pc[6] & 0x40, 0);		/* DF cleared */
				more = (pc[6] & 0x20) != 0;
				off = (size_t)((pc[6] & 0x1f) << 8 | pc[7]) * 8;
				assert_int_equal(pkt_csum_fold(pkt_csum_add(0, pc, 20)), 0);
				dl = pl - 20;
				memcpy(rebuilt + 20 + off, pc + 20, dl);
			} else {
				assert_int_equal((size_t)(pc[4] << 8 | pc[5]) + 40, pl);
				assert_int_equal(pc[6], 44);
				assert_int_equal(pc[40], EPCGEN_IPPROTO_UDP);
				assert_int_equal(pc[41], 0);
				more = pc[43] & 1;
				off = (size_t)(pc[42] << 8 | pc[43]) & 0xfff8;
				assert_memory_equal(pc + 44, "\xa1\xb2\xc3\xd4", 4);
				dl = pl - 48;
				memcpy(rebuilt + 40 + off, pc + 48, dl);
			}
			assert_int_equal(off, k * per);
			assert_int_equal(more, k + 1 < cnt);
			if (more)
				assert_int_equal(dl, per);
			got += dl;
		}
		assert_int_equal(got, n - hl);
		assert_memory_equal(rebuilt + hl, pkt + hl, n - hl);
		/* a piece that does not exist */
		bld_init_fixed(&pb, pc, sizeof(pc));
		epcgen_ip_frag_write(&pb, pkt, n, 576, 1, cnt);
		assert_false(bld_ok(&pb));
	}
}

static void
test_eth_vlan_dns(void **state)
{
	struct ovt_builder b;
	const uint8_t d[6] = {2, 0, 1, 0, 0, 0}, s[6] = {2, 0, 2, 0, 0, 1};

	fixed(&b);
	epcgen_eth(&b, d, s, 100, EPCGEN_ETH_IPV4);
	expect_hex(&b, "020001000000" "020002000001" "8100" "0064" "0800");
	fixed(&b);
	epcgen_eth(&b, d, s, 4095, EPCGEN_ETH_IPV4);
	assert_false(bld_ok(&b));

	fixed(&b);
	epcgen_dns(&b, 0x1234, 1, "a.example", 0xc0000201);
	expect_hex(&b, "1234818000010001" "00000000" "0161076578616d706c6500" "00010001"
	    "c00c000100010000012c0004c0000201");
	fixed(&b);
	epcgen_dns(&b, 1, 0, "bad..name", 0);
	assert_false(bld_ok(&b));
}

static void
test_rng(void **state)
{
	struct epcgen_rng a, b, c;
	int differ = 0;

	epcgen_rng_seed(&a, 42);
	epcgen_rng_seed(&b, 42);
	epcgen_rng_seed(&c, 43);
	for (int i = 0; i < 1000; i++) {
		uint64_t x = epcgen_rng_next(&a);
		assert_true(x == epcgen_rng_next(&b));
		differ += x != epcgen_rng_next(&c);
	}
	assert_true(differ > 990);
	for (int i = 0; i < 10000; i++) {
		assert_true(epcgen_rng_below(&a, 7) < 7);
		uint32_t r = epcgen_rng_range(&a, 5, 6);
		assert_true(r == 5 || r == 6);
	}
}

/* ------------------------------------------------------------- whole runs ---- */

struct walk {
	uint64_t frames, gtpv2_frames, gpdu, echo_req, echo_resp, end_marker, dns, refused;
	uint64_t msgs[256];
	uint16_t vlan;
};

/* The instance each F-TEID must have, by message type and interface type, as TS 29.274's
 * message tables give them (7.2.1-1/-2, 7.2.2-1/-2, 7.2.3-2, 7.2.4-2, 7.2.7-2, 7.2.8-2);
 * -1: that interface type has no business in that message. */
static int
fteid_instance(uint8_t msg, uint8_t iface)
{
	switch (msg) {
	case EPCGEN_MSG_CS_REQ:
		/* sender (S11 MME or S5 SGW) 0, PGW control plane 1, S5/S8-U SGW 2 */
		return iface == EPCGEN_IF_S11_MME || iface == EPCGEN_IF_S5C_SGW ? 0 :
		    iface == EPCGEN_IF_S5C_PGW ? 1 : iface == EPCGEN_IF_S5U_SGW ? 2 : -1;
	case EPCGEN_MSG_CS_RESP:
		/* sender 0 (S11 SGW; on S5 the PGW's, also type 7), PGW control plane 1,
		 * S1-U SGW 0, S5/S8-U PGW 2: type 7 is checked by the caller's position */
		return iface == EPCGEN_IF_S11_SGW || iface == EPCGEN_IF_S1U_SGW ? 0 :
		    iface == EPCGEN_IF_S5C_PGW ? 1 : iface == EPCGEN_IF_S5U_PGW ? 2 : -1;
	case EPCGEN_MSG_CB_REQ:
		return iface == EPCGEN_IF_S1U_SGW ? 0 : iface == EPCGEN_IF_S5U_PGW ? 1 : -1;
	case EPCGEN_MSG_CB_RESP:
		return iface == EPCGEN_IF_S1U_ENB ? 0 : iface == EPCGEN_IF_S1U_SGW ? 1 :
		    iface == EPCGEN_IF_S5U_SGW ? 2 : iface == EPCGEN_IF_S5U_PGW ? 3 : -1;
	case EPCGEN_MSG_MB_REQ:
		return iface == EPCGEN_IF_S1U_ENB ? 0 : -1;
	case EPCGEN_MSG_MB_RESP:
		return iface == EPCGEN_IF_S1U_SGW ? 0 : -1;
	default:
		return -1;
	}
}

/* GTPv2-C IEs of message type msg inside a cursor; grouped IEs recursively.  Returns 0 if
 * every length fits and every F-TEID has the instance its role requires. */
static int
walk_ies(struct ovt_cursor *c, int depth, uint8_t msg)
{
	while (cur_len(c) > 0) {
		uint8_t type, inst;
		uint16_t len;
		struct ovt_cursor v;
		/* TS 29.274 8.2.1: type, length (of the value only), spare|instance, value */
		if (!cur_get_u8(c, &type) || !cur_get_u16(c, &len) || !cur_get_u8(c, &inst) ||
		    (inst & 0xf0) != 0 || !cur_get_sub(c, &v, len))
			return -1;
		if (type == EPCGEN_IE_BEARER_CTX &&
		    (depth > 2 || walk_ies(&v, depth + 1, msg) != 0))
			return -1;
		if (type == EPCGEN_IE_FTEID) {
			uint8_t fl;
			int want;
			if (!cur_get_u8(&v, &fl))
				return -1;
			want = fteid_instance(msg, fl & 0x3f);
			/* on S5 the PGW's sender F-TEID (type 7) is instance 0, not 1 */
			if (msg == EPCGEN_MSG_CS_RESP && (fl & 0x3f) == EPCGEN_IF_S5C_PGW &&
			    inst == 0)
				want = 0;
			if (want != inst)
				fail_msg("message %u: F-TEID type %u with instance %u, want %d",
				    msg, fl & 0x3f, inst, want);
		}
	}
	return 0;
}

/* One UDP payload on 2123: GTPv2-C messages (piggybacked ones included). */
static int
walk_gtpv2(struct ovt_cursor *c, struct walk *w)
{
	uint8_t types[2];
	int n = 0;

	while (cur_len(c) > 0) {
		uint8_t flags, type;
		struct ovt_cursor body;
		if (n == 2 || !cur_get_u8(c, &flags) || !cur_get_u8(c, &type) ||
		    !cur_get_u16_prefixed(c, &body) || flags >> 5 != 2)
			return -1;
		if (!cur_skip(&body, (flags & 0x08) ? 8 : 4) || walk_ies(&body, 0, type) != 0)
			return -1;
		types[n++] = type;
		/* the P flag says whether another message follows (TS 29.274 5.5.1) */
		if (!(flags & 0x10) && cur_len(c) != 0)
			return -1;
	}
	for (int i = 0; i < n; i++)
		w->msgs[types[i]]++;
	return n > 0 ? 0 : -1;
}

/* One UDP payload on 2152: GTP-U header, options, extensions, inner IP. */
static int
walk_gtpu(struct ovt_cursor *c, struct walk *w)
{
	uint8_t flags, type, next = 0;
	uint16_t len;
	uint32_t teid;
	struct ovt_cursor body;

	/* TS 29.281 5.1: the length counts the octets after the mandatory 8, and the
	 * datagram holds exactly one message */
	if (!cur_get_u8(c, &flags) || !cur_get_u8(c, &type) || !cur_get_u16(c, &len) ||
	    !cur_get_u32(c, &teid) || !cur_get_sub(c, &body, len) || cur_len(c) != 0)
		return -1;
	if (flags >> 5 != 1 || !(flags & 0x10))
		return -1;
	if (flags & 0x07) {
		if (!cur_skip(&body, 3) || !cur_get_u8(&body, &next))
			return -1;
	}
	while (next != 0) {
		uint8_t units;
		struct ovt_cursor e;
		/* 5.2.1: length in 4-octet units, including itself and the next-type octet */
		if (!cur_get_u8(&body, &units) || units == 0 ||
		    !cur_get_sub(&body, &e, units * 4u - 1) || !cur_skip(&e, units * 4u - 2) ||
		    !cur_get_u8(&e, &next))
			return -1;
	}
	switch (type) {
	case EPCGEN_GTPU_GPDU:
		w->gpdu++;
		verify_ip(cur_data(&body), cur_len(&body));
		break;
	case EPCGEN_GTPU_END_MARKER:
		if (cur_len(&body) != 0)
			return -1;
		w->end_marker++;
		break;
	case EPCGEN_GTPU_ECHO_REQ:
		w->echo_req++;
		break;
	case EPCGEN_GTPU_ECHO_RESP:
		w->echo_resp++;
		break;
	default:
		return -1;
	}
	return 0;
}

static void
walk_frame(const uint8_t *p, size_t n, struct walk *w)
{
	struct ovt_cursor c, ip;
	uint16_t et = 0, tci = 0, sport = 0, dport = 0, ulen = 0, csum = 0;
	uint8_t v = 0, proto = 0;
	struct ovt_cursor udp;

	cur_init(&c, p, n);
	w->frames++;
	assert_true(cur_skip(&c, 12) && cur_get_u16(&c, &et));
	if (et == 0x8100) {
		assert_true(cur_get_u16(&c, &tci) && cur_get_u16(&c, &et));
		w->vlan = tci & 0x0fff;
	}
	verify_ip(cur_data(&c), cur_len(&c));
	ip = c;
	assert_true(cur_peek_u8(&ip, &v));
	if (v >> 4 == 4) {
		assert_int_equal(et, 0x0800);
		assert_true(cur_skip(&ip, 9) && cur_get_u8(&ip, &proto) && cur_skip(&ip, 10));
	} else {
		assert_int_equal(et, 0x86dd);
		assert_true(cur_skip(&ip, 6) && cur_get_u8(&ip, &proto) && cur_skip(&ip, 33));
	}
	assert_int_equal(proto, EPCGEN_IPPROTO_UDP);
	assert_true(cur_get_u16(&ip, &sport) && cur_get_u16(&ip, &dport) &&
	    cur_get_u16(&ip, &ulen) && cur_get_u16(&ip, &csum));
	assert_int_equal(ulen, cur_len(&ip) + 8);
	udp = ip;
	if (dport == 53 || sport == 53) {
		w->dns++;
	} else if (dport == 2123) {
		if (walk_gtpv2(&udp, w) == 0)
			w->gtpv2_frames++;
		else
			w->refused++;
	} else if (dport == 2152) {
		if (walk_gtpu(&udp, w) != 0)
			w->refused++;
	} else {
		fail_msg("frame %llu: unexpected ports %u -> %u", (unsigned long long)w->frames,
		    sport, dport);
	}
}

static void
walk_pcap(const char *file, struct walk *w)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(file, err);
	struct pcap_pkthdr *h;
	const u_char *data;
	long long last = 0;

	assert_non_null(pc);
	assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
	memset(w, 0, sizeof(*w));
	while (pcap_next_ex(pc, &h, &data) == 1) {
		long long t = (long long)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
		assert_true(t >= last);	/* time order */
		last = t;
		assert_int_equal(h->caplen, h->len);
		walk_frame(data, h->caplen, w);
	}
	pcap_close(pc);
}

static void
run_ok(struct epcgen_config *cfg, struct epcgen_totals *t)
{
	enum epcgen_err e = epcgen_run(cfg, t);
	if (e != EPCGEN_OK)
		fail_msg("epcgen_run: %s", epcgen_strerror(e));
}

static void
check_walk(const struct epcgen_config *cfg, const struct epcgen_totals *t)
{
	struct walk w;

	walk_pcap(cfg->out_path, &w);
	assert_int_equal(w.frames, cfg->packets);
	assert_int_equal(t->frames, cfg->packets);
	assert_int_equal(w.gtpv2_frames, t->gtpv2_frames);
	for (int i = 0; i < 256; i++)
		if (w.msgs[i] != t->gtpv2_msgs[i])
			fail_msg("GTPv2 type %d: walked %llu, totals %llu", i,
			    (unsigned long long)w.msgs[i], (unsigned long long)t->gtpv2_msgs[i]);
	assert_int_equal(w.gpdu, t->gpdu);
	assert_int_equal(w.gpdu, t->gpdu_s1u_ul + t->gpdu_s1u_dl + t->gpdu_s5u_ul +
	    t->gpdu_s5u_dl + t->gpdu_unknown_teid);
	assert_int_equal(w.end_marker, t->gtpu_end_marker);
	assert_int_equal(w.echo_req, t->gtpu_echo_req);
	assert_int_equal(w.echo_resp, t->gtpu_echo_resp);
	assert_int_equal(w.dns, t->dns);
	/* everything refused is deliberate noise, and all of it is refused */
	assert_int_equal(w.refused, t->non_gtp_c + t->non_gtp_u + t->bad_gtp_c + t->bad_gtp_u);
	assert_int_equal(w.vlan, cfg->vlan);
	assert_int_equal(w.frames, w.gtpv2_frames + w.gpdu + w.end_marker + w.echo_req +
	    w.echo_resp + w.dns + w.refused);
}

static void
test_run_walk_scenarios(void **state)
{
	struct epcgen_config cfg;
	struct epcgen_totals t;
	char f[128];

	path(f, sizeof(f), "w.pcap");
	for (int k = 0; k < 4; k++) {
		epcgen_config_init(&cfg, k == 3 ? EPCGEN_SC_BENCH : k == 0 ? EPCGEN_SC_DEMO :
		    EPCGEN_SC_MIXED);
		cfg.out_path = f;
		cfg.subscribers = k == 3 ? 2000 : 60;
		cfg.packets = k == 3 ? 20000 : 5000;
		cfg.targets = 3;
		cfg.seed = 100 + (uint64_t)k;
		cfg.ipv6_transport = k == 2;
		cfg.vlan = k == 1 ? 42 : 0;
		cfg.s5 = k == 2;
		run_ok(&cfg, &t);
		check_walk(&cfg, &t);
		assert_true(t.procedures > cfg.subscribers);
		assert_true(t.gtpv2_msgs[EPCGEN_MSG_CS_REQ] >= cfg.subscribers);
		assert_int_equal(t.gtpv2_msgs[EPCGEN_MSG_CS_REQ], t.gtpv2_msgs[EPCGEN_MSG_CS_RESP]);
		assert_int_equal(t.gtpv2_msgs[EPCGEN_MSG_MB_REQ], t.gtpv2_msgs[EPCGEN_MSG_MB_RESP]);
		assert_int_equal(t.gtpv2_msgs[EPCGEN_MSG_CB_REQ], t.gtpv2_msgs[EPCGEN_MSG_CB_RESP]);
		if (cfg.s5)
			assert_int_equal(t.gpdu_s5u_ul + t.gpdu_s5u_dl,
			    t.gpdu_s1u_ul + t.gpdu_s1u_dl);
		else
			assert_int_equal(t.gpdu_s5u_ul + t.gpdu_s5u_dl, 0);
	}
	/* the demo scenario exercises every procedure */
	epcgen_config_init(&cfg, EPCGEN_SC_DEMO);
	cfg.out_path = f;
	run_ok(&cfg, &t);
	for (int type = EPCGEN_MSG_CS_REQ; type <= EPCGEN_MSG_DS_RESP; type++)
		assert_true(t.gtpv2_msgs[type] > 0);
	assert_true(t.gtpv2_msgs[EPCGEN_MSG_CB_REQ] > 0 && t.gtpv2_msgs[EPCGEN_MSG_DB_REQ] > 0);
	assert_true(t.gtpv2_msgs[EPCGEN_MSG_RAB_REQ] > 0 && t.piggybacked > 0);
	assert_true(t.gtpu_end_marker > 0 && t.gpdu_with_seq > 0 && t.gpdu_with_ext > 0);
	assert_true(t.non_gtp_c > 0 && t.non_gtp_u > 0 && t.bad_gtp_c > 0 && t.bad_gtp_u > 0);
	assert_true(t.dns > 0 && t.gpdu_unknown_teid > 0);
}

static void
test_run_deterministic(void **state)
{
	struct epcgen_config cfg;
	struct epcgen_totals t;
	char a[128], b[128], ta[128], tb[128];
	uint8_t *pa, *pb;
	size_t la, lb;

	path(a, sizeof(a), "a.pcap");
	path(b, sizeof(b), "b.pcap");
	path(ta, sizeof(ta), "a.truth.jsonl");
	path(tb, sizeof(tb), "b.truth.jsonl");
	epcgen_config_init(&cfg, EPCGEN_SC_MIXED);
	cfg.subscribers = 40;
	cfg.packets = 3000;
	cfg.out_path = a;
	run_ok(&cfg, &t);
	cfg.out_path = b;
	run_ok(&cfg, &t);
	pa = slurp(a, &la);
	pb = slurp(b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(pa, pb, la);
	free(pa);
	free(pb);
	pa = slurp(ta, &la);
	pb = slurp(tb, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(pa, pb, la);
	free(pa);
	free(pb);

	cfg.seed = 2;
	run_ok(&cfg, &t);
	pa = slurp(a, &la);
	pb = slurp(b, &lb);
	assert_true(la != lb || memcmp(pa, pb, la) != 0);
	free(pa);
	free(pb);
}

/* IP packet of each record of a capture, as pkt_decode finds it, after reassembling fragments
 * with pkt_frag; IPv4 with DF cleared and the checksum redone (a router only fragments packets
 * sent without DF).  Returns the number of datagrams; *records the records read. */
static size_t
datagrams(const char *file, uint8_t **out, size_t *lens, size_t max, size_t *records,
    struct pkt_frag *pf)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(file, eb);
	struct pcap_pkthdr *h;
	const u_char *d;
	size_t n = 0;

	assert_non_null(pc);
	*records = 0;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		struct pkt_info pi;
		struct pkt_frag_out fo;
		const uint8_t *ip;
		size_t len;
		(*records)++;
		enum pkt_err e = pkt_decode(PKT_DLT_EN10MB, d, h->caplen, &pi);
		if (e == PKT_E_FRAGMENT) {
			enum pkt_frag_rc rc = pkt_frag_add(pf, cur_data(&pi.ip), cur_len(&pi.ip), 0,
			    &fo);
			assert_false(pkt_frag_is_drop(rc));
			if (rc != PKT_FRAG_COMPLETE)
				continue;
			ip = fo.ip;
			len = fo.len;
		} else {
			ip = cur_data(&pi.ip);
			len = cur_len(&pi.ip);
		}
		assert_true(n < max);
		assert_true(len > 20);
		out[n] = malloc(len);
		assert_non_null(out[n]);
		memcpy(out[n], ip, len);
		if ((ip[0] >> 4) == 4) {
			out[n][6] &= (uint8_t)~0x40;
			out[n][10] = out[n][11] = 0;
			uint16_t c = pkt_csum_fold(pkt_csum_add(0, out[n], 20));
			out[n][10] = (uint8_t)(c >> 8);
			out[n][11] = (uint8_t)c;
		}
		lens[n++] = len;
	}
	pcap_close(pc);
	return n;
}

/* Every line of a truth file but meta and totals. */
static char *
truth_body(const char *file, size_t *len)
{
	uint8_t *t = slurp(file, len);
	char *o = malloc(*len + 1), *p = (char *)t;
	size_t n = 0;
	assert_non_null(o);
	t[*len] = 0;
	while (*p) {
		char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) + 1 : strlen(p);
		if (strncmp(p, "{\"type\":\"meta\",", 15) != 0 &&
		    strncmp(p, "{\"type\":\"totals\",", 17) != 0) {
			memcpy(o + n, p, l);
			n += l;
		}
		p += l;
	}
	free(t);
	*len = n;
	return o;
}

/* --mtu: the same truth except meta and totals; the capture, reassembled, holds exactly the
 * datagrams of the capture made without --mtu; some pieces are out of order; deterministic. */
static void
test_run_mtu(void **state)
{
	enum { MAXD = 4000 };
	static uint8_t *da[MAXD], *db[MAXD];
	static size_t la[MAXD], lb[MAXD];
	struct epcgen_config cfg;
	struct epcgen_totals ta, tb;
	char a[128], b[128], c[128], tra[128], trb[128];

	path(a, sizeof(a), "m0.pcap");
	path(b, sizeof(b), "m1.pcap");
	path(c, sizeof(c), "m2.pcap");
	path(tra, sizeof(tra), "m0.truth.jsonl");
	path(trb, sizeof(trb), "m1.truth.jsonl");
	for (int v6 = 0; v6 < 2; v6++) {
		struct pkt_frag_config fc;
		pkt_frag_config_init(&fc);
		struct pkt_frag *pf = pkt_frag_new(&fc, NULL);
		assert_non_null(pf);
		epcgen_config_init(&cfg, EPCGEN_SC_MIXED);
		cfg.subscribers = 40;
		cfg.packets = 3000;
		cfg.ipv6_transport = v6;
		cfg.vlan = v6 ? 0 : 12;
		cfg.s5 = v6;
		cfg.out_path = a;
		run_ok(&cfg, &ta);
		assert_int_equal(ta.pcap_records, ta.frames);
		assert_int_equal(ta.fragmented, 0);
		cfg.mtu = 576;
		cfg.out_path = b;
		run_ok(&cfg, &tb);
		assert_int_equal(tb.frames, 3000);
		assert_true(tb.fragmented > 50);
		assert_true(tb.reordered > 0 && tb.reordered < tb.fragmented);
		assert_int_equal(tb.pcap_records, tb.frames - tb.fragmented + tb.fragments);
		assert_int_equal(tb.gpdu, ta.gpdu);
		assert_int_equal(tb.procedures, ta.procedures);

		size_t ra, rb, na, nb, l1, l2;
		na = datagrams(a, da, la, MAXD, &ra, pf);
		nb = datagrams(b, db, lb, MAXD, &rb, pf);
		assert_int_equal(ra, 3000);
		assert_int_equal(rb, tb.pcap_records);
		assert_int_equal(na, 3000);
		assert_int_equal(nb, 3000);
		for (size_t i = 0; i < na; i++) {
			assert_int_equal(la[i], lb[i]);
			assert_memory_equal(da[i], db[i], la[i]);
			free(da[i]);
			free(db[i]);
		}
		assert_int_equal(pkt_frag_stats(pf)->n[PKT_FRAG_COMPLETE], tb.fragmented);
		assert_int_equal(pkt_frag_stats(pf)->in_flight, 0);
		assert_int_equal(pkt_frag_stats(pf)->drops, 0);
		pkt_frag_free(pf);

		char *x = truth_body(tra, &l1), *y = truth_body(trb, &l2);
		assert_true(l1 > 100000);
		assert_int_equal(l1, l2);
		assert_memory_equal(x, y, l1);
		free(x);
		free(y);

		/* same options, same bytes */
		cfg.out_path = c;
		run_ok(&cfg, &tb);
		uint8_t *p1 = slurp(b, &l1), *p2 = slurp(c, &l2);
		assert_int_equal(l1, l2);
		assert_memory_equal(p1, p2, l1);
		free(p1);
		free(p2);
	}
	cfg.mtu = EPCGEN_MTU_MIN - 1;
	assert_int_equal(epcgen_run(&cfg, &tb), EPCGEN_E_CONFIG);
	cfg.mtu = EPCGEN_MTU_MAX + 1;
	assert_int_equal(epcgen_run(&cfg, &tb), EPCGEN_E_CONFIG);
}

static void
test_budget(void **state)
{
	struct epcgen_config cfg;
	struct epcgen_totals t;
	char f[128];
	uint64_t min;

	path(f, sizeof(f), "budget.pcap");
	for (int s5 = 0; s5 < 2; s5++) {
		unlink(f);
		epcgen_config_init(&cfg, EPCGEN_SC_MIXED);
		cfg.out_path = f;
		cfg.subscribers = 30;
		cfg.s5 = s5;
		cfg.packets = 10;
		assert_int_equal(epcgen_run(&cfg, &t), EPCGEN_E_BUDGET);
		assert_false(exists(f));
		min = t.min_packets;
		assert_true(min > 10);
		/* the reported minimum works, exactly */
		cfg.packets = min;
		run_ok(&cfg, &t);
		assert_int_equal(t.frames, min);
		check_walk(&cfg, &t);
		cfg.packets = min - 1;
		assert_int_equal(epcgen_run(&cfg, &t), EPCGEN_E_BUDGET);
	}
}

static void
test_refusals_and_io(void **state)
{
	struct epcgen_config cfg;
	struct epcgen_totals t;
	char f[128], tr[128], tg[128];
	size_t n;
	uint8_t *data;
	int lines = 0;

	path(f, sizeof(f), "r.pcap");
	epcgen_config_init(&cfg, EPCGEN_SC_DEMO);
	cfg.out_path = NULL;
	assert_int_equal(epcgen_run(&cfg, &t), EPCGEN_E_CONFIG);
	cfg.out_path = f;
	cfg.subscribers = 0;
	assert_int_equal(epcgen_run(&cfg, &t), EPCGEN_E_CONFIG);
	cfg.subscribers = EPCGEN_MAX_SUBSCRIBERS + 1;
	assert_int_equal(epcgen_run(&cfg, &t), EPCGEN_E_CONFIG);
	epcgen_config_init(&cfg, EPCGEN_SC_DEMO);
	cfg.out_path = f;
	cfg.targets = cfg.subscribers + 1;
	assert_int_equal(epcgen_run(&cfg, &t), EPCGEN_E_CONFIG);
	cfg.targets = 1;
	cfg.vlan = 4095;
	assert_int_equal(epcgen_run(&cfg, &t), EPCGEN_E_CONFIG);
	cfg.vlan = 0;
	cfg.packets = EPCGEN_MAX_PACKETS + 1ULL;
	assert_int_equal(epcgen_run(&cfg, &t), EPCGEN_E_CONFIG);
	cfg.packets = 0;
	assert_int_equal(epcgen_run(&cfg, &t), EPCGEN_E_CONFIG);
	cfg.scenario = (enum epcgen_scenario)7;
	cfg.packets = 3000;
	assert_int_equal(epcgen_run(&cfg, &t), EPCGEN_E_CONFIG);
	assert_false(exists(f));

	/* an unwritable place: an error, and nothing left behind */
	epcgen_config_init(&cfg, EPCGEN_SC_DEMO);
	cfg.out_path = "/nonexistent-dir/x.pcap";
	assert_int_equal(epcgen_run(&cfg, &t), EPCGEN_E_IO);
	assert_false(exists("/nonexistent-dir/x.truth.jsonl"));
	assert_string_not_equal(epcgen_strerror(EPCGEN_E_IO), epcgen_strerror(EPCGEN_E_BUDGET));

	/* the targets file has K lines; with K = 0 an old one is removed */
	cfg.out_path = f;
	cfg.targets = 7;
	run_ok(&cfg, &t);
	path(tg, sizeof(tg), "r.targets");
	path(tr, sizeof(tr), "r.truth.jsonl");
	assert_true(exists(tr));
	data = slurp(tg, &n);
	for (size_t i = 0; i < n; i++)
		lines += data[i] == '\n';
	/* "IMSI MSISDN IMEI": 15 + 1 + 12 + 1 + 14 + newline */
	assert_int_equal(n, 7 * 44);
	free(data);
	assert_int_equal(lines, 7);
	cfg.targets = 0;
	run_ok(&cfg, &t);
	assert_false(exists(tg));
}

static void
test_paths_and_cli(void **state)
{
	char out[64], f[128];
	char *help[] = {"epcgen", "--help", NULL};
	char *noout[] = {"epcgen", "--packets", "100", NULL};
	char *badnum[] = {"epcgen", "--out", f, "--subscribers", "12abc", NULL};
	char *neg[] = {"epcgen", "--out", f, "--seed", "-3", NULL};
	char *extra[] = {"epcgen", "--out", f, "stray", NULL};
	char *good[] = {"epcgen", "--out", f, "--subscribers", "10", "--packets", "900",
	    "--targets", "2", "--seed", "0x10", "--vlan", "7", NULL};
	char *mtu_lo[] = {"epcgen", "--out", f, "--mtu", "575", NULL};
	char *mtu_hi[] = {"epcgen", "--out", f, "--mtu", "9001", NULL};
	char *mtu_ok[] = {"epcgen", "--out", f, "--mtu", "1000", NULL};

	assert_int_equal(epcgen_truth_path("x/a.pcap", out, sizeof(out)), 0);
	assert_string_equal(out, "x/a.truth.jsonl");
	assert_int_equal(epcgen_targets_path("a", out, sizeof(out)), 0);
	assert_string_equal(out, "a.targets");
	assert_int_equal(epcgen_truth_path("abcdef.pcap", out, 10), -1);

	path(f, sizeof(f), "cli.pcap");
	assert_int_equal(epcgen_main(2, help), 0);
	assert_int_equal(epcgen_main(3, noout), 2);
	assert_int_equal(epcgen_main(5, badnum), 2);
	assert_int_equal(epcgen_main(5, neg), 2);
	assert_int_equal(epcgen_main(4, extra), 2);
	assert_false(exists(f));
	assert_int_equal(epcgen_main(5, mtu_lo), 2);
	assert_int_equal(epcgen_main(5, mtu_hi), 2);
	assert_false(exists(f));
	assert_int_equal(epcgen_main(13, good), 0);
	assert_true(exists(f));
	assert_int_equal(epcgen_main(5, mtu_ok), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_rfc1071),
		cmocka_unit_test(test_tbcd_and_plmn),
		cmocka_unit_test(test_ie_layouts),
		cmocka_unit_test(test_grouped_ie_nesting),
		cmocka_unit_test(test_msg_create_session_request),
		cmocka_unit_test(test_msg_small),
		cmocka_unit_test(test_gtpu_header),
		cmocka_unit_test(test_ip_checksums),
		cmocka_unit_test(test_ip_fragment),
		cmocka_unit_test(test_eth_vlan_dns),
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_run_walk_scenarios),
		cmocka_unit_test(test_run_deterministic),
		cmocka_unit_test(test_run_mtu),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_refusals_and_io),
		cmocka_unit_test(test_paths_and_cli),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
