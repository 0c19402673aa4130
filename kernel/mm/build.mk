# Memory: the multiboot memory map, the frame allocator, page tables,
# the kernel heap.
KERNEL_SRCS += \
	kernel/mm/heap.c \
	kernel/mm/memmap.c \
	kernel/mm/memplan.c \
	kernel/mm/paging.c \
	kernel/mm/pmm.c
