/* SPDX-License-Identifier: MIT */
/*
 * Compile-time limits of the HTTP server (app/ only; kernel/param.h knows
 * nothing about HTTP). The parser takes its caps from a struct
 * http_limits that defaults to these values, so tests and boot options can
 * lower them.
 */
#ifndef APP_HTTP_PARAM_H
#define APP_HTTP_PARAM_H

/* request head, see http_parser.h */
#define HTTP_LINE_MAX 8192 /* request-line bytes, CRLF excluded -> 414 */
#define HTTP_HEADERS_MAX 16384 /* header section bytes -> 431 */
#define HTTP_FIELDS_MAX 100 /* header field lines -> 431 */
#define HTTP_EMPTY_LINES_MAX 4 /* empty lines skipped before a request */
#define HTTP_BODY_MAX (1u << 20) /* request body read and dropped -> 413 */

/* paths, see http_path.h */
#define HTTP_PATH_MAX 1024 /* normalized path bytes, NUL excluded -> 414 */

/* request priority, see http_prio.h */
#define HTTP_PRIO_RULES_MAX 16 /* prio_path= rules kept */
#define HTTP_PRIO_PREFIX_MAX 128 /* bytes of one rule's path prefix */
#define HTTP_PRIO_HEADER_MAX 64 /* bytes of the prio_header= name */

/* response pieces, see http_cond.h and http_response.h */
#define HTTP_ETAG_SIZE 64 /* buffer for W/"ino-mtime-size" and its NUL */
#define HTTP_DATE_LEN 29 /* "Sun, 06 Nov 1994 08:49:37 GMT" */
#define HTTP_DATE_SIZE (HTTP_DATE_LEN + 1)
#define HTTP_ERROR_BODY_SIZE 256 /* buffer for any http_error_body() */

#endif
