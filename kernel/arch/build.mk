# x86_64 and PC platform: GDT/TSS, IDT and traps, context switch, LAPIC,
# IOAPIC, legacy PIC, ACPI tables, CMOS clock, QEMU exit port.
KERNEL_SRCS += \
	kernel/arch/acpi.c \
	kernel/arch/gdt.c \
	kernel/arch/ioapic.c \
	kernel/arch/lapic.c \
	kernel/arch/pic.c \
	kernel/arch/qemu_exit.c \
	kernel/arch/rtc.c \
	kernel/arch/switch.S \
	kernel/arch/trap.c \
	kernel/arch/trap_entry.S \
	kernel/arch/trap_selftest.c
