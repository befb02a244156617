/* POI configuration: the example parses, mandatory keys, strictness, no way to name targets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pkt/pkt_frag.h"
#include "poi/poi_config.h"

static const char base[] =
    "ne_identifier: poi1\n"
    "x1:\n  listen: 127.0.0.1:1443\n  cert: c\n  key: k\n  ca: a\n  db: d\n"
    "  admf_identifiers: [admf]\n"
    "x2x3:\n  cert: c\n  key: k\n  ca: a\n";

static int
parse(const char *s, struct poi_config *c, char *err)
{
	return poi_config_parse(s, strlen(s), c, err, 256);
}

static void
test_example_parses(void **state)
{
	char path[4096], err[256];
	struct poi_config c;
	snprintf(path, sizeof(path), "%s/etc/poi.yaml", getenv("OVERT_SRC") ? getenv("OVERT_SRC") : ".");
	assert_int_equal(poi_config_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c.ne_id, "epc-poi-01");
	assert_int_equal(c.x1_port, 1443);
	assert_int_equal(c.sess_max, 1000000);
	assert_int_equal(c.bufsize, 64 * 1024 * 1024);
	assert_int_equal(c.ndestpol, 1);
	assert_int_equal(c.destpol[0].port, 9999);
	assert_int_equal(c.destpol[0].insecure_plaintext, 0);
	assert_non_null(poi_config_destpol(&c, "192.0.2.20", 9999));
	assert_null(poi_config_destpol(&c, "192.0.2.20", 9998));
	/* the example states the defaults of reassembly: */
	assert_int_equal(c.frag.max_datagrams, PKT_FRAG_DEF_DATAGRAMS);
	assert_int_equal(c.frag.max_bytes, PKT_FRAG_DEF_BYTES);
}

static void
test_minimal_and_defaults(void **state)
{
	char err[256];
	struct poi_config c;
	assert_int_equal(parse(base, &c, err), 0);
	assert_string_equal(c.nfid, "poi1");	/* defaults to ne_identifier */
	assert_int_equal(c.x2x3_version, 5);
	assert_int_equal(c.keepalive_s, 10);
	assert_int_equal(c.nadmf, 1);
	assert_int_equal(c.frag.max_datagrams, PKT_FRAG_DEF_DATAGRAMS);
	assert_int_equal(c.frag.max_fragments, PKT_FRAG_DEF_FRAGMENTS);
	assert_int_equal(c.frag.max_datagram, PKT_FRAG_MAX_SIZE);
	assert_int_equal(c.frag.max_bytes, PKT_FRAG_DEF_BYTES);
	assert_true(c.frag.timeout_ns == PKT_FRAG_DEF_TIMEOUT_NS);
	assert_null(pkt_frag_config_check(&c.frag));
}

/* reassembly: each key read, each range enforced with the key named in the error. */
static void
test_reassembly(void **state)
{
	char err[256], buf[2048];
	struct poi_config c;
	static const struct {
		const char *yaml, *err;
	} bad[] = {
		{"reassembly:\n  max_datagrams: 0\n", "reassembly.max_datagrams"},
		{"reassembly:\n  max_datagrams: 1048577\n", "reassembly.max_datagrams"},
		{"reassembly:\n  max_fragments: 1\n", "reassembly.max_fragments"},
		{"reassembly:\n  max_fragments: 8193\n", "reassembly.max_fragments"},
		{"reassembly:\n  memory: 64KiB\n", "reassembly.memory"},	/* < 65535 + 512 */
		{"reassembly:\n  memory: 2GiB\n", "reassembly.memory"},
		{"reassembly:\n  timeout: 0\n", "reassembly.timeout"},
		{"reassembly:\n  timeout: 3601\n", "reassembly.timeout"},
		{"reassembly:\n  max_datagram: 1500\n", "unknown key"},
	};

	(void)state;
	snprintf(buf, sizeof(buf), "%sreassembly:\n  max_datagrams: 100\n  max_fragments: 8\n"
	    "  memory: 1MiB\n  timeout: 5\n", base);
	assert_int_equal(parse(buf, &c, err), 0);
	assert_int_equal(c.frag.max_datagrams, 100);
	assert_int_equal(c.frag.max_fragments, 8);
	assert_int_equal(c.frag.max_bytes, 1024 * 1024);
	assert_true(c.frag.timeout_ns == 5ULL * 1000000000ULL);
	assert_int_equal(c.frag.max_datagram, PKT_FRAG_MAX_SIZE);
	assert_true(pkt_frag_memory_for(&c.frag) > 0);

	/* the smallest storage that still holds one whole datagram */
	snprintf(buf, sizeof(buf), "%sreassembly:\n  memory: %u\n", base,
	    PKT_FRAG_MAX_SIZE + PKT_FRAG_BLOCK);
	assert_int_equal(parse(buf, &c, err), 0);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", base, bad[i].yaml);
		assert_int_equal(parse(buf, &c, err), -1);
		if (strstr(err, bad[i].err) == NULL)
			fail_msg("case %zu: '%s' does not name %s", i, err, bad[i].err);
	}
}

static void
test_refusals(void **state)
{
	char err[256], buf[2048];
	struct poi_config c;

	/* A targets key is refused like any unknown key: X1 is the only way to provision. */
	snprintf(buf, sizeof(buf), "%stargets: [001010123456789]\n", base);
	assert_int_equal(parse(buf, &c, err), -1);
	assert_non_null(strstr(err, "unknown key 'targets'"));

	assert_int_equal(parse("ne_identifier: p\n", &c, err), -1);
	assert_non_null(strstr(err, "x1.listen"));

	snprintf(buf, sizeof(buf), "%s", base);
	char *p = strstr(buf, "  admf_identifiers: [admf]\n");
	memmove(p, p + strlen("  admf_identifiers: [admf]\n"), strlen(p + strlen("  admf_identifiers: [admf]\n")) + 1);
	assert_int_equal(parse(buf, &c, err), -1);
	assert_non_null(strstr(err, "admf_identifiers"));

	snprintf(buf, sizeof(buf), "%ssessions:\n  max: 0\n", base);
	assert_int_equal(parse(buf, &c, err), -1);
	assert_non_null(strstr(err, "sessions.max"));

	snprintf(buf, sizeof(buf), "%s  destinations:\n    - address: nowhere\n", base);
	assert_int_equal(parse(buf, &c, err), -1);
	assert_non_null(strstr(err, "host:port"));

	snprintf(buf, sizeof(buf), "%s  destinations:\n    - address: 127.0.0.1:9\n      x3_payload: raw\n", base);
	assert_int_equal(parse(buf, &c, err), -1);
	assert_non_null(strstr(err, "gtpu or ip"));

	snprintf(buf, sizeof(buf), "%s  destinations:\n    - address: 127.0.0.1:9\n      insecure_plaintext: yes\n      x3_payload: ip\n", base);
	assert_int_equal(parse(buf, &c, err), 0);
	assert_int_equal(c.destpol[0].insecure_plaintext, 1);
	assert_int_equal(c.destpol[0].x3_ip, 1);

	snprintf(buf, sizeof(buf), "%scapture:\n  snaplen: 10\n", base);
	assert_int_equal(parse(buf, &c, err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_parses),
		cmocka_unit_test(test_minimal_and_defaults),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_reassembly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
