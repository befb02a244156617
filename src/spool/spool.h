/*
 * Crash-safe delivery spool of the mediation function (MDF): one directory per agency
 * destination and stream (HI2 and HI3 spool separately).  Records are opaque byte strings (encoded
 * PDUs) numbered 1, 2, 3, ... in append order; the numbers never go backwards for the life of the
 * directory.  The consumer (the delivery connection to the LEMF) reads them back in order and
 * acknowledges the highest number the LEMF is known to hold; replay after a restart or a broken
 * connection starts right after that number.  Delivery is therefore at-least-once: the LEMF drops
 * duplicates by (LIID, CIN, sequence number), which live inside the records.
 *
 * On disk (docs/spool.md has the byte layouts and the exact guarantees):
 *   seg-<16 hex digits>.spl  append-only segment files named by their first record number,
 *                            each record framed as length, record number and CRC-32C;
 *   cursor                   the acknowledged record number, replaced atomically
 *                            (temp file, fsync, rename, directory fsync).
 * The directory is locked (flock) while open, so two processes cannot share a spool.
 *
 * Durability when spool_append returns: SPOOL_SYNC_ALWAYS - on stable storage; SPOOL_SYNC_BATCH -
 * in the kernel (survives kill -9), on stable storage after the next batch point (batch_records
 * appends or batch_ms), spool_flush or spool_close; SPOOL_SYNC_NONE - in the kernel only, on stable
 * storage after spool_flush or spool_close.  spool_durable() tells which records are durable.
 *
 * Recovery on open scans the newest segment: a torn tail (damage that no intact record follows:
 * a partial record, a bad checksum or zeros at the very end) is truncated and counted; damage
 * followed by intact records is corruption and is reported (SPOOL_E_CORRUPT naming the file and
 * offset), never skipped, unless the caller asked for salvage.  Older segments are checked as the
 * reader reaches them (and by spool_verify); any damage there is reported the same way.
 *
 * Size: segment files never exceed cfg.max_bytes in total; an append that would cross it fails
 * with SPOOL_E_FULL and is counted (the caller raises the alarm).  Undelivered data is never
 * deleted to make room; a segment is deleted only once every record in it is acknowledged and
 * that acknowledgement is durable.
 *
 * Memory: about 70 KiB per open spool (a 64 KiB read buffer plus the state) and 16 bytes per
 * segment file (at most SPOOL_MAX_SEGMENTS).  Nothing grows with the number of records.
 * Errors: every function returning enum spool_err fills spool_last_error() with the file, offset
 * and reason.  Nothing here logs or exits.
 * Thread safety: a struct spool belongs to one thread at a time; different spools are independent.
 */
#ifndef OVERT_SPOOL_SPOOL_H
#define OVERT_SPOOL_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_RECORD_MAX	(1024u * 1024u)	/* format limit on one record's payload */
#define SPOOL_SEGMENT_MIN	4096u
#define SPOOL_SEGMENT_MAXSZ	(1024ull * 1024 * 1024)
#define SPOOL_MAX_BYTES_MAX	(1ull << 48)
#define SPOOL_MAX_SEGMENTS	65536u		/* segment files per spool, open refuses more */

enum spool_err {
	SPOOL_OK = 0,
	SPOOL_E_EMPTY,		/* nothing to read yet (not a failure) */
	SPOOL_E_INVAL,		/* bad argument or configuration */
	SPOOL_E_NOMEM,
	SPOOL_E_IO,		/* a system call failed; sys_errno says why */
	SPOOL_E_LOCKED,		/* another process holds this spool */
	SPOOL_E_FULL,		/* the append would cross cfg.max_bytes */
	SPOOL_E_TOOBIG,		/* record longer than the limit */
	SPOOL_E_BUFSMALL,	/* caller's buffer too small; *out_len says how big */
	SPOOL_E_ACK,		/* acknowledging a record that was never appended */
	SPOOL_E_BADSEG,		/* segment file header invalid or not matching its name */
	SPOOL_E_CORRUPT,	/* damaged record (framing or checksum) before the end */
	SPOOL_E_GAP,		/* records missing (a segment file is missing) */
	SPOOL_E_ORDER,		/* record number out of sequence (overlapping or stray segment) */
	SPOOL_E_BROKEN,		/* an earlier write or fsync failed; close and reopen */
	SPOOL_E_COUNT
};

enum spool_sync {
	SPOOL_SYNC_ALWAYS,
	SPOOL_SYNC_BATCH,
	SPOOL_SYNC_NONE
};

struct spool_cfg {
	uint64_t max_bytes;	/* bound on the sum of segment file sizes, >= 2 segments */
	uint64_t segment_bytes;	/* start a new segment file past this size */
	enum spool_sync sync;
	uint32_t batch_records;	/* BATCH/NONE: sync (NONE: rewrite the cursor) every N changes */
	uint32_t batch_ms;	/* BATCH/NONE: ... or when the oldest unsynced change is this old */
	int salvage;		/* open: quarantine and truncate corruption in the newest segment
				 * instead of failing with SPOOL_E_CORRUPT */
};

/* Details of the last failure.  file is a name inside the spool directory ("" if none). */
struct spool_error {
	enum spool_err code;
	int sys_errno;		/* errno for SPOOL_E_IO, else 0 */
	char file[64];
	uint64_t offset;	/* byte offset in file */
	uint64_t recno;		/* record number concerned, 0 if none */
	const char *what;	/* static text: the precise reason */
};

struct spool_stats {
	uint64_t bytes;		/* sum of segment file sizes */
	uint64_t segments;	/* segment files */
	uint64_t records;	/* records in the segment files (acknowledged or not) */
	uint64_t pending;	/* records not yet acknowledged */
	uint64_t next_recno;	/* number the next append gets */
	uint64_t acked;		/* highest acknowledged record (in memory) */
	uint64_t acked_durable;	/* ... as persisted in the cursor file */
	uint64_t durable;	/* highest record known to be on stable storage */
	uint64_t read_next;	/* number the reader returns next */
	uint64_t tail_first;	/* first record number of the newest segment (0 if none) */
	uint64_t tail_bytes;	/* its size */
	uint64_t appends;	/* successful appends since open */
	uint64_t full_events;	/* appends refused with SPOOL_E_FULL */
	uint64_t fsyncs;	/* fsync/fdatasync calls (data, directory and cursor) */
	uint64_t cursor_writes;	/* cursor file replacements */
	uint64_t segments_created;
	uint64_t segments_deleted;
	uint64_t torn_repaired;	/* torn tails truncated or torn segment files removed at open */
	uint64_t torn_bytes;	/* bytes those repairs removed */
	uint64_t salvaged_bytes; /* bytes moved to quarantine files by salvage */
	uint64_t skipped_records; /* records given up by spool_skip_damaged */
	uint64_t gc_errors;	/* segment deletions that failed (retried later) */
	int cursor_recovered;	/* open found the cursor file missing (1) or invalid (2) while
				 * segments existed: replay restarts at the oldest record */
};

/* Fills cfg with defaults: 64 MiB segments, 1 GiB bound, BATCH every 512 changes or 20 ms. */
void spool_cfg_default(struct spool_cfg *cfg);

/* Opens (creating it with mode 0700 if missing, one level) and recovers the spool in dir.
 * Returns the spool, or NULL with err filled (err may be NULL).  Leaves the directory locked
 * until spool_close. */
struct spool *spool_open(const char *dir, const struct spool_cfg *cfg, struct spool_error *err);

/* Flushes (as spool_flush), releases the lock and frees sp (NULL is harmless).  Returns the
 * flush result; sp is freed either way. */
enum spool_err spool_close(struct spool *sp);

/* Appends len bytes (1..the record limit: SPOOL_RECORD_MAX and the segment size) and stores the
 * record number in *out_recno.  Durability as the sync policy says (top of file).
 * SPOOL_E_FULL: nothing written, counted.  SPOOL_E_IO with *out_recno set: the record was written
 * but a following fsync failed; the spool is then broken (further appends SPOOL_E_BROKEN) and
 * must be reopened.  SPOOL_E_IO with *out_recno == 0: nothing written. */
enum spool_err spool_append(struct spool *sp, const void *data, size_t len, uint64_t *out_recno);

/* Makes every appended record and the acknowledgement cursor durable, whatever the policy. */
enum spool_err spool_flush(struct spool *sp);

/* Runs the time-based batch sync if it is due.  Call it from a timer; *out_next_ms (may be NULL)
 * receives the milliseconds until the next one is due, or -1 if nothing is pending. */
enum spool_err spool_poll(struct spool *sp, int *out_next_ms);

/* Highest record number known to be on stable storage. */
uint64_t spool_durable(const struct spool *sp);

/* Reads the next record in order into buf (cap bytes): SPOOL_OK with *out_len and *out_recno,
 * SPOOL_E_EMPTY when every appended record has been read, SPOOL_E_BUFSMALL with *out_len set
 * (nothing consumed), or an integrity error (SPOOL_E_CORRUPT/GAP/ORDER, details in
 * spool_last_error) which repeats until spool_skip_damaged.  Records appended by this handle
 * are readable immediately.  Never returns a partial or unverified record. */
enum spool_err spool_read_next(struct spool *sp, void *buf, size_t cap, size_t *out_len,
    uint64_t *out_recno);

/* The record number spool_read_next would return next (if it exists). */
uint64_t spool_read_pos(const struct spool *sp);

/* Moves the reader past record recno without reading it, for a caller that still holds the
 * record's len octets in memory exactly as it passed them to spool_append through this handle
 * (so they need no read-back and no checksum pass: they never left memory).  recno must be the
 * reader's next record, and one of the last SPOOL_RECENT appends whose length and place the
 * spool remembers; otherwise SPOOL_E_INVAL, nothing changes, and the caller reads it with
 * spool_read_next as usual. */
#define SPOOL_RECENT 64
enum spool_err spool_read_skip(struct spool *sp, uint64_t recno, size_t len);

/* Moves the reader back to the first unacknowledged record: after an abrupt disconnect, the
 * caller rewinds and resends everything after the last acknowledgement (the unacknowledged
 * window), since the kernel may not have delivered it. */
void spool_rewind(struct spool *sp);

/* Acknowledges every record up to recno (delivered to the LEMF).  Acknowledging less than before
 * is a no-op; more than was appended is SPOOL_E_ACK.  The cursor reaches the disk as the sync
 * policy says (ALWAYS: before returning) or at spool_flush; a lagging cursor only causes
 * duplicates.  If the reader is behind recno it jumps past it. */
enum spool_err spool_ack(struct spool *sp, uint64_t recno);

/* After the reader reported SPOOL_E_CORRUPT/GAP/ORDER: gives up the damaged records and moves the
 * reader to the next intact segment.  *out_first..*out_last is the range given up (empty when
 * *out_first > *out_last); the caller must alarm and report it as a gap.  SPOOL_E_INVAL if the
 * reader is not stuck on damage. */
enum spool_err spool_skip_damaged(struct spool *sp, uint64_t *out_first, uint64_t *out_last);

/* Reads every segment end to end and checks every checksum and number (the reader does the same
 * lazily).  Does not move the reader.  *out_records (may be NULL) gets the records checked. */
enum spool_err spool_verify(struct spool *sp, uint64_t *out_records);

void spool_stats(const struct spool *sp, struct spool_stats *out);
const struct spool_error *spool_last_error(const struct spool *sp);

const char *spool_strerror(enum spool_err e);
/* "seg-0000000000000001.spl offset 4096 record 57: checksum mismatch" into buf. */
void spool_error_format(const struct spool_error *e, char *buf, size_t len);

#endif
