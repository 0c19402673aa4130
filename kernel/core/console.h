/* SPDX-License-Identifier: MIT */
/*
 * The serial console: a 16550 UART on COM1, 115200 8N1, polled. It is the
 * only output device; printk and the panic path write through it.
 */
#ifndef KERNEL_CORE_CONSOLE_H
#define KERNEL_CORE_CONSOLE_H

#include <stddef.h>

void console_init(void);
void console_write(const char *s, size_t n);

#endif
