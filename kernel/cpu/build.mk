# What the CPU gives, as inline helpers: port and MSR access, barriers,
# MMIO accessors, the context switch. No logging, no state.
KERNEL_SRCS += \
	kernel/cpu/switch.S
