// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the path normaliser (app/http_path.c).
 *
 * Input: 2 bytes choosing a small output size, then a request-target.
 * The target is normalised into a full-size buffer; a success must be an
 * absolute path with no "", "." or ".." segment, no NUL, control byte or
 * '\\', and normalising it again (with the bytes that have a meaning in a
 * target, '%' '?' '#', percent-encoded back) must give it unchanged. The
 * same target into an exact-size heap buffer of the chosen size must give
 * the same path or -ENAMETOOLONG, and write nothing past the buffer.
 * Both must agree with a model of the rules in http_path.h written here
 * (decode, then resolve segments with a stack); which of -EINVAL and
 * -ENAMETOOLONG wins when both apply is left to the module.
 */
#include <stdbool.h>
#include <strings.h>

#include "tests/fuzz/fuzz.h"

#include "app/http_param.h"
#include "app/http_path.h"
#include "kernel/lib/errno.h"

#define OUT_SIZE (HTTP_PATH_MAX + 1)
#define ENCODED_MAX (3 * OUT_SIZE) /* every byte as %XX */

/* The properties of a normalised path out[0, n). */
static void check_path(const char *out, size_t n, size_t size)
{
	FUZZ_CHECK(n < size && out[n] == '\0' && strlen(out) == n);
	FUZZ_CHECK(out[0] == '/');
	FUZZ_CHECK(!strstr(out, "//"));
	FUZZ_CHECK(!strstr(out, "/./") && !strstr(out, "/../"));
	FUZZ_CHECK(strcmp(out, "/.") && strcmp(out, "/.."));
	FUZZ_CHECK(n < 2 || strcmp(out + n - 2, "/."));
	FUZZ_CHECK(n < 3 || strcmp(out + n - 3, "/.."));
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)out[i] >= ' ' && out[i] != 0x7f &&
			   out[i] != '\\');
}

/* Percent-encode the bytes of a path that a target would interpret. */
static size_t encode(const char *in, size_t n, char *enc)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t w = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '%' || c == '?' || c == '#') {
			enc[w++] = '%';
			enc[w++] = hex[c >> 4];
			enc[w++] = hex[c & 0xf];
		} else {
			enc[w++] = (char)c;
		}
	}
	return w;
}

/* Normalising a normalised path (re-encoded) changes nothing. */
static void check_idempotent(const char *out, size_t n)
{
	char enc[ENCODED_MAX], again[OUT_SIZE];
	size_t elen = encode(out, n, enc), n2;
	char *target = fuzz_dup(enc, elen);
	int err = http_path_normalize(target, elen, again, sizeof(again), &n2);

	free(target);
	FUZZ_CHECK(err == 0);
	FUZZ_CHECK(n2 == n && !memcmp(again, out, n + 1));
}

/* ---- the model: the rules of http_path.h, written independently ------ */

static int hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode t[0, len) into dec; returns the length or -EINVAL. */
static long model_decode(const char *t, size_t len, char *dec)
{
	size_t w = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)t[i];

		if (c == '#')
			return -EINVAL;
		if (c == '%') {
			if (i + 2 >= len || hex(t[i + 1]) < 0 ||
			    hex(t[i + 2]) < 0)
				return -EINVAL;
			c = hex(t[i + 1]) * 16 + hex(t[i + 2]);
			i += 2;
		}
		if (c < ' ' || c == 0x7f || c == '\\')
			return -EINVAL;
		dec[w++] = (char)c;
	}
	return (long)w;
}

/* Resolve segments of dec[0, n) (starts with '/') with a stack. */
static long model_resolve(const char *dec, size_t n, char *out)
{
	size_t starts[ENCODED_MAX], depth = 0, w = 0, i = 1;
	bool trailing = false;

	while (i <= n) {
		size_t seg = i, len;

		while (i < n && dec[i] != '/')
			i++;
		len = i - seg;
		trailing = len == 0 || (len == 1 && dec[seg] == '.') ||
			   (len == 2 && !memcmp(dec + seg, "..", 2));
		if (len == 2 && !memcmp(dec + seg, "..", 2)) {
			if (!depth)
				return -EINVAL;
			w = starts[--depth];
		} else if (!trailing) {
			starts[depth++] = w;
			out[w++] = '/';
			memcpy(out + w, dec + seg, len);
			w += len;
		}
		i++;
	}
	if (!w || trailing)
		out[w++] = '/';
	out[w] = '\0';
	return (long)w;
}

/* What http_path_normalize() must answer with an unlimited buffer. */
static long model(const char *t, size_t len, char *out)
{
	static const char *const schemes[] = { "http://", "https://" };
	char dec[ENCODED_MAX];
	long n;

	for (size_t i = 0; i < 2; i++) {
		size_t k = strlen(schemes[i]);

		if (len < k || strncasecmp(t, schemes[i], k))
			continue;
		while (k < len && t[k] != '/' && t[k] != '?')
			k++;
		t += k;
		len -= k;
		if (!len || t[0] == '?') {
			t = "/";
			len = 1;
		}
		break;
	}
	for (size_t i = 0; i < len; i++) {
		if (t[i] == '?') {
			len = i;
			break;
		}
	}
	if (!len || t[0] != '/')
		return -EINVAL;
	if (len > sizeof(dec))
		return -ENAMETOOLONG; /* decodes to more than OUT_SIZE anyway */
	n = model_decode(t, len, dec);
	if (n < 0)
		return n;
	if (n >= OUT_SIZE)
		return -ENAMETOOLONG;
	return model_resolve(dec, (size_t)n, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t small = 1 + (size_t)fuzz_take(&data, &size, 2) % OUT_SIZE;
	char *target = fuzz_dup(data, size), *tiny = malloc(small);
	char out[OUT_SIZE], ref[ENCODED_MAX + 2];
	size_t n = 0, n_small = 0;
	long want;
	int err, err_small;

	FUZZ_CHECK(tiny);
	err = http_path_normalize(target, size, out, sizeof(out), &n);
	FUZZ_CHECK(err == 0 || err == -EINVAL || err == -ENAMETOOLONG);
	want = model(target, size, ref);
	if (want != -ENAMETOOLONG && err != -ENAMETOOLONG)
		FUZZ_CHECK(err == (want < 0 ? want : 0));
	if (!err && want >= 0)
		FUZZ_CHECK((size_t)want == n && !strcmp(out, ref));
	if (!err) {
		check_path(out, n, sizeof(out));
		check_idempotent(out, n);
	}
	err_small = http_path_normalize(target, size, tiny, small, &n_small);
	if (!err_small) {
		check_path(tiny, n_small, small);
		FUZZ_CHECK(!err && n_small == n && !memcmp(tiny, out, n));
	} else if (!err) {
		FUZZ_CHECK(err_small == -ENAMETOOLONG);
	} else if (err == -ENAMETOOLONG) {
		FUZZ_CHECK(err_small == -ENAMETOOLONG);
	}
	free(tiny);
	free(target);
	return 0;
}
