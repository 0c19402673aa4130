// SPDX-License-Identifier: MIT
/*
 * Host kernel/thread.h for modules that can run threads but are tested
 * without them (app/server.c's model=threads is covered by integration
 * tests): creating one fails cleanly, so nothing ever sleeps.
 */
#include <stdlib.h>

#include "kernel/thread.h"

struct thread *thread_create(thread_fn fn, void *arg, const char *name)
{
	(void)fn;
	(void)arg;
	(void)name;
	return NULL;
}

void thread_sleep(const void *chan)
{
	(void)chan;
	abort(); /* no thread was ever created */
}

int thread_wakeup(const void *chan)
{
	(void)chan;
	return 0;
}
