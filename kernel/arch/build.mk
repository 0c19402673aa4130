# The x86_64 PC around the CPU: GDT/TSS, IDT and traps, LAPIC, IOAPIC,
# legacy PIC, ACPI tables, the TSC clock (calibrated on the PIT), the CMOS
# clock.
KERNEL_SRCS += \
	kernel/arch/acpi.c \
	kernel/arch/gdt.c \
	kernel/arch/ioapic.c \
	kernel/arch/lapic.c \
	kernel/arch/pic.c \
	kernel/arch/rtc.c \
	kernel/arch/smp.c \
	kernel/arch/smp_selftest.c \
	kernel/arch/smp_trampoline.S \
	kernel/arch/time.c \
	kernel/arch/trap.c \
	kernel/arch/trap_entry.S \
	kernel/arch/trap_selftest.c
