// SPDX-License-Identifier: MIT
/*
 * Host panic(): reported to cmocka as a failed assertion, so a test can
 * expect one with expect_assert_failure() and any other panic fails the
 * test that triggered it. The message is kept for inspection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "kernel/core/panic.h"
#include "tests/fakes/fake_panic.h"

static char last_panic[256];

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_panic, sizeof(last_panic), fmt, ap);
	va_end(ap);
	mock_assert(0, last_panic, __FILE__, __LINE__);
	abort(); /* mock_assert longjmps; never reached */
}

const char *fake_panic_message(void)
{
	return last_panic;
}
