// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/lib/vsnprintf.c. The kernel formatter is built
 * as k_snprintf (see tests/build.mk) and compared with the host libc on
 * every conversion and flag combination it claims to support.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

int k_snprintf(char *buf, size_t size, const char *fmt, ...);

#define SAME(fmt, ...)                                                   \
	do {                                                             \
		char want[256], got[256];                                \
		int wn = snprintf(want, sizeof(want), fmt, __VA_ARGS__); \
		int gn = k_snprintf(got, sizeof(got), fmt, __VA_ARGS__); \
		assert_string_equal(got, want);                          \
		assert_int_equal(gn, wn);                                \
	} while (0)

static void test_integers(void **state)
{
	static const long long values[] = { 0,	       1,	  -1,
					    42,	       -42,	  65535,
					    INT32_MAX, INT32_MIN, INT64_MAX,
					    INT64_MIN };
	static const char *const fmts[] = {
		"%lld",	  "%5lld",   "%-5lld|",	  "%05lld", "%+lld", "% lld",
		"%.3lld", "%8.3lld", "%-8.3lld|", "%.0lld", "%llx",  "%#llx",
		"%#llX",  "%016llx", "%llo",	  "%#llo",  "%llu",  "%+05lld",
	};

	(void)state;
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++)
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++)
			SAME(fmts[f], values[v]);
}

static void test_length_modifiers(void **state)
{
	(void)state;
	/* Arguments are promoted ints: the formatter must narrow them. */
	// cppcheck-suppress [invalidPrintfArgType_sint,invalidPrintfArgType_uint]
	SAME("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
	SAME("%d %i %u %x", -7, -7, 3000000000u, 0xdeadbeefu);
	SAME("%ld %lu %lx", -5L, 5UL, 0xffffffffffUL);
	SAME("%zu %zx %td %jd", (size_t)123, (size_t)0xabc, (ptrdiff_t)-9,
	     (intmax_t)-1);
	SAME("%p %p", (void *)0x1234, (void *)0xffff800000001000);
}

static void test_strings_and_chars(void **state)
{
	(void)state;
	SAME("[%s]", "hello");
	SAME("[%10s][%-10s]", "hi", "hi");
	SAME("[%.3s][%.*s]", "abcdef", 2, "xyz");
	SAME("[%*d][%-*d]", 6, 42, 6, 42);
	SAME("[%c%c%c]", 'a', 'b', 'c');
	SAME("[%5c][%-5c]", 'x', 'y');
	SAME("100%% %s", "done");
}

static void test_truncation(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(k_snprintf(buf, 5, "%s", "abcdefgh"), 8);
	assert_string_equal(buf, "abcd");
	assert_int_equal(buf[5], 'Z');
	assert_int_equal(k_snprintf(buf, 0, "%d", 12345), 5);
	assert_int_equal(buf[0], 'a');
	assert_int_equal(k_snprintf(buf, 1, "%d", 12345), 5);
	assert_string_equal(buf, "");
}

static void test_bad_formats_shown(void **state)
{
	char buf[64];

	(void)state;
	k_snprintf(buf, sizeof(buf), "a%qb");
	assert_string_equal(buf, "a%qb");
	k_snprintf(buf, sizeof(buf), "end%");
	assert_string_equal(buf, "end%");
	k_snprintf(buf, sizeof(buf), "%s", (char *)NULL);
	assert_string_equal(buf, "(null)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_length_modifiers),
		cmocka_unit_test(test_strings_and_chars),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_bad_formats_shown),
	};
	return cmocka_run_group_tests_name("vsnprintf", tests, NULL, NULL);
}
