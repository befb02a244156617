/*
 * Spool write throughput against a plain sequential write of the same bytes, measured in the
 * same run, in the same directory (so the same filesystem and device).
 *
 * Records of 200..1500 bytes (uniform, fixed seed).  The baseline writes, per record, the same
 * number of bytes the spool writes (16-byte frame + payload) with one write(), and fdatasync()s
 * every --batch records and at the end; the spool runs with SPOOL_SYNC_BATCH, batch_records =
 * --batch (the time trigger set out of reach), and spool_flush at the end.  Open and close are
 * outside the timing.  A second pair repeats both without any fsync (policy NONE vs plain write)
 * to show the CPU cost of framing and CRC alone.  Each pair runs --reps times alternately; the
 * medians are reported with the ratio spool/baseline (goal >= 0.80 with fsync).
 *
 *   bench_spool [--dir DIR] [--mb N] [--batch N] [--reps N]      (BENCH_QUICK=1: 32 MiB)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spool/spool.h"

#define POOL_BYTES (1u << 20)
#define REC_MIN 200
#define REC_MAX 1500
#define FRAME 16
#define MAX_REPS 15

struct work {
	uint32_t *lens;
	size_t nrec;
	uint64_t bytes;		/* framed bytes */
	uint8_t *pool;		/* random bytes records are taken from */
};

static uint64_t
xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Offset into the pool for record i (varies, so no two consecutive records are the same). */
static size_t
pool_off(size_t i)
{
	return (i * 7919) % (POOL_BYTES - REC_MAX - FRAME);
}

static double
run_plain(const char *dir, const struct work *w, uint32_t batch, int sync)
{
	char path[4096];
	int fd;
	double t0, t;

	snprintf(path, sizeof(path), "%s/plain.dat", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	t0 = now_s();
	for (size_t i = 0; i < w->nrec; i++) {
		size_t n = FRAME + w->lens[i];
		if (write(fd, w->pool + pool_off(i), n) != (ssize_t)n) {
			perror("write");
			exit(1);
		}
		if (sync && (i + 1) % batch == 0 && fdatasync(fd) != 0) {
			perror("fdatasync");
			exit(1);
		}
	}
	if (sync && fdatasync(fd) != 0) {
		perror("fdatasync");
		exit(1);
	}
	t = now_s() - t0;
	close(fd);
	unlink(path);
	return t;
}

/* Empties and removes the bench's own spool directory (flat: segment files and the cursor). */
static void
rm_spool(const char *sdir)
{
	DIR *d = opendir(sdir);
	struct dirent *de;
	char p[8192];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", sdir, de->d_name);
		if (unlink(p) != 0)
			perror(p);
	}
	closedir(d);
	if (rmdir(sdir) != 0)
		perror(sdir);
}

static double
run_spool(const char *dir, const struct work *w, uint32_t batch, int sync, uint64_t *fsyncs)
{
	char sdir[4096];
	struct spool_cfg cfg;
	struct spool_error err;
	struct spool_stats st;
	struct spool *sp;
	double t0, t;

	snprintf(sdir, sizeof(sdir), "%s/spool.d", dir);
	spool_cfg_default(&cfg);
	cfg.sync = sync ? SPOOL_SYNC_BATCH : SPOOL_SYNC_NONE;
	cfg.batch_records = batch;
	cfg.batch_ms = 3600 * 1000;
	cfg.max_bytes = 2 * w->bytes + 4 * cfg.segment_bytes;
	if ((sp = spool_open(sdir, &cfg, &err)) == NULL) {
		char msg[256];
		spool_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "bench_spool: open: %s\n", msg);
		exit(1);
	}
	t0 = now_s();
	for (size_t i = 0; i < w->nrec; i++) {
		uint64_t recno;
		if (spool_append(sp, w->pool + pool_off(i) + FRAME, w->lens[i], &recno) != SPOOL_OK) {
			fprintf(stderr, "bench_spool: append: %s\n",
			    spool_strerror(spool_last_error(sp)->code));
			exit(1);
		}
	}
	if (sync && spool_flush(sp) != SPOOL_OK) {
		fprintf(stderr, "bench_spool: flush failed\n");
		exit(1);
	}
	t = now_s() - t0;
	spool_stats(sp, &st);
	*fsyncs = st.fsyncs;
	spool_close(sp);
	rm_spool(sdir);
	return t;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int
arg_u(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || s[0] == '-' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	unsigned long mb = getenv("BENCH_QUICK") && strcmp(getenv("BENCH_QUICK"), "1") == 0 ? 32 : 128;
	unsigned long batch = 64, reps = 3;
	struct work w;
	uint64_t s = 0x853c49e6748fea9bull, fs = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--dir") == 0)
			dir = argv[i + 1];
		else if (strcmp(argv[i], "--mb") == 0 && arg_u(argv[i + 1], 1, 65536, &mb) == 0)
			;
		else if (strcmp(argv[i], "--batch") == 0 &&
		    arg_u(argv[i + 1], 1, 1000000, &batch) == 0)
			;
		else if (strcmp(argv[i], "--reps") == 0 && arg_u(argv[i + 1], 1, MAX_REPS, &reps) == 0)
			;
		else {
			fprintf(stderr, "usage: bench_spool [--dir DIR] [--mb N] [--batch N] "
			    "[--reps N]\n");
			return 2;
		}
	}

	memset(&w, 0, sizeof(w));
	w.pool = malloc(POOL_BYTES);
	w.lens = malloc(sizeof(*w.lens) * (mb * 1024 * 1024 / REC_MIN + 1));
	if (w.pool == NULL || w.lens == NULL)
		return 1;
	for (size_t i = 0; i < POOL_BYTES; i++)
		w.pool[i] = (uint8_t)xorshift(&s);
	while (w.bytes < (uint64_t)mb * 1024 * 1024) {
		uint32_t len = REC_MIN + (uint32_t)(xorshift(&s) % (REC_MAX - REC_MIN + 1));
		w.lens[w.nrec++] = len;
		w.bytes += FRAME + len;
	}

	printf("bench_spool: %zu records of %d..%d bytes, %.1f MiB framed, fsync every %lu "
	    "records, %lu reps, dir %s\n", w.nrec, REC_MIN, REC_MAX,
	    (double)w.bytes / (1024 * 1024), batch, reps, dir);
	for (int sync = 1; sync >= 0; sync--) {
		double tp[MAX_REPS], ts[MAX_REPS];
		for (unsigned long r = 0; r < reps; r++) {
			/* Alternate so that drift (other load, writeback) hits both sides. */
			if (r % 2 == 0) {
				tp[r] = run_plain(dir, &w, (uint32_t)batch, sync);
				ts[r] = run_spool(dir, &w, (uint32_t)batch, sync, &fs);
			} else {
				ts[r] = run_spool(dir, &w, (uint32_t)batch, sync, &fs);
				tp[r] = run_plain(dir, &w, (uint32_t)batch, sync);
			}
		}
		double mp = median(tp, (int)reps), ms = median(ts, (int)reps);
		double mib = (double)w.bytes / (1024 * 1024);
		printf("%s:\n", sync ? "with fdatasync every batch" : "without fsync (page cache only)");
		printf("  plain write():  %8.1f MiB/s  %10.0f records/s\n", mib / mp,
		    (double)w.nrec / mp);
		printf("  spool_append(): %8.1f MiB/s  %10.0f records/s  (%" PRIu64 " fsyncs)\n",
		    mib / ms, (double)w.nrec / ms, fs);
		printf("  ratio spool/plain: %.2f%s\n", mp / ms,
		    sync ? (mp / ms >= 0.80 ? "  (goal >= 0.80: met)" : "  (goal >= 0.80: NOT met)") :
		    "");
	}
	free(w.pool);
	free(w.lens);
	return 0;
}
