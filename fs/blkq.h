/* SPDX-License-Identifier: MIT */
/*
 * The disk's waiting queue: requests that found no room in the ring (or
 * over the priority depth) wait here, in rank order when ordering is on
 * (PRIO_DISK_RANK: lower first, FIFO within a rank), in arrival order
 * when it is off. One FIFO per rank, so adding and taking are constant
 * time whatever the queue's length. Strict order would starve the less
 * urgent under a steady urgent load (a response that makes no progress
 * is aborted after idle_timeout_ms): a request that has waited `age` is
 * taken before any more urgent one, the longest-waiting first. Pure logic: the caller embeds a
 * struct blkq_node in its request and owns it throughout; a node is on
 * at most one queue. Main loop only ([m]).
 */
#ifndef FS_BLKQ_H
#define FS_BLKQ_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/io/prio.h"

struct blkq_node {
	struct blkq_node *next; /* [m] */
	uint8_t rank; /* [m] PRIO_DISK_RANK, < PRIO_DISK_RANKS */
	uint8_t slot; /* [m] the FIFO it is on */
	uint64_t queued_ns; /* [m] when it joined the queue */
};

struct blkq {
	struct blkq_node *head[PRIO_DISK_RANKS]; /* [m] one FIFO per rank */
	struct blkq_node *tail[PRIO_DISK_RANKS]; /* [m] */
	uint32_t count[PRIO_DISK_RANKS]; /* [m] */
	uint32_t len; /* [m] all ranks */
};

void blkq_init(struct blkq *q);

/*
 * Queue n (borrowed until taken off). With `ordered`, n goes behind its
 * rank and every more urgent rank; without, behind everything (one FIFO,
 * rank kept only for the caller). Returns how many waiting requests n
 * was put ahead of (0 without ordering); `overtaken[r]` (may be NULL)
 * gets how many of rank r were passed, for every rank.
 */
uint32_t blkq_add(struct blkq *q, struct blkq_node *n, bool ordered,
		  uint32_t overtaken[PRIO_DISK_RANKS]);

/* The request to post next at `now_ns`, still queued; NULL when empty:
 * the longest-waiting one if it has waited at least age_ns (0: never;
 * *aged set), else the most urgent. */
struct blkq_node *blkq_next(const struct blkq *q, uint64_t now_ns,
			    uint64_t age_ns, bool *aged);

/* Take n, a request blkq_next named, off the queue. */
void blkq_take(struct blkq *q, struct blkq_node *n);

/*
 * Priority inheritance: move n, waiting anywhere on q, up to `rank` when
 * that is more urgent than its own, behind that rank's FIFO. It keeps its
 * queued_ns, so ageing still counts its whole wait. Without ordering
 * nothing moves (arrival order is the order). Returns whether it moved.
 */
bool blkq_raise(struct blkq *q, struct blkq_node *n, unsigned int rank,
		bool ordered);

/* Take the most urgent request off the queue; NULL when empty. */
struct blkq_node *blkq_pop(struct blkq *q);

#endif
