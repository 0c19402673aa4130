# Storage: page cache, ext2, virtio-blk.
KERNEL_SRCS += \
	fs/pcache.c
