/* SPDX-License-Identifier: MIT */
/*
 * A fixed-size ring of fixed-size records, written by one CPU and read
 * by any (the per-CPU trace rings of kernel/io/trace.c). The writer
 * never waits and never allocates: when the ring is full the oldest
 * record is overwritten (counted: tracering_dropped). A reader copies a
 * record out and learns whether the copy is whole: each record begins
 * with a uint64_t sequence word, 0 while the writer changes the record
 * and index + 1 once it is complete (a seqlock per slot), so a copy
 * that raced an overwrite is refused rather than torn.
 *
 * Indexes count records ever written: the valid ones are
 * [tracering_first, tracering_head). Writer: the owning CPU only, never
 * from an interrupt handler. Readers: anyone. A writer fills a record in
 * place (tracering_claim, the fields, tracering_commit) rather than
 * building it aside and copying it in: the hot path of a traced request
 * writes each span's few words once.
 */
#ifndef KERNEL_IO_TRACERING_H
#define KERNEL_IO_TRACERING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/cpu/barrier.h"
#include "kernel/lib/compiler.h"

struct trace_ring {
	uint64_t head; /* [owner] records ever written */
	uint32_t cap; /* [I] slots */
	size_t size; /* [I] bytes of a record, its sequence word first */
	void *slots; /* [I] cap * size bytes */
};

/* Set up an empty ring over `slots` (cap records of `size` bytes, cap
 * a power of two, size >= 8 and a multiple of 8). */
void tracering_init(struct trace_ring *r, void *slots, uint32_t cap,
		    size_t size);

/* The slot of record `idx`: cap is a power of two, so a mask, not a
 * division per record (a helper call per span under TCG). */
static inline uint64_t *tracering_slot(const struct trace_ring *r, uint64_t idx)
{
	return (uint64_t *)((char *)r->slots + (idx & (r->cap - 1)) * r->size);
}

/* Begin writing the next record in place: its slot, marked invalid for
 * readers, and its index in *idx. The caller writes the bytes after the
 * sequence word, then calls tracering_commit (nothing else between). */
static inline void *tracering_claim(struct trace_ring *r, uint64_t *idx)
{
	uint64_t *slot = tracering_slot(r, r->head);

	*idx = r->head;
	WRITE_ONCE(*slot, 0);
	wmb(); /* the slot reads as invalid before its body changes */
	return slot;
}

/* Publish the record claimed as `idx` at slot. */
static inline void tracering_commit(struct trace_ring *r, void *slot,
				    uint64_t idx)
{
	wmb(); /* the body is complete before the sequence word says so */
	WRITE_ONCE(*(uint64_t *)slot, idx + 1);
	WRITE_ONCE(r->head, idx + 1);
}

/* Append the record at rec (its first 8 bytes, the sequence word, are
 * ignored); returns its index. Borrows rec. */
uint64_t tracering_put(struct trace_ring *r, const void *rec);

/* Copy record `idx` into out (size bytes): false when it is not (or no
 * longer) in the ring, or was overwritten while being copied. */
bool tracering_get(const struct trace_ring *r, uint64_t idx, void *out);

static inline uint64_t tracering_head(const struct trace_ring *r)
{
	return *(const volatile uint64_t *)&r->head;
}

/* Oldest index still held. */
static inline uint64_t tracering_first(const struct trace_ring *r)
{
	uint64_t head = tracering_head(r);

	return head > r->cap ? head - r->cap : 0;
}

/* Records overwritten before anyone could read them out. */
static inline uint64_t tracering_dropped(const struct trace_ring *r)
{
	return tracering_first(r);
}

#endif
