KERNEL_SRCS += \
	fs/ext2.c
