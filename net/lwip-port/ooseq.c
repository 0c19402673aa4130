// SPDX-License-Identifier: MIT
/*
 * Out-of-order page budget (interface and reasons in ooseq.h). lwIP
 * calls lwip_port_ooseq_limit(pcb) right after it queued a segment out of
 * order and drops what lies beyond the returned number of pbufs (one RX
 * page each) from the end of that pcb's queue. The share is the budget
 * divided among the pcbs holding such data, at least OOSEQ_SHARE_MIN (a
 * window with one loss needs a few) and at most TCP_OOSEQ_MAX_PBUFS.
 * Walks of the PCB list happen only when out-of-order data arrives.
 */
#include "net/lwip-port/ooseq.h"

#include <stdbool.h>

#include "kernel/lib/compiler.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#define OOSEQ_SHARE_MIN 4

static struct ooseq_stats oo = { .budget = TCP_OOSEQ_MAX_PBUFS }; /* [m] */
static bool grew; /* [m] a segment was queued since ooseq_enforce */

void ooseq_set_budget(uint32_t pages)
{
	oo.budget = pages;
}

static uint32_t pages_of(const struct tcp_pcb *pcb)
{
	uint32_t n = 0;

	for (const struct tcp_seg *s = pcb->ooseq; s; s = s->next)
		n += pbuf_clen(s->p);
	return n;
}

/* Pages held by every active pcb's queue, the holders, the heaviest. */
static uint32_t count(uint32_t *holders, struct tcp_pcb **heaviest)
{
	uint32_t total = 0, most = 0;

	*holders = 0;
	for (struct tcp_pcb *pcb = tcp_active_pcbs; pcb; pcb = pcb->next) {
		uint32_t n = pcb->ooseq ? pages_of(pcb) : 0;

		if (!n)
			continue;
		total += n;
		(*holders)++;
		if (n > most) {
			most = n;
			*heaviest = pcb;
		}
	}
	return total;
}

/* The pages one holder may keep when `holders` share the budget. */
static uint32_t fair_share(uint32_t holders)
{
	uint32_t share = (uint32_t)(oo.budget / MAX(holders, 1u));

	return MIN(MAX(share, (uint32_t)OOSEQ_SHARE_MIN),
		   (uint32_t)TCP_OOSEQ_MAX_PBUFS);
}

/* Runs for every segment queued out of order, so it only counts the
 * holders (one pointer per pcb), not their pages. */
uint16_t lwip_port_ooseq_limit(const struct tcp_pcb *pcb)
{
	uint32_t holders = 0, share, mine = pages_of(pcb);

	for (const struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
		holders += p->ooseq != NULL;
	share = fair_share(holders);
	if (mine > share)
		oo.over_share += mine - share;
	grew = true;
	return (uint16_t)share;
}

/* Cut pcb's queue after its first `keep` pages (the highest sequence
 * numbers go, as lwIP's own limit does); returns the pages dropped. */
static uint32_t trim_to(struct tcp_pcb *pcb, uint32_t keep)
{
	struct tcp_seg *seg = pcb->ooseq, *prev = NULL;
	uint32_t n = 0, dropped = 0;

	while (seg && n + pbuf_clen(seg->p) <= keep) {
		n += pbuf_clen(seg->p);
		prev = seg;
		seg = seg->next;
	}
	if (!seg)
		return 0;
	for (const struct tcp_seg *s = seg; s; s = s->next)
		dropped += pbuf_clen(s->p);
	if (prev) {
		prev->next = NULL;
		tcp_segs_free(seg);
	} else {
		tcp_free_ooseq(pcb);
	}
	return dropped;
}

/* Holders that came first took a share computed for fewer of them: over
 * the budget, cut everyone down to today's share, heaviest or not; if the
 * minimum share still adds up to too much, empty the heaviest queues. */
void ooseq_enforce(void)
{
	struct tcp_pcb *heaviest = NULL;
	uint32_t holders, total, share, cut;

	if (!grew)
		return;
	grew = false;
	total = count(&holders, &heaviest);
	if (total <= oo.budget)
		return;
	share = fair_share(holders);
	for (struct tcp_pcb *pcb = tcp_active_pcbs; pcb; pcb = pcb->next) {
		cut = pcb->ooseq ? trim_to(pcb, share) : 0;
		oo.trimmed += cut;
		total -= cut;
	}
	while (total > oo.budget && heaviest) {
		total = count(&holders, &heaviest);
		if (total <= oo.budget || !heaviest)
			break;
		cut = pages_of(heaviest);
		tcp_free_ooseq(heaviest);
		oo.trimmed += cut;
		total -= cut;
	}
}

void ooseq_get_stats(struct ooseq_stats *st)
{
	struct tcp_pcb *heaviest = NULL;
	uint32_t holders;

	*st = oo;
	st->pages = count(&holders, &heaviest);
	st->holders = holders;
}
