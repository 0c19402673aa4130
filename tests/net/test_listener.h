/* SPDX-License-Identifier: MIT */
/*
 * The listener the host tests of net/ serve with: it keeps the last
 * connection accepted, takes every received byte, closes on EOF and
 * counts writable() and closed() calls, keeps the first bytes it got, so a test drives conn_send
 * itself and watches what the connection layer reports.
 */
#ifndef TESTS_NET_TEST_LISTENER_H
#define TESTS_NET_TEST_LISTENER_H

#include "net/conn.h"

#define TEST_LISTENER_KEEP 65536 /* received bytes kept, the first ones */

struct test_listener {
	struct conn *accepted;
	int writable_calls, closed_calls;
	size_t received; /* bytes, all of them */
	unsigned char data[TEST_LISTENER_KEEP]; /* the first ones */
};

extern struct test_listener test_listener;
extern const struct conn_callbacks test_listener_cbs;

struct iobuf;

/* Queue bytes [0, len) of b on test_listener.accepted (the caller's
 * reference is handed over: only the connection holds b afterwards). */
void test_listener_send(struct iobuf *b, uint32_t len);

/* lwIP's TCP timers for `slow_ticks` slow ticks of the fake clock. */
void test_run_tcp_timers(int slow_ticks);

#endif
