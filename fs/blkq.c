// SPDX-License-Identifier: MIT
/*
 * The disk's waiting queue (interface and rules in blkq.h). Without
 * ordering every node goes to the FIFO of rank 0, which keeps arrival
 * order exactly.
 */
#include "fs/blkq.h"

#include <stddef.h>

void blkq_init(struct blkq *q)
{
	for (unsigned int r = 0; r < PRIO_DISK_RANKS; r++) {
		q->head[r] = q->tail[r] = NULL;
		q->count[r] = 0;
	}
	q->len = 0;
}

uint32_t blkq_add(struct blkq *q, struct blkq_node *n, bool ordered,
		  uint32_t overtaken[PRIO_DISK_RANKS])
{
	unsigned int slot = ordered ? n->rank : 0;
	uint32_t passed = 0;

	if (slot >= PRIO_DISK_RANKS)
		slot = PRIO_DISK_RANKS - 1;
	for (unsigned int r = 0; r < PRIO_DISK_RANKS; r++) {
		uint32_t k = ordered && r > slot ? q->count[r] : 0;

		passed += k;
		if (overtaken)
			overtaken[r] = k;
	}
	n->next = NULL;
	n->slot = (uint8_t)slot;
	if (q->tail[slot])
		q->tail[slot]->next = n;
	else
		q->head[slot] = n;
	q->tail[slot] = n;
	q->count[slot]++;
	q->len++;
	return passed;
}

/* The most urgent non-empty rank, or PRIO_DISK_RANKS. */
static unsigned int first_rank(const struct blkq *q)
{
	unsigned int r = 0;

	while (r < PRIO_DISK_RANKS && !q->head[r])
		r++;
	return r;
}

/* The head that has waited longest, if at least age_ns; else NULL. */
static struct blkq_node *oldest_aged(const struct blkq *q, uint64_t now_ns,
				     uint64_t age_ns)
{
	struct blkq_node *old = NULL;

	for (unsigned int r = 0; age_ns && r < PRIO_DISK_RANKS; r++) {
		struct blkq_node *n = q->head[r];

		if (n && now_ns - n->queued_ns >= age_ns &&
		    (!old || n->queued_ns < old->queued_ns))
			old = n;
	}
	return old;
}

struct blkq_node *blkq_next(const struct blkq *q, uint64_t now_ns,
			    uint64_t age_ns, bool *aged)
{
	unsigned int r = first_rank(q);
	struct blkq_node *old = oldest_aged(q, now_ns, age_ns);

	*aged = old && old != q->head[r];
	if (*aged)
		return old;
	return r < PRIO_DISK_RANKS ? q->head[r] : NULL;
}

void blkq_take(struct blkq *q, struct blkq_node *n)
{
	unsigned int s = n->slot;

	q->head[s] = n->next;
	if (!q->head[s])
		q->tail[s] = NULL;
	q->count[s]--;
	q->len--;
	n->next = NULL;
}

bool blkq_raise(struct blkq *q, struct blkq_node *n, unsigned int rank,
		bool ordered)
{
	struct blkq_node **pp = &q->head[n->slot];
	struct blkq_node *prev = NULL;

	if (!ordered || rank >= n->rank)
		return false;
	while (*pp != n) {
		prev = *pp;
		pp = &prev->next;
	}
	*pp = n->next;
	if (q->tail[n->slot] == n)
		q->tail[n->slot] = prev;
	q->count[n->slot]--;
	q->len--;
	n->rank = (uint8_t)rank;
	blkq_add(q, n, true, NULL);
	return true;
}

struct blkq_node *blkq_pop(struct blkq *q)
{
	unsigned int r = first_rank(q);
	struct blkq_node *n;

	if (r == PRIO_DISK_RANKS)
		return NULL;
	n = q->head[r];
	blkq_take(q, n);
	return n;
}
