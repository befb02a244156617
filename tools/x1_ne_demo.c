/*
 * x1_ne_demo: a stand-alone X1 network element (the library's POI or MDF profile) for tests and
 * demonstrations before the real POI/MDF exist.  It serves /X1/NE over mutual TLS, keeps its
 * tasks and destinations in SQLite, and prints one JSON object per line on stdout:
 *   {"event":"loaded",...}, one "task_loaded"/"destination_loaded" per stored object,
 *   {"event":"listening","port":N}, then one line per committed change
 *   ("task_activated", ..., "destination_removed") and {"event":"stats",...} on SIGUSR1 and
 *   at exit (SIGTERM/SIGINT).
 * Target values are printed only with --show-targets (tests); otherwise only their types.
 *
 * usage: x1_ne_demo --profile poi|mdf --cert F --key F --ca F --db F --ne-id ID
 *                   --admf-id ID [--admf-id ID]... [--listen ADDR] [--port N] [--show-targets]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ev.h"
#include "common/log.h"
#include "common/uuid.h"
#include "x1/x1.h"
#include "x1/x1_ne.h"
#include "x1/x1_server.h"
#include "x1/x1_store.h"

#define MAX_ADMF 16

static volatile sig_atomic_t got_stop, got_stats;
static int show_targets;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_stats = 1;
	else
		got_stop = 1;
}

/* JSON string with the escapes RFC 8259 requires. */
static void
jstr(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void
juuid(const uint8_t u[16])
{
	char s[UUID_STRLEN + 1];
	uuid_format(u, s);
	jstr(s);
}

static void
jdids(const uint8_t (*d)[16], size_t n)
{
	putchar('[');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			putchar(',');
		juuid(d[i]);
	}
	putchar(']');
}

static void
jtask(const struct x1_task *t)
{
	printf("{\"xid\":");
	juuid(t->xid);
	printf(",\"delivery\":\"%s\",\"targets\":[", x1_delivery_name(t->delivery));
	for (size_t i = 0; i < t->ntargets; i++) {
		printf("%s{\"type\":\"%s\"", i > 0 ? "," : "", x1_target_name(t->targets[i].type));
		if (show_targets) {
			printf(",\"value\":");
			jstr(t->targets[i].value);
		}
		putchar('}');
	}
	printf("],\"dids\":");
	jdids(t->dids, t->ndids);
	printf(",\"mediation\":[");
	for (size_t i = 0; i < t->nmed; i++) {
		printf("%s{\"liid\":", i > 0 ? "," : "");
		jstr(t->med[i].liid);
		printf(",\"delivery\":\"%s\",\"dids\":", x1_hi_delivery_name(t->med[i].delivery));
		jdids(t->med[i].dids, t->med[i].ndids);
		putchar('}');
	}
	printf("]}");
}

static void
jdest(const struct x1_dest *d)
{
	char addr[40];
	x1_addr_format(d->family, d->addr, addr);
	printf("{\"did\":");
	juuid(d->did);
	printf(",\"delivery\":\"%s\",\"address\":\"%s\",\"port\":%u,\"proto\":\"%s\"",
	       x1_delivery_name(d->delivery), addr, d->port, d->proto == X1_PORT_TCP ? "tcp" : "udp");
	if (d->has_name) {
		printf(",\"name\":");
		jstr(d->name);
	}
	putchar('}');
}

static void
on_change(void *arg, const struct x1_event *ev)
{
	printf("{\"event\":\"%s\",\"admf\":", x1_event_name(ev->type));
	jstr(ev->hdr->admf_id);
	printf(",\"transaction\":");
	juuid(ev->hdr->transaction_id);
	if (ev->task != NULL) {
		printf(",\"task\":");
		jtask(ev->task);
	}
	if (ev->dest != NULL) {
		printf(",\"destination\":");
		jdest(ev->dest);
	}
	if (ev->type == X1_EV_ALL_TASKS_DEACTIVATED)
		printf(",\"count\":%zu", ev->count);
	printf("}\n");
}

static int
print_loaded_task(void *arg, const struct x1_task *t, const struct x1_store_meta *m)
{
	printf("{\"event\":\"task_loaded\",\"task\":");
	jtask(t);
	printf("}\n");
	return 0;
}

static int
print_loaded_dest(void *arg, const struct x1_dest *d, const struct x1_store_meta *m)
{
	printf("{\"event\":\"destination_loaded\",\"destination\":");
	jdest(d);
	printf("}\n");
	return 0;
}

static void
print_stats(const struct x1_server *srv, const struct x1_ne *ne)
{
	const struct x1_server_stats *h = x1_server_stats(srv);
	const struct x1_ne_stats *s = x1_ne_stats(ne);

	printf("{\"event\":\"stats\",\"http\":{\"requests\":%llu,\"answered\":%llu,"
	       "\"mhd_errors\":%llu",
	       (unsigned long long)h->requests, (unsigned long long)h->answered,
	       (unsigned long long)h->mhd_errors);
	for (int i = 0; i < X1_HTTP_COUNT; i++)
		printf(",\"%s\":%llu", x1_http_refusal_str((enum x1_http_refusal)i),
		       (unsigned long long)h->refused[i]);
	printf("},\"x1\":{\"documents\":%llu,\"top_level\":%llu,\"keepalives\":%llu,"
	       "\"failed\":%llu,\"document_errors\":{",
	       (unsigned long long)s->documents, (unsigned long long)s->top_level,
	       (unsigned long long)s->keepalives, (unsigned long long)s->failed);
	const char *sep = "";
	for (int i = 1; i < X1_P_COUNT; i++) {
		if (s->doc_err[i] == 0)
			continue;
		printf("%s\"%s\":%llu", sep, x1_perr_str((enum x1_perr)i),
		       (unsigned long long)s->doc_err[i]);
		sep = ",";
	}
	printf("},\"message_errors\":{");
	sep = "";
	for (int i = 1; i < X1_P_COUNT; i++) {
		if (s->msg_err[i] == 0)
			continue;
		printf("%s\"%s\":%llu", sep, x1_perr_str((enum x1_perr)i),
		       (unsigned long long)s->msg_err[i]);
		sep = ",";
	}
	printf("},\"error_codes\":{");
	sep = "";
	for (int i = 0; i < X1_NE_MAX_CODES && s->codes[i].code != 0; i++) {
		printf("%s\"%d\":%llu", sep, s->codes[i].code, (unsigned long long)s->codes[i].n);
		sep = ",";
	}
	printf("},\"ok\":{");
	sep = "";
	for (int i = 1; i < X1_MSG_COUNT; i++) {
		if (s->msg_ok[i] == 0)
			continue;
		printf("%s\"%s\":%llu", sep, x1_msg_name((enum x1_msg_type)i),
		       (unsigned long long)s->msg_ok[i]);
		sep = ",";
	}
	printf("}}}\n");
}

struct loop_ctx {
	struct x1_server *srv;
	struct x1_ne *ne;
};

static void
before_wait(struct ev_loop *loop, void *arg)
{
	struct loop_ctx *c = arg;
	if (got_stats) {
		got_stats = 0;
		print_stats(c->srv, c->ne);
	}
	if (got_stop)
		ev_stop(loop);
}

static void
usage(void)
{
	fprintf(stderr, "usage: x1_ne_demo --profile poi|mdf --cert F --key F --ca F --db F "
			"--ne-id ID --admf-id ID [--admf-id ID]...\n"
			"                  [--listen ADDR] [--port N] [--show-targets]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct x1_server_config scfg;
	struct x1_ne_config ncfg;
	const char *admf[MAX_ADMF];
	const char *db = NULL, *profile = NULL;
	size_t nadmf = 0;

	memset(&scfg, 0, sizeof(scfg));
	memset(&ncfg, 0, sizeof(ncfg));
	log_init("x1_ne_demo", 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--show-targets") == 0) {
			show_targets = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (strcmp(a, "--profile") == 0)
			profile = v;
		else if (strcmp(a, "--cert") == 0)
			scfg.cert_file = v;
		else if (strcmp(a, "--key") == 0)
			scfg.key_file = v;
		else if (strcmp(a, "--ca") == 0)
			scfg.ca_file = v;
		else if (strcmp(a, "--db") == 0)
			db = v;
		else if (strcmp(a, "--ne-id") == 0)
			ncfg.ne_id = v;
		else if (strcmp(a, "--admf-id") == 0 && nadmf < MAX_ADMF)
			admf[nadmf++] = v;
		else if (strcmp(a, "--listen") == 0)
			scfg.listen_addr = v;
		else if (strcmp(a, "--port") == 0) {
			char *end;
			errno = 0;
			unsigned long p = strtoul(v, &end, 10);
			if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || p > 65535)
				usage();
			scfg.port = (uint16_t)p;
		} else
			usage();
	}
	if (profile == NULL || db == NULL || (ncfg.profile = x1_profile_lookup(profile)) == NULL)
		usage();
	ncfg.admf_ids = admf;
	ncfg.nadmf = nadmf;
	ncfg.hooks.changed = on_change;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	struct x1_store *store;
	enum x1_store_err se = x1_store_open(db, &store);
	if (se != X1S_OK)
		fatalx("store %s: %s", db, x1_store_strerror(se));
	size_t ntasks = 0, ndests = 0;
	if (x1_store_task_count(store, &ntasks) != X1S_OK ||
	    x1_store_dest_count(store, &ndests) != X1S_OK)
		fatalx("store: %s", x1_store_errmsg(store));
	printf("{\"event\":\"loaded\",\"tasks\":%zu,\"destinations\":%zu}\n", ntasks, ndests);
	if ((se = x1_store_dest_foreach(store, print_loaded_dest, NULL)) != X1S_OK ||
	    (se = x1_store_task_foreach(store, print_loaded_task, NULL)) != X1S_OK)
		fatalx("store: %s", x1_store_strerror(se));

	const char *err;
	struct x1_ne *ne = x1_ne_new(store, &ncfg, &err);
	if (ne == NULL)
		fatalx("%s", err);
	struct ev_loop *loop = ev_new();
	if (loop == NULL)
		fatalx("out of memory");
	enum x1_server_err xe;
	struct x1_server *srv = x1_server_new(loop, ne, &scfg, &xe);
	if (srv == NULL)
		fatalx("x1 server: %s", x1_server_strerror(xe));
	printf("{\"event\":\"listening\",\"port\":%u}\n", x1_server_port(srv));
	log_info("%s NE %s listening on port %u", profile, ncfg.ne_id, x1_server_port(srv));

	struct loop_ctx ctx = {srv, ne};
	ev_set_before_wait(loop, before_wait, &ctx);
	ev_set_max_wait(loop, 200);
	if (ev_run(loop) != 0)
		log_warn("event loop");
	print_stats(srv, ne);
	x1_server_free(srv);
	ev_free(loop);
	x1_ne_free(ne);
	x1_store_close(store);
	return 0;
}
