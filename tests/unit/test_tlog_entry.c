/*
 * Unit tests for src/tlog/entry.c and entry_text.c: the canonical entry encoding (docs/tlog.md),
 * its refusal of every non-canonical variant, the key=value text form and target commitments.
 *
 * Golden bytes and HMAC values were computed independently with Python (struct.pack of the
 * documented layout; hmac/hashlib), not with this code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/bytes.h"
#include "tlog/entry.h"

/* One text line per entry type, fields in canonical order (as the printer writes them). */
static const char *const samples[] = {
	"type=warrant.registered warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 authority=court-1 "
	    "valid_from=1735689600 valid_until=1767225600 "
	    "target=imsi:0a438a1e7c31795834564794789cc525c578679db257e96d90c1fa85d497f485 "
	    "target=imsi:4d61b97203f2b326f467b554f2c5b476f4b64ace6803bc23473338d34f5ca3f6 "
	    "target=imei:4d61b97203f2b326f467b554f2c5b476f4b64ace6803bc23473338d34f5ca3f6",
	"type=warrant.approved warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 approver=judge%20A",
	"type=task.activated warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 "
	    "xid=00000000-0000-4000-8000-000000000001 ne=poi-1 "
	    "target=msisdn:4d61b97203f2b326f467b554f2c5b476f4b64ace6803bc23473338d34f5ca3f6 "
	    "delivery=x2x3",
	"type=task.modified warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 "
	    "xid=00000000-0000-4000-8000-000000000001 ne=poi-2 "
	    "target=msisdn:4d61b97203f2b326f467b554f2c5b476f4b64ace6803bc23473338d34f5ca3f6 "
	    "delivery=x2",
	"type=task.deactivated warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 "
	    "xid=00000000-0000-4000-8000-000000000001 ne=poi-2",
	"type=delivery.counters xid=00000000-0000-4000-8000-000000000001 start_ms=1000 "
	    "end_ms=61000 records=12 bytes=3456",
	"type=config.change component=mdf key=x2.listen "
	    "value_sha256=0a438a1e7c31795834564794789cc525c578679db257e96d90c1fa85d497f485 "
	    "actor=op1",
	"type=operator.login user=op1 source=10.0.0.1 result=failure",
	"type=alert severity=warning source=mdf message=disk%20full,%2050%25%3D%20used",
};

static size_t
encode_text(const char *line, uint8_t *buf, size_t cap, struct tlog_entry *e)
{
	struct ovt_builder b;
	assert_int_equal(tlog_entry_parse_text(line, strlen(line), e), TLOG_OK);
	e->seq = 7;
	e->time_ms = 1735689600123ULL;
	bld_init_fixed(&b, buf, cap);
	assert_int_equal(tlog_entry_encode(e, &b), TLOG_OK);
	return bld_len(&b);
}

static void
test_round_trip_all_types(void **state)
{
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		struct tlog_entry e, d;
		uint8_t buf[TLOG_ENTRY_MAX], buf2[TLOG_ENTRY_MAX];
		char text[TLOG_ENTRY_TEXT_MAX];
		struct ovt_builder b;
		size_t n = encode_text(samples[i], buf, sizeof(buf), &e);

		assert_int_equal(tlog_entry_decode(buf, n, &d), TLOG_OK);
		assert_int_equal(d.type, e.type);
		assert_int_equal(d.seq, 7);
		assert_int_equal(d.time_ms, 1735689600123ULL);
		bld_init_fixed(&b, buf2, sizeof(buf2));
		assert_int_equal(tlog_entry_encode(&d, &b), TLOG_OK);
		assert_int_equal(bld_len(&b), n);
		assert_memory_equal(buf, buf2, n);
		/* Printing without seq/time gives back the input line. */
		assert_true(tlog_entry_format_text(&d, 0, text, sizeof(text)) > 0);
		assert_string_equal(text, samples[i]);
		assert_true(tlog_entry_format_text(&d, 1, text, sizeof(text)) > 0);
		assert_non_null(strstr(text, "seq=7 time=2025-01-01T00:00:00.123Z type="));
		/* Every proper prefix is refused. */
		for (size_t k = 0; k < n; k++)
			assert_int_not_equal(tlog_entry_decode(buf, k, &d), TLOG_OK);
		/* One byte more is refused. */
		buf[n] = 0;
		assert_int_equal(tlog_entry_decode(buf, n + 1, &d), TLOG_E_ENTRY_TRAILING);
	}
}

static void
test_golden_bytes(void **state)
{
	/* Layout of docs/tlog.md computed with Python struct.pack. */
	static const char alert_hex[] = "01090000000000000005000001941f297c7b04036d6466096469736b"
	    "2066756c6c";
	static const char counters_hex[] = "0106000000000000002a000001941f297c000001020304050607"
	    "08090a0b0c0d0e0f00000000000003e8000000000000ee48000000000000000c0000000000000d80";
	uint8_t want[256], buf[256];
	struct tlog_entry e;
	struct ovt_builder b;
	long n;

	memset(&e, 0, sizeof(e));
	e.type = TLOG_ENT_ALERT;
	e.seq = 5;
	e.time_ms = 1735689600123ULL;
	e.u.alert.severity = 4;
	snprintf(e.u.alert.source, sizeof(e.u.alert.source), "mdf");
	snprintf(e.u.alert.message, sizeof(e.u.alert.message), "disk full");
	bld_init_fixed(&b, buf, sizeof(buf));
	assert_int_equal(tlog_entry_encode(&e, &b), TLOG_OK);
	n = hex_decode(alert_hex, want, sizeof(want));
	assert_int_equal(bld_len(&b), n);
	assert_memory_equal(buf, want, (size_t)n);

	memset(&e, 0, sizeof(e));
	e.type = TLOG_ENT_DELIVERY_COUNTERS;
	e.seq = 42;
	e.time_ms = 1735689600000ULL;
	for (int i = 0; i < 16; i++)
		e.u.counters.xid[i] = (uint8_t)i;
	e.u.counters.start_ms = 1000;
	e.u.counters.end_ms = 61000;
	e.u.counters.records = 12;
	e.u.counters.bytes = 3456;
	bld_init_fixed(&b, buf, sizeof(buf));
	assert_int_equal(tlog_entry_encode(&e, &b), TLOG_OK);
	n = hex_decode(counters_hex, want, sizeof(want));
	assert_int_equal(bld_len(&b), n);
	assert_memory_equal(buf, want, (size_t)n);
}

/* Decodes buf after applying one change at offset off. */
static enum tlog_err
mutate(const uint8_t *src, size_t n, size_t off, uint8_t val)
{
	uint8_t buf[TLOG_ENTRY_MAX];
	struct tlog_entry d;
	memcpy(buf, src, n);
	buf[off] = val;
	return tlog_entry_decode(buf, n, &d);
}

static void
test_non_canonical_refused(void **state)
{
	uint8_t buf[TLOG_ENTRY_MAX];
	struct tlog_entry e;
	size_t n;

	/* Header: version and type. */
	n = encode_text(samples[8], buf, sizeof(buf), &e);	/* alert */
	assert_int_equal(mutate(buf, n, 0, 2), TLOG_E_ENTRY_VERSION);
	assert_int_equal(mutate(buf, n, 1, 0), TLOG_E_ENTRY_TYPE);
	assert_int_equal(mutate(buf, n, 1, 10), TLOG_E_ENTRY_TYPE);
	assert_int_equal(mutate(buf, n, 18, 8), TLOG_E_ENTRY_FIELD);	/* severity 8 */
	assert_int_equal(mutate(buf, n, 19, 0), TLOG_E_ENTRY_STRING);	/* empty source: "" */
	assert_int_equal(mutate(buf, n, 20, 0x7f), TLOG_E_ENTRY_STRING);
	assert_int_equal(mutate(buf, n, 20, '\n'), TLOG_E_ENTRY_STRING);
	assert_int_equal(mutate(buf, n, 20, 0xc3), TLOG_E_ENTRY_STRING);	/* not ASCII */

	/* warrant.registered: targets sorted, unique, 1..16. */
	n = encode_text(samples[0], buf, sizeof(buf), &e);
	size_t tgt = 2 + 16 + 16 + 1 + strlen("court-1") + 16;	/* offset of n */
	assert_int_equal(buf[tgt], 3);
	assert_int_equal(mutate(buf, n, tgt + 1, 3), TLOG_E_ENTRY_ORDER);	/* imei first */
	assert_int_equal(mutate(buf, n, tgt + 1 + 33, 3), TLOG_E_ENTRY_ORDER);	/* now equal */
	assert_int_equal(mutate(buf, n, tgt + 1, 4), TLOG_E_ENTRY_FIELD);	/* type 4 */
	assert_int_equal(mutate(buf, n, tgt, 0), TLOG_E_ENTRY_FIELD);
	assert_int_equal(mutate(buf, n, tgt, 17), TLOG_E_ENTRY_FIELD);
	/* valid_until (the 8 bytes before n) below valid_from: clear its top non-zero byte */
	assert_int_equal(mutate(buf, n, tgt - 4, 0), TLOG_E_ENTRY_FIELD);
	/* duplicate: copy target 1 over target 2 */
	uint8_t dup[TLOG_ENTRY_MAX];
	struct tlog_entry d;
	memcpy(dup, buf, n);
	memcpy(dup + tgt + 1 + 33, dup + tgt + 1, 33);
	assert_int_equal(tlog_entry_decode(dup, n, &d), TLOG_E_ENTRY_ORDER);

	/* task.activated: delivery 1..3 */
	n = encode_text(samples[2], buf, sizeof(buf), &e);
	assert_int_equal(mutate(buf, n, n - 1, 0), TLOG_E_ENTRY_FIELD);
	assert_int_equal(mutate(buf, n, n - 1, 4), TLOG_E_ENTRY_FIELD);
	/* operator.login: result 0..1 */
	n = encode_text(samples[7], buf, sizeof(buf), &e);
	assert_int_equal(mutate(buf, n, n - 1, 2), TLOG_E_ENTRY_FIELD);
	/* delivery.counters: end before start */
	n = encode_text(samples[5], buf, sizeof(buf), &e);
	assert_int_equal(mutate(buf, n, 2 + 16 + 16 + 8 + 6, 0), TLOG_E_ENTRY_FIELD);
	/* too long */
	uint8_t big[TLOG_ENTRY_MAX + 1] = { 1 };
	assert_int_equal(tlog_entry_decode(big, sizeof(big), &d), TLOG_E_ENTRY_TOO_BIG);
	assert_int_equal(tlog_entry_decode(big, 0, &d), TLOG_E_ENTRY_SHORT);
}

static void
test_encoder_refuses_invalid(void **state)
{
	struct tlog_entry e;
	uint8_t buf[TLOG_ENTRY_MAX];
	struct ovt_builder b;

	memset(&e, 0, sizeof(e));
	e.type = TLOG_ENT_ALERT;
	e.u.alert.severity = 3;
	snprintf(e.u.alert.source, sizeof(e.u.alert.source), "x");
	bld_init_fixed(&b, buf, sizeof(buf));
	assert_int_equal(tlog_entry_encode(&e, &b), TLOG_E_ENTRY_STRING);	/* empty message */
	snprintf(e.u.alert.message, sizeof(e.u.alert.message), "tab\there");
	bld_init_fixed(&b, buf, sizeof(buf));
	assert_int_equal(tlog_entry_encode(&e, &b), TLOG_E_ENTRY_STRING);
	e.type = 0;
	bld_init_fixed(&b, buf, sizeof(buf));
	assert_int_equal(tlog_entry_encode(&e, &b), TLOG_E_ENTRY_TYPE);
	memset(&e, 0, sizeof(e));
	e.type = TLOG_ENT_WARRANT_REGISTERED;
	snprintf(e.u.warrant_registered.authority, TLOG_STR_MAX + 1, "c");
	e.u.warrant_registered.ntargets = 2;
	e.u.warrant_registered.targets[0].type = 2;
	e.u.warrant_registered.targets[1].type = 1;
	bld_init_fixed(&b, buf, sizeof(buf));
	assert_int_equal(tlog_entry_encode(&e, &b), TLOG_E_ENTRY_ORDER);
}

static void
test_text_errors(void **state)
{
	static const char *const bad[] = {
		"",
		"type=nope",
		"warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 type=warrant.approved approver=x",
		"type=warrant.approved warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10",
		"type=warrant.approved warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 approver=x x=1",
		"type=warrant.approved warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 approver=x "
		    "approver=y",
		"type=warrant.approved warrant=6F1C3C52-4c1e-4a59-9a37-2b7c1d0e9f10 approver=x",
		"type=warrant.approved  warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 approver=x",
		"type=warrant.approved warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 approver=x ",
		"seq=1 type=alert severity=err source=a message=b",
		"type=alert severity=err source=a message=b%0",
		"type=alert severity=err source=a message=b%00",
		"type=alert severity=err source=a message=%0A",
		"type=alert severity=fatal source=a message=b",
		"type=delivery.counters xid=00000000-0000-4000-8000-000000000001 start_ms=01 "
		    "end_ms=2 records=1 bytes=1",
		"type=delivery.counters xid=00000000-0000-4000-8000-000000000001 start_ms=5 "
		    "end_ms=2 records=1 bytes=1",
		"type=task.deactivated warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 "
		    "xid=00000000-0000-4000-8000-000000000001 ne=",
		"type=config.change component=mdf key=k value_sha256=0A438A1E7C31795834564794789CC525C5"
		    "78679DB257E96D90C1FA85D497F485 actor=op1",
		"type=warrant.registered warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 authority=c "
		    "valid_from=1 valid_until=2 "
		    "target=imsi:4d61b97203f2b326f467b554f2c5b476f4b64ace6803bc23473338d34f5ca3f6 "
		    "target=imsi:4d61b97203f2b326f467b554f2c5b476f4b64ace6803bc23473338d34f5ca3f6",
		"type=warrant.registered warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 authority=c "
		    "valid_from=1 valid_until=2",
	};
	struct tlog_entry e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tlog_entry_parse_text(bad[i], strlen(bad[i]), &e) == TLOG_OK)
			fail_msg("accepted: %s", bad[i]);
}

static void
test_text_u64_range(void **state)
{
	/* Found by fuzz_tlog_entry: 20-digit counters must survive the text form. */
	static const char max[] = "type=delivery.counters xid=00000000-0000-4000-8000-000000000001 "
	    "start_ms=0 end_ms=18446744073709551615 records=0 bytes=18446744073709551615";
	static const char over[] = "type=delivery.counters xid=00000000-0000-4000-8000-00000000000"
	    "1 start_ms=0 end_ms=18446744073709551616 records=0 bytes=1";
	struct tlog_entry e;
	char out[TLOG_ENTRY_TEXT_MAX];

	assert_int_equal(tlog_entry_parse_text(max, strlen(max), &e), TLOG_OK);
	assert_true(e.u.counters.bytes == UINT64_MAX);
	assert_true(tlog_entry_format_text(&e, 0, out, sizeof(out)) > 0);
	assert_string_equal(out, max);
	assert_int_equal(tlog_entry_parse_text(over, strlen(over), &e), TLOG_E_ENTRY_TEXT);
}

static void
test_text_sorts_targets(void **state)
{
	/* Targets given out of order come out sorted (type, then commitment bytes). */
	static const char in[] =
	    "type=warrant.registered warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 authority=court-1 "
	    "valid_from=1735689600 valid_until=1767225600 "
	    "target=imei:4d61b97203f2b326f467b554f2c5b476f4b64ace6803bc23473338d34f5ca3f6 "
	    "target=imsi:4d61b97203f2b326f467b554f2c5b476f4b64ace6803bc23473338d34f5ca3f6 "
	    "target=imsi:0a438a1e7c31795834564794789cc525c578679db257e96d90c1fa85d497f485";
	struct tlog_entry e;
	char out[TLOG_ENTRY_TEXT_MAX];

	assert_int_equal(tlog_entry_parse_text(in, strlen(in), &e), TLOG_OK);
	assert_int_equal(e.u.warrant_registered.ntargets, 3);
	assert_true(tlog_entry_format_text(&e, 0, out, sizeof(out)) > 0);
	assert_string_equal(out, samples[0]);
}

static void
test_commitment(void **state)
{
	uint8_t key[32], c[32], want[32];

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(i + 1);
	/* Python: hmac.new(key, b"overt-target-v1\0" + b"\x01" + b"001010123456789", sha256) */
	assert_int_equal(tlog_target_commitment(key, TLOG_TGT_IMSI, "001010123456789", 15, c),
	    TLOG_OK);
	hex_decode("4d61b97203f2b326f467b554f2c5b476f4b64ace6803bc23473338d34f5ca3f6", want, 32);
	assert_memory_equal(c, want, 32);
	/* Same digits, another identity type: another commitment. */
	assert_int_equal(tlog_target_commitment(key, TLOG_TGT_MSISDN, "001010123456789", 15, c),
	    TLOG_OK);
	hex_decode("0a438a1e7c31795834564794789cc525c578679db257e96d90c1fa85d497f485", want, 32);
	assert_memory_equal(c, want, 32);
	/* One spelling per identity. */
	assert_int_equal(tlog_target_commitment(key, TLOG_TGT_MSISDN, "+33123456789", 12, c),
	    TLOG_E_ARG);
	assert_int_equal(tlog_target_commitment(key, TLOG_TGT_IMSI, "12345", 5, c), TLOG_E_ARG);
	assert_int_equal(tlog_target_commitment(key, TLOG_TGT_IMSI, "1234567890123456", 16, c),
	    TLOG_E_ARG);
	assert_int_equal(tlog_target_commitment(key, TLOG_TGT_IMEI, "1234567890123", 13, c),
	    TLOG_E_ARG);
	assert_int_equal(tlog_target_commitment(key, 9, "123456", 6, c), TLOG_E_ARG);
	/* Fresh keys differ. */
	uint8_t k2[32];
	assert_int_equal(tlog_warrant_key_generate(key), TLOG_OK);
	assert_int_equal(tlog_warrant_key_generate(k2), TLOG_OK);
	assert_memory_not_equal(key, k2, 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_all_types),
		cmocka_unit_test(test_golden_bytes),
		cmocka_unit_test(test_non_canonical_refused),
		cmocka_unit_test(test_encoder_refuses_invalid),
		cmocka_unit_test(test_text_errors),
		cmocka_unit_test(test_text_u64_range),
		cmocka_unit_test(test_text_sorts_targets),
		cmocka_unit_test(test_commitment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
