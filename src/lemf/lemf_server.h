/*
 * The LEMF's network engine (process code: it logs through common/log.h): TLS listeners, one
 * per configured address, and the MDF connections on the caller's event loop.  Each connection
 * runs a lemf_rx stream handler whose PDUs go to the store (lemf_store_put); refused PDUs are
 * logged with their hi2 diagnostic (rate-limited per connection), counted and kept under
 * DIR/rejected/.  Every kind of PDU is accepted on every listener; counters are per listener,
 * so an agency with separate HI2 and HI3 ports sees what arrived where.
 *
 * Keep-alive (TS 102 232-1 TRIPayload keep-alive [3]): the response (keep-aliveResponse [4],
 * echoing the keep-alive's LIID, CIN and sequence number) is held until a store commit that
 * covers every PDU received on that connection before the keep-alive has returned, i.e. until
 * they are fsync'd and recorded; lemf_server_tick() runs the commit and releases the held
 * responses.  The MDF treats the response as its delivery acknowledgement (docs/lemf.md).
 *
 * Identity: with TLS, a client must present a certificate chaining to the CA (tls.h) whose CN
 * is one of cfg->peers; others are dropped after the handshake (counted, CN logged).  Target
 * identities and intercepted data are never logged.
 *
 * Memory per connection: ~33 KiB (2 x LEMF_HELD_MAX encoded responses) + the lemf_rx buffer
 * (<= max_pdu, allocated after the handshake) + OpenSSL's state.  At most cfg->max_conns connections; more are closed at once.
 * Thread safety: one server, on its loop's thread.
 */
#ifndef OVERT_LEMF_LEMF_SERVER_H
#define OVERT_LEMF_LEMF_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "common/ev.h"
#include "lemf/lemf_config.h"
#include "lemf/lemf_rx.h"
#include "lemf/lemf_store.h"
#include "tls/tls.h"

#define LEMF_HELD_MAX	64	/* keep-alive responses held per connection; more in one read
				 * burst make the server commit at once */

struct lemf_listener_stats {
	uint64_t accepted;		/* TCP connections accepted */
	uint64_t refused_limit;		/* closed at once: max_conns reached */
	uint64_t tls_failed;		/* handshake failures (no/foreign certificate...) */
	uint64_t identity_refused;	/* verified certificate, CN not in tls.peers */
	uint64_t up;			/* connections that got through */
	uint64_t closed;		/* closed by the peer at a PDU boundary */
	uint64_t cut;			/* closed by the peer inside a PDU */
	uint64_t dropped_framing;	/* outer header unusable (framing, oversized) */
	uint64_t dropped_limit;		/* a store limit refused a PDU */
	uint64_t dropped_timeout;
	uint64_t dropped_io;		/* TLS/socket errors after the handshake */
	uint64_t dropped_backlog;	/* peer does not read its keep-alive responses */
	uint64_t pdus_new, pdus_dup;	/* IRI/CC PDUs stored / dropped as duplicates */
	uint64_t pdus_refused;		/* decoded but not storable (lemf_store_put REFUSED) */
	uint64_t keepalives;		/* keep-alives received */
	uint64_t responses;		/* keep-alive responses sent (after their commit) */
	uint64_t tri_other;		/* other TRI PDUs (ignored) */
	struct lemf_rx_stats rx;	/* octets, PDUs by kind, refusals by reason */
};

struct lemf_server;

/* Binds every cfg->listen address and registers with loop.  tls: a TLS_SERVER context,
 * borrowed (NULL iff cfg->insecure_plaintext).  store: borrowed.  NULL with a message on
 * failure. */
struct lemf_server *lemf_server_new(struct ev_loop *loop, const struct lemf_config *cfg,
				    struct tls_ctx *tls, struct lemf_store *store, char *err,
				    size_t errlen);
/* Closes every connection (held responses are discarded: their PDUs were not acknowledged,
 * so the MDF resends them and duplicates are dropped) and every listener. */
void lemf_server_free(struct lemf_server *srv);
/* Call once per loop iteration (before_wait): commits when a keep-alive waits or when
 * commit_interval_ms / commit_pdus say so, then releases the held responses.  Returns 0, or
 * -1 when the store is broken (the process must stop without acknowledging anything). */
int lemf_server_tick(struct lemf_server *srv);
size_t lemf_server_nlisteners(const struct lemf_server *srv);
uint16_t lemf_server_port(const struct lemf_server *srv, size_t idx);
const char *lemf_server_name(const struct lemf_server *srv, size_t idx);
const struct lemf_listener_stats *lemf_server_stats(const struct lemf_server *srv, size_t idx);
/* Connections open now. */
size_t lemf_server_active(const struct lemf_server *srv);

#endif
