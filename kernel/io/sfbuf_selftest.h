/* SPDX-License-Identifier: MIT */
/*
 * Boot stress test of the mapping cache's shootdowns across CPUs
 * (sfbufselftest=on|stale; see sfbuf_selftest.c).
 */
#ifndef KERNEL_IO_SFBUF_SELFTEST_H
#define KERNEL_IO_SFBUF_SELFTEST_H

/* Run it if the command line asked; after smp_boot_aps(). */
void sfbuf_selftest(void);

#endif
