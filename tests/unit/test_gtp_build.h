/*
 * Test-only GTPv2-C / GTP-U message writer over struct ovt_builder, so unit tests can state
 * each message IE by IE (TS 29.274 8.x layouts written out by hand, independent of the
 * decoder under test).  Lengths are back-patched when a message or grouped IE is closed.
 */
#ifndef OVERT_TEST_GTP_BUILD_H
#define OVERT_TEST_GTP_BUILD_H

#include <arpa/inet.h>
#include <string.h>

#include "common/bytes.h"

/* Message header; teid < 0 means T = 0.  Returns the offset to give tb_end. */
static inline size_t
tb_msg(struct ovt_builder *b, uint8_t type, long long teid, uint32_t seq, int piggy)
{
	size_t off = bld_len(b);
	bld_add_u8(b, (uint8_t)(0x40 | (piggy ? 0x10 : 0) | (teid >= 0 ? 0x08 : 0)));
	bld_add_u8(b, type);
	bld_add_u16(b, 0);
	if (teid >= 0)
		bld_add_u32(b, (uint32_t)teid);
	bld_add_u24(b, seq);
	bld_add_u8(b, 0);
	return off;
}

static inline void
tb_end(struct ovt_builder *b, size_t off)
{
	bld_put_u16_at(b, off + 2, (uint16_t)(bld_len(b) - off - 4));
}

/* IE header; returns the offset to give tb_ie_end. */
static inline size_t
tb_ie(struct ovt_builder *b, uint8_t type, uint8_t inst)
{
	size_t off = bld_len(b);
	bld_add_u8(b, type);
	bld_add_u16(b, 0);
	bld_add_u8(b, inst & 0x0f);
	return off;
}

static inline void
tb_ie_end(struct ovt_builder *b, size_t off)
{
	bld_put_u16_at(b, off + 1, (uint16_t)(bld_len(b) - off - 4));
}

static inline void
tb_raw_ie(struct ovt_builder *b, uint8_t type, uint8_t inst, const void *v, size_t n)
{
	size_t o = tb_ie(b, type, inst);
	bld_add_bytes(b, v, n);
	tb_ie_end(b, o);
}

/* TBCD digits, low nibble first, F filler. */
static inline void
tb_tbcd(struct ovt_builder *b, uint8_t type, const char *d)
{
	size_t o = tb_ie(b, type, 0), n = strlen(d);
	for (size_t i = 0; i < n; i += 2) {
		uint8_t lo = (uint8_t)(d[i] - '0');
		uint8_t hi = i + 1 < n ? (uint8_t)(d[i + 1] - '0') : 0x0f;
		bld_add_u8(b, (uint8_t)(hi << 4 | lo));
	}
	tb_ie_end(b, o);
}

static inline void
tb_u8(struct ovt_builder *b, uint8_t type, uint8_t inst, uint8_t v)
{
	tb_raw_ie(b, type, inst, &v, 1);
}

static inline void
tb_cause(struct ovt_builder *b, uint8_t cause)
{
	uint8_t v[2] = {cause, 0};
	tb_raw_ie(b, 2, 0, v, 2);
}

static inline void
tb_fteid4(struct ovt_builder *b, uint8_t inst, uint8_t iface, uint32_t teid, const char *ip)
{
	size_t o = tb_ie(b, 87, inst);
	uint8_t a[4];
	inet_pton(AF_INET, ip, a);
	bld_add_u8(b, (uint8_t)(0x80 | iface));
	bld_add_u32(b, teid);
	bld_add_bytes(b, a, 4);
	tb_ie_end(b, o);
}

static inline void
tb_fteid6(struct ovt_builder *b, uint8_t inst, uint8_t iface, uint32_t teid, const char *ip)
{
	size_t o = tb_ie(b, 87, inst);
	uint8_t a[16];
	inet_pton(AF_INET6, ip, a);
	bld_add_u8(b, (uint8_t)(0x40 | iface));
	bld_add_u32(b, teid);
	bld_add_bytes(b, a, 16);
	tb_ie_end(b, o);
}

static inline void
tb_paa4(struct ovt_builder *b, const char *ip)
{
	size_t o = tb_ie(b, 79, 0);
	uint8_t a[4];
	inet_pton(AF_INET, ip, a);
	bld_add_u8(b, 1);
	bld_add_bytes(b, a, 4);
	tb_ie_end(b, o);
}

static inline void
tb_apn(struct ovt_builder *b, const char *dotted)
{
	size_t o = tb_ie(b, 71, 0);
	const char *p = dotted;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		bld_add_u8(b, (uint8_t)n);
		bld_add_bytes(b, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
	tb_ie_end(b, o);
}

/* ULI with TAI and ECGI, PLMN 001/01. */
static inline void
tb_uli(struct ovt_builder *b, uint16_t tac, uint32_t eci)
{
	static const uint8_t plmn[3] = {0x00, 0xf1, 0x10};
	size_t o = tb_ie(b, 86, 0);
	bld_add_u8(b, 0x18);
	bld_add_bytes(b, plmn, 3);
	bld_add_u16(b, tac);
	bld_add_bytes(b, plmn, 3);
	bld_add_u32(b, eci & 0x0fffffff);
	tb_ie_end(b, o);
}

static inline void
tb_qos(struct ovt_builder *b, uint8_t qci)
{
	uint8_t v[22] = {0};
	v[0] = 0x24;
	v[1] = qci;
	tb_raw_ie(b, 80, 0, v, 22);
}

/* GTP-U G-PDU header (no optional fields) followed by payload. */
static inline void
tb_gpdu(struct ovt_builder *b, uint32_t teid, const void *payload, size_t n)
{
	bld_add_u8(b, 0x30);
	bld_add_u8(b, 255);
	bld_add_u16(b, (uint16_t)n);
	bld_add_u32(b, teid);
	bld_add_bytes(b, payload, n);
}

#endif
