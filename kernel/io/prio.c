// SPDX-License-Identifier: MIT
/*
 * The prio= switch and the per-urgency counters (interface in prio.h).
 *
 * Default off: the urgency comes from a header any client may set, and
 * strict priority lets a client that marks everything u=0 push every
 * other client behind it. An operator turns it on where a front end it
 * trusts (HAProxy, prio_header=) sets or vets the signal. Off keeps the
 * arrival order of every queue, as before priorities existed.
 */
#include "kernel/io/prio.h"

#include "kernel/core/cmdline.h"
#include "kernel/lib/compiler.h"

static bool prio_on;
KPARAM_BOOL(prio, prio_on,
	    "order queued work by request urgency (RFC 9218 Priority)");

static struct prio_class_stats classes[PRIO_CLASSES]; /* [m] */

bool prio_enforced(void)
{
	return prio_on;
}

struct prio_class_stats *prio_class(unsigned int u)
{
	return &classes[MIN(u, (unsigned int)CAUSAL_URGENCY_MAX)];
}

void prio_get_stats(struct prio_class_stats out[PRIO_CLASSES])
{
	for (unsigned int u = 0; u < PRIO_CLASSES; u++)
		out[u] = classes[u];
}
