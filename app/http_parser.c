// SPDX-License-Identifier: MIT
/*
 * HTTP/1.1 request-head parser (interface and rules in http_parser.h).
 *
 * The input is untrusted and not NUL-terminated: every access is checked
 * against the length, only memchr/memcmp with explicit lengths are used.
 * With a struct http_parse_state kept between calls, a call on an
 * incomplete head scans only the bytes that are new since the last call
 * (for the line end and the empty line), and the request line is checked
 * once, when its LF first arrives: a client that trickles a head byte by
 * byte costs linear time in total, the whole head is parsed once. Checks
 * run in one fixed order (line length, request line, header section
 * length, fields, then whole-request rules), so a prefix that already
 * shows an error gives the same status as the complete head would.
 */
#include "app/http_parser.h"

#include "app/http_param.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/string.h"

#define HTTP_VERSION_LEN 8 /* "HTTP/1.1" */

const struct http_limits http_default_limits = {
	.line_max = HTTP_LINE_MAX,
	.headers_max = HTTP_HEADERS_MAX,
	.fields_max = HTTP_FIELDS_MAX,
	.body_max = HTTP_BODY_MAX,
};

static const struct {
	const char *name;
	enum http_method method;
} methods[] = {
	{ "GET", HTTP_METHOD_GET },	    { "HEAD", HTTP_METHOD_HEAD },
	{ "POST", HTTP_METHOD_POST },	    { "PUT", HTTP_METHOD_PUT },
	{ "DELETE", HTTP_METHOD_DELETE },   { "OPTIONS", HTTP_METHOD_OPTIONS },
	{ "PATCH", HTTP_METHOD_PATCH },	    { "TRACE", HTTP_METHOD_TRACE },
	{ "CONNECT", HTTP_METHOD_CONNECT },
};

/* Fields that may appear once; a repeat is an error or drops the field. */
#define SEEN_HOST 0x1
#define SEEN_CONTENT_LENGTH 0x2
#define SEEN_INM 0x4
#define SEEN_IMS 0x8
#define SEEN_RANGE 0x10
#define SEEN_IF_RANGE 0x20
#define SEEN_TRACEPARENT 0x40
#define SEEN_REFERER 0x80
#define SEEN_USER_AGENT 0x100

static int fail(struct http_request *req, int status)
{
	req->status = status;
	return HTTP_PARSE_BAD;
}

/* Name of a method, "?" for HTTP_METHOD_UNKNOWN. */
const char *http_method_name(enum http_method m)
{
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if (methods[i].method == m)
			return methods[i].name;
	return "?";
}

static enum http_method lookup_method(const char *p, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if (strlen(methods[i].name) == len &&
		    !memcmp(methods[i].name, p, len))
			return methods[i].method;
	return HTTP_METHOD_UNKNOWN;
}

/*
 * Skip the empty lines (CRLF or LF) before a request line, advancing
 * *pos. Returns 0, HTTP_PARSE_PARTIAL or HTTP_PARSE_BAD.
 */
static int skip_empty_lines(const char *buf, size_t len, size_t *pos,
			    struct http_request *req)
{
	for (unsigned n = 0; *pos < len; n++) {
		size_t eol;

		if (buf[*pos] == '\n')
			eol = *pos + 1;
		else if (buf[*pos] != '\r')
			return 0;
		else if (*pos + 1 == len)
			return HTTP_PARSE_PARTIAL;
		else if (buf[*pos + 1] == '\n')
			eol = *pos + 2;
		else
			return fail(req, 400); /* bare CR */
		if (n == HTTP_EMPTY_LINES_MAX)
			return fail(req, 400);
		*pos = eol;
	}
	return HTTP_PARSE_PARTIAL;
}

/* "HTTP/1.x" -> 0 with the minor version set, or the status to answer. */
static int parse_version(const char *p, size_t len, struct http_request *req)
{
	if (len != HTTP_VERSION_LEN || memcmp(p, "HTTP/", 5) || p[5] < '0' ||
	    p[5] > '9' || p[6] != '.' || p[7] < '0' || p[7] > '9')
		return 400;
	if (p[5] != '1' || (p[7] != '0' && p[7] != '1'))
		return 505;
	req->version_minor = (unsigned)(p[7] - '0');
	return 0;
}

/*
 * request-line = method SP request-target SP HTTP-version, in [p, end)
 * (line ending excluded). Returns 0 or HTTP_PARSE_BAD.
 */
static int parse_request_line(const char *p, const char *end,
			      struct http_request *req)
{
	const char *m = p, *t;
	int status;

	while (p < end && http_is_tchar((unsigned char)*p))
		p++;
	if (p == m || p == end || *p != ' ')
		return fail(req, 400);
	t = ++p;
	while (p < end && (unsigned char)*p > ' ' && (unsigned char)*p < 0x7f)
		p++;
	if (p == t || p == end || *p != ' ')
		return fail(req, 400);
	req->target.p = t;
	req->target.len = (size_t)(p - t);
	p++;
	status = parse_version(p, (size_t)(end - p), req);
	if (status)
		return fail(req, status);
	req->method = lookup_method(m, (size_t)(t - 1 - m));
	if (req->method == HTTP_METHOD_UNKNOWN)
		return fail(req, 501);
	if (req->method != HTTP_METHOD_GET && req->method != HTTP_METHOD_HEAD)
		return fail(req, 405);
	return 0;
}

/* Content-Length = 1*DIGIT, without overflow. */
static int parse_content_length(struct http_str v, uint64_t *out)
{
	uint64_t n = 0;

	if (!v.len)
		return -1;
	for (size_t i = 0; i < v.len; i++) {
		unsigned d = (unsigned char)v.p[i] - '0';

		if (d > 9 || n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*out = n;
	return 0;
}

/* Host = uri-host [ ":" port ]: reg-name, IP literal or IPv4 characters. */
static bool valid_host(struct http_str v)
{
	static const char extra[] = "-._~!$&'()*+,;=:[]%";

	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') ||
		      memchr(extra, c, sizeof(extra) - 1)))
			return false;
	}
	return true;
}

static void parse_connection(struct http_str v, struct http_request *req)
{
	struct http_str tok;

	while (http_list_next(&v, &tok)) {
		if (http_str_eq_nocase(tok, "close"))
			req->connection |= HTTP_CONN_CLOSE;
		else if (http_str_eq_nocase(tok, "keep-alive"))
			req->connection |= HTTP_CONN_KEEP_ALIVE;
	}
}

/* Keep the first value of a field that may appear once; drop it on a repeat. */
static void set_once(struct http_str *field, struct http_str v, unsigned bit,
		     unsigned *seen)
{
	if (*seen & bit) {
		field->p = NULL;
		field->len = 0;
		return;
	}
	*seen |= bit;
	*field = v;
}

enum field {
	FIELD_HOST,
	FIELD_CONTENT_LENGTH,
	FIELD_TRANSFER_ENCODING,
	FIELD_CONNECTION,
	FIELD_IF_NONE_MATCH,
	FIELD_IF_MODIFIED_SINCE,
	FIELD_RANGE,
	FIELD_IF_RANGE,
	FIELD_REFERER,
	FIELD_USER_AGENT,
	FIELD_TRACEPARENT,
	FIELD_OTHER,
};

static const struct {
	const char *name;
	size_t len;
	enum field id;
} fields[] = {
	{ "host", sizeof("host") - 1, FIELD_HOST },
	{ "content-length", sizeof("content-length") - 1,
	  FIELD_CONTENT_LENGTH },
	{ "transfer-encoding", sizeof("transfer-encoding") - 1,
	  FIELD_TRANSFER_ENCODING },
	{ "connection", sizeof("connection") - 1, FIELD_CONNECTION },
	{ "if-none-match", sizeof("if-none-match") - 1, FIELD_IF_NONE_MATCH },
	{ "if-modified-since", sizeof("if-modified-since") - 1,
	  FIELD_IF_MODIFIED_SINCE },
	{ "range", sizeof("range") - 1, FIELD_RANGE },
	{ "if-range", sizeof("if-range") - 1, FIELD_IF_RANGE },
	{ "referer", sizeof("referer") - 1, FIELD_REFERER },
	{ "user-agent", sizeof("user-agent") - 1, FIELD_USER_AGENT },
	{ "traceparent", sizeof("traceparent") - 1, FIELD_TRACEPARENT },
};

static enum field lookup_field(struct http_str name)
{
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (fields[i].len == name.len &&
		    http_str_eq_nocase(name, fields[i].name))
			return fields[i].id;
	return FIELD_OTHER;
}

/* Record one field the server uses. Returns 0 or HTTP_PARSE_BAD. */
static int use_field(struct http_str name, struct http_str v,
		     struct http_request *req, unsigned *seen)
{
	switch (lookup_field(name)) {
	case FIELD_HOST:
		if ((*seen & SEEN_HOST) || !valid_host(v))
			return fail(req, 400);
		set_once(&req->host, v, SEEN_HOST, seen);
		break;
	case FIELD_CONTENT_LENGTH:
		if ((*seen & SEEN_CONTENT_LENGTH) ||
		    parse_content_length(v, &req->content_length))
			return fail(req, 400);
		*seen |= SEEN_CONTENT_LENGTH;
		req->has_content_length = true;
		break;
	case FIELD_TRANSFER_ENCODING:
		return fail(req, 400);
	case FIELD_CONNECTION:
		parse_connection(v, req);
		break;
	case FIELD_IF_NONE_MATCH:
		set_once(&req->if_none_match, v, SEEN_INM, seen);
		break;
	case FIELD_IF_MODIFIED_SINCE:
		set_once(&req->if_modified_since, v, SEEN_IMS, seen);
		break;
	case FIELD_RANGE:
		set_once(&req->range, v, SEEN_RANGE, seen);
		break;
	case FIELD_IF_RANGE:
		set_once(&req->if_range, v, SEEN_IF_RANGE, seen);
		break;
	case FIELD_REFERER: /* for the access log only */
		set_once(&req->referer, v, SEEN_REFERER, seen);
		break;
	case FIELD_USER_AGENT:
		set_once(&req->user_agent, v, SEEN_USER_AGENT, seen);
		break;
	case FIELD_TRACEPARENT:
		/* W3C Trace Context 3.2: a repeat makes it unusable; the
		 * request then starts a fresh trace. */
		set_once(&req->traceparent, v, SEEN_TRACEPARENT, seen);
		break;
	case FIELD_OTHER:
		break;
	}
	return 0;
}

/*
 * field-line = field-name ":" OWS field-value OWS, in [p, end) without
 * its line ending. Returns 0 or HTTP_PARSE_BAD.
 */
static int parse_field(const char *p, const char *end, struct http_request *req,
		       unsigned *seen)
{
	struct http_str name = { p, 0 }, v;

	if (http_is_ows((unsigned char)*p))
		return fail(req, 400); /* obs-fold */
	while (p < end && http_is_tchar((unsigned char)*p))
		p++;
	name.len = (size_t)(p - name.p);
	if (!name.len || p == end || *p != ':')
		return fail(req, 400);
	v.p = ++p;
	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c < ' ' && c != '\t') || c == 0x7f)
			return fail(req, 400); /* CTL, NUL, bare CR */
	}
	v.len = (size_t)(end - v.p);
	return use_field(name, http_str_trim(v), req, seen);
}

/*
 * Parse the header section [p, end), which ends with its empty line.
 * Returns 0 or HTTP_PARSE_BAD.
 */
static int parse_fields(const char *p, const char *end,
			const struct http_limits *lim, struct http_request *req)
{
	unsigned seen = 0;

	for (;;) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		const char *eol = lf;
		int err;

		if (!lf)
			return fail(req, 400); /* cannot happen: end is a LF */
		if (eol > p && eol[-1] == '\r')
			eol--;
		if (eol == p)
			return 0;
		if (++req->nfields > lim->fields_max)
			return fail(req, 431);
		err = parse_field(p, eol, req, &seen);
		if (err)
			return err;
		p = lf + 1;
	}
}

/* Rules that need the whole head. Returns 0 or HTTP_PARSE_BAD. */
static int check_request(const struct http_limits *lim,
			 struct http_request *req)
{
	if (req->version_minor == 1 && !req->host.p)
		return fail(req, 400);
	/* A body means nothing to GET or HEAD: the caller reads past it. */
	if (req->has_content_length && req->content_length > lim->body_max)
		return fail(req, 413);
	if (req->connection & HTTP_CONN_CLOSE)
		req->keep_alive = false;
	else if (req->version_minor == 1)
		req->keep_alive = true;
	else
		req->keep_alive = req->connection & HTTP_CONN_KEEP_ALIVE;
	return 0;
}

/*
 * Find the empty line ending the head: a LF at or after @from followed
 * by LF or CRLF. Returns the offset just past it, or 0 if not there yet.
 */
static size_t find_head_end(const char *buf, size_t len, size_t from)
{
	while (from < len) {
		const char *lf = memchr(buf + from, '\n', len - from);
		size_t i;

		if (!lf)
			return 0;
		i = (size_t)(lf - buf);
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
		from = i + 1;
	}
	return 0;
}

/*
 * Find the end of the request line: the offset just past its LF, 0 if it
 * has not arrived (then *err is set if the line is already too long).
 * Only the bytes past st->scanned are new.
 */
static size_t find_line_end(const char *buf, size_t len, size_t start,
			    const struct http_parse_state *st,
			    const struct http_limits *lim,
			    struct http_request *req, int *err)
{
	size_t from = MAX(start, st->scanned), line_len;
	const char *lf = memchr(buf + from, '\n', len - from);

	if (lf)
		return (size_t)(lf - buf) + 1;
	line_len = len - start;
	if (line_len && buf[len - 1] == '\r')
		line_len--; /* may be the CR of the CRLF */
	*err = line_len > lim->line_max ? fail(req, 414) : HTTP_PARSE_PARTIAL;
	return 0;
}

/* Length check and parse of the request line [start, hdr). */
static int check_line(const char *buf, size_t start, size_t hdr,
		      const struct http_limits *lim, struct http_request *req)
{
	size_t line_len = hdr - 1 - start;

	if (line_len && buf[hdr - 2] == '\r')
		line_len--;
	if (line_len > lim->line_max)
		return fail(req, 414);
	return parse_request_line(buf + start, buf + start + line_len, req);
}

/*
 * Parse the request head at the start of @buf (@len bytes received so
 * far; borrowed). @st, if not NULL, carries progress between calls on
 * one request: zero it before the first call, keep it while calls return
 * HTTP_PARSE_PARTIAL, and keep @buf's first bytes unchanged meanwhile.
 * @lim NULL means http_default_limits. Returns the head length (the next
 * request starts there), HTTP_PARSE_PARTIAL, or HTTP_PARSE_BAD with
 * req->status set. @req is overwritten on every call.
 */
int http_parse_request(const char *buf, size_t len, struct http_parse_state *st,
		       const struct http_limits *lim, struct http_request *req)
{
	struct http_parse_state none = { 0, 0 };
	size_t start = 0, hdr, end;
	int err;

	memset(req, 0, sizeof(*req));
	if (!lim)
		lim = &http_default_limits;
	if (!st || st->scanned > len || st->hdr > len)
		st = &none;
	err = skip_empty_lines(buf, len, &start, req);
	if (err)
		return err;
	if (st->hdr && (st->hdr <= start || buf[st->hdr - 1] != '\n'))
		st = &none; /* not from a call on these bytes */
	hdr = st->hdr;
	if (!hdr) {
		/* First sight of the whole request line: check it now. */
		hdr = find_line_end(buf, len, start, st, lim, req, &err);
		if (!hdr) {
			st->scanned = len;
			return err;
		}
		err = check_line(buf, start, hdr, lim, req);
		if (err)
			return err;
	}
	end = find_head_end(buf, len, MAX(hdr - 1, MAX(st->scanned, 2) - 2));
	if (!end) {
		st->hdr = hdr;
		st->scanned = len;
		return len - hdr > lim->headers_max ? fail(req, 431) :
						      HTTP_PARSE_PARTIAL;
	}
	if (st->hdr) {
		err = check_line(buf, start, hdr, lim, req); /* fill req */
		if (err)
			return err;
	}
	if (end - hdr > lim->headers_max)
		return fail(req, 431);
	err = parse_fields(buf + hdr, buf + end, lim, req);
	if (err)
		return err;
	err = check_request(lim, req);
	if (err)
		return err;
	return (int)end;
}
