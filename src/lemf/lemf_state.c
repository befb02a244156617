/*
 * Reading an output directory's committed state without writing it: `overt lemf report`
 * (records, duplicates, gaps per LIID and CIN) and its --verify walk of the files (contract in
 * lemf_store.h).  SQLite's WAL mode lets this run while a LEMF writes: one read transaction
 * gives one consistent snapshot, and only the committed prefix of each file is read.
 */
#include "lemf/lemf_store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "hi2/hi2.h"
#include "lemf/lemf_rec.h"

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

/* One stream row, decoded. */
struct row {
	struct lemf_state_stream st;
	struct lemf_seq seq;
	int have;
};

static void
row_clear(struct row *r)
{
	lemf_seq_cleanup(&r->seq);
	r->have = 0;
}

static int
emit(const struct lemf_state_ops *ops, void *arg, const struct lemf_state_liid *l,
     struct row *r)
{
	int stop = 0;
	r->st.seq = &r->seq;
	if (ops->stream != NULL)
		stop = ops->stream(arg, l, &r->st);
	row_clear(r);
	return stop;
}

/* IRI then CC of the same CIN, numbered together by their sender: one joint stream. */
static enum lemf_err
join(struct row *iri, struct row *cc)
{
	struct lemf_seq u;
	enum lemf_err e;

	lemf_seq_init(&u);
	if ((e = lemf_seq_union(&u, &iri->seq, &cc->seq)) != LEMF_OK)
		return e;
	lemf_seq_cleanup(&iri->seq);
	iri->seq = u;
	iri->st.kind = LEMF_KIND_JOINT;
	iri->st.pdus += cc->st.pdus;
	iri->st.dups += cc->st.dups;
	if (cc->st.first_seen < iri->st.first_seen)
		iri->st.first_seen = cc->st.first_seen;
	if (cc->st.last_seen > iri->st.last_seen)
		iri->st.last_seen = cc->st.last_seen;
	row_clear(cc);
	return LEMF_OK;
}

static enum lemf_err
read_streams(sqlite3 *db, sqlite3_stmt *q, const struct lemf_state_ops *ops, void *arg,
	     const struct lemf_state_liid *l, int64_t id, int *stop, char *msg, size_t msglen)
{
	enum lemf_err e = LEMF_OK;
	struct row held, cur;		/* held: an IRI row waiting for its CIN's CC row */
	int rc = SQLITE_DONE;

	memset(&held, 0, sizeof(held));
	memset(&cur, 0, sizeof(cur));
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, id);
	while (!*stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct ovt_cursor c;

		cur.st.cin = sqlite3_column_int64(q, 0);
		cur.st.kind = sqlite3_column_int(q, 6);
		cur.st.pdus = (uint64_t)sqlite3_column_int64(q, 2);
		cur.st.dups = (uint64_t)sqlite3_column_int64(q, 3);
		cur.st.first_seen = sqlite3_column_int64(q, 4);
		cur.st.last_seen = sqlite3_column_int64(q, 5);
		cur.have = 1;
		cur_init(&c, sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1));
		if ((e = lemf_seq_decode(&cur.seq, c, UINT32_MAX)) != LEMF_OK) {
			setmsg(msg, msglen, "state: sequence ranges of a stream: %s",
			       lemf_strerror(e));
			goto out;
		}
		if (held.have && held.st.cin == cur.st.cin && cur.st.kind == HI2_KIND_CC &&
		    held.seq.n > 0 && cur.seq.n > 0 && lemf_seq_disjoint(&held.seq, &cur.seq)) {
			if ((e = join(&held, &cur)) != LEMF_OK) {
				setmsg(msg, msglen, "state: out of memory");
				goto out;
			}
			*stop = emit(ops, arg, l, &held);
			continue;
		}
		if (held.have && (*stop = emit(ops, arg, l, &held)) != 0)
			break;
		if (cur.st.kind == HI2_KIND_IRI) {
			held = cur;		/* its CC row, if any, comes next */
			memset(&cur, 0, sizeof(cur));
		} else {
			*stop = emit(ops, arg, l, &cur);
		}
	}
	if (!*stop && held.have)
		*stop = emit(ops, arg, l, &held);
	if (!*stop && rc != SQLITE_DONE) {
		setmsg(msg, msglen, "state: %s", sqlite3_errmsg(db));
		e = LEMF_E_DB;
	}
out:
	row_clear(&held);
	row_clear(&cur);
	return e;
}

/* The closed parts of LIID row id, in number order, into *parts (grown as needed, freed by
 * the caller); the totals of l include them. */
static enum lemf_err
read_parts(sqlite3 *db, sqlite3_stmt *q, int64_t id, struct lemf_state_part **parts,
	   size_t *cap, struct lemf_state_liid *l, char *msg, size_t msglen)
{
	int rc;

	l->nparts = 0;
	l->cc_records_total = l->cc_records;
	l->iri_records_total = l->iri_records;
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct lemf_state_part *pt;
		if (l->nparts == *cap) {
			size_t ncap = *cap ? 2 * *cap : 16;
			void *np = ncap <= UINT32_MAX ? realloc(*parts, ncap * sizeof(**parts)) :
				   NULL;
			if (np == NULL) {	/* *parts is still the caller's to free */
				setmsg(msg, msglen, "state: out of memory");
				return LEMF_E_NOMEM;
			}
			*parts = np;
			*cap = ncap;
		}
		pt = &(*parts)[l->nparts++];
		pt->n = (uint32_t)sqlite3_column_int64(q, 0);
		pt->cc_size = (uint64_t)sqlite3_column_int64(q, 1);
		pt->cc_last = (uint64_t)sqlite3_column_int64(q, 2);
		pt->cc_records = (uint64_t)sqlite3_column_int64(q, 3);
		pt->iri_size = (uint64_t)sqlite3_column_int64(q, 4);
		pt->iri_records = (uint64_t)sqlite3_column_int64(q, 5);
		pt->started = sqlite3_column_int64(q, 6);
		pt->closed = sqlite3_column_int64(q, 7);
		l->cc_records_total += pt->cc_records;
		l->iri_records_total += pt->iri_records;
	}
	if (rc != SQLITE_DONE) {
		setmsg(msg, msglen, "state: %s", sqlite3_errmsg(db));
		return LEMF_E_DB;
	}
	l->part = *parts;
	return LEMF_OK;
}

enum lemf_err
lemf_state_read(const char *dir, const struct lemf_state_ops *ops, void *arg, char *msg,
		size_t msglen)
{
	char path[4096];
	sqlite3 *db = NULL;
	sqlite3_stmt *ql = NULL, *qs = NULL, *qp = NULL, *qv = NULL;
	struct lemf_state_part *parts = NULL;
	size_t cap = 0;
	enum lemf_err e = LEMF_E_DB;
	struct stat sb;
	int rc = SQLITE_DONE, stop = 0, ver;

	setmsg(msg, msglen, "%s", "");
	snprintf(path, sizeof(path), "%s/lemf.db", dir);
	if (stat(path, &sb) != 0) {
		setmsg(msg, msglen, "%s: %s", path, strerror(errno));
		return LEMF_E_IO;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		goto dberr;
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &qv, NULL) != SQLITE_OK ||
	    sqlite3_step(qv) != SQLITE_ROW)
		goto dberr;
	ver = sqlite3_column_int(qv, 0);
	sqlite3_finalize(qv);
	qv = NULL;
	if (ver != 2) {
		/* Version 1 (no rotation) is upgraded by the LEMF itself, which opens read-write. */
		setmsg(msg, msglen, "%s: state version %d, this reader reads 2%s", path, ver,
		       ver == 1 ? " (start `overt lemf` on the directory once to upgrade it)" : "");
		sqlite3_close(db);
		return LEMF_E_FORMAT;
	}
	if (sqlite3_prepare_v2(db, "SELECT id, liid, cc_size, cc_last, iri_size, cc_records,"
			       " iri_records, created, started FROM liid ORDER BY liid", -1, &ql,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT n, cc_size, cc_last, cc_records, iri_size,"
			       " iri_records, started, closed FROM part WHERE liid_id = ?1"
			       " ORDER BY n", -1, &qp, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT cin, ranges, pdus, dups, first_seen, last_seen, kind"
			       " FROM stream WHERE liid_id = ?1 ORDER BY cin, kind", -1, &qs,
			       NULL) != SQLITE_OK)
		goto dberr;
	e = LEMF_OK;
	while (!stop && (rc = sqlite3_step(ql)) == SQLITE_ROW) {
		struct lemf_state_liid l;
		const void *blob = sqlite3_column_blob(ql, 1);
		int n = sqlite3_column_bytes(ql, 1);

		memset(&l, 0, sizeof(l));
		if (blob == NULL || n < 1 || n > HI2_LIID_MAX) {
			setmsg(msg, msglen, "state: an LIID row is malformed");
			e = LEMF_E_FORMAT;
			break;
		}
		memcpy(l.liid, blob, (size_t)n);
		l.liid_len = (size_t)n;
		lemf_liid_dirname(l.liid, l.liid_len, l.dirname);
		l.cc_size = (uint64_t)sqlite3_column_int64(ql, 2);
		l.cc_last = (uint64_t)sqlite3_column_int64(ql, 3);
		l.iri_size = (uint64_t)sqlite3_column_int64(ql, 4);
		l.cc_records = (uint64_t)sqlite3_column_int64(ql, 5);
		l.iri_records = (uint64_t)sqlite3_column_int64(ql, 6);
		l.created = sqlite3_column_int64(ql, 7);
		l.started = sqlite3_column_int64(ql, 8);
		if ((e = read_parts(db, qp, sqlite3_column_int64(ql, 0), &parts, &cap, &l, msg,
				    msglen)) != LEMF_OK)
			break;
		if (ops->liid != NULL && ops->liid(arg, &l) != 0)
			break;
		e = read_streams(db, qs, ops, arg, &l, sqlite3_column_int64(ql, 0), &stop, msg,
				 msglen);
		if (e != LEMF_OK)
			break;
	}
	if (e == LEMF_OK && !stop && rc != SQLITE_DONE && rc != SQLITE_ROW)
		goto dberr;
	sqlite3_finalize(ql);
	sqlite3_finalize(qs);
	sqlite3_finalize(qp);
	sqlite3_close(db);
	free(parts);
	return e;
dberr:
	setmsg(msg, msglen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
	free(parts);
	sqlite3_finalize(qv);
	sqlite3_finalize(ql);
	sqlite3_finalize(qs);
	sqlite3_finalize(qp);
	if (db != NULL)
		sqlite3_close(db);
	return LEMF_E_DB;
}

/* Maps the first size octets of DIR/<dirname>/name read-only.  0, or -1 with msg. */
static enum lemf_err
map_file(const char *dir, const char *dirname, const char *name, uint64_t size,
	 const uint8_t **out, char *msg, size_t msglen)
{
	char path[4096];
	struct stat sb;
	void *m;
	int fd;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s/%s", dir, dirname, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 || fstat(fd, &sb) != 0) {
		setmsg(msg, msglen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return LEMF_E_IO;
	}
	if ((uint64_t)sb.st_size < size) {
		setmsg(msg, msglen, "%s: %" PRIu64 " octets, %" PRIu64 " committed", path,
		       (uint64_t)sb.st_size, size);
		close(fd);
		return LEMF_E_STATE;
	}
	if (size == 0) {
		close(fd);
		return LEMF_OK;
	}
	m = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		setmsg(msg, msglen, "%s: mmap: %s", path, strerror(errno));
		return LEMF_E_IO;
	}
	*out = m;
	return LEMF_OK;
}

/* A pcap file: the file header, then whole records up to exactly the committed size, as many
 * as committed, the last one at offset last. */
static enum lemf_err
verify_pcap(const char *dir, const char *dirname, const char *name, uint64_t size,
	    uint64_t records, uint64_t last_at, char *msg, size_t msglen)
{
	const uint8_t *p;
	struct ovt_cursor c;
	struct lemf_pcap_rec r;
	enum lemf_pcap_fmt fmt;
	uint64_t n = 0, last = 0;
	enum lemf_err e;

	if ((e = map_file(dir, dirname, name, size, &p, msg, msglen)) != LEMF_OK)
		return e;
	cur_init(&c, p, (size_t)size);
	if ((fmt = lemf_pcap_filehdr_ok(c)) == LEMF_PCAP_BAD) {
		setmsg(msg, msglen, "%s/%s: bad file header", dirname, name);
		e = LEMF_E_FORMAT;
	} else {
		cur_skip(&c, lemf_pcap_filehdr_len(fmt));
		for (;;) {
			size_t at = (size_t)size - cur_len(&c);
			if (!lemf_pcap_next(&c, fmt, &r))
				break;
			last = at;
			n++;
		}
		if (cur_len(&c) != 0 || n != records || last != last_at) {
			setmsg(msg, msglen, "%s/%s: %" PRIu64 " whole records (%zu octets"
			       " left over), the state says %" PRIu64, dirname, name, n,
			       cur_len(&c), records);
			e = LEMF_E_STATE;
		}
	}
	if (p != NULL)
		munmap((void *)(uintptr_t)p, (size_t)size);
	return e;
}

/* A JSON lines file: lines of one JSON object each ('{' ... '}' '\n'), as many as committed. */
static enum lemf_err
verify_jsonl(const char *dir, const char *dirname, const char *name, uint64_t size,
	     uint64_t records, char *msg, size_t msglen)
{
	const uint8_t *p;
	struct ovt_cursor c;
	uint64_t n = 0;
	uint8_t ch, first = 0, prev = 0;
	size_t len = 0;
	enum lemf_err e;

	if ((e = map_file(dir, dirname, name, size, &p, msg, msglen)) != LEMF_OK)
		return e;
	cur_init(&c, p, (size_t)size);
	while (cur_get_u8(&c, &ch)) {
		if (ch != '\n') {
			if (len++ == 0)
				first = ch;
			prev = ch;
			continue;
		}
		if (len < 2 || first != '{' || prev != '}') {
			setmsg(msg, msglen, "%s/%s: line %" PRIu64 " is not a JSON object",
			       dirname, name, n + 1);
			e = LEMF_E_FORMAT;
			break;
		}
		n++;
		len = 0;
	}
	if (e == LEMF_OK && (n != records || len != 0)) {
		setmsg(msg, msglen, "%s/%s: %" PRIu64 " whole lines, the state says %" PRIu64,
		       dirname, name, n, records);
		e = LEMF_E_STATE;
	}
	if (p != NULL)
		munmap((void *)(uintptr_t)p, (size_t)size);
	return e;
}

/* The name holding the current file of kind k (0 CC, 1 IRI) as of the snapshot l. */
static void
current_name(const char *dir, const struct lemf_state_liid *l, int k, char *out, size_t cap)
{
	char path[4096];
	struct stat sb;

	snprintf(out, cap, "%s-%06" PRIu32 "%s", k ? "iri" : "cc", l->nparts + 1,
		 k ? ".jsonl" : ".pcap");
	snprintf(path, sizeof(path), "%s/%s/%s", dir, l->dirname, out);
	if (lstat(path, &sb) != 0)
		snprintf(out, cap, "%s", k ? "iri.jsonl" : "cc.pcap");
}

enum lemf_err
lemf_state_verify(const char *dir, const struct lemf_state_liid *l, char *msg, size_t msglen)
{
	enum lemf_err e;
	char cc[32], iri[32];

	for (uint32_t i = 0; i < l->nparts; i++) {
		const struct lemf_state_part *pt = &l->part[i];
		if (pt->n != i + 1) {
			setmsg(msg, msglen, "%s: part %" PRIu32 " is missing from the state",
			       l->dirname, i + 1);
			return LEMF_E_STATE;
		}
		snprintf(cc, sizeof(cc), "cc-%06" PRIu32 ".pcap", pt->n);
		snprintf(iri, sizeof(iri), "iri-%06" PRIu32 ".jsonl", pt->n);
		if ((e = verify_pcap(dir, l->dirname, cc, pt->cc_size, pt->cc_records, pt->cc_last,
				     msg, msglen)) != LEMF_OK ||
		    (e = verify_jsonl(dir, l->dirname, iri, pt->iri_size, pt->iri_records, msg,
				      msglen)) != LEMF_OK)
			return e;
	}
	/* A LEMF rotating right now has renamed the current files to part nparts + 1 before
	 * its transaction: in this snapshot that file still is the current one. */
	current_name(dir, l, 0, cc, sizeof(cc));
	current_name(dir, l, 1, iri, sizeof(iri));
	if ((e = verify_pcap(dir, l->dirname, cc, l->cc_size, l->cc_records, l->cc_last, msg,
			     msglen)) != LEMF_OK)
		return e;
	return verify_jsonl(dir, l->dirname, iri, l->iri_size, l->iri_records, msg, msglen);
}
