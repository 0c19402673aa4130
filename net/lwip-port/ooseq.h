/* SPDX-License-Identifier: MIT */
/*
 * Receive-side isolation: out-of-order TCP data's share of the RX pages.
 * Every queued segment pins a whole RX page however small it is, so a few
 * dozen peers sending 1-byte segments past a sequence gap could hold every
 * RX page (lwIP keeps TCP_OOSEQ_MAX_PBUFS per connection) and starve all
 * other clients until their idle timeout. All connections' out-of-order
 * queues together get a budget of pages; each one may hold its fair share
 * of it (lwIP's TCP_OOSEQ_PBUFS_LIMIT(pcb) hook, lwipopts.h), and when the
 * queues still add up to more (a share shrinks as holders arrive), the
 * holders above the share lose the excess (heaviest first). The peer
 * retransmits what was dropped, as after any loss. Main loop only ([m]).
 */
#ifndef NET_LWIP_PORT_OOSEQ_H
#define NET_LWIP_PORT_OOSEQ_H

#include <stdint.h>

struct ooseq_stats {
	uint64_t budget; /* pages all out-of-order queues may hold */
	uint64_t pages, holders; /* now (counted when asked) */
	uint64_t over_share; /* pages dropped on arrival: beyond the share */
	uint64_t trimmed; /* pages dropped from the heaviest holders */
};

/* Set the budget (the memory plan's RX pages not kept posted, halved:
 * the other half is for data held in order for paused readers). */
void ooseq_set_budget(uint32_t pages);

/* After lwIP's input (net_poll): if the queues grew since the last call
 * and add up to more than the budget, drop the heaviest first. */
void ooseq_enforce(void);

void ooseq_get_stats(struct ooseq_stats *st);

#endif
