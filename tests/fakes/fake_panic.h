/* SPDX-License-Identifier: MIT */
/* Host stand-in for panic(): see fake_panic.c. */
#ifndef TESTS_FAKES_FAKE_PANIC_H
#define TESTS_FAKES_FAKE_PANIC_H

/* The message of the last panic. */
const char *fake_panic_message(void);

#endif
