// SPDX-License-Identifier: MIT
#include "tests/net/test_listener.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/io/iobuf.h"
#include "lwip/priv/tcp_priv.h"
#include "tests/fakes/fake_clock.h"

struct test_listener test_listener;

static void *on_accept(void *lctx, struct conn *c)
{
	(void)lctx;
	test_listener.accepted = c;
	return c;
}

static size_t on_recv(void *ctx, const void *data, size_t len)
{
	size_t keep = test_listener.received < TEST_LISTENER_KEEP ?
			      TEST_LISTENER_KEEP - test_listener.received :
			      0;

	(void)ctx;
	memcpy(test_listener.data + test_listener.received, data,
	       len < keep ? len : keep);
	test_listener.received += len;
	return len;
}

static void on_eof(void *ctx)
{
	conn_close(ctx);
}

static void on_writable(void *ctx)
{
	(void)ctx;
	test_listener.writable_calls++;
}

static void on_closed(void *ctx, int err)
{
	(void)ctx;
	(void)err;
	test_listener.closed_calls++;
}

const struct conn_callbacks test_listener_cbs = {
	.accept = on_accept,
	.recv = on_recv,
	.eof = on_eof,
	.writable = on_writable,
	.closed = on_closed,
};

void test_listener_send(struct iobuf *b, uint32_t len)
{
	struct ioagg agg;

	ioagg_init(&agg);
	assert_int_equal(ioagg_append(&agg, b, 0, len), 0);
	iobuf_unref(b);
	assert_int_equal(conn_send(test_listener.accepted, &agg), 0);
}

void test_run_tcp_timers(int slow_ticks)
{
	for (int i = 0; i < 2 * slow_ticks; i++) {
		fake_clock_ns += TCP_TMR_INTERVAL * 1000000ull;
		tcp_tmr();
	}
}
