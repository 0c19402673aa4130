// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/sched/laio.c on the real kernel/sched/thread.c and its stack
 * switch, run on the host: the fast path (no thread made ready, nothing
 * notified, the spare stack reused), the slow path (a continuation whose
 * done() comes from laio_poll), completion in finishing order, the pool
 * exhausted (calls wait for a stack by rank, nothing runs blocking), laio=off and
 * calls from a thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/errno.h"
#include "kernel/param.h"
#include "kernel/sched/laio.h"
#include "kernel/sched/thread.h"

/* --- a fake device: an operation blocks until the test completes it --- */
struct fake_io {
	bool ready; /* the "disk" has answered */
	int result;
	int runs; /* times the operation body started */
	bool ran_in_thread;
};

static int blocking_op(void *arg)
{
	struct fake_io *io = arg;

	io->runs++;
	io->ran_in_thread = thread_current() != NULL;
	while (!io->ready)
		thread_sleep(io);
	return io->result;
}

static void complete(struct fake_io *io)
{
	io->ready = true;
	thread_wakeup(io);
	thread_run_ready(); /* the continuation finishes */
}

static int done_order[LAIO_WORKERS_MAX + 8];
static int done_result[LAIO_WORKERS_MAX + 8];
static int ndone;

static void on_done(void *arg, int result)
{
	done_order[ndone] = (int)(intptr_t)arg;
	done_result[ndone] = result;
	ndone++;
}

static struct laio_stats st(void)
{
	struct laio_stats s;

	laio_get_stats(&s);
	return s;
}

static int setup(void **state)
{
	(void)state;
	laio_set_enabled(true);
	ndone = 0;
	return 0;
}

static void test_fast_path(void **state)
{
	struct fake_io io = { .ready = true, .result = 42 };
	struct laio_stats before = st(), after;
	struct thread_stats t0, t1;

	(void)state;
	thread_get_stats(&t0);
	assert_int_equal(laio_call(blocking_op, &io, on_done, (void *)1), 42);
	assert_true(io.ran_in_thread); /* on the spare stack */
	io.result = 7;
	assert_int_equal(laio_call(blocking_op, &io, on_done, (void *)2), 7);
	thread_get_stats(&t1);
	after = st();
	assert_int_equal(after.fast - before.fast, 2);
	assert_int_equal(after.blocked, before.blocked);
	/* Two stack switches each; nothing was made ready. */
	assert_int_equal(t1.switches - t0.switches, 4);
	assert_int_equal(t1.wakeups, t0.wakeups);
	assert_false(thread_any_ready());
	assert_int_equal(laio_poll(NULL), 0);
	assert_int_equal(ndone, 0);
	/* The same spare stack served both. */
	assert_true(after.workers <= before.workers + 1);
}

static void test_slow_path(void **state)
{
	struct fake_io io = { .result = -EIO };
	struct laio_stats before = st(), after;

	(void)state;
	assert_int_equal(laio_call(blocking_op, &io, on_done, (void *)5),
			 -EINPROGRESS);
	assert_int_equal(st().live, before.live + 1);
	assert_int_equal(laio_poll(NULL), 0); /* not finished yet */
	complete(&io);
	assert_int_equal(ndone, 0); /* done() only from laio_poll */
	assert_int_equal(laio_poll(NULL), 1);
	assert_int_equal(ndone, 1);
	assert_int_equal(done_order[0], 5);
	assert_int_equal(done_result[0], -EIO);
	assert_int_equal(io.runs, 1);
	after = st();
	assert_int_equal(after.blocked - before.blocked, 1);
	assert_int_equal(after.completed - before.completed, 1);
	assert_int_equal(after.live, before.live);
	assert_true(after.live_max >= 1);
}

/* done() calls come in the order the operations finished. */
static void test_completion_order(void **state)
{
	struct fake_io io[3] = { { .result = 10 },
				 { .result = 11 },
				 { .result = 12 } };

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(laio_call(blocking_op, &io[i], on_done,
					   (void *)(intptr_t)i),
				 -EINPROGRESS);
	complete(&io[2]);
	complete(&io[0]);
	complete(&io[1]);
	assert_int_equal(laio_poll(NULL), 3);
	assert_int_equal(done_order[0], 2);
	assert_int_equal(done_order[1], 0);
	assert_int_equal(done_order[2], 1);
	assert_int_equal(done_result[0], 12);
	assert_int_equal(done_result[2], 11);
}

/* Every spare stack busy: the next operations wait for one instead of
 * running on the caller's stack (which is the main loop, so it would
 * stop), the most urgent (lowest rank) first, FIFO within a rank; every
 * call completes exactly once, through done(). */
static void test_pool_exhaustion_waits_by_rank(void **state)
{
	static struct fake_io io[LAIO_WORKERS_MAX];
	struct fake_io late = { .ready = true, .result = 70 };
	struct fake_io urgent = { .result = 50 };
	struct fake_io urgent2 = { .ready = true, .result = 51 };
	struct laio_stats before = st();
	int base;

	(void)state;
	memset(io, 0, sizeof(io));
	for (int i = 0; i < LAIO_WORKERS_MAX; i++) {
		io[i].result = i;
		assert_int_equal(laio_call(blocking_op, &io[i], on_done,
					   (void *)(intptr_t)i),
				 -EINPROGRESS);
	}
	assert_int_equal(st().workers, LAIO_WORKERS_MAX);
	assert_int_equal(laio_call_ranked(blocking_op, &late, on_done,
					  (void *)-7, 7),
			 -EINPROGRESS);
	assert_int_equal(laio_call_ranked(blocking_op, &urgent, on_done,
					  (void *)-1, 0),
			 -EINPROGRESS);
	assert_int_equal(laio_call_ranked(blocking_op, &urgent2, on_done,
					  (void *)-2, 0),
			 -EINPROGRESS);
	/* Nothing ran on the caller's stack. */
	assert_int_equal(late.runs + urgent.runs + urgent2.runs, 0);
	assert_int_equal(st().fallbacks - before.fallbacks, 0);
	assert_int_equal(st().queued - before.queued, 3);
	assert_int_equal(st().queue_jumped - before.queue_jumped, 2);
	assert_int_equal(st().waiting, 3);

	/* One worker frees: the first urgent call takes it (and blocks). */
	complete(&io[0]);
	assert_int_equal(laio_poll(NULL), 2);
	assert_int_equal(done_order[0], 0);
	assert_int_equal(urgent.runs, 1);
	assert_true(urgent.ran_in_thread);
	assert_int_equal(late.runs + urgent2.runs, 0);
	/* The next: the second urgent one, which finishes at once; its
	 * done() still comes. The stack it frees is one of the pool's
	 * reserved eighth, which the u=7 call may not take. */
	complete(&io[1]);
	assert_int_equal(laio_poll(NULL), 2);
	assert_int_equal(done_order[1], 1);
	assert_int_equal(done_order[2], -2);
	assert_int_equal(done_result[2], 51);
	assert_int_equal(late.runs, 0);
	assert_int_equal(st().waiting, 1);

	complete(&urgent);
	for (int i = LAIO_WORKERS_MAX - 1; i >= 2; i--)
		complete(&io[i]);
	base = ndone;
	/* 62 + the urgent continuation, then the u=7 call (at once). */
	assert_int_equal(laio_poll(NULL), LAIO_WORKERS_MAX);
	assert_int_equal(done_order[base], -1);
	assert_int_equal(done_result[base], 50);
	assert_int_equal(done_order[ndone - 1], -7);
	assert_int_equal(done_result[ndone - 1], 70);
	for (int i = 0; i < LAIO_WORKERS_MAX; i++)
		assert_int_equal(io[i].runs, 1);
	assert_int_equal(st().live, 0);
	assert_int_equal(st().waiting, 0);
	assert_int_equal(st().busy, 0);
	/* The stacks are idle again: the next call takes one at once. */
	late.ran_in_thread = false;
	assert_int_equal(laio_call(blocking_op, &late, on_done, NULL), 70);
	assert_true(late.ran_in_thread);
}

/* Calls of a rank above LAIO_RANK_RESERVED leave the last eighth of the
 * stacks to lower ranks: a less urgent call waits although stacks could
 * still be made, and an urgent one then runs at once. */
static void test_reserve_kept_for_urgent_calls(void **state)
{
	enum { OPEN = LAIO_WORKERS_MAX - LAIO_WORKERS_MAX / 8 };
	static struct fake_io io[OPEN + 1];
	struct fake_io urgent = { .ready = true, .result = 5 };
	struct laio_stats before = st();
	int base = ndone;

	(void)state;
	memset(io, 0, sizeof(io));
	for (int i = 0; i <= OPEN; i++)
		assert_int_equal(laio_call_ranked(blocking_op, &io[i], on_done,
						  (void *)(intptr_t)i, 7),
				 -EINPROGRESS);
	assert_int_equal(io[OPEN].runs, 0); /* waits: only reserve is left */
	assert_int_equal(st().busy, OPEN);
	assert_int_equal(st().waiting, 1);
	assert_int_equal(laio_call_ranked(blocking_op, &urgent, on_done,
					  (void *)-1, LAIO_RANK_RESERVED),
			 5);
	assert_true(urgent.ran_in_thread);
	assert_int_equal(st().reserve_used - before.reserve_used, 1);
	/* One u=7 call ends: its stack goes to the waiting u=7 call. */
	complete(&io[0]);
	assert_int_equal(laio_poll(NULL), 2);
	assert_int_equal(io[OPEN].runs, 1);
	for (int i = 1; i <= OPEN; i++)
		complete(&io[i]);
	assert_int_equal(laio_poll(NULL), OPEN);
	assert_int_equal(ndone - base, OPEN + 1);
	assert_int_equal(st().busy, 0);
}

static void test_off_and_from_threads_call_directly(void **state)
{
	struct fake_io io = { .ready = true, .result = 3 };
	uint64_t direct = st().direct;

	(void)state;
	laio_set_enabled(false);
	assert_int_equal(laio_call(blocking_op, &io, on_done, NULL), 3);
	assert_false(io.ran_in_thread);
	laio_set_enabled(true);
	assert_int_equal(st().direct - direct, 1);
}

static int nested_result;

static void caller_thread(void *arg)
{
	struct fake_io *io = arg;

	/* A thread may block itself: LAIO just calls the operation. */
	nested_result = laio_call(blocking_op, io, on_done, NULL);
}

static void test_call_from_thread_blocks_the_thread(void **state)
{
	struct fake_io io = { .result = 8 };
	uint64_t direct = st().direct;

	(void)state;
	assert_non_null(thread_create(caller_thread, &io, "caller"));
	thread_run_ready(); /* runs until it sleeps in blocking_op */
	assert_int_equal(st().direct - direct, 1);
	complete(&io);
	assert_int_equal(nested_result, 8);
	assert_int_equal(laio_poll(NULL), 0);
	thread_run_ready(); /* reap */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fast_path, setup),
		cmocka_unit_test_setup(test_slow_path, setup),
		cmocka_unit_test_setup(test_completion_order, setup),
		cmocka_unit_test_setup(test_pool_exhaustion_waits_by_rank,
				       setup),
		cmocka_unit_test_setup(test_reserve_kept_for_urgent_calls,
				       setup),
		cmocka_unit_test_setup(test_off_and_from_threads_call_directly,
				       setup),
		cmocka_unit_test_setup(test_call_from_thread_blocks_the_thread,
				       setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
