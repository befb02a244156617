/*
 * Persistent X1 state of a network element: tasks (with their targets, DIDs and mediation
 * details) and destinations, in one SQLite database (WAL journal, synchronous=FULL, foreign
 * keys on).  The database is the only source of tasks: an NE reloads it at start (see
 * x1_store_task_foreach) and X1 is the only writer.  There is no other way in.
 *
 * Tables are plain and readable with the sqlite3 shell (UUIDs as lowercase text); the schema is
 * in x1_store.c.  Rows read back are validated like X1 input (a hand-edited or damaged row gives
 * X1S_CORRUPT, never a half-read task).  The file is created with mode 0600: it holds target
 * identities.
 *
 * Transactions: the NE wraps each X1 message in x1_store_begin / x1_store_commit (or
 * x1_store_rollback), so a message is applied completely or not at all.  Functions that write
 * must be called inside a transaction.
 * Memory: no cache; each call runs its queries (X1 is a low-rate interface).
 * Thread safety: a store belongs to one thread.  Never logs, prints or exits.
 */
#ifndef OVERT_X1_STORE_H
#define OVERT_X1_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "x1/x1.h"

#define X1_STORE_MAX_TASKS 4096	/* = X1_MAX_LIST: GetAllTaskDetails fits one response */
#define X1_STORE_MAX_DESTS 256

enum x1_store_err {
	X1S_OK = 0,
	X1S_NOT_FOUND,
	X1S_EXISTS,
	X1S_FULL,		/* X1_STORE_MAX_TASKS / _DESTS reached */
	X1S_IN_USE,		/* destination referenced by a task */
	X1S_DB,			/* SQLite error (x1_store_errmsg) */
	X1S_NOMEM,
	X1S_CORRUPT,		/* a stored row fails validation */
	X1S_COUNT
};

const char *x1_store_strerror(enum x1_store_err);

/* Bookkeeping kept with each task and destination. */
struct x1_store_meta {
	char created[X1_TS_LEN + 1];
	char modified[X1_TS_LEN + 1];
	uint64_t nmod;				/* ModifyTask / ModifyDestination count */
	char admf_id[X1_ID_MAX + 1];		/* who made the last change */
};

struct x1_store;

/* Opens (creating if needed, mode 0600) the database at path and its schema.  ":memory:" gives
 * a private in-memory database (tests and fuzzing only: nothing persists). */
enum x1_store_err x1_store_open(const char *path, struct x1_store **out);
void x1_store_close(struct x1_store *);
/* SQLite's message for the last X1S_DB error ("" if none); for logs, never holds values. */
const char *x1_store_errmsg(const struct x1_store *);

enum x1_store_err x1_store_begin(struct x1_store *);	/* BEGIN IMMEDIATE */
enum x1_store_err x1_store_commit(struct x1_store *);
void x1_store_rollback(struct x1_store *);

/* Tasks.  now is the QualifiedMicrosecondDateTime of the change, admf_id its author. */
enum x1_store_err x1_store_task_get(struct x1_store *, const uint8_t xid[16], struct x1_task *out,
				    struct x1_store_meta *meta);
enum x1_store_err x1_store_task_insert(struct x1_store *, const struct x1_task *,
				       const char *admf_id, const char *now);
enum x1_store_err x1_store_task_replace(struct x1_store *, const struct x1_task *,
					const char *admf_id, const char *now);
enum x1_store_err x1_store_task_delete(struct x1_store *, const uint8_t xid[16]);
enum x1_store_err x1_store_task_delete_all(struct x1_store *, size_t *out_n);
enum x1_store_err x1_store_task_count(struct x1_store *, size_t *out_n);
/* *out = 1 if the task exists, else 0. */
enum x1_store_err x1_store_task_exists(struct x1_store *, const uint8_t xid[16], int *out);

/* Calls cb for every task in creation order; stops early (returning X1S_OK) when cb returns
 * non-zero.  cb must not modify the store. */
typedef int (*x1_store_task_cb)(void *arg, const struct x1_task *, const struct x1_store_meta *);
enum x1_store_err x1_store_task_foreach(struct x1_store *, x1_store_task_cb cb, void *arg);

/* Destinations. */
enum x1_store_err x1_store_dest_get(struct x1_store *, const uint8_t did[16], struct x1_dest *out,
				    struct x1_store_meta *meta);
enum x1_store_err x1_store_dest_insert(struct x1_store *, const struct x1_dest *,
				       const char *admf_id, const char *now);
enum x1_store_err x1_store_dest_replace(struct x1_store *, const struct x1_dest *,
					const char *admf_id, const char *now);
/* X1S_IN_USE if a task (or mediation details) lists the DID. */
enum x1_store_err x1_store_dest_delete(struct x1_store *, const uint8_t did[16]);
enum x1_store_err x1_store_dest_count(struct x1_store *, size_t *out_n);
enum x1_store_err x1_store_dest_exists(struct x1_store *, const uint8_t did[16], int *out);
/* *out = number of tasks referring to did. */
enum x1_store_err x1_store_dest_users(struct x1_store *, const uint8_t did[16], size_t *out);

typedef int (*x1_store_dest_cb)(void *arg, const struct x1_dest *, const struct x1_store_meta *);
enum x1_store_err x1_store_dest_foreach(struct x1_store *, x1_store_dest_cb cb, void *arg);

#endif
