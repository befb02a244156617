/*
 * Shared by the MDF unit tests (test_mdf_*.c): X2/X3 PDU builders written with the codecs of
 * other modules (hi2's X2 format-14 encoder, the test GTP writer), and a small in-process LEMF
 * on the test's event loop that collects PS-PDUs and answers TRI keep-alives the way the
 * LEMF issue describes (optionally not at all, or after closing, to test the MDF's side).
 */
#ifndef OVERT_TEST_MDF_UTIL_H
#define OVERT_TEST_MDF_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/ev.h"
#include "hi2/hi2.h"
#include "tls/tls.h"
#include "x2x3/x2x3.h"
#include "test_gtp_build.h"

/* An X2 format-14 payload (EpsIRIContent) for a bearer activation of imsi. */
static inline size_t
tm_iri_payload(uint8_t *buf, size_t cap, uint8_t event, const char *imsi, int64_t ts,
    const uint8_t corr[8])
{
	struct hi2_eps_iri iri;
	struct ovt_builder b;
	struct hi2_diag d;
	static const uint8_t apn[] = {8, 'i', 'n', 't', 'e', 'r', 'n', 'e', 't'};

	hi2_iri_init(&iri);
	iri.event = event;
	iri.ts_sec = ts;
	snprintf(iri.imsi, sizeof(iri.imsi), "%s", imsi);
	iri.corr.p = corr;
	iri.corr.len = 8;
	iri.operator_id.p = (const uint8_t *)"ovt";
	iri.operator_id.len = 3;
	iri.apn.p = apn;
	iri.apn.len = sizeof(apn);
	iri.has_ebi = 1;
	iri.ebi = 5;
	iri.bearer_type = HI2_BEARER_DEFAULT;
	bld_init_fixed(&b, buf, cap);
	if (hi2_iri_encode_x2(&b, &iri, &d) != HI2_OK)
		return 0;
	return bld_len(&b);
}

/* A 28-octet IPv4/UDP packet with a 4-octet counter as payload. */
static inline size_t
tm_ipv4(uint8_t *p, uint32_t n)
{
	static const uint8_t h[] = {0x45, 0, 0, 32, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 45, 0, 1,
	    8, 8, 8, 8, 0x30, 0x39, 0, 53, 0, 12, 0, 0};
	memcpy(p, h, sizeof(h));
	p[28] = (uint8_t)(n >> 24);
	p[29] = (uint8_t)(n >> 16);
	p[30] = (uint8_t)(n >> 8);
	p[31] = (uint8_t)n;
	return 32;
}

static inline void
tm_pdu(struct x2x3_pdu *pdu, uint16_t type, uint16_t format, const uint8_t xid[16],
    uint64_t corr, uint32_t seq, uint32_t ts_sec, uint32_t ts_nsec, const uint8_t *payload,
    size_t len)
{
	x2x3_pdu_init(pdu);
	pdu->type = type;
	pdu->format = format;
	pdu->direction = type == X2X3_TYPE_X2 ? X2X3_DIR_NA : X2X3_DIR_FROM_TARGET;
	memcpy(pdu->xid, xid, 16);
	pdu->correlation_id = corr;
	pdu->present = X2X3_HAS(X2X3_ATTR_SEQ) | X2X3_HAS(X2X3_ATTR_TIMESTAMP);
	pdu->seq = seq;
	pdu->ts_sec = ts_sec;
	pdu->ts_nsec = ts_nsec;
	cur_init(&pdu->payload, payload, len);
}

/* ------------------------------------------------------------------ test LEMF */

#define TM_LEMF_MAX_CONNS 4

struct tm_lemf_conn {
	int fd;
	struct tls_conn *c;
	uint8_t buf[300000];
	size_t len;
	int up;
	struct tm_lemf *l;
};

struct tm_lemf {
	struct ev_loop *loop;
	int lfd;
	uint16_t port;
	struct tls_ctx *tls;		/* NULL: plaintext */
	int answer;			/* 1: answer keep-alives */
	struct tm_lemf_conn conns[TM_LEMF_MAX_CONNS];
	/* Every PS-PDU received, back to back (what the MDF sent). */
	uint8_t *pdus;
	size_t pdus_len, pdus_cap;
	size_t npdus, nka, nbad;
	size_t close_after;		/* >0: drop a connection after this many PDUs */
};

static void tm_lemf_conn_cb(struct ev_loop *, int, int, void *);

static inline void
tm_lemf_drop(struct tm_lemf_conn *c)
{
	if (c->fd < 0)
		return;
	ev_fd_del(c->l->loop, c->fd);
	tls_conn_free(c->c);
	close(c->fd);
	c->fd = -1;
	c->c = NULL;
	c->len = 0;
	c->up = 0;
}

static inline void
tm_lemf_pdu(struct tm_lemf_conn *c, const uint8_t *p, size_t n)
{
	struct tm_lemf *l = c->l;
	struct hi2_pdu pdu;
	struct hi2_diag d;
	if (hi2_decode(p, n, &pdu, &d) != HI2_OK) {
		l->nbad++;
		return;
	}
	if (pdu.kind == HI2_KIND_TRI) {
		if (pdu.tri != HI2_TRI_KEEPALIVE)
			return;
		l->nka++;
		if (l->answer) {
			uint8_t out[256];
			struct ovt_builder b;
			struct hi2_pshdr h;
			size_t w;
			memset(&h, 0, sizeof(h));
			h.liid = pdu.liid;
			h.operator_id.p = (const uint8_t *)"lemf";
			h.operator_id.len = 4;
			h.cin = pdu.cin;
			h.seq = pdu.seq;	/* echo */
			h.ts_sec = 1700000000;
			bld_init_fixed(&b, out, sizeof(out));
			if (hi2_encode_tri(&b, &h, HI2_TRI_KEEPALIVE_RESPONSE, &d) == HI2_OK)
				tls_conn_write(c->c, out, bld_len(&b), &w);
		}
		return;
	}
	if (l->pdus_len + n > l->pdus_cap) {
		size_t nc = l->pdus_cap ? l->pdus_cap * 2 : 65536;
		while (nc < l->pdus_len + n)
			nc *= 2;
		l->pdus = realloc(l->pdus, nc);
		l->pdus_cap = nc;
	}
	memcpy(l->pdus + l->pdus_len, p, n);
	l->pdus_len += n;
	l->npdus++;
}

static inline void
tm_lemf_conn_cb(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct tm_lemf_conn *c = arg;
	if (!c->up) {
		enum tls_io io = tls_conn_handshake(c->c);
		if (io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE) {
			ev_fd_set(loop, fd, io == TLS_IO_WANT_READ ? EV_READ : EV_WRITE,
			    tm_lemf_conn_cb, c);
			return;
		}
		if (io != TLS_IO_OK) {
			tm_lemf_drop(c);
			return;
		}
		c->up = 1;
		ev_fd_set(loop, fd, EV_READ, tm_lemf_conn_cb, c);
	}
	for (int i = 0; i < 64; i++) {
		size_t got = 0, n;
		struct hi2_diag d;
		enum tls_io io = tls_conn_read(c->c, c->buf + c->len, sizeof(c->buf) - c->len, &got);
		if (io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE)
			return;
		if (io != TLS_IO_OK) {
			tm_lemf_drop(c);
			return;
		}
		c->len += got;
		size_t off = 0;
		while (hi2_split(c->buf + off, c->len - off, sizeof(c->buf), &n, &d) == HI2_OK) {
			tm_lemf_pdu(c, c->buf + off, n);
			off += n;
			if (c->l->close_after && c->l->npdus >= c->l->close_after) {
				c->l->close_after = 0;
				tm_lemf_drop(c);
				return;
			}
		}
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
	}
}

static inline void
tm_lemf_accept(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct tm_lemf *l = arg;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	for (int i = 0; i < TM_LEMF_MAX_CONNS; i++) {
		struct tm_lemf_conn *c = &l->conns[i];
		if (c->fd >= 0)
			continue;
		c->fd = cfd;
		c->l = l;
		c->len = 0;
		c->up = 0;
		c->c = l->tls ? tls_conn_new(l->tls, cfd, NULL) : tls_conn_new_plain(cfd);
		tm_lemf_conn_cb(loop, cfd, EV_READ, c);
		return;
	}
	close(cfd);
}

/* Listens on 127.0.0.1:port (0 = any). */
static inline int
tm_lemf_start(struct tm_lemf *l, struct ev_loop *loop, struct tls_ctx *tls, uint16_t port)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int one = 1;

	l->loop = loop;
	l->tls = tls;
	for (int i = 0; i < TM_LEMF_MAX_CONNS; i++)
		l->conns[i].fd = -1;
	l->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(l->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	if (bind(l->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l->lfd, 8) != 0)
		return -1;
	getsockname(l->lfd, (struct sockaddr *)&a, &al);
	l->port = ntohs(a.sin_port);
	return ev_fd_set(loop, l->lfd, EV_READ, tm_lemf_accept, l);
}

/* Closes the listener and the connections; keeps what was collected. */
static inline void
tm_lemf_stop(struct tm_lemf *l)
{
	for (int i = 0; i < TM_LEMF_MAX_CONNS; i++)
		tm_lemf_drop(&l->conns[i]);
	if (l->lfd >= 0) {
		ev_fd_del(l->loop, l->lfd);
		close(l->lfd);
		l->lfd = -1;
	}
}

static inline void
tm_lemf_free(struct tm_lemf *l)
{
	tm_lemf_stop(l);
	free(l->pdus);
	l->pdus = NULL;
}

/* Runs the loop until cond(arg) or timeout_ms; returns 1 if cond became true. */
static inline int
tm_run_until(struct ev_loop *loop, int (*cond)(void *), void *arg, uint64_t timeout_ms)
{
	uint64_t end = ev_now_ms() + timeout_ms;
	ev_set_max_wait(loop, 10);
	while (ev_now_ms() < end) {
		if (cond(arg))
			return 1;
		ev_run_once(loop);
	}
	return cond(arg);
}

#endif
