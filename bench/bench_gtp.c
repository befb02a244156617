/*
 * bench_gtp: throughput of the probe's decode-and-track path over a capture file, as a ratio
 * to a bare libpcap read loop over the same file measured in the same run (so the machine's
 * speed cancels out), the cost per GTPv2-C message and per G-PDU, and the memory per tracked
 * session.
 *
 *   bench_gtp FILE.pcap [--rounds N] [--max-sessions N]
 *
 * Each round runs the bare loop then the full loop; the best round of each is reported, in
 * wall-clock time and in CPU time of this thread (the CPU-time ratio is the one to trust on a
 * shared machine: another process taking the core stretches wall time, not CPU time).
 * The full loop is what the POI does per frame before target matching: pkt_decode, then
 * GTPv2-C into the tracker (port 2123) or GTP-U parse + sess_up_lookup (port 2152).
 *
 * Then, from frames held in memory (no libpcap, no file I/O):
 *   GTPv2-C      every control frame in capture order into a fresh tracker: ns per message,
 *                and the decoder alone (gtpc_parse + gtpc_decode) for comparison;
 *   GTP-U cold   every G-PDU after the signalling was replayed, in capture order: each packet
 *                meets a different subscriber, so the index slot, bearer and session are
 *                mostly cache misses (what a busy probe sees);
 *   GTP-U warm   the first 256 G-PDUs that hit a tracked bearer (the capture replayed up to
 *                them), repeated: the state is in the cache (the floor of link + IP + UDP +
 *                GTP-U + lookup).
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

#define WARM_PKTS	256
#define WARM_PASSES	400
#define COLD_PASSES	3

struct counts {
	uint64_t frames, bytes, gtpc, gpdu, matched, other;
};

struct clock2 {
	double wall, cpu;
};

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct clock2
clock_now(void)
{
	struct clock2 c = {clock_s(CLOCK_MONOTONIC), clock_s(CLOCK_THREAD_CPUTIME_ID)};

	return c;
}

static struct clock2
clock_since(struct clock2 t0)
{
	struct clock2 c = clock_now();

	c.wall -= t0.wall;
	c.cpu -= t0.cpu;
	return c;
}

static void
clock_best(struct clock2 *best, struct clock2 t)
{
	if (t.wall < best->wall)
		best->wall = t.wall;
	if (t.cpu < best->cpu)
		best->cpu = t.cpu;
}

static pcap_t *
open_file(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);

	if (pc == NULL) {
		fprintf(stderr, "bench_gtp: %s: %s\n", path, err);
		exit(1);
	}
	return pc;
}

/* Baseline: read every frame and touch its first octet, nothing else. */
static struct clock2
bare_loop(const char *path, struct counts *c)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc = open_file(path);
	struct clock2 t0 = clock_now();

	memset(c, 0, sizeof(*c));
	while (pcap_next_ex(pc, &h, &d) == 1) {
		c->frames++;
		c->bytes += h->caplen + (h->caplen ? d[0] : 0);
	}
	t0 = clock_since(t0);
	pcap_close(pc);
	return t0;
}

static void
one_frame(struct sess_tracker *tr, int lt, uint64_t ts_ns, const u_char *d, uint32_t caplen,
    struct counts *c)
{
	struct pkt_info pi;
	struct sess_msgctx ctx;
	struct gtpu_hdr u;
	struct sess_up_hit hit;
	enum sess_rc rc;
	size_t trailing;

	c->frames++;
	if (pkt_decode(lt, d, caplen, &pi) != PKT_OK) {
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
		if (sess_up_lookup(tr, pi.ipver, pi.dst, u.teid, (uint32_t)(ts_ns / 1000000000ULL),
		    &hit))
			c->matched++;
	} else if (pi.dport == GTPC_PORT || pi.sport == GTPC_PORT) {
		ctx.ts_ns = ts_ns;
		ctx.af = pi.ipver;
		memcpy(ctx.src, pi.src, 16);
		memcpy(ctx.dst, pi.dst, 16);
		ctx.sport = pi.sport;
		ctx.dport = pi.dport;
		c->gtpc++;
		(void)sess_gtpc_udp(tr, pi.payload.p, pi.payload.len, &ctx, &rc);
	} else {
		c->other++;
	}
}

static uint64_t
ts_of(const struct pcap_pkthdr *h)
{
	/* Files are opened with nanosecond precision: tv_usec holds nanoseconds. */
	return (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
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

/* Full path, reading the file again with libpcap; the tracker is new each round (created
 * before the clock starts, as the POI creates it at start-up). */
static struct clock2
full_loop(const char *path, uint32_t max_sessions, struct counts *c, struct sess_mem *mem,
    struct sess_stats *st)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc = open_file(path);
	struct sess_tracker *tr = tracker(max_sessions);
	int lt = pcap_datalink(pc);
	struct clock2 t0 = clock_now();

	memset(c, 0, sizeof(*c));
	while (pcap_next_ex(pc, &h, &d) == 1) {
		c->bytes += h->caplen;
		one_frame(tr, lt, ts_of(h), d, h->caplen, c);
	}
	t0 = clock_since(t0);
	sess_memory(tr, mem);
	*st = *sess_stats(tr);
	pcap_close(pc);
	sess_free(tr);
	return t0;
}

/* ------------------------------------------------------------------ frames in memory */

struct frame {
	size_t off;
	uint32_t len;
	uint8_t kind;		/* 1 GTPv2-C, 2 GTP-U, 0 other */
	uint64_t ts_ns;
};

struct mem_capture {
	int lt;
	uint8_t *blob;
	struct frame *f;
	size_t n;
};

static void
load(const char *path, struct mem_capture *mc)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc = open_file(path);
	size_t cap = 1 << 16, bcap = 1 << 24, off = 0;

	mc->lt = pcap_datalink(pc);
	mc->f = malloc(cap * sizeof(*mc->f));
	mc->blob = malloc(bcap);
	mc->n = 0;
	while (mc->f != NULL && mc->blob != NULL && pcap_next_ex(pc, &h, &d) == 1) {
		struct pkt_info pi;
		struct frame *fr;

		if (mc->n == cap && (fr = realloc(mc->f, (cap *= 2) * sizeof(*mc->f))) != NULL)
			mc->f = fr;
		while (off + h->caplen > bcap) {
			uint8_t *nb = realloc(mc->blob, bcap *= 2);
			if (nb == NULL) {
				free(mc->blob);
				mc->blob = NULL;
				break;
			}
			mc->blob = nb;
		}
		if (mc->n == cap || mc->blob == NULL)
			break;
		fr = &mc->f[mc->n++];
		memcpy(mc->blob + off, d, h->caplen);
		fr->off = off;
		fr->len = h->caplen;
		fr->ts_ns = ts_of(h);
		fr->kind = 0;
		if (pkt_decode(mc->lt, d, h->caplen, &pi) == PKT_OK) {
			if (pi.dport == GTPU_PORT)
				fr->kind = 2;
			else if (pi.dport == GTPC_PORT || pi.sport == GTPC_PORT)
				fr->kind = 1;
		}
		off += h->caplen;
	}
	pcap_close(pc);
	if (mc->f == NULL || mc->blob == NULL) {
		fprintf(stderr, "bench_gtp: out of memory\n");
		exit(1);
	}
}

/* GTPv2-C: every control frame into a fresh tracker, best of rounds; and the decoder alone. */
static void
gtpc_costs(const struct mem_capture *mc, uint32_t max_sessions, int rounds, double *ns_track,
    double *ns_decode, uint64_t *nmsg)
{
	struct clock2 best = {1e30, 1e30}, bestd = {1e30, 1e30};
	static struct gtpc_info info;
	uint64_t n = 0, sink = 0;

	for (int r = 0; r < rounds; r++) {
		struct sess_tracker *tr = tracker(max_sessions);
		struct counts c;
		struct clock2 t0;

		memset(&c, 0, sizeof(c));
		t0 = clock_now();
		for (size_t i = 0; i < mc->n; i++)
			if (mc->f[i].kind == 1)
				one_frame(tr, mc->lt, mc->f[i].ts_ns, mc->blob + mc->f[i].off,
				    mc->f[i].len, &c);
		clock_best(&best, clock_since(t0));
		sess_free(tr);
		n = c.gtpc;
	}
	for (int r = 0; r < rounds; r++) {
		struct clock2 t0 = clock_now();
		for (size_t i = 0; i < mc->n; i++) {
			struct gtpc_msg m[GTPC_MAX_PIGGY];
			struct pkt_info pi;
			size_t k;

			if (mc->f[i].kind != 1 ||
			    pkt_decode(mc->lt, mc->blob + mc->f[i].off, mc->f[i].len, &pi) != PKT_OK ||
			    gtpc_parse(pi.payload.p, pi.payload.len, m, &k) != GTP_OK)
				continue;
			for (size_t j = 0; j < k; j++)
				if (gtpc_decode(&m[j], &info) == GTP_OK)
					sink += info.n_ies;
		}
		clock_best(&bestd, clock_since(t0));
	}
	if (sink == 42)
		fputc(' ', stderr);
	*nmsg = n;
	*ns_track = n ? best.cpu * 1e9 / (double)n : 0;
	*ns_decode = n ? bestd.cpu * 1e9 / (double)n : 0;
}

static uint64_t
gpdu_pass(struct sess_tracker *tr, const struct mem_capture *mc, const size_t *idx, size_t n)
{
	uint64_t hits = 0;

	for (size_t i = 0; i < n; i++) {
		const struct frame *fr = &mc->f[idx[i]];
		struct pkt_info pi;
		struct gtpu_hdr u;
		struct sess_up_hit hit;
		size_t trl;

		if (pkt_decode(mc->lt, mc->blob + fr->off, fr->len, &pi) != PKT_OK ||
		    gtpu_parse(pi.payload.p, pi.payload.len, &u, &trl) != GTP_OK ||
		    u.type != GTPU_GPDU)
			continue;
		hits += (uint64_t)sess_up_lookup(tr, pi.ipver, pi.dst, u.teid,
		    (uint32_t)(fr->ts_ns / 1000000000ULL), &hit);
	}
	return hits;
}

/* GTP-U: the signalling is replayed into one tracker, then G-PDUs are timed (see the top). */
static void
gtpu_costs(const struct mem_capture *mc, uint32_t max_sessions, double *cold_ns,
    uint64_t *ncold, double *warm_ns, uint64_t *nwarm)
{
	struct sess_tracker *tr = tracker(max_sessions);
	size_t *idx = malloc((mc->n + 1) * sizeof(*idx)), n = 0, nw = 0;
	struct counts c;
	struct clock2 best = {1e30, 1e30}, t0;
	uint64_t sink = 0;

	if (idx == NULL) {
		fprintf(stderr, "bench_gtp: out of memory\n");
		exit(1);
	}
	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < mc->n; i++) {
		if (mc->f[i].kind == 2)
			idx[n++] = i;
		else
			one_frame(tr, mc->lt, mc->f[i].ts_ns, mc->blob + mc->f[i].off, mc->f[i].len,
			    &c);
	}
	for (int pass = 0; pass < COLD_PASSES; pass++) {
		t0 = clock_now();
		sink += gpdu_pass(tr, mc, idx, n);
		clock_best(&best, clock_since(t0));
	}
	*ncold = n;
	*cold_ns = n ? best.cpu * 1e9 / (double)n : 0;
	sess_free(tr);
	/* Warm: a fresh tracker fed the capture in order until WARM_PKTS G-PDUs have hit a
	 * tracked bearer (later signalling could delete those bearers), then those, over and
	 * over. */
	tr = tracker(max_sessions);
	for (size_t i = 0; i < mc->n && nw < WARM_PKTS; i++) {
		if (mc->f[i].kind != 2)
			one_frame(tr, mc->lt, mc->f[i].ts_ns, mc->blob + mc->f[i].off, mc->f[i].len,
			    &c);
		else if (gpdu_pass(tr, mc, &i, 1) == 1)
			idx[nw++] = i;
	}
	best.cpu = best.wall = 1e30;
	for (int r = 0; r < 3; r++) {
		t0 = clock_now();
		for (int pass = 0; pass < WARM_PASSES; pass++)
			sink += gpdu_pass(tr, mc, idx, nw);
		clock_best(&best, clock_since(t0));
	}
	*nwarm = nw;
	*warm_ns = nw ? best.cpu * 1e9 / ((double)nw * WARM_PASSES) : 0;
	if (sink == 42)
		fputc(' ', stderr);
	free(idx);
	sess_free(tr);
}

static int
usage(void)
{
	fprintf(stderr, "usage: bench_gtp FILE.pcap [--rounds N] [--max-sessions N]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	const char *path = NULL;
	int rounds = 3;
	uint32_t max_sessions = 262144;
	struct clock2 bare = {1e30, 1e30}, full = {1e30, 1e30};
	struct counts cb, cf;
	struct sess_mem mem;
	struct sess_stats st;
	struct mem_capture mc;
	double c_ns, d_ns, cold, warm;
	uint64_t nmsg, ncold, nwarm;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = (int)strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--max-sessions") == 0 && i + 1 < argc)
			max_sessions = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (path == NULL && argv[i][0] != '-')
			path = argv[i];
		else
			return usage();
	}
	if (path == NULL || rounds < 1 || max_sessions == 0)
		return usage();
	for (int r = 0; r < rounds; r++) {
		clock_best(&bare, bare_loop(path, &cb));
		clock_best(&full, full_loop(path, max_sessions, &cf, &mem, &st));
	}
	load(path, &mc);
	gtpc_costs(&mc, max_sessions, rounds, &c_ns, &d_ns, &nmsg);
	gtpu_costs(&mc, max_sessions, &cold, &ncold, &warm, &nwarm);

	printf("file            %s\n", path);
	printf("frames          %llu (GTPv2-C %llu, G-PDU %llu, matched %llu, other %llu)\n",
	    (unsigned long long)cf.frames, (unsigned long long)cf.gtpc,
	    (unsigned long long)cf.gpdu, (unsigned long long)cf.matched,
	    (unsigned long long)cf.other);
	printf("bare libpcap    %.3f s cpu  %.0f packets/s   (wall %.3f s)\n", bare.cpu,
	    (double)cb.frames / bare.cpu, bare.wall);
	printf("decode+track    %.3f s cpu  %.0f packets/s   (wall %.3f s)\n", full.cpu,
	    (double)cf.frames / full.cpu, full.wall);
	printf("ratio           %.3f cpu, %.3f wall (decode+track packets/s / bare, best of %d)\n",
	    bare.cpu / full.cpu, bare.wall / full.wall, rounds);
	printf("gtpv2-c         %.0f ns/message tracked, of which decoding %.0f (%llu frames)\n",
	    c_ns, d_ns, (unsigned long long)nmsg);
	printf("gtp-u cold      %.1f ns/packet (%llu G-PDUs in capture order, best of %d)\n", cold,
	    (unsigned long long)ncold, COLD_PASSES);
	if (nwarm > 0)
		printf("gtp-u warm      %.1f ns/packet (%llu G-PDUs x %d)\n", warm,
		    (unsigned long long)nwarm, WARM_PASSES);
	printf("sessions        %u at end, %llu created, %llu overflow\n", st.sessions,
	    (unsigned long long)st.sessions_created, (unsigned long long)st.overflow_sessions);
	printf("sizes           session %zu, pdn %zu, bearer %zu, pending %zu, index slot %zu "
	    "octets\n", mem.session_size, mem.pdn_size, mem.bearer_size, mem.pend_size,
	    mem.slot_size);
	printf("reserved        %zu octets for %u sessions = %zu per session at caps "
	    "(index tables %zu, committed at start)\n", mem.reserved, max_sessions,
	    mem.reserved / max_sessions, mem.tables);
	free(mc.f);
	free(mc.blob);
	return 0;
}
