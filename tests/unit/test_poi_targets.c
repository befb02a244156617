/* Target identity keys and the identity -> task table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "poi/poi_targets.h"

#define KEY(k, s) poi_id_key(k, s, strlen(s))

static void
test_keys(void **state)
{
	assert_int_not_equal(KEY(POI_ID_IMSI, "001010123456789"), 0);
	/* Leading zeros are significant. */
	assert_int_not_equal(KEY(POI_ID_IMSI, "001010123456789"), KEY(POI_ID_IMSI, "01010123456789"));
	/* Kinds are distinct namespaces. */
	assert_int_not_equal(KEY(POI_ID_IMSI, "447700900123"), KEY(POI_ID_MSISDN, "447700900123"));
	/* IMEI: 14 digits from X1, 15 (check digit) or 16 (IMEISV) from GTPv2 MEI match. */
	assert_int_equal(KEY(POI_ID_IMEI, "35693803564380"), KEY(POI_ID_IMEI, "356938035643809"));
	assert_int_equal(KEY(POI_ID_IMEI, "35693803564380"), KEY(POI_ID_IMEI, "3569380356438012"));
	assert_int_equal(KEY(POI_ID_IMEI, "3569380356438"), 0);
	assert_int_equal(KEY(POI_ID_IMSI, ""), 0);
	assert_int_equal(KEY(POI_ID_IMSI, "1234567890123456"), 0);
	assert_int_equal(KEY(POI_ID_IMSI, "12345a"), 0);
	assert_int_not_equal(KEY(POI_ID_IMSI, "999999999999999"), 0);
}

static void
test_table(void **state)
{
	struct poi_targets *t = poi_targets_new();
	int a, b;
	void *const *out;
	assert_non_null(t);
	uint64_t k1 = KEY(POI_ID_IMSI, "001010000000001");
	assert_int_equal(poi_targets_add(t, k1, &a), 0);
	assert_int_equal(poi_targets_add(t, k1, &b), 0);
	assert_int_equal(poi_targets_add(t, k1, &b), 0); /* duplicate ignored */
	assert_int_equal(poi_targets_find(t, k1, &out), 2);
	assert_ptr_equal(out[0], &a);
	assert_ptr_equal(out[1], &b);
	assert_int_equal(poi_targets_find(t, KEY(POI_ID_IMSI, "001010000000002"), &out), 0);
	assert_int_equal(poi_targets_add(t, 0, &a), -1);

	/* Growth keeps every key findable. */
	char d[16];
	for (int i = 0; i < 5000; i++) {
		snprintf(d, sizeof(d), "00101%010d", i);
		assert_int_equal(poi_targets_add(t, KEY(POI_ID_IMSI, d), &a), 0);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(d, sizeof(d), "00101%010d", i);
		assert_int_equal(poi_targets_find(t, KEY(POI_ID_IMSI, d), &out), i == 1 ? 2 : 1);
	}
	int many[POI_TARGETS_MAX_PER_ID + 1];
	uint64_t k2 = KEY(POI_ID_MSISDN, "1");
	for (int i = 0; i < POI_TARGETS_MAX_PER_ID; i++)
		assert_int_equal(poi_targets_add(t, k2, &many[i]), 0);
	assert_int_equal(poi_targets_add(t, k2, &many[POI_TARGETS_MAX_PER_ID]), -1);

	poi_targets_clear(t);
	assert_int_equal(poi_targets_count(t), 0);
	assert_int_equal(poi_targets_find(t, k1, &out), 0);
	poi_targets_free(t);
}

static void
test_remove(void **state)
{
	struct poi_targets *t = poi_targets_new();
	int a, b, c;
	void *const *out;
	uint64_t k1 = KEY(POI_ID_IMSI, "001010000000001"), k2 = KEY(POI_ID_MSISDN, "447700900123");
	assert_non_null(t);
	assert_int_equal(poi_targets_add(t, k1, &a), 0);
	assert_int_equal(poi_targets_add(t, k1, &b), 0);
	assert_int_equal(poi_targets_add(t, k1, &c), 0);
	assert_int_equal(poi_targets_add(t, k2, &a), 0);
	/* the others keep their order */
	assert_int_equal(poi_targets_remove(t, k1, &b), 1);
	assert_int_equal(poi_targets_find(t, k1, &out), 2);
	assert_ptr_equal(out[0], &a);
	assert_ptr_equal(out[1], &c);
	assert_int_equal(poi_targets_remove(t, k1, &b), 0);	/* not there any more */
	assert_int_equal(poi_targets_remove(t, k2, &b), 0);	/* never there */
	assert_int_equal(poi_targets_remove(t, 0, &a), 0);
	assert_int_equal(poi_targets_remove(t, KEY(POI_ID_IMSI, "001010000000002"), &a), 0);
	assert_int_equal(poi_targets_count(t), 2);
	/* the last task of a key takes the key with it */
	assert_int_equal(poi_targets_remove(t, k1, &a), 1);
	assert_int_equal(poi_targets_remove(t, k1, &c), 1);
	assert_int_equal(poi_targets_count(t), 1);
	assert_int_equal(poi_targets_find(t, k1, &out), 0);
	assert_int_equal(poi_targets_find(t, k2, &out), 1);
	/* room for a full list again */
	int many[POI_TARGETS_MAX_PER_ID];
	for (int i = 0; i < POI_TARGETS_MAX_PER_ID; i++)
		assert_int_equal(poi_targets_add(t, k1, &many[i]), 0);
	assert_int_equal(poi_targets_add(t, k1, &a), -1);
	assert_int_equal(poi_targets_remove(t, k1, &many[3]), 1);
	assert_int_equal(poi_targets_add(t, k1, &a), 0);
	poi_targets_free(t);
}

/* Random adds and removes against a plain model: every key's tasks are found after every step
 * (runs of colliding keys, wrapping the end of the table, are shifted back on removal). */
static void
test_remove_random(void **state)
{
	enum { NKEYS = 600, NTASKS = 3, STEPS = 30000 };
	static uint8_t model[NKEYS][NTASKS];
	struct poi_targets *t = poi_targets_new();
	int tasks[NTASKS];
	uint64_t keys[NKEYS], x = 0x9e3779b97f4a7c15ULL;
	char d[16];
	void *const *out;

	assert_non_null(t);
	memset(model, 0, sizeof(model));
	for (int i = 0; i < NKEYS; i++) {
		snprintf(d, sizeof(d), "%d", 1000 + i * 7);
		keys[i] = KEY(POI_ID_MSISDN, d);
	}
	for (int step = 0; step < STEPS; step++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int k = (int)(x % NKEYS), j = (int)((x >> 32) % NTASKS);
		if (model[k][j]) {
			assert_int_equal(poi_targets_remove(t, keys[k], &tasks[j]), 1);
			model[k][j] = 0;
		} else {
			assert_int_equal(poi_targets_add(t, keys[k], &tasks[j]), 0);
			model[k][j] = 1;
		}
		if (step % 97 != 0 && step != STEPS - 1)
			continue;
		size_t used = 0;
		for (int i = 0; i < NKEYS; i++) {
			size_t want = 0, n = poi_targets_find(t, keys[i], &out);
			for (int jj = 0; jj < NTASKS; jj++) {
				if (!model[i][jj])
					continue;
				want++;
				int seen = 0;
				for (size_t q = 0; q < n; q++)
					seen |= out[q] == &tasks[jj];
				assert_true(seen);
			}
			assert_int_equal(n, want);
			used += want > 0;
		}
		assert_int_equal(poi_targets_count(t), used);
	}
	poi_targets_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_remove_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
