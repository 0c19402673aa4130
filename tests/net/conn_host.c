// SPDX-License-Identifier: MIT
/*
 * net/conn.c for the host tests of net/, compiled unmodified: included
 * here so the harness can run its deferred-work poller (registered by an
 * init call in the kernel, which the host has no table of), and lwIP's
 * clock over the fake one.
 */
#include "net/conn.c"

#include "tests/fakes/fake_clock.h"
#include "tests/net/fake_nic.h"

int fake_nic_conn_poll(void)
{
	return conn_poll(NULL);
}

u32_t sys_now(void)
{
	return (u32_t)(fake_clock_ns / 1000000);
}

/* LWIP_TIMERS is 0 here: the tests call tcp_tmr() themselves. */
void tcp_timer_needed(void)
{
}
