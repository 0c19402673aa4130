/* SPDX-License-Identifier: MIT */
/*
 * Content-Type by file name extension. mime_type() looks at the text
 * after the last '.' of the last path segment, case-insensitively; text
 * types carry "; charset=utf-8"; unknown or no extension gives
 * MIME_DEFAULT. The returned strings are static.
 */
#ifndef APP_MIME_H
#define APP_MIME_H

#include <stddef.h>

#define MIME_DEFAULT "application/octet-stream"

const char *mime_type(const char *path, size_t len);

#endif
