// SPDX-License-Identifier: MIT
/*
 * Unit tests for app/sendfile.c, the range bookkeeping of sendfile():
 * partial sends against a small send buffer, a range crossing uncached
 * pages (reads that complete later), failures in the middle (at once,
 * from the disk, from the connection), an exhausted pool, and a step
 * made while a read sleeps its thread. The file is served as real pool
 * pages (kernel/io/iobuf.c over tests/fakes/fake_pmm.c), the connection
 * is a byte array plus a count of unacknowledged bytes; every test ends
 * with no page pinned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/sendfile.h"
#include "kernel/io/iobuf.h"
#include "kernel/lib/errno.h"
#include "kernel/param.h"

#define POOL_PAGES 256
#define FILE_PAGES 40
#define FILE_SIZE (FILE_PAGES * PAGE_SIZE + 123)

static char file[FILE_SIZE];
static bool uncached[FILE_PAGES + 1];
static char wire[FILE_SIZE]; /* what the connection was given, by offset */
static uint64_t wire_len, queued;
static int fail_read_at_call; /* 1-based read call that fails; 0: none */
static int read_err, send_err;
static int read_calls;
static uint64_t short_by; /* a read that brings fewer bytes */
static struct sendfile *reenter; /* step this inside the next read */
static enum sendfile_status reentered;
static struct {
	bool pending;
	uint64_t off, len;
	struct ioagg *out;
} disk;

/* Append [off, off + len) of `file` as one-page pool buffers. */
static void fill(struct ioagg *out, uint64_t off, uint64_t len)
{
	while (len) {
		uint32_t n = (uint32_t)(len < PAGE_SIZE ? len : PAGE_SIZE);
		struct iobuf *b = iobuf_alloc(n, NULL, NULL);
		char *va;

		assert_non_null(b);
		va = iobuf_map(b);
		memcpy(va, file + off, n);
		iobuf_unmap(b, va);
		iobuf_seal(b, n);
		assert_int_equal(ioagg_append(out, b, 0, n), 0);
		iobuf_unref(b);
		off += n;
		len -= n;
	}
}

static int fake_read(void *arg, uint64_t off, uint64_t len, struct ioagg *out)
{
	(void)arg;
	read_calls++;
	if (reenter) {
		struct sendfile *sf = reenter;

		reenter = NULL; /* the ACK path, while this read sleeps */
		reentered = sendfile_step(sf);
	}
	if (fail_read_at_call == read_calls)
		return read_err;
	for (uint64_t p = off / PAGE_SIZE; p <= (off + len - 1) / PAGE_SIZE;
	     p++) {
		if (uncached[p]) {
			disk.pending = true;
			disk.off = off;
			disk.len = len;
			disk.out = out;
			return -EINPROGRESS;
		}
	}
	fill(out, off, len - short_by);
	return 0;
}

static int fake_send(void *arg, struct ioagg *agg)
{
	uint64_t n = ioagg_len(agg);

	(void)arg;
	if (send_err) {
		ioagg_release(agg);
		return send_err;
	}
	assert_int_equal(ioagg_copyout(agg, 0, wire + wire_len, n), n);
	ioagg_release(agg);
	wire_len += n;
	queued += n;
	return 0;
}

static uint64_t fake_queued(void *arg)
{
	(void)arg;
	return queued;
}

static const struct sendfile_ops ops = {
	.read = fake_read,
	.send = fake_send,
	.queued = fake_queued,
};

/* The disk finishes the pending read: its pages are cached now. */
static enum sendfile_status disk_done(struct sendfile *sf, int err)
{
	assert_true(disk.pending);
	disk.pending = false;
	if (!err) {
		fill(disk.out, disk.off, disk.len);
		for (uint64_t p = disk.off / PAGE_SIZE;
		     p <= (disk.off + disk.len - 1) / PAGE_SIZE; p++)
			uncached[p] = false;
	}
	return sendfile_read_done(sf, err);
}

static void ack(uint64_t n)
{
	queued -= n < queued ? n : queued;
}

static uint64_t pinned(void)
{
	struct iobuf_stats st;

	iobuf_get_stats(&st);
	return st.pinned_pages;
}

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(file); i++)
		file[i] = (char)(i * 13 + i / PAGE_SIZE);
	memset(uncached, 0, sizeof(uncached));
	memset(wire, 0, sizeof(wire));
	memset(&disk, 0, sizeof(disk));
	wire_len = queued = short_by = 0;
	fail_read_at_call = read_err = send_err = read_calls = 0;
	reenter = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(pinned(), 0); /* nothing leaked */
	return 0;
}

/* Acknowledge everything and step until the range is over. */
static enum sendfile_status drain(struct sendfile *sf)
{
	enum sendfile_status st = sendfile_step(sf);

	for (int i = 0; i < 10000 && st == SENDFILE_WAIT_NET; i++) {
		ack(UINT64_MAX);
		st = sendfile_step(sf);
	}
	return st;
}

static void test_partial_sends(void **state)
{
	struct sendfile sf;
	uint64_t off = 5000, end = 100000;

	(void)state;
	sendfile_init(&sf, &ops, NULL, off, end, 16384, 4096);
	/* The send buffer takes 16 KiB: one read, then wait. */
	assert_int_equal(sendfile_step(&sf), SENDFILE_WAIT_NET);
	assert_int_equal(wire_len, 16384);
	assert_int_equal(sf.off, off + 16384);
	assert_int_equal(read_calls, 1);
	/* 3 KiB of room is below the batch: no read. */
	ack(3072);
	assert_int_equal(sendfile_step(&sf), SENDFILE_WAIT_NET);
	assert_int_equal(read_calls, 1);
	/* 4 KiB is a batch: exactly the room is read. */
	ack(1024);
	assert_int_equal(sendfile_step(&sf), SENDFILE_WAIT_NET);
	assert_int_equal(read_calls, 2);
	assert_int_equal(wire_len, 16384 + 4096);
	assert_int_equal(queued, 16384);
	/* The rest; the last read may be shorter than a batch. */
	assert_int_equal(drain(&sf), SENDFILE_DONE);
	assert_int_equal(sf.off, end);
	assert_int_equal(wire_len, end - off);
	assert_memory_equal(wire, file + off, end - off);
	assert_int_equal(sf.reads, sf.sends);
	/* Done stays done, and reads nothing more. */
	assert_int_equal(sendfile_step(&sf), SENDFILE_DONE);
	assert_int_equal(sf.reads, sf.sends);
}

static void test_empty_range_is_done(void **state)
{
	struct sendfile sf;

	(void)state;
	sendfile_init(&sf, &ops, NULL, 700, 700, 16384, 4096);
	assert_int_equal(sendfile_step(&sf), SENDFILE_DONE);
	assert_int_equal(read_calls, 0);
}

static void test_range_crossing_uncached_pages(void **state)
{
	struct sendfile sf;
	enum sendfile_status st;
	int waits = 0;

	(void)state;
	for (int p = 3; p < 6; p++)
		uncached[p] = true;
	uncached[FILE_PAGES] = true; /* the partial last page too */
	sendfile_init(&sf, &ops, NULL, 100, FILE_SIZE, 8 * PAGE_SIZE,
		      PAGE_SIZE);
	st = sendfile_step(&sf);
	while (st != SENDFILE_DONE) {
		if (st == SENDFILE_WAIT_DISK) {
			/* Steps meanwhile (ACKs) neither read nor send. */
			int calls = read_calls;

			ack(UINT64_MAX);
			assert_int_equal(sendfile_step(&sf),
					 SENDFILE_WAIT_DISK);
			assert_int_equal(read_calls, calls);
			waits++;
			st = disk_done(&sf, 0);
		} else {
			assert_int_equal(st, SENDFILE_WAIT_NET);
			ack(UINT64_MAX);
			st = sendfile_step(&sf);
		}
	}
	assert_int_equal(waits, 2);
	assert_int_equal(wire_len, FILE_SIZE - 100);
	assert_memory_equal(wire, file + 100, FILE_SIZE - 100);
}

static void test_read_fails_in_the_middle(void **state)
{
	struct sendfile sf;

	(void)state;
	fail_read_at_call = 3;
	read_err = -EIO;
	sendfile_init(&sf, &ops, NULL, 0, FILE_SIZE, 4 * PAGE_SIZE, PAGE_SIZE);
	assert_int_equal(drain(&sf), SENDFILE_FAILED);
	assert_int_equal(sf.err, -EIO);
	/* What went out before the failure is exact, nothing after it. */
	assert_int_equal(wire_len, 8 * PAGE_SIZE);
	assert_memory_equal(wire, file, wire_len);
	ack(UINT64_MAX);
	assert_int_equal(sendfile_step(&sf), SENDFILE_FAILED);
	assert_int_equal(read_calls, 3);
}

static void test_disk_fails_in_the_middle(void **state)
{
	struct sendfile sf;

	(void)state;
	uncached[9] = true;
	sendfile_init(&sf, &ops, NULL, 0, FILE_SIZE, 4 * PAGE_SIZE, PAGE_SIZE);
	assert_int_equal(drain(&sf), SENDFILE_WAIT_DISK);
	assert_int_equal(wire_len, 8 * PAGE_SIZE);
	/* Half the pages of the read were in already: dropped, not sent. */
	fill(disk.out, disk.off, PAGE_SIZE);
	assert_int_equal(disk_done(&sf, -EIO), SENDFILE_FAILED);
	assert_int_equal(sf.err, -EIO);
	assert_int_equal(wire_len, 8 * PAGE_SIZE);
	assert_int_equal(ioagg_len(&sf.agg), 0);
}

static void test_connection_fails_in_the_middle(void **state)
{
	struct sendfile sf;

	(void)state;
	sendfile_init(&sf, &ops, NULL, 0, FILE_SIZE, 4 * PAGE_SIZE, PAGE_SIZE);
	assert_int_equal(sendfile_step(&sf), SENDFILE_WAIT_NET);
	send_err = -ENOTCONN;
	ack(UINT64_MAX);
	assert_int_equal(sendfile_step(&sf), SENDFILE_FAILED);
	assert_int_equal(sf.err, -ENOTCONN);
	assert_int_equal(sf.off, 4 * PAGE_SIZE);
}

static void test_short_read_is_an_error(void **state)
{
	struct sendfile sf;

	(void)state;
	short_by = 10;
	sendfile_init(&sf, &ops, NULL, 0, FILE_SIZE, 4 * PAGE_SIZE, PAGE_SIZE);
	assert_int_equal(sendfile_step(&sf), SENDFILE_FAILED);
	assert_int_equal(sf.err, -EIO);
	assert_int_equal(wire_len, 0);
}

static void test_exhausted_pool_waits_and_resumes(void **state)
{
	struct sendfile sf;

	(void)state;
	fail_read_at_call = 2;
	read_err = -ENOMEM;
	sendfile_init(&sf, &ops, NULL, 0, 3 * PAGE_SIZE, 2 * PAGE_SIZE,
		      PAGE_SIZE);
	assert_int_equal(sendfile_step(&sf), SENDFILE_WAIT_NET);
	ack(UINT64_MAX);
	assert_int_equal(sendfile_step(&sf), SENDFILE_WAIT_MEM);
	assert_int_equal(sf.off, 2 * PAGE_SIZE); /* nothing lost */
	/* A read the disk gives up for memory: also a wait, pages dropped. */
	uncached[2] = true;
	assert_int_equal(sendfile_step(&sf), SENDFILE_WAIT_DISK);
	fill(disk.out, disk.off, 100);
	disk.pending = false;
	assert_int_equal(sendfile_read_done(&sf, -ENOMEM), SENDFILE_WAIT_MEM);
	assert_int_equal(ioagg_len(&sf.agg), 0);
	uncached[2] = false;
	assert_int_equal(sendfile_step(&sf), SENDFILE_DONE);
	assert_int_equal(wire_len, 3 * PAGE_SIZE);
	assert_memory_equal(wire, file, wire_len);
}

/* A read that sleeps its thread (metadata) lets the ACK path step: that
 * step must not start the same read again into the same aggregate. */
static void test_step_during_a_sleeping_read(void **state)
{
	struct sendfile sf;

	(void)state;
	sendfile_init(&sf, &ops, NULL, 0, FILE_SIZE, 4 * PAGE_SIZE, PAGE_SIZE);
	reenter = &sf;
	assert_int_equal(sendfile_step(&sf), SENDFILE_WAIT_NET);
	assert_int_equal(reentered, SENDFILE_WAIT_DISK);
	assert_int_equal(read_calls, 1);
	assert_int_equal(wire_len, 4 * PAGE_SIZE);
	assert_memory_equal(wire, file, wire_len);
	assert_int_equal(drain(&sf), SENDFILE_DONE);
	assert_memory_equal(wire, file, FILE_SIZE);
}

static void test_cancel_drops_what_was_read(void **state)
{
	struct sendfile sf;

	(void)state;
	uncached[0] = true;
	sendfile_init(&sf, &ops, NULL, 0, FILE_SIZE, 4 * PAGE_SIZE, PAGE_SIZE);
	assert_int_equal(sendfile_step(&sf), SENDFILE_WAIT_DISK);
	fill(disk.out, disk.off, disk.len); /* the disk is done ... */
	disk.pending = false;
	sendfile_cancel(&sf, -ECONNRESET); /* ... but the peer went */
	assert_int_equal(sf.err, -ECONNRESET);
	assert_int_equal(sendfile_step(&sf), SENDFILE_FAILED);
	assert_int_equal(wire_len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_partial_sends, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_empty_range_is_done, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_range_crossing_uncached_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_fails_in_the_middle,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_fails_in_the_middle,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_connection_fails_in_the_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_read_is_an_error,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_exhausted_pool_waits_and_resumes, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_step_during_a_sleeping_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_drops_what_was_read,
						setup, teardown),
	};

	if (iobuf_pool_init(POOL_PAGES))
		return 1;
	return cmocka_run_group_tests_name("sendfile", tests, NULL, NULL);
}
