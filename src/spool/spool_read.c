/*
 * Reading the spool back: a one-window read cache over pread, the record reader every other path
 * uses (replay, recovery scan, verify), and the replay reader with its rewind and skip.
 *
 * Segment bytes are outside input as far as this code is concerned (a disk can rot, an operator
 * can copy the wrong file in): every header goes through the cursor parser in spool_fmt.c, a
 * length only ever bounds the payload read, and nothing is returned before its checksum and its
 * record number have been checked.  The reader stops at the first inconsistency and repeats it
 * until the caller decides (spool_skip_damaged).
 */
#include "spool/spool_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "spool/spool_crc.h"

/* ------------------------------------------------------------------------------------------ */
/* Read cache                                                                                 */

void
spool_rc_invalidate(struct spool *sp)
{
	sp->rc.valid = 0;
	sp->rc.len = 0;
}

int
spool_rc_get(struct spool *sp, int fd, uint64_t key, uint64_t off, size_t n, uint64_t limit,
    struct ovt_cursor *out)
{
	struct spool_rcache *rc = &sp->rc;
	struct ovt_cursor c;

	if (n > SPOOL_RCACHE_SIZE || off > limit || limit - off < n) {
		errno = EINVAL;
		return -1;
	}
	if (!(rc->valid && rc->key == key && off >= rc->off && off - rc->off <= rc->len &&
	    rc->len - (off - rc->off) >= n)) {
		uint64_t want64 = limit - off;
		size_t want = want64 > SPOOL_RCACHE_SIZE ? SPOOL_RCACHE_SIZE : (size_t)want64;
		size_t got = 0;

		rc->valid = 0;
		while (got < want) {
			ssize_t r = pread(fd, rc->buf + got, want - got, (off_t)(off + got));
			if (r < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			if (r == 0)
				break;
			got += (size_t)r;
		}
		if (got < n) {
			errno = EIO;	/* the file is shorter than what we appended to it */
			return -1;
		}
		rc->key = key;
		rc->off = off;
		rc->len = got;
		rc->valid = 1;
	}
	cur_init(&c, rc->buf, rc->len);
	if (!cur_skip(&c, (size_t)(off - rc->off)) || !cur_get_sub(&c, out, n)) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* CRC-32C of n bytes at off, continuing from crc. */
static int
rc_crc(struct spool *sp, int fd, uint64_t key, uint64_t off, uint64_t n, uint64_t limit,
    uint32_t *crc)
{
	while (n > 0) {
		size_t chunk = n > SPOOL_RCACHE_SIZE ? SPOOL_RCACHE_SIZE : (size_t)n;
		struct ovt_cursor c;
		if (spool_rc_get(sp, fd, key, off, chunk, limit, &c) != 0)
			return -1;
		*crc = spool_crc32c(*crc, cur_data(&c), cur_len(&c));
		off += chunk;
		n -= chunk;
	}
	return 0;
}

/* Copies n bytes at off (off + n <= limit) into buf: what the cache window already holds
 * from off on, then the rest with pread straight into buf (a record payload is read once by
 * the kernel, not once into the window and once more out of it). */
static int
rc_copy(struct spool *sp, int fd, uint64_t key, uint64_t off, size_t n, uint64_t limit,
    uint8_t *buf)
{
	struct spool_rcache *rc = &sp->rc;
	size_t done = 0;

	if (off > limit || limit - off < n) {
		errno = EINVAL;
		return -1;
	}
	if (rc->valid && rc->key == key && off >= rc->off && off - rc->off < rc->len) {
		size_t have = rc->len - (size_t)(off - rc->off);
		done = have < n ? have : n;
		memcpy(buf, rc->buf + (off - rc->off), done);
	}
	while (done < n) {
		ssize_t r = pread(fd, buf + done, n - done, (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EIO;	/* the file is shorter than what we appended to it */
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* One record                                                                                 */

enum spool_rec_status
spool_rec_read(struct spool *sp, int fd, uint64_t key, uint64_t off, uint64_t limit,
    uint64_t expect, enum spool_rec_mode mode, void *buf, size_t cap, struct spool_rec *r)
{
	struct spool_rechdr h;
	struct ovt_cursor c;
	uint32_t crc;
	const char *why;

	memset(r, 0, sizeof(*r));
	if (off == limit)
		return SPOOL_REC_END;
	if (off > limit || limit - off < SPOOL_REC_HDRLEN) {
		r->why = "record header runs past the end of the segment";
		return SPOOL_REC_SHORT;
	}
	if (spool_rc_get(sp, fd, key, off, SPOOL_REC_HDRLEN, limit, &c) != 0) {
		r->why = "cannot read record header";
		return SPOOL_REC_IO;
	}
	if ((why = spool_fmt_rechdr_parse(&c, &h)) != NULL) {
		r->why = why;
		return SPOOL_REC_BADHDR;
	}
	r->recno = h.recno;
	r->len = h.len;
	/* The length field only bounds this record: it must end inside the segment. */
	if (h.len > limit - off - SPOOL_REC_HDRLEN) {
		r->why = "record runs past the end of the segment";
		return SPOOL_REC_SHORT;
	}
	r->end = off + SPOOL_REC_HDRLEN + h.len;
	if (mode == SPOOL_REC_SKIP) {
		if (expect != 0 && h.recno != expect) {
			r->why = "record number out of sequence";
			return SPOOL_REC_RECNO;
		}
		return SPOOL_REC_OK;
	}
	crc = h.crc_hdr;
	if (mode == SPOOL_REC_COPY) {
		if (cap < h.len) {
			r->why = "caller buffer too small";
			return SPOOL_REC_BUFSMALL;
		}
		if (rc_copy(sp, fd, key, off + SPOOL_REC_HDRLEN, h.len, limit, buf) != 0) {
			r->why = "cannot read record payload";
			return SPOOL_REC_IO;
		}
		crc = spool_crc32c(crc, buf, h.len);
	} else if (rc_crc(sp, fd, key, off + SPOOL_REC_HDRLEN, h.len, limit, &crc) != 0) {
		r->why = "cannot read record payload";
		return SPOOL_REC_IO;
	}
	if (crc != h.crc) {
		r->why = "record checksum mismatch";
		return SPOOL_REC_BADCRC;
	}
	if (expect != 0 && h.recno != expect) {
		r->why = "record number out of sequence";
		return SPOOL_REC_RECNO;
	}
	return SPOOL_REC_OK;
}

int
spool_seg_open(struct spool *sp, size_t i, int flags)
{
	char name[SPOOL_SEGNAME_LEN + 1];

	spool_fmt_segname(name, sp->segs[i].first);
	return openat(sp->dirfd, name, flags | O_CLOEXEC);
}

/* Maps a record failure to the API error, naming the segment and offset. */
static enum spool_err
rec_fail(struct spool *sp, enum spool_rec_status st, const struct spool_rec *r, uint64_t segfirst,
    uint64_t off, uint64_t expect)
{
	switch (st) {
	case SPOOL_REC_IO:
		return spool_fail(&sp->err, SPOOL_E_IO, errno, segfirst, off, expect, r->why);
	case SPOOL_REC_RECNO:
		return spool_fail(&sp->err, SPOOL_E_ORDER, 0, segfirst, off, expect, r->why);
	default:
		return spool_fail(&sp->err, SPOOL_E_CORRUPT, 0, segfirst, off, expect, r->why);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Replay reader                                                                              */

void
spool_reader_reset(struct spool *sp)
{
	if (sp->rd_fd >= 0)
		close(sp->rd_fd);
	sp->rd_fd = -1;
	sp->rd_pos = 0;
}

/* Index of the newest segment whose first record is <= recno, or nsegs if none. */
static size_t
seg_find(const struct spool *sp, uint64_t recno)
{
	size_t i = sp->nsegs;
	while (i > 0) {
		i--;
		if (sp->segs[i].first <= recno)
			return i;
	}
	return sp->nsegs;
}

static enum spool_err
reader_open_seg(struct spool *sp, size_t i)
{
	int fd = spool_seg_open(sp, i, O_RDONLY);
	if (fd < 0)
		return spool_fail(&sp->err, SPOOL_E_IO, errno, sp->segs[i].first, 0, sp->rd_next,
		    "cannot open segment");
	spool_reader_reset(sp);
	sp->rd_fd = fd;
	sp->rd_seg = i;
	sp->rd_off = SPOOL_SEG_HDRLEN;
	return SPOOL_OK;
}

/* Positions the reader on record rd_next (which exists: rd_next < next_recno), stepping over
 * the headers of the records before it in its segment. */
static enum spool_err
reader_seek(struct spool *sp)
{
	uint64_t target = sp->rd_next, next;
	size_t i = seg_find(sp, target);
	enum spool_err e;

	if (i == sp->nsegs)
		return spool_fail(&sp->err, SPOOL_E_GAP, 0, sp->nsegs ? sp->segs[0].first : 0, 0,
		    target, "unacknowledged records before the oldest segment are missing");
	if ((e = reader_open_seg(sp, i)) != SPOOL_OK)
		return e;
	next = sp->segs[i].first;
	while (next < target) {
		struct spool_rec r;
		enum spool_rec_status st = spool_rec_read(sp, sp->rd_fd, sp->segs[i].first,
		    sp->rd_off, sp->segs[i].size, next, SPOOL_REC_SKIP, NULL, 0, &r);
		if (st == SPOOL_REC_END) {
			/* Segment i ends before target although the next one starts after it. */
			sp->rd_stuck = 1;
			return spool_fail(&sp->err, SPOOL_E_GAP, 0, sp->segs[i].first, sp->rd_off,
			    next, "segment ends before the next segment's first record");
		}
		if (st != SPOOL_REC_OK) {
			sp->rd_stuck = 1;
			return rec_fail(sp, st, &r, sp->segs[i].first, sp->rd_off, next);
		}
		sp->rd_off = r.end;
		next++;
	}
	sp->rd_pos = 1;
	return SPOOL_OK;
}

enum spool_err
spool_read_next(struct spool *sp, void *buf, size_t cap, size_t *out_len, uint64_t *out_recno)
{
	enum spool_err e;

	if (sp == NULL || out_len == NULL || out_recno == NULL || (buf == NULL && cap > 0))
		return SPOOL_E_INVAL;
	*out_len = 0;
	*out_recno = 0;
	if (sp->rd_next >= sp->next_recno)
		return SPOOL_E_EMPTY;
	if (!sp->rd_pos && (e = reader_seek(sp)) != SPOOL_OK)
		return e;
	/* Each pass either returns or moves to the next segment: at most nsegs passes. */
	for (size_t pass = 0; pass <= sp->nsegs; pass++) {
		struct spool_seg *s = &sp->segs[sp->rd_seg];
		struct spool_rec r;
		enum spool_rec_status st;

		st = spool_rec_read(sp, sp->rd_fd, s->first, sp->rd_off, s->size, sp->rd_next,
		    SPOOL_REC_COPY, buf, cap, &r);
		if (st == SPOOL_REC_OK) {
			sp->rd_off = r.end;
			sp->rd_next++;
			sp->rd_stuck = 0;
			*out_len = r.len;
			*out_recno = r.recno;
			return SPOOL_OK;
		}
		if (st == SPOOL_REC_BUFSMALL) {
			*out_len = r.len;
			return spool_fail(&sp->err, SPOOL_E_BUFSMALL, 0, s->first, sp->rd_off,
			    sp->rd_next, r.why);
		}
		if (st != SPOOL_REC_END) {
			sp->rd_stuck = 1;
			return rec_fail(sp, st, &r, s->first, sp->rd_off, sp->rd_next);
		}
		if (sp->rd_seg + 1 >= sp->nsegs)
			return SPOOL_E_EMPTY;	/* unreachable while rd_next < next_recno */
		/* End of a sealed segment: the next must continue the numbering exactly. */
		uint64_t nf = sp->segs[sp->rd_seg + 1].first;
		if (nf != sp->rd_next) {
			sp->rd_stuck = 1;
			return spool_fail(&sp->err, nf > sp->rd_next ? SPOOL_E_GAP : SPOOL_E_ORDER, 0,
			    nf, 0, sp->rd_next, nf > sp->rd_next ?
			    "segment starts after the record expected (missing segment?)" :
			    "segment starts before the record expected (stray segment?)");
		}
		if ((e = reader_open_seg(sp, sp->rd_seg + 1)) != SPOOL_OK)
			return e;
		sp->rd_pos = 1;
	}
	return spool_fail(&sp->err, SPOOL_E_CORRUPT, 0, 0, 0, sp->rd_next, "reader loop bound");
}

uint64_t
spool_read_pos(const struct spool *sp)
{
	return sp->rd_next;
}

enum spool_err
spool_read_skip(struct spool *sp, uint64_t recno, size_t len)
{
	const struct spool_recent *r;
	size_t i;
	enum spool_err e;

	if (sp == NULL)
		return SPOOL_E_INVAL;
	r = &sp->recent[recno % SPOOL_RECENT];
	if (sp->rd_stuck || recno == 0 || recno != sp->rd_next || recno >= sp->next_recno ||
	    r->recno != recno || r->len != len)
		return SPOOL_E_INVAL;
	/* Where the reader must stand: the record's segment, at its frame header (or at the end
	 * of the previous segment when the record starts a new one; or anywhere after a reset,
	 * since the record's place is known). */
	if (sp->rd_pos && sp->segs[sp->rd_seg].first == r->seg_first) {
		i = sp->rd_seg;
		if (sp->rd_off != r->off)
			return SPOOL_E_INVAL;	/* not where the record was written */
	} else {
		i = seg_find(sp, recno);
		if (i == sp->nsegs || sp->segs[i].first != r->seg_first ||
		    (sp->rd_pos && !(i == sp->rd_seg + 1 &&
		    sp->rd_off == sp->segs[sp->rd_seg].size)))
			return SPOOL_E_INVAL;
	}
	if (r->off + SPOOL_REC_HDRLEN + r->len > sp->segs[i].size)
		return SPOOL_E_INVAL;		/* cannot happen: the segment holds it */
	if (i != sp->rd_seg || !sp->rd_pos) {
		if ((e = reader_open_seg(sp, i)) != SPOOL_OK)
			return e;
	}
	sp->rd_off = r->off + SPOOL_REC_HDRLEN + r->len;
	sp->rd_pos = 1;
	sp->rd_next++;
	return SPOOL_OK;
}

void
spool_rewind(struct spool *sp)
{
	if (sp == NULL)
		return;
	spool_reader_reset(sp);
	sp->rd_next = sp->acked + 1;
	sp->rd_stuck = 0;
}

enum spool_err
spool_skip_damaged(struct spool *sp, uint64_t *out_first, uint64_t *out_last)
{
	size_t base, j;

	if (sp == NULL || out_first == NULL || out_last == NULL)
		return SPOOL_E_INVAL;
	*out_first = 1;
	*out_last = 0;
	if (!sp->rd_stuck)
		return spool_fail(&sp->err, SPOOL_E_INVAL, 0, 0, 0, sp->rd_next,
		    "reader is not stopped on damage");
	/* Resume at the first later segment that starts at or after the record wanted. */
	base = sp->rd_pos ? sp->rd_seg + 1 : seg_find(sp, sp->rd_next) + 1;
	if (base > sp->nsegs)
		base = 0;
	for (j = base; j < sp->nsegs; j++)
		if (sp->segs[j].first >= sp->rd_next)
			break;
	*out_first = sp->rd_next;
	if (j < sp->nsegs) {
		enum spool_err e;
		*out_last = sp->segs[j].first - 1;
		sp->rd_next = sp->segs[j].first;
		if ((e = reader_open_seg(sp, j)) != SPOOL_OK)
			return e;
		sp->rd_pos = 1;
	} else {
		/* Nothing intact after the damage: give up to the end of what was appended. */
		*out_last = sp->next_recno - 1;
		spool_reader_reset(sp);
		sp->rd_next = sp->next_recno;
		if (sp->nsegs > 0 && !sp->force_roll) {
			enum spool_err e = reader_open_seg(sp, sp->nsegs - 1);
			if (e != SPOOL_OK)
				return e;
			sp->rd_off = sp->segs[sp->nsegs - 1].size;
			sp->rd_pos = 1;
		}
	}
	if (*out_last >= *out_first)
		sp->st.skipped_records += *out_last - *out_first + 1;
	sp->rd_stuck = 0;
	return SPOOL_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Full verification                                                                          */

enum spool_err
spool_verify(struct spool *sp, uint64_t *out_records)
{
	uint64_t count = 0, expect = 0;

	if (sp == NULL)
		return SPOOL_E_INVAL;
	if (out_records)
		*out_records = 0;
	for (size_t i = 0; i < sp->nsegs; i++) {
		const struct spool_seg *s = &sp->segs[i];
		uint64_t off = SPOOL_SEG_HDRLEN, next = s->first;
		enum spool_err e = SPOOL_OK;
		int fd;

		/* A boundary that skips or repeats numbers matters only if it touches records
		 * not yet acknowledged: acknowledged ones may legitimately be gone. */
		if (i > 0 && s->first != expect && (s->first > sp->acked + 1 || expect > sp->acked))
			return spool_fail(&sp->err, s->first > expect ? SPOOL_E_GAP : SPOOL_E_ORDER, 0,
			    s->first, 0, expect, s->first > expect ?
			    "segment starts after the record expected (missing segment?)" :
			    "segment starts before the record expected (stray segment?)");
		if ((fd = spool_seg_open(sp, i, O_RDONLY)) < 0)
			return spool_fail(&sp->err, SPOOL_E_IO, errno, s->first, 0, 0,
			    "cannot open segment");
		for (;;) {
			struct spool_rec r;
			enum spool_rec_status st = spool_rec_read(sp, fd, s->first, off, s->size,
			    next, SPOOL_REC_CHECK, NULL, 0, &r);
			if (st == SPOOL_REC_END)
				break;
			if (st != SPOOL_REC_OK) {
				e = rec_fail(sp, st, &r, s->first, off, next);
				break;
			}
			off = r.end;
			next++;
			count++;
		}
		close(fd);
		if (e != SPOOL_OK)
			return e;
		expect = next;
	}
	if (out_records)
		*out_records = count;
	return SPOOL_OK;
}
