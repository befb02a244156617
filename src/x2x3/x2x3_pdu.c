/*
 * X2/X3 PDU encoder and strict decoder (ETSI TS 103 221-2, layout in STANDARDS.md section 1).
 * The decoder reads only through struct ovt_cursor: the header and payload lengths become
 * child cursors that must be consumed exactly, and each TLV's length becomes a child cursor
 * whose size is checked against the attribute's fixed size before it is read.
 */
#include "x2x3/x2x3.h"

#include <string.h>

/* ------------------------------------------------------------------ errors and names */

static const struct {
	const char *name;
	const char *text;
} x2x3_errs[X2X3_E_COUNT] = {
	[X2X3_OK] = {"ok", "ok"},
	[X2X3_E_SHORT] = {"short", "PDU shorter than its header or announced lengths"},
	[X2X3_E_TRAILING] = {"trailing", "bytes after the announced PDU length"},
	[X2X3_E_HDR_LEN] = {"hdr_len", "header length below 40"},
	[X2X3_E_TOO_BIG] = {"too_big", "PDU larger than the configured maximum"},
	[X2X3_E_TYPE] = {"type", "unknown PDU type"},
	[X2X3_E_FORMAT] = {"format", "payload format unknown or not allowed for the PDU type"},
	[X2X3_E_DIRECTION] = {"direction", "invalid payload direction"},
	[X2X3_E_TLV_TRUNC] = {"tlv_trunc", "truncated attribute header"},
	[X2X3_E_TLV_OVERRUN] = {"tlv_overrun", "attribute length runs past the header"},
	[X2X3_E_TOO_MANY_ATTRS] = {"too_many_attrs", "too many attributes"},
	[X2X3_E_ATTR_LEN] = {"attr_len", "attribute with a wrong length"},
	[X2X3_E_ATTR_VALUE] = {"attr_value", "attribute value out of range"},
	[X2X3_E_ATTR_DUP] = {"attr_dup", "single-valued attribute repeated"},
	[X2X3_E_KEEPALIVE] = {"keepalive", "malformed keepalive or keepalive acknowledgement"},
	[X2X3_E_ENCODE] = {"encode", "encoding failed (buffer full or value too large)"},
	[X2X3_E_NOMEM] = {"nomem", "out of memory"},
	[X2X3_E_QUEUE_FULL] = {"queue_full", "destination queue full, PDU dropped"},
	[X2X3_E_TOO_MANY_XIDS] = {"too_many_xids", "sequence table full, PDU dropped"},
	[X2X3_E_CONFIG] = {"config", "invalid configuration"},
	[X2X3_E_SOCKET] = {"socket", "socket error"},
	[X2X3_E_TLS] = {"tls", "TLS handshake or I/O failure"},
	[X2X3_E_IO] = {"io", "read or write failure"},
	[X2X3_E_EOF] = {"eof", "peer closed the connection"},
	[X2X3_E_TIMEOUT] = {"timeout", "timed out"},
	[X2X3_E_UNEXPECTED] = {"unexpected", "unexpected PDU type from peer"},
	[X2X3_E_BACKLOG] = {"backlog", "peer does not read keepalive acknowledgements"},
	[X2X3_E_NO_CONN] = {"no_conn", "no such connection"},
	[X2X3_E_NOT_PENDING] = {"not_pending", "no keepalive with that sequence number awaits an ack"},
	[X2X3_E_PEER_REFUSED] = {"peer_refused", "peer not accepted"},
};

const char *
x2x3_strerror(enum x2x3_err e)
{
	if ((unsigned)e >= X2X3_E_COUNT)
		return "unknown x2x3 error";
	return x2x3_errs[e].text;
}

const char *
x2x3_errname(enum x2x3_err e)
{
	if ((unsigned)e >= X2X3_E_COUNT)
		return "unknown";
	return x2x3_errs[e].name;
}

const char *
x2x3_type_name(uint16_t type)
{
	switch (type) {
	case X2X3_TYPE_X2:
		return "X2";
	case X2X3_TYPE_X3:
		return "X3";
	case X2X3_TYPE_KEEPALIVE:
		return "keepalive";
	case X2X3_TYPE_KEEPALIVE_ACK:
		return "keepalive-ack";
	default:
		return "?";
	}
}

void
x2x3_pdu_init(struct x2x3_pdu *pdu)
{
	memset(pdu, 0, sizeof(*pdu));
	pdu->version = X2X3_VERSION_DEFAULT;
}

void
x2x3_pdu_keepalive(struct x2x3_pdu *pdu, int ack, uint32_t seq, uint16_t version)
{
	x2x3_pdu_init(pdu);
	pdu->version = version;
	pdu->type = ack ? X2X3_TYPE_KEEPALIVE_ACK : X2X3_TYPE_KEEPALIVE;
	pdu->present = X2X3_HAS(X2X3_ATTR_SEQ);
	pdu->seq = seq;
}

/* ------------------------------------------------------------------ semantic checks */

/* Formats allowed per PDU type: the X2/X3 columns of the STANDARDS 1.1 table. */
#define FMT(f) (1u << (f))
static const uint32_t x2_formats = FMT(1) | FMT(2) | FMT(3) | FMT(4) | FMT(5) | FMT(6) |
				   FMT(9) | FMT(10) | FMT(11) | FMT(14) | FMT(15);
static const uint32_t x3_formats = FMT(1) | FMT(2) | FMT(3) | FMT(4) | FMT(5) | FMT(6) |
				   FMT(7) | FMT(8) | FMT(12) | FMT(13) | FMT(15) | FMT(16);

static int
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Rules that do not depend on the byte layout: shared by decode and encode. */
static enum x2x3_err
check_semantics(const struct x2x3_pdu *pdu, size_t payload_len)
{
	switch (pdu->type) {
	case X2X3_TYPE_X2:
	case X2X3_TYPE_X3: {
		uint32_t allowed = pdu->type == X2X3_TYPE_X2 ? x2_formats : x3_formats;
		if (pdu->format > X2X3_FMT_MAX || !(allowed & FMT(pdu->format)))
			return X2X3_E_FORMAT;
		if (pdu->direction < X2X3_DIR_UNKNOWN || pdu->direction > X2X3_DIR_MAX)
			return X2X3_E_DIRECTION;
		break;
	}
	case X2X3_TYPE_KEEPALIVE:
	case X2X3_TYPE_KEEPALIVE_ACK:
		/* STANDARDS 1.3: format 0, direction 0, nil XID, zero correlation, no payload,
		 * and the sequence number the acknowledgement echoes. */
		if (pdu->format != X2X3_FMT_NONE || pdu->direction != X2X3_DIR_NONE ||
		    payload_len != 0 || pdu->correlation_id != 0 ||
		    !all_zero(pdu->xid, sizeof(pdu->xid)) ||
		    !(pdu->present & X2X3_HAS(X2X3_ATTR_SEQ)))
			return X2X3_E_KEEPALIVE;
		break;
	default:
		return X2X3_E_TYPE;
	}
	if ((pdu->present & X2X3_HAS(X2X3_ATTR_TIMESTAMP)) && pdu->ts_nsec >= 1000000000u)
		return X2X3_E_ATTR_VALUE;
	return X2X3_OK;
}

/* ------------------------------------------------------------------ decoding */

enum x2x3_err
x2x3_pdu_peek_len(const struct ovt_cursor *in, size_t max_pdu, size_t *out_len)
{
	struct ovt_cursor c = *in;
	uint16_t version, type;
	uint32_t hl, pl;

	if (!cur_get_u16(&c, &version) || !cur_get_u16(&c, &type) || !cur_get_u32(&c, &hl) ||
	    !cur_get_u32(&c, &pl))
		return X2X3_E_SHORT;
	if (hl < X2X3_HDR_LEN)
		return X2X3_E_HDR_LEN;
	/* 64-bit sum: two u32 lengths cannot overflow it. */
	if ((uint64_t)hl + pl > max_pdu)
		return X2X3_E_TOO_BIG;
	*out_len = (size_t)hl + pl;
	return X2X3_OK;
}

/* Fixed-size attributes: the TLV length must equal the value's size exactly. */
static int
fixed_len_ok(uint16_t type, size_t len)
{
	switch (type) {
	case X2X3_ATTR_SEQ:
	case X2X3_ATTR_SRC_IPV4:
	case X2X3_ATTR_DST_IPV4:
		return len == 4;
	case X2X3_ATTR_TIMESTAMP:
		return len == 8;
	case X2X3_ATTR_SRC_IPV6:
	case X2X3_ATTR_DST_IPV6:
		return len == 16;
	case X2X3_ATTR_SRC_PORT:
	case X2X3_ATTR_DST_PORT:
		return len == 2;
	case X2X3_ATTR_IPPROTO:
		return len == 1;
	default:	/* strings and opaque values: at least one octet */
		return len >= 1;
	}
}

static enum x2x3_err
decode_attr(struct x2x3_pdu *pdu, uint16_t type, struct ovt_cursor v)
{
	int ok = 1;

	if (type < X2X3_ATTR_DID || type > X2X3_ATTR_OTI) {
		/* 1-4 (opaque, defined elsewhere) and 19+ (later versions): skipped, counted. */
		pdu->skipped_attrs++;
		return X2X3_OK;
	}
	if (!fixed_len_ok(type, cur_len(&v)))
		return X2X3_E_ATTR_LEN;
	if (type == X2X3_ATTR_OTI) {
		if (pdu->oti_count++ == 0)
			pdu->oti = v;
		pdu->present |= X2X3_HAS(type);
		return X2X3_OK;
	}
	if (pdu->present & X2X3_HAS(type))
		return X2X3_E_ATTR_DUP;
	pdu->present |= X2X3_HAS(type);

	switch (type) {
	case X2X3_ATTR_DID:
		pdu->did = v;
		break;
	case X2X3_ATTR_NFID:
		pdu->nfid = v;
		break;
	case X2X3_ATTR_IPID:
		pdu->ipid = v;
		break;
	case X2X3_ATTR_MTI:
		pdu->mti = v;
		break;
	case X2X3_ATTR_SEQ:
		ok = cur_get_u32(&v, &pdu->seq);
		break;
	case X2X3_ATTR_TIMESTAMP:
		/* Two u32: seconds since 1970, then nanoseconds (checked < 1e9 later). */
		ok = cur_get_u32(&v, &pdu->ts_sec) && cur_get_u32(&v, &pdu->ts_nsec);
		break;
	case X2X3_ATTR_SRC_IPV4:
		ok = cur_copy(&v, pdu->src_ipv4, 4);
		break;
	case X2X3_ATTR_DST_IPV4:
		ok = cur_copy(&v, pdu->dst_ipv4, 4);
		break;
	case X2X3_ATTR_SRC_IPV6:
		ok = cur_copy(&v, pdu->src_ipv6, 16);
		break;
	case X2X3_ATTR_DST_IPV6:
		ok = cur_copy(&v, pdu->dst_ipv6, 16);
		break;
	case X2X3_ATTR_SRC_PORT:
		ok = cur_get_u16(&v, &pdu->src_port);
		break;
	case X2X3_ATTR_DST_PORT:
		ok = cur_get_u16(&v, &pdu->dst_port);
		break;
	case X2X3_ATTR_IPPROTO:
		ok = cur_get_u8(&v, &pdu->ipproto);
		break;
	}
	/* fixed_len_ok made the reads exact; this only guards against a future mismatch. */
	return ok ? X2X3_OK : X2X3_E_ATTR_LEN;
}

static enum x2x3_err
decode_attrs(struct x2x3_pdu *pdu, struct ovt_cursor attrs)
{
	size_t n = 0;
	while (cur_len(&attrs) > 0) {
		uint16_t type, len;
		struct ovt_cursor v;
		enum x2x3_err e;

		if (++n > X2X3_MAX_ATTRS)
			return X2X3_E_TOO_MANY_ATTRS;
		/* TLVs are contiguous with no padding: leftover octets are an error. */
		if (!cur_get_u16(&attrs, &type) || !cur_get_u16(&attrs, &len))
			return X2X3_E_TLV_TRUNC;
		if (!cur_get_sub(&attrs, &v, len))
			return X2X3_E_TLV_OVERRUN;
		if ((e = decode_attr(pdu, type, v)) != X2X3_OK)
			return e;
	}
	return X2X3_OK;
}

enum x2x3_err
x2x3_pdu_decode(struct ovt_cursor in, size_t max_pdu, struct x2x3_pdu *out)
{
	uint32_t hl, pl;
	struct ovt_cursor attrs;
	enum x2x3_err e;

	memset(out, 0, sizeof(*out));
	if (!cur_get_u16(&in, &out->version) || !cur_get_u16(&in, &out->type) ||
	    !cur_get_u32(&in, &hl) || !cur_get_u32(&in, &pl) ||
	    !cur_get_u16(&in, &out->format) || !cur_get_u16(&in, &out->direction) ||
	    !cur_copy(&in, out->xid, sizeof(out->xid)) || !cur_get_u64(&in, &out->correlation_id))
		return X2X3_E_SHORT;
	/* The version is reported, never refused (STANDARDS 1.6). */
	if (hl < X2X3_HDR_LEN)
		return X2X3_E_HDR_LEN;
	if ((uint64_t)hl + pl > max_pdu)
		return X2X3_E_TOO_BIG;
	if (!cur_get_sub(&in, &attrs, hl - X2X3_HDR_LEN) || !cur_get_sub(&in, &out->payload, pl))
		return X2X3_E_SHORT;
	if (cur_len(&in) != 0)
		return X2X3_E_TRAILING;
	if (out->type < X2X3_TYPE_X2 || out->type > X2X3_TYPE_KEEPALIVE_ACK)
		return X2X3_E_TYPE;
	if ((e = decode_attrs(out, attrs)) != X2X3_OK)
		return e;
	return check_semantics(out, pl);
}

/* ------------------------------------------------------------------ encoding */

struct str_attr {
	enum x2x3_attr type;
	const struct ovt_cursor *v;
};

static size_t
attrs_len(const struct x2x3_pdu *pdu)
{
	static const struct {
		enum x2x3_attr type;
		size_t len;
	} fixed[] = {
		{X2X3_ATTR_SEQ, 4},	 {X2X3_ATTR_TIMESTAMP, 8}, {X2X3_ATTR_SRC_IPV4, 4},
		{X2X3_ATTR_DST_IPV4, 4}, {X2X3_ATTR_SRC_IPV6, 16}, {X2X3_ATTR_DST_IPV6, 16},
		{X2X3_ATTR_SRC_PORT, 2}, {X2X3_ATTR_DST_PORT, 2},  {X2X3_ATTR_IPPROTO, 1},
	};
	const struct str_attr strs[] = {
		{X2X3_ATTR_DID, &pdu->did}, {X2X3_ATTR_NFID, &pdu->nfid}, {X2X3_ATTR_IPID, &pdu->ipid},
		{X2X3_ATTR_MTI, &pdu->mti}, {X2X3_ATTR_OTI, &pdu->oti},
	};
	size_t n = 0;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (pdu->present & X2X3_HAS(fixed[i].type))
			n += 4 + fixed[i].len;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (pdu->present & X2X3_HAS(strs[i].type))
			n += 4 + cur_len(strs[i].v);
	return n;
}

size_t
x2x3_pdu_encoded_len(const struct x2x3_pdu *pdu)
{
	return X2X3_HDR_LEN + attrs_len(pdu) + cur_len(&pdu->payload);
}

enum x2x3_err
x2x3_pdu_check(const struct x2x3_pdu *pdu)
{
	const struct str_attr strs[] = {
		{X2X3_ATTR_DID, &pdu->did}, {X2X3_ATTR_NFID, &pdu->nfid}, {X2X3_ATTR_IPID, &pdu->ipid},
		{X2X3_ATTR_MTI, &pdu->mti}, {X2X3_ATTR_OTI, &pdu->oti},
	};
	const uint32_t known = X2X3_HAS(X2X3_ATTR_DID) | X2X3_HAS(X2X3_ATTR_NFID) |
			       X2X3_HAS(X2X3_ATTR_IPID) | X2X3_HAS(X2X3_ATTR_SEQ) |
			       X2X3_HAS(X2X3_ATTR_TIMESTAMP) | X2X3_HAS(X2X3_ATTR_SRC_IPV4) |
			       X2X3_HAS(X2X3_ATTR_DST_IPV4) | X2X3_HAS(X2X3_ATTR_SRC_IPV6) |
			       X2X3_HAS(X2X3_ATTR_DST_IPV6) | X2X3_HAS(X2X3_ATTR_SRC_PORT) |
			       X2X3_HAS(X2X3_ATTR_DST_PORT) | X2X3_HAS(X2X3_ATTR_IPPROTO) |
			       X2X3_HAS(X2X3_ATTR_MTI) | X2X3_HAS(X2X3_ATTR_OTI);

	if (pdu->present & ~known)
		return X2X3_E_ENCODE;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (!(pdu->present & X2X3_HAS(strs[i].type)))
			continue;
		/* The TLV length is a u16; empty strings are refused by the decoder. */
		if (cur_len(strs[i].v) == 0 || cur_len(strs[i].v) > UINT16_MAX)
			return X2X3_E_ATTR_LEN;
	}
	if (cur_len(&pdu->payload) > UINT32_MAX ||
	    X2X3_HDR_LEN + attrs_len(pdu) > UINT32_MAX)
		return X2X3_E_ENCODE;
	return check_semantics(pdu, cur_len(&pdu->payload));
}

static void
add_tlv(struct ovt_builder *b, enum x2x3_attr type, const void *v, size_t len)
{
	bld_add_u16(b, (uint16_t)type);
	bld_add_u16(b, (uint16_t)len);
	bld_add_bytes(b, v, len);
}

static void
add_tlv_u16(struct ovt_builder *b, enum x2x3_attr type, uint16_t v)
{
	bld_add_u16(b, (uint16_t)type);
	bld_add_u16(b, 2);
	bld_add_u16(b, v);
}

static void
add_tlv_str(struct ovt_builder *b, uint32_t present, enum x2x3_attr type,
	    const struct ovt_cursor *v)
{
	if (present & X2X3_HAS(type))
		add_tlv(b, type, cur_data(v), cur_len(v));
}

enum x2x3_err
x2x3_pdu_encode(const struct x2x3_pdu *pdu, struct ovt_builder *b)
{
	enum x2x3_err e = x2x3_pdu_check(pdu);
	uint32_t p = pdu->present;

	if (e != X2X3_OK)
		return e;
	bld_add_u16(b, pdu->version);
	bld_add_u16(b, pdu->type);
	bld_add_u32(b, (uint32_t)(X2X3_HDR_LEN + attrs_len(pdu)));
	bld_add_u32(b, (uint32_t)cur_len(&pdu->payload));
	bld_add_u16(b, pdu->format);
	bld_add_u16(b, pdu->direction);
	bld_add_bytes(b, pdu->xid, sizeof(pdu->xid));
	bld_add_u64(b, pdu->correlation_id);

	/* Attributes in type order (any order is valid; a fixed one makes output comparable). */
	add_tlv_str(b, p, X2X3_ATTR_DID, &pdu->did);
	add_tlv_str(b, p, X2X3_ATTR_NFID, &pdu->nfid);
	add_tlv_str(b, p, X2X3_ATTR_IPID, &pdu->ipid);
	if (p & X2X3_HAS(X2X3_ATTR_SEQ)) {
		bld_add_u16(b, X2X3_ATTR_SEQ);
		bld_add_u16(b, 4);
		bld_add_u32(b, pdu->seq);
	}
	if (p & X2X3_HAS(X2X3_ATTR_TIMESTAMP)) {
		bld_add_u16(b, X2X3_ATTR_TIMESTAMP);
		bld_add_u16(b, 8);
		bld_add_u32(b, pdu->ts_sec);
		bld_add_u32(b, pdu->ts_nsec);
	}
	if (p & X2X3_HAS(X2X3_ATTR_SRC_IPV4))
		add_tlv(b, X2X3_ATTR_SRC_IPV4, pdu->src_ipv4, 4);
	if (p & X2X3_HAS(X2X3_ATTR_DST_IPV4))
		add_tlv(b, X2X3_ATTR_DST_IPV4, pdu->dst_ipv4, 4);
	if (p & X2X3_HAS(X2X3_ATTR_SRC_IPV6))
		add_tlv(b, X2X3_ATTR_SRC_IPV6, pdu->src_ipv6, 16);
	if (p & X2X3_HAS(X2X3_ATTR_DST_IPV6))
		add_tlv(b, X2X3_ATTR_DST_IPV6, pdu->dst_ipv6, 16);
	if (p & X2X3_HAS(X2X3_ATTR_SRC_PORT))
		add_tlv_u16(b, X2X3_ATTR_SRC_PORT, pdu->src_port);
	if (p & X2X3_HAS(X2X3_ATTR_DST_PORT))
		add_tlv_u16(b, X2X3_ATTR_DST_PORT, pdu->dst_port);
	if (p & X2X3_HAS(X2X3_ATTR_IPPROTO))
		add_tlv(b, X2X3_ATTR_IPPROTO, &pdu->ipproto, 1);
	add_tlv_str(b, p, X2X3_ATTR_MTI, &pdu->mti);
	add_tlv_str(b, p, X2X3_ATTR_OTI, &pdu->oti);

	bld_add_bytes(b, cur_data(&pdu->payload), cur_len(&pdu->payload));
	return bld_ok(b) ? X2X3_OK : X2X3_E_ENCODE;
}
