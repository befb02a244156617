/*
 * X2/X3 benchmark: PDUs per second for encode, decode and framing of a typical X2 (xIRI, 100
 * octet payload, 6 attributes) and X3 (1400 octet GTP-U payload) PDU, and sender -> receiver
 * delivery over loopback (plaintext and mutual TLS, with and without retention until a barrier
 * keepalive is acknowledged) on one event loop; with retention it also gives how long after the
 * last PDU arrived the sender released it (one barrier interval at most, plus a round trip),
 * and the largest retransmit window seen.  Each figure is also
 * given as a ratio to a baseline measured in the same run: memcpy of the same PDU bytes (codec)
 * or of the same byte volume (delivery), so results compare across machines.
 *   bench_x2x3 [ITERATIONS]    (default 2,000,000 codec operations, 200,000 delivered PDUs)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/ev.h"
#include "pki/pki.h"
#include "tls/tls.h"
#include "x2x3/x2x3.h"
#include "x2x3/x2x3_receiver.h"
#include "x2x3/x2x3_sender.h"

static volatile uint64_t sink;	/* keeps the optimiser from dropping the work */
/* Called through a volatile pointer so the baseline copy cannot be optimised away. */
static void *(*volatile mcpy)(void *, const void *, size_t) = memcpy;

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
mkpdu(struct x2x3_pdu *p, int x3, const uint8_t *payload, size_t plen)
{
	x2x3_pdu_init(p);
	p->type = x3 ? X2X3_TYPE_X3 : X2X3_TYPE_X2;
	p->format = x3 ? X2X3_FMT_GTPU : X2X3_FMT_EPS_IRI;
	p->direction = X2X3_DIR_FROM_TARGET;
	memset(p->xid, 0x29, 16);
	p->correlation_id = 42;
	p->present = X2X3_HAS(X2X3_ATTR_SEQ) | X2X3_HAS(X2X3_ATTR_TIMESTAMP) |
		     X2X3_HAS(X2X3_ATTR_NFID) | X2X3_HAS(X2X3_ATTR_IPID);
	p->seq = 1;
	p->ts_sec = 1736936430;
	cur_init(&p->nfid, "sgw01", 5);
	cur_init(&p->ipid, "poi-1", 5);
	if (!x3) {
		p->present |= X2X3_HAS(X2X3_ATTR_MTI) | X2X3_HAS(X2X3_ATTR_SRC_IPV4);
		cur_init(&p->mti, "001010123456789", 15);
	}
	cur_init(&p->payload, payload, plen);
}

static void
codec(const char *name, int x3, size_t plen, long n)
{
	static uint8_t payload[2048], buf[4096], copy[4096];
	struct x2x3_pdu p, q;
	struct ovt_builder b;
	struct ovt_cursor c;
	size_t len;
	double t0, t_base, t_enc, t_dec, t_frame;

	memset(payload, 0x5a, sizeof(payload));
	mkpdu(&p, x3, payload, plen);
	bld_init_fixed(&b, buf, sizeof(buf));
	if (x2x3_pdu_encode(&p, &b) != X2X3_OK)
		abort();
	len = bld_len(&b);

	t0 = now_s();
	for (long i = 0; i < n; i++) {
		buf[0] = (uint8_t)i;
		mcpy(copy, buf, len);
		sink += copy[i % len];
	}
	t_base = now_s() - t0;

	t0 = now_s();
	for (long i = 0; i < n; i++) {
		p.seq = (uint32_t)i;
		bld_init_fixed(&b, buf, sizeof(buf));
		if (x2x3_pdu_encode(&p, &b) != X2X3_OK)
			abort();
		sink += buf[i % len];
	}
	t_enc = now_s() - t0;

	t0 = now_s();
	for (long i = 0; i < n; i++) {
		cur_init(&c, buf, len);
		if (x2x3_pdu_decode(c, X2X3_MAX_PDU_DEFAULT, &q) != X2X3_OK)
			abort();
		sink += q.seq;
	}
	t_dec = now_s() - t0;

	/* Framing a stream: 64 PDUs per read, as a busy connection delivers them. */
	struct x2x3_framer f;
	if (x2x3_framer_init(&f, X2X3_MAX_PDU_DEFAULT) != X2X3_OK)
		abort();
	t0 = now_s();
	for (long i = 0; i < n;) {
		uint8_t *sp;
		size_t room, k = 0;
		struct ovt_cursor out;
		enum x2x3_err e;
		x2x3_framer_space(&f, &sp, &room);
		while (k + len <= room && k < 64 * len) {
			memcpy(sp + k, buf, len);
			k += len;
		}
		x2x3_framer_commit(&f, k);
		while (x2x3_framer_next(&f, &out, &e) == 1) {
			sink += cur_len(&out);
			i++;
		}
	}
	t_frame = now_s() - t0;
	x2x3_framer_cleanup(&f);

	printf("%-4s %5zu B/PDU  memcpy %7.2f M/s | encode %6.2f M/s (%.1fx memcpy time) | "
	       "decode %6.2f M/s (%.1fx) | frame %6.2f M/s (%.1fx)\n",
	       name, len, n / t_base / 1e6, n / t_enc / 1e6, t_enc / t_base, n / t_dec / 1e6,
	       t_dec / t_base, n / t_frame / 1e6, t_frame / t_base);
}

struct count {
	size_t n;
};

static void
on_pdu(void *arg, const struct x2x3_peer *peer, const struct x2x3_pdu *pdu, struct ovt_cursor raw)
{
	struct count *c = arg;
	if (pdu->type == X2X3_TYPE_X3)
		c->n++;
}

static void
delivery(const char *name, struct tls_ctx *srv, struct tls_ctx *cli, long n, double base_bps,
	 enum x2x3_retain retain)
{
	struct x2x3_sender_stats st;
	uint64_t max_window = 0;
	static uint8_t payload[1400];
	struct ev_loop *loop = ev_new();
	struct x2x3_receiver_config rc;
	struct x2x3_dest_config d;
	struct count cnt = {0};
	enum x2x3_err e;
	struct x2x3_pdu p;
	size_t len;

	memset(&rc, 0, sizeof(rc));
	rc.bind_addr = "127.0.0.1";
	rc.tls = srv;
	rc.insecure_plaintext = srv == NULL;
	rc.on_pdu = on_pdu;
	rc.arg = &cnt;
	struct x2x3_receiver *r = x2x3_receiver_new(loop, &rc, &e);
	memset(&d, 0, sizeof(d));
	d.addr = "127.0.0.1";
	d.port = x2x3_receiver_port(r);
	d.tls = cli;
	d.insecure_plaintext = cli == NULL;
	/* The default queue limits, as the POI uses them: with retention, barriers are sent per
	 * eighth of them, which bounds the window (and the memory it keeps warm). */
	d.retain_until_ack = retain;
	struct x2x3_sender *s = x2x3_sender_new(loop, &d, &e);
	mkpdu(&p, 1, payload, sizeof(payload));
	len = x2x3_pdu_encoded_len(&p);

	double t0 = now_s(), t_recv = 0;
	long submitted = 0;
	do {
		/* Keep about 4096 PDUs in flight. */
		while (submitted < n && submitted - (long)cnt.n < 4096) {
			mkpdu(&p, 1, payload, sizeof(payload));
			if (x2x3_sender_submit(s, &p) != X2X3_OK)
				abort();
			submitted++;
		}
		ev_run_once(loop);
		x2x3_sender_stats(s, &st);
		if (st.window_pdus > max_window)
			max_window = st.window_pdus;
		if (t_recv == 0 && cnt.n >= (size_t)n)
			t_recv = now_s();
	} while (cnt.n < (size_t)n || st.queued_pdus > 0);
	double t = t_recv - t0, t_rel = now_s() - t_recv;
	double bps = (double)n * (double)len / t;
	printf("%-9s %-9s %ld X3 PDUs of %zu B: %.0f PDU/s, %.0f MB/s (%.3f of memcpy bandwidth)",
	       name, retain == X2X3_RETAIN_OFF ? "no-retain" : "retain", n, len, n / t, bps / 1e6,
	       bps / base_bps);
	if (retain != X2X3_RETAIN_OFF)
		printf("; all released %.0f ms after the last arrived, largest window %llu PDUs",
		       t_rel * 1e3, (unsigned long long)max_window);
	printf("\n");
	x2x3_sender_free(s);
	x2x3_receiver_free(r);
	ev_free(loop);
}

static double
memcpy_bandwidth(void)
{
	static uint8_t a[1 << 20], b[1 << 20];
	double t0 = now_s();
	for (int i = 0; i < 2000; i++) {
		a[i] = (uint8_t)i;
		mcpy(b, a, sizeof(a));
		sink += b[i];
	}
	return 2000.0 * sizeof(a) / (now_s() - t0);
}

int
main(int argc, char **argv)
{
	long n = 2000000;
	char dir[] = "/tmp/bench-x2x3-XXXXXX";
	const char *roles[] = {"poi", "mdf"};
	char ca[64], cert[64], key[64];
	enum tls_err te;

	if (argc > 1) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(argv[1], &end, 10);
		if (errno != 0 || end == argv[1] || *end != '\0' || argv[1][0] == '-' || v < 10 ||
		    v > 1000000000ul) {
			fprintf(stderr, "usage: bench_x2x3 [ITERATIONS (10..1e9)]\n");
			return 2;
		}
		n = (long)v;
	}
	signal(SIGPIPE, SIG_IGN);
	printf("codec (%ld operations each):\n", n);
	codec("X2", 0, 100, n);
	codec("X3", 1, 1400, n);

	if (mkdtemp(dir) == NULL || pki_init(dir, roles, 2, 1) != PKI_OK)
		return 1;
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/mdf.pem", dir);
	snprintf(key, sizeof(key), "%s/mdf.key", dir);
	struct tls_config sc = {ca, cert, key};
	struct tls_ctx *srv = tls_ctx_new(TLS_SERVER, &sc, &te);
	snprintf(cert, sizeof(cert), "%s/poi.pem", dir);
	snprintf(key, sizeof(key), "%s/poi.key", dir);
	struct tls_config cc = {ca, cert, key};
	struct tls_ctx *cli = tls_ctx_new(TLS_CLIENT, &cc, &te);
	if (srv == NULL || cli == NULL)
		return 1;
	double base = memcpy_bandwidth();
	long nd = n / 10;
	printf("\ndelivery over loopback, one connection, sender and receiver on one loop/core\n"
	       "(baseline: memcpy %.0f MB/s):\n", base / 1e6);
	delivery("plaintext", NULL, NULL, nd, base, X2X3_RETAIN_OFF);
	delivery("plaintext", NULL, NULL, nd, base, X2X3_RETAIN_ON);
	delivery("mTLS", srv, cli, nd, base, X2X3_RETAIN_OFF);
	delivery("mTLS", srv, cli, nd, base, X2X3_RETAIN_ON);
	tls_ctx_free(srv);
	tls_ctx_free(cli);
	const char *files[] = {"ca.pem", "ca.key", "poi.pem", "poi.key", "mdf.pem", "mdf.key"};
	for (size_t i = 0; i < 6; i++) {
		char p[96];
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
	return 0;
}
