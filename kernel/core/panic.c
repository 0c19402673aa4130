// SPDX-License-Identifier: MIT
/*
 * panic: report and stop. Interrupts go off first so nothing else runs;
 * a panic inside a panic skips straight to the exit.
 */
#include "kernel/core/panic.h"

#include <stdarg.h>

#include "kernel/core/backtrace.h"
#include "kernel/core/printk.h"
#include "kernel/core/qemu_exit.h"
#include "kernel/cpu/cpu.h"
#include "kernel/lib/stdio.h"

void panic(const char *fmt, ...)
{
	static int nested;
	char msg[256];
	va_list ap;

	irq_disable();
	if (nested++)
		qemu_exit(QEMU_EXIT_FAILURE);
	printk_panic_mode();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk(LOG_ERR, "PANIC: %s\n", msg);
	backtrace_here();
	qemu_exit(QEMU_EXIT_FAILURE);
}

void refuse_to_run(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	irq_disable();
	printk_panic_mode();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk(LOG_ERR, "FATAL: %s\n", msg);
	qemu_exit(QEMU_EXIT_FAILURE);
}
