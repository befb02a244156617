/*
 * The X2/X3 duplicate filter (x2x3_dedup.h) with hand-made PDUs: first numbers, duplicates,
 * late numbers inside the window, numbers older than the window, serial wraparound; the
 * new-connection rule (probe 0, growing keepalive numbers, a data PDU first, numbers that did
 * not grow); per-identity and per-XID independence; bounds (untracked, counted); forgetting an
 * XID; snapshots round-tripped and every malformation of one refused (leaving the filter
 * empty); roll forward from notes and restart markers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "x2x3/x2x3.h"
#include "x2x3/x2x3_dedup.h"

static struct x2x3_pdu
ka(uint32_t seq)
{
	struct x2x3_pdu p;
	x2x3_pdu_keepalive(&p, 0, seq, X2X3_VERSION_DEFAULT);
	return p;
}

static struct x2x3_pdu
data(uint8_t xid, uint32_t seq)
{
	struct x2x3_pdu p;
	x2x3_pdu_init(&p);
	p.type = X2X3_TYPE_X3;
	p.format = X2X3_FMT_GTPU;
	p.direction = X2X3_DIR_TO_TARGET;
	memset(p.xid, xid, 16);
	p.present = X2X3_HAS(X2X3_ATTR_SEQ);
	p.seq = seq;
	return p;
}

/* One PDU through the filter; restart flag into *rs (may be NULL). */
static enum x2x3_dedup_verdict
feed(struct x2x3_dedup *d, const char *id, uint64_t conn, struct x2x3_pdu p, int *rs)
{
	int r;
	enum x2x3_dedup_verdict v = x2x3_dedup_pdu(d, id, conn, &p, &r);
	if (rs != NULL)
		*rs = r;
	return v;
}

static void
test_sequence_window(void **state)
{
	struct x2x3_dedup *d = x2x3_dedup_new(0, 0);
	struct x2x3_dedup_stats st;
	int rs;
	assert_non_null(d);

	assert_int_equal(feed(d, "poi", 1, ka(0), &rs), X2X3_DEDUP_KEEPALIVE);
	assert_int_equal(rs, 1);	/* first connection of a sender instance */
	assert_int_equal(feed(d, "poi", 1, data(1, 0), &rs), X2X3_DEDUP_NEW);
	assert_int_equal(rs, 0);
	assert_int_equal(feed(d, "poi", 1, data(1, 0), NULL), X2X3_DEDUP_DUP);
	assert_int_equal(feed(d, "poi", 1, data(1, 1), NULL), X2X3_DEDUP_NEW);
	/* A gap (overflow drop at the sender), then the missing ones late, once each. */
	assert_int_equal(feed(d, "poi", 1, data(1, 10), NULL), X2X3_DEDUP_NEW);
	assert_int_equal(feed(d, "poi", 1, data(1, 5), NULL), X2X3_DEDUP_NEW);
	assert_int_equal(feed(d, "poi", 1, data(1, 5), NULL), X2X3_DEDUP_DUP);
	assert_int_equal(feed(d, "poi", 1, data(1, 9), NULL), X2X3_DEDUP_NEW);
	assert_int_equal(feed(d, "poi", 1, data(1, 10), NULL), X2X3_DEDUP_DUP);
	/* Window edge: highest 100; 100 - 63 is inside, 100 - 64 is too old. */
	assert_int_equal(feed(d, "poi", 1, data(1, 100), NULL), X2X3_DEDUP_NEW);
	assert_int_equal(feed(d, "poi", 1, data(1, 100 - (X2X3_DEDUP_WINDOW - 1)), NULL),
			 X2X3_DEDUP_NEW);
	assert_int_equal(feed(d, "poi", 1, data(1, 100 - X2X3_DEDUP_WINDOW), NULL),
			 X2X3_DEDUP_DUP);
	/* A jump beyond the window clears the bitmap but keeps the highest. */
	assert_int_equal(feed(d, "poi", 1, data(1, 1000), NULL), X2X3_DEDUP_NEW);
	assert_int_equal(feed(d, "poi", 1, data(1, 999), NULL), X2X3_DEDUP_NEW);
	assert_int_equal(feed(d, "poi", 1, data(1, 1000), NULL), X2X3_DEDUP_DUP);
	/* Other XIDs and identities count on their own. */
	assert_int_equal(feed(d, "poi", 1, data(2, 0), NULL), X2X3_DEDUP_NEW);
	assert_int_equal(feed(d, "poi-b", 2, data(1, 0), NULL), X2X3_DEDUP_NEW);
	assert_int_equal(feed(d, "poi-b", 2, data(1, 0), NULL), X2X3_DEDUP_DUP);
	/* No sequence number: cannot tell, deliver. */
	struct x2x3_pdu nos = data(1, 0);
	nos.present = 0;
	assert_int_equal(feed(d, "poi", 1, nos, NULL), X2X3_DEDUP_UNTRACKED);

	x2x3_dedup_stats(d, &st);
	assert_int_equal(st.accepted, 11);
	assert_int_equal(st.duplicates, 6);
	assert_int_equal(st.untracked, 1);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.peers, 2);
	x2x3_dedup_free(d);
}

static void
test_serial_wraparound(void **state)
{
	struct x2x3_dedup *d = x2x3_dedup_new(0, 0);
	assert_non_null(d);
	assert_int_equal(feed(d, "poi", 1, data(3, UINT32_MAX - 1), NULL), X2X3_DEDUP_NEW);
	assert_int_equal(feed(d, "poi", 1, data(3, UINT32_MAX), NULL), X2X3_DEDUP_NEW);
	assert_int_equal(feed(d, "poi", 1, data(3, 0), NULL), X2X3_DEDUP_NEW);	/* after 2^32-1 */
	assert_int_equal(feed(d, "poi", 1, data(3, 1), NULL), X2X3_DEDUP_NEW);
	assert_int_equal(feed(d, "poi", 1, data(3, UINT32_MAX), NULL), X2X3_DEDUP_DUP);
	/* Half the number space ahead counts as behind: old, a duplicate. */
	assert_int_equal(feed(d, "poi", 1, data(3, 1u + 0x80000000u), NULL), X2X3_DEDUP_DUP);
	assert_int_equal(feed(d, "poi", 1, data(3, 0x80000000u), NULL), X2X3_DEDUP_NEW);
	x2x3_dedup_free(d);
}

static void
test_new_connection_rule(void **state)
{
	struct x2x3_dedup *d = x2x3_dedup_new(0, 0);
	int rs;
	assert_non_null(d);

	assert_int_equal(feed(d, "poi", 1, ka(0), &rs), X2X3_DEDUP_KEEPALIVE);
	for (uint32_t i = 0; i < 50; i++)
		assert_int_equal(feed(d, "poi", 1, data(1, i), NULL), X2X3_DEDUP_NEW);
	assert_int_equal(feed(d, "poi", 1, ka(5), NULL), X2X3_DEDUP_KEEPALIVE);

	/* Reconnection of the same instance: probe number grew; resent PDUs are duplicates. */
	assert_int_equal(feed(d, "poi", 2, ka(6), &rs), X2X3_DEDUP_KEEPALIVE);
	assert_int_equal(rs, 0);
	assert_int_equal(feed(d, "poi", 2, data(1, 40), NULL), X2X3_DEDUP_DUP);
	assert_int_equal(feed(d, "poi", 2, data(1, 49), NULL), X2X3_DEDUP_DUP);
	assert_int_equal(feed(d, "poi", 2, data(1, 50), NULL), X2X3_DEDUP_NEW);
	/* Later keepalives on the same connection are not "first PDU": no rule. */
	assert_int_equal(feed(d, "poi", 2, ka(0), &rs), X2X3_DEDUP_KEEPALIVE);
	assert_int_equal(rs, 0);

	/* Restarted sender: probe 0; its numbers from 0 are new. */
	assert_int_equal(feed(d, "poi", 3, ka(0), &rs), X2X3_DEDUP_KEEPALIVE);
	assert_int_equal(rs, 1);
	assert_int_equal(feed(d, "poi", 3, data(1, 0), NULL), X2X3_DEDUP_NEW);
	assert_int_equal(feed(d, "poi", 3, ka(1), NULL), X2X3_DEDUP_KEEPALIVE);

	/* A keepalive number that did not grow: not provably the same instance. */
	assert_int_equal(feed(d, "poi", 4, ka(1), &rs), X2X3_DEDUP_KEEPALIVE);
	assert_int_equal(rs, 1);
	assert_int_equal(feed(d, "poi", 4, data(1, 0), NULL), X2X3_DEDUP_NEW);

	/* A connection that starts with data (no probe: keepalives off, or another sender). */
	assert_int_equal(feed(d, "poi", 5, data(1, 0), &rs), X2X3_DEDUP_NEW);
	assert_int_equal(rs, 1);
	assert_int_equal(feed(d, "poi", 5, data(1, 0), &rs), X2X3_DEDUP_DUP);
	assert_int_equal(rs, 0);

	/* Identity not seen before, first PDU a non-zero probe: nothing to compare with. */
	assert_int_equal(feed(d, "other", 6, ka(9), &rs), X2X3_DEDUP_KEEPALIVE);
	assert_int_equal(rs, 0);
	assert_int_equal(feed(d, "other", 6, data(1, 3), NULL), X2X3_DEDUP_NEW);

	/* Keepalive numbers compare serially too. */
	assert_int_equal(feed(d, "other", 6, ka(UINT32_MAX), NULL), X2X3_DEDUP_KEEPALIVE);
	assert_int_equal(feed(d, "other", 7, ka(1), &rs), X2X3_DEDUP_KEEPALIVE);
	assert_int_equal(rs, 0);
	assert_int_equal(feed(d, "other", 7, data(1, 3), NULL), X2X3_DEDUP_DUP);

	/* Identity too long: untracked, never dropped. */
	char longid[X2X3_DEDUP_ID_MAX + 2];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(feed(d, longid, 8, data(1, 0), NULL), X2X3_DEDUP_UNTRACKED);
	assert_int_equal(feed(d, longid, 8, data(1, 0), NULL), X2X3_DEDUP_UNTRACKED);
	assert_int_equal(feed(d, longid, 8, ka(3), NULL), X2X3_DEDUP_KEEPALIVE);
	x2x3_dedup_free(d);
}

static void
test_bounds(void **state)
{
	struct x2x3_dedup_stats st;
	assert_null(x2x3_dedup_new(X2X3_DEDUP_PEERS_MAX + 1, 0));
	assert_null(x2x3_dedup_new(0, X2X3_DEDUP_ENTRIES_MAX + 1));
	struct x2x3_dedup *d = x2x3_dedup_new(2, 40);
	assert_non_null(d);

	/* 40 entries fit (the per-identity table grows past its first size); the 41st XID is
	 * not tracked, and stays deliverable every time. */
	for (int x = 0; x < 40; x++)
		assert_int_equal(feed(d, "a", 1, data((uint8_t)x, 0), NULL), X2X3_DEDUP_NEW);
	assert_int_equal(feed(d, "a", 1, data(200, 0), NULL), X2X3_DEDUP_UNTRACKED);
	assert_int_equal(feed(d, "a", 1, data(200, 0), NULL), X2X3_DEDUP_UNTRACKED);
	for (int x = 0; x < 40; x++)
		assert_int_equal(feed(d, "a", 1, data((uint8_t)x, 0), NULL), X2X3_DEDUP_DUP);
	/* Identities: two fit. */
	assert_int_equal(feed(d, "b", 2, ka(0), NULL), X2X3_DEDUP_KEEPALIVE);
	assert_int_equal(feed(d, "c", 3, data(1, 0), NULL), X2X3_DEDUP_UNTRACKED);
	/* A restart frees the identity's entries for others. */
	x2x3_dedup_restart(d, "a");
	assert_int_equal(feed(d, "b", 2, data(200, 0), NULL), X2X3_DEDUP_NEW);
	x2x3_dedup_stats(d, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.peers, 2);
	assert_int_equal(st.untracked, 3);
	x2x3_dedup_free(d);
}

static void
test_forget_xid(void **state)
{
	struct x2x3_dedup *d = x2x3_dedup_new(0, 0);
	struct x2x3_dedup_stats st;
	assert_non_null(d);
	/* Enough XIDs that backward-shift deletion has clusters to mend. */
	for (int x = 0; x < 200; x++) {
		assert_int_equal(feed(d, "a", 1, data((uint8_t)x, 7), NULL), X2X3_DEDUP_NEW);
		assert_int_equal(feed(d, "b", 2, data((uint8_t)x, 7), NULL), X2X3_DEDUP_NEW);
	}
	for (int x = 0; x < 200; x += 3) {
		uint8_t xid[16];
		memset(xid, x, 16);
		x2x3_dedup_forget_xid(d, xid);
	}
	for (int x = 0; x < 200; x++) {
		enum x2x3_dedup_verdict want = x % 3 == 0 ? X2X3_DEDUP_NEW : X2X3_DEDUP_DUP;
		/* A forgotten XID restarts at 0 at the POI: accepted from 0 again. */
		uint32_t seq = x % 3 == 0 ? 0 : 7;
		assert_int_equal(feed(d, "a", 1, data((uint8_t)x, seq), NULL), want);
		assert_int_equal(feed(d, "b", 2, data((uint8_t)x, seq), NULL), want);
	}
	x2x3_dedup_stats(d, &st);
	assert_int_equal(st.entries, 400);
	x2x3_dedup_free(d);
}

/* ------------------------------------------------------------------ snapshots */

static struct x2x3_dedup *
sample(void)
{
	struct x2x3_dedup *d = x2x3_dedup_new(0, 0);
	assert_non_null(d);
	assert_int_equal(feed(d, "poi-1", 1, ka(0), NULL), X2X3_DEDUP_KEEPALIVE);
	for (uint32_t i = 0; i < 30; i++)
		feed(d, "poi-1", 1, data((uint8_t)(i % 3), i), NULL);
	feed(d, "poi-1", 1, ka(4), NULL);
	feed(d, "poi-2", 2, data(9, 1000), NULL);
	feed(d, "poi-2", 2, data(9, 998), NULL);
	return d;
}

/* Saves d into a heap buffer; *len its size. */
static uint8_t *
save(const struct x2x3_dedup *d, size_t *len)
{
	struct ovt_builder b;
	assert_true(bld_init(&b, 64, 1 << 20));
	assert_int_equal(x2x3_dedup_save(d, &b), 0);
	assert_int_equal(bld_len(&b), x2x3_dedup_saved_len(d));
	*len = bld_len(&b);
	return bld_data(&b);
}

static enum x2x3_dedup_err
load(struct x2x3_dedup *d, const uint8_t *p, size_t n)
{
	struct ovt_cursor c;
	cur_init(&c, p, n);
	return x2x3_dedup_load(d, c);
}

static void
test_snapshot_roundtrip(void **state)
{
	struct x2x3_dedup *a = sample(), *b = x2x3_dedup_new(0, 0);
	struct x2x3_dedup_stats sa, sb;
	size_t n, n2;
	uint8_t *snap = save(a, &n), *again;
	int rs;

	assert_int_equal(load(b, snap, n), X2X3_DEDUP_OK);
	x2x3_dedup_stats(a, &sa);
	x2x3_dedup_stats(b, &sb);
	assert_int_equal(sb.entries, sa.entries);
	assert_int_equal(sb.peers, sa.peers);
	/* Saved again, the same octets. */
	again = save(b, &n2);
	assert_int_equal(n2, n);
	assert_memory_equal(again, snap, n);
	free(again);

	/* The restored filter judges as the original: a reconnection whose probe grew past the
	 * saved last keepalive number (4) continues. */
	assert_int_equal(feed(b, "poi-1", 1, ka(5), &rs), X2X3_DEDUP_KEEPALIVE);
	assert_int_equal(rs, 0);	/* connection ids are forgotten: 1 counts as new */
	assert_int_equal(feed(b, "poi-1", 1, data(0, 27), NULL), X2X3_DEDUP_DUP);
	assert_int_equal(feed(b, "poi-1", 1, data(0, 30), NULL), X2X3_DEDUP_NEW);
	assert_int_equal(feed(b, "poi-2", 7, data(9, 999), &rs), X2X3_DEDUP_NEW);
	assert_int_equal(rs, 1);	/* data first: restart rule, state cleared */
	/* A probe that did not grow after a restore also restarts. */
	assert_int_equal(load(b, snap, n), X2X3_DEDUP_OK);
	assert_int_equal(feed(b, "poi-1", 3, ka(4), &rs), X2X3_DEDUP_KEEPALIVE);
	assert_int_equal(rs, 1);

	/* Empty filter: header only. */
	struct x2x3_dedup *e = x2x3_dedup_new(0, 0);
	uint8_t *es = save(e, &n2);
	assert_int_equal(n2, 8);
	assert_int_equal(load(b, es, n2), X2X3_DEDUP_OK);
	x2x3_dedup_stats(b, &sb);
	assert_int_equal(sb.entries, 0);
	free(es);
	x2x3_dedup_free(e);
	free(snap);
	x2x3_dedup_free(a);
	x2x3_dedup_free(b);
}

static void
test_snapshot_refusals(void **state)
{
	struct x2x3_dedup *a = sample(), *b = x2x3_dedup_new(0, 0), *small = x2x3_dedup_new(1, 0);
	struct x2x3_dedup_stats sb;
	size_t n;
	uint8_t *snap = save(a, &n);
	uint8_t *m = malloc(n + 1);
	assert_non_null(m);

	/* Every truncation is refused. */
	for (size_t cut = 0; cut < n; cut++)
		assert_int_not_equal(load(b, snap, cut), X2X3_DEDUP_OK);
	assert_int_equal(load(b, snap, 3), X2X3_DEDUP_E_SHORT);
	/* Trailing octet. */
	memcpy(m, snap, n);
	m[n] = 0;
	assert_int_equal(load(b, m, n + 1), X2X3_DEDUP_E_TRAILING);
	/* Magic, version, reserved. */
	memcpy(m, snap, n);
	m[0] = 'X';
	assert_int_equal(load(b, m, n), X2X3_DEDUP_E_MAGIC);
	memcpy(m, snap, n);
	m[4] = 2;
	assert_int_equal(load(b, m, n), X2X3_DEDUP_E_VERSION);
	memcpy(m, snap, n);
	m[5] = 1;
	assert_int_equal(load(b, m, n), X2X3_DEDUP_E_VERSION);
	/* First identity "poi-1" at offset 8: length, 5 octets, flags, last ka, count. */
	memcpy(m, snap, n);
	m[10] = 0;			/* a NUL inside the identity */
	assert_int_equal(load(b, m, n), X2X3_DEDUP_E_ID);
	memcpy(m, snap, n);
	m[8] = 130;			/* longer than X2X3_DEDUP_ID_MAX */
	assert_int_equal(load(b, m, n), X2X3_DEDUP_E_ID);
	memcpy(m, snap, n);
	m[14] = 0x03;			/* unknown flag */
	assert_int_equal(load(b, m, n), X2X3_DEDUP_E_FLAGS);
	memcpy(m, snap, n);
	m[19] = m[20] = m[21] = m[22] = 0xff;	/* XID count: huge, never an allocation */
	assert_int_equal(load(b, m, n), X2X3_DEDUP_E_LIMIT);
	/* First XID record at 23: 16 XID, 4 highest, 8 bitmap (big-endian: bit 0 in octet 50). */
	memcpy(m, snap, n);
	m[50] &= 0xfe;			/* bitmap without the highest */
	assert_int_equal(load(b, m, n), X2X3_DEDUP_E_BITS);
	memcpy(m, snap, n);
	memcpy(m + 23 + 28, m + 23, 16);	/* second XID equal to the first */
	assert_int_equal(load(b, m, n), X2X3_DEDUP_E_DUP);
	/* The second identity renamed to the first. */
	memcpy(m, snap, n);
	size_t second = 8 + 1 + 5 + 1 + 4 + 4 + 3 * 28;
	assert_int_equal(m[second], 5);
	m[second + 5] = '1';
	assert_int_equal(load(b, m, n), X2X3_DEDUP_E_DUP);
	/* More identities than the filter's bound. */
	assert_int_equal(load(small, snap, n), X2X3_DEDUP_E_LIMIT);

	/* After a refusal the filter is empty: duplicates pass, nothing is dropped. */
	x2x3_dedup_stats(b, &sb);
	assert_int_equal(sb.entries, 0);
	assert_int_equal(sb.peers, 0);
	assert_int_equal(feed(b, "poi-1", 1, data(0, 3), NULL), X2X3_DEDUP_NEW);
	assert_string_equal(x2x3_dedup_strerror(X2X3_DEDUP_E_BITS),
			    "bitmap lacks the highest number");
	assert_string_equal(x2x3_dedup_strerror(X2X3_DEDUP_E_COUNT), "unknown dedup error");

	free(m);
	free(snap);
	x2x3_dedup_free(a);
	x2x3_dedup_free(b);
	x2x3_dedup_free(small);
}

static void
test_roll_forward(void **state)
{
	struct x2x3_dedup *d = x2x3_dedup_new(0, 0);
	uint8_t x1[16], x2[16];
	int rs;
	memset(x1, 1, 16);
	memset(x2, 2, 16);
	assert_non_null(d);

	/* What a spool would replay: a restart marker, then the accepted PDUs in order. */
	x2x3_dedup_restart(d, "poi");	/* unknown identity: nothing to do */
	assert_int_equal(x2x3_dedup_note(d, "poi", x1, 0), X2X3_DEDUP_NEW);
	assert_int_equal(x2x3_dedup_note(d, "poi", x1, 1), X2X3_DEDUP_NEW);
	assert_int_equal(x2x3_dedup_note(d, "poi", x2, 0), X2X3_DEDUP_NEW);
	assert_int_equal(x2x3_dedup_note(d, "poi", x1, 1), X2X3_DEDUP_DUP);
	/* The sender reconnects (probe >= 1: same instance) and resends. */
	assert_int_equal(feed(d, "poi", 1, ka(12), &rs), X2X3_DEDUP_KEEPALIVE);
	assert_int_equal(rs, 0);
	assert_int_equal(feed(d, "poi", 1, data(1, 1), NULL), X2X3_DEDUP_DUP);
	assert_int_equal(feed(d, "poi", 1, data(1, 2), NULL), X2X3_DEDUP_NEW);
	/* A replayed restart marker clears what came before it. */
	x2x3_dedup_restart(d, "poi");
	assert_int_equal(x2x3_dedup_note(d, "poi", x1, 0), X2X3_DEDUP_NEW);
	x2x3_dedup_clear(d);
	assert_int_equal(x2x3_dedup_note(d, "poi", x1, 0), X2X3_DEDUP_NEW);
	x2x3_dedup_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequence_window),
		cmocka_unit_test(test_serial_wraparound),
		cmocka_unit_test(test_new_connection_rule),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_forget_xid),
		cmocka_unit_test(test_snapshot_roundtrip),
		cmocka_unit_test(test_snapshot_refusals),
		cmocka_unit_test(test_roll_forward),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
