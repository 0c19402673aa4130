/* SPDX-License-Identifier: MIT */
/*
 * Byte slices of a request buffer and the small RFC 9110 lexical helpers
 * every HTTP module shares (tokens, OWS, comma lists). A slice borrows
 * the buffer it points into; nothing here allocates or scans for a NUL.
 * A slice with p == NULL means "absent"; a present but empty value has a
 * non-NULL p and len 0.
 */
#ifndef APP_HTTP_STR_H
#define APP_HTTP_STR_H

#include <stdbool.h>
#include <stddef.h>

struct http_str {
	const char *p;
	size_t len;
};

bool http_is_tchar(unsigned char c);
bool http_is_ows(unsigned char c);
bool http_str_eq_nocase(struct http_str s, const char *lit);
struct http_str http_str_trim(struct http_str s);
bool http_list_next(struct http_str *rest, struct http_str *elem);

#endif
