// SPDX-License-Identifier: MIT
/* completion_signal (interface in completion.h). */
#include "kernel/sched/completion.h"

#include "kernel/sched/thread.h"

void completion_signal(void *arg, int err)
{
	struct completion *c = arg;

	c->err = err;
	c->done = true;
	thread_wakeup(c);
}
