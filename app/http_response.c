// SPDX-License-Identifier: MIT
/*
 * Response head and error body formatting (interface in
 * http_response.h; RFC 9110 section 15 for the reason phrases, RFC 9112
 * section 4 for the status line). All output is bounded by the caller's
 * buffer size.
 */
#include "app/http_response.h"

#include "app/http_cond.h"
#include "app/http_param.h"
#include "kernel/cpu/percpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/strbuf.h"
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

/* Bytes of a path that go into Location unencoded (RFC 3986 pchar + '/'). */
static bool path_safe(unsigned char c)
{
	static const char extra[] = "-._~!$&'()*+,;=:@/";

	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') ||
	       (c && memchr(extra, c, sizeof(extra) - 1));
}

/* "<name><value>\r\n", name including its ": ". */
static void put_field(struct strbuf *o, const char *name, const char *value)
{
	strbuf_puts(o, name);
	strbuf_puts(o, value);
	strbuf_put(o, "\r\n", 2);
}

static void put_location(struct strbuf *o, const char *path)
{
	strbuf_printf(o, "Location: ");
	for (const char *p = path; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (path_safe(c))
			strbuf_printf(o, "%c", c);
		else
			strbuf_printf(o, "%%%02X", c);
	}
	strbuf_printf(o, "\r\n");
}

/*
 * The last date each CPU formatted for each field: `Date` changes once a
 * second and a hot file's `Last-Modified` not at all, and formatting one
 * (civil date, seven conversions) cost 2.3 µs under TCG, two a response.
 * Servers cache their date strings the same way (nginx per second).
 */
enum date_field { DATE_NOW, DATE_MODIFIED, DATE_FIELDS };

static struct date_cache {
	struct {
		int64_t t;
		char s[HTTP_DATE_SIZE]; /* "": not filled */
	} field[DATE_FIELDS];
} __aligned(64) date_caches[CPU_MAX]; /* [this CPU] */

static void put_date(struct strbuf *o, enum date_field f, int64_t t)
{
	static const char *const names[] = { "Date", "Last-Modified" };
	struct date_cache *c = &date_caches[cpu_self()];

	if (!c->field[f].s[0] || c->field[f].t != t) {
		if (http_date_format(c->field[f].s, HTTP_DATE_SIZE, t) < 0) {
			c->field[f].s[0] = '\0';
			return; /* out of the 4-digit year range: left out */
		}
		c->field[f].t = t;
	}
	strbuf_puts(o, names[f]);
	strbuf_put(o, ": ", 2);
	strbuf_put(o, c->field[f].s, HTTP_DATE_LEN);
	strbuf_put(o, "\r\n", 2);
}

static void put_range(struct strbuf *o, const struct http_response *r)
{
	char value[HTTP_CONTENT_RANGE_SIZE];
	int n = http_range_content_range(value, sizeof(value), r->range,
					 &r->range_bounds, r->file_size);

	if (n >= 0)
		strbuf_printf(o, "Content-Range: %s\r\n", value);
}

/*
 * Format the head of response @r into @buf (@size bytes, NUL-terminated).
 * Returns its length (without the NUL) or -ENOSPC.
 */
int http_response_head(char *buf, size_t size, const struct http_response *r)
{
	struct strbuf o = { .buf = buf, .size = size };

	if (!size)
		return -ENOSPC;
	strbuf_puts(&o, "HTTP/1.1 ");
	strbuf_put_uint(&o, (uint64_t)r->status, 10);
	strbuf_put(&o, " ", 1);
	strbuf_puts(&o, http_reason(r->status));
	strbuf_put(&o, "\r\n", 2);
	put_date(&o, DATE_NOW, r->date);
	strbuf_puts(&o, "Server: " SERVER_NAME "\r\n");
	if (r->content_type)
		put_field(&o, "Content-Type: ", r->content_type);
	if (r->status != 304) {
		strbuf_puts(&o, "Content-Length: ");
		strbuf_put_uint(&o, r->content_length, 10);
		strbuf_put(&o, "\r\n", 2);
	}
	if (r->etag)
		put_field(&o, "ETag: ", r->etag);
	if (r->has_last_modified)
		put_date(&o, DATE_MODIFIED, r->last_modified);
	if (r->accept_ranges)
		strbuf_puts(&o, "Accept-Ranges: bytes\r\n");
	if ((r->status == 206 && r->range == HTTP_RANGE_PARTIAL) ||
	    (r->status == 416 && r->range == HTTP_RANGE_UNSATISFIABLE))
		put_range(&o, r);
	if (r->status == 405)
		strbuf_puts(&o, "Allow: GET, HEAD\r\n");
	if (r->location)
		put_location(&o, r->location);
	if (r->traceresponse)
		put_field(&o, "traceresponse: ", r->traceresponse);
	strbuf_puts(&o, r->keep_alive ? "Connection: keep-alive\r\n\r\n" :
					"Connection: close\r\n\r\n");
	if (o.overflow) {
		buf[0] = '\0';
		return -ENOSPC;
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
