/* SPDX-License-Identifier: MIT */
/*
 * A completion: the way a blocking wrapper waits for an asynchronous
 * operation that reports through a `void (*)(void *arg, int err)`
 * callback. Pass completion_signal as the callback and the completion as
 * its argument; then poll `done` (main loop) or thread_sleep() on the
 * completion (kernel thread): completion_signal wakes sleepers.
 */
#ifndef KERNEL_SCHED_COMPLETION_H
#define KERNEL_SCHED_COMPLETION_H

#include <stdbool.h>

struct completion {
	bool done; /* [m] */
	int err; /* [m] valid once done */
};

/* Callback: record err, mark done, wake threads sleeping on arg. */
void completion_signal(void *arg, int err);

#endif
