// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for validators and HTTP dates (app/http_cond.c).
 *
 * Input: 8 bytes taken as a time and as ETag numbers, then a field value
 * used as If-Modified-Since and as If-None-Match.
 *   - http_date_parse(): when it succeeds, the time formats back to an
 *     IMF-fixdate that parses to the same time; an IMF-fixdate input
 *     (other than a leap second) formats back to itself but for the day
 *     name, which is not checked.
 *   - http_date_format() of the 8-byte time: 29 bytes that parse back to
 *     it, or -ERANGE; never a write past an exact-size buffer.
 *   - ETags: http_etag_make() fits HTTP_ETAG_SIZE; a tag matches itself,
 *     its weak twin, "*" and a list containing it; the fuzzed list must
 *     not crash and, when it contains our tag verbatim as its only
 *     element, matches.
 *   - http_not_modified() agrees with the date and ETag answers.
 *   - If-Range: our strong tag holds, its weak twin, "*" and any value
 *     against a weak tag never do; the fuzzed value, as a date, holds
 *     exactly for that Last-Modified once its second is over; a value
 *     that holds and is no date is our tag verbatim (but for OWS).
 */
#include <stdbool.h>

#include "tests/fuzz/fuzz.h"

#include "app/http_cond.h"
#include "app/http_param.h"
#include "kernel/lib/errno.h"

#define LIST_MAX (3 * HTTP_ETAG_SIZE)

static void check_round_trip(int64_t t)
{
	char *d = malloc(HTTP_DATE_SIZE);
	int64_t back;
	int n;

	FUZZ_CHECK(d);
	n = http_date_format(d, HTTP_DATE_SIZE, t);
	if (n == -ERANGE) {
		free(d);
		return;
	}
	FUZZ_CHECK(n == HTTP_DATE_LEN && strlen(d) == HTTP_DATE_LEN);
	FUZZ_CHECK(!memcmp(d + HTTP_DATE_LEN - 4, " GMT", 4));
	FUZZ_CHECK(http_date_parse(d, HTTP_DATE_LEN, &back) == 0 && back == t);
	FUZZ_CHECK(http_date_format(d, HTTP_DATE_SIZE - 1, t) == -ENOSPC);
	free(d);
}

static void check_date(const char *s, size_t len, int64_t now)
{
	char d[HTTP_DATE_SIZE];
	int64_t t;

	if (http_date_parse(s, len, &t)) {
		FUZZ_CHECK(!http_not_modified((struct http_str){ NULL, 0 },
					      (struct http_str){ s, len },
					      (struct http_str){ "\"x\"", 3 },
					      INT64_MIN, INT64_MAX));
		return;
	}
	FUZZ_CHECK(http_date_format(d, sizeof(d), t) == HTTP_DATE_LEN);
	check_round_trip(t);
	/* IMF-fixdate in, IMF-fixdate out: all but the unchecked day name. */
	if (len == HTTP_DATE_LEN && s[3] == ',' && memcmp(s + 23, "60", 2))
		FUZZ_CHECK(!memcmp(s + 3, d + 3, HTTP_DATE_LEN - 3));
	/* Not modified iff mtime <= since <= now. */
	FUZZ_CHECK(http_not_modified((struct http_str){ NULL, 0 },
				     (struct http_str){ s, len },
				     (struct http_str){ "\"x\"", 3 }, t,
				     now) == (t <= now));
	FUZZ_CHECK(!http_not_modified((struct http_str){ NULL, 0 },
				      (struct http_str){ s, len },
				      (struct http_str){ "\"x\"", 3 },
				      t == INT64_MAX ? t : t + 1, INT64_MAX));
}

static void check_etag(const char *inm, size_t len, uint64_t seed)
{
	char tag[HTTP_ETAG_SIZE], weak[HTTP_ETAG_SIZE], list[LIST_MAX];
	struct http_str ts, ws;
	int n, w;

	n = http_etag_make(tag, sizeof(tag), seed, seed >> 7, (int64_t)seed,
			   false);
	w = http_etag_make(weak, sizeof(weak), seed, seed >> 7, (int64_t)seed,
			   true);
	FUZZ_CHECK(n > 2 && (size_t)n < sizeof(tag) && w == n + 2);
	ts = (struct http_str){ tag, (size_t)n };
	ws = (struct http_str){ weak, (size_t)w };
	FUZZ_CHECK(http_etag_match(ts, ts) && http_etag_match(ws, ts));
	FUZZ_CHECK(http_etag_match(ts, ws));
	FUZZ_CHECK(http_etag_match((struct http_str){ " * ", 3 }, ts));
	snprintf(list, sizeof(list), "\"a\", %s ,W/\"b\"", weak);
	FUZZ_CHECK(
		http_etag_match((struct http_str){ list, strlen(list) }, ts));
	http_etag_match((struct http_str){ inm, len }, ts);
	if (len == (size_t)n && !memcmp(inm, tag, len))
		FUZZ_CHECK(http_etag_match((struct http_str){ inm, len }, ts));
	/* If-None-Match decides alone when present. */
	FUZZ_CHECK(http_not_modified((struct http_str){ inm, len },
				     (struct http_str){ NULL, 0 }, ts, 0, 0) ==
		   http_etag_match((struct http_str){ inm, len }, ts));
}

static void check_if_range(const char *v, size_t len, uint64_t seed)
{
	char tag[HTTP_ETAG_SIZE], weak[HTTP_ETAG_SIZE];
	struct http_str ts, ws, ir = { v, len }, trimmed;
	int64_t mtime = (int64_t)(seed >> 1), t;
	int n, w;

	n = http_etag_make(tag, sizeof(tag), seed, seed >> 7, mtime, false);
	w = http_etag_make(weak, sizeof(weak), seed, seed >> 7, mtime, true);
	FUZZ_CHECK(n > 2 && w == n + 2);
	ts = (struct http_str){ tag, (size_t)n };
	ws = (struct http_str){ weak, (size_t)w };
	FUZZ_CHECK(http_if_range_holds((struct http_str){ NULL, 0 }, ts, 0, 0));
	FUZZ_CHECK(http_if_range_holds(ts, ts, mtime, mtime));
	FUZZ_CHECK(!http_if_range_holds(ws, ts, mtime, INT64_MAX));
	FUZZ_CHECK(!http_if_range_holds(ts, ws, mtime, INT64_MAX));
	FUZZ_CHECK(!http_if_range_holds((struct http_str){ "*", 1 }, ts, 0, 1));
	FUZZ_CHECK(!http_if_range_holds(ir, ws, mtime, INT64_MAX));
	if (!http_date_parse(v, len, &t)) {
		FUZZ_CHECK(http_if_range_holds(ir, ts, t, t + 1));
		FUZZ_CHECK(!http_if_range_holds(ir, ts, t, t));
		FUZZ_CHECK(!http_if_range_holds(ir, ts, t - 1, t + 1));
		FUZZ_CHECK(!http_if_range_holds(ir, ts, t + 1, INT64_MAX));
		return;
	}
	if (!http_if_range_holds(ir, ts, mtime, INT64_MAX))
		return;
	trimmed = http_str_trim(ir);
	FUZZ_CHECK(trimmed.len == ts.len && !memcmp(trimmed.p, tag, ts.len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t seed = fuzz_take(&data, &size, 8);
	char *v = fuzz_dup(data, size);

	check_round_trip((int64_t)seed);
	check_round_trip((int64_t)(seed % (400ull * 366 * 86400)));
	check_date(v, size, (int64_t)seed);
	check_etag(v, size, seed);
	check_if_range(v, size, seed);
	free(v);
	return 0;
}
