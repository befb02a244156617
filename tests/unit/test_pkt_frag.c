/*
 * IP reassembly tests (src/pkt/pkt_frag.h).  Datagrams are built here and cut into pieces by a
 * small fragmenter local to this file (any offset, length and MF flag, so that overlaps and
 * lies can be made too); every reassembled datagram is compared byte for byte with the
 * original.  Cases: IPv4 and IPv6 in order, out of order, interleaved, exact duplicates,
 * overlaps (dropped, counted, later pieces refused), a missing piece then timeout, eviction
 * when the table or the storage is full, the 65535-octet limit, IPv6 fragment header with an
 * unfragmentable part and atomic fragments, tiny first pieces, empty and misaligned pieces,
 * pieces disagreeing on the end, too many pieces, malformed headers, the configuration and
 * the memory bound.  And two real captures with fragmented GTP-U ($OVERT_SHARED/captures,
 * zeek-*), reassembled here and by tshark (an independent implementation): same datagrams.
 * Last, the POI's default capture filter lets every piece through (IPv4, IPv6, 802.1Q).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtp/gtp.h"
#include "pkt/pkt.h"
#include "pkt/pkt_csum.h"
#include "poi/poi_capture.h"
#include "pkt/pkt_frag.h"

#define SEC 1000000000ULL

static uint8_t dgram[70000];	/* the original */
static uint8_t piece[70000];	/* one fragment */

static void
put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
csum(const uint8_t *p, size_t n)
{
	return pkt_csum_fold(pkt_csum_add(0, p, n));
}

/* IPv4 10.0.0.1 -> 10.0.0.2, protocol proto, id, optional 4-octet option, and an L4 part of
 * l4len octets (a UDP header on 2152 when proto is 17, then a pattern).  Returns the length. */
static size_t
mk_ip4(uint8_t *p, size_t l4len, uint16_t id, uint8_t proto, int option)
{
	size_t hl = option ? 24 : 20, n = hl + l4len;
	memset(p, 0, hl);
	p[0] = (uint8_t)(0x40 | hl / 4);
	put16(p + 2, n);
	put16(p + 4, id);
	p[8] = 64;
	p[9] = proto;
	p[12] = 10, p[15] = 1;
	p[16] = 10, p[19] = 2;
	if (option)
		p[20] = 0x94, p[21] = 4;	/* router alert (RFC 2113), copied flag set */
	for (size_t i = 0; i < l4len; i++)
		p[hl + i] = (uint8_t)(i * 7 + id);
	if (proto == 17 && l4len >= 8) {
		put16(p + hl, 2152);
		put16(p + hl + 2, 2152);
		put16(p + hl + 4, l4len);
		put16(p + hl + 6, 0);
	}
	put16(p + 10, csum(p, hl));
	return n;
}

/* IPv4 piece: the original's header (hl octets; options only when first), data [off, off+len)
 * of the original, MF as given.  Returns the piece's length. */
static size_t
frag4(uint8_t *out, const uint8_t *p, size_t off, size_t len, int more)
{
	size_t hl = (size_t)(p[0] & 15) * 4, ohl = off == 0 ? hl : 20;
	memcpy(out, p, 20);
	out[0] = (uint8_t)(0x40 | ohl / 4);
	if (ohl > 20)
		memcpy(out + 20, p + 20, ohl - 20);
	put16(out + 2, ohl + len);
	put16(out + 6, (more ? 0x2000 : 0) | off / 8);
	out[10] = out[11] = 0;
	put16(out + 10, csum(out, ohl));
	memcpy(out + ohl, p + hl + off, len);
	return ohl + len;
}

/* IPv6 2001:db8::1 -> 2001:db8::2, with an 8-octet hop-by-hop header when hbh, then the
 * fragmentable part: an optional destination-options header of dst octets, then UDP with
 * l4len octets. */
static size_t
mk_ip6(uint8_t *p, size_t l4len, int hbh, size_t dst)
{
	size_t n = 40;
	memset(p, 0, 40);
	p[0] = 0x60;
	p[7] = 64;
	p[8] = 0x20, p[9] = 0x01, p[10] = 0x0d, p[11] = 0xb8, p[23] = 1;
	p[24] = 0x20, p[25] = 0x01, p[26] = 0x0d, p[27] = 0xb8, p[39] = 2;
	uint8_t *nh = p + 6;
	if (hbh) {
		*nh = 0;
		memset(p + n, 0, 8);
		p[n + 2] = 1, p[n + 3] = 4;	/* PadN */
		nh = p + n;
		n += 8;
	}
	if (dst) {
		*nh = 60;
		memset(p + n, 0, dst);
		p[n + 1] = (uint8_t)(dst / 8 - 1);
		p[n + 2] = 1, p[n + 3] = (uint8_t)(dst - 4);
		nh = p + n;
		n += dst;
	}
	*nh = 17;
	for (size_t i = 0; i < l4len; i++)
		p[n + i] = (uint8_t)(i * 13 + 5);
	if (l4len >= 8) {
		put16(p + n, 2152);
		put16(p + n + 2, 2152);
		put16(p + n + 4, l4len);
	}
	n += l4len;
	put16(p + 4, n - 40);
	return n;
}

/* IPv6 piece of p (n octets, the first unfrag octets unfragmentable, the Next Header naming
 * the first fragmentable header at nh_off): fragment header id, offset off, M, data len. */
static size_t
frag6(uint8_t *out, const uint8_t *p, size_t n, size_t unfrag, size_t nh_off, uint32_t id,
    size_t off, size_t len, int more)
{
	memcpy(out, p, unfrag);
	out[nh_off] = 44;
	out[unfrag] = p[nh_off];
	out[unfrag + 1] = 0;
	put16(out + unfrag + 2, off | (more ? 1 : 0));
	out[unfrag + 4] = (uint8_t)(id >> 24), out[unfrag + 5] = (uint8_t)(id >> 16);
	out[unfrag + 6] = (uint8_t)(id >> 8), out[unfrag + 7] = (uint8_t)id;
	assert_true(unfrag + off + len <= n);
	memcpy(out + unfrag + 8, p + unfrag + off, len);
	put16(out + 4, unfrag - 40 + 8 + len);
	return unfrag + 8 + len;
}

static struct pkt_frag *
mk(uint32_t datagrams, uint32_t frags, uint64_t bytes)
{
	struct pkt_frag_config c;
	const char *err = NULL;
	pkt_frag_config_init(&c);
	if (datagrams)
		c.max_datagrams = datagrams;
	if (frags)
		c.max_fragments = frags;
	if (bytes)
		c.max_bytes = bytes;
	struct pkt_frag *f = pkt_frag_new(&c, &err);
	assert_non_null(f);
	return f;
}

/* Every pkt_frag_add outcome is counted once; timeouts and evictions come on top. */
static void
check_counts(const struct pkt_frag *f)
{
	const struct pkt_frag_stats *s = pkt_frag_stats(f);
	uint64_t sum = 0, drops = 0;
	for (int i = 0; i < PKT_FRAG__COUNT; i++) {
		sum += s->n[i];
		if (pkt_frag_is_drop((enum pkt_frag_rc)i))
			drops += s->n[i];
	}
	assert_int_equal(sum - s->n[PKT_FRAG_E_TIMEOUT] - s->n[PKT_FRAG_E_EVICTED] -
	    s->n[PKT_FRAG_E_EVICTED_MEM], s->fragments);
	assert_int_equal(drops, s->drops);
	assert_true(s->bytes_held <= pkt_frag_config(f)->max_bytes);
	assert_true(s->in_flight + s->dead <= pkt_frag_config(f)->max_datagrams);
}

static void
expect_same(const struct pkt_frag_out *o, const uint8_t *p, size_t n)
{
	assert_int_equal(o->len, n);
	assert_memory_equal(o->ip, p, n);
}

/* Feeds the pieces of an IPv4 datagram of n octets, per octets each, in the order given
 * (indices into the list of pieces); the last one fed must complete it. */
static void
feed4_order(struct pkt_frag *f, const uint8_t *p, size_t n, size_t per, const size_t *order,
    size_t k, uint64_t t)
{
	size_t hl = (size_t)(p[0] & 15) * 4, data = n - hl;
	struct pkt_frag_out o;
	for (size_t j = 0; j < k; j++) {
		size_t off = order[j] * per, len = data - off < per ? data - off : per;
		size_t pl = frag4(piece, p, off, len, off + len < data);
		enum pkt_frag_rc rc = pkt_frag_add(f, piece, pl, t + j, &o);
		if (j + 1 < k) {
			assert_int_equal(rc, PKT_FRAG_HELD);
		} else {
			assert_int_equal(rc, PKT_FRAG_COMPLETE);
			expect_same(&o, p, n);
			assert_int_equal(o.nfrags, k);
			assert_int_equal(o.ts_ns, t + j);
			assert_int_equal(o.first_ns, t);
		}
	}
}

/* ------------------------------------------------------------------ tests */

static void
test_ipv4_in_order(void **state)
{
	struct pkt_frag *f = mk(0, 0, 0);
	struct pkt_info pi;
	struct pkt_frag_out o;
	size_t n = mk_ip4(dgram, 3000, 0x1234, 17, 0);
	static const size_t order[] = {0, 1, 2};

	feed4_order(f, dgram, n, 1480, order, 3, 5 * SEC);
	assert_int_equal(pkt_frag_stats(f)->n[PKT_FRAG_COMPLETE], 1);
	assert_int_equal(pkt_frag_stats(f)->in_flight, 0);
	assert_int_equal(pkt_frag_stats(f)->bytes_held, 0);
	assert_true(pkt_frag_stats(f)->peak_bytes >= 2 * 1480);

	/* The output decodes as one UDP datagram and has a valid header checksum. */
	size_t pl = frag4(piece, dgram, 0, 2960, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, 6 * SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 2960, 40, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, 6 * SEC, &o), PKT_FRAG_COMPLETE);
	expect_same(&o, dgram, n);
	assert_int_equal(csum(o.ip, 20), 0);
	assert_int_equal(pkt_decode_ip(o.ip, o.len, &pi), PKT_OK);
	assert_int_equal(pi.proto, 17);
	assert_int_equal(pi.dport, 2152);
	assert_int_equal(cur_len(&pi.payload), 3000 - 8);
	assert_int_equal(pi.frag, 0);

	/* Link padding after the IP length is ignored. */
	pl = frag4(piece, dgram, 0, 1480, 1);
	memset(piece + pl, 0xee, 6);
	assert_int_equal(pkt_frag_add(f, piece, pl + 6, 7 * SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 1480, 1520, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, 7 * SEC, &o), PKT_FRAG_COMPLETE);
	expect_same(&o, dgram, n);
	check_counts(f);
	pkt_frag_free(f);
}

static void
test_ipv4_out_of_order(void **state)
{
	struct pkt_frag *f = mk(0, 0, 0);
	size_t n = mk_ip4(dgram, 5000, 7, 17, 0);
	static const size_t rev[] = {3, 2, 1, 0};
	static const size_t mid[] = {2, 0, 3, 1};
	static const size_t last_first[] = {3, 0, 1, 2};

	feed4_order(f, dgram, n, 1480, rev, 4, SEC);
	feed4_order(f, dgram, n, 1480, mid, 4, 2 * SEC);
	feed4_order(f, dgram, n, 1480, last_first, 4, 3 * SEC);

	/* Two datagrams interleaved (same addresses, different identification), and one with
	 * the same identification from another source. */
	static uint8_t d2[4000], d3[4000];
	struct pkt_frag_out o;
	size_t n2 = mk_ip4(d2, 2000, 8, 17, 0);
	size_t n3 = mk_ip4(d3, 2000, 7, 17, 0);
	d3[15] = 9;
	d3[10] = d3[11] = 0;
	put16(d3 + 10, csum(d3, 20));
	size_t pl;
	pl = frag4(piece, dgram, 0, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, 4 * SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, d2, 1480, n2 - 20 - 1480, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, 4 * SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, d3, 0, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, 4 * SEC, &o), PKT_FRAG_HELD);
	assert_int_equal(pkt_frag_stats(f)->in_flight, 3);
	pl = frag4(piece, d2, 0, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, 4 * SEC, &o), PKT_FRAG_COMPLETE);
	expect_same(&o, d2, n2);
	pl = frag4(piece, d3, 1480, n3 - 20 - 1480, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, 4 * SEC, &o), PKT_FRAG_COMPLETE);
	expect_same(&o, d3, n3);
	for (size_t off = 1480; off < n - 20; off += 1480) {
		size_t len = n - 20 - off < 1480 ? n - 20 - off : 1480;
		pl = frag4(piece, dgram, off, len, off + len < n - 20);
		assert_int_equal(pkt_frag_add(f, piece, pl, 4 * SEC, &o),
		    off + len < n - 20 ? PKT_FRAG_HELD : PKT_FRAG_COMPLETE);
	}
	expect_same(&o, dgram, n);
	assert_int_equal(pkt_frag_stats(f)->n[PKT_FRAG_COMPLETE], 6);
	assert_int_equal(pkt_frag_stats(f)->drops, 0);
	check_counts(f);
	pkt_frag_free(f);
}

/* The header of the first piece (with its options) is the datagram's; later pieces have none. */
static void
test_ipv4_options(void **state)
{
	struct pkt_frag *f = mk(0, 0, 0);
	struct pkt_frag_out o;
	size_t n = mk_ip4(dgram, 1000, 99, 17, 1);
	size_t pl = frag4(piece, dgram, 504, 496, 0);

	assert_int_equal(piece[0], 0x45);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 0, 504, 1);
	assert_int_equal(piece[0], 0x46);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_COMPLETE);
	expect_same(&o, dgram, n);
	assert_int_equal(csum(o.ip, 24), 0);
	/* DF (and the reserved bit) survive; MF and the offset do not. */
	dgram[6] = 0x40;
	dgram[10] = dgram[11] = 0;
	put16(dgram + 10, csum(dgram, 24));
	pl = frag4(piece, dgram, 0, 504, 1);
	piece[6] |= 0x40;
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 504, 496, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_COMPLETE);
	expect_same(&o, dgram, n);
	check_counts(f);
	pkt_frag_free(f);
}

static void
test_duplicates(void **state)
{
	struct pkt_frag *f = mk(0, 0, 0);
	struct pkt_frag_out o;
	size_t n = mk_ip4(dgram, 3000, 1, 17, 0), pl;

	pl = frag4(piece, dgram, 0, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_DUPLICATE);
	pl = frag4(piece, dgram, 1480, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_DUPLICATE);
	pl = frag4(piece, dgram, 0, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_DUPLICATE);
	pl = frag4(piece, dgram, 2960, 40, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_COMPLETE);
	expect_same(&o, dgram, n);
	assert_int_equal(o.nfrags, 3);

	/* A duplicate of the last piece that first arrived as a non-last one fixes the end. */
	n = mk_ip4(dgram, 2960, 2, 17, 0);
	pl = frag4(piece, dgram, 1480, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 0, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 1480, 1480, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_COMPLETE);
	expect_same(&o, dgram, n);
	assert_int_equal(pkt_frag_stats(f)->n[PKT_FRAG_DUPLICATE], 3);
	assert_int_equal(pkt_frag_stats(f)->drops, 0);
	check_counts(f);
	pkt_frag_free(f);
}

static void
test_overlap(void **state)
{
	struct pkt_frag *f = mk(0, 0, 0);
	const struct pkt_frag_stats *st = pkt_frag_stats(f);
	struct pkt_frag_out o;
	size_t pl;

	/* Partial overlap of the next piece: the datagram is dropped, its later pieces too. */
	mk_ip4(dgram, 3000, 10, 17, 0);
	pl = frag4(piece, dgram, 0, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 1472, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_OVERLAP);
	assert_int_equal(st->n[PKT_FRAG_E_OVERLAP], 1);
	assert_int_equal(st->in_flight, 0);
	assert_int_equal(st->dead, 1);
	assert_int_equal(st->bytes_held, 0);
	pl = frag4(piece, dgram, 1480, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_DEAD);
	pl = frag4(piece, dgram, 2960, 40, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_DEAD);
	assert_int_equal(st->n[PKT_FRAG_E_DEAD], 2);
	assert_int_equal(st->n[PKT_FRAG_E_OVERLAP], 1);
	/* The key is forgotten at the timeout, without counting a second drop. */
	assert_int_equal(pkt_frag_expire(f, 31 * SEC), 0);
	assert_int_equal(st->dead, 0);
	assert_int_equal(st->n[PKT_FRAG_E_TIMEOUT], 0);

	/* Overlap with the previous piece, arriving out of order. */
	mk_ip4(dgram, 3000, 11, 17, 0);
	pl = frag4(piece, dgram, 1480, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, 40 * SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 0, 1488, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, 40 * SEC, &o), PKT_FRAG_E_OVERLAP);

	/* A piece inside another one, and a piece covering another one. */
	mk_ip4(dgram, 3000, 12, 17, 0);
	pl = frag4(piece, dgram, 0, 2960, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, 40 * SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 8, 16, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, 40 * SEC, &o), PKT_FRAG_E_OVERLAP);
	mk_ip4(dgram, 3000, 13, 17, 0);
	pl = frag4(piece, dgram, 800, 16, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, 40 * SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 0, 2960, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, 40 * SEC, &o), PKT_FRAG_E_OVERLAP);

	/* Same offset and length but other bytes: not a duplicate. */
	mk_ip4(dgram, 3000, 14, 17, 0);
	pl = frag4(piece, dgram, 1480, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, 40 * SEC, &o), PKT_FRAG_HELD);
	piece[pl - 1] ^= 1;
	assert_int_equal(pkt_frag_add(f, piece, pl, 40 * SEC, &o), PKT_FRAG_E_OVERLAP);
	assert_int_equal(st->n[PKT_FRAG_E_OVERLAP], 5);
	assert_int_equal(st->n[PKT_FRAG_COMPLETE], 0);
	assert_int_equal(st->bytes_held, 0);
	check_counts(f);
	pkt_frag_free(f);
}

static void
test_timeout(void **state)
{
	struct pkt_frag_config c;
	struct pkt_frag *f;
	struct pkt_frag_out o;
	size_t pl;

	pkt_frag_config_init(&c);
	assert_int_equal(c.timeout_ns, 30 * SEC);
	f = pkt_frag_new(&c, NULL);
	assert_non_null(f);
	const struct pkt_frag_stats *st = pkt_frag_stats(f);

	/* Two pieces of three; the middle one never comes. */
	mk_ip4(dgram, 3000, 20, 17, 0);
	pl = frag4(piece, dgram, 0, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, 100 * SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 2960, 40, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, 110 * SEC, &o), PKT_FRAG_HELD);
	assert_int_equal(pkt_frag_expire(f, 129 * SEC), 0);
	assert_int_equal(pkt_frag_expire(f, 50 * SEC), 0);	/* clock went back: kept */
	assert_int_equal(st->in_flight, 1);
	assert_int_equal(pkt_frag_expire(f, 130 * SEC), 1);
	assert_int_equal(st->n[PKT_FRAG_E_TIMEOUT], 1);
	assert_int_equal(st->in_flight, 0);
	assert_int_equal(st->bytes_held, 0);
	/* The missing piece, too late: a new datagram that will never complete either. */
	pl = frag4(piece, dgram, 1480, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, 131 * SEC, &o), PKT_FRAG_HELD);

	/* Expiry also runs when a piece of another datagram arrives. */
	mk_ip4(dgram, 3000, 21, 17, 0);
	pl = frag4(piece, dgram, 0, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, 200 * SEC, &o), PKT_FRAG_HELD);
	assert_int_equal(st->n[PKT_FRAG_E_TIMEOUT], 2);
	assert_int_equal(st->in_flight, 1);
	pkt_frag_free(f);

	/* A short timeout from the configuration. */
	c.timeout_ns = SEC / 2;
	f = pkt_frag_new(&c, NULL);
	assert_non_null(f);
	pl = frag4(piece, dgram, 0, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	assert_int_equal(pkt_frag_expire(f, SEC + SEC / 2 - 1), 0);
	assert_int_equal(pkt_frag_expire(f, SEC + SEC / 2), 1);
	check_counts(f);
	pkt_frag_free(f);
}

static void
test_table_full(void **state)
{
	struct pkt_frag *f = mk(4, 0, 0);
	const struct pkt_frag_stats *st = pkt_frag_stats(f);
	struct pkt_frag_out o;
	static uint8_t d[5][2000];
	size_t n[5], pl;

	for (int i = 0; i < 5; i++) {
		n[i] = mk_ip4(d[i], 1600, (uint16_t)(100 + i), 17, 0);
		pl = frag4(piece, d[i], 0, 1480, 1);
		assert_int_equal(pkt_frag_add(f, piece, pl, (uint64_t)(i + 1) * SEC, &o),
		    PKT_FRAG_HELD);
		assert_true(st->in_flight <= 4);
	}
	/* The fifth evicted the oldest, the first. */
	assert_int_equal(st->n[PKT_FRAG_E_EVICTED], 1);
	assert_int_equal(st->in_flight, 4);
	for (int i = 1; i < 5; i++) {
		pl = frag4(piece, d[i], 1480, n[i] - 20 - 1480, 0);
		assert_int_equal(pkt_frag_add(f, piece, pl, 6 * SEC, &o), PKT_FRAG_COMPLETE);
		expect_same(&o, d[i], n[i]);
	}
	pl = frag4(piece, d[0], 1480, n[0] - 20 - 1480, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, 6 * SEC, &o), PKT_FRAG_HELD);
	assert_int_equal(st->in_flight, 1);
	check_counts(f);
	pkt_frag_free(f);
}

/* Storage of 5 blocks (2048 + 512 octets for datagrams of up to 2048): a second datagram of
 * 3 blocks evicts the first. */
static void
test_memory_full(void **state)
{
	struct pkt_frag_config c;
	struct pkt_frag *f;
	struct pkt_frag_out o;
	static uint8_t d2[2000];
	size_t n, n2, pl;

	pkt_frag_config_init(&c);
	c.max_datagram = 2048;
	c.max_bytes = 2048 + PKT_FRAG_BLOCK;
	assert_null(pkt_frag_new(&(struct pkt_frag_config){c.max_datagrams, c.max_fragments,
	    2048, 2048 + PKT_FRAG_BLOCK - 1, c.timeout_ns}, NULL));
	f = pkt_frag_new(&c, NULL);
	assert_non_null(f);
	const struct pkt_frag_stats *st = pkt_frag_stats(f);
	n = mk_ip4(dgram, 1600, 1, 17, 0);
	n2 = mk_ip4(d2, 1600, 2, 17, 0);
	pl = frag4(piece, dgram, 0, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	assert_int_equal(st->bytes_held, 3 * PKT_FRAG_BLOCK);
	pl = frag4(piece, d2, 0, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	assert_int_equal(st->n[PKT_FRAG_E_EVICTED_MEM], 1);
	assert_int_equal(st->bytes_held, 3 * PKT_FRAG_BLOCK);
	assert_int_equal(st->peak_bytes, 3 * PKT_FRAG_BLOCK);
	pl = frag4(piece, d2, 1480, n2 - 20 - 1480, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_COMPLETE);
	expect_same(&o, d2, n2);
	/* Larger than max_datagram: refused. */
	assert_int_equal(n, 1620);
	mk_ip4(dgram, 2100, 3, 17, 0);
	pl = frag4(piece, dgram, 2024, 76, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_OVERSIZE);
	check_counts(f);
	pkt_frag_free(f);
}

static void
test_oversize(void **state)
{
	struct pkt_frag *f = mk(0, 0, 0);
	const struct pkt_frag_stats *st = pkt_frag_stats(f);
	struct pkt_frag_out o;
	struct pkt_info pi;
	size_t n, pl;

	/* Exactly 65535 octets in 45 pieces, last first: fine. */
	n = mk_ip4(dgram, 65535 - 20, 30, 17, 0);
	assert_int_equal(n, 65535);
	for (size_t k = 45; k-- > 0;) {
		size_t off = k * 1480, len = n - 20 - off < 1480 ? n - 20 - off : 1480;
		pl = frag4(piece, dgram, off, len, k < 44);
		assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o),
		    k > 0 ? PKT_FRAG_HELD : PKT_FRAG_COMPLETE);
	}
	expect_same(&o, dgram, n);
	assert_int_equal(pkt_decode_ip(o.ip, o.len, &pi), PKT_OK);

	/* A last piece ending at 65515 + 20 header octets fits; at 65516 it does not, and the
	 * datagram is dropped with it. */
	pl = frag4(piece, dgram, 65512, 3, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 65512, 4, 0);
	piece[5] = 31;
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_OVERSIZE);
	pl = frag4(piece, dgram, 0, 1480, 1);
	piece[5] = 31;
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_DEAD);
	/* The largest offset (8191 * 8) with 16 octets. */
	pl = frag4(piece, dgram, 65528, 16, 1);
	piece[5] = 32;
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_OVERSIZE);
	/* A first piece with a longer header (an option) pushes a held end over the limit. */
	mk_ip4(dgram, 4000, 34, 17, 1);
	pl = frag4(piece, dgram, 65496, 16, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 0, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_OVERSIZE);
	assert_int_equal(st->n[PKT_FRAG_E_OVERSIZE], 3);
	check_counts(f);
	pkt_frag_free(f);
}

static void
test_ipv6(void **state)
{
	struct pkt_frag *f = mk(0, 0, 0);
	const struct pkt_frag_stats *st = pkt_frag_stats(f);
	struct pkt_frag_out o;
	struct pkt_info pi;
	size_t n, pl;

	/* Plain: 40-octet unfragmentable part, UDP in 3 pieces, out of order. */
	n = mk_ip6(dgram, 3000, 0, 0);
	pl = frag6(piece, dgram, n, 40, 6, 0xdeadbeef, 2896, 3000 - 2896, 0);
	assert_int_equal(pkt_decode_ip(piece, pl, &pi), PKT_E_FRAGMENT);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag6(piece, dgram, n, 40, 6, 0xdeadbeef, 0, 1448, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag6(piece, dgram, n, 40, 6, 0xdeadbeef, 1448, 1448, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_COMPLETE);
	assert_int_equal(o.ipver, 6);
	expect_same(&o, dgram, n);
	assert_int_equal(pkt_decode_ip(o.ip, o.len, &pi), PKT_OK);
	assert_int_equal(pi.dport, 2152);
	assert_int_equal(cur_len(&pi.payload), 3000 - 8);

	/* Hop-by-hop header before the fragment header (unfragmentable), destination options
	 * after it (fragmentable): the hop-by-hop header's Next Header is restored. */
	n = mk_ip6(dgram, 2000, 1, 16);
	pl = frag6(piece, dgram, n, 48, 40, 5, 1232, 16 + 2000 - 1232, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag6(piece, dgram, n, 48, 40, 5, 0, 1232, 1);
	assert_int_equal(piece[40], 44);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_COMPLETE);
	expect_same(&o, dgram, n);
	assert_int_equal(pkt_decode_ip(o.ip, o.len, &pi), PKT_OK);
	assert_int_equal(pi.proto, 17);

	/* The key has no Next Header (RFC 8200 4.5): a later piece naming another one still
	 * belongs, and the offset-0 piece's value is used.  The same id from another source is
	 * another datagram. */
	n = mk_ip6(dgram, 1600, 0, 0);
	pl = frag6(piece, dgram, n, 40, 6, 77, 1448, 152, 0);
	piece[40] = 6;
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag6(piece, dgram, n, 40, 6, 77, 1448, 152, 0);
	piece[23] = 9;
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag6(piece, dgram, n, 40, 6, 77, 0, 1448, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_COMPLETE);
	expect_same(&o, dgram, n);
	assert_int_equal(st->in_flight, 1);

	/* Atomic fragment (RFC 6946): complete by itself, without touching the table. */
	n = mk_ip6(dgram, 100, 1, 0);
	pl = frag6(piece, dgram, n, 48, 40, 78, 0, 100, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_COMPLETE);
	expect_same(&o, dgram, n);
	assert_int_equal(o.nfrags, 1);
	assert_int_equal(st->in_flight, 1);

	/* Overlap and duplicates behave as for IPv4. */
	n = mk_ip6(dgram, 3000, 0, 0);
	pl = frag6(piece, dgram, n, 40, 6, 79, 0, 1448, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_DUPLICATE);
	pl = frag6(piece, dgram, n, 40, 6, 79, 1440, 1448, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_OVERLAP);
	pl = frag6(piece, dgram, n, 40, 6, 79, 2888, 112, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_DEAD);

	/* No fragment header; unfragmentable part longer than PKT_FRAG_HDR_MAX; a lying
	 * extension header; a truncated fragment header. */
	n = mk_ip6(dgram, 100, 1, 0);
	assert_int_equal(pkt_frag_add(f, dgram, n, SEC, &o), PKT_FRAG_E_NOT_FRAG);
	n = mk_ip6(dgram, 600, 0, 0);
	memmove(dgram + 40 + 264, dgram + 40, 600);
	memset(dgram + 40, 0, 264);
	dgram[40] = 17;
	dgram[41] = 264 / 8 - 1;
	dgram[6] = 0;
	n += 264;
	put16(dgram + 4, n - 40);
	pl = frag6(piece, dgram, n, 304, 40, 80, 0, 296, 1);
	assert_int_equal(piece[6], 0);
	assert_int_equal(piece[40], 44);	/* the hop-by-hop header names the fragment header */
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_HDR_LONG);
	piece[41] = 200;
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_HDR);
	n = mk_ip6(dgram, 0, 0, 0);
	dgram[6] = 44;
	memset(dgram + 40, 0, 4);
	put16(dgram + 4, 4);
	assert_int_equal(pkt_frag_add(f, dgram, 44, SEC, &o), PKT_FRAG_E_HDR);
	check_counts(f);
	pkt_frag_free(f);
}

static void
test_tiny_first(void **state)
{
	struct pkt_frag *f = mk(0, 0, 0);
	struct pkt_frag_out o;
	size_t n, pl;

	/* IPv4 UDP: 8 octets (just the UDP header) is enough; reassembles byte for byte. */
	n = mk_ip4(dgram, 1000, 40, 17, 0);
	pl = frag4(piece, dgram, 0, 8, 1);
	assert_int_equal(pl, 28);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 8, 992, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_COMPLETE);
	expect_same(&o, dgram, n);

	/* IPv4 TCP: a first piece shorter than a TCP header (RFC 1858). */
	mk_ip4(dgram, 1000, 41, 6, 0);
	pl = frag4(piece, dgram, 8, 992, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 0, 8, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_TINY_FIRST);
	assert_int_equal(pkt_frag_stats(f)->in_flight, 0);

	/* IPv6: the first piece ends inside the destination options header (RFC 7112) or
	 * right after it, before the UDP header. */
	n = mk_ip6(dgram, 1000, 0, 16);
	pl = frag6(piece, dgram, n, 40, 6, 42, 0, 8, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_TINY_FIRST);
	pl = frag6(piece, dgram, n, 40, 6, 43, 0, 16, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_TINY_FIRST);
	pl = frag6(piece, dgram, n, 40, 6, 44, 0, 24, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag6(piece, dgram, n, 40, 6, 44, 24, n - 40 - 24, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_COMPLETE);
	expect_same(&o, dgram, n);
	assert_int_equal(pkt_frag_stats(f)->n[PKT_FRAG_E_TINY_FIRST], 3);
	check_counts(f);
	pkt_frag_free(f);
}

static void
test_lengths_and_offsets(void **state)
{
	struct pkt_frag *f = mk(0, 4, 0);
	const struct pkt_frag_stats *st = pkt_frag_stats(f);
	struct pkt_frag_out o;
	size_t n, pl;

	/* Empty pieces (MF or not) and a non-last piece of 1001 octets are dropped alone; the
	 * datagram goes on. */
	n = mk_ip4(dgram, 3000, 50, 17, 0);
	pl = frag4(piece, dgram, 1480, 0, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_LEN);
	pl = frag4(piece, dgram, 3000, 0, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_LEN);
	pl = frag4(piece, dgram, 0, 1001, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_LEN);
	assert_int_equal(st->in_flight, 0);
	pl = frag4(piece, dgram, 0, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 1480, 1001, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_LEN);
	pl = frag4(piece, dgram, 1480, 1520, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_COMPLETE);
	expect_same(&o, dgram, n);
	assert_int_equal(st->n[PKT_FRAG_E_LEN], 4);

	/* A last piece ending before data already held. */
	mk_ip4(dgram, 3000, 51, 17, 0);
	pl = frag4(piece, dgram, 1480, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 8, 8, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_BOUNDS);
	/* Two last pieces with different ends. */
	mk_ip4(dgram, 3000, 52, 17, 0);
	pl = frag4(piece, dgram, 2960, 40, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 2960, 32, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_BOUNDS);
	/* A non-last piece beyond the known end. */
	mk_ip4(dgram, 3000, 53, 17, 0);
	pl = frag4(piece, dgram, 1480, 40, 0);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	pl = frag4(piece, dgram, 1520, 16, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_BOUNDS);
	assert_int_equal(st->n[PKT_FRAG_E_BOUNDS], 3);

	/* max_fragments 4: the fifth piece drops the datagram. */
	mk_ip4(dgram, 3000, 54, 17, 0);
	for (size_t k = 0; k < 4; k++) {
		pl = frag4(piece, dgram, k * 8, 8, 1);
		assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_HELD);
	}
	pl = frag4(piece, dgram, 32, 8, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_TOO_MANY);
	/* 4 pieces are fine. */
	n = mk_ip4(dgram, 32, 55, 17, 0);
	static const size_t order[] = {1, 3, 0, 2};
	feed4_order(f, dgram, n, 8, order, 4, SEC);
	assert_int_equal(st->in_flight, 0);
	check_counts(f);
	pkt_frag_free(f);
}

static void
test_malformed(void **state)
{
	struct pkt_frag *f = mk(0, 0, 0);
	struct pkt_frag_out o;
	size_t n = mk_ip4(dgram, 3000, 60, 17, 0), pl;

	assert_int_equal(pkt_frag_add(f, dgram, 0, SEC, &o), PKT_FRAG_E_HDR);
	assert_int_equal(pkt_frag_add(f, dgram, 19, SEC, &o), PKT_FRAG_E_HDR);
	assert_int_equal(pkt_frag_add(f, dgram, n, SEC, &o), PKT_FRAG_E_NOT_FRAG);
	pl = frag4(piece, dgram, 0, 1480, 1);
	assert_int_equal(pkt_frag_add(f, piece, pl - 1, SEC, &o), PKT_FRAG_E_HDR);	/* cut */
	piece[0] = 0x44;	/* IHL 4 */
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_HDR);
	piece[0] = 0x55;	/* version 5 */
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_HDR);
	piece[0] = 0x4f;	/* IHL 15 > total length 19 */
	put16(piece + 2, 19);
	assert_int_equal(pkt_frag_add(f, piece, pl, SEC, &o), PKT_FRAG_E_HDR);
	assert_int_equal(pkt_frag_stats(f)->in_flight, 0);
	assert_int_equal(pkt_frag_stats(f)->drops, 7);
	check_counts(f);
	pkt_frag_free(f);
}

static void
test_config_and_memory(void **state)
{
	struct pkt_frag_config c, bad;
	const char *err = NULL;

	pkt_frag_config_init(&c);
	assert_int_equal(c.max_datagrams, PKT_FRAG_DEF_DATAGRAMS);
	assert_int_equal(c.max_datagram, 65535);
	struct pkt_frag *f = pkt_frag_new(&c, &err);
	assert_non_null(f);
	size_t mem = pkt_frag_memory(f);
	assert_int_equal(mem, pkt_frag_memory_for(&c));
	/* The bound pkt_frag.h and docs/poi.md state for the defaults: 13.5 MiB (14 172 479
	 * octets on x86-64; the struct layout may move it by a few octets elsewhere). */
	assert_true(mem > PKT_FRAG_DEF_BYTES);
	assert_true(mem > 14172479 - 4096 && mem < 14172479 + 4096);
	pkt_frag_free(f);
	pkt_frag_free(NULL);

	bad = c, bad.max_datagrams = 0;
	assert_null(pkt_frag_new(&bad, &err));
	assert_string_equal(err, "max_datagrams out of range");
	assert_int_equal(pkt_frag_memory_for(&bad), 0);
	bad = c, bad.max_fragments = 1;
	assert_null(pkt_frag_new(&bad, &err));
	bad = c, bad.max_datagrams = PKT_FRAG_MAX_DATAGRAMS, bad.max_fragments = 8192;
	assert_null(pkt_frag_new(&bad, &err));
	bad = c, bad.max_datagram = 65536;
	assert_null(pkt_frag_new(&bad, &err));
	bad = c, bad.max_datagram = 67;
	assert_null(pkt_frag_new(&bad, &err));
	bad = c, bad.max_bytes = 65535;
	assert_null(pkt_frag_new(&bad, &err));
	bad = c, bad.timeout_ns = 0;
	assert_null(pkt_frag_new(&bad, &err));
	assert_string_equal(err, "timeout out of range");

	/* Smaller settings, smaller bound. */
	bad = c, bad.max_datagrams = 16, bad.max_bytes = 1 << 17;
	assert_true(pkt_frag_memory_for(&bad) < 400 * 1024);

	assert_string_equal(pkt_frag_strerror(PKT_FRAG_E_OVERLAP),
	    "overlapping fragments (datagram dropped)");
	assert_string_equal(pkt_frag_strerror(PKT_FRAG__COUNT), "unknown");
	for (int i = 0; i < PKT_FRAG__COUNT; i++)
		assert_true(strlen(pkt_frag_strerror((enum pkt_frag_rc)i)) > 0);
	assert_false(pkt_frag_is_drop(PKT_FRAG_DUPLICATE));
	assert_true(pkt_frag_is_drop(PKT_FRAG_E_HDR));
}

/* Many datagrams of random sizes, cut at random MTUs and fed in random orders, interleaved:
 * all complete, byte for byte, and nothing is left behind. */
static void
test_random_mix(void **state)
{
	struct pkt_frag *f = mk(64, 0, 0);
	static uint8_t d[16][9000];
	static size_t dn[16], per[16], left[16], next[16];
	uint64_t x = 42;
	struct pkt_frag_out o;
	int done = 0;

	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 16; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			dn[i] = mk_ip4(d[i], 100 + (x >> 33) % 8800, (uint16_t)(round * 16 + i),
			    17, 0);
			size_t data = dn[i] - 20;
			/* 8..1500 octets a piece, at most 60 pieces, at least 2. */
			per[i] = (8 + (x >> 45) % 1500) & ~(size_t)7;
			if (per[i] < (data + 59) / 60)
				per[i] = ((data + 59) / 60 + 7) & ~(size_t)7;
			if (per[i] >= data)
				per[i] = (data / 2 + 7) & ~(size_t)7;
			left[i] = (data + per[i] - 1) / per[i];
			next[i] = (x >> 20) % left[i];	/* start anywhere, wrap around */
		}
		for (int live = 16; live > 0;) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			int i = (int)((x >> 33) % 16);
			if (left[i] == 0)
				continue;
			size_t data = dn[i] - 20, k = (data + per[i] - 1) / per[i];
			size_t off = next[i] * per[i], len = data - off < per[i] ? data - off :
			    per[i];
			size_t pl = frag4(piece, d[i], off, len, off + len < data);
			next[i] = (next[i] + 1) % k;
			enum pkt_frag_rc rc = pkt_frag_add(f, piece, pl, SEC, &o);
			if (--left[i] == 0) {
				assert_int_equal(rc, PKT_FRAG_COMPLETE);
				expect_same(&o, d[i], dn[i]);
				live--;
				done++;
			} else {
				assert_int_equal(rc, PKT_FRAG_HELD);
			}
		}
	}
	assert_int_equal(done, 320);
	assert_int_equal(pkt_frag_stats(f)->in_flight, 0);
	assert_int_equal(pkt_frag_stats(f)->bytes_held, 0);
	assert_int_equal(pkt_frag_stats(f)->drops, 0);
	check_counts(f);
	pkt_frag_free(f);
}

/* Real captures: for every datagram completed from fragments, "frame UDP-length TEID
 * inner-IP-length", here and from tshark's own reassembly, must be the same lines. */
static void
test_real_captures(void **state)
{
	static const char *const files[] = {"zeek-gtp9_unknown_or_too_short_payload.pcap",
	    "zeek-gtp_ext_header.pcap"};
	const char *sh = getenv("OVERT_SHARED");
	char path[512], cmd[1024], mine[4096], theirs[4096];

	for (size_t i = 0; i < 2; i++) {
		struct pkt_frag *f = mk(0, 0, 0);
		char eb[PCAP_ERRBUF_SIZE];
		struct pcap_pkthdr *h;
		const u_char *d;
		size_t frame = 0, ml = 0, tl = 0, n = 0;

		snprintf(path, sizeof(path), "%s/captures/%s", sh ? sh : "/work/shared", files[i]);
		pcap_t *pc = pcap_open_offline(path, eb);
		if (pc == NULL)
			fail_msg("%s: %s (set OVERT_SHARED)", path, eb);
		mine[0] = 0;
		while (pcap_next_ex(pc, &h, &d) == 1) {
			struct pkt_info pi, whole, inner;
			struct pkt_frag_out o;
			struct gtpu_hdr g;
			size_t trailing;
			frame++;
			if (pkt_decode(pcap_datalink(pc), d, h->caplen, &pi) != PKT_E_FRAGMENT)
				continue;
			uint64_t t = (uint64_t)h->ts.tv_sec * SEC + (uint64_t)h->ts.tv_usec * 1000;
			if (pkt_frag_add(f, cur_data(&pi.ip), cur_len(&pi.ip), t, &o) !=
			    PKT_FRAG_COMPLETE)
				continue;
			assert_int_equal(pkt_decode_ip(o.ip, o.len, &whole), PKT_OK);
			assert_int_equal(gtpu_parse(whole.payload.p, whole.payload.len, &g,
			    &trailing), GTP_OK);
			(void)pkt_decode_ip(g.payload.p, g.payload.len, &inner);
			ml += (size_t)snprintf(mine + ml, sizeof(mine) - ml, "%zu\t%zu\t0x%08x\t%zu\n",
			    frame, cur_len(&whole.payload) + 8, g.teid, cur_len(&inner.ip));
			n++;
		}
		pcap_close(pc);
		assert_true(n > 0);
		check_counts(f);
		assert_int_equal(pkt_frag_stats(f)->drops, 0);
		pkt_frag_free(f);

		snprintf(cmd, sizeof(cmd), "tshark -r '%s' -Y 'ip.frag_offset > 0 && gtp' -T fields "
		    "-E occurrence=l -e frame.number -e udp.length -e gtp.teid -e ip.len 2>/dev/null",
		    path);
		FILE *p = popen(cmd, "r");
		assert_non_null(p);
		tl = fread(theirs, 1, sizeof(theirs) - 1, p);
		theirs[tl] = 0;
		assert_int_equal(pclose(p), 0);
		assert_string_equal(mine, theirs);
	}
}

/* Ethernet (optionally 802.1Q) around an IP packet. */
static size_t
eth(uint8_t *out, const uint8_t *ip, size_t n, int v6, int vlan)
{
	size_t h = 12;
	memset(out, 0x02, 12);
	if (vlan) {
		out[h++] = 0x81, out[h++] = 0x00, out[h++] = 0x00, out[h++] = 100;
	}
	out[h++] = v6 ? 0x86 : 0x08;
	out[h++] = v6 ? 0xdd : 0x00;
	memcpy(out + h, ip, n);
	return h + n;
}

static void
test_capture_filter(void **state)
{
	static uint8_t fr[4000];
	struct bpf_program prog;
	struct pcap_pkthdr h;
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 65535);
	size_t n, pl;

	assert_non_null(pc);
	assert_int_equal(pcap_compile(pc, &prog, POI_DEFAULT_FILTER, 1, PCAP_NETMASK_UNKNOWN), 0);
	memset(&h, 0, sizeof(h));
	for (int vlan = 0; vlan < 2; vlan++) {
		/* IPv4: first piece (UDP 2152 header), later piece; a plain non-GTP packet not. */
		n = mk_ip4(dgram, 3000, 1, 17, 0);
		pl = frag4(piece, dgram, 0, 1480, 1);
		h.caplen = h.len = (bpf_u_int32)eth(fr, piece, pl, 0, vlan);
		assert_true(pcap_offline_filter(&prog, &h, fr));
		pl = frag4(piece, dgram, 1480, 1520, 0);
		h.caplen = h.len = (bpf_u_int32)eth(fr, piece, pl, 0, vlan);
		assert_true(pcap_offline_filter(&prog, &h, fr));
		n = mk_ip4(dgram, 100, 2, 6, 0);
		h.caplen = h.len = (bpf_u_int32)eth(fr, dgram, n, 0, vlan);
		assert_false(pcap_offline_filter(&prog, &h, fr));
		/* IPv6: both pieces; a whole UDP packet on port 2152 too, on port 53 not. */
		n = mk_ip6(dgram, 3000, 0, 0);
		pl = frag6(piece, dgram, n, 40, 6, 5, 0, 1448, 1);
		h.caplen = h.len = (bpf_u_int32)eth(fr, piece, pl, 1, vlan);
		assert_true(pcap_offline_filter(&prog, &h, fr));
		pl = frag6(piece, dgram, n, 40, 6, 5, 1448, 3000 - 1448, 0);
		h.caplen = h.len = (bpf_u_int32)eth(fr, piece, pl, 1, vlan);
		assert_true(pcap_offline_filter(&prog, &h, fr));
		h.caplen = h.len = (bpf_u_int32)eth(fr, dgram, n, 1, vlan);
		assert_true(pcap_offline_filter(&prog, &h, fr));
		put16(dgram + 40, 53);
		put16(dgram + 42, 53);
		h.caplen = h.len = (bpf_u_int32)eth(fr, dgram, n, 1, vlan);
		assert_false(pcap_offline_filter(&prog, &h, fr));
	}
	pcap_freecode(&prog);
	pcap_close(pc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_in_order),
		cmocka_unit_test(test_ipv4_out_of_order),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_memory_full),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_tiny_first),
		cmocka_unit_test(test_lengths_and_offsets),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_config_and_memory),
		cmocka_unit_test(test_random_mix),
		cmocka_unit_test(test_real_captures),
		cmocka_unit_test(test_capture_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
