/*
 * X2/X3 sender (POI side, ETSI TS 103 221-2): one struct x2x3_sender per destination.  It owns
 * a non-blocking TCP connection (mutual TLS unless the destination is explicitly configured
 * insecure_plaintext), a bounded queue, reconnection with exponential backoff and jitter, and
 * keepalives with acknowledgement tracking.  Everything runs on the caller's event loop.
 *
 * Queue: PDUs are encoded straight into the queue at submit time.  It is bounded by records and
 * by bytes; a PDU that does not fit is dropped, counted (stats.dropped_overflow) and reported to
 * the caller (X2X3_E_QUEUE_FULL), never silently.  PDUs queued while the destination is down are
 * delivered after reconnection, in order.
 *
 * Retention (retain_until_ack, on by default whenever keepalives are on): a PDU written to the
 * connection stays in the queue, in a retransmit window, until a keepalive written after it has
 * been acknowledged; only then is it released.  The sender writes such a barrier keepalive when
 * PDUs have been written since the last one and either the last barrier is barrier_interval_ms
 * old or the unbarriered PDUs reach 1/8 of a queue limit (records or bytes); the periodic
 * keepalives are barriers too.  At most X2X3_MAX_BARRIERS keepalives are outstanding; an ack
 * releases everything written before its keepalive (acks are cumulative).  When a connection
 * breaks, the window is written again first on the next connection, in order and with the same
 * octets (same XID, sequence number, timestamp), then the rest of the queue.  The window counts
 * against the queue limits.  Wire-compatible: a receiver that acks every keepalive at once (any
 * standard one) releases the window one round trip after each barrier; a receiver that defers
 * its acks until the data is durable (x2x3_receiver.h, defer_acks) makes delivery
 * at-least-once across its own crash.  Without retention (or keepalives), octets the kernel had
 * accepted when a connection broke are lost: TCP acknowledges to the kernel, not to the MDF.
 * Memory: every held PDU costs its encoded size + 4 octets (record ring); chunk slack bounds the
 * total at 2 * queue_max_bytes + X2X3_QCHUNK + 4 * queue_max_records, plus
 * X2X3_MAX_CTRL * X2X3_KEEPALIVE_LEN octets of control PDUs.
 *
 * Sequence numbers (Sequence Number attribute, type 8): one counter per (destination, XID),
 * starting at 0, incremented for every PDU submitted for that XID, including PDUs then dropped on
 * overflow, so the receiver sees every loss as a gap; not reset on reconnection.
 * Keepalives carry their own per-sender counter (STANDARDS 1.3), which also tells a receiver
 * whether the sender restarted (and so its per-XID counters): every connection starts with a
 * probe keepalive, and a probe carries sequence number 0 exactly until a probe has been
 * acknowledged for the first time by this sender instance; every later keepalive carries a
 * number >= 1 that only grows (it skips 0 when it wraps).  So "first PDU of a connection is a
 * keepalive with a non-zero number" means "same sender instance as before, counters
 * continue" (x2x3_dedup.h builds on that).
 *
 * Callers must ignore SIGPIPE (see tls.h).  Thread safety: one sender belongs to its loop's
 * thread.  The event callback must not free the sender.
 */
#ifndef OVERT_X2X3_X2X3_SENDER_H
#define OVERT_X2X3_X2X3_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include "common/ev.h"
#include "tls/tls.h"
#include "x2x3/x2x3.h"

#define X2X3_QCHUNK		 65536	/* queue chunk; larger PDUs get a chunk of their own */
#define X2X3_MAX_CTRL		 8	/* keepalives/acks waiting to be written, beyond the limits */
#define X2X3_MAX_BARRIERS	 8	/* our keepalives written and not yet acknowledged */
#define X2X3_BARRIER_INTERVAL_DEFAULT_MS 200
#define X2X3_QUEUE_RECORDS_DEFAULT 65536
#define X2X3_QUEUE_BYTES_DEFAULT (32u * 1024 * 1024)
#define X2X3_KEEPALIVE_DEFAULT_MS 10000
#define X2X3_KEEPALIVE_TIMEOUT_DEFAULT_MS 5000
#define X2X3_KEEPALIVE_OFF	 UINT32_MAX	/* keepalive_interval_ms value: no keepalives */
#define X2X3_CONNECT_TIMEOUT_DEFAULT_MS 5000
#define X2X3_BACKOFF_MIN_DEFAULT_MS 100
#define X2X3_BACKOFF_MAX_DEFAULT_MS 30000
#define X2X3_MAX_XIDS_DEFAULT	 65536

struct x2x3_sender;

enum x2x3_sender_event {
	X2X3_EV_CONNECTED,	/* handshake done; detail = TLS version or "plaintext" */
	X2X3_EV_CONNECT_FAILED,	/* attempt failed; reason + detail (errno or TLS text) */
	X2X3_EV_DISCONNECTED,	/* an established connection broke; reason + detail */
};

/* How X3 payloads are sent to this destination (the X2/X3 issue: "format 12 or 5/6"). */
enum x2x3_x3_mode {
	X2X3_X3_GTPU = 0,	/* payload format 12: the whole GTP-U message */
	X2X3_X3_IP = 1,		/* payload format 5 or 6: the inner IP packet */
};

/* Whether written PDUs are held until a keepalive after them is acknowledged (see above). */
enum x2x3_retain {
	X2X3_RETAIN_DEFAULT = 0,	/* on, unless keepalives are off */
	X2X3_RETAIN_ON = 1,		/* needs keepalives (X2X3_E_CONFIG otherwise) */
	X2X3_RETAIN_OFF = 2,		/* release a PDU once the kernel took all its octets */
};

struct x2x3_dest_config {
	const char *addr;		/* IPv4 or IPv6 literal (copied) */
	uint16_t port;
	int insecure_plaintext;		/* 1: no TLS (lab captures only); tls must be NULL */
	struct tls_ctx *tls;		/* client context, borrowed; required unless plaintext */
	const char *tls_name;		/* name the server certificate must carry; NULL = addr */
	uint16_t version;		/* 0 = X2X3_VERSION_DEFAULT */
	enum x2x3_x3_mode x3_mode;
	size_t max_pdu;			/* 0 = X2X3_MAX_PDU_DEFAULT; larger PDUs are refused */
	size_t queue_max_records;	/* 0 = default */
	size_t queue_max_bytes;		/* 0 = default */
	size_t max_xids;		/* 0 = default; size of the sequence table */
	uint32_t keepalive_interval_ms;	/* 0 = default, X2X3_KEEPALIVE_OFF = none */
	uint32_t keepalive_timeout_ms;	/* 0 = default: no ack within this -> reconnect */
	uint32_t connect_timeout_ms;	/* 0 = default: TCP connect + TLS handshake */
	uint32_t backoff_min_ms;	/* 0 = default */
	uint32_t backoff_max_ms;	/* 0 = default; the delay cap */
	enum x2x3_retain retain_until_ack;
	uint32_t barrier_interval_ms;	/* 0 = default; least time between barrier keepalives */
	/* Optional; detail is a short text safe to log (no payload, no target identity). */
	void (*on_event)(void *arg, enum x2x3_sender_event ev, enum x2x3_err reason,
			 const char *detail);
	void *arg;
};

struct x2x3_sender_stats {
	uint64_t submitted;		/* X2/X3 PDUs offered to submit */
	uint64_t sent;			/* X2/X3 PDUs completely written to a connection (once) */
	uint64_t retransmitted;		/* written again on a later connection (retain) */
	uint64_t acked;			/* released by a keepalive acknowledgement (retain) */
	uint64_t dropped_overflow;	/* refused: queue full */
	uint64_t dropped_invalid;	/* refused: invalid PDU, too big, or XID table full */
	uint64_t bytes_sent;		/* every octet written, keepalives and resends included */
	uint64_t queued_pdus;		/* held now: not yet written, or in the window (X2/X3) */
	uint64_t queued_bytes;		/* held now (encoded X2/X3 PDUs) */
	uint64_t window_pdus;		/* of which written and waiting for an ack (retain) */
	uint64_t window_bytes;
	uint64_t barriers_sent;		/* keepalives written because PDUs were (retain) */
	uint64_t barriers_acked;
	uint64_t connect_attempts;
	uint64_t connects;		/* handshakes completed */
	uint64_t connect_failures;	/* attempts that never got up */
	uint64_t disconnects;		/* established connections lost */
	uint64_t keepalives_sent;	/* probes, periodic and barrier keepalives */
	uint64_t keepalives_acked;
	uint64_t keepalive_timeouts;	/* no ack in time: reconnected */
	uint64_t acks_unexpected;	/* ack with a sequence number we were not waiting for */
	uint64_t peer_keepalives;	/* keepalives from the receiver, answered */
	uint64_t rx_unexpected;		/* X2/X3 PDUs from the receiver (ignored) */
	uint64_t ctrl_dropped;		/* acks not queued: control records at X2X3_MAX_CTRL */
	int up;				/* connected now */
	int retain;			/* retention in effect */
};

/* Validates cfg, copies it and starts connecting at once.  NULL and *err on failure
 * (X2X3_E_CONFIG, X2X3_E_NOMEM). */
struct x2x3_sender *x2x3_sender_new(struct ev_loop *loop, const struct x2x3_dest_config *cfg,
				    enum x2x3_err *err);
/* Closes the connection and frees everything, queued and retained PDUs included (not counted as
 * drops: a caller that must not lose them waits for stats.queued_pdus == 0 first). */
void x2x3_sender_free(struct x2x3_sender *);

/*
 * Queues one X2 or X3 PDU.  The sender sets pdu->version, and pdu->seq with the Sequence Number
 * attribute flag (per-XID counter, see above).  The caller fills type, format, direction, XID,
 * correlation ID, timestamp and the other attributes; pointers in pdu need only live during
 * the call.  Returns X2X3_OK (queued), X2X3_E_QUEUE_FULL, X2X3_E_TOO_MANY_XIDS, X2X3_E_TOO_BIG,
 * or a validation error from x2x3_pdu_check; every refusal is counted in the stats.
 */
enum x2x3_err x2x3_sender_submit(struct x2x3_sender *, struct x2x3_pdu *pdu);

/*
 * Queues an X3 PDU for one user-plane packet, picking the payload per destination: the GTP-U
 * message (format 12) or the inner IP packet (format 5 for IPv4, 6 for IPv6, from its version
 * nibble; X2X3_E_FORMAT if it is neither).  pdu->type is set to X3.
 */
enum x2x3_err x2x3_sender_submit_x3(struct x2x3_sender *, struct x2x3_pdu *pdu,
				    struct ovt_cursor gtpu_msg, struct ovt_cursor inner_ip);

/* Forgets an XID's sequence counter (task deactivated); a later PDU restarts at 0. */
void x2x3_sender_forget_xid(struct x2x3_sender *, const uint8_t xid[16]);

void x2x3_sender_stats(const struct x2x3_sender *, struct x2x3_sender_stats *out);

#endif
