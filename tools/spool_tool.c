/*
 * spool_tool: drives and inspects a delivery spool (src/spool/) from the shell.  The crash test
 * (tests/e2e/test_spool_crash.sh) runs `stress` and kills it with SIGKILL at random moments, then
 * checks the directory with `check` and `dump`; operators can use `check` and `dump` on a real
 * MDF spool (stopped) to see what it holds.
 *
 *   spool_tool stress DIR [options]   append and consume records until killed (or --count)
 *       prints "D <recno> <tail-first> <tail-bytes>" once records up to recno are durable
 *       (tail-bytes: durable size of segment tail-first), "A <recno>" once an acknowledgement
 *       is durable, "O ..." at start.  Nothing is printed before it is true on disk.
 *   spool_tool check DIR [--salvage]  open (repairing a torn tail), verify every record, print
 *                                     the statistics; exit 1 on any integrity error
 *   spool_tool dump DIR [-q]          replay the unacknowledged records ("R <recno> <len>"),
 *                                     checking each test payload; summary line "S ..."
 *   spool_tool append DIR N           append N test records and flush
 *   spool_tool ack DIR RECNO          acknowledge up to RECNO and flush
 * Options: --sync always|batch|none  --batch N  --batch-ms MS  --segment BYTES  --max BYTES
 *          --count N  --seed S  --min BYTES --max-rec BYTES
 *
 * Test payloads describe themselves: u64 record number, u32 length, then bytes drawn from a
 * generator seeded by the record number, so any reader can tell an intact record from a wrong
 * or damaged one without knowing how it was written.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "spool/spool.h"

#define PAYLOAD_HDR 12
#define REC_BUF_MAX SPOOL_RECORD_MAX

struct opts {
	struct spool_cfg cfg;
	uint64_t count;		/* 0 = until killed */
	uint64_t seed;
	uint32_t minlen, maxlen;
	int quiet;
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

static uint64_t
payload_seed(uint64_t recno)
{
	return recno * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
}

/* Test payload of record recno, len bytes (len >= PAYLOAD_HDR). */
static void
payload_make(uint8_t *buf, uint64_t recno, uint32_t len)
{
	struct ovt_builder b;
	uint64_t s = payload_seed(recno);

	bld_init_fixed(&b, buf, len);
	bld_add_u64(&b, recno);
	bld_add_u32(&b, len);
	for (uint32_t i = PAYLOAD_HDR; i < len; i++)
		bld_add_u8(&b, (uint8_t)xorshift(&s));
}

/* 0 if buf is the intact test payload of recno. */
static int
payload_check(const uint8_t *buf, size_t len, uint64_t recno)
{
	struct ovt_cursor c;
	uint64_t r, s = payload_seed(recno);
	uint32_t l;
	uint8_t v;

	cur_init(&c, buf, len);
	if (!cur_get_u64(&c, &r) || r != recno || !cur_get_u32(&c, &l) || l != len)
		return -1;
	while (cur_get_u8(&c, &v))
		if (v != (uint8_t)xorshift(&s))
			return -1;
	return 0;
}

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: spool_tool stress|check|dump|append|ack DIR [args] [options]\n"
	    "  (see the comment at the top of tools/spool_tool.c)\n");
	exit(2);
}

static void
die_spool(const char *what, const struct spool_error *e)
{
	char msg[256];
	spool_error_format(e, msg, sizeof(msg));
	fprintf(stderr, "spool_tool: %s: %s: %s\n", what, spool_strerror(e->code), msg);
	exit(1);
}

static int
parse_opts(int argc, char **argv, int first, struct opts *o)
{
	spool_cfg_default(&o->cfg);
	o->count = 0;
	o->seed = 1;
	o->minlen = 200;
	o->maxlen = 1500;
	o->quiet = 0;
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		uint64_t v = 0;
		if (strcmp(a, "-q") == 0) {
			o->quiet = 1;
			continue;
		}
		if (strcmp(a, "--salvage") == 0) {
			o->cfg.salvage = 1;
			continue;
		}
		if (i + 1 >= argc)
			return -1;
		const char *val = argv[++i];
		if (strcmp(a, "--sync") == 0) {
			if (strcmp(val, "always") == 0)
				o->cfg.sync = SPOOL_SYNC_ALWAYS;
			else if (strcmp(val, "batch") == 0)
				o->cfg.sync = SPOOL_SYNC_BATCH;
			else if (strcmp(val, "none") == 0)
				o->cfg.sync = SPOOL_SYNC_NONE;
			else
				return -1;
			continue;
		}
		if (parse_u64(val, &v) != 0)
			return -1;
		if (strcmp(a, "--batch") == 0 && v >= 1 && v <= UINT32_MAX)
			o->cfg.batch_records = (uint32_t)v;
		else if (strcmp(a, "--batch-ms") == 0 && v >= 1 && v <= UINT32_MAX)
			o->cfg.batch_ms = (uint32_t)v;
		else if (strcmp(a, "--segment") == 0)
			o->cfg.segment_bytes = v;
		else if (strcmp(a, "--max") == 0)
			o->cfg.max_bytes = v;
		else if (strcmp(a, "--count") == 0)
			o->count = v;
		else if (strcmp(a, "--seed") == 0)
			o->seed = v;
		else if (strcmp(a, "--min") == 0 && v >= PAYLOAD_HDR && v <= REC_BUF_MAX)
			o->minlen = (uint32_t)v;
		else if (strcmp(a, "--max-rec") == 0 && v >= PAYLOAD_HDR && v <= REC_BUF_MAX)
			o->maxlen = (uint32_t)v;
		else
			return -1;
	}
	return o->minlen <= o->maxlen ? 0 : -1;
}

static struct spool *
open_or_die(const char *dir, const struct opts *o)
{
	struct spool_error err;
	struct spool *sp = spool_open(dir, &o->cfg, &err);
	if (sp == NULL)
		die_spool("open", &err);
	return sp;
}

static void
print_durable(struct spool *sp, uint64_t *printed)
{
	struct spool_stats st;

	spool_stats(sp, &st);
	/* Print only when the sync covered everything appended: then the newest segment's size
	 * is exactly its durable size. */
	if (st.durable > *printed && st.durable == st.next_recno - 1 && st.segments > 0) {
		printf("D %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", st.durable, st.tail_first,
		    st.tail_bytes);
		*printed = st.durable;
	}
}

/* Reads up to max pending records, checking each; acknowledges a random prefix. */
static void
consume(struct spool *sp, uint8_t *buf, uint64_t max, uint64_t *rng)
{
	uint64_t last = 0;
	enum spool_err e = SPOOL_OK;

	for (uint64_t i = 0; i < max; i++) {
		size_t len;
		uint64_t recno;
		e = spool_read_next(sp, buf, REC_BUF_MAX, &len, &recno);
		if (e != SPOOL_OK)
			break;
		if (payload_check(buf, len, recno) != 0) {
			printf("ERR payload %" PRIu64 "\n", recno);
			exit(3);
		}
		last = recno;
	}
	if (e != SPOOL_OK && e != SPOOL_E_EMPTY)
		die_spool("read", spool_last_error(sp));
	if (last == 0)
		return;
	/* Acknowledge part of what was read; the rest is the "unacknowledged window". */
	struct spool_stats st;
	spool_stats(sp, &st);
	uint64_t upto = st.acked + 1 + xorshift(rng) % (last - st.acked);
	if (spool_ack(sp, upto) != SPOOL_OK)
		die_spool("ack", spool_last_error(sp));
	if (xorshift(rng) % 4 == 0)
		spool_rewind(sp);	/* as the MDF does after a broken connection */
}

static int
cmd_stress(const char *dir, const struct opts *o)
{
	struct spool *sp = open_or_die(dir, o);
	uint8_t *buf = malloc(REC_BUF_MAX);
	uint64_t rng = o->seed * 0x2545F4914F6CDD1Dull + 1, printed = 0, appended = 0;
	struct spool_stats st;

	if (buf == NULL)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	spool_stats(sp, &st);
	printf("O next=%" PRIu64 " acked=%" PRIu64 " torn=%" PRIu64 "\n", st.next_recno, st.acked,
	    st.torn_repaired);
	printed = st.durable;
	while (o->count == 0 || appended < o->count) {
		uint64_t burst = 1 + xorshift(&rng) % 32;
		for (uint64_t i = 0; i < burst; i++) {
			uint32_t len = o->minlen +
			    (uint32_t)(xorshift(&rng) % (o->maxlen - o->minlen + 1));
			uint64_t recno;
			enum spool_err e;

			spool_stats(sp, &st);
			payload_make(buf, st.next_recno, len);
			e = spool_append(sp, buf, len, &recno);
			if (e == SPOOL_E_FULL) {
				consume(sp, buf, UINT64_MAX, &rng);
				if (spool_flush(sp) != SPOOL_OK)
					die_spool("flush", spool_last_error(sp));
				break;
			}
			if (e != SPOOL_OK)
				die_spool("append", spool_last_error(sp));
			appended++;
			print_durable(sp, &printed);
		}
		if (xorshift(&rng) % 3 == 0) {
			consume(sp, buf, xorshift(&rng) % 64, &rng);
			if (spool_flush(sp) != SPOOL_OK)
				die_spool("flush", spool_last_error(sp));
			spool_stats(sp, &st);
			printf("A %" PRIu64 "\n", st.acked_durable);
			print_durable(sp, &printed);
		}
		if (spool_poll(sp, NULL) != SPOOL_OK)
			die_spool("poll", spool_last_error(sp));
		print_durable(sp, &printed);
	}
	free(buf);
	if (spool_close(sp) != SPOOL_OK)
		return 1;
	return 0;
}

static void
print_stats(const struct spool_stats *st)
{
	printf("records=%" PRIu64 " pending=%" PRIu64 " segments=%" PRIu64 " bytes=%" PRIu64
	    " next=%" PRIu64 " acked=%" PRIu64 " torn_repaired=%" PRIu64 " torn_bytes=%" PRIu64
	    " salvaged_bytes=%" PRIu64 " cursor_recovered=%d\n", st->records, st->pending,
	    st->segments, st->bytes, st->next_recno, st->acked, st->torn_repaired, st->torn_bytes,
	    st->salvaged_bytes, st->cursor_recovered);
}

static int
cmd_check(const char *dir, const struct opts *o)
{
	struct spool *sp = open_or_die(dir, o);
	struct spool_stats st;
	uint64_t n;

	if (spool_verify(sp, &n) != SPOOL_OK)
		die_spool("verify", spool_last_error(sp));
	spool_stats(sp, &st);
	printf("verified=%" PRIu64 " ", n);
	print_stats(&st);
	return spool_close(sp) == SPOOL_OK ? 0 : 1;
}

static int
cmd_dump(const char *dir, const struct opts *o)
{
	struct spool *sp = open_or_die(dir, o);
	uint8_t *buf = malloc(REC_BUF_MAX);
	uint64_t first = 0, last = 0, count = 0;
	struct spool_stats st;
	enum spool_err e;

	if (buf == NULL)
		return 1;
	for (;;) {
		size_t len;
		uint64_t recno;
		if ((e = spool_read_next(sp, buf, REC_BUF_MAX, &len, &recno)) != SPOOL_OK)
			break;
		if (payload_check(buf, len, recno) != 0) {
			printf("ERR payload %" PRIu64 "\n", recno);
			free(buf);
			spool_close(sp);
			return 1;
		}
		if (first == 0)
			first = recno;
		last = recno;
		count++;
		if (!o->quiet)
			printf("R %" PRIu64 " %zu\n", recno, len);
	}
	free(buf);
	if (e != SPOOL_E_EMPTY)
		die_spool("read", spool_last_error(sp));
	spool_stats(sp, &st);
	printf("S first=%" PRIu64 " last=%" PRIu64 " count=%" PRIu64 " acked=%" PRIu64
	    " next=%" PRIu64 "\n", first, last, count, st.acked, st.next_recno);
	return spool_close(sp) == SPOOL_OK ? 0 : 1;
}

static int
cmd_append(const char *dir, uint64_t n, const struct opts *o)
{
	struct spool *sp = open_or_die(dir, o);
	uint8_t *buf = malloc(REC_BUF_MAX);
	uint64_t rng = o->seed * 0x2545F4914F6CDD1Dull + 1;

	if (buf == NULL)
		return 1;
	for (uint64_t i = 0; i < n; i++) {
		struct spool_stats st;
		uint32_t len = o->minlen + (uint32_t)(xorshift(&rng) % (o->maxlen - o->minlen + 1));
		spool_stats(sp, &st);
		payload_make(buf, st.next_recno, len);
		if (spool_append(sp, buf, len, NULL) != SPOOL_OK)
			die_spool("append", spool_last_error(sp));
	}
	free(buf);
	if (spool_flush(sp) != SPOOL_OK)
		die_spool("flush", spool_last_error(sp));
	return spool_close(sp) == SPOOL_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct opts o;
	uint64_t v = 0;

	if (argc < 3)
		usage();
	const char *cmd = argv[1], *dir = argv[2];
	if (strcmp(cmd, "append") == 0 || strcmp(cmd, "ack") == 0) {
		if (argc < 4 || parse_u64(argv[3], &v) != 0 || parse_opts(argc, argv, 4, &o) != 0)
			usage();
		if (strcmp(cmd, "append") == 0)
			return cmd_append(dir, v, &o);
		struct spool *sp = open_or_die(dir, &o);
		if (spool_ack(sp, v) != SPOOL_OK || spool_flush(sp) != SPOOL_OK)
			die_spool("ack", spool_last_error(sp));
		return spool_close(sp) == SPOOL_OK ? 0 : 1;
	}
	if (parse_opts(argc, argv, 3, &o) != 0)
		usage();
	if (strcmp(cmd, "stress") == 0)
		return cmd_stress(dir, &o);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(dir, &o);
	if (strcmp(cmd, "dump") == 0)
		return cmd_dump(dir, &o);
	usage();
	return 2;
}
