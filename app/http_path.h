/* SPDX-License-Identifier: MIT */
/*
 * Request-target to site path. http_path_normalize() turns the raw target
 * of a request into an absolute, NUL-terminated path that cannot leave
 * the site root: "/" followed by segments that are never "", "." or "..".
 *
 * Rules: origin-form "/p?q" and absolute-form "http://host/p?q" (scheme
 * and authority dropped, the Host header wins elsewhere) are accepted,
 * anything else ("*", authority-form, relative) is -EINVAL. The query is
 * cut before decoding; a '#' is -EINVAL. %XX is decoded once (so "%252e"
 * is the name "%2e"), bad hex is -EINVAL, and a decoded byte below 0x20,
 * 0x7f or '\\' is -EINVAL. Dot segments are resolved after decoding (so
 * %2e%2e is ".." and %2f is '/'), "//" collapses, and a ".." that would
 * climb above the root is -EINVAL (400, not clamped: browsers never send
 * one). A trailing '/' (or a final "." or "..") is kept as a trailing '/'
 * so the router can tell a directory request. A decoded path (before dot
 * removal) longer than @size - 1 bytes is -ENAMETOOLONG (414); the norm
 * for @size is HTTP_PATH_MAX + 1.
 */
#ifndef APP_HTTP_PATH_H
#define APP_HTTP_PATH_H

#include <stddef.h>

int http_path_normalize(const char *target, size_t len, char *out, size_t size,
			size_t *out_len);

#endif
