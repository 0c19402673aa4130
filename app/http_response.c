// SPDX-License-Identifier: MIT
/*
 * Response head and error body formatting (interface in
 * http_response.h; RFC 9110 section 15 for the reason phrases, RFC 9112
 * section 4 for the status line). All output is bounded by the caller's
 * buffer size.
 */
#include "app/http_response.h"

#include <stdarg.h>

#include "app/http_cond.h"
#include "app/http_param.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"
#include "kernel/param.h"

#define SERVER_NAME KERNEL_NAME "/" KERNEL_VERSION

static const struct {
	int status;
	const char *reason;
} reasons[] = {
	{ 200, "OK" },
	{ 206, "Partial Content" },
	{ 301, "Moved Permanently" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 416, "Range Not Satisfiable" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 503, "Service Unavailable" },
	{ 505, "HTTP Version Not Supported" },
};

/* Reason phrase of @status; "Unknown" for one not in the table. */
const char *http_reason(int status)
{
	for (size_t i = 0; i < ARRAY_SIZE(reasons); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

/* An output buffer; err sticks at the first overflow. */
struct out {
	char *buf;
	size_t size, len;
	int err;
};

static void __printf(2, 3) put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len)
		o->err = -ENOSPC;
	else
		o->len += (size_t)n;
}

/* Bytes of a path that go into Location unencoded (RFC 3986 pchar + '/'). */
static bool path_safe(unsigned char c)
{
	static const char extra[] = "-._~!$&'()*+,;=:@/";

	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') ||
	       (c && memchr(extra, c, sizeof(extra) - 1));
}

static void put_location(struct out *o, const char *path)
{
	put(o, "Location: ");
	for (const char *p = path; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (path_safe(c))
			put(o, "%c", c);
		else
			put(o, "%%%02X", c);
	}
	put(o, "\r\n");
}

static void put_date(struct out *o, const char *field, int64_t t)
{
	char date[HTTP_DATE_SIZE];
	int n = http_date_format(date, sizeof(date), t);

	if (n < 0)
		return; /* out of the 4-digit year range: leave it out */
	put(o, "%s: %s\r\n", field, date);
}

static void put_range(struct out *o, const struct http_response *r)
{
	char value[HTTP_CONTENT_RANGE_SIZE];
	int n = http_range_content_range(value, sizeof(value), r->range,
					 &r->range_bounds, r->file_size);

	if (n >= 0)
		put(o, "Content-Range: %s\r\n", value);
}

/*
 * Format the head of response @r into @buf (@size bytes, NUL-terminated).
 * Returns its length (without the NUL) or -ENOSPC.
 */
int http_response_head(char *buf, size_t size, const struct http_response *r)
{
	struct out o = { buf, size, 0, 0 };

	if (!size)
		return -ENOSPC;
	put(&o, "HTTP/1.1 %d %s\r\n", r->status, http_reason(r->status));
	put_date(&o, "Date", r->date);
	put(&o, "Server: %s\r\n", SERVER_NAME);
	if (r->content_type)
		put(&o, "Content-Type: %s\r\n", r->content_type);
	if (r->status != 304)
		put(&o, "Content-Length: %llu\r\n",
		    (unsigned long long)r->content_length);
	if (r->etag)
		put(&o, "ETag: %s\r\n", r->etag);
	if (r->has_last_modified)
		put_date(&o, "Last-Modified", r->last_modified);
	if (r->accept_ranges)
		put(&o, "Accept-Ranges: bytes\r\n");
	if ((r->status == 206 && r->range == HTTP_RANGE_PARTIAL) ||
	    (r->status == 416 && r->range == HTTP_RANGE_UNSATISFIABLE))
		put_range(&o, r);
	if (r->status == 405)
		put(&o, "Allow: GET, HEAD\r\n");
	if (r->location)
		put_location(&o, r->location);
	put(&o, "Connection: %s\r\n\r\n",
	    r->keep_alive ? "keep-alive" : "close");
	if (o.err) {
		buf[0] = '\0';
		return o.err;
	}
	return (int)o.len;
}

/*
 * Write a small HTML page for the error @status into @buf
 * (HTTP_ERROR_BODY_SIZE is enough). Returns its length or -ENOSPC.
 */
int http_error_body(char *buf, size_t size, int status)
{
	const char *reason = http_reason(status);
	int n = snprintf(buf, size,
			 "<!DOCTYPE html>\n<html><head><title>%d %s</title>"
			 "</head>\n<body><h1>%d %s</h1></body></html>\n",
			 status, reason, status, reason);

	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}
