/* SPDX-License-Identifier: MIT */
/*
 * Calendar arithmetic for the proleptic Gregorian calendar, days counted
 * from 1970-01-01. Shared by the RTC (kernel/arch/rtc.c) and HTTP dates
 * (app/http_cond.c).
 */
#ifndef KERNEL_LIB_CIVIL_H
#define KERNEL_LIB_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

#define CIVIL_SECS_PER_DAY 86400

struct civil {
	int64_t year;
	unsigned mon; /* 1..12 */
	unsigned day; /* 1..31 */
};

/* Floor division (rounds towards minus infinity). */
int64_t civil_floor_div(int64_t a, int64_t b);

/* Days since 1970-01-01 of a date (any valid date, also before 1970). */
int64_t civil_days_from_date(struct civil c);

/* The date of day z since 1970-01-01. */
struct civil civil_date_from_days(int64_t z);

unsigned civil_days_in_month(int64_t year, unsigned mon);

#endif
