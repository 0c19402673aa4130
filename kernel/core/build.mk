# What every layer reports and configures through: console and printk,
# panic with a symbolised backtrace, boot options, init calls.
KERNEL_SRCS += \
	kernel/core/backtrace.c \
	kernel/core/cmdline.c \
	kernel/core/console.c \
	kernel/core/initcall.c \
	kernel/core/ksyms.c \
	kernel/core/panic.c \
	kernel/core/printk.c
