// SPDX-License-Identifier: MIT
/*
 * printk: format into a bounded line buffer, prefix a timestamp
 * "[seconds.micros]" and write the line to the console in one call.
 * Messages longer than PRINTK_LINE_MAX are cut and end in "...".
 * Any CPU, any context: console_lock (rank LOCK_RANK_CONSOLE, taken with
 * interrupts off) guards the line buffer and keeps each line whole on
 * the UART. After printk_panic_mode() the lock is skipped, since the
 * CPU that panics may hold it.
 */
#include "kernel/core/printk.h"

#include <stdarg.h>

#include "kernel/core/cmdline.h"
#include "kernel/core/console.h"
#include "kernel/core/spinlock.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"
#include "kernel/param.h"

static const char *const level_names[] = { "err", "warn", "info", "debug",
					   NULL };
static int log_level = LOG_INFO;
KPARAM_ENUM(log, log_level, level_names,
	    "console verbosity: debug|info|warn|err");

static uint64_t (*clock_now_ns)(void);
static struct spinlock console_lock =
	SPINLOCK_INIT("console", LOCK_RANK_CONSOLE);
static bool panicking;

void printk_panic_mode(void)
{
	WRITE_ONCE(panicking, true);
}

void printk_set_clock(uint64_t (*now_ns)(void))
{
	clock_now_ns = now_ns;
}

int printk_enabled(int level)
{
	return level <= log_level;
}

void printk(int level, const char *fmt, ...)
{
	static char line[PRINTK_LINE_MAX];
	uint64_t ns = clock_now_ns ? clock_now_ns() : 0;
	va_list ap;
	uint64_t flags = 0;
	bool locked;
	int n;

	if (level > log_level)
		return;
	locked = !READ_ONCE(panicking);
	if (locked)
		flags = spin_lock_irqsave(&console_lock);
	n = snprintf(line, sizeof(line), "[%5lu.%06lu] ",
		     (unsigned long)(ns / 1000000000),
		     (unsigned long)(ns / 1000 % 1000000));
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line) - 1) {
		n = sizeof(line) - 1;
		memcpy(line + n - 4, "...\n", 4);
	} else if (n == 0 || line[n - 1] != '\n') {
		line[n++] = '\n';
		line[n] = '\0';
	}
	console_write(line, (size_t)n);
	if (locked)
		spin_unlock_irqrestore(&console_lock, flags);
}
