/* SPDX-License-Identifier: MIT */
/*
 * Access log lines (pure: no clock, network or allocation, so the host
 * unit test runs it unchanged). A struct alog_entry holds one response's
 * fields, already escaped (alog_escape), and becomes one line of the
 * Combined Log Format (Apache's, the de facto standard) with the request
 * id, its W3C trace id, the duration and the bytes queued appended:
 *
 *   PEER - - [DD/Mon/YYYY:HH:MM:SS +0000] "METHOD TARGET HTTP/1.x" STATUS
 *   BODY "REFERER" "USER-AGENT" id=N trace=HEX32|- us=N bytes=N
 *
 * BODY is "-" for no body, as CLF writes it; bytes counts the head too.
 * alog_format_syslog wraps a line in an RFC 5424 message (section 6):
 * PRI local0.info, VERSION 1, the completion TIMESTAMP in UTC with
 * microseconds, HOSTNAME, APP-NAME "petrel", MSGID "access", and the id
 * and trace id again as structured data under the documentation
 * enterprise number 32473 (RFC 5612), so a collector need not parse MSG.
 */
#ifndef APP_ACCESS_FMT_H
#define APP_ACCESS_FMT_H

#include <stddef.h>
#include <stdint.h>

#define ALOG_PEER_MAX 16 /* "255.255.255.255" + NUL */
#define ALOG_METHOD_MAX 8 /* "OPTIONS" + NUL */
#define ALOG_TARGET_MAX 256 /* escaped request-target, cut with "..." */
#define ALOG_FIELD_MAX 128 /* escaped Referer / User-Agent */
#define ALOG_HOST_MAX 48 /* RFC 5424 HOSTNAME (it allows 255) */
#define ALOG_LINE_MAX 768 /* a whole line fits: the fields are capped */
#define ALOG_SYSLOG_MAX (ALOG_LINE_MAX + 192) /* line + header + SD */

struct alog_entry {
	int64_t start_s; /* wall clock when the head was parsed */
	int64_t done_us; /* wall clock when the response was queued whole */
	uint64_t req_id;
	uint8_t trace_id[16]; /* all zero: none */
	uint64_t dur_us;
	uint64_t body_bytes;
	uint64_t bytes; /* head and body */
	uint16_t status;
	uint8_t version_minor;
	char peer[ALOG_PEER_MAX];
	char method[ALOG_METHOD_MAX]; /* "": the request did not parse */
	char target[ALOG_TARGET_MAX];
	char referer[ALOG_FIELD_MAX]; /* "": absent */
	char agent[ALOG_FIELD_MAX];
};

enum alog_mode { ALOG_OFF, ALOG_CONSOLE, ALOG_SYSLOG };

/* Where the lines go: the value of access_log=. */
struct alog_target {
	enum alog_mode mode;
	uint32_t addr; /* ALOG_SYSLOG: collector, host order */
	uint16_t port;
};

/* Parse "off", "console" or "syslog:A.B.C.D:PORT" (port 1..65535) into
 * t. 0, or -EINVAL with t unchanged. */
int alog_parse_target(const char *s, struct alog_target *t);

/* Copy len bytes of src into dst (size bytes, NUL-terminated) as CLF
 * escapes them: '"' and '\' get a backslash, bytes outside printable
 * ASCII become \xHH; a value that does not fit ends in "...". */
void alog_escape(char *dst, size_t size, const char *src, size_t len);

/* The line of `e`, without a line end. Its length, or -ENOSPC. */
int alog_format_line(char *buf, size_t size, const struct alog_entry *e);

/* The RFC 5424 message of `e` from host `host`, with `line` (len bytes,
 * from alog_format_line) as MSG. Its length, or -ENOSPC. */
int alog_format_syslog(char *buf, size_t size, const char *host,
		       const struct alog_entry *e, const char *line,
		       size_t len);

#endif
