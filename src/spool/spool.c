/*
 * The delivery spool: opening (directory, lock, segment list, cursor), appending with the
 * configured fsync policy, the acknowledgement cursor and the deletion of delivered segments.
 * Recovery lives in spool_recover.c, reading in spool_read.c; docs/spool.md states the
 * guarantees this code is meant to give and why each step is ordered the way it is.
 *
 * The ordering rules, all of them about what a crash at any instant may leave behind:
 *   - a record is one pwritev() of header and payload at the end of the tail; a failed or short
 *     write is cut back with ftruncate, so the file only ever holds whole appended records
 *     (plus, after a crash, one torn one that recovery removes);
 *   - a new segment file's directory entry is made durable (directory fsync) at the same sync
 *     point as the records in it, and the old tail is synced before the switch;
 *   - the cursor is replaced by rename of a synced temp file, then the directory is synced;
 *     only after that are segments at or below it deleted, so a cursor on disk never points
 *     past records that are gone while unacknowledged ones are kept.
 */
#include "spool/spool_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* Errors and small helpers                                                                   */

static const char *const spool_errstr[SPOOL_E_COUNT] = {
	[SPOOL_OK] = "ok",
	[SPOOL_E_EMPTY] = "no record to read",
	[SPOOL_E_INVAL] = "invalid argument or configuration",
	[SPOOL_E_NOMEM] = "out of memory",
	[SPOOL_E_IO] = "I/O error",
	[SPOOL_E_LOCKED] = "spool directory locked by another process",
	[SPOOL_E_FULL] = "spool full (size bound reached)",
	[SPOOL_E_TOOBIG] = "record too large",
	[SPOOL_E_BUFSMALL] = "buffer too small for record",
	[SPOOL_E_ACK] = "acknowledgement beyond the last record",
	[SPOOL_E_BADSEG] = "invalid segment file",
	[SPOOL_E_CORRUPT] = "corrupt record",
	[SPOOL_E_GAP] = "records missing",
	[SPOOL_E_ORDER] = "record number out of sequence",
	[SPOOL_E_BROKEN] = "spool unusable after a write or sync failure",
};

const char *
spool_strerror(enum spool_err e)
{
	if ((unsigned)e >= SPOOL_E_COUNT)
		return "unknown spool error";
	return spool_errstr[e];
}

enum spool_err
spool_fail_file(struct spool_error *e, enum spool_err code, int sys_errno, const char *file,
    uint64_t off, uint64_t recno, const char *what)
{
	e->code = code;
	e->sys_errno = sys_errno;
	/* Every name the spool produces fits; a longer one is cut, which only shortens a message. */
	if (snprintf(e->file, sizeof(e->file), "%s", file ? file : "") >= (int)sizeof(e->file))
		e->file[sizeof(e->file) - 1] = '\0';
	e->offset = off;
	e->recno = recno;
	e->what = what ? what : spool_strerror(code);
	return code;
}

enum spool_err
spool_fail(struct spool_error *e, enum spool_err code, int sys_errno, uint64_t segfirst,
    uint64_t off, uint64_t recno, const char *what)
{
	char name[SPOOL_SEGNAME_LEN + 1] = "";

	if (segfirst != 0)
		spool_fmt_segname(name, segfirst);
	return spool_fail_file(e, code, sys_errno, name, off, recno, what);
}

void
spool_error_format(const struct spool_error *e, char *buf, size_t len)
{
	char where[96] = "";

	if (e->file[0] != '\0')
		snprintf(where, sizeof(where), "%s offset %" PRIu64 ": ", e->file, e->offset);
	if (e->recno != 0) {
		size_t n = strlen(where);
		snprintf(where + n, sizeof(where) - n, "record %" PRIu64 ": ", e->recno);
	}
	if (e->code == SPOOL_E_IO && e->sys_errno != 0)
		snprintf(buf, len, "%s%s: %s", where, e->what ? e->what : "", strerror(e->sys_errno));
	else
		snprintf(buf, len, "%s%s", where, e->what ? e->what : spool_strerror(e->code));
}

const struct spool_error *
spool_last_error(const struct spool *sp)
{
	return &sp->err;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Writes a then b at off, retrying short writes and EINTR.  0, or -1 with errno. */
int
spool_write_full(int fd, const void *a, size_t alen, const void *b, size_t blen, uint64_t off)
{
	size_t done = 0, total = alen + blen;

	while (done < total) {
		struct iovec iov[2];
		int n = 0;
		if (done < alen) {
			iov[n].iov_base = (void *)((const uint8_t *)a + done);
			iov[n++].iov_len = alen - done;
		}
		if (blen > 0) {
			size_t bdone = done > alen ? done - alen : 0;
			iov[n].iov_base = (void *)((const uint8_t *)b + bdone);
			iov[n++].iov_len = blen - bdone;
		}
		ssize_t r = pwritev(fd, iov, n, (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Configuration                                                                              */

void
spool_cfg_default(struct spool_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_bytes = 1024ull * 1024 * 1024;
	cfg->segment_bytes = 64ull * 1024 * 1024;
	cfg->sync = SPOOL_SYNC_BATCH;
	cfg->batch_records = 512;
	cfg->batch_ms = 20;
	cfg->salvage = 0;
}

static const char *
cfg_check(const struct spool_cfg *cfg)
{
	if (cfg->segment_bytes < SPOOL_SEGMENT_MIN || cfg->segment_bytes > SPOOL_SEGMENT_MAXSZ)
		return "segment_bytes out of range (4 KiB .. 1 GiB)";
	if (cfg->max_bytes > SPOOL_MAX_BYTES_MAX)
		return "max_bytes above 2^48";
	/* Two segments: the acknowledged head can then always be deleted to make room. */
	if (cfg->max_bytes < 2 * cfg->segment_bytes)
		return "max_bytes smaller than two segments";
	if (cfg->sync != SPOOL_SYNC_ALWAYS && cfg->sync != SPOOL_SYNC_BATCH &&
	    cfg->sync != SPOOL_SYNC_NONE)
		return "unknown sync policy";
	if (cfg->sync != SPOOL_SYNC_ALWAYS && (cfg->batch_records == 0 || cfg->batch_ms == 0))
		return "batch_records and batch_ms must be at least 1";
	if (cfg->batch_ms > 3600 * 1000)
		return "batch_ms above one hour";
	return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Opening                                                                                    */

static void
spool_free(struct spool *sp)
{
	if (sp == NULL)
		return;
	spool_reader_reset(sp);
	if (sp->tailfd >= 0)
		close(sp->tailfd);
	if (sp->dirfd >= 0)
		close(sp->dirfd);	/* releases the flock */
	free(sp->segs);
	free(sp->rc.buf);
	free(sp);
}

/* Opens dir (creating it, and syncing its parent so the new entry survives a power loss) and
 * takes the exclusive lock. */
static enum spool_err
dir_open(struct spool *sp, const char *dir)
{
	char parent[PATH_MAX];

	if (mkdir(dir, 0700) == 0) {
		if ((size_t)snprintf(parent, sizeof(parent), "%s", dir) < sizeof(parent)) {
			int pfd = open(dirname(parent), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (pfd >= 0) {
				if (fsync(pfd) == 0)
					sp->st.fsyncs++;
				close(pfd);
			}
		}
	} else if (errno != EEXIST) {
		return spool_fail_file(&sp->err, SPOOL_E_IO, errno, "", 0, 0,
		    "cannot create spool directory");
	}
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0)
		return spool_fail_file(&sp->err, SPOOL_E_IO, errno, "", 0, 0,
		    "cannot open spool directory");
	if (flock(sp->dirfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			return spool_fail_file(&sp->err, SPOOL_E_LOCKED, 0, "", 0, 0, NULL);
		return spool_fail_file(&sp->err, SPOOL_E_IO, errno, "", 0, 0,
		    "cannot lock spool directory");
	}
	return SPOOL_OK;
}

static int
seg_cmp(const void *a, const void *b)
{
	const struct spool_seg *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Room for one more segment entry (at most SPOOL_MAX_SEGMENTS). */
static enum spool_err
segs_reserve(struct spool *sp)
{
	struct spool_seg *n;
	size_t cap;

	if (sp->nsegs < sp->segcap)
		return SPOOL_OK;
	if (sp->segcap >= SPOOL_MAX_SEGMENTS)
		return SPOOL_E_FULL;
	cap = sp->segcap ? sp->segcap * 2 : 16;
	if (cap > SPOOL_MAX_SEGMENTS)
		cap = SPOOL_MAX_SEGMENTS;
	if ((n = realloc(sp->segs, cap * sizeof(*n))) == NULL)
		return spool_fail_file(&sp->err, SPOOL_E_NOMEM, 0, "", 0, 0, NULL);
	sp->segs = n;
	sp->segcap = cap;
	return SPOOL_OK;
}

/* Lists the segment files; removes a leftover cursor.tmp (a crash between write and rename: the
 * old cursor is still the valid one).  Other names are left alone. */
static enum spool_err
list_segments(struct spool *sp)
{
	int fd = dup(sp->dirfd);
	DIR *d;
	struct dirent *de;
	enum spool_err e = SPOOL_OK;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		return spool_fail_file(&sp->err, SPOOL_E_IO, saved, "", 0, 0,
		    "cannot list spool directory");
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		uint64_t first;
		if (strcmp(de->d_name, SPOOL_CURSOR_TMP) == 0) {
			(void)unlinkat(sp->dirfd, SPOOL_CURSOR_TMP, 0);
			continue;
		}
		if (!spool_fmt_segname_parse(de->d_name, &first))
			continue;
		if ((e = segs_reserve(sp)) != SPOOL_OK) {
			if (e == SPOOL_E_FULL)
				e = spool_fail_file(&sp->err, SPOOL_E_INVAL, 0, de->d_name, 0, 0,
				    "more segment files than SPOOL_MAX_SEGMENTS");
			break;
		}
		sp->segs[sp->nsegs].first = first;
		sp->segs[sp->nsegs].size = 0;
		sp->nsegs++;
	}
	closedir(d);
	if (e == SPOOL_OK && sp->nsegs > 1)
		qsort(sp->segs, sp->nsegs, sizeof(sp->segs[0]), seg_cmp);
	return e;
}

enum cursor_state { CURSOR_VALID, CURSOR_MISSING, CURSOR_INVALID };

static enum spool_err
load_cursor(struct spool *sp, enum cursor_state *state, uint64_t *acked)
{
	uint8_t buf[SPOOL_CUR_LEN + 1];
	size_t got = 0;
	struct ovt_cursor c;
	int fd;

	*acked = 0;
	fd = openat(sp->dirfd, SPOOL_CURSOR_NAME, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			return spool_fail_file(&sp->err, SPOOL_E_IO, errno, SPOOL_CURSOR_NAME, 0, 0,
			    "cannot open cursor file");
		*state = CURSOR_MISSING;
		return SPOOL_OK;
	}
	/* One byte more than the format so that an over-long file is seen as such. */
	while (got < sizeof(buf)) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;
			close(fd);
			return spool_fail_file(&sp->err, SPOOL_E_IO, saved, SPOOL_CURSOR_NAME, 0, 0,
			    "cannot read cursor file");
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	cur_init(&c, buf, got);
	*state = spool_fmt_cursor_parse(&c, acked) == NULL ? CURSOR_VALID : CURSOR_INVALID;
	if (*state != CURSOR_VALID)
		*acked = 0;
	return SPOOL_OK;
}

static enum spool_err cursor_persist(struct spool *sp, int durable);
static void seg_gc(struct spool *sp);

struct spool *
spool_open(const char *dir, const struct spool_cfg *cfg, struct spool_error *err)
{
	struct spool_error dummy;
	struct spool *sp;
	enum cursor_state cstate;
	uint64_t cacked, last = 0;
	const char *why;
	enum spool_err e;

	if (err == NULL)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (dir == NULL || cfg == NULL) {
		spool_fail_file(err, SPOOL_E_INVAL, 0, "", 0, 0, "no directory or configuration");
		return NULL;
	}
	if ((why = cfg_check(cfg)) != NULL) {
		spool_fail_file(err, SPOOL_E_INVAL, 0, "", 0, 0, why);
		return NULL;
	}
	if ((sp = calloc(1, sizeof(*sp))) == NULL ||
	    (sp->rc.buf = malloc(SPOOL_RCACHE_SIZE)) == NULL) {
		free(sp);
		spool_fail_file(err, SPOOL_E_NOMEM, 0, "", 0, 0, NULL);
		return NULL;
	}
	sp->dirfd = sp->tailfd = sp->rd_fd = -1;
	sp->cfg = *cfg;
	sp->rec_limit = cfg->segment_bytes - SPOOL_SEG_HDRLEN - SPOOL_REC_HDRLEN;
	if (sp->rec_limit > SPOOL_RECORD_MAX)
		sp->rec_limit = SPOOL_RECORD_MAX;

	if ((e = dir_open(sp, dir)) != SPOOL_OK || (e = list_segments(sp)) != SPOOL_OK ||
	    (e = spool_recover_headers(sp)) != SPOOL_OK ||
	    (e = load_cursor(sp, &cstate, &cacked)) != SPOOL_OK)
		goto fail;
	if (sp->nsegs > 0) {
		sp->tailfd = spool_seg_open(sp, sp->nsegs - 1, O_RDWR);
		if (sp->tailfd < 0) {
			e = spool_fail(&sp->err, SPOOL_E_IO, errno, sp->segs[sp->nsegs - 1].first, 0,
			    0, "cannot open newest segment");
			goto fail;
		}
		if ((e = spool_recover_tail(sp, &last)) != SPOOL_OK)
			goto fail;
	}
	for (size_t i = 0; i < sp->nsegs; i++)
		sp->bytes += sp->segs[i].size;

	if (cstate == CURSOR_VALID) {
		sp->acked = cacked;
		/* A valid cursor below the oldest segment means unacknowledged records are gone:
		 * a segment file was removed by someone else.  Never paper over that. */
		if (sp->nsegs > 0 && sp->segs[0].first > cacked + 1) {
			e = spool_fail(&sp->err, SPOOL_E_GAP, 0, sp->segs[0].first, 0, cacked + 1,
			    "unacknowledged records before the oldest segment are missing");
			goto fail;
		}
	} else {
		/* No usable cursor: replay everything there is (duplicates, never loss). */
		sp->acked = sp->nsegs > 0 ? sp->segs[0].first - 1 : 0;
		if (cstate == CURSOR_INVALID)
			sp->st.cursor_recovered = 2;
		else if (sp->nsegs > 0)
			sp->st.cursor_recovered = 1;
	}
	if (sp->nsegs == 0)
		last = sp->acked;
	sp->stored_last = sp->nsegs > 0 ? last : 0;
	sp->next_recno = (last > sp->acked ? last : sp->acked) + 1;
	/* Numbering continues after the cursor even if the tail lost acknowledged records (they
	 * were delivered): the next record then opens a new segment so that no segment ever
	 * skips a number inside it. */
	sp->force_roll = sp->nsegs > 0 && sp->next_recno != last + 1;

	/* Whatever a crashed predecessor left in the page cache becomes durable now, so that
	 * spool_durable() is exact from the start. */
	if (sp->tailfd >= 0) {
		if (fdatasync(sp->tailfd) != 0) {
			e = spool_fail(&sp->err, SPOOL_E_IO, errno, sp->segs[sp->nsegs - 1].first, 0,
			    0, "cannot sync newest segment");
			goto fail;
		}
		sp->st.fsyncs++;
		sp->tail_synced = sp->segs[sp->nsegs - 1].size;
	}
	if (fsync(sp->dirfd) != 0) {
		e = spool_fail_file(&sp->err, SPOOL_E_IO, errno, "", 0, 0,
		    "cannot sync spool directory");
		goto fail;
	}
	sp->st.fsyncs++;
	sp->dir_dirty = 0;
	sp->durable = sp->next_recno - 1;
	/* A fresh spool gets its cursor file at once, so that a missing cursor later on always
	 * means something removed it. */
	if (cstate != CURSOR_VALID) {
		if ((e = cursor_persist(sp, 1)) != SPOOL_OK)
			goto fail;
	} else {
		sp->acked_disk = sp->acked;
		seg_gc(sp);
	}
	sp->rd_next = sp->acked + 1;
	spool_rc_invalidate(sp);
	return sp;
fail:
	*err = sp->err;
	spool_free(sp);
	return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Sync points, cursor, deletion                                                              */

/* Deletes segments whose every record is at or below the durable cursor.  Segment i's records
 * end where segment i+1 begins; the tail is kept (it is where appends go). */
static void
seg_gc(struct spool *sp)
{
	while (sp->nsegs >= 2 && sp->segs[1].first - 1 <= sp->acked_disk) {
		char name[SPOOL_SEGNAME_LEN + 1];

		spool_fmt_segname(name, sp->segs[0].first);
		if (unlinkat(sp->dirfd, name, 0) != 0 && errno != ENOENT) {
			sp->st.gc_errors++;
			return;
		}
		if (sp->rc.key == sp->segs[0].first)
			spool_rc_invalidate(sp);
		sp->bytes -= sp->segs[0].size;
		memmove(&sp->segs[0], &sp->segs[1], (sp->nsegs - 1) * sizeof(sp->segs[0]));
		sp->nsegs--;
		sp->st.segments_deleted++;
		if (sp->rd_pos) {
			if (sp->rd_seg == 0)
				spool_reader_reset(sp);	/* it re-seeks to rd_next */
			else
				sp->rd_seg--;
		}
	}
}

/* Replaces the cursor file: temp file, (fsync), rename, (directory fsync); then deletes what
 * the new cursor covers.  durable == 0 (policy NONE) skips the fsyncs: atomic, not durable. */
static enum spool_err
cursor_persist(struct spool *sp, int durable)
{
	uint8_t buf[SPOOL_CUR_LEN];
	struct ovt_builder b;
	uint64_t acked = sp->acked;
	int fd;

	bld_init_fixed(&b, buf, sizeof(buf));
	spool_fmt_cursor_build(&b, acked);
	if (!bld_ok(&b))
		return spool_fail_file(&sp->err, SPOOL_E_INVAL, 0, SPOOL_CURSOR_TMP, 0, 0,
		    "cursor encoding failed");
	fd = openat(sp->dirfd, SPOOL_CURSOR_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return spool_fail_file(&sp->err, SPOOL_E_IO, errno, SPOOL_CURSOR_TMP, 0, 0,
		    "cannot create cursor temp file");
	if (spool_write_full(fd, buf, bld_len(&b), NULL, 0, 0) != 0 ||
	    (durable && fdatasync(fd) != 0)) {
		int saved = errno;
		close(fd);
		(void)unlinkat(sp->dirfd, SPOOL_CURSOR_TMP, 0);
		return spool_fail_file(&sp->err, SPOOL_E_IO, saved, SPOOL_CURSOR_TMP, 0, 0,
		    "cannot write cursor temp file");
	}
	close(fd);
	if (durable)
		sp->st.fsyncs++;
	if (renameat(sp->dirfd, SPOOL_CURSOR_TMP, sp->dirfd, SPOOL_CURSOR_NAME) != 0) {
		int saved = errno;
		(void)unlinkat(sp->dirfd, SPOOL_CURSOR_TMP, 0);
		return spool_fail_file(&sp->err, SPOOL_E_IO, saved, SPOOL_CURSOR_NAME, 0, 0,
		    "cannot rename cursor file");
	}
	if (durable) {
		if (fsync(sp->dirfd) != 0)
			return spool_fail_file(&sp->err, SPOOL_E_IO, errno, SPOOL_CURSOR_NAME, 0, 0,
			    "cannot sync directory after cursor rename");
		sp->st.fsyncs++;
		sp->dir_dirty = 0;
	}
	sp->acked_disk = acked;
	sp->st.cursor_writes++;
	seg_gc(sp);
	return SPOOL_OK;
}

/* Makes all appended records, new directory entries and the cursor durable. */
static enum spool_err
sync_all(struct spool *sp)
{
	if (sp->tailfd >= 0 && sp->segs[sp->nsegs - 1].size > sp->tail_synced) {
		if (fdatasync(sp->tailfd) != 0) {
			/* After a failed fsync the page cache state is unknown (the dirty pages
			 * may have been dropped): nothing more may be promised from this handle. */
			sp->broken = 1;
			return spool_fail(&sp->err, SPOOL_E_IO, errno, sp->segs[sp->nsegs - 1].first,
			    0, 0, "fdatasync of segment failed");
		}
		sp->st.fsyncs++;
		sp->tail_synced = sp->segs[sp->nsegs - 1].size;
	}
	if (sp->dir_dirty) {
		if (fsync(sp->dirfd) != 0) {
			sp->broken = 1;
			return spool_fail_file(&sp->err, SPOOL_E_IO, errno, "", 0, 0,
			    "fsync of spool directory failed");
		}
		sp->st.fsyncs++;
		sp->dir_dirty = 0;
	}
	sp->durable = sp->next_recno - 1;
	sp->changes = 0;
	if (sp->acked != sp->acked_disk)
		return cursor_persist(sp, 1);
	return SPOOL_OK;
}

/* A batch point: BATCH syncs everything, NONE only rewrites the cursor (without fsync) so that
 * a restart after kill -9 does not replay much. */
static enum spool_err
sync_point(struct spool *sp)
{
	if (sp->cfg.sync != SPOOL_SYNC_NONE)
		return sync_all(sp);
	sp->changes = 0;
	if (sp->acked != sp->acked_disk)
		return cursor_persist(sp, 0);
	return SPOOL_OK;
}

static void
note_change(struct spool *sp)
{
	if (sp->changes == 0)
		sp->change_ms = now_ms();
	sp->changes++;
}

static enum spool_err
maybe_sync(struct spool *sp)
{
	if (sp->changes == 0)
		return SPOOL_OK;
	if (sp->changes >= sp->cfg.batch_records || now_ms() - sp->change_ms >= sp->cfg.batch_ms)
		return sync_point(sp);
	return SPOOL_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Appending                                                                                  */

/* Starts segment seg-<next_recno>.  The old tail is synced first (unless policy NONE) so that
 * no durable record ever sits behind a non-durable one in an older file. */
static enum spool_err
seg_roll(struct spool *sp)
{
	char name[SPOOL_SEGNAME_LEN + 1];
	uint8_t hdr[SPOOL_SEG_HDRLEN];
	struct ovt_builder b;
	enum spool_err e;
	int fd;

	if ((e = segs_reserve(sp)) != SPOOL_OK)
		return e;
	if (sp->tailfd >= 0 && sp->cfg.sync != SPOOL_SYNC_NONE && (e = sync_all(sp)) != SPOOL_OK)
		return e;
	bld_init_fixed(&b, hdr, sizeof(hdr));
	spool_fmt_seghdr_build(&b, sp->next_recno);
	spool_fmt_segname(name, sp->next_recno);
	fd = openat(sp->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return spool_fail_file(&sp->err, SPOOL_E_IO, errno, name, 0, 0,
		    "cannot create segment");
	if (!bld_ok(&b) || spool_write_full(fd, hdr, bld_len(&b), NULL, 0, 0) != 0) {
		int saved = errno;
		close(fd);
		(void)unlinkat(sp->dirfd, name, 0);
		return spool_fail_file(&sp->err, SPOOL_E_IO, saved, name, 0, 0,
		    "cannot write segment header");
	}
	if (sp->tailfd >= 0)
		close(sp->tailfd);
	sp->tailfd = fd;
	sp->segs[sp->nsegs].first = sp->next_recno;
	sp->segs[sp->nsegs].size = SPOOL_SEG_HDRLEN;
	sp->nsegs++;
	sp->bytes += SPOOL_SEG_HDRLEN;
	sp->tail_synced = 0;
	sp->dir_dirty = 1;
	sp->force_roll = 0;
	sp->st.segments_created++;
	return SPOOL_OK;
}

enum spool_err
spool_append(struct spool *sp, const void *data, size_t len, uint64_t *out_recno)
{
	uint8_t hdr[SPOOL_REC_HDRLEN];
	uint64_t framed, need, recno;
	struct spool_seg *t;
	int roll;
	enum spool_err e;

	if (out_recno != NULL)
		*out_recno = 0;
	if (sp == NULL || data == NULL || len == 0)
		return sp ? spool_fail_file(&sp->err, SPOOL_E_INVAL, 0, "", 0, 0, "empty record") :
		    SPOOL_E_INVAL;
	if (sp->broken)
		return spool_fail_file(&sp->err, SPOOL_E_BROKEN, 0, "", 0, 0, NULL);
	if (len > sp->rec_limit)
		return spool_fail_file(&sp->err, SPOOL_E_TOOBIG, 0, "", 0, 0,
		    "record longer than the limit for this segment size");
	framed = SPOOL_REC_HDRLEN + (uint64_t)len;
	roll = sp->nsegs == 0 || sp->force_roll ||
	    (sp->segs[sp->nsegs - 1].size > SPOOL_SEG_HDRLEN &&
	    sp->segs[sp->nsegs - 1].size + framed > sp->cfg.segment_bytes);
	need = framed + (roll ? SPOOL_SEG_HDRLEN : 0);
	/* Acknowledged segments waiting for the next batch point are the only room we may
	 * make: persist the cursor now, which deletes them, before refusing. */
	if (sp->bytes + need > sp->cfg.max_bytes && sp->acked != sp->acked_disk &&
	    (e = cursor_persist(sp, sp->cfg.sync != SPOOL_SYNC_NONE)) != SPOOL_OK)
		return e;
	if (sp->bytes + need > sp->cfg.max_bytes || (roll && sp->nsegs >= SPOOL_MAX_SEGMENTS)) {
		sp->st.full_events++;
		return spool_fail_file(&sp->err, SPOOL_E_FULL, 0, "", 0, sp->next_recno,
		    "spool size bound reached");
	}
	if (roll && (e = seg_roll(sp)) != SPOOL_OK)
		return e;

	t = &sp->segs[sp->nsegs - 1];
	recno = sp->next_recno;
	spool_fmt_rechdr_build(hdr, data, (uint32_t)len, recno);
	if (spool_write_full(sp->tailfd, hdr, sizeof(hdr), data, len, t->size) != 0) {
		int saved = errno;
		/* Cut back whatever part reached the file, so that the next record follows the
		 * last whole one.  If even that fails the file may hold a torn record in the
		 * middle: refuse further appends (reopening repairs it as a torn tail). */
		if (ftruncate(sp->tailfd, (off_t)t->size) != 0)
			sp->broken = 1;
		return spool_fail(&sp->err, SPOOL_E_IO, saved, t->first, t->size, recno,
		    "cannot write record");
	}
	sp->recent[recno % SPOOL_RECENT] = (struct spool_recent){recno, t->first, t->size, len};
	t->size += framed;
	sp->bytes += framed;
	sp->next_recno++;
	sp->stored_last = recno;
	sp->st.appends++;
	if (out_recno != NULL)
		*out_recno = recno;
	note_change(sp);
	if (sp->cfg.sync == SPOOL_SYNC_ALWAYS)
		return sync_all(sp);
	return maybe_sync(sp);
}

enum spool_err
spool_flush(struct spool *sp)
{
	if (sp == NULL)
		return SPOOL_E_INVAL;
	if (sp->broken)
		return spool_fail_file(&sp->err, SPOOL_E_BROKEN, 0, "", 0, 0, NULL);
	return sync_all(sp);
}

enum spool_err
spool_poll(struct spool *sp, int *out_next_ms)
{
	uint64_t el;
	enum spool_err e = SPOOL_OK;

	if (out_next_ms != NULL)
		*out_next_ms = -1;
	if (sp == NULL)
		return SPOOL_E_INVAL;
	if (sp->broken)
		return spool_fail_file(&sp->err, SPOOL_E_BROKEN, 0, "", 0, 0, NULL);
	if (sp->changes == 0)
		return SPOOL_OK;
	el = now_ms() - sp->change_ms;
	if (el >= sp->cfg.batch_ms || sp->changes >= sp->cfg.batch_records)
		e = sync_point(sp);
	else if (out_next_ms != NULL)
		*out_next_ms = (int)(sp->cfg.batch_ms - el);
	return e;
}

uint64_t
spool_durable(const struct spool *sp)
{
	return sp->durable;
}

enum spool_err
spool_ack(struct spool *sp, uint64_t recno)
{
	if (sp == NULL)
		return SPOOL_E_INVAL;
	if (recno <= sp->acked)
		return SPOOL_OK;
	if (recno >= sp->next_recno)
		return spool_fail_file(&sp->err, SPOOL_E_ACK, 0, "", 0, recno,
		    "acknowledged record was never appended");
	sp->acked = recno;
	if (sp->rd_next <= recno) {
		spool_reader_reset(sp);
		sp->rd_next = recno + 1;
		sp->rd_stuck = 0;
	}
	if (sp->cfg.sync == SPOOL_SYNC_ALWAYS)
		return cursor_persist(sp, 1);
	note_change(sp);
	return maybe_sync(sp);
}

enum spool_err
spool_close(struct spool *sp)
{
	enum spool_err e;

	if (sp == NULL)
		return SPOOL_OK;
	e = sp->broken ? SPOOL_E_BROKEN : sync_all(sp);
	spool_free(sp);
	return e;
}

void
spool_stats(const struct spool *sp, struct spool_stats *out)
{
	*out = sp->st;
	out->bytes = sp->bytes;
	out->segments = sp->nsegs;
	out->records = sp->nsegs > 0 && sp->stored_last >= sp->segs[0].first ?
	    sp->stored_last - sp->segs[0].first + 1 : 0;
	out->pending = sp->next_recno - 1 - sp->acked;
	out->next_recno = sp->next_recno;
	out->acked = sp->acked;
	out->acked_durable = sp->acked_disk;
	out->durable = sp->durable;
	out->read_next = sp->rd_next;
	out->tail_first = sp->nsegs > 0 ? sp->segs[sp->nsegs - 1].first : 0;
	out->tail_bytes = sp->nsegs > 0 ? sp->segs[sp->nsegs - 1].size : 0;
}
