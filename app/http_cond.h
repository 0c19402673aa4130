/* SPDX-License-Identifier: MIT */
/*
 * Validators and conditional requests (RFC 9110 sections 8.8, 13.1.2,
 * 13.1.3, 13.1.5, 13.2.2) and HTTP dates (section 5.6.7), for GET and
 * HEAD only.
 *
 * ETags are "ino-mtime-size" in hex, strong or W/ weak. If-None-Match is
 * a list of entity-tags or "*", compared weakly; a malformed list never
 * matches. If-Modified-Since takes IMF-fixdate, RFC 850 (two-digit years:
 * 70..99 -> 19xx, 00..69 -> 20xx) and asctime dates; an invalid date, or
 * one after "now", is ignored. If-None-Match, when present, decides alone.
 * If-Range keeps a Range only for an identical strong entity-tag or the
 * exact Last-Modified date of a file older than "now"; otherwise the
 * whole file is sent (200).
 * Dates are Unix seconds (int64_t, UTC); years 1..9999 are representable.
 * No libc time functions: civil-from-days arithmetic is done here.
 */
#ifndef APP_HTTP_COND_H
#define APP_HTTP_COND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/http_str.h"

int http_etag_make(char *buf, size_t size, uint64_t ino, uint64_t fsize,
		   int64_t mtime, bool weak);
bool http_etag_match(struct http_str inm, struct http_str etag);
int http_date_format(char *buf, size_t size, int64_t t);
int http_date_parse(const char *s, size_t len, int64_t *t);
bool http_not_modified(struct http_str inm, struct http_str ims,
		       struct http_str etag, int64_t mtime, int64_t now);
bool http_if_range_holds(struct http_str ir, struct http_str etag,
			 int64_t mtime, int64_t now);

#endif
