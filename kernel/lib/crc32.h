/* SPDX-License-Identifier: MIT */
/*
 * CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), the checksum of
 * zlib's crc32() and Python's zlib.crc32, so kernel output can be checked
 * on the host. Incremental: start with crc32_update(0, ...).
 */
#ifndef KERNEL_LIB_CRC32_H
#define KERNEL_LIB_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

#endif
