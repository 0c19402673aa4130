// SPDX-License-Identifier: MIT
/* Unit tests for app/mime.c: the table, case, charset and fallbacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "app/mime.h"
#include "tests/fakes/guard_page.h"

static const char *type(const char *path)
{
	size_t n = strlen(path);

	return mime_type(guard_copy(path, n), n);
}

static void test_table(void **state)
{
	static const char *const map[][2] = {
		{ "/index.html", "text/html; charset=utf-8" },
		{ "/a.htm", "text/html; charset=utf-8" },
		{ "/s.css", "text/css; charset=utf-8" },
		{ "/app.js", "text/javascript; charset=utf-8" },
		{ "/m.mjs", "text/javascript; charset=utf-8" },
		{ "/d.json", "application/json" },
		{ "/r.txt", "text/plain; charset=utf-8" },
		{ "/f.xml", "application/xml" },
		{ "/i.svg", "image/svg+xml" },
		{ "/i.png", "image/png" },
		{ "/i.jpg", "image/jpeg" },
		{ "/i.jpeg", "image/jpeg" },
		{ "/i.gif", "image/gif" },
		{ "/i.webp", "image/webp" },
		{ "/favicon.ico", "image/vnd.microsoft.icon" },
		{ "/doc.pdf", "application/pdf" },
		{ "/m.wasm", "application/wasm" },
		{ "/v.mp4", "video/mp4" },
		{ "/f.woff", "font/woff" },
		{ "/f.woff2", "font/woff2" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		assert_string_equal(type(map[i][0]), map[i][1]);
}

static void test_case_and_last_dot(void **state)
{
	(void)state;
	assert_string_equal(type("/INDEX.HTML"), "text/html; charset=utf-8");
	assert_string_equal(type("/a.PnG"), "image/png");
	assert_string_equal(type("/a.tar.gz"), "application/gzip");
	assert_string_equal(type("/a.html.bak"), MIME_DEFAULT);
	assert_string_equal(type("/v1.2/readme.txt"),
			    "text/plain; charset=utf-8");
}

static void test_fallbacks(void **state)
{
	(void)state;
	assert_string_equal(type("/Makefile"), MIME_DEFAULT);
	assert_string_equal(type("/dir.html/file"), MIME_DEFAULT);
	assert_string_equal(type("/file."), MIME_DEFAULT);
	assert_string_equal(type("/a.htmlx"), MIME_DEFAULT);
	assert_string_equal(type("/a.ht"), MIME_DEFAULT);
	assert_string_equal(type("/"), MIME_DEFAULT);
	assert_string_equal(type(""), MIME_DEFAULT);
	/* The length bounds the name: "/a.css" seen as "/a.c". */
	assert_string_equal(mime_type("/a.css", 4), MIME_DEFAULT);
	assert_string_equal(mime_type("/a.jsx", 5), "text/javascript; "
						    "charset=utf-8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_case_and_last_dot),
		cmocka_unit_test(test_fallbacks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
