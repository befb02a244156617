/*
 * bench_gtp: throughput of the probe's decode-and-track path over a capture file, as a ratio
 * to a bare libpcap read loop over the same file measured in the same run (so the machine's
 * speed cancels out), plus the in-memory cost of the GTP-U path per packet and the memory
 * per tracked session.
 *
 *   bench_gtp FILE.pcap [--rounds N] [--max-sessions N]
 *
 * Each round runs the bare loop then the full loop; the best round of each is reported.
 * The full loop is what the POI does per frame before target matching: pkt_decode, then
 * GTPv2-C into the tracker (port 2123) or GTP-U parse + sess_up_lookup (port 2152).
 * Make a 1M-packet / 100k-subscriber capture with: epcgen --scenario bench --out F.pcap
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gtp/gtp.h"
#include "pkt/pkt.h"
#include "sess/sess.h"

struct counts {
	uint64_t frames, bytes, gtpc, gpdu, matched, other;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pcap_t *
open_file(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, err);

	if (pc == NULL) {
		fprintf(stderr, "bench_gtp: %s: %s\n", path, err);
		exit(1);
	}
	return pc;
}

/* Baseline: read every frame and touch its first octet, nothing else. */
static double
bare_loop(const char *path, struct counts *c)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc = open_file(path);
	double t0 = now_s();

	memset(c, 0, sizeof(*c));
	while (pcap_next_ex(pc, &h, &d) == 1) {
		c->frames++;
		c->bytes += h->caplen + (h->caplen ? d[0] : 0);
	}
	t0 = now_s() - t0;
	pcap_close(pc);
	return t0;
}

static void
one_frame(struct sess_tracker *tr, int lt, const struct pcap_pkthdr *h, const u_char *d,
    struct counts *c)
{
	struct pkt_info pi;
	struct sess_msgctx ctx;
	struct gtpu_hdr u;
	struct sess_up_hit hit;
	enum sess_rc rc;
	size_t trailing;

	c->frames++;
	if (pkt_decode(lt, d, h->caplen, &pi) != PKT_OK) {
		c->other++;
		return;
	}
	if (pi.dport == GTPU_PORT) {
		if (gtpu_parse(pi.payload.p, pi.payload.len, &u, &trailing) != GTP_OK ||
		    u.type != GTPU_GPDU) {
			c->other++;
			return;
		}
		c->gpdu++;
		if (sess_up_lookup(tr, pi.ipver, pi.dst, u.teid, (uint32_t)h->ts.tv_sec, &hit))
			c->matched++;
	} else if (pi.dport == GTPC_PORT || pi.sport == GTPC_PORT) {
		memset(&ctx, 0, sizeof(ctx));
		ctx.af = pi.ipver;
		memcpy(ctx.src, pi.src, 16);
		memcpy(ctx.dst, pi.dst, 16);
		ctx.sport = pi.sport;
		ctx.dport = pi.dport;
		ctx.ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec * 1000;
		c->gtpc++;
		(void)sess_gtpc_udp(tr, pi.payload.p, pi.payload.len, &ctx, &rc);
	} else {
		c->other++;
	}
}

static struct sess_tracker *
tracker(uint32_t max_sessions)
{
	struct sess_config cfg;
	struct sess_tracker *tr;

	sess_config_init(&cfg);
	cfg.max_sessions = max_sessions;
	cfg.max_pdns = 2 * max_sessions;
	cfg.max_bearers = 3 * max_sessions;
	if ((tr = sess_new(&cfg, NULL, NULL)) == NULL) {
		fprintf(stderr, "bench_gtp: sess_new failed\n");
		exit(1);
	}
	return tr;
}

/* Full path, reading the file again with libpcap; the tracker is new each round. */
static double
full_loop(const char *path, uint32_t max_sessions, struct counts *c, struct sess_mem *mem,
    struct sess_stats *st)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc = open_file(path);
	struct sess_tracker *tr = tracker(max_sessions);
	int lt = pcap_datalink(pc);
	double t0 = now_s();

	memset(c, 0, sizeof(*c));
	while (pcap_next_ex(pc, &h, &d) == 1) {
		c->bytes += h->caplen;
		one_frame(tr, lt, h, d, c);
	}
	t0 = now_s() - t0;
	sess_memory(tr, mem);
	*st = *sess_stats(tr);
	pcap_close(pc);
	sess_free(tr);
	return t0;
}

/* The GTP-U path alone, from memory: the signalling is replayed first, then every G-PDU
 * (link + IP + UDP + GTP-U decode + TEID lookup) is timed over several passes. */
static double
gtpu_ns(const char *path, uint32_t max_sessions, uint64_t *n_out)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc = open_file(path);
	struct sess_tracker *tr = tracker(max_sessions);
	int lt = pcap_datalink(pc);
	size_t cap = 1 << 16, n = 0, off = 0, bcap = 1 << 24;
	struct { size_t off; uint32_t len; uint32_t sec; } *idx = malloc(cap * sizeof(*idx));
	uint8_t *blob = malloc(bcap);
	struct counts c;
	uint64_t sink = 0;
	double t0;

	memset(&c, 0, sizeof(c));
	while (idx != NULL && blob != NULL && pcap_next_ex(pc, &h, &d) == 1) {
		struct pkt_info pi;
		if (pkt_decode(lt, d, h->caplen, &pi) == PKT_OK && pi.dport == GTPU_PORT) {
			if (n == cap)
				idx = realloc(idx, (cap *= 2) * sizeof(*idx));
			while (off + h->caplen > bcap)
				blob = realloc(blob, bcap *= 2);
			if (idx == NULL || blob == NULL)
				break;
			memcpy(blob + off, d, h->caplen);
			idx[n].off = off;
			idx[n].len = h->caplen;
			idx[n].sec = (uint32_t)h->ts.tv_sec;
			off += h->caplen;
			n++;
			continue;
		}
		one_frame(tr, lt, h, d, &c);	/* signalling: builds the state */
	}
	pcap_close(pc);
	if (idx == NULL || blob == NULL) {
		fprintf(stderr, "bench_gtp: out of memory\n");
		exit(1);
	}
	t0 = now_s();
	for (int pass = 0; pass < 5; pass++)
		for (size_t i = 0; i < n; i++) {
			struct pkt_info pi;
			struct gtpu_hdr u;
			struct sess_up_hit hit;
			size_t tr_;
			if (pkt_decode(lt, blob + idx[i].off, idx[i].len, &pi) != PKT_OK ||
			    gtpu_parse(pi.payload.p, pi.payload.len, &u, &tr_) != GTP_OK)
				continue;
			sink += (uint64_t)sess_up_lookup(tr, pi.ipver, pi.dst, u.teid, idx[i].sec, &hit);
		}
	t0 = now_s() - t0;
	*n_out = n;
	if (sink == UINT64_MAX)
		printf("-");
	free(idx);
	free(blob);
	sess_free(tr);
	return n ? t0 * 1e9 / (5.0 * (double)n) : 0;
}

int
main(int argc, char **argv)
{
	const char *path = NULL;
	int rounds = 3;
	uint32_t max_sessions = 262144;
	double best_bare = 1e30, best_full = 1e30, ns;
	struct counts cb, cf;
	struct sess_mem mem;
	struct sess_stats st;
	uint64_t ngpdu;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = (int)strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--max-sessions") == 0 && i + 1 < argc)
			max_sessions = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (path == NULL && argv[i][0] != '-')
			path = argv[i];
		else {
			fprintf(stderr, "usage: bench_gtp FILE.pcap [--rounds N] [--max-sessions N]\n");
			return 2;
		}
	}
	if (path == NULL || rounds < 1 || max_sessions == 0) {
		fprintf(stderr, "usage: bench_gtp FILE.pcap [--rounds N] [--max-sessions N]\n");
		return 2;
	}
	for (int r = 0; r < rounds; r++) {
		double tb = bare_loop(path, &cb), tf = full_loop(path, max_sessions, &cf, &mem, &st);
		if (tb < best_bare)
			best_bare = tb;
		if (tf < best_full)
			best_full = tf;
	}
	ns = gtpu_ns(path, max_sessions, &ngpdu);
	printf("file            %s\n", path);
	printf("frames          %llu (GTPv2-C %llu, G-PDU %llu, matched %llu, other %llu)\n",
	    (unsigned long long)cf.frames, (unsigned long long)cf.gtpc,
	    (unsigned long long)cf.gpdu, (unsigned long long)cf.matched,
	    (unsigned long long)cf.other);
	printf("bare libpcap    %.3f s  %.0f packets/s\n", best_bare, (double)cb.frames / best_bare);
	printf("decode+track    %.3f s  %.0f packets/s\n", best_full, (double)cf.frames / best_full);
	printf("ratio           %.3f (decode+track packets/s / bare packets/s, best of %d)\n",
	    best_bare / best_full, rounds);
	printf("gtp-u path      %.1f ns/packet in memory (%llu G-PDUs x 5)\n", ns,
	    (unsigned long long)ngpdu);
	printf("sessions        %u at end, %llu created, %llu overflow\n", st.sessions,
	    (unsigned long long)st.sessions_created, (unsigned long long)st.overflow_sessions);
	printf("sizes           session %zu, pdn %zu, bearer %zu, index slot %zu octets\n",
	    mem.session_size, mem.pdn_size, mem.bearer_size, mem.slot_size);
	printf("bytes/session   %zu (1 PDN, 1 bearer, 9 keys at 2 slots each)\n",
	    mem.session_size + mem.pdn_size + mem.bearer_size + 18 * mem.slot_size);
	printf("reserved        %zu octets for %u sessions = %zu per session at caps\n",
	    mem.reserved, max_sessions, mem.reserved / max_sessions);
	return 0;
}
