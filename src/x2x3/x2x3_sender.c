/*
 * X2/X3 sender: one destination's connection, queue, keepalives and reconnection (contract in
 * x2x3_sender.h).  States:
 *
 *   WAIT --backoff timer--> CONNECTING --writable, SO_ERROR 0--> HANDSHAKE --done--> UP
 *     ^                         |                                   |               |
 *     +------ fail(): close, rewind the queue's head record, schedule the next attempt
 *
 * The queue is a list of chunks holding encoded PDUs back to back (records never span chunks)
 * plus a ring of record lengths, so one write(2)/SSL_write can flush many PDUs and a broken
 * connection can restart at the head record's first octet.
 */
#include "x2x3/x2x3_sender.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

#define REC_CTRL	0x80000000u	/* record flag: keepalive or ack, not an X2/X3 PDU */
#define REC_KA		0x40000000u	/* record flag: our keepalive (its write starts the timer) */
#define REC_LEN(r)	((r) & ~(REC_CTRL | REC_KA))
#define WRITE_MAX	(256 * 1024)	/* octets offered per write call */
#define READ_ROUNDS	16		/* reads per readiness callback (fairness) */
#define ADDR_MAX	64

enum sstate { S_WAIT, S_CONNECTING, S_HANDSHAKE, S_UP };

struct qchunk {
	struct qchunk *next;
	size_t cap, rd, wr;
	uint8_t data[];
};

struct seq_slot {
	uint8_t xid[16];
	uint32_t next;
	uint8_t used;
};

struct x2x3_sender {
	struct ev_loop *loop;
	struct x2x3_dest_config cfg;	/* addr/tls_name point at the copies below */
	char addr[ADDR_MAX];
	char tls_name[256];
	struct sockaddr_storage sa;
	socklen_t salen;

	enum sstate state;
	int fd;
	struct tls_conn *conn;
	int want_write;			/* last TLS op asked for writability */
	uint64_t t_connect, t_retry, t_ka, t_ka_timeout;
	uint32_t backoff_ms;

	/* Queue. */
	struct qchunk *head, *tail, *spare;
	uint32_t *rec;			/* ring of record lengths (| REC_CTRL) */
	size_t rec_cap, rec_head, rec_n;
	size_t data_recs, ctrl_recs;	/* records by kind */
	size_t head_off;		/* octets of the head record written on this connection */
	size_t qbytes;

	/* Keepalives. */
	uint32_t ka_seq;
	int ka_queued;			/* our keepalive waits in the queue */
	int ka_outstanding;		/* written, ack not seen yet */
	uint32_t ka_wait_seq;
	uint32_t ka_queued_seq;

	struct x2x3_framer rx;

	/* Probe: after the TLS handshake a keepalive goes out first, and PDUs only follow its
	 * ack.  With TLS 1.3 the client finishes its handshake before the server has checked
	 * the client certificate; without the probe, PDUs written into a connection the server
	 * then refuses would be counted as sent and lost. */
	int confirmed;
	uint8_t probe[X2X3_KEEPALIVE_LEN];
	size_t probe_off;
	uint32_t probe_seq;

	struct seq_slot *seq;
	size_t seq_cap, seq_n;

	struct x2x3_sender_stats st;
};

static void sender_connect(struct x2x3_sender *);
static void keepalive_written(struct x2x3_sender *);
static void confirm(struct x2x3_sender *);
static void do_write(struct x2x3_sender *);
static void sender_fail(struct x2x3_sender *, enum x2x3_err, const char *);
static void on_fd(struct ev_loop *, int, int, void *);

/* ------------------------------------------------------------------ sequence table */

static size_t
xid_hash(const uint8_t xid[16])
{
	uint64_t h = 0;
	for (int i = 0; i < 16; i++)
		h = (h ^ xid[i]) * 0x100000001b3ull;	/* FNV-1a */
	return (size_t)h;
}

static struct seq_slot *
seq_find(struct x2x3_sender *s, const uint8_t xid[16], int *found)
{
	size_t mask = s->seq_cap - 1, i = xid_hash(xid) & mask;
	for (;;) {
		struct seq_slot *sl = &s->seq[i];
		if (!sl->used) {
			*found = 0;
			return sl;
		}
		if (memcmp(sl->xid, xid, 16) == 0) {
			*found = 1;
			return sl;
		}
		i = (i + 1) & mask;
	}
}

static int
seq_grow(struct x2x3_sender *s)
{
	size_t ncap = s->seq_cap * 2;
	struct seq_slot *old = s->seq, *n = calloc(ncap, sizeof(*n));
	size_t ocap = s->seq_cap;
	if (n == NULL)
		return -1;
	s->seq = n;
	s->seq_cap = ncap;
	for (size_t i = 0; i < ocap; i++) {
		if (old[i].used) {
			int found;
			*seq_find(s, old[i].xid, &found) = old[i];
		}
	}
	free(old);
	return 0;
}

/* Next sequence number for xid; X2X3_E_TOO_MANY_XIDS when the table is at max_xids. */
static enum x2x3_err
seq_next(struct x2x3_sender *s, const uint8_t xid[16], uint32_t *out)
{
	int found;
	struct seq_slot *sl = seq_find(s, xid, &found);
	if (!found) {
		if (s->seq_n >= s->cfg.max_xids)
			return X2X3_E_TOO_MANY_XIDS;
		/* Keep the load factor at or below 1/2 so probes stay short. */
		if ((s->seq_n + 1) * 2 > s->seq_cap) {
			if (seq_grow(s) != 0)
				return X2X3_E_NOMEM;
			sl = seq_find(s, xid, &found);
		}
		memcpy(sl->xid, xid, 16);
		sl->used = 1;
		sl->next = 0;
		s->seq_n++;
	}
	*out = sl->next++;
	return X2X3_OK;
}

void
x2x3_sender_forget_xid(struct x2x3_sender *s, const uint8_t xid[16])
{
	int found;
	struct seq_slot *sl = seq_find(s, xid, &found);
	if (!found)
		return;
	/* Backward-shift deletion keeps linear probing correct without tombstones. */
	size_t mask = s->seq_cap - 1, i = (size_t)(sl - s->seq), j = i;
	for (;;) {
		s->seq[i].used = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (!s->seq[j].used) {
				s->seq_n--;
				return;
			}
			size_t home = xid_hash(s->seq[j].xid) & mask;
			/* Move j into the hole at i unless its home lies cyclically in (i, j]. */
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		s->seq[i] = s->seq[j];
		i = j;
	}
}

/* ------------------------------------------------------------------ queue */

static struct qchunk *
chunk_get(struct x2x3_sender *s, size_t need)
{
	struct qchunk *c;
	if (need <= X2X3_QCHUNK && s->spare != NULL) {
		c = s->spare;
		s->spare = NULL;
	} else {
		size_t cap = need > X2X3_QCHUNK ? need : X2X3_QCHUNK;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->cap = cap;
	}
	c->next = NULL;
	c->rd = c->wr = 0;
	return c;
}

static void
chunk_put(struct x2x3_sender *s, struct qchunk *c)
{
	/* Keep one standard chunk to avoid malloc/free churn at low rates. */
	if (s->spare == NULL && c->cap == X2X3_QCHUNK)
		s->spare = c;
	else
		free(c);
}

/* Reserves len contiguous octets at the queue tail for one record. */
static uint8_t *
queue_reserve(struct x2x3_sender *s, size_t len)
{
	if (s->tail == NULL || s->tail->cap - s->tail->wr < len) {
		struct qchunk *c = chunk_get(s, len);
		if (c == NULL)
			return NULL;
		if (s->tail != NULL)
			s->tail->next = c;
		else
			s->head = c;
		s->tail = c;
	}
	return s->tail->data + s->tail->wr;
}

/* Record kinds for enqueue(). */
enum rkind { R_DATA, R_ACK, R_KEEPALIVE };

static void
queue_commit(struct x2x3_sender *s, size_t len, enum rkind kind)
{
	int ctrl = kind != R_DATA;
	s->tail->wr += len;
	s->rec[(s->rec_head + s->rec_n) % s->rec_cap] =
		(uint32_t)len | (ctrl ? REC_CTRL : 0) | (kind == R_KEEPALIVE ? REC_KA : 0);
	s->rec_n++;
	s->qbytes += len;
	if (ctrl)
		s->ctrl_recs++;
	else
		s->data_recs++;
}

static void
want_events(struct x2x3_sender *s)
{
	int ev = 0;
	switch (s->state) {
	case S_WAIT:
		return;
	case S_CONNECTING:
		ev = EV_WRITE;
		break;
	case S_HANDSHAKE:
		ev = s->want_write ? EV_WRITE : EV_READ;
		break;
	case S_UP:
		if (s->confirmed)
			ev = EV_READ | ((s->rec_n > 0 || s->want_write) ? EV_WRITE : 0);
		else
			ev = EV_READ |
			     ((s->probe_off < sizeof(s->probe) || s->want_write) ? EV_WRITE : 0);
		break;
	}
	if (ev_fd_set(s->loop, s->fd, ev, on_fd, s) != 0)
		sender_fail(s, X2X3_E_NOMEM, "event loop registration failed");
}

/* Encodes pdu into the queue.  Control records bypass the limits up to X2X3_MAX_CTRL. */
static enum x2x3_err
enqueue(struct x2x3_sender *s, const struct x2x3_pdu *pdu, enum rkind kind)
{
	int ctrl = kind != R_DATA;
	struct ovt_builder b;
	size_t len = x2x3_pdu_encoded_len(pdu);
	enum x2x3_err e;
	uint8_t *p;

	if (len > s->cfg.max_pdu)
		return X2X3_E_TOO_BIG;
	if (ctrl) {
		if (s->ctrl_recs >= X2X3_MAX_CTRL)
			return X2X3_E_QUEUE_FULL;
	} else if (s->data_recs >= s->cfg.queue_max_records ||
		   len > s->cfg.queue_max_bytes - (s->qbytes < s->cfg.queue_max_bytes
							   ? s->qbytes
							   : s->cfg.queue_max_bytes)) {
		return X2X3_E_QUEUE_FULL;
	}
	if ((p = queue_reserve(s, len)) == NULL)
		return X2X3_E_NOMEM;
	bld_init_fixed(&b, p, len);
	if ((e = x2x3_pdu_encode(pdu, &b)) != X2X3_OK)
		return e;
	if (bld_len(&b) != len)
		return X2X3_E_ENCODE;
	queue_commit(s, len, kind);
	if (s->state == S_UP)
		want_events(s);
	return X2X3_OK;
}

/* Octets n were written from the head chunk: pop finished records and chunks. */
static void
queue_advance(struct x2x3_sender *s, size_t n)
{
	s->head->rd += n;
	s->head_off += n;
	s->st.bytes_sent += n;
	while (s->rec_n > 0 && s->head_off >= REC_LEN(s->rec[s->rec_head])) {
		uint32_t r = s->rec[s->rec_head];
		s->head_off -= REC_LEN(r);
		s->qbytes -= REC_LEN(r);
		s->rec_head = (s->rec_head + 1) % s->rec_cap;
		s->rec_n--;
		if (r & REC_KA)
			keepalive_written(s);
		if (r & REC_CTRL) {
			s->ctrl_recs--;
		} else {
			s->data_recs--;
			s->st.sent++;
		}
	}
	if (s->head->rd == s->head->wr) {
		struct qchunk *c = s->head;
		s->head = c->next;
		if (s->head == NULL)
			s->tail = NULL;
		chunk_put(s, c);
	}
}

/* After a broken connection: resend the head record from its first octet. */
static void
queue_rewind(struct x2x3_sender *s)
{
	if (s->head != NULL)
		s->head->rd -= s->head_off;
	s->head_off = 0;
}

/* ------------------------------------------------------------------ timers and backoff */

static void
timer_cancel(struct x2x3_sender *s, uint64_t *id)
{
	if (*id != 0)
		ev_timer_del(s->loop, *id);
	*id = 0;
}

static void
retry_cb(struct ev_loop *loop, void *arg)
{
	struct x2x3_sender *s = arg;
	s->t_retry = 0;
	sender_connect(s);
}

/* "Equal jitter": half the backoff fixed, half random, so a restarted MDF is not hit by every
 * POI at the same instant. */
static uint32_t
backoff_delay(struct x2x3_sender *s)
{
	uint32_t base = s->backoff_ms, r = 0;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = 0;
	uint32_t d = base / 2 + (base / 2 > 0 ? r % (base / 2 + 1) : 0);
	s->backoff_ms = base > s->cfg.backoff_max_ms / 2 ? s->cfg.backoff_max_ms : base * 2;
	return d;
}

static void
close_conn(struct x2x3_sender *s)
{
	timer_cancel(s, &s->t_connect);
	timer_cancel(s, &s->t_ka);
	timer_cancel(s, &s->t_ka_timeout);
	if (s->conn != NULL) {
		tls_conn_free(s->conn);
		s->conn = NULL;
	}
	if (s->fd >= 0) {
		ev_fd_del(s->loop, s->fd);
		close(s->fd);
		s->fd = -1;
	}
	s->want_write = 0;
	s->ka_outstanding = 0;
	s->confirmed = 0;
	x2x3_framer_cleanup(&s->rx);
	queue_rewind(s);
}

static void
sender_fail(struct x2x3_sender *s, enum x2x3_err reason, const char *detail)
{
	int was_up = s->state == S_UP && s->confirmed;
	char why[160];
	if (s->state == S_WAIT)
		return;
	/* detail may point into the connection we are about to free. */
	snprintf(why, sizeof(why), "%s", detail ? detail : "");
	close_conn(s);
	s->state = S_WAIT;
	s->st.up = 0;
	if (was_up)
		s->st.disconnects++;
	else
		s->st.connect_failures++;
	s->t_retry = ev_timer_add(s->loop, backoff_delay(s), retry_cb, s);
	if (s->cfg.on_event != NULL)
		s->cfg.on_event(s->cfg.arg, was_up ? X2X3_EV_DISCONNECTED : X2X3_EV_CONNECT_FAILED,
				reason, why);
}

static void
connect_timeout_cb(struct ev_loop *loop, void *arg)
{
	struct x2x3_sender *s = arg;
	s->t_connect = 0;
	sender_fail(s, X2X3_E_TIMEOUT, "connect/handshake timeout");
}

static void
ka_timeout_cb(struct ev_loop *loop, void *arg)
{
	struct x2x3_sender *s = arg;
	s->t_ka_timeout = 0;
	s->st.keepalive_timeouts++;
	sender_fail(s, X2X3_E_TIMEOUT, "no keepalive acknowledgement");
}

/* Our keepalive left the queue: the ack timeout runs from now, not from when it was queued,
 * so a long backlog ahead of it does not look like a dead receiver. */
static void
keepalive_written(struct x2x3_sender *s)
{
	s->ka_queued = 0;
	s->ka_outstanding = 1;
	s->ka_wait_seq = s->ka_queued_seq;
	s->st.keepalives_sent++;
	timer_cancel(s, &s->t_ka_timeout);
	s->t_ka_timeout = ev_timer_add(s->loop, s->cfg.keepalive_timeout_ms, ka_timeout_cb, s);
}

static void
ka_cb(struct ev_loop *loop, void *arg)
{
	struct x2x3_sender *s = arg;
	struct x2x3_pdu ka;

	s->t_ka = ev_timer_add(loop, s->cfg.keepalive_interval_ms, ka_cb, s);
	/* One keepalive in flight at a time; its timeout handles a dead peer. */
	if (s->ka_queued || s->ka_outstanding)
		return;
	x2x3_pdu_keepalive(&ka, 0, s->ka_seq, s->cfg.version);
	if (enqueue(s, &ka, R_KEEPALIVE) == X2X3_OK) {
		s->ka_queued = 1;
		s->ka_queued_seq = s->ka_seq++;
	}
}

/* ------------------------------------------------------------------ connection */

static void
sender_connect(struct x2x3_sender *s)
{
	int fd, one = 1;
	enum x2x3_err e;

	s->st.connect_attempts++;
	s->state = S_CONNECTING;
	fd = socket(s->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		sender_fail(s, X2X3_E_SOCKET, strerror(errno));
		return;
	}
	s->fd = fd;
	/* PDUs are written whole and in batches; Nagle would only add latency. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((e = x2x3_framer_init(&s->rx, X2X3_KEEPALIVE_LEN * 64 > X2X3_MIN_PDU_LIMIT
						  ? X2X3_KEEPALIVE_LEN * 64
						  : X2X3_MIN_PDU_LIMIT)) != X2X3_OK) {
		sender_fail(s, e, "framer");
		return;
	}
	s->t_connect = ev_timer_add(s->loop, s->cfg.connect_timeout_ms, connect_timeout_cb, s);
	if (connect(fd, (struct sockaddr *)&s->sa, s->salen) != 0 && errno != EINPROGRESS) {
		sender_fail(s, X2X3_E_SOCKET, strerror(errno));
		return;
	}
	want_events(s);
}

static void
handshake(struct x2x3_sender *s)
{
	enum tls_io io = tls_conn_handshake(s->conn);
	s->want_write = 0;
	switch (io) {
	case TLS_IO_OK:
		break;
	case TLS_IO_WANT_WRITE:
		s->want_write = 1;
		/* FALLTHROUGH */
	case TLS_IO_WANT_READ:
		want_events(s);
		return;
	default:
		sender_fail(s, X2X3_E_TLS, tls_conn_error(s->conn));
		return;
	}
	s->state = S_UP;
	if (s->cfg.keepalive_interval_ms == X2X3_KEEPALIVE_OFF) {
		confirm(s);
		return;
	}
	/* The connect timer keeps running until the probe's ack arrives. */
	struct x2x3_pdu ka;
	struct ovt_builder b;
	x2x3_pdu_keepalive(&ka, 0, s->ka_seq, s->cfg.version);
	bld_init_fixed(&b, s->probe, sizeof(s->probe));
	if (x2x3_pdu_encode(&ka, &b) != X2X3_OK) {
		sender_fail(s, X2X3_E_ENCODE, "keepalive");
		return;
	}
	s->probe_seq = s->ka_seq++;
	s->probe_off = 0;
	do_write(s);
	if (s->state == S_UP)
		want_events(s);
}

/* The receiver answered the probe: the connection is usable. */
static void
confirm(struct x2x3_sender *s)
{
	timer_cancel(s, &s->t_connect);
	s->confirmed = 1;
	s->st.up = 1;
	s->st.connects++;
	s->backoff_ms = s->cfg.backoff_min_ms;
	if (s->cfg.keepalive_interval_ms != X2X3_KEEPALIVE_OFF)
		s->t_ka = ev_timer_add(s->loop, s->cfg.keepalive_interval_ms, ka_cb, s);
	want_events(s);
	if (s->cfg.on_event != NULL)
		s->cfg.on_event(s->cfg.arg, X2X3_EV_CONNECTED, X2X3_OK, tls_conn_version(s->conn));
}

static void
connected(struct x2x3_sender *s)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
		soerr = errno;
	if (soerr != 0) {
		sender_fail(s, X2X3_E_SOCKET, strerror(soerr));
		return;
	}
	s->conn = s->cfg.insecure_plaintext ? tls_conn_new_plain(s->fd)
					    : tls_conn_new(s->cfg.tls, s->fd, s->cfg.tls_name);
	if (s->conn == NULL) {
		sender_fail(s, X2X3_E_NOMEM, "TLS connection setup failed");
		return;
	}
	s->state = S_HANDSHAKE;
	handshake(s);
}

/* One PDU from the receiver: only keepalive traffic is expected that way. */
static int
handle_rx(struct x2x3_sender *s, struct ovt_cursor raw)
{
	struct x2x3_pdu pdu;
	enum x2x3_err e = x2x3_pdu_decode(raw, s->rx.max_pdu, &pdu);
	if (e != X2X3_OK) {
		sender_fail(s, e, "invalid PDU from receiver");
		return -1;
	}
	switch (pdu.type) {
	case X2X3_TYPE_KEEPALIVE_ACK:
		if (!s->confirmed) {
			if (s->probe_off == sizeof(s->probe) && pdu.seq == s->probe_seq) {
				s->st.keepalives_acked++;
				confirm(s);
			} else {
				s->st.acks_unexpected++;
			}
		} else if (s->ka_outstanding && pdu.seq == s->ka_wait_seq) {
			s->ka_outstanding = 0;
			s->st.keepalives_acked++;
			timer_cancel(s, &s->t_ka_timeout);
		} else {
			s->st.acks_unexpected++;
		}
		break;
	case X2X3_TYPE_KEEPALIVE: {
		struct x2x3_pdu ack;
		x2x3_pdu_keepalive(&ack, 1, pdu.seq, s->cfg.version);
		if (enqueue(s, &ack, R_ACK) == X2X3_OK)
			s->st.peer_keepalives++;
		else
			s->st.ctrl_dropped++;
		break;
	}
	default:
		s->st.rx_unexpected++;
		break;
	}
	return 0;
}

static int
do_read(struct x2x3_sender *s)
{
	for (int round = 0; round < READ_ROUNDS || tls_conn_pending(s->conn) > 0; round++) {
		uint8_t *p;
		size_t n, got;
		struct ovt_cursor raw;
		enum x2x3_err e;
		int r;

		x2x3_framer_space(&s->rx, &p, &n);
		if (n == 0) {
			sender_fail(s, X2X3_E_NOMEM, "receive buffer");
			return -1;
		}
		enum tls_io io = tls_conn_read(s->conn, p, n, &got);
		if (io == TLS_IO_WANT_READ)
			return 0;
		if (io == TLS_IO_WANT_WRITE) {
			s->want_write = 1;
			return 0;
		}
		if (io == TLS_IO_EOF) {
			sender_fail(s, X2X3_E_EOF, "receiver closed the connection");
			return -1;
		}
		if (io != TLS_IO_OK) {
			sender_fail(s, tls_conn_is_tls(s->conn) ? X2X3_E_TLS : X2X3_E_IO,
				    tls_conn_error(s->conn));
			return -1;
		}
		x2x3_framer_commit(&s->rx, got);
		while ((r = x2x3_framer_next(&s->rx, &raw, &e)) == 1)
			if (handle_rx(s, raw) != 0)
				return -1;
		if (r < 0) {
			sender_fail(s, e, "framing error from receiver");
			return -1;
		}
	}
	return 0;
}

/* Shared handling of a write result; returns 1 to continue writing, 0 to stop. */
static int
write_result(struct x2x3_sender *s, enum tls_io io)
{
	if (io == TLS_IO_OK)
		return 1;
	if (io == TLS_IO_WANT_WRITE)
		s->want_write = 1;
	else if (io != TLS_IO_WANT_READ)
		sender_fail(s, tls_conn_is_tls(s->conn) ? X2X3_E_TLS : X2X3_E_IO,
			    tls_conn_error(s->conn));
	return 0;
}

static void
do_write(struct x2x3_sender *s)
{
	s->want_write = 0;
	if (!s->confirmed) {
		while (s->probe_off < sizeof(s->probe)) {
			size_t done;
			enum tls_io io = tls_conn_write(s->conn, s->probe + s->probe_off,
							sizeof(s->probe) - s->probe_off, &done);
			if (!write_result(s, io))
				return;
			s->probe_off += done;
			s->st.bytes_sent += done;
			if (s->probe_off == sizeof(s->probe))
				s->st.keepalives_sent++;
		}
		return;
	}
	while (s->rec_n > 0) {
		struct qchunk *c = s->head;
		size_t n = c->wr - c->rd, done;
		if (n > WRITE_MAX)
			n = WRITE_MAX;
		enum tls_io io = tls_conn_write(s->conn, c->data + c->rd, n, &done);
		if (!write_result(s, io))
			return;
		queue_advance(s, done);
	}
}

static void
on_fd(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct x2x3_sender *s = arg;
	switch (s->state) {
	case S_WAIT:
		return;
	case S_CONNECTING:
		connected(s);
		return;
	case S_HANDSHAKE:
		handshake(s);
		return;
	case S_UP:
		if (do_read(s) != 0)
			return;
		do_write(s);
		if (s->state == S_UP)
			want_events(s);
		return;
	}
}

/* ------------------------------------------------------------------ public API */

static int
parse_addr(struct x2x3_sender *s, const char *addr, uint16_t port)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&s->sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&s->sa;
	memset(&s->sa, 0, sizeof(s->sa));
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		s->salen = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		s->salen = sizeof(*in6);
		return 0;
	}
	return -1;
}

struct x2x3_sender *
x2x3_sender_new(struct ev_loop *loop, const struct x2x3_dest_config *cfg, enum x2x3_err *err)
{
	struct x2x3_sender *s;

	*err = X2X3_E_CONFIG;
	if (cfg->addr == NULL || strlen(cfg->addr) >= ADDR_MAX || cfg->port == 0 ||
	    (cfg->insecure_plaintext != 0) == (cfg->tls != NULL) ||
	    (cfg->tls_name != NULL && strlen(cfg->tls_name) >= 256) ||
	    (cfg->x3_mode != X2X3_X3_GTPU && cfg->x3_mode != X2X3_X3_IP))
		return NULL;
	*err = X2X3_E_NOMEM;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->loop = loop;
	s->fd = -1;
	s->cfg = *cfg;
	*err = X2X3_E_CONFIG;
	if (parse_addr(s, cfg->addr, cfg->port) != 0) {
		free(s);
		return NULL;
	}
	snprintf(s->addr, sizeof(s->addr), "%s", cfg->addr);
	snprintf(s->tls_name, sizeof(s->tls_name), "%s", cfg->tls_name ? cfg->tls_name : cfg->addr);
	s->cfg.addr = s->addr;
	s->cfg.tls_name = s->tls_name;
#define DEFAULT(f, v) \
	if (s->cfg.f == 0) \
		s->cfg.f = (v)
	DEFAULT(version, X2X3_VERSION_DEFAULT);
	DEFAULT(max_pdu, X2X3_MAX_PDU_DEFAULT);
	DEFAULT(queue_max_records, X2X3_QUEUE_RECORDS_DEFAULT);
	DEFAULT(queue_max_bytes, X2X3_QUEUE_BYTES_DEFAULT);
	DEFAULT(max_xids, X2X3_MAX_XIDS_DEFAULT);
	DEFAULT(keepalive_interval_ms, X2X3_KEEPALIVE_DEFAULT_MS);
	DEFAULT(keepalive_timeout_ms, X2X3_KEEPALIVE_TIMEOUT_DEFAULT_MS);
	DEFAULT(connect_timeout_ms, X2X3_CONNECT_TIMEOUT_DEFAULT_MS);
	DEFAULT(backoff_min_ms, X2X3_BACKOFF_MIN_DEFAULT_MS);
	DEFAULT(backoff_max_ms, X2X3_BACKOFF_MAX_DEFAULT_MS);
#undef DEFAULT
	if (s->cfg.max_pdu < X2X3_MIN_PDU_LIMIT || s->cfg.max_pdu > X2X3_MAX_PDU_LIMIT ||
	    s->cfg.queue_max_records > (1u << 24) || s->cfg.max_xids > (1u << 24) ||
	    s->cfg.backoff_min_ms > s->cfg.backoff_max_ms) {
		free(s);
		return NULL;
	}
	s->backoff_ms = s->cfg.backoff_min_ms;
	s->rec_cap = s->cfg.queue_max_records + X2X3_MAX_CTRL;
	s->seq_cap = 16;
	*err = X2X3_E_NOMEM;
	if ((s->rec = calloc(s->rec_cap, sizeof(*s->rec))) == NULL ||
	    (s->seq = calloc(s->seq_cap, sizeof(*s->seq))) == NULL) {
		free(s->rec);
		free(s);
		return NULL;
	}
	*err = X2X3_OK;
	sender_connect(s);
	return s;
}

void
x2x3_sender_free(struct x2x3_sender *s)
{
	if (s == NULL)
		return;
	if (s->conn != NULL)
		tls_conn_shutdown(s->conn);
	close_conn(s);
	timer_cancel(s, &s->t_retry);
	while (s->head != NULL) {
		struct qchunk *c = s->head;
		s->head = c->next;
		free(c);
	}
	free(s->spare);
	free(s->rec);
	free(s->seq);
	free(s);
}

enum x2x3_err
x2x3_sender_submit(struct x2x3_sender *s, struct x2x3_pdu *pdu)
{
	enum x2x3_err e;

	s->st.submitted++;
	pdu->version = s->cfg.version;
	if (pdu->type != X2X3_TYPE_X2 && pdu->type != X2X3_TYPE_X3) {
		s->st.dropped_invalid++;
		return X2X3_E_TYPE;
	}
	/* The number is taken before the queue check: a drop leaves a visible gap. */
	if ((e = seq_next(s, pdu->xid, &pdu->seq)) != X2X3_OK) {
		s->st.dropped_invalid++;
		return e;
	}
	pdu->present |= X2X3_HAS(X2X3_ATTR_SEQ);
	e = enqueue(s, pdu, R_DATA);
	if (e == X2X3_E_QUEUE_FULL)
		s->st.dropped_overflow++;
	else if (e != X2X3_OK)
		s->st.dropped_invalid++;
	return e;
}

enum x2x3_err
x2x3_sender_submit_x3(struct x2x3_sender *s, struct x2x3_pdu *pdu, struct ovt_cursor gtpu_msg,
		      struct ovt_cursor inner_ip)
{
	pdu->type = X2X3_TYPE_X3;
	if (s->cfg.x3_mode == X2X3_X3_GTPU) {
		pdu->format = X2X3_FMT_GTPU;
		pdu->payload = gtpu_msg;
	} else {
		uint8_t v = 0;
		cur_peek_u8(&inner_ip, &v);
		if (v >> 4 == 4) {
			pdu->format = X2X3_FMT_IPV4;
		} else if (v >> 4 == 6) {
			pdu->format = X2X3_FMT_IPV6;
		} else {
			s->st.submitted++;
			s->st.dropped_invalid++;
			return X2X3_E_FORMAT;
		}
		pdu->payload = inner_ip;
	}
	return x2x3_sender_submit(s, pdu);
}

void
x2x3_sender_stats(const struct x2x3_sender *s, struct x2x3_sender_stats *out)
{
	*out = s->st;
	out->queued_pdus = s->data_recs;
	out->queued_bytes = s->qbytes;
}
