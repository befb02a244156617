/*
 * SQLite persistence of X1 tasks and destinations (see x1_store.h for the contract).
 *
 * Why SQLite: atomic multi-row commits that survive power loss (WAL + synchronous=FULL), a
 * schema an auditor can read, and foreign keys that make "destination in use" an invariant of
 * the file itself and not only of this code.
 */
#include "x1/x1_store.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/uuid.h"

struct x1_store {
	sqlite3 *db;
	char errmsg[128];
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS x1_meta("
    "  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT OR IGNORE INTO x1_meta VALUES('schema', '1');"
    "CREATE TABLE IF NOT EXISTS destination("
    "  did TEXT PRIMARY KEY,"			/* lowercase UUID */
    "  friendly_name TEXT,"			/* NULL when absent */
    "  delivery INTEGER NOT NULL CHECK(delivery BETWEEN 1 AND 3),"
    "  family INTEGER NOT NULL CHECK(family IN (4, 6)),"
    "  address TEXT NOT NULL,"			/* TS 103 280 canonical text */
    "  proto INTEGER NOT NULL CHECK(proto IN (1, 2)),"	/* 1 TCP, 2 UDP */
    "  port INTEGER NOT NULL CHECK(port BETWEEN 0 AND 65535),"
    "  created TEXT NOT NULL, modified TEXT NOT NULL, nmod INTEGER NOT NULL,"
    "  admf_id TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS task("
    "  xid TEXT PRIMARY KEY,"
    "  delivery INTEGER NOT NULL CHECK(delivery BETWEEN 1 AND 3),"
    "  has_mediation INTEGER NOT NULL,"
    "  correlation_id TEXT,"			/* decimal u64, NULL when absent */
    "  implicit_deactivation INTEGER,"		/* NULL when absent */
    "  product_id TEXT,"
    "  service_types INTEGER NOT NULL,"
    "  created TEXT NOT NULL, modified TEXT NOT NULL, nmod INTEGER NOT NULL,"
    "  admf_id TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS task_target("
    "  xid TEXT NOT NULL REFERENCES task(xid) ON DELETE CASCADE,"
    "  pos INTEGER NOT NULL, type INTEGER NOT NULL, value TEXT NOT NULL,"
    "  PRIMARY KEY(xid, pos));"
    "CREATE TABLE IF NOT EXISTS task_mediation("
    "  xid TEXT NOT NULL REFERENCES task(xid) ON DELETE CASCADE,"
    "  pos INTEGER NOT NULL, liid TEXT NOT NULL, delivery INTEGER NOT NULL,"
    "  start_time TEXT, end_time TEXT,"
    "  PRIMARY KEY(xid, pos));"
    /* med = -1: the task's own listOfDIDs; otherwise the mediationDetails position. */
    "CREATE TABLE IF NOT EXISTS task_did("
    "  xid TEXT NOT NULL REFERENCES task(xid) ON DELETE CASCADE,"
    "  med INTEGER NOT NULL, pos INTEGER NOT NULL,"
    "  did TEXT NOT NULL REFERENCES destination(did),"
    "  PRIMARY KEY(xid, med, pos));"
    "CREATE INDEX IF NOT EXISTS task_did_by_did ON task_did(did);";

const char *
x1_store_strerror(enum x1_store_err e)
{
	static const char *const t[X1S_COUNT] = {
	    [X1S_OK] = "ok",
	    [X1S_NOT_FOUND] = "not found",
	    [X1S_EXISTS] = "already exists",
	    [X1S_FULL] = "store full",
	    [X1S_IN_USE] = "destination in use",
	    [X1S_DB] = "database error",
	    [X1S_NOMEM] = "out of memory",
	    [X1S_CORRUPT] = "stored row invalid",
	};
	if ((int)e < 0 || e >= X1S_COUNT)
		return "unknown store error";
	return t[e];
}

const char *
x1_store_errmsg(const struct x1_store *st)
{
	return st->errmsg;
}

static enum x1_store_err
dberr(struct x1_store *st)
{
	snprintf(st->errmsg, sizeof(st->errmsg), "%s", sqlite3_errmsg(st->db));
	return sqlite3_errcode(st->db) == SQLITE_NOMEM ? X1S_NOMEM : X1S_DB;
}

static enum x1_store_err
exec(struct x1_store *st, const char *sql)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return dberr(st);
	return X1S_OK;
}

static sqlite3_stmt *
prep(struct x1_store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		dberr(st);
		return NULL;
	}
	return s;
}

/* Binds a UUID as its lowercase text (readable in the sqlite3 shell). */
static int
bind_uuid(sqlite3_stmt *s, int i, const uint8_t u[16])
{
	char t[UUID_STRLEN + 1];
	uuid_format(u, t);
	return sqlite3_bind_text(s, i, t, -1, SQLITE_TRANSIENT);
}

static int
bind_opt_text(sqlite3_stmt *s, int i, const char *t)
{
	if (t == NULL || t[0] == '\0')
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, t, -1, SQLITE_TRANSIENT);
}

/* Copies a text column into out (cap bytes); 0 if NULL, too long or holding a NUL. */
static int
col_text(sqlite3_stmt *s, int i, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	int n = sqlite3_column_bytes(s, i);
	if (t == NULL || n < 0 || (size_t)n >= cap || strlen((const char *)t) != (size_t)n)
		return 0;
	memcpy(out, t, (size_t)n + 1);
	return 1;
}

static int
col_uuid(sqlite3_stmt *s, int i, uint8_t out[16])
{
	char t[UUID_STRLEN + 1];
	return col_text(s, i, t, sizeof(t)) && uuid_parse(t, out) == 0;
}

enum x1_store_err
x1_store_open(const char *path, struct x1_store **out)
{
	*out = NULL;
	/* Create the file ourselves so that it is 0600 from the first byte; SQLite gives the
	 * -wal and -shm files the same mode.  ":memory:" (tests, fuzzing) has no file. */
	int memory = strcmp(path, ":memory:") == 0;
	if (!memory) {
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return X1S_DB;
		close(fd);
	}

	struct x1_store *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return X1S_NOMEM;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		sqlite3_close(st->db);
		free(st);
		return X1S_DB;
	}
	enum x1_store_err e;
	sqlite3_extended_result_codes(st->db, 0);
	sqlite3_busy_timeout(st->db, 2000);
	if ((!memory && (e = exec(st, "PRAGMA journal_mode=WAL;")) != X1S_OK) ||
	    (e = exec(st, "PRAGMA synchronous=FULL;")) != X1S_OK ||
	    (e = exec(st, "PRAGMA foreign_keys=ON;")) != X1S_OK ||
	    (e = exec(st, "BEGIN IMMEDIATE;")) != X1S_OK)
		goto fail;
	if ((e = exec(st, schema)) != X1S_OK) {
		exec(st, "ROLLBACK;");
		goto fail;
	}
	if ((e = exec(st, "COMMIT;")) != X1S_OK)
		goto fail;
	*out = st;
	return X1S_OK;
fail:
	sqlite3_close(st->db);
	free(st);
	return e;
}

void
x1_store_close(struct x1_store *st)
{
	if (st == NULL)
		return;
	sqlite3_close(st->db);
	free(st);
}

enum x1_store_err
x1_store_begin(struct x1_store *st)
{
	return exec(st, "BEGIN IMMEDIATE;");
}

enum x1_store_err
x1_store_commit(struct x1_store *st)
{
	enum x1_store_err e = exec(st, "COMMIT;");
	if (e != X1S_OK)
		x1_store_rollback(st);
	return e;
}

void
x1_store_rollback(struct x1_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK;", NULL, NULL, NULL);
}

/* Runs a one-row count query with one UUID parameter (or none when u is NULL). */
static enum x1_store_err
count(struct x1_store *st, const char *sql, const uint8_t *u, size_t *out)
{
	sqlite3_stmt *s = prep(st, sql);
	if (s == NULL)
		return X1S_DB;
	if (u != NULL && bind_uuid(s, 1, u) != SQLITE_OK) {
		sqlite3_finalize(s);
		return dberr(st);
	}
	enum x1_store_err e = X1S_OK;
	if (sqlite3_step(s) == SQLITE_ROW) {
		sqlite3_int64 v = sqlite3_column_int64(s, 0);
		*out = v < 0 ? 0 : (size_t)v;
	} else
		e = dberr(st);
	sqlite3_finalize(s);
	return e;
}

/* Runs a statement to completion (no rows expected); returns changes() via *changed. */
static enum x1_store_err
step_done(struct x1_store *st, sqlite3_stmt *s, int *changed)
{
	int rc = sqlite3_step(s);
	enum x1_store_err e = X1S_OK;
	if (rc != SQLITE_DONE)
		e = sqlite3_errcode(st->db) == SQLITE_CONSTRAINT ? X1S_IN_USE : dberr(st);
	if (changed != NULL)
		*changed = sqlite3_changes(st->db);
	sqlite3_finalize(s);
	return e;
}

/* ------------------------------------------------------------------------------------------ */
/* Tasks                                                                                      */

enum x1_store_err
x1_store_task_count(struct x1_store *st, size_t *out)
{
	return count(st, "SELECT count(*) FROM task;", NULL, out);
}

enum x1_store_err
x1_store_task_exists(struct x1_store *st, const uint8_t xid[16], int *out)
{
	size_t n = 0;
	enum x1_store_err e = count(st, "SELECT count(*) FROM task WHERE xid = ?1;", xid, &n);
	*out = n != 0;
	return e;
}

static enum x1_store_err
insert_dids(struct x1_store *st, const uint8_t xid[16], int med, const uint8_t (*dids)[16],
	    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *s = prep(st, "INSERT INTO task_did(xid, med, pos, did) "
					   "VALUES(?1, ?2, ?3, ?4);");
		if (s == NULL)
			return X1S_DB;
		if (bind_uuid(s, 1, xid) != SQLITE_OK || sqlite3_bind_int(s, 2, med) != SQLITE_OK ||
		    sqlite3_bind_int(s, 3, (int)i) != SQLITE_OK ||
		    bind_uuid(s, 4, dids[i]) != SQLITE_OK) {
			sqlite3_finalize(s);
			return dberr(st);
		}
		enum x1_store_err e = step_done(st, s, NULL);
		/* A foreign-key failure here means an unknown DID: the NE checks first. */
		if (e == X1S_IN_USE)
			e = X1S_NOT_FOUND;
		if (e != X1S_OK)
			return e;
	}
	return X1S_OK;
}

/* Writes the child rows (targets, mediation details, DIDs) of a task. */
static enum x1_store_err
insert_children(struct x1_store *st, const struct x1_task *t)
{
	enum x1_store_err e;
	for (size_t i = 0; i < t->ntargets; i++) {
		sqlite3_stmt *s = prep(st, "INSERT INTO task_target(xid, pos, type, value) "
					   "VALUES(?1, ?2, ?3, ?4);");
		if (s == NULL)
			return X1S_DB;
		if (bind_uuid(s, 1, t->xid) != SQLITE_OK ||
		    sqlite3_bind_int(s, 2, (int)i) != SQLITE_OK ||
		    sqlite3_bind_int(s, 3, (int)t->targets[i].type) != SQLITE_OK ||
		    sqlite3_bind_text(s, 4, t->targets[i].value, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
			sqlite3_finalize(s);
			return dberr(st);
		}
		if ((e = step_done(st, s, NULL)) != X1S_OK)
			return e;
	}
	for (size_t i = 0; i < t->nmed; i++) {
		const struct x1_mediation *m = &t->med[i];
		sqlite3_stmt *s = prep(st, "INSERT INTO task_mediation(xid, pos, liid, delivery, "
					   "start_time, end_time) VALUES(?1, ?2, ?3, ?4, ?5, ?6);");
		if (s == NULL)
			return X1S_DB;
		if (bind_uuid(s, 1, t->xid) != SQLITE_OK ||
		    sqlite3_bind_int(s, 2, (int)i) != SQLITE_OK ||
		    sqlite3_bind_text(s, 3, m->liid, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_bind_int(s, 4, (int)m->delivery) != SQLITE_OK ||
		    bind_opt_text(s, 5, m->start) != SQLITE_OK ||
		    bind_opt_text(s, 6, m->end) != SQLITE_OK) {
			sqlite3_finalize(s);
			return dberr(st);
		}
		if ((e = step_done(st, s, NULL)) != X1S_OK)
			return e;
		if ((e = insert_dids(st, t->xid, (int)i, m->dids, m->ndids)) != X1S_OK)
			return e;
	}
	return insert_dids(st, t->xid, -1, t->dids, t->ndids);
}

static enum x1_store_err
bind_task_row(struct x1_store *st, sqlite3_stmt *s, const struct x1_task *t, const char *admf,
	      const char *now)
{
	char corr[24];
	char prod[UUID_STRLEN + 1];
	snprintf(corr, sizeof(corr), "%" PRIu64, t->correlation_id);
	if (t->has_product)
		uuid_format(t->product_id, prod);
	if (bind_uuid(s, 1, t->xid) != SQLITE_OK ||
	    sqlite3_bind_int(s, 2, (int)t->delivery) != SQLITE_OK ||
	    sqlite3_bind_int(s, 3, t->has_mediation || t->nmed > 0) != SQLITE_OK ||
	    bind_opt_text(s, 4, t->has_correlation ? corr : NULL) != SQLITE_OK ||
	    (t->implicit_deactivation < 0 ? sqlite3_bind_null(s, 5)
					  : sqlite3_bind_int(s, 5, t->implicit_deactivation)) !=
		SQLITE_OK ||
	    bind_opt_text(s, 6, t->has_product ? prod : NULL) != SQLITE_OK ||
	    sqlite3_bind_int(s, 7, (int)t->service_types) != SQLITE_OK ||
	    sqlite3_bind_text(s, 8, now, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(s, 9, admf, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		return dberr(st);
	return X1S_OK;
}

enum x1_store_err
x1_store_task_insert(struct x1_store *st, const struct x1_task *t, const char *admf,
		     const char *now)
{
	size_t n;
	enum x1_store_err e;
	if ((e = count(st, "SELECT count(*) FROM task WHERE xid = ?1;", t->xid, &n)) != X1S_OK)
		return e;
	if (n != 0)
		return X1S_EXISTS;
	if ((e = x1_store_task_count(st, &n)) != X1S_OK)
		return e;
	if (n >= X1_STORE_MAX_TASKS)
		return X1S_FULL;
	sqlite3_stmt *s = prep(st, "INSERT INTO task(xid, delivery, has_mediation, correlation_id, "
				   "implicit_deactivation, product_id, service_types, created, "
				   "modified, nmod, admf_id) "
				   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, 0, ?9);");
	if (s == NULL)
		return X1S_DB;
	if ((e = bind_task_row(st, s, t, admf, now)) != X1S_OK) {
		sqlite3_finalize(s);
		return e;
	}
	if ((e = step_done(st, s, NULL)) != X1S_OK)
		return e;
	return insert_children(st, t);
}

enum x1_store_err
x1_store_task_replace(struct x1_store *st, const struct x1_task *t, const char *admf,
		      const char *now)
{
	enum x1_store_err e;
	int changed;
	sqlite3_stmt *s = prep(st, "UPDATE task SET delivery = ?2, has_mediation = ?3, "
				   "correlation_id = ?4, implicit_deactivation = ?5, "
				   "product_id = ?6, service_types = ?7, modified = ?8, "
				   "nmod = nmod + 1, admf_id = ?9 WHERE xid = ?1;");
	if (s == NULL)
		return X1S_DB;
	if ((e = bind_task_row(st, s, t, admf, now)) != X1S_OK) {
		sqlite3_finalize(s);
		return e;
	}
	if ((e = step_done(st, s, &changed)) != X1S_OK)
		return e;
	if (changed == 0)
		return X1S_NOT_FOUND;
	static const char *const del[] = {
	    "DELETE FROM task_did WHERE xid = ?1;",
	    "DELETE FROM task_mediation WHERE xid = ?1;",
	    "DELETE FROM task_target WHERE xid = ?1;",
	};
	for (size_t i = 0; i < sizeof(del) / sizeof(del[0]); i++) {
		if ((s = prep(st, del[i])) == NULL)
			return X1S_DB;
		if (bind_uuid(s, 1, t->xid) != SQLITE_OK) {
			sqlite3_finalize(s);
			return dberr(st);
		}
		if ((e = step_done(st, s, NULL)) != X1S_OK)
			return e;
	}
	return insert_children(st, t);
}

enum x1_store_err
x1_store_task_delete(struct x1_store *st, const uint8_t xid[16])
{
	int changed;
	enum x1_store_err e;
	sqlite3_stmt *s = prep(st, "DELETE FROM task WHERE xid = ?1;");
	if (s == NULL)
		return X1S_DB;
	if (bind_uuid(s, 1, xid) != SQLITE_OK) {
		sqlite3_finalize(s);
		return dberr(st);
	}
	if ((e = step_done(st, s, &changed)) != X1S_OK)
		return e;
	return changed ? X1S_OK : X1S_NOT_FOUND;
}

enum x1_store_err
x1_store_task_delete_all(struct x1_store *st, size_t *out)
{
	int changed;
	enum x1_store_err e;
	sqlite3_stmt *s = prep(st, "DELETE FROM task;");
	if (s == NULL)
		return X1S_DB;
	if ((e = step_done(st, s, &changed)) != X1S_OK)
		return e;
	*out = changed < 0 ? 0 : (size_t)changed;
	return X1S_OK;
}

static int
meta_row(sqlite3_stmt *s, int col, struct x1_store_meta *m)
{
	if (m == NULL)
		return 1;
	sqlite3_int64 n = sqlite3_column_int64(s, col + 2);
	m->nmod = n < 0 ? 0 : (uint64_t)n;
	return col_text(s, col, m->created, sizeof(m->created)) &&
	       col_text(s, col + 1, m->modified, sizeof(m->modified)) &&
	       col_text(s, col + 3, m->admf_id, sizeof(m->admf_id)) && n >= 0;
}

static int
delivery_ok(sqlite3_int64 v)
{
	return v >= X1_X2_ONLY && v <= X1_X2_AND_X3;
}

/* Reads the child rows of task t (t->xid set). */
static enum x1_store_err
load_children(struct x1_store *st, struct x1_task *t)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = prep(st, "SELECT pos, type, value FROM task_target WHERE xid = ?1 "
			  "ORDER BY pos;")) == NULL)
		return X1S_DB;
	bind_uuid(s, 1, t->xid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct x1_target *g;
		if (t->ntargets == X1_MAX_TARGETS ||
		    sqlite3_column_int64(s, 0) != (sqlite3_int64)t->ntargets)
			goto corrupt;
		g = &t->targets[t->ntargets++];
		g->type = (enum x1_target_type)sqlite3_column_int(s, 1);
		if (!col_text(s, 2, g->value, sizeof(g->value)) || !x1_target_ok(g->type, g->value))
			goto corrupt;
	}
	if (rc != SQLITE_DONE)
		goto dbfail;
	sqlite3_finalize(s);
	if (t->ntargets == 0)
		return X1S_CORRUPT;

	if ((s = prep(st, "SELECT pos, liid, delivery, start_time, end_time FROM task_mediation "
			  "WHERE xid = ?1 ORDER BY pos;")) == NULL)
		return X1S_DB;
	bind_uuid(s, 1, t->xid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct x1_mediation *m;
		if (t->nmed == X1_MAX_MEDIATION ||
		    sqlite3_column_int64(s, 0) != (sqlite3_int64)t->nmed)
			goto corrupt;
		m = &t->med[t->nmed++];
		if (!col_text(s, 1, m->liid, sizeof(m->liid)) || !x1_liid_ok(m->liid) ||
		    !delivery_ok(sqlite3_column_int64(s, 2)))
			goto corrupt;
		m->delivery = (enum x1_delivery)sqlite3_column_int(s, 2);
		if ((sqlite3_column_type(s, 3) != SQLITE_NULL &&
		     (!col_text(s, 3, m->start, sizeof(m->start)) || !x1_timestamp_ok(m->start))) ||
		    (sqlite3_column_type(s, 4) != SQLITE_NULL &&
		     (!col_text(s, 4, m->end, sizeof(m->end)) || !x1_timestamp_ok(m->end))))
			goto corrupt;
	}
	if (rc != SQLITE_DONE)
		goto dbfail;
	sqlite3_finalize(s);

	if ((s = prep(st, "SELECT med, pos, did FROM task_did WHERE xid = ?1 "
			  "ORDER BY med, pos;")) == NULL)
		return X1S_DB;
	bind_uuid(s, 1, t->xid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		sqlite3_int64 med = sqlite3_column_int64(s, 0), pos = sqlite3_column_int64(s, 1);
		uint8_t (*list)[16];
		size_t *n, max;
		if (med == -1) {
			list = t->dids;
			n = &t->ndids;
			max = X1_MAX_DIDS;
		} else if (med >= 0 && (size_t)med < t->nmed) {
			list = t->med[med].dids;
			n = &t->med[med].ndids;
			max = X1_MAX_MED_DIDS;
		} else
			goto corrupt;
		if (*n == max || pos != (sqlite3_int64)*n || !col_uuid(s, 2, list[*n]))
			goto corrupt;
		(*n)++;
	}
	if (rc != SQLITE_DONE)
		goto dbfail;
	sqlite3_finalize(s);
	return X1S_OK;
corrupt:
	sqlite3_finalize(s);
	return X1S_CORRUPT;
dbfail:
	sqlite3_finalize(s);
	return dberr(st);
}

#define TASK_COLS "xid, delivery, has_mediation, correlation_id, implicit_deactivation, " \
		  "product_id, service_types, created, modified, nmod, admf_id"

/* Fills t and meta from a row of TASK_COLS, then loads the children. */
static enum x1_store_err
task_from_row(struct x1_store *st, sqlite3_stmt *s, struct x1_task *t, struct x1_store_meta *meta)
{
	char corr[24];
	memset(t, 0, sizeof(*t));
	t->implicit_deactivation = -1;
	if (!col_uuid(s, 0, t->xid) || !delivery_ok(sqlite3_column_int64(s, 1)))
		return X1S_CORRUPT;
	t->delivery = (enum x1_delivery)sqlite3_column_int(s, 1);
	t->has_mediation = sqlite3_column_int(s, 2) != 0;
	if (sqlite3_column_type(s, 3) != SQLITE_NULL) {
		uint64_t v = 0;
		if (!col_text(s, 3, corr, sizeof(corr)) || !x1_digits_ok(corr, 1, 20))
			return X1S_CORRUPT;
		for (const char *p = corr; *p != '\0'; p++) {
			if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
				return X1S_CORRUPT;
			v = v * 10 + (uint64_t)(*p - '0');
		}
		t->correlation_id = v;
		t->has_correlation = 1;
	}
	if (sqlite3_column_type(s, 4) != SQLITE_NULL)
		t->implicit_deactivation = sqlite3_column_int(s, 4) != 0;
	if (sqlite3_column_type(s, 5) != SQLITE_NULL) {
		if (!col_uuid(s, 5, t->product_id))
			return X1S_CORRUPT;
		t->has_product = 1;
	}
	sqlite3_int64 svc = sqlite3_column_int64(s, 6);
	if (svc < 0 || svc >= (1 << X1_SVC_COUNT))
		return X1S_CORRUPT;
	t->service_types = (unsigned)svc;
	if (!meta_row(s, 7, meta))
		return X1S_CORRUPT;
	return load_children(st, t);
}

enum x1_store_err
x1_store_task_get(struct x1_store *st, const uint8_t xid[16], struct x1_task *out,
		  struct x1_store_meta *meta)
{
	sqlite3_stmt *s = prep(st, "SELECT " TASK_COLS " FROM task WHERE xid = ?1;");
	if (s == NULL)
		return X1S_DB;
	bind_uuid(s, 1, xid);
	enum x1_store_err e;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		e = task_from_row(st, s, out, meta);
	else if (rc == SQLITE_DONE)
		e = X1S_NOT_FOUND;
	else
		e = dberr(st);
	sqlite3_finalize(s);
	return e;
}

enum x1_store_err
x1_store_task_foreach(struct x1_store *st, x1_store_task_cb cb, void *arg)
{
	sqlite3_stmt *s = prep(st, "SELECT " TASK_COLS " FROM task ORDER BY created, xid;");
	if (s == NULL)
		return X1S_DB;
	struct x1_task *t = malloc(sizeof(*t));
	if (t == NULL) {
		sqlite3_finalize(s);
		return X1S_NOMEM;
	}
	struct x1_store_meta meta;
	enum x1_store_err e = X1S_OK;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((e = task_from_row(st, s, t, &meta)) != X1S_OK)
			break;
		if (cb(arg, t, &meta) != 0)
			break;
	}
	if (e == X1S_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = dberr(st);
	free(t);
	sqlite3_finalize(s);
	return e;
}

/* ------------------------------------------------------------------------------------------ */
/* Destinations                                                                               */

enum x1_store_err
x1_store_dest_count(struct x1_store *st, size_t *out)
{
	return count(st, "SELECT count(*) FROM destination;", NULL, out);
}

enum x1_store_err
x1_store_dest_exists(struct x1_store *st, const uint8_t did[16], int *out)
{
	size_t n = 0;
	enum x1_store_err e =
	    count(st, "SELECT count(*) FROM destination WHERE did = ?1;", did, &n);
	*out = n != 0;
	return e;
}

enum x1_store_err
x1_store_dest_users(struct x1_store *st, const uint8_t did[16], size_t *out)
{
	return count(st, "SELECT count(DISTINCT xid) FROM task_did WHERE did = ?1;", did, out);
}

static enum x1_store_err
bind_dest_row(struct x1_store *st, sqlite3_stmt *s, const struct x1_dest *d, const char *admf,
	      const char *now)
{
	char addr[40];
	x1_addr_format(d->family, d->addr, addr);
	if (bind_uuid(s, 1, d->did) != SQLITE_OK ||
	    bind_opt_text(s, 2, d->has_name ? d->name : NULL) != SQLITE_OK ||
	    sqlite3_bind_int(s, 3, (int)d->delivery) != SQLITE_OK ||
	    sqlite3_bind_int(s, 4, (int)d->family) != SQLITE_OK ||
	    sqlite3_bind_text(s, 5, addr, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int(s, 6, (int)d->proto) != SQLITE_OK ||
	    sqlite3_bind_int(s, 7, d->port) != SQLITE_OK ||
	    sqlite3_bind_text(s, 8, now, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(s, 9, admf, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		return dberr(st);
	return X1S_OK;
}

enum x1_store_err
x1_store_dest_insert(struct x1_store *st, const struct x1_dest *d, const char *admf,
		     const char *now)
{
	size_t n;
	enum x1_store_err e;
	if ((e = count(st, "SELECT count(*) FROM destination WHERE did = ?1;", d->did, &n)) !=
	    X1S_OK)
		return e;
	if (n != 0)
		return X1S_EXISTS;
	if ((e = x1_store_dest_count(st, &n)) != X1S_OK)
		return e;
	if (n >= X1_STORE_MAX_DESTS)
		return X1S_FULL;
	sqlite3_stmt *s = prep(st, "INSERT INTO destination(did, friendly_name, delivery, family, "
				   "address, proto, port, created, modified, nmod, admf_id) "
				   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, 0, ?9);");
	if (s == NULL)
		return X1S_DB;
	if ((e = bind_dest_row(st, s, d, admf, now)) != X1S_OK) {
		sqlite3_finalize(s);
		return e;
	}
	return step_done(st, s, NULL);
}

enum x1_store_err
x1_store_dest_replace(struct x1_store *st, const struct x1_dest *d, const char *admf,
		      const char *now)
{
	int changed;
	enum x1_store_err e;
	sqlite3_stmt *s = prep(st, "UPDATE destination SET friendly_name = ?2, delivery = ?3, "
				   "family = ?4, address = ?5, proto = ?6, port = ?7, "
				   "modified = ?8, nmod = nmod + 1, admf_id = ?9 WHERE did = ?1;");
	if (s == NULL)
		return X1S_DB;
	if ((e = bind_dest_row(st, s, d, admf, now)) != X1S_OK) {
		sqlite3_finalize(s);
		return e;
	}
	if ((e = step_done(st, s, &changed)) != X1S_OK)
		return e;
	return changed ? X1S_OK : X1S_NOT_FOUND;
}

enum x1_store_err
x1_store_dest_delete(struct x1_store *st, const uint8_t did[16])
{
	size_t users;
	int changed;
	enum x1_store_err e;
	if ((e = x1_store_dest_users(st, did, &users)) != X1S_OK)
		return e;
	if (users > 0)
		return X1S_IN_USE;
	sqlite3_stmt *s = prep(st, "DELETE FROM destination WHERE did = ?1;");
	if (s == NULL)
		return X1S_DB;
	if (bind_uuid(s, 1, did) != SQLITE_OK) {
		sqlite3_finalize(s);
		return dberr(st);
	}
	/* The foreign key from task_did refuses the delete too (X1S_IN_USE). */
	if ((e = step_done(st, s, &changed)) != X1S_OK)
		return e;
	return changed ? X1S_OK : X1S_NOT_FOUND;
}

#define DEST_COLS "did, friendly_name, delivery, family, address, proto, port, created, " \
		  "modified, nmod, admf_id"

static enum x1_store_err
dest_from_row(sqlite3_stmt *s, struct x1_dest *d, struct x1_store_meta *meta)
{
	char addr[48];
	memset(d, 0, sizeof(*d));
	if (!col_uuid(s, 0, d->did) || !delivery_ok(sqlite3_column_int64(s, 2)))
		return X1S_CORRUPT;
	if (sqlite3_column_type(s, 1) != SQLITE_NULL) {
		if (!col_text(s, 1, d->name, sizeof(d->name)))
			return X1S_CORRUPT;
		d->has_name = 1;
	}
	d->delivery = (enum x1_delivery)sqlite3_column_int(s, 2);
	sqlite3_int64 fam = sqlite3_column_int64(s, 3), proto = sqlite3_column_int64(s, 5);
	sqlite3_int64 port = sqlite3_column_int64(s, 6);
	if (!col_text(s, 4, addr, sizeof(addr)))
		return X1S_CORRUPT;
	if (fam == 4 && x1_ipv4_parse(addr, d->addr))
		d->family = X1_AF_IPV4;
	else if (fam == 6 && x1_ipv6_parse(addr, d->addr))
		d->family = X1_AF_IPV6;
	else
		return X1S_CORRUPT;
	if ((proto != X1_PORT_TCP && proto != X1_PORT_UDP) || port < 0 || port > 65535 ||
	    (proto == X1_PORT_TCP && port < 2))
		return X1S_CORRUPT;
	d->proto = (enum x1_port_proto)proto;
	d->port = (uint16_t)port;
	if (!meta_row(s, 7, meta))
		return X1S_CORRUPT;
	return X1S_OK;
}

enum x1_store_err
x1_store_dest_get(struct x1_store *st, const uint8_t did[16], struct x1_dest *out,
		  struct x1_store_meta *meta)
{
	sqlite3_stmt *s = prep(st, "SELECT " DEST_COLS " FROM destination WHERE did = ?1;");
	if (s == NULL)
		return X1S_DB;
	bind_uuid(s, 1, did);
	enum x1_store_err e;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		e = dest_from_row(s, out, meta);
	else if (rc == SQLITE_DONE)
		e = X1S_NOT_FOUND;
	else
		e = dberr(st);
	sqlite3_finalize(s);
	return e;
}

enum x1_store_err
x1_store_dest_foreach(struct x1_store *st, x1_store_dest_cb cb, void *arg)
{
	sqlite3_stmt *s = prep(st, "SELECT " DEST_COLS " FROM destination ORDER BY created, did;");
	if (s == NULL)
		return X1S_DB;
	struct x1_dest d;
	struct x1_store_meta meta;
	enum x1_store_err e = X1S_OK;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((e = dest_from_row(s, &d, &meta)) != X1S_OK)
			break;
		if (cb(arg, &d, &meta) != 0)
			break;
	}
	if (e == X1S_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = dberr(st);
	sqlite3_finalize(s);
	return e;
}
