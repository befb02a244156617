/*
 * The tracker's open-addressing table (sess_tab.h) on its own: fingerprints, references, runs
 * of equal homes across the end of the table, backward-shift deletion from any position, the
 * load limit, a table large enough for huge pages, and a long random sequence checked against
 * a plain list.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sess/sess_tab.h"

/* Number of slots holding exactly (fp, ref), found by the probe iteration. */
static int
count(const struct sess_tab *t, uint32_t fp, uint32_t ref)
{
	int n = 0;

	for (uint32_t i = sess_tab_first(t, fp); i != UINT32_MAX; i = sess_tab_next(t, fp, i))
		if (t->slots[i].ref == ref)
			n++;
	return n;
}

static void
test_fingerprint_and_ref(void **state)
{
	assert_int_equal(sess_tab_fp(0), 1);			/* 0 marks an empty slot */
	assert_int_equal(sess_tab_fp(0xffffffffULL), 1);	/* only the upper half counts */
	assert_int_equal(sess_tab_fp(0x1234567800000000ULL), 0x12345678);
	assert_int_equal(sess_ref_index(sess_ref(SESS_TAB_MAX_INDEX, 0xf)), SESS_TAB_MAX_INDEX);
	assert_int_equal(sess_ref_tag(sess_ref(SESS_TAB_MAX_INDEX, 0xf)), 0xf);
	assert_int_equal(sess_ref_index(sess_ref(5, 2)), 5);
	assert_int_equal(sess_ref_tag(sess_ref(5, 2)), 2);
}

/* Keys whose homes are the last slots of the table: runs wrap to slot 0, and deleting any
 * member keeps every other one reachable. */
static void
test_runs_wrap_and_shift(void **state)
{
	struct sess_tab t;
	uint32_t fps[10];

	assert_int_equal(sess_tab_init(&t, 12), 0);		/* 16 slots, limit 12 */
	assert_int_equal(t.mask, 15);
	assert_int_equal(t.limit, 12);
	/* Homes 14, 14, 15, 14, 15, 0, 14, 1, 15, 14: one run 14..7 across the end. */
	const uint32_t homes[10] = {14, 14, 15, 14, 15, 0, 14, 1, 15, 14};
	for (int k = 0; k < 10; k++) {
		fps[k] = (uint32_t)(k + 1) << 4 | homes[k];
		assert_int_equal(sess_tab_add(&t, fps[k], sess_ref((uint32_t)k, 1)), 0);
	}
	for (int del = 0; del < 10; del++) {
		struct sess_tab c = t;
		struct sess_tab_slot copy[16];
		memcpy(copy, t.slots, sizeof(copy));
		c.slots = copy;
		assert_int_equal(sess_tab_del(&c, fps[del], sess_ref((uint32_t)del, 1)), 1);
		assert_int_equal(c.count, 9);
		for (int k = 0; k < 10; k++)
			assert_int_equal(count(&c, fps[k], sess_ref((uint32_t)k, 1)), k != del);
		/* Deleting what is not there changes nothing. */
		assert_int_equal(sess_tab_del(&c, fps[del], sess_ref((uint32_t)del, 1)), 0);
		assert_int_equal(sess_tab_del(&c, fps[(del + 1) % 10], sess_ref(99, 1)), 0);
	}
	sess_tab_free(&t);
}

/* Entries with one fingerprint are visited oldest first, before and after deletions. */
static void
test_equal_fingerprints_in_order(void **state)
{
	struct sess_tab t;
	uint32_t seen[8], n = 0;

	assert_int_equal(sess_tab_init(&t, 12), 0);
	for (uint32_t k = 0; k < 6; k++)
		assert_int_equal(sess_tab_add(&t, 0x77, sess_ref(k, 0)), 0);
	assert_int_equal(sess_tab_del(&t, 0x77, sess_ref(2, 0)), 1);
	for (uint32_t i = sess_tab_first(&t, 0x77); i != UINT32_MAX; i = sess_tab_next(&t, 0x77, i))
		seen[n++] = sess_ref_index(t.slots[i].ref);
	assert_int_equal(n, 5);
	const uint32_t want[5] = {0, 1, 3, 4, 5};
	assert_memory_equal(seen, want, sizeof(want));
	sess_tab_free(&t);
}

static void
test_load_limit(void **state)
{
	struct sess_tab t;

	assert_int_equal(sess_tab_init(&t, 100), 0);		/* 4/3 * 100 -> 256 slots */
	assert_int_equal(t.mask + 1, 256);
	for (uint32_t k = 0; k < t.limit; k++)
		assert_int_equal(sess_tab_add(&t, sess_tab_fp((uint64_t)k * 0x9e3779b97f4a7c15ULL),
		    sess_ref(k, 0)), 0);
	assert_int_equal(sess_tab_add(&t, 5, sess_ref(1, 0)), -1);
	assert_int_equal(sess_tab_init(&(struct sess_tab){0}, 0xffffffffu), -1);	/* > 2^31 */
	sess_tab_free(&t);
}

/* A random mix of inserts and deletes on a table of several MiB (huge pages requested,
 * committed at once), checked against a plain list of what it should hold. */
static void
test_random_against_list(void **state)
{
	enum { KEYS = 400000, LIVE = 300000, OPS = 2000000 };
	struct sess_tab t;
	uint32_t *fp = calloc(LIVE, sizeof(*fp)), *ref = calloc(LIVE, sizeof(*ref));
	uint64_t x = 88172645463325252ULL;
	uint32_t n = 0;

	assert_non_null(fp);
	assert_non_null(ref);
	assert_int_equal(sess_tab_init(&t, KEYS), 0);
	assert_true(sess_tab_bytes(&t) >= ((size_t)2 << 20));
	for (uint32_t op = 0; op < OPS; op++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (n < LIVE && (n == 0 || (x & 3) != 0)) {
			/* 200 000 fingerprints for 300 000 keys: equal ones are common. */
			fp[n] = sess_tab_fp((x >> 8) % 200000 * 0x9e3779b97f4a7c15ULL);
			ref[n] = sess_ref(op & SESS_TAB_MAX_INDEX, 1);
			assert_int_equal(sess_tab_add(&t, fp[n], ref[n]), 0);
			n++;
		} else {
			uint32_t k = (uint32_t)((x >> 20) % n);
			assert_int_equal(sess_tab_del(&t, fp[k], ref[k]), 1);
			fp[k] = fp[n - 1];
			ref[k] = ref[n - 1];
			n--;
		}
	}
	assert_int_equal(t.count, n);
	for (uint32_t k = 0; k < n; k += 7)
		assert_int_equal(count(&t, fp[k], ref[k]), 1);
	sess_tab_free(&t);
	free(fp);
	free(ref);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprint_and_ref),
		cmocka_unit_test(test_runs_wrap_and_shift),
		cmocka_unit_test(test_equal_fingerprints_in_order),
		cmocka_unit_test(test_load_limit),
		cmocka_unit_test(test_random_against_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
