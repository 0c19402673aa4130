/* SPDX-License-Identifier: MIT */
/*
 * Kernel log. printk(level, fmt, ...) formats one message, stamps it with
 * the monotonic clock and writes it to the console if level <= the boot
 * option `log=` (debug|info|warn|err, default info). Files define
 * PR_PREFIX ("vnet: ") before including this header; pr_debug compiles to
 * nothing unless the file defines DEBUG. Never call from an IRQ handler.
 */
#ifndef KERNEL_CORE_PRINTK_H
#define KERNEL_CORE_PRINTK_H

#include <stdint.h>

#include "kernel/lib/compiler.h"

enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

#ifndef PR_PREFIX
#define PR_PREFIX ""
#endif

void printk(int level, const char *fmt, ...) __printf(2, 3);
/* Whether a message at `level` would be printed (to skip costly dumps). */
int printk_enabled(int level);
/* The clock used for timestamps; NULL until the TSC is calibrated. */
void printk_set_clock(uint64_t (*now_ns)(void));
/* From now on print without the console lock (a panic: its holder may
 * be the panicking code itself). */
void printk_panic_mode(void);

#define pr_err(fmt, ...) printk(LOG_ERR, PR_PREFIX fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) printk(LOG_WARN, PR_PREFIX fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) printk(LOG_INFO, PR_PREFIX fmt, ##__VA_ARGS__)
#ifdef DEBUG
#define pr_debug(fmt, ...) printk(LOG_DEBUG, PR_PREFIX fmt, ##__VA_ARGS__)
#else
#define pr_debug(fmt, ...)                                               \
	do {                                                             \
		if (0)                                                   \
			printk(LOG_DEBUG, PR_PREFIX fmt, ##__VA_ARGS__); \
	} while (0)
#endif

#endif
