/* SPDX-License-Identifier: MIT */
/*
 * The legacy 8259A interrupt controller pair. The firmware leaves it
 * delivering the PIT on vector 8, which in long mode is #DF; the kernel
 * uses the LAPIC and IOAPIC instead, so the PIC is moved out of the
 * exception range and silenced.
 */
#ifndef KERNEL_ARCH_PIC_H
#define KERNEL_ARCH_PIC_H

#define PIC_VECTOR_BASE 0x20 /* IRQ 0-7 -> 0x20-0x27, IRQ 8-15 -> 0x28-0x2F */
#define PIC_IRQS 16

/* Reprogram both PICs to PIC_VECTOR_BASE and mask every line. A masked
 * PIC can still raise a spurious IRQ 7 or 15. Call with interrupts off. */
void pic_disable(void);

#endif
