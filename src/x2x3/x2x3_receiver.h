/*
 * X2/X3 receiver (MDF ingest and the test sink, ETSI TS 103 221-2): a TLS server (plaintext
 * only when explicitly configured) accepting many POI connections on the caller's event loop.
 * Each connection has its own framer; every PDU is fully validated (x2x3_pdu_decode) before the
 * callback sees it.  Keepalives are answered with an acknowledgement echoing their sequence
 * number (STANDARDS 1.3) and also passed to the callback.  Any framing or validation error,
 * TLS failure, timeout or a peer that does not read its acks drops only that connection, with
 * the reason counted in stats.dropped[reason]; other connections are not affected.
 *
 * Deferred acknowledgements (defer_acks): a keepalive is passed to on_pdu and NOT answered; the
 * application calls x2x3_receiver_ack(rx, peer->id, seq) once everything that connection
 * delivered before that keepalive (and whatever state the keepalive itself changed, see
 * x2x3_dedup.h) is durable.  An Overt sender with retention (x2x3_sender.h) holds every PDU
 * until such an ack, and resends the unacknowledged ones on its next connection, so a receiver
 * that acks only durable data loses nothing when it dies.  Acks leave in the order the
 * keepalives arrived; acking one also acks the earlier ones still pending on that connection
 * (what precedes them precedes it).  At most X2X3_RX_MAX_ACKS keepalives may wait per
 * connection, pending or acked and not yet written; a peer that sends more is dropped
 * (X2X3_E_BACKLOG).  Without defer_acks nothing changes: every keepalive is acked at once.
 *
 * Memory per connection: sizeof(struct) (~1 KiB incl. the ack buffer) + framer buffer (grows
 * to at most max_pdu) + OpenSSL's connection state (~40-70 KiB while records are buffered).
 * Connections are limited to max_conns; more are accepted and closed at once (counted).
 *
 * Callers must ignore SIGPIPE (see tls.h).  Thread safety: one receiver belongs to its loop's
 * thread.  Callbacks must not free the receiver.
 */
#ifndef OVERT_X2X3_X2X3_RECEIVER_H
#define OVERT_X2X3_X2X3_RECEIVER_H

#include <stddef.h>
#include <stdint.h>

#include "common/ev.h"
#include "tls/tls.h"
#include "x2x3/x2x3.h"

#define X2X3_RX_MAX_CONNS_DEFAULT	 256
#define X2X3_RX_HANDSHAKE_TIMEOUT_DEFAULT_MS 10000
#define X2X3_RX_IDLE_TIMEOUT_DEFAULT_MS	 120000	/* > a few keepalive intervals */
#define X2X3_RX_TIMEOUT_OFF		 UINT32_MAX
#define X2X3_RX_MAX_ACKS		 16	/* keepalives awaiting their ack per connection */

struct x2x3_receiver;

/* Who sent a PDU.  cn is the verified client certificate's CN ("" on plaintext). */
struct x2x3_peer {
	uint64_t id;		/* connection number, unique within the receiver, from 1 */
	char cn[128];
	char addr[64];		/* numeric address */
	uint16_t port;
	int tls;
};

enum x2x3_conn_event {
	X2X3_CONN_UP,		/* handshake done, peer identity known */
	X2X3_CONN_CLOSED,	/* reason X2X3_E_EOF for an orderly close, else why we dropped it */
	X2X3_CONN_REFUSED,	/* over max_conns: closed at once (peer has only addr/port) */
};

struct x2x3_receiver_config {
	const char *bind_addr;		/* IPv4/IPv6 literal, e.g. "127.0.0.1" */
	uint16_t port;			/* 0: the kernel picks (see x2x3_receiver_port) */
	int insecure_plaintext;		/* 1: no TLS (lab only); tls must be NULL */
	struct tls_ctx *tls;		/* server context, borrowed; required unless plaintext */
	size_t max_pdu;			/* 0 = X2X3_MAX_PDU_DEFAULT */
	size_t max_conns;		/* 0 = default */
	uint32_t handshake_timeout_ms;	/* 0 = default */
	uint32_t idle_timeout_ms;	/* 0 = default; X2X3_RX_TIMEOUT_OFF = none */
	uint16_t version;		/* version written in our acks; 0 = default */
	int defer_acks;			/* 1: the application acks (x2x3_receiver_ack) */
	/* Every valid PDU (keepalives included).  pdu's cursors and raw (the PDU's exact bytes)
	 * are valid only during the call. */
	void (*on_pdu)(void *arg, const struct x2x3_peer *peer, const struct x2x3_pdu *pdu,
		       struct ovt_cursor raw);
	/* Optional: called once the peer's identity is known (after the TLS handshake), before
	 * X2X3_CONN_UP; non-zero refuses the peer: the connection is dropped at once with
	 * X2X3_E_PEER_REFUSED (counted in dropped[], reported by on_conn as CLOSED), before any
	 * of its bytes is read as a PDU.  Must not call back into the receiver. */
	int (*accept_peer)(void *arg, const struct x2x3_peer *peer);
	/* Optional connection events; detail is safe to log. */
	void (*on_conn)(void *arg, const struct x2x3_peer *peer, enum x2x3_conn_event ev,
			enum x2x3_err reason, const char *detail);
	void *arg;
};

struct x2x3_receiver_stats {
	uint64_t accepted;		/* connections accepted (within the limit) */
	uint64_t active;		/* open now */
	uint64_t refused_limit;		/* closed at once: max_conns reached */
	uint64_t up;			/* handshakes completed */
	uint64_t pdus[5];		/* valid PDUs by type (index 1..4) */
	uint64_t bytes;			/* octets of valid PDUs */
	uint64_t acks_sent;		/* keepalive acknowledgements queued */
	uint64_t acks_pending;		/* keepalives waiting for x2x3_receiver_ack now */
	uint64_t acks_refused;		/* x2x3_receiver_ack calls refused (no conn/not pending) */
	uint64_t closed_eof;		/* connections the peer closed */
	uint64_t dropped[X2X3_E_COUNT];	/* connections we dropped, by reason */
};

/* Binds, listens and registers with loop.  NULL and *err (X2X3_E_CONFIG, X2X3_E_SOCKET with
 * errno set, X2X3_E_NOMEM) on failure. */
struct x2x3_receiver *x2x3_receiver_new(struct ev_loop *loop,
					const struct x2x3_receiver_config *cfg, enum x2x3_err *err);
/* Closes the listener and every connection (no callbacks). */
void x2x3_receiver_free(struct x2x3_receiver *);
/*
 * With defer_acks: acknowledges the keepalive seq that connection conn_id (x2x3_peer.id) sent,
 * and every keepalive it sent before that one and that is still pending, in arrival order.
 * Returns X2X3_OK (the acks are queued and written by the loop), X2X3_E_NO_CONN (the connection
 * has closed: its sender will resend what it had not seen acknowledged), X2X3_E_NOT_PENDING
 * (no such keepalive waits: already acked, never received, or defer_acks is off).  May be
 * called from on_pdu, including for the keepalive being delivered; never calls back.
 * O(connections) to find conn_id.
 */
enum x2x3_err x2x3_receiver_ack(struct x2x3_receiver *, uint64_t conn_id, uint32_t seq);
/* The bound port (useful with port 0). */
uint16_t x2x3_receiver_port(const struct x2x3_receiver *);
void x2x3_receiver_stats(const struct x2x3_receiver *, struct x2x3_receiver_stats *out);

#endif
