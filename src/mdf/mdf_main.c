/*
 * `overt mdf`: the mediation and delivery function.  Set-up order, for least privilege: read
 * the configuration and the TLS keys as root; open the X1 store, the state database and every
 * destination's spool with the effective identity of `user` (so that every file and directory
 * the MDF will write later belongs to it); bind X1 and the X2/X3 listener as root again (ports
 * below 1024); then drop to `user` for good before the first byte from a POI or an ADMF is
 * parsed.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmds.h"
#include "common/ev.h"
#include "common/log.h"
#include "mdf/mdf_config.h"
#include "mdf/mdf_core.h"
#include "mdf/mdf_state.h"
#include "tls/tls.h"
#include "x1/x1_ne.h"
#include "x1/x1_server.h"
#include "x1/x1_store.h"
#include "x2x3/x2x3_receiver.h"

static volatile sig_atomic_t sig_stop;

static void
on_signal(int sig)
{
	sig_stop = 1;
}

struct mdf_run {
	struct mdf_config cfg;
	struct ev_loop *loop;
	struct mdf_core *core;
	const char *status_file;
	uint64_t next_status;
};

static void
log_info_cb(void *arg, const char *msg)
{
	log_info("%s", msg);
}

static void
log_alarm_cb(void *arg, const char *msg)
{
	log_warnx("%s", msg);
}

/* Writes the status JSON atomically (temp file + rename), for operators and tests. */
static void
write_status(struct mdf_run *r)
{
	char tmp[MDF_PATH_MAX + 8];
	FILE *f;

	if (r->status_file == NULL)
		return;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", r->status_file) >= (int)sizeof(tmp))
		return;
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	mdf_core_status_json(r->core, f);
	if (fclose(f) == 0)
		(void)rename(tmp, r->status_file);
}

static void
before_wait(struct ev_loop *loop, void *arg)
{
	struct mdf_run *r = arg;

	/* Everything received in this iteration goes to the spools now: one append per
	 * stream, however many PDUs arrived. */
	mdf_core_commit(r->core);
	if (r->status_file != NULL && ev_now_ms() >= r->next_status) {
		r->next_status = ev_now_ms() + 1000;
		write_status(r);
	}
	if (sig_stop)
		ev_stop(loop);
}

/* Looks the unprivileged user up.  0 (with *pw NULL when no switch is needed), or -1. */
static int
find_user(const char *user, struct passwd **pw, char *err, size_t errlen)
{
	*pw = NULL;
	if (geteuid() != 0 && user == NULL)
		return 0;
	if (user == NULL) {
		snprintf(err, errlen, "running as root: set `user` to an unprivileged user");
		return -1;
	}
	if ((*pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "unknown user '%s'", user);
		return -1;
	}
	if ((*pw)->pw_uid == 0) {
		snprintf(err, errlen, "user '%s' is root", user);
		return -1;
	}
	if (geteuid() != 0 && geteuid() != (*pw)->pw_uid) {
		snprintf(err, errlen, "not root: cannot switch to '%s'", user);
		return -1;
	}
	return 0;
}

/* Root only: act as pw (files created now belong to it) or as root again. */
static int
become(const struct passwd *pw, int as_user)
{
	if (pw == NULL || getuid() != 0)
		return 0;
	if (as_user)
		return setegid(pw->pw_gid) == 0 && seteuid(pw->pw_uid) == 0 ? 0 : -1;
	return seteuid(0) == 0 && setegid(0) == 0 ? 0 : -1;
}

static int
drop_privileges(const struct passwd *pw, char *err, size_t errlen)
{
	if (pw == NULL)
		return 0;
	if (getuid() == 0) {
		if (setgroups(1, &pw->pw_gid) < 0 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
			snprintf(err, errlen, "dropping to '%s': %s", pw->pw_name, strerror(errno));
			return -1;
		}
		/* Prove it: regaining root must now fail. */
		if (setuid(0) == 0 || seteuid(0) == 0) {
			snprintf(err, errlen, "privileges could be regained after the drop");
			return -1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: overt mdf --config FILE [--ready-file FILE] [--status-file FILE]\n"
	    "                 [--tap-dir DIR] [-n] [-v]\n"
	    "  --config FILE       configuration (see overt-mdf(8))\n"
	    "  --ready-file FILE   write \"x1=PORT\" and \"x2x3=PORT\" there once listening\n"
	    "  --status-file FILE  rewrite a JSON line of counters there every second\n"
	    "  --tap-dir DIR       test mode: also write every PS-PDU sent to DIR/<stream>.ber\n"
	    "  -n                  check the configuration and exit\n"
	    "  -v                  verbose\n");
}

int
cmd_mdf(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"ready-file", required_argument, NULL, 'R'},
		{"status-file", required_argument, NULL, 'S'},
		{"tap-dir", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL, *ready = NULL, *tap = NULL;
	int check = 0, verbose = 0, ch, rc = 1;
	char err[512], path[MDF_PATH_MAX + 32];
	struct mdf_run r;
	struct tls_ctx *x2x3_tls = NULL, *hi_tls = NULL;
	struct x1_store *store = NULL;
	struct mdf_state *state = NULL;
	struct x1_ne *ne = NULL;
	struct x1_server *xs = NULL;
	struct x2x3_receiver *rx = NULL;
	struct passwd *pw = NULL;
	enum tls_err te;

	memset(&r, 0, sizeof(r));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:nvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'R': ready = optarg; break;
		case 'S': r.status_file = optarg; break;
		case 'T': tap = optarg; break;
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
	log_init("mdf", verbose);
	if (mdf_config_load(config, &r.cfg, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return 1;
	}
	if (check) {
		printf("configuration OK\n");
		return 0;
	}
	if (tap != NULL) {
		r.cfg.tap_dir = tap;
		log_warnx("TEST MODE: every PS-PDU sent is also written under %s (intercepted "
		    "content on disk)", tap);
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (find_user(r.cfg.user[0] ? r.cfg.user : NULL, &pw, err, sizeof(err)) < 0) {
		log_warnx("privileges: %s", err);
		return 1;
	}

	/* 1. Keys (held by OpenSSL in memory after this). */
	if (!r.cfg.x2x3_plaintext) {
		struct tls_config tc = {r.cfg.x2x3_ca, r.cfg.x2x3_cert, r.cfg.x2x3_key};
		if ((x2x3_tls = tls_ctx_new(TLS_SERVER, &tc, &te)) == NULL) {
			log_warnx("x2x3 TLS: %s", tls_strerror(te));
			goto out;
		}
	}
	struct tls_config hc = {r.cfg.hi_ca, r.cfg.hi_cert, r.cfg.hi_key};
	if ((hi_tls = tls_ctx_new(TLS_CLIENT, &hc, &te)) == NULL) {
		log_warnx("hi TLS: %s", tls_strerror(te));
		goto out;
	}

	/* 2. State: X1 store, state database (its key), spools, created as `user`. */
	if (become(pw, 1) != 0) {
		log_warn("acting as %s", pw->pw_name);
		goto out;
	}
	if (mkdir(r.cfg.state_dir, 0700) != 0 && errno != EEXIST) {
		log_warn("state_dir %s", r.cfg.state_dir);
		goto out;
	}
	enum x1_store_err se = x1_store_open(r.cfg.x1_db, &store);
	if (se != X1S_OK) {
		log_warnx("x1.db %s: %s", r.cfg.x1_db, x1_store_strerror(se));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/mdf-state.db", r.cfg.state_dir);
	enum mdf_state_err ste = mdf_state_open(path, &state);
	if (ste != MDF_ST_OK) {
		log_warnx("state database %s: %s", path, mdf_state_strerror(ste));
		goto out;
	}
	if ((r.loop = ev_new()) == NULL) {
		log_warnx("out of memory");
		goto out;
	}
	struct mdf_core_log lg = {log_info_cb, log_alarm_cb, NULL};
	r.core = mdf_core_new(&r.cfg, r.loop, hi_tls, store, state, &lg, err, sizeof(err));
	if (r.core == NULL) {
		log_warnx("%s", err);
		goto out;
	}

	/* 3. X1 endpoint and X2/X3 listener, as root again (ports below 1024). */
	if (become(pw, 0) != 0) {
		log_warn("back to root");
		goto out;
	}
	const char *admf[MDF_MAX_ADMF];
	for (size_t i = 0; i < r.cfg.nadmf; i++)
		admf[i] = r.cfg.admf_ids[i];
	struct x1_ne_config nc = {r.cfg.ne_id, admf, r.cfg.nadmf, &x1_profile_mdf, {0}};
	mdf_core_x1_hooks(r.core, &nc.hooks);
	const char *nerr = NULL;
	if ((ne = x1_ne_new(store, &nc, &nerr)) == NULL) {
		log_warnx("x1: %s", nerr ? nerr : "out of memory");
		goto out;
	}
	struct x1_server_config xc = {r.cfg.x1_host, r.cfg.x1_port, r.cfg.x1_cert, r.cfg.x1_key,
	    r.cfg.x1_ca, 0, 0};
	enum x1_server_err xe;
	if ((xs = x1_server_new(r.loop, ne, &xc, &xe)) == NULL) {
		log_warnx("x1 listen %s:%u: %s", r.cfg.x1_host, r.cfg.x1_port,
		    x1_server_strerror(xe));
		goto out;
	}
	struct x2x3_receiver_config rc2;
	enum x2x3_err x2e;
	memset(&rc2, 0, sizeof(rc2));
	rc2.bind_addr = r.cfg.x2x3_host;
	rc2.port = r.cfg.x2x3_port;
	rc2.insecure_plaintext = r.cfg.x2x3_plaintext;
	rc2.tls = x2x3_tls;
	rc2.max_pdu = r.cfg.max_pdu;
	rc2.max_conns = r.cfg.max_conns;
	rc2.idle_timeout_ms = r.cfg.idle_timeout_s * 1000;
	rc2.defer_acks = 1;	/* a keepalive is acked once what came before is durable */
	rc2.on_pdu = mdf_core_on_pdu;
	rc2.on_conn = mdf_core_on_conn;
	rc2.accept_peer = mdf_core_accept_peer;
	rc2.arg = r.core;
	if ((rx = x2x3_receiver_new(r.loop, &rc2, &x2e)) == NULL) {
		log_warnx("x2x3 listen %s:%u: %s%s%s", r.cfg.x2x3_host, r.cfg.x2x3_port,
		    x2x3_strerror(x2e), x2e == X2X3_E_SOCKET ? ": " : "",
		    x2e == X2X3_E_SOCKET ? strerror(errno) : "");
		goto out;
	}
	mdf_core_set_receiver(r.core, rx);
	if (ready != NULL) {
		FILE *f = fopen(ready, "w");
		if (f == NULL || fprintf(f, "x1=%u\nx2x3=%u\n", x1_server_port(xs),
		    x2x3_receiver_port(rx)) < 0 || fclose(f) != 0)
			log_warn("ready file %s", ready);
	}

	/* 4. No more privileges from here on. */
	if (drop_privileges(pw, err, sizeof(err)) < 0) {
		log_warnx("privileges: %s", err);
		goto out;
	}
	log_info("X1 on %s:%u, X2/X3 on %s:%u (%s), %zu task(s), %zu stream(s)",
	    r.cfg.x1_host, x1_server_port(xs), r.cfg.x2x3_host, x2x3_receiver_port(rx),
	    r.cfg.x2x3_plaintext ? "PLAINTEXT" : "mutual TLS", mdf_core_ntasks(r.core),
	    mdf_core_nstreams(r.core));
	if (r.cfg.x2x3_plaintext)
		log_warnx("X2/X3 ingest is plaintext (x2x3.insecure_plaintext): lab use only");
	ev_set_before_wait(r.loop, before_wait, &r);
	ev_set_max_wait(r.loop, 1000);
	if (ev_run(r.loop) < 0)
		log_warn("event loop");
	else
		rc = 0;
	log_info("stopping: spooling, flushing and checkpointing");
	mdf_core_commit(r.core);
	if (mdf_core_sync(r.core) != 0)
		rc = 1;
	write_status(&r);
	mdf_core_summary(r.core, stdout);
	fflush(stdout);
out:
	x2x3_receiver_free(rx);
	x1_server_free(xs);
	x1_ne_free(ne);
	mdf_core_free(r.core);
	ev_free(r.loop);
	mdf_state_close(state);
	x1_store_close(store);
	tls_ctx_free(hi_tls);
	tls_ctx_free(x2x3_tls);
	return rc;
}
