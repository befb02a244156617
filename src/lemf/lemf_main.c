/*
 * `overt lemf`: run the LEMF (HI2/HI3 receiver) from a configuration file, or
 * `overt lemf report` on an output directory: per LIID and CIN the records written, the
 * duplicates dropped and the gaps (exit status 1 if there is any gap, so tests can assert
 * "gap report empty").  Process code: logs, signals, exit statuses (man/overt-lemf.8).
 *
 * Signals: SIGTERM/SIGINT stop gracefully (commit, close; exit 0), SIGUSR1 prints the
 * counters (one JSON line on stdout, also printed at exit).  A store failure (disk full, I/O
 * error) stops the process with status 3 without acknowledging anything uncommitted; the
 * next start recovers (lemf_store.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/ev.h"
#include "common/log.h"
#include "lemf/lemf.h"
#include "lemf/lemf_config.h"
#include "lemf/lemf_rec.h"
#include "lemf/lemf_server.h"
#include "lemf/lemf_store.h"
#include "tls/tls.h"

#define GAPS_SHOWN	1000	/* gap ranges listed per stream; the total is always exact */

static volatile sig_atomic_t sig_stop, sig_dump;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		sig_dump = 1;
	else
		sig_stop = 1;
}

/* ================================================================ counters */

static const char *
ber_name(unsigned e)
{
	static const char *const n[BER_E__COUNT] = {
		"ok", "truncated", "eoc", "tag_form", "tag_too_big", "indefinite",
		"len_reserved", "len_too_long", "too_deep", "too_many", "trailing", "tag",
		"form", "int", "null", "oid", "time", "encode",
	};
	return e < BER_E__COUNT && n[e] != NULL ? n[e] : "other";
}

static void
print_counters(const struct lemf_server *srv, const struct lemf_store *store, int final)
{
	struct lemf_store_stats ss;

	printf("{\"lemf\":\"counters\",\"final\":%s,\"listeners\":[", final ? "true" : "false");
	for (size_t i = 0; srv != NULL && i < lemf_server_nlisteners(srv); i++) {
		const struct lemf_listener_stats *s = lemf_server_stats(srv, i);
		printf("%s{\"name\":\"%s\",\"port\":%u,\"accepted\":%" PRIu64 ",\"refused_limit\":%"
		       PRIu64 ",\"tls_failed\":%" PRIu64 ",\"identity_refused\":%" PRIu64
		       ",\"up\":%" PRIu64 ",\"closed\":%" PRIu64 ",\"cut\":%" PRIu64
		       ",\"dropped_framing\":%" PRIu64 ",\"dropped_limit\":%" PRIu64
		       ",\"dropped_timeout\":%" PRIu64 ",\"dropped_io\":%" PRIu64
		       ",\"dropped_backlog\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"pdus\":{\"iri\":%"
		       PRIu64 ",\"cc\":%" PRIu64 ",\"tri\":%" PRIu64 "},\"stored\":%" PRIu64
		       ",\"duplicates\":%" PRIu64 ",\"unstorable\":%" PRIu64 ",\"keepalives\":%"
		       PRIu64 ",\"responses\":%" PRIu64 ",\"tri_other\":%" PRIu64 ",\"refused\":{",
		       i ? "," : "", lemf_server_name(srv, i), lemf_server_port(srv, i), s->accepted,
		       s->refused_limit, s->tls_failed, s->identity_refused, s->up, s->closed,
		       s->cut, s->dropped_framing, s->dropped_limit, s->dropped_timeout,
		       s->dropped_io, s->dropped_backlog, s->rx.bytes, s->rx.pdus[HI2_KIND_IRI],
		       s->rx.pdus[HI2_KIND_CC], s->rx.pdus[HI2_KIND_TRI], s->pdus_new,
		       s->pdus_dup, s->pdus_refused, s->keepalives, s->responses, s->tri_other);
		for (unsigned e = 1, n = 0; e < HI2_E__COUNT; e++)
			if (e != HI2_E_NEED_MORE && e != HI2_E_ARG && e != HI2_E_SPACE)
				printf("%s\"%s\":%" PRIu64, n++ ? "," : "",
				       lemf_rx_reason((enum hi2_err)e), s->rx.refused[e]);
		printf("},\"ber\":{");
		for (unsigned e = 1, n = 0; e < BER_E__COUNT; e++)
			if (s->rx.ber[e] != 0)
				printf("%s\"%s\":%" PRIu64, n++ ? "," : "", ber_name(e),
				       s->rx.ber[e]);
		printf("}}");
	}
	printf("]");
	if (store != NULL) {
		lemf_store_stats(store, &ss);
		printf(",\"store\":{\"liids\":%" PRIu64 ",\"streams\":%" PRIu64 ",\"ranges\":%"
		       PRIu64 ",\"open_liids\":%" PRIu64 ",\"pdus_new\":%" PRIu64 ",\"pdus_dup\":%"
		       PRIu64 ",\"cc_records\":%" PRIu64 ",\"iri_records\":%" PRIu64
		       ",\"cc_bytes\":%" PRIu64 ",\"cc_no_time\":%" PRIu64 ",\"cc_not_ip\":%" PRIu64
		       ",\"refused_limit\":%" PRIu64 ",\"refused_other\":%" PRIu64 ",\"commits\":%"
		       PRIu64 ",\"rejected_saved\":%" PRIu64 ",\"rejected_dropped\":%" PRIu64
		       ",\"recovered_bytes\":%" PRIu64 ",\"recovered_files\":%" PRIu64
		       ",\"orphans\":%" PRIu64 ",\"rotations\":%" PRIu64
		       ",\"rotations_finished\":%" PRIu64 "}", ss.liids, ss.streams, ss.ranges,
		       ss.open_liids,
		       ss.pdus_new, ss.pdus_dup, ss.cc_records, ss.iri_records, ss.cc_bytes,
		       ss.cc_no_time, ss.cc_not_ip, ss.refused_limit, ss.refused_other, ss.commits,
		       ss.rejected_saved, ss.rejected_dropped, ss.recovered_bytes,
		       ss.recovered_files, ss.orphans, ss.rotations, ss.rotations_finished);
	}
	printf("}\n");
	fflush(stdout);
}

/* ================================================================ run */

struct run {
	struct lemf_server *srv;
	struct lemf_store *store;
	int rc;
};

static void
before_wait(struct ev_loop *loop, void *arg)
{
	struct run *r = arg;

	if (lemf_server_tick(r->srv) != 0) {
		log_warnx("output store failed, stopping without acknowledging anything more: %s",
			  lemf_store_error(r->store));
		r->rc = 3;
		ev_stop(loop);
		return;
	}
	if (sig_dump) {
		sig_dump = 0;
		print_counters(r->srv, r->store, 0);
	}
	if (sig_stop)
		ev_stop(loop);
}

static int
write_ready(const char *path, const struct lemf_server *srv)
{
	char tmp[1024];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	for (size_t i = 0; i < lemf_server_nlisteners(srv); i++)
		fprintf(f, "%s %u\n", lemf_server_name(srv, i), lemf_server_port(srv, i));
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

static void
run_usage(FILE *f)
{
	fprintf(f,
	    "usage: overt lemf --config FILE [--ready-file FILE] [-n] [-v]\n"
	    "       overt lemf report --dir DIR [--verify] [--json]\n"
	    "  --config FILE      configuration (see overt-lemf(8))\n"
	    "  --ready-file FILE  once listening, write \"NAME PORT\" per listener there\n"
	    "  -n                 check the configuration and exit\n"
	    "  -v                 verbose (debug logging)\n"
	    "  report             per LIID, CIN, IRI/CC: PDUs, duplicates, gaps; exit 1 on gaps\n");
}

static int
run_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"ready-file", required_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL, *ready = NULL;
	int check = 0, verbose = 0, ch;
	char err[LEMF_MSG_MAX + 128];
	struct lemf_config cfg;
	struct lemf_store_config scfg;
	struct tls_ctx *tls = NULL;
	struct ev_loop *loop = NULL;
	struct lemf_store_stats ss;
	struct run r;
	enum lemf_err le;

	memset(&r, 0, sizeof(r));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:nvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'R': ready = optarg; break;
		case 'n': check = 1; break;
		case 'v': verbose = 1; break;
		case 'h': run_usage(stdout); return 0;
		default: run_usage(stderr); return 2;
		}
	}
	if (config == NULL || optind != argc) {
		run_usage(stderr);
		return 2;
	}
	log_init("lemf", verbose);
	if (lemf_config_load(config, &cfg, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return 1;
	}
	if (check) {
		printf("configuration OK\n");
		return 0;
	}
	umask(077);	/* intercepted data: nothing we create is readable by others */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);

	if (cfg.insecure_plaintext) {
		log_warnx("insecure_plaintext: no TLS, no peer identity: lab use only");
	} else {
		struct tls_config tc = {cfg.ca, cfg.cert, cfg.key};
		enum tls_err te;
		if ((tls = tls_ctx_new(TLS_SERVER, &tc, &te)) == NULL) {
			log_warnx("TLS: %s", tls_strerror(te));
			return 1;
		}
	}
	memset(&scfg, 0, sizeof(scfg));
	scfg.dir = cfg.dir;
	scfg.fsync = cfg.fsync;
	scfg.max_liids = cfg.max_liids;
	scfg.max_open = cfg.max_open;
	scfg.max_streams = cfg.max_streams;
	scfg.max_ranges = cfg.max_ranges;
	scfg.max_rejected = cfg.max_rejected;
	scfg.rotate_bytes = cfg.rotate_bytes;
	scfg.rotate_secs = cfg.rotate_secs;
	if ((r.store = lemf_store_open(&scfg, &le, err, sizeof(err))) == NULL) {
		log_warnx("output directory: %s: %s", lemf_strerror(le), err);
		tls_ctx_free(tls);
		return 1;
	}
	lemf_store_stats(r.store, &ss);
	log_info("output %s: %" PRIu64 " LIIDs, %" PRIu64 " streams; recovery cut %" PRIu64
		 " uncommitted octets from %" PRIu64 " files", cfg.dir, ss.liids, ss.streams,
		 ss.recovered_bytes, ss.recovered_files);
	if (!cfg.fsync)
		log_warnx("storage.fsync is off: a power loss can lose acknowledged data");
	if ((loop = ev_new()) == NULL ||
	    (r.srv = lemf_server_new(loop, &cfg, tls, r.store, err, sizeof(err))) == NULL) {
		log_warnx("%s", loop ? err : "event loop: out of memory");
		r.rc = 1;
		goto out;
	}
	for (size_t i = 0; i < lemf_server_nlisteners(r.srv); i++)
		log_info("listening: %s on port %u (%s)", lemf_server_name(r.srv, i),
			 lemf_server_port(r.srv, i), cfg.insecure_plaintext ? "plaintext" :
			 "mutual TLS");
	if (ready != NULL && write_ready(ready, r.srv) != 0) {
		log_warn("%s", ready);
		r.rc = 1;
		goto out;
	}
	ev_set_before_wait(loop, before_wait, &r);
	ev_set_max_wait(loop, cfg.commit_ms < 250 ? (int)cfg.commit_ms : 250);
	if (!sig_stop && ev_run(loop) != 0) {
		log_warn("event loop");
		r.rc = 1;
	}
out:
	/* Connections first (their unacknowledged keep-alives are dropped), then the final
	 * commit: everything received is durable before we exit. */
	print_counters(r.srv, r.store, 1);
	lemf_server_free(r.srv);
	if ((le = lemf_store_close(r.store)) != LEMF_OK && r.rc == 0) {
		log_warnx("final commit failed: %s", lemf_strerror(le));
		r.rc = 3;
	}
	ev_free(loop);
	tls_ctx_free(tls);
	log_info("stopped");
	return r.rc;
}

/* ================================================================ report */

struct report {
	int json, verify;
	const char *dir;
	uint64_t liids, streams, pdus, dups, gaps, missing, cc, iri;
	unsigned nstream_in_liid;
	int bad;
	char msg[LEMF_MSG_MAX];
};

static void
print_liid_text(const uint8_t *p, size_t n)
{
	uint8_t buf[HI2_LIID_MAX * 6 + 4];
	struct ovt_builder b;

	bld_init_fixed(&b, buf, sizeof(buf));
	lemf_json_str(&b, p, n);
	fwrite(bld_data(&b), 1, bld_len(&b), stdout);
}

static int
rep_liid(void *arg, const struct lemf_state_liid *l)
{
	struct report *r = arg;

	if (r->json) {
		printf("%s{\"liid\":", r->liids ? "]}," : "");
		print_liid_text(l->liid, l->liid_len);
		printf(",\"dir\":\"%s\",\"cc_records\":%" PRIu64 ",\"iri_records\":%" PRIu64
		       ",\"parts\":%" PRIu32 ",\"cc_size\":%" PRIu64 ",\"iri_size\":%" PRIu64,
		       l->dirname, l->cc_records_total, l->iri_records_total, l->nparts,
		       l->cc_size, l->iri_size);
	} else {
		printf("LIID ");
		print_liid_text(l->liid, l->liid_len);
		printf(" (%s/%s): %" PRIu64 " CC packets, %" PRIu64 " IRI records", r->dir,
		       l->dirname, l->cc_records_total, l->iri_records_total);
		if (l->nparts)
			printf(", in %" PRIu32 " closed parts and the current files", l->nparts);
		printf("\n");
	}
	r->liids++;
	r->cc += l->cc_records_total;
	r->iri += l->iri_records_total;
	r->nstream_in_liid = 0;
	if (r->verify) {
		char m[LEMF_MSG_MAX];
		enum lemf_err e = lemf_state_verify(r->dir, l, m, sizeof(m));
		if (e != LEMF_OK) {
			r->bad = 1;
			fprintf(stderr, "overt lemf report: verify: %s: %s\n", lemf_strerror(e), m);
		}
		if (r->json)
			printf(",\"verified\":%s", e == LEMF_OK ? "true" : "false");
		else
			printf("  files: %s\n", e == LEMF_OK ? "verified" : "NOT consistent");
	}
	if (r->json)
		printf(",\"streams\":[");
	return 0;
}

static int
rep_stream(void *arg, const struct lemf_state_liid *l, const struct lemf_state_stream *st)
{
	struct report *r = arg;
	size_t ngaps = lemf_seq_ngaps(st->seq);
	uint64_t missing = lemf_seq_missing(st->seq);
	const char *kind = st->kind == HI2_KIND_IRI ? "IRI" : st->kind == HI2_KIND_CC ? "CC" :
			   "IRI+CC";	/* numbered together by the sender (lemf_store.h) */
	uint32_t lo, hi;

	r->streams++;
	r->pdus += st->pdus;
	r->dups += st->dups;
	r->gaps += ngaps;
	r->missing += missing;
	if (r->json) {
		printf("%s{\"cin\":", r->nstream_in_liid++ ? "," : "");
		if (st->cin < 0)
			printf("null");
		else
			printf("%" PRId64, st->cin);
		printf(",\"kind\":\"%s\"", kind);
		printf(",\"pdus\":%" PRIu64 ",\"duplicates\":%" PRIu64, st->pdus, st->dups);
		if (st->seq->n > 0)
			printf(",\"first_seq\":%u,\"last_seq\":%u", st->seq->r[0].lo,
			       st->seq->r[st->seq->n - 1].hi);
		printf(",\"missing\":%" PRIu64 ",\"gaps\":[", missing);
		for (size_t i = 0; i < GAPS_SHOWN && lemf_seq_gap(st->seq, i, &lo, &hi); i++)
			printf("%s[%u,%u]", i ? "," : "", lo, hi);
		printf("]%s}", ngaps > GAPS_SHOWN ? ",\"gaps_truncated\":true" : "");
		return 0;
	}
	printf("  CIN ");
	if (st->cin < 0)
		printf("(none)");
	else
		printf("%" PRId64, st->cin);
	printf(" %s: %" PRIu64 " PDUs", kind, st->pdus);
	if (st->seq->n > 0)
		printf(", seq %u..%u", st->seq->r[0].lo, st->seq->r[st->seq->n - 1].hi);
	printf(", %" PRIu64 " duplicates dropped, ", st->dups);
	if (ngaps == 0) {
		printf("no gap\n");
		return 0;
	}
	printf("%zu gaps (%" PRIu64 " missing):", ngaps, missing);
	for (size_t i = 0; i < GAPS_SHOWN && lemf_seq_gap(st->seq, i, &lo, &hi); i++)
		printf(lo == hi ? " %u" : " %u-%u", lo, hi);
	printf("%s\n", ngaps > GAPS_SHOWN ? " ..." : "");
	return 0;
}

static int
report_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"verify", no_argument, NULL, 'V'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const struct lemf_state_ops ops = {rep_liid, rep_stream};
	struct report r;
	enum lemf_err e;
	int ch;

	memset(&r, 0, sizeof(r));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': r.dir = optarg; break;
		case 'V': r.verify = 1; break;
		case 'j': r.json = 1; break;
		case 'h': run_usage(stdout); return 0;
		default: run_usage(stderr); return 2;
		}
	}
	if (r.dir == NULL || optind != argc) {
		run_usage(stderr);
		return 2;
	}
	if (r.json)
		printf("{\"liids\":[");
	e = lemf_state_read(r.dir, &ops, &r, r.msg, sizeof(r.msg));
	if (r.json) {
		printf("%s],\"total\":{\"liids\":%" PRIu64 ",\"streams\":%" PRIu64 ",\"pdus\":%"
		       PRIu64 ",\"duplicates\":%" PRIu64 ",\"gaps\":%" PRIu64 ",\"missing\":%"
		       PRIu64 ",\"cc_records\":%" PRIu64 ",\"iri_records\":%" PRIu64 "}}\n",
		       r.liids ? "]}" : "", r.liids, r.streams, r.pdus, r.dups, r.gaps, r.missing,
		       r.cc, r.iri);
	} else {
		printf("total: %" PRIu64 " LIIDs, %" PRIu64 " streams, %" PRIu64 " PDUs, %" PRIu64
		       " duplicates dropped, %" PRIu64 " gaps (%" PRIu64 " missing)\n", r.liids,
		       r.streams, r.pdus, r.dups, r.gaps, r.missing);
	}
	fflush(stdout);
	if (e != LEMF_OK) {
		fprintf(stderr, "overt lemf report: %s: %s\n", lemf_strerror(e), r.msg);
		return 3;
	}
	if (r.bad)
		return 3;
	return r.gaps > 0 ? 1 : 0;
}

int
lemf_main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "report") == 0)
		return report_main(argc - 1, argv + 1);
	return run_main(argc, argv);
}
