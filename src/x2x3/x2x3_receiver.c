/*
 * X2/X3 receiver: listener, per-connection TLS + framer + validation, keepalive acks (contract
 * in x2x3_receiver.h).  One sweep timer per receiver enforces handshake and idle timeouts, so
 * the cost of a timeout does not grow with reads.  A connection that misbehaves is closed by
 * conn_drop() with a reason; the loop never touches it again after that.
 */
#include "x2x3/x2x3_receiver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SWEEP_MS	 250
#define ACCEPTS_PER_CB	 32	/* accept(2) calls per readiness callback */
#define READ_ROUNDS	 16	/* reads per readiness callback (fairness between POIs) */

enum cstate { C_HANDSHAKE, C_UP };

struct rconn {
	struct rconn *next, *prev;
	struct x2x3_receiver *r;
	int fd;
	enum cstate state;
	struct tls_conn *conn;
	int want_write;
	uint64_t since;		/* accept time (handshake timeout) */
	uint64_t last_rx;	/* idle timeout */
	struct x2x3_framer fr;
	struct x2x3_peer peer;
	uint8_t out[X2X3_RX_MAX_ACKS * X2X3_KEEPALIVE_LEN];
	size_t out_len;
	uint32_t pend[X2X3_RX_MAX_ACKS];	/* defer_acks: keepalives awaiting the application */
	size_t pend_n;
};

struct x2x3_receiver {
	struct ev_loop *loop;
	struct x2x3_receiver_config cfg;
	int lfd;
	uint16_t port;
	struct rconn *conns;
	uint64_t next_id;
	uint64_t t_sweep;
	struct x2x3_receiver_stats st;
};

static void conn_cb(struct ev_loop *, int, int, void *);

/* ------------------------------------------------------------------ connections */

static void
conn_free(struct rconn *c)
{
	struct x2x3_receiver *r = c->r;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		r->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ev_fd_del(r->loop, c->fd);
	close(c->fd);
	tls_conn_free(c->conn);
	x2x3_framer_cleanup(&c->fr);
	r->st.active--;
	r->st.acks_pending -= c->pend_n;
	free(c);
}

static void
conn_drop(struct rconn *c, enum x2x3_err reason, const char *detail)
{
	struct x2x3_receiver *r = c->r;
	if (reason == X2X3_E_EOF)
		r->st.closed_eof++;
	else
		r->st.dropped[reason]++;
	if (r->cfg.on_conn != NULL)
		r->cfg.on_conn(r->cfg.arg, &c->peer, X2X3_CONN_CLOSED, reason, detail ? detail : "");
	conn_free(c);
}

static int
conn_events(struct rconn *c)
{
	int ev;
	if (c->state == C_HANDSHAKE)
		ev = c->want_write ? EV_WRITE : EV_READ;
	else
		ev = EV_READ | ((c->out_len > 0 || c->want_write) ? EV_WRITE : 0);
	if (ev_fd_set(c->r->loop, c->fd, ev, conn_cb, c) != 0) {
		conn_drop(c, X2X3_E_NOMEM, "event loop registration failed");
		return -1;
	}
	return 0;
}

static void
conn_handshake(struct rconn *c)
{
	struct x2x3_receiver *r = c->r;
	enum tls_io io = tls_conn_handshake(c->conn);

	c->want_write = io == TLS_IO_WANT_WRITE;
	if (io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE) {
		conn_events(c);
		return;
	}
	if (io != TLS_IO_OK) {
		conn_drop(c, X2X3_E_TLS, tls_conn_error(c->conn));
		return;
	}
	if (tls_conn_is_tls(c->conn) &&
	    tls_conn_peer_cn(c->conn, c->peer.cn, sizeof(c->peer.cn)) != 0) {
		/* Verified chain but no usable CN: we could not say who sent the PDUs. */
		conn_drop(c, X2X3_E_TLS, "client certificate has no usable CN");
		return;
	}
	if (r->cfg.accept_peer != NULL && r->cfg.accept_peer(r->cfg.arg, &c->peer) != 0) {
		conn_drop(c, X2X3_E_PEER_REFUSED, "peer not accepted");
		return;
	}
	c->state = C_UP;
	c->last_rx = ev_now_ms();
	r->st.up++;
	if (conn_events(c) != 0)
		return;
	if (r->cfg.on_conn != NULL)
		r->cfg.on_conn(r->cfg.arg, &c->peer, X2X3_CONN_UP, X2X3_OK,
			       tls_conn_version(c->conn));
}

/* Appends the ack of keepalive seq to the connection's output (room checked by the caller). */
static int
put_ack(struct rconn *c, uint32_t seq)
{
	struct x2x3_pdu ack;
	struct ovt_builder b;

	x2x3_pdu_keepalive(&ack, 1, seq, c->r->cfg.version);
	bld_init_fixed(&b, c->out + c->out_len, sizeof(c->out) - c->out_len);
	if (x2x3_pdu_encode(&ack, &b) != X2X3_OK)
		return -1;
	c->out_len += bld_len(&b);
	c->r->st.acks_sent++;
	return 0;
}

/* Handles one framed PDU; returns -1 if the connection was dropped. */
static int
conn_pdu(struct rconn *c, struct ovt_cursor raw)
{
	struct x2x3_receiver *r = c->r;
	struct x2x3_pdu pdu;
	enum x2x3_err e = x2x3_pdu_decode(raw, r->cfg.max_pdu, &pdu);

	if (e != X2X3_OK) {
		conn_drop(c, e, x2x3_strerror(e));
		return -1;
	}
	if (pdu.type == X2X3_TYPE_KEEPALIVE_ACK) {
		/* We never send keepalives on this side. */
		conn_drop(c, X2X3_E_UNEXPECTED, "keepalive acknowledgement from a POI");
		return -1;
	}
	if (pdu.type == X2X3_TYPE_KEEPALIVE) {
		/* Every keepalive takes an ack slot until its ack is written: pending ones and
		 * unwritten acks together stay within the out buffer, so acking never fails. */
		if (c->pend_n + c->out_len / X2X3_KEEPALIVE_LEN >= X2X3_RX_MAX_ACKS) {
			conn_drop(c, X2X3_E_BACKLOG, "peer does not read keepalive acks");
			return -1;
		}
		if (r->cfg.defer_acks) {
			c->pend[c->pend_n++] = pdu.seq;
			r->st.acks_pending++;
		} else if (put_ack(c, pdu.seq) != 0) {
			conn_drop(c, X2X3_E_ENCODE, "ack");
			return -1;
		}
	}
	r->st.pdus[pdu.type]++;
	r->st.bytes += cur_len(&raw);
	if (r->cfg.on_pdu != NULL)
		r->cfg.on_pdu(r->cfg.arg, &c->peer, &pdu, raw);
	return 0;
}

static int
conn_read(struct rconn *c)
{
	for (int round = 0; round < READ_ROUNDS || tls_conn_pending(c->conn) > 0; round++) {
		uint8_t *p;
		size_t n, got;
		struct ovt_cursor raw;
		enum x2x3_err e;
		int rr;

		x2x3_framer_space(&c->fr, &p, &n);
		if (n == 0) {
			/* Only after an allocation failure in the framer. */
			x2x3_framer_next(&c->fr, &raw, &e);
			conn_drop(c, X2X3_E_NOMEM, "receive buffer");
			return -1;
		}
		enum tls_io io = tls_conn_read(c->conn, p, n, &got);
		if (io == TLS_IO_WANT_READ)
			return 0;
		if (io == TLS_IO_WANT_WRITE) {
			c->want_write = 1;
			return 0;
		}
		if (io == TLS_IO_EOF) {
			/* A PDU cut off by the close is a truncation, not an orderly end. */
			if (x2x3_framer_buffered(&c->fr) > 0)
				conn_drop(c, X2X3_E_SHORT, "connection closed inside a PDU");
			else
				conn_drop(c, X2X3_E_EOF, "peer closed");
			return -1;
		}
		if (io != TLS_IO_OK) {
			conn_drop(c, tls_conn_is_tls(c->conn) ? X2X3_E_TLS : X2X3_E_IO,
				  tls_conn_error(c->conn));
			return -1;
		}
		c->last_rx = ev_now_ms();
		x2x3_framer_commit(&c->fr, got);
		while ((rr = x2x3_framer_next(&c->fr, &raw, &e)) == 1)
			if (conn_pdu(c, raw) != 0)
				return -1;
		if (rr < 0) {
			conn_drop(c, e, x2x3_strerror(e));
			return -1;
		}
	}
	return 0;
}

static int
conn_write(struct rconn *c)
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
			conn_drop(c, tls_conn_is_tls(c->conn) ? X2X3_E_TLS : X2X3_E_IO,
				  tls_conn_error(c->conn));
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
	struct rconn *c = arg;
	if (c->state == C_HANDSHAKE) {
		conn_handshake(c);
		return;
	}
	if (conn_read(c) != 0 || conn_write(c) != 0)
		return;
	conn_events(c);
}

/* ------------------------------------------------------------------ listener */

static void
peer_addr(struct x2x3_peer *p, const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in4->sin_addr, p->addr, sizeof(p->addr));
		p->port = ntohs(in4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, p->addr, sizeof(p->addr));
		p->port = ntohs(in6->sin6_port);
	}
}

static void
accept_one(struct x2x3_receiver *r, int fd, const struct sockaddr_storage *ss)
{
	struct rconn *c;

	if (r->st.active >= r->cfg.max_conns) {
		struct x2x3_peer p;
		memset(&p, 0, sizeof(p));
		peer_addr(&p, ss);
		close(fd);
		r->st.refused_limit++;
		if (r->cfg.on_conn != NULL)
			r->cfg.on_conn(r->cfg.arg, &p, X2X3_CONN_REFUSED, X2X3_E_CONFIG,
				       "connection limit reached");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		r->st.dropped[X2X3_E_NOMEM]++;
		return;
	}
	c->r = r;
	c->fd = fd;
	c->since = ev_now_ms();
	c->peer.id = ++r->next_id;
	c->peer.tls = !r->cfg.insecure_plaintext;
	peer_addr(&c->peer, ss);
	c->conn = r->cfg.insecure_plaintext ? tls_conn_new_plain(fd) : tls_conn_new(r->cfg.tls, fd, NULL);
	if (c->conn == NULL || x2x3_framer_init(&c->fr, r->cfg.max_pdu) != X2X3_OK) {
		tls_conn_free(c->conn);
		x2x3_framer_cleanup(&c->fr);
		close(fd);
		free(c);
		r->st.dropped[X2X3_E_NOMEM]++;
		return;
	}
	c->next = r->conns;
	if (r->conns != NULL)
		r->conns->prev = c;
	r->conns = c;
	r->st.accepted++;
	r->st.active++;
	conn_handshake(c);
}

static void
listen_cb(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct x2x3_receiver *r = arg;
	for (int i = 0; i < ACCEPTS_PER_CB; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;	/* EAGAIN, or a transient error (EMFILE, ECONNABORTED): retry later */
		accept_one(r, cfd, &ss);
	}
}

static void
sweep_cb(struct ev_loop *loop, void *arg)
{
	struct x2x3_receiver *r = arg;
	uint64_t now = ev_now_ms();
	struct rconn *c = r->conns, *next;

	r->t_sweep = ev_timer_add(loop, SWEEP_MS, sweep_cb, r);
	for (; c != NULL; c = next) {
		next = c->next;
		if (c->state == C_HANDSHAKE && now - c->since >= r->cfg.handshake_timeout_ms)
			conn_drop(c, X2X3_E_TIMEOUT, "handshake timeout");
		else if (c->state == C_UP && r->cfg.idle_timeout_ms != X2X3_RX_TIMEOUT_OFF &&
			 now - c->last_rx >= r->cfg.idle_timeout_ms)
			conn_drop(c, X2X3_E_TIMEOUT, "idle timeout");
	}
}

static int
make_listener(struct x2x3_receiver *r)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, r->cfg.bind_addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(r->cfg.port);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, r->cfg.bind_addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(r->cfg.port);
		len = sizeof(*in6);
	} else {
		errno = EINVAL;
		return -1;
	}
	r->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->lfd < 0)
		return -1;
	/* Restarting receivers (tests, MDF restarts) rebind while old sockets sit in TIME_WAIT. */
	(void)setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(r->lfd, (struct sockaddr *)&ss, len) != 0 || listen(r->lfd, 64) != 0)
		return -1;
	len = sizeof(ss);
	if (getsockname(r->lfd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	r->port = ntohs(ss.ss_family == AF_INET ? in4->sin_port : in6->sin6_port);
	return 0;
}

struct x2x3_receiver *
x2x3_receiver_new(struct ev_loop *loop, const struct x2x3_receiver_config *cfg,
		  enum x2x3_err *err)
{
	struct x2x3_receiver *r;

	*err = X2X3_E_CONFIG;
	if (cfg->bind_addr == NULL || (cfg->insecure_plaintext != 0) == (cfg->tls != NULL))
		return NULL;
	*err = X2X3_E_NOMEM;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->loop = loop;
	r->lfd = -1;
	r->cfg = *cfg;
	if (r->cfg.max_pdu == 0)
		r->cfg.max_pdu = X2X3_MAX_PDU_DEFAULT;
	if (r->cfg.max_conns == 0)
		r->cfg.max_conns = X2X3_RX_MAX_CONNS_DEFAULT;
	if (r->cfg.handshake_timeout_ms == 0)
		r->cfg.handshake_timeout_ms = X2X3_RX_HANDSHAKE_TIMEOUT_DEFAULT_MS;
	if (r->cfg.idle_timeout_ms == 0)
		r->cfg.idle_timeout_ms = X2X3_RX_IDLE_TIMEOUT_DEFAULT_MS;
	if (r->cfg.version == 0)
		r->cfg.version = X2X3_VERSION_DEFAULT;
	*err = X2X3_E_CONFIG;
	if (r->cfg.max_pdu < X2X3_MIN_PDU_LIMIT || r->cfg.max_pdu > X2X3_MAX_PDU_LIMIT)
		goto fail;
	*err = X2X3_E_SOCKET;
	if (make_listener(r) != 0)
		goto fail;
	r->cfg.bind_addr = NULL;	/* borrowed: only used to bind */
	*err = X2X3_E_NOMEM;
	if (ev_fd_set(loop, r->lfd, EV_READ, listen_cb, r) != 0 ||
	    (r->t_sweep = ev_timer_add(loop, SWEEP_MS, sweep_cb, r)) == 0)
		goto fail;
	*err = X2X3_OK;
	return r;
fail:
	if (r->lfd >= 0) {
		int saved = errno;
		ev_fd_del(loop, r->lfd);
		close(r->lfd);
		errno = saved;
	}
	free(r);
	return NULL;
}

void
x2x3_receiver_free(struct x2x3_receiver *r)
{
	if (r == NULL)
		return;
	while (r->conns != NULL)
		conn_free(r->conns);
	if (r->t_sweep != 0)
		ev_timer_del(r->loop, r->t_sweep);
	ev_fd_del(r->loop, r->lfd);
	close(r->lfd);
	free(r);
}

enum x2x3_err
x2x3_receiver_ack(struct x2x3_receiver *r, uint64_t conn_id, uint32_t seq)
{
	struct rconn *c;
	size_t i;

	for (c = r->conns; c != NULL; c = c->next)
		if (c->peer.id == conn_id)
			break;
	if (c == NULL) {
		r->st.acks_refused++;
		return X2X3_E_NO_CONN;
	}
	for (i = 0; i < c->pend_n; i++)
		if (c->pend[i] == seq)
			break;
	if (i == c->pend_n) {
		r->st.acks_refused++;
		return X2X3_E_NOT_PENDING;
	}
	/* Room: conn_pdu admitted each pending keepalive only with an ack slot free for it, so
	 * put_ack (a fixed-size PDU) cannot fail here; if it ever did, the rest stay pending. */
	size_t done = 0;
	while (done <= i && put_ack(c, c->pend[done]) == 0)
		done++;
	memmove(c->pend, c->pend + done, (c->pend_n - done) * sizeof(c->pend[0]));
	c->pend_n -= done;
	r->st.acks_pending -= done;
	/* Only the interest changes here (an existing registration: ev_fd_set cannot fail);
	 * the loop writes, so nothing is freed under a caller inside on_pdu. */
	(void)ev_fd_set(r->loop, c->fd, EV_READ | EV_WRITE, conn_cb, c);
	return done > i ? X2X3_OK : X2X3_E_ENCODE;
}

uint16_t
x2x3_receiver_port(const struct x2x3_receiver *r)
{
	return r->port;
}

void
x2x3_receiver_stats(const struct x2x3_receiver *r, struct x2x3_receiver_stats *out)
{
	*out = r->st;
}
