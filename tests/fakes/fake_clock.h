/* SPDX-License-Identifier: MIT */
/*
 * Host stand-ins for the kernel clock and what the timers and threads
 * touch below it (LAPIC timer, IRQ vectors, main-loop pollers): time is
 * fake_clock_ns, moved only by the test.
 */
#ifndef TESTS_FAKES_FAKE_CLOCK_H
#define TESTS_FAKES_FAKE_CLOCK_H

#include <stdint.h>

extern uint64_t fake_clock_ns;

#endif
