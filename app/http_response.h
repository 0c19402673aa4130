/* SPDX-License-Identifier: MIT */
/*
 * Response heads and error bodies, formatted into caller buffers.
 * http_response_head() writes the status line and the header fields of
 * struct http_response, in a fixed order, ending with the empty line; it
 * never writes past @size and fails with -ENOSPC instead of truncating.
 * Location is percent-encoded here (it is a decoded path); every other
 * string is server-made and written as is. A 304 gets no Content-Length;
 * a 405 gets "Allow: GET, HEAD". A traced request's answer carries
 * `traceresponse` (W3C Trace Context Level 2: version, trace-id, this
 * server's span id, flags), so a client can find it in GET /_trace.
 */
#ifndef APP_HTTP_RESPONSE_H
#define APP_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/http_range.h"

struct http_response {
	int status;
	int64_t date; /* Date: Unix seconds */
	const char *content_type; /* NULL: none */
	uint64_t content_length; /* body bytes (the GET body for HEAD) */
	const char *etag; /* NULL: none */
	bool has_last_modified;
	int64_t last_modified;
	bool accept_ranges; /* "Accept-Ranges: bytes" */
	enum http_range_kind range; /* Content-Range for 206 and 416 */
	struct http_range range_bounds;
	uint64_t file_size; /* the complete length in Content-Range */
	const char *location; /* NULL: none; a decoded absolute path */
	const char *traceresponse; /* NULL: none; tracectx form */
	bool keep_alive; /* else "Connection: close" */
};

const char *http_reason(int status);
int http_response_head(char *buf, size_t size, const struct http_response *r);
int http_error_body(char *buf, size_t size, int status);

#endif
