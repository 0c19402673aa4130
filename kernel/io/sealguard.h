/* SPDX-License-Identifier: MIT */
/*
 * The page-fault hook that enforces sealed buffers' immutability (see
 * sealguard.c). Installed once by kmain after the trap table.
 */
#ifndef KERNEL_IO_SEALGUARD_H
#define KERNEL_IO_SEALGUARD_H

#include <stdint.h>

void sealguard_init(void);

/* Write faults that were a stale read-only TLB entry, retried. */
uint64_t sealguard_stale_write_faults(void);

#endif
