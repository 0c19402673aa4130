// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the Range logic (app/http_range.c).
 *
 * Input: 8 bytes of file size (little-endian; also tried: 0, 1, the
 * value's own numbers and UINT64_MAX), then a Range field value. Every
 * answer must be consistent: a 206 range lies inside the file
 * (first <= last < size); "-n" ends at the last byte; a value with a
 * comma or a unit other than "bytes" is never partial. The Content-Range
 * value is formatted into HTTP_CONTENT_RANGE_SIZE bytes and must match a
 * reference formatting done here; into an exact-size heap buffer one byte
 * short it must fail with -ENOSPC without writing past the buffer.
 */
#include <stdbool.h>
#include <strings.h>

#include "tests/fuzz/fuzz.h"

#include "app/http_range.h"
#include "kernel/lib/errno.h"

#define REF_MAX 96

/* Decimal digits of v appended at buf + *len (independent of vsnprintf). */
static void put_u64(char *buf, size_t *len, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		buf[(*len)++] = tmp[--n];
}

static void put_str(char *buf, size_t *len, const char *s)
{
	size_t n = strlen(s);

	memcpy(buf + *len, s, n);
	*len += n;
}

/* The Content-Range value the module must produce, NUL-terminated. */
static size_t reference(char *buf, enum http_range_kind kind,
			const struct http_range *r, uint64_t size)
{
	size_t len = 0;

	put_str(buf, &len, "bytes ");
	if (kind == HTTP_RANGE_PARTIAL) {
		put_u64(buf, &len, r->first);
		put_str(buf, &len, "-");
		put_u64(buf, &len, r->last);
	} else {
		put_str(buf, &len, "*");
	}
	put_str(buf, &len, "/");
	put_u64(buf, &len, size);
	buf[len] = '\0';
	return len;
}

static void check_format(enum http_range_kind kind, const struct http_range *r,
			 uint64_t size)
{
	char buf[HTTP_CONTENT_RANGE_SIZE], ref[REF_MAX], *tight;
	size_t len;
	int n;

	n = http_range_content_range(buf, sizeof(buf), kind, r, size);
	if (kind == HTTP_RANGE_NONE) {
		FUZZ_CHECK(n == -EINVAL);
		return;
	}
	len = reference(ref, kind, r, size);
	FUZZ_CHECK(len < sizeof(buf));
	FUZZ_CHECK(n >= 0 && (size_t)n == len && !strcmp(buf, ref));
	tight = malloc(len + 1);
	FUZZ_CHECK(tight);
	FUZZ_CHECK(http_range_content_range(tight, len + 1, kind, r, size) ==
		   n);
	FUZZ_CHECK(!strcmp(tight, ref));
	FUZZ_CHECK(http_range_content_range(tight, len, kind, r, size) ==
		   -ENOSPC);
	free(tight);
}

/* The value has a byte that makes it a multi-range or not "bytes=". */
static bool never_partial(const char *v, size_t len)
{
	return memchr(v, ',', len) || len < 6 || strncasecmp(v, "bytes=", 6);
}

/* The (partial) value is a suffix range "bytes= -n". */
static bool suffix_spec(const char *v, size_t len)
{
	size_t i = 6;

	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	return i < len && v[i] == '-';
}

static void check_size(const char *v, size_t len, uint64_t size)
{
	struct http_range r = { 0, 0 };
	enum http_range_kind kind = http_range_parse(v, len, size, &r);

	FUZZ_CHECK(kind == HTTP_RANGE_NONE || kind == HTTP_RANGE_PARTIAL ||
		   kind == HTTP_RANGE_UNSATISFIABLE);
	if (kind == HTTP_RANGE_PARTIAL) {
		FUZZ_CHECK(size > 0 && r.first <= r.last && r.last < size);
		FUZZ_CHECK(!never_partial(v, len));
		FUZZ_CHECK(!suffix_spec(v, len) || r.last == size - 1);
	}
	if (kind != HTTP_RANGE_NONE && size == 0)
		FUZZ_CHECK(kind == HTTP_RANGE_UNSATISFIABLE);
	check_format(kind, &r, size);
}

/* The first number in the value, saturated (a size on a range boundary). */
static uint64_t first_number(const char *v, size_t len)
{
	uint64_t n = 0;
	size_t i = 0;

	while (i < len && (v[i] < '0' || v[i] > '9'))
		i++;
	for (; i < len && v[i] >= '0' && v[i] <= '9'; i++)
		n = n > (UINT64_MAX - 9) / 10 ? UINT64_MAX :
						n * 10 + (uint64_t)(v[i] - '0');
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t fsize = fuzz_take(&data, &size, 8);
	char *v = fuzz_dup(data, size);
	uint64_t num = first_number(v, size);
	const uint64_t sizes[] = { fsize,   0,	     1,		num,
				   num + 1, num - 1, UINT64_MAX };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_size(v, size, sizes[i]);
	free(v);
	return 0;
}
