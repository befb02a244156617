/*
 * LEMF listeners and connections (contract in lemf_server.h).  The shape follows the X2/X3
 * receiver (src/x2x3/x2x3_receiver.c): accept, non-blocking TLS handshake, a bounded number of
 * reads per readiness callback, one sweep timer for handshake and idle timeouts.  What is
 * LEMF-specific: the CN check against tls.peers, the PS-PDU stream handler feeding the store,
 * and keep-alive responses held back until the store has committed what came before them.
 */
#include "lemf/lemf_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define SWEEP_MS	250
#define ACCEPTS_PER_CB	32
#define READ_ROUNDS	16	/* reads per readiness callback: fairness between MDFs */
#define RESP_MAX	256	/* one encoded keep-alive response (PSHeader <= ~110 octets) */
#define BAD_LOG_FIRST	10	/* refused PDUs logged one by one per connection, then 1/1000 */

enum cstate { C_HANDSHAKE, C_UP };

struct llistener {
	struct lemf_server *srv;
	int fd;
	uint16_t port;
	char name[LEMF_NAME_MAX];
	struct lemf_listener_stats st;
};

struct lconn {
	struct lconn *next, *prev;
	struct lemf_server *srv;
	struct llistener *l;
	int fd;
	enum cstate state;
	struct tls_conn *conn;
	int want_write;
	uint64_t id;
	uint64_t since, last_rx;
	char cn[LEMF_PEER_MAX];
	char addr[INET6_ADDRSTRLEN];
	uint16_t port;
	struct lemf_rx rx;
	int rx_init;
	uint8_t held[LEMF_HELD_MAX * RESP_MAX];	/* responses waiting for a commit */
	size_t held_len;
	unsigned held_n;
	uint8_t out[LEMF_HELD_MAX * RESP_MAX];	/* responses being written */
	size_t out_len;
	uint64_t n_new, n_dup, n_bad;
	int stop_limit;			/* the store refused a PDU on a limit */
};

struct lemf_server {
	struct ev_loop *loop;
	const struct lemf_config *cfg;
	struct tls_ctx *tls;
	struct lemf_store *store;
	struct llistener l[LEMF_MAX_LISTEN];
	size_t nl;
	struct lconn *conns;
	size_t active;
	uint64_t next_id;
	uint64_t t_sweep;
	uint64_t last_commit;
	int want_commit;		/* a connection holds keep-alive responses */
	int broken;			/* the store failed: stop acknowledging, stop */
};

static void conn_cb(struct ev_loop *, int, int, void *);

static void
now_real(int64_t *sec, uint32_t *usec)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = ts.tv_sec;
	*usec = (uint32_t)(ts.tv_nsec / 1000);
}

/* ------------------------------------------------------------------ connections */

static void
conn_free(struct lconn *c)
{
	struct lemf_server *srv = c->srv;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ev_fd_del(srv->loop, c->fd);
	close(c->fd);
	tls_conn_free(c->conn);
	if (c->rx_init)
		lemf_rx_cleanup(&c->rx);
	srv->active--;
	free(c);
}

/* Closes c; *counter (may be NULL) is the reason's counter. */
static void
conn_close(struct lconn *c, uint64_t *counter, const char *why, const char *detail)
{
	if (counter != NULL)
		(*counter)++;
	if (c->state == C_UP && counter == &c->l->st.closed)
		log_info("%s: connection %" PRIu64 " (%s) closed: %s; %" PRIu64 " PDUs stored, %"
			 PRIu64 " duplicates, %" PRIu64 " refused", c->l->name, c->id, c->cn, why,
			 c->n_new, c->n_dup, c->n_bad);
	else if (c->state == C_UP)
		log_warnx("%s: connection %" PRIu64 " (%s) dropped: %s%s%s; %" PRIu64 " PDUs stored, %"
			  PRIu64 " duplicates, %" PRIu64 " refused", c->l->name, c->id, c->cn, why,
			  detail && *detail ? ": " : "", detail ? detail : "", c->n_new, c->n_dup,
			  c->n_bad);
	else
		log_warnx("%s: connection %" PRIu64 " from %s:%u refused: %s%s%s", c->l->name,
			  c->id, c->addr, c->port, why, detail && *detail ? ": " : "",
			  detail ? detail : "");
	conn_free(c);
}

static int
conn_events(struct lconn *c)
{
	int ev;

	if (c->state == C_HANDSHAKE)
		ev = c->want_write ? EV_WRITE : EV_READ;
	else
		ev = EV_READ | ((c->out_len > 0 || c->want_write) ? EV_WRITE : 0);
	if (ev_fd_set(c->srv->loop, c->fd, ev, conn_cb, c) != 0) {
		conn_close(c, &c->l->st.dropped_io, "event loop registration failed", NULL);
		return -1;
	}
	return 0;
}

static int
peer_allowed(const struct lemf_server *srv, const char *cn)
{
	for (size_t i = 0; i < srv->cfg->npeers; i++)
		if (strcmp(srv->cfg->peers[i], cn) == 0)
			return 1;
	return 0;
}

static void
conn_handshake(struct lconn *c)
{
	struct lemf_server *srv = c->srv;
	enum tls_io io = tls_conn_handshake(c->conn);

	c->want_write = io == TLS_IO_WANT_WRITE;
	if (io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE) {
		conn_events(c);
		return;
	}
	if (io != TLS_IO_OK) {
		conn_close(c, &c->l->st.tls_failed, "TLS handshake failed",
			   tls_conn_error(c->conn));
		return;
	}
	if (tls_conn_is_tls(c->conn)) {
		if (tls_conn_peer_cn(c->conn, c->cn, sizeof(c->cn)) != 0) {
			conn_close(c, &c->l->st.identity_refused, "client certificate has no CN",
				   NULL);
			return;
		}
		if (!peer_allowed(srv, c->cn)) {
			char why[LEMF_PEER_MAX + 48];
			snprintf(why, sizeof(why), "certificate CN '%s' is not in tls.peers", c->cn);
			conn_close(c, &c->l->st.identity_refused, why, NULL);
			return;
		}
	} else {
		snprintf(c->cn, sizeof(c->cn), "plaintext %s:%u", c->addr, c->port);
	}
	lemf_rx_init(&c->rx, srv->cfg->max_pdu, &c->l->st.rx);
	c->rx_init = 1;
	c->state = C_UP;
	c->last_rx = ev_now_ms();
	c->l->st.up++;
	log_info("%s: connection %" PRIu64 " from %s:%u, peer %s, %s", c->l->name, c->id,
		 c->addr, c->port, c->cn, tls_conn_version(c->conn));
	conn_events(c);
}

/* A PDU skipped on this connection: counted, its bytes kept, logged (rate-limited). */
static void
refused(struct lconn *c, const char *why, const uint8_t *raw, size_t len)
{
	char saved[128];

	c->n_bad++;
	lemf_store_reject(c->srv->store, raw, len, saved, sizeof(saved));
	if (c->n_bad > BAD_LOG_FIRST && c->n_bad % 1000 != 0)
		return;
	log_warnx("%s: connection %" PRIu64 " (%s): PDU of %zu octets refused (%" PRIu64
		  " so far), skipped: %s%s%s", c->l->name, c->id, c->cn, len, c->n_bad, why,
		  saved[0] ? "; bytes kept in " : "", saved);
}

/* Moves c's held responses to its output buffer (their commit has happened); -1 if the
 * output buffer has no room: the peer does not read what we send. */
static int
release(struct lconn *c)
{
	if (c->held_n == 0)
		return 0;
	if (sizeof(c->out) - c->out_len < c->held_len) {
		log_warnx("%s: connection %" PRIu64 " (%s): peer does not read its keep-alive "
			  "responses", c->l->name, c->id, c->cn);
		return -1;
	}
	memcpy(c->out + c->out_len, c->held, c->held_len);
	c->out_len += c->held_len;
	c->l->st.responses += c->held_n;
	c->held_len = 0;
	c->held_n = 0;
	return 0;
}

/* A keep-alive: encode the response now, send it after the next commit. */
static int
on_keepalive(struct lconn *c, const struct hi2_pdu *pdu)
{
	struct hi2_pshdr h;
	struct ovt_builder b;
	struct hi2_diag d;
	enum hi2_err e;
	int64_t sec;
	uint32_t usec;

	c->l->st.keepalives++;
	if (c->held_n >= LEMF_HELD_MAX) {
		/* A burst of keep-alives within one read: commit now rather than hold more.
		 * The responses only move to the output buffer here; they are written when
		 * this connection's callback finishes reading. */
		if (lemf_store_commit(c->srv->store) != LEMF_OK) {
			c->srv->broken = 1;
			return -1;
		}
		c->srv->last_commit = ev_now_ms();
		if (release(c) != 0)
			return -1;
	}
	/* The response echoes the keep-alive's header so that the MDF can match the two
	 * (TS 102 232-1 keep-alive / keep-aliveResponse); the time is ours. */
	memset(&h, 0, sizeof(h));
	now_real(&sec, &usec);
	h.liid = pdu->liid;
	memcpy(h.auth_cc, pdu->auth_cc, sizeof(h.auth_cc));
	h.operator_id = pdu->operator_id;
	h.ne_id = pdu->ne_id;
	h.cin = pdu->has_cin ? pdu->cin : 0;
	memcpy(h.delivery_cc, pdu->delivery_cc, sizeof(h.delivery_cc));
	h.seq = pdu->seq;
	h.ts_sec = sec;
	h.ts_usec = usec;
	bld_init_fixed(&b, c->held + c->held_len, RESP_MAX);
	if ((e = hi2_encode_tri(&b, &h, HI2_TRI_KEEPALIVE_RESPONSE, &d)) != HI2_OK) {
		char t[160];
		hi2_diag_format(e, &d, t, sizeof(t));
		log_warnx("%s: connection %" PRIu64 " (%s): keep-alive response not encodable: %s",
			  c->l->name, c->id, c->cn, t);
		c->l->st.tri_other++;
		return 0;	/* the keep-alive's own header was odd; nothing to answer */
	}
	c->held_len += bld_len(&b);
	c->held_n++;
	c->srv->want_commit = 1;
	return 0;
}

static int
on_pdu(void *arg, struct hi2_pdu *pdu, const uint8_t *raw, size_t len)
{
	struct lconn *c = arg;
	struct lemf_listener_stats *st = &c->l->st;
	int64_t sec;
	uint32_t usec;

	if (pdu->kind == HI2_KIND_TRI) {
		if (pdu->tri == HI2_TRI_KEEPALIVE)
			return on_keepalive(c, pdu);
		st->tri_other++;
		return 0;
	}
	now_real(&sec, &usec);
	switch (lemf_store_put(c->srv->store, pdu, sec, usec)) {
	case LEMF_PUT_NEW:
		st->pdus_new++;
		c->n_new++;
		return 0;
	case LEMF_PUT_DUP:
		st->pdus_dup++;
		c->n_dup++;
		return 0;
	case LEMF_PUT_REFUSED:
		st->pdus_refused++;
		refused(c, "decoded, but its records exceed what the store writes", raw, len);
		return 0;
	case LEMF_PUT_LIMIT:
		/* Not written and not recorded: this connection must not be acknowledged
		 * again, so it is closed; the MDF keeps the PDU and retries. */
		c->stop_limit = 1;
		return -1;
	case LEMF_PUT_FAILED:
	default:
		c->srv->broken = 1;
		return -1;
	}
}

static void
on_bad(void *arg, enum hi2_err e, const struct hi2_diag *d, const uint8_t *raw, size_t len)
{
	char diag[200];

	hi2_diag_format(e, d, diag, sizeof(diag));
	refused(arg, diag, raw, len);
}

static const struct lemf_rx_ops rx_ops = {on_pdu, on_bad};

/* Reads and handles what is available; returns -1 if the connection was closed. */
static int
conn_read(struct lconn *c)
{
	struct lemf_listener_stats *st = &c->l->st;

	for (int round = 0; round < READ_ROUNDS || tls_conn_pending(c->conn) > 0; round++) {
		uint8_t *p;
		size_t n, got;
		enum tls_io io;
		enum lemf_rx_res r;

		if (lemf_rx_space(&c->rx, &p, &n) != 0) {
			conn_close(c, &st->dropped_io, "out of memory for the receive buffer", NULL);
			return -1;
		}
		io = tls_conn_read(c->conn, p, n, &got);
		if (io == TLS_IO_WANT_READ)
			return 0;
		if (io == TLS_IO_WANT_WRITE) {
			c->want_write = 1;
			return 0;
		}
		if (io == TLS_IO_EOF) {
			if (lemf_rx_buffered(&c->rx) > 0)
				conn_close(c, &st->cut, "peer closed inside a PDU", NULL);
			else
				conn_close(c, &st->closed, "peer closed", NULL);
			return -1;
		}
		if (io != TLS_IO_OK) {
			conn_close(c, &st->dropped_io, "read failed", tls_conn_error(c->conn));
			return -1;
		}
		c->last_rx = ev_now_ms();
		r = lemf_rx_commit(&c->rx, got, &rx_ops, c);
		if (r == LEMF_RX_OK)
			continue;
		if (r == LEMF_RX_FRAMING) {
			char diag[200];
			hi2_diag_format(c->rx.err, &c->rx.diag, diag, sizeof(diag));
			conn_close(c, &st->dropped_framing, "PDU boundary lost", diag);
		} else if (c->srv->broken) {
			conn_close(c, NULL, "output store failed", lemf_store_error(c->srv->store));
		} else if (c->stop_limit) {
			conn_close(c, &st->dropped_limit, "a limit of the output store was reached "
				   "(limits.liids/streams/ranges)", NULL);
		} else {
			conn_close(c, &st->dropped_backlog, "keep-alive backlog", NULL);
		}
		return -1;
	}
	return 0;
}

static int
conn_write(struct lconn *c)
{
	c->want_write = 0;
	while (c->out_len > 0) {
		size_t done;
		enum tls_io io = tls_conn_write(c->conn, c->out, c->out_len, &done);
		if (io == TLS_IO_WANT_WRITE) {
			c->want_write = 1;
			return 0;
		}
		if (io == TLS_IO_WANT_READ)
			return 0;
		if (io != TLS_IO_OK) {
			conn_close(c, &c->l->st.dropped_io, "write failed", tls_conn_error(c->conn));
			return -1;
		}
		memmove(c->out, c->out + done, c->out_len - done);
		c->out_len -= done;
	}
	return 0;
}

static void
conn_cb(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct lconn *c = arg;

	if (c->state == C_HANDSHAKE) {
		conn_handshake(c);
		return;
	}
	if (conn_read(c) != 0 || conn_write(c) != 0)
		return;
	conn_events(c);
}

/* ------------------------------------------------------------------ listeners */

static void
accept_one(struct llistener *l, int fd, const struct sockaddr_storage *ss)
{
	struct lemf_server *srv = l->srv;
	struct lconn *c;
	char addr[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in4->sin_addr, addr, sizeof(addr));
		port = ntohs(in4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
		port = ntohs(in6->sin6_port);
	}
	if (srv->active >= srv->cfg->max_conns || (c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		l->st.refused_limit++;
		log_warnx("%s: connection from %s:%u refused: connection limit (%u) reached",
			  l->name, addr, port, srv->cfg->max_conns);
		return;
	}
	c->srv = srv;
	c->l = l;
	c->fd = fd;
	c->since = ev_now_ms();
	c->id = ++srv->next_id;
	c->port = port;
	memcpy(c->addr, addr, sizeof(addr));
	c->conn = srv->tls != NULL ? tls_conn_new(srv->tls, fd, NULL) : tls_conn_new_plain(fd);
	if (c->conn == NULL) {
		close(fd);
		free(c);
		l->st.refused_limit++;
		return;
	}
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->active++;
	l->st.accepted++;
	conn_handshake(c);
}

static void
listen_cb(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct llistener *l = arg;

	for (int i = 0; i < ACCEPTS_PER_CB; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;	/* EAGAIN, or transient (EMFILE, ECONNABORTED): retry later */
		accept_one(l, cfd, &ss);
	}
}

static void
sweep_cb(struct ev_loop *loop, void *arg)
{
	struct lemf_server *srv = arg;
	uint64_t now = ev_now_ms();
	struct lconn *c, *next;

	srv->t_sweep = ev_timer_add(loop, SWEEP_MS, sweep_cb, srv);
	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state == C_HANDSHAKE && now - c->since >= srv->cfg->handshake_timeout_ms)
			conn_close(c, &c->l->st.tls_failed, "handshake timeout", NULL);
		else if (c->state == C_UP && srv->cfg->idle_timeout_ms != 0 &&
			 now - c->last_rx >= srv->cfg->idle_timeout_ms)
			conn_close(c, &c->l->st.dropped_timeout, "idle timeout", NULL);
	}
}

static int
make_listener(struct llistener *l, const struct lemf_listen *cfg, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, cfg->host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(cfg->port);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, cfg->host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(cfg->port);
		len = sizeof(*in6);
	} else {
		snprintf(err, errlen, "listen %s: '%s' is not an IP address", cfg->name, cfg->host);
		return -1;
	}
	if ((l->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto syserr;
	/* A restarted LEMF rebinds while the old connections sit in TIME_WAIT. */
	(void)setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l->fd, (struct sockaddr *)&ss, len) != 0 || listen(l->fd, 64) != 0)
		goto syserr;
	len = sizeof(ss);
	if (getsockname(l->fd, (struct sockaddr *)&ss, &len) != 0)
		goto syserr;
	l->port = ntohs(ss.ss_family == AF_INET ? in4->sin_port : in6->sin6_port);
	snprintf(l->name, sizeof(l->name), "%s", cfg->name);
	return 0;
syserr:
	snprintf(err, errlen, "listen %s (%s port %u): %s", cfg->name, cfg->host, cfg->port,
		 strerror(errno));
	return -1;
}

struct lemf_server *
lemf_server_new(struct ev_loop *loop, const struct lemf_config *cfg, struct tls_ctx *tls,
		struct lemf_store *store, char *err, size_t errlen)
{
	struct lemf_server *srv;

	if ((tls == NULL) != (cfg->insecure_plaintext != 0) || cfg->nlisten == 0) {
		snprintf(err, errlen, "server: TLS context and insecure_plaintext disagree");
		return NULL;
	}
	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		snprintf(err, errlen, "server: out of memory");
		return NULL;
	}
	srv->loop = loop;
	srv->cfg = cfg;
	srv->tls = tls;
	srv->store = store;
	srv->last_commit = ev_now_ms();
	for (size_t i = 0; i < LEMF_MAX_LISTEN; i++)
		srv->l[i].fd = -1;
	for (size_t i = 0; i < cfg->nlisten; i++) {
		srv->l[i].srv = srv;
		if (make_listener(&srv->l[i], &cfg->listen[i], err, errlen) != 0)
			goto fail;
		srv->nl++;
		if (ev_fd_set(loop, srv->l[i].fd, EV_READ, listen_cb, &srv->l[i]) != 0) {
			snprintf(err, errlen, "server: event loop registration failed");
			goto fail;
		}
	}
	if ((srv->t_sweep = ev_timer_add(loop, SWEEP_MS, sweep_cb, srv)) == 0) {
		snprintf(err, errlen, "server: timer");
		goto fail;
	}
	return srv;
fail:
	lemf_server_free(srv);
	return NULL;
}

void
lemf_server_free(struct lemf_server *srv)
{
	if (srv == NULL)
		return;
	while (srv->conns != NULL)
		conn_free(srv->conns);
	if (srv->t_sweep != 0)
		ev_timer_del(srv->loop, srv->t_sweep);
	for (size_t i = 0; i < LEMF_MAX_LISTEN; i++)
		if (srv->l[i].fd >= 0) {
			ev_fd_del(srv->loop, srv->l[i].fd);
			close(srv->l[i].fd);
		}
	free(srv);
}

int
lemf_server_tick(struct lemf_server *srv)
{
	uint64_t now = ev_now_ms();
	uint64_t pending;

	if (srv->broken)
		return -1;
	pending = lemf_store_pending(srv->store);
	if (!srv->want_commit && now - srv->last_commit < srv->cfg->commit_ms &&
	    pending < srv->cfg->commit_pdus)
		return 0;
	/* The commit point: after this, every PDU handled so far is on disk and recorded, so
	 * every held response may go out. */
	if (lemf_store_commit(srv->store) != LEMF_OK) {
		srv->broken = 1;
		return -1;
	}
	srv->last_commit = now;
	if (!srv->want_commit)
		return 0;
	srv->want_commit = 0;
	for (struct lconn *c = srv->conns, *next; c != NULL; c = next) {
		next = c->next;
		if (c->held_n == 0)
			continue;
		if (release(c) != 0) {
			conn_close(c, &c->l->st.dropped_backlog, "keep-alive backlog", NULL);
			continue;
		}
		if (conn_write(c) == 0)
			conn_events(c);
	}
	return 0;
}

size_t
lemf_server_nlisteners(const struct lemf_server *srv)
{
	return srv->nl;
}

uint16_t
lemf_server_port(const struct lemf_server *srv, size_t idx)
{
	return idx < srv->nl ? srv->l[idx].port : 0;
}

const char *
lemf_server_name(const struct lemf_server *srv, size_t idx)
{
	return idx < srv->nl ? srv->l[idx].name : "";
}

const struct lemf_listener_stats *
lemf_server_stats(const struct lemf_server *srv, size_t idx)
{
	return idx < srv->nl ? &srv->l[idx].st : NULL;
}

size_t
lemf_server_active(const struct lemf_server *srv)
{
	return srv->active;
}
