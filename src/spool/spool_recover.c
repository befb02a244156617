/*
 * Recovery at open: every segment header is checked, and the newest segment is scanned record by
 * record.  The one rule for telling a torn tail from corruption:
 *
 *   damage in the newest segment is a torn tail when no intact record follows it.
 *
 * An append that a crash or power loss interrupted leaves, at the end of the newest segment, a
 * prefix of a record (kill -9 during write), a record with a bad checksum, or zeros (a power loss
 * after the size reached the disk but before the data did), and nothing valid after it: that is
 * truncated, counted, and the spool carries on.  Damage followed by an intact record (a checksum
 * that matches, with a plausible record number) cannot come from an interrupted append: it is
 * reported as SPOOL_E_CORRUPT with the segment and offset, unless the caller opened with salvage,
 * in which case the bytes from the damage on are copied to a quarantine file, then truncated.
 * The same rule applies to a newest segment whose header is damaged.
 */
#include "spool/spool_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Looks for an intact record at or after from, numbered in (last_good, last_good + the most
 * records that fit).  1 found (or checksum budget exhausted: report, do not truncate),
 * 0 none, -1 I/O error. */
static int
resync_find(struct spool *sp, int fd, uint64_t key, uint64_t from, uint64_t limit,
    uint64_t last_good)
{
	uint64_t maxgap = (limit - from) / (SPOOL_REC_HDRLEN + 1) + 1;
	uint64_t budget = SPOOL_RESYNC_CRC_MAX;

	for (uint64_t p = from; p < limit && limit - p > SPOOL_REC_HDRLEN; p++) {
		struct spool_rec r;
		enum spool_rec_status st;

		st = spool_rec_read(sp, fd, key, p, limit, 0, SPOOL_REC_SKIP, NULL, 0, &r);
		if (st == SPOOL_REC_IO)
			return -1;
		if (st != SPOOL_REC_OK || r.recno <= last_good || r.recno - last_good > maxgap)
			continue;
		if (r.len > budget)
			return 1;
		budget -= r.len;
		st = spool_rec_read(sp, fd, key, p, limit, 0, SPOOL_REC_CHECK, NULL, 0, &r);
		if (st == SPOOL_REC_IO)
			return -1;
		if (st == SPOOL_REC_OK)
			return 1;
	}
	return 0;
}

/* Copies bytes [off, size) of segment key (open on fd) to quarantine-<segment>-<offset>, durably,
 * before salvage truncates them. */
static enum spool_err
quarantine(struct spool *sp, int fd, uint64_t key, uint64_t off, uint64_t size)
{
	char seg[SPOOL_SEGNAME_LEN + 1], name[80];
	int qfd;

	spool_fmt_segname(seg, key);
	snprintf(name, sizeof(name), "quarantine-%s-%016" PRIx64, seg, off);
	qfd = openat(sp->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (qfd < 0)
		return spool_fail_file(&sp->err, SPOOL_E_IO, errno, name, 0, 0,
		    "cannot create quarantine file");
	for (uint64_t p = off; p < size;) {
		uint64_t left = size - p;
		size_t chunk = left > SPOOL_RCACHE_SIZE ? SPOOL_RCACHE_SIZE : (size_t)left;
		struct ovt_cursor c;
		if (spool_rc_get(sp, fd, key, p, chunk, size, &c) != 0 ||
		    spool_write_full(qfd, cur_data(&c), cur_len(&c), NULL, 0, p - off) != 0) {
			int saved = errno;
			close(qfd);
			return spool_fail_file(&sp->err, SPOOL_E_IO, saved, name, p - off, 0,
			    "cannot copy damaged bytes to quarantine");
		}
		p += chunk;
	}
	if (fdatasync(qfd) != 0 || fsync(sp->dirfd) != 0) {
		int saved = errno;
		close(qfd);
		return spool_fail_file(&sp->err, SPOOL_E_IO, saved, name, 0, 0,
		    "cannot sync quarantine file");
	}
	sp->st.fsyncs += 2;
	close(qfd);
	sp->st.salvaged_bytes += size - off;
	return SPOOL_OK;
}

static enum spool_err
truncate_at(struct spool *sp, int fd, uint64_t key, uint64_t off)
{
	if (ftruncate(fd, (off_t)off) != 0 || fdatasync(fd) != 0)
		return spool_fail(&sp->err, SPOOL_E_IO, errno, key, off, 0,
		    "cannot truncate torn tail");
	sp->st.fsyncs++;
	spool_rc_invalidate(sp);
	return SPOOL_OK;
}

/* Validates segment i's header and records its size.  Returns SPOOL_OK, SPOOL_E_BADSEG (with
 * *why) or SPOOL_E_IO. */
static enum spool_err
check_header(struct spool *sp, size_t i, int fd, const char **why)
{
	struct stat stb;
	struct ovt_cursor c;
	uint64_t first;

	*why = NULL;
	if (fstat(fd, &stb) != 0)
		return spool_fail(&sp->err, SPOOL_E_IO, errno, sp->segs[i].first, 0, 0,
		    "cannot stat segment");
	sp->segs[i].size = (uint64_t)stb.st_size;
	if (sp->segs[i].size < SPOOL_SEG_HDRLEN) {
		*why = "segment shorter than its header";
		return SPOOL_E_BADSEG;
	}
	if (spool_rc_get(sp, fd, sp->segs[i].first, 0, SPOOL_SEG_HDRLEN, sp->segs[i].size, &c) != 0)
		return spool_fail(&sp->err, SPOOL_E_IO, errno, sp->segs[i].first, 0, 0,
		    "cannot read segment header");
	if ((*why = spool_fmt_seghdr_parse(&c, &first)) != NULL)
		return SPOOL_E_BADSEG;
	if (first != sp->segs[i].first) {
		*why = "segment header's first record differs from its file name";
		return SPOOL_E_BADSEG;
	}
	return SPOOL_OK;
}

enum spool_err
spool_recover_headers(struct spool *sp)
{
	for (size_t i = 0; i < sp->nsegs; i++) {
		char name[SPOOL_SEGNAME_LEN + 1];
		const char *why;
		enum spool_err e;
		int fd, found;

		if ((fd = spool_seg_open(sp, i, O_RDONLY)) < 0)
			return spool_fail(&sp->err, SPOOL_E_IO, errno, sp->segs[i].first, 0, 0,
			    "cannot open segment");
		e = check_header(sp, i, fd, &why);
		if (e == SPOOL_OK && i + 1 < sp->nsegs) {
			/* A predecessor running with SPOOL_SYNC_NONE may have left dirty pages; make
			 * them durable so that spool_durable() is exact from open on.  (The newest
			 * segment is synced by spool_open after its scan.)  Cheap when clean. */
			if (fdatasync(fd) != 0) {
				int saved = errno;
				close(fd);
				return spool_fail(&sp->err, SPOOL_E_IO, saved, sp->segs[i].first, 0, 0,
				    "cannot sync segment");
			}
			sp->st.fsyncs++;
		}
		if (e == SPOOL_OK) {
			close(fd);
			continue;
		}
		if (e != SPOOL_E_BADSEG || i + 1 < sp->nsegs) {
			close(fd);
			if (e == SPOOL_E_BADSEG)
				return spool_fail(&sp->err, e, 0, sp->segs[i].first, 0, 0, why);
			return e;
		}
		/* The newest segment's header is damaged: torn if nothing intact follows. */
		found = resync_find(sp, fd, sp->segs[i].first, 0, sp->segs[i].size,
		    sp->segs[i].first - 1);
		if (found < 0) {
			int saved = errno;
			close(fd);
			return spool_fail(&sp->err, SPOOL_E_IO, saved, sp->segs[i].first, 0, 0,
			    "cannot read segment");
		}
		spool_fmt_segname(name, sp->segs[i].first);
		if (found && !sp->cfg.salvage) {
			close(fd);
			return spool_fail(&sp->err, SPOOL_E_BADSEG, 0, sp->segs[i].first, 0, 0, why);
		}
		if (found && (e = quarantine(sp, fd, sp->segs[i].first, 0, sp->segs[i].size)) !=
		    SPOOL_OK) {
			close(fd);
			return e;
		}
		close(fd);
		if (unlinkat(sp->dirfd, name, 0) != 0)
			return spool_fail(&sp->err, SPOOL_E_IO, errno, sp->segs[i].first, 0, 0,
			    "cannot remove torn segment");
		if (!found) {
			sp->st.torn_repaired++;
			sp->st.torn_bytes += sp->segs[i].size;
		}
		sp->dir_dirty = 1;
		sp->nsegs--;
		spool_rc_invalidate(sp);
	}
	return SPOOL_OK;
}

enum spool_err
spool_recover_tail(struct spool *sp, uint64_t *out_last)
{
	struct spool_seg *t = &sp->segs[sp->nsegs - 1];
	uint64_t off = SPOOL_SEG_HDRLEN, next = t->first;
	enum spool_err e;

	for (;;) {
		struct spool_rec r;
		enum spool_rec_status st;
		int found;

		st = spool_rec_read(sp, sp->tailfd, t->first, off, t->size, next, SPOOL_REC_CHECK,
		    NULL, 0, &r);
		if (st == SPOOL_REC_OK) {
			off = r.end;
			next++;
			continue;
		}
		if (st == SPOOL_REC_END)
			break;
		if (st == SPOOL_REC_IO)
			return spool_fail(&sp->err, SPOOL_E_IO, errno, t->first, off, next, r.why);
		found = resync_find(sp, sp->tailfd, t->first, off, t->size, next - 1);
		if (found < 0)
			return spool_fail(&sp->err, SPOOL_E_IO, errno, t->first, off, next,
			    "cannot read segment");
		if (found && !sp->cfg.salvage)
			return spool_fail(&sp->err, SPOOL_E_CORRUPT, 0, t->first, off, next,
			    r.why);
		if (found && (e = quarantine(sp, sp->tailfd, t->first, off, t->size)) != SPOOL_OK)
			return e;
		if ((e = truncate_at(sp, sp->tailfd, t->first, off)) != SPOOL_OK)
			return e;
		if (!found) {
			sp->st.torn_repaired++;
			sp->st.torn_bytes += t->size - off;
		}
		t->size = off;
		break;
	}
	spool_rc_invalidate(sp);
	*out_last = next - 1;
	return SPOOL_OK;
}
