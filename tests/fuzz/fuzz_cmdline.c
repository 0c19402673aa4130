// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the boot command-line parser (kernel/core/cmdline.c).
 *
 * Input: 1 byte choosing a small output size, then a command line. It is
 * parsed against a table with one option of every type (bool, bounded
 * uint, enum, string, custom parser) and the outcome is compared with a
 * model written here from the contract in cmdline.h: the same number of
 * rejected words and the same final values. Then:
 *   - every word's value also goes through cmdline_parse_u64() and
 *     cmdline_parse_bool() and is checked against the model's parsers;
 *   - cmdline_format() output fits, is NUL-terminated, and parses back
 *     to the same values with nothing rejected;
 *   - cmdline_format() into an exact-size heap buffer of the chosen size
 *     writes nothing past it and returns the length of what it wrote.
 */
#include <stdbool.h>

#include "tests/fakes/fake_printk.h"
#include "tests/fuzz/fuzz.h"

#include "kernel/core/cmdline.h"
#include "kernel/param.h"

#define STR_SIZE 8
#define UINT_MIN 3
#define UINT_MAX_ 0x100000000ull /* 4 GiB: "4g" is in range, "5g" not */
#define FORMAT_SIZE 1024

struct pair {
	uint64_t a, b;
};

struct vals {
	bool flag;
	uint64_t num;
	int mode;
	char name[STR_SIZE];
	struct pair pair;
};

static const char *const modes[] = { "sfbuf", "naive", "direct", NULL };
static const struct vals defaults = { true, 42, 1, "site", { 1, 2 } };
static struct vals v;

/* "a:b", two numbers (uses the shared number parser). */
static int parse_pair(const char *s, void *var)
{
	const char *colon = strchr(s, ':');
	char a[32];
	struct pair p;

	if (!colon || (size_t)(colon - s) >= sizeof(a))
		return -22;
	memcpy(a, s, (size_t)(colon - s));
	a[colon - s] = '\0';
	if (cmdline_parse_u64(a, &p.a) || cmdline_parse_u64(colon + 1, &p.b))
		return -22;
	*(struct pair *)var = p;
	return 0;
}

static int show_pair(char *buf, size_t size, const void *var)
{
	const struct pair *p = var;

	return snprintf(buf, size, "%llu:%llu", (unsigned long long)p->a,
			(unsigned long long)p->b);
}

static const struct kparam table[] = {
	{ .name = "flag", .type = KPARAM_TYPE_BOOL, .var = &v.flag },
	{ .name = "num",
	  .type = KPARAM_TYPE_UINT,
	  .var = &v.num,
	  .range = { UINT_MIN, UINT_MAX_ } },
	{ .name = "mode",
	  .type = KPARAM_TYPE_ENUM,
	  .var = &v.mode,
	  .choices = modes },
	{ .name = "name",
	  .type = KPARAM_TYPE_STR,
	  .var = v.name,
	  .size = sizeof(v.name) },
	{ .name = "pair",
	  .type = KPARAM_TYPE_FUNC,
	  .var = &v.pair,
	  .help = "a:b",
	  .parse = parse_pair,
	  .show = show_pair },
};
#define NPARAMS (sizeof(table) / sizeof(table[0]))

/* ---- the model -------------------------------------------------------- */

static bool model_u64(const char *s, uint64_t *out)
{
	unsigned __int128 n = 0;
	unsigned base = 10, shift = 0;
	const char *p = s, *d;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (d = p;; p++) {
		unsigned c = (unsigned char)*p, x;

		if (c >= '0' && c <= '9')
			x = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			x = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			x = c - 'A' + 10;
		else
			break;
		if (n <= UINT64_MAX)
			n = n * base + x;
	}
	if (p == d)
		return false;
	if (*p) {
		if (p[1])
			return false;
		if (*p == 'k' || *p == 'K')
			shift = 10;
		else if (*p == 'm' || *p == 'M')
			shift = 20;
		else if (*p == 'g' || *p == 'G')
			shift = 30;
		else
			return false;
	}
	if (n > UINT64_MAX || (n << shift) > UINT64_MAX)
		return false;
	*out = (uint64_t)(n << shift);
	return true;
}

static bool model_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "on", "yes", "true" };
	static const char *const no[] = { "0", "off", "no", "false" };

	for (int i = 0; i < 4; i++) {
		if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
			*out = !strcmp(s, yes[i]);
			return true;
		}
	}
	return false;
}

/* One key=value word applied to m; false if it is rejected. */
static bool model_value(struct vals *m, const char *key, const char *val)
{
	uint64_t n;
	size_t len = strlen(val);

	if (!strcmp(key, "flag"))
		return model_bool(val, &m->flag);
	if (!strcmp(key, "num")) {
		if (!model_u64(val, &n) || n < UINT_MIN || n > UINT_MAX_)
			return false;
		m->num = n;
		return true;
	}
	if (!strcmp(key, "mode")) {
		for (int i = 0; modes[i]; i++) {
			if (!strcmp(val, modes[i])) {
				m->mode = i;
				return true;
			}
		}
		return false;
	}
	if (!strcmp(key, "name")) {
		if (len >= STR_SIZE)
			return false;
		memcpy(m->name, val, len + 1);
		return true;
	}
	if (!strcmp(key, "pair"))
		return parse_pair(val, &m->pair) == 0;
	return false;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Apply line to m as the contract says; returns the rejected count. */
static int model_parse(struct vals *m, const char *line)
{
	int rejected = 0;
	bool first = true;

	for (const char *s = line; *s;) {
		char word[CMDLINE_WORD_MAX], *eq;
		size_t len = 0;
		uint64_t n;
		bool b;

		while (is_blank(*s))
			s++;
		if (!*s)
			break;
		while (s[len] && !is_blank(s[len]))
			len++;
		if (len >= sizeof(word)) {
			rejected++;
			first = false;
			s += len;
			continue;
		}
		memcpy(word, s, len);
		word[len] = '\0';
		s += len;
		eq = strchr(word, '=');
		if (first && !eq) {
			first = false;
			continue;
		}
		first = false;
		if (!eq) {
			rejected++;
			continue;
		}
		*eq = '\0';
		/* The shared parsers agree with the model on every value. */
		FUZZ_CHECK((cmdline_parse_u64(eq + 1, &n) == 0) ==
			   model_u64(eq + 1, &n));
		FUZZ_CHECK((cmdline_parse_bool(eq + 1, &b) == 0) ==
			   model_bool(eq + 1, &b));
		if (!model_value(m, word, eq + 1))
			rejected++;
	}
	return rejected;
}

static void check_vals(const struct vals *m)
{
	FUZZ_CHECK(v.flag == m->flag && v.num == m->num && v.mode == m->mode);
	FUZZ_CHECK(!strcmp(v.name, m->name));
	FUZZ_CHECK(v.pair.a == m->pair.a && v.pair.b == m->pair.b);
	FUZZ_CHECK(v.num >= UINT_MIN && v.num <= UINT_MAX_);
	FUZZ_CHECK(v.mode >= 0 && v.mode < 3 && strlen(v.name) < STR_SIZE);
}

/* Formatting: fits, parses back to the same values; a small buffer too. */
static void check_format(size_t small)
{
	char out[FORMAT_SIZE], *tiny = malloc(small);
	struct vals before = v;
	size_t n;

	FUZZ_CHECK(tiny);
	n = cmdline_format(out, sizeof(out), table, NPARAMS);
	FUZZ_CHECK(n < sizeof(out) && strlen(out) == n);
	FUZZ_CHECK(cmdline_parse(out, table, NPARAMS) == 0);
	check_vals(&before);
	n = cmdline_format(tiny, small, table, NPARAMS);
	FUZZ_CHECK(n < small && strlen(tiny) == n);
	FUZZ_CHECK(!strncmp(tiny, out, n));
	free(tiny);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t small = 1 + (size_t)fuzz_take(&data, &size, 1);
	char *line = fuzz_strdup(data, size);
	struct vals m = defaults;
	int rejected;

	v = defaults;
	fake_printk_reset();
	rejected = cmdline_parse(line, table, NPARAMS);
	FUZZ_CHECK(rejected == model_parse(&m, line));
	check_vals(&m);
	check_format(small);
	free(line);
	return 0;
}
