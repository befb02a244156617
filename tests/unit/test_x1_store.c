/*
 * X1 store tests: tasks and destinations survive close/reopen with every field, foreign keys
 * keep "destination in use" true in the file itself, limits hold, transactions roll back, and
 * a damaged row is reported as X1S_CORRUPT instead of being half-read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

/* Bounded string helpers (the project bans strcpy/strcat). */
#define SET(dst, src) snprintf((dst), sizeof(dst), "%s", (src))
#define APPEND(dst, src) snprintf((dst) + strlen(dst), sizeof(dst) - strlen(dst), "%s", (src))

#include "common/uuid.h"
#include "x1/x1_store.h"

#define NOW "2025-01-15T10:20:30.123456Z"

struct fx {
	char dir[64];
	char path[128];
	struct x1_store *st;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	SET(f->dir, "/tmp/test_x1_store.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/x1.db", f->dir);
	if (x1_store_open(f->path, &f->st) != X1S_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[160];
	x1_store_close(f->st);
	static const char *const sfx[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, sfx[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
reopen(struct fx *f)
{
	x1_store_close(f->st);
	assert_int_equal(x1_store_open(f->path, &f->st), X1S_OK);
}

static void
mk_dest(struct x1_dest *d, int n, enum x1_delivery del)
{
	memset(d, 0, sizeof(*d));
	uuid_random(d->did);
	d->did[15] = (uint8_t)n;
	d->delivery = del;
	d->family = X1_AF_IPV4;
	d->addr[0] = 192;
	d->addr[3] = (uint8_t)n;
	d->proto = X1_PORT_TCP;
	d->port = (uint16_t)(9000 + n);
	if (n % 2) {
		d->has_name = 1;
		snprintf(d->name, sizeof(d->name), "dest '%d' \"quoted\"", n);
	}
}

static void
mk_task(struct x1_task *t, const struct x1_dest *d)
{
	memset(t, 0, sizeof(*t));
	t->implicit_deactivation = -1;
	uuid_random(t->xid);
	t->ntargets = 2;
	t->targets[0] = (struct x1_target){X1_TGT_IMSI, "001010000000001"};
	t->targets[1] = (struct x1_target){X1_TGT_IMEI, "35693803564380"};
	t->delivery = X1_X2_AND_X3;
	t->ndids = 1;
	memcpy(t->dids[0], d->did, 16);
}

static void
test_roundtrip_and_persistence(void **state)
{
	struct fx *f = *state;
	struct x1_dest d[2], got_d;
	struct x1_task t, got;
	struct x1_store_meta meta;
	size_t n;

	mk_dest(&d[0], 1, X1_X2_AND_X3);
	mk_dest(&d[1], 2, X1_X2_ONLY);
	d[1].family = X1_AF_IPV6;
	assert_true(x1_ipv6_parse("2001:0db8:0000:0000:0000:0000:0000:00ff", d[1].addr));
	mk_task(&t, &d[0]);
	t.has_mediation = 1;
	t.nmed = 2;
	SET(t.med[0].liid, "LIID-A");
	t.med[0].delivery = X1_X2_ONLY;
	SET(t.med[0].start, NOW);
	t.med[0].ndids = 2;
	memcpy(t.med[0].dids[0], d[1].did, 16);
	memcpy(t.med[0].dids[1], d[0].did, 16);
	SET(t.med[1].liid, "LIID-B");
	t.med[1].delivery = X1_X2_AND_X3;
	SET(t.med[1].end, "2030-01-01T00:00:00.000000+01:00");
	t.has_correlation = 1;
	t.correlation_id = UINT64_MAX;
	t.implicit_deactivation = 1;
	t.has_product = 1;
	uuid_random(t.product_id);
	t.service_types = X1_SVC_DATA;

	assert_int_equal(x1_store_begin(f->st), X1S_OK);
	assert_int_equal(x1_store_dest_insert(f->st, &d[0], "admf", NOW), X1S_OK);
	assert_int_equal(x1_store_dest_insert(f->st, &d[1], "admf", NOW), X1S_OK);
	assert_int_equal(x1_store_dest_insert(f->st, &d[1], "admf", NOW), X1S_EXISTS);
	assert_int_equal(x1_store_task_insert(f->st, &t, "admf", NOW), X1S_OK);
	assert_int_equal(x1_store_task_insert(f->st, &t, "admf", NOW), X1S_EXISTS);
	assert_int_equal(x1_store_commit(f->st), X1S_OK);

	reopen(f);
	assert_int_equal(x1_store_task_get(f->st, t.xid, &got, &meta), X1S_OK);
	assert_memory_equal(got.xid, t.xid, 16);
	assert_int_equal(got.ntargets, 2);
	assert_string_equal(got.targets[0].value, "001010000000001");
	assert_int_equal(got.targets[1].type, X1_TGT_IMEI);
	assert_int_equal(got.ndids, 1);
	assert_memory_equal(got.dids[0], d[0].did, 16);
	assert_int_equal(got.nmed, 2);
	assert_string_equal(got.med[0].liid, "LIID-A");
	assert_string_equal(got.med[0].start, NOW);
	assert_string_equal(got.med[0].end, "");
	assert_int_equal(got.med[0].ndids, 2);
	assert_memory_equal(got.med[0].dids[0], d[1].did, 16);
	assert_string_equal(got.med[1].end, "2030-01-01T00:00:00.000000+01:00");
	assert_int_equal(got.med[1].ndids, 0);
	assert_true(got.correlation_id == UINT64_MAX);
	assert_int_equal(got.implicit_deactivation, 1);
	assert_memory_equal(got.product_id, t.product_id, 16);
	assert_int_equal(got.service_types, X1_SVC_DATA);
	assert_string_equal(meta.created, NOW);
	assert_string_equal(meta.admf_id, "admf");
	assert_true(meta.nmod == 0);

	assert_int_equal(x1_store_dest_get(f->st, d[1].did, &got_d, NULL), X1S_OK);
	assert_int_equal(got_d.family, X1_AF_IPV6);
	assert_memory_equal(got_d.addr, d[1].addr, 16);
	assert_int_equal(got_d.port, 9002);
	assert_int_equal(got_d.has_name, 0);
	assert_int_equal(x1_store_dest_get(f->st, d[0].did, &got_d, NULL), X1S_OK);
	assert_string_equal(got_d.name, d[0].name);

	/* Replace: children rewritten, modification counted. */
	t.ntargets = 1;
	t.targets[0] = (struct x1_target){X1_TGT_E164, "447700900999"};
	t.nmed = 0;
	t.has_mediation = 0;
	assert_int_equal(x1_store_begin(f->st), X1S_OK);
	assert_int_equal(x1_store_task_replace(f->st, &t, "admf2", "2025-01-16T00:00:00.000000Z"),
			 X1S_OK);
	assert_int_equal(x1_store_commit(f->st), X1S_OK);
	reopen(f);
	assert_int_equal(x1_store_task_get(f->st, t.xid, &got, &meta), X1S_OK);
	assert_int_equal(got.ntargets, 1);
	assert_string_equal(got.targets[0].value, "447700900999");
	assert_int_equal(got.nmed, 0);
	assert_true(meta.nmod == 1);
	assert_string_equal(meta.admf_id, "admf2");
	assert_string_equal(meta.created, NOW);
	assert_string_equal(meta.modified, "2025-01-16T00:00:00.000000Z");

	assert_int_equal(x1_store_task_count(f->st, &n), X1S_OK);
	assert_int_equal(n, 1);
	struct stat sb;
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void
test_in_use_and_rollback(void **state)
{
	struct fx *f = *state;
	struct x1_dest d;
	struct x1_task t;
	size_t n, users;
	int exists;

	mk_dest(&d, 3, X1_X2_AND_X3);
	mk_task(&t, &d);
	assert_int_equal(x1_store_begin(f->st), X1S_OK);
	/* A task naming an unknown destination is refused by the foreign key. */
	assert_int_equal(x1_store_task_insert(f->st, &t, "admf", NOW), X1S_NOT_FOUND);
	x1_store_rollback(f->st);
	assert_int_equal(x1_store_task_count(f->st, &n), X1S_OK);
	assert_int_equal(n, 0);

	assert_int_equal(x1_store_begin(f->st), X1S_OK);
	assert_int_equal(x1_store_dest_insert(f->st, &d, "admf", NOW), X1S_OK);
	assert_int_equal(x1_store_task_insert(f->st, &t, "admf", NOW), X1S_OK);
	assert_int_equal(x1_store_commit(f->st), X1S_OK);
	assert_int_equal(x1_store_dest_users(f->st, d.did, &users), X1S_OK);
	assert_int_equal(users, 1);

	assert_int_equal(x1_store_begin(f->st), X1S_OK);
	assert_int_equal(x1_store_dest_delete(f->st, d.did), X1S_IN_USE);
	x1_store_rollback(f->st);
	/* The file enforces it too, whatever the code does. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_exec(db, "PRAGMA foreign_keys=ON;", NULL, NULL, NULL);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM destination;", NULL, NULL, NULL),
			     SQLITE_OK);
	sqlite3_close(db);

	/* Rolled back work leaves nothing. */
	assert_int_equal(x1_store_begin(f->st), X1S_OK);
	assert_int_equal(x1_store_task_delete(f->st, t.xid), X1S_OK);
	x1_store_rollback(f->st);
	assert_int_equal(x1_store_task_exists(f->st, t.xid, &exists), X1S_OK);
	assert_true(exists);

	assert_int_equal(x1_store_begin(f->st), X1S_OK);
	assert_int_equal(x1_store_task_delete_all(f->st, &n), X1S_OK);
	assert_int_equal(n, 1);
	assert_int_equal(x1_store_task_delete(f->st, t.xid), X1S_NOT_FOUND);
	assert_int_equal(x1_store_dest_delete(f->st, d.did), X1S_OK);
	assert_int_equal(x1_store_dest_delete(f->st, d.did), X1S_NOT_FOUND);
	assert_int_equal(x1_store_commit(f->st), X1S_OK);
	/* Deleting the task removed its children (ON DELETE CASCADE). */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM task_target) + "
					    "(SELECT count(*) FROM task_did);", -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

struct seen {
	int n;
	uint8_t first[16];
};

static int
count_cb(void *arg, const struct x1_task *t, const struct x1_store_meta *m)
{
	struct seen *s = arg;
	if (s->n++ == 0)
		memcpy(s->first, t->xid, 16);
	return 0;
}

static void
test_limits_and_foreach(void **state)
{
	struct fx *f = *state;
	struct x1_dest d;
	struct x1_task t;
	uint8_t first[16];

	assert_int_equal(x1_store_begin(f->st), X1S_OK);
	for (int i = 0; i < X1_STORE_MAX_DESTS; i++) {
		mk_dest(&d, i, X1_X2_AND_X3);
		assert_int_equal(x1_store_dest_insert(f->st, &d, "admf", NOW), X1S_OK);
	}
	mk_dest(&d, 999, X1_X2_AND_X3);
	assert_int_equal(x1_store_dest_insert(f->st, &d, "admf", NOW), X1S_FULL);
	mk_dest(&d, 0, X1_X2_AND_X3);
	assert_int_equal(x1_store_dest_insert(f->st, &d, "admf", NOW), X1S_FULL);
	for (int i = 0; i < X1_STORE_MAX_TASKS; i++) {
		char ts[X1_TS_LEN + 1];
		snprintf(ts, sizeof(ts), "2025-01-15T10:20:30.%06dZ", i);
		mk_task(&t, &d);
		t.ndids = 0;
		if (i == 0)
			memcpy(first, t.xid, 16);
		assert_int_equal(x1_store_task_insert(f->st, &t, "admf", ts), X1S_OK);
	}
	mk_task(&t, &d);
	t.ndids = 0;
	assert_int_equal(x1_store_task_insert(f->st, &t, "admf", NOW), X1S_FULL);
	assert_int_equal(x1_store_commit(f->st), X1S_OK);

	struct seen s = {0, {0}};
	assert_int_equal(x1_store_task_foreach(f->st, count_cb, &s), X1S_OK);
	assert_int_equal(s.n, X1_STORE_MAX_TASKS);
	assert_memory_equal(s.first, first, 16);	/* creation order */
}

static void
test_corrupt_row(void **state)
{
	struct fx *f = *state;
	struct x1_dest d;
	struct x1_task t, got;
	sqlite3 *db;

	mk_dest(&d, 5, X1_X2_AND_X3);
	mk_task(&t, &d);
	assert_int_equal(x1_store_begin(f->st), X1S_OK);
	assert_int_equal(x1_store_dest_insert(f->st, &d, "admf", NOW), X1S_OK);
	assert_int_equal(x1_store_task_insert(f->st, &t, "admf", NOW), X1S_OK);
	assert_int_equal(x1_store_commit(f->st), X1S_OK);

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE task_target SET value = '12ab' WHERE pos = 0;",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE destination SET address = '300.1.1.1';", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(x1_store_task_get(f->st, t.xid, &got, NULL), X1S_CORRUPT);
	assert_int_equal(x1_store_dest_get(f->st, d.did, &d, NULL), X1S_CORRUPT);
	struct seen s = {0, {0}};
	assert_int_equal(x1_store_task_foreach(f->st, count_cb, &s), X1S_CORRUPT);
	assert_int_equal(s.n, 0);
	assert_int_equal(x1_store_task_get(f->st, d.did, &got, NULL), X1S_NOT_FOUND);
}

static void
test_open_failure(void **state)
{
	struct x1_store *st;
	assert_int_equal(x1_store_open("/nonexistent-dir/x1.db", &st), X1S_DB);
	assert_null(st);
	assert_string_equal(x1_store_strerror(X1S_IN_USE), "destination in use");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_roundtrip_and_persistence, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_in_use_and_rollback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limits_and_foreach, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_row, setup, teardown),
	    cmocka_unit_test(test_open_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
