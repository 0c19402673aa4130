// SPDX-License-Identifier: MIT
/*
 * ETags, If-None-Match, If-Modified-Since, If-Range and HTTP dates (interface and
 * rules in http_cond.h). Field values are untrusted and not
 * NUL-terminated: every read is bounded by the slice length.
 * Calendar arithmetic is kernel/lib/civil.c's.
 */
#include "app/http_cond.h"

#include "app/http_param.h"
#include "kernel/lib/civil.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/num.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"
#include "kernel/lib/strbuf.h"

#define SECS_PER_DAY CIVIL_SECS_PER_DAY
#define EPOCH_WEEKDAY 4 /* 1970-01-01 was a Thursday (Sunday = 0) */
#define YEAR_MIN 1
#define YEAR_MAX 9999
#define RFC850_PIVOT 70 /* two-digit years below this are 20xx */

static const char *const wkday[] = { "Sun", "Mon", "Tue", "Wed",
				     "Thu", "Fri", "Sat" };
static const char *const weekday[] = { "Sunday",    "Monday",	"Tuesday",
				       "Wednesday", "Thursday", "Friday",
				       "Saturday" };
static const char *const month[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/*
 * Format @t as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into
 * @buf, which needs HTTP_DATE_SIZE bytes. Returns HTTP_DATE_LEN, -ERANGE
 * for a year outside 1..9999, -ENOSPC if @size is too small.
 */
int http_date_format(char *buf, size_t size, int64_t t)
{
	int64_t days = civil_floor_div(t, SECS_PER_DAY), secs, wd;
	struct civil c;
	int n;

	if (days < civil_days_from_date((struct civil){ YEAR_MIN, 1, 1 }) ||
	    days > civil_days_from_date((struct civil){ YEAR_MAX, 12, 31 }))
		return -ERANGE;
	if (size < HTTP_DATE_SIZE)
		return -ENOSPC;
	secs = t - days * SECS_PER_DAY;
	wd = (days + EPOCH_WEEKDAY) % 7;
	if (wd < 0)
		wd += 7;
	c = civil_date_from_days(days);
	n = snprintf(buf, size, "%s, %02u %s %04lld %02lld:%02lld:%02lld GMT",
		     wkday[wd], c.day, month[c.mon - 1], (long long)c.year,
		     (long long)(secs / 3600), (long long)(secs / 60 % 60),
		     (long long)(secs % 60));
	return n == HTTP_DATE_LEN ? n : -ERANGE;
}

/* A cursor over an untrusted date string. */
struct cur {
	const char *p, *end;
};

static bool lit(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n))
		return false;
	c->p += n;
	return true;
}

/* Exactly @n digits. */
static bool digits(struct cur *c, unsigned n, unsigned *v)
{
	const char *stop;
	uint64_t x;

	if ((size_t)(c->end - c->p) < n ||
	    num_parse_u64(c->p, c->p + n, 10, UINT32_MAX, &x, &stop) ||
	    stop != c->p + n)
		return false;
	c->p = stop;
	*v = (unsigned)x;
	return true;
}

/* One of @names; its index in *v. */
static bool name(struct cur *c, const char *const *names, unsigned n,
		 unsigned *v)
{
	for (*v = 0; *v < n; (*v)++)
		if (lit(c, names[*v]))
			return true;
	return false;
}

/* time-of-day = hour ":" minute ":" second */
static bool time_of_day(struct cur *c, unsigned *h, unsigned *m, unsigned *s)
{
	return digits(c, 2, h) && lit(c, ":") && digits(c, 2, m) &&
	       lit(c, ":") && digits(c, 2, s);
}

/* Check the fields and convert; the day name is not cross-checked. */
static int to_time(int64_t year, unsigned mon, unsigned day, unsigned h,
		   unsigned m, unsigned s, int64_t *t)
{
	/* A leap second (60) is allowed by the grammar; fold it into 59. */
	if (year < YEAR_MIN || year > YEAR_MAX || mon < 1 || mon > 12 ||
	    day < 1 || day > civil_days_in_month(year, mon) || h > 23 ||
	    m > 59 || s > 60)
		return -EINVAL;
	if (s == 60)
		s = 59;
	*t = civil_days_from_date((struct civil){ year, mon, day }) *
		     SECS_PER_DAY +
	     h * 3600 + m * 60 + s;
	return 0;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static int parse_imf(struct cur c, int64_t *t)
{
	unsigned wd, day, mon, year, h, m, s;

	if (!name(&c, wkday, ARRAY_SIZE(wkday), &wd) || !lit(&c, ", ") ||
	    !digits(&c, 2, &day) || !lit(&c, " ") ||
	    !name(&c, month, ARRAY_SIZE(month), &mon) || !lit(&c, " ") ||
	    !digits(&c, 4, &year) || !lit(&c, " ") ||
	    !time_of_day(&c, &h, &m, &s) || !lit(&c, " GMT") || c.p != c.end)
		return -EINVAL;
	return to_time(year, mon + 1, day, h, m, s, t);
}

/* "Sunday, 06-Nov-94 08:49:37 GMT" */
static int parse_rfc850(struct cur c, int64_t *t)
{
	unsigned wd, day, mon, yy, h, m, s;

	if (!name(&c, weekday, ARRAY_SIZE(weekday), &wd) || !lit(&c, ", ") ||
	    !digits(&c, 2, &day) || !lit(&c, "-") ||
	    !name(&c, month, ARRAY_SIZE(month), &mon) || !lit(&c, "-") ||
	    !digits(&c, 2, &yy) || !lit(&c, " ") ||
	    !time_of_day(&c, &h, &m, &s) || !lit(&c, " GMT") || c.p != c.end)
		return -EINVAL;
	return to_time(yy + (yy < RFC850_PIVOT ? 2000 : 1900), mon + 1, day, h,
		       m, s, t);
}

/* "Sun Nov  6 08:49:37 1994" */
static int parse_asctime(struct cur c, int64_t *t)
{
	unsigned wd, day, mon, year, h, m, s;

	if (!name(&c, wkday, ARRAY_SIZE(wkday), &wd) || !lit(&c, " ") ||
	    !name(&c, month, ARRAY_SIZE(month), &mon) || !lit(&c, " "))
		return -EINVAL;
	if (lit(&c, " ") ? !digits(&c, 1, &day) : !digits(&c, 2, &day))
		return -EINVAL; /* ( 2DIGIT / ( SP DIGIT ) ) */
	if (!lit(&c, " ") || !time_of_day(&c, &h, &m, &s) || !lit(&c, " ") ||
	    !digits(&c, 4, &year) || c.p != c.end)
		return -EINVAL;
	return to_time(year, mon + 1, day, h, m, s, t);
}

/*
 * Parse an HTTP-date in any of its three forms from [s, s + len) into
 * Unix seconds. Borrows @s. Returns 0 or -EINVAL.
 */
int http_date_parse(const char *s, size_t len, int64_t *t)
{
	struct cur c;

	if (!s)
		return -EINVAL;
	c.p = s;
	c.end = s + len;
	if (!parse_imf(c, t) || !parse_rfc850(c, t) || !parse_asctime(c, t))
		return 0;
	return -EINVAL;
}

/*
 * Write the ETag of a file (inode, size, mtime) into @buf, quoted, with a
 * W/ prefix if @weak. Returns its length or -ENOSPC (HTTP_ETAG_SIZE is
 * always enough).
 */
int http_etag_make(char *buf, size_t size, uint64_t ino, uint64_t fsize,
		   int64_t mtime, bool weak)
{
	struct strbuf o = { .buf = buf, .size = size };

	/* "%llx" of each, without printf: this runs for every file served */
	if (!size)
		return -ENOSPC;
	strbuf_puts(&o, weak ? "W/\"" : "\"");
	strbuf_put_uint(&o, ino, 16);
	strbuf_put(&o, "-", 1);
	strbuf_put_uint(&o, (uint64_t)mtime, 16);
	strbuf_put(&o, "-", 1);
	strbuf_put_uint(&o, fsize, 16);
	strbuf_put(&o, "\"", 1);
	if (o.overflow)
		return -ENOSPC;
	return (int)o.len;
}

/* entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; the quoted part in *opaque. */
static bool read_etag(struct http_str *s, struct http_str *opaque)
{
	size_t i = 0;

	if (s->len >= 2 && s->p[0] == 'W' && s->p[1] == '/')
		i = 2;
	if (i >= s->len || s->p[i] != '"')
		return false;
	opaque->p = s->p + i;
	for (i++; i < s->len && s->p[i] != '"'; i++) {
		unsigned char ch = (unsigned char)s->p[i];

		if (ch < 0x21 || ch == 0x7f)
			return false;
	}
	if (i >= s->len)
		return false;
	i++;
	opaque->len = (size_t)(s->p + i - opaque->p);
	s->p += i;
	s->len -= i;
	return true;
}

/*
 * True if the If-None-Match value @inm matches our @etag by weak
 * comparison (or is "*"). A malformed list does not match.
 */
bool http_etag_match(struct http_str inm, struct http_str etag)
{
	struct http_str ours, theirs;

	if (!inm.p || !read_etag(&etag, &ours))
		return false;
	inm = http_str_trim(inm);
	if (inm.len == 1 && inm.p[0] == '*')
		return true;
	for (;;) {
		while (inm.len && (http_is_ows((unsigned char)inm.p[0]) ||
				   inm.p[0] == ','))
			inm.p++, inm.len--;
		if (!inm.len || !read_etag(&inm, &theirs))
			return false;
		if (theirs.len == ours.len &&
		    !memcmp(theirs.p, ours.p, ours.len))
			return true;
		inm = http_str_trim(inm);
		if (inm.len && inm.p[0] != ',')
			return false;
	}
}

/*
 * True if a GET or HEAD for a file with @etag and @mtime should be
 * answered 304, given the If-None-Match and If-Modified-Since values
 * (p == NULL: absent) and the current time @now.
 */
bool http_not_modified(struct http_str inm, struct http_str ims,
		       struct http_str etag, int64_t mtime, int64_t now)
{
	int64_t since;

	if (inm.p)
		return http_etag_match(inm, etag);
	if (!ims.p || http_date_parse(ims.p, ims.len, &since) || since > now)
		return false;
	return mtime <= since;
}

/* The whole of @s is one strong entity-tag; its quoted part in *opaque. */
static bool read_strong_etag(struct http_str s, struct http_str *opaque)
{
	return s.len && s.p[0] == '"' && read_etag(&s, opaque) && !s.len;
}

/*
 * True if a Range request should be answered with the range, given its
 * If-Range value @ir (p == NULL: absent, so yes) and the file's @etag,
 * @mtime and the time @now. An entity-tag must equal a strong @etag by
 * strong comparison (a weak tag never matches); a date must equal @mtime
 * exactly, and @mtime must be a strong validator: the second it names is
 * over (@mtime < @now). Anything else, a malformed value included, means
 * the whole file.
 */
bool http_if_range_holds(struct http_str ir, struct http_str etag,
			 int64_t mtime, int64_t now)
{
	struct http_str ours, theirs;
	int64_t t;

	if (!ir.p)
		return true;
	ir = http_str_trim(ir);
	if (ir.len &&
	    (ir.p[0] == '"' || (ir.len >= 2 && !memcmp(ir.p, "W/", 2))))
		return read_strong_etag(ir, &theirs) &&
		       read_strong_etag(etag, &ours) &&
		       theirs.len == ours.len &&
		       !memcmp(theirs.p, ours.p, ours.len);
	return !http_date_parse(ir.p, ir.len, &t) && t == mtime && mtime < now;
}
