/*
 * MDF throughput, measured against baselines taken in the same run.
 *
 * 1. Mediation: X2/X3 in -> HI2/HI3 out on loopback.  The MDF (its core, X2/X3 receiver,
 *    spools, journal and links, exactly as `overt mdf` wires them) runs on the main thread; a
 *    feeder thread plays the POI (pre-encoded X2/X3 PDUs written as fast as the socket takes
 *    them) and a sink thread plays the LEMF (splits the PS-PDU stream, answers TRI
 *    keep-alives at once), each on the other core.  One task, one LIID, one destination carrying
 *    HI2 and HI3 (two connections), 16 sessions (CINs).  Reported: PDUs/s of wall time and
 *    PDUs per CPU-second of the MDF thread ("per core": goal >= 1M).
 *    Baseline: a relay on the same receiver and loop that forwards each X2/X3 PDU's bytes
 *    unchanged to the sink: the cost of moving the same PDUs in and out, nothing mediated.
 *    Mixes: "small" (X3, 64-octet IP packets) and "mixed" (X3 of 64/576/1400 octets, 2% X2
 *    IRI); plaintext and mutual TLS on both hops.  Spools use fsync batch (20 ms).
 * 2. Spool: the MDF's own records (batches of encoded CC PS-PDUs, about 256 KiB each) written
 *    with spool_append against write() of the same framed bytes to a plain file in the same
 *    directory, with fdatasync every 64 records for both, and without any fsync for both
 *    (goal >= 0.80).
 *
 *   bench_mdf [--dir DIR] [--pdus N] [--spool-mb N]        (BENCH_QUICK=1: smaller)
 *   BENCH_MDF_ONLY=small-0|small-1|mixed-0|mixed-1 runs one mediation case (profiling).
 *   BENCH_PERF_CTL=FIFO: writes "enable"/"disable" around each timed MDF run, for
 *   `perf record -D -1 --control fifo:FIFO ...`, so that a profile holds only the timed MDF
 *   work (not the workload generation, the relay baseline or the spool benchmark).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "common/ev.h"
#include "common/uuid.h"
#include "hi2/hi2.h"
#include "mdf/mdf_config.h"
#include "mdf/mdf_core.h"
#include "mdf/mdf_record.h"
#include "mdf/mdf_state.h"
#include "pki/pki.h"
#include "spool/spool.h"
#include "tls/tls.h"
#include "x1/x1_store.h"
#include "x2x3/x2x3.h"
#include "x2x3/x2x3_receiver.h"

static const uint8_t xid[16] = {0x29, 0xf2, 0x8e, 0x1c, 0xf2, 0x30, 0x48, 0x6a, 0xa8, 0x60,
    0xf5, 0xa7, 0x84, 0xab, 0x91, 0x72};
static const char *dir;
static struct tls_ctx *cli_ctx, *srv_ctx;

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
perf_ctl(const char *cmd)
{
	const char *fifo = getenv("BENCH_PERF_CTL");
	if (fifo == NULL)
		return;
	int fd = open(fifo, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = write(fd, cmd, strlen(cmd));
		(void)n;
		close(fd);
	}
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_mdf: %s\n", what);
	exit(1);
}

/* ------------------------------------------------------------------ workload */

struct workload {
	uint8_t *buf;		/* X2/X3 PDUs back to back, written in a loop */
	size_t len, npdu;
	double avg_payload;
};

static size_t
ipv4(uint8_t *p, size_t len, uint32_t n)
{
	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, "\x0a\x2d\x00\x01\x08\x08\x08\x08", 8);
	p[24] = (uint8_t)(n >> 8);
	p[25] = (uint8_t)n;
	return len;
}

static void
make_workload(struct workload *w, int mixed, size_t npdu)
{
	struct ovt_builder b;
	uint8_t pkt[1500], iri[1024];
	struct hi2_eps_iri e;
	struct hi2_diag d;
	struct ovt_builder ib;
	const uint8_t corr[8] = {0, 0, 0, 0, 0, 0, 0, 7};
	static const size_t sizes[] = {64, 576, 1400, 64, 64, 576, 1400, 1400, 64, 576};
	uint64_t payload = 0;

	hi2_iri_init(&e);
	e.event = HI2_EV_BEARER_MODIFICATION;
	e.ts_sec = 1735689600;
	snprintf(e.imsi, sizeof(e.imsi), "001010123456789");
	e.corr.p = corr;
	e.corr.len = 8;
	e.has_ebi = 1;
	e.ebi = 5;
	bld_init_fixed(&ib, iri, sizeof(iri));
	if (hi2_iri_encode_x2(&ib, &e, &d) != HI2_OK)
		die("IRI");
	if (bld_init(&b, 1 << 20, 1024u << 20) == 0)
		die("out of memory");
	for (size_t i = 0; i < npdu; i++) {
		struct x2x3_pdu p;
		x2x3_pdu_init(&p);
		memcpy(p.xid, xid, 16);
		p.correlation_id = 1 + (i % 16);	/* 16 sessions: 16 CINs */
		p.present = X2X3_HAS(X2X3_ATTR_SEQ) | X2X3_HAS(X2X3_ATTR_TIMESTAMP);
		p.seq = (uint32_t)i;
		p.ts_sec = 1735689600 + (uint32_t)(i / 100000);
		p.ts_nsec = (uint32_t)(i % 100000) * 10000;
		if (mixed && i % 50 == 0) {
			p.type = X2X3_TYPE_X2;
			p.format = X2X3_FMT_EPS_IRI;
			p.direction = X2X3_DIR_NA;
			cur_init(&p.payload, iri, bld_len(&ib));
		} else {
			size_t n = ipv4(pkt, mixed ? sizes[i % 10] : 64, (uint32_t)i);
			p.type = X2X3_TYPE_X3;
			p.format = X2X3_FMT_IPV4;
			p.direction = i % 2 ? X2X3_DIR_TO_TARGET : X2X3_DIR_FROM_TARGET;
			cur_init(&p.payload, pkt, n);
		}
		payload += cur_len(&p.payload);
		if (x2x3_pdu_encode(&p, &b) != X2X3_OK)
			die("X2/X3 encode");
	}
	w->buf = bld_data(&b);
	w->len = bld_len(&b);
	w->npdu = npdu;
	w->avg_payload = (double)payload / (double)npdu;
}

/* ------------------------------------------------------------------ feeder (the POI) */

struct feeder {
	uint16_t port;
	int tls;
	const struct workload *w;
	atomic_int go, stop;
	pthread_t th;
};

static int
connect_to(uint16_t port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Blocking socket: tls_conn never asks to wait, except for reads it does not need here. */
static int
write_all(struct tls_conn *c, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t done = 0;
		enum tls_io io = tls_conn_write(c, p, n > 262144 ? 262144 : n, &done);
		if (io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE)
			continue;
		if (io != TLS_IO_OK)
			return -1;
		p += done;
		n -= done;
	}
	return 0;
}

static void *
feeder_main(void *arg)
{
	struct feeder *f = arg;
	int fd = connect_to(f->port);
	struct tls_conn *c = f->tls ? tls_conn_new(cli_ctx, fd, "127.0.0.1") :
	    tls_conn_new_plain(fd);
	enum tls_io io;

	while ((io = tls_conn_handshake(c)) == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE)
		;
	if (io != TLS_IO_OK)
		die("feeder handshake");
	while (!atomic_load(&f->go))
		usleep(1000);
	if (write_all(c, f->w->buf, f->w->len) != 0)
		die("feeder write");
	while (!atomic_load(&f->stop))
		usleep(1000);
	tls_conn_free(c);
	close(fd);
	return NULL;
}

/* ------------------------------------------------------------------ sink (the LEMF) */

#define SINK_CONNS 4

struct sink {
	int lfd;
	uint16_t port;
	int tls;
	int raw;			/* count octets (relay baseline), not PS-PDUs */
	atomic_ulong pdus, bytes;
	atomic_int stop;
	pthread_t th;
};

struct sconn {
	int fd;
	struct tls_conn *c;
	int up;
	uint8_t *buf;
	size_t len;
};

static void
sink_pdu(struct sconn *c, const uint8_t *p, size_t n, struct sink *s)
{
	struct hi2_pdu pdu;
	struct hi2_diag d;
	/* Only small PDUs can be TRI keep-alives: decoding the rest is the LEMF's cost. */
	if (n < 120 && hi2_decode(p, n, &pdu, &d) == HI2_OK && pdu.kind == HI2_KIND_TRI) {
		if (pdu.tri == HI2_TRI_KEEPALIVE) {
			uint8_t out[256];
			struct ovt_builder b;
			struct hi2_pshdr h;
			memset(&h, 0, sizeof(h));
			h.liid = pdu.liid;
			h.operator_id.p = (const uint8_t *)"lemf";
			h.operator_id.len = 4;
			h.cin = pdu.cin;
			h.seq = pdu.seq;
			h.ts_sec = 1735689600;
			bld_init_fixed(&b, out, sizeof(out));
			if (hi2_encode_tri(&b, &h, HI2_TRI_KEEPALIVE_RESPONSE, &d) == HI2_OK) {
				int fl = fcntl(c->fd, F_GETFL);
				fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
				write_all(c->c, out, bld_len(&b));
				fcntl(c->fd, F_SETFL, fl);
			}
		}
		return;
	}
	atomic_fetch_add(&s->pdus, 1);
}

static void *
sink_main(void *arg)
{
	struct sink *s = arg;
	struct sconn cs[SINK_CONNS];
	struct pollfd pf[SINK_CONNS + 1];
	const size_t cap = 1u << 20;

	memset(cs, 0, sizeof(cs));
	for (int i = 0; i < SINK_CONNS; i++)
		cs[i].fd = -1;
	while (!atomic_load(&s->stop)) {
		pf[0].fd = s->lfd;
		pf[0].events = POLLIN;
		for (int i = 0; i < SINK_CONNS; i++) {
			pf[i + 1].fd = cs[i].fd;
			pf[i + 1].events = POLLIN;
		}
		if (poll(pf, SINK_CONNS + 1, 50) <= 0)
			continue;
		if (pf[0].revents & POLLIN) {
			int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			for (int i = 0; fd >= 0 && i < SINK_CONNS; i++) {
				if (cs[i].fd >= 0)
					continue;
				cs[i].fd = fd;
				cs[i].c = s->tls ? tls_conn_new(srv_ctx, fd, NULL) :
				    tls_conn_new_plain(fd);
				cs[i].buf = malloc(cap);
				cs[i].len = 0;
				cs[i].up = 0;
				fd = -1;
			}
			if (fd >= 0)
				close(fd);
		}
		for (int i = 0; i < SINK_CONNS; i++) {
			struct sconn *c = &cs[i];
			if (c->fd < 0 || !(pf[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (!c->up) {
				enum tls_io io = tls_conn_handshake(c->c);
				if (io == TLS_IO_OK)
					c->up = 1;
				else if (io != TLS_IO_WANT_READ && io != TLS_IO_WANT_WRITE)
					goto drop;
				if (!c->up)
					continue;
				/* Data may have come with the last handshake flight. */
			}
			for (int k = 0; k < 64 || tls_conn_pending(c->c) > 0; k++) {
				size_t got = 0, off = 0, n;
				struct hi2_diag d;
				enum tls_io io = tls_conn_read(c->c, c->buf + c->len, cap - c->len,
				    &got);
				if (io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE)
					break;
				if (io != TLS_IO_OK)
					goto drop;
				atomic_fetch_add(&s->bytes, got);
				if (s->raw)
					continue;
				c->len += got;
				while (hi2_split(c->buf + off, c->len - off, cap, &n, &d) == HI2_OK) {
					sink_pdu(c, c->buf + off, n, s);
					off += n;
				}
				memmove(c->buf, c->buf + off, c->len - off);
				c->len -= off;
			}
			continue;
drop:
			tls_conn_free(c->c);
			close(c->fd);
			free(c->buf);
			c->fd = -1;
		}
	}
	for (int i = 0; i < SINK_CONNS; i++) {
		if (cs[i].fd < 0)
			continue;
		tls_conn_free(cs[i].c);
		close(cs[i].fd);
		free(cs[i].buf);
	}
	return NULL;
}

static void
sink_start(struct sink *s, int tls, int raw)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	memset(s, 0, sizeof(*s));
	s->tls = tls;
	s->raw = raw;
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s->lfd, 8) != 0)
		die("sink listen");
	getsockname(s->lfd, (struct sockaddr *)&a, &al);
	s->port = ntohs(a.sin_port);
	pthread_create(&s->th, NULL, sink_main, s);
}

static void
sink_stop(struct sink *s)
{
	atomic_store(&s->stop, 1);
	pthread_join(s->th, NULL);
	close(s->lfd);
}

/* ------------------------------------------------------------------ runs */

struct run {
	struct ev_loop *loop;
	struct sink *sink;
	unsigned long want_pdus, want_bytes;
	int relay_fd;			/* relay baseline: plain socket to the sink */
	struct tls_conn *relay;
	uint8_t *rbuf;
	size_t rlen;
	struct mdf_core *core;
};

static void
relay_pdu(void *arg, const struct x2x3_peer *peer, const struct x2x3_pdu *pdu,
    struct ovt_cursor raw)
{
	struct run *r = arg;
	if (r->rlen + cur_len(&raw) > (4u << 20)) {
		write_all(r->relay, r->rbuf, r->rlen);
		r->rlen = 0;
	}
	memcpy(r->rbuf + r->rlen, cur_data(&raw), cur_len(&raw));
	r->rlen += cur_len(&raw);
}

static void
run_hook(struct ev_loop *loop, void *arg)
{
	struct run *r = arg;
	if (r->core != NULL)
		mdf_core_commit(r->core);
	if (r->relay != NULL && r->rlen > 0) {
		write_all(r->relay, r->rbuf, r->rlen);
		r->rlen = 0;
	}
	if ((r->want_pdus && atomic_load(&r->sink->pdus) >= r->want_pdus) ||
	    (r->want_bytes && atomic_load(&r->sink->bytes) >= r->want_bytes))
		ev_stop(loop);
}

static void
mdf_config_for(struct mdf_config *c, const char *state, int tls)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->ne_id, sizeof(c->ne_id), "mdf-bench");
	if (snprintf(c->state_dir, sizeof(c->state_dir), "%s", state) >= (int)sizeof(c->state_dir) ||
	    snprintf(c->spool_dir, sizeof(c->spool_dir), "%s/spool", state) >=
	    (int)sizeof(c->spool_dir))
		die("directory name too long");
	snprintf(c->operator_id, sizeof(c->operator_id), "ovt");
	snprintf(c->network_element_id, sizeof(c->network_element_id), "mdf-bench");
	c->ice_type = 3;
	c->max_pdu = X2X3_MAX_PDU_DEFAULT;
	c->dedup_window = 131072;
	c->keepalive_ms = 5000;
	c->keepalive_timeout_ms = 10000;
	c->ack_interval_ms = 50;
	c->connect_timeout_ms = 5000;
	c->backoff_min_ms = 100;
	c->backoff_max_ms = 1000;
	snprintf(c->keepalive_liid, sizeof(c->keepalive_liid), "KEEPALIVE");
	spool_cfg_default(&c->spool);
	c->spool.max_bytes = 16ull << 30;
	c->npois = tls;	/* with TLS, the feeder's certificate (the test PKI's "mdf") */
	snprintf(c->pois[0], sizeof(c->pois[0]), "mdf");
	c->checkpoint_ms = 1000;
	c->max_cins = 100000;
	c->cin_idle_s = 3600;
	c->retention_days = 30;
}

static void
provision(struct x1_store *st, uint16_t port)
{
	struct x1_dest d;
	struct x1_task t;
	char now[X1_TS_LEN + 1];

	x1_timestamp_now(now);
	memset(&d, 0, sizeof(d));
	uuid_parse("dddddddd-0000-4000-8000-000000000001", d.did);
	d.delivery = X1_X2_AND_X3;
	d.family = X1_AF_IPV4;
	d.addr[0] = 127;
	d.addr[3] = 1;
	d.proto = X1_PORT_TCP;
	d.port = port;
	memset(&t, 0, sizeof(t));
	memcpy(t.xid, xid, 16);
	t.ntargets = 1;
	t.targets[0].type = X1_TGT_IMSI;
	snprintf(t.targets[0].value, sizeof(t.targets[0].value), "001010123456789");
	t.delivery = X1_X2_AND_X3;
	t.has_mediation = 1;
	t.nmed = 1;
	snprintf(t.med[0].liid, sizeof(t.med[0].liid), "LIID-BENCH");
	t.med[0].delivery = X1_X2_AND_X3;
	t.med[0].ndids = 1;
	memcpy(t.med[0].dids[0], d.did, 16);
	t.implicit_deactivation = -1;
	if (x1_store_begin(st) != X1S_OK || x1_store_dest_insert(st, &d, "admf", now) != X1S_OK ||
	    x1_store_task_insert(st, &t, "admf", now) != X1S_OK || x1_store_commit(st) != X1S_OK)
		die("X1 store");
}

/* One timed run; returns wall seconds, *cpu the main thread's CPU seconds. */
static double
run_once(const struct workload *w, int tls, int relay, double *cpu)
{
	struct run r;
	struct sink sink;
	struct feeder f;
	struct x2x3_receiver_config rc;
	struct x2x3_receiver *rx;
	struct mdf_config cfg;
	struct mdf_state *state = NULL;
	struct x1_store *store = NULL;
	enum x2x3_err xe;
	char state_dir[600], err[256], cmd[700];
	double t0, c0, t;

	memset(&r, 0, sizeof(r));
	r.loop = ev_new();
	sink_start(&sink, tls, relay);
	r.sink = &sink;
	snprintf(state_dir, sizeof(state_dir), "%s/mdf-run", dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state_dir);
	if (system(cmd) != 0 || mkdir(state_dir, 0700) != 0)
		die("state directory");
	if (relay) {
		r.relay_fd = connect_to(sink.port);
		r.relay = tls ? tls_conn_new(cli_ctx, r.relay_fd, "127.0.0.1") :
		    tls_conn_new_plain(r.relay_fd);
		enum tls_io io;
		while ((io = tls_conn_handshake(r.relay)) == TLS_IO_WANT_READ ||
		    io == TLS_IO_WANT_WRITE)
			;
		r.rbuf = malloc(4u << 20);
		r.want_bytes = w->len;
	} else {
		char path[700];
		mdf_config_for(&cfg, state_dir, tls);
		snprintf(path, sizeof(path), "%s/state.db", state_dir);
		if (mdf_state_open(path, &state) != MDF_ST_OK ||
		    x1_store_open(":memory:", &store) != X1S_OK)
			die("state");
		provision(store, sink.port);
		if (!tls) {
			/* Plaintext run: the destination policy says so explicitly. */
			cfg.ndestpol = 1;
			snprintf(cfg.destpol[0].host, sizeof(cfg.destpol[0].host), "127.0.0.1");
			cfg.destpol[0].port = sink.port;
			cfg.destpol[0].insecure_plaintext = 1;
		}
		r.core = mdf_core_new(&cfg, r.loop, cli_ctx, store, state, NULL, err, sizeof(err));
		if (r.core == NULL)
			die(err);
		r.want_pdus = w->npdu;
	}
	memset(&rc, 0, sizeof(rc));
	rc.bind_addr = "127.0.0.1";
	rc.insecure_plaintext = !tls;
	rc.tls = tls ? srv_ctx : NULL;
	rc.defer_acks = 1;
	rc.on_pdu = relay ? relay_pdu : mdf_core_on_pdu;
	rc.on_conn = relay ? NULL : mdf_core_on_conn;
	rc.arg = relay ? (void *)&r : (void *)r.core;
	if ((rx = x2x3_receiver_new(r.loop, &rc, &xe)) == NULL)
		die("receiver");
	if (r.core != NULL)
		mdf_core_set_receiver(r.core, rx);
	memset(&f, 0, sizeof(f));
	f.port = x2x3_receiver_port(rx);
	f.tls = tls;
	f.w = w;
	pthread_create(&f.th, NULL, feeder_main, &f);
	/* Let the connections come up (POI -> MDF, MDF -> LEMF), then go. */
	ev_set_max_wait(r.loop, 10);
	for (double end = now_s() + 0.5; now_s() < end;)
		ev_run_once(r.loop);
	ev_set_before_wait(r.loop, run_hook, &r);
	ev_set_max_wait(r.loop, 1);
	if (!relay)
		perf_ctl("enable\n");
	t0 = now_s();
	c0 = cpu_s();
	atomic_store(&f.go, 1);
	ev_run(r.loop);
	t = now_s() - t0;
	*cpu = cpu_s() - c0;
	if (!relay)
		perf_ctl("disable\n");
	atomic_store(&f.stop, 1);
	pthread_join(f.th, NULL);
	x2x3_receiver_free(rx);
	mdf_core_free(r.core);
	sink_stop(&sink);
	if (r.relay != NULL) {
		tls_conn_free(r.relay);
		close(r.relay_fd);
		free(r.rbuf);
	}
	mdf_state_close(state);
	x1_store_close(store);
	ev_free(r.loop);
	system(cmd);
	return t;
}

static void
bench_pipeline(size_t npdu)
{
	static const char *mixes[] = {"small", "mixed"};
	printf("mediation: X2/X3 in -> HI2/HI3 out, loopback, MDF on one thread (%zu PDUs/run)\n",
	    npdu);
	printf("  %-6s %-10s %12s %12s %14s %14s %7s\n", "mix", "transport", "relay PDU/s",
	    "MDF PDU/s", "relay PDU/cpu-s", "MDF PDU/cpu-s", "ratio");
	for (int m = 0; m < 2; m++) {
		struct workload w;
		size_t n = m ? npdu / 4 : npdu;	/* mixed PDUs are 10x larger */
		make_workload(&w, m, n);
		for (int tls = 0; tls < 2; tls++) {
			double rc, mc;
			const char *only = getenv("BENCH_MDF_ONLY");	/* "mixed-0": one case */
			char me[16];
			snprintf(me, sizeof(me), "%s-%d", mixes[m], tls);
			if (only != NULL && strcmp(only, me) != 0)
				continue;
			double rt = run_once(&w, tls, 1, &rc);
			double mt = run_once(&w, tls, 0, &mc);
			printf("  %-6s %-10s %12.0f %12.0f %14.0f %14.0f %7.2f\n", mixes[m],
			    tls ? "mutual TLS" : "plaintext", n / rt, n / mt, n / rc, n / mc,
			    rc / mc);
			fflush(stdout);
		}
		printf("  (%s: %zu PDUs per run, %.0f octets of payload per PDU on average)\n",
		    mixes[m], n, w.avg_payload);
		free(w.buf);
	}
}

/* ------------------------------------------------------------------ spool */

static double
median(double *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

/* Real MDF records: batches of CC PS-PDUs of mixed sizes, sealed at MDF_BATCH_BYTES. */
static uint8_t **
make_records(size_t *n, size_t *npdus, uint64_t target_bytes, size_t **lens)
{
	static uint32_t gens;
	struct mdf_batch b;
	struct hi2_stream s;
	struct hi2_pshdr h;
	struct hi2_diag d;
	uint8_t pkt[1500];
	size_t cap = 64, cnt = 0, pdus = 0;
	uint64_t total = 0;
	uint8_t **recs = malloc(cap * sizeof(*recs));
	*lens = malloc(cap * sizeof(**lens));
	static const size_t sizes[] = {64, 576, 1400, 64, 576, 1400, 1400};
	uint32_t slot = 0, gen = 0;

	memset(&h, 0, sizeof(h));
	h.liid.p = (const uint8_t *)"LIID-BENCH";
	h.liid.len = 10;
	h.operator_id.p = (const uint8_t *)"ovt";
	h.operator_id.len = 3;
	h.cin = 12345;
	if (mdf_batch_init(&b, 2, X2X3_MAX_PDU_DEFAULT, &gens) != 0 ||
	    hi2_stream_init(&s, &h, &d) != HI2_OK)
		die("records");
	while (total < target_bytes) {
		struct hi2_cc cc;
		struct ovt_builder ob;
		memset(&cc, 0, sizeof(cc));
		cc.dir = 0;
		cc.tpdu_dir = 1;
		cc.ice_type = 3;
		cc.corr.p = (const uint8_t *)"\0\0\0\0\0\0\0\7";
		cc.corr.len = 8;
		cc.pkt.p = pkt;
		cc.pkt.len = ipv4(pkt, sizes[pdus % 7], (uint32_t)pdus);
		cc.ulic_seq = (uint16_t)s.hdr.seq;
		mdf_batch_seq(&b, s.liid, 10, 12345, &gen, &slot);
		mdf_batch_space(&b, &ob);
		if (hi2_stream_cc(&s, &ob, 1735689600, 0, &cc, &d) != HI2_OK)
			die("CC encode");
		mdf_batch_add(&b, bld_len(&ob), pdus + 1, slot, s.hdr.seq);
		pdus++;
		if (mdf_batch_full(&b)) {
			const uint8_t *p;
			size_t len;
			mdf_batch_seal(&b, 1, &p, &len);
			if (cnt == cap) {
				cap *= 2;
				recs = realloc(recs, cap * sizeof(*recs));
				*lens = realloc(*lens, cap * sizeof(**lens));
			}
			recs[cnt] = malloc(len);
			memcpy(recs[cnt], p, len);
			(*lens)[cnt++] = len;
			total += len;
			mdf_batch_reset(&b);
		}
	}
	mdf_batch_cleanup(&b);
	*n = cnt;
	*npdus = pdus;
	return recs;
}

static double
plain_write(uint8_t **recs, size_t *lens, size_t n, int sync)
{
	char path[600];
	uint8_t frame[16] = {0};
	snprintf(path, sizeof(path), "%s/plain.dat", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	double t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		/* The same octets the spool writes: a 16-octet frame, then the record. */
		struct iovec iov[2] = {{frame, sizeof(frame)}, {recs[i], lens[i]}};
		if (writev(fd, iov, 2) < 0)
			die("write");
		if (sync && (i + 1) % 64 == 0)
			fdatasync(fd);
	}
	if (sync)
		fdatasync(fd);
	double t = now_s() - t0;
	close(fd);
	unlink(path);
	return t;
}

static double
spool_write(uint8_t **recs, size_t *lens, size_t n, int sync)
{
	char path[600], cmd[700];
	struct spool_cfg cfg;
	struct spool_error e;
	uint64_t recno;
	snprintf(path, sizeof(path), "%s/spool-bench", dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		die("rm");
	spool_cfg_default(&cfg);
	cfg.max_bytes = 64ull << 30;
	cfg.sync = sync ? SPOOL_SYNC_BATCH : SPOOL_SYNC_NONE;
	cfg.batch_records = 64;
	cfg.batch_ms = 3600 * 1000;
	struct spool *sp = spool_open(path, &cfg, &e);
	if (sp == NULL)
		die("spool open");
	double t0 = now_s();
	for (size_t i = 0; i < n; i++)
		if (spool_append(sp, recs[i], lens[i], &recno) != SPOOL_OK)
			die("spool append");
	if (sync)
		spool_flush(sp);
	double t = now_s() - t0;
	spool_close(sp);
	if (system(cmd) != 0)
		die("rm");
	return t;
}

static void
bench_spool(uint64_t mb)
{
	size_t n, npdus, *lens;
	uint64_t bytes = 0;
	uint8_t **recs = make_records(&n, &npdus, mb << 20, &lens);
	double p[5], s[5];

	for (size_t i = 0; i < n; i++)
		bytes += lens[i] + 16;
	printf("\nspool: %zu MDF records (%.0f KiB average, %zu PS-PDUs), %.0f MiB, median of 5\n",
	    n, (double)bytes / n / 1024, npdus, (double)bytes / (1 << 20));
	for (int sync = 1; sync >= 0; sync--) {
		for (int r = 0; r < 5; r++) {
			p[r] = plain_write(recs, lens, n, sync);
			s[r] = spool_write(recs, lens, n, sync);
		}
		double pm = median(p, 5), sm = median(s, 5);
		printf("  %-26s plain %8.1f MiB/s   spool %8.1f MiB/s (%.1f M PDU/s)   ratio %.2f\n",
		    sync ? "fdatasync every 64 records" : "no fsync (page cache)",
		    bytes / pm / (1 << 20), bytes / sm / (1 << 20), npdus / sm / 1e6, pm / sm);
	}
	for (size_t i = 0; i < n; i++)
		free(recs[i]);
	free(recs);
	free(lens);
}

int
main(int argc, char **argv)
{
	static char tmp[] = "/tmp/bench_mdf.XXXXXX";
	size_t npdu = 2000000;
	uint64_t mb = 256;
	int quick = getenv("BENCH_QUICK") != NULL && strcmp(getenv("BENCH_QUICK"), "1") == 0;
	int own = 0;

	if (quick) {
		npdu = 300000;
		mb = 64;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--pdus") == 0 && i + 1 < argc)
			npdu = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--spool-mb") == 0 && i + 1 < argc)
			mb = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: bench_mdf [--dir DIR] [--pdus N] [--spool-mb N]\n");
			return 2;
		}
	}
	if (dir == NULL) {
		if ((dir = mkdtemp(tmp)) == NULL)
			die("mkdtemp");
		own = 1;
	}
	signal(SIGPIPE, SIG_IGN);
	char pki[600], ca[700], crt[700], key[700];
	static const char *const roles[] = {"mdf", "lemf"};
	snprintf(pki, sizeof(pki), "%s/pki-bench", dir);
	if (pki_init(pki, roles, 2, 1) != PKI_OK)
		die("pki");
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	snprintf(crt, sizeof(crt), "%s/mdf.pem", pki);
	snprintf(key, sizeof(key), "%s/mdf.key", pki);
	struct tls_config tc = {ca, crt, key};
	enum tls_err te;
	if ((cli_ctx = tls_ctx_new(TLS_CLIENT, &tc, &te)) == NULL ||
	    (srv_ctx = tls_ctx_new(TLS_SERVER, &tc, &te)) == NULL)
		die("tls");
	bench_pipeline(npdu);
	bench_spool(mb);
	tls_ctx_free(cli_ctx);
	tls_ctx_free(srv_ctx);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'%s%s", pki, own ? " " : "", own ? dir : "");
	return system(cmd) == 0 ? 0 : 1;
}
