// SPDX-License-Identifier: MIT
/*
 * Unit tests for net/lwip-port/tcp_room.c, the rerun of connections whose
 * output the driver refused (its TX backlog was full), over a fake list
 * of lwIP PCBs and a fake tcp_output that records the order and refuses
 * again when the test says: the most urgent connections rerun first,
 * each urgency in turn from where the last round stopped, and without
 * urgencies (prio=off) every waiting connection in list order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/io/prio.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "net/lwip-port/tcp_room.h"

#define NPCBS 6

struct tcp_pcb *tcp_active_pcbs;
struct stats_ lwip_stats;

static struct tcp_pcb pcbs[NPCBS];
static struct tcp_seg seg; /* something unsent */
static unsigned int urgency[NPCBS];
static int order[NPCBS * 2], norder;
static int refuse_after = NPCBS * 2; /* outputs the "driver" takes */

err_t tcp_output(struct tcp_pcb *pcb)
{
	int i = (int)(pcb - pcbs);

	order[norder++] = i;
	if (norder <= refuse_after)
		pcb->flags &= (tcpflags_t)~TF_NAGLEMEMERR;
	return ERR_OK;
}

static unsigned int urgency_of(void *arg)
{
	return urgency[(int)((struct tcp_pcb *)arg - pcbs)];
}

/* All PCBs established, in one list, each waiting when `waiting` has its
 * bit, with urgencies u[]. */
static void setup_pcbs(unsigned int waiting, const unsigned int *u)
{
	memset(pcbs, 0, sizeof(pcbs));
	for (int i = 0; i < NPCBS; i++) {
		pcbs[i].state = ESTABLISHED;
		pcbs[i].next = i + 1 < NPCBS ? &pcbs[i + 1] : NULL;
		pcbs[i].callback_arg = &pcbs[i];
		if (waiting & (1u << i)) {
			pcbs[i].flags = TF_NAGLEMEMERR;
			pcbs[i].unsent = &seg;
		}
		urgency[i] = u[i];
	}
	tcp_active_pcbs = &pcbs[0];
	norder = 0;
	refuse_after = NPCBS * 2;
	lwip_port_tx_urgency_fn(urgency_of);
}

static void test_most_urgent_rerun_first(void **state)
{
	const unsigned int u[NPCBS] = { 7, 3, 0, 7, 0, 5 };
	struct prio_class_stats before = *prio_class(0);

	(void)state;
	setup_pcbs(0x3f, u);
	assert_int_equal(lwip_port_tx_room(), NPCBS);
	const int want[] = { 2, 4, 1, 5, 0, 3 };
	for (int i = 0; i < NPCBS; i++)
		assert_int_equal(order[i], want[i]);
	/* the two u=0 ones went before less urgent waiting ones */
	assert_int_equal(
		prio_class(0)->tx_rerun_jumped - before.tx_rerun_jumped, 2);
	assert_int_equal(lwip_port_tx_waiting(), 0);
}

static void test_without_urgencies_list_order_in_turn(void **state)
{
	const unsigned int u[NPCBS] = { 0 };

	(void)state;
	setup_pcbs(0x2d, u); /* 0, 2, 3, 5 waiting */
	refuse_after = 2; /* the driver takes two, refuses 3 and 5 */
	assert_int_equal(lwip_port_tx_room(), 4);
	const int want[] = { 0, 2, 3, 5 };
	for (int i = 0; i < 4; i++)
		assert_int_equal(order[i], want[i]);
	assert_int_equal(lwip_port_tx_waiting(), 2);
	/* The next round starts with the first one refused, 3. */
	norder = 0;
	refuse_after = NPCBS * 2;
	assert_int_equal(lwip_port_tx_room(), 2);
	assert_int_equal(order[0], 3);
	assert_int_equal(order[1], 5);
}

static void test_handshake_ranks_first(void **state)
{
	const unsigned int u[NPCBS] = { 0, 4, 4, 4, 4, 4 };

	(void)state;
	setup_pcbs(0x06, u); /* 1 and 2 waiting */
	pcbs[2].state = SYN_RCVD; /* callback arg: still the listener's */
	pcbs[2].callback_arg = NULL;
	assert_int_equal(lwip_port_tx_room(), 2);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_most_urgent_rerun_first),
		cmocka_unit_test(test_without_urgencies_list_order_in_turn),
		cmocka_unit_test(test_handshake_ranks_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
