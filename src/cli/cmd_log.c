/*
 * `overt log`: run the transparency log from the command line (man/overt-log.8).
 *
 *   keygen      new log or witness key (file mode 0600), prints the verifier key
 *   vkey        prints the verifier key of a key file
 *   init        creates an empty log directory with a signed checkpoint
 *   append      appends entries given as key=value text, one per argument list or per line of
 *               stdin; prints "ok <index> <line>" once each entry is durable (after the fsync
 *               and the new checkpoint)
 *   checkpoint  prints the published checkpoint
 *   witness     checks a log's new checkpoint against the witness's memory and cosigns it
 *   cosign      publishes witness cosignatures next to (in) the log's checkpoint
 *   warrant-key new per-warrant commitment key (hex, mode 0600)
 *
 * Errors go to stderr through common/log.h; keys and target identities are never printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli/cmds.h"
#include "common/log.h"
#include "tlog/audit.h"
#include "tlog/fetch.h"
#include "tlog/tlog.h"

#define BATCH_DEFAULT 1024
#define LINEBUF	      (TLOG_ENTRY_TEXT_MAX + 2)
#define COSIG_IN_MAX  (64 * 1024)

static void
log_usage(FILE *f)
{
	fprintf(f,
	    "usage: overt log keygen --name NAME --out KEYFILE [--witness]\n"
	    "       overt log vkey --key KEYFILE\n"
	    "       overt log init --dir DIR --key KEYFILE\n"
	    "       overt log append --dir DIR --key KEYFILE [--batch N] (key=value ... | -)\n"
	    "       overt log checkpoint --dir DIR\n"
	    "       overt log witness --state DIR --key WKEYFILE --log-vkey VKEY --log DIR|URL\n"
	    "                         [--out FILE] [--cacert FILE]\n"
	    "       overt log cosign --dir DIR --witness-vkey VKEY ... [--in FILE]\n"
	    "       overt log warrant-key --out FILE\n");
}

/* "--name value" options: returns 1 and the value if argv[*i] is opt. */
static int
opt(int argc, char **argv, int *i, const char *name, const char **out)
{
	if (strcmp(argv[*i], name) != 0)
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "overt log: %s needs a value\n", name);
		exit(2);
	}
	*out = argv[++*i];
	return 1;
}

static int
need(const char *v, const char *name)
{
	if (v == NULL) {
		fprintf(stderr, "overt log: %s is required\n", name);
		return 0;
	}
	return 1;
}

static int
load_key(const char *path, struct tlog_signer *k)
{
	enum tlog_err e = tlog_signer_load(path, k);
	if (e != TLOG_OK) {
		log_warnx("%s: %s", path, tlog_strerror(e));
		return 0;
	}
	return 1;
}

static void
print_vkey(const struct tlog_signer *k)
{
	char v[TLOG_VKEY_MAX + 1];
	if (tlog_verifier_format(&k->v, v, sizeof(v)) > 0)
		printf("%s\n", v);
}

static int
do_keygen(int argc, char **argv)
{
	const char *name = NULL, *out = NULL;
	uint8_t type = TLOG_KEY_ED25519;
	struct tlog_signer k;
	enum tlog_err e;

	for (int i = 1; i < argc; i++) {
		if (opt(argc, argv, &i, "--name", &name) || opt(argc, argv, &i, "--out", &out))
			continue;
		if (strcmp(argv[i], "--witness") == 0) {
			type = TLOG_KEY_COSIG;
			continue;
		}
		log_usage(stderr);
		return 2;
	}
	if (!need(name, "--name") || !need(out, "--out"))
		return 2;
	if ((e = tlog_signer_generate(name, type, &k)) != TLOG_OK) {
		log_warnx("keygen: %s (names are printable ASCII without spaces or '+')",
		    tlog_strerror(e));
		return 1;
	}
	if ((e = tlog_signer_save(out, &k)) != TLOG_OK) {
		log_warnx("%s: %s", out, tlog_strerror(e));
		tlog_signer_cleanup(&k);
		return 1;
	}
	print_vkey(&k);
	tlog_signer_cleanup(&k);
	return 0;
}

static int
do_vkey(int argc, char **argv)
{
	const char *key = NULL;
	struct tlog_signer k;

	for (int i = 1; i < argc; i++)
		if (!opt(argc, argv, &i, "--key", &key)) {
			log_usage(stderr);
			return 2;
		}
	if (!need(key, "--key") || !load_key(key, &k))
		return key ? 1 : 2;
	print_vkey(&k);
	tlog_signer_cleanup(&k);
	return 0;
}

static int
do_init(int argc, char **argv)
{
	const char *dir = NULL, *key = NULL;
	struct tlog_signer k;
	enum tlog_err e;

	for (int i = 1; i < argc; i++)
		if (!opt(argc, argv, &i, "--dir", &dir) && !opt(argc, argv, &i, "--key", &key)) {
			log_usage(stderr);
			return 2;
		}
	if (!need(dir, "--dir") || !need(key, "--key"))
		return 2;
	if (!load_key(key, &k))
		return 1;
	e = tlog_create(dir, &k);
	if (e != TLOG_OK)
		log_warnx("%s: %s", dir, tlog_strerror(e));
	else
		printf("log %s created in %s\n", k.v.name, dir);
	tlog_signer_cleanup(&k);
	return e == TLOG_OK ? 0 : 1;
}

/* --- append ---------------------------------------------------------------------------- */

struct appender {
	struct tlog *t;
	uint64_t acked;			/* indexes below this were reported */
	uint64_t first;			/* index of the first entry of this run */
	unsigned long lines[TLOG_BATCH_MAX];	/* input line of each queued entry */
	int bad;
};

/* Commits, then reports each newly durable entry: the caller may now rely on it. */
static int
commit_and_ack(struct appender *a)
{
	enum tlog_err e = tlog_commit(a->t);

	if (e != TLOG_OK) {
		log_warnx("commit: %s", tlog_strerror(e));
		return 0;
	}
	for (; a->acked < tlog_size(a->t); a->acked++)
		printf("ok %llu %lu\n", (unsigned long long)a->acked,
		    a->lines[(a->acked - a->first) % TLOG_BATCH_MAX]);
	fflush(stdout);
	return 1;
}

static int
append_line(struct appender *a, const char *line, size_t len, unsigned long lineno,
    unsigned batch)
{
	struct tlog_entry e;
	uint64_t idx;
	enum tlog_err r;

	if ((r = tlog_entry_parse_text(line, len, &e)) != TLOG_OK) {
		log_warnx("line %lu: %s", lineno, tlog_strerror(r));
		a->bad = 1;
		return 1;
	}
	a->lines[(tlog_size(a->t) + tlog_pending(a->t) - a->first) % TLOG_BATCH_MAX] = lineno;
	if ((r = tlog_append(a->t, &e, &idx)) != TLOG_OK) {
		if (r == TLOG_E_FAILED || r == TLOG_E_IO || r == TLOG_E_NOMEM) {
			log_warnx("append: %s", tlog_strerror(r));
			return 0;
		}
		log_warnx("line %lu: %s", lineno, tlog_strerror(r));
		a->bad = 1;
		return 1;
	}
	/* tlog_append may have committed a full batch by itself: report it too. */
	if (tlog_size(a->t) > a->acked || tlog_pending(a->t) >= batch)
		return commit_and_ack(a);
	return 1;
}

static int
stdin_ready(void)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	return poll(&p, 1, 0) > 0;
}

/* Reads lines from stdin; commits when the batch is full or no more input is waiting, so a
 * slow producer gets its acknowledgements without delay and a fast one gets batching. */
static int
append_stdin(struct appender *a, unsigned batch)
{
	static char buf[4 * LINEBUF];
	size_t start = 0, end = 0;
	unsigned long lineno = 0;
	int eof = 0, skipping = 0;

	for (;;) {
		char *nl = memchr(buf + start, '\n', end - start);
		if (nl != NULL || (eof && end > start)) {
			size_t n = nl ? (size_t)(nl - (buf + start)) : end - start;
			lineno++;
			if (!skipping && n > 0 && !append_line(a, buf + start, n, lineno, batch))
				return 0;
			skipping = 0;
			start += n + (nl != NULL);
			continue;
		}
		if (eof)
			break;
		if (tlog_pending(a->t) > 0 && !stdin_ready() && !commit_and_ack(a))
			return 0;
		if (start > 0) {
			memmove(buf, buf + start, end - start);
			end -= start;
			start = 0;
		}
		if (end == sizeof(buf)) {
			/* A line longer than any valid entry: refuse it, skip to its end. */
			log_warnx("line %lu: longer than %d bytes", lineno + 1, TLOG_ENTRY_TEXT_MAX);
			a->bad = 1;
			skipping = 1;
			end = 0;
			continue;
		}
		ssize_t r = read(STDIN_FILENO, buf + end, sizeof(buf) - end);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			log_warn("stdin");
			return 0;
		}
		if (r == 0)
			eof = 1;
		end += (size_t)r;
	}
	return commit_and_ack(a);
}

static int
do_append(int argc, char **argv)
{
	const char *dir = NULL, *key = NULL, *bs = NULL;
	char line[LINEBUF];
	size_t len = 0;
	int from_stdin = 0, nfields = 0, ok;
	unsigned long batch = BATCH_DEFAULT;
	struct tlog_signer k;
	struct appender *a;
	enum tlog_err e;

	line[0] = '\0';
	for (int i = 1; i < argc; i++) {
		if (opt(argc, argv, &i, "--dir", &dir) || opt(argc, argv, &i, "--key", &key) ||
		    opt(argc, argv, &i, "--batch", &bs))
			continue;
		if (strcmp(argv[i], "-") == 0 || strcmp(argv[i], "--stdin") == 0) {
			from_stdin = 1;
			continue;
		}
		if (argv[i][0] == '-' || strchr(argv[i], '=') == NULL) {
			log_usage(stderr);
			return 2;
		}
		/* Each argument is one key=value pair of a single entry. */
		size_t n = strlen(argv[i]);
		if (len + n + 1 >= sizeof(line)) {
			fprintf(stderr, "overt log append: entry too long\n");
			return 2;
		}
		if (len > 0)
			line[len++] = ' ';
		memcpy(line + len, argv[i], n + 1);
		len += n;
		nfields++;
	}
	if (!need(dir, "--dir") || !need(key, "--key"))
		return 2;
	if (bs != NULL) {
		char *end;
		errno = 0;
		batch = strtoul(bs, &end, 10);
		if (errno != 0 || *end != '\0' || bs[0] == '-' || batch == 0 ||
		    batch > TLOG_BATCH_MAX) {
			fprintf(stderr, "overt log append: --batch: want 1..%d\n", TLOG_BATCH_MAX);
			return 2;
		}
	}
	if (from_stdin == (nfields > 0)) {
		fprintf(stderr, "overt log append: give either key=value arguments or -\n");
		return 2;
	}
	if (!load_key(key, &k))
		return 1;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		tlog_signer_cleanup(&k);
		return 1;
	}
	if ((e = tlog_open(dir, &k, &a->t)) != TLOG_OK) {
		log_warnx("%s: %s", dir, tlog_strerror(e));
		free(a);
		tlog_signer_cleanup(&k);
		return 1;
	}
	a->acked = a->first = tlog_size(a->t);
	if (from_stdin)
		ok = append_stdin(a, (unsigned)batch);
	else
		ok = append_line(a, line, len, 1, (unsigned)batch) && commit_and_ack(a);
	tlog_close(a->t);
	tlog_signer_cleanup(&k);
	ok = ok && !a->bad;
	free(a);
	return ok ? 0 : 1;
}

/* --- checkpoint, witness, cosign ------------------------------------------------------- */

static int
do_checkpoint(int argc, char **argv)
{
	const char *dir = NULL;
	struct tlog_src *src;
	struct ovt_builder b;
	enum tlog_err e;

	for (int i = 1; i < argc; i++)
		if (!opt(argc, argv, &i, "--dir", &dir)) {
			log_usage(stderr);
			return 2;
		}
	if (!need(dir, "--dir"))
		return 2;
	if ((e = tlog_src_open(dir, NULL, &src)) != TLOG_OK) {
		log_warnx("%s: %s", dir, tlog_strerror(e));
		return 1;
	}
	if (!bld_init(&b, 1024, TLOG_NOTE_MAX + 1)) {
		tlog_src_close(src);
		return 1;
	}
	if ((e = tlog_src_get(src, "checkpoint", TLOG_NOTE_MAX, &b)) == TLOG_OK)
		fwrite(bld_data(&b), 1, bld_len(&b), stdout);
	else
		log_warnx("%s/checkpoint: %s", dir, tlog_strerror(e));
	bld_cleanup(&b);
	tlog_src_close(src);
	return e == TLOG_OK ? 0 : 1;
}

static int
write_out(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = path ? fopen(path, "w") : stdout;
	int ok;

	if (f == NULL) {
		log_warn("%s", path);
		return 0;
	}
	ok = fwrite(p, 1, n, f) == n;
	if (path != NULL)
		ok = fclose(f) == 0 && ok;
	else
		ok = fflush(f) == 0 && ok;
	if (!ok)
		log_warn("%s", path ? path : "stdout");
	return ok;
}

static int
do_witness(int argc, char **argv)
{
	const char *state = NULL, *key = NULL, *vk = NULL, *loc = NULL, *out = NULL, *ca = NULL;
	struct tlog_src_opts so = { NULL, NULL, NULL };
	struct tlog_verifier logv;
	struct tlog_signer w;
	struct tlog_trust *ts = NULL;
	struct tlog_src *src = NULL;
	struct ovt_builder note, line;
	char path[4096], msg[TLOG_DETAIL_MAX] = "";
	int rc = 1;
	enum tlog_err e;

	for (int i = 1; i < argc; i++)
		if (!opt(argc, argv, &i, "--state", &state) && !opt(argc, argv, &i, "--key", &key) &&
		    !opt(argc, argv, &i, "--log-vkey", &vk) && !opt(argc, argv, &i, "--log", &loc) &&
		    !opt(argc, argv, &i, "--out", &out) && !opt(argc, argv, &i, "--cacert", &ca)) {
			log_usage(stderr);
			return 2;
		}
	if (!need(state, "--state") || !need(key, "--key") || !need(vk, "--log-vkey") ||
	    !need(loc, "--log"))
		return 2;
	if ((e = tlog_verifier_from_arg(vk, &logv)) != TLOG_OK || logv.type != TLOG_KEY_ED25519) {
		log_warnx("--log-vkey: %s", e != TLOG_OK ? tlog_strerror(e) : "not a log key");
		return 2;
	}
	if (!load_key(key, &w))
		return 1;
	bld_init(&note, 1024, TLOG_NOTE_MAX + 1);
	bld_init(&line, 256, 4096);
	if (w.v.type != TLOG_KEY_COSIG) {
		log_warnx("%s: not a witness key (make one with keygen --witness)", key);
		goto out;
	}
	/* One state file per log, named after the log key's ID. */
	if (mkdir(state, 0700) != 0 && errno != EEXIST) {
		log_warn("%s", state);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/log-%08x.state", state, logv.id);
	if ((ts = malloc(sizeof(*ts))) == NULL || !bld_ok(&note) || !bld_ok(&line))
		goto out;
	if ((e = tlog_trust_load(path, ts)) != TLOG_OK) {
		log_warnx("%s: %s", path, tlog_strerror(e));
		goto out;
	}
	so.cacert = ca;
	if ((e = tlog_src_open(loc, &so, &src)) != TLOG_OK) {
		log_warnx("%s: %s", loc, tlog_strerror(e));
		goto out;
	}
	e = tlog_witness_cosign(src, &logv, &w, ts, (uint64_t)time(NULL), &note, &line, msg,
	    sizeof(msg));
	if (e != TLOG_OK) {
		log_warnx("refusing to cosign: %s%s%s", tlog_strerror(e), msg[0] ? ": " : "", msg);
		goto out;
	}
	/* tlog-witness: remember the checkpoint durably before handing out the cosignature. */
	if ((e = tlog_trust_save(path, ts)) != TLOG_OK) {
		log_warnx("%s: %s", path, tlog_strerror(e));
		goto out;
	}
	if (write_out(out, bld_data(&line), bld_len(&line)))
		rc = 0;
	log_info("cosigned %s at size %llu", tlog_trust_latest(ts) ? ts->origin : "?",
	    (unsigned long long)(tlog_trust_latest(ts) ? tlog_trust_latest(ts)->size : 0));
out:
	tlog_src_close(src);
	free(ts);
	bld_cleanup(&note);
	bld_cleanup(&line);
	tlog_signer_cleanup(&w);
	return rc;
}

static int
read_all(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	ssize_t n;

	*len = 0;
	if (fd == -1)
		return 0;
	while ((n = read(fd, buf + *len, cap - *len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || *len + (size_t)n == cap)
			break;
		*len += (size_t)n;
	}
	if (path != NULL)
		close(fd);
	return n == 0;
}

static int
do_cosign(int argc, char **argv)
{
	const char *dir = NULL, *in = NULL, *v;
	struct tlog_verifier wv[TLOG_MAX_WITNESSES];
	size_t nw = 0, len;
	char *buf;
	enum tlog_err e;

	for (int i = 1; i < argc; i++) {
		if (opt(argc, argv, &i, "--dir", &dir) || opt(argc, argv, &i, "--in", &in))
			continue;
		if (opt(argc, argv, &i, "--witness-vkey", &v)) {
			if (nw == TLOG_MAX_WITNESSES ||
			    tlog_verifier_from_arg(v, &wv[nw]) != TLOG_OK ||
			    wv[nw].type != TLOG_KEY_COSIG) {
				fprintf(stderr, "overt log cosign: bad --witness-vkey %s\n", v);
				return 2;
			}
			nw++;
			continue;
		}
		log_usage(stderr);
		return 2;
	}
	if (!need(dir, "--dir") || nw == 0) {
		if (nw == 0)
			fprintf(stderr, "overt log cosign: at least one --witness-vkey\n");
		return 2;
	}
	if ((buf = malloc(COSIG_IN_MAX)) == NULL)
		return 1;
	if (!read_all(in && strcmp(in, "-") != 0 ? in : NULL, buf, COSIG_IN_MAX, &len)) {
		log_warnx("%s: cannot read (or more than %d bytes)", in ? in : "stdin",
		    COSIG_IN_MAX);
		free(buf);
		return 1;
	}
	e = tlog_dir_add_cosignatures(dir, buf, len, wv, nw);
	if (e != TLOG_OK)
		log_warnx("cosign: %s", tlog_strerror(e));
	free(buf);
	return e == TLOG_OK ? 0 : 1;
}

static int
do_warrant_key(int argc, char **argv)
{
	const char *out = NULL;
	uint8_t key[TLOG_WARRANT_KEY_LEN];
	char hex[2 * TLOG_WARRANT_KEY_LEN + 2];
	int fd, ok;

	for (int i = 1; i < argc; i++)
		if (!opt(argc, argv, &i, "--out", &out)) {
			log_usage(stderr);
			return 2;
		}
	if (!need(out, "--out"))
		return 2;
	if (tlog_warrant_key_generate(key) != TLOG_OK)
		return 1;
	hex_encode(key, sizeof(key), hex);
	hex[2 * TLOG_WARRANT_KEY_LEN] = '\n';
	if ((fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		log_warn("%s", out);
		OPENSSL_cleanse(key, sizeof(key));
		OPENSSL_cleanse(hex, sizeof(hex));
		return 1;
	}
	ok = write(fd, hex, sizeof(hex) - 1) == (ssize_t)(sizeof(hex) - 1) && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	if (!ok) {
		log_warn("%s", out);
		unlink(out);
	}
	return ok ? 0 : 1;
}

int
cmd_log(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
		{ "keygen", do_keygen }, { "vkey", do_vkey }, { "init", do_init },
		{ "append", do_append }, { "checkpoint", do_checkpoint },
		{ "witness", do_witness }, { "cosign", do_cosign },
		{ "warrant-key", do_warrant_key },
	};

	log_init("overt-log", 0);
	if (argc < 2) {
		log_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		log_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "overt log: unknown subcommand '%s'\n", argv[1]);
	log_usage(stderr);
	return 2;
}
