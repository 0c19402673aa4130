/* SPDX-License-Identifier: MIT */
/*
 * A completion: the way a blocking wrapper waits for an asynchronous
 * operation that reports through a `void (*)(void *arg, int err)`
 * callback. Pass completion_signal as the callback and the completion as
 * its argument, then completion_wait() for it: a kernel thread sleeps on
 * the completion (completion_signal wakes it); the main loop, which
 * nobody else would poll the device for, polls it itself until done or
 * a deadline.
 */
#ifndef KERNEL_SCHED_COMPLETION_H
#define KERNEL_SCHED_COMPLETION_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/sched/mainloop.h"

struct completion {
	bool done; /* [m] */
	int err; /* [m] valid once done */
};

/* Callback: record err, mark done, wake threads sleeping on arg. */
void completion_signal(void *arg, int err);

/* Wait for `c`; in main-loop context run poll(poll_arg) until it is done
 * or time_ns() passes deadline_ns. Returns c->err, or -ETIMEDOUT with
 * c->done still false (the operation still owns what it was given). */
int completion_wait(struct completion *c, uint64_t deadline_ns,
		    mainloop_poll_fn poll, void *poll_arg);

#endif
