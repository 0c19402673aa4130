// SPDX-License-Identifier: MIT
/*
 * Extension to media type table (interface in mime.h). The path is read
 * only within its given length. Types follow the IANA registry; the
 * table is small, so a linear scan is fine.
 */
#include "app/mime.h"

#include "app/http_str.h"
#include "kernel/lib/compiler.h"

#define UTF8 "; charset=utf-8"

static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{ "html", "text/html" UTF8 },
	{ "htm", "text/html" UTF8 },
	{ "css", "text/css" UTF8 },
	{ "js", "text/javascript" UTF8 },
	{ "mjs", "text/javascript" UTF8 },
	{ "json", "application/json" },
	{ "txt", "text/plain" UTF8 },
	{ "md", "text/markdown" UTF8 },
	{ "csv", "text/csv" UTF8 },
	{ "xml", "application/xml" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "avif", "image/avif" },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "pdf", "application/pdf" },
	{ "wasm", "application/wasm" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
	{ "mp3", "audio/mpeg" },
	{ "ogg", "audio/ogg" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
	{ "otf", "font/otf" },
	{ "zip", "application/zip" },
	{ "gz", "application/gzip" },
	{ "tar", "application/x-tar" },
	{ "bin", "application/octet-stream" },
};

/* Media type for the file @path (@len bytes, no NUL needed). */
const char *mime_type(const char *path, size_t len)
{
	struct http_str ext = { NULL, 0 };
	char first;

	for (size_t i = len; i > 0; i--) {
		if (path[i - 1] == '/')
			break;
		if (path[i - 1] == '.') {
			ext.p = path + i;
			ext.len = len - i;
			break;
		}
	}
	if (!ext.p || !ext.len)
		return MIME_DEFAULT;
	/* The extensions are lower case: most entries fail at the first
	 * byte, without a call (this runs for every file served). */
	first = ext.p[0] >= 'A' && ext.p[0] <= 'Z' ? ext.p[0] - 'A' + 'a' :
						     ext.p[0];
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (types[i].ext[0] == first &&
		    http_str_eq_nocase(ext, types[i].ext))
			return types[i].type;
	return MIME_DEFAULT;
}
