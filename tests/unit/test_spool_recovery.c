/*
 * Delivery spool, recovery: a torn tail cut at every byte offset of the last record, a bit flip
 * in every byte of the last record (torn) versus in a record followed by intact ones (corrupt,
 * reported with file and offset; salvage on request), damage in an older segment found by the
 * reader and by verify, missing and extra segment files, a missing, corrupt or leftover cursor,
 * a cursor ahead of the data, zeros at the tail, a torn new segment header.
 * Damage is made by editing the files the spool wrote, the way a crash or a disk would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "spool/spool.h"
#include "spool/spool_fmt.h"

#define SMALL_SEG 8192u
#define MAXSEGS 64

struct tdir {
	char path[256];
};

static void
tdir_make(struct tdir *t)
{
	const char *base = getenv("TMPDIR");
	snprintf(t->path, sizeof(t->path), "%s/spool-rtest.XXXXXX", base ? base : "/tmp");
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

static void
path_of(const struct tdir *t, const char *name, char out[512])
{
	snprintf(out, 512, "%s/%s", t->path, name);
}

static void
seg_path(const struct tdir *t, uint64_t first, char out[512])
{
	char name[SPOOL_SEGNAME_LEN + 1];
	spool_fmt_segname(name, first);
	path_of(t, name, out);
}

static uint8_t *
read_file(const char *p, size_t *len)
{
	struct stat st;
	int fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	uint8_t *buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void
write_file(const char *p, const void *buf, size_t len)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	if (len > 0)
		assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static uint64_t
file_size(const char *p)
{
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	return (uint64_t)st.st_size;
}

/* Sorted first record numbers of the segment files. */
static size_t
list_segs(const struct tdir *t, uint64_t firsts[MAXSEGS])
{
	DIR *d = opendir(t->path);
	struct dirent *de;
	size_t n = 0;
	uint64_t f;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (spool_fmt_segname_parse(de->d_name, &f)) {
			assert_true(n < MAXSEGS);
			firsts[n++] = f;
		}
	closedir(d);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && firsts[j - 1] > firsts[j]; j--) {
			uint64_t x = firsts[j];
			firsts[j] = firsts[j - 1];
			firsts[j - 1] = x;
		}
	return n;
}

/* Record content and length: functions of the record number. */
static size_t
rec_len(uint64_t recno)
{
	return 200 + (size_t)((recno * 7919) % 601);
}

static void
rec_fill(uint8_t *buf, uint64_t recno, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(recno * 29 + i * 3 + 1);
}

static void
small_cfg(struct spool_cfg *cfg)
{
	spool_cfg_default(cfg);
	cfg->segment_bytes = SMALL_SEG;
	cfg->max_bytes = 256 * SMALL_SEG;
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

static void
append_len(struct spool *sp, uint64_t expect, size_t len)
{
	uint8_t buf[2048];
	uint64_t recno = 0;

	assert_true(len <= sizeof(buf));
	rec_fill(buf, expect, len);
	assert_int_equal(spool_append(sp, buf, len, &recno), SPOOL_OK);
	assert_int_equal(recno, expect);
}

static void
read_expect_len(struct spool *sp, uint64_t expect, size_t want_len)
{
	uint8_t buf[2048], want[2048];
	size_t len = 0;
	uint64_t recno = 0;
	enum spool_err e = spool_read_next(sp, buf, sizeof(buf), &len, &recno);

	if (e != SPOOL_OK) {
		char msg[256];
		spool_error_format(spool_last_error(sp), msg, sizeof(msg));
		fail_msg("read of %llu: %s: %s", (unsigned long long)expect, spool_strerror(e), msg);
	}
	assert_int_equal(recno, expect);
	assert_int_equal(len, want_len);
	rec_fill(want, expect, len);
	assert_memory_equal(buf, want, len);
}

static void
read_expect(struct spool *sp, uint64_t expect)
{
	read_expect_len(sp, expect, rec_len(expect));
}

static enum spool_err
read_status(struct spool *sp)
{
	uint8_t buf[2048];
	size_t len;
	uint64_t recno;
	return spool_read_next(sp, buf, sizeof(buf), &len, &recno);
}

/* Offset of record r in a segment whose first record is first (rec_len sizes). */
static uint64_t
rec_off(uint64_t first, uint64_t r)
{
	uint64_t off = SPOOL_SEG_HDRLEN;
	for (uint64_t i = first; i < r; i++)
		off += SPOOL_REC_HDRLEN + rec_len(i);
	return off;
}

/* A one-segment spool with records 1..4 of rec_len sizes and record 5 of 64 bytes. */
#define LAST_LEN 64
static void
make_five(const struct tdir *t, const struct spool_cfg *cfg)
{
	struct spool *sp = open_ok(t, cfg);
	for (uint64_t r = 1; r <= 4; r++)
		append_len(sp, r, rec_len(r));
	append_len(sp, 5, LAST_LEN);
	assert_int_equal(spool_close(sp), SPOOL_OK);
}

/* ------------------------------------------------------------------------------------------ */

static void
test_torn_tail_every_offset(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool_stats st;
	char seg[512];
	size_t size;
	uint8_t *orig;

	tdir_make(&t);
	spool_cfg_default(&cfg);
	cfg.segment_bytes = 65536;
	cfg.max_bytes = 4 * 65536;
	make_five(&t, &cfg);
	seg_path(&t, 1, seg);
	orig = read_file(seg, &size);
	uint64_t off5 = rec_off(1, 5);
	assert_int_equal(size, off5 + SPOOL_REC_HDRLEN + LAST_LEN);

	for (uint64_t cut = off5; cut < size; cut++) {
		/* A crash cut the last append at byte `cut`; for odd cuts the lost bytes read as
		 * zeros instead (a power loss after the size reached the disk, not the data).
		 * cut == off5 is a clean end: nothing to repair. */
		uint8_t *damaged = malloc(size);
		size_t dlen = (size_t)cut;
		assert_non_null(damaged);
		memcpy(damaged, orig, size);
		if (cut % 2 == 1) {
			memset(damaged + cut, 0, size - cut);
			dlen = size;
		}
		write_file(seg, damaged, dlen);
		free(damaged);

		struct spool *sp = open_ok(&t, &cfg);
		spool_stats(sp, &st);
		assert_int_equal(st.torn_repaired, dlen > off5 ? 1 : 0);
		assert_int_equal(st.torn_bytes, dlen - off5);
		assert_int_equal(st.next_recno, 5);
		assert_int_equal(file_size(seg), off5);
		for (uint64_t r = 1; r <= 4; r++)
			read_expect(sp, r);
		assert_int_equal(read_status(sp), SPOOL_E_EMPTY);
		/* The spool carries on: record 5 is appended again and survives a reopen. */
		append_len(sp, 5, 100);
		read_expect_len(sp, 5, 100);
		assert_int_equal(spool_close(sp), SPOOL_OK);
		sp = open_ok(&t, &cfg);
		spool_stats(sp, &st);
		assert_int_equal(st.torn_repaired, 0);
		for (uint64_t r = 1; r <= 4; r++)
			read_expect(sp, r);
		read_expect_len(sp, 5, 100);
		assert_int_equal(spool_close(sp), SPOOL_OK);
	}
	free(orig);
	tdir_remove(&t);
}

static void
test_bitflip_last_record_is_torn(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool_stats st;
	char seg[512];
	size_t size;
	uint8_t *orig;

	tdir_make(&t);
	spool_cfg_default(&cfg);
	cfg.segment_bytes = 65536;
	cfg.max_bytes = 4 * 65536;
	make_five(&t, &cfg);
	seg_path(&t, 1, seg);
	orig = read_file(seg, &size);
	uint64_t off5 = rec_off(1, 5);

	/* One flipped bit in every byte of the last record (length, number, checksum and
	 * payload): nothing intact follows, so it is a torn tail, truncated. */
	for (uint64_t pos = off5; pos < size; pos++) {
		orig[pos] ^= (uint8_t)(1u << (pos % 8));
		write_file(seg, orig, size);
		orig[pos] ^= (uint8_t)(1u << (pos % 8));

		struct spool *sp = open_ok(&t, &cfg);
		spool_stats(sp, &st);
		assert_int_equal(st.torn_repaired, 1);
		assert_int_equal(st.torn_bytes, size - off5);
		assert_int_equal(file_size(seg), off5);
		for (uint64_t r = 1; r <= 4; r++)
			read_expect(sp, r);
		assert_int_equal(read_status(sp), SPOOL_E_EMPTY);
		assert_int_equal(spool_close(sp), SPOOL_OK);
	}
	free(orig);
	tdir_remove(&t);
}

static void
test_bitflip_middle_is_corrupt(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool_stats st;
	struct spool_error err;
	char seg[512], q[512], qname[128];
	size_t size;
	uint8_t *orig;

	tdir_make(&t);
	spool_cfg_default(&cfg);
	cfg.segment_bytes = 65536;
	cfg.max_bytes = 4 * 65536;
	make_five(&t, &cfg);
	seg_path(&t, 1, seg);
	orig = read_file(seg, &size);

	for (uint64_t r = 1; r <= 4; r++) {
		uint64_t off = rec_off(1, r);
		/* Alternate between the length field and the payload of record r. */
		uint64_t pos = (r % 2) ? off + 2 : off + SPOOL_REC_HDRLEN + 17;

		orig[pos] ^= 0x40;
		write_file(seg, orig, size);
		orig[pos] ^= 0x40;

		/* Intact records follow: corruption, reported with the place, nothing changed. */
		assert_null(spool_open(t.path, &cfg, &err));
		assert_int_equal(err.code, SPOOL_E_CORRUPT);
		assert_string_equal(err.file, "seg-0000000000000001.spl");
		assert_int_equal(err.offset, off);
		assert_int_equal(err.recno, r);
		assert_int_equal(file_size(seg), size);

		/* The caller may choose salvage: the damaged bytes are kept in a quarantine file
		 * and the segment is cut before them. */
		cfg.salvage = 1;
		struct spool *sp = open_ok(&t, &cfg);
		cfg.salvage = 0;
		spool_stats(sp, &st);
		assert_int_equal(st.salvaged_bytes, size - off);
		assert_int_equal(st.torn_repaired, 0);
		assert_int_equal(st.next_recno, r);
		for (uint64_t k = 1; k < r; k++)
			read_expect(sp, k);
		assert_int_equal(read_status(sp), SPOOL_E_EMPTY);
		assert_int_equal(spool_close(sp), SPOOL_OK);
		snprintf(qname, sizeof(qname), "quarantine-seg-0000000000000001.spl-%016llx",
		    (unsigned long long)off);
		path_of(&t, qname, q);
		size_t qlen;
		uint8_t *qb = read_file(q, &qlen);
		assert_int_equal(qlen, size - off);
		orig[pos] ^= 0x40;
		assert_memory_equal(qb, orig + off, qlen);
		orig[pos] ^= 0x40;
		free(qb);
		assert_int_equal(unlink(q), 0);
	}
	free(orig);
	tdir_remove(&t);
}

/* Builds a multi-segment spool of n records; returns the segment count and their firsts. */
static size_t
make_multi(const struct tdir *t, const struct spool_cfg *cfg, uint64_t n, uint64_t firsts[MAXSEGS])
{
	struct spool *sp = open_ok(t, cfg);
	for (uint64_t r = 1; r <= n; r++)
		append_len(sp, r, rec_len(r));
	assert_int_equal(spool_close(sp), SPOOL_OK);
	size_t k = list_segs(t, firsts);
	assert_true(k >= 5);
	return k;
}

static void
test_corrupt_older_segment(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool_stats st;
	uint64_t firsts[MAXSEGS], a, b, n;
	char seg[512];
	size_t size;

	tdir_make(&t);
	small_cfg(&cfg);
	make_multi(&t, &cfg, 80, firsts);
	/* Flip a payload byte of the third record of the second segment. */
	uint64_t bad = firsts[1] + 2;
	seg_path(&t, firsts[1], seg);
	uint8_t *buf = read_file(seg, &size);
	uint64_t off = rec_off(firsts[1], bad);
	buf[off + SPOOL_REC_HDRLEN + 5] ^= 0x01;
	write_file(seg, buf, size);
	free(buf);

	/* Only the newest segment is scanned at open; the reader finds the damage in order. */
	struct spool *sp = open_ok(&t, &cfg);
	for (uint64_t r = 1; r < bad; r++)
		read_expect(sp, r);
	for (int i = 0; i < 2; i++) {	/* it stays stopped there */
		assert_int_equal(read_status(sp), SPOOL_E_CORRUPT);
		const struct spool_error *e = spool_last_error(sp);
		assert_int_equal(e->offset, off);
		assert_int_equal(e->recno, bad);
		assert_string_equal(e->what, "record checksum mismatch");
		char name[SPOOL_SEGNAME_LEN + 1];
		spool_fmt_segname(name, firsts[1]);
		assert_string_equal(e->file, name);
	}
	assert_int_equal(spool_verify(sp, &n), SPOOL_E_CORRUPT);
	assert_int_equal(spool_last_error(sp)->offset, off);
	/* The caller gives the damaged range up (and reports it as a gap). */
	assert_int_equal(spool_skip_damaged(sp, &a, &b), SPOOL_OK);
	assert_int_equal(a, bad);
	assert_int_equal(b, firsts[2] - 1);
	for (uint64_t r = firsts[2]; r <= 80; r++)
		read_expect(sp, r);
	assert_int_equal(read_status(sp), SPOOL_E_EMPTY);
	spool_stats(sp, &st);
	assert_int_equal(st.skipped_records, b - a + 1);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	tdir_remove(&t);
}

static void
test_missing_segment(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool_error err;
	uint64_t firsts[MAXSEGS], a, b, n;
	char seg[512];

	tdir_make(&t);
	small_cfg(&cfg);
	size_t k = make_multi(&t, &cfg, 80, firsts);
	seg_path(&t, firsts[2], seg);
	assert_int_equal(unlink(seg), 0);

	struct spool *sp = open_ok(&t, &cfg);
	assert_int_equal(spool_verify(sp, &n), SPOOL_E_GAP);
	for (uint64_t r = 1; r < firsts[2]; r++)
		read_expect(sp, r);
	assert_int_equal(read_status(sp), SPOOL_E_GAP);
	assert_int_equal(spool_last_error(sp)->recno, firsts[2]);
	assert_int_equal(spool_skip_damaged(sp, &a, &b), SPOOL_OK);
	assert_int_equal(a, firsts[2]);
	assert_int_equal(b, firsts[3] - 1);
	for (uint64_t r = firsts[3]; r <= 80; r++)
		read_expect(sp, r);
	assert_int_equal(spool_close(sp), SPOOL_OK);

	/* The oldest segment missing while the cursor says its records are undelivered:
	 * refused at open. */
	seg_path(&t, firsts[0], seg);
	assert_int_equal(unlink(seg), 0);
	assert_null(spool_open(t.path, &cfg, &err));
	assert_int_equal(err.code, SPOOL_E_GAP);
	assert_int_equal(err.recno, 1);

	/* ... but fine once the cursor covers them. */
	char cur[512];
	uint8_t cb[SPOOL_CUR_LEN];
	struct ovt_builder bld;
	bld_init_fixed(&bld, cb, sizeof(cb));
	spool_fmt_cursor_build(&bld, firsts[1] - 1);
	path_of(&t, SPOOL_CURSOR_NAME, cur);
	write_file(cur, cb, bld_len(&bld));
	sp = open_ok(&t, &cfg);
	read_expect(sp, firsts[1]);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	(void)k;
	tdir_remove(&t);
}

static void
test_extra_files(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool_error err;
	uint64_t firsts[MAXSEGS], a, b;
	char p[512];

	tdir_make(&t);
	small_cfg(&cfg);
	make_multi(&t, &cfg, 80, firsts);

	/* Names that are not segments are left alone. */
	path_of(&t, "notes.txt", p);
	write_file(p, "x", 1);
	path_of(&t, "seg-zz.spl", p);
	write_file(p, "x", 1);
	path_of(&t, "seg-0000000000000ABC.spl", p);
	write_file(p, "x", 1);

	/* A stray but well-formed segment inside the first segment's range (an operator copied
	 * one in): the reader refuses the overlap at the boundary. */
	uint8_t buf[256], hdr[SPOOL_REC_HDRLEN], payload[40];
	struct ovt_builder bld;
	uint64_t stray = firsts[0] + 3;
	bld_init_fixed(&bld, buf, sizeof(buf));
	spool_fmt_seghdr_build(&bld, stray);
	rec_fill(payload, stray, sizeof(payload));
	spool_fmt_rechdr_build(hdr, payload, sizeof(payload), stray);
	bld_add_bytes(&bld, hdr, sizeof(hdr));
	bld_add_bytes(&bld, payload, sizeof(payload));
	assert_true(bld_ok(&bld));
	seg_path(&t, stray, p);
	write_file(p, buf, bld_len(&bld));

	struct spool *sp = open_ok(&t, &cfg);
	for (uint64_t r = 1; r < firsts[1]; r++)
		read_expect(sp, r);
	assert_int_equal(read_status(sp), SPOOL_E_ORDER);
	assert_int_equal(spool_skip_damaged(sp, &a, &b), SPOOL_OK);
	assert_true(a > b);	/* nothing given up: the next real segment continues */
	for (uint64_t r = firsts[1]; r <= 80; r++)
		read_expect(sp, r);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	assert_int_equal(unlink(p), 0);

	/* A segment whose header disagrees with its name is refused at open. */
	bld_init_fixed(&bld, buf, sizeof(buf));
	spool_fmt_seghdr_build(&bld, 999);
	seg_path(&t, firsts[1], p);
	size_t size;
	uint8_t *seg = read_file(p, &size);
	memcpy(seg, buf, SPOOL_SEG_HDRLEN);
	write_file(p, seg, size);
	free(seg);
	assert_null(spool_open(t.path, &cfg, &err));
	assert_int_equal(err.code, SPOOL_E_BADSEG);
	assert_string_equal(err.what, "segment header's first record differs from its file name");
	path_of(&t, "notes.txt", p);
	unlink(p);
	tdir_remove(&t);
}

static void
test_cursor_missing_or_corrupt(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool_stats st;
	uint64_t firsts[MAXSEGS];
	char cur[512], tmp[512];
	size_t clen;

	tdir_make(&t);
	small_cfg(&cfg);
	make_multi(&t, &cfg, 80, firsts);
	struct spool *sp = open_ok(&t, &cfg);
	assert_int_equal(spool_ack(sp, 30), SPOOL_OK);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	path_of(&t, SPOOL_CURSOR_NAME, cur);
	path_of(&t, SPOOL_CURSOR_TMP, tmp);
	uint8_t *good = read_file(cur, &clen);
	assert_int_equal(clen, SPOOL_CUR_LEN);
	size_t k = list_segs(&t, firsts);
	assert_true(firsts[0] > 1 && firsts[0] <= 31);

	/* A leftover temp file (crash before rename) is removed; the old cursor holds. */
	write_file(tmp, "garbage", 7);
	sp = open_ok(&t, &cfg);
	spool_stats(sp, &st);
	assert_int_equal(st.acked, 30);
	assert_int_equal(st.cursor_recovered, 0);
	assert_int_equal(access(tmp, F_OK), -1);
	read_expect(sp, 31);
	assert_int_equal(spool_close(sp), SPOOL_OK);

	/* Missing, empty, short, long, flipped: replay restarts at the oldest record present
	 * (duplicates, never loss), reported, and a fresh cursor is written. */
	for (int v = 0; v < 5; v++) {
		uint8_t bad[SPOOL_CUR_LEN + 1];
		memcpy(bad, good, SPOOL_CUR_LEN);
		bad[SPOOL_CUR_LEN] = 0;
		switch (v) {
		case 0: assert_int_equal(unlink(cur), 0); break;
		case 1: write_file(cur, bad, 0); break;
		case 2: write_file(cur, bad, SPOOL_CUR_LEN - 1); break;
		case 3: write_file(cur, bad, SPOOL_CUR_LEN + 1); break;
		default: bad[12] ^= 0x08; write_file(cur, bad, SPOOL_CUR_LEN); break;
		}
		sp = open_ok(&t, &cfg);
		spool_stats(sp, &st);
		assert_int_equal(st.cursor_recovered, v == 0 ? 1 : 2);
		assert_int_equal(st.acked, firsts[0] - 1);
		assert_int_equal(st.next_recno, 81);
		read_expect(sp, firsts[0]);
		assert_int_equal(spool_close(sp), SPOOL_OK);
		assert_int_equal(file_size(cur), SPOOL_CUR_LEN);
		write_file(cur, good, SPOOL_CUR_LEN);
	}
	free(good);
	(void)k;
	tdir_remove(&t);
}

static void
test_cursor_ahead_of_data(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool_stats st;
	uint8_t cb[SPOOL_CUR_LEN];
	struct ovt_builder bld;
	char cur[512];
	uint64_t n;

	/* Acknowledged records lost from an unsynced tail (they were delivered): numbering goes
	 * on after the cursor, in a new segment, so no segment skips a number. */
	tdir_make(&t);
	spool_cfg_default(&cfg);
	cfg.segment_bytes = 65536;
	cfg.max_bytes = 4 * 65536;
	make_five(&t, &cfg);
	bld_init_fixed(&bld, cb, sizeof(cb));
	spool_fmt_cursor_build(&bld, 9);
	path_of(&t, SPOOL_CURSOR_NAME, cur);
	write_file(cur, cb, bld_len(&bld));

	struct spool *sp = open_ok(&t, &cfg);
	spool_stats(sp, &st);
	assert_int_equal(st.next_recno, 10);
	assert_int_equal(st.pending, 0);
	assert_int_equal(read_status(sp), SPOOL_E_EMPTY);
	append_len(sp, 10, 300);
	read_expect_len(sp, 10, 300);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	sp = open_ok(&t, &cfg);
	assert_int_equal(spool_verify(sp, &n), SPOOL_OK);
	read_expect_len(sp, 10, 300);
	spool_stats(sp, &st);
	assert_int_equal(st.next_recno, 11);
	assert_int_equal(spool_ack(sp, 10), SPOOL_OK);
	assert_int_equal(spool_flush(sp), SPOOL_OK);
	spool_stats(sp, &st);
	assert_int_equal(st.segments, 1);	/* the old tail, all acknowledged, is gone */
	assert_int_equal(spool_close(sp), SPOOL_OK);
	tdir_remove(&t);
}

static void
test_torn_segment_header(void **state)
{
	struct tdir t;
	struct spool_cfg cfg;
	struct spool_stats st;
	struct spool_error err;
	uint64_t firsts[MAXSEGS];
	char seg[512];
	size_t size;

	tdir_make(&t);
	small_cfg(&cfg);
	size_t k = make_multi(&t, &cfg, 60, firsts);
	uint64_t tf = firsts[k - 1];
	seg_path(&t, tf, seg);
	uint8_t *orig = read_file(seg, &size);

	/* The newest segment cut inside its header (crash right after creating it): removed. */
	for (size_t cut = 0; cut < SPOOL_SEG_HDRLEN; cut++) {
		write_file(seg, orig, cut);
		struct spool *sp = open_ok(&t, &cfg);
		spool_stats(sp, &st);
		assert_int_equal(st.torn_repaired, 1);
		assert_int_equal(st.torn_bytes, cut);
		assert_int_equal(st.next_recno, tf);
		assert_int_equal(access(seg, F_OK), -1);
		assert_int_equal(spool_verify(sp, NULL), SPOOL_OK);
		assert_int_equal(spool_close(sp), SPOOL_OK);
	}
	/* Header only: a valid empty tail, the next append goes there. */
	write_file(seg, orig, SPOOL_SEG_HDRLEN);
	struct spool *sp = open_ok(&t, &cfg);
	spool_stats(sp, &st);
	assert_int_equal(st.torn_repaired, 0);
	append_len(sp, tf, rec_len(tf));
	assert_int_equal(spool_close(sp), SPOOL_OK);
	assert_int_equal(file_size(seg), SPOOL_SEG_HDRLEN + SPOOL_REC_HDRLEN + rec_len(tf));

	/* A damaged header followed by intact records is not a torn tail. */
	write_file(seg, orig, size);
	orig[3] ^= 0x01;
	write_file(seg, orig, size);
	assert_null(spool_open(t.path, &cfg, &err));
	assert_int_equal(err.code, SPOOL_E_BADSEG);
	cfg.salvage = 1;
	sp = open_ok(&t, &cfg);
	spool_stats(sp, &st);
	assert_int_equal(st.salvaged_bytes, size);
	assert_int_equal(st.next_recno, tf);
	assert_int_equal(spool_close(sp), SPOOL_OK);
	/* A damaged header of an older segment is always reported. */
	cfg.salvage = 0;
	seg_path(&t, firsts[1], seg);
	free(orig);
	orig = read_file(seg, &size);
	orig[0] = 'X';
	write_file(seg, orig, size);
	assert_null(spool_open(t.path, &cfg, &err));
	assert_int_equal(err.code, SPOOL_E_BADSEG);
	free(orig);
	tdir_remove(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_torn_tail_every_offset),
		cmocka_unit_test(test_bitflip_last_record_is_torn),
		cmocka_unit_test(test_bitflip_middle_is_corrupt),
		cmocka_unit_test(test_corrupt_older_segment),
		cmocka_unit_test(test_missing_segment),
		cmocka_unit_test(test_extra_files),
		cmocka_unit_test(test_cursor_missing_or_corrupt),
		cmocka_unit_test(test_cursor_ahead_of_data),
		cmocka_unit_test(test_torn_segment_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
