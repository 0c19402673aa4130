// SPDX-License-Identifier: MIT
/*
 * Unit tests for app/http_path.c: decoding, dot segments, traversal
 * attempts, forms and caps. Targets sit right before a guard page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "app/http_param.h"
#include "app/http_path.h"
#include "kernel/lib/errno.h"
#include "tests/fakes/guard_page.h"

static char out[HTTP_PATH_MAX + 1];
static size_t out_len;

static int norm(const char *t)
{
	size_t n = strlen(t);

	memset(out, 'Z', sizeof(out));
	return http_path_normalize(guard_copy(t, n), n, out, sizeof(out),
				   &out_len);
}

static void expect(const char *target, const char *path)
{
	int r = norm(target);

	if (r)
		fail_msg("\"%s\": %d, want \"%s\"", target, r, path);
	if (strcmp(out, path) || out_len != strlen(path))
		fail_msg("\"%s\" -> \"%s\", want \"%s\"", target, out, path);
}

static void expect_err(const char *target, int err)
{
	int r = norm(target);

	if (r != err)
		fail_msg("\"%s\": %d (\"%s\"), want %d", target, r,
			 r ? "" : out, err);
}

static void test_plain(void **state)
{
	(void)state;
	expect("/", "/");
	expect("/index.html", "/index.html");
	expect("/a/b/c.txt", "/a/b/c.txt");
	expect("/dir/", "/dir/");
	expect("/dir", "/dir");
	expect("/a..b/...", "/a..b/...");
	expect("/.hidden", "/.hidden");
}

static void test_query_stripped(void **state)
{
	(void)state;
	expect("/a?b=c", "/a");
	expect("/?x", "/");
	expect("/dir/?../../x", "/dir/");
	expect("/a?%zz", "/a"); /* the query is never decoded */
	expect_err("?x", -EINVAL);
}

static void test_percent_decoding(void **state)
{
	(void)state;
	expect("/a%20b", "/a b");
	expect("/%41%62%63", "/Abc");
	expect("/%e2%82%ac", "/\xe2\x82\xac");
	expect("/%252e%252e/x", "/%2e%2e/x"); /* decoded once only */
	expect("/a%3Fb", "/a?b");
	expect("/a%23b", "/a#b");
	expect_err("/%", -EINVAL);
	expect_err("/%4", -EINVAL);
	expect_err("/%zz", -EINVAL);
	expect_err("/%g0", -EINVAL);
	expect_err("/a%", -EINVAL);
	expect_err("/%-1", -EINVAL);
}

static void test_control_and_nul(void **state)
{
	(void)state;
	expect_err("/a%00b", -EINVAL);
	expect_err("/a%0d%0aSet-Cookie:x", -EINVAL);
	expect_err("/a%1f", -EINVAL);
	expect_err("/a%7f", -EINVAL);
	expect_err("/a#frag", -EINVAL);
	/* A raw NUL inside the given length too. */
	assert_int_equal(http_path_normalize(guard_copy("/a\0b", 4), 4, out,
					     sizeof(out), &out_len),
			 -EINVAL);
}

static void test_backslash_rejected(void **state)
{
	(void)state;
	expect_err("/a\\b", -EINVAL);
	expect_err("/..\\etc/passwd", -EINVAL);
	expect_err("/%5c..%5cetc", -EINVAL);
	expect_err("/%5C", -EINVAL);
}

static void test_dot_segments(void **state)
{
	(void)state;
	expect("/a/./b", "/a/b");
	expect("/a/b/../c", "/a/c");
	expect("/a/b/..", "/a/");
	expect("/a/b/../", "/a/");
	expect("/a/.", "/a/");
	expect("/.", "/");
	expect("/./", "/");
	expect("/a/..", "/");
	expect("/a/b/c/../../d", "/a/d");
	expect("/a/%2e/b", "/a/b");
	expect("/a/%2e%2E/b", "/b");
	expect("/a/.%2e/b", "/b");
	expect("/a/b/%2E%2e/%2e%2E/c", "/c");
	expect("/a%2f..%2fb", "/b"); /* %2f is a separator after decoding */
}

static void test_slashes_collapse(void **state)
{
	(void)state;
	expect("//", "/");
	expect("//etc/passwd", "/etc/passwd");
	expect("/a//b///c", "/a/b/c");
	expect("/a//", "/a/");
	expect("/a/.//./b", "/a/b");
}

static void test_traversal_rejected(void **state)
{
	static const char *const bad[] = {
		"/..",
		"/../",
		"/../etc/passwd",
		"/%2e%2e/",
		"/%2e%2e/etc/passwd",
		"/%2E%2E%2Fetc%2Fpasswd",
		"/a/../..",
		"/a/%2E%2e/%2e%2E/b",
		"/a/b/../../../etc",
		"//../x",
		"/./../x",
		"/.%2e/x",
		"/%2e./x",
		"http://h/../x",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_err(bad[i], -EINVAL);
}

static void test_forms(void **state)
{
	(void)state;
	expect("http://example.com/a/b", "/a/b");
	expect("HTTPS://example.com:443/a?q", "/a");
	expect("http://example.com", "/");
	expect("http://example.com?q=1", "/");
	expect_err("*", -EINVAL);
	expect_err("example.com:80", -EINVAL);
	expect_err("a/b", -EINVAL);
	expect_err("", -EINVAL);
	expect_err("ftp://h/x", -EINVAL);
	expect_err("http:/x", -EINVAL);
}

static void test_length_cap(void **state)
{
	char t[2 * HTTP_PATH_MAX + 8];
	int r;

	(void)state;
	t[0] = '/';
	memset(t + 1, 'a', HTTP_PATH_MAX - 1);
	t[HTTP_PATH_MAX] = '\0';
	expect(t, t);
	t[HTTP_PATH_MAX] = 'a';
	t[HTTP_PATH_MAX + 1] = '\0';
	expect_err(t, -ENAMETOOLONG);
	/* The cap is on the decoded bytes: "%61" counts as one. */
	t[0] = '/';
	for (size_t i = 0; i < (HTTP_PATH_MAX - 1) / 2; i++)
		memcpy(t + 1 + 3 * i, "%61", 3);
	t[1 + 3 * ((HTTP_PATH_MAX - 1) / 2)] = '\0';
	assert_int_equal(norm(t), 0);
	assert_int_equal(out_len, 1 + (HTTP_PATH_MAX - 1) / 2);
	/* A tiny output buffer fails cleanly and writes nothing past it. */
	memset(out, 'Z', sizeof(out));
	r = http_path_normalize(guard_copy("/abc", 4), 4, out, 4, &out_len);
	assert_int_equal(r, -ENAMETOOLONG);
	assert_int_equal(out[4], 'Z');
	r = http_path_normalize(guard_copy("/abc", 4), 4, out, 5, &out_len);
	assert_int_equal(r, 0);
	assert_string_equal(out, "/abc");
	r = http_path_normalize(guard_copy("/abc", 4), 4, out, 0, &out_len);
	assert_int_equal(r, -ENAMETOOLONG);
}

/* Whatever the input, a success never contains "..", "//", "/./" or NUL. */
static void test_random_targets_stay_inside(void **state)
{
	static const char alphabet[] = "/.%2eEfF5cC0a?";
	char t[24];
	unsigned seed = 12345;

	(void)state;
	for (int iter = 0; iter < 200000; iter++) {
		size_t n = 1 + (seed >> 16) % (sizeof(t) - 2);

		t[0] = '/';
		for (size_t i = 1; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			t[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		t[n] = '\0';
		seed = seed * 1103515245 + 12345;
		if (norm(t))
			continue;
		assert_int_equal(out[0], '/');
		assert_int_equal(strlen(out), out_len);
		assert_null(strstr(out, "//"));
		assert_null(strstr(out, "/./"));
		assert_null(strstr(out, "/../"));
		assert_false(out_len >= 3 && !strcmp(out + out_len - 3, "/.."));
		assert_false(out_len >= 2 && !strcmp(out + out_len - 2, "/."));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_query_stripped),
		cmocka_unit_test(test_percent_decoding),
		cmocka_unit_test(test_control_and_nul),
		cmocka_unit_test(test_backslash_rejected),
		cmocka_unit_test(test_dot_segments),
		cmocka_unit_test(test_slashes_collapse),
		cmocka_unit_test(test_traversal_rejected),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_length_cap),
		cmocka_unit_test(test_random_targets_stay_inside),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
