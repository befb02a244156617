/*
 * GTP decoders for the passive probe: GTPv2-C (3GPP TS 29.274) and GTP-U (3GPP TS 29.281).
 *
 * Pure functions of (bytes, length): nothing is allocated, nothing is logged, no state is kept.
 * Decoded values that point into the message (IE values, the inner T-PDU, raw ULI) are cursors
 * into the caller's buffer and live as long as it does.  Every malformation has its own
 * enum gtp_err value (gtp_strerror) so callers keep one counter per reason; a refused message
 * leaves no partial result the caller may use.
 *
 * Thread safety: none needed; the functions touch only their arguments.
 */
#ifndef OVERT_GTP_GTP_H
#define OVERT_GTP_GTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"

#define GTPC_PORT		2123
#define GTPU_PORT		2152

/* Caps: every loop over outside data is bounded by one of these. */
#define GTPC_MAX_PIGGY		2	/* a message plus one piggybacked message (29.274 5.5.1) */
#define GTPC_MAX_DEPTH		3	/* grouped IE nesting (message = 0, Bearer Context = 1) */
#define GTPC_MAX_IES		512	/* IEs in one message, all levels together */
#define GTPC_MAX_BC		24	/* Bearer Context IEs decoded per message */
#define GTPC_MAX_FTEID		8	/* F-TEIDs decoded at top level, and per Bearer Context */
#define GTPC_MAX_EBI		16	/* EBI IEs decoded at top level */
#define GTPC_INDICATION_MAX	8	/* Indication octets kept */
#define GTPU_MAX_EXT		8	/* GTP-U extension headers in one chain */

enum gtp_err {
	GTP_OK = 0,
	GTP_E_SHORT_HDR,	/* fewer bytes than the fixed header */
	GTP_E_VERSION,		/* version is not 2 (GTP-C) or 1 (GTP-U) */
	GTP_E_PT,		/* GTP-U protocol type 0 (GTP') */
	GTP_E_LENGTH,		/* header length runs past the datagram (lying length) */
	GTP_E_TRAILING,		/* bytes after the last message */
	GTP_E_TEID_FLAG,	/* T flag wrong for the message type (29.274 5.5.1) */
	GTP_E_PIGGYBACK,	/* P set on a piggybacked message, or nothing follows */
	GTP_E_IE_HDR,		/* truncated IE header */
	GTP_E_IE_OVERRUN,	/* IE length runs past the message */
	GTP_E_GROUP_OVERRUN,	/* IE length runs past its grouped IE */
	GTP_E_NESTING,		/* grouped IEs nested deeper than GTPC_MAX_DEPTH */
	GTP_E_TOO_MANY_IES,	/* more than GTPC_MAX_IES */
	GTP_E_TOO_MANY,		/* more Bearer Contexts / F-TEIDs / EBIs than decoded */
	GTP_E_IE_SHORT,		/* IE value shorter than its type requires */
	GTP_E_TBCD,		/* bad digit or filler in IMSI / MSISDN / MEI */
	GTP_E_APN,		/* bad APN label encoding */
	GTP_E_PAA,		/* PAA length disagrees with its PDN type */
	GTP_E_FTEID,		/* F-TEID without address or length disagreeing with flags */
	GTP_E_ULI,		/* ULI flags announce more than the IE holds */
	GTP_E_EXT_HDR,		/* GTP-U extension header length 0 or past the message */
	GTP_E_EXT_COUNT,	/* more than GTPU_MAX_EXT extension headers */
	GTP_E__COUNT
};

/* Static English text for each value; "unknown" for out-of-range values. */
const char *gtp_strerror(enum gtp_err e);

/* ================================================================ GTPv2-C */

/* Message types used by the tracker (29.274 table 6.1-1). */
enum gtpc_msg_type {
	GTPC_ECHO_REQ = 1, GTPC_ECHO_RESP = 2, GTPC_VERSION_NOT_SUPPORTED = 3,
	GTPC_CREATE_SESSION_REQ = 32, GTPC_CREATE_SESSION_RESP = 33,
	GTPC_MODIFY_BEARER_REQ = 34, GTPC_MODIFY_BEARER_RESP = 35,
	GTPC_DELETE_SESSION_REQ = 36, GTPC_DELETE_SESSION_RESP = 37,
	GTPC_MODIFY_BEARER_CMD = 64, GTPC_MODIFY_BEARER_FAIL = 65,
	GTPC_DELETE_BEARER_CMD = 66, GTPC_DELETE_BEARER_FAIL = 67,
	GTPC_BEARER_RESOURCE_CMD = 68, GTPC_BEARER_RESOURCE_FAIL = 69,
	GTPC_CREATE_BEARER_REQ = 95, GTPC_CREATE_BEARER_RESP = 96,
	GTPC_UPDATE_BEARER_REQ = 97, GTPC_UPDATE_BEARER_RESP = 98,
	GTPC_DELETE_BEARER_REQ = 99, GTPC_DELETE_BEARER_RESP = 100,
	GTPC_RELEASE_ACCESS_BEARERS_REQ = 170, GTPC_RELEASE_ACCESS_BEARERS_RESP = 171,
	GTPC_DOWNLINK_DATA_NOTIF = 176, GTPC_DOWNLINK_DATA_NOTIF_ACK = 177,
	GTPC_MODIFY_ACCESS_BEARERS_REQ = 211, GTPC_MODIFY_ACCESS_BEARERS_RESP = 212,
};

/* IE types (29.274 table 8.1-1). */
enum gtpc_ie_type {
	GTPC_IE_IMSI = 1, GTPC_IE_CAUSE = 2, GTPC_IE_RECOVERY = 3,
	GTPC_IE_APN = 71, GTPC_IE_AMBR = 72, GTPC_IE_EBI = 73, GTPC_IE_IP_ADDRESS = 74,
	GTPC_IE_MEI = 75, GTPC_IE_MSISDN = 76, GTPC_IE_INDICATION = 77, GTPC_IE_PCO = 78,
	GTPC_IE_PAA = 79, GTPC_IE_BEARER_QOS = 80, GTPC_IE_RAT_TYPE = 82,
	GTPC_IE_SERVING_NETWORK = 83, GTPC_IE_BEARER_TFT = 84, GTPC_IE_ULI = 86,
	GTPC_IE_FTEID = 87, GTPC_IE_BEARER_CONTEXT = 93, GTPC_IE_CHARGING_ID = 94,
	GTPC_IE_PDN_CONNECTION = 109, GTPC_IE_PDN_TYPE = 99, GTPC_IE_APN_RESTRICTION = 127,
	GTPC_IE_SELECTION_MODE = 128, GTPC_IE_OVERLOAD_CONTROL = 180,
	GTPC_IE_LOAD_CONTROL = 181, GTPC_IE_REMOTE_UE_CONTEXT = 191,
	GTPC_IE_SCEF_PDN_CONNECTION = 195, GTPC_IE_PRIVATE_EXT = 255,
};

/* F-TEID interface types (29.274 table 8.22-1). */
enum gtp_iface {
	GTP_IF_S1U_ENB = 0, GTP_IF_S1U_SGW = 1, GTP_IF_S12_RNC = 2, GTP_IF_S12_SGW = 3,
	GTP_IF_S5U_SGW = 4, GTP_IF_S5U_PGW = 5, GTP_IF_S5C_SGW = 6, GTP_IF_S5C_PGW = 7,
	GTP_IF_S11_MME = 10, GTP_IF_S11_SGW = 11,
};

/* Causes the tracker looks at (29.274 table 8.4-1). */
#define GTPC_CAUSE_ACCEPTED		16
#define GTPC_CAUSE_PARTIALLY_ACCEPTED	17
#define GTPC_CAUSE_CONTEXT_NOT_FOUND	64

struct gtpc_hdr {
	uint8_t version;	/* 2 */
	uint8_t piggyback;	/* P flag: another message follows this one */
	uint8_t has_teid;	/* T flag */
	uint8_t mp;		/* MP flag; prio valid when set */
	uint8_t type;
	uint8_t prio;
	uint16_t length;	/* octets after the first 4 */
	uint32_t teid;		/* 0 when T = 0 */
	uint32_t seq;		/* 24 bits; MSB (0x800000) set for command-triggered requests */
};

struct gtpc_msg {
	struct gtpc_hdr hdr;
	struct ovt_cursor raw;	/* the whole message, header included */
	struct ovt_cursor ies;	/* the IEs after the header */
};

/* One IE as it sits on the wire: the value is not interpreted. */
struct gtpc_ie {
	uint8_t type;
	uint8_t instance;	/* low 4 bits of octet 4 (29.274 8.2.1) */
	struct ovt_cursor val;
};

/*
 * Parses the GTPv2-C messages of one UDP payload: the message and, when its P flag is set,
 * the piggybacked one (29.274 5.5.1).  The IE framing of every message is checked all the way
 * down known grouped IEs (lengths, nesting, counts), so a message returned here can be walked
 * with gtpc_ie_next without further framing errors.  msgs[] receives *n (1 or 2) messages.
 */
enum gtp_err gtpc_parse(const uint8_t *p, size_t len, struct gtpc_msg msgs[GTPC_MAX_PIGGY],
    size_t *n);
/* One message again from a copy of the raw bytes (msgs[i].raw) of a message gtpc_parse
 * accepted: the header is parsed, the IE framing (already checked) is not walked again.  Only
 * for such copies: on other bytes the IEs are unchecked, and gtpc_ie_next may then return -1.
 * GTP_OK, a header error, or GTP_E_TRAILING if bytes follow the message. */
enum gtp_err gtpc_reparse(const uint8_t *p, size_t len, struct gtpc_msg *m);

/* Iterates the IEs of a cursor (a message's ies, or a grouped IE's val).  Returns 1 and fills
 * ie, 0 at the end, -1 on a framing error (cannot happen on a cursor from gtpc_parse). */
int gtpc_ie_next(struct ovt_cursor *c, struct gtpc_ie *ie);

/* First top-level IE of this type and instance; 1 if found. */
int gtpc_ie_find(const struct gtpc_msg *m, uint8_t type, uint8_t instance, struct gtpc_ie *out);

/* 1 for the message types listed in enum gtpc_msg_type (the ones the tracker handles). */
int gtpc_msg_known(uint8_t type);
/* 1 for request/initial message types, 0 for responses (among known types). */
int gtpc_msg_is_request(uint8_t type);

/* ---------------------------------------------------------------- decoded IEs */

#define GTP_FTEID_V4	0x1
#define GTP_FTEID_V6	0x2

struct gtp_fteid {
	uint8_t instance;
	uint8_t iface;		/* enum gtp_iface (6 bits) */
	uint8_t flags;		/* GTP_FTEID_V4 | GTP_FTEID_V6 */
	uint32_t teid;
	uint8_t v4[4];
	uint8_t v6[16];
};

/* PAA (29.274 8.14). */
#define GTP_PDN_IPV4	1
#define GTP_PDN_IPV6	2
#define GTP_PDN_IPV4V6	3
#define GTP_PDN_NONIP	4
#define GTP_PDN_ETHERNET 5

struct gtp_paa {
	uint8_t pdn_type;	/* GTP_PDN_* */
	uint8_t v6_prefix_len;
	uint8_t v4[4];
	uint8_t v6[16];
};

/* ULI (29.274 8.21): flags, decoded TAI and ECGI, and the raw value for HI2. */
#define GTP_ULI_CGI	0x01
#define GTP_ULI_SAI	0x02
#define GTP_ULI_RAI	0x04
#define GTP_ULI_TAI	0x08
#define GTP_ULI_ECGI	0x10
#define GTP_ULI_LAI	0x20
#define GTP_ULI_MENB	0x40
#define GTP_ULI_EMENB	0x80

struct gtp_uli {
	uint8_t flags;
	uint8_t tai_plmn[3];
	uint16_t tac;
	uint8_t ecgi_plmn[3];
	uint32_t eci;		/* 28 bits */
	struct ovt_cursor raw;	/* the whole IE value, flags octet included */
};

/* Bearer Context (grouped, 29.274 8.28).  GTPC_BC_* bits tell which members were present. */
#define GTPC_BC_EBI		0x01
#define GTPC_BC_CAUSE		0x02
#define GTPC_BC_QOS		0x04
#define GTPC_BC_CHARGING_ID	0x08
#define GTPC_BC_TFT		0x10

struct gtpc_bearer_ctx {
	uint8_t instance;	/* role of the context in its message (to be created / removed ...) */
	uint8_t has;		/* GTPC_BC_* */
	uint8_t ebi;
	uint8_t cause;
	uint32_t charging_id;
	uint8_t n_fteid;
	struct ovt_cursor qos;	/* Bearer QoS value, 22 octets */
	struct ovt_cursor tft;
	/* Last: only the first n_fteid entries are written (the decoder zeroes the fields above). */
	struct gtp_fteid fteid[GTPC_MAX_FTEID];
};

/* GTPC_HAS_* bits of gtpc_info.has. */
#define GTPC_HAS_IMSI		0x0001
#define GTPC_HAS_MSISDN		0x0002
#define GTPC_HAS_MEI		0x0004
#define GTPC_HAS_APN		0x0008
#define GTPC_HAS_PAA		0x0010
#define GTPC_HAS_ULI		0x0020
#define GTPC_HAS_RAT		0x0040
#define GTPC_HAS_CAUSE		0x0080
#define GTPC_HAS_SERVING_NET	0x0100
#define GTPC_HAS_CHARGING_ID	0x0200
#define GTPC_HAS_INDICATION	0x0400
#define GTPC_HAS_RECOVERY	0x0800
#define GTPC_HAS_PDN_TYPE	0x1000
#define GTPC_HAS_AMBR		0x2000

struct gtpc_info {
	uint32_t has;		/* GTPC_HAS_* */
	char imsi[16];		/* digits, NUL-terminated */
	char msisdn[16];
	char mei[17];		/* IMEI (15) or IMEISV (16) digits */
	char apn[101];		/* dotted labels (23.003 9.1), at most 100 octets */
	struct gtp_paa paa;
	struct gtp_uli uli;
	uint8_t rat;
	uint8_t cause;
	uint8_t recovery;
	uint8_t pdn_type;
	uint8_t serving_net[3];
	uint32_t charging_id;
	uint8_t indication_len;
	uint8_t indication[GTPC_INDICATION_MAX];
	uint32_t ambr_ul, ambr_dl;	/* kbps */
	uint16_t n_ies;		/* top-level IEs */
	uint16_t n_unknown;	/* top-level and Bearer Context IEs of types not decoded here */
	uint16_t n_dup;		/* repeated non-repeatable IEs (the first one is kept) */
	uint8_t n_ebi;
	uint8_t n_fteid;
	uint8_t n_bc;
	/* Arrays last: only their first n_* entries are written and meaningful, so gtpc_decode
	 * zeroes the fields above and not these kilobytes (hot path of the control plane). */
	struct { uint8_t instance, ebi; } ebi[GTPC_MAX_EBI];
	struct gtp_fteid fteid[GTPC_MAX_FTEID];
	struct gtpc_bearer_ctx bc[GTPC_MAX_BC];
};

/* Indication flags (29.274 8.12): octet index (0 = first value octet) and bit. */
#define GTPC_IND_SI_OCTET	1
#define GTPC_IND_SI_BIT		0x02	/* Scope Indication */

/*
 * Decodes the IEs of a parsed message into out (zeroed first).  Values shorter than their type
 * requires, bad TBCD digits, bad APN labels and inconsistent PAA/F-TEID/ULI refuse the whole
 * message: the tracker must not build state from half-understood input.  IE octets beyond what
 * this release defines are ignored (forward compatibility, 29.274 clause 7.7).
 */
enum gtp_err gtpc_decode(const struct gtpc_msg *m, struct gtpc_info *out);

/* Single-IE decoders, also used by the tracker and tests.  out must hold 2*len+1 octets for
 * TBCD (at most 16 digits are produced: len <= 8). */
enum gtp_err gtp_tbcd_decode(struct ovt_cursor val, char *out, size_t outcap);
enum gtp_err gtp_apn_decode(struct ovt_cursor val, char out[101]);
enum gtp_err gtp_fteid_decode(struct ovt_cursor val, uint8_t instance, struct gtp_fteid *out);
enum gtp_err gtp_paa_decode(struct ovt_cursor val, struct gtp_paa *out);
enum gtp_err gtp_uli_decode(struct ovt_cursor val, struct gtp_uli *out);
/* MCC and MNC digits of a 3-octet PLMN id (24.008 10.5.1.3); mnc gets 2 or 3 digits. */
void gtp_plmn_digits(const uint8_t plmn[3], char mcc[4], char mnc[4]);

/* ================================================================ GTP-U */

enum gtpu_msg_type {
	GTPU_ECHO_REQ = 1, GTPU_ECHO_RESP = 2, GTPU_ERROR_IND = 26,
	GTPU_SUPPORTED_EXT_NOTIF = 31, GTPU_END_MARKER = 254, GTPU_GPDU = 255,
};

struct gtpu_hdr {
	uint8_t flags;		/* octet 1 as received */
	uint8_t type;
	uint16_t length;	/* octets after the first 8 */
	uint32_t teid;
	uint16_t seq;		/* valid when flags & S */
	uint8_t npdu;		/* valid when flags & PN */
	uint8_t n_ext;		/* extension headers walked */
	uint8_t ext_types[GTPU_MAX_EXT];
	struct ovt_cursor payload; /* G-PDU: the T-PDU (inner packet); else the IEs */
};

#define GTPU_FLAG_PN	0x01
#define GTPU_FLAG_S	0x02
#define GTPU_FLAG_E	0x04
#define GTPU_FLAG_PT	0x10

/*
 * Parses one GTP-U message (29.281 5.1): version 1, PT 1, optional seq / N-PDU / next
 * extension type when any of E, S, PN is set, and the extension-header chain (5.2: length in
 * 4-octet units, non-zero, capped at GTPU_MAX_EXT).  Octets after the message (UDP longer than
 * the GTP length) are ignored, as 29.281 gives them no meaning; *trailing tells how many.
 */
enum gtp_err gtpu_parse(const uint8_t *p, size_t len, struct gtpu_hdr *out, size_t *trailing);

/* 1 for the message types of enum gtpu_msg_type. */
int gtpu_msg_known(uint8_t type);

#endif
