// SPDX-License-Identifier: MIT
/*
 * Boot command-line parser (interface in cmdline.h). The line comes from
 * the loader and is untrusted: every word is length-checked, numbers are
 * checked for overflow and range, and nothing here can fail the boot.
 */
#define PR_PREFIX "cmdline: "
#include "kernel/core/cmdline.h"

#include "kernel/core/printk.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/num.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"
#include "kernel/param.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Decimal or 0x-hex with an optional k/m/g (binary) suffix. */
int cmdline_parse_u64(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v;
	const char *p = s;
	int err;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	err = num_parse_u64(p, NULL, base, UINT64_MAX, &v, &p);
	if (err)
		return err;
	if (*p) {
		unsigned shift;

		switch (*p) {
		case 'k':
		case 'K':
			shift = 10;
			break;
		case 'm':
		case 'M':
			shift = 20;
			break;
		case 'g':
		case 'G':
			shift = 30;
			break;
		default:
			return -EINVAL;
		}
		if (p[1] || v > (UINT64_MAX >> shift))
			return -EINVAL;
		v <<= shift;
	}
	*out = v;
	return 0;
}

int cmdline_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "on", "yes", "true" };
	static const char *const no[] = { "0", "off", "no", "false" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_value(const struct kparam *p, const char *value)
{
	switch (p->type) {
	case KPARAM_TYPE_BOOL:
		return cmdline_parse_bool(value, p->var);
	case KPARAM_TYPE_UINT: {
		uint64_t v;
		int err = cmdline_parse_u64(value, &v);

		if (err)
			return err;
		if (v < p->range.min || v > p->range.max)
			return -ERANGE;
		*(uint64_t *)p->var = v;
		return 0;
	}
	case KPARAM_TYPE_ENUM:
		for (int i = 0; p->choices[i]; i++) {
			if (!strcmp(value, p->choices[i])) {
				*(int *)p->var = i;
				return 0;
			}
		}
		return -EINVAL;
	case KPARAM_TYPE_STR: {
		size_t len = strlen(value);

		if (len >= p->size)
			return -ENAMETOOLONG;
		memcpy(p->var, value, len + 1);
		return 0;
	}
	case KPARAM_TYPE_FUNC:
		return p->parse(value, p->var);
	}
	return -EINVAL;
}

static size_t format_value(char *buf, size_t size, const struct kparam *p)
{
	int n = 0;

	switch (p->type) {
	case KPARAM_TYPE_BOOL:
		n = snprintf(buf, size, "%s", *(bool *)p->var ? "on" : "off");
		break;
	case KPARAM_TYPE_UINT:
		n = snprintf(buf, size, "%llu",
			     (unsigned long long)*(uint64_t *)p->var);
		break;
	case KPARAM_TYPE_ENUM:
		n = snprintf(buf, size, "%s", p->choices[*(int *)p->var]);
		break;
	case KPARAM_TYPE_STR:
		n = snprintf(buf, size, "%s", (const char *)p->var);
		break;
	case KPARAM_TYPE_FUNC:
		n = p->show ? p->show(buf, size, p->var) :
			      snprintf(buf, size, "?");
		break;
	}
	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : (size ? size - 1 : 0);
}

/* What a valid value looks like, for the error message. */
static void describe_expected(char *buf, size_t size, const struct kparam *p)
{
	size_t len = 0;

	switch (p->type) {
	case KPARAM_TYPE_BOOL:
		snprintf(buf, size, "on|off");
		return;
	case KPARAM_TYPE_UINT:
		snprintf(buf, size, "a number in [%llu, %llu]",
			 (unsigned long long)p->range.min,
			 (unsigned long long)p->range.max);
		return;
	case KPARAM_TYPE_ENUM:
		buf[0] = '\0';
		for (int i = 0; p->choices[i] && len < size; i++)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
						i ? "|" : "", p->choices[i]);
		return;
	case KPARAM_TYPE_STR:
		snprintf(buf, size, "at most %zu characters", p->size - 1);
		return;
	case KPARAM_TYPE_FUNC:
		snprintf(buf, size, "%s", p->help ? p->help : "a valid value");
		return;
	}
}

static const struct kparam *find(const struct kparam *table, size_t n,
				 const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(table[i].name, key))
			return &table[i];
	return NULL;
}

/* Set every entry named like p (from p on) to `value`: a file linked
 * more than once (one copy of the network stack per queue pair, net/)
 * declares its option once per copy, each for its own variable. The
 * entries share a type, so the first's verdict holds for all. */
static int parse_all(const struct kparam *table, size_t n,
		     const struct kparam *p, const char *value)
{
	int err = parse_value(p, value);

	for (const struct kparam *q = p + 1; !err && q < table + n; q++)
		if (!strcmp(q->name, p->name))
			parse_value(q, value);
	return err;
}

/* Handle one word; returns 0 if accepted, 1 if rejected (and reported). */
static int parse_word(const struct kparam *table, size_t n, char *word)
{
	char *eq = strchr(word, '=');
	const struct kparam *p;
	char expected[160], current[96];

	if (!eq) {
		pr_warn("ignoring '%s': options are key=value", word);
		return 1;
	}
	*eq = '\0';
	p = find(table, n, word);
	if (!p) {
		pr_warn("unknown option '%s' ignored", word);
		return 1;
	}
	if (parse_all(table, n, p, eq + 1) == 0)
		return 0;
	describe_expected(expected, sizeof(expected), p);
	format_value(current, sizeof(current), p);
	pr_warn("bad value '%s' for %s= (expected %s); using default '%s'",
		eq + 1, p->name, expected, current);
	return 1;
}

int cmdline_parse(const char *line, const struct kparam *table, size_t n)
{
	char word[CMDLINE_WORD_MAX];
	const char *s = line;
	bool first = true;
	int rejected = 0;

	while (*s) {
		size_t len = 0;

		while (is_blank(*s))
			s++;
		if (!*s)
			break;
		while (s[len] && !is_blank(s[len]))
			len++;
		if (len >= sizeof(word)) {
			pr_warn("option '%.32s...' longer than %zu bytes ignored",
				s, sizeof(word) - 1);
			rejected++;
		} else {
			memcpy(word, s, len);
			word[len] = '\0';
			/* The loader prepends the image path (QEMU, GRUB). */
			if (!(first && !strchr(word, '=')))
				rejected += parse_word(table, n, word);
		}
		first = false;
		s += len;
	}
	return rejected;
}

size_t cmdline_format(char *buf, size_t size, const struct kparam *table,
		      size_t n)
{
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < n && len + 1 < size; i++) {
		int w;

		if (find(table, i, table[i].name))
			continue; /* another copy's entry, shown already */
		w = snprintf(buf + len, size - len, "%s%s=", len ? " " : "",
			     table[i].name);

		if (w < 0)
			break;
		/* Cut: snprintf kept the prefix that fits, count it. */
		if ((size_t)w >= size - len)
			return size - 1;
		len += (size_t)w;
		len += format_value(buf + len, size - len, &table[i]);
	}
	return len;
}
