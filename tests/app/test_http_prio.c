// SPDX-License-Identifier: MIT
/*
 * Unit tests for app/http_prio.c: RFC 9218's Priority as an RFC 8941
 * dictionary (u kept, i and unknown members ignored, a malformed field
 * ignored whole, a u of the wrong type or range ignored), the configured
 * numeric header, path rules and the order of the sources. Every value
 * is read from right before a guard page, on every prefix too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "app/http_prio.h"
#include "kernel/lib/errno.h"
#include "tests/fakes/guard_page.h"

static struct http_str guarded(const char *s)
{
	size_t n = strlen(s);

	return (struct http_str){ guard_copy(s, n), n };
}

static int dict(const char *s)
{
	return http_prio_dict_urgency(guarded(s));
}

static void test_priority_urgency(void **state)
{
	(void)state;
	assert_int_equal(dict("u=0"), 0);
	assert_int_equal(dict("u=7"), 7);
	assert_int_equal(dict("u=5, i"), 5);
	assert_int_equal(dict("i, u=2"), 2);
	assert_int_equal(dict("i=?1,u=1"), 1);
	assert_int_equal(dict("  u=4"), 4);
	assert_int_equal(dict("u=4 ,\tfoo=bar"), 4);
	assert_int_equal(dict("u=1;x=\"y\""), 1); /* parameters on u */
	assert_int_equal(dict("u=3, u=6"), 6); /* the last one wins */
	assert_int_equal(dict("x=(a b \"c\";q=1);z, u=2"), 2);
	assert_int_equal(dict("b=:aGVsbG8=:, d=1.5, t=tok/x:1, u=0"), 0);
	assert_int_equal(dict("*x=?0, u=6"), 6);
	/* No u: nothing said. */
	assert_int_equal(dict("i"), -1);
	assert_int_equal(dict(""), -1);
	assert_int_equal(dict("   "), -1);
}

static void test_priority_bad_values_are_ignored(void **state)
{
	static const char *const bad[] = {
		"u=8",
		"u=-1",
		"u=1.0",
		"u=\"1\"",
		"u=?1",
		"u=a",
		"u",
		"u=(1)",
		"u=99999999999999999", /* over 15 digits */
		"U=1", /* keys are lower case */
		"u=1,",
		"u=1,,u=2",
		",u=1",
		"u=1 u=2",
		"u==1",
		"u=1;",
		"u=1;=x",
		"u=\"open",
		"u=1, x=\"\\q\"",
		"x=:abc, u=1",
		"x=(a, u=1",
		"x=1.2345, u=1",
		"x=?2, u=1",
		"u=1\x01",
		"x=\"\x7f\", u=1",
		"u=1, 1=2",
		"u=-",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dict(bad[i]) != -1)
			fail_msg("'%s' gave %d", bad[i], dict(bad[i]));
	}
}

/* Every prefix of a long value is read within its bounds (the guard
 * page faults otherwise) and gives -1 or a valid urgency. */
static void test_priority_every_prefix(void **state)
{
	static const char v[] =
		"x=(a \"b\\\"\";p=1 :YQ==:);q=?1, d=-12.5, u=3, i, t=*a/b:c";

	(void)state;
	for (size_t n = 0; n <= sizeof(v) - 1; n++) {
		int u = http_prio_dict_urgency(
			(struct http_str){ guard_copy(v, n), n });

		assert_true(u == -1 || u == 3);
	}
	assert_int_equal(dict(v), 3);
}

static void test_number(void **state)
{
	(void)state;
	assert_int_equal(http_prio_number(guarded("0")), 0);
	assert_int_equal(http_prio_number(guarded(" 7 ")), 7);
	assert_int_equal(http_prio_number(guarded("8")), -1);
	assert_int_equal(http_prio_number(guarded("12")), -1);
	assert_int_equal(http_prio_number(guarded("")), -1);
	assert_int_equal(http_prio_number(guarded("u=1")), -1);
	assert_int_equal(http_prio_number(guarded("-1")), -1);
}

static void test_rules(void **state)
{
	static const char *const bad[] = {
		"big:6", "/big",   "/big:",  "/big:8", "/big:66",
		":1",	 "/a b:1", "/big:x", "/a,b:1",
	};
	struct http_prio_config cfg = { 0 };

	(void)state;
	assert_int_equal(
		http_prio_rule_parse(guarded("/big/:6"), &cfg.rules[0]), 0);
	assert_string_equal(cfg.rules[0].prefix, "/big/");
	assert_int_equal(cfg.rules[0].urgency, 6);
	assert_int_equal(
		http_prio_rule_parse(guarded("/big/hot:1"), &cfg.rules[1]), 0);
	assert_int_equal(http_prio_rule_parse(guarded("/:4"), &cfg.rules[2]),
			 0);
	assert_int_equal(http_prio_rule_parse(guarded("/a:b:2"), &cfg.rules[3]),
			 0); /* the prefix may hold a colon */
	assert_string_equal(cfg.rules[3].prefix, "/a:b");
	cfg.nrules = 4;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct http_prio_rule r;

		if (http_prio_rule_parse(guarded(bad[i]), &r) != -EINVAL)
			fail_msg("rule '%s' accepted", bad[i]);
	}
	/* The longest prefix wins. */
	assert_int_equal(http_prio_path(&cfg, guarded("/big/x.bin")), 6);
	assert_int_equal(http_prio_path(&cfg, guarded("/big/hot.bin")), 1);
	assert_int_equal(http_prio_path(&cfg, guarded("/index.html")), 4);
	cfg.nrules = 1;
	assert_int_equal(http_prio_path(&cfg, guarded("/index.html")), -1);
	assert_int_equal(http_prio_path(&cfg, guarded("/big")), -1);
}

static uint8_t of(const struct http_prio_config *cfg, const char *head,
		  const char *target, enum http_prio_source *src)
{
	size_t n = strlen(head);
	struct http_str t = { target, strlen(target) };

	return http_prio_of_request(cfg, guard_copy(head, n), n, t, src);
}

static void test_sources_in_order(void **state)
{
	struct http_prio_config cfg = { .header = "X-Prio", .header_len = 6 };
	enum http_prio_source src;

	(void)state;
	http_prio_rule_parse((struct http_str){ "/big/:6", 7 }, &cfg.rules[0]);
	cfg.nrules = 1;
	assert_int_equal(
		of(&cfg, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n", "/a", &src), 3);
	assert_int_equal(src, HTTP_PRIO_DEFAULT);
	assert_int_equal(of(&cfg, "GET /big/a HTTP/1.1\r\nHost: h\r\n\r\n",
			    "/big/a", &src),
			 6);
	assert_int_equal(src, HTTP_PRIO_PATH);
	assert_int_equal(of(&cfg,
			    "GET /big/a HTTP/1.1\r\nPRIORITY:  u=1, i \r\n\r\n",
			    "/big/a", &src),
			 1);
	assert_int_equal(src, HTTP_PRIO_HEADER);
	assert_int_equal(of(&cfg,
			    "\r\nGET /big/a HTTP/1.1\nPriority: u=1\n"
			    "x-prio: 0\n\n",
			    "/big/a", &src),
			 0);
	assert_int_equal(src, HTTP_PRIO_CUSTOM);
	/* A bad configured value falls through to Priority. */
	assert_int_equal(of(&cfg,
			    "GET /a HTTP/1.1\r\nX-Prio: 9\r\nPriority: u=5\r\n"
			    "\r\n",
			    "/a", &src),
			 5);
	/* One bad Priority line spoils the field; the path rule decides. */
	assert_int_equal(of(&cfg,
			    "GET /big/a HTTP/1.1\r\nPriority: u=0\r\n"
			    "Priority: u=0,\r\n\r\n",
			    "/big/a", &src),
			 6);
	assert_int_equal(src, HTTP_PRIO_PATH);
	/* Two good lines: the last u. */
	assert_int_equal(of(&cfg,
			    "GET /a HTTP/1.1\r\nPriority: u=0\r\n"
			    "Priority: i\r\nPriority: u=2\r\n\r\n",
			    "/a", &src),
			 2);
	/* A body-like line after the head is not read. */
	assert_int_equal(of(&cfg, "GET /a HTTP/1.1\r\n\r\nPriority: u=0\r\n",
			    "/a", &src),
			 3);
	/* The request line is no field, whatever it holds. */
	assert_int_equal(of(&cfg, "GET /Priority:u=0 HTTP/1.1\r\n\r\n",
			    "/Priority:u=0", &src),
			 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_priority_urgency),
		cmocka_unit_test(test_priority_bad_values_are_ignored),
		cmocka_unit_test(test_priority_every_prefix),
		cmocka_unit_test(test_number),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_sources_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
