// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/num.c: bounds, overflow, stop position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/errno.h"
#include "kernel/lib/num.h"

static int parse(const char *s, unsigned base, uint64_t max, uint64_t *v,
		 size_t *read)
{
	const char *stop = NULL;
	int err = num_parse_u64(s, NULL, base, max, v, &stop);

	*read = (size_t)(stop - s);
	return err;
}

static void test_decimal(void **state)
{
	uint64_t v;
	size_t n;

	(void)state;
	assert_int_equal(parse("0", 10, 100, &v, &n), 0);
	assert_int_equal(v, 0);
	assert_int_equal(n, 1);
	assert_int_equal(parse("0042x", 10, 100, &v, &n), 0);
	assert_int_equal(v, 42);
	assert_int_equal(n, 4);
	assert_int_equal(parse("18446744073709551615", 10, UINT64_MAX, &v, &n),
			 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(n, 20);
}

static void test_no_digit(void **state)
{
	uint64_t v = 7;
	size_t n = 7;

	(void)state;
	assert_int_equal(parse("", 10, 100, &v, &n), -EINVAL);
	assert_int_equal(n, 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse("-1", 10, 100, &v, &n), -EINVAL);
	assert_int_equal(n, 0);
	assert_int_equal(parse(" 1", 10, 100, &v, &n), -EINVAL);
	assert_int_equal(parse("a", 10, 100, &v, &n), -EINVAL);
	assert_int_equal(parse("1", 1, 100, &v, &n), -EINVAL);
	assert_int_equal(parse("1", 37, 100, &v, &n), -EINVAL);
}

static void test_bound(void **state)
{
	uint64_t v;
	size_t n;

	(void)state;
	assert_int_equal(parse("255", 10, 255, &v, &n), 0);
	assert_int_equal(v, 255);
	assert_int_equal(parse("256", 10, 255, &v, &n), -ERANGE);
	assert_int_equal(v, 255); /* saturated at the bound */
	assert_int_equal(n, 3);
	/* The whole digit run is read even past the bound. */
	assert_int_equal(parse("99999.5", 10, 255, &v, &n), -ERANGE);
	assert_int_equal(n, 5);
	assert_int_equal(parse("7", 10, 5, &v, &n), -ERANGE);
	assert_int_equal(parse("0", 10, 0, &v, &n), 0);
	assert_int_equal(parse("1", 10, 0, &v, &n), -ERANGE);
	assert_int_equal(v, 0);
}

static void test_overflow(void **state)
{
	uint64_t v;
	size_t n;

	(void)state;
	assert_int_equal(parse("18446744073709551616", 10, UINT64_MAX, &v, &n),
			 -ERANGE);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(n, 20);
	/* Far past 2^64: no wraparound to a small value. */
	assert_int_equal(parse("36893488147419103232", 10, UINT64_MAX, &v, &n),
			 -ERANGE);
	assert_int_equal(parse("100000000000000000000000000000000000000", 10,
			       UINT64_MAX, &v, &n),
			 -ERANGE);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(parse("ffffffffffffffff", 16, UINT64_MAX, &v, &n), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(parse("10000000000000000", 16, UINT64_MAX, &v, &n),
			 -ERANGE);
	assert_int_equal(n, 17);
}

static void test_bases(void **state)
{
	uint64_t v;
	size_t n;

	(void)state;
	assert_int_equal(parse("fF9g", 16, UINT64_MAX, &v, &n), 0);
	assert_int_equal(v, 0xff9);
	assert_int_equal(n, 3);
	assert_int_equal(parse("778", 8, UINT64_MAX, &v, &n), 0);
	assert_int_equal(v, 077);
	assert_int_equal(parse("zZ", 36, UINT64_MAX, &v, &n), 0);
	assert_int_equal(v, 35 * 36 + 35);
	assert_int_equal(parse("1012", 2, UINT64_MAX, &v, &n), 0);
	assert_int_equal(v, 5);
	assert_int_equal(num_digit('z'), 35);
	assert_int_equal(num_digit('.'), NUM_NOT_DIGIT);
}

/* `end` bounds the read: the text need not be NUL-terminated. */
static void test_end_bound(void **state)
{
	const char text[] = { '1', '2', '3', '4' };
	const char *stop;
	uint64_t v;

	(void)state;
	assert_int_equal(num_parse_u64(text, text + 2, 10, 100, &v, &stop), 0);
	assert_int_equal(v, 12);
	assert_ptr_equal(stop, text + 2);
	assert_int_equal(num_parse_u64(text, text, 10, 100, &v, &stop),
			 -EINVAL);
	assert_ptr_equal(stop, text);
	assert_int_equal(num_parse_u64(text, text + 4, 10, 100, &v, NULL),
			 -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_no_digit),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_bases),
		cmocka_unit_test(test_end_bound),
	};
	return cmocka_run_group_tests_name("num", tests, NULL, NULL);
}
