# PCI enumeration and MSI-X, the virtio 1.x PCI transport, split
# virtqueues.
KERNEL_SRCS += \
	kernel/virtio/pci.c \
	kernel/virtio/virtio_pci.c \
	kernel/virtio/virtq.c
