// SPDX-License-Identifier: MIT
/*
 * qemu_exit: write the status to isa-debug-exit; if the VM is still
 * running afterwards, the device is absent, so halt with interrupts off.
 */
#include "kernel/core/qemu_exit.h"

#include "kernel/cpu/cpu.h"

#define ISA_DEBUG_EXIT_PORT 0xF4

void qemu_exit(enum qemu_exit_code code)
{
	outl(ISA_DEBUG_EXIT_PORT, (uint32_t)code);
	for (;;) {
		irq_disable();
		__asm__ volatile("hlt");
	}
}
