// SPDX-License-Identifier: MIT
/*
 * 8259A PIC pair (interface in pic.h). The only thing the kernel does
 * with it is the initialisation sequence ICW1..ICW4 (8259A datasheet,
 * "Initialization command words"), which moves its vectors out of the
 * CPU exception range, followed by masking every line. ICW1 clears the
 * mask register, so this must run with interrupts off.
 */
#include "kernel/arch/pic.h"

#include <stdint.h>

#include "kernel/cpu/cpu.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1

#define ICW1_ICW4 0x01 /* ICW4 follows */
#define ICW1_INIT 0x10 /* start initialisation */
#define ICW4_8086 0x01 /* 8086 mode (vectored, not MCS-80) */
#define PIC_CASCADE_IRQ 2 /* the slave hangs off master IRQ 2 */
#define PIC_MASK_ALL 0xFF

/* POST-code port: writing to it takes one ISA bus cycle, the settle time
 * real 8259As need between initialisation words. */
#define IO_DELAY_PORT 0x80

static void pic_out(uint16_t port, uint8_t v)
{
	outb(port, v);
	outb(IO_DELAY_PORT, 0);
}

void pic_disable(void)
{
	pic_out(PIC1_CMD, ICW1_INIT | ICW1_ICW4);
	pic_out(PIC2_CMD, ICW1_INIT | ICW1_ICW4);
	pic_out(PIC1_DATA, PIC_VECTOR_BASE); /* ICW2: vector base */
	pic_out(PIC2_DATA, PIC_VECTOR_BASE + PIC_IRQS / 2);
	pic_out(PIC1_DATA, 1u << PIC_CASCADE_IRQ); /* ICW3: slave lines */
	pic_out(PIC2_DATA, PIC_CASCADE_IRQ); /* ICW3: slave's identity */
	pic_out(PIC1_DATA, ICW4_8086);
	pic_out(PIC2_DATA, ICW4_8086);
	pic_out(PIC1_DATA, PIC_MASK_ALL); /* OCW1: mask register */
	pic_out(PIC2_DATA, PIC_MASK_ALL);
}
