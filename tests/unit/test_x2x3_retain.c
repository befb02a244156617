/*
 * At-least-once delivery on the X2/X3 hop, over loopback:
 *   - a receiver killed with SIGKILL five times while PDUs flow (a child process over mutual
 *     TLS that makes PDUs "durable" by appending them to a file only at each keepalive, acks
 *     later, and rebuilds its duplicate filter from that file when it starts again): every PDU
 *     is in the file at least once and, after the filter, exactly once and in order; then the
 *     sender restarts (sequence numbers from 0 again) and the filter accepts all of its PDUs;
 *   - the retransmit window: held until a deferred ack, resent with the same octets after the
 *     connection breaks, bounded by the queue limits (overflow counted), at most
 *     X2X3_MAX_BARRIERS keepalives in flight; PDUs of 5 octets to 100 KB (chunk edges, records
 *     cut mid-write) intact across receiver teardowns; blocked TLS writes repeated as they
 *     were while barriers keep being queued;
 *   - stale and unknown keepalive acks ignored and counted by the sender;
 *   - x2x3_receiver_ack: order, cumulative acks, unknown connection, not pending, backlog;
 *   - retention off, and refused without keepalives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/ev.h"
#include "pki/pki.h"
#include "tls/tls.h"
#include "x2x3/x2x3.h"
#include "x2x3/x2x3_dedup.h"
#include "x2x3/x2x3_receiver.h"
#include "x2x3/x2x3_sender.h"

#define MAXREC	 256
#define MAXKA	 64
#define RAWMAX	 256

static char pki_dir[64];
static const char *const roles[] = {"poi", "mdf"};

/* ------------------------------------------------------------------ in-process receiver log */

struct rxlog {
	size_t n;
	uint32_t seq[MAXREC];
	uint8_t xid0[MAXREC];
	uint8_t raw[MAXREC][RAWMAX];
	size_t rawlen[MAXREC];
	/* Keepalives seen (deferred: not acked until the test says so). */
	size_t nka;
	uint64_t ka_conn[MAXKA];
	uint32_t ka_seq[MAXKA];
	int auto_ack;			/* ack each keepalive from inside on_pdu */
	struct x2x3_receiver *rx;	/* for auto_ack */
};

static void
on_pdu(void *arg, const struct x2x3_peer *peer, const struct x2x3_pdu *pdu, struct ovt_cursor raw)
{
	struct rxlog *l = arg;
	if (pdu->type == X2X3_TYPE_KEEPALIVE) {
		assert_true(l->nka < MAXKA);
		l->ka_conn[l->nka] = peer->id;
		l->ka_seq[l->nka] = pdu->seq;
		l->nka++;
		if (l->auto_ack)
			assert_int_equal(x2x3_receiver_ack(l->rx, peer->id, pdu->seq), X2X3_OK);
		return;
	}
	assert_true(l->n < MAXREC);
	assert_true(cur_len(&raw) <= RAWMAX);
	l->seq[l->n] = pdu->seq;
	l->xid0[l->n] = pdu->xid[0];
	memcpy(l->raw[l->n], cur_data(&raw), cur_len(&raw));
	l->rawlen[l->n] = cur_len(&raw);
	l->n++;
}

/* Acks every keepalive logged so far (the last one per connection acks the earlier ones). */
static void
ack_all(struct rxlog *l)
{
	for (size_t i = 0; i < l->nka; i++) {
		if (i + 1 < l->nka && l->ka_conn[i + 1] == l->ka_conn[i])
			continue;
		enum x2x3_err e = x2x3_receiver_ack(l->rx, l->ka_conn[i], l->ka_seq[i]);
		assert_true(e == X2X3_OK || e == X2X3_E_NOT_PENDING || e == X2X3_E_NO_CONN);
	}
}

/* ------------------------------------------------------------------ helpers */

static struct tls_ctx *
ctx(enum tls_role role, const char *name)
{
	char ca[128], cert[128], key[128];
	struct tls_config c = {ca, cert, key};
	enum tls_err e;
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki_dir);
	snprintf(cert, sizeof(cert), "%s/%s.pem", pki_dir, name);
	snprintf(key, sizeof(key), "%s/%s.key", pki_dir, name);
	struct tls_ctx *t = tls_ctx_new(role, &c, &e);
	assert_non_null(t);
	return t;
}

static struct x2x3_receiver *
receiver(struct ev_loop *loop, struct tls_ctx *tls, uint16_t port, int defer, struct rxlog *log)
{
	struct x2x3_receiver_config c;
	enum x2x3_err e;
	memset(&c, 0, sizeof(c));
	c.bind_addr = "127.0.0.1";
	c.port = port;
	c.tls = tls;
	c.insecure_plaintext = tls == NULL;
	c.defer_acks = defer;
	c.on_pdu = on_pdu;
	c.arg = log;
	struct x2x3_receiver *r = x2x3_receiver_new(loop, &c, &e);
	assert_non_null(r);
	log->rx = r;
	return r;
}

static void
dest_defaults(struct x2x3_dest_config *d, uint16_t port, struct tls_ctx *tls)
{
	memset(d, 0, sizeof(*d));
	d->addr = "127.0.0.1";
	d->port = port;
	d->tls = tls;
	d->insecure_plaintext = tls == NULL;
	d->backoff_min_ms = 10;
	d->backoff_max_ms = 80;
	d->connect_timeout_ms = 2000;
	d->barrier_interval_ms = 20;
}

static struct x2x3_sender *
sender(struct ev_loop *loop, const struct x2x3_dest_config *d)
{
	enum x2x3_err e;
	struct x2x3_sender *s = x2x3_sender_new(loop, d, &e);
	assert_non_null(s);
	return s;
}

static void
mkpdu(struct x2x3_pdu *p, uint8_t xid_byte, const char *payload)
{
	x2x3_pdu_init(p);
	p->type = X2X3_TYPE_X2;
	p->format = X2X3_FMT_EPS_IRI;
	p->direction = X2X3_DIR_NA;
	memset(p->xid, xid_byte, 16);
	p->correlation_id = 42;
	p->present |= X2X3_HAS(X2X3_ATTR_TIMESTAMP);
	p->ts_sec = 1700000000;
	p->ts_nsec = 123;
	cur_init(&p->payload, payload, strlen(payload));
}

static int
run_until(struct ev_loop *loop, const size_t *counter, size_t want, uint64_t ms)
{
	uint64_t end = ev_now_ms() + ms;
	while (*counter < want && ev_now_ms() < end)
		ev_run_once(loop);
	return *counter >= want;
}

static void
run_for(struct ev_loop *loop, uint64_t ms)
{
	uint64_t end = ev_now_ms() + ms;
	while (ev_now_ms() < end)
		ev_run_once(loop);
}

static int
run_until_released(struct ev_loop *loop, struct x2x3_sender *s, uint64_t ms)
{
	struct x2x3_sender_stats st;
	uint64_t end = ev_now_ms() + ms;
	do {
		ev_run_once(loop);
		x2x3_sender_stats(s, &st);
	} while (st.queued_pdus > 0 && ev_now_ms() < end);
	return st.queued_pdus == 0;
}

/* Runs until the sender is connected (probe acknowledged), acking keepalives if asked. */
static int
run_until_up(struct ev_loop *loop, struct x2x3_sender *s, struct rxlog *l, uint64_t ms)
{
	struct x2x3_sender_stats st;
	uint64_t end = ev_now_ms() + ms;
	do {
		ev_run_once(loop);
		if (l != NULL)
			ack_all(l);
		x2x3_sender_stats(s, &st);
	} while (!st.up && ev_now_ms() < end);
	return st.up;
}

static uint16_t
free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* ------------------------------------------------------------------ fixtures */

static int
setup(void **state)
{
	signal(SIGPIPE, SIG_IGN);
	snprintf(pki_dir, sizeof(pki_dir), "/tmp/x2x3-retain-XXXXXX");
	if (mkdtemp(pki_dir) == NULL || pki_init(pki_dir, roles, 2, 1) != PKI_OK)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	const char *files[] = {"ca.pem", "ca.key", "poi.pem", "poi.key", "mdf.pem", "mdf.key"};
	char p[128];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", pki_dir, files[i]);
		unlink(p);
	}
	rmdir(pki_dir);
	return 0;
}

/* ------------------------------------------------------------------ window and deferred acks */

static void
test_window_held_until_deferred_ack(void **state)
{
	struct ev_loop *loop = ev_new();
	ev_set_max_wait(loop, 5);	/* run_for/run_until check their clock every few ms */
	struct rxlog log;
	struct x2x3_dest_config d;
	struct x2x3_sender_stats st;
	struct x2x3_receiver_stats rs;
	struct x2x3_pdu p;
	memset(&log, 0, sizeof(log));
	struct x2x3_receiver *r = receiver(loop, NULL, 0, 1, &log);
	dest_defaults(&d, x2x3_receiver_port(r), NULL);
	struct x2x3_sender *s = sender(loop, &d);

	/* Nothing flows before the probe is acknowledged, and with defer_acks only the
	 * application acknowledges. */
	run_for(loop, 100);
	x2x3_sender_stats(s, &st);
	assert_false(st.up);
	assert_int_equal(log.nka, 1);
	assert_int_equal(log.ka_seq[0], 0);	/* first probe of a sender instance */
	assert_true(run_until_up(loop, s, &log, 2000));

	for (int i = 0; i < 10; i++) {
		mkpdu(&p, 1, "held");
		assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
	}
	assert_true(run_until(loop, &log.n, 10, 3000));
	assert_true(run_until(loop, &log.nka, 2, 3000));	/* the barrier after them */
	run_for(loop, 50);
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.sent, 10);
	assert_int_equal(st.window_pdus, 10);
	assert_int_equal(st.queued_pdus, 10);
	assert_int_equal(st.acked, 0);
	assert_true(st.barriers_sent >= 1);
	x2x3_receiver_stats(r, &rs);
	assert_true(rs.acks_pending >= 1);
	assert_true(rs.acks_pending <= X2X3_MAX_BARRIERS);

	ack_all(&log);
	assert_true(run_until_released(loop, s, 2000));
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.acked, 10);
	assert_int_equal(st.window_pdus, 0);
	assert_int_equal(st.window_bytes, 0);
	assert_int_equal(st.barriers_acked, st.barriers_sent);
	assert_int_equal(st.acks_unexpected, 0);
	x2x3_receiver_stats(r, &rs);
	assert_int_equal(rs.acks_pending, 0);

	x2x3_sender_free(s);
	x2x3_receiver_free(r);
	ev_free(loop);
}

static void
test_resend_same_octets(void **state)
{
	struct ev_loop *loop = ev_new();
	ev_set_max_wait(loop, 5);	/* run_for/run_until check their clock every few ms */
	struct tls_ctx *srv = ctx(TLS_SERVER, "mdf");
	struct tls_ctx *cli = ctx(TLS_CLIENT, "poi");
	struct rxlog first, second;
	struct x2x3_dest_config d;
	struct x2x3_sender_stats st;
	struct x2x3_pdu p;
	char payload[32];
	memset(&first, 0, sizeof(first));
	memset(&second, 0, sizeof(second));
	struct x2x3_receiver *r = receiver(loop, srv, 0, 1, &first);
	uint16_t port = x2x3_receiver_port(r);
	dest_defaults(&d, port, cli);
	struct x2x3_sender *s = sender(loop, &d);
	assert_true(run_until_up(loop, s, &first, 3000));

	for (int i = 0; i < 5; i++) {
		snprintf(payload, sizeof(payload), "pdu-%d", i);
		mkpdu(&p, (uint8_t)(1 + i % 2), payload);
		assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
	}
	assert_true(run_until(loop, &first.n, 5, 3000));
	/* The receiver dies without acknowledging them. */
	x2x3_receiver_free(r);
	for (int i = 0; i < 3; i++) {
		snprintf(payload, sizeof(payload), "later-%d", i);
		mkpdu(&p, 1, payload);
		assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
	}
	/* A standard receiver this time: it acks every keepalive at once. */
	r = receiver(loop, srv, port, 0, &second);
	assert_true(run_until(loop, &second.n, 8, 5000));
	assert_true(run_until_released(loop, s, 3000));

	/* The window comes first, octet for octet (XID, sequence number, timestamp), then the
	 * PDUs queued during the outage. */
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(second.rawlen[i], first.rawlen[i]);
		assert_memory_equal(second.raw[i], first.raw[i], first.rawlen[i]);
	}
	const uint32_t want_seq[8] = {0, 0, 1, 1, 2, 3, 4, 5};
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(second.seq[i], want_seq[i]);
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.sent, 8);
	assert_int_equal(st.retransmitted, 5);
	assert_int_equal(st.acked, 8);
	assert_int_equal(st.disconnects, 1);
	/* The reconnection's probe is not 0: same sender instance. */
	assert_true(second.nka >= 1);
	assert_true(second.ka_seq[0] != 0);

	x2x3_sender_free(s);
	x2x3_receiver_free(r);
	tls_ctx_free(cli);
	tls_ctx_free(srv);
	ev_free(loop);
}

static void
test_window_bound_counted(void **state)
{
	struct ev_loop *loop = ev_new();
	ev_set_max_wait(loop, 5);	/* run_for/run_until check their clock every few ms */
	struct rxlog log;
	struct x2x3_dest_config d;
	struct x2x3_sender_stats st;
	struct x2x3_receiver_stats rs;
	struct x2x3_pdu p;
	memset(&log, 0, sizeof(log));
	struct x2x3_receiver *r = receiver(loop, NULL, 0, 1, &log);
	dest_defaults(&d, x2x3_receiver_port(r), NULL);
	d.queue_max_records = 16;	/* a barrier every 2 records: more than can be in flight */
	struct x2x3_sender *s = sender(loop, &d);
	assert_true(run_until_up(loop, s, &log, 2000));
	size_t probes = log.nka;

	for (int i = 0; i < 16; i++) {
		mkpdu(&p, 7, "x");
		assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
		run_for(loop, 5);	/* written one by one: each pair earns a barrier */
	}
	assert_true(run_until(loop, &log.n, 16, 3000));
	run_for(loop, 100);
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.window_pdus, 16);
	assert_int_equal(st.queued_pdus, 16);
	/* Written, yet still counted against the record limit. */
	mkpdu(&p, 7, "x");
	assert_int_equal(x2x3_sender_submit(s, &p), X2X3_E_QUEUE_FULL);
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.dropped_overflow, 1);
	/* Barriers in flight stop at X2X3_MAX_BARRIERS; the receiver holds them all. */
	assert_int_equal(st.keepalives_sent - st.keepalives_acked, X2X3_MAX_BARRIERS);
	assert_int_equal(log.nka - probes, X2X3_MAX_BARRIERS);
	x2x3_receiver_stats(r, &rs);
	assert_int_equal(rs.acks_pending, X2X3_MAX_BARRIERS);

	/* Acks release the window; a last barrier covers what the full FIFO held back. */
	for (int round = 0; round < 3; round++) {
		ack_all(&log);
		run_for(loop, 60);
	}
	assert_true(run_until_released(loop, s, 2000));
	mkpdu(&p, 7, "x");
	assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
	assert_int_equal(p.seq, 17);	/* 16 was taken by the refused PDU: a visible gap */
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.acked, 16);
	assert_int_equal(st.dropped_overflow, 1);

	/* The byte limit counts the window too. */
	x2x3_sender_free(s);
	mkpdu(&p, 8, "0123456789");
	size_t len = x2x3_pdu_encoded_len(&p) + 8;	/* + the seq TLV the sender adds */
	dest_defaults(&d, x2x3_receiver_port(r), NULL);
	d.queue_max_bytes = 3 * len;
	s = sender(loop, &d);
	assert_true(run_until_up(loop, s, &log, 2000));
	for (int i = 0; i < 3; i++) {
		mkpdu(&p, 8, "0123456789");
		assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
	}
	size_t want = log.n + 3;
	assert_true(run_until(loop, &log.n, want, 3000));
	mkpdu(&p, 8, "0123456789");
	assert_int_equal(x2x3_sender_submit(s, &p), X2X3_E_QUEUE_FULL);
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.window_bytes, 3 * len);
	assert_int_equal(st.dropped_overflow, 1);

	x2x3_sender_free(s);
	x2x3_receiver_free(r);
	ev_free(loop);
}

/* ------------------------------------------------------------------ stale and unknown acks */

/* Reads one whole PDU from a blocking socket into buf; returns its length. */
static size_t
read_pdu(int fd, uint8_t *buf, size_t cap)
{
	size_t have = 0, want = 12;
	while (have < want) {
		ssize_t n = recv(fd, buf + have, want - have, 0);
		assert_true(n > 0);
		have += (size_t)n;
		if (have == 12 && want == 12) {
			struct ovt_cursor c;
			cur_init(&c, buf, have);
			assert_int_equal(x2x3_pdu_peek_len(&c, cap, &want), X2X3_OK);
		}
	}
	return have;
}

static void
send_ack(int fd, uint32_t seq)
{
	uint8_t out[X2X3_KEEPALIVE_LEN];
	struct x2x3_pdu ack;
	struct ovt_builder b;
	x2x3_pdu_keepalive(&ack, 1, seq, X2X3_VERSION_DEFAULT);
	bld_init_fixed(&b, out, sizeof(out));
	assert_int_equal(x2x3_pdu_encode(&ack, &b), X2X3_OK);
	assert_int_equal(send(fd, out, sizeof(out), 0), (ssize_t)sizeof(out));
}

/* Drives the loop while a hand-written receiver reads, until fd has a whole PDU. */
static struct x2x3_pdu
next_pdu(struct ev_loop *loop, int fd, uint8_t *buf, size_t cap)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	struct x2x3_pdu pdu;
	struct ovt_cursor c;
	uint64_t end = ev_now_ms() + 3000;
	while (poll(&pfd, 1, 0) == 0 && ev_now_ms() < end)
		ev_run_once(loop);
	size_t n = read_pdu(fd, buf, cap);
	cur_init(&c, buf, n);
	assert_int_equal(x2x3_pdu_decode(c, cap, &pdu), X2X3_OK);
	return pdu;
}

static void
test_stale_and_unknown_acks(void **state)
{
	struct ev_loop *loop = ev_new();
	ev_set_max_wait(loop, 5);	/* run_for/run_until check their clock every few ms */
	struct x2x3_dest_config d;
	struct x2x3_sender_stats st;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	uint8_t buf[1024];
	struct x2x3_pdu p, got;
	int lfd = socket(AF_INET, SOCK_STREAM, 0), fd = -1;

	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(fcntl(lfd, F_SETFL, O_NONBLOCK), 0);
	dest_defaults(&d, ntohs(sa.sin_port), NULL);
	d.barrier_interval_ms = 1;
	struct x2x3_sender *s = sender(loop, &d);
	uint64_t end = ev_now_ms() + 3000;
	while (fd < 0 && ev_now_ms() < end) {
		ev_run_once(loop);
		fd = accept(lfd, NULL, NULL);
	}
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, 0), 0);

	got = next_pdu(loop, fd, buf, sizeof(buf));
	assert_int_equal(got.type, X2X3_TYPE_KEEPALIVE);
	assert_int_equal(got.seq, 0);
	uint32_t probe = got.seq;
	/* An ack for a keepalive never sent is ignored; the right one confirms. */
	send_ack(fd, 77);
	send_ack(fd, probe);
	assert_true(run_until_up(loop, s, NULL, 2000));
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.acks_unexpected, 1);

	for (int i = 0; i < 3; i++) {
		mkpdu(&p, 5, "abc");
		assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
	}
	for (int i = 0; i < 3; i++) {
		got = next_pdu(loop, fd, buf, sizeof(buf));
		assert_int_equal(got.type, X2X3_TYPE_X2);
		assert_int_equal(got.seq, (uint32_t)i);
	}
	got = next_pdu(loop, fd, buf, sizeof(buf));
	assert_int_equal(got.type, X2X3_TYPE_KEEPALIVE);
	uint32_t barrier = got.seq;
	assert_true(barrier != 0);

	/* Stale (the probe, acked already) and unknown numbers: counted, nothing released,
	 * the connection stays. */
	send_ack(fd, probe);
	send_ack(fd, barrier + 1000);
	run_for(loop, 50);
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.acks_unexpected, 3);
	assert_int_equal(st.window_pdus, 3);
	assert_int_equal(st.disconnects, 0);
	assert_true(st.up);

	send_ack(fd, barrier);
	run_for(loop, 50);
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.window_pdus, 0);
	assert_int_equal(st.acked, 3);
	assert_int_equal(st.barriers_acked, 1);
	/* Acked twice: the second is stale. */
	send_ack(fd, barrier);
	run_for(loop, 50);
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.acks_unexpected, 4);
	assert_int_equal(st.disconnects, 0);

	x2x3_sender_free(s);
	close(fd);
	close(lfd);
	ev_free(loop);
}

/* ------------------------------------------------------------------ x2x3_receiver_ack */

static int
raw_client(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void
send_keepalive(int fd, uint32_t seq)
{
	uint8_t out[X2X3_KEEPALIVE_LEN];
	struct x2x3_pdu ka;
	struct ovt_builder b;
	x2x3_pdu_keepalive(&ka, 0, seq, X2X3_VERSION_DEFAULT);
	bld_init_fixed(&b, out, sizeof(out));
	assert_int_equal(x2x3_pdu_encode(&ka, &b), X2X3_OK);
	assert_int_equal(send(fd, out, sizeof(out), 0), (ssize_t)sizeof(out));
}

static void
expect_ack(struct ev_loop *loop, int fd, uint32_t seq)
{
	uint8_t buf[128];
	struct x2x3_pdu got = next_pdu(loop, fd, buf, sizeof(buf));
	assert_int_equal(got.type, X2X3_TYPE_KEEPALIVE_ACK);
	assert_int_equal(got.seq, seq);
}

static void
test_receiver_ack_api(void **state)
{
	struct ev_loop *loop = ev_new();
	ev_set_max_wait(loop, 5);	/* run_for/run_until check their clock every few ms */
	struct rxlog log;
	struct x2x3_receiver_stats rs;
	memset(&log, 0, sizeof(log));
	struct x2x3_receiver *r = receiver(loop, NULL, 0, 1, &log);
	int fd = raw_client(x2x3_receiver_port(r));

	send_keepalive(fd, 7);
	send_keepalive(fd, 8);
	send_keepalive(fd, 9);
	assert_true(run_until(loop, &log.nka, 3, 2000));
	uint64_t conn = log.ka_conn[0];
	assert_int_equal(x2x3_receiver_ack(r, conn + 100, 7), X2X3_E_NO_CONN);
	assert_int_equal(x2x3_receiver_ack(r, conn, 5), X2X3_E_NOT_PENDING);
	/* Acking 8 acks 7 first: acks leave in arrival order. */
	assert_int_equal(x2x3_receiver_ack(r, conn, 8), X2X3_OK);
	expect_ack(loop, fd, 7);
	expect_ack(loop, fd, 8);
	assert_int_equal(x2x3_receiver_ack(r, conn, 8), X2X3_E_NOT_PENDING);
	x2x3_receiver_stats(r, &rs);
	assert_int_equal(rs.acks_pending, 1);
	assert_int_equal(rs.acks_refused, 3);
	assert_int_equal(x2x3_receiver_ack(r, conn, 9), X2X3_OK);
	expect_ack(loop, fd, 9);

	/* A peer whose keepalives the application does not acknowledge cannot pile them up. */
	for (uint32_t i = 0; i < X2X3_RX_MAX_ACKS + 1; i++)
		send_keepalive(fd, 100 + i);
	assert_true(run_until(loop, &log.nka, 3 + X2X3_RX_MAX_ACKS, 2000));
	run_for(loop, 50);
	x2x3_receiver_stats(r, &rs);
	assert_int_equal(rs.dropped[X2X3_E_BACKLOG], 1);
	assert_int_equal(rs.acks_pending, 0);	/* released with the connection */
	assert_int_equal(rs.active, 0);
	close(fd);

	/* Without defer_acks there is never anything pending. */
	x2x3_receiver_free(r);
	memset(&log, 0, sizeof(log));
	r = receiver(loop, NULL, 0, 0, &log);
	fd = raw_client(x2x3_receiver_port(r));
	send_keepalive(fd, 3);
	expect_ack(loop, fd, 3);
	assert_int_equal(x2x3_receiver_ack(r, log.ka_conn[0], 3), X2X3_E_NOT_PENDING);
	close(fd);
	x2x3_receiver_free(r);
	ev_free(loop);
}

/* ------------------------------------------------------------------ options */

static void
test_retain_options(void **state)
{
	struct ev_loop *loop = ev_new();
	ev_set_max_wait(loop, 5);	/* run_for/run_until check their clock every few ms */
	struct rxlog log;
	struct x2x3_dest_config d;
	struct x2x3_sender_stats st;
	struct x2x3_pdu p;
	enum x2x3_err e;
	memset(&log, 0, sizeof(log));
	log.auto_ack = 1;
	struct x2x3_receiver *r = receiver(loop, NULL, 0, 1, &log);

	/* Retention needs keepalive acks. */
	dest_defaults(&d, x2x3_receiver_port(r), NULL);
	d.keepalive_interval_ms = X2X3_KEEPALIVE_OFF;
	d.retain_until_ack = X2X3_RETAIN_ON;
	assert_null(x2x3_sender_new(loop, &d, &e));
	assert_int_equal(e, X2X3_E_CONFIG);
	d.retain_until_ack = (enum x2x3_retain)7;
	assert_null(x2x3_sender_new(loop, &d, &e));
	/* Default without keepalives: off. */
	d.retain_until_ack = X2X3_RETAIN_DEFAULT;
	struct x2x3_sender *s = sender(loop, &d);
	x2x3_sender_stats(s, &st);
	assert_false(st.retain);
	x2x3_sender_free(s);

	/* Off: released when written, no barrier keepalives. */
	dest_defaults(&d, x2x3_receiver_port(r), NULL);
	d.retain_until_ack = X2X3_RETAIN_OFF;
	s = sender(loop, &d);
	for (int i = 0; i < 4; i++) {
		mkpdu(&p, 2, "off");
		assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
	}
	assert_true(run_until(loop, &log.n, 4, 3000));
	x2x3_sender_stats(s, &st);
	assert_false(st.retain);
	assert_int_equal(st.queued_pdus, 0);
	assert_int_equal(st.window_pdus, 0);
	assert_int_equal(st.barriers_sent, 0);
	assert_int_equal(st.acked, 0);
	assert_int_equal(st.sent, 4);
	x2x3_sender_free(s);
	x2x3_receiver_free(r);
	ev_free(loop);
}

/* ------------------------------------------------------------------ chunks, partial writes */

#define BIGN	 120

struct biglog {
	size_t n, bad;
	uint32_t seq[4 * BIGN];
	struct x2x3_dedup *dd;
	size_t accepted;
	uint32_t next;
};

static size_t
big_size(uint32_t i)
{
	static const size_t sizes[] = {10, 30000, 70000, 5, 65000, 1200, 100000, 64000};
	return sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
}

static void
big_pdu(void *arg, const struct x2x3_peer *peer, const struct x2x3_pdu *pdu,
	struct ovt_cursor raw)
{
	struct biglog *l = arg;
	int rs;
	enum x2x3_dedup_verdict v = x2x3_dedup_pdu(l->dd, peer->cn, peer->id, pdu, &rs);
	if (pdu->type == X2X3_TYPE_KEEPALIVE)
		return;
	assert_true(l->n < 4 * BIGN);
	l->seq[l->n++] = pdu->seq;
	const uint8_t *b = cur_data(&pdu->payload);
	if (cur_len(&pdu->payload) != big_size(pdu->seq))
		l->bad++;
	for (size_t i = 0; i < cur_len(&pdu->payload); i++)
		if (b[i] != (uint8_t)(pdu->seq * 7 + i))
			l->bad++;
	if (v == X2X3_DEDUP_NEW) {
		assert_int_equal(pdu->seq, l->next);
		l->next++;
		l->accepted++;
	}
}

/* PDUs from 5 octets to 100 KB (chunks shared, own chunks, chunk ends), the receiver torn
 * down three times while the kernel buffers are full (records cut mid-write): each PDU arrives
 * intact, at least once, and exactly once in order after the filter. */
static void
test_large_pdus_across_restarts(void **state)
{
	struct ev_loop *loop = ev_new();
	ev_set_max_wait(loop, 5);
	struct tls_ctx *srv = ctx(TLS_SERVER, "mdf");
	struct tls_ctx *cli = ctx(TLS_CLIENT, "poi");
	static struct biglog log;
	struct x2x3_receiver_config rc;
	struct x2x3_dest_config d;
	struct x2x3_sender_stats st;
	struct x2x3_pdu p;
	enum x2x3_err e;
	uint8_t *payload = malloc(100000);
	assert_non_null(payload);
	memset(&log, 0, sizeof(log));
	assert_non_null(log.dd = x2x3_dedup_new(0, 0));
	memset(&rc, 0, sizeof(rc));
	rc.bind_addr = "127.0.0.1";
	rc.tls = srv;
	rc.on_pdu = big_pdu;
	rc.arg = &log;
	struct x2x3_receiver *r = x2x3_receiver_new(loop, &rc, &e);
	assert_non_null(r);
	rc.port = x2x3_receiver_port(r);
	dest_defaults(&d, rc.port, cli);
	struct x2x3_sender *s = sender(loop, &d);

	for (uint32_t i = 0; i < BIGN; i++) {
		mkpdu(&p, 0x33, "");
		for (size_t k = 0; k < big_size(i); k++)
			payload[k] = (uint8_t)(i * 7 + k);
		cur_init(&p.payload, payload, big_size(i));
		assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
		assert_int_equal(p.seq, i);
		if (i % 40 == 39) {
			/* Mid-stream: let some go, then the receiver vanishes. */
			size_t want = log.n + 3;
			assert_true(run_until(loop, &log.n, want, 5000));
			x2x3_receiver_free(r);
			run_for(loop, 20);
			assert_non_null(r = x2x3_receiver_new(loop, &rc, &e));
		}
	}
	assert_true(run_until_released(loop, s, 10000));
	x2x3_sender_stats(s, &st);
	print_message("large PDUs: %zu received, %llu retransmitted, %llu disconnects\n", log.n,
		      (unsigned long long)st.retransmitted, (unsigned long long)st.disconnects);
	assert_int_equal(log.bad, 0);
	assert_int_equal(log.accepted, BIGN);
	assert_int_equal(log.next, BIGN);
	assert_int_equal(st.sent, BIGN);
	assert_int_equal(st.disconnects, 3);
	assert_true(st.retransmitted > 0);
	/* Some of the resent octets died in the buffers of the receivers torn down. */
	assert_true(log.n >= BIGN && log.n <= st.sent + st.retransmitted);

	x2x3_sender_free(s);
	x2x3_receiver_free(r);
	x2x3_dedup_free(log.dd);
	free(payload);
	tls_ctx_free(cli);
	tls_ctx_free(srv);
	ev_free(loop);
}

/* ------------------------------------------------------------------ TLS backpressure */

static void
count_pdu(void *arg, const struct x2x3_peer *peer, const struct x2x3_pdu *pdu,
	  struct ovt_cursor raw)
{
	struct rxlog *l = arg;
	if (pdu->type == X2X3_TYPE_KEEPALIVE)
		return;
	/* In order, once each: nothing was resent, as nothing broke. */
	assert_int_equal(pdu->seq, (uint32_t)l->n);
	l->n++;
}

/* A slow TLS reader keeps the sender's writes blocked (WANT_WRITE) while barriers keep being
 * queued: a blocked write must be repeated as it was before a control PDU may go (OpenSSL
 * refuses a shorter retry with "bad length" and the connection breaks). */
static void
test_tls_backpressure_with_barriers(void **state)
{
	struct ev_loop *loop = ev_new(), *rloop = ev_new();
	struct tls_ctx *srv = ctx(TLS_SERVER, "mdf");
	struct tls_ctx *cli = ctx(TLS_CLIENT, "poi");
	struct x2x3_receiver_config rc;
	struct x2x3_dest_config d;
	struct x2x3_sender_stats st;
	struct x2x3_pdu p;
	struct rxlog log;
	enum x2x3_err e;
	static char payload[1000];
	const size_t total = 16000;

	ev_set_max_wait(loop, 0);
	ev_set_max_wait(rloop, 0);
	memset(&log, 0, sizeof(log));
	memset(payload, 'p', sizeof(payload) - 1);
	memset(&rc, 0, sizeof(rc));
	rc.bind_addr = "127.0.0.1";
	rc.tls = srv;
	rc.on_pdu = count_pdu;
	rc.arg = &log;
	struct x2x3_receiver *r = x2x3_receiver_new(rloop, &rc, &e);
	assert_non_null(r);
	dest_defaults(&d, x2x3_receiver_port(r), cli);
	d.barrier_interval_ms = 1;
	struct x2x3_sender *s = sender(loop, &d);
	for (size_t i = 0; i < total; i++) {
		mkpdu(&p, 0x44, payload);
		assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
	}
	uint64_t end = ev_now_ms() + 20000;
	for (unsigned i = 0; ev_now_ms() < end; i++) {
		ev_run_once(loop);
		if (i % 8 == 0)
			ev_run_once(rloop);	/* the receiver reads one turn in eight */
		x2x3_sender_stats(s, &st);
		if (st.queued_pdus == 0 || st.disconnects + st.connect_failures > 0)
			break;
	}
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.disconnects, 0);
	assert_int_equal(st.connect_failures, 0);
	assert_int_equal(st.queued_pdus, 0);
	assert_int_equal(log.n, total);
	assert_int_equal(st.acked, total);
	assert_true(st.barriers_acked > 1);

	x2x3_sender_free(s);
	x2x3_receiver_free(r);
	tls_ctx_free(cli);
	tls_ctx_free(srv);
	ev_free(loop);
	ev_free(rloop);
}

/* ------------------------------------------------------------------ kill -9 of the receiver */

/*
 * The child receiver's "durable store": fixed records appended with write(2) at each keepalive
 * (what the page cache holds survives SIGKILL), acked 15 ms later by a timer, so kills land
 * both before the flush (PDUs lost by the receiver, resent) and between flush and ack (PDUs
 * durable but resent: duplicates for the filter).
 */
struct krec {
	uint8_t kind;		/* 'P' PDU, 'R' restart of the identity */
	uint8_t dup;		/* filter verdict X2X3_DEDUP_DUP */
	uint8_t pad[2];
	uint32_t seq;
	uint8_t xid[16];
};

#define KBUF	 8192
#define KPEND	 64

struct kchild {
	struct ev_loop *loop;
	struct x2x3_receiver *rx;
	struct x2x3_dedup *dd;
	int fd;
	struct krec buf[KBUF];
	size_t nbuf;
	uint64_t pend_conn[KPEND];
	uint32_t pend_seq[KPEND];
	size_t npend;
};

static void
kchild_flush(struct kchild *k)
{
	const uint8_t *p = (const uint8_t *)k->buf;
	size_t left = k->nbuf * sizeof(k->buf[0]);
	while (left > 0) {
		ssize_t n = write(k->fd, p, left);
		if (n <= 0)
			_exit(3);
		p += n;
		left -= (size_t)n;
	}
	k->nbuf = 0;
}

static void
kchild_add(struct kchild *k, uint8_t kind, uint8_t dup, const uint8_t xid[16], uint32_t seq)
{
	struct krec *r;
	if (k->nbuf == KBUF)
		kchild_flush(k);	/* durable early is never wrong */
	r = &k->buf[k->nbuf++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->dup = dup;
	r->seq = seq;
	if (xid != NULL)
		memcpy(r->xid, xid, 16);
}

static void
kchild_pdu(void *arg, const struct x2x3_peer *peer, const struct x2x3_pdu *pdu,
	   struct ovt_cursor raw)
{
	struct kchild *k = arg;
	int restart;
	enum x2x3_dedup_verdict v = x2x3_dedup_pdu(k->dd, peer->cn, peer->id, pdu, &restart);
	if (restart)
		kchild_add(k, 'R', 0, NULL, 0);
	if (pdu->type == X2X3_TYPE_KEEPALIVE) {
		/* Everything before this keepalive (and a restart it caused) becomes durable;
		 * the ack follows on the timer. */
		kchild_flush(k);
		if (k->npend == KPEND)
			_exit(4);
		k->pend_conn[k->npend] = peer->id;
		k->pend_seq[k->npend++] = pdu->seq;
		return;
	}
	kchild_add(k, 'P', v == X2X3_DEDUP_DUP, pdu->xid, pdu->seq);
}

static void
kchild_ack(struct ev_loop *loop, void *arg)
{
	struct kchild *k = arg;
	for (size_t i = 0; i < k->npend; i++)
		(void)x2x3_receiver_ack(k->rx, k->pend_conn[i], k->pend_seq[i]);
	k->npend = 0;
	ev_timer_add(loop, 15, kchild_ack, k);
}

static _Noreturn void
kchild_main(uint16_t port, const char *path)
{
	static struct kchild k;
	struct x2x3_receiver_config c;
	struct krec r;
	enum x2x3_err e;

	/* Dies with the parent (a failed assertion there must not leave us listening). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1)
		_exit(9);
	/* Nothing of the parent's: its sockets would keep its connections half alive. */
	close_range(3, ~0u, 0);
	memset(&k, 0, sizeof(k));
	if ((k.loop = ev_new()) == NULL || (k.dd = x2x3_dedup_new(0, 0)) == NULL)
		_exit(5);
	/* Start-up: rebuild the filter from what is durable, in order. */
	if ((k.fd = open(path, O_RDWR | O_CREAT | O_APPEND, 0600)) < 0)
		_exit(6);
	while (read(k.fd, &r, sizeof(r)) == (ssize_t)sizeof(r)) {
		if (r.kind == 'R')
			x2x3_dedup_restart(k.dd, "poi");
		else if (!r.dup)
			(void)x2x3_dedup_note(k.dd, "poi", r.xid, r.seq);
	}
	char ca[128], cert[128], key[128];
	struct tls_config tc = {ca, cert, key};
	enum tls_err te;
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki_dir);
	snprintf(cert, sizeof(cert), "%s/mdf.pem", pki_dir);
	snprintf(key, sizeof(key), "%s/mdf.key", pki_dir);
	memset(&c, 0, sizeof(c));
	c.bind_addr = "127.0.0.1";
	c.port = port;
	if ((c.tls = tls_ctx_new(TLS_SERVER, &tc, &te)) == NULL)
		_exit(8);
	c.defer_acks = 1;
	c.on_pdu = kchild_pdu;
	c.arg = &k;
	if ((k.rx = x2x3_receiver_new(k.loop, &c, &e)) == NULL)
		_exit(7);
	ev_timer_add(k.loop, 15, kchild_ack, &k);
	ev_run(k.loop);
	_exit(0);
}

static pid_t
kchild_spawn(uint16_t port, const char *path)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		kchild_main(port, path);
	return pid;
}

static void
kchild_kill(pid_t pid)
{
	int status;
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* Killed, not failed on its own. */
	assert_true(WIFSIGNALED(status));
}

#define KXIDS	 3
#define KN1	 3000	/* PDUs of the first sender instance */
#define KN2	 300	/* PDUs of the second (restarted) instance */

static void
test_receiver_killed_nothing_lost(void **state)
{
	static const uint64_t sched[] = {170, 260, 230, 310, 200};
	struct ev_loop *loop = ev_new();
	ev_set_max_wait(loop, 5);	/* run_for/run_until check their clock every few ms */
	struct tls_ctx *cli = ctx(TLS_CLIENT, "poi");
	struct x2x3_dest_config d;
	struct x2x3_sender_stats st;
	struct x2x3_pdu p;
	char path[64], payload[32];
	uint16_t port = free_port();
	size_t submitted = 0, kills = 0;
	uint32_t count[KXIDS] = {0};

	snprintf(path, sizeof(path), "/tmp/x2x3-kill-%ld.rec", (long)getpid());
	unlink(path);
	pid_t child = kchild_spawn(port, path);
	dest_defaults(&d, port, cli);
	d.keepalive_timeout_ms = 1000;
	struct x2x3_sender *s = sender(loop, &d);

	uint64_t now = ev_now_ms(), next_submit = now, next_kill = now + sched[0];
	while (submitted < KN1 || kills < 5) {
		ev_run_once(loop);
		now = ev_now_ms();
		if (submitted < KN1 && now >= next_submit) {
			for (int i = 0; i < 10 && submitted < KN1; i++, submitted++) {
				uint8_t x = (uint8_t)(submitted % KXIDS);
				snprintf(payload, sizeof(payload), "one-%zu", submitted);
				mkpdu(&p, (uint8_t)(0x10 + x), payload);
				assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
				assert_int_equal(p.seq, count[x]++);
			}
			next_submit = now + 5;
		}
		if (kills < 5 && now >= next_kill) {
			kchild_kill(child);
			child = kchild_spawn(port, path);
			kills++;
			next_kill = now + (kills < 5 ? sched[kills] : 0);
		}
	}
	/* Released = acknowledged = durable at the receiver. */
	assert_true(run_until_released(loop, s, 15000));
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.sent, KN1);
	assert_int_equal(st.acked, KN1);
	assert_int_equal(st.dropped_overflow, 0);
	assert_true(st.disconnects >= 1);
	assert_true(st.retransmitted > 0);
	print_message("first sender: %llu connects, %llu retransmitted, %llu barriers\n",
		      (unsigned long long)st.connects, (unsigned long long)st.retransmitted,
		      (unsigned long long)st.barriers_acked);

	/* The POI restarts: a new sender instance numbers every XID from 0 again. */
	x2x3_sender_free(s);
	s = sender(loop, &d);
	for (size_t i = 0; i < KN2; i++) {
		snprintf(payload, sizeof(payload), "two-%zu", i);
		mkpdu(&p, (uint8_t)(0x10 + i % KXIDS), payload);
		assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
		assert_int_equal(p.seq, i / KXIDS);
	}
	assert_true(run_until_released(loop, s, 10000));
	x2x3_sender_free(s);
	/* Everything acknowledged is in the file even if the receiver dies now. */
	kchild_kill(child);

	/* The file: every PDU at least once; the filter's accepted ones exactly once, in order,
	 * per XID, numbering from 0 again after the second instance's restart marker. */
	int fd = open(path, O_RDONLY);
	struct krec r;
	uint32_t next[KXIDS] = {0};
	size_t accepted = 0, dups = 0, restarts = 0, instance = 0;
	assert_true(fd >= 0);
	while (read(fd, &r, sizeof(r)) == (ssize_t)sizeof(r)) {
		if (r.kind == 'R') {
			restarts++;
			/* A restart may only come before any data, or after all of instance 1. */
			int at_start = next[0] == 0 && next[1] == 0 && next[2] == 0;
			int at_end = next[0] + next[1] + next[2] == KN1;
			assert_true(at_start || at_end);
			if (at_end && instance == 0) {
				instance = 1;
				memset(next, 0, sizeof(next));
			}
			continue;
		}
		assert_int_equal(r.kind, 'P');
		assert_true(r.xid[0] >= 0x10 && r.xid[0] < 0x10 + KXIDS);
		if (r.dup) {
			dups++;
			continue;
		}
		assert_int_equal(r.seq, next[r.xid[0] - 0x10]++);
		accepted++;
	}
	close(fd);
	unlink(path);
	assert_int_equal(instance, 1);
	assert_int_equal(accepted, KN1 + KN2);
	for (int x = 0; x < KXIDS; x++)
		assert_int_equal(next[x], KN2 / KXIDS);
	print_message("receiver file: %zu accepted, %zu duplicates dropped by the filter, "
		      "%zu restart markers\n", accepted, dups, restarts);

	tls_ctx_free(cli);
	ev_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_held_until_deferred_ack),
		cmocka_unit_test(test_resend_same_octets),
		cmocka_unit_test(test_window_bound_counted),
		cmocka_unit_test(test_stale_and_unknown_acks),
		cmocka_unit_test(test_receiver_ack_api),
		cmocka_unit_test(test_retain_options),
		cmocka_unit_test(test_large_pdus_across_restarts),
		cmocka_unit_test(test_tls_backpressure_with_barriers),
		cmocka_unit_test(test_receiver_killed_nothing_lost),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
