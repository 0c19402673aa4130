// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/lib/statjson.c and kernel/lib/strbuf.c: a struct
 * and its JSON generated from one X-macro list, nesting, modes, and
 * the overflow that sticks, at every buffer size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/errno.h"
#include "kernel/lib/statjson.h"

#define DEMO_STATS(X) \
	X(hits)       \
	X(misses)     \
	X(bytes)

struct demo_stats {
	DEMO_STATS(STAT_U64)
};

struct demo_view {
	const char *mode;
	DEMO_STATS(STAT_U64)
};

static const char want[] = "{\"demo\":{\"hits\":1,\"misses\":22,"
			   "\"bytes\":18446744073709551615},"
			   "\"more\":{\"mode\":\"on\",\"hits\":1,\"misses\":22,"
			   "\"bytes\":18446744073709551615,\"inner\":{}}}\n";

static int write_demo(char *buf, size_t size)
{
	struct demo_stats s = { .hits = 1, .misses = 22, .bytes = UINT64_MAX };
	struct demo_view v = { .mode = "on" };
	struct json_out j;

	STATS_COPY(DEMO_STATS, &v, &s);
	json_begin(&j, buf, size);
	STATS_JSON_OBJECT(&j, "demo", DEMO_STATS, &s);
	json_open(&j, "more");
	json_str(&j, "mode", v.mode);
	STATS_JSON(&j, DEMO_STATS, &v);
	json_open(&j, "inner");
	json_close(&j);
	json_close(&j);
	return json_end(&j);
}

static void test_generated_json(void **state)
{
	char buf[512];

	(void)state;
	assert_int_equal(sizeof(struct demo_stats), 3 * sizeof(uint64_t));
	assert_int_equal(write_demo(buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
}

/* Every size short of the whole: -ENOSPC, never a byte past the end. */
static void test_every_short_buffer(void **state)
{
	(void)state;
	for (size_t size = 1; size <= strlen(want); size++) {
		char *buf = malloc(size);

		assert_int_equal(write_demo(buf, size), -ENOSPC);
		assert_true(memchr(buf, '\0', size) != NULL);
		free(buf);
	}
}

static void test_strbuf_overflow_sticks(void **state)
{
	char buf[8];
	struct strbuf sb = { .buf = buf, .size = sizeof(buf) };

	(void)state;
	strbuf_printf(&sb, "%d", 1234);
	assert_false(sb.overflow);
	strbuf_printf(&sb, "%s", "5678"); /* 8 bytes + NUL: too long */
	assert_true(sb.overflow);
	assert_int_equal(sb.len, 4);
	strbuf_printf(&sb, "9"); /* would fit, but the text is cut */
	assert_int_equal(sb.len, 4);
	assert_true(sb.overflow);
}

/* strbuf_put_uint writes what "%llu" / "%llx" would, edge values too. */
static void test_strbuf_put_uint_matches_printf(void **state)
{
	static const uint64_t values[] = {
		0,	   1,	9,    10,	  15,
		16,	   255, 1000, 0xdeadbeef, UINT64_MAX / 10,
		UINT64_MAX
	};
	char got[32], want[32];

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		for (unsigned int base = 10; base <= 16; base += 6) {
			struct strbuf sb = { .buf = got, .size = sizeof(got) };

			snprintf(want, sizeof(want),
				 base == 10 ? "%llu" : "%llx",
				 (unsigned long long)values[i]);
			strbuf_put_uint(&sb, values[i], base);
			assert_false(sb.overflow);
			assert_string_equal(got, want);
		}
	}
	/* 20 digits do not fit in 20 bytes with the NUL */
	struct strbuf small = { .buf = got, .size = 20 };
	strbuf_put_uint(&small, UINT64_MAX, 10);
	assert_true(small.overflow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated_json),
		cmocka_unit_test(test_every_short_buffer),
		cmocka_unit_test(test_strbuf_overflow_sticks),
		cmocka_unit_test(test_strbuf_put_uint_matches_printf),
	};

	return cmocka_run_group_tests_name("statjson", tests, NULL, NULL);
}
