/* SPDX-License-Identifier: MIT */
/*
 * Wall-clock time: the CMOS real-time clock is read once at boot and the
 * monotonic TSC clock carries it forward, so the time never jumps while
 * the kernel runs. Used for HTTP Date headers and file freshness checks.
 */
#ifndef KERNEL_ARCH_RTC_H
#define KERNEL_ARCH_RTC_H

#include <stdint.h>

/* Read the RTC; 0, or -EIO if it never settled (the clock then starts at
 * the epoch and a warning says so). */
int rtc_init(void);

/* Seconds since 1970-01-01 UTC (the RTC is assumed to run in UTC, as
 * QEMU's does by default). */
int64_t rtc_now(void);

/* Microseconds since the epoch at monotonic time `mono_ns` (time_ns()),
 * on the same boot reading as rtc_now, so logs stamped with it agree. */
int64_t rtc_epoch_us(uint64_t mono_ns);

#endif
