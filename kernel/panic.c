// SPDX-License-Identifier: MIT
/*
 * panic: report and stop. Interrupts go off first so nothing else runs;
 * a panic inside a panic skips straight to the exit.
 */
#include "kernel/panic.h"

#include <stdarg.h>

#include "kernel/backtrace.h"
#include "kernel/cpu.h"
#include "kernel/lib/stdio.h"
#include "kernel/printk.h"
#include "kernel/qemu_exit.h"

void panic(const char *fmt, ...)
{
	static int nested;
	char msg[256];
	va_list ap;

	irq_disable();
	if (nested++)
		qemu_exit(QEMU_EXIT_FAILURE);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk(LOG_ERR, "PANIC: %s\n", msg);
	backtrace_here();
	qemu_exit(QEMU_EXIT_FAILURE);
}
