/*
 * GTPv2-C decoder (3GPP TS 29.274): header, IE framing with grouped IEs, and the IEs the
 * session tracker and HI2 need.  gtpc_parse checks the framing of a whole datagram once
 * (lengths, nesting depth, IE count, piggybacked message); gtpc_decode then interprets values.
 */
#include "gtp/gtp.h"

#include <stddef.h>
#include <string.h>

static const char *const gtp_errstr[GTP_E__COUNT] = {
	[GTP_OK] = "ok",
	[GTP_E_SHORT_HDR] = "truncated GTP header",
	[GTP_E_VERSION] = "unsupported GTP version",
	[GTP_E_PT] = "GTP' (protocol type 0) not supported",
	[GTP_E_LENGTH] = "GTP length runs past the datagram",
	[GTP_E_TRAILING] = "bytes after the last GTP message",
	[GTP_E_TEID_FLAG] = "TEID flag wrong for the message type",
	[GTP_E_PIGGYBACK] = "bad piggybacked message",
	[GTP_E_IE_HDR] = "truncated IE header",
	[GTP_E_IE_OVERRUN] = "IE length runs past the message",
	[GTP_E_GROUP_OVERRUN] = "IE length runs past its grouped IE",
	[GTP_E_NESTING] = "grouped IEs nested too deep",
	[GTP_E_TOO_MANY_IES] = "too many IEs",
	[GTP_E_TOO_MANY] = "too many bearer contexts, F-TEIDs or EBIs",
	[GTP_E_IE_SHORT] = "IE value too short for its type",
	[GTP_E_TBCD] = "bad TBCD digits",
	[GTP_E_APN] = "bad APN encoding",
	[GTP_E_PAA] = "PAA length disagrees with its PDN type",
	[GTP_E_FTEID] = "bad F-TEID",
	[GTP_E_ULI] = "ULI shorter than its flags announce",
	[GTP_E_EXT_HDR] = "bad GTP-U extension header length",
	[GTP_E_EXT_COUNT] = "too many GTP-U extension headers",
};

const char *
gtp_strerror(enum gtp_err e)
{
	if ((unsigned)e >= GTP_E__COUNT)
		return "unknown";
	return gtp_errstr[e];
}

/* ================================================================ message types */

int
gtpc_msg_known(uint8_t type)
{
	switch (type) {
	case GTPC_ECHO_REQ: case GTPC_ECHO_RESP: case GTPC_VERSION_NOT_SUPPORTED:
	case GTPC_CREATE_SESSION_REQ: case GTPC_CREATE_SESSION_RESP:
	case GTPC_MODIFY_BEARER_REQ: case GTPC_MODIFY_BEARER_RESP:
	case GTPC_DELETE_SESSION_REQ: case GTPC_DELETE_SESSION_RESP:
	case GTPC_MODIFY_BEARER_CMD: case GTPC_MODIFY_BEARER_FAIL:
	case GTPC_DELETE_BEARER_CMD: case GTPC_DELETE_BEARER_FAIL:
	case GTPC_BEARER_RESOURCE_CMD: case GTPC_BEARER_RESOURCE_FAIL:
	case GTPC_CREATE_BEARER_REQ: case GTPC_CREATE_BEARER_RESP:
	case GTPC_UPDATE_BEARER_REQ: case GTPC_UPDATE_BEARER_RESP:
	case GTPC_DELETE_BEARER_REQ: case GTPC_DELETE_BEARER_RESP:
	case GTPC_RELEASE_ACCESS_BEARERS_REQ: case GTPC_RELEASE_ACCESS_BEARERS_RESP:
	case GTPC_DOWNLINK_DATA_NOTIF: case GTPC_DOWNLINK_DATA_NOTIF_ACK:
	case GTPC_MODIFY_ACCESS_BEARERS_REQ: case GTPC_MODIFY_ACCESS_BEARERS_RESP:
		return 1;
	default:
		return 0;
	}
}

int
gtpc_msg_is_request(uint8_t type)
{
	switch (type) {
	case GTPC_ECHO_REQ:
	case GTPC_CREATE_SESSION_REQ: case GTPC_MODIFY_BEARER_REQ:
	case GTPC_DELETE_SESSION_REQ: case GTPC_MODIFY_BEARER_CMD:
	case GTPC_DELETE_BEARER_CMD: case GTPC_BEARER_RESOURCE_CMD:
	case GTPC_CREATE_BEARER_REQ: case GTPC_UPDATE_BEARER_REQ:
	case GTPC_DELETE_BEARER_REQ: case GTPC_RELEASE_ACCESS_BEARERS_REQ:
	case GTPC_DOWNLINK_DATA_NOTIF: case GTPC_MODIFY_ACCESS_BEARERS_REQ:
		return 1;
	default:
		return 0;
	}
}

/* ================================================================ framing */

/* Grouped IE types whose members we descend into for framing checks (29.274 8.1). */
static int
ie_is_grouped(uint8_t type)
{
	return type == GTPC_IE_BEARER_CONTEXT || type == GTPC_IE_PDN_CONNECTION ||
	    type == GTPC_IE_OVERLOAD_CONTROL || type == GTPC_IE_LOAD_CONTROL ||
	    type == GTPC_IE_REMOTE_UE_CONTEXT || type == GTPC_IE_SCEF_PDN_CONNECTION;
}

/* 29.274 8.2.1: type (1), length (2, value only), spare (4 bits) + instance (4 bits), value.
 * The 4-octet header is taken at once (one bounds check: this runs for every IE twice). */
static enum gtp_err
ie_take(struct ovt_cursor *c, struct gtpc_ie *ie, int depth)
{
	struct ovt_cursor save = *c;
	const uint8_t *h;

	if (!cur_take(c, &h, 4))
		return GTP_E_IE_HDR;
	if (!cur_get_sub(c, &ie->val, ((size_t)h[1] << 8) | h[2])) {
		*c = save;
		return depth == 0 ? GTP_E_IE_OVERRUN : GTP_E_GROUP_OVERRUN;
	}
	ie->type = h[0];
	ie->instance = h[3] & 0x0f;
	return GTP_OK;
}

int
gtpc_ie_next(struct ovt_cursor *c, struct gtpc_ie *ie)
{
	if (cur_len(c) == 0)
		return 0;
	return ie_take(c, ie, 0) == GTP_OK ? 1 : -1;
}

/* Walks the IEs of c (a message body at depth 0, a grouped IE value below), descending into
 * known grouped IEs, until c is fully consumed. */
static enum gtp_err
check_ies(struct ovt_cursor c, int depth, unsigned *count)
{
	struct gtpc_ie ie;
	enum gtp_err e;

	while (cur_len(&c) > 0) {
		if (++*count > GTPC_MAX_IES)
			return GTP_E_TOO_MANY_IES;
		if ((e = ie_take(&c, &ie, depth)) != GTP_OK)
			return e;
		if (ie_is_grouped(ie.type)) {
			if (depth + 1 >= GTPC_MAX_DEPTH)
				return GTP_E_NESTING;
			if ((e = check_ies(ie.val, depth + 1, count)) != GTP_OK)
				return e;
		}
	}
	return GTP_OK;
}

/* 29.274 5.1/5.5: octet 1 = version (3) | P | T | MP | spare (2); type; length of what follows
 * the first 4 octets; TEID if T; sequence number (3); spare or priority (1). */
static enum gtp_err
parse_hdr(struct ovt_cursor *c, struct gtpc_msg *m)
{
	struct ovt_cursor start = *c, body;
	uint8_t f, last;

	memset(m, 0, sizeof(*m));
	if (!cur_get_u8(c, &f) || !cur_get_u8(c, &m->hdr.type) || !cur_get_u16(c, &m->hdr.length))
		return GTP_E_SHORT_HDR;
	m->hdr.version = f >> 5;
	m->hdr.piggyback = (f & 0x10) != 0;
	m->hdr.has_teid = (f & 0x08) != 0;
	m->hdr.mp = (f & 0x04) != 0;
	if (m->hdr.version != 2)
		return GTP_E_VERSION;
	if (m->hdr.length < (m->hdr.has_teid ? 8 : 4))
		return GTP_E_SHORT_HDR;
	if (!cur_get_sub(c, &body, m->hdr.length))
		return GTP_E_LENGTH;
	if ((m->hdr.has_teid && !cur_get_u32(&body, &m->hdr.teid)) ||
	    !cur_get_u24(&body, &m->hdr.seq) || !cur_get_u8(&body, &last))
		return GTP_E_SHORT_HDR;
	if (m->hdr.mp)
		m->hdr.prio = last >> 4;
	/* 29.274 5.5.1/5.5.2: T = 0 only for Echo and Version Not Supported. */
	if ((m->hdr.type == GTPC_ECHO_REQ || m->hdr.type == GTPC_ECHO_RESP ||
	    m->hdr.type == GTPC_VERSION_NOT_SUPPORTED) == m->hdr.has_teid)
		return GTP_E_TEID_FLAG;
	m->ies = body;
	cur_get_sub(&start, &m->raw, 4 + (size_t)m->hdr.length);
	return GTP_OK;
}

static enum gtp_err
parse_one(struct ovt_cursor *c, struct gtpc_msg *m)
{
	unsigned count = 0;
	enum gtp_err e = parse_hdr(c, m);

	return e != GTP_OK ? e : check_ies(m->ies, 0, &count);
}

enum gtp_err
gtpc_reparse(const uint8_t *p, size_t len, struct gtpc_msg *m)
{
	struct ovt_cursor c;
	enum gtp_err e;

	cur_init(&c, p, len);
	if ((e = parse_hdr(&c, m)) != GTP_OK)
		return e;
	return cur_len(&c) == 0 ? GTP_OK : GTP_E_TRAILING;
}

enum gtp_err
gtpc_parse(const uint8_t *p, size_t len, struct gtpc_msg msgs[GTPC_MAX_PIGGY], size_t *n)
{
	struct ovt_cursor c;
	enum gtp_err e;

	*n = 0;
	cur_init(&c, p, len);
	if ((e = parse_one(&c, &msgs[0])) != GTP_OK)
		return e;
	*n = 1;
	if (msgs[0].hdr.piggyback) {
		/* 29.274 5.5.1: the piggybacked message follows and has P = 0 itself. */
		if (cur_len(&c) == 0)
			return GTP_E_PIGGYBACK;
		if ((e = parse_one(&c, &msgs[1])) != GTP_OK) {
			*n = 0;
			return e;
		}
		if (msgs[1].hdr.piggyback) {
			*n = 0;
			return GTP_E_PIGGYBACK;
		}
		*n = 2;
	}
	if (cur_len(&c) != 0) {
		*n = 0;
		return GTP_E_TRAILING;
	}
	return GTP_OK;
}

int
gtpc_ie_find(const struct gtpc_msg *m, uint8_t type, uint8_t instance, struct gtpc_ie *out)
{
	struct ovt_cursor c = m->ies;

	while (gtpc_ie_next(&c, out) == 1)
		if (out->type == type && out->instance == instance)
			return 1;
	return 0;
}

/* ================================================================ single IEs */

/* TBCD (29.274 8.3/8.10/8.11, 23.003): low nibble first; 0xF only as the final filler.
 * *digits gets the number of digits written before the NUL. */
static enum gtp_err
tbcd_decode(struct ovt_cursor val, char *out, size_t outcap, size_t *digits)
{
	size_t n = 0, octets = cur_len(&val);
	const uint8_t *p;

	if (octets == 0)
		return GTP_E_IE_SHORT;
	if (octets > 8 || outcap < 2 * octets + 1)
		return GTP_E_TBCD;
	if (!cur_take(&val, &p, octets))
		return GTP_E_TBCD;
	for (size_t i = 0; i < octets; i++) {
		uint8_t lo = p[i] & 0x0f, hi = p[i] >> 4;
		if (lo > 9)
			return GTP_E_TBCD;
		out[n++] = (char)('0' + lo);
		if (hi == 0x0f && i == octets - 1)
			break;
		if (hi > 9)
			return GTP_E_TBCD;
		out[n++] = (char)('0' + hi);
	}
	out[n] = '\0';
	*digits = n;
	return GTP_OK;
}

enum gtp_err
gtp_tbcd_decode(struct ovt_cursor val, char *out, size_t outcap)
{
	size_t n;

	return tbcd_decode(val, out, outcap, &n);
}

/* APN (29.274 8.6, 23.003 9.1): length-prefixed labels, at most 100 octets in all.  Label
 * characters are letters, digits and hyphen; we accept any printable except '.' so that the
 * dotted form stays unambiguous. */
enum gtp_err
gtp_apn_decode(struct ovt_cursor val, char out[101])
{
	size_t n = 0;
	struct ovt_cursor label;

	if (cur_len(&val) > 100)
		return GTP_E_APN;
	while (cur_len(&val) > 0) {
		if (!cur_get_u8_prefixed(&val, &label) || cur_len(&label) == 0 ||
		    cur_len(&label) > 63)
			return GTP_E_APN;
		if (n > 0)
			out[n++] = '.';
		for (uint8_t ch; cur_get_u8(&label, &ch);) {
			if (ch <= 0x20 || ch >= 0x7f || ch == '.')
				return GTP_E_APN;
			out[n++] = (char)ch;
		}
	}
	out[n] = '\0';
	return GTP_OK;
}

/* F-TEID (29.274 8.22): V4 | V6 | interface type (6 bits), TEID/GRE key, IPv4, IPv6. */
enum gtp_err
gtp_fteid_decode(struct ovt_cursor val, uint8_t instance, struct gtp_fteid *out)
{
	uint8_t f;

	memset(out, 0, sizeof(*out));
	out->instance = instance;
	if (!cur_get_u8(&val, &f) || !cur_get_u32(&val, &out->teid))
		return GTP_E_IE_SHORT;
	out->iface = f & 0x3f;
	if (!(f & 0xc0))
		return GTP_E_FTEID;
	if ((f & 0x80) && !cur_copy(&val, out->v4, 4))
		return GTP_E_FTEID;
	if ((f & 0x40) && !cur_copy(&val, out->v6, 16))
		return GTP_E_FTEID;
	out->flags = ((f & 0x80) ? GTP_FTEID_V4 : 0) | ((f & 0x40) ? GTP_FTEID_V6 : 0);
	return GTP_OK;
}

/* PAA (29.274 8.14): PDN type, then IPv4 / prefix length + IPv6 / both. */
enum gtp_err
gtp_paa_decode(struct ovt_cursor val, struct gtp_paa *out)
{
	uint8_t t;

	memset(out, 0, sizeof(*out));
	if (!cur_get_u8(&val, &t))
		return GTP_E_IE_SHORT;
	out->pdn_type = t & 0x07;
	switch (out->pdn_type) {
	case GTP_PDN_IPV4:
		if (!cur_copy(&val, out->v4, 4))
			return GTP_E_PAA;
		return GTP_OK;
	case GTP_PDN_IPV6:
		if (!cur_get_u8(&val, &out->v6_prefix_len) || !cur_copy(&val, out->v6, 16))
			return GTP_E_PAA;
		return GTP_OK;
	case GTP_PDN_IPV4V6:
		if (!cur_get_u8(&val, &out->v6_prefix_len) || !cur_copy(&val, out->v6, 16) ||
		    !cur_copy(&val, out->v4, 4))
			return GTP_E_PAA;
		return GTP_OK;
	case GTP_PDN_NONIP:
	case GTP_PDN_ETHERNET:
		return GTP_OK;
	default:
		return GTP_E_PAA;
	}
}

/* ULI (29.274 8.21): flags octet, then each present identity in flag-bit order. */
enum gtp_err
gtp_uli_decode(struct ovt_cursor val, struct gtp_uli *out)
{
	static const uint8_t sizes[8] = {7, 7, 7, 5, 7, 5, 6, 6};	/* CGI .. ext. macro eNB */
	uint32_t w;

	memset(out, 0, sizeof(*out));
	out->raw = val;
	if (!cur_get_u8(&val, &out->flags))
		return GTP_E_IE_SHORT;
	for (int bit = 0; bit < 8; bit++) {
		if (!(out->flags & (1u << bit)))
			continue;
		if ((1u << bit) == GTP_ULI_TAI) {
			if (!cur_copy(&val, out->tai_plmn, 3) || !cur_get_u16(&val, &out->tac))
				return GTP_E_ULI;
		} else if ((1u << bit) == GTP_ULI_ECGI) {
			if (!cur_copy(&val, out->ecgi_plmn, 3) || !cur_get_u32(&val, &w))
				return GTP_E_ULI;
			out->eci = w & 0x0fffffff;
		} else if (!cur_skip(&val, sizes[bit])) {
			return GTP_E_ULI;
		}
	}
	return GTP_OK;
}

void
gtp_plmn_digits(const uint8_t plmn[3], char mcc[4], char mnc[4])
{
	static const char hex[] = "0123456789abcdef";
	/* 24.008 figure 10.5.3: MCC2 MCC1 | MNC3 MCC3 | MNC2 MNC1; MNC3 = F for 2-digit MNCs. */
	mcc[0] = hex[plmn[0] & 0x0f];
	mcc[1] = hex[plmn[0] >> 4];
	mcc[2] = hex[plmn[1] & 0x0f];
	mcc[3] = '\0';
	mnc[0] = hex[plmn[2] & 0x0f];
	mnc[1] = hex[plmn[2] >> 4];
	if ((plmn[1] >> 4) == 0x0f) {
		mnc[2] = '\0';
	} else {
		mnc[2] = hex[plmn[1] >> 4];
		mnc[3] = '\0';
	}
}

/* ================================================================ message decode */

static enum gtp_err
decode_bc(struct ovt_cursor c, uint8_t instance, struct gtpc_bearer_ctx *bc, uint16_t *unknown)
{
	struct gtpc_ie ie;
	enum gtp_err e;
	uint8_t b;

	memset(bc, 0, offsetof(struct gtpc_bearer_ctx, fteid));	/* fteid[] filled as found */
	bc->instance = instance;
	while (gtpc_ie_next(&c, &ie) == 1) {
		switch (ie.type) {
		case GTPC_IE_EBI:
			if (!cur_get_u8(&ie.val, &b))
				return GTP_E_IE_SHORT;
			if (!(bc->has & GTPC_BC_EBI)) {
				bc->ebi = b & 0x0f;
				bc->has |= GTPC_BC_EBI;
			}
			break;
		case GTPC_IE_CAUSE:
			if (cur_len(&ie.val) < 2 || !cur_get_u8(&ie.val, &b))
				return GTP_E_IE_SHORT;
			if (!(bc->has & GTPC_BC_CAUSE)) {
				bc->cause = b;
				bc->has |= GTPC_BC_CAUSE;
			}
			break;
		case GTPC_IE_FTEID:
			if (bc->n_fteid >= GTPC_MAX_FTEID)
				return GTP_E_TOO_MANY;
			if ((e = gtp_fteid_decode(ie.val, ie.instance, &bc->fteid[bc->n_fteid])) != GTP_OK)
				return e;
			bc->n_fteid++;
			break;
		case GTPC_IE_BEARER_QOS:
			if (cur_len(&ie.val) < 22)	/* 29.274 8.15: ARP, QCI, 4 x 5-octet rates */
				return GTP_E_IE_SHORT;
			bc->qos = ie.val;
			bc->has |= GTPC_BC_QOS;
			break;
		case GTPC_IE_CHARGING_ID:
			if (!cur_get_u32(&ie.val, &bc->charging_id))
				return GTP_E_IE_SHORT;
			bc->has |= GTPC_BC_CHARGING_ID;
			break;
		case GTPC_IE_BEARER_TFT:
			bc->tft = ie.val;
			bc->has |= GTPC_BC_TFT;
			break;
		default:
			(*unknown)++;
			break;
		}
	}
	return GTP_OK;
}

/* Marks a single-valued IE as seen; returns 0 (and counts) if it was seen before. */
static int
first(struct gtpc_info *out, uint32_t bit)
{
	if (out->has & bit) {
		out->n_dup++;
		return 0;
	}
	out->has |= bit;
	return 1;
}

/* IMSI, MSISDN or MEI: TBCD digits, at most maxd of them, into field (maxd + 1 octets) if
 * this is the first such IE. */
static enum gtp_err
tbcd_ie(struct ovt_cursor v, struct gtpc_info *out, uint32_t bit, char *field, size_t maxd)
{
	char d[17];
	size_t n;
	enum gtp_err e;

	if ((e = tbcd_decode(v, d, sizeof(d), &n)) != GTP_OK)
		return e;
	if (n > maxd)
		return GTP_E_TBCD;
	if (first(out, bit))
		memcpy(field, d, n + 1);
	return GTP_OK;
}

static enum gtp_err
decode_ie(const struct gtpc_ie *ie, struct gtpc_info *out)
{
	struct ovt_cursor v = ie->val;
	enum gtp_err e = GTP_OK;
	uint8_t b;

	switch (ie->type) {
	case GTPC_IE_FTEID:
		if (out->n_fteid >= GTPC_MAX_FTEID)
			return GTP_E_TOO_MANY;
		if ((e = gtp_fteid_decode(v, ie->instance, &out->fteid[out->n_fteid])) == GTP_OK)
			out->n_fteid++;
		return e;
	case GTPC_IE_BEARER_CONTEXT:
		if (out->n_bc >= GTPC_MAX_BC)
			return GTP_E_TOO_MANY;
		if ((e = decode_bc(v, ie->instance, &out->bc[out->n_bc], &out->n_unknown)) == GTP_OK)
			out->n_bc++;
		return e;
	case GTPC_IE_EBI:
		if (!cur_get_u8(&v, &b))
			return GTP_E_IE_SHORT;
		if (out->n_ebi >= GTPC_MAX_EBI)
			return GTP_E_TOO_MANY;
		out->ebi[out->n_ebi].instance = ie->instance;
		out->ebi[out->n_ebi].ebi = b & 0x0f;
		out->n_ebi++;
		return GTP_OK;
	default:
		break;
	}
	/* The rest are single-valued; only instance 0 is interpreted. */
	if (ie->instance != 0) {
		out->n_unknown++;
		return GTP_OK;
	}
	/* A repeated IE is validated like the first and then dropped: the first one is decoded
	 * straight into out, a repetition into scratch space. */
	switch (ie->type) {
	case GTPC_IE_IMSI:
		/* 23.003 2.2: at most 15 digits. */
		return tbcd_ie(v, out, GTPC_HAS_IMSI, out->imsi, 15);
	case GTPC_IE_MSISDN:
		/* E.164: at most 15 digits. */
		return tbcd_ie(v, out, GTPC_HAS_MSISDN, out->msisdn, 15);
	case GTPC_IE_MEI:
		/* IMEI (15 digits) or IMEISV (16). */
		return tbcd_ie(v, out, GTPC_HAS_MEI, out->mei, 16);
	case GTPC_IE_APN: {
		char a[101];
		if ((e = gtp_apn_decode(v, (out->has & GTPC_HAS_APN) ? a : out->apn)) != GTP_OK)
			return e;
		first(out, GTPC_HAS_APN);
		return GTP_OK;
	}
	case GTPC_IE_PAA: {
		struct gtp_paa paa;
		if ((e = gtp_paa_decode(v, (out->has & GTPC_HAS_PAA) ? &paa : &out->paa)) != GTP_OK)
			return e;
		first(out, GTPC_HAS_PAA);
		return GTP_OK;
	}
	case GTPC_IE_ULI: {
		struct gtp_uli uli;
		if ((e = gtp_uli_decode(v, (out->has & GTPC_HAS_ULI) ? &uli : &out->uli)) != GTP_OK)
			return e;
		first(out, GTPC_HAS_ULI);
		return GTP_OK;
	}
	case GTPC_IE_CAUSE:
		/* 29.274 8.4: cause value, flags octet, optional offending IE. */
		if (cur_len(&v) < 2 || !cur_get_u8(&v, &b))
			return GTP_E_IE_SHORT;
		if (first(out, GTPC_HAS_CAUSE))
			out->cause = b;
		return GTP_OK;
	case GTPC_IE_RAT_TYPE:
		if (!cur_get_u8(&v, &b))
			return GTP_E_IE_SHORT;
		if (first(out, GTPC_HAS_RAT))
			out->rat = b;
		return GTP_OK;
	case GTPC_IE_RECOVERY:
		if (!cur_get_u8(&v, &b))
			return GTP_E_IE_SHORT;
		if (first(out, GTPC_HAS_RECOVERY))
			out->recovery = b;
		return GTP_OK;
	case GTPC_IE_PDN_TYPE:
		if (!cur_get_u8(&v, &b))
			return GTP_E_IE_SHORT;
		if (first(out, GTPC_HAS_PDN_TYPE))
			out->pdn_type = b & 0x07;
		return GTP_OK;
	case GTPC_IE_SERVING_NETWORK: {
		uint8_t sn[3];
		if (!cur_copy(&v, sn, 3))
			return GTP_E_IE_SHORT;
		if (first(out, GTPC_HAS_SERVING_NET))
			memcpy(out->serving_net, sn, 3);
		return GTP_OK;
	}
	case GTPC_IE_CHARGING_ID: {
		uint32_t id;
		if (!cur_get_u32(&v, &id))
			return GTP_E_IE_SHORT;
		if (first(out, GTPC_HAS_CHARGING_ID))
			out->charging_id = id;
		return GTP_OK;
	}
	case GTPC_IE_AMBR: {
		uint32_t ul, dl;
		if (!cur_get_u32(&v, &ul) || !cur_get_u32(&v, &dl))
			return GTP_E_IE_SHORT;
		if (first(out, GTPC_HAS_AMBR)) {
			out->ambr_ul = ul;
			out->ambr_dl = dl;
		}
		return GTP_OK;
	}
	case GTPC_IE_INDICATION:
		if (first(out, GTPC_HAS_INDICATION)) {
			size_t n = cur_len(&v) < GTPC_INDICATION_MAX ? cur_len(&v) : GTPC_INDICATION_MAX;
			out->indication_len = (uint8_t)n;
			cur_copy(&v, out->indication, n);
		}
		return GTP_OK;
	case GTPC_IE_IP_ADDRESS: case GTPC_IE_PCO: case GTPC_IE_BEARER_TFT:
	case GTPC_IE_APN_RESTRICTION: case GTPC_IE_SELECTION_MODE: case GTPC_IE_BEARER_QOS:
	case GTPC_IE_PRIVATE_EXT:
		return GTP_OK;		/* known, kept raw (gtpc_ie_find) */
	default:
		out->n_unknown++;
		return GTP_OK;
	}
}

enum gtp_err
gtpc_decode(const struct gtpc_msg *m, struct gtpc_info *out)
{
	struct ovt_cursor c = m->ies;
	struct gtpc_ie ie;
	enum gtp_err e;
	int r;

	memset(out, 0, offsetof(struct gtpc_info, ebi));
	while ((r = gtpc_ie_next(&c, &ie)) == 1) {
		out->n_ies++;
		if ((e = decode_ie(&ie, out)) != GTP_OK)
			return e;
	}
	return r == 0 ? GTP_OK : GTP_E_IE_OVERRUN;
}
