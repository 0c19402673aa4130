// SPDX-License-Identifier: MIT
/*
 * Access log lines: the Combined Log Format and its RFC 5424 wrapping
 * (interface and line layout in access_fmt.h). Pure formatting.
 */
#include "app/access_fmt.h"

#include <stdbool.h>

#include "kernel/lib/civil.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"
#include "net/ipcfg.h"

#define SYSLOG_PRI 134 /* facility local0 (16) * 8 + severity info (6) */
#define SYSLOG_SD_ID "petrel@32473" /* RFC 5612 documentation PEN */
#define CUT_MARK "..."
#define CUT_LEN (sizeof(CUT_MARK) - 1)

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

#define SYSLOG_PREFIX "syslog:"
#define PORT_MAX 65535

/* A decimal port 1..PORT_MAX that is all of s: 0 or -EINVAL. */
static int parse_port(const char *s, uint16_t *out)
{
	uint32_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint32_t)(*s - '0');
		if (v > PORT_MAX)
			return -EINVAL;
	}
	if (!v)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int alog_parse_target(const char *s, struct alog_target *t)
{
	char addr[IPCFG_STR_MAX];
	const char *colon;
	struct alog_target r = { .mode = ALOG_SYSLOG };

	if (!strcmp(s, "off") || !strcmp(s, "console")) {
		*t = (struct alog_target){ .mode = s[0] == 'o' ? ALOG_OFF :
								 ALOG_CONSOLE };
		return 0;
	}
	if (strncmp(s, SYSLOG_PREFIX, sizeof(SYSLOG_PREFIX) - 1))
		return -EINVAL;
	s += sizeof(SYSLOG_PREFIX) - 1;
	colon = strchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, (size_t)(colon - s));
	addr[colon - s] = '\0';
	if (ipcfg_parse_addr(addr, &r.addr) || !r.addr ||
	    parse_port(colon + 1, &r.port))
		return -EINVAL;
	*t = r;
	return 0;
}

/* How many bytes byte c takes once escaped. */
static size_t escaped_len(unsigned char c)
{
	if (c == '"' || c == '\\')
		return 2;
	return c < 0x20 || c >= 0x7f ? 4 : 1;
}

/* Write byte c escaped at dst; returns the bytes written. */
static size_t put_escaped(char *dst, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = escaped_len(c);

	if (n == 1) {
		dst[0] = (char)c;
	} else if (n == 2) {
		dst[0] = '\\';
		dst[1] = (char)c;
	} else {
		dst[0] = '\\';
		dst[1] = 'x';
		dst[2] = hex[c >> 4];
		dst[3] = hex[c & 15];
	}
	return n;
}

void alog_escape(char *dst, size_t size, const char *src, size_t len)
{
	size_t need = 0, room, o = 0;

	if (!size)
		return;
	for (size_t i = 0; i < len; i++)
		need += escaped_len((unsigned char)src[i]);
	/* All of it, or as much as leaves room for the cut mark. */
	room = need < size ? size - 1 : size - 1 - MIN(size - 1, CUT_LEN);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if (o + escaped_len(c) > room)
			break;
		o += put_escaped(dst + o, c);
	}
	if (need >= size && size - 1 >= CUT_LEN) {
		memcpy(dst + o, CUT_MARK, CUT_LEN);
		o += CUT_LEN;
	}
	dst[o] = '\0';
}

/* "-" for an absent or empty value. */
static const char *or_dash(const char *s)
{
	return s[0] ? s : "-";
}

/* 32 lower-case hex digits of the trace id, or "-" when it is zero. */
static const char *trace_hex(const struct alog_entry *e, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	bool any = false;

	for (int i = 0; i < 16; i++) {
		buf[2 * i] = hex[e->trace_id[i] >> 4];
		buf[2 * i + 1] = hex[e->trace_id[i] & 15];
		any |= e->trace_id[i] != 0;
	}
	buf[32] = '\0';
	return any ? buf : "-";
}

/* The civil date and time of `s` seconds since the epoch. */
static struct civil split_time(int64_t s, unsigned *hms)
{
	int64_t day = civil_floor_div(s, CIVIL_SECS_PER_DAY);
	int64_t sec = s - day * CIVIL_SECS_PER_DAY;

	hms[0] = (unsigned)(sec / 3600);
	hms[1] = (unsigned)(sec / 60 % 60);
	hms[2] = (unsigned)(sec % 60);
	return civil_date_from_days(day);
}

/* The quoted request: "METHOD TARGET HTTP/1.x", or "-" unparsed. */
static int format_request(char *buf, size_t size, const struct alog_entry *e)
{
	if (!e->method[0])
		return snprintf(buf, size, "-");
	return snprintf(buf, size, "%s %s HTTP/1.%u", e->method, e->target,
			e->version_minor);
}

int alog_format_line(char *buf, size_t size, const struct alog_entry *e)
{
	char request[ALOG_METHOD_MAX + ALOG_TARGET_MAX + 16];
	char body[24], trace[33];
	unsigned hms[3];
	struct civil d = split_time(e->start_s, hms);
	int n;

	format_request(request, sizeof(request), e);
	if (e->body_bytes)
		snprintf(body, sizeof(body), "%llu",
			 (unsigned long long)e->body_bytes);
	else
		snprintf(body, sizeof(body), "-");
	n = snprintf(
		buf, size,
		"%s - - [%02u/%s/%04lld:%02u:%02u:%02u +0000] \"%s\" %u %s "
		"\"%s\" \"%s\" id=%llu trace=%s us=%llu bytes=%llu",
		or_dash(e->peer), d.day, months[(d.mon - 1) % 12],
		(long long)d.year, hms[0], hms[1], hms[2], request, e->status,
		body, or_dash(e->referer), or_dash(e->agent),
		(unsigned long long)e->req_id, trace_hex(e, trace),
		(unsigned long long)e->dur_us, (unsigned long long)e->bytes);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

int alog_format_syslog(char *buf, size_t size, const char *host,
		       const struct alog_entry *e, const char *line, size_t len)
{
	int64_t s = civil_floor_div(e->done_us, 1000000);
	unsigned us = (unsigned)(e->done_us - s * 1000000);
	char trace[33];
	unsigned hms[3];
	struct civil d = split_time(s, hms);
	int n;

	n = snprintf(buf, size,
		     "<%d>1 %04lld-%02u-%02uT%02u:%02u:%02u.%06uZ %s petrel - "
		     "access [" SYSLOG_SD_ID " id=\"%llu\" trace=\"%s\"] ",
		     SYSLOG_PRI, (long long)d.year, d.mon, d.day, hms[0],
		     hms[1], hms[2], us, host[0] ? host : "-",
		     (unsigned long long)e->req_id, trace_hex(e, trace));
	if (n < 0 || (size_t)n + len >= size)
		return -ENOSPC;
	memcpy(buf + n, line, len);
	buf[n + len] = '\0';
	return n + (int)len;
}
