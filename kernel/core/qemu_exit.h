/* SPDX-License-Identifier: MIT */
/*
 * Ending the VM with a status, through QEMU's isa-debug-exit device
 * (-device isa-debug-exit,iobase=0xf4,iosize=0x04). QEMU exits with
 * (code << 1) | 1, so QEMU_EXIT_SUCCESS gives status 1 and
 * QEMU_EXIT_FAILURE gives status 3. Without the device the CPU halts.
 */
#ifndef KERNEL_CORE_QEMU_EXIT_H
#define KERNEL_CORE_QEMU_EXIT_H

#include "kernel/lib/compiler.h"

enum qemu_exit_code {
	QEMU_EXIT_SUCCESS = 0,
	QEMU_EXIT_FAILURE = 1,
};

void qemu_exit(enum qemu_exit_code code) __noreturn;

#endif
