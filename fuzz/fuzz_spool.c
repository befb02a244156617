/*
 * libFuzzer target: arbitrary bytes as a spool segment file, fed to recovery (spool_open) and to
 * the reader, verify and skip paths, plus the pure format parsers.  The first input byte picks
 * the scenario: bit 0 salvage, bit 1 the bytes are an older segment followed by a valid empty
 * newest one (so they reach the reader, not recovery), bits 2-3 the cursor file (none, valid
 * with value byte 2, garbage).  Files live in one private temporary directory, emptied after
 * each input.  Whatever the bytes, the spool must refuse with an error or hand out only records
 * whose checksum and number are right, never crash or leak.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/bytes.h"
#include "spool/spool.h"
#include "spool/spool_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fz_dir[256];
static uint8_t fz_buf[SPOOL_RECORD_MAX];

static void
fz_clean(void)
{
	DIR *d = opendir(fz_dir);
	struct dirent *de;
	char p[512];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", fz_dir, de->d_name);
		unlink(p);
	}
	closedir(d);
}

static void
fz_atexit(void)
{
	fz_clean();
	rmdir(fz_dir);
}

static void
fz_write(const char *name, const void *p, size_t n)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fz_dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (n > 0 && write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
}

static void
fz_parsers(const uint8_t *data, size_t size)
{
	struct ovt_cursor c;
	struct spool_rechdr h;
	uint64_t v;

	cur_init(&c, data, size);
	(void)spool_fmt_seghdr_parse(&c, &v);
	cur_init(&c, data, size);
	while (cur_len(&c) >= SPOOL_REC_HDRLEN)
		if (spool_fmt_rechdr_parse(&c, &h) != NULL || !cur_skip(&c, 1))
			break;
	cur_init(&c, data, size < SPOOL_CUR_LEN ? size : SPOOL_CUR_LEN);
	(void)spool_fmt_cursor_parse(&c, &v);
}

static void
fz_consume(struct spool *sp)
{
	/* Bounded: each iteration returns a record or moves past damage. */
	for (int i = 0; i < 100000; i++) {
		size_t len;
		uint64_t recno, a, b;
		enum spool_err e = spool_read_next(sp, fz_buf, sizeof(fz_buf), &len, &recno);
		if (e == SPOOL_OK)
			continue;
		if (e == SPOOL_E_EMPTY || spool_skip_damaged(sp, &a, &b) != SPOOL_OK)
			return;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_cfg cfg;
	struct spool *sp;
	uint8_t mode, cb[SPOOL_CUR_LEN + 8];
	struct ovt_builder b;
	char name[SPOOL_SEGNAME_LEN + 1];
	uint64_t recno;

	if (fz_dir[0] == '\0') {
		const char *base = getenv("TMPDIR");
		snprintf(fz_dir, sizeof(fz_dir), "%s/fuzz-spool.XXXXXX", base ? base : "/tmp");
		if (mkdtemp(fz_dir) == NULL)
			abort();
		atexit(fz_atexit);
	}
	if (size < 2)
		return 0;
	mode = data[0];
	fz_parsers(data + 2, size - 2);

	spool_fmt_segname(name, 1);
	fz_write(name, data + 2, size - 2);
	if (mode & 0x2) {
		/* A valid empty newest segment after the fuzzed one. */
		uint8_t hdr[SPOOL_SEG_HDRLEN];
		bld_init_fixed(&b, hdr, sizeof(hdr));
		spool_fmt_seghdr_build(&b, 1u + data[1]);
		spool_fmt_segname(name, 1u + data[1]);
		if (data[1] != 0)
			fz_write(name, hdr, bld_len(&b));
	}
	switch ((mode >> 2) & 0x3) {
	case 1:
		bld_init_fixed(&b, cb, sizeof(cb));
		spool_fmt_cursor_build(&b, data[1] / 4);
		fz_write(SPOOL_CURSOR_NAME, cb, bld_len(&b));
		break;
	case 2:
		fz_write(SPOOL_CURSOR_NAME, data + 2, size - 2 < 24 ? size - 2 : 24);
		break;
	default:
		break;
	}

	spool_cfg_default(&cfg);
	cfg.segment_bytes = 65536;
	cfg.max_bytes = 16 * 65536;
	cfg.sync = SPOOL_SYNC_NONE;
	cfg.salvage = mode & 0x1;
	sp = spool_open(fz_dir, &cfg, NULL);
	if (sp != NULL) {
		fz_consume(sp);
		(void)spool_verify(sp, NULL);
		memset(fz_buf, 0x5a, 100);
		if (spool_append(sp, fz_buf, 100, &recno) == SPOOL_OK) {
			spool_rewind(sp);
			fz_consume(sp);
			(void)spool_ack(sp, recno);
		}
		(void)spool_close(sp);
	}
	fz_clean();
	return 0;
}
