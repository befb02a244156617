/*
 * Transparency-log benchmarks, each against its limit measured in the same run:
 *
 *  1. appends/s, batched and durable (tlog_append + tlog_commit every --batch entries: tiles,
 *     fsyncs, signed checkpoint), against writing the same bundle-encoded bytes sequentially
 *     to one file with one fsync per batch;
 *  2. inclusion-proof verification (tlog_verify_inclusion on proofs from the log's tiles),
 *     against computing the same number of SHA-256 node hashes in a loop;
 *  3. full audit (tlog_audit of the whole log: read, decode, rehash, compare every tile and
 *     the signed root), against hashing the same bytes with OpenSSL SHA-256 in one loop:
 *     every leaf input (0x00 || entry) and the n - 1 interior nodes (0x01 || left || right),
 *     read into memory beforehand and not timed.
 *
 * usage: bench_tlog [--appends N] [--batch B] [--proofs M] [--entries N] [--dir DIR] [--keep]
 * Defaults are quick (200000 appends, 1000000 audited entries).  Goals (issue): >= 100k
 * appends/s, a proof verified in < 50 us, the audit within 1.25 x the hashing limit.
 * Timings are the best of --reps runs (default 3), limit and measure alternating.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/bytes.h"
#include "tlog/audit.h"
#include "tlog/fetch.h"
#include "tlog/tile.h"
#include "tlog/tlog.h"

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, enum tlog_err e)
{
	fprintf(stderr, "bench_tlog: %s: %s\n", what, tlog_strerror(e));
	exit(1);
}

/* A realistic mix: mostly delivery counters, some task events and alerts. */
static void
make_entry(uint64_t i, struct tlog_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (i % 10 < 8) {
		e->type = TLOG_ENT_DELIVERY_COUNTERS;
		e->u.counters.xid[0] = (uint8_t)(i >> 8);
		e->u.counters.xid[15] = (uint8_t)i;
		e->u.counters.start_ms = 1735689600000ULL + i * 1000;
		e->u.counters.end_ms = e->u.counters.start_ms + 60000;
		e->u.counters.records = i % 977;
		e->u.counters.bytes = (i % 977) * 312;
	} else if (i % 10 == 8) {
		e->type = TLOG_ENT_TASK_ACTIVATED;
		e->u.task.xid[15] = (uint8_t)i;
		snprintf(e->u.task.ne, sizeof(e->u.task.ne), "poi-%llu",
		    (unsigned long long)(i % 16));
		e->u.task.target.type = TLOG_TGT_IMSI;
		e->u.task.target.commitment[0] = (uint8_t)i;
		e->u.task.delivery = TLOG_DLV_X2X3;
	} else {
		e->type = TLOG_ENT_ALERT;
		e->u.alert.severity = 4;
		snprintf(e->u.alert.source, sizeof(e->u.alert.source), "mdf");
		snprintf(e->u.alert.message, sizeof(e->u.alert.message), "queue high %llu",
		    (unsigned long long)i);
	}
}

static void
rm_rf(const char *path)
{
	char cmd[8192];
	if ((size_t)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path) >= sizeof(cmd) ||
	    system(cmd) != 0)
		fprintf(stderr, "bench_tlog: cannot remove %s\n", path);
}

/* Appends n entries to a fresh log in dir; returns the seconds taken. */
static double
run_log(const char *dir, const struct tlog_signer *k, uint64_t n, uint64_t batch,
    uint64_t *bytes)
{
	struct tlog *t;
	struct tlog_entry e;
	uint64_t idx;
	enum tlog_err r;
	double t0;
	uint8_t buf[TLOG_ENTRY_MAX];

	rm_rf(dir);
	if ((r = tlog_create(dir, k)) != TLOG_OK)
		die("create", r);
	if ((r = tlog_open(dir, k, &t)) != TLOG_OK)
		die("open", r);
	*bytes = 0;
	t0 = now();
	for (uint64_t i = 0; i < n; i++) {
		struct ovt_builder b;
		make_entry(i, &e);
		if ((r = tlog_append(t, &e, &idx)) != TLOG_OK)
			die("append", r);
		if (i < 4096) {	/* size estimate from a sample, outside the hot path cost */
			bld_init_fixed(&b, buf, sizeof(buf));
			tlog_entry_encode(&e, &b);
			*bytes += bld_len(&b);
		}
		if (tlog_pending(t) >= batch && (r = tlog_commit(t)) != TLOG_OK)
			die("commit", r);
	}
	if ((r = tlog_commit(t)) != TLOG_OK)
		die("commit", r);
	t0 = now() - t0;
	tlog_close(t);
	*bytes = *bytes / (n < 4096 ? n : 4096);
	return t0;
}

/* The limit: the same bundle-encoded bytes to one file, one fsync per batch. */
static double
run_baseline(const char *path, uint64_t n, uint64_t batch)
{
	struct ovt_builder b;
	struct tlog_entry e;
	double t0, total = 0;
	int fd;

	if (!bld_init(&b, 1 << 20, (size_t)batch * (2 + TLOG_ENTRY_MAX)))
		exit(1);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1) {
		perror(path);
		exit(1);
	}
	for (uint64_t i = 0; i < n;) {
		/* Encoding is the caller's work in both cases: time only write + fsync. */
		bld_reset(&b);
		uint64_t end = i + batch < n ? i + batch : n;
		for (; i < end; i++) {
			uint8_t buf[TLOG_ENTRY_MAX];
			struct ovt_builder eb;
			make_entry(i, &e);
			e.seq = i;
			e.time_ms = 1735689600000ULL + i;
			bld_init_fixed(&eb, buf, sizeof(buf));
			tlog_entry_encode(&e, &eb);
			tlog_bundle_add(&b, buf, bld_len(&eb));
		}
		t0 = now();
		if (write(fd, bld_data(&b), bld_len(&b)) != (ssize_t)bld_len(&b) || fsync(fd) != 0) {
			perror(path);
			exit(1);
		}
		total += now() - t0;
	}
	close(fd);
	unlink(path);
	bld_cleanup(&b);
	return total;
}

static double
best(double a, double b)
{
	return a < b ? a : b;
}

/* Hashes the log's leaf inputs and interior nodes in one loop (bundles read untimed). */
static double
hash_limit(struct tlog_src *src, uint64_t size)
{
	struct tlog_hasher *h = tlog_hasher_new();
	struct ovt_builder buf;
	struct ovt_cursor ents[TLOG_TILE_WIDTH];
	char path[TLOG_PATH_MAX];
	uint8_t out[TLOG_HASH_LEN], node[2][TLOG_HASH_LEN] = { { 1 }, { 2 } };
	double total = 0, t0;
	unsigned n;

	if (h == NULL || !bld_init(&buf, 1 << 16, TLOG_BUNDLE_MAX + 1))
		exit(1);
	for (uint64_t k = 0; k * TLOG_TILE_WIDTH < size; k++) {
		unsigned w = k < size / TLOG_TILE_WIDTH ? TLOG_TILE_WIDTH :
		    (unsigned)(size % TLOG_TILE_WIDTH);
		enum tlog_err r = tlog_fetch_bundle(src, k, w, &buf, ents, &n, path);
		if (r != TLOG_OK)
			die(path, r);
		t0 = now();
		for (unsigned j = 0; j < n; j++) {
			tlog_hash_leaf(h, cur_data(&ents[j]), cur_len(&ents[j]), out);
			/* one interior node per leaf (n - 1 in all; the extra one is noise) */
			tlog_hash_node(h, node[0], node[1], node[j & 1]);
		}
		total += now() - t0;
	}
	bld_cleanup(&buf);
	tlog_hasher_free(h);
	return total;
}

int
main(int argc, char **argv)
{
	uint64_t appends = 200000, batch = 4096, proofs = 10000, entries = 1000000, reps = 3;
	const char *dir = NULL;
	char tmpl[] = "/tmp/bench_tlog.XXXXXX", logdir[4096], seqfile[4096];
	int keep = 0, own_dir = 0;
	struct tlog_signer k;
	enum tlog_err r;

	for (int i = 1; i < argc; i++) {
		uint64_t *v = NULL;
		if (strcmp(argv[i], "--appends") == 0)
			v = &appends;
		else if (strcmp(argv[i], "--batch") == 0)
			v = &batch;
		else if (strcmp(argv[i], "--proofs") == 0)
			v = &proofs;
		else if (strcmp(argv[i], "--entries") == 0)
			v = &entries;
		else if (strcmp(argv[i], "--reps") == 0)
			v = &reps;
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
			dir = argv[++i];
			continue;
		} else if (strcmp(argv[i], "--keep") == 0) {
			keep = 1;
			continue;
		}
		if (v == NULL || i + 1 >= argc ||
		    !tlog_parse_u64(argv[i + 1], strlen(argv[i + 1]), TLOG_MAX_SIZE, v) || *v == 0) {
			fprintf(stderr, "usage: bench_tlog [--appends N] [--batch B] [--proofs M] "
			    "[--entries N] [--reps R] [--dir DIR] [--keep]\n");
			return 2;
		}
		i++;
	}
	if (batch > TLOG_BATCH_MAX)
		batch = TLOG_BATCH_MAX;
	if (dir == NULL) {
		if ((dir = mkdtemp(tmpl)) == NULL) {
			perror("mkdtemp");
			return 1;
		}
		own_dir = 1;
	}
	if ((r = tlog_signer_generate("bench.example/log", TLOG_KEY_ED25519, &k)) != TLOG_OK)
		die("keygen", r);
	if ((size_t)snprintf(logdir, sizeof(logdir), "%s/log", dir) >= sizeof(logdir) ||
	    (size_t)snprintf(seqfile, sizeof(seqfile), "%s/seq", dir) >= sizeof(seqfile)) {
		fprintf(stderr, "bench_tlog: --dir too long\n");
		return 2;
	}

	/* 1. appends */
	uint64_t avg = 0;
	double tl = 1e30, tb = 1e30;
	/* A fresh directory per run, removed at the end: deleting files right before creating
	 * new ones makes ext4's inode allocator slow (recently_deleted scans), which would
	 * measure the benchmark's cleanup rather than the log. */
	for (uint64_t i = 0; i < reps; i++) {
		char d[sizeof(logdir) + 24];
		snprintf(d, sizeof(d), "%s.%llu", logdir, (unsigned long long)i);
		tl = best(tl, run_log(d, &k, appends, batch, &avg));
		tb = best(tb, run_baseline(seqfile, appends, batch));
	}
	for (uint64_t i = 1; i < reps; i++) {
		char d[sizeof(logdir) + 24];
		snprintf(d, sizeof(d), "%s.%llu", logdir, (unsigned long long)i);
		rm_rf(d);
	}
	printf("appends: %llu entries (~%llu bytes each), batch %llu, best of %llu\n",
	    (unsigned long long)appends, (unsigned long long)avg, (unsigned long long)batch,
	    (unsigned long long)reps);
	printf("  tlog append+commit (tiles, fsyncs, signed checkpoint): %10.0f appends/s\n",
	    (double)appends / tl);
	printf("  limit: same bytes, one file, one fsync per batch:      %10.0f appends/s\n",
	    (double)appends / tb);
	printf("  time ratio tlog/limit: %.2f   goal >= 100000 appends/s: %s\n", tl / tb,
	    (double)appends / tl >= 100000 ? "met" : "NOT met");

	/* 2. proofs, on the log just written */
	{
		struct tlog_src *src;
		struct tlog_tiles *tiles;
		struct tlog_hasher *h = tlog_hasher_new();
		struct tlog *t;
		uint8_t (*pf)[TLOG_MAX_PROOF][TLOG_HASH_LEN] = malloc(1000 * sizeof(*pf));
		uint8_t (*lf)[TLOG_HASH_LEN] = malloc(1000 * TLOG_HASH_LEN);
		size_t pn[1000], total = 0;
		uint64_t idx[1000];
		uint8_t root[TLOG_HASH_LEN], x[TLOG_HASH_LEN] = { 0 };
		unsigned seed = 1;
		double tv = 1e30, th = 1e30;

		if (h == NULL || pf == NULL || lf == NULL)
			return 1;
		char d0[sizeof(logdir) + 24];
		snprintf(d0, sizeof(d0), "%s.0", logdir);
		if ((r = tlog_open(d0, &k, &t)) != TLOG_OK)
			die("open", r);
		tlog_root(t, root);
		tlog_close(t);
		if ((r = tlog_src_open(d0, NULL, &src)) != TLOG_OK ||
		    (r = tlog_tiles_new(src, h, appends, &tiles)) != TLOG_OK)
			die("tiles", r);
		for (int i = 0; i < 1000; i++) {
			uint8_t ent[TLOG_ENTRY_MAX];
			size_t elen = 0;
			idx[i] = (uint64_t)rand_r(&seed) % appends;
			if ((r = tlog_prove_inclusion(h, tlog_tiles_reader(tiles), idx[i], appends,
			    pf[i], &pn[i])) != TLOG_OK ||
			    (r = tlog_fetch_entry(src, appends, idx[i], ent, &elen)) != TLOG_OK)
				die("prove", r);
			tlog_hash_leaf(h, ent, elen, lf[i]);
			total += pn[i];
		}
		for (uint64_t rep = 0; rep < reps; rep++) {
			double t0 = now();
			for (uint64_t i = 0; i < proofs; i++) {
				int j = (int)(i % 1000);
				if (tlog_verify_inclusion(h, idx[j], appends, lf[j],
				    (const uint8_t (*)[TLOG_HASH_LEN])pf[j], pn[j], root) != TLOG_OK)
					die("verify", TLOG_E_PROOF_ROOT);
			}
			tv = best(tv, now() - t0);
			t0 = now();
			for (uint64_t i = 0; i < proofs; i++)
				for (size_t j = 0; j < pn[i % 1000]; j++)
					tlog_hash_node(h, x, pf[i % 1000][j], x);
			th = best(th, now() - t0);
		}
		printf("proofs: %llu inclusion verifications in a tree of %llu (%.1f hashes each)\n",
		    (unsigned long long)proofs, (unsigned long long)appends, (double)total / 1000);
		printf("  tlog_verify_inclusion:            %8.2f us per proof\n",
		    tv / (double)proofs * 1e6);
		printf("  limit: the same node hashes:      %8.2f us per proof\n",
		    th / (double)proofs * 1e6);
		printf("  time ratio verify/limit: %.2f   goal < 50 us: %s\n", tv / th,
		    tv / (double)proofs * 1e6 < 50 ? "met" : "NOT met");
		tlog_tiles_free(tiles);
		tlog_src_close(src);
		rm_rf(d0);
		tlog_hasher_free(h);
		free(pf);
		free(lf);
	}

	/* 3. full audit */
	{
		struct tlog_src *src;
		struct tlog_policy pol;
		struct tlog_audit_report *rep = malloc(sizeof(*rep));
		uint64_t dummy;
		double tbuild, ta, th;

		if (rep == NULL)
			return 1;
		tbuild = run_log(logdir, &k, entries, TLOG_BATCH_MAX, &dummy);
		memset(&pol, 0, sizeof(pol));
		pol.log = k.v;
		if ((r = tlog_src_open(logdir, NULL, &src)) != TLOG_OK)
			die("src", r);
		/* Alternate limit and audit, best of reps each: the machine is shared. */
		ta = th = 1e30;
		for (uint64_t i = 0; i < reps; i++) {
			th = best(th, hash_limit(src, entries));	/* warms the cache too */
			tlog_src_close(src);
			if ((r = tlog_src_open(logdir, NULL, &src)) != TLOG_OK)
				die("src", r);
			double t0 = now();
			if ((r = tlog_audit(src, &pol, NULL, NULL, rep)) != TLOG_OK)
				die(rep->detail, r);
			ta = best(ta, now() - t0);
		}
		printf("audit: %llu entries (log built in %.1f s, %.0f appends/s at batch %d), "
		    "%llu objects, %llu bytes read\n", (unsigned long long)entries, tbuild,
		    (double)entries / tbuild, TLOG_BATCH_MAX, (unsigned long long)rep->requests,
		    (unsigned long long)rep->bytes);
		printf("  tlog_audit (read, decode, rehash, compare, root):  %8.2f s\n", ta);
		printf("  limit: SHA-256 of the same leaves and nodes:       %8.2f s\n", th);
		printf("  time ratio audit/limit: %.3f   goal <= 1.25: %s\n", ta / th,
		    ta / th <= 1.25 ? "met" : "NOT met");
		tlog_src_close(src);
		free(rep);
	}
	tlog_signer_cleanup(&k);
	if (!keep)
		rm_rf(own_dir ? dir : logdir);
	return 0;
}
