// SPDX-License-Identifier: MIT
#include "tests/net/test_listener.h"

#include <string.h>

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
