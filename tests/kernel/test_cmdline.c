// SPDX-License-Identifier: MIT
/* Unit tests for kernel/core/cmdline.c: values, ranges, errors and defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/core/cmdline.h"
#include "kernel/lib/errno.h"
#include "tests/fakes/fake_printk.h"

static bool flag;
static uint64_t count;
static int mode;
static char name[8];
static uint32_t addr;
static const char *const modes[] = { "sfbuf", "naive", "direct", NULL };

static int parse_addr(const char *value, void *var)
{
	uint64_t v;

	if (cmdline_parse_u64(value, &v) || v > UINT32_MAX)
		return -EINVAL;
	*(uint32_t *)var = (uint32_t)v;
	return 0;
}

static const struct kparam table[] = {
	{ .name = "flag", .type = KPARAM_TYPE_BOOL, .var = &flag },
	{ .name = "count",
	  .type = KPARAM_TYPE_UINT,
	  .var = &count,
	  .range = { 1, 4096 } },
	{ .name = "mapping",
	  .type = KPARAM_TYPE_ENUM,
	  .var = &mode,
	  .choices = modes },
	{ .name = "name",
	  .type = KPARAM_TYPE_STR,
	  .var = name,
	  .size = sizeof(name) },
	{ .name = "addr",
	  .type = KPARAM_TYPE_FUNC,
	  .var = &addr,
	  .parse = parse_addr,
	  .help = "a 32-bit number" },
};

static int reset(void **state)
{
	(void)state;
	flag = false;
	count = 16;
	mode = 0;
	strcpy(name, "dflt");
	addr = 7;
	fake_printk_reset();
	return 0;
}

static int parse(const char *line)
{
	return cmdline_parse(line, table, sizeof(table) / sizeof(table[0]));
}

static void test_all_types(void **state)
{
	(void)state;
	assert_int_equal(parse("flag=on count=0x20 mapping=direct name=abc "
			       "addr=4096"),
			 0);
	assert_true(flag);
	assert_int_equal(count, 32);
	assert_int_equal(mode, 2);
	assert_string_equal(name, "abc");
	assert_int_equal(addr, 4096);
	assert_string_equal(fake_printk_log(), "");
}

static void test_image_path_skipped(void **state)
{
	(void)state;
	assert_int_equal(parse("/boot/petrel.elf count=5"), 0);
	assert_int_equal(count, 5);
	/* Only the first word may be a bare path. */
	assert_int_equal(parse("count=6 stray"), 1);
	assert_non_null(strstr(fake_printk_log(), "'stray'"));
}

static void test_unknown_key_named(void **state)
{
	(void)state;
	assert_int_equal(parse("bogus=1 count=9"), 1);
	assert_int_equal(count, 9);
	assert_non_null(strstr(fake_printk_log(), "unknown option 'bogus'"));
}

static void test_bad_values_keep_default(void **state)
{
	(void)state;
	assert_int_equal(
		parse("count=0 count=4097 count=12x count= "
		      "count=99999999999999999999999 flag=maybe "
		      "mapping=fast name=toolongname addr=0x100000000"),
		9);
	assert_int_equal(count, 16);
	assert_false(flag);
	assert_int_equal(mode, 0);
	assert_string_equal(name, "dflt");
	assert_int_equal(addr, 7);
	assert_non_null(strstr(fake_printk_log(),
			       "bad value 'fast' for mapping= (expected "
			       "sfbuf|naive|direct); using default 'sfbuf'"));
	assert_non_null(strstr(fake_printk_log(),
			       "bad value '0' for count= (expected a number in "
			       "[1, 4096]); using default '16'"));
}

static void test_suffixes_and_last_wins(void **state)
{
	(void)state;
	assert_int_equal(parse("count=1k"), 0);
	assert_int_equal(count, 1024);
	assert_int_equal(parse("count=4k count=2"), 0);
	assert_int_equal(count, 2);
	assert_int_equal(parse("count=1m"), 1);
	assert_int_equal(count, 2);
	uint64_t v;
	assert_int_equal(cmdline_parse_u64("4g", &v), 0);
	assert_int_equal(v, 4ull << 30);
	assert_int_equal(cmdline_parse_u64("0x", &v), -EINVAL);
	assert_int_equal(cmdline_parse_u64("", &v), -EINVAL);
	assert_int_equal(cmdline_parse_u64("18446744073709551615", &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(cmdline_parse_u64("18446744073709551616", &v),
			 -ERANGE);
}

static void test_blanks_and_long_words(void **state)
{
	char line[600];

	(void)state;
	assert_int_equal(parse("  \t count=3 \n\r flag=1  "), 0);
	assert_int_equal(count, 3);
	assert_true(flag);
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line + 300, " count=4 ", 9);
	assert_int_equal(parse(line), 2);
	assert_int_equal(count, 4);
	assert_int_equal(parse(""), 0);
}

static void test_format(void **state)
{
	char buf[128];

	(void)state;
	parse("flag=yes mapping=naive");
	cmdline_format(buf, sizeof(buf), table, 5);
	assert_string_equal(buf, "flag=on count=16 mapping=naive name=dflt "
				 "addr=?");
	cmdline_format(buf, 12, table, 5);
	assert_true(strlen(buf) < 12);
}

/* Found by tests/fuzz/fuzz_cmdline: a key cut by the end of the buffer
 * was left in it but not counted in the returned length. */
static void test_format_truncated(void **state)
{
	static const char full[] =
		"flag=off count=16 mapping=sfbuf name=dflt addr=?";
	char buf[128];

	(void)state;
	for (size_t size = 1; size <= sizeof(full) + 1; size++) {
		size_t n = cmdline_format(buf, size, table, 5);

		assert_int_equal(n, strlen(buf));
		assert_int_equal(n, MIN(size - 1, sizeof(full) - 1));
		assert_memory_equal(buf, full, n);
	}
	assert_int_equal(cmdline_format(buf, 0, table, 5), 0);
}

/* A file linked once per network-stack instance declares its option
 * once per copy: one value sets every copy, a bad one none, and the
 * boot log names the option once. */
static void test_duplicate_names(void **state)
{
	static uint64_t copy0 = 1, copy1 = 1, copy2 = 1;
	static const struct kparam copies[] = {
		{ .name = "limit",
		  .type = KPARAM_TYPE_UINT,
		  .var = &copy0,
		  .range = { 0, 100 } },
		{ .name = "flag", .type = KPARAM_TYPE_BOOL, .var = &flag },
		{ .name = "limit",
		  .type = KPARAM_TYPE_UINT,
		  .var = &copy1,
		  .range = { 0, 100 } },
		{ .name = "limit",
		  .type = KPARAM_TYPE_UINT,
		  .var = &copy2,
		  .range = { 0, 100 } },
	};
	char buf[64];

	(void)state;
	assert_int_equal(cmdline_parse("limit=7", copies, 4), 0);
	assert_int_equal(copy0, 7);
	assert_int_equal(copy1, 7);
	assert_int_equal(copy2, 7);
	assert_int_equal(cmdline_parse("limit=700", copies, 4), 1);
	assert_int_equal(copy0, 7);
	assert_int_equal(copy2, 7);
	cmdline_format(buf, sizeof(buf), copies, 4);
	assert_string_equal(buf, "limit=7 flag=off");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_all_types, reset),
		cmocka_unit_test_setup(test_image_path_skipped, reset),
		cmocka_unit_test_setup(test_unknown_key_named, reset),
		cmocka_unit_test_setup(test_bad_values_keep_default, reset),
		cmocka_unit_test_setup(test_suffixes_and_last_wins, reset),
		cmocka_unit_test_setup(test_blanks_and_long_words, reset),
		cmocka_unit_test_setup(test_format, reset),
		cmocka_unit_test_setup(test_format_truncated, reset),
		cmocka_unit_test_setup(test_duplicate_names, reset),
	};
	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
