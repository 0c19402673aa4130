# Storage: page cache, ext2, virtio-blk, the file API.
KERNEL_SRCS += \
	fs/blkq.c \
	fs/blkrun.c \
	fs/cache_policy.c \
	fs/ext2.c \
	fs/file.c \
	fs/fscheck.c \
	fs/fsselftest.c \
	fs/pcache.c \
	fs/virtio_blk.c
