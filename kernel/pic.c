// SPDX-License-Identifier: MIT
/*
 * 8259A remap and mask (interface in kernel/pic.h). The initialisation
 * sequence is ICW1..ICW4 on each chip (Intel 8259A datasheet); port 0x80
 * writes give the chips the settle time older boards need.
 */
#include "kernel/pic.h"

#include "kernel/cpu.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define POST_DELAY_PORT 0x80

#define ICW1_ICW4 0x01 /* ICW4 follows */
#define ICW1_INIT 0x10
#define ICW3_MASTER_SLAVE_ON_IR2 0x04
#define ICW3_SLAVE_ID 0x02
#define ICW4_8086 0x01
#define PIC_MASK_ALL 0xFF

static void pic_out(uint16_t port, uint8_t v)
{
	outb(port, v);
	outb(POST_DELAY_PORT, 0);
}

void pic_disable(void)
{
	pic_out(PIC1_CMD, ICW1_INIT | ICW1_ICW4);
	pic_out(PIC2_CMD, ICW1_INIT | ICW1_ICW4);
	pic_out(PIC1_DATA, PIC_VECTOR_BASE);
	pic_out(PIC2_DATA, PIC_VECTOR_BASE + 8);
	pic_out(PIC1_DATA, ICW3_MASTER_SLAVE_ON_IR2);
	pic_out(PIC2_DATA, ICW3_SLAVE_ID);
	pic_out(PIC1_DATA, ICW4_8086);
	pic_out(PIC2_DATA, ICW4_8086);
	pic_out(PIC1_DATA, PIC_MASK_ALL);
	pic_out(PIC2_DATA, PIC_MASK_ALL);
}
