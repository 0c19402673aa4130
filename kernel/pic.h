/* SPDX-License-Identifier: MIT */
/*
 * The legacy 8259A interrupt controller pair. We route every interrupt
 * through the IOAPIC and LAPIC, so the PICs are only reprogrammed out of
 * the way: their vectors moved to 0x20-0x2F (off the exception range, in
 * case one fires anyway) and all their lines masked.
 */
#ifndef KERNEL_PIC_H
#define KERNEL_PIC_H

#define PIC_VECTOR_BASE 0x20 /* master 0x20-0x27, slave 0x28-0x2F */

/* Remap both PICs to PIC_VECTOR_BASE and mask all sixteen lines. */
void pic_disable(void);

#endif
