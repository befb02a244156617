/* Unit tests for the cursor/builder primitives every parser and encoder stands on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/bytes.h"
#include "common/uuid.h"

static void
test_cursor_bounds(void **state)
{
	const uint8_t in[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
	struct ovt_cursor c, sub;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	cur_init(&c, in, sizeof(in));
	assert_true(cur_get_u8(&c, &u8));
	assert_int_equal(u8, 1);
	assert_true(cur_get_u16(&c, &u16));
	assert_int_equal(u16, 0x0203);
	assert_true(cur_get_u24(&c, &u32));
	assert_int_equal(u32, 0x040506);
	assert_false(cur_get_u16(&c, &u16)); /* one byte left */
	assert_int_equal(cur_len(&c), 1);    /* failure leaves the cursor alone */
	assert_false(cur_get_u64(&c, &u64));
	assert_int_equal(cur_len(&c), 1);

	const uint8_t pref[] = {0x00, 0x03, 'a', 'b', 'c', 'd'};
	cur_init(&c, pref, sizeof(pref));
	assert_true(cur_get_u16_prefixed(&c, &sub));
	assert_int_equal(cur_len(&sub), 3);
	assert_int_equal(cur_len(&c), 1);

	const uint8_t lying[] = {0x00, 0x09, 'a'};
	cur_init(&c, lying, sizeof(lying));
	assert_false(cur_get_u16_prefixed(&c, &sub));
	assert_int_equal(cur_len(&c), 3);
}

static void
test_builder_fixed_overflow_is_sticky(void **state)
{
	uint8_t buf[5];
	struct ovt_builder b;
	bld_init_fixed(&b, buf, sizeof(buf));
	bld_add_u32(&b, 0xdeadbeef);
	assert_true(bld_ok(&b));
	bld_add_u16(&b, 1);
	assert_false(bld_ok(&b));
	bld_add_u8(&b, 1); /* fits, but the error is sticky */
	assert_false(bld_ok(&b));
	assert_int_equal(bld_len(&b), 4);
}

static void
test_builder_heap_grows_to_max(void **state)
{
	struct ovt_builder b;
	assert_true(bld_init(&b, 2, 10));
	bld_add_u64(&b, 0x0102030405060708ULL);
	bld_add_u16(&b, 0x090a);
	assert_true(bld_ok(&b));
	assert_int_equal(bld_len(&b), 10);
	assert_int_equal(bld_data(&b)[9], 0x0a);
	bld_put_u16_at(&b, 0, 0xffff);
	assert_int_equal(bld_data(&b)[1], 0xff);
	bld_add_u8(&b, 0);
	assert_false(bld_ok(&b));
	bld_cleanup(&b);
}

static void
test_hex_and_uuid(void **state)
{
	uint8_t out[16];
	char s[UUID_STRLEN + 1];
	assert_int_equal(hex_decode("00ff10", out, sizeof(out)), 3);
	assert_int_equal(hex_decode("0g", out, sizeof(out)), -1);
	assert_int_equal(hex_decode("abc", out, sizeof(out)), -1);
	assert_int_equal(uuid_parse("29f28e1c-f230-486a-a860-f5a784ab9172", out), 0);
	assert_int_equal(out[0], 0x29);
	uuid_format(out, s);
	assert_string_equal(s, "29f28e1c-f230-486a-a860-f5a784ab9172");
	assert_int_equal(uuid_parse("29F28E1C-f230-486a-a860-f5a784ab9172", out), -1);
	assert_int_equal(uuid_parse("29f28e1c-f230-486a-a860-f5a784ab917", out), -1);
	assert_int_equal(uuid_parse("29f28e1cxf230-486a-a860-f5a784ab9172", out), -1);
	assert_int_equal(uuid_random(out), 0);
	assert_int_equal(out[6] >> 4, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cursor_bounds),
		cmocka_unit_test(test_builder_fixed_overflow_is_sticky),
		cmocka_unit_test(test_builder_heap_grows_to_max),
		cmocka_unit_test(test_hex_and_uuid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
