# What every layer reports and configures through: console, printk,
# panic with a symbolised backtrace and the QEMU exit port, boot options,
# init calls.
KERNEL_SRCS += \
	kernel/core/backtrace.c \
	kernel/core/cmdline.c \
	kernel/core/console.c \
	kernel/core/initcall.c \
	kernel/core/ksyms.c \
	kernel/core/lockcheck.c \
	kernel/core/panic.c \
	kernel/core/printk.c \
	kernel/core/qemu_exit.c \
	kernel/core/spinlock.c
