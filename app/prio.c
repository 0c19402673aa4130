// SPDX-License-Identifier: MIT
/*
 * HTTP/1.1 server: a request's priority. The urgency is read from the
 * head when it is parsed (app/http_prio.h: configured header, then
 * Priority, then a path rule, then 3) into the request's struct causal,
 * whatever prio= says, so traces and counters show it; the connection is
 * told it too (net/conn.h), for the queues below the application.
 * Enforcement is kernel/io/prio.h's switch, consulted by each queue.
 *
 * Boot options: prio_header=NAME (a field-name token, at most
 * HTTP_PRIO_HEADER_MAX - 1 bytes) and prio_path=PREFIX:U[,PREFIX:U...]
 * (at most HTTP_PRIO_RULES_MAX rules). A bad rule is named on the console
 * and dropped, the others kept; a bad header name is refused whole.
 */
#define PR_PREFIX "prio: "
#include <stdbool.h>

#include "app/http_conn.h"
#include "app/http_prio.h"
#include "kernel/arch/time.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/printk.h"
#include "kernel/io/prio.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"
#include "kernel/sched/laio.h"
#include "net/conn.h"

static struct http_prio_config cfg; /* [I] after the command line */

static int parse_header(const char *value, void *var)
{
	struct http_prio_config *c = var;
	size_t len = strlen(value);

	if (len == 0 || len >= sizeof(c->header))
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!http_is_tchar((unsigned char)value[i]))
			return -EINVAL;
	memcpy(c->header, value, len + 1);
	c->header_len = len;
	return 0;
}

static int show_header(char *buf, size_t size, const void *var)
{
	const struct http_prio_config *c = var;

	return snprintf(buf, size, "%s", c->header_len ? c->header : "none");
}

/* Every rule of a comma list; a bad one (or one over the cap) is named
 * and dropped. Rules replace those of an earlier prio_path=. */
static int parse_path(const char *value, void *var)
{
	struct http_prio_config *c = var;
	struct http_str rest = { value, strlen(value) };

	c->nrules = 0;
	while (rest.len) {
		const char *comma = memchr(rest.p, ',', rest.len);
		size_t n = comma ? (size_t)(comma - rest.p) : rest.len;
		struct http_str rule = { rest.p, n };

		rest.p += comma ? n + 1 : n;
		rest.len -= comma ? n + 1 : n;
		if (n == 0)
			continue;
		if (c->nrules == HTTP_PRIO_RULES_MAX)
			pr_warn("prio_path: rule '%.*s' ignored: more than %u rules",
				(int)n, rule.p, HTTP_PRIO_RULES_MAX);
		else if (http_prio_rule_parse(rule, &c->rules[c->nrules]))
			pr_warn("prio_path: bad rule '%.*s' ignored (want /PREFIX:0..7)",
				(int)n, rule.p);
		else
			c->nrules++;
	}
	return 0;
}

static int show_path(char *buf, size_t size, const void *var)
{
	const struct http_prio_config *c = var;
	size_t used = 0;

	if (!c->nrules)
		return snprintf(buf, size, "none");
	for (unsigned int i = 0; i < c->nrules && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s:%u",
					 i ? "," : "", c->rules[i].prefix,
					 c->rules[i].urgency);
	return (int)MIN(used, size ? size - 1 : 0);
}

KPARAM_FUNC(prio_header, cfg, parse_header, show_header,
	    "a header carrying the urgency 0..7 (before Priority)");
KPARAM_FUNC(prio_path, cfg, parse_path, show_path,
	    "urgency by path prefix: /PREFIX:U[,/PREFIX:U...]");

/*
 * The request whose head of n bytes is at hc->in was just begun
 * (causal_begin): give it its urgency, count it, and tell the
 * connection. A malformed head keeps the default.
 */
void hc_prio_begin(struct http_conn *hc, int n, const struct http_request *req)
{
	enum http_prio_source src = HTTP_PRIO_DEFAULT;
	struct prio_class_stats *pc;

	if (n > 0)
		hc->cause.urgency = http_prio_of_request(
			&cfg, hc->in, (size_t)n, req->target, &src);
	pc = prio_class(hc->cause.urgency);
	pc->requests++;
	if (src == HTTP_PRIO_CUSTOM)
		pc->from_custom++;
	else if (src == HTTP_PRIO_HEADER)
		pc->from_header++;
	else if (src == HTTP_PRIO_PATH)
		pc->from_path++;
	conn_set_urgency(hc->c, hc->cause.urgency);
}

/* The response is queued whole: count the time since its head was
 * parsed, by urgency (what priorities are for, seen from the guest). */
void hc_prio_end(struct http_conn *hc)
{
	struct prio_class_stats *pc = prio_class(hc->cause.urgency);

	pc->responses++;
	pc->response_us += (time_ns() - hc->cause.start_ns) / 1000;
}

/* laio_call(op, hc, done, hc) whose wait for a spare LAIO worker, when
 * all are busy, goes by the request's urgency under prio=on (arrival
 * order with prio=off). */
int hc_laio_call(struct http_conn *hc, laio_op_fn op, laio_done_fn done)
{
	unsigned int rank = prio_enforced() ? hc->cause.urgency : 0;

	return laio_call_ranked(op, hc, done, hc, rank);
}
