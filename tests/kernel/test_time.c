// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/arch/time.c's arithmetic: the TSC frequency from a PIT
 * measurement and the fixed-point ns <-> TSC conversions (no hardware is
 * touched: time_init is not called).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel/arch/time.h"
#include "kernel/core/printk.h"

void printk_set_clock(uint64_t (*now_ns)(void))
{
}

static void test_hz_from_pit(void **state)
{
	/* 10 ms of PIT ticks at 2.8 GHz */
	uint64_t hz = time_tsc_hz_from_pit(28000000ull, 11932);

	assert_true(hz > 2799000000ull && hz < 2801000000ull);
	assert_int_equal(time_tsc_hz_from_pit(PIT_HZ, PIT_HZ), PIT_HZ);
}

static void test_hz_from_pit_bad_input(void **state)
{
	assert_int_equal(time_tsc_hz_from_pit(0, 11932), 0);
	assert_int_equal(time_tsc_hz_from_pit(12345, 0), 0);
	assert_int_equal(time_tsc_hz_from_pit(UINT64_MAX / 2, 11932), 0);
}

static void test_conversions(void **state)
{
	static const uint64_t freqs[] = { 100000000ull, 1000000000ull,
					  2793634656ull, 4999999999ull };

	for (size_t i = 0; i < sizeof(freqs) / sizeof(freqs[0]); i++) {
		uint64_t hz = freqs[i];

		time_set_tsc_hz(hz);
		assert_int_equal(time_tsc_hz(), hz);
		/* one second of ticks is one second, to 1 ppm */
		uint64_t ns = time_tsc_to_ns(hz);
		assert_true(ns >= NSEC_PER_SEC - 1000 &&
			    ns <= NSEC_PER_SEC + 1000);
		/* ten years of ticks neither overflows nor drifts > 1 ppm */
		uint64_t ten_years = hz * 315360000ull;
		uint64_t ns10 = time_tsc_to_ns(ten_years);
		uint64_t ms10 = ns10 / 1000000, want = 315360000000ull;
		assert_true(ms10 >= want - want / 1000000 &&
			    ms10 <= want + want / 1000000);
		/* ns -> tsc -> ns round trip within 1 ppm + 1 tick */
		uint64_t t = time_ns_to_tsc(NSEC_PER_SEC); /* boot_tsc 0 */
		assert_true(t >= hz - hz / 1000000 - 1 &&
			    t <= hz + hz / 1000000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hz_from_pit),
		cmocka_unit_test(test_hz_from_pit_bad_input),
		cmocka_unit_test(test_conversions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
