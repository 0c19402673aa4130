// SPDX-License-Identifier: MIT
/*
 * ECEM event-pair table and state machine (interface and rules in
 * ecem.h). A pair is on two hash chains, one by disk key and one by
 * connection, so both the disk completion path and the ACK path find it
 * in O(1). `held` marks a disk completion whose delivery DED deferred;
 * it is delivered when the network side turns READY, or dropped (and
 * counted) when the pair is deleted first, e.g. on a connection reset.
 * Per CPU, no lock: each CPU has its own table and counters ([this
 * CPU]). A pair belongs to its connection's CPU, where both of its
 * sides report (the disk completion is delivered to the CPU that asked
 * for the read, the connection's).
 */
#define PR_PREFIX "ecem: "
#include "kernel/io/ecem.h"

#include "kernel/core/cmdline.h"
#include "kernel/cpu/percpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/hash.h"
#include "kernel/mm/heap.h"
#include "kernel/param.h"

struct ecem_pair {
	const void *disk, *net; /* [I] keys */
	unsigned int flags; /* [I] ECEM_F_*, masked by ecem_enabled() */
	const struct ecem_ops *ops; /* [I] */
	void *arg; /* [I] */
	enum ecem_side disk_side, net_side; /* [m] */
	bool held; /* [m] a delivery DED deferred */
	struct ecem_pair *by_disk_next, *by_net_next; /* [m] chains */
};

static const char *const mode_names[] = { "off", "ded", "dns", "all", NULL };
static int mode; /* index == ECEM_F_* mask */
KPARAM_ENUM(ecem, mode, mode_names,
	    "event correlation: off|ded|dns|all (deferred delivery, splicing)");

struct ecem_table {
	struct ecem_pair *by_disk[ECEM_HASH_BUCKETS];
	struct ecem_pair *by_net[ECEM_HASH_BUCKETS];
};

/* A CPU's table is made by its first pair: 4 KiB for each CPU that
 * uses ECEM, not 4 KiB for every CPU the kernel could bring up. */
static struct ecem_cpu {
	struct ecem_table *table; /* [this CPU] NULL until its first pair */
	struct ecem_stats stats; /* [this CPU] */
} __aligned(64) cpus[CPU_MAX];

/* This CPU's table under the names the one-CPU code used (only where
 * a pair exists, so the table does). */
#define by_disk (cpus[cpu_self()].table->by_disk)
#define by_net (cpus[cpu_self()].table->by_net)
#define stats (cpus[cpu_self()].stats)

unsigned int ecem_enabled(void)
{
	return (unsigned int)mode;
}

void ecem_set_enabled(unsigned int mask)
{
	mode = (int)(mask & (ECEM_F_DED | ECEM_F_DNS));
}

const char *ecem_mode_name(unsigned int mask)
{
	return mode_names[mask & (ECEM_F_DED | ECEM_F_DNS)];
}

const char *ecem_state_name(enum ecem_state s)
{
	static const char *const names[] = { "RR", "RW", "WR", "WW" };

	return (unsigned int)s < 4 ? names[s] : "??";
}

static unsigned int bucket(const void *key)
{
	return (unsigned int)(hash_u64((uintptr_t)key) % ECEM_HASH_BUCKETS);
}

static struct ecem_pair *find_disk(const void *disk)
{
	struct ecem_pair *p;

	if (!cpus[cpu_self()].table)
		return NULL;
	p = by_disk[bucket(disk)];

	while (p && p->disk != disk)
		p = p->by_disk_next;
	return p;
}

static struct ecem_pair *find_net(const void *net)
{
	struct ecem_pair *p;

	if (!cpus[cpu_self()].table)
		return NULL;
	p = by_net[bucket(net)];

	while (p && p->net != net)
		p = p->by_net_next;
	return p;
}

static enum ecem_state state_of(const struct ecem_pair *p)
{
	return (enum ecem_state)((p->disk_side == ECEM_WAIT) << 1 |
				 (p->net_side == ECEM_WAIT));
}

/* The gauge of pairs now in state s. */
static uint64_t *state_gauge(enum ecem_state s)
{
	switch (s) {
	case ECEM_RR:
		return &stats.pairs_rr;
	case ECEM_RW:
		return &stats.pairs_rw;
	case ECEM_WR:
		return &stats.pairs_wr;
	default:
		return &stats.pairs_ww;
	}
}

/* Move one side to `to`, counting the pair's state transition. */
static void set_side(struct ecem_pair *p, enum ecem_side *side,
		     enum ecem_side to)
{
	enum ecem_state from = state_of(p);

	*side = to;
	stats.transitions[from][state_of(p)]++;
	(*state_gauge(from))--;
	(*state_gauge(state_of(p)))++;
}

int ecem_add(const void *disk, const void *net, unsigned int flags,
	     const struct ecem_ops *ops, void *arg)
{
	struct ecem_pair *p;

	if (!disk || !net || !ops)
		return -EINVAL;
	if (find_disk(disk) || find_net(net))
		return -EEXIST;
	if (!cpus[cpu_self()].table) {
		cpus[cpu_self()].table = kzalloc(sizeof(struct ecem_table));
		if (!cpus[cpu_self()].table)
			return -ENOMEM;
	}
	p = kzalloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = (struct ecem_pair){ .disk = disk,
				 .net = net,
				 .flags = flags & ecem_enabled(),
				 .ops = ops,
				 .arg = arg,
				 .disk_side = ECEM_READY,
				 .net_side = ECEM_READY };
	p->by_disk_next = by_disk[bucket(disk)];
	by_disk[bucket(disk)] = p;
	p->by_net_next = by_net[bucket(net)];
	by_net[bucket(net)] = p;
	stats.pairs_added++;
	stats.pairs_live++;
	stats.pairs_rr++;
	return 0;
}

int ecem_del(const void *disk, const void *net, unsigned int flags)
{
	struct ecem_pair *p = find_disk(disk), **pp;

	if (!p || p->net != net || p->flags != (flags & ecem_enabled()))
		return -ENOENT;
	for (pp = &by_disk[bucket(disk)]; *pp != p; pp = &(*pp)->by_disk_next)
		;
	*pp = p->by_disk_next;
	for (pp = &by_net[bucket(net)]; *pp != p; pp = &(*pp)->by_net_next)
		;
	*pp = p->by_net_next;
	if (p->held)
		stats.dropped_deferred++;
	(*state_gauge(state_of(p)))--;
	kfree(p);
	stats.pairs_deleted++;
	stats.pairs_live--;
	return 0;
}

const void *ecem_correlated_net(const void *disk)
{
	struct ecem_pair *p = find_disk(disk);

	return p ? p->net : NULL;
}

const void *ecem_correlated_disk(const void *net)
{
	struct ecem_pair *p = find_net(net);

	return p ? p->disk : NULL;
}

int ecem_state(const void *disk, const void *net)
{
	struct ecem_pair *p = find_disk(disk);

	if (!p || p->net != net)
		return -ENOENT;
	return (int)state_of(p);
}

bool ecem_splices(const void *net)
{
	struct ecem_pair *p = find_net(net);

	return p && (p->flags & ECEM_F_DNS);
}

bool ecem_check_rw(const void *disk, const void *net)
{
	return ecem_state(disk, net) == ECEM_RW;
}

/* A disk event: move the disk side of disk's pair to `to`. Returns the
 * pair, or NULL when disk has none. */
static struct ecem_pair *disk_event(const void *disk, enum ecem_side to)
{
	struct ecem_pair *p = find_disk(disk);

	if (p) {
		stats.disk_events++;
		set_side(p, &p->disk_side, to);
	}
	return p;
}

/* A network event: move the net side of net's pair to `to`. Returns the
 * pair, or NULL when net has none or its side is at `to` already. */
static struct ecem_pair *net_event(const void *net, enum ecem_side to)
{
	struct ecem_pair *p = find_net(net);

	if (!p || p->net_side == to)
		return NULL;
	stats.net_events++;
	set_side(p, &p->net_side, to);
	return p;
}

void ecem_disk_wait(const void *disk)
{
	disk_event(disk, ECEM_WAIT);
}

/* The callbacks may delete the pair: nothing touches p after them. */
static void deliver(struct ecem_pair *p)
{
	if (!p->ops->deliver)
		return;
	stats.delivered++;
	p->ops->deliver(p->arg);
}

void ecem_disk_ready(const void *disk)
{
	struct ecem_pair *p = disk_event(disk, ECEM_READY);

	if (!p)
		return;
	if ((p->flags & ECEM_F_DED) && p->net_side == ECEM_WAIT) {
		/* RW: the woken owner would block on the send buffer. */
		p->held = true;
		stats.deferred++;
		return;
	}
	deliver(p);
}

void ecem_net_wait(const void *net)
{
	net_event(net, ECEM_WAIT);
}

void ecem_net_ready(const void *net)
{
	struct ecem_pair *p = net_event(net, ECEM_READY);

	if (p && p->held && p->disk_side == ECEM_READY) {
		p->held = false;
		stats.deferred_delivered++;
		deliver(p);
	}
}

void ecem_net_acked(const void *net, uint32_t bytes)
{
	struct ecem_pair *p = find_net(net);

	if (!p || !(p->flags & ECEM_F_DNS) || !p->ops->acked || !bytes)
		return;
	stats.acks_spliced++;
	stats.bytes_acked_spliced += bytes;
	p->ops->acked(p->arg, bytes);
}

#undef stats
/* Sums over the CPUs; each counter is one aligned word, never torn. */
void ecem_get_stats(struct ecem_stats *st)
{
	*st = (struct ecem_stats){ 0 };
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++) {
		const struct ecem_stats *c = &cpus[cpu].stats;

#define ECEM_SUM(name) st->name += READ_ONCE(c->name);
		ECEM_STATS(ECEM_SUM)
#undef ECEM_SUM
		st->pairs_deleted += READ_ONCE(c->pairs_deleted);
		for (int from = 0; from < 4; from++)
			for (int to = 0; to < 4; to++)
				st->transitions[from][to] +=
					READ_ONCE(c->transitions[from][to]);
	}
}
