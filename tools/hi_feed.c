/*
 * hi_feed: a test MDF for `overt lemf`.  Connects to a LEMF (mutual TLS, or plaintext when
 * asked), then runs a script of PS-PDUs built with src/hi2's encoders, raw bytes (malformed
 * PDUs, BER bombs), keep-alives whose responses it waits for, reconnects and kills.  Used by
 * tests/e2e/test_lemf*.sh; see docs/lemf.md.
 *
 * usage: hi_feed --connect HOST:PORT [--ca F --cert F --key F] [--name N] [--plaintext]
 *                [--save-rx FILE] [--timeout-ms N] [SCRIPT | -]
 * Script, one command per line ('#' comments):
 *   cc LIID CIN A[-B] [ts=SEC] [step=MS] [len=N] [v6]
 *        one CC PDU per sequence number: IPv4/UDP (IPv6/UDP with v6) 100.64.0.1 -> 198.51.100.1,
 *        IP ID (v6: flow label) = sequence number, PSHeader time ts + seq * step ms (defaults
 *        1736936430, 1)
 *   iri LIID CIN A[-B] [event=N] [imsi=D] [msisdn=D] [imei=D] [apn=TEXT] [paa4=IPV4] [ebi=N]
 *        [rat=N] [uli=HEX] [ts=SEC] [bearer=default|dedicated]   one IRI PDU per number
 *   keepalive LIID CIN SEQ     send a keep-alive, wait for its response: prints "ack SEQ"
 *   keepalive-nowait LIID CIN SEQ
 *   wait-acks N                wait until N responses have arrived in total
 *   raw HEX | file PATH        bytes as they are
 *   chunk N                    write in pieces of N octets (1 ms apart); 0 = whole PDUs
 *   sleep MS | reconnect | expect-close | kill PIDFILE (SIGKILL)
 * Exit status 0 when every command succeeded, 1 otherwise (message on stderr).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/ev.h"
#include "conf/conf.h"
#include "hi2/hi2.h"
#include "tls/tls.h"

#define LINE_MAX_LEN	8192
#define MAX_TOK		24
#define RX_MAX		(64 * 1024)

struct feed {
	const char *host_port, *name, *save_rx;
	int plaintext;
	int timeout_ms;
	struct tls_ctx *tls;
	char host[64];
	uint16_t port;
	int fd;
	struct tls_conn *conn;
	size_t chunk;
	uint8_t rx[RX_MAX];
	size_t rxlen;
	unsigned acks;
	uint32_t last_ack;
	int peer_closed;
	FILE *rxf;
	uint8_t pdu[HI2_MAX_PDU];
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "hi_feed: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static uint64_t
num(const char *s, uint64_t max, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v > max)
		die("bad %s '%s'", what, s);
	return v;
}

/* ------------------------------------------------------------------ connection */

static void
rx_parse(struct feed *f)
{
	size_t off = 0, len;
	struct hi2_diag d;

	while (hi2_split(f->rx + off, f->rxlen - off, HI2_MAX_PDU, &len, &d) == HI2_OK) {
		struct hi2_pdu p;
		if (hi2_decode(f->rx + off, len, &p, &d) != HI2_OK)
			die("LEMF sent a PDU our decoder refuses");
		if (p.kind != HI2_KIND_TRI || p.tri != HI2_TRI_KEEPALIVE_RESPONSE)
			die("LEMF sent something other than a keep-aliveResponse");
		f->acks++;
		f->last_ack = p.seq;
		off += len;
	}
	memmove(f->rx, f->rx + off, f->rxlen - off);
	f->rxlen -= off;
}

/* Reads whatever is there (non-blocking).  Returns -1 once the peer has closed. */
static int
rx_drain(struct feed *f)
{
	for (;;) {
		size_t got;
		enum tls_io io;
		if (f->rxlen == sizeof(f->rx))
			die("receive buffer full");
		io = tls_conn_read(f->conn, f->rx + f->rxlen, sizeof(f->rx) - f->rxlen, &got);
		if (io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE)
			return 0;
		if (io != TLS_IO_OK) {
			f->peer_closed = 1;
			return -1;
		}
		if (f->rxf != NULL)
			fwrite(f->rx + f->rxlen, 1, got, f->rxf);
		f->rxlen += got;
		rx_parse(f);
	}
}

static void
wait_fd(struct feed *f, short ev, uint64_t deadline)
{
	struct pollfd p = {f->fd, ev, 0};
	uint64_t now = ev_now_ms();
	if (now >= deadline)
		die("timeout");
	(void)poll(&p, 1, (int)(deadline - now));
}

static void
disconnect(struct feed *f)
{
	if (f->conn != NULL) {
		tls_conn_shutdown(f->conn);
		tls_conn_free(f->conn);
	}
	if (f->fd >= 0)
		close(f->fd);
	f->conn = NULL;
	f->fd = -1;
	f->rxlen = 0;
	f->peer_closed = 0;
}

static void
do_connect(struct feed *f)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	uint64_t deadline = ev_now_ms() + (uint64_t)f->timeout_ms;
	int one = 1;
	enum tls_io io;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, f->host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(f->port);
		sl = sizeof(*in4);
	} else if (inet_pton(AF_INET6, f->host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(f->port);
		sl = sizeof(*in6);
	} else {
		die("'%s' is not an IP address", f->host);
	}
	if ((f->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(f->fd, (struct sockaddr *)&ss, sl) != 0)
		die("connect %s: %s", f->host_port, strerror(errno));
	(void)setsockopt(f->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) | O_NONBLOCK) != 0)
		die("fcntl");
	f->conn = f->plaintext ? tls_conn_new_plain(f->fd) : tls_conn_new(f->tls, f->fd, f->name);
	if (f->conn == NULL)
		die("out of memory");
	while ((io = tls_conn_handshake(f->conn)) == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE)
		wait_fd(f, io == TLS_IO_WANT_READ ? POLLIN : POLLOUT, deadline);
	if (io != TLS_IO_OK)
		die("handshake: %s", tls_conn_error(f->conn));
}

static void
send_bytes(struct feed *f, const uint8_t *p, size_t n)
{
	uint64_t deadline = ev_now_ms() + (uint64_t)f->timeout_ms;

	while (n > 0) {
		size_t piece = f->chunk && f->chunk < n ? f->chunk : n, done;
		enum tls_io io = tls_conn_write(f->conn, p, piece, &done);
		if (io == TLS_IO_OK) {
			p += done;
			n -= done;
			if (f->chunk && n > 0)
				usleep(1000);
			continue;
		}
		if (io != TLS_IO_WANT_READ && io != TLS_IO_WANT_WRITE)
			die("write: %s", tls_conn_error(f->conn));
		/* While we wait to write, read: a LEMF blocked on our unread responses must
		 * not deadlock us. */
		if (rx_drain(f) != 0)
			die("LEMF closed the connection while we were writing");
		wait_fd(f, POLLOUT | POLLIN, deadline);
	}
	(void)rx_drain(f);
}

/* Waits until pred(f) or the peer closes; returns 1 if pred held. */
static int
wait_until(struct feed *f, int (*pred)(struct feed *, unsigned), unsigned arg)
{
	uint64_t deadline = ev_now_ms() + (uint64_t)f->timeout_ms;

	for (;;) {
		if (pred(f, arg))
			return 1;
		if (rx_drain(f) != 0)
			return pred(f, arg);
		if (pred(f, arg))
			return 1;
		wait_fd(f, POLLIN, deadline);
	}
}

static int
have_acks(struct feed *f, unsigned n)
{
	return f->acks >= n;
}

static int
is_closed(struct feed *f, unsigned unused)
{
	return f->peer_closed;
}

/* ------------------------------------------------------------------ PDUs */

static void
mkhdr(struct hi2_pshdr *h, const char *liid, uint32_t cin, uint32_t seq, int64_t sec,
      uint32_t usec)
{
	memset(h, 0, sizeof(*h));
	h->liid.p = (const uint8_t *)liid;
	h->liid.len = strlen(liid);
	h->operator_id.p = (const uint8_t *)"ovt";
	h->operator_id.len = 3;
	h->ne_id.p = (const uint8_t *)"hifeed";
	h->ne_id.len = 6;
	h->cin = cin;
	h->seq = seq;
	h->ts_sec = sec;
	h->ts_usec = usec;
	h->has_tsq = 1;
	h->tsq = 1;	/* timeOfInterception */
}

static void
range(const char *s, uint32_t *a, uint32_t *b)
{
	char t[32];
	const char *dash = strchr(s, '-');
	if (dash == NULL) {
		*a = *b = (uint32_t)num(s, UINT32_MAX, "sequence number");
		return;
	}
	if ((size_t)(dash - s) >= sizeof(t))
		die("bad range '%s'", s);
	memcpy(t, s, (size_t)(dash - s));
	t[dash - s] = '\0';
	*a = (uint32_t)num(t, UINT32_MAX, "sequence number");
	*b = (uint32_t)num(dash + 1, UINT32_MAX, "sequence number");
	if (*b < *a)
		die("bad range '%s'", s);
}

static size_t
make_packet(uint8_t *buf, size_t cap, uint32_t seq, size_t len, int v6)
{
	struct ovt_builder b;
	size_t iph = v6 ? 40 : 20, pl = len > iph + 8 ? len - iph - 8 : 0;
	char tag[32];
	int tl = snprintf(tag, sizeof(tag), "seq=%u;", seq);

	bld_init_fixed(&b, buf, cap);
	if (v6) {
		static const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
						0, 0, 0, 1};
		static const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
						0, 0, 0, 2};
		bld_add_u32(&b, 0x60000000u | (seq & 0xfffff));
		bld_add_u16(&b, (uint16_t)(8 + pl));
		bld_add_u8(&b, 17);
		bld_add_u8(&b, 64);
		bld_add_bytes(&b, src, 16);
		bld_add_bytes(&b, dst, 16);
	} else {
		uint8_t h[20];
		uint32_t sum = 0;
		struct ovt_builder hb;
		bld_init_fixed(&hb, h, sizeof(h));
		bld_add_u8(&hb, 0x45);
		bld_add_u8(&hb, 0);
		bld_add_u16(&hb, (uint16_t)(20 + 8 + pl));
		bld_add_u16(&hb, (uint16_t)seq);
		bld_add_u16(&hb, 0);
		bld_add_u8(&hb, 64);
		bld_add_u8(&hb, 17);
		bld_add_u16(&hb, 0);
		bld_add_u32(&hb, 0x64400001u);	/* 100.64.0.1 */
		bld_add_u32(&hb, 0xc6336401u);	/* 198.51.100.1 */
		for (int i = 0; i < 20; i += 2)
			sum += (uint32_t)(h[i] << 8 | h[i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		h[10] = (uint8_t)(~sum >> 8);
		h[11] = (uint8_t)~sum;
		bld_add_bytes(&b, h, sizeof(h));
	}
	bld_add_u16(&b, 40000);
	bld_add_u16(&b, 5000);
	bld_add_u16(&b, (uint16_t)(8 + pl));
	bld_add_u16(&b, 0);		/* no UDP checksum (IPv4); fine for a test payload */
	for (size_t i = 0; i < pl; i++)
		bld_add_u8(&b, i < (size_t)tl ? (uint8_t)tag[i] : (uint8_t)'.');
	if (!bld_ok(&b))
		die("packet too large");
	return bld_len(&b);
}

static void
send_pdu(struct feed *f, struct ovt_builder *b, enum hi2_err e, const struct hi2_diag *d)
{
	char t[200];
	if (e != HI2_OK) {
		hi2_diag_format(e, d, t, sizeof(t));
		die("encode: %s", t);
	}
	send_bytes(f, bld_data(b), bld_len(b));
}

static const char *
opt(char **tok, int n, const char *key)
{
	size_t kl = strlen(key);
	for (int i = 0; i < n; i++)
		if (strncmp(tok[i], key, kl) == 0 && tok[i][kl] == '=')
			return tok[i] + kl + 1;
	return NULL;
}

static int
flag(char **tok, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(tok[i], key) == 0)
			return 1;
	return 0;
}

static void
cmd_cc(struct feed *f, char **tok, int n)
{
	static const uint8_t corr[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	static uint8_t pkt[70000];
	uint32_t a, b, cin = (uint32_t)num(tok[2], UINT32_MAX, "CIN");
	const char *v;
	int64_t ts = (v = opt(tok, n, "ts")) ? (int64_t)num(v, 4000000000u, "ts") : 1736936430;
	uint64_t step = (v = opt(tok, n, "step")) ? num(v, 100000, "step") : 1;
	size_t len = (v = opt(tok, n, "len")) ? num(v, 65535, "len") : 100;
	int v6 = flag(tok, n, "v6");

	range(tok[3], &a, &b);
	for (uint64_t s = a; s <= b; s++) {
		struct hi2_pshdr h;
		struct hi2_cc cc;
		struct ovt_builder bl;
		struct hi2_diag d;
		uint64_t ms = s * step;
		int64_t sec = ts + (int64_t)(ms / 1000);
		uint32_t usec = (uint32_t)(ms % 1000) * 1000;

		mkhdr(&h, tok[1], cin, (uint32_t)s, sec, usec);
		memset(&cc, 0, sizeof(cc));
		cc.dir = s % 2 ? 1 : 0;
		cc.corr.p = corr;
		cc.corr.len = sizeof(corr);
		cc.ulic_seq = (uint16_t)s;
		cc.tpdu_dir = s % 2 ? 2 : 1;
		cc.ice_type = 3;
		cc.pkt.p = pkt;
		cc.pkt.len = make_packet(pkt, sizeof(pkt), (uint32_t)s, len, v6);
		bld_init_fixed(&bl, f->pdu, sizeof(f->pdu));
		send_pdu(f, &bl, hi2_encode_cc(&bl, &h, &cc, &d), &d);
	}
}

static void
cmd_iri(struct feed *f, char **tok, int n)
{
	static const uint8_t corr[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint32_t a, b, cin = (uint32_t)num(tok[2], UINT32_MAX, "CIN");
	const char *v;
	int64_t ts = (v = opt(tok, n, "ts")) ? (int64_t)num(v, 2500000000u, "ts") : 1736936430;
	uint8_t apn[101], paa[5], uli[HI2_ULI_MAX];
	long ul = 0;

	range(tok[3], &a, &b);
	for (uint64_t s = a; s <= b; s++) {
		struct hi2_pshdr h;
		struct hi2_eps_iri iri;
		struct ovt_builder bl;
		struct hi2_diag d;

		hi2_iri_init(&iri);
		iri.event = (uint8_t)((v = opt(tok, n, "event")) ? num(v, 255, "event") : 18);
		iri.ts_sec = ts + (int64_t)s;
		if ((v = opt(tok, n, "imsi")) != NULL)
			snprintf(iri.imsi, sizeof(iri.imsi), "%s", v);
		if ((v = opt(tok, n, "msisdn")) != NULL)
			snprintf(iri.msisdn, sizeof(iri.msisdn), "%s", v);
		if ((v = opt(tok, n, "imei")) != NULL)
			snprintf(iri.imei, sizeof(iri.imei), "%s", v);
		iri.corr.p = corr;
		iri.corr.len = sizeof(corr);
		if ((v = opt(tok, n, "apn")) != NULL) {
			/* dotted text -> 23.003 labels */
			size_t o = 0, lab = 0;
			for (size_t i = 0; v[i] != '\0' && o + 1 < sizeof(apn); i++) {
				if (i == 0 || v[i - 1] == '.')
					lab = o++, apn[lab] = 0;
				if (v[i] == '.')
					continue;
				apn[o++] = (uint8_t)v[i];
				apn[lab]++;
			}
			iri.apn.p = apn;
			iri.apn.len = o;
		}
		if ((v = opt(tok, n, "paa4")) != NULL) {
			paa[0] = 1;
			if (inet_pton(AF_INET, v, paa + 1) != 1)
				die("bad paa4");
			iri.paa.p = paa;
			iri.paa.len = 5;
		}
		if ((v = opt(tok, n, "ebi")) != NULL) {
			iri.has_ebi = 1;
			iri.ebi = (uint8_t)num(v, 15, "ebi");
		}
		if ((v = opt(tok, n, "rat")) != NULL) {
			iri.has_rat = 1;
			iri.rat = (uint8_t)num(v, 255, "rat");
		}
		if ((v = opt(tok, n, "uli")) != NULL) {
			if ((ul = hex_decode(v, uli, sizeof(uli))) <= 0)
				die("bad uli");
			iri.uli.p = uli;
			iri.uli.len = (size_t)ul;
		}
		if ((v = opt(tok, n, "bearer")) != NULL)
			iri.bearer_type = strcmp(v, "dedicated") == 0 ? HI2_BEARER_DEDICATED :
					  HI2_BEARER_DEFAULT;
		mkhdr(&h, tok[1], cin, (uint32_t)s, iri.ts_sec, 0);
		bld_init_fixed(&bl, f->pdu, sizeof(f->pdu));
		send_pdu(f, &bl, hi2_encode_iri(&bl, &h, &iri, &d), &d);
	}
}

static void
cmd_keepalive(struct feed *f, char **tok, int n, int wait)
{
	struct hi2_pshdr h;
	struct ovt_builder bl;
	struct hi2_diag d;
	uint32_t seq = (uint32_t)num(tok[3], UINT32_MAX, "sequence number");
	unsigned want = f->acks + 1;

	mkhdr(&h, tok[1], (uint32_t)num(tok[2], UINT32_MAX, "CIN"), seq, (int64_t)time(NULL), 0);
	bld_init_fixed(&bl, f->pdu, sizeof(f->pdu));
	send_pdu(f, &bl, hi2_encode_tri(&bl, &h, HI2_TRI_KEEPALIVE, &d), &d);
	if (!wait)
		return;
	if (!wait_until(f, have_acks, want))
		die("no keep-alive response (connection closed)");
	if (f->last_ack != seq)
		die("keep-alive response for %u, expected %u", f->last_ack, seq);
	printf("ack %u\n", seq);
	fflush(stdout);
}

static void
cmd_bytes(struct feed *f, const char *hex)
{
	static uint8_t buf[LINE_MAX_LEN];
	long n = hex_decode(hex, buf, sizeof(buf));
	if (n < 0)
		die("bad hex");
	send_bytes(f, buf, (size_t)n);
}

static void
cmd_file(struct feed *f, const char *path)
{
	FILE *fp = fopen(path, "rb");
	size_t n;
	if (fp == NULL)
		die("%s: %s", path, strerror(errno));
	n = fread(f->pdu, 1, sizeof(f->pdu), fp);
	fclose(fp);
	send_bytes(f, f->pdu, n);
}

static void
cmd_kill(const char *pidfile)
{
	FILE *fp = fopen(pidfile, "r");
	char line[32] = "";
	long pid;

	if (fp == NULL || fgets(line, sizeof(line), fp) == NULL)
		die("%s: cannot read a pid", pidfile);
	fclose(fp);
	line[strcspn(line, "\n")] = '\0';
	pid = (long)num(line, 4194304, "pid");
	if (pid <= 1 || kill((pid_t)pid, SIGKILL) != 0)
		die("kill %ld: %s", pid, strerror(errno));
}

static int
tokenize(char *line, char **tok)
{
	int n = 0;
	char *p = line;

	while (*p != '\0' && n < MAX_TOK) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			*p++ = '\0';
		if (*p == '\0' || *p == '#')
			break;
		tok[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
	}
	if (*p == '#')
		*p = '\0';
	return n;
}

static void
run_line(struct feed *f, char **tok, int n)
{
	const char *c = tok[0];

	if (strcmp(c, "cc") == 0 && n >= 4)
		cmd_cc(f, tok, n);
	else if (strcmp(c, "iri") == 0 && n >= 4)
		cmd_iri(f, tok, n);
	else if (strcmp(c, "keepalive") == 0 && n == 4)
		cmd_keepalive(f, tok, n, 1);
	else if (strcmp(c, "keepalive-nowait") == 0 && n == 4)
		cmd_keepalive(f, tok, n, 0);
	else if (strcmp(c, "wait-acks") == 0 && n == 2) {
		if (!wait_until(f, have_acks, (unsigned)num(tok[1], 1000000, "count")))
			die("connection closed before %s responses", tok[1]);
	} else if (strcmp(c, "raw") == 0 && n == 2)
		cmd_bytes(f, tok[1]);
	else if (strcmp(c, "file") == 0 && n == 2)
		cmd_file(f, tok[1]);
	else if (strcmp(c, "chunk") == 0 && n == 2)
		f->chunk = (size_t)num(tok[1], 1000000, "chunk");
	else if (strcmp(c, "sleep") == 0 && n == 2)
		usleep((useconds_t)num(tok[1], 600000, "ms") * 1000);
	else if (strcmp(c, "reconnect") == 0 && n == 1) {
		disconnect(f);
		do_connect(f);
	} else if (strcmp(c, "expect-close") == 0 && n == 1) {
		if (!wait_until(f, is_closed, 0))
			die("connection still open");
		printf("closed\n");
		fflush(stdout);
	} else if (strcmp(c, "kill") == 0 && n == 2)
		cmd_kill(tok[1]);
	else
		die("bad command '%s'", c);
}

int
main(int argc, char **argv)
{
	static struct feed f;
	const char *ca = NULL, *cert = NULL, *key = NULL, *script = "-";
	char line[LINE_MAX_LEN];
	FILE *in;

	f.fd = -1;
	f.timeout_ms = 10000;
	f.name = "localhost";
	signal(SIGPIPE, SIG_IGN);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--plaintext") == 0) {
			f.plaintext = 1;
			continue;
		}
		if (a[0] != '-' || (a[1] == '\0')) {
			script = a;
			continue;
		}
		if (v == NULL)
			die("%s needs a value", a);
		i++;
		if (strcmp(a, "--connect") == 0)
			f.host_port = v;
		else if (strcmp(a, "--ca") == 0)
			ca = v;
		else if (strcmp(a, "--cert") == 0)
			cert = v;
		else if (strcmp(a, "--key") == 0)
			key = v;
		else if (strcmp(a, "--name") == 0)
			f.name = v;
		else if (strcmp(a, "--save-rx") == 0)
			f.save_rx = v;
		else if (strcmp(a, "--timeout-ms") == 0)
			f.timeout_ms = (int)num(v, 600000, "timeout");
		else
			die("unknown option %s", a);
	}
	if (f.host_port == NULL ||
	    conf_hostport(f.host_port, f.host, sizeof(f.host), &f.port) != 0 || f.port == 0)
		die("--connect HOST:PORT is required");
	if (!f.plaintext) {
		/* A client without a certificate is allowed here on purpose (refusal tests):
		 * tls_ctx_new needs one, so --cert/--key are mandatory; the "no certificate"
		 * test uses a foreign tool (openssl s_client). */
		struct tls_config tc = {ca, cert, key};
		enum tls_err te;
		if (ca == NULL || cert == NULL || key == NULL)
			die("--ca, --cert and --key are required (or --plaintext)");
		if ((f.tls = tls_ctx_new(TLS_CLIENT, &tc, &te)) == NULL)
			die("TLS: %s", tls_strerror(te));
	}
	if (f.save_rx != NULL && (f.rxf = fopen(f.save_rx, "wb")) == NULL)
		die("%s: %s", f.save_rx, strerror(errno));
	in = strcmp(script, "-") == 0 ? stdin : fopen(script, "r");
	if (in == NULL)
		die("%s: %s", script, strerror(errno));
	do_connect(&f);
	while (fgets(line, sizeof(line), in) != NULL) {
		char *tok[MAX_TOK];
		int n = tokenize(line, tok);
		if (n > 0)
			run_line(&f, tok, n);
	}
	(void)rx_drain(&f);
	disconnect(&f);
	if (in != stdin)
		fclose(in);
	if (f.rxf != NULL)
		fclose(f.rxf);
	tls_ctx_free(f.tls);
	return 0;
}
