/*
 * libFuzzer target for IP reassembly (src/pkt/pkt_frag.h).  The input is a script:
 *   octet 0: configuration (max_datagrams 1..8, max_fragments 2..65, max_datagram 68..65535,
 *            storage just above one datagram or 4 of them, timeout 1 or 30 s);
 *   then records, each one opcode octet:
 *     0: raw packet      u16 length, that many octets handed to pkt_frag_add as they are;
 *     1: IPv4 fragment   u8 source, u16 id, u16 offset (8-octet units) | MF in bit 15,
 *                        u16 data length, options flag; the data is a pattern of the offset
 *                        (so pieces of one datagram agree) xor a u8 from the input;
 *     2: IPv6 fragment   same fields, a hop-by-hop header when the flag is set;
 *     3: clock           u8 seconds to add, then pkt_frag_expire.
 * Synthesised pieces reach deep states (overlaps, duplicates, eviction, timeouts) that raw
 * bytes would rarely hit.  Invariants checked after every call: an output is at most
 * max_datagram (<= 65535) octets and decodes with pkt_decode_ip without crashing, its IPv4
 * header checksum is valid and its length field says its length; storage held <= max_bytes;
 * datagrams held <= max_datagrams; every call counted once.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "pkt/pkt.h"
#include "pkt/pkt_csum.h"
#include "pkt/pkt_frag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) abort(); } while (0)

static uint8_t pkt[65536 + 128];

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
csum(const uint8_t *p, size_t n)
{
	return pkt_csum_fold(pkt_csum_add(0, p, n));
}

/* A synthesised fragment into pkt; returns its length (0 if the record is short). */
static size_t
synth(struct ovt_cursor *c, int v6)
{
	uint8_t srcb, flag, x;
	uint16_t id, offw, dlen;
	size_t h;

	if (!cur_get_u8(c, &srcb) || !cur_get_u16(c, &id) || !cur_get_u16(c, &offw) ||
	    !cur_get_u16(c, &dlen) || !cur_get_u8(c, &flag) || !cur_get_u8(c, &x))
		return 0;
	size_t off = (size_t)(offw & 0x1fff) * 8;
	int more = offw >> 15;
	dlen = (uint16_t)(dlen % 9000);
	if (!v6) {
		h = flag & 1 ? 24 : 20;
		memset(pkt, 0, h);
		pkt[0] = (uint8_t)(0x40 | h / 4);
		put16(pkt + 2, (uint32_t)(h + dlen));
		put16(pkt + 4, id);
		put16(pkt + 6, (uint32_t)((more ? 0x2000 : 0) | (off / 8)));
		pkt[8] = 64;
		pkt[9] = flag & 2 ? 6 : 17;
		pkt[12] = 10, pkt[15] = (uint8_t)(srcb & 3);
		pkt[16] = 10, pkt[19] = 2;
		if (h == 24)
			pkt[20] = 0x94, pkt[21] = 4;
		put16(pkt + 10, csum(pkt, h));
	} else {
		size_t nh = 6;
		h = 40;
		memset(pkt, 0, 48 + 8);
		pkt[0] = 0x60;
		pkt[7] = 64;
		pkt[8] = 0x20, pkt[23] = (uint8_t)(srcb & 3);
		pkt[24] = 0x20, pkt[39] = 2;
		if (flag & 1) {
			pkt[nh] = 0;
			nh = h;
			h += 8;
		}
		pkt[nh] = 44;
		pkt[h] = flag & 2 ? 60 : 17;
		put16(pkt + h + 2, (uint32_t)(off | (more ? 1 : 0)));
		put16(pkt + h + 6, id);
		h += 8;
		put16(pkt + 4, (uint32_t)(h - 40 + dlen));
	}
	for (size_t i = 0; i < dlen; i++)
		pkt[h + i] = (uint8_t)((off + i) * 7) ^ x;
	return h + dlen;
}

static void
check(const struct pkt_frag *f, const struct pkt_frag_config *cfg, uint64_t calls)
{
	const struct pkt_frag_stats *s = pkt_frag_stats(f);
	uint64_t sum = 0;

	for (int i = 0; i < PKT_FRAG__COUNT; i++)
		sum += s->n[i];
	CHECK(sum - s->n[PKT_FRAG_E_TIMEOUT] - s->n[PKT_FRAG_E_EVICTED] -
	    s->n[PKT_FRAG_E_EVICTED_MEM] == calls);
	CHECK(s->fragments == calls);
	CHECK(s->bytes_held <= cfg->max_bytes);
	CHECK(s->peak_bytes <= cfg->max_bytes);
	CHECK((uint64_t)s->in_flight + s->dead <= cfg->max_datagrams);
	CHECK(pkt_frag_memory(f) == pkt_frag_memory_for(cfg));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t maxdg[] = {68, 1500, 9000, 65535};
	struct pkt_frag_config cfg;
	struct pkt_frag *f;
	struct ovt_cursor c;
	uint8_t sel, op;
	uint64_t now = 1000000000ULL, calls = 0;

	cur_init(&c, data, size);
	if (!cur_get_u8(&c, &sel))
		return 0;
	pkt_frag_config_init(&cfg);
	cfg.max_datagrams = 1 + (sel & 7);
	cfg.max_fragments = 2 + ((sel >> 3) & 3) * 21;
	cfg.max_datagram = maxdg[(sel >> 5) & 3];
	cfg.max_bytes = (sel & 0x80) ? 4ULL * (cfg.max_datagram + PKT_FRAG_BLOCK) :
	    cfg.max_datagram + PKT_FRAG_BLOCK;
	cfg.timeout_ns = (sel & 1) ? 1000000000ULL : 30000000000ULL;
	f = pkt_frag_new(&cfg, NULL);
	CHECK(f != NULL);

	while (cur_get_u8(&c, &op)) {
		struct pkt_frag_out o;
		struct pkt_info pi;
		enum pkt_frag_rc rc;
		size_t n = 0;
		const uint8_t *p = pkt;

		switch (op & 3) {
		case 0: {
			uint16_t len;
			if (!cur_get_u16(&c, &len))
				goto out;
			n = len < cur_len(&c) ? len : cur_len(&c);
			(void)cur_take(&c, &p, n);
			break;
		}
		case 1:
		case 2:
			if ((n = synth(&c, (op & 3) == 2)) == 0)
				goto out;
			break;
		default: {
			uint8_t dt;
			if (!cur_get_u8(&c, &dt))
				goto out;
			now += (uint64_t)dt * 1000000000ULL;
			(void)pkt_frag_expire(f, now);
			check(f, &cfg, calls);
			continue;
		}
		}
		rc = pkt_frag_add(f, p, n, now, &o);
		calls++;
		if (rc == PKT_FRAG_COMPLETE) {
			CHECK(o.len <= cfg.max_datagram && o.len <= 65535);
			CHECK(o.ipver == 4 || o.ipver == 6);
			CHECK(o.nfrags >= 1 && o.ts_ns == now);
			if (o.ipver == 4) {
				CHECK(o.len >= 20 && (o.ip[0] >> 4) == 4);
				CHECK((size_t)(o.ip[2] << 8 | o.ip[3]) == o.len);
				CHECK(csum(o.ip, (size_t)(o.ip[0] & 15) * 4) == 0);
				CHECK((o.ip[6] & 0x3f) == 0 && o.ip[7] == 0);
			} else {
				CHECK(o.len >= 40 && (o.ip[0] >> 4) == 6);
				CHECK((size_t)(o.ip[4] << 8 | o.ip[5]) + 40 == o.len);
			}
			(void)pkt_decode_ip(o.ip, o.len, &pi);
		}
		check(f, &cfg, calls);
	}
out:
	pkt_frag_free(f);
	return 0;
}
