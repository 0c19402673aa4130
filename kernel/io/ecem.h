/* SPDX-License-Identifier: MIT */
/*
 * ECEM: event correlation (Lim and Park, "ECEM: an event correlation based
 * event manager for an I/O-intensive application", JSS 2004).
 *
 * An event pair correlates a disk-side source (a file read in progress,
 * named by an opaque key, one per response) with a network-side sink (a
 * connection's send buffer, named by the connection). Each side is READY
 * or WAIT, so the pair is in one of RR, RW, WR, WW (disk first: the disk
 * read response happens before the network write). The disk completion
 * path and the TCP send-space/ACK path report their side's changes here;
 * the pair's owner learns of them through its ops:
 *
 *   deliver(arg)      the disk read the owner waits for is done and the
 *                     owner may run. With ECEM_F_DED the delivery of a
 *                     completion that finds the pair in RW (no send
 *                     space) is deferred until the network side turns
 *                     READY: the woken thread would only block again.
 *   acked(arg, n)     ECEM_F_DNS: the peer acknowledged n bytes; called
 *                     from the ACK path (soft-interrupt context) so the
 *                     owner can splice the next n bytes from the page
 *                     cache without the application being woken.
 *
 * The table is hashed both ways (by disk key and by connection); a key
 * is in at most one pair. `ecem=off|ded|dns|all` says which mechanisms
 * pairs may use (ecem_enabled). Per CPU: each CPU has its own table
 * (no lock); a pair is added, reported on and deleted on its
 * connection's CPU, by its main loop and the threads it runs.
 */
#ifndef KERNEL_IO_ECEM_H
#define KERNEL_IO_ECEM_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/lib/statjson.h"

#define ECEM_F_DED (1u << 0) /* deferred event delivery */
#define ECEM_F_DNS (1u << 1) /* disk-to-network splicing on ACKs */

enum ecem_side { ECEM_READY, ECEM_WAIT };

enum ecem_state { ECEM_RR, ECEM_RW, ECEM_WR, ECEM_WW };

struct ecem_ops {
	void (*deliver)(void *arg);
	void (*acked)(void *arg, uint32_t bytes);
};

#define ECEM_STATS(X)                                               \
	X(pairs_added)                                              \
	X(pairs_live)                                               \
	X(disk_events) /* side changes reported */                  \
	X(net_events)                                               \
	X(delivered) /* deliver() calls */                          \
	X(deferred) /* completions held back in RW */               \
	X(deferred_delivered) /* ... and delivered at RR later */   \
	X(dropped_deferred) /* pair deleted with a delivery held */ \
	X(acks_spliced) /* acked() calls */                         \
	X(bytes_acked_spliced) /* bytes reported through acked() */ \
	X(pairs_rr) /* now: pairs idle, neither side waiting */     \
	X(pairs_rw) /* now: waiting for the network (ACKs) */       \
	X(pairs_wr) /* now: waiting for the disk */                 \
	X(pairs_ww) /* now: waiting for both */

struct ecem_stats {
	ECEM_STATS(STAT_U64)
	uint64_t pairs_deleted; /* not in /_stats */
	uint64_t transitions[4][4]; /* [from][to] enum ecem_state */
};

/* The mechanisms `ecem=` allows (ECEM_F_* mask). */
unsigned int ecem_enabled(void);

/* Replace the `ecem=` mask (host tests; pairs added later see it). */
void ecem_set_enabled(unsigned int mask);

/* Name of a mask ("off", "ded", "dns", "all"). */
const char *ecem_mode_name(unsigned int mask);

/*
 * Correlate `disk` with `net`, both sides READY (RR), using the
 * mechanisms in `flags` that are also enabled. 0, -EEXIST if either key
 * is already in a pair, -ENOMEM, -EINVAL for NULL keys.
 */
int ecem_add(const void *disk, const void *net, unsigned int flags,
	     const struct ecem_ops *ops, void *arg);

/* Remove the pair of (disk, net); a held delivery is dropped (counted).
 * 0 or -ENOENT. `flags` must match the pair's, as in the paper's API. */
int ecem_del(const void *disk, const void *net, unsigned int flags);

/* The correlated peer of a key, NULL if it is in no pair. */
const void *ecem_correlated_net(const void *disk);
const void *ecem_correlated_disk(const void *net);

/* Whether `net` is in a pair that splices on ACKs (ECEM_F_DNS granted):
 * the connection then reports acknowledgements instead of waking the
 * application. */
bool ecem_splices(const void *net);

/* Whether the pair of (disk, net) exists and is in RW. */
bool ecem_check_rw(const void *disk, const void *net);

/* Current state; -ENOENT (as an int) if there is no such pair. */
int ecem_state(const void *disk, const void *net);

/* Disk side: a read was started (WAIT) / completed (READY, delivers or
 * defers). No-op for a key in no pair. */
void ecem_disk_wait(const void *disk);
void ecem_disk_ready(const void *disk);

/* Network side: the send buffer filled (WAIT) / has room (READY, runs a
 * deferred delivery). ecem_net_acked also reports acknowledged bytes to
 * a DNS pair. No-op for a connection in no pair. */
void ecem_net_wait(const void *net);
void ecem_net_ready(const void *net);
void ecem_net_acked(const void *net, uint32_t bytes);

void ecem_get_stats(struct ecem_stats *st);

/* Name of a state ("RR" ...). */
const char *ecem_state_name(enum ecem_state s);

#endif
