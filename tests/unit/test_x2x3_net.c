/*
 * X2/X3 sender and receiver over loopback, on one event loop: delivery over mutual TLS with
 * per-XID sequence numbers (and retention released by barrier acks), X3 payload modes,
 * mutual-TLS refusals, reconnection after the receiver restarts (PDUs queued during the outage
 * delivered), queue overflow counted,
 * keepalives answered and acknowledged, a silent receiver detected by the ack timeout, and bad
 * connections dropped with their reason while a good one keeps delivering.
 * Certificates come from pki_init in a temporary directory (two independent CAs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/ev.h"
#include "pki/pki.h"
#include "tls/tls.h"
#include "x2x3/x2x3.h"
#include "x2x3/x2x3_receiver.h"
#include "x2x3/x2x3_sender.h"

#define MAXREC 512

static char dir_a[64], dir_b[64];
static const char *const roles[] = {"poi", "mdf"};

struct rxlog {
	size_t n, keepalives;
	uint8_t xid[MAXREC][16];
	uint32_t seq[MAXREC];
	uint16_t type[MAXREC], format[MAXREC];
	size_t plen[MAXREC];
	uint8_t payload0[MAXREC];
	char cn[128];
	size_t closed;
	enum x2x3_err last_reason;
};

static void
on_pdu(void *arg, const struct x2x3_peer *peer, const struct x2x3_pdu *pdu, struct ovt_cursor raw)
{
	struct rxlog *l = arg;
	if (pdu->type == X2X3_TYPE_KEEPALIVE) {
		l->keepalives++;
		return;
	}
	assert_true(l->n < MAXREC);
	memcpy(l->xid[l->n], pdu->xid, 16);
	l->seq[l->n] = pdu->seq;
	l->type[l->n] = pdu->type;
	l->format[l->n] = pdu->format;
	l->plen[l->n] = cur_len(&pdu->payload);
	l->payload0[l->n] = cur_len(&pdu->payload) ? cur_data(&pdu->payload)[0] : 0;
	snprintf(l->cn, sizeof(l->cn), "%s", peer->cn);
	l->n++;
}

static void
on_conn(void *arg, const struct x2x3_peer *peer, enum x2x3_conn_event ev, enum x2x3_err reason,
	const char *detail)
{
	struct rxlog *l = arg;
	if (ev == X2X3_CONN_CLOSED) {
		l->closed++;
		l->last_reason = reason;
	}
}

/* ------------------------------------------------------------------ helpers */

static void
path(char *out, size_t len, const char *dir, const char *file)
{
	snprintf(out, len, "%s/%s", dir, file);
}

static struct tls_ctx *
ctx(enum tls_role role, const char *ca_dir, const char *cert_dir, const char *name)
{
	char ca[128], cert[128], key[128], f[32];
	struct tls_config c = {ca, cert, key};
	enum tls_err e;
	path(ca, sizeof(ca), ca_dir, "ca.pem");
	snprintf(f, sizeof(f), "%s.pem", name);
	path(cert, sizeof(cert), cert_dir, f);
	snprintf(f, sizeof(f), "%s.key", name);
	path(key, sizeof(key), cert_dir, f);
	struct tls_ctx *t = tls_ctx_new(role, &c, &e);
	assert_non_null(t);
	return t;
}

static struct x2x3_receiver *
receiver(struct ev_loop *loop, struct tls_ctx *tls, uint16_t port, struct rxlog *log)
{
	struct x2x3_receiver_config c;
	enum x2x3_err e;
	memset(&c, 0, sizeof(c));
	c.bind_addr = "127.0.0.1";
	c.port = port;
	c.tls = tls;
	c.insecure_plaintext = tls == NULL;
	c.on_pdu = on_pdu;
	c.on_conn = on_conn;
	c.arg = log;
	struct x2x3_receiver *r = x2x3_receiver_new(loop, &c, &e);
	assert_non_null(r);
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
}

static struct x2x3_sender *
sender(struct ev_loop *loop, const struct x2x3_dest_config *d)
{
	enum x2x3_err e;
	struct x2x3_sender *s = x2x3_sender_new(loop, d, &e);
	assert_non_null(s);
	return s;
}

/* Runs the loop until *counter >= want or ms pass; returns whether it got there. */
static int
run_until(struct ev_loop *loop, const size_t *counter, size_t want, uint64_t ms)
{
	uint64_t end = ev_now_ms() + ms;
	while (*counter < want && ev_now_ms() < end)
		ev_run_once(loop);
	return *counter >= want;
}

/* Runs the loop until the sender holds no PDU (with retention: every barrier acknowledged). */
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

static void
run_for(struct ev_loop *loop, uint64_t ms)
{
	uint64_t end = ev_now_ms() + ms;
	while (ev_now_ms() < end)
		ev_run_once(loop);
}

static void
mkpdu(struct x2x3_pdu *p, uint8_t xid_byte, uint16_t type, const char *payload)
{
	x2x3_pdu_init(p);
	p->type = type;
	p->format = type == X2X3_TYPE_X2 ? X2X3_FMT_EPS_IRI : X2X3_FMT_GTPU;
	p->direction = X2X3_DIR_TO_TARGET;
	memset(p->xid, xid_byte, 16);
	p->correlation_id = xid_byte;
	cur_init(&p->payload, payload, strlen(payload));
}

/* A port nothing listens on right now (bound then closed). */
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

/* ------------------------------------------------------------------ fixtures */

static void
rm_pki(const char *dir)
{
	const char *files[] = {"ca.pem", "ca.key", "poi.pem", "poi.key", "mdf.pem", "mdf.key"};
	char p[128];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path(p, sizeof(p), dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static int
setup(void **state)
{
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir_a, sizeof(dir_a), "/tmp/x2x3-net-a-XXXXXX");
	snprintf(dir_b, sizeof(dir_b), "/tmp/x2x3-net-b-XXXXXX");
	if (mkdtemp(dir_a) == NULL || mkdtemp(dir_b) == NULL)
		return -1;
	if (pki_init(dir_a, roles, 2, 1) != PKI_OK || pki_init(dir_b, roles, 2, 1) != PKI_OK)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	rm_pki(dir_a);
	rm_pki(dir_b);
	return 0;
}

/* ------------------------------------------------------------------ tests */

static void
test_tls_delivery_and_sequence(void **state)
{
	struct ev_loop *loop = ev_new();
	struct tls_ctx *srv = ctx(TLS_SERVER, dir_a, dir_a, "mdf");
	struct tls_ctx *cli = ctx(TLS_CLIENT, dir_a, dir_a, "poi");
	struct rxlog log;
	struct x2x3_dest_config d;
	struct x2x3_sender_stats st;
	struct x2x3_receiver_stats rs;
	memset(&log, 0, sizeof(log));
	struct x2x3_receiver *r = receiver(loop, srv, 0, &log);
	dest_defaults(&d, x2x3_receiver_port(r), cli);
	struct x2x3_sender *s = sender(loop, &d);

	/* Two XIDs interleaved: each has its own sequence 0, 1, 2, ... */
	for (int i = 0; i < 200; i++) {
		struct x2x3_pdu p;
		mkpdu(&p, i % 2 ? 0xaa : 0xbb, i % 3 ? X2X3_TYPE_X3 : X2X3_TYPE_X2, "payload");
		assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
		assert_int_equal(p.seq, (uint32_t)(i / 2));
	}
	assert_true(run_until(loop, &log.n, 200, 5000));
	uint32_t next_a = 0, next_b = 0;
	for (size_t i = 0; i < 200; i++) {
		uint32_t *next = log.xid[i][0] == 0xaa ? &next_a : &next_b;
		assert_int_equal(log.seq[i], (*next)++);
		assert_int_equal(log.type[i], i % 3 ? X2X3_TYPE_X3 : X2X3_TYPE_X2);
		assert_int_equal(log.plen[i], 7);
	}
	assert_string_equal(log.cn, "poi");
	/* Retention is on by default: the PDUs are released once a barrier after them is
	 * acknowledged (this receiver acks at once). */
	assert_true(run_until_released(loop, s, 3000));
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.submitted, 200);
	assert_int_equal(st.sent, 200);
	assert_int_equal(st.acked, 200);
	assert_int_equal(st.retransmitted, 0);
	assert_true(st.retain);
	assert_true(st.barriers_acked >= 1);
	assert_int_equal(st.window_pdus, 0);
	assert_int_equal(st.queued_pdus, 0);
	assert_int_equal(st.connects, 1);
	assert_int_equal(st.dropped_overflow, 0);
	assert_true(st.up);
	x2x3_receiver_stats(r, &rs);
	assert_int_equal(rs.pdus[X2X3_TYPE_X2] + rs.pdus[X2X3_TYPE_X3], 200);
	assert_int_equal(rs.up, 1);
	/* The probe keepalive was answered before any PDU went out. */
	assert_true(rs.pdus[X2X3_TYPE_KEEPALIVE] >= 1);

	x2x3_sender_free(s);
	x2x3_receiver_free(r);
	tls_ctx_free(cli);
	tls_ctx_free(srv);
	ev_free(loop);
}

static void
test_x3_payload_modes(void **state)
{
	struct ev_loop *loop = ev_new();
	struct rxlog log;
	struct x2x3_dest_config d;
	struct x2x3_pdu p;
	struct ovt_cursor gtpu, v4, v6, junk;
	static const uint8_t gtpu_msg[] = {0x30, 0xff, 0x00, 0x04, 0x11, 0x22, 0x33, 0x44,
					   0x45, 0x00, 0x00, 0x04};
	static const uint8_t ip6[] = {0x60, 0, 0, 0};
	memset(&log, 0, sizeof(log));
	struct x2x3_receiver *r = receiver(loop, NULL, 0, &log);
	dest_defaults(&d, x2x3_receiver_port(r), NULL);
	struct x2x3_sender *s_gtp = sender(loop, &d);
	d.x3_mode = X2X3_X3_IP;
	struct x2x3_sender *s_ip = sender(loop, &d);

	cur_init(&gtpu, gtpu_msg, sizeof(gtpu_msg));
	cur_init(&v4, gtpu_msg + 8, 4);
	cur_init(&v6, ip6, sizeof(ip6));
	cur_init(&junk, gtpu_msg, 4);	/* version nibble 3 */
	mkpdu(&p, 1, X2X3_TYPE_X3, "");
	assert_int_equal(x2x3_sender_submit_x3(s_gtp, &p, gtpu, v4), X2X3_OK);
	assert_true(run_until(loop, &log.n, 1, 3000));
	assert_int_equal(log.format[0], X2X3_FMT_GTPU);
	assert_int_equal(log.plen[0], sizeof(gtpu_msg));
	assert_int_equal(log.payload0[0], 0x30);

	mkpdu(&p, 1, X2X3_TYPE_X3, "");
	assert_int_equal(x2x3_sender_submit_x3(s_ip, &p, gtpu, v4), X2X3_OK);
	mkpdu(&p, 1, X2X3_TYPE_X3, "");
	assert_int_equal(x2x3_sender_submit_x3(s_ip, &p, gtpu, v6), X2X3_OK);
	mkpdu(&p, 1, X2X3_TYPE_X3, "");
	assert_int_equal(x2x3_sender_submit_x3(s_ip, &p, gtpu, junk), X2X3_E_FORMAT);
	assert_true(run_until(loop, &log.n, 3, 3000));
	assert_int_equal(log.format[1], X2X3_FMT_IPV4);
	assert_int_equal(log.payload0[1], 0x45);
	assert_int_equal(log.plen[1], 4);
	assert_int_equal(log.format[2], X2X3_FMT_IPV6);
	/* Separate destinations count separately: both start at 0 for the same XID. */
	assert_int_equal(log.seq[0], 0);
	assert_int_equal(log.seq[1], 0);
	assert_int_equal(log.seq[2], 1);
	struct x2x3_sender_stats st;
	x2x3_sender_stats(s_ip, &st);
	assert_int_equal(st.dropped_invalid, 1);
	assert_int_equal(st.submitted, 3);

	x2x3_sender_free(s_gtp);
	x2x3_sender_free(s_ip);
	x2x3_receiver_free(r);
	ev_free(loop);
}

struct evlog {
	size_t connected, failed, disconnected;
	enum x2x3_err last;
	char detail[160];
};

static void
on_sender_event(void *arg, enum x2x3_sender_event ev, enum x2x3_err reason, const char *detail)
{
	struct evlog *l = arg;
	if (ev == X2X3_EV_CONNECTED)
		l->connected++;
	else if (ev == X2X3_EV_CONNECT_FAILED)
		l->failed++;
	else
		l->disconnected++;
	l->last = reason;
	snprintf(l->detail, sizeof(l->detail), "%s", detail);
}

static void
test_mtls_refusals(void **state)
{
	struct ev_loop *loop = ev_new();
	struct tls_ctx *srv = ctx(TLS_SERVER, dir_a, dir_a, "mdf");
	/* Trusts the right CA but presents a certificate from another CA. */
	struct tls_ctx *foreign = ctx(TLS_CLIENT, dir_a, dir_b, "poi");
	/* Right certificate, wrong expectation of the server's name. */
	struct tls_ctx *good = ctx(TLS_CLIENT, dir_a, dir_a, "poi");
	struct rxlog log;
	struct evlog el1, el2;
	struct x2x3_dest_config d;
	struct x2x3_pdu p;
	struct x2x3_sender_stats st;
	struct x2x3_receiver_stats rs;
	memset(&log, 0, sizeof(log));
	memset(&el1, 0, sizeof(el1));
	memset(&el2, 0, sizeof(el2));
	struct x2x3_receiver *r = receiver(loop, srv, 0, &log);

	dest_defaults(&d, x2x3_receiver_port(r), foreign);
	d.on_event = on_sender_event;
	d.arg = &el1;
	struct x2x3_sender *s1 = sender(loop, &d);
	dest_defaults(&d, x2x3_receiver_port(r), good);
	d.tls_name = "mdf.example.org";
	d.on_event = on_sender_event;
	d.arg = &el2;
	struct x2x3_sender *s2 = sender(loop, &d);
	mkpdu(&p, 1, X2X3_TYPE_X2, "secret");
	assert_int_equal(x2x3_sender_submit(s1, &p), X2X3_OK);
	mkpdu(&p, 1, X2X3_TYPE_X2, "secret");
	assert_int_equal(x2x3_sender_submit(s2, &p), X2X3_OK);

	assert_true(run_until(loop, &el1.failed, 2, 5000));
	assert_true(run_until(loop, &el2.failed, 2, 5000));
	assert_int_equal(el1.connected, 0);
	assert_int_equal(el2.connected, 0);
	assert_int_equal(el1.last, X2X3_E_TLS);
	assert_int_equal(el2.last, X2X3_E_TLS);
	assert_non_null(strstr(el2.detail, "verify failed"));
	/* Nothing reached the receiver, nothing was counted as sent: the PDUs wait. */
	assert_int_equal(log.n, 0);
	x2x3_sender_stats(s1, &st);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.queued_pdus, 1);
	assert_true(st.connect_failures >= 2);
	x2x3_receiver_stats(r, &rs);
	assert_int_equal(rs.up, 0);
	assert_true(rs.dropped[X2X3_E_TLS] >= 2);

	x2x3_sender_free(s1);
	x2x3_sender_free(s2);
	x2x3_receiver_free(r);
	tls_ctx_free(foreign);
	tls_ctx_free(good);
	tls_ctx_free(srv);
	ev_free(loop);
}

static void
test_reconnect_after_restart(void **state)
{
	struct ev_loop *loop = ev_new();
	struct tls_ctx *srv = ctx(TLS_SERVER, dir_a, dir_a, "mdf");
	struct tls_ctx *cli = ctx(TLS_CLIENT, dir_a, dir_a, "poi");
	struct rxlog log;
	struct x2x3_dest_config d;
	struct x2x3_pdu p;
	struct x2x3_sender_stats st;
	memset(&log, 0, sizeof(log));
	struct x2x3_receiver *r = receiver(loop, srv, 0, &log);
	uint16_t port = x2x3_receiver_port(r);
	dest_defaults(&d, port, cli);
	struct x2x3_sender *s = sender(loop, &d);
	for (int i = 0; i < 5; i++) {
		mkpdu(&p, 7, X2X3_TYPE_X3, "before");
		assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
	}
	assert_true(run_until(loop, &log.n, 5, 5000));
	/* Acknowledged, so not resent after the restart below. */
	assert_true(run_until_released(loop, s, 3000));

	/* The receiver goes away; the sender notices the close. */
	x2x3_receiver_free(r);
	size_t up = 1;
	uint64_t end = ev_now_ms() + 3000;
	while (up && ev_now_ms() < end) {
		ev_run_once(loop);
		x2x3_sender_stats(s, &st);
		up = (size_t)st.up;
	}
	assert_int_equal(up, 0);
	/* PDUs submitted during the outage are queued... */
	for (int i = 0; i < 10; i++) {
		mkpdu(&p, 7, X2X3_TYPE_X3, "during");
		assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
	}
	run_for(loop, 100);	/* a few failed attempts against the closed port */
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.queued_pdus, 10);
	assert_true(st.connect_failures >= 1);

	/* ...and delivered, in order, once the receiver is back on the same port. */
	r = receiver(loop, srv, port, &log);
	assert_true(run_until(loop, &log.n, 15, 5000));
	for (uint32_t i = 0; i < 15; i++)
		assert_int_equal(log.seq[i], i);
	assert_true(run_until_released(loop, s, 3000));
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.sent, 15);
	assert_int_equal(st.connects, 2);
	assert_int_equal(st.disconnects, 1);
	assert_int_equal(st.queued_pdus, 0);

	x2x3_sender_free(s);
	x2x3_receiver_free(r);
	tls_ctx_free(cli);
	tls_ctx_free(srv);
	ev_free(loop);
}

static void
test_queue_overflow_counted(void **state)
{
	struct ev_loop *loop = ev_new();
	struct rxlog log;
	struct x2x3_dest_config d;
	struct x2x3_pdu p;
	struct x2x3_sender_stats st;
	uint16_t port = free_port();
	memset(&log, 0, sizeof(log));

	dest_defaults(&d, port, NULL);
	d.queue_max_records = 5;
	struct x2x3_sender *s = sender(loop, &d);
	for (int i = 0; i < 8; i++) {
		mkpdu(&p, 3, X2X3_TYPE_X2, "payload");
		assert_int_equal(x2x3_sender_submit(s, &p), i < 5 ? X2X3_OK : X2X3_E_QUEUE_FULL);
	}
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.dropped_overflow, 3);
	assert_int_equal(st.queued_pdus, 5);
	assert_int_equal(st.submitted, 8);

	/* A byte limit of two PDUs refuses the third. */
	mkpdu(&p, 4, X2X3_TYPE_X2, "payload");
	size_t len = x2x3_pdu_encoded_len(&p) + 8;	/* + the seq TLV the sender adds */
	dest_defaults(&d, port, NULL);
	d.queue_max_bytes = 2 * len + len / 2;
	struct x2x3_sender *sb = sender(loop, &d);
	for (int i = 0; i < 3; i++) {
		mkpdu(&p, 4, X2X3_TYPE_X2, "payload");
		assert_int_equal(x2x3_sender_submit(sb, &p), i < 2 ? X2X3_OK : X2X3_E_QUEUE_FULL);
	}
	x2x3_sender_stats(sb, &st);
	assert_int_equal(st.dropped_overflow, 1);
	assert_int_equal(st.queued_bytes, 2 * len);

	/* The receiver appears: the queued PDUs arrive.  The dropped ones consumed sequence
	 * numbers 5, 6, 7 of XID 3, so the next PDU shows the gap (8). */
	struct x2x3_receiver *r = receiver(loop, NULL, port, &log);
	assert_true(run_until(loop, &log.n, 7, 5000));
	/* The window counts against the limit until a barrier ack releases it. */
	assert_true(run_until_released(loop, s, 3000));
	mkpdu(&p, 3, X2X3_TYPE_X2, "payload");
	assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
	assert_int_equal(p.seq, 8);
	assert_true(run_until(loop, &log.n, 8, 5000));
	const uint32_t want[] = {0, 1, 2, 3, 4, 8};
	size_t ns = 0;
	for (size_t i = 0; i < log.n; i++) {
		if (log.xid[i][0] != 3)
			continue;
		assert_true(ns < 6);
		assert_int_equal(log.seq[i], want[ns++]);
	}
	assert_int_equal(ns, 6);
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.sent, 6);
	assert_int_equal(st.dropped_overflow, 3);

	x2x3_sender_free(s);
	x2x3_sender_free(sb);
	x2x3_receiver_free(r);
	ev_free(loop);
}

static void
test_keepalive_acked(void **state)
{
	struct ev_loop *loop = ev_new();
	struct rxlog log;
	struct x2x3_dest_config d;
	struct x2x3_sender_stats st;
	struct x2x3_receiver_stats rs;
	memset(&log, 0, sizeof(log));
	struct x2x3_receiver *r = receiver(loop, NULL, 0, &log);
	dest_defaults(&d, x2x3_receiver_port(r), NULL);
	d.keepalive_interval_ms = 20;
	d.keepalive_timeout_ms = 1000;
	struct x2x3_sender *s = sender(loop, &d);
	assert_true(run_until(loop, &log.keepalives, 6, 3000));
	run_for(loop, 30);
	x2x3_sender_stats(s, &st);
	x2x3_receiver_stats(r, &rs);
	assert_true(st.keepalives_sent >= 6);
	assert_true(st.keepalives_acked >= st.keepalives_sent - 1);
	assert_int_equal(st.keepalive_timeouts, 0);
	assert_int_equal(st.acks_unexpected, 0);
	assert_int_equal(rs.acks_sent, rs.pdus[X2X3_TYPE_KEEPALIVE]);
	assert_int_equal(st.connects, 1);
	x2x3_sender_free(s);
	x2x3_receiver_free(r);
	ev_free(loop);
}

static void
test_keepalive_timeout_reconnects(void **state)
{
	struct ev_loop *loop = ev_new();
	struct x2x3_dest_config d;
	struct x2x3_sender_stats st;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	/* A listener that never accepts: TCP connects (kernel backlog), nothing ever answers. */
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);

	dest_defaults(&d, ntohs(sa.sin_port), NULL);
	d.keepalive_interval_ms = 20;
	d.connect_timeout_ms = 100;	/* the probe's ack is awaited within this */
	struct x2x3_sender *s = sender(loop, &d);
	uint64_t end = ev_now_ms() + 3000;
	do {
		ev_run_once(loop);
		x2x3_sender_stats(s, &st);
	} while (st.connect_failures < 2 && ev_now_ms() < end);
	assert_true(st.connect_failures >= 2);
	assert_int_equal(st.connects, 0);
	assert_true(st.keepalives_sent >= 2);
	assert_int_equal(st.keepalives_acked, 0);
	x2x3_sender_free(s);
	close(lfd);
	ev_free(loop);
}

static void
test_ack_timeout_when_up(void **state)
{
	/* An established connection whose receiver stops answering keepalives: the ack timeout
	 * reconnects.  The receiver runs on a second loop that stops turning once the
	 * connection is up, so its socket stays open but nothing is read or answered. */
	struct ev_loop *loop = ev_new();
	struct ev_loop *frozen = ev_new();
	struct rxlog log;
	struct x2x3_dest_config d;
	struct x2x3_sender_stats st;
	memset(&log, 0, sizeof(log));
	struct x2x3_receiver *r = receiver(frozen, NULL, 0, &log);
	dest_defaults(&d, x2x3_receiver_port(r), NULL);
	d.keepalive_interval_ms = 20;
	d.keepalive_timeout_ms = 60;
	struct x2x3_sender *s = sender(loop, &d);
	uint64_t end = ev_now_ms() + 3000;
	ev_set_max_wait(loop, 1);
	ev_set_max_wait(frozen, 1);
	do {
		ev_run_once(loop);
		ev_run_once(frozen);
		x2x3_sender_stats(s, &st);
	} while (st.connects < 1 && ev_now_ms() < end);
	assert_int_equal(st.connects, 1);
	end = ev_now_ms() + 3000;
	do {
		ev_run_once(loop);
		x2x3_sender_stats(s, &st);
	} while (st.keepalive_timeouts < 1 && ev_now_ms() < end);
	assert_int_equal(st.keepalive_timeouts, 1);
	assert_int_equal(st.disconnects, 1);
	x2x3_sender_free(s);
	x2x3_receiver_free(r);
	ev_free(loop);
	ev_free(frozen);
}

/* One bad client per malformation; each is dropped with its reason while a good sender on
 * the same receiver keeps delivering. */
static void
test_bad_connection_isolated(void **state)
{
	struct ev_loop *loop = ev_new();
	struct rxlog log;
	struct x2x3_dest_config d;
	struct x2x3_sender_stats st;
	struct x2x3_receiver_stats rs;
	uint8_t ka[X2X3_KEEPALIVE_LEN];
	struct x2x3_pdu p;
	struct ovt_builder b;
	memset(&log, 0, sizeof(log));
	struct x2x3_receiver *r = receiver(loop, NULL, 0, &log);
	uint16_t port = x2x3_receiver_port(r);
	dest_defaults(&d, port, NULL);
	struct x2x3_sender *s = sender(loop, &d);

	x2x3_pdu_keepalive(&p, 1, 5, 5);
	bld_init_fixed(&b, ka, sizeof(ka));
	assert_int_equal(x2x3_pdu_encode(&p, &b), X2X3_OK);
	static const uint8_t hdr_len[12] = {0, 5, 0, 1, 0, 0, 0, 10, 0, 0, 0, 0};
	static const uint8_t too_big[12] = {0, 5, 0, 2, 0, 0, 0, 40, 0x7f, 0, 0, 0};
	static const uint8_t overrun[48] = {0, 5, 0, 1, 0, 0, 0, 48, 0, 0, 0, 0, 0, 2, 0, 1,
					   [40] = 0, 8, 0, 9, 0, 0, 0, 1};
	static const uint8_t truncated[20] = {0, 5, 0, 1, 0, 0, 0, 48, 0, 0, 0, 0};
	const struct {
		const uint8_t *bytes;
		size_t len;
		enum x2x3_err want;
	} bad[] = {
		{hdr_len, sizeof(hdr_len), X2X3_E_HDR_LEN},
		{too_big, sizeof(too_big), X2X3_E_TOO_BIG},
		{overrun, sizeof(overrun), X2X3_E_TLV_OVERRUN},
		{truncated, sizeof(truncated), X2X3_E_SHORT},
		{ka, sizeof(ka), X2X3_E_UNEXPECTED},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = raw_client(port);
		assert_int_equal(send(fd, bad[i].bytes, bad[i].len, 0), (ssize_t)bad[i].len);
		if (bad[i].want == X2X3_E_SHORT)
			shutdown(fd, SHUT_WR);	/* close in the middle of a PDU */
		mkpdu(&p, 9, X2X3_TYPE_X2, "good");
		assert_int_equal(x2x3_sender_submit(s, &p), X2X3_OK);
		size_t want_closed = log.closed + 1;
		assert_true(run_until(loop, &log.closed, want_closed, 3000));
		assert_int_equal(log.last_reason, bad[i].want);
		x2x3_receiver_stats(r, &rs);
		assert_int_equal(rs.dropped[bad[i].want], 1);
		/* The bad peer sees its connection closed. */
		char c;
		assert_true(recv(fd, &c, 1, 0) <= 0);
		close(fd);
	}
	assert_true(run_until(loop, &log.n, 5, 3000));
	x2x3_sender_stats(s, &st);
	assert_int_equal(st.sent, 5);
	assert_int_equal(st.disconnects, 0);
	assert_int_equal(st.connects, 1);
	x2x3_receiver_stats(r, &rs);
	assert_int_equal(rs.active, 1);
	x2x3_sender_free(s);
	x2x3_receiver_free(r);
	ev_free(loop);
}

static void
test_config_refusals(void **state)
{
	struct ev_loop *loop = ev_new();
	struct tls_ctx *cli = ctx(TLS_CLIENT, dir_a, dir_a, "poi");
	struct x2x3_dest_config d;
	struct x2x3_receiver_config rc;
	enum x2x3_err e;

	dest_defaults(&d, 1, cli);
	d.insecure_plaintext = 1;	/* TLS and plaintext at once */
	assert_null(x2x3_sender_new(loop, &d, &e));
	assert_int_equal(e, X2X3_E_CONFIG);
	dest_defaults(&d, 1, NULL);
	d.insecure_plaintext = 0;	/* neither */
	assert_null(x2x3_sender_new(loop, &d, &e));
	dest_defaults(&d, 1, NULL);
	d.addr = "localhost";		/* literals only: no blocking resolver on the loop */
	assert_null(x2x3_sender_new(loop, &d, &e));
	dest_defaults(&d, 1, NULL);
	d.max_pdu = 10;
	assert_null(x2x3_sender_new(loop, &d, &e));
	memset(&rc, 0, sizeof(rc));
	rc.bind_addr = "127.0.0.1";	/* no TLS and not explicitly plaintext */
	assert_null(x2x3_receiver_new(loop, &rc, &e));
	assert_int_equal(e, X2X3_E_CONFIG);
	rc.insecure_plaintext = 1;
	rc.bind_addr = "not-an-address";
	assert_null(x2x3_receiver_new(loop, &rc, &e));
	assert_int_equal(e, X2X3_E_SOCKET);
	tls_ctx_free(cli);
	ev_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_delivery_and_sequence),
		cmocka_unit_test(test_x3_payload_modes),
		cmocka_unit_test(test_mtls_refusals),
		cmocka_unit_test(test_reconnect_after_restart),
		cmocka_unit_test(test_queue_overflow_counted),
		cmocka_unit_test(test_keepalive_acked),
		cmocka_unit_test(test_keepalive_timeout_reconnects),
		cmocka_unit_test(test_ack_timeout_when_up),
		cmocka_unit_test(test_bad_connection_isolated),
		cmocka_unit_test(test_config_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
