/*
 * The LEMF output directory: per-LIID files, the SQLite state, commit and crash recovery
 * (contract and guarantees in lemf_store.h and docs/lemf.md).
 *
 * The order of operations is the whole point of this file:
 *   put:      duplicate check -> records appended to the LIID's buffers/files -> sequence
 *             number recorded in memory;
 *   commit:   buffers written -> fdatasync of each file written to -> one SQLite transaction
 *             with the new file sizes and sequence ranges (the commit point);
 *   open:     every file cut back to its committed size (what lies beyond was never committed,
 *             so its sequence numbers were not recorded and the MDF, never acknowledged, sends
 *             it again), then the last committed record checked.
 *   new LIID: directory and files created and synced first, then the LIID's row inserted; a
 *             file found where no row claims it is renamed aside (never deleted, never reused).
 *   rotate:   after a commit: both files renamed to their part names, fresh files created and
 *             synced, then one transaction records the part and the fresh files; open finishes
 *             a rotation that a crash interrupted (a part file one past the recorded parts).
 */
#include "lemf/lemf_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lemf/lemf_rec.h"

#define OUT_BUF		(32 * 1024)
#define SCRATCH_INIT	(16 * 1024)
#define SCRATCH_MAX	(1024 * 1024)	/* JSON of one PDU: 256 KiB of BER can't exceed it */
#define DIR_MAX		3000		/* longest output directory path accepted */
#define PATH_LEN	(DIR_MAX + LEMF_DIRNAME_MAX + 64)
#define DB_VERSION	2		/* 2: parts (rotation); 1 is upgraded at open */

static const char *const lemf_errstr[LEMF_E_COUNT] = {
	[LEMF_OK] = "ok",
	[LEMF_E_NOMEM] = "out of memory",
	[LEMF_E_IO] = "file system error",
	[LEMF_E_DB] = "state database error",
	[LEMF_E_LOCKED] = "output directory in use by another LEMF",
	[LEMF_E_STATE] = "state and output files disagree",
	[LEMF_E_FORMAT] = "file not in the expected format",
	[LEMF_E_LIMIT] = "configured limit reached",
	[LEMF_E_TOO_BIG] = "record too large",
	[LEMF_E_CONFIG] = "invalid configuration",
};

const char *
lemf_strerror(enum lemf_err e)
{
	if ((unsigned)e >= LEMF_E_COUNT || lemf_errstr[e] == NULL)
		return "unknown LEMF error";
	return lemf_errstr[e];
}

/* ================================================================ types */

struct out {			/* one output file of an LIID */
	int fd;			/* -1 while closed */
	uint64_t size;		/* logical: on disk + buffered */
	uint64_t last;		/* pcap: offset of the last record header, 0 = none */
	uint64_t records;
	uint64_t committed, committed_last, committed_records;
	uint8_t *buf;		/* OUT_BUF octets while open */
	size_t blen;
	int written;		/* since the last commit: needs fdatasync */
	enum lemf_pcap_fmt fmt;	/* cc: its format, by its header (lemf_rec.h) */
};

struct lliid {
	int64_t id;		/* row id in the liid table */
	uint8_t liid[HI2_LIID_MAX];
	uint8_t len;
	char dirname[LEMF_DIRNAME_MAX];
	struct out cc, iri;
	uint32_t parts;		/* closed parts: the next one is parts + 1 */
	int64_t started;	/* when the current part began (Unix seconds) */
	uint8_t open, touched, dirty;
};

struct lstream {
	uint32_t liid;		/* index into liids */
	int64_t cin;		/* -1: no CIN in the PDUs */
	uint8_t kind;		/* HI2_KIND_IRI or HI2_KIND_CC: numbered separately */
	struct lemf_seq seq;
	uint64_t pdus, dups;
	int64_t first, last;
	uint8_t dirty;
};

struct lemf_store {
	struct lemf_store_config cfg;
	char dir[DIR_MAX + 1];
	int dirfd, lockfd, rejfd;
	sqlite3 *db;
	sqlite3_stmt *q_upd_liid, *q_ins_liid, *q_put_stream, *q_ins_part, *q_rot_liid;
	struct lliid *liids;
	uint32_t nliids, capliids;
	struct lstream *streams;
	uint32_t nstreams, capstreams;
	uint32_t *liid_tab, liid_mask;		/* open addressing: index + 1, 0 = empty */
	uint32_t *stream_tab, stream_mask;
	uint32_t *dirty_liids, ndirty_liids;	/* capacity capliids */
	uint32_t *dirty_streams, ndirty_streams;	/* capacity capstreams */
	uint32_t *open, nopen;			/* capacity max_open */
	uint64_t ranges;
	uint64_t pending;
	uint64_t seed;
	uint64_t rej_seq;
	uint32_t rej_count;
	struct ovt_builder scratch;
	enum lemf_err broken;
	char err[LEMF_MSG_MAX];
	struct lemf_store_stats st;
};


/* ================================================================ small helpers */

static void setmsg(char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
setmsg(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (msg == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
}

/* Marks the store broken (first failure wins) and returns LEMF_PUT_FAILED's cause. */
static enum lemf_err fail(struct lemf_store *s, enum lemf_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum lemf_err
fail(struct lemf_store *s, enum lemf_err e, const char *fmt, ...)
{
	va_list ap;

	if (s->broken != LEMF_OK)
		return s->broken;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	s->broken = e;
	return e;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
pread_all(int fd, uint8_t *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t r = pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;	/* the file is shorter than fstat said */
			return -1;
		}
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static uint64_t
mix64(uint64_t x)
{
	/* splitmix64 finalizer: spreads every input bit over the table index */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t
hash_bytes(uint64_t seed, const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;	/* FNV-1a, seeded per process */
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return mix64(h);
}

static uint32_t
table_size(uint32_t max)
{
	uint32_t n = 16;
	while (n < 2 * (uint64_t)max && n < (1u << 30))
		n <<= 1;
	return n;
}

void
lemf_liid_dirname(const uint8_t *liid, size_t len, char out[static LEMF_DIRNAME_MAX])
{
	static const char hex[] = "0123456789ABCDEF";
	struct ovt_cursor cur;
	size_t o = 0;
	uint8_t c;

	cur_init(&cur, liid, len > HI2_LIID_MAX ? HI2_LIID_MAX : len);
	while (cur_get_u8(&cur, &c)) {
		int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '_' || c == '-' || (c == '.' && o > 0);
		if (keep) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

/* ================================================================ output files */

static void
out_init(struct out *o)
{
	memset(o, 0, sizeof(*o));
	o->fd = -1;
}

static int
out_flush(struct out *o)
{
	if (o->blen == 0)
		return 0;
	if (write_all(o->fd, o->buf, o->blen) != 0)
		return -1;
	o->blen = 0;
	return 0;
}

static int
out_write(struct out *o, const void *p, size_t n)
{
	if (n > OUT_BUF - o->blen && out_flush(o) != 0)
		return -1;
	if (n >= OUT_BUF) {
		if (write_all(o->fd, p, n) != 0)
			return -1;
	} else {
		memcpy(o->buf + o->blen, p, n);
		o->blen += n;
	}
	o->size += n;
	o->written = 1;
	return 0;
}

static void
out_close(struct out *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	free(o->buf);
	o->buf = NULL;
	o->blen = 0;
}

/* Opens an existing output file for appending; its size must be what we committed. */
static int
out_open(struct lemf_store *s, struct out *o, const char *dirname, const char *name)
{
	char path[LEMF_DIRNAME_MAX + 32];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dirname, name);
	o->fd = openat(s->dirfd, path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (o->fd < 0) {
		fail(s, LEMF_E_IO, "%s/%s: open: %s", s->dir, path, strerror(errno));
		return -1;
	}
	if (fstat(o->fd, &sb) != 0 || (uint64_t)sb.st_size != o->size) {
		fail(s, LEMF_E_STATE, "%s/%s: size changed behind our back", s->dir, path);
		out_close(o);
		return -1;
	}
	if ((o->buf = malloc(OUT_BUF)) == NULL) {
		fail(s, LEMF_E_NOMEM, "output buffer");
		out_close(o);
		return -1;
	}
	return 0;
}

/* ================================================================ LIIDs and streams */

static uint32_t *
liid_slot(struct lemf_store *s, const uint8_t *p, size_t n)
{
	uint32_t i = (uint32_t)hash_bytes(s->seed, p, n) & s->liid_mask;

	/* The table has 2x the maximum entries: an empty slot always ends the probe. */
	for (;; i = (i + 1) & s->liid_mask) {
		uint32_t v = s->liid_tab[i];
		if (v == 0)
			return &s->liid_tab[i];
		if (s->liids[v - 1].len == n && memcmp(s->liids[v - 1].liid, p, n) == 0)
			return &s->liid_tab[i];
	}
}

static uint32_t *
stream_slot(struct lemf_store *s, uint32_t liid, int64_t cin, uint8_t kind)
{
	uint32_t i = (uint32_t)mix64(s->seed ^ ((uint64_t)liid << 34) ^
				     ((uint64_t)kind << 32) ^ (uint64_t)cin) & s->stream_mask;

	for (;; i = (i + 1) & s->stream_mask) {
		uint32_t v = s->stream_tab[i];
		const struct lstream *st;
		if (v == 0)
			return &s->stream_tab[i];
		st = &s->streams[v - 1];
		if (st->liid == liid && st->cin == cin && st->kind == kind)
			return &s->stream_tab[i];
	}
}

/* Room for one more LIID entry (and its dirty-list slot). */
static int
liid_reserve(struct lemf_store *s)
{
	uint32_t ncap;
	void *a, *b;

	if (s->nliids < s->capliids)
		return 0;
	ncap = s->capliids ? s->capliids * 2 : 64;
	if (ncap > s->cfg.max_liids)
		ncap = s->cfg.max_liids;
	if (ncap <= s->nliids)
		return -1;
	if ((a = realloc(s->liids, (size_t)ncap * sizeof(*s->liids))) == NULL)
		return -1;
	s->liids = a;
	if ((b = realloc(s->dirty_liids, (size_t)ncap * sizeof(uint32_t))) == NULL)
		return -1;
	s->dirty_liids = b;
	s->capliids = ncap;
	return 0;
}

static int
stream_reserve(struct lemf_store *s)
{
	uint32_t ncap;
	void *a, *b;

	if (s->nstreams < s->capstreams)
		return 0;
	ncap = s->capstreams ? s->capstreams * 2 : 256;
	if (ncap > s->cfg.max_streams)
		ncap = s->cfg.max_streams;
	if (ncap <= s->nstreams)
		return -1;
	if ((a = realloc(s->streams, (size_t)ncap * sizeof(*s->streams))) == NULL)
		return -1;
	s->streams = a;
	if ((b = realloc(s->dirty_streams, (size_t)ncap * sizeof(uint32_t))) == NULL)
		return -1;
	s->dirty_streams = b;
	s->capstreams = ncap;
	return 0;
}

static void
liid_dirty(struct lemf_store *s, uint32_t i)
{
	if (!s->liids[i].dirty) {
		s->liids[i].dirty = 1;
		s->dirty_liids[s->ndirty_liids++] = i;
	}
}

static void
stream_dirty(struct lemf_store *s, uint32_t i)
{
	if (!s->streams[i].dirty) {
		s->streams[i].dirty = 1;
		s->dirty_streams[s->ndirty_streams++] = i;
	}
}

static void
liid_close(struct lemf_store *s, uint32_t i)
{
	struct lliid *l = &s->liids[i];
	out_close(&l->cc);
	out_close(&l->iri);
	l->open = 0;
	l->touched = 0;
}

/* Closes the files of every LIID not written to since the previous commit (all = 1: every
 * LIID).  Only called right after a successful commit: nothing is buffered then. */
static void
close_idle(struct lemf_store *s, int all)
{
	uint32_t k = 0;

	for (uint32_t j = 0; j < s->nopen; j++) {
		uint32_t i = s->open[j];
		if (all || !s->liids[i].touched) {
			liid_close(s, i);
		} else {
			s->liids[i].touched = 0;
			s->open[k++] = i;
		}
	}
	s->nopen = k;
}

static enum lemf_err commit(struct lemf_store *s);

/* A free slot among the LIIDs with open files: if all are taken, commit and close them all. */
static int
open_slot(struct lemf_store *s)
{
	if (s->nopen < s->cfg.max_open)
		return 0;
	if (commit(s) != LEMF_OK)
		return -1;
	close_idle(s, 1);
	return 0;
}

static int
liid_open(struct lemf_store *s, uint32_t i)
{
	struct lliid *l = &s->liids[i];

	if (l->open) {
		l->touched = 1;
		return 0;
	}
	if (open_slot(s) != 0)
		return -1;
	l = &s->liids[i];
	if (out_open(s, &l->cc, l->dirname, "cc.pcap") != 0)
		return -1;
	if (out_open(s, &l->iri, l->dirname, "iri.jsonl") != 0) {
		out_close(&l->cc);
		return -1;
	}
	l->open = 1;
	l->touched = 1;
	s->open[s->nopen++] = i;
	return 0;
}

/* Renames DIR/<dirname>/name aside if it exists (no state claims it). */
static int
set_aside(struct lemf_store *s, int dfd, const char *dirname, const char *name)
{
	struct stat sb;
	char to[64];

	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -1;
	for (unsigned n = 0; n < 100; n++) {
		snprintf(to, sizeof(to), "%s.orphan-%lld-%u", name, (long long)time(NULL), n);
		if (renameat2(dfd, name, dfd, to, RENAME_NOREPLACE) == 0) {
			s->st.orphans++;
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	fail(s, LEMF_E_IO, "%s/%s/%s: cannot rename it aside: %s", s->dir, dirname, name,
	     strerror(errno));
	return -1;
}

/* Creates DIR/<dirname>/ with a fresh cc.pcap (file header only) and an empty iri.jsonl,
 * synced; cc and iri receive the open descriptors. */
static int
create_files(struct lemf_store *s, const char *dirname, int *cc, int *iri)
{
	uint8_t hdr[LEMF_PCAP_FILEHDR];
	const int fl = O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;
	int dfd;

	*cc = *iri = -1;
	if (mkdirat(s->dirfd, dirname, 0700) != 0 && errno != EEXIST)
		goto io;
	if ((dfd = openat(s->dirfd, dirname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		goto io;
	if (set_aside(s, dfd, dirname, "cc.pcap") != 0 ||
	    set_aside(s, dfd, dirname, "iri.jsonl") != 0) {
		close(dfd);
		return -1;
	}
	(void)lemf_pcap_filehdr(hdr, LEMF_PCAP_NG);
	if ((*cc = openat(dfd, "cc.pcap", fl, 0600)) < 0 ||
	    (*iri = openat(dfd, "iri.jsonl", fl, 0600)) < 0 ||
	    write_all(*cc, hdr, sizeof(hdr)) != 0 ||
	    (s->cfg.fsync && (fdatasync(*cc) != 0 || fdatasync(*iri) != 0 || fsync(dfd) != 0 ||
			      fsync(s->dirfd) != 0))) {
		int saved = errno;
		close(dfd);
		errno = saved;
		goto io;
	}
	close(dfd);
	return 0;
io:
	fail(s, LEMF_E_IO, "%s/%s: %s", s->dir, dirname, strerror(errno));
	if (*cc >= 0)
		close(*cc);
	if (*iri >= 0)
		close(*iri);
	*cc = *iri = -1;
	return -1;
}

/* The index of the LIID, creating it (directory, files, state row) if it is new.
 * Returns 0, 1 on a limit (nothing changed), -1 on failure (store broken). */
static int
liid_get(struct lemf_store *s, struct hi2_bytes liid, uint32_t *out)
{
	uint32_t *slot = liid_slot(s, liid.p, liid.len), i;
	struct lliid *l;
	int cc, iri;
	int64_t now = (int64_t)time(NULL);

	if (*slot != 0) {
		*out = *slot - 1;
		return 0;
	}
	if (s->nliids >= s->cfg.max_liids)
		return 1;
	if (liid_reserve(s) != 0) {
		fail(s, LEMF_E_NOMEM, "LIID table");
		return -1;
	}
	if (open_slot(s) != 0)
		return -1;
	i = s->nliids;
	l = &s->liids[i];
	memset(l, 0, sizeof(*l));
	memcpy(l->liid, liid.p, liid.len);
	l->len = (uint8_t)liid.len;
	lemf_liid_dirname(liid.p, liid.len, l->dirname);
	out_init(&l->cc);
	out_init(&l->iri);
	if (create_files(s, l->dirname, &cc, &iri) != 0)
		return -1;
	/* The row goes in after the files exist and are synced: a row always has its files. */
	sqlite3_reset(s->q_ins_liid);
	sqlite3_bind_blob(s->q_ins_liid, 1, l->liid, l->len, SQLITE_STATIC);
	sqlite3_bind_int64(s->q_ins_liid, 2, LEMF_PCAP_FILEHDR);
	sqlite3_bind_int64(s->q_ins_liid, 3, now);
	if (sqlite3_step(s->q_ins_liid) != SQLITE_DONE) {
		fail(s, LEMF_E_DB, "new LIID: %s", sqlite3_errmsg(s->db));
		close(cc);
		close(iri);
		return -1;
	}
	l->id = sqlite3_last_insert_rowid(s->db);
	l->started = now;
	l->cc.fd = cc;
	l->iri.fd = iri;
	l->cc.size = l->cc.committed = LEMF_PCAP_FILEHDR;
	l->cc.fmt = LEMF_PCAP_NG;
	if ((l->cc.buf = malloc(OUT_BUF)) == NULL || (l->iri.buf = malloc(OUT_BUF)) == NULL) {
		fail(s, LEMF_E_NOMEM, "output buffer");
		out_close(&l->cc);
		out_close(&l->iri);
		return -1;
	}
	l->open = 1;
	l->touched = 1;
	s->open[s->nopen++] = i;
	*slot = i + 1;
	s->nliids++;
	*out = i;
	return 0;
}

/* The index of the stream, creating it in memory if new.  0, 1 on a limit, -1 on no memory. */
static int
stream_get(struct lemf_store *s, uint32_t liid, int64_t cin, uint8_t kind, uint32_t *out)
{
	uint32_t *slot = stream_slot(s, liid, cin, kind), i;
	struct lstream *st;

	if (*slot != 0) {
		*out = *slot - 1;
		return 0;
	}
	if (s->nstreams >= s->cfg.max_streams)
		return 1;
	if (stream_reserve(s) != 0) {
		fail(s, LEMF_E_NOMEM, "stream table");
		return -1;
	}
	i = s->nstreams++;
	st = &s->streams[i];
	memset(st, 0, sizeof(*st));
	st->liid = liid;
	st->cin = cin;
	st->kind = kind;
	lemf_seq_init(&st->seq);
	*slot = i + 1;
	*out = i;
	return 0;
}

/* ================================================================ put */

static int
put_cc(struct lemf_store *s, struct lliid *l, const struct hi2_pdu *pdu, int64_t rs,
       uint32_t ru)
{
	struct hi2_pdu p = *pdu;
	struct hi2_cc_item it;

	while (hi2_next_cc(&p, &it)) {
		uint8_t hdr[LEMF_PCAP_RECHDR], trl[LEMF_PCAP_RECTRL_MAX];
		size_t hl, tl;
		uint32_t sec, usec;
		struct ovt_cursor pc;
		uint8_t v = 0;

		cur_init(&pc, it.pkt.p, it.pkt.len);
		if (cur_peek_u8(&pc, &v))
			v >>= 4;		/* IP version nibble */

		if (!lemf_cc_time(pdu, &it, &sec, &usec)) {
			/* No usable time in the PDU: the receive time is the best we have
			 * (counted, so the analyst knows some times are not original). */
			s->st.cc_no_time++;
			sec = rs >= 0 && rs <= (int64_t)UINT32_MAX ? (uint32_t)rs : 0;
			usec = ru;
		}
		if (v != 4 && v != 6)
			s->st.cc_not_ip++;
		lemf_pcap_record(l->cc.fmt, sec, usec, (uint32_t)it.pkt.len, lemf_cc_dir(&it), hdr,
				 &hl, trl, &tl);
		l->cc.last = l->cc.size;
		if (out_write(&l->cc, hdr, hl) != 0 ||
		    (it.pkt.len > 0 && out_write(&l->cc, it.pkt.p, it.pkt.len) != 0) ||
		    (tl > 0 && out_write(&l->cc, trl, tl) != 0)) {
			fail(s, LEMF_E_IO, "%s/%s/cc.pcap: write: %s", s->dir, l->dirname,
			     strerror(errno));
			return -1;
		}
		l->cc.records++;
		s->st.cc_records++;
		s->st.cc_bytes += it.pkt.len;
	}
	return 0;
}

/* JSON lines of every IRI item of the PDU into the scratch builder; -1 if too big. */
static int
encode_iri(struct lemf_store *s, const struct hi2_pdu *pdu, int64_t rs, uint32_t ru,
	   unsigned *n)
{
	struct hi2_pdu p = *pdu;
	struct hi2_iri_item it;
	struct lemf_iri_ctx ctx = {pdu, 0, rs, ru};

	bld_reset(&s->scratch);
	*n = 0;
	while (hi2_next_iri(&p, &it)) {
		ctx.item = (*n)++;
		if (lemf_iri_json(&s->scratch, &ctx, &it) != 0)
			return -1;
	}
	return 0;
}

enum lemf_put
lemf_store_put(struct lemf_store *s, const struct hi2_pdu *pdu, int64_t recv_sec,
	       uint32_t recv_usec)
{
	uint32_t li, si;
	struct lstream *st;
	struct lliid *l;
	unsigned nlines = 0;
	int r, delta = 0;
	enum lemf_seq_res sr;
	int64_t cin = pdu->has_cin ? (int64_t)pdu->cin : -1;

	if (s->broken != LEMF_OK)
		return LEMF_PUT_FAILED;
	if ((pdu->kind != HI2_KIND_IRI && pdu->kind != HI2_KIND_CC) || pdu->liid.len == 0 ||
	    pdu->liid.len > HI2_LIID_MAX) {
		s->st.refused_other++;
		return LEMF_PUT_REFUSED;
	}
	if ((r = liid_get(s, pdu->liid, &li)) != 0 ||
	    (r = stream_get(s, li, cin, (uint8_t)pdu->kind, &si)) != 0) {
		if (r > 0) {
			s->st.refused_limit++;
			return LEMF_PUT_LIMIT;
		}
		return LEMF_PUT_FAILED;
	}
	st = &s->streams[si];
	s->pending++;
	if (st->first == 0)
		st->first = recv_sec;
	st->last = recv_sec;
	if (lemf_seq_has(&st->seq, pdu->seq)) {
		st->dups++;
		s->st.pdus_dup++;
		stream_dirty(s, si);
		return LEMF_PUT_DUP;
	}
	if (liid_open(s, li) != 0)
		return LEMF_PUT_FAILED;
	if (pdu->kind == HI2_KIND_IRI && encode_iri(s, pdu, recv_sec, recv_usec, &nlines) != 0) {
		s->st.refused_other++;
		return LEMF_PUT_REFUSED;
	}
	/* The global range budget: a new range only while the total is under the cap. */
	sr = lemf_seq_add(&st->seq, pdu->seq,
			  s->ranges < s->cfg.max_ranges ? UINT32_MAX : st->seq.n, &delta);
	if (sr != LEMF_SEQ_NEW) {
		s->st.refused_limit++;
		return LEMF_PUT_LIMIT;
	}
	s->ranges = (uint64_t)((int64_t)s->ranges + delta);
	l = &s->liids[li];
	if (pdu->kind == HI2_KIND_IRI) {
		if (out_write(&l->iri, bld_data(&s->scratch), bld_len(&s->scratch)) != 0) {
			fail(s, LEMF_E_IO, "%s/%s/iri.jsonl: write: %s", s->dir, l->dirname,
			     strerror(errno));
			return LEMF_PUT_FAILED;
		}
		l->iri.records += nlines;
		s->st.iri_records += nlines;
	} else if (put_cc(s, l, pdu, recv_sec, recv_usec) != 0) {
		return LEMF_PUT_FAILED;
	}
	st->pdus++;
	s->st.pdus_new++;
	stream_dirty(s, si);
	liid_dirty(s, li);
	return LEMF_PUT_NEW;
}

/* ================================================================ commit */

static int
db_exec(struct lemf_store *s, const char *sql)
{
	char *e = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &e) != SQLITE_OK) {
		fail(s, LEMF_E_DB, "%s: %s", sql, e ? e : sqlite3_errmsg(s->db));
		sqlite3_free(e);
		return -1;
	}
	return 0;
}

static int
commit_liid(struct lemf_store *s, struct lliid *l)
{
	struct out *o[2] = {&l->cc, &l->iri};
	static const char *const name[2] = {"cc.pcap", "iri.jsonl"};

	for (int k = 0; k < 2; k++) {
		if (!o[k]->written)
			continue;
		if (out_flush(o[k]) != 0 || (s->cfg.fsync && fdatasync(o[k]->fd) != 0)) {
			fail(s, LEMF_E_IO, "%s/%s/%s: %s", s->dir, l->dirname, name[k],
			     strerror(errno));
			return -1;
		}
	}
	sqlite3_reset(s->q_upd_liid);
	sqlite3_bind_int64(s->q_upd_liid, 1, (sqlite3_int64)l->cc.size);
	sqlite3_bind_int64(s->q_upd_liid, 2, (sqlite3_int64)l->cc.last);
	sqlite3_bind_int64(s->q_upd_liid, 3, (sqlite3_int64)l->iri.size);
	sqlite3_bind_int64(s->q_upd_liid, 4, (sqlite3_int64)l->cc.records);
	sqlite3_bind_int64(s->q_upd_liid, 5, (sqlite3_int64)l->iri.records);
	sqlite3_bind_int64(s->q_upd_liid, 6, l->id);
	if (sqlite3_step(s->q_upd_liid) != SQLITE_DONE) {
		fail(s, LEMF_E_DB, "update LIID: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

static int
commit_stream(struct lemf_store *s, struct lstream *st)
{
	struct ovt_builder b;
	int rc;

	if (!bld_init(&b, 64, (size_t)st->seq.n * LEMF_SEQ_RANGE_BYTES + 8)) {
		fail(s, LEMF_E_NOMEM, "sequence state");
		return -1;
	}
	lemf_seq_encode(&st->seq, &b);
	sqlite3_reset(s->q_put_stream);
	sqlite3_bind_int64(s->q_put_stream, 1, s->liids[st->liid].id);
	sqlite3_bind_int64(s->q_put_stream, 2, st->cin);
	sqlite3_bind_int(s->q_put_stream, 8, st->kind);
	sqlite3_bind_blob(s->q_put_stream, 3, bld_data(&b), (int)bld_len(&b), SQLITE_TRANSIENT);
	sqlite3_bind_int64(s->q_put_stream, 4, (sqlite3_int64)st->pdus);
	sqlite3_bind_int64(s->q_put_stream, 5, (sqlite3_int64)st->dups);
	sqlite3_bind_int64(s->q_put_stream, 6, st->first);
	sqlite3_bind_int64(s->q_put_stream, 7, st->last);
	rc = bld_ok(&b) ? sqlite3_step(s->q_put_stream) : SQLITE_NOMEM;
	bld_cleanup(&b);
	if (rc != SQLITE_DONE) {
		fail(s, LEMF_E_DB, "update stream: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

static enum lemf_err
commit(struct lemf_store *s)
{
	if (s->broken != LEMF_OK)
		return s->broken;
	if (s->ndirty_liids == 0 && s->ndirty_streams == 0) {
		s->pending = 0;
		return LEMF_OK;
	}
	/* 1. Output data on disk (the files come first: see the file comment). */
	/* 2. Then the state that says it is there, in one transaction. */
	if (db_exec(s, "BEGIN IMMEDIATE") != 0)
		return s->broken;
	for (uint32_t j = 0; j < s->ndirty_liids; j++)
		if (commit_liid(s, &s->liids[s->dirty_liids[j]]) != 0)
			goto rollback;
	for (uint32_t j = 0; j < s->ndirty_streams; j++)
		if (commit_stream(s, &s->streams[s->dirty_streams[j]]) != 0)
			goto rollback;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fail(s, LEMF_E_DB, "commit: %s", sqlite3_errmsg(s->db));
		goto rollback;
	}
	for (uint32_t j = 0; j < s->ndirty_liids; j++) {
		struct lliid *l = &s->liids[s->dirty_liids[j]];
		struct out *o[2] = {&l->cc, &l->iri};
		for (int k = 0; k < 2; k++) {
			o[k]->committed = o[k]->size;
			o[k]->committed_last = o[k]->last;
			o[k]->committed_records = o[k]->records;
			o[k]->written = 0;
		}
		l->dirty = 0;
	}
	for (uint32_t j = 0; j < s->ndirty_streams; j++)
		s->streams[s->dirty_streams[j]].dirty = 0;
	s->ndirty_liids = s->ndirty_streams = 0;
	s->pending = 0;
	s->st.commits++;
	return LEMF_OK;
rollback:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return s->broken;
}

/* ================================================================ rotation */

/* The file name of kind k (0 CC, 1 IRI): the current file (n = 0) or closed part n. */
static void
file_name(char *out, size_t cap, int k, uint32_t n)
{
	static const char *const current[2] = {"cc.pcap", "iri.jsonl"};

	if (n == 0)
		snprintf(out, cap, "%s", current[k]);
	else
		snprintf(out, cap, "%s-%06" PRIu32 "%s", k ? "iri" : "cc", n, k ? ".jsonl" : ".pcap");
}

static void
file_path(char *out, size_t cap, const struct lliid *l, int k, uint32_t n)
{
	char name[32];

	file_name(name, sizeof(name), k, n);
	snprintf(out, cap, "%s/%s", l->dirname, name);
}

/* 1 if the DIR-relative path exists (sb filled), 0 if not, -1 on another error. */
static int
path_stat(struct lemf_store *s, const char *path, struct stat *sb)
{
	if (fstatat(s->dirfd, path, sb, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

/*
 * Steps 1 and 2 of the rotation of l to part n: each current file renamed to its part name,
 * then fresh current files created and synced (create_files also syncs the renames).  Run again
 * after a crash, it skips a rename already done; a current file found next to its part is then
 * the fresh one of step 2: removed when it holds nothing (at most a pcap header), else renamed
 * aside by create_files.
 */
static int
rotate_files(struct lemf_store *s, struct lliid *l, uint32_t n, int *cc, int *iri)
{
	char from[LEMF_DIRNAME_MAX + 32], to[LEMF_DIRNAME_MAX + 32];
	struct stat sb;
	int r;

	for (int k = 0; k < 2; k++) {
		file_path(from, sizeof(from), l, k, 0);
		file_path(to, sizeof(to), l, k, n);
		if ((r = path_stat(s, to, &sb)) < 0)
			goto io;
		if (r == 0) {
			if (renameat2(s->dirfd, from, s->dirfd, to, RENAME_NOREPLACE) != 0)
				goto io;
			continue;
		}
		if ((r = path_stat(s, from, &sb)) < 0)
			goto io;
		if (r == 1 && S_ISREG(sb.st_mode) &&
		    (uint64_t)sb.st_size <= (k == 0 ? LEMF_PCAP_FILEHDR : 0) &&
		    unlinkat(s->dirfd, from, 0) != 0)
			goto io;
	}
	return create_files(s, l->dirname, cc, iri);
io:
	fail(s, LEMF_E_IO, "%s/%s -> %s: %s", s->dir, from, to, strerror(errno));
	return -1;
}

/* Step 3, the commit point: part n as committed, and the fresh current files, in one
 * transaction. */
static int
rotate_record(struct lemf_store *s, struct lliid *l, uint32_t n, int64_t now)
{
	sqlite3_stmt *q = s->q_ins_part;

	if (db_exec(s, "BEGIN IMMEDIATE") != 0)
		return -1;
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, l->id);
	sqlite3_bind_int64(q, 2, n);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)l->cc.committed);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)l->cc.committed_last);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)l->cc.committed_records);
	sqlite3_bind_int64(q, 6, (sqlite3_int64)l->iri.committed);
	sqlite3_bind_int64(q, 7, (sqlite3_int64)l->iri.committed_records);
	sqlite3_bind_int64(q, 8, l->started);
	sqlite3_bind_int64(q, 9, now);
	if (sqlite3_step(q) != SQLITE_DONE)
		goto dberr;
	q = s->q_rot_liid;
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, n);
	sqlite3_bind_int64(q, 2, now);
	sqlite3_bind_int64(q, 3, LEMF_PCAP_FILEHDR);
	sqlite3_bind_int64(q, 4, l->id);
	if (sqlite3_step(q) != SQLITE_DONE)
		goto dberr;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto dberr;
	return 0;
dberr:
	fail(s, LEMF_E_DB, "rotation of %s: %s", l->dirname, sqlite3_errmsg(s->db));
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* The in-memory state of fresh current files after part n. */
static void
rotate_reset(struct lliid *l, uint32_t n, int64_t now)
{
	struct out *o[2] = {&l->cc, &l->iri};

	for (int k = 0; k < 2; k++) {
		o[k]->size = o[k]->committed = k == 0 ? LEMF_PCAP_FILEHDR : 0;
		o[k]->last = o[k]->committed_last = 0;
		o[k]->records = o[k]->committed_records = 0;
		o[k]->written = 0;
	}
	l->cc.fmt = LEMF_PCAP_NG;	/* a part begun by an earlier LEMF ends in its format */
	l->parts = n;
	l->started = now;
}

static int
rotate_due(const struct lemf_store *s, const struct lliid *l, int64_t now)
{
	uint64_t rb = s->cfg.rotate_bytes;

	if (l->cc.committed <= lemf_pcap_filehdr_len(l->cc.fmt) && l->iri.committed == 0)
		return 0;			/* never an empty part */
	if (l->dirty || l->cc.size != l->cc.committed || l->iri.size != l->iri.committed)
		return 0;			/* not right after a commit: next time */
	return (rb != 0 && (l->cc.committed >= rb || l->iri.committed >= rb)) ||
	    (s->cfg.rotate_secs != 0 && now - l->started >= (int64_t)s->cfg.rotate_secs);
}

/* Closes the current files of LIID i as its next part (called right after a commit: nothing
 * is buffered, everything written is committed). */
static int
rotate(struct lemf_store *s, uint32_t i, int64_t now)
{
	struct lliid *l = &s->liids[i];
	uint32_t n = l->parts + 1;
	int cc, iri;

	if (l->open) {		/* the buffers stay: the fresh files are opened in their place */
		close(l->cc.fd);
		close(l->iri.fd);
		l->cc.fd = l->iri.fd = -1;
	}
	if (rotate_files(s, l, n, &cc, &iri) != 0)
		return -1;
	if (rotate_record(s, l, n, now) != 0) {
		close(cc);
		close(iri);
		return -1;
	}
	rotate_reset(l, n, now);
	if (l->open) {
		l->cc.fd = cc;
		l->iri.fd = iri;
	} else {
		close(cc);
		close(iri);
	}
	s->st.rotations++;
	return 0;
}

/* Every LIID due for rotation (a loop over all of them: a few ns each, once per commit). */
static enum lemf_err
rotate_all(struct lemf_store *s)
{
	int64_t now = (int64_t)time(NULL);

	if (s->cfg.rotate_bytes == 0 && s->cfg.rotate_secs == 0)
		return LEMF_OK;
	for (uint32_t i = 0; i < s->nliids; i++)
		if (rotate_due(s, &s->liids[i], now) && rotate(s, i, now) != 0)
			return s->broken;
	return LEMF_OK;
}

enum lemf_err
lemf_store_commit(struct lemf_store *s)
{
	enum lemf_err e = commit(s);
	if (e == LEMF_OK)
		e = rotate_all(s);
	if (e == LEMF_OK)
		close_idle(s, 0);
	return e;
}

uint64_t
lemf_store_pending(const struct lemf_store *s)
{
	return s->pending;
}

/* ================================================================ refused PDUs */

void
lemf_store_reject(struct lemf_store *s, const uint8_t *raw, size_t len, char *name,
		  size_t namelen)
{
	char fn[96];
	int fd;

	if (namelen > 0)
		name[0] = '\0';
	if (s->rejfd < 0 || s->rej_count >= s->cfg.max_rejected) {
		s->st.rejected_dropped++;
		return;
	}
	snprintf(fn, sizeof(fn), "r-%lld-%ld-%" PRIu64 ".ber", (long long)time(NULL),
		 (long)getpid(), ++s->rej_seq);
	fd = openat(s->rejfd, fn, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write_all(fd, raw, len) != 0) {
		if (fd >= 0) {
			close(fd);
			unlinkat(s->rejfd, fn, 0);
		}
		s->st.rejected_dropped++;
		return;
	}
	close(fd);
	s->rej_count++;
	s->st.rejected_saved++;
	if (namelen > 0)
		snprintf(name, namelen, "rejected/%s", fn);
}

/* ================================================================ open and recovery */

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS liid("
	" id INTEGER PRIMARY KEY,"
	" liid BLOB NOT NULL UNIQUE,"
	" cc_size INTEGER NOT NULL,"	/* committed size of cc.pcap, file header included */
	" cc_last INTEGER NOT NULL,"	/* offset of the last committed record, 0 = none */
	" iri_size INTEGER NOT NULL,"	/* committed size of iri.jsonl */
	" cc_records INTEGER NOT NULL,"
	" iri_records INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" parts INTEGER NOT NULL DEFAULT 0,"	/* closed parts (version 2) */
	" started INTEGER NOT NULL DEFAULT 0);"	/* the current part's start (version 2) */
	"CREATE TABLE IF NOT EXISTS stream("
	" liid_id INTEGER NOT NULL REFERENCES liid(id),"
	" cin INTEGER NOT NULL,"	/* -1: PDUs without a CIN */
	" kind INTEGER NOT NULL,"	/* 1 IRI, 2 CC: TS 102 232-1 numbers them separately */
	" ranges BLOB NOT NULL,"	/* received sequence numbers (lemf_seq encoding) */
	" pdus INTEGER NOT NULL,"
	" dups INTEGER NOT NULL,"
	" first_seen INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL,"
	" PRIMARY KEY (liid_id, cin, kind));"
	"CREATE TABLE IF NOT EXISTS part("	/* version 2: closed parts, as committed */
	" liid_id INTEGER NOT NULL REFERENCES liid(id),"
	" n INTEGER NOT NULL,"		/* cc-<n>.pcap, iri-<n>.jsonl */
	" cc_size INTEGER NOT NULL,"
	" cc_last INTEGER NOT NULL,"
	" cc_records INTEGER NOT NULL,"
	" iri_size INTEGER NOT NULL,"
	" iri_records INTEGER NOT NULL,"
	" started INTEGER NOT NULL,"
	" closed INTEGER NOT NULL,"
	" PRIMARY KEY (liid_id, n));";

/* Version 1 had no rotation: its rows get no parts, their current part started at creation. */
static const char upgrade_1_to_2[] =
	"BEGIN IMMEDIATE;"
	"ALTER TABLE liid ADD COLUMN parts INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE liid ADD COLUMN started INTEGER NOT NULL DEFAULT 0;"
	"UPDATE liid SET started = created;"
	"COMMIT;";

static int
db_open(struct lemf_store *s, char *msg, size_t msglen, enum lemf_err *err)
{
	char path[PATH_LEN];
	sqlite3_stmt *q = NULL;
	int fd, ver = -1;

	snprintf(path, sizeof(path), "%s/lemf.db", s->dir);
	/* Created by us first, so that it is private (0600) whatever the umask. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		setmsg(msg, msglen, "%s: %s", path, strerror(errno));
		*err = LEMF_E_IO;
		return -1;
	}
	close(fd);
	*err = LEMF_E_DB;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		goto dberr;
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, s->cfg.fsync ? "PRAGMA synchronous=FULL" :
			 "PRAGMA synchronous=OFF", NULL, NULL, NULL) != SQLITE_OK)
		goto dberr;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW)
		goto dberr;
	ver = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	q = NULL;
	if (ver != 0 && ver != 1 && ver != DB_VERSION) {	/* 1: upgraded below */
		setmsg(msg, msglen, "%s: state version %d, this LEMF reads %d", path, ver,
		       DB_VERSION);
		*err = LEMF_E_FORMAT;
		return -1;
	}
	if ((ver == 1 && sqlite3_exec(s->db, upgrade_1_to_2, NULL, NULL, NULL) != SQLITE_OK) ||
	    sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "PRAGMA user_version=2", NULL, NULL, NULL) != SQLITE_OK)
		goto dberr;
	if (sqlite3_prepare_v2(s->db, "UPDATE liid SET cc_size=?1, cc_last=?2, iri_size=?3,"
			       " cc_records=?4, iri_records=?5 WHERE id=?6", -1, &s->q_upd_liid,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO liid(liid, cc_size, cc_last, iri_size,"
			       " cc_records, iri_records, created, parts, started)"
			       " VALUES (?1, ?2, 0, 0, 0, 0, ?3, 0, ?3)",
			       -1, &s->q_ins_liid, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO part(liid_id, n, cc_size, cc_last, cc_records,"
			       " iri_size, iri_records, started, closed) VALUES (?1, ?2, ?3, ?4,"
			       " ?5, ?6, ?7, ?8, ?9)", -1, &s->q_ins_part, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "UPDATE liid SET parts=?1, started=?2, cc_size=?3,"
			       " cc_last=0, iri_size=0, cc_records=0, iri_records=0 WHERE id=?4",
			       -1, &s->q_rot_liid, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO stream(liid_id, cin, kind, ranges,"
			       " pdus, dups, first_seen, last_seen) VALUES (?1, ?2, ?8, ?3, ?4, ?5,"
			       " ?6, ?7)",
			       -1, &s->q_put_stream, NULL) != SQLITE_OK)
		goto dberr;
	return 0;
dberr:
	setmsg(msg, msglen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
	sqlite3_finalize(q);
	return -1;
}

/* Cuts one output file back to its committed size and checks what remains. */
static enum lemf_err
recover_file(struct lemf_store *s, struct lliid *l, struct out *o, int pcap, const char *name,
	     char *msg, size_t msglen)
{
	char path[LEMF_DIRNAME_MAX + 32];
	struct stat sb;
	enum lemf_err e = LEMF_E_IO;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", l->dirname, name);
	if ((fd = openat(s->dirfd, path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) < 0 ||
	    fstat(fd, &sb) != 0) {
		int saved = errno;
		setmsg(msg, msglen, "%s/%s: %s (the state says it holds %" PRIu64 " octets)",
		       s->dir, path, strerror(saved), o->committed);
		e = saved == ENOENT ? LEMF_E_STATE : LEMF_E_IO;
		goto out;
	}
	if ((uint64_t)sb.st_size < o->committed) {
		setmsg(msg, msglen, "%s/%s: %" PRIu64 " octets, but %" PRIu64 " were committed:"
		       " committed data is missing (restore it, or move the directory away)",
		       s->dir, path, (uint64_t)sb.st_size, o->committed);
		e = LEMF_E_STATE;
		goto out;
	}
	if ((uint64_t)sb.st_size > o->committed) {
		/* Written after the last commit: never recorded, never acknowledged. */
		if (ftruncate(fd, (off_t)o->committed) != 0 ||
		    (s->cfg.fsync && fdatasync(fd) != 0)) {
			setmsg(msg, msglen, "%s/%s: truncate: %s", s->dir, path, strerror(errno));
			goto out;
		}
		s->st.recovered_bytes += (uint64_t)sb.st_size - o->committed;
		s->st.recovered_files++;
	}
	if (pcap) {
		uint8_t h[LEMF_PCAP_FILEHDR];
		struct ovt_cursor c;
		struct lemf_pcap_rec r;
		size_t hl, n;
		uint8_t *rec;
		int ok;

		e = LEMF_E_FORMAT;
		memset(h, 0, sizeof(h));
		n = o->committed < sizeof(h) ? (size_t)o->committed : sizeof(h);
		cur_init(&c, h, n);
		if (pread_all(fd, h, n, 0) != 0 ||
		    (o->fmt = lemf_pcap_filehdr_ok(c)) == LEMF_PCAP_BAD) {
			setmsg(msg, msglen, "%s/%s: not a pcap file written by the LEMF", s->dir,
			       path);
			goto out;
		}
		hl = lemf_pcap_filehdr_len(o->fmt);
		/* The last committed record must end exactly at the committed size. */
		e = LEMF_E_STATE;
		if (o->committed_last == 0) {
			if (o->committed != hl)
				goto badlast;
		} else {
			if (o->committed_last < hl || o->committed_last >= o->committed ||
			    o->committed - o->committed_last > LEMF_PCAP_RECHDR +
			    LEMF_PCAP_SNAPLEN + LEMF_PCAP_RECTRL_MAX)
				goto badlast;
			n = (size_t)(o->committed - o->committed_last);
			if ((rec = malloc(n)) == NULL) {
				setmsg(msg, msglen, "out of memory");
				e = LEMF_E_NOMEM;
				goto out;
			}
			ok = pread_all(fd, rec, n, o->committed_last) == 0;
			cur_init(&c, rec, n);
			ok = ok && lemf_pcap_next(&c, o->fmt, &r) && cur_len(&c) == 0;
			free(rec);
			if (!ok)
				goto badlast;
		}
	} else if (o->committed > 0) {
		uint8_t last;
		if (pread_all(fd, &last, 1, o->committed - 1) != 0 || last != '\n') {
			e = LEMF_E_STATE;
			goto badlast;
		}
	}
	e = LEMF_OK;
	goto out;
badlast:
	setmsg(msg, msglen, "%s/%s: the last committed record does not end at the committed"
	       " size %" PRIu64, s->dir, path, o->committed);
out:
	if (fd >= 0)
		close(fd);
	return e;
}

/* Recovers an LIID's files: a part file numbered parts + 1 is a rotation that a crash
 * interrupted before its commit point, so the committed sizes describe that part: the rotation
 * is finished (rotate_files again, checks, then its transaction).  Otherwise the current files
 * are cut back to their committed sizes. */
static enum lemf_err
recover_liid(struct lemf_store *s, struct lliid *l, char *msg, size_t msglen)
{
	char path[LEMF_DIRNAME_MAX + 32], cc_name[32], iri_name[32];
	uint32_t n = l->parts + 1;
	struct stat sb;
	int r[2], cc, iri;
	enum lemf_err e;
	int64_t now = (int64_t)time(NULL);

	for (int k = 0; k < 2; k++) {
		file_path(path, sizeof(path), l, k, n);
		if ((r[k] = path_stat(s, path, &sb)) < 0) {
			setmsg(msg, msglen, "%s/%s: %s", s->dir, path, strerror(errno));
			return LEMF_E_IO;
		}
	}
	if (!r[0] && !r[1])
		return (e = recover_file(s, l, &l->cc, 1, "cc.pcap", msg, msglen)) != LEMF_OK ? e :
		    recover_file(s, l, &l->iri, 0, "iri.jsonl", msg, msglen);
	file_name(cc_name, sizeof(cc_name), 0, n);
	file_name(iri_name, sizeof(iri_name), 1, n);
	if (rotate_files(s, l, n, &cc, &iri) != 0) {
		setmsg(msg, msglen, "%s", s->err);
		return s->broken;
	}
	close(cc);
	close(iri);
	if ((e = recover_file(s, l, &l->cc, 1, cc_name, msg, msglen)) != LEMF_OK ||
	    (e = recover_file(s, l, &l->iri, 0, iri_name, msg, msglen)) != LEMF_OK)
		return e;
	if (rotate_record(s, l, n, now) != 0) {
		setmsg(msg, msglen, "%s", s->err);
		return s->broken;
	}
	rotate_reset(l, n, now);
	s->st.rotations_finished++;
	return LEMF_OK;
}

static enum lemf_err
load_liids(struct lemf_store *s, char *msg, size_t msglen)
{
	sqlite3_stmt *q;
	enum lemf_err e = LEMF_OK;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT id, liid, cc_size, cc_last, iri_size, cc_records,"
			       " iri_records, parts, started FROM liid ORDER BY id", -1, &q,
			       NULL) != SQLITE_OK) {
		setmsg(msg, msglen, "state: %s", sqlite3_errmsg(s->db));
		return LEMF_E_DB;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const void *blob = sqlite3_column_blob(q, 1);
		int n = sqlite3_column_bytes(q, 1);
		sqlite3_int64 v[7];
		struct lliid *l;
		uint32_t *slot;

		for (int k = 0; k < 7; k++)
			v[k] = sqlite3_column_int64(q, 2 + k);
		if (blob == NULL || n < 1 || n > HI2_LIID_MAX || v[0] < LEMF_PCAP_CLASSIC_FILEHDR ||
		    v[1] < 0 || v[1] > v[0] || v[2] < 0 || v[3] < 0 || v[4] < 0 || v[5] < 0 ||
		    v[5] >= UINT32_MAX) {
			setmsg(msg, msglen, "state: LIID row %lld is malformed",
			       (long long)sqlite3_column_int64(q, 0));
			e = LEMF_E_FORMAT;
			break;
		}
		slot = liid_slot(s, blob, (size_t)n);
		if (*slot != 0 || s->nliids >= s->cfg.max_liids) {
			setmsg(msg, msglen, *slot ? "state: LIID listed twice" :
			       "state: more LIIDs than limits.liids allows");
			e = *slot ? LEMF_E_FORMAT : LEMF_E_LIMIT;
			break;
		}
		if (liid_reserve(s) != 0) {
			e = LEMF_E_NOMEM;
			break;
		}
		l = &s->liids[s->nliids];
		memset(l, 0, sizeof(*l));
		l->id = sqlite3_column_int64(q, 0);
		memcpy(l->liid, blob, (size_t)n);
		l->len = (uint8_t)n;
		lemf_liid_dirname(l->liid, l->len, l->dirname);
		out_init(&l->cc);
		out_init(&l->iri);
		l->cc.size = l->cc.committed = (uint64_t)v[0];
		l->cc.last = l->cc.committed_last = (uint64_t)v[1];
		l->iri.size = l->iri.committed = (uint64_t)v[2];
		l->cc.records = l->cc.committed_records = (uint64_t)v[3];
		l->iri.records = l->iri.committed_records = (uint64_t)v[4];
		l->parts = (uint32_t)v[5];
		l->started = v[6];
		if ((e = recover_liid(s, l, msg, msglen)) != LEMF_OK)
			break;
		*slot = ++s->nliids;
	}
	if (e == LEMF_OK && rc != SQLITE_DONE) {
		setmsg(msg, msglen, "state: %s", sqlite3_errmsg(s->db));
		e = LEMF_E_DB;
	}
	sqlite3_finalize(q);
	return e;
}

/* The LIID index of a row id (rows were loaded in id order). */
static int
liid_by_id(const struct lemf_store *s, int64_t id, uint32_t *out)
{
	uint32_t lo = 0, hi = s->nliids;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->liids[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->nliids && s->liids[lo].id == id) {
		*out = lo;
		return 0;
	}
	return -1;
}

static enum lemf_err
load_streams(struct lemf_store *s, char *msg, size_t msglen)
{
	sqlite3_stmt *q;
	enum lemf_err e = LEMF_OK;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT liid_id, cin, ranges, pdus, dups, first_seen,"
			       " last_seen, kind FROM stream", -1, &q, NULL) != SQLITE_OK) {
		setmsg(msg, msglen, "state: %s", sqlite3_errmsg(s->db));
		return LEMF_E_DB;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		uint32_t li, si, *slot;
		int64_t cin = sqlite3_column_int64(q, 1);
		int kind = sqlite3_column_int(q, 7);
		const void *blob = sqlite3_column_blob(q, 2);
		struct ovt_cursor c;
		struct lstream *st;
		uint64_t budget = s->cfg.max_ranges - s->ranges;

		if (liid_by_id(s, sqlite3_column_int64(q, 0), &li) != 0 || cin < -1 ||
		    cin > (int64_t)UINT32_MAX || (kind != HI2_KIND_IRI && kind != HI2_KIND_CC) ||
		    sqlite3_column_int64(q, 3) < 0 ||
		    sqlite3_column_int64(q, 4) < 0) {
			setmsg(msg, msglen, "state: a stream row is malformed");
			e = LEMF_E_FORMAT;
			break;
		}
		slot = stream_slot(s, li, cin, (uint8_t)kind);
		if (*slot != 0 || s->nstreams >= s->cfg.max_streams || stream_reserve(s) != 0) {
			setmsg(msg, msglen, *slot ? "state: stream listed twice" :
			       "state: more streams than limits.streams allows");
			e = *slot ? LEMF_E_FORMAT : LEMF_E_LIMIT;
			break;
		}
		si = s->nstreams;
		st = &s->streams[si];
		memset(st, 0, sizeof(*st));
		st->liid = li;
		st->cin = cin;
		st->kind = (uint8_t)kind;
		st->pdus = (uint64_t)sqlite3_column_int64(q, 3);
		st->dups = (uint64_t)sqlite3_column_int64(q, 4);
		st->first = sqlite3_column_int64(q, 5);
		st->last = sqlite3_column_int64(q, 6);
		cur_init(&c, blob, (size_t)sqlite3_column_bytes(q, 2));
		e = lemf_seq_decode(&st->seq, c, budget > UINT32_MAX ? UINT32_MAX :
				    (uint32_t)budget);
		if (e != LEMF_OK) {
			setmsg(msg, msglen, "state: sequence ranges of a stream: %s%s",
			       lemf_strerror(e), e == LEMF_E_LIMIT ? " (limits.ranges)" : "");
			break;
		}
		s->ranges += st->seq.n;
		*slot = ++s->nstreams;
	}
	if (e == LEMF_OK && rc != SQLITE_DONE) {
		setmsg(msg, msglen, "state: %s", sqlite3_errmsg(s->db));
		e = LEMF_E_DB;
	}
	sqlite3_finalize(q);
	return e;
}

static void
count_rejected(struct lemf_store *s)
{
	int fd = dup(s->rejfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL && s->rej_count < UINT32_MAX)
		if (strncmp(de->d_name, "r-", 2) == 0)
			s->rej_count++;
	closedir(d);
}

static void
store_free(struct lemf_store *s)
{
	for (uint32_t i = 0; i < s->nliids; i++) {
		out_close(&s->liids[i].cc);
		out_close(&s->liids[i].iri);
	}
	for (uint32_t i = 0; i < s->nstreams; i++)
		lemf_seq_cleanup(&s->streams[i].seq);
	sqlite3_finalize(s->q_upd_liid);
	sqlite3_finalize(s->q_ins_liid);
	sqlite3_finalize(s->q_put_stream);
	sqlite3_finalize(s->q_ins_part);
	sqlite3_finalize(s->q_rot_liid);
	if (s->db != NULL)
		sqlite3_close(s->db);
	if (s->rejfd >= 0)
		close(s->rejfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	if (s->lockfd >= 0)
		close(s->lockfd);	/* releases the flock */
	bld_cleanup(&s->scratch);
	free(s->liids);
	free(s->streams);
	free(s->liid_tab);
	free(s->stream_tab);
	free(s->dirty_liids);
	free(s->dirty_streams);
	free(s->open);
	free(s);
}

struct lemf_store *
lemf_store_open(const struct lemf_store_config *cfg, enum lemf_err *err, char *msg,
		size_t msglen)
{
	struct lemf_store *s;
	char path[PATH_LEN];
	uint32_t lt, stt;

	setmsg(msg, msglen, "%s", "");
	*err = LEMF_E_CONFIG;
	if (cfg->dir == NULL || strlen(cfg->dir) == 0 || strlen(cfg->dir) > DIR_MAX ||
	    cfg->max_liids == 0 || cfg->max_open == 0 || cfg->max_streams == 0 ||
	    cfg->max_ranges == 0 || cfg->max_liids > (1u << 28) || cfg->max_streams > (1u << 28)) {
		setmsg(msg, msglen, "store: invalid directory or limits");
		return NULL;
	}
	*err = LEMF_E_NOMEM;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->cfg = *cfg;
	s->dirfd = s->lockfd = s->rejfd = -1;
	snprintf(s->dir, sizeof(s->dir), "%s", cfg->dir);
	s->cfg.dir = s->dir;
	lt = table_size(cfg->max_liids);
	stt = table_size(cfg->max_streams);
	s->liid_mask = lt - 1;
	s->stream_mask = stt - 1;
	s->seed = mix64((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)s);
	if ((s->liid_tab = calloc(lt, sizeof(uint32_t))) == NULL ||
	    (s->stream_tab = calloc(stt, sizeof(uint32_t))) == NULL ||
	    (s->open = calloc(cfg->max_open, sizeof(uint32_t))) == NULL ||
	    !bld_init(&s->scratch, SCRATCH_INIT, SCRATCH_MAX))
		goto fail;

	*err = LEMF_E_IO;
	if (mkdir(s->dir, 0700) != 0 && errno != EEXIST) {
		setmsg(msg, msglen, "%s: %s", s->dir, strerror(errno));
		goto fail;
	}
	if ((s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		setmsg(msg, msglen, "%s: %s", s->dir, strerror(errno));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/lemf.lock", s->dir);
	if ((s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		setmsg(msg, msglen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
		*err = errno == EWOULDBLOCK ? LEMF_E_LOCKED : LEMF_E_IO;
		setmsg(msg, msglen, "%s: %s", path, errno == EWOULDBLOCK ?
		       "another LEMF uses this directory" : strerror(errno));
		goto fail;
	}
	if (mkdirat(s->dirfd, "rejected", 0700) == 0 || errno == EEXIST)
		s->rejfd = openat(s->dirfd, "rejected", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				  O_CLOEXEC);
	if (s->rejfd >= 0)
		count_rejected(s);
	if (db_open(s, msg, msglen, err) != 0)
		goto fail;
	if ((*err = load_liids(s, msg, msglen)) != LEMF_OK ||
	    (*err = load_streams(s, msg, msglen)) != LEMF_OK)
		goto fail;
	*err = LEMF_OK;
	return s;
fail:
	store_free(s);
	return NULL;
}

void
lemf_store_stats(const struct lemf_store *s, struct lemf_store_stats *out)
{
	*out = s->st;
	out->liids = s->nliids;
	out->streams = s->nstreams;
	out->ranges = s->ranges;
	out->open_liids = s->nopen;
}

const char *
lemf_store_error(const struct lemf_store *s)
{
	return s->err;
}

enum lemf_err
lemf_store_close(struct lemf_store *s)
{
	enum lemf_err e;

	if (s == NULL)
		return LEMF_OK;
	e = commit(s);
	store_free(s);
	return e;
}
