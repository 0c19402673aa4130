/* SPDX-License-Identifier: MIT */
/*
 * Sampling profiler (`profile=HZ`, 0: off, the default). Each CPU's
 * LAPIC timer interrupt records where that CPU was: the interrupted
 * instruction and the return addresses of its frame-pointer chain, in a
 * per-CPU ring of the last PROFILE_RING samples (allocated at boot only
 * when the profiler is on). Each sample arms the LAPIC timer for the
 * next (a busy CPU reprograms its timer only before halting), and a
 * per-CPU timer keeps the interrupt coming while the CPU halts, so an
 * idle CPU is sampled too (in its halt). GET /_profile serves the samples as folded stacks
 * (app/respond.c), which tools/profile-report, flamegraph.pl and
 * speedscope read.
 *
 * The stack walk runs in the interrupt, on the interrupted stack: it
 * follows only frames inside that stack's bounds (above the interrupted
 * rsp, below rsp + PROFILE_STACK_SPAN) whose page translates, so a frame
 * chain broken by assembly or a prologue ends the stack, never faults.
 */
#ifndef KERNEL_SCHED_PROFILE_H
#define KERNEL_SCHED_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/statjson.h"

struct trap_frame;

#define PROFILE_DEPTH 15 /* addresses kept per sample, innermost first */
#define PROFILE_RING 4096 /* samples per CPU: 4 s at 1000 Hz */

/* Kernel text lies in the identity map below 4 GiB: 32 bits hold an
 * address, and a sample is one 64-byte line. */
struct profile_sample {
	uint32_t pc[PROFILE_DEPTH]; /* [0] interrupted; then callers; 0 ends */
	uint32_t at_ms; /* time_ns() / 1e6 when taken */
};

#define PROFILE_STATS(X)                 \
	X(samples) /* taken, all CPUs */ \
	X(deep_stacks) /* ... whose stack was cut at PROFILE_DEPTH */

struct profile_stats {
	PROFILE_STATS(STAT_U64)
};

/* Boot: allocate the rings when profile= asked for samples. */
void profile_init(void);

/* On each CPU, in its main loop before the first pass: start sampling. */
void profile_start_cpu(void);

/* IRQ context, from the LAPIC timer: take a sample of `tf` when due. */
void profile_tick(const struct trap_frame *tf);

/* Samples per second asked for; 0 when the profiler is off. */
unsigned int profile_hz(void);

/* The sequence numbers of CPU `cpu`'s held samples: [*first, *end). */
void profile_held(unsigned int cpu, uint64_t *first, uint64_t *end);

/* Copy CPU `cpu`'s sample `seq`; false when it is not held (overwritten,
 * maybe while it was copied, or not taken yet). */
bool profile_get(unsigned int cpu, uint64_t seq, struct profile_sample *out);

void profile_get_stats(struct profile_stats *st);

#endif
