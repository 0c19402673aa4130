// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/crc32.c against zlib's known values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/crc32.h"

static void test_known_values(void **state)
{
	(void)state;
	assert_int_equal(crc32_update(0, "", 0), 0);
	/* The CRC-32 check value (the "123456789" test vector). */
	assert_int_equal(crc32_update(0, "123456789", 9), 0xCBF43926u);
	assert_int_equal(crc32_update(0, "a", 1), 0xE8B7BE43u);
}

static void test_incremental_equals_whole(void **state)
{
	unsigned char buf[1000];
	uint32_t whole, part = 0;

	(void)state;
	for (int i = 0; i < 1000; i++)
		buf[i] = (unsigned char)(i * 13 + 7);
	whole = crc32_update(0, buf, sizeof(buf));
	for (int off = 0; off < 1000; off += 97)
		part = crc32_update(part, buf + off,
				    off + 97 <= 1000 ? 97 : 1000 - off);
	assert_int_equal(part, whole);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_incremental_equals_whole),
	};
	return cmocka_run_group_tests_name("crc32", tests, NULL, NULL);
}
