/*
 * x2x3_sink: a test receiver for X2/X3 (ETSI TS 103 221-2) built on the receiver API that the
 * MDF uses.  It accepts POI connections (mutual TLS, or plaintext with --insecure-plaintext),
 * answers keepalives, and records every valid PDU:
 *   --pcap F   one synthesized TCP segment per PDU (tshark -r F -d tcp.port==P,5gli -V)
 *   --json F   one JSON object per PDU, then a final object with the counters
 * It stops on SIGTERM/SIGINT (flushing both files) or after --count X2/X3 PDUs.
 * With --defer-acks it acknowledges a keepalive only after everything received before it has
 * been handed to the kernel (both files flushed), so a POI with retention (the default) loses
 * nothing when the sink is killed, even with SIGKILL; --append keeps earlier records in the
 * JSON file across such restarts, after cutting a last line that a kill left unfinished (that
 * record was never acknowledged: the POI sends it again).  (Flushed, not fsynced: it survives
 * the sink's death, not the machine's.)
 * Output files hold intercepted data and target identifiers: lab use only.
 *
 *   x2x3_sink [--listen ADDR:PORT] [--port-file F] (--tls-ca F --tls-cert F --tls-key F |
 *             --insecure-plaintext) [--pcap F] [--pcap-port P] [--json F] [--append]
 *             [--defer-acks] [--count N] [--max-pdu N] [--idle-timeout-ms N]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ev.h"
#include "common/log.h"
#include "common/uuid.h"
#include "tls/tls.h"
#include "x2x3/x2x3.h"
#include "x2x3/x2x3_pcap.h"
#include "x2x3/x2x3_receiver.h"

static volatile sig_atomic_t quit;

struct sink {
	struct ev_loop *loop;
	struct x2x3_receiver *rx;
	struct x2x3_pcap *pcap;
	FILE *json;
	uint64_t count, data_pdus;
	int defer;
};

static void
on_signal(int sig)
{
	quit = 1;
}

static void
before_wait(struct ev_loop *loop, void *arg)
{
	if (quit)
		ev_stop(loop);
}

/* JSON string from arbitrary octets: printable ASCII as is, the rest \u00XX. */
static void
json_bytes(FILE *f, const char *key, struct ovt_cursor v)
{
	const uint8_t *p = cur_data(&v);
	fprintf(f, ",\"%s\":\"", key);
	for (size_t i = 0; i < cur_len(&v); i++) {
		if (p[i] == '"' || p[i] == '\\')
			fprintf(f, "\\%c", p[i]);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			fputc(p[i], f);
		else
			fprintf(f, "\\u%04x", p[i]);
	}
	fputc('"', f);
}

static void
json_ip(FILE *f, const char *key, int af, const uint8_t *a)
{
	char txt[INET6_ADDRSTRLEN];
	if (inet_ntop(af, a, txt, sizeof(txt)) != NULL)
		fprintf(f, ",\"%s\":\"%s\"", key, txt);
}

static void
write_json(struct sink *s, const struct x2x3_peer *peer, const struct x2x3_pdu *pdu)
{
	FILE *f = s->json;
	char xid[UUID_STRLEN + 1];
	uint32_t p = pdu->present;

	uuid_format(pdu->xid, xid);
	fprintf(f, "{\"conn\":%llu,\"peer_cn\":", (unsigned long long)peer->id);
	fprintf(f, "\"%s\"", peer->cn);	/* CN checked printable by the receiver's TLS layer */
	fprintf(f, ",\"type\":\"%s\",\"version\":%u,\"xid\":\"%s\",\"format\":%u,\"direction\":%u"
		   ",\"correlation_id\":\"%016llx\",\"payload_len\":%zu,\"skipped_attrs\":%u",
		x2x3_type_name(pdu->type), pdu->version, xid, pdu->format, pdu->direction,
		(unsigned long long)pdu->correlation_id, cur_len(&pdu->payload),
		pdu->skipped_attrs);
	if (p & X2X3_HAS(X2X3_ATTR_SEQ))
		fprintf(f, ",\"seq\":%u", pdu->seq);
	if (p & X2X3_HAS(X2X3_ATTR_TIMESTAMP))
		fprintf(f, ",\"ts_sec\":%u,\"ts_nsec\":%u", pdu->ts_sec, pdu->ts_nsec);
	if (p & X2X3_HAS(X2X3_ATTR_DID))
		json_bytes(f, "did", pdu->did);
	if (p & X2X3_HAS(X2X3_ATTR_NFID))
		json_bytes(f, "nfid", pdu->nfid);
	if (p & X2X3_HAS(X2X3_ATTR_IPID))
		json_bytes(f, "ipid", pdu->ipid);
	if (p & X2X3_HAS(X2X3_ATTR_SRC_IPV4))
		json_ip(f, "src_ip", AF_INET, pdu->src_ipv4);
	if (p & X2X3_HAS(X2X3_ATTR_DST_IPV4))
		json_ip(f, "dst_ip", AF_INET, pdu->dst_ipv4);
	if (p & X2X3_HAS(X2X3_ATTR_SRC_IPV6))
		json_ip(f, "src_ipv6", AF_INET6, pdu->src_ipv6);
	if (p & X2X3_HAS(X2X3_ATTR_DST_IPV6))
		json_ip(f, "dst_ipv6", AF_INET6, pdu->dst_ipv6);
	if (p & X2X3_HAS(X2X3_ATTR_SRC_PORT))
		fprintf(f, ",\"src_port\":%u", pdu->src_port);
	if (p & X2X3_HAS(X2X3_ATTR_DST_PORT))
		fprintf(f, ",\"dst_port\":%u", pdu->dst_port);
	if (p & X2X3_HAS(X2X3_ATTR_IPPROTO))
		fprintf(f, ",\"ipproto\":%u", pdu->ipproto);
	if (p & X2X3_HAS(X2X3_ATTR_MTI))
		json_bytes(f, "mti", pdu->mti);
	if (p & X2X3_HAS(X2X3_ATTR_OTI))
		json_bytes(f, "oti", pdu->oti);
	fprintf(f, "}\n");
	fflush(f);
}

static void
on_pdu(void *arg, const struct x2x3_peer *peer, const struct x2x3_pdu *pdu, struct ovt_cursor raw)
{
	struct sink *s = arg;
	if (s->pcap != NULL && x2x3_pcap_write(s->pcap, peer, raw) < 0)
		log_warnx("pcap write failed");
	if (s->json != NULL)
		write_json(s, peer, pdu);
	if (s->defer && pdu->type == X2X3_TYPE_KEEPALIVE) {
		/* Durable (for our purposes: out of our memory) before the POI may forget it. */
		if ((s->json != NULL && fflush(s->json) != 0) || x2x3_pcap_flush(s->pcap) != 0) {
			log_warnx("flush failed: keepalive %u of conn %llu not acknowledged",
				  pdu->seq, (unsigned long long)peer->id);
			return;
		}
		enum x2x3_err e = x2x3_receiver_ack(s->rx, peer->id, pdu->seq);
		if (e != X2X3_OK)
			log_warnx("ack of keepalive %u: %s", pdu->seq, x2x3_strerror(e));
	}
	if (pdu->type == X2X3_TYPE_X2 || pdu->type == X2X3_TYPE_X3) {
		s->data_pdus++;
		if (s->count > 0 && s->data_pdus >= s->count)
			ev_stop(s->loop);
	}
}

static void
on_conn(void *arg, const struct x2x3_peer *peer, enum x2x3_conn_event ev, enum x2x3_err reason,
	const char *detail)
{
	switch (ev) {
	case X2X3_CONN_UP:
		log_info("conn %llu from %s:%u up (%s, cn \"%s\")", (unsigned long long)peer->id,
			 peer->addr, peer->port, detail, peer->cn);
		break;
	case X2X3_CONN_CLOSED:
		log_info("conn %llu from %s:%u closed: %s (%s)", (unsigned long long)peer->id,
			 peer->addr, peer->port, x2x3_errname(reason), detail);
		break;
	case X2X3_CONN_REFUSED:
		log_warnx("connection from %s:%u refused: %s", peer->addr, peer->port, detail);
		break;
	}
}

static void
write_final(struct sink *s)
{
	struct x2x3_receiver_stats st;
	FILE *f = s->json;
	int first = 1;

	x2x3_receiver_stats(s->rx, &st);
	log_info("final: %llu X2, %llu X3, %llu keepalives, %llu connections, %llu dropped",
		 (unsigned long long)st.pdus[X2X3_TYPE_X2], (unsigned long long)st.pdus[X2X3_TYPE_X3],
		 (unsigned long long)st.pdus[X2X3_TYPE_KEEPALIVE], (unsigned long long)st.accepted,
		 (unsigned long long)(st.accepted - st.active - st.closed_eof));
	if (f == NULL)
		return;
	fprintf(f, "{\"final\":true,\"x2\":%llu,\"x3\":%llu,\"keepalives\":%llu,\"acks_sent\":%llu"
		   ",\"bytes\":%llu,\"accepted\":%llu,\"up\":%llu,\"refused_limit\":%llu"
		   ",\"closed_eof\":%llu,\"pcap_skipped\":%llu,\"dropped\":{",
		(unsigned long long)st.pdus[X2X3_TYPE_X2], (unsigned long long)st.pdus[X2X3_TYPE_X3],
		(unsigned long long)st.pdus[X2X3_TYPE_KEEPALIVE], (unsigned long long)st.acks_sent,
		(unsigned long long)st.bytes, (unsigned long long)st.accepted,
		(unsigned long long)st.up, (unsigned long long)st.refused_limit,
		(unsigned long long)st.closed_eof,
		(unsigned long long)(s->pcap ? x2x3_pcap_skipped(s->pcap) : 0));
	for (int e = 0; e < X2X3_E_COUNT; e++) {
		if (st.dropped[e] == 0)
			continue;
		fprintf(f, "%s\"%s\":%llu", first ? "" : ",", x2x3_errname((enum x2x3_err)e),
			(unsigned long long)st.dropped[e]);
		first = 0;
	}
	fprintf(f, "}}\n");
	fflush(f);
}

/* Before appending: a SIGKILL can cut a write(2) short at a page boundary, leaving half a
 * record; drop everything after the last newline.  Returns 0, or -1 with errno. */
static int
json_recover(const char *path)
{
	char buf[4096];
	struct stat sb;
	off_t end;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &sb) != 0)
		goto fail;
	/* Backwards, a block at a time, to the last newline (or the start of the file). */
	for (end = sb.st_size; end > 0;) {
		size_t n = end < (off_t)sizeof(buf) ? (size_t)end : sizeof(buf);
		ssize_t got = pread(fd, buf, n, end - (off_t)n);
		if (got != (ssize_t)n)
			goto fail;
		while (n > 0 && buf[n - 1] != '\n')
			n--;
		if (n > 0) {
			end -= (off_t)(got - (ssize_t)n);
			break;
		}
		end -= got;
	}
	if (end != sb.st_size && ftruncate(fd, end) != 0)
		goto fail;
	return close(fd);
fail:
	close(fd);
	return -1;
}

static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "ADDR:PORT" or "[V6]:PORT" into addr (copied) and port. */
static int
parse_listen(const char *s, char *addr, size_t addrlen, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	uint64_t p;
	size_t n;
	if (colon == NULL || parse_u64(colon + 1, 65535, &p) != 0)
		return -1;
	n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= addrlen)
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	*port = (uint16_t)p;
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: x2x3_sink [--listen ADDR:PORT] [--port-file F]\n"
		"                 (--tls-ca F --tls-cert F --tls-key F | --insecure-plaintext)\n"
		"                 [--pcap F] [--pcap-port P] [--json F] [--append] [--defer-acks]\n"
		"                 [--count N] [--max-pdu N] [--idle-timeout-ms N]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct x2x3_receiver_config cfg;
	struct sink s;
	struct tls_config tc = {NULL, NULL, NULL};
	struct tls_ctx *tls = NULL;
	const char *pcap_path = NULL, *json_path = NULL, *port_file = NULL;
	char addr[64] = "127.0.0.1";
	uint16_t port = 0;
	uint64_t pcap_port = 9999, v;
	int plaintext = 0, append = 0, rc = 0;
	enum x2x3_err err;

	memset(&cfg, 0, sizeof(cfg));
	memset(&s, 0, sizeof(s));
	log_init("x2x3_sink", 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--insecure-plaintext") == 0) {
			plaintext = 1;
			continue;
		}
		if (strcmp(a, "--append") == 0) {
			append = 1;
			continue;
		}
		if (strcmp(a, "--defer-acks") == 0) {
			s.defer = 1;
			continue;
		}
		if (val == NULL)
			usage();
		i++;
		if (strcmp(a, "--listen") == 0) {
			if (parse_listen(val, addr, sizeof(addr), &port) != 0)
				usage();
		} else if (strcmp(a, "--port-file") == 0) {
			port_file = val;
		} else if (strcmp(a, "--tls-ca") == 0) {
			tc.ca_file = val;
		} else if (strcmp(a, "--tls-cert") == 0) {
			tc.cert_file = val;
		} else if (strcmp(a, "--tls-key") == 0) {
			tc.key_file = val;
		} else if (strcmp(a, "--pcap") == 0) {
			pcap_path = val;
		} else if (strcmp(a, "--pcap-port") == 0) {
			if (parse_u64(val, 65535, &pcap_port) != 0 || pcap_port == 0)
				usage();
		} else if (strcmp(a, "--json") == 0) {
			json_path = val;
		} else if (strcmp(a, "--count") == 0) {
			if (parse_u64(val, UINT64_MAX, &s.count) != 0)
				usage();
		} else if (strcmp(a, "--max-pdu") == 0) {
			if (parse_u64(val, X2X3_MAX_PDU_LIMIT, &v) != 0 || v < X2X3_MIN_PDU_LIMIT)
				usage();
			cfg.max_pdu = (size_t)v;
		} else if (strcmp(a, "--idle-timeout-ms") == 0) {
			if (parse_u64(val, UINT32_MAX, &v) != 0 || v == 0)
				usage();
			cfg.idle_timeout_ms = (uint32_t)v;
		} else {
			usage();
		}
	}
	if (plaintext == (tc.ca_file != NULL || tc.cert_file != NULL || tc.key_file != NULL))
		usage();

	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	if (!plaintext && (tls = tls_ctx_new(TLS_SERVER, &tc, &(enum tls_err){0})) == NULL)
		fatalx("TLS setup failed (check --tls-ca/--tls-cert/--tls-key)");
	if ((s.loop = ev_new()) == NULL)
		fatalx("out of memory");
	ev_set_before_wait(s.loop, before_wait, NULL);
	if (pcap_path != NULL && (s.pcap = x2x3_pcap_open(pcap_path, (uint16_t)pcap_port)) == NULL)
		fatalx("cannot create pcap %s", pcap_path);
	if (json_path != NULL && append && json_recover(json_path) != 0)
		fatal("cannot recover %s", json_path);
	if (json_path != NULL && (s.json = fopen(json_path, append ? "a" : "w")) == NULL)
		fatal("cannot create %s", json_path);

	cfg.bind_addr = addr;
	cfg.port = port;
	cfg.insecure_plaintext = plaintext;
	cfg.tls = tls;
	cfg.defer_acks = s.defer;
	cfg.on_pdu = on_pdu;
	cfg.on_conn = on_conn;
	cfg.arg = &s;
	if ((s.rx = x2x3_receiver_new(s.loop, &cfg, &err)) == NULL)
		fatalx("cannot listen on %s:%u: %s", addr, port, x2x3_strerror(err));
	port = x2x3_receiver_port(s.rx);
	if (port_file != NULL) {
		/* Written to a temporary name and renamed, so readers never see half a number. */
		char tmp[4096];
		FILE *pf;
		snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
		if ((pf = fopen(tmp, "w")) == NULL || fprintf(pf, "%u\n", port) < 0 ||
		    fclose(pf) != 0 || rename(tmp, port_file) != 0)
			fatal("cannot write %s", port_file);
	}
	printf("listening on %s port %u (%s)\n", addr, port, plaintext ? "plaintext" : "mutual TLS");
	fflush(stdout);

	if (ev_run(s.loop) != 0) {
		log_warn("event loop");
		rc = 1;
	}
	write_final(&s);
	if (s.json != NULL && fclose(s.json) != 0)
		rc = 1;
	if (x2x3_pcap_close(s.pcap) != 0) {
		log_warnx("pcap write failed");
		rc = 1;
	}
	x2x3_receiver_free(s.rx);
	ev_free(s.loop);
	tls_ctx_free(tls);
	return rc;
}
