/*
 * SQLite state of the MDF (contract in mdf_state.h).  Statements are prepared once at open:
 * the checkpoint writes many rows per second in one transaction.
 */
#include "mdf/mdf_state.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <sqlite3.h>

#include "hi2/hi2.h"

enum { S_STREAM_GET, S_STREAM_PUT, S_STREAM_DEL, S_STREAM_DEL_VOID, S_SEQ_GET, S_SEQ_PUT,
       S_PRUNE, S_VOID_ADD, S_VOID_LIST, S_VOID_TRIM, S_COUNT };

static const char *const sql[S_COUNT] = {
	[S_STREAM_GET] = "SELECT ckpt, delivered FROM stream WHERE id = ?1",
	[S_STREAM_PUT] = "INSERT INTO stream(id, ckpt, delivered) VALUES(?1, ?2, ?3) "
	    "ON CONFLICT(id) DO UPDATE SET ckpt = excluded.ckpt, delivered = excluded.delivered",
	[S_STREAM_DEL] = "DELETE FROM stream WHERE id = ?1",
	[S_STREAM_DEL_VOID] = "DELETE FROM void WHERE stream = ?1",
	[S_SEQ_GET] = "SELECT next FROM seq WHERE liid = ?1 AND cin = ?2",
	[S_SEQ_PUT] = "INSERT INTO seq(liid, cin, next, used) VALUES(?1, ?2, ?3, ?4) "
	    "ON CONFLICT(liid, cin) DO UPDATE SET next = excluded.next, used = excluded.used",
	[S_PRUNE] = "DELETE FROM seq WHERE used < ?1",
	[S_VOID_ADD] = "INSERT OR IGNORE INTO void(stream, first, last) VALUES(?1, ?2, ?3)",
	[S_VOID_LIST] = "SELECT first, last FROM void WHERE stream = ?1 ORDER BY first",
	[S_VOID_TRIM] = "DELETE FROM void WHERE stream = ?1 AND last <= ?2",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v BLOB NOT NULL);"
    "INSERT OR IGNORE INTO meta VALUES('schema', '1');"
    "CREATE TABLE IF NOT EXISTS stream("
    "  id TEXT PRIMARY KEY,"			/* <dId>-hi2 / <dId>-hi3 */
    "  ckpt INTEGER NOT NULL CHECK(ckpt >= 0),"
    "  delivered INTEGER NOT NULL CHECK(delivered >= 0));"
    "CREATE TABLE IF NOT EXISTS seq("
    "  liid BLOB NOT NULL, cin INTEGER NOT NULL,"
    "  next INTEGER NOT NULL CHECK(next BETWEEN 0 AND 4294967295),"
    "  used INTEGER NOT NULL,"
    "  PRIMARY KEY(liid, cin)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS seq_by_used ON seq(used);"
    "CREATE TABLE IF NOT EXISTS void("
    "  stream TEXT NOT NULL, first INTEGER NOT NULL CHECK(first >= 1),"
    "  last INTEGER NOT NULL CHECK(last >= first),"
    "  PRIMARY KEY(stream, first)) WITHOUT ROWID;";

struct mdf_state {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	uint8_t key[MDF_HASH_KEY_LEN];
	char errmsg[128];
};

const char *
mdf_state_strerror(enum mdf_state_err e)
{
	static const char *const t[MDF_ST_COUNT] = {
		[MDF_ST_OK] = "ok",
		[MDF_ST_NOT_FOUND] = "not found",
		[MDF_ST_DB] = "database error",
		[MDF_ST_NOMEM] = "out of memory",
		[MDF_ST_CORRUPT] = "stored value invalid",
		[MDF_ST_RANDOM] = "random number generator failed",
	};
	return (unsigned)e < MDF_ST_COUNT ? t[e] : "unknown state error";
}

const char *
mdf_state_errmsg(const struct mdf_state *s)
{
	return s->errmsg;
}

static enum mdf_state_err
dberr(struct mdf_state *s)
{
	snprintf(s->errmsg, sizeof(s->errmsg), "%s", sqlite3_errmsg(s->db));
	return sqlite3_errcode(s->db) == SQLITE_NOMEM ? MDF_ST_NOMEM : MDF_ST_DB;
}

static enum mdf_state_err
exec(struct mdf_state *s, const char *q)
{
	if (sqlite3_exec(s->db, q, NULL, NULL, NULL) != SQLITE_OK)
		return dberr(s);
	return MDF_ST_OK;
}

/* Reads the key, or makes and stores one (inside the open's transaction). */
static enum mdf_state_err
load_key(struct mdf_state *s)
{
	sqlite3_stmt *q = NULL;
	enum mdf_state_err e = MDF_ST_OK;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT v FROM meta WHERE k = 'key'", -1, &q, NULL) !=
	    SQLITE_OK)
		return dberr(s);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(q, 0) != SQLITE_BLOB ||
		    sqlite3_column_bytes(q, 0) != MDF_HASH_KEY_LEN)
			e = MDF_ST_CORRUPT;
		else
			memcpy(s->key, sqlite3_column_blob(q, 0), MDF_HASH_KEY_LEN);
		sqlite3_finalize(q);
		return e;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return dberr(s);
	if (RAND_bytes(s->key, sizeof(s->key)) != 1)
		return MDF_ST_RANDOM;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO meta VALUES('key', ?1)", -1, &q, NULL) !=
	    SQLITE_OK)
		return dberr(s);
	sqlite3_bind_blob(q, 1, s->key, sizeof(s->key), SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		e = dberr(s);
	sqlite3_finalize(q);
	return e;
}

enum mdf_state_err
mdf_state_open(const char *path, struct mdf_state **out)
{
	struct mdf_state *s;
	enum mdf_state_err e;
	int memory = strcmp(path, ":memory:") == 0;

	*out = NULL;
	if (!memory) {
		/* Created by us so that it is 0600 from the first byte (SQLite copies the mode to
		 * the -wal and -shm files). */
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return MDF_ST_DB;
		close(fd);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return MDF_ST_NOMEM;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		e = s->db != NULL ? dberr(s) : MDF_ST_NOMEM;
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 2000);
	if ((!memory && (e = exec(s, "PRAGMA journal_mode=WAL;")) != MDF_ST_OK) ||
	    (e = exec(s, "PRAGMA synchronous=FULL;")) != MDF_ST_OK ||
	    (e = exec(s, "BEGIN IMMEDIATE;")) != MDF_ST_OK)
		goto fail;
	if ((e = exec(s, schema)) != MDF_ST_OK || (e = load_key(s)) != MDF_ST_OK) {
		exec(s, "ROLLBACK;");
		goto fail;
	}
	if ((e = exec(s, "COMMIT;")) != MDF_ST_OK)
		goto fail;
	for (int i = 0; i < S_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
		    NULL) != SQLITE_OK) {
			e = dberr(s);
			goto fail;
		}
	}
	*out = s;
	return MDF_ST_OK;
fail:
	mdf_state_close(s);
	return e;
}

void
mdf_state_close(struct mdf_state *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	memset(s->key, 0, sizeof(s->key));
	free(s);
}

void
mdf_state_key(const struct mdf_state *s, uint8_t key[MDF_HASH_KEY_LEN])
{
	memcpy(key, s->key, MDF_HASH_KEY_LEN);
}

enum mdf_state_err
mdf_state_begin(struct mdf_state *s)
{
	return exec(s, "BEGIN IMMEDIATE;");
}

enum mdf_state_err
mdf_state_commit(struct mdf_state *s)
{
	return exec(s, "COMMIT;");
}

void
mdf_state_rollback(struct mdf_state *s)
{
	(void)exec(s, "ROLLBACK;");
}

/* Runs a prepared statement that returns no row; resets it. */
static enum mdf_state_err
run(struct mdf_state *s, sqlite3_stmt *q)
{
	enum mdf_state_err e = sqlite3_step(q) == SQLITE_DONE ? MDF_ST_OK : dberr(s);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return e;
}

enum mdf_state_err
mdf_state_stream_get(struct mdf_state *s, const char *id, uint64_t *ckpt, uint64_t *delivered)
{
	sqlite3_stmt *q = s->st[S_STREAM_GET];
	enum mdf_state_err e;
	int rc;

	*ckpt = *delivered = 0;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		sqlite3_int64 c = sqlite3_column_int64(q, 0), d = sqlite3_column_int64(q, 1);
		if (c < 0 || d < 0) {
			e = MDF_ST_CORRUPT;
		} else {
			*ckpt = (uint64_t)c;
			*delivered = (uint64_t)d;
			e = MDF_ST_OK;
		}
	} else {
		e = rc == SQLITE_DONE ? MDF_ST_NOT_FOUND : dberr(s);
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return e;
}

enum mdf_state_err
mdf_state_stream_put(struct mdf_state *s, const char *id, uint64_t ckpt, uint64_t delivered)
{
	sqlite3_stmt *q = s->st[S_STREAM_PUT];
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)ckpt);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)delivered);
	return run(s, q);
}

enum mdf_state_err
mdf_state_stream_delete(struct mdf_state *s, const char *id)
{
	enum mdf_state_err e;
	sqlite3_bind_text(s->st[S_STREAM_DEL], 1, id, -1, SQLITE_STATIC);
	if ((e = run(s, s->st[S_STREAM_DEL])) != MDF_ST_OK)
		return e;
	sqlite3_bind_text(s->st[S_STREAM_DEL_VOID], 1, id, -1, SQLITE_STATIC);
	return run(s, s->st[S_STREAM_DEL_VOID]);
}

enum mdf_state_err
mdf_state_seq_get(struct mdf_state *s, const uint8_t *liid, size_t liid_len, uint32_t cin,
		  uint32_t *next)
{
	sqlite3_stmt *q = s->st[S_SEQ_GET];
	enum mdf_state_err e;
	int rc;

	if (liid_len < 1 || liid_len > HI2_LIID_MAX)
		return MDF_ST_NOT_FOUND;
	sqlite3_bind_blob(q, 1, liid, (int)liid_len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, cin);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		sqlite3_int64 v = sqlite3_column_int64(q, 0);
		if (v < 0 || v > 0xffffffffLL) {
			e = MDF_ST_CORRUPT;
		} else {
			*next = (uint32_t)v;
			e = MDF_ST_OK;
		}
	} else {
		e = rc == SQLITE_DONE ? MDF_ST_NOT_FOUND : dberr(s);
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return e;
}

enum mdf_state_err
mdf_state_seq_put(struct mdf_state *s, const uint8_t *liid, size_t liid_len, uint32_t cin,
		  uint32_t next, int64_t used)
{
	sqlite3_stmt *q = s->st[S_SEQ_PUT];
	sqlite3_bind_blob(q, 1, liid, (int)liid_len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, cin);
	sqlite3_bind_int64(q, 3, next);
	sqlite3_bind_int64(q, 4, used);
	return run(s, q);
}

enum mdf_state_err
mdf_state_void_add(struct mdf_state *s, const char *id, uint64_t first, uint64_t last)
{
	sqlite3_stmt *q = s->st[S_VOID_ADD];
	if (first < 1 || last < first || last > INT64_MAX)
		return MDF_ST_CORRUPT;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)first);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)last);
	return run(s, q);
}

enum mdf_state_err
mdf_state_void_list(struct mdf_state *s, const char *id,
		    int (*cb)(void *, uint64_t first, uint64_t last), void *arg)
{
	sqlite3_stmt *q = s->st[S_VOID_LIST];
	enum mdf_state_err e = MDF_ST_OK;
	int rc;

	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		sqlite3_int64 f = sqlite3_column_int64(q, 0), l = sqlite3_column_int64(q, 1);
		if (f < 1 || l < f) {
			e = MDF_ST_CORRUPT;
			break;
		}
		if (cb(arg, (uint64_t)f, (uint64_t)l) != 0)
			break;
	}
	if (e == MDF_ST_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = dberr(s);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return e;
}

enum mdf_state_err
mdf_state_void_trim(struct mdf_state *s, const char *id, uint64_t acked)
{
	sqlite3_stmt *q = s->st[S_VOID_TRIM];
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)acked);
	return run(s, q);
}

enum mdf_state_err
mdf_state_prune(struct mdf_state *s, int64_t before, uint64_t *out_n)
{
	enum mdf_state_err e;
	sqlite3_bind_int64(s->st[S_PRUNE], 1, before);
	e = run(s, s->st[S_PRUNE]);
	if (out_n != NULL)
		*out_n = e == MDF_ST_OK ? (uint64_t)sqlite3_changes(s->db) : 0;
	return e;
}
