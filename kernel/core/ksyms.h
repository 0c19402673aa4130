/* SPDX-License-Identifier: MIT */
/*
 * The kernel's own symbol table, for naming backtrace frames. The build
 * links the image once, extracts the text symbols with nm
 * (tools/gen-ksyms.sh) and links again with the table in .ksyms.
 */
#ifndef KERNEL_CORE_KSYMS_H
#define KERNEL_CORE_KSYMS_H

#include <stdint.h>

/* Name of the function containing `addr` and the offset into it, or NULL
 * when the address is outside the kernel's text. */
const char *ksyms_lookup(uint64_t addr, uint64_t *offset);

#endif
