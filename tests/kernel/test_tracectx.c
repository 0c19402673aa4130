// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/io/tracectx.c against W3C Trace Context 3.2:
 * the spec's own example parses to its ids and flags; every malformed
 * form is refused (wrong length, upper-case or non-hex digits, wrong
 * separators, version ff, all-zero ids, trailing bytes on version 00);
 * a later version is read by its 00 prefix; no prefix of a valid value
 * parses, and nothing is read past `len` (the value sits at the end of
 * a heap block, which ASan guards).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/io/tracectx.h"
#include "kernel/lib/errno.h"

#define EXAMPLE "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

/* Parse s from a block of exactly its length. */
static int parse(const char *s, struct tracectx *tp)
{
	size_t n = strlen(s);
	char *copy = malloc(n ? n : 1);
	int err;

	memcpy(copy, s, n);
	err = tracectx_parse(copy, n, tp);
	free(copy);
	return err;
}

static void test_spec_example(void **state)
{
	static const uint8_t want[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3,
					  0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d,
					  0x0e, 0x0e, 0x47, 0x36 };
	struct tracectx tp;
	char hex[33];

	(void)state;
	assert_int_equal(parse(EXAMPLE, &tp), 0);
	assert_memory_equal(tp.trace_id, want, 16);
	assert_true(tp.parent_id == 0x00f067aa0ba902b7ull);
	assert_int_equal(tp.flags, TRACECTX_FLAG_SAMPLED);
	tracectx_hex(hex, tp.trace_id, 16);
	assert_string_equal(hex, "4bf92f3577b34da6a3ce929d0e0e4736");
	tracectx_hex64(hex, tp.parent_id);
	assert_string_equal(hex, "00f067aa0ba902b7");
}

static void test_format_round_trip(void **state)
{
	struct tracectx tp, back;
	char buf[TRACECTX_LEN + 1];

	(void)state;
	assert_int_equal(parse(EXAMPLE, &tp), 0);
	tracectx_format(buf, tp.trace_id, tp.parent_id, tp.flags);
	assert_string_equal(buf, EXAMPLE);
	tracectx_format(buf, tp.trace_id, 0xfedcba9876543210ull, 0);
	assert_int_equal(parse(buf, &back), 0);
	assert_memory_equal(back.trace_id, tp.trace_id, 16);
	assert_true(back.parent_id == 0xfedcba9876543210ull);
	assert_int_equal(back.flags, 0);
}

static void test_malformed_values_are_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"00",
		/* upper case */
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
		/* non-hex */
		"00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
		"0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z",
		/* separators */
		"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
		/* short fields */
		"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
		/* all-zero ids */
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
		/* version ff is invalid */
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		/* version 00 has nothing after the flags */
		EXAMPLE "-",
		EXAMPLE "-abc",
		EXAMPLE " ",
		/* a later version appends only after a '-' */
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
	};
	struct tracectx tp;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], &tp), -EINVAL);
}

static void test_later_version_read_by_its_prefix(void **state)
{
	struct tracectx tp;

	(void)state;
	assert_int_equal(
		parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
		      &tp),
		0);
	assert_int_equal(tp.flags, 0);
	assert_int_equal(
		parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-what-ever",
		      &tp),
		0);
	assert_true(tp.parent_id == 0x00f067aa0ba902b7ull);
	assert_int_equal(tp.flags, 0x09);
}

static void test_no_prefix_parses(void **state)
{
	struct tracectx tp;
	char buf[sizeof(EXAMPLE)];

	(void)state;
	for (size_t n = 0; n < strlen(EXAMPLE); n++) {
		memcpy(buf, EXAMPLE, n);
		buf[n] = '\0';
		assert_int_equal(parse(buf, &tp), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_malformed_values_are_refused),
		cmocka_unit_test(test_later_version_read_by_its_prefix),
		cmocka_unit_test(test_no_prefix_parses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
