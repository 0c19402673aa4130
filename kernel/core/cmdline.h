/* SPDX-License-Identifier: MIT */
/*
 * Boot options. A module declares each option next to the variable it
 * sets, with its default as the variable's initial value:
 *
 *	static int mapping = MAPPING_SFBUF;
 *	KPARAM_ENUM(mapping, mapping, mapping_names, "sfbuf|naive|direct");
 *
 * The declarations land in the .kparam section; kmain parses the boot
 * command line against it once, right after the console is up. The command line is `key=value` words separated
 * by blanks; a first word without '=' is the image path the loader
 * prepends and is skipped. An unknown key or a bad value is named on the
 * console and the default is kept; parsing goes on with the next word.
 */
#ifndef KERNEL_CORE_CMDLINE_H
#define KERNEL_CORE_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"

enum kparam_type {
	KPARAM_TYPE_BOOL, /* bool: on|off|1|0|yes|no|true|false */
	KPARAM_TYPE_UINT, /* uint64_t in [min, max]; decimal, 0x hex, k/m/g */
	KPARAM_TYPE_ENUM, /* int index into a NULL-terminated name list */
	KPARAM_TYPE_STR, /* char[size], value must fit */
	KPARAM_TYPE_FUNC, /* custom parser: 0 or -EINVAL */
};

struct kparam {
	const char *name;
	enum kparam_type type;
	void *var;
	const char *help;
	union {
		struct {
			uint64_t min, max;
		} range;
		const char *const *choices;
		size_t size;
		int (*parse)(const char *value, void *var);
	};
	/* KPARAM_TYPE_FUNC: prints the current value for the config dump. */
	int (*show)(char *buf, size_t size, const void *var);
};

/* clang-format off */
#define KPARAM_DECLARE(id, ...)                                           \
	static const struct kparam __kparam_##id __used_param __section( \
		".kparam") = { __VA_ARGS__ }
#define __used_param __attribute__((used, aligned(8)))

/* _Generic makes a variable of the wrong type a compile error. */
#define KPARAM_BOOL(key, var_, help_)                                     \
	KPARAM_DECLARE(key, .name = #key, .type = KPARAM_TYPE_BOOL,      \
		       .var = _Generic(&(var_), bool *: &(var_)),        \
		       .help = (help_))
#define KPARAM_UINT(key, var_, min_, max_, help_)                         \
	KPARAM_DECLARE(key, .name = #key, .type = KPARAM_TYPE_UINT,      \
		       .var = _Generic(&(var_), uint64_t *: &(var_)),    \
		       .help = (help_),                                  \
		       .range = { (min_), (max_) })
#define KPARAM_ENUM(key, var_, choices_, help_)                           \
	KPARAM_DECLARE(key, .name = #key, .type = KPARAM_TYPE_ENUM,      \
		       .var = _Generic(&(var_), int *: &(var_)),         \
		       .help = (help_),                                  \
		       .choices = (choices_))
#define KPARAM_STR(key, var_, help_)                                      \
	KPARAM_DECLARE(key, .name = #key, .type = KPARAM_TYPE_STR,       \
		       .var = (var_), .help = (help_), .size = sizeof(var_))
#define KPARAM_FUNC(key, var_, parse_, show_, help_)                      \
	KPARAM_DECLARE(key, .name = #key, .type = KPARAM_TYPE_FUNC,      \
		       .var = &(var_), .help = (help_), .parse = (parse_), \
		       .show = (show_))
/* clang-format on */

/*
 * Parse `line` against `table[0..n)`. Returns the number of words that
 * were rejected (unknown key, bad value, too long); each is reported with
 * pr_warn and leaves its variable at its previous value. Several entries
 * with one name (a file linked once per network-stack instance) are
 * one option: a value sets them all.
 */
int cmdline_parse(const char *line, const struct kparam *table, size_t n);

/*
 * Write "key=value" of every option into buf (for the boot log), each
 * name once, cut to size - 1 bytes like snprintf; returns the length of
 * what is in buf.
 */
size_t cmdline_format(char *buf, size_t size, const struct kparam *table,
		      size_t n);

/* Shared value parsers, also used by KPARAM_TYPE_FUNC parsers. */
int cmdline_parse_u64(const char *s, uint64_t *out);
int cmdline_parse_bool(const char *s, bool *out);

#endif
