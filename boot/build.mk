KERNEL_SRCS += boot/entry.S
