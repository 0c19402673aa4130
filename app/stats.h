/* SPDX-License-Identifier: MIT */
/*
 * /_stats: the server's counters, passed in, and those of every
 * subsystem beneath it, as one JSON object. The keys and their nesting
 * are an interface (tests and tools/bench read them).
 */
#ifndef APP_STATS_H
#define APP_STATS_H

#include <stddef.h>

#include "app/http_stats.h"

/* Write the JSON into buf. Returns its length, or -ENOSPC if `size` is
 * too small. */
int http_stats_json(char *buf, size_t size, const struct http_stats *http);

#endif
