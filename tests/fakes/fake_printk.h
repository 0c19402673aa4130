/* SPDX-License-Identifier: MIT */
/*
 * Host stand-in for kernel/core/printk.c: messages are formatted with the host
 * libc and kept in a buffer that tests inspect.
 */
#ifndef TESTS_FAKES_FAKE_PRINTK_H
#define TESTS_FAKES_FAKE_PRINTK_H

/* Everything printed since the last reset, one message per line. */
const char *fake_printk_log(void);
void fake_printk_reset(void);

#endif
