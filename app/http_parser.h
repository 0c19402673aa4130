/* SPDX-License-Identifier: MIT */
/*
 * Incremental, bounded HTTP/1.1 request-head parser (picohttpparser
 * contract). http_parse_request() takes the bytes received so far
 * (pointer + length), allocates nothing and never writes to them, and
 * returns the head length once the empty line that ends it has arrived,
 * HTTP_PARSE_PARTIAL while more bytes are needed, or HTTP_PARSE_BAD with
 * req->status set to the status to answer (400 413 414 431 501 405 505).
 * After HTTP_PARSE_BAD the caller answers and closes the connection.
 *
 * The slices in struct http_request borrow the caller's buffer: they stay
 * valid while the buffer does. Only GET and HEAD are served; a body they
 * carry (Content-Length, at most limits.body_max bytes, else 413) means
 * nothing and the caller reads past it (RFC 9112 section 6.3): the next
 * request starts at buf + returned length + req->content_length.
 *
 * Rules (RFC 9112 unless noted): empty lines before the request line are
 * skipped (at most HTTP_EMPTY_LINES_MAX); a bare LF ends a line like
 * CRLF, a CR not followed by LF is a 400; obs-fold is a 400; a version
 * other than HTTP/1.0 or HTTP/1.1 is a 505 (also 1.2..1.9); an unknown
 * method is a 501, a known method other than GET/HEAD a 405 (the caller
 * adds Allow); HTTP/1.1 without exactly one Host, any Transfer-Encoding
 * (alone or with Content-Length), a repeated Content-Length (even an
 * equal one) or one that is not 1*DIGIT are 400s: every framing a
 * smuggler could make ambiguous. A repeated If-None-Match,
 * If-Modified-Since, Range or If-Range is dropped (the full 200 answer is
 * always correct), and so is a repeated traceparent (W3C Trace Context
 * 3.2: the request starts a fresh trace).
 */
#ifndef APP_HTTP_PARSER_H
#define APP_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/http_str.h"

#define HTTP_PARSE_BAD (-1)
#define HTTP_PARSE_PARTIAL (-2)

struct http_limits {
	size_t line_max; /* request-line bytes, CRLF excluded -> 414 */
	size_t headers_max; /* header section incl. final empty line -> 431 */
	unsigned fields_max; /* header field lines -> 431 */
	uint64_t body_max; /* Content-Length read past -> 413 */
};

/* HTTP_LINE_MAX, HTTP_HEADERS_MAX, HTTP_FIELDS_MAX and HTTP_BODY_MAX. */
extern const struct http_limits http_default_limits;

enum http_method {
	HTTP_METHOD_UNKNOWN,
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_POST,
	HTTP_METHOD_PUT,
	HTTP_METHOD_DELETE,
	HTTP_METHOD_OPTIONS,
	HTTP_METHOD_PATCH,
	HTTP_METHOD_TRACE,
	HTTP_METHOD_CONNECT,
};

/* Connection header tokens seen (bits of http_request.connection). */
#define HTTP_CONN_CLOSE 0x1
#define HTTP_CONN_KEEP_ALIVE 0x2

struct http_request {
	enum http_method method;
	unsigned version_minor; /* 0 or 1 (major is always 1) */
	struct http_str target; /* raw request-target, see http_path.h */
	struct http_str host; /* p == NULL: absent */
	struct http_str if_none_match;
	struct http_str if_modified_since;
	struct http_str range;
	struct http_str if_range;
	struct http_str referer; /* for the access log */
	struct http_str user_agent;
	struct http_str traceparent; /* W3C Trace Context, unchecked */
	bool has_content_length;
	uint64_t content_length;
	unsigned connection; /* HTTP_CONN_* */
	bool keep_alive; /* version default, then Connection tokens */
	unsigned nfields; /* header field lines */
	int status; /* HTTP status to answer after HTTP_PARSE_BAD */
};

/*
 * Progress on one request, kept by the caller between calls that return
 * HTTP_PARSE_PARTIAL (like picohttpparser's last_len); zero it for each
 * new request. Optional: NULL rescans from the start every time.
 */
struct http_parse_state {
	size_t scanned; /* bytes already searched for the head end */
	size_t hdr; /* header section offset once the request line is valid */
};

int http_parse_request(const char *buf, size_t len, struct http_parse_state *st,
		       const struct http_limits *lim, struct http_request *req);
const char *http_method_name(enum http_method m);

#endif
