/*
 * `overt audit`: what an oversight body runs against a published log (man/overt-audit.8).
 *
 *   verify      full verification of a log directory or URL, with witness policy and a local
 *               state file of the checkpoints verified before; prints a report
 *   prove       inclusion proof of one entry (C2SP tlog-proof, the entry in its "extra" line),
 *               check of such a proof offline, consistency proof between two sizes
 *   commitment  computes (or checks) a target commitment from a revealed warrant key
 *
 * Exit status: 0 verified, 1 the log (or proof) failed verification, 2 usage, 3 the check
 * could not be completed (I/O, network, memory).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
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

#define EXIT_BAD    1
#define EXIT_USAGE  2
#define EXIT_ERROR  3
#define PROOF_MAX   (TLOG_NOTE_MAX + 8192)

static void
audit_usage(FILE *f)
{
	fprintf(f,
	    "usage: overt audit verify --log DIR|URL --vkey VKEY [--origin ORIGIN]\n"
	    "                          [--witness-vkey VKEY ...] [--witness-quorum K]\n"
	    "                          [--state FILE] [--list] [--cacert F] [--cert F --key F]\n"
	    "       overt audit prove inclusion --log DIR|URL --vkey VKEY --index N [--out FILE]\n"
	    "       overt audit prove check --vkey VKEY --proof FILE [--witness-vkey VKEY ...]\n"
	    "                               [--witness-quorum K]\n"
	    "       overt audit prove consistency --log DIR|URL --vkey VKEY\n"
	    "                                     (--old N | --old-checkpoint FILE)\n"
	    "       overt audit commitment --warrant-key FILE --type imsi|msisdn|imei\n"
	    "                              [--expect HEX]   (identity on stdin)\n");
}

/* Options shared by the subcommands. */
struct opts {
	const char *log, *vkey, *origin, *state, *cacert, *cert, *key, *index, *out, *proof;
	const char *old, *old_ckpt, *quorum, *wkey, *type, *expect;
	const char *wit[TLOG_MAX_WITNESSES];
	size_t nwit;
	int list;
};

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct {
		const char *name;
		size_t off;
	} tab[] = {
		{ "--log", offsetof(struct opts, log) },
		{ "--vkey", offsetof(struct opts, vkey) },
		{ "--origin", offsetof(struct opts, origin) },
		{ "--state", offsetof(struct opts, state) },
		{ "--cacert", offsetof(struct opts, cacert) },
		{ "--cert", offsetof(struct opts, cert) },
		{ "--key", offsetof(struct opts, key) },
		{ "--index", offsetof(struct opts, index) },
		{ "--out", offsetof(struct opts, out) },
		{ "--proof", offsetof(struct opts, proof) },
		{ "--old", offsetof(struct opts, old) },
		{ "--old-checkpoint", offsetof(struct opts, old_ckpt) },
		{ "--witness-quorum", offsetof(struct opts, quorum) },
		{ "--warrant-key", offsetof(struct opts, wkey) },
		{ "--type", offsetof(struct opts, type) },
		{ "--expect", offsetof(struct opts, expect) },
	};

	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		size_t k;
		if (strcmp(argv[i], "--list") == 0) {
			o->list = 1;
			continue;
		}
		if (strcmp(argv[i], "--witness-vkey") == 0 && i + 1 < argc) {
			if (o->nwit == TLOG_MAX_WITNESSES) {
				fprintf(stderr, "overt audit: at most %d witnesses\n",
				    TLOG_MAX_WITNESSES);
				return 0;
			}
			o->wit[o->nwit++] = argv[++i];
			continue;
		}
		for (k = 0; k < sizeof(tab) / sizeof(tab[0]); k++)
			if (strcmp(argv[i], tab[k].name) == 0)
				break;
		if (k == sizeof(tab) / sizeof(tab[0]) || i + 1 >= argc) {
			fprintf(stderr, "overt audit: unexpected argument '%s'\n", argv[i]);
			return 0;
		}
		memcpy((char *)o + tab[k].off, &argv[++i], sizeof(char *));
	}
	return 1;
}

static int
parse_num(const char *s, uint64_t max, uint64_t *out)
{
	return s != NULL && tlog_parse_u64(s, strlen(s), max, out);
}

/* Builds the policy: log key, origin, witnesses; quorum defaults to all listed witnesses. */
static int
make_policy(const struct opts *o, struct tlog_policy *pol)
{
	uint64_t q;

	memset(pol, 0, sizeof(*pol));
	if (o->vkey == NULL) {
		fprintf(stderr, "overt audit: --vkey is required\n");
		return 0;
	}
	if (tlog_verifier_from_arg(o->vkey, &pol->log) != TLOG_OK ||
	    pol->log.type != TLOG_KEY_ED25519) {
		fprintf(stderr, "overt audit: --vkey: not a log verifier key\n");
		return 0;
	}
	if (o->origin != NULL) {
		if (!tlog_name_valid(o->origin, strlen(o->origin))) {
			fprintf(stderr, "overt audit: --origin: invalid\n");
			return 0;
		}
		snprintf(pol->origin, sizeof(pol->origin), "%s", o->origin);
	}
	for (size_t i = 0; i < o->nwit; i++)
		if (tlog_verifier_from_arg(o->wit[i], &pol->witnesses[i]) != TLOG_OK ||
		    pol->witnesses[i].type != TLOG_KEY_COSIG) {
			fprintf(stderr, "overt audit: --witness-vkey %s: not a witness key\n",
			    o->wit[i]);
			return 0;
		}
	pol->nwitnesses = o->nwit;
	pol->quorum = o->nwit;
	if (o->quorum != NULL) {
		if (!parse_num(o->quorum, o->nwit, &q)) {
			fprintf(stderr, "overt audit: --witness-quorum: want 0..%zu\n", o->nwit);
			return 0;
		}
		pol->quorum = (size_t)q;
	}
	return 1;
}

static int
open_src(const struct opts *o, struct tlog_src **src)
{
	struct tlog_src_opts so = { o->cacert, o->cert, o->key };
	enum tlog_err e;

	if (o->log == NULL) {
		fprintf(stderr, "overt audit: --log is required\n");
		return EXIT_USAGE;
	}
	if ((e = tlog_src_open(o->log, &so, src)) != TLOG_OK) {
		log_warnx("%s: %s", o->log, tlog_strerror(e));
		return EXIT_ERROR;
	}
	return 0;
}

/* Verification failures (the log is bad) versus failures to check at all. */
static int
exit_for(enum tlog_err e)
{
	switch (e) {
	case TLOG_OK:
		return 0;
	case TLOG_E_NOMEM:
	case TLOG_E_IO:
	case TLOG_E_FETCH:
	case TLOG_E_ARG:
	case TLOG_E_CRYPTO:
	case TLOG_E_STATE_FORMAT:
		return EXIT_ERROR;
	default:
		return EXIT_BAD;
	}
}

static void
b64(const uint8_t h[TLOG_HASH_LEN], char out[TLOG_B64_LEN(TLOG_HASH_LEN) + 1])
{
	tlog_b64_encode(h, TLOG_HASH_LEN, out, TLOG_B64_LEN(TLOG_HASH_LEN) + 1);
}

static void
iso_ms(uint64_t ms, char *out, size_t cap)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	if (gmtime_r(&s, &tm) == NULL || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, cap, "?");
}

static void
list_entry(void *arg, uint64_t index, const struct tlog_entry *e)
{
	char line[TLOG_ENTRY_TEXT_MAX];
	(void)arg;
	(void)index;
	if (tlog_entry_format_text(e, 1, line, sizeof(line)) > 0)
		printf("  %s\n", line);
}

static int
do_verify(int argc, char **argv)
{
	struct opts o;
	struct tlog_policy pol;
	struct tlog_trust *st = NULL;
	struct tlog_audit_report *r = NULL;
	struct tlog_src *src = NULL;
	struct tlog_audit_cb cb = { list_entry, NULL };
	char root[TLOG_B64_LEN(TLOG_HASH_LEN) + 1], t1[32], t2[32];
	int rc;
	enum tlog_err e;

	if (!parse_opts(argc, argv, &o) || !make_policy(&o, &pol))
		return EXIT_USAGE;
	if ((rc = open_src(&o, &src)) != 0)
		return rc;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (o.state != NULL && (st = malloc(sizeof(*st))) == NULL)) {
		rc = EXIT_ERROR;
		goto out;
	}
	if (st != NULL && (e = tlog_trust_load(o.state, st)) != TLOG_OK) {
		log_warnx("%s: %s", o.state, tlog_strerror(e));
		rc = EXIT_ERROR;
		goto out;
	}
	printf("log:         %s\n", o.log);
	if (o.list)
		printf("entries:\n");
	e = tlog_audit(src, &pol, st, o.list ? &cb : NULL, r);
	if (r->cp.origin[0] != '\0') {
		b64(r->cp.root, root);
		printf("origin:      %s\n", r->cp.origin);
		printf("checkpoint:  size %llu, root %s\n", (unsigned long long)r->cp.size, root);
		printf("signatures:  log key %s+%08x valid; witnesses %zu valid of %zu known "
		    "(quorum %zu)\n", pol.log.name, pol.log.id, r->witnesses_ok, pol.nwitnesses,
		    pol.quorum);
	}
	if (r->had_state)
		printf("previous:    size %llu verified before%s\n",
		    (unsigned long long)r->prev_size, e == TLOG_OK ? ", consistent" : "");
	else if (st != NULL)
		printf("previous:    none (first verification with this state file)\n");
	printf("entries:     %llu checked", (unsigned long long)r->entries);
	for (uint8_t t = 1, first = 1; t <= TLOG_ENT_MAX; t++)
		if (r->per_type[t] > 0) {
			printf("%s %s %llu", first ? ":" : ",", tlog_entry_type_name(t),
			    (unsigned long long)r->per_type[t]);
			first = 0;
		}
	printf("\n");
	if (r->entries > 0) {
		iso_ms(r->first_ms, t1, sizeof(t1));
		iso_ms(r->last_ms, t2, sizeof(t2));
		printf("time range:  %s .. %s\n", t1, t2);
	}
	printf("fetched:     %llu objects, %llu bytes\n", (unsigned long long)r->requests,
	    (unsigned long long)r->bytes);
	if (e != TLOG_OK) {
		printf("result:      FAILED: %s: %s\n", tlog_strerror(e), r->detail);
		/* No checkpoint at all: nothing was there to verify, rather than a bad log. */
		rc = e == TLOG_E_NOTFOUND && r->cp.origin[0] == '\0' ? EXIT_ERROR : exit_for(e);
		goto out;
	}
	if (st != NULL && (e = tlog_trust_save(o.state, st)) != TLOG_OK) {
		log_warnx("%s: %s", o.state, tlog_strerror(e));
		printf("result:      OK, but the state file could not be saved\n");
		rc = EXIT_ERROR;
		goto out;
	}
	printf("result:      OK\n");
	rc = 0;
out:
	fflush(stdout);
	tlog_src_close(src);
	free(st);
	free(r);
	return rc;
}

/* --- prove ----------------------------------------------------------------------------- */

static int
write_text(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = path ? fopen(path, "w") : stdout;
	int ok;
	if (f == NULL)
		return 0;
	ok = fwrite(p, 1, n, f) == n;
	ok = (path ? fclose(f) : fflush(f)) == 0 && ok;
	return ok;
}

static int
read_file(const char *path, struct ovt_builder *b, size_t max)
{
	FILE *f = fopen(path, "rb");
	uint8_t chunk[4096];
	size_t n;

	if (f == NULL)
		return 0;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && bld_len(b) + n <= max)
		bld_add_bytes(b, chunk, n);
	fclose(f);
	return n == 0 && bld_ok(b);
}

static int
prove_inclusion(const struct opts *o)
{
	struct tlog_policy pol;
	struct tlog_checkpoint cp;
	struct tlog_src *src = NULL;
	struct tlog_hasher *h = NULL;
	struct tlog_tiles *tiles = NULL;
	struct ovt_builder note, out;
	uint8_t proof[TLOG_MAX_PROOF][TLOG_HASH_LEN], entry[TLOG_ENTRY_MAX], leaf[TLOG_HASH_LEN];
	char msg[TLOG_DETAIL_MAX] = "";
	uint64_t index;
	size_t n, elen;
	int rc;
	enum tlog_err e;

	if (!make_policy(o, &pol))
		return EXIT_USAGE;
	if (!parse_num(o->index, TLOG_MAX_SIZE, &index)) {
		fprintf(stderr, "overt audit prove inclusion: --index N is required\n");
		return EXIT_USAGE;
	}
	if ((rc = open_src(o, &src)) != 0)
		return rc;
	bld_init(&note, 1024, TLOG_NOTE_MAX + 1);
	bld_init(&out, 4096, PROOF_MAX);
	if ((h = tlog_hasher_new()) == NULL || !bld_ok(&note) || !bld_ok(&out)) {
		rc = EXIT_ERROR;
		goto done;
	}
	if ((e = tlog_checkpoint_fetch(src, &pol, &note, &cp, NULL, msg, sizeof(msg))) !=
	    TLOG_OK)
		goto fail;
	if (index >= cp.size) {
		snprintf(msg, sizeof(msg), "index %llu is not in the tree of size %llu",
		    (unsigned long long)index, (unsigned long long)cp.size);
		e = TLOG_E_PROOF_RANGE;
		goto fail;
	}
	if ((e = tlog_fetch_entry(src, cp.size, index, entry, &elen)) != TLOG_OK ||
	    (e = tlog_tiles_new(src, h, cp.size, &tiles)) != TLOG_OK ||
	    (e = tlog_prove_inclusion(h, tlog_tiles_reader(tiles), index, cp.size, proof, &n)) !=
	    TLOG_OK)
		goto fail;
	/* Check before handing it out: the proof must lead from the entry to the signed root. */
	if (!tlog_hash_leaf(h, entry, elen, leaf)) {
		e = TLOG_E_CRYPTO;
		goto fail;
	}
	if ((e = tlog_verify_inclusion(h, index, cp.size, leaf, (const uint8_t (*)[32])proof, n,
	    cp.root)) != TLOG_OK) {
		snprintf(msg, sizeof(msg), "the log's tiles do not prove entry %llu",
		    (unsigned long long)index);
		goto fail;
	}
	/* tlog-proof with the entry itself in the "extra" line, so the bundle stands alone. */
	tlog_proof_format(entry, elen, index, (const uint8_t (*)[32])proof, n,
	    (const char *)bld_data(&note), bld_len(&note), &out);
	if (!bld_ok(&out) || !write_text(o->out, bld_data(&out), bld_len(&out))) {
		log_warnx("%s: cannot write", o->out ? o->out : "stdout");
		rc = EXIT_ERROR;
		goto done;
	}
	fprintf(stderr, "entry %llu of %llu: inclusion proof of %zu hashes verified against the "
	    "signed checkpoint\n", (unsigned long long)index, (unsigned long long)cp.size, n);
	rc = 0;
	goto done;
fail:
	log_warnx("inclusion: %s%s%s", tlog_strerror(e), msg[0] ? ": " : "", msg);
	rc = exit_for(e);
done:
	tlog_tiles_free(tiles);
	tlog_hasher_free(h);
	tlog_src_close(src);
	bld_cleanup(&note);
	bld_cleanup(&out);
	return rc;
}

static int
prove_check(const struct opts *o)
{
	struct tlog_policy pol;
	struct tlog_checkpoint cp;
	struct tlog_proof_text *pt = NULL;
	struct tlog_hasher *h = NULL;
	struct ovt_builder b;
	struct tlog_entry e;
	uint8_t entry[TLOG_ENTRY_MAX], leaf[TLOG_HASH_LEN];
	char msg[TLOG_DETAIL_MAX] = "", text[TLOG_ENTRY_TEXT_MAX];
	long elen = -1;
	int rc = EXIT_BAD;
	enum tlog_err err;

	if (!make_policy(o, &pol))
		return EXIT_USAGE;
	if (o->proof == NULL) {
		fprintf(stderr, "overt audit prove check: --proof FILE is required\n");
		return EXIT_USAGE;
	}
	if (!bld_init(&b, 4096, PROOF_MAX) || (pt = malloc(sizeof(*pt))) == NULL ||
	    (h = tlog_hasher_new()) == NULL) {
		rc = EXIT_ERROR;
		goto out;
	}
	if (!read_file(o->proof, &b, PROOF_MAX)) {
		log_warnx("%s: cannot read (or too large)", o->proof);
		rc = EXIT_ERROR;
		goto out;
	}
	if ((err = tlog_proof_parse((const char *)bld_data(&b), bld_len(&b), pt)) != TLOG_OK) {
		log_warnx("%s: %s", o->proof, tlog_strerror(err));
		goto out;
	}
	/* The entry travels in the extra line. */
	if (pt->extra != NULL)
		elen = tlog_b64_decode(pt->extra, pt->extra_len, entry, sizeof(entry));
	if (elen < 0) {
		log_warnx("%s: no entry in the proof's extra line", o->proof);
		goto out;
	}
	if ((err = tlog_checkpoint_verify(pt->note, pt->note_len, &pol, &cp, NULL, msg,
	    sizeof(msg))) != TLOG_OK) {
		log_warnx("%s: %s", tlog_strerror(err), msg);
		rc = exit_for(err);
		goto out;
	}
	if (!tlog_hash_leaf(h, entry, (size_t)elen, leaf)) {
		rc = EXIT_ERROR;
		goto out;
	}
	if ((err = tlog_verify_inclusion(h, pt->index, cp.size, leaf,
	    (const uint8_t (*)[32])pt->hashes, pt->n, cp.root)) != TLOG_OK) {
		log_warnx("entry %llu not proven in %s at size %llu: %s",
		    (unsigned long long)pt->index, cp.origin, (unsigned long long)cp.size,
		    tlog_strerror(err));
		goto out;
	}
	if (tlog_entry_decode(entry, (size_t)elen, &e) != TLOG_OK || e.seq != pt->index ||
	    tlog_entry_format_text(&e, 1, text, sizeof(text)) == 0) {
		log_warnx("entry %llu is in the log but does not decode as entry %llu",
		    (unsigned long long)pt->index, (unsigned long long)pt->index);
		goto out;
	}
	printf("%s\n", text);
	printf("proven: entry %llu is in %s at size %llu\n", (unsigned long long)pt->index,
	    cp.origin, (unsigned long long)cp.size);
	rc = 0;
out:
	bld_cleanup(&b);
	free(pt);
	tlog_hasher_free(h);
	return rc;
}

static int
prove_consistency(const struct opts *o)
{
	struct tlog_policy pol;
	struct tlog_checkpoint cp, old;
	struct tlog_src *src = NULL;
	struct tlog_hasher *h = NULL;
	struct tlog_tiles *tiles = NULL;
	struct ovt_builder note, oldnote;
	uint8_t proof[TLOG_MAX_PROOF][TLOG_HASH_LEN];
	char msg[TLOG_DETAIL_MAX] = "", s[TLOG_B64_LEN(TLOG_HASH_LEN) + 1];
	size_t n;
	int rc, verified_old = 0;
	enum tlog_err e;

	if (!make_policy(o, &pol))
		return EXIT_USAGE;
	if ((o->old == NULL) == (o->old_ckpt == NULL)) {
		fprintf(stderr, "overt audit prove consistency: --old N or --old-checkpoint FILE\n");
		return EXIT_USAGE;
	}
	if ((rc = open_src(o, &src)) != 0)
		return rc;
	bld_init(&note, 1024, TLOG_NOTE_MAX + 1);
	bld_init(&oldnote, 1024, TLOG_NOTE_MAX + 1);
	if ((h = tlog_hasher_new()) == NULL || !bld_ok(&note) || !bld_ok(&oldnote)) {
		rc = EXIT_ERROR;
		goto done;
	}
	if ((e = tlog_checkpoint_fetch(src, &pol, &note, &cp, NULL, msg, sizeof(msg))) !=
	    TLOG_OK)
		goto fail;
	if (o->old_ckpt != NULL) {
		struct tlog_policy p1 = pol;
		p1.nwitnesses = p1.quorum = 0;	/* an old checkpoint's cosignatures may be gone */
		if (!read_file(o->old_ckpt, &oldnote, TLOG_NOTE_MAX)) {
			log_warnx("%s: cannot read", o->old_ckpt);
			rc = EXIT_ERROR;
			goto done;
		}
		if ((e = tlog_checkpoint_verify((const char *)bld_data(&oldnote), bld_len(&oldnote),
		    &p1, &old, NULL, msg, sizeof(msg))) != TLOG_OK)
			goto fail;
		verified_old = 1;
	} else if (!parse_num(o->old, TLOG_MAX_SIZE, &old.size)) {
		fprintf(stderr, "overt audit prove consistency: --old: not a size\n");
		rc = EXIT_USAGE;
		goto done;
	}
	if (old.size == 0 || old.size > cp.size) {
		snprintf(msg, sizeof(msg), "old size %llu, new size %llu",
		    (unsigned long long)old.size, (unsigned long long)cp.size);
		e = old.size > cp.size ? TLOG_E_CKPT_SMALLER : TLOG_E_PROOF_RANGE;
		goto fail;
	}
	if ((e = tlog_tiles_new(src, h, cp.size, &tiles)) != TLOG_OK ||
	    (e = tlog_prove_consistency(h, tlog_tiles_reader(tiles), old.size, cp.size, proof,
	    &n)) != TLOG_OK)
		goto fail;
	if (!verified_old &&
	    (e = tlog_range_hash(h, tlog_tiles_reader(tiles), 0, old.size, old.root)) != TLOG_OK)
		goto fail;
	if ((e = tlog_verify_consistency(h, old.size, cp.size, (const uint8_t (*)[32])proof, n,
	    old.root, cp.root)) != TLOG_OK) {
		snprintf(msg, sizeof(msg), "fork: size %llu is not consistent with size %llu",
		    (unsigned long long)cp.size, (unsigned long long)old.size);
		e = TLOG_E_CKPT_FORK;
		goto fail;
	}
	b64(old.root, s);
	printf("old %llu %s%s\n", (unsigned long long)old.size, s,
	    verified_old ? " (signed)" : " (from the tiles, unsigned)");
	b64(cp.root, s);
	printf("new %llu %s (signed)\n", (unsigned long long)cp.size, s);
	for (size_t i = 0; i < n; i++) {
		b64(proof[i], s);
		printf("%s\n", s);
	}
	printf("consistent\n");
	rc = 0;
	goto done;
fail:
	log_warnx("consistency: %s%s%s", tlog_strerror(e), msg[0] ? ": " : "", msg);
	rc = exit_for(e);
done:
	tlog_tiles_free(tiles);
	tlog_hasher_free(h);
	tlog_src_close(src);
	bld_cleanup(&note);
	bld_cleanup(&oldnote);
	return rc;
}

static int
do_prove(int argc, char **argv)
{
	struct opts o;

	if (argc < 2) {
		audit_usage(stderr);
		return EXIT_USAGE;
	}
	if (!parse_opts(argc - 1, argv + 1, &o))
		return EXIT_USAGE;
	if (strcmp(argv[1], "inclusion") == 0)
		return prove_inclusion(&o);
	if (strcmp(argv[1], "check") == 0)
		return prove_check(&o);
	if (strcmp(argv[1], "consistency") == 0)
		return prove_consistency(&o);
	audit_usage(stderr);
	return EXIT_USAGE;
}

/* --- commitment ------------------------------------------------------------------------ */

static int
do_commitment(int argc, char **argv)
{
	struct opts o;
	char hex[2 * TLOG_WARRANT_KEY_LEN + 2], id[TLOG_IDENTITY_MAX + 2], out[65];
	uint8_t key[TLOG_WARRANT_KEY_LEN], c[TLOG_COMMIT_LEN], want[TLOG_COMMIT_LEN];
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, type, rc = EXIT_USAGE;

	if (!parse_opts(argc, argv, &o))
		return EXIT_USAGE;
	if (o.wkey == NULL || o.type == NULL) {
		fprintf(stderr, "overt audit commitment: --warrant-key and --type are required\n");
		return EXIT_USAGE;
	}
	if (strcmp(o.type, "imsi") == 0)
		type = TLOG_TGT_IMSI;
	else if (strcmp(o.type, "msisdn") == 0)
		type = TLOG_TGT_MSISDN;
	else if (strcmp(o.type, "imei") == 0)
		type = TLOG_TGT_IMEI;
	else {
		fprintf(stderr, "overt audit commitment: --type imsi|msisdn|imei\n");
		return EXIT_USAGE;
	}
	if (o.expect != NULL && hex_decode(o.expect, want, sizeof(want)) != TLOG_COMMIT_LEN) {
		fprintf(stderr, "overt audit commitment: --expect: 64 hex digits\n");
		return EXIT_USAGE;
	}
	if ((fd = open(o.wkey, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 || fstat(fd, &st) != 0 ||
	    (st.st_mode & 077) != 0 || read(fd, hex, sizeof(hex)) < 64) {
		log_warnx("%s: unreadable, or readable by group/others", o.wkey);
		if (fd != -1)
			close(fd);
		return EXIT_ERROR;
	}
	close(fd);
	hex[64] = '\0';
	if (hex_decode(hex, key, sizeof(key)) != TLOG_WARRANT_KEY_LEN) {
		log_warnx("%s: not a warrant key (64 hex digits)", o.wkey);
		OPENSSL_cleanse(hex, sizeof(hex));
		return EXIT_ERROR;
	}
	/* The identity comes on stdin, never on the command line (ps would show it). */
	while (len < sizeof(id) && (n = read(STDIN_FILENO, id + len, sizeof(id) - len)) > 0)
		len += (size_t)n;
	if (len > 0 && id[len - 1] == '\n')
		len--;
	if (tlog_target_commitment(key, (uint8_t)type, id, len, c) != TLOG_OK) {
		fprintf(stderr, "overt audit commitment: identity must be the digits of the %s\n",
		    o.type);
		goto out;
	}
	hex_encode(c, sizeof(c), out);
	printf("%s:%s\n", o.type, out);
	if (o.expect != NULL) {
		rc = CRYPTO_memcmp(c, want, sizeof(c)) == 0 ? 0 : EXIT_BAD;
		printf("%s\n", rc == 0 ? "match" : "no match");
	} else
		rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	OPENSSL_cleanse(id, sizeof(id));
	return rc;
}

int
cmd_audit(int argc, char **argv)
{
	log_init("overt-audit", 0);
	if (argc < 2) {
		audit_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		audit_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "verify") == 0)
		return do_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "prove") == 0)
		return do_prove(argc - 1, argv + 1);
	if (strcmp(argv[1], "commitment") == 0)
		return do_commitment(argc - 1, argv + 1);
	fprintf(stderr, "overt audit: unknown subcommand '%s'\n", argv[1]);
	audit_usage(stderr);
	return EXIT_USAGE;
}
