// SPDX-License-Identifier: MIT
/*
 * CMOS RTC (MC146818, as QEMU emulates it; interface in rtc.h). The date
 * registers are read while no update is in progress, twice, until two
 * reads agree (bounded), and decoded from BCD and 12-hour mode when
 * status register B says so. The century register (0x32) is used only if
 * it holds a plausible value.
 */
#define PR_PREFIX "rtc: "
#include "kernel/arch/rtc.h"

#include <stdbool.h>

#include "kernel/arch/time.h"
#include "kernel/core/printk.h"
#include "kernel/cpu/cpu.h"
#include "kernel/lib/civil.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_NMI_DISABLE 0x80
#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0A
#define RTC_STATUS_B 0x0B
#define RTC_CENTURY 0x32
#define STATUS_A_UPDATING 0x80
#define STATUS_B_24H 0x02
#define STATUS_B_BINARY 0x04
#define HOUR_PM 0x80
#define RTC_TRIES 10
#define RTC_UPDATE_SPINS 100000

static int64_t boot_epoch; /* [I] wall time at time_ns() == 0 */

struct rtc_regs {
	uint8_t sec, min, hour, day, mon, year, century;
};

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, CMOS_NMI_DISABLE | reg);
	return inb(CMOS_DATA);
}

static bool wait_not_updating(void)
{
	for (int i = 0; i < RTC_UPDATE_SPINS; i++)
		if (!(cmos_read(RTC_STATUS_A) & STATUS_A_UPDATING))
			return true;
	return false;
}

static void read_regs(struct rtc_regs *r)
{
	r->sec = cmos_read(RTC_SECONDS);
	r->min = cmos_read(RTC_MINUTES);
	r->hour = cmos_read(RTC_HOURS);
	r->day = cmos_read(RTC_DAY);
	r->mon = cmos_read(RTC_MONTH);
	r->year = cmos_read(RTC_YEAR);
	r->century = cmos_read(RTC_CENTURY);
}

static unsigned bcd(uint8_t v)
{
	return (v >> 4) * 10u + (v & 0x0F);
}

static int64_t decode(struct rtc_regs r, uint8_t status_b)
{
	bool binary = status_b & STATUS_B_BINARY;
	bool pm = !(status_b & STATUS_B_24H) && (r.hour & HOUR_PM);
	unsigned hour, century;
	struct civil c;

	r.hour &= (uint8_t)~HOUR_PM;
	hour = binary ? r.hour : bcd(r.hour);
	if (!(status_b & STATUS_B_24H))
		hour = hour % 12 + (pm ? 12 : 0);
	century = binary ? r.century : bcd(r.century);
	if (century < 19 || century > 99)
		century = 20;
	c.year = century * 100 + (binary ? r.year : bcd(r.year));
	c.mon = binary ? r.mon : bcd(r.mon);
	c.day = binary ? r.day : bcd(r.day);
	if (c.mon < 1 || c.mon > 12 || c.day < 1 ||
	    c.day > civil_days_in_month(c.year, c.mon) || hour > 23)
		return -1;
	return civil_days_from_date(c) * CIVIL_SECS_PER_DAY + hour * 3600 +
	       (binary ? r.min : bcd(r.min)) * 60 +
	       (binary ? r.sec : bcd(r.sec));
}

int rtc_init(void)
{
	struct rtc_regs a, b;
	int64_t t = -1;

	for (int i = 0; i < RTC_TRIES && t < 0; i++) {
		if (!wait_not_updating())
			continue;
		read_regs(&a);
		if (!wait_not_updating())
			continue;
		read_regs(&b);
		if (!memcmp(&a, &b, sizeof(a)))
			t = decode(a, cmos_read(RTC_STATUS_B));
	}
	if (t < 0) {
		pr_warn("no valid RTC reading; wall clock starts at the epoch");
		return -EIO;
	}
	boot_epoch = t - (int64_t)(time_ns() / 1000000000ull);
	pr_info("wall clock %lld (seconds since the epoch, UTC)", (long long)t);
	return 0;
}

int64_t rtc_now(void)
{
	return boot_epoch + (int64_t)(time_ns() / 1000000000ull);
}

int64_t rtc_epoch_us(uint64_t mono_ns)
{
	return boot_epoch * 1000000 + (int64_t)(mono_ns / 1000);
}
