# Storage: page cache, ext2, virtio-blk.
KERNEL_SRCS += \
	fs/ext2.c \
	fs/pcache.c
