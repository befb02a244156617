/*
 * `overt poi`: the EPC interception point.  Set-up order matters for least privilege: read the
 * config, open the capture, load TLS keys, open the task store and bind X1 while still root,
 * then drop to capture.user before the first hostile packet is parsed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmds.h"
#include "common/ev.h"
#include "common/log.h"
#include "poi/poi_capture.h"
#include "poi/poi_config.h"
#include "poi/poi_core.h"
#include "tls/tls.h"
#include "x1/x1_ne.h"
#include "x1/x1_server.h"
#include "x1/x1_store.h"

#define POI_BATCH 4096		/* frames per loop iteration when reading a file */

static volatile sig_atomic_t sig_stop, sig_start;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		sig_start = 1;
	else
		sig_stop = 1;
}

struct poi_run {
	struct poi_config cfg;
	struct poi_capture cap;
	struct poi_core *core;
	struct ev_loop *loop;
	int file;		/* reading a capture file */
	int hold;		/* wait for SIGUSR1 before reading */
	int eof;
	int tty;
	uint64_t last_ts_ns;	/* capture clock */
	uint64_t drain_deadline;
	unsigned drain_s;
	int rc;
};

static void
on_frame(void *arg, const struct pcap_pkthdr *h, const uint8_t *data)
{
	struct poi_run *r = arg;
	poi_core_frame(r->core, r->cap.linktype, h, data);
	r->last_ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
}

static void
progress(struct poi_run *r, int final)
{
	const struct poi_stats *s = poi_core_stats(r->core);
	const struct sess_stats *ss = poi_core_sess_stats(r->core);
	if (!r->tty)
		return;
	fprintf(stderr, "\rframes %" PRIu64 "  reassembled %" PRIu64 "  subscribers %u  target"
	    " sessions %" PRIu64 "  X2 %" PRIu64 "  X3 %" PRIu64 "  queued %" PRIu64 "   %s",
	    s->frames, s->frag.n[PKT_FRAG_COMPLETE], ss->sessions, s->target_sessions,
	    s->x2_events, s->x3_packets, poi_core_queued(r->core), final ? "\n" : "");
}

static void
on_tick(struct ev_loop *loop, void *arg)
{
	struct poi_run *r = arg;
	uint64_t now = r->last_ts_ns;
	if (!r->file) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	}
	if (now != 0)
		poi_core_tick(r->core, now);
	progress(r, 0);
	ev_timer_add(loop, 1000, on_tick, r);
}

static void
on_capture_fd(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct poi_run *r = arg;
	char err[PCAP_ERRBUF_SIZE + 64];
	if (poi_capture_dispatch(&r->cap, 1024, on_frame, r, err, sizeof(err)) < 0) {
		log_warnx("capture: %s", err);
		r->rc = 1;
		ev_stop(loop);
	}
}

static void
before_wait(struct ev_loop *loop, void *arg)
{
	struct poi_run *r = arg;
	char err[PCAP_ERRBUF_SIZE + 64];

	if (sig_stop && !r->file && !r->eof) {
		/* Graceful stop of a live capture: what the kernel already captured is processed
		 * and delivered before exiting, like the end of a file. */
		int n, rounds = 0;
		while ((n = poi_capture_dispatch(&r->cap, POI_BATCH, on_frame, r, err,
		    sizeof(err))) > 0 && ++rounds < 4096)
			;
		ev_fd_del(loop, r->cap.fd);
		r->eof = 1;
		r->drain_deadline = ev_now_ms() + (uint64_t)r->drain_s * 1000;
		ev_set_max_wait(loop, 20);
		sig_stop = 0;
	}
	if (sig_stop) {
		ev_stop(loop);
		return;
	}
	if (!r->file && !r->eof)
		return;
	if (r->file && r->hold && !sig_start)
		return;
	if (!r->eof) {
		ev_set_max_wait(loop, 0);
		int n = poi_capture_dispatch(&r->cap, POI_BATCH, on_frame, r, err, sizeof(err));
		if (n == -1) {
			log_warnx("capture: %s", err);
			r->rc = 1;
			ev_stop(loop);
			return;
		}
		if (n == -2) {
			/* End of file: flush every queue, then stop. */
			r->eof = 1;
			r->drain_deadline = ev_now_ms() + (uint64_t)r->drain_s * 1000;
			ev_set_max_wait(loop, 20);
			if (r->last_ts_ns)
				poi_core_tick(r->core, r->last_ts_ns);
		}
		return;
	}
	if (poi_core_queued(r->core) == 0) {
		ev_stop(loop);
	} else if (ev_now_ms() >= r->drain_deadline) {
		log_warnx("%" PRIu64 " PDUs still queued after %u s: destinations unreachable",
		    poi_core_queued(r->core), r->drain_s);
		r->rc = 3;
		ev_stop(loop);
	}
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: overt poi --config FILE [--pcap FILE [--hold] [--drain-timeout S]]\n"
	    "                 [--ready-file FILE] [-n] [-v]\n"
	    "  --config FILE       configuration (see overt-poi(8))\n"
	    "  --pcap FILE         read a pcap/pcapng file instead of capture.interface\n"
	    "  --hold              serve X1 but start reading the file only on SIGUSR1\n"
	    "  --drain-timeout S   after the file, wait at most S s for delivery (30)\n"
	    "  --ready-file FILE   write the X1 port there once X1 is listening\n"
	    "  -n                  check the configuration and exit\n"
	    "  -v                  verbose\n");
}

int
cmd_poi(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"pcap", required_argument, NULL, 'r'},
		{"hold", no_argument, NULL, 'H'},
		{"drain-timeout", required_argument, NULL, 'D'},
		{"ready-file", required_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL, *pcapfile = NULL, *ready = NULL;
	int check = 0, verbose = 0, ch;
	char err[512];
	struct poi_run r;

	memset(&r, 0, sizeof(r));
	r.drain_s = 30;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:r:nvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'r': pcapfile = optarg; break;
		case 'H': r.hold = 1; break;
		case 'R': ready = optarg; break;
		case 'D': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v > 86400) {
				usage();
				return 2;
			}
			r.drain_s = (unsigned)v;
			break;
		}
		case 'n': check = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (config == NULL || optind != argc) {
		usage();
		return 2;
	}
	log_init("poi", verbose);
	if (poi_config_load(config, &r.cfg, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return 1;
	}
	if (check) {
		printf("configuration OK\n");
		return 0;
	}
	if (pcapfile == NULL && r.cfg.interface[0] == '\0') {
		log_warnx("nothing to capture: set capture.interface or use --pcap");
		return 1;
	}

	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);

	/* 1. Capture (needs privileges for a live interface). */
	if (pcapfile != NULL) {
		r.file = 1;
		if (poi_capture_open_file(&r.cap, pcapfile, err, sizeof(err)) < 0) {
			log_warnx("%s", err);
			return 1;
		}
	} else if (poi_capture_open_live(&r.cap, r.cfg.interface,
	    r.cfg.filter[0] ? r.cfg.filter : NULL, r.cfg.snaplen, r.cfg.bufsize, err,
	    sizeof(err)) < 0) {
		log_warnx("%s", err);
		return 1;
	}

	/* 2. Keys, task store and X1 socket, still privileged. */
	struct tls_config tc = {r.cfg.tls_ca, r.cfg.tls_cert, r.cfg.tls_key};
	enum tls_err te;
	struct tls_ctx *tls = tls_ctx_new(TLS_CLIENT, &tc, &te);
	if (tls == NULL) {
		log_warnx("x2x3 TLS: %s", tls_strerror(te));
		poi_capture_close(&r.cap);
		return 1;
	}
	struct x1_store *store = NULL;
	enum x1_store_err se = x1_store_open(r.cfg.x1_db, &store);
	if (se != X1S_OK) {
		log_warnx("x1.db %s: %s", r.cfg.x1_db, x1_store_strerror(se));
		tls_ctx_free(tls);
		poi_capture_close(&r.cap);
		return 1;
	}
	r.loop = ev_new();
	r.core = r.loop ? poi_core_new(&r.cfg, r.loop, tls, store, err, sizeof(err)) : NULL;
	if (r.core == NULL) {
		log_warnx("%s", r.loop ? err : "out of memory");
		r.rc = 1;
		goto out;
	}
	const char *admf[POI_MAX_ADMF];
	for (size_t i = 0; i < r.cfg.nadmf; i++)
		admf[i] = r.cfg.admf_ids[i];
	struct x1_ne_config nc = {r.cfg.ne_id, admf, r.cfg.nadmf, &x1_profile_poi, {0}};
	poi_core_x1_hooks(r.core, &nc.hooks);
	const char *nerr = NULL;
	struct x1_ne *ne = x1_ne_new(store, &nc, &nerr);
	if (ne == NULL) {
		log_warnx("x1: %s", nerr ? nerr : "out of memory");
		r.rc = 1;
		goto out;
	}
	struct x1_server_config xc = {r.cfg.x1_host, r.cfg.x1_port, r.cfg.x1_cert, r.cfg.x1_key,
	    r.cfg.x1_ca, 0, 0};
	enum x1_server_err xe;
	struct x1_server *xs = x1_server_new(r.loop, ne, &xc, &xe);
	if (xs == NULL) {
		log_warnx("x1 listen %s:%u: %s", r.cfg.x1_host, r.cfg.x1_port,
		    x1_server_strerror(xe));
		x1_ne_free(ne);
		r.rc = 1;
		goto out;
	}

	/* X1 is listening: tell whoever waits (the ready file is written while we may still
	 * write where the caller can, before the privilege drop). */
	if (ready != NULL) {
		FILE *f = fopen(ready, "w");
		if (f == NULL || fprintf(f, "%u\n", x1_server_port(xs)) < 0 || fclose(f) != 0)
			log_warn("ready file %s", ready);
	}
	/* 3. Drop privileges before the first packet is parsed. */
	if (poi_drop_privileges(r.cfg.user[0] ? r.cfg.user : NULL, err, sizeof(err)) < 0) {
		log_warnx("privileges: %s", err);
		r.rc = 1;
		goto out_x1;
	}

	log_info("X1 listening on %s:%u, %zu task(s) loaded, capturing %s", r.cfg.x1_host,
	    x1_server_port(xs), poi_core_ntasks(r.core), pcapfile ? pcapfile : r.cfg.interface);
	r.tty = isatty(STDERR_FILENO);
	if (r.file)
		ev_set_max_wait(r.loop, r.hold ? 100 : 0);
	else
		ev_fd_set(r.loop, r.cap.fd, EV_READ, on_capture_fd, &r);
	ev_set_before_wait(r.loop, before_wait, &r);
	ev_timer_add(r.loop, 1000, on_tick, &r);
	if (r.hold)
		log_info("holding: send SIGUSR1 to start reading the capture");
	if (ev_run(r.loop) < 0) {
		log_warn("event loop");
		r.rc = 1;
	}
	progress(&r, 1);
	poi_core_summary(r.core, stdout);
	fflush(stdout);
out_x1:
	x1_server_free(xs);
	x1_ne_free(ne);
out:
	poi_core_free(r.core);
	ev_free(r.loop);
	x1_store_close(store);
	tls_ctx_free(tls);
	poi_capture_close(&r.cap);
	return r.rc;
}
