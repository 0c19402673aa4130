# The kernel, one folder (room) per concern, listed bottom to top: a room
# includes only rooms below it (tools/check-layers.py, run by make check).
# lib is at the bottom; param.h (tunables) is visible to every room above
# lib; kmain.c, at the top, wires them together. fs/, net/ and app/ sit
# above the kernel and are never included by it.
include kernel/lib/build.mk
include kernel/cpu/build.mk
include kernel/core/build.mk
include kernel/mm/build.mk
include kernel/arch/build.mk
include kernel/sched/build.mk
include kernel/virtio/build.mk
include kernel/io/build.mk

KERNEL_SRCS += kernel/kmain.c
