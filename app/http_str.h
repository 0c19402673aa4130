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
#include <stdint.h>

struct http_str {
	const char *p;
	size_t len;
};

/* tchar of RFC 9110 section 5.6.2: ALPHA DIGIT !#$%&'*+-.^_`|~ */
#define HTTP_TCHAR_LO 0x03ff6cfa00000000ull /* bits for bytes 0..63 */
#define HTTP_TCHAR_HI 0x57ffffffc7fffffeull /* bits for bytes 64..127 */

/* True for the characters of a token (inline: the parser's inner loop). */
static inline bool http_is_tchar(unsigned char c)
{
	if (c < 64)
		return (HTTP_TCHAR_LO >> c) & 1;
	if (c < 128)
		return (HTTP_TCHAR_HI >> (c - 64)) & 1;
	return false;
}

/* True for optional whitespace: SP or HTAB. */
static inline bool http_is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

bool http_str_eq_nocase(struct http_str s, const char *lit);
struct http_str http_str_trim(struct http_str s);
bool http_list_next(struct http_str *rest, struct http_str *elem);

/* The decimal value of query parameter `key` ("id=") in a
 * request-target: 1 with *v, 0 when absent, -EINVAL when its value is
 * empty, not all digits or too large. */
int http_query_number(const char *target, size_t len, const char *key,
		      uint64_t *v);

#endif
