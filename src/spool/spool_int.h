/*
 * Internals of the spool shared by spool.c (open, append, sync, ack), spool_recover.c (checks
 * and repairs at open) and spool_read.c (read cache, record reader, replay, verify).  Not part of
 * the API: only src/spool/ includes this file.
 */
#ifndef OVERT_SPOOL_SPOOL_INT_H
#define OVERT_SPOOL_SPOOL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "spool/spool.h"
#include "spool/spool_fmt.h"

#define SPOOL_RCACHE_SIZE	(64u * 1024u)	/* the read buffer: the spool's main allocation */
/* Bytes of candidate payload the tail classification may checksum while looking for an intact
 * record after damage.  Past it the damage is reported as corruption: when unsure, the spool
 * reports rather than truncates. */
#define SPOOL_RESYNC_CRC_MAX	(256ull * 1024 * 1024)

struct spool_seg {
	uint64_t first;		/* first record number (file name and header) */
	uint64_t size;		/* bytes; for the newest segment, the bytes appended so far */
};

/* One window of one segment file, read with pread.  Holds only bytes below the limit the caller
 * gave (committed bytes), so appends never make it stale; truncations invalidate it. */
struct spool_rcache {
	uint8_t *buf;		/* SPOOL_RCACHE_SIZE bytes */
	uint64_t key;		/* first record number of the segment cached */
	uint64_t off;
	size_t len;
	int valid;
};

enum spool_rec_mode {
	SPOOL_REC_SKIP,		/* header only: framing and number, payload not read */
	SPOOL_REC_CHECK,	/* stream the payload through the checksum */
	SPOOL_REC_COPY		/* copy the payload into the caller's buffer and check it */
};

enum spool_rec_status {
	SPOOL_REC_OK,
	SPOOL_REC_END,		/* offset == limit: no more records */
	SPOOL_REC_SHORT,	/* header or payload runs past the limit */
	SPOOL_REC_BADHDR,	/* length out of range */
	SPOOL_REC_BADCRC,
	SPOOL_REC_RECNO,	/* framing fine, not the record number expected */
	SPOOL_REC_IO,		/* errno set */
	SPOOL_REC_BUFSMALL
};

struct spool_rec {
	uint64_t recno;
	uint32_t len;
	uint64_t end;		/* offset just past the record */
	const char *why;	/* reason when not OK */
};

struct spool {
	int dirfd;		/* the spool directory, flock'ed */
	struct spool_cfg cfg;
	uint64_t rec_limit;	/* largest payload an append accepts */

	struct spool_seg *segs;	/* oldest first; segs[nsegs - 1] is the tail */
	size_t nsegs, segcap;
	int tailfd;		/* read-write descriptor of the tail, -1 if no segment */
	uint64_t bytes;		/* sum of segs[].size */

	uint64_t next_recno;
	uint64_t stored_last;	/* highest record number in the files */
	uint64_t acked;		/* in memory */
	uint64_t acked_disk;	/* in the cursor file */
	uint64_t durable;
	uint64_t tail_synced;	/* tail bytes known durable */
	uint32_t changes;	/* appends and acks since the last sync point */
	uint64_t change_ms;	/* monotonic time of the oldest of them */
	int dir_dirty;		/* directory entries created since the last directory fsync */
	int force_roll;		/* next append starts a segment (numbering jumped past the tail) */
	int broken;

	/* the replay reader */
	int rd_fd;
	int rd_pos;		/* rd_seg/rd_off valid; else seek to rd_next lazily */
	int rd_stuck;		/* last read hit damage; spool_skip_damaged may move on */
	size_t rd_seg;
	uint64_t rd_off;
	uint64_t rd_next;

	/* where the last SPOOL_RECENT appends went (spool_read_skip), by recno % SPOOL_RECENT */
	struct spool_recent {
		uint64_t recno;		/* 0: none */
		uint64_t seg_first;	/* its segment */
		uint64_t off;		/* offset of its frame header */
		uint64_t len;		/* payload octets */
	} recent[SPOOL_RECENT];

	struct spool_rcache rc;
	struct spool_stats st;
	struct spool_error err;
};

/* spool.c */
enum spool_err spool_fail(struct spool_error *e, enum spool_err code, int sys_errno,
    uint64_t segfirst, uint64_t off, uint64_t recno, const char *what);
enum spool_err spool_fail_file(struct spool_error *e, enum spool_err code, int sys_errno,
    const char *file, uint64_t off, uint64_t recno, const char *what);
int spool_write_full(int fd, const void *a, size_t alen, const void *b, size_t blen, uint64_t off);

/* spool_read.c */
void spool_rc_invalidate(struct spool *sp);
/* n bytes at off (n <= SPOOL_RCACHE_SIZE, off + n <= limit) as a cursor valid until the next
 * call.  0, or -1 with errno set (EIO if the file is shorter than limit). */
int spool_rc_get(struct spool *sp, int fd, uint64_t key, uint64_t off, size_t n, uint64_t limit,
    struct ovt_cursor *out);
/* Reads and checks the record at off of the segment open on fd (key = its first number), whose
 * valid bytes end at limit.  expect == 0 accepts any number. */
enum spool_rec_status spool_rec_read(struct spool *sp, int fd, uint64_t key, uint64_t off,
    uint64_t limit, uint64_t expect, enum spool_rec_mode mode, void *buf, size_t cap,
    struct spool_rec *r);
/* Opens segment i read-only (-1, errno). */
int spool_seg_open(struct spool *sp, size_t i, int flags);
void spool_reader_reset(struct spool *sp);

/* spool_recover.c */
enum spool_err spool_recover_headers(struct spool *sp);
enum spool_err spool_recover_tail(struct spool *sp, uint64_t *out_last);

#endif
