/*
 * ETSI TS 103 221-2 X2/X3 PDUs: codec and stream framer.  Pure functions of bytes: no I/O, no
 * allocation except the framer's bounded buffer.  Wire layout (STANDARDS.md section 1):
 *
 *   u16 version | u16 PDU type | u32 header length | u32 payload length | u16 payload format |
 *   u16 payload direction | 16 octets XID | 8 octets correlation ID | TLV attributes | payload
 *
 * header length = 40 + TLV bytes; a PDU is header length + payload length octets.
 *
 * Decoding is strict (one error value per malformation, x2x3_strerror for the text) except for
 * the version field, which is reported but never refused (STANDARDS 1.6: implementations
 * disagree on its value).  Attribute types this module does not interpret (1-4, 19+) are skipped
 * and counted.  Encoding writes the attributes flagged in `present`, in type order, then the
 * payload; it refuses the same things the decoder refuses, so whatever we send we also accept.
 *
 * Thread safety: everything here works on caller-owned memory; no shared state.
 */
#ifndef OVERT_X2X3_X2X3_H
#define OVERT_X2X3_X2X3_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"

#define X2X3_HDR_LEN		40	/* fixed part, clause 5.x / STANDARDS 1.1 */
#define X2X3_VERSION_DEFAULT	0x0005	/* "00 05" as OpenLI and sipgate send (STANDARDS 1.6) */
#define X2X3_MAX_ATTRS		64	/* TLVs per PDU; more is refused (X2X3_E_TOO_MANY_ATTRS) */
#define X2X3_MAX_PDU_DEFAULT	(128 * 1024)	/* a 64 KiB IP packet + GTP-U + attributes fits */
#define X2X3_MIN_PDU_LIMIT	256	/* smallest max-PDU setting accepted by users of the codec */
#define X2X3_MAX_PDU_LIMIT	(16 * 1024 * 1024)	/* largest max-PDU setting */
#define X2X3_KEEPALIVE_LEN	(X2X3_HDR_LEN + 8)	/* header + sequence number TLV */

enum x2x3_type {
	X2X3_TYPE_X2 = 1,	/* xIRI */
	X2X3_TYPE_X3 = 2,	/* xCC */
	X2X3_TYPE_KEEPALIVE = 3,
	X2X3_TYPE_KEEPALIVE_ACK = 4,
};

/* Payload formats (STANDARDS 1.1 table). */
enum x2x3_format {
	X2X3_FMT_NONE = 0,	/* keepalives only */
	X2X3_FMT_ETSI_102232 = 1,
	X2X3_FMT_3GPP_33128 = 2,
	X2X3_FMT_3GPP_33108 = 3,
	X2X3_FMT_PROPRIETARY = 4,
	X2X3_FMT_IPV4 = 5,
	X2X3_FMT_IPV6 = 6,
	X2X3_FMT_ETHERNET = 7,
	X2X3_FMT_RTP = 8,
	X2X3_FMT_SIP = 9,
	X2X3_FMT_DHCP = 10,
	X2X3_FMT_RADIUS = 11,
	X2X3_FMT_GTPU = 12,
	X2X3_FMT_MSRP = 13,
	X2X3_FMT_EPS_IRI = 14,	/* 3GPP TS 33.108 EpsIRIContent */
	X2X3_FMT_MIME = 15,
	X2X3_FMT_UNSTRUCTURED = 16,
	X2X3_FMT_MAX = 16,
};

enum x2x3_dir {
	X2X3_DIR_NONE = 0,	/* keepalives only */
	X2X3_DIR_UNKNOWN = 1,
	X2X3_DIR_TO_TARGET = 2,
	X2X3_DIR_FROM_TARGET = 3,
	X2X3_DIR_MULTIPLE = 4,
	X2X3_DIR_NA = 5,
	X2X3_DIR_MAX = 5,
};

/* Conditional attribute types (STANDARDS 1.2). */
enum x2x3_attr {
	X2X3_ATTR_DID = 5,
	X2X3_ATTR_NFID = 6,
	X2X3_ATTR_IPID = 7,
	X2X3_ATTR_SEQ = 8,
	X2X3_ATTR_TIMESTAMP = 9,
	X2X3_ATTR_SRC_IPV4 = 10,
	X2X3_ATTR_DST_IPV4 = 11,
	X2X3_ATTR_SRC_IPV6 = 12,
	X2X3_ATTR_DST_IPV6 = 13,
	X2X3_ATTR_SRC_PORT = 14,
	X2X3_ATTR_DST_PORT = 15,
	X2X3_ATTR_IPPROTO = 16,
	X2X3_ATTR_MTI = 17,	/* matched target identifier */
	X2X3_ATTR_OTI = 18,	/* other target identifier */
};

/* Bits of x2x3_pdu.present, one per interpreted attribute. */
#define X2X3_HAS(a) (1u << (a))

enum x2x3_err {
	X2X3_OK = 0,
	X2X3_E_SHORT,		/* fewer than 40 octets, or fewer than the lengths announce */
	X2X3_E_TRAILING,	/* bytes after header length + payload length */
	X2X3_E_HDR_LEN,		/* header length < 40 */
	X2X3_E_TOO_BIG,		/* header length + payload length above the configured max */
	X2X3_E_TYPE,		/* PDU type not 1..4 */
	X2X3_E_FORMAT,		/* payload format unknown or not allowed for this PDU type */
	X2X3_E_DIRECTION,	/* payload direction not 1..5 (X2/X3) */
	X2X3_E_TLV_TRUNC,	/* 1..3 stray octets where a TLV header should be */
	X2X3_E_TLV_OVERRUN,	/* a TLV's length runs past header length */
	X2X3_E_TOO_MANY_ATTRS,	/* more than X2X3_MAX_ATTRS TLVs */
	X2X3_E_ATTR_LEN,	/* fixed-size attribute with the wrong length (or empty string) */
	X2X3_E_ATTR_VALUE,	/* attribute value out of range (timestamp nanoseconds >= 1e9) */
	X2X3_E_ATTR_DUP,	/* a single-valued attribute repeated */
	X2X3_E_KEEPALIVE,	/* keepalive/ack shape (STANDARDS 1.3) violated */
	X2X3_E_ENCODE,		/* builder full, or a value does not fit its field */
	X2X3_E_NOMEM,		/* allocation failed (framer, sender, receiver) */
	/* Used by the sender and receiver (x2x3_sender.h, x2x3_receiver.h): */
	X2X3_E_QUEUE_FULL,	/* destination queue at its record or byte limit: PDU dropped */
	X2X3_E_TOO_MANY_XIDS,	/* per-XID sequence table full: PDU dropped */
	X2X3_E_CONFIG,		/* invalid configuration */
	X2X3_E_SOCKET,		/* socket/bind/listen failed (see errno) */
	X2X3_E_TLS,		/* TLS handshake or I/O failure */
	X2X3_E_IO,		/* read/write failure other than TLS */
	X2X3_E_EOF,		/* peer closed the connection */
	X2X3_E_TIMEOUT,		/* connect, handshake or keepalive-ack timeout */
	X2X3_E_UNEXPECTED,	/* a PDU the peer must not send on this direction */
	X2X3_E_BACKLOG,		/* peer does not read our keepalive acks */
	/* Used by x2x3_receiver_ack (deferred acknowledgements): */
	X2X3_E_NO_CONN,		/* no open connection with that id (it closed: the POI resends) */
	X2X3_E_NOT_PENDING,	/* no keepalive with that sequence number awaits an ack */
	X2X3_E_PEER_REFUSED,	/* authenticated, but the application does not accept this peer */
	X2X3_E_COUNT
};

const char *x2x3_strerror(enum x2x3_err);
/* Stable short token for counters and JSON ("tlv_overrun"). */
const char *x2x3_errname(enum x2x3_err);

/*
 * One PDU.  On decode, string attributes and the payload are cursors into the decoded buffer
 * (valid as long as it is).  On encode, the caller points them at its own memory.
 */
struct x2x3_pdu {
	uint16_t version;
	uint16_t type;		/* enum x2x3_type */
	uint16_t format;	/* enum x2x3_format */
	uint16_t direction;	/* enum x2x3_dir */
	uint8_t xid[16];
	uint64_t correlation_id;

	uint32_t present;	/* X2X3_HAS(X2X3_ATTR_...) bits */
	uint32_t seq;
	uint32_t ts_sec, ts_nsec;
	uint8_t src_ipv4[4], dst_ipv4[4];
	uint8_t src_ipv6[16], dst_ipv6[16];
	uint16_t src_port, dst_port;
	uint8_t ipproto;
	struct ovt_cursor did, nfid, ipid, mti, oti;
	uint32_t oti_count;	/* Other Target Identifier may repeat: first kept, all counted */
	uint32_t skipped_attrs;	/* TLVs of types not interpreted here (decode only) */

	struct ovt_cursor payload;
};

/* Zeroes pdu and sets version = X2X3_VERSION_DEFAULT. */
void x2x3_pdu_init(struct x2x3_pdu *pdu);

/*
 * Reads the fixed header's length fields from the first 12 octets of a stream.
 * Returns X2X3_OK with *out_len = total PDU length; X2X3_E_SHORT if fewer than 12 octets are
 * available (read more); X2X3_E_HDR_LEN or X2X3_E_TOO_BIG if the PDU can never be accepted.
 */
enum x2x3_err x2x3_pdu_peek_len(const struct ovt_cursor *in, size_t max_pdu, size_t *out_len);

/*
 * Decodes exactly one PDU from in (which must hold exactly that PDU) with PDUs above max_pdu
 * octets refused.  On error *out is unspecified.
 */
enum x2x3_err x2x3_pdu_decode(struct ovt_cursor in, size_t max_pdu, struct x2x3_pdu *out);

/* Octets x2x3_pdu_encode will write for pdu (no validation). */
size_t x2x3_pdu_encoded_len(const struct x2x3_pdu *pdu);

/* Validates pdu as the decoder would (type/format/direction, keepalive shape, string lengths)
 * without encoding it. */
enum x2x3_err x2x3_pdu_check(const struct x2x3_pdu *pdu);

/*
 * Appends pdu to b.  Returns X2X3_OK, a validation error (nothing written), or X2X3_E_ENCODE if
 * the builder failed (b is then in its error state).
 */
enum x2x3_err x2x3_pdu_encode(const struct x2x3_pdu *pdu, struct ovt_builder *b);

/* Fills pdu as a keepalive (ack = 0) or keepalive acknowledgement (ack = 1) with sequence
 * number seq and the given version (STANDARDS 1.3). */
void x2x3_pdu_keepalive(struct x2x3_pdu *pdu, int ack, uint32_t seq, uint16_t version);

/* Short names for logs and JSON: "X2", "X3", "keepalive", "keepalive-ack", else "?". */
const char *x2x3_type_name(uint16_t type);

/* ------------------------------------------------------------------ stream framer */

/*
 * Cuts a TCP/TLS byte stream into whole PDUs.  The buffer grows on demand up to max_pdu octets
 * (never more: memory per connection <= max_pdu + X2X3_FRAMER_INITIAL).  Typical use:
 *
 *	x2x3_framer_space(f, &p, &n);   read up to n octets into p;   x2x3_framer_commit(f, got);
 *	while ((r = x2x3_framer_next(f, &pdu, &err)) == 1) handle(pdu);
 *	if (r < 0) drop the connection, reason err;
 *
 * A PDU cursor from x2x3_framer_next stays valid until the next framer call.
 */
#define X2X3_FRAMER_INITIAL 16384

struct x2x3_framer {
	uint8_t *buf;
	size_t cap;	/* allocated */
	size_t rd, wr;	/* unread octets are buf[rd..wr) */
	size_t max_pdu;
	size_t want;	/* length of the PDU being collected, 0 if not known yet */
	size_t last;	/* length of the PDU last returned, released on the next call */
	enum x2x3_err err;	/* sticky framing error */
};

/* Returns X2X3_OK, X2X3_E_CONFIG for max_pdu outside [MIN_PDU_LIMIT, MAX_PDU_LIMIT], or
 * X2X3_E_NOMEM. */
enum x2x3_err x2x3_framer_init(struct x2x3_framer *f, size_t max_pdu);
void x2x3_framer_cleanup(struct x2x3_framer *f);
/* Where to put incoming bytes.  *out_n >= 1 after x2x3_framer_next returned 0 (the buffer
 * always has room for the rest of the PDU being collected); otherwise it may be 0. */
void x2x3_framer_space(struct x2x3_framer *f, uint8_t **out_p, size_t *out_n);
void x2x3_framer_commit(struct x2x3_framer *f, size_t n);
/* 1: *out holds one whole PDU (not yet validated beyond its lengths: decode it); 0: need more
 * bytes; -1: the stream can never yield a valid PDU (*err says why), drop the connection. */
int x2x3_framer_next(struct x2x3_framer *f, struct ovt_cursor *out, enum x2x3_err *err);
/* Octets buffered and not yet returned as PDUs. */
size_t x2x3_framer_buffered(const struct x2x3_framer *f);

#endif
