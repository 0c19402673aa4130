// SPDX-License-Identifier: MIT
/* completion_signal (interface in completion.h). */
#include "kernel/completion.h"

#include "kernel/thread.h"

void completion_signal(void *arg, int err)
{
	struct completion *c = arg;

	c->err = err;
	c->done = true;
	thread_wakeup(c);
}
