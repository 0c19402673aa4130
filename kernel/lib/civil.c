// SPDX-License-Identifier: MIT
/*
 * Calendar arithmetic (interface in civil.h): 400-year eras of 146097
 * days whose years start on March 1, so the leap day is the last day of
 * a year and month lengths follow a linear formula (153 days per 5
 * months).
 */
#include "kernel/lib/civil.h"

#define DAYS_PER_ERA 146097 /* 400 Gregorian years */
#define YEARS_PER_ERA 400
#define DAYS_0000_03_01_TO_EPOCH 719468 /* 0000-03-01 .. 1970-01-01 */

int64_t civil_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t civil_days_from_date(struct civil c)
{
	int64_t y = c.year - (c.mon <= 2);
	int64_t era = civil_floor_div(y, YEARS_PER_ERA);
	int64_t yoe = y - era * YEARS_PER_ERA; /* 0..399 */
	int64_t mp = c.mon > 2 ? c.mon - 3 : c.mon + 9; /* March = 0 */
	int64_t doy = (153 * mp + 2) / 5 + c.day - 1; /* 0..365 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */

	return era * DAYS_PER_ERA + doe - DAYS_0000_03_01_TO_EPOCH;
}

struct civil civil_date_from_days(int64_t z)
{
	struct civil c;
	int64_t era, doe, yoe, doy, mp;

	z += DAYS_0000_03_01_TO_EPOCH;
	era = civil_floor_div(z, DAYS_PER_ERA);
	doe = z - era * DAYS_PER_ERA;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	c.day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	c.mon = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	c.year = yoe + era * YEARS_PER_ERA + (c.mon <= 2);
	return c;
}

unsigned civil_days_in_month(int64_t year, unsigned mon)
{
	static const unsigned char len[] = { 31, 28, 31, 30, 31, 30,
					     31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return len[mon - 1] + (mon == 2 && leap);
}
