/* Config parsing: limits, strictness and error messages with line numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "conf/conf.h"

static struct conf *
parse(const char *s, char *err, size_t errlen)
{
	return conf_parse(s, strlen(s), err, errlen);
}

static void
test_lookup_and_types(void **state)
{
	char err[256];
	struct conf *c = parse("a:\n  b: hello\n  n: 42\n  big: 16MiB\n  flag: true\nlist:\n  - x\n  - y\n",
	    err, sizeof(err));
	assert_non_null(c);
	const char *s;
	uint64_t v;
	int f;
	assert_int_equal(conf_str(c, NULL, "a.b", &s), 0);
	assert_string_equal(s, "hello");
	assert_int_equal(conf_uint(c, NULL, "a.n", 1, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(conf_uint(c, NULL, "a.big", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 16 * 1024 * 1024);
	assert_int_equal(conf_uint(c, NULL, "a.n", 50, 100, &v), -1);
	assert_non_null(strstr(c->err, "line 3"));
	assert_int_equal(conf_bool(c, NULL, "a.flag", &f), 0);
	assert_int_equal(f, 1);
	assert_int_equal(conf_str(c, NULL, "a.missing", &s), 1);
	assert_int_equal(conf_str(c, NULL, "list", &s), -1);
	const struct conf_node *l = conf_get(c, NULL, "list");
	assert_non_null(l);
	assert_int_equal(l->kind, CONF_SEQ);
	assert_string_equal(l->child->value, "x");
	assert_string_equal(l->child->next->value, "y");
	const char *const allowed_top[] = {"a", "list", NULL};
	const char *const allowed_a[] = {"b", "n", "flag", NULL};
	assert_int_equal(conf_check_keys(c, NULL, "", allowed_top), 0);
	assert_int_equal(conf_check_keys(c, NULL, "a", allowed_a), -1);
	assert_non_null(strstr(c->err, "unknown key 'a.big'"));
	conf_free(c);
}

static void
test_refusals(void **state)
{
	char err[256];
	assert_null(parse("", err, sizeof(err)));
	assert_null(parse("- a\n- b\n", err, sizeof(err)));
	assert_non_null(strstr(err, "top level"));
	assert_null(parse("a: 1\na: 2\n", err, sizeof(err)));
	assert_non_null(strstr(err, "duplicate key"));
	assert_null(parse("a: &x 1\nb: *x\n", err, sizeof(err)));
	assert_non_null(strstr(err, "not allowed"));
	assert_null(parse("a: !!str 1\n", err, sizeof(err)));
	assert_null(parse("a: [1, 2\n", err, sizeof(err)));
	assert_non_null(strstr(err, "line"));
	assert_null(parse("a: 1\n---\nb: 2\n", err, sizeof(err)));
	char deep[21];
	memset(deep, '[', 20);
	deep[20] = '\0';
	assert_null(parse(deep, err, sizeof(err)));
}

static void
test_hostport(void **state)
{
	char host[64];
	uint16_t port;
	assert_int_equal(conf_hostport("127.0.0.1:443", host, sizeof(host), &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 443);
	assert_int_equal(conf_hostport("[::1]:8443", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(conf_hostport("host:0", host, sizeof(host), &port), 0);
	assert_int_equal(port, 0);
	assert_int_equal(conf_hostport("host:65536", host, sizeof(host), &port), -1);
	assert_int_equal(conf_hostport("host", host, sizeof(host), &port), -1);
	assert_int_equal(conf_hostport(":80", host, sizeof(host), &port), -1);
	assert_int_equal(conf_hostport("h:80x", host, sizeof(host), &port), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_and_types),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_hostport),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
