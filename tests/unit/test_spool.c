/*
 * Delivery spool, normal operation: append/read round trips across segments, numbering across
 * reopen, acknowledgement and deletion of delivered segments, the size bound, reading while
 * appending, rewind of the unacknowledged window, the three sync policies, locking, argument
 * errors and the CRC-32C behind the record checksum.  Recovery from damage is in
 * test_spool_recovery.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool/spool.h"
#include "spool/spool_crc.h"
#include "spool/spool_fmt.h"

#define SMALL_SEG 8192u

struct tdir {
	char path[256];
};

static void
tdir_make(struct tdir *t)
{
	const char *base = getenv("TMPDIR");
	snprintf(t->path, sizeof(t->path), "%s/spool-test.XXXXXX", base ? base : "/tmp");
	assert_non_null(mkdtemp(t->path));
}

static void
tdir_remove(struct tdir *t)
{
	DIR *d = opendir(t->path);
	struct dirent *de;
	char p[512];

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", t->path, de->d_name);
		assert_int_equal(unlink(p), 0);
	}
	closedir(d);
	assert_int_equal(rmdir(t->path), 0);
}

/* Segment files in the directory. */
static int
count_segments(const struct tdir *t, uint64_t *sum_bytes)
{
	DIR *d = opendir(t->path);
	struct dirent *de;
	int n = 0;
	uint64_t first;

	*sum_bytes = 0;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (!spool_fmt_segname_parse(de->d_name, &first))
			continue;
		char p[512];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", t->path, de->d_name);
		assert_int_equal(stat(p, &st), 0);
		*sum_bytes += (uint64_t)st.st_size;
		n++;
	}
	closedir(d);
	return n;
}

static int
segment_exists(const struct tdir *t, uint64_t first)
{
	char name[SPOOL_SEGNAME_LEN + 1], p[512];
	spool_fmt_segname(name, first);
	snprintf(p, sizeof(p), "%s/%s", t->path, name);
	return access(p, F_OK) == 0;
}

/* Record content: a function of the record number, so a wrong or shifted record shows. */
static size_t
rec_len(uint64_t recno)
{
	return 200 + (size_t)((recno * 7919) % 1301);	/* 200..1500 bytes */
}

static void
rec_fill(uint8_t *buf, uint64_t recno, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(recno * 131 + i * 7 + (i >> 8));
}

static uint64_t
append_rec(struct spool *sp, uint64_t expect)
{
	uint8_t buf[2048];
	uint64_t recno = 0;
	size_t len = rec_len(expect);

	rec_fill(buf, expect, len);
	assert_int_equal(spool_append(sp, buf, len, &recno), SPOOL_OK);
	assert_int_equal(recno, expect);
	return recno;
}

static void
read_expect(struct spool *sp, uint64_t expect)
{
	uint8_t buf[2048], want[2048];
	size_t len = 0;
	uint64_t recno = 0;

	assert_int_equal(spool_read_next(sp, buf, sizeof(buf), &len, &recno), SPOOL_OK);
	assert_int_equal(recno, expect);
	assert_int_equal(len, rec_len(expect));
	rec_fill(want, expect, len);
	assert_memory_equal(buf, want, len);
}

static void
read_empty(struct spool *sp)
{
	uint8_t buf[16];
	size_t len;
	uint64_t recno;
	assert_int_equal(spool_read_next(sp, buf, sizeof(buf), &len, &recno), SPOOL_E_EMPTY);
}

static void
small_cfg(struct spool_cfg *cfg)
{
	spool_cfg_default(cfg);
	cfg->segment_bytes = SMALL_SEG;
	cfg->max_bytes = 64 * SMALL_SEG;
}

static struct spool *
open_ok(const struct tdir *t, const struct spool_cfg *cfg)
{
	struct spool_error err;
	struct spool *sp = spool_open(t->path, cfg, &err);
	if (sp == NULL) {
		char msg[256];
		spool_error_format(&err, msg, sizeof(msg));
		fail_msg("spool_open: %s: %s", spool_strerror(err.code), msg);
	}
	return sp;
}

/* ------------------------------------------------------------------------------------------ */

static void
test_crc32c_vectors(void **state)
{
	/* RFC 3720 B.4 and the common check value. */
	uint8_t zeros[32], ones[32], inc[32], dec[32];
	memset(zeros, 0, sizeof(zeros));
	memset(ones, 0xff, sizeof(ones));
	for (int i = 0; i < 32; i++) {
		inc[i] = (uint8_t)i;
		dec[i] = (uint8_t)(31 - i);
	}
	assert_int_equal(spool_crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(spool_crc32c(0, zeros, 32), 0x8A9136AAu);
	assert_int_equal(spool_crc32c(0, ones, 32), 0x62A8AB43u);
	assert_int_equal(spool_crc32c(0, inc, 32), 0x46DD794Eu);
	assert_int_equal(spool_crc32c(0, dec, 32), 0x113FDB5Cu);
	assert_int_equal(spool_crc32c_sw(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(spool_crc32c_sw(0, inc, 32), 0x46DD794Eu);

	/* Hardware and table agree on every length and split point. */
	uint8_t buf[300];
	uint64_t s = 88172645463325252ull;
	for (size_t i = 0; i < sizeof(buf); i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		buf[i] = (uint8_t)s;
	}
	for (size_t n = 0; n <= sizeof(buf); n += 7) {
		uint32_t whole = spool_crc32c_sw(0, buf, n);
		assert_int_equal(spool_crc32c(0, buf, n), whole);
		for (size_t cut = 0; cut <= n; cut += 13)
			assert_int_equal(spool_crc32c(spool_crc32c(0, buf, cut), buf + cut, n - cut),
			    whole);
	}

	/* Long buffers go through the interleaved lanes (3 x 256 and 3 x 8192 octets): every
	 * length around the lane boundaries, at odd offsets, split at a random point. */
	size_t big = 3 * 8192 * 2 + 3 * 256 * 2 + 64;
	uint8_t *lb = malloc(big + 8);
	assert_non_null(lb);
	for (size_t i = 0; i < big + 8; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		lb[i] = (uint8_t)s;
	}
	static const size_t around[] = {3 * 256, 3 * 8192, 2 * 3 * 8192, 3 * 8192 + 3 * 256};
	for (size_t k = 0; k < sizeof(around) / sizeof(around[0]); k++)
		for (size_t n = around[k] - 17; n <= around[k] + 17 && n <= big; n++) {
			size_t off = n % 7;
			uint32_t whole = spool_crc32c_sw(0, lb + off, n);
			assert_int_equal(spool_crc32c(0, lb + off, n), whole);
			size_t cut = (size_t)(s % (n + 1));
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			assert_int_equal(spool_crc32c(spool_crc32c(0, lb + off, cut), lb + off + cut,
			    n - cut), whole);
		}
	assert_int_equal(spool_crc32c(0xdeadbeef, lb, big), spool_crc32c_sw(0xdeadbeef, lb, big));
	free(lb);
}

static void
test_format_roundtrip(void **state)
{
	uint8_t b[64], payload[5] = {1, 2, 3, 4, 5};
	struct ovt_builder bld;
	struct ovt_cursor c;
	uint64_t v = 0;
	struct spool_rechdr h;
	char name[SPOOL_SEGNAME_LEN + 1];

	bld_init_fixed(&bld, b, sizeof(b));
	spool_fmt_seghdr_build(&bld, 0x1234);
	assert_true(bld_ok(&bld));
	assert_int_equal(bld_len(&bld), SPOOL_SEG_HDRLEN);
	cur_init(&c, b, bld_len(&bld));
	assert_null(spool_fmt_seghdr_parse(&c, &v));
	assert_int_equal(v, 0x1234);
	assert_int_equal(cur_len(&c), 0);
	b[10] ^= 1;	/* inside the first-record field: the header checksum catches it */
	cur_init(&c, b, SPOOL_SEG_HDRLEN);
	assert_string_equal(spool_fmt_seghdr_parse(&c, &v), "segment header checksum mismatch");
	cur_init(&c, b, SPOOL_SEG_HDRLEN - 1);
	assert_non_null(spool_fmt_seghdr_parse(&c, &v));

	spool_fmt_rechdr_build(b, payload, sizeof(payload), 77);
	cur_init(&c, b, SPOOL_REC_HDRLEN);
	assert_null(spool_fmt_rechdr_parse(&c, &h));
	assert_int_equal(h.len, 5);
	assert_int_equal(h.recno, 77);
	assert_int_equal(spool_crc32c(h.crc_hdr, payload, 5), h.crc);
	payload[2] ^= 0x10;
	assert_int_not_equal(spool_crc32c(h.crc_hdr, payload, 5), h.crc);
	memset(b, 0, SPOOL_REC_HDRLEN);	/* zero length is refused: zeros are never a record */
	cur_init(&c, b, SPOOL_REC_HDRLEN);
	assert_string_equal(spool_fmt_rechdr_parse(&c, &h), "record length out of range");

	bld_init_fixed(&bld, b, sizeof(b));
	spool_fmt_cursor_build(&bld, 99);
	cur_init(&c, b, bld_len(&bld));
	assert_null(spool_fmt_cursor_parse(&c, &v));
	assert_int_equal(v, 99);
	cur_init(&c, b, SPOOL_CUR_LEN + 1);
	assert_non_null(spool_fmt_cursor_parse(&c, &v));

	spool_fmt_segname(name, 0xabc);
	assert_string_equal(name, "seg-0000000000000abc.spl");
	assert_true(spool_fmt_segname_parse(name, &v));
	assert_int_equal(v, 0xabc);
	assert_false(spool_fmt_segname_parse("seg-0000000000000ABC.spl", &v));
	assert_false(spool_fmt_segname_parse("seg-0000000000000000.spl", &v));
	assert_false(spool_fmt_segname_parse("seg-000000000000abc.spl", &v));
	assert_false(spool_fmt_segname_parse("seg-0000000000000abc.splx", &v));
}

static void
test_cfg_and_args(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool_error err;
	struct spool *sp;
	char msg[256];

	tdir_make(&t);
	small_cfg(&cfg);
	cfg.segment_bytes = 100;
	assert_null(spool_open(t.path, &cfg, &err));
	assert_int_equal(err.code, SPOOL_E_INVAL);
	small_cfg(&cfg);
	cfg.max_bytes = cfg.segment_bytes;
	assert_null(spool_open(t.path, &cfg, &err));
	assert_int_equal(err.code, SPOOL_E_INVAL);
	assert_string_equal(err.what, "max_bytes smaller than two segments");
	small_cfg(&cfg);
	cfg.batch_records = 0;
	assert_null(spool_open(t.path, &cfg, &err));
	assert_int_equal(err.code, SPOOL_E_INVAL);
	small_cfg(&cfg);
	cfg.sync = (enum spool_sync)7;
	assert_null(spool_open(t.path, &cfg, &err));
	assert_null(spool_open(NULL, &cfg, &err));

	for (int e = 0; e < SPOOL_E_COUNT; e++) {
		assert_non_null(spool_strerror((enum spool_err)e));
		for (int f = 0; f < e; f++)
			assert_string_not_equal(spool_strerror((enum spool_err)e),
			    spool_strerror((enum spool_err)f));
	}
	assert_string_equal(spool_strerror(SPOOL_E_COUNT), "unknown spool error");

	small_cfg(&cfg);
	sp = open_ok(&t, &cfg);
	uint8_t big[SMALL_SEG];
	uint64_t recno = 5;
	memset(big, 0xab, sizeof(big));
	assert_int_equal(spool_append(sp, big, 0, &recno), SPOOL_E_INVAL);
	assert_int_equal(recno, 0);
	/* The largest record that fits in an empty segment is accepted, one more byte is not. */
	size_t limit = SMALL_SEG - SPOOL_SEG_HDRLEN - SPOOL_REC_HDRLEN;
	assert_int_equal(spool_append(sp, big, limit + 1, &recno), SPOOL_E_TOOBIG);
	assert_int_equal(spool_append(sp, big, limit, &recno), SPOOL_OK);
	assert_int_equal(recno, 1);
	assert_int_equal(spool_ack(sp, 2), SPOOL_E_ACK);
	spool_error_format(spool_last_error(sp), msg, sizeof(msg));
	assert_non_null(strstr(msg, "record 2"));
	size_t len;
	assert_int_equal(spool_read_next(sp, NULL, 5, &len, &recno), SPOOL_E_INVAL);
	assert_int_equal(spool_read_next(sp, big, 10, &len, &recno), SPOOL_E_BUFSMALL);
	assert_int_equal(len, limit);
	assert_int_equal(spool_read_next(sp, big, sizeof(big), &len, &recno), SPOOL_OK);
	assert_int_equal(len, limit);
	uint64_t a, b;
	assert_int_equal(spool_skip_damaged(sp, &a, &b), SPOOL_E_INVAL);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	tdir_remove(&t);
}

static void
test_roundtrip_segments(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool_stats st;
	uint64_t disk;
	struct spool *sp;

	tdir_make(&t);
	small_cfg(&cfg);
	sp = open_ok(&t, &cfg);
	read_empty(sp);
	for (uint64_t r = 1; r <= 300; r++)
		append_rec(sp, r);
	spool_stats(sp, &st);
	assert_int_equal(st.records, 300);
	assert_int_equal(st.pending, 300);
	assert_true(st.segments > 10);
	assert_int_equal(count_segments(&t, &disk), (int)st.segments);
	assert_int_equal(disk, st.bytes);
	for (uint64_t r = 1; r <= 300; r++)
		read_expect(sp, r);
	read_empty(sp);
	uint64_t n = 0;
	assert_int_equal(spool_verify(sp, &n), SPOOL_OK);
	assert_int_equal(n, 300);
	/* Every segment file respects the configured size. */
	assert_true(disk <= st.segments * SMALL_SEG);
	assert_int_equal(spool_close(sp), SPOOL_OK);

	/* Reopen: nothing was acknowledged, so replay starts at 1 and numbering continues. */
	sp = open_ok(&t, &cfg);
	spool_stats(sp, &st);
	assert_int_equal(st.next_recno, 301);
	assert_int_equal(st.torn_repaired, 0);
	assert_int_equal(st.cursor_recovered, 0);
	read_expect(sp, 1);
	append_rec(sp, 301);
	for (uint64_t r = 2; r <= 301; r++)
		read_expect(sp, r);
	read_empty(sp);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	tdir_remove(&t);
}

static void
test_ack_deletes_segments(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool_stats st;
	struct spool *sp;
	uint64_t disk;

	tdir_make(&t);
	small_cfg(&cfg);
	sp = open_ok(&t, &cfg);
	for (uint64_t r = 1; r <= 100; r++)
		append_rec(sp, r);
	for (uint64_t r = 1; r <= 60; r++)
		read_expect(sp, r);
	assert_int_equal(spool_ack(sp, 60), SPOOL_OK);
	assert_int_equal(spool_ack(sp, 10), SPOOL_OK);	/* lower: no-op */
	spool_stats(sp, &st);
	assert_int_equal(st.acked, 60);
	assert_int_equal(st.acked_durable, 0);		/* BATCH: not yet persisted */
	assert_true(segment_exists(&t, 1));
	assert_int_equal(spool_flush(sp), SPOOL_OK);
	spool_stats(sp, &st);
	assert_int_equal(st.acked_durable, 60);
	assert_true(st.segments_deleted > 0);
	assert_false(segment_exists(&t, 1));
	/* The oldest remaining segment still holds record 61. */
	assert_int_equal(count_segments(&t, &disk), (int)st.segments);
	assert_int_equal(disk, st.bytes);
	assert_true(st.records >= 40);
	assert_int_equal(st.pending, 40);
	read_expect(sp, 61);
	assert_int_equal(spool_close(sp), SPOOL_OK);

	/* After a restart replay starts right after the acknowledged record. */
	sp = open_ok(&t, &cfg);
	spool_stats(sp, &st);
	assert_int_equal(st.acked, 60);
	assert_int_equal(st.next_recno, 101);
	for (uint64_t r = 61; r <= 100; r++)
		read_expect(sp, r);
	read_empty(sp);
	/* Acknowledging everything deletes all but the tail, which stays for appends. */
	assert_int_equal(spool_ack(sp, 100), SPOOL_OK);
	assert_int_equal(spool_flush(sp), SPOOL_OK);
	spool_stats(sp, &st);
	assert_int_equal(st.segments, 1);
	assert_int_equal(st.pending, 0);
	assert_int_equal(spool_close(sp), SPOOL_OK);

	sp = open_ok(&t, &cfg);
	read_empty(sp);
	append_rec(sp, 101);
	read_expect(sp, 101);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	tdir_remove(&t);
}

static void
test_ack_moves_reader(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool *sp;

	tdir_make(&t);
	small_cfg(&cfg);
	sp = open_ok(&t, &cfg);
	for (uint64_t r = 1; r <= 50; r++)
		append_rec(sp, r);
	read_expect(sp, 1);
	/* The consumer may learn of delivery before reading (e.g. after a restart): the reader
	 * jumps past the acknowledged records, across segments. */
	assert_int_equal(spool_ack(sp, 37), SPOOL_OK);
	read_expect(sp, 38);
	spool_rewind(sp);
	read_expect(sp, 38);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	tdir_remove(&t);
}

static void
test_size_bound(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool_stats st;
	struct spool *sp;
	uint64_t r, disk, recno = 1;
	enum spool_err e;
	uint8_t buf[2048];

	tdir_make(&t);
	small_cfg(&cfg);
	cfg.max_bytes = 4 * SMALL_SEG;
	sp = open_ok(&t, &cfg);
	for (r = 1;; r++) {
		size_t len = rec_len(r);
		rec_fill(buf, r, len);
		e = spool_append(sp, buf, len, &recno);
		if (e != SPOOL_OK)
			break;
	}
	assert_int_equal(e, SPOOL_E_FULL);
	assert_int_equal(recno, 0);
	assert_int_equal(spool_last_error(sp)->code, SPOOL_E_FULL);
	spool_stats(sp, &st);
	assert_int_equal(st.full_events, 1);
	assert_true(st.bytes <= cfg.max_bytes);
	assert_int_equal(count_segments(&t, &disk), (int)st.segments);
	assert_int_equal(disk, st.bytes);
	/* Refused again, nothing written, counted again; undelivered data untouched. */
	assert_int_equal(spool_append(sp, buf, rec_len(r), &recno), SPOOL_E_FULL);
	spool_stats(sp, &st);
	assert_int_equal(st.full_events, 2);
	assert_int_equal(count_segments(&t, &disk), (int)st.segments);
	assert_int_equal(disk, st.bytes);
	assert_int_equal(st.next_recno, r);
	for (uint64_t i = 1; i < r; i++)
		read_expect(sp, i);
	/* Delivery makes room: the acknowledgement (not yet at a batch point) is persisted by
	 * the refused append itself, which then succeeds. */
	assert_int_equal(spool_ack(sp, r - 1), SPOOL_OK);
	append_rec(sp, r);
	spool_stats(sp, &st);
	assert_int_equal(st.full_events, 2);
	assert_true(st.segments_deleted > 0);
	read_expect(sp, r);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	tdir_remove(&t);
}

static void
test_read_while_appending(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool *sp;
	uint64_t next_w = 1, next_r = 1;

	tdir_make(&t);
	small_cfg(&cfg);
	sp = open_ok(&t, &cfg);
	/* Irregular interleaving across many segment boundaries. */
	for (int round = 0; round < 60; round++) {
		int w = (round * 7) % 11, rd = (round * 5) % 9;
		for (int i = 0; i < w; i++)
			append_rec(sp, next_w++);
		for (int i = 0; i < rd && next_r < next_w; i++)
			read_expect(sp, next_r++);
		if (next_r == next_w)
			read_empty(sp);
	}
	while (next_r < next_w)
		read_expect(sp, next_r++);
	read_empty(sp);
	append_rec(sp, next_w);
	read_expect(sp, next_w);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	tdir_remove(&t);
}

/* spool_read_skip: the reader moves past records the caller holds in memory, in the middle of
 * a segment, across segment boundaries and after a rewind; anything it cannot vouch for is
 * refused without moving the reader, and the records read normally afterwards are the right
 * ones. */
static void
test_read_skip(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool *sp;
	uint64_t n;

	(void)state;
	tdir_make(&t);
	small_cfg(&cfg);
	sp = open_ok(&t, &cfg);
	for (n = 1; n <= 40; n++)	/* about 7 records per 8 KiB segment */
		append_rec(sp, n);
	read_expect(sp, 1);
	assert_int_equal(spool_read_pos(sp), 2);
	assert_int_equal(spool_read_skip(sp, 2, rec_len(2)), SPOOL_OK);
	/* Not the next record, a wrong length, never appended: refused, reader unchanged. */
	assert_int_equal(spool_read_skip(sp, 4, rec_len(4)), SPOOL_E_INVAL);
	assert_int_equal(spool_read_skip(sp, 3, rec_len(3) + 1), SPOOL_E_INVAL);
	assert_int_equal(spool_read_skip(sp, 41, 300), SPOOL_E_INVAL);
	assert_int_equal(spool_read_pos(sp), 3);
	read_expect(sp, 3);
	/* Skipping everything up to 30 crosses several segment boundaries. */
	for (n = 4; n <= 30; n++)
		assert_int_equal(spool_read_skip(sp, n, rec_len(n)), SPOOL_OK);
	read_expect(sp, 31);
	/* Alternating, to the end. */
	for (n = 32; n <= 40; n++) {
		if (n % 2)
			read_expect(sp, n);
		else
			assert_int_equal(spool_read_skip(sp, n, rec_len(n)), SPOOL_OK);
	}
	read_empty(sp);
	/* After a rewind the reader is not positioned: a skip positions it directly. */
	spool_rewind(sp);
	assert_int_equal(spool_read_pos(sp), 1);
	assert_int_equal(spool_read_skip(sp, 1, rec_len(1)), SPOOL_OK);
	read_expect(sp, 2);
	spool_rewind(sp);
	for (n = 1; n <= 20; n++)
		read_expect(sp, n);
	assert_int_equal(spool_read_skip(sp, 21, rec_len(21)), SPOOL_OK);
	read_expect(sp, 22);
	/* Only the last SPOOL_RECENT appends are remembered. */
	for (n = 41; n <= 41 + SPOOL_RECENT; n++)
		append_rec(sp, n);
	spool_rewind(sp);
	assert_int_equal(spool_read_skip(sp, 1, rec_len(1)), SPOOL_E_INVAL);
	read_expect(sp, 1);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	/* A new handle remembers nothing it did not append itself. */
	sp = open_ok(&t, &cfg);
	assert_int_equal(spool_read_skip(sp, 1, rec_len(1)), SPOOL_E_INVAL);
	read_expect(sp, 1);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	tdir_remove(&t);
}

static void
test_rewind_window(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool *sp;

	tdir_make(&t);
	small_cfg(&cfg);
	sp = open_ok(&t, &cfg);
	for (uint64_t r = 1; r <= 40; r++)
		append_rec(sp, r);
	for (uint64_t r = 1; r <= 40; r++)
		read_expect(sp, r);
	assert_int_equal(spool_ack(sp, 15), SPOOL_OK);
	/* Abrupt disconnect: everything after the acknowledgement goes again, in order. */
	spool_rewind(sp);
	for (uint64_t r = 16; r <= 40; r++)
		read_expect(sp, r);
	read_empty(sp);
	spool_rewind(sp);
	read_expect(sp, 16);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	tdir_remove(&t);
}

static void
test_sync_policies(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool_stats st;
	struct spool *sp;
	uint64_t fs;
	int next_ms;

	/* ALWAYS: durable before append returns, one data fsync each (plus directory fsyncs
	 * when a segment is created). */
	tdir_make(&t);
	small_cfg(&cfg);
	cfg.sync = SPOOL_SYNC_ALWAYS;
	sp = open_ok(&t, &cfg);
	spool_stats(sp, &st);
	fs = st.fsyncs;
	for (uint64_t r = 1; r <= 5; r++) {
		append_rec(sp, r);
		assert_int_equal(spool_durable(sp), r);
	}
	spool_stats(sp, &st);
	assert_true(st.fsyncs >= fs + 5);
	/* ...and acknowledgements are persisted at once. */
	assert_int_equal(spool_ack(sp, 3), SPOOL_OK);
	spool_stats(sp, &st);
	assert_int_equal(st.acked_durable, 3);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	tdir_remove(&t);

	/* BATCH: durable at every 10th append, or at flush.  (Large segments: a segment switch
	 * is a sync point too.) */
	tdir_make(&t);
	small_cfg(&cfg);
	cfg.segment_bytes = 1024 * 1024;
	cfg.max_bytes = 4 * cfg.segment_bytes;
	cfg.batch_records = 10;
	cfg.batch_ms = 3600 * 1000;
	sp = open_ok(&t, &cfg);
	for (uint64_t r = 1; r <= 9; r++)
		append_rec(sp, r);
	assert_int_equal(spool_durable(sp), 0);
	assert_int_equal(spool_poll(sp, &next_ms), SPOOL_OK);
	assert_true(next_ms > 0);
	assert_int_equal(spool_durable(sp), 0);
	append_rec(sp, 10);
	assert_int_equal(spool_durable(sp), 10);
	append_rec(sp, 11);
	assert_int_equal(spool_durable(sp), 10);
	assert_int_equal(spool_flush(sp), SPOOL_OK);
	assert_int_equal(spool_durable(sp), 11);
	assert_int_equal(spool_poll(sp, &next_ms), SPOOL_OK);
	assert_int_equal(next_ms, -1);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	tdir_remove(&t);

	/* BATCH by time: spool_poll syncs once batch_ms has passed. */
	tdir_make(&t);
	small_cfg(&cfg);
	cfg.batch_records = 1000;
	cfg.batch_ms = 5;
	sp = open_ok(&t, &cfg);
	append_rec(sp, 1);
	assert_int_equal(spool_durable(sp), 0);
	usleep(20 * 1000);
	assert_int_equal(spool_poll(sp, &next_ms), SPOOL_OK);
	assert_int_equal(spool_durable(sp), 1);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	tdir_remove(&t);

	/* NONE: never fsyncs on its own; flush still does; the cursor is rewritten at batch
	 * points without fsync. */
	tdir_make(&t);
	small_cfg(&cfg);
	cfg.sync = SPOOL_SYNC_NONE;
	cfg.batch_records = 4;
	sp = open_ok(&t, &cfg);
	spool_stats(sp, &st);
	fs = st.fsyncs;
	for (uint64_t r = 1; r <= 100; r++)
		append_rec(sp, r);
	for (uint64_t r = 1; r <= 3; r++)
		read_expect(sp, r);
	assert_int_equal(spool_ack(sp, 3), SPOOL_OK);
	for (uint64_t r = 101; r <= 104; r++)
		append_rec(sp, r);
	spool_stats(sp, &st);
	assert_int_equal(st.fsyncs, fs);
	assert_int_equal(spool_durable(sp), 0);
	assert_int_equal(st.acked_durable, 3);
	assert_int_equal(spool_flush(sp), SPOOL_OK);
	assert_int_equal(spool_durable(sp), 104);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	tdir_remove(&t);
}

static void
test_lock(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool_error err;
	struct spool *sp, *sp2;

	tdir_make(&t);
	small_cfg(&cfg);
	sp = open_ok(&t, &cfg);
	sp2 = spool_open(t.path, &cfg, &err);
	assert_null(sp2);
	assert_int_equal(err.code, SPOOL_E_LOCKED);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	sp2 = open_ok(&t, &cfg);
	assert_int_equal(spool_close(sp2), SPOOL_OK);
	tdir_remove(&t);
}

static void
test_creates_directory(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool *sp;
	struct tdir s2;
	char *sub = s2.path;
	struct stat st;

	tdir_make(&t);
	small_cfg(&cfg);
	assert_true(strlen(t.path) + 20 < sizeof(s2.path));
	memcpy(sub, t.path, strlen(t.path));
	memcpy(sub + strlen(t.path), "/hi3-agency1", 13);
	sp = spool_open(sub, &cfg, NULL);
	assert_non_null(sp);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	append_rec(sp, 1);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	tdir_remove(&s2);
	tdir_remove(&t);
}

static void
set_fsize(rlim_t lim)
{
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = lim;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static void
test_write_failure_rollback(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool_stats st;
	struct spool *sp;
	struct rlimit saved;
	char seg[512], name[SPOOL_SEGNAME_LEN + 1];
	uint8_t buf[2048];
	uint64_t recno = 9, r;
	struct stat sb;

	/* RLIMIT_FSIZE makes a write cross the limit short, and the next one fail with EFBIG:
	 * a failing disk in miniature. */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	tdir_make(&t);
	small_cfg(&cfg);
	sp = open_ok(&t, &cfg);
	for (r = 1; r <= 3; r++)
		append_rec(sp, r);
	spool_stats(sp, &st);
	spool_fmt_segname(name, 1);
	snprintf(seg, sizeof(seg), "%s/%s", t.path, name);

	set_fsize((rlim_t)st.tail_bytes + 100);	/* in the middle of record 4 */
	rec_fill(buf, 4, rec_len(4));
	assert_int_equal(spool_append(sp, buf, rec_len(4), &recno), SPOOL_E_IO);
	assert_int_equal(recno, 0);
	assert_int_equal(spool_last_error(sp)->sys_errno, EFBIG);
	set_fsize(saved.rlim_cur);
	/* The partial record was cut back; the spool is still usable and numbering intact. */
	assert_int_equal(stat(seg, &sb), 0);
	assert_int_equal((uint64_t)sb.st_size, st.tail_bytes);
	append_rec(sp, 4);

	/* A new segment whose header cannot be written is removed again. */
	for (r = 5;; r++) {
		spool_stats(sp, &st);
		if (st.tail_bytes + SPOOL_REC_HDRLEN + rec_len(r) > SMALL_SEG)
			break;
		append_rec(sp, r);
	}
	set_fsize(10);
	rec_fill(buf, r, rec_len(r));
	assert_int_equal(spool_append(sp, buf, rec_len(r), &recno), SPOOL_E_IO);
	set_fsize(saved.rlim_cur);
	spool_fmt_segname(name, r);
	snprintf(seg, sizeof(seg), "%s/%s", t.path, name);
	assert_int_equal(access(seg, F_OK), -1);
	append_rec(sp, r);
	assert_int_equal(access(seg, F_OK), 0);
	for (uint64_t k = 1; k <= r; k++)
		read_expect(sp, k);
	assert_int_equal(spool_close(sp), SPOOL_OK);

	sp = open_ok(&t, &cfg);
	spool_stats(sp, &st);
	assert_int_equal(st.torn_repaired, 0);
	assert_int_equal(st.next_recno, r + 1);
	assert_int_equal(spool_verify(sp, NULL), SPOOL_OK);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	signal(SIGXFSZ, SIG_DFL);
	tdir_remove(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_vectors),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_cfg_and_args),
		cmocka_unit_test(test_roundtrip_segments),
		cmocka_unit_test(test_ack_deletes_segments),
		cmocka_unit_test(test_ack_moves_reader),
		cmocka_unit_test(test_size_bound),
		cmocka_unit_test(test_read_while_appending),
		cmocka_unit_test(test_rewind_window),
		cmocka_unit_test(test_read_skip),
		cmocka_unit_test(test_sync_policies),
		cmocka_unit_test(test_write_failure_rollback),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_creates_directory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
