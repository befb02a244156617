/*
 * X2/X3 receiver (MDF ingest and the test sink, ETSI TS 103 221-2): a TLS server (plaintext
 * only when explicitly configured) accepting many POI connections on the caller's event loop.
 * Each connection has its own framer; every PDU is fully validated (x2x3_pdu_decode) before the
 * callback sees it.  Keepalives are answered with an acknowledgement echoing their sequence
 * number (STANDARDS 1.3) and also passed to the callback.  Any framing or validation error,
 * TLS failure, timeout or a peer that does not read its acks drops only that connection, with
 * the reason counted in stats.dropped[reason]; other connections are not affected.
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
#define X2X3_RX_MAX_ACKS		 16	/* unsent acks per connection before it is dropped */

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
	/* Every valid PDU (keepalives included).  pdu's cursors and raw (the PDU's exact bytes)
	 * are valid only during the call. */
	void (*on_pdu)(void *arg, const struct x2x3_peer *peer, const struct x2x3_pdu *pdu,
		       struct ovt_cursor raw);
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
	uint64_t closed_eof;		/* connections the peer closed */
	uint64_t dropped[X2X3_E_COUNT];	/* connections we dropped, by reason */
};

/* Binds, listens and registers with loop.  NULL and *err (X2X3_E_CONFIG, X2X3_E_SOCKET with
 * errno set, X2X3_E_NOMEM) on failure. */
struct x2x3_receiver *x2x3_receiver_new(struct ev_loop *loop,
					const struct x2x3_receiver_config *cfg, enum x2x3_err *err);
/* Closes the listener and every connection (no callbacks). */
void x2x3_receiver_free(struct x2x3_receiver *);
/* The bound port (useful with port 0). */
uint16_t x2x3_receiver_port(const struct x2x3_receiver *);
void x2x3_receiver_stats(const struct x2x3_receiver *, struct x2x3_receiver_stats *out);

#endif
