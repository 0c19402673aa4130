/* SPDX-License-Identifier: MIT */
/*
 * Boot-time end-to-end check of the virtio PCI transport and the split
 * ring against a real device, enabled with `virtio_selftest=on`: every
 * virtio-blk function reads sector 0 through a virtqueue (polled) and
 * logs the first bytes. Temporary: fs/virtio_blk.c replaces it.
 */
#ifndef KERNEL_VIRTIO_SELFTEST_H
#define KERNEL_VIRTIO_SELFTEST_H

/* Run the check if enabled; returns the number of devices that passed. */
int vpci_selftest(void);

#endif
