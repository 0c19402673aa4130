// SPDX-License-Identifier: MIT
/*
 * A bounded JSON writer for statistics (interface in statjson.h): an
 * object of nested objects whose members are unsigned numbers or
 * strings. Names and strings are written as given: they come from the
 * kernel's own tables, never from outside, and need no escaping.
 */
#include "kernel/lib/statjson.h"

#include "kernel/lib/errno.h"

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
	*j = (struct json_out){ .out = { .buf = buf, .size = size },
				.first = true };
	strbuf_printf(&j->out, "{");
}

/* End the top-level object and a line. Returns the length written, or
 * -ENOSPC if the buffer was too small. */
int json_end(struct json_out *j)
{
	strbuf_printf(&j->out, "}\n");
	return j->out.overflow ? -ENOSPC : (int)j->out.len;
}

/* Open a member object `name`; json_close() ends it. */
void json_open(struct json_out *j, const char *name)
{
	strbuf_printf(&j->out, "%s\"%s\":{", sep(j), name);
	j->first = true;
}

void json_close(struct json_out *j)
{
	strbuf_printf(&j->out, "}");
	j->first = false;
}

void json_u64(struct json_out *j, const char *name, uint64_t v)
{
	strbuf_printf(&j->out, "%s\"%s\":%llu", sep(j), name,
		      (unsigned long long)v);
}

void json_str(struct json_out *j, const char *name, const char *v)
{
	strbuf_printf(&j->out, "%s\"%s\":\"%s\"", sep(j), name, v);
}

/* n members names[i]: values[i] (what STATS_JSON expands to). */
void json_u64s(struct json_out *j, const char *const *names,
	       const uint64_t *values, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_u64(j, names[i], values[i]);
}
