/*
 * X2/X3 sender: one destination's connection, queue, retransmit window, keepalives and
 * reconnection (contract in x2x3_sender.h).  States:
 *
 *   WAIT --backoff timer--> CONNECTING --writable, SO_ERROR 0--> HANDSHAKE --done--> UP
 *     ^                         |                                   |               |
 *     +------ fail(): close, rewind to the oldest unreleased record, schedule the next attempt
 *
 * The data queue is a list of chunks holding encoded PDUs back to back (records never span
 * chunks) plus a ring of record lengths, so one write(2)/SSL_write can flush many PDUs.  Three
 * positions move forward through it:
 *
 *   release point (head->rd, rec_head)    write point (wchunk/wpos)          tail
 *   |<-- window: written, waiting for an ack -->|<-- not yet written on this connection -->|
 *
 * Without retention a record is released as soon as its last octet is written, so the window is
 * always empty.  Rewinding after a broken connection moves the write point back to the release
 * point: the window and a partly written record go out again whole, with the same octets.
 *
 * Control PDUs (our keepalives, acks of the peer's keepalives) wait in a small separate ring and
 * are written at the next record boundary of the data stream.  A keepalive therefore covers
 * exactly the records written before it; when it has been written, its sequence number and the
 * number of the first record it does not cover go into the barrier FIFO, and its ack releases
 * the records below that number.  Records are numbered from 0 for the life of the sender
 * (rel_abs: number of the record at the release point).
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

#define WRITE_MAX	(256 * 1024)	/* octets offered per write call */
#define READ_ROUNDS	16		/* reads per readiness callback (fairness) */
#define ADDR_MAX	64

enum sstate { S_WAIT, S_CONNECTING, S_HANDSHAKE, S_UP };

/* Why one of our keepalives was sent. */
enum kakind {
	KA_PROBE,	/* first PDU of a connection; data waits for its ack */
	KA_PERIODIC,	/* liveness, every keepalive_interval_ms */
	KA_BARRIER,	/* PDUs were written since the last keepalive (retention) */
};

struct qchunk {
	struct qchunk *next;
	size_t cap, rd, wr;	/* rd: release point; records occupy [rd, wr) */
	uint8_t data[];
};

struct seq_slot {
	uint8_t xid[16];
	uint32_t next;
	uint8_t used;
};

/* A control PDU waiting to be written. */
struct ctrl_slot {
	uint8_t pdu[X2X3_KEEPALIVE_LEN];
	uint8_t ours;		/* 1: our keepalive of kind `kind`; 0: an ack of the peer's */
	uint8_t kind;
	uint32_t seq;
};

/* One of our keepalives, written on this connection and not acknowledged yet. */
struct barrier {
	uint32_t seq;
	uint8_t kind;
	uint64_t upto;		/* records numbered below this were written before it */
	uint64_t written_ms;
};

struct x2x3_sender {
	struct ev_loop *loop;
	struct x2x3_dest_config cfg;	/* addr/tls_name point at the copies below */
	char addr[ADDR_MAX];
	char tls_name[256];
	struct sockaddr_storage sa;
	socklen_t salen;
	int retain;			/* cfg.retain_until_ack resolved */
	size_t bar_recs, bar_bytes;	/* unbarriered volume that forces a barrier */

	enum sstate state;
	int fd;
	struct tls_conn *conn;
	int want_write;			/* last TLS op asked for writability */
	/* A write that returned WANT_READ/WANT_WRITE must be repeated with the same octets and
	 * at least the same length before anything else is written (OpenSSL's rule for
	 * SSL_write retries; otherwise it fails with "bad length", or worse). */
	enum { RETRY_NONE, RETRY_CTRL, RETRY_DATA } retry;
	size_t retry_len;
	uint64_t t_connect, t_retry, t_ka, t_ka_timeout, t_barrier;
	uint32_t backoff_ms;

	/* Data queue (see the top of the file). */
	struct qchunk *head, *tail, *spare, *wchunk;
	size_t wpos;			/* write point: offset in wchunk */
	uint32_t *rec;			/* ring of record lengths, rec_n from rec_head */
	size_t rec_cap, rec_head, rec_n;
	size_t win_n, win_bytes;	/* records [0, win_n) from rec_head are written */
	size_t w_in_rec;		/* octets of record win_n written on this connection */
	size_t qbytes;			/* octets of all rec_n records */
	uint64_t rel_abs;		/* number of the record at rec_head */
	uint64_t sent_abs;		/* records below this were completely written at least once */
	size_t unbar_n, unbar_bytes;	/* written since the last keepalive on this connection */

	/* Control PDUs. */
	struct ctrl_slot ctrl[X2X3_MAX_CTRL];
	size_t ctrl_head, ctrl_n, ctrl_off;

	/* Our keepalives in flight, oldest first. */
	struct barrier bar[X2X3_MAX_BARRIERS];
	size_t bar_head, bar_n;
	uint32_t ka_seq;		/* next number for a keepalive that is not a fresh probe */
	int fresh;			/* no probe acknowledged yet: probes carry 0 */
	int ka_pending;			/* one of our keepalives waits in ctrl */
	uint64_t bar_last_ms;		/* when the last keepalive was queued */

	struct x2x3_framer rx;

	/* After the TLS handshake the probe keepalive goes out first, and PDUs only follow its
	 * ack.  With TLS 1.3 the client finishes its handshake before the server has checked
	 * the client certificate; without the probe, PDUs written into a connection the server
	 * then refuses would be counted as sent. */
	int confirmed;

	struct seq_slot *seq;
	size_t seq_cap, seq_n;

	struct x2x3_sender_stats st;
};

static void sender_connect(struct x2x3_sender *);
static void confirm(struct x2x3_sender *);
static void do_write(struct x2x3_sender *);
static void barrier_check(struct x2x3_sender *);
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

/* ------------------------------------------------------------------ data queue */

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
		/* wchunk is NULL only while the queue has no chunk at all. */
		if (s->wchunk == NULL) {
			s->wchunk = c;
			s->wpos = 0;
		}
	}
	return s->tail->data + s->tail->wr;
}

static size_t
rec_len(const struct x2x3_sender *s, size_t i)
{
	return s->rec[(s->rec_head + i) % s->rec_cap];
}

/* Frees the head chunk (all its records released, or none ever committed to it). */
static void
head_chunk_free(struct x2x3_sender *s)
{
	struct qchunk *c = s->head;
	/* The write point is at the chunk's end or beyond: it cannot stay in it. */
	if (s->wchunk == c) {
		s->wchunk = c->next;
		s->wpos = 0;
	}
	s->head = c->next;
	if (s->head == NULL)
		s->tail = NULL;
	chunk_put(s, c);
}

/* Releases the record at the release point (it is in the window). */
static void
release_one(struct x2x3_sender *s)
{
	size_t len = rec_len(s, 0);
	/* Defensive: a chunk with no record (an encode that failed after queue_reserve, which
	 * enqueue_data's check prevents) must not be credited with this record. */
	while (s->head->rd == s->head->wr && s->head->next != NULL)
		head_chunk_free(s);
	s->head->rd += len;
	s->qbytes -= len;
	s->win_bytes -= len;
	s->win_n--;
	s->rec_head = (s->rec_head + 1) % s->rec_cap;
	s->rec_n--;
	s->rel_abs++;
	if (s->head->rd == s->head->wr)
		head_chunk_free(s);
}

/* done octets were written from the write point: complete records join the window (or, without
 * retention, are released at once). */
static void
data_advance(struct x2x3_sender *s, size_t done)
{
	s->wpos += done;
	s->w_in_rec += done;
	s->st.bytes_sent += done;
	while (s->rec_n > s->win_n) {
		size_t len = rec_len(s, s->win_n);
		uint64_t abs = s->rel_abs + s->win_n;
		if (s->w_in_rec < len)
			break;
		s->w_in_rec -= len;
		s->win_n++;
		s->win_bytes += len;
		s->unbar_n++;
		s->unbar_bytes += len;
		if (abs < s->sent_abs) {
			s->st.retransmitted++;
		} else {
			s->st.sent++;
			s->sent_abs = abs + 1;
		}
		if (!s->retain)
			release_one(s);
	}
}

/* Releases the window's records numbered below upto (an acknowledged barrier). */
static void
release_upto(struct x2x3_sender *s, uint64_t upto)
{
	while (s->win_n > 0 && s->rel_abs < upto) {
		release_one(s);
		s->st.acked++;
	}
}

/* After a broken connection: everything not released is to be written again, from the oldest
 * record's first octet. */
static void
queue_rewind(struct x2x3_sender *s)
{
	s->wchunk = s->head;
	s->wpos = s->head != NULL ? s->head->rd : 0;
	s->win_n = 0;
	s->win_bytes = 0;
	s->w_in_rec = 0;
	s->unbar_n = 0;
	s->unbar_bytes = 0;
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
		ev = EV_READ;
		if (s->want_write || s->ctrl_n > 0 || (s->confirmed && s->rec_n > s->win_n))
			ev |= EV_WRITE;
		break;
	}
	if (ev_fd_set(s->loop, s->fd, ev, on_fd, s) != 0)
		sender_fail(s, X2X3_E_NOMEM, "event loop registration failed");
}

/* Encodes one X2/X3 PDU at the queue tail, within the record and byte limits (which the
 * window counts against). */
static enum x2x3_err
enqueue_data(struct x2x3_sender *s, const struct x2x3_pdu *pdu)
{
	struct ovt_builder b;
	size_t len = x2x3_pdu_encoded_len(pdu);
	enum x2x3_err e;
	uint8_t *p;

	if (len > s->cfg.max_pdu)
		return X2X3_E_TOO_BIG;
	if (s->rec_n >= s->cfg.queue_max_records || len > s->cfg.queue_max_bytes - s->qbytes)
		return X2X3_E_QUEUE_FULL;
	/* Validated before a chunk is reserved, so a refused PDU never leaves an empty one. */
	if ((e = x2x3_pdu_check(pdu)) != X2X3_OK)
		return e;
	if ((p = queue_reserve(s, len)) == NULL)
		return X2X3_E_NOMEM;
	bld_init_fixed(&b, p, len);
	if ((e = x2x3_pdu_encode(pdu, &b)) != X2X3_OK)
		return e;
	if (bld_len(&b) != len)
		return X2X3_E_ENCODE;
	s->tail->wr += len;
	s->rec[(s->rec_head + s->rec_n) % s->rec_cap] = (uint32_t)len;
	s->rec_n++;
	s->qbytes += len;
	if (s->state == S_UP && s->confirmed)
		want_events(s);
	return X2X3_OK;
}

/* ------------------------------------------------------------------ control PDUs */

/* Queues a keepalive (ours = 1, of kind) or an acknowledgement of the peer's (ours = 0). */
static int
ctrl_push(struct x2x3_sender *s, int ours, enum kakind kind, uint32_t seq)
{
	struct ctrl_slot *cs;
	struct x2x3_pdu pdu;
	struct ovt_builder b;

	if (s->ctrl_n >= X2X3_MAX_CTRL)
		return -1;
	cs = &s->ctrl[(s->ctrl_head + s->ctrl_n) % X2X3_MAX_CTRL];
	x2x3_pdu_keepalive(&pdu, !ours, seq, s->cfg.version);
	bld_init_fixed(&b, cs->pdu, sizeof(cs->pdu));
	if (x2x3_pdu_encode(&pdu, &b) != X2X3_OK || bld_len(&b) != sizeof(cs->pdu))
		return -1;
	cs->ours = (uint8_t)ours;
	cs->kind = (uint8_t)kind;
	cs->seq = seq;
	s->ctrl_n++;
	if (s->state == S_UP)
		want_events(s);
	return 0;
}

/* Queues one of our keepalives: one at a time in the control ring, and no more in flight than
 * the barrier FIFO holds. */
static int
ka_queue(struct x2x3_sender *s, enum kakind kind)
{
	uint32_t seq;

	if (s->ka_pending || s->bar_n >= X2X3_MAX_BARRIERS)
		return -1;
	/* 0 marks a sender whose counters restarted (x2x3_sender.h): only probes use it, and
	 * only until one has been acknowledged. */
	seq = kind == KA_PROBE && s->fresh ? 0 : s->ka_seq;
	if (ctrl_push(s, 1, kind, seq) != 0)
		return -1;
	if (seq != 0)
		s->ka_seq = s->ka_seq == UINT32_MAX ? 1 : s->ka_seq + 1;
	s->ka_pending = 1;
	s->bar_last_ms = ev_now_ms();
	return 0;
}

static void
timer_cancel(struct x2x3_sender *s, uint64_t *id)
{
	if (*id != 0)
		ev_timer_del(s->loop, *id);
	*id = 0;
}

static void
ka_timeout_cb(struct ev_loop *loop, void *arg)
{
	struct x2x3_sender *s = arg;
	s->t_ka_timeout = 0;
	s->st.keepalive_timeouts++;
	sender_fail(s, X2X3_E_TIMEOUT, "no keepalive acknowledgement");
}

/* The ack timeout runs for the oldest keepalive in flight, from when it was written (not
 * queued), so a backlog ahead of it does not look like a dead receiver.  The probe's wait is
 * bounded by the connect timer instead. */
static void
ka_timer_arm(struct x2x3_sender *s)
{
	const struct barrier *b;
	uint64_t now, due;

	timer_cancel(s, &s->t_ka_timeout);
	if (s->bar_n == 0 || !s->confirmed)
		return;
	b = &s->bar[s->bar_head];
	now = ev_now_ms();
	due = b->written_ms + s->cfg.keepalive_timeout_ms;
	s->t_ka_timeout = ev_timer_add(s->loop, due > now ? due - now : 0, ka_timeout_cb, s);
}

/* The control PDU at the head of the ring has been written completely. */
static void
ctrl_written(struct x2x3_sender *s)
{
	struct ctrl_slot *cs = &s->ctrl[s->ctrl_head];

	s->ctrl_head = (s->ctrl_head + 1) % X2X3_MAX_CTRL;
	s->ctrl_n--;
	s->ctrl_off = 0;
	if (!cs->ours)
		return;
	/* ka_queue kept bar_n below the maximum while this keepalive waited. */
	struct barrier *b = &s->bar[(s->bar_head + s->bar_n) % X2X3_MAX_BARRIERS];
	b->seq = cs->seq;
	b->kind = cs->kind;
	b->upto = s->rel_abs + s->win_n;
	b->written_ms = ev_now_ms();
	s->bar_n++;
	s->ka_pending = 0;
	s->unbar_n = 0;
	s->unbar_bytes = 0;
	s->st.keepalives_sent++;
	if (cs->kind == KA_BARRIER)
		s->st.barriers_sent++;
	if (s->bar_n == 1)
		ka_timer_arm(s);
}

/* An acknowledgement of our keepalive seq: it covers that keepalive and every earlier one
 * (the receiver acknowledges in order), and releases what they cover. */
static void
ack_received(struct x2x3_sender *s, uint32_t seq)
{
	size_t i;
	struct barrier b;

	for (i = 0; i < s->bar_n; i++)
		if (s->bar[(s->bar_head + i) % X2X3_MAX_BARRIERS].seq == seq)
			break;
	if (i == s->bar_n) {
		/* Stale (already covered), or never sent: ignored, counted. */
		s->st.acks_unexpected++;
		return;
	}
	b = s->bar[(s->bar_head + i) % X2X3_MAX_BARRIERS];
	for (size_t j = 0; j <= i; j++) {
		if (s->bar[s->bar_head].kind == KA_BARRIER)
			s->st.barriers_acked++;
		s->bar_head = (s->bar_head + 1) % X2X3_MAX_BARRIERS;
		s->bar_n--;
		s->st.keepalives_acked++;
	}
	if (s->retain)
		release_upto(s, b.upto);
	if (b.kind == KA_PROBE && !s->confirmed) {
		confirm(s);
		return;
	}
	ka_timer_arm(s);
	barrier_check(s);
}

/* ------------------------------------------------------------------ timers and backoff */

static void
retry_cb(struct ev_loop *loop, void *arg)
{
	struct x2x3_sender *s = arg;
	s->t_retry = 0;
	sender_connect(s);
}

static void
barrier_cb(struct ev_loop *loop, void *arg)
{
	struct x2x3_sender *s = arg;
	s->t_barrier = 0;
	barrier_check(s);
}

/* Sends a barrier keepalive when PDUs were written since the last keepalive and either the last
 * one is barrier_interval_ms old or the unbarriered PDUs reach bar_recs/bar_bytes; otherwise
 * arms a timer for when the interval will have passed. */
static void
barrier_check(struct x2x3_sender *s)
{
	uint64_t now, due;

	if (!s->retain || s->state != S_UP || !s->confirmed || s->unbar_n == 0 ||
	    s->ka_pending || s->bar_n >= X2X3_MAX_BARRIERS)
		return;
	now = ev_now_ms();
	due = s->bar_last_ms + s->cfg.barrier_interval_ms;
	if (now >= due || s->unbar_n >= s->bar_recs || s->unbar_bytes >= s->bar_bytes) {
		timer_cancel(s, &s->t_barrier);
		(void)ka_queue(s, KA_BARRIER);
		return;
	}
	if (s->t_barrier == 0)
		s->t_barrier = ev_timer_add(s->loop, due - now, barrier_cb, s);
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
	timer_cancel(s, &s->t_barrier);
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
	s->retry = RETRY_NONE;
	s->confirmed = 0;
	/* Control PDUs and barriers belong to the connection: acks of its keepalives and the
	 * ack we waited for will never come on another one. */
	s->ctrl_n = s->ctrl_head = s->ctrl_off = 0;
	s->bar_n = s->bar_head = 0;
	s->ka_pending = 0;
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
ka_cb(struct ev_loop *loop, void *arg)
{
	struct x2x3_sender *s = arg;

	s->t_ka = ev_timer_add(loop, s->cfg.keepalive_interval_ms, ka_cb, s);
	/* A keepalive already in flight proves liveness with its own timeout. */
	if (s->ka_pending || s->bar_n > 0)
		return;
	(void)ka_queue(s, KA_PERIODIC);
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
	/* The connect timer keeps running until the probe's ack arrives.  close_conn emptied
	 * the control ring and the barrier FIFO, so the probe always fits. */
	if (ka_queue(s, KA_PROBE) != 0) {
		sender_fail(s, X2X3_E_ENCODE, "keepalive");
		return;
	}
	do_write(s);
	if (s->state == S_UP)
		want_events(s);
}

/* The receiver answered the probe (or there is none): the connection is usable. */
static void
confirm(struct x2x3_sender *s)
{
	timer_cancel(s, &s->t_connect);
	s->confirmed = 1;
	s->fresh = 0;
	s->st.up = 1;
	s->st.connects++;
	s->backoff_ms = s->cfg.backoff_min_ms;
	/* The first barrier may follow the resent window at once. */
	s->bar_last_ms = 0;
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
		ack_received(s, pdu.seq);
		break;
	case X2X3_TYPE_KEEPALIVE:
		if (ctrl_push(s, 0, KA_PERIODIC, pdu.seq) == 0)
			s->st.peer_keepalives++;
		else
			s->st.ctrl_dropped++;
		break;
	default:
		s->st.rx_unexpected++;
		break;
	}
	return s->state == S_WAIT ? -1 : 0;
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

/* Shared handling of the result of writing len octets from src; returns 1 to continue
 * writing, 0 to stop. */
static int
write_result(struct x2x3_sender *s, enum tls_io io, int src, size_t len)
{
	switch (io) {
	case TLS_IO_OK:
		s->retry = RETRY_NONE;
		return 1;
	case TLS_IO_WANT_WRITE:
		s->want_write = 1;
		/* FALLTHROUGH */
	case TLS_IO_WANT_READ:
		s->retry = src;
		s->retry_len = len;
		return 0;
	default:
		sender_fail(s, tls_conn_is_tls(s->conn) ? X2X3_E_TLS : X2X3_E_IO,
			    tls_conn_error(s->conn));
		return 0;
	}
}

/* Writes control PDUs (at record boundaries) and, once the probe is acknowledged, records from
 * the write point, until the kernel takes no more. */
static void
do_write(struct x2x3_sender *s)
{
	s->want_write = 0;
	for (;;) {
		size_t n, done;
		enum tls_io io;

		if (s->retry == RETRY_CTRL ||
		    (s->retry == RETRY_NONE && s->ctrl_n > 0 && s->w_in_rec == 0)) {
			struct ctrl_slot *cs = &s->ctrl[s->ctrl_head];
			n = sizeof(cs->pdu) - s->ctrl_off;
			io = tls_conn_write(s->conn, cs->pdu + s->ctrl_off, n, &done);
			if (!write_result(s, io, RETRY_CTRL, n))
				break;
			s->st.bytes_sent += done;
			s->ctrl_off += done;
			if (s->ctrl_off == sizeof(cs->pdu))
				ctrl_written(s);
			continue;
		}
		if (!s->confirmed || s->rec_n == s->win_n)
			break;
		while (s->wpos == s->wchunk->wr && s->wchunk->next != NULL) {
			s->wchunk = s->wchunk->next;
			s->wpos = 0;
		}
		n = s->wchunk->wr - s->wpos;
		if (n > WRITE_MAX)
			n = WRITE_MAX;
		/* A waiting control PDU goes in at the end of the current record... */
		if (s->ctrl_n > 0 && n > rec_len(s, s->win_n) - s->w_in_rec)
			n = rec_len(s, s->win_n) - s->w_in_rec;
		/* ...unless a longer write must be repeated first (those octets are still
		 * there: nothing moved since, and a chunk only grows). */
		if (s->retry == RETRY_DATA && n < s->retry_len)
			n = s->retry_len;
		if (n == 0)	/* cannot happen: unwritten records lie ahead */
			break;
		io = tls_conn_write(s->conn, s->wchunk->data + s->wpos, n, &done);
		if (!write_result(s, io, RETRY_DATA, n))
			break;
		data_advance(s, done);
	}
	/* No-op unless still up (write_result may have failed the connection). */
	barrier_check(s);
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
	DEFAULT(barrier_interval_ms, X2X3_BARRIER_INTERVAL_DEFAULT_MS);
#undef DEFAULT
	switch (s->cfg.retain_until_ack) {
	case X2X3_RETAIN_DEFAULT:
		s->retain = s->cfg.keepalive_interval_ms != X2X3_KEEPALIVE_OFF;
		break;
	case X2X3_RETAIN_ON:
		/* Retention is released by keepalive acks: without keepalives, never. */
		s->retain = 1;
		if (s->cfg.keepalive_interval_ms == X2X3_KEEPALIVE_OFF) {
			free(s);
			return NULL;
		}
		break;
	case X2X3_RETAIN_OFF:
		s->retain = 0;
		break;
	default:
		free(s);
		return NULL;
	}
	if (s->cfg.max_pdu < X2X3_MIN_PDU_LIMIT || s->cfg.max_pdu > X2X3_MAX_PDU_LIMIT ||
	    s->cfg.queue_max_records > (1u << 24) || s->cfg.max_xids > (1u << 24) ||
	    s->cfg.backoff_min_ms > s->cfg.backoff_max_ms) {
		free(s);
		return NULL;
	}
	s->backoff_ms = s->cfg.backoff_min_ms;
	s->rec_cap = s->cfg.queue_max_records;
	/* A barrier per eighth of a queue limit: with X2X3_MAX_BARRIERS in flight the window
	 * can fill the queue before barriers stall. */
	s->bar_recs = s->cfg.queue_max_records / 8 > 0 ? s->cfg.queue_max_records / 8 : 1;
	s->bar_bytes = s->cfg.queue_max_bytes / 8 > 0 ? s->cfg.queue_max_bytes / 8 : 1;
	s->ka_seq = 1;
	s->fresh = 1;
	s->st.retain = s->retain;
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
	e = enqueue_data(s, pdu);
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
	out->queued_pdus = s->rec_n;
	out->queued_bytes = s->qbytes;
	out->window_pdus = s->win_n;
	out->window_bytes = s->win_bytes;
}
