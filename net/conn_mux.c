// SPDX-License-Identifier: MIT
/*
 * The connection API (net/conn.h) over several stack instances. Each
 * instance has its own copy of net/conn.c; these functions, linked
 * once, pass a call to the copy that owns the connection (its
 * struct conn_head says which, netinst.h). A listener is opened in
 * every instance, so whichever queue a SYN arrives on, its instance
 * accepts it and serves the connection to the end.
 */
#include "net/conn.h"

#include "kernel/lib/compiler.h"
#include "net/netinst.h"

static const struct netinst_ops *owner(const struct conn *c)
{
	return netinst_get(((const struct conn_head *)c)->instance);
}

/* The same port in every instance; the first failure is returned (the
 * instances already listening keep their listener). */
int conn_listen(uint16_t port, const struct conn_callbacks *cb, void *ctx)
{
	uint32_t n = MAX(netinst_count(), 1u);

	for (uint32_t i = 0; i < n; i++) {
		int err = netinst_get(i)->listen(port, cb, ctx);

		if (err)
			return err;
	}
	return 0;
}

int conn_send(struct conn *c, struct ioagg *agg)
{
	return owner(c)->send(c, agg);
}

long conn_write(struct conn *c, const void *buf, size_t len)
{
	return owner(c)->write(c, buf, len);
}

void conn_set_urgency(struct conn *c, uint8_t urgency)
{
	owner(c)->set_urgency(c, urgency);
}

uint64_t conn_queued(const struct conn *c)
{
	return owner(c)->queued(c);
}

void conn_trace_ack(struct conn *c, uint64_t req, uint64_t start_ns,
		    uint64_t now_ns)
{
	owner(c)->trace_ack(c, req, start_ns, now_ns);
}

void conn_recv_pause(struct conn *c, bool pause)
{
	owner(c)->recv_pause(c, pause);
}

void conn_close(struct conn *c)
{
	owner(c)->close(c);
}

void conn_abort(struct conn *c)
{
	owner(c)->abort(c);
}

const char *conn_peer(const struct conn *c, char *buf, size_t size)
{
	return owner(c)->peer(c, buf, size);
}

/* Sums over the instances in use. */
void conn_get_stats(struct conn_stats *st)
{
	struct conn_stats one;

	*st = (struct conn_stats){ 0 };
	for (uint32_t i = 0; i < netinst_count(); i++) {
		netinst_get(i)->conn_stats(&one);
		STATS_ADD(CONN_STATS, st, &one);
	}
}
