/* SPDX-License-Identifier: MIT */
/*
 * Boot self-test of timers, threads and the main loop, run when the
 * command line says `selftest=timers` (tests/integration/test_time.py).
 */
#ifndef KERNEL_SCHED_TIMER_SELFTEST_H
#define KERNEL_SCHED_TIMER_SELFTEST_H

#include <stdbool.h>

/* Start the test if selftest=timers was given; returns whether it did.
 * The test reports on the console and ends the VM when done. */
bool timer_selftest_start(void);

#endif
