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

enum lemf_err
lemf_state_read(const char *dir, const struct lemf_state_ops *ops, void *arg, char *msg,
		size_t msglen)
{
	char path[4096];
	sqlite3 *db = NULL;
	sqlite3_stmt *ql = NULL, *qs = NULL;
	enum lemf_err e = LEMF_E_DB;
	struct stat sb;
	int rc = SQLITE_DONE, stop = 0;

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
	    sqlite3_prepare_v2(db, "SELECT id, liid, cc_size, cc_last, iri_size, cc_records,"
			       " iri_records, created FROM liid ORDER BY liid", -1, &ql,
			       NULL) != SQLITE_OK ||
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
	sqlite3_close(db);
	return e;
dberr:
	setmsg(msg, msglen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_finalize(ql);
	sqlite3_finalize(qs);
	if (db != NULL)
		sqlite3_close(db);
	return LEMF_E_DB;
}

/* Maps the first size octets of DIR/<dirname>/name read-only.  0, or -1 with msg. */
static enum lemf_err
map_file(const char *dir, const struct lemf_state_liid *l, const char *name, uint64_t size,
	 const uint8_t **out, char *msg, size_t msglen)
{
	char path[4096];
	struct stat sb;
	void *m;
	int fd;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s/%s", dir, l->dirname, name);
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

enum lemf_err
lemf_state_verify(const char *dir, const struct lemf_state_liid *l, char *msg, size_t msglen)
{
	const uint8_t *p;
	struct ovt_cursor c, pkt, hdr;
	uint64_t n = 0, last = 0;
	uint32_t sec, usec;
	enum lemf_err e;

	/* cc.pcap: the file header, then whole records up to exactly the committed size. */
	if ((e = map_file(dir, l, "cc.pcap", l->cc_size, &p, msg, msglen)) != LEMF_OK)
		return e;
	cur_init(&c, p, (size_t)l->cc_size);
	if (!cur_get_sub(&c, &hdr, LEMF_PCAP_FILEHDR) || !lemf_pcap_filehdr_ok(hdr)) {
		setmsg(msg, msglen, "%s/cc.pcap: bad file header", l->dirname);
		e = LEMF_E_FORMAT;
	} else {
		for (;;) {
			size_t at = (size_t)l->cc_size - cur_len(&c);
			if (!lemf_pcap_next(&c, &sec, &usec, &pkt))
				break;
			last = at;
			n++;
		}
		if (cur_len(&c) != 0 || n != l->cc_records || last != l->cc_last) {
			setmsg(msg, msglen, "%s/cc.pcap: %" PRIu64 " whole records (%zu octets"
			       " left over), the state says %" PRIu64, l->dirname, n,
			       cur_len(&c), l->cc_records);
			e = LEMF_E_STATE;
		}
	}
	if (p != NULL)
		munmap((void *)(uintptr_t)p, (size_t)l->cc_size);
	if (e != LEMF_OK)
		return e;

	/* iri.jsonl: lines of one JSON object each ('{' ... '}' '\n'), as many as recorded. */
	if ((e = map_file(dir, l, "iri.jsonl", l->iri_size, &p, msg, msglen)) != LEMF_OK)
		return e;
	n = 0;
	cur_init(&c, p, (size_t)l->iri_size);
	{
		uint8_t ch, first = 0, prev = 0;
		size_t len = 0;
		while (cur_get_u8(&c, &ch)) {
			if (ch != '\n') {
				if (len++ == 0)
					first = ch;
				prev = ch;
				continue;
			}
			if (len < 2 || first != '{' || prev != '}') {
				setmsg(msg, msglen, "%s/iri.jsonl: line %" PRIu64
				       " is not a JSON object", l->dirname, n + 1);
				e = LEMF_E_FORMAT;
				break;
			}
			n++;
			len = 0;
		}
		if (e == LEMF_OK && (n != l->iri_records || len != 0)) {
			setmsg(msg, msglen, "%s/iri.jsonl: %" PRIu64 " whole lines, the state says %"
			       PRIu64, l->dirname, n, l->iri_records);
			e = LEMF_E_STATE;
		}
	}
	if (p != NULL)
		munmap((void *)(uintptr_t)p, (size_t)l->iri_size);
	return e;
}
