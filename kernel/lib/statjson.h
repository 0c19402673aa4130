/* SPDX-License-Identifier: MIT */
/*
 * Statistics as X-macro lists, and a bounded JSON writer for them.
 *
 * A statistics struct is declared once, next to the layer that owns the
 * counters, as a list with one X(name) per uint64_t counter:
 *
 *	#define FOO_STATS(X) X(hits) X(misses)
 *	struct foo_stats { FOO_STATS(STAT_U64) };
 *
 * and STATS_JSON(j, FOO_STATS, st) writes "hits":N,"misses":N from it
 * into the object being written, so the struct and its /_stats keys
 * cannot drift apart. The writer never overruns its buffer: it records
 * the overflow and json_end() says -ENOSPC. Not reentrant per writer.
 */
#ifndef KERNEL_LIB_STATJSON_H
#define KERNEL_LIB_STATJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"
#include "kernel/lib/strbuf.h"

/* X-macro expanders. */
#define STAT_U64(name) uint64_t name;
#define STAT_NAME(name) #name,
#define STAT_VALUE(name) stat_src_->name,
#define STAT_COPY(name) stat_dst_->name = stat_src_->name;

/* Copy the counters of `list` from *src to *dst (structs of two types
 * that both hold them). */
#define STATS_COPY(list, dst, src)                           \
	do {                                                 \
		__typeof__(dst) stat_dst_ = (dst);           \
		const __typeof__(*(src)) *stat_src_ = (src); \
		list(STAT_COPY)                              \
	} while (0)

/* Add the counters of `list` in *src to those in *dst (sums over
 * instances of a subsystem). */
#define STAT_ADD(name) stat_dst_->name += stat_src_->name;
#define STATS_ADD(list, dst, src)                            \
	do {                                                 \
		__typeof__(dst) stat_dst_ = (dst);           \
		const __typeof__(*(src)) *stat_src_ = (src); \
		list(STAT_ADD)                               \
	} while (0)

/* Write the counters of `list` in *src as members of the open object. */
#define STATS_JSON(j, list, src)                                              \
	do {                                                                  \
		const __typeof__(*(src)) *stat_src_ = (src);                  \
		static const char *const stat_names_[] = { list(STAT_NAME) }; \
		const uint64_t stat_values_[] = { list(STAT_VALUE) };         \
		json_u64s((j), stat_names_, stat_values_,                     \
			  ARRAY_SIZE(stat_names_));                           \
	} while (0)

/* Write the counters of `list` in *src as the member object `name`. */
#define STATS_JSON_OBJECT(j, name, list, src) \
	do {                                  \
		json_open((j), (name));       \
		STATS_JSON((j), list, (src)); \
		json_close(j);                \
	} while (0)

struct json_out {
	struct strbuf out;
	bool first; /* no member yet in the current object */
};

void json_begin(struct json_out *j, char *buf, size_t size);
int json_end(struct json_out *j);
void json_open(struct json_out *j, const char *name);
void json_close(struct json_out *j);
void json_u64(struct json_out *j, const char *name, uint64_t v);
void json_str(struct json_out *j, const char *name, const char *v);
void json_u64s(struct json_out *j, const char *const *names,
	       const uint64_t *values, size_t n);

#endif
