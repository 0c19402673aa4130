# The kernel, one folder per concern (docs/DESIGN.md has the map). lib is
# at the bottom and includes nothing else of the kernel; fs/, net/ and app/
# sit above the kernel and are never included by it (make check-layers).
include kernel/lib/build.mk
include kernel/arch/build.mk
include kernel/core/build.mk
include kernel/mm/build.mk
include kernel/sched/build.mk
include kernel/virtio/build.mk
include kernel/io/build.mk

KERNEL_SRCS += kernel/kmain.c
