KERNEL_SRCS += \
	kernel/backtrace.c \
	kernel/cmdline.c \
	kernel/console.c \
	kernel/kmain.c \
	kernel/heap.c \
	kernel/iobuf.c \
	kernel/ksyms.c \
	kernel/lib/bitmap.c \
	kernel/lib/string.c \
	kernel/lib/errname.c \
	kernel/lib/vsnprintf.c \
	kernel/memmap.c \
	kernel/paging.c \
	kernel/panic.c \
	kernel/pmm.c \
	kernel/printk.c \
	kernel/qemu_exit.c
