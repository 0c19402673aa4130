// SPDX-License-Identifier: MIT
/* GET /_profile as folded stacks (format in profile_folded.h). */
#include "app/profile_folded.h"

#include "app/http_str.h"
#include "app/page_writer.h"
#include "kernel/arch/smp.h"
#include "kernel/arch/time.h"
#include "kernel/core/ksyms.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"
#include "kernel/param.h"
#include "kernel/sched/profile.h"

#define LINE_MAX_BYTES (PROFILE_DEPTH * 48 + 32) /* one stack, at most */
#define LINE_TYPICAL 200 /* bytes: sizes the newest-first cut */

int profile_query_ms(const char *target, size_t len, uint64_t *ms)
{
	int found = http_query_number(target, len, "ms=", ms);

	if (found < 0 || (found && *ms == 0))
		return -EINVAL;
	return 0;
}

static bool same_stack(const struct profile_sample *a,
		       const struct profile_sample *b)
{
	for (unsigned int i = 0; i < PROFILE_DEPTH; i++) {
		if (a->pc[i] != b->pc[i])
			return false;
		if (!a->pc[i])
			return true;
	}
	return true;
}

static void put_line(struct page_writer *w, unsigned int cpu,
		     const struct profile_sample *s, uint64_t count)
{
	unsigned int depth = 0;
	char line[LINE_MAX_BYTES];
	size_t n;

	while (depth < PROFILE_DEPTH && s->pc[depth])
		depth++;
	n = (size_t)snprintf(line, sizeof(line), "cpu%u", cpu);
	while (depth--) {
		uint64_t off;
		const char *name = ksyms_lookup(s->pc[depth], &off);

		if (name)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      ";%.40s", name);
		else
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      ";0x%x", s->pc[depth]);
	}
	n += (size_t)snprintf(line + n, sizeof(line) - n, " %llu\n",
			      (unsigned long long)count);
	page_writer_put(w, line, MIN(n, sizeof(line) - 1));
}

/* CPU cpu's samples from `from_ms` on, the newest `keep` at most. */
static void put_cpu(struct page_writer *w, unsigned int cpu, uint32_t from_ms,
		    uint64_t keep)
{
	struct profile_sample run, s;
	uint64_t first, end, count = 0;

	profile_held(cpu, &first, &end);
	first = MAX(first, end > keep ? end - keep : 0);
	for (uint64_t seq = first; seq < end && !w->err; seq++) {
		if (w->bytes + 2 * LINE_MAX_BYTES > w->budget)
			break; /* longer lines than typical: the rest is cut */
		if (!profile_get(cpu, seq, &s) || s.at_ms < from_ms)
			continue;
		if (count && same_stack(&run, &s)) {
			count++;
			continue;
		}
		if (count)
			put_line(w, cpu, &run, count);
		run = s;
		count = 1;
	}
	if (count)
		put_line(w, cpu, &run, count);
}

int profile_folded(struct ioagg *out, uint64_t ms)
{
	struct page_writer w = {
		.out = out, .budget = page_writer_budget(PROFILE_TEXT_PAGES_MAX)
	};
	uint64_t now_ms = time_ns() / 1000000;
	uint32_t from_ms = ms && ms < now_ms ? (uint32_t)(now_ms - ms) : 0;
	uint64_t keep = w.budget / LINE_TYPICAL / cpu_count();

	if (!w.budget)
		return -ENOMEM;
	for (unsigned int cpu = 0; cpu < cpu_count() && !w.err; cpu++)
		put_cpu(&w, cpu, from_ms, keep);
	page_writer_flush(&w);
	return w.err;
}
