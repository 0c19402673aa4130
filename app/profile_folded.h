/* SPDX-License-Identifier: MIT */
/*
 * GET /_profile[?ms=N]: the profiler's samples (kernel/sched/profile.h)
 * as folded stacks, the text format of flamegraph.pl, speedscope and
 * tools/profile-report: one line per run of equal samples,
 *
 *   cpu0;mainloop_run;net_poll;tcp_input 3
 *
 * the CPU first, then the functions from the outermost frame to the
 * interrupted one, a space and the count. An address outside any known
 * function is written 0x<hex>. ?ms=N keeps the samples of the last N
 * milliseconds. The newest samples are kept when the answer would pass
 * its page budget (PROFILE_TEXT_PAGES_MAX, a quarter of the free pool).
 */
#ifndef APP_PROFILE_FOLDED_H
#define APP_PROFILE_FOLDED_H

#include <stddef.h>
#include <stdint.h>

struct ioagg;

/* The ms=N of a request-target: 0 with *ms (0 when absent: every held
 * sample), -EINVAL when N is empty, not a number or 0. */
int profile_query_ms(const char *target, size_t len, uint64_t *ms);

/* Append the folded stacks of the samples of the last `ms` milliseconds
 * (0: all held) to `out`. 0 or -ENOMEM (out then holds a part: release
 * it). */
int profile_folded(struct ioagg *out, uint64_t ms);

#endif
