// SPDX-License-Identifier: MIT
/*
 * 16550 UART driver for COM1 (PC16550D datasheet; QEMU's serial device).
 * Output only and polled: the kernel logs rarely and must be able to log
 * from the panic path with interrupts off. Every wait on the transmitter
 * is bounded, so a missing UART costs time, never a hang.
 */
#include "kernel/core/console.h"

#include <stdbool.h>
#include <stdint.h>

#include "kernel/cpu/cpu.h"

#define COM1 0x3F8
#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_DLL 0 /* divisor low (DLAB=1) */
#define UART_IER 1
#define UART_DLM 1 /* divisor high (DLAB=1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS_OUT2 0x0B
#define LSR_THRE 0x20
#define UART_DIVISOR_115200 1
#define UART_TX_SPIN_MAX 100000

static bool uart_present;

void console_init(void)
{
	/* Scratch register round trip: is there a UART at all? */
	outb(COM1 + UART_SCR, 0x5A);
	if (inb(COM1 + UART_SCR) != 0x5A)
		return;
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, UART_DIVISOR_115200);
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
	outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
	uart_present = true;
}

static void uart_putc(char c)
{
	for (int i = 0; i < UART_TX_SPIN_MAX; i++) {
		if (inb(COM1 + UART_LSR) & LSR_THRE)
			break;
		cpu_relax();
	}
	outb(COM1 + UART_THR, (uint8_t)c);
}

void console_write(const char *s, size_t n)
{
	if (!uart_present)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}
