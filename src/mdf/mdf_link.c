/*
 * The connection of a delivery stream to its LEMF (contract in mdf_stream.h): connect, mutual
 * TLS, send spool records in order, TRI keep-alives (TS 102 232-1 TRIPayload keep-alive [3])
 * and the acknowledgement they bring back, reconnection with backoff.
 *
 * What goes on the wire is only ever whole records' PS-PDUs and whole keep-alive PDUs, each
 * written completely before the next one starts, so the LEMF's BER splitter always sees PDU
 * boundaries; a connection that breaks in the middle of one is abandoned and everything not
 * acknowledged is sent again on the next connection.
 *
 * A record is sent only once its commit round is in the core's journal (env->committed) and,
 * unless the spools have no fsync policy, once both the record and that commit are on stable
 * storage (at once under fsync: always, within batch_ms under batch).  So the LEMF never holds
 * a record that a crash or a power loss could take back: the record numbers and sequence
 * numbers the MDF continues with after a restart never collide with what the LEMF has.
 */
#include "mdf/mdf_stream_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#define TICK_MAX_MS	100
#define PUMP_ROUNDS	64	/* writes per callback: fairness between streams and POIs */

static void link_io(struct ev_loop *, int, int, void *);
static void link_pump(struct mdf_stream *);

/* ------------------------------------------------------------------ set-up */

static void
tick_cb(struct ev_loop *loop, void *arg);

static uint32_t
tick_ms(const struct mdf_stream *s)
{
	return s->ack_interval_ms < TICK_MAX_MS ? s->ack_interval_ms : TICK_MAX_MS;
}

static int
peer_set(struct mdf_stream *s, const char *addr, uint16_t port, int plaintext,
    struct tls_ctx *tls, const char *tls_name, enum mdf_ack_mode ack)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (addr == NULL || strlen(addr) >= sizeof(s->addr) || port == 0 ||
	    (inet_pton(AF_INET, addr, &a4) != 1 && inet_pton(AF_INET6, addr, &a6) != 1) ||
	    (plaintext != 0) == (tls != NULL) ||
	    (tls_name != NULL && strlen(tls_name) >= sizeof(s->tls_name)))
		return -1;
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	s->port = port;
	s->plaintext = plaintext;
	s->tls = tls;
	snprintf(s->tls_name, sizeof(s->tls_name), "%s", tls_name != NULL ? tls_name : addr);
	s->ack = ack;
	return 0;
}

int
mdf_link_init(struct mdf_stream *s, const struct mdf_stream_config *cfg, char *err,
    size_t errlen)
{
	struct hi2_pshdr h;
	struct hi2_diag d;
	const char *kl = cfg->keepalive_liid != NULL ? cfg->keepalive_liid : "KEEPALIVE";

	if (peer_set(s, cfg->addr, cfg->port, cfg->insecure_plaintext, cfg->tls, cfg->tls_name,
	    cfg->ack) != 0) {
		snprintf(err, errlen, "stream %s: bad LEMF address or TLS settings", s->id);
		return -1;
	}
	s->ka_ms = cfg->keepalive_ms ? cfg->keepalive_ms : 5000;
	s->ka_timeout_ms = cfg->keepalive_timeout_ms ? cfg->keepalive_timeout_ms : 10000;
	s->ack_interval_ms = cfg->ack_interval_ms ? cfg->ack_interval_ms : 50;
	s->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : 5000;
	s->backoff_min_ms = cfg->backoff_min_ms ? cfg->backoff_min_ms : 100;
	s->backoff_max_ms = cfg->backoff_max_ms ? cfg->backoff_max_ms : 10000;
	s->backoff_ms = s->backoff_min_ms;
	/* TRI keep-alives carry a LIID of their own (no task's) and CIN 0; their sequence
	 * numbers are their own too, so they never touch a LIID + CIN the LEMF checks. */
	h = s->hdr;
	h.liid.p = (const uint8_t *)kl;
	h.liid.len = strlen(kl);
	h.cin = 0;
	h.seq = 0;
	h.has_tsq = 1;
	h.tsq = 2;	/* timeOfMediation: a keep-alive is the MDF's own */
	if (hi2_stream_init(&s->ka_hs, &h, &d) != HI2_OK) {
		snprintf(err, errlen, "stream %s: keep-alive header: %s", s->id,
		    d.where ? d.where : "invalid");
		return -1;
	}
	if ((s->infl = calloc(MDF_LINK_WINDOW_RECORDS, sizeof(*s->infl))) == NULL) {
		snprintf(err, errlen, "stream %s: out of memory", s->id);
		return -1;
	}
	if (cfg->tap_dir != NULL) {
		char path[600];
		if (snprintf(path, sizeof(path), "%s/%s.ber", cfg->tap_dir, s->id) >=
		    (int)sizeof(path)) {
			snprintf(err, errlen, "stream %s: tap directory name too long", s->id);
			return -1;
		}
		if ((s->tap = fopen(path, "ae")) == NULL) {
			snprintf(err, errlen, "stream %s: tap %s: %s", s->id, path, strerror(errno));
			return -1;
		}
	}
	if ((s->timer = ev_timer_add(s->loop, tick_ms(s), tick_cb, s)) == 0) {
		snprintf(err, errlen, "stream %s: timer: out of memory", s->id);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ connection life */

static uint32_t
jitter(uint32_t ms)
{
	/* "Equal jitter": half fixed, half random, so that many streams reconnecting after
	 * one outage do not all arrive at once. */
	uint32_t r = 0;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)ev_now_ms();
	return ms / 2 + (ms / 2 ? r % (ms / 2 + 1) : 0);
}

static void
conn_close(struct mdf_stream *s)
{
	if (s->conn != NULL) {
		tls_conn_shutdown(s->conn);
		tls_conn_free(s->conn);
		s->conn = NULL;
	}
	if (s->fd >= 0) {
		ev_fd_del(s->loop, s->fd);
		close(s->fd);
		s->fd = -1;
	}
	s->have_rec = 0;
	s->rec_mem = 0;
	mdf_memq_clear(s);	/* the next connection starts from the spool */
	s->ctl_len = s->ctl_off = 0;
	s->infl_head = s->infl_n = 0;
	s->infl_bytes = 0;
	s->ka_head = s->ka_n = 0;
	s->ilen = 0;
	s->plain_written = 0;
	s->last_sent = 0;
	s->ka_covered = 0;
	s->want_write = 0;
	s->confirmed = 0;
	/* Everything not acknowledged is sent again on the next connection. */
	if (s->sp != NULL)
		spool_rewind(s->sp);
}

static void
link_fail(struct mdf_stream *s, const char *why)
{
	int was_up = s->ls == L_UP;

	conn_close(s);
	if (was_up) {
		s->st.disconnects++;
		mdf_stream_event(s, MDF_SEV_DISCONNECTED, why);
	} else {
		s->st.connect_failures++;
		mdf_stream_event(s, MDF_SEV_CONNECT_FAILED, why);
	}
	s->ls = L_IDLE;
	s->next_attempt = ev_now_ms() + jitter(s->backoff_ms);
	s->backoff_ms = s->backoff_ms >= s->backoff_max_ms / 2 ? s->backoff_max_ms :
	    s->backoff_ms * 2;
}

static int
set_events(struct mdf_stream *s)
{
	int ev;
	switch (s->ls) {
	case L_CONNECTING:
		ev = EV_WRITE;
		break;
	case L_HANDSHAKE:
		ev = s->want_write ? EV_WRITE : EV_READ;
		break;
	case L_UP:
		ev = EV_READ | (s->want_write ? EV_WRITE : 0);
		break;
	default:
		return 0;
	}
	if (ev_fd_set(s->loop, s->fd, ev, link_io, s) != 0) {
		link_fail(s, "event loop registration failed");
		return -1;
	}
	return 0;
}

static void
link_connect(struct mdf_stream *s)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int one = 1;
	char why[160];

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, s->addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(s->port);
		len = sizeof(*in4);
	} else {
		inet_pton(AF_INET6, s->addr, &in6->sin6_addr);	/* checked in peer_set */
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(s->port);
		len = sizeof(*in6);
	}
	s->since = ev_now_ms();
	s->ls = L_CONNECTING;
	s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		snprintf(why, sizeof(why), "socket: %s", strerror(errno));
		link_fail(s, why);
		return;
	}
	/* Keep-alives are small and latency matters for acknowledgements. */
	(void)setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s->fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS) {
		snprintf(why, sizeof(why), "connect: %s", strerror(errno));
		link_fail(s, why);
		return;
	}
	set_events(s);
}

static void
queue_tri(struct mdf_stream *s, enum hi2_tri kind, uint32_t seq)
{
	struct ovt_builder b;
	struct hi2_diag d;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	bld_init_fixed(&b, s->ctl + s->ctl_len, sizeof(s->ctl) - s->ctl_len);
	s->ka_hs.hdr.seq = seq;
	if (hi2_stream_tri(&s->ka_hs, &b, now.tv_sec, (uint32_t)(now.tv_nsec / 1000), kind,
	    &d) == HI2_OK)
		s->ctl_len += bld_len(&b);
}

/* A TRI keep-alive covering every record written so far. */
static void
send_keepalive(struct mdf_stream *s, uint64_t now)
{
	uint32_t seq;

	if (s->ka_n == MDF_LINK_MAX_KA || s->ctl_len != 0)
		return;
	seq = s->ka_hs.hdr.seq;
	queue_tri(s, HI2_TRI_KEEPALIVE, seq);
	if (s->ctl_len == 0)
		return;
	s->kaw[(s->ka_head + s->ka_n) % MDF_LINK_MAX_KA] = (struct ka_wait){seq, s->last_sent, now};
	s->ka_n++;
	s->ka_hs.hdr.seq = seq + 1;
	s->ka_covered = s->last_sent;
	s->last_ka_ms = now;
	s->st.ka_sent++;
}

static void
handshake(struct mdf_stream *s)
{
	enum tls_io io = tls_conn_handshake(s->conn);

	s->want_write = io == TLS_IO_WANT_WRITE;
	if (io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE) {
		set_events(s);
		return;
	}
	if (io != TLS_IO_OK) {
		char why[200];
		snprintf(why, sizeof(why), "TLS handshake: %s", tls_conn_error(s->conn));
		link_fail(s, why);
		return;
	}
	s->ls = L_UP;
	s->since = ev_now_ms();
	s->st.connects++;
	mdf_stream_event(s, MDF_SEV_CONNECTED, tls_conn_version(s->conn));
	/* First a keep-alive: its response proves the LEMF accepted us (with TLS 1.3 the
	 * client finishes its handshake before the server has checked our certificate). */
	send_keepalive(s, ev_now_ms());
	if (set_events(s) == 0)
		link_pump(s);
}

static void
connected(struct mdf_stream *s)
{
	int err = 0;
	socklen_t len = sizeof(err);
	char why[160];

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		snprintf(why, sizeof(why), "connect: %s", strerror(err));
		link_fail(s, why);
		return;
	}
	s->conn = s->plaintext ? tls_conn_new_plain(s->fd) :
	    tls_conn_new(s->tls, s->fd, s->tls_name);
	if (s->conn == NULL) {
		link_fail(s, "TLS: out of memory");
		return;
	}
	s->ls = L_HANDSHAKE;
	handshake(s);
}

void
mdf_link_restart(struct mdf_stream *s)
{
	if (s->ls != L_IDLE)
		conn_close(s);
	s->ls = L_IDLE;
	s->backoff_ms = s->backoff_min_ms;
	s->next_attempt = ev_now_ms();
}

void
mdf_link_cleanup(struct mdf_stream *s)
{
	conn_close(s);
	s->ls = L_IDLE;
	if (s->timer != 0)
		ev_timer_del(s->loop, s->timer);
	s->timer = 0;
	free(s->infl);
	s->infl = NULL;
	if (s->tap != NULL)
		fclose(s->tap);
	s->tap = NULL;
}

int
mdf_stream_set_peer(struct mdf_stream *s, const char *addr, uint16_t port, int plaintext,
    struct tls_ctx *tls, const char *tls_name, enum mdf_ack_mode ack)
{
	if (peer_set(s, addr, port, plaintext, tls, tls_name, ack) != 0)
		return -1;
	mdf_link_restart(s);
	return 0;
}

/* ------------------------------------------------------------------ acknowledgements */

static void
infl_release(struct mdf_stream *s, uint64_t upto)
{
	while (s->infl_n > 0 && s->infl[s->infl_head].recno <= upto) {
		s->infl_bytes -= s->infl[s->infl_head].bytes;
		s->infl_head = (s->infl_head + 1) % MDF_LINK_WINDOW_RECORDS;
		s->infl_n--;
	}
	mdf_stream_delivered(s, upto);
}

/* A keep-aliveResponse: the LEMF holds everything written before the keep-alive it answers.
 * Matched by sequence number when it echoes ours, else taken as the answer to the oldest
 * (responses come in order on one connection). */
static void
ka_response(struct mdf_stream *s, uint32_t seq)
{
	size_t n = 0;

	if (s->ka_n == 0) {
		s->st.ka_unmatched++;
		return;
	}
	for (size_t i = 0; i < s->ka_n; i++)
		if (s->kaw[(s->ka_head + i) % MDF_LINK_MAX_KA].seq == seq)
			n = i + 1;
	if (n == 0) {
		s->st.ka_unmatched++;
		n = 1;
	}
	uint64_t covers = s->kaw[(s->ka_head + n - 1) % MDF_LINK_MAX_KA].covers;
	s->ka_head = (s->ka_head + n) % MDF_LINK_MAX_KA;
	s->ka_n -= n;
	s->st.ka_acked += n;
	if (!s->confirmed) {
		s->confirmed = 1;
		s->backoff_ms = s->backoff_min_ms;
	}
	if (s->ack == MDF_ACK_KEEPALIVE)
		infl_release(s, covers);
}

/* MDF_ACK_TCP: the unacknowledged send queue holds q octets of ciphertext, which carry at most
 * q octets of plaintext (TLS records are never smaller than their content), so every record
 * that ended at least q octets before the end of what we wrote has been acknowledged by the
 * peer's TCP. */
static void
tcp_acks(struct mdf_stream *s)
{
	int q = 0;
	uint64_t acked, upto = 0;

	if (s->infl_n == 0) {
		/* Nothing in flight: only skipped records (if any) since the last one. */
		if (s->last_sent > s->delivered)
			mdf_stream_delivered(s, s->last_sent);
		return;
	}
	if (ioctl(s->fd, TIOCOUTQ, &q) != 0 || q < 0)
		return;
	acked = s->plain_written >= (uint64_t)q ? s->plain_written - (uint64_t)q : 0;
	for (size_t i = 0; i < s->infl_n; i++) {
		const struct inflight *f = &s->infl[(s->infl_head + i) % MDF_LINK_WINDOW_RECORDS];
		if (f->plain_end > acked)
			break;
		/* All of them: records skipped in between (damaged) are covered as well. */
		upto = i + 1 == s->infl_n ? s->last_sent : f->recno;
	}
	if (upto != 0)
		infl_release(s, upto);
}

/* ------------------------------------------------------------------ receiving */

static void
handle_pdu(struct mdf_stream *s, const uint8_t *p, size_t len)
{
	struct hi2_pdu pdu;
	struct hi2_diag d;

	if (hi2_decode(p, len, &pdu, &d) != HI2_OK) {
		s->st.rx_bad++;
		return;
	}
	if (pdu.kind != HI2_KIND_TRI) {
		s->st.rx_other++;
		return;
	}
	if (pdu.tri == HI2_TRI_KEEPALIVE_RESPONSE) {
		ka_response(s, pdu.seq);
	} else if (pdu.tri == HI2_TRI_KEEPALIVE) {
		/* The LEMF checks that we are alive: answer with its sequence number. */
		s->st.lemf_keepalives++;
		if (sizeof(s->ctl) - s->ctl_len >= 256)
			queue_tri(s, HI2_TRI_KEEPALIVE_RESPONSE, pdu.seq);
	} else {
		s->st.rx_other++;
	}
}

/* Returns -1 if the connection was dropped. */
static int
link_read(struct mdf_stream *s)
{
	for (int round = 0; round < 16 || tls_conn_pending(s->conn) > 0; round++) {
		size_t got = 0, n;
		struct hi2_diag d;
		enum hi2_err e;

		if (s->ilen == sizeof(s->ibuf)) {
			s->st.rx_bad++;
			link_fail(s, "LEMF sent a PDU larger than a TRI PDU can be");
			return -1;
		}
		enum tls_io io = tls_conn_read(s->conn, s->ibuf + s->ilen, sizeof(s->ibuf) - s->ilen,
		    &got);
		if (io == TLS_IO_WANT_READ)
			return 0;
		if (io == TLS_IO_WANT_WRITE) {
			s->want_write = 1;
			return 0;
		}
		if (io == TLS_IO_EOF) {
			link_fail(s, "LEMF closed the connection");
			return -1;
		}
		if (io != TLS_IO_OK) {
			char why[200];
			snprintf(why, sizeof(why), "read: %s", tls_conn_error(s->conn));
			link_fail(s, why);
			return -1;
		}
		s->ilen += got;
		size_t off = 0;
		while ((e = hi2_split(s->ibuf + off, s->ilen - off, sizeof(s->ibuf), &n, &d)) ==
		    HI2_OK) {
			handle_pdu(s, s->ibuf + off, n);
			off += n;
		}
		if (e != HI2_E_NEED_MORE) {
			s->st.rx_bad++;
			link_fail(s, "LEMF stream is not PS-PDUs");
			return -1;
		}
		memmove(s->ibuf, s->ibuf + off, s->ilen - off);
		s->ilen -= off;
	}
	return 0;
}

/* ------------------------------------------------------------------ sending */

/* Writes c (advancing it).  1 done, 0 blocked, -1 connection dropped. */
static int
write_some(struct mdf_stream *s, struct ovt_cursor *c)
{
	while (cur_len(c) > 0) {
		size_t done = 0;
		enum tls_io io = tls_conn_write(s->conn, cur_data(c), cur_len(c), &done);
		if (io == TLS_IO_WANT_WRITE) {
			s->want_write = 1;
			return 0;
		}
		if (io == TLS_IO_WANT_READ)
			return 0;
		if (io != TLS_IO_OK) {
			char why[200];
			snprintf(why, sizeof(why), "write: %s", tls_conn_error(s->conn));
			link_fail(s, why);
			return -1;
		}
		cur_skip(c, done);
		s->plain_written += done;
		s->st.sent_bytes += done;
	}
	return 1;
}

/* The next record from memory, when the spool reader's next record is the oldest one held
 * there (memq, mdf_stream_int.h): the spool moves its reader past it without reading it back.
 * These octets are the ones appended, never read from anywhere, so the checksum and
 * mdf_record_parse (which guard what a disk returns) have nothing to check.  1 loaded, 0 not
 * (the caller reads the spool: anything unusual is left to that path). */
static int
memq_next(struct mdf_stream *s)
{
	uint64_t pos = spool_read_pos(s->sp);
	struct memrec *m;

	while (s->mq_n > 0 && s->memq[s->mq_head].recno < pos)
		mdf_memq_pop(s);	/* passed by the reader (acknowledged, or read from the spool) */
	if (s->mq_n == 0)
		return 0;
	m = &s->memq[s->mq_head];
	if (m->recno != pos || m->recno <= s->delivered || cur_len(&m->pdus) == 0 ||
	    mdf_stream_is_void(s, m->recno) || spool_read_skip(s->sp, m->recno, m->len) != SPOOL_OK)
		return 0;
	s->have_rec = 1;
	s->rec_mem = 1;
	s->rec_no = m->recno;
	s->rec_epoch = m->epoch;
	s->rec = m->pdus;
	s->rec_all = m->pdus;
	s->rec_start = s->plain_written;
	s->st.mem_records++;
	return 1;
}

/* Loads the next record to send (from memory, else from the spool into rbuf).  1 loaded, 0
 * nothing (now). */
static int
next_record(struct mdf_stream *s)
{
	uint64_t first, last, recno;
	size_t len;
	char d[160];

	if (s->sp == NULL || s->st.broken)
		return 0;
	for (int guard = 0; guard < 1024; guard++) {
		struct mdf_record r;
		enum spool_err e;

		if (memq_next(s))
			return 1;

		e = spool_read_next(s->sp, s->rbuf, SPOOL_RECORD_MAX, &len, &recno);
		if (e == SPOOL_E_EMPTY)
			return 0;
		if (e == SPOOL_E_CORRUPT || e == SPOOL_E_GAP || e == SPOOL_E_ORDER) {
			mdf_stream_event(s, MDF_SEV_SPOOL_ERROR, spool_strerror(e));
			if (spool_skip_damaged(s->sp, &first, &last) != SPOOL_OK)
				return 0;
			if (first <= last) {
				s->st.lost_records += last - first + 1;
				snprintf(d, sizeof(d), "records %llu..%llu given up",
				    (unsigned long long)first, (unsigned long long)last);
				mdf_stream_event(s, MDF_SEV_LOST, d);
				/* Nothing to send for them; the next acknowledgement covers them. */
				s->last_sent = last;
			}
			continue;
		}
		if (e != SPOOL_OK) {
			mdf_stream_event(s, MDF_SEV_SPOOL_ERROR, spool_strerror(e));
			return 0;
		}
		if (recno <= s->delivered)
			continue;	/* the LEMF has it (resend after a restart skips it) */
		if (mdf_stream_is_void(s, recno)) {
			/* Uncommitted at a crash: its PDUs were mediated again from the POI's
			 * resend.  Covered by the next acknowledgement like a sent one. */
			s->last_sent = recno;
			continue;
		}
		if (mdf_record_parse(s->rbuf, len, (uint8_t)s->kind, &r) != MDF_REC_OK) {
			s->st.bad_records++;
			mdf_stream_event(s, MDF_SEV_BAD_RECORD, "record skipped, its PDUs are lost");
			s->last_sent = recno;
			continue;
		}
		s->have_rec = 1;
		s->rec_no = recno;
		s->rec_epoch = r.epoch;
		s->rec = r.pdus;
		s->rec_all = r.pdus;
		s->rec_start = s->plain_written;
		return 1;
	}
	return 0;
}

/* A loaded record waits for its commit, and for stable storage (top of file). */
static int
held(const struct mdf_stream *s)
{
	if (s->spool_cfg.sync == SPOOL_SYNC_NONE || s->env->journal_sync_none)
		return s->rec_epoch > s->env->committed;
	return s->rec_epoch > s->env->committed_durable || s->sp == NULL ||
	    s->rec_no > spool_durable(s->sp);
}

static int
keepalive_due(const struct mdf_stream *s, uint64_t now)
{
	if (s->ka_n == MDF_LINK_MAX_KA || now < s->last_ka_ms)
		return 0;
	/* Liveness, and the probe of a fresh connection. */
	if (now - s->last_ka_ms >= s->ka_ms)
		return 1;
	/* Acknowledgement of what was written since the last keep-alive, at most every
	 * ack_interval_ms, or at once when the window is full. */
	if (s->ack == MDF_ACK_KEEPALIVE && s->last_sent > s->ka_covered &&
	    (now - s->last_ka_ms >= s->ack_interval_ms ||
	    s->infl_n == MDF_LINK_WINDOW_RECORDS || s->infl_bytes >= MDF_LINK_WINDOW_BYTES))
		return 1;
	return 0;
}

static void
record_done(struct mdf_stream *s)
{
	struct inflight *f;
	uint64_t bytes = s->plain_written - s->rec_start;

	/* The in-flight ring holds the records written on this connection and not yet
	 * delivered; the window check before loading a record keeps it from overflowing. */
	f = &s->infl[(s->infl_head + s->infl_n) % MDF_LINK_WINDOW_RECORDS];
	f->recno = s->rec_no;
	f->plain_end = s->plain_written;
	f->bytes = bytes;
	s->infl_n++;
	s->infl_bytes += bytes;
	s->last_sent = s->rec_no;
	if (s->tap != NULL)
		fwrite(cur_data(&s->rec_all), 1, cur_len(&s->rec_all), s->tap);
	s->st.sent_records++;
	if (s->rec_no <= s->max_sent)
		s->st.resent_records++;
	else
		s->max_sent = s->rec_no;
	if (s->rec_mem) {
		mdf_memq_pop(s);	/* it was the oldest held */
		s->rec_mem = 0;
	}
	s->have_rec = 0;
}

static void
link_pump(struct mdf_stream *s)
{
	uint64_t now = ev_now_ms();

	if (s->ls != L_UP)
		return;
	s->want_write = 0;
	for (int round = 0; round < PUMP_ROUNDS; round++) {
		int r;
		if (s->ctl_off < s->ctl_len) {
			struct ovt_cursor c;
			cur_init(&c, s->ctl + s->ctl_off, s->ctl_len - s->ctl_off);
			r = write_some(s, &c);
			if (r < 0)
				return;
			s->ctl_off = s->ctl_len - cur_len(&c);
			if (r == 0)
				break;
			if (s->tap != NULL)
				fwrite(s->ctl, 1, s->ctl_len, s->tap);
			s->ctl_len = s->ctl_off = 0;
			continue;
		}
		if (!s->have_rec) {
			if (keepalive_due(s, now)) {
				send_keepalive(s, now);
				if (s->ctl_len > 0)
					continue;
			}
			if (s->infl_n == MDF_LINK_WINDOW_RECORDS ||
			    s->infl_bytes >= MDF_LINK_WINDOW_BYTES || !next_record(s))
				break;
		}
		if (!held(s)) {
			if ((r = write_some(s, &s->rec)) < 0)
				return;
			if (r == 0)
				break;
			record_done(s);
			continue;
		}
		break;	/* waiting for the spool's next sync */
	}
	if (s->ack == MDF_ACK_TCP)
		tcp_acks(s);
	/* Rounds used up with work left: come back when the socket is writable. */
	if (s->ctl_off < s->ctl_len || (s->have_rec && !held(s)))
		s->want_write = 1;
	set_events(s);
}

static void
link_io(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct mdf_stream *s = arg;

	switch (s->ls) {
	case L_CONNECTING:
		connected(s);
		break;
	case L_HANDSHAKE:
		handshake(s);
		break;
	case L_UP:
		if ((events & EV_READ) && link_read(s) != 0)
			return;
		link_pump(s);
		break;
	default:
		break;
	}
}

void
mdf_link_kick(struct mdf_stream *s)
{
	if (s->ls == L_UP && !s->want_write)
		link_pump(s);
}

static void
tick_cb(struct ev_loop *loop, void *arg)
{
	struct mdf_stream *s = arg;
	uint64_t now = ev_now_ms();
	char why[96];

	s->timer = ev_timer_add(loop, tick_ms(s), tick_cb, s);
	mdf_stream_tick(s, now);
	switch (s->ls) {
	case L_IDLE:
		if (now >= s->next_attempt)
			link_connect(s);
		break;
	case L_CONNECTING:
	case L_HANDSHAKE:
		if (now - s->since >= s->connect_timeout_ms)
			link_fail(s, "connect timeout");
		break;
	case L_UP:
		if (s->ka_n > 0 && s->ack == MDF_ACK_KEEPALIVE &&
		    now - s->kaw[s->ka_head].sent_ms >= s->ka_timeout_ms) {
			s->st.ka_timeouts++;
			snprintf(why, sizeof(why), "no keep-aliveResponse within %u ms",
			    s->ka_timeout_ms);
			link_fail(s, why);
			break;
		}
		while (s->ack == MDF_ACK_TCP && s->ka_n > 0 &&
		    now - s->kaw[s->ka_head].sent_ms >= s->ka_timeout_ms) {
			/* Responses are optional in this mode: forget the ones that never came. */
			s->ka_head = (s->ka_head + 1) % MDF_LINK_MAX_KA;
			s->ka_n--;
		}
		if (s->ack == MDF_ACK_TCP && !s->confirmed && now - s->since >= s->ka_ms) {
			s->confirmed = 1;	/* no response needed in this mode */
			s->backoff_ms = s->backoff_min_ms;
		}
		if (!s->want_write)
			link_pump(s);
		break;
	}
}
