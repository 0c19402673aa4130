// SPDX-License-Identifier: MIT
/*
 * A bounded JSON writer for statistics (interface in statjson.h): an
 * object of nested objects whose members are unsigned numbers or
 * strings. Names and strings are written as given: they come from the
 * kernel's own tables, never from outside, and need no escaping.
 */
#include "kernel/lib/statjson.h"

#include <stdarg.h>

#include "kernel/lib/errno.h"
#include "kernel/lib/stdio.h"

static void emit(struct json_out *j, const char *fmt, ...) __printf(2, 3);

static void emit(struct json_out *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (j->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(j->buf + j->len, j->size - j->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= j->size - j->len)
		j->overflow = true;
	else
		j->len += (size_t)n;
}

/* The separator before a member: none for the first of an object. */
static const char *sep(struct json_out *j)
{
	bool first = j->first;

	j->first = false;
	return first ? "" : ",";
}

/* Start the top-level object in buf[0, size). */
void json_begin(struct json_out *j, char *buf, size_t size)
{
	*j = (struct json_out){ .buf = buf, .size = size, .first = true };
	emit(j, "{");
}

/* End the top-level object and a line. Returns the length written, or
 * -ENOSPC if the buffer was too small. */
int json_end(struct json_out *j)
{
	emit(j, "}\n");
	return j->overflow ? -ENOSPC : (int)j->len;
}

/* Open a member object `name`; json_close() ends it. */
void json_open(struct json_out *j, const char *name)
{
	emit(j, "%s\"%s\":{", sep(j), name);
	j->first = true;
}

void json_close(struct json_out *j)
{
	emit(j, "}");
	j->first = false;
}

void json_u64(struct json_out *j, const char *name, uint64_t v)
{
	emit(j, "%s\"%s\":%llu", sep(j), name, (unsigned long long)v);
}

void json_str(struct json_out *j, const char *name, const char *v)
{
	emit(j, "%s\"%s\":\"%s\"", sep(j), name, v);
}

/* n members names[i]: values[i] (what STATS_JSON expands to). */
void json_u64s(struct json_out *j, const char *const *names,
	       const uint64_t *values, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_u64(j, names[i], values[i]);
}
