/* SPDX-License-Identifier: MIT */
/*
 * Single byte-range requests (RFC 9110 section 14). http_range_parse()
 * judges a Range field value against the size of the selected file:
 *   HTTP_RANGE_NONE           serve the whole file with 200: no header, a
 *                             unit other than "bytes", a syntax error
 *                             (RFC 9110 14.2: ignore it), or more than one
 *                             range (multipart/byteranges is not served);
 *   HTTP_RANGE_PARTIAL        serve bytes [first, last] with 206;
 *   HTTP_RANGE_UNSATISFIABLE  answer 416 with "Content-Range: bytes *\/size".
 * "a-b" is clamped to the file end, "a-" runs to the end, "-n" is the last
 * n bytes (all of them if n > size). Numbers of any length are accepted
 * and saturate, so nothing overflows on 64-bit sizes.
 */
#ifndef APP_HTTP_RANGE_H
#define APP_HTTP_RANGE_H

#include <stddef.h>
#include <stdint.h>

/* Enough for "bytes <u64>-<u64>/<u64>" (6 + 3 * 20 + 2) and its NUL. */
#define HTTP_CONTENT_RANGE_SIZE 72

enum http_range_kind {
	HTTP_RANGE_NONE,
	HTTP_RANGE_PARTIAL,
	HTTP_RANGE_UNSATISFIABLE,
};

struct http_range {
	uint64_t first; /* HTTP_RANGE_PARTIAL only: inclusive bounds */
	uint64_t last;
};

enum http_range_kind http_range_parse(const char *v, size_t len, uint64_t size,
				      struct http_range *r);
int http_range_content_range(char *buf, size_t bufsize,
			     enum http_range_kind kind,
			     const struct http_range *r, uint64_t size);

#endif
