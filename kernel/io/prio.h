/* SPDX-License-Identifier: MIT */
/*
 * Priority enforcement (Causeway's resource-management half): the
 * `prio=off|on` switch every queue that orders work by a request's
 * urgency consults, and the per-urgency counters those queues keep.
 *
 * The urgency is RFC 9218's, carried in struct causal (kernel/io/causal.h)
 * and copied into the work that outlives the request's call (a
 * page-cache waiter, a disk request, a connection's send). With
 * prio=off every queue keeps its arrival order (the counters still
 * count, by urgency, so the difference can be measured in one run).
 *
 * Disk ranks (PRIO_DISK_RANK): a demand read of urgency u ranks 2u + 1,
 * a readahead window 2u + 2: it counts as its requester's urgency, behind
 * that urgency's demand reads and ahead of anything less urgent. Rank 0
 * (PRIO_DISK_RANK_META) is a blocking metadata read: a caller (the main
 * loop, or a thread holding the volume every open needs) waits on it.
 * Lower ranks go first. Main loop only ([m]).
 */
#ifndef KERNEL_IO_PRIO_H
#define KERNEL_IO_PRIO_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/io/causal.h"
#include "kernel/lib/statjson.h"

#define PRIO_CLASSES (CAUSAL_URGENCY_MAX + 1)
#define PRIO_DISK_RANKS (2 * PRIO_CLASSES + 1)
#define PRIO_DISK_RANK_META 0u
#define PRIO_DISK_RANK(urgency, readahead) \
	(1u + 2u * (unsigned int)(urgency) + ((readahead) ? 1u : 0u))
/* The urgency class of a data rank (not PRIO_DISK_RANK_META). */
#define PRIO_RANK_URGENCY(rank) ((uint8_t)(((rank)-1u) / 2u))
#define PRIO_RANK_READAHEAD(rank) ((rank) != 0 && (rank) % 2u == 0)

#define PRIO_CLASS_STATS(X)                                                  \
	X(requests) /* request heads parsed with this urgency */             \
	X(from_header) /* ... of which the Priority header said so */        \
	X(from_custom) /* ... the configured header (prio_header=) */        \
	X(from_path) /* ... a boot-time path rule (prio_path=) */            \
	X(responses) /* responses queued whole */                            \
	X(response_us) /* ... total time from head parsed to queued whole */ \
	X(disk_requests) /* disk requests of this urgency */                 \
	X(disk_readahead) /* ... of which readahead windows */               \
	X(disk_queued) /* had to wait for the device */                      \
	X(disk_jumped) /* queued ahead of at least one less urgent */        \
	X(disk_overtaken) /* waiting, passed by a more urgent one */         \
	X(disk_wait_us) /* total time spent queued */                        \
	X(disk_aged) /* posted before more urgent ones: waited too long */   \
	X(disk_raised) /* waiting reads moved up: one of these needs them */ \
	X(send_waits) /* sends stopped for lwIP memory (net/conn.c) */       \
	X(send_jumped) /* ... put ahead of a less urgent waiter */           \
	X(tx_rerun_jumped) /* TX-backlog reruns before a less urgent one */  \
	X(accepts_jumped) /* accept queue: ahead of a less urgent client */  \
	X(ready_jumped) /* deferred work run ahead of a less urgent conn */  \
	X(pin_waits) /* body windows deferred by the pin budget */           \
	X(volume_waits) /* opens that waited for the volume (fs/file.c) */

struct prio_class_stats {
	PRIO_CLASS_STATS(STAT_U64)
};

/* Whether queues order work by urgency (the `prio=` boot switch). */
bool prio_enforced(void);

/* The counters of urgency class u (clamped to CAUSAL_URGENCY_MAX). */
struct prio_class_stats *prio_class(unsigned int u);

/* A copy of every class's counters. */
void prio_get_stats(struct prio_class_stats out[PRIO_CLASSES]);

#endif
