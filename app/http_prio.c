// SPDX-License-Identifier: MIT
/*
 * A request's urgency from its head (interface and rules in http_prio.h).
 * The Structured Field parser follows RFC 8941 section 4.2 (dictionary,
 * items, inner lists, parameters, every bare item type) far enough to
 * tell a valid dictionary from an invalid one; it keeps only the value
 * of `u`. Every read is checked against the end of the slice.
 */
#include "app/http_prio.h"

#include "kernel/io/causal.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"

#define SF_INT_DIGITS_MAX 15 /* RFC 8941 3.3.1 */
#define SF_DEC_INT_DIGITS_MAX 12 /* RFC 8941 3.3.2 */
#define SF_DEC_FRAC_DIGITS_MAX 3

struct sf {
	const char *p, *end;
};

/* What a member's value was, as far as `u` cares. */
struct sf_item {
	bool is_int;
	int64_t value;
};

static bool at(const struct sf *s, char c)
{
	return s->p < s->end && *s->p == c;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_lcalpha(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_alpha(char c)
{
	return is_lcalpha(c) || (c >= 'A' && c <= 'Z');
}

static void skip_sp(struct sf *s)
{
	while (at(s, ' '))
		s->p++;
}

static void skip_ows(struct sf *s)
{
	while (s->p < s->end && http_is_ows((unsigned char)*s->p))
		s->p++;
}

/* key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" ) */
static bool parse_key(struct sf *s, struct http_str *key)
{
	const char *start = s->p;

	if (s->p == s->end || !(is_lcalpha(*s->p) || *s->p == '*'))
		return false;
	while (s->p < s->end &&
	       (is_lcalpha(*s->p) || is_digit(*s->p) || *s->p == '_' ||
		*s->p == '-' || *s->p == '.' || *s->p == '*'))
		s->p++;
	*key = (struct http_str){ start, (size_t)(s->p - start) };
	return true;
}

static bool parse_number(struct sf *s, struct sf_item *it)
{
	bool neg = at(s, '-');
	unsigned int digits = 0, frac = 0;
	int64_t v = 0;

	if (neg)
		s->p++;
	while (s->p < s->end && is_digit(*s->p)) {
		if (++digits > SF_INT_DIGITS_MAX)
			return false;
		v = v * 10 + (*s->p++ - '0');
	}
	if (!digits)
		return false;
	it->is_int = !at(s, '.');
	it->value = neg ? -v : v;
	if (it->is_int)
		return true;
	if (digits > SF_DEC_INT_DIGITS_MAX)
		return false;
	s->p++;
	while (s->p < s->end && is_digit(*s->p) &&
	       frac < SF_DEC_FRAC_DIGITS_MAX + 1) {
		s->p++;
		frac++;
	}
	return frac >= 1 && frac <= SF_DEC_FRAC_DIGITS_MAX;
}

static bool parse_string(struct sf *s)
{
	s->p++; /* the opening DQUOTE */
	while (s->p < s->end) {
		char c = *s->p++;

		if (c == '"')
			return true;
		if (c == '\\') {
			if (!(at(s, '"') || at(s, '\\')))
				return false;
			s->p++;
		} else if ((unsigned char)c < 0x20 || (unsigned char)c > 0x7e) {
			return false;
		}
	}
	return false; /* no closing DQUOTE */
}

/* sf-token = ( ALPHA / "*" ) *( tchar / ":" / "/" ) */
static bool parse_token(struct sf *s)
{
	s->p++;
	while (s->p < s->end && (http_is_tchar((unsigned char)*s->p) ||
				 *s->p == ':' || *s->p == '/'))
		s->p++;
	return true;
}

static bool is_base64(char c)
{
	return is_alpha(c) || is_digit(c) || c == '+' || c == '/' || c == '=';
}

static bool parse_bytes(struct sf *s)
{
	s->p++;
	while (s->p < s->end && is_base64(*s->p))
		s->p++;
	if (!at(s, ':'))
		return false;
	s->p++;
	return true;
}

static bool parse_boolean(struct sf *s)
{
	s->p++;
	if (!(at(s, '0') || at(s, '1')))
		return false;
	s->p++;
	return true;
}

static bool parse_bare_item(struct sf *s, struct sf_item *it)
{
	char c;

	*it = (struct sf_item){ 0 };
	if (s->p == s->end)
		return false;
	c = *s->p;
	if (c == '-' || is_digit(c))
		return parse_number(s, it);
	if (c == '"')
		return parse_string(s);
	if (c == '*' || is_alpha(c))
		return parse_token(s);
	if (c == ':')
		return parse_bytes(s);
	if (c == '?')
		return parse_boolean(s);
	return false;
}

/* *( ";" *SP key [ "=" bare-item ] ) */
static bool parse_params(struct sf *s)
{
	while (at(s, ';')) {
		struct http_str key;
		struct sf_item it;

		s->p++;
		skip_sp(s);
		if (!parse_key(s, &key))
			return false;
		if (at(s, '=')) {
			s->p++;
			if (!parse_bare_item(s, &it))
				return false;
		}
	}
	return true;
}

/* "(" *SP [ item *( 1*SP item ) *SP ] ")" parameters */
static bool parse_inner_list(struct sf *s)
{
	struct sf_item it;

	s->p++;
	for (;;) {
		skip_sp(s);
		if (at(s, ')')) {
			s->p++;
			return parse_params(s);
		}
		if (!parse_bare_item(s, &it) || !parse_params(s))
			return false;
		if (!(at(s, ' ') || at(s, ')')))
			return false;
	}
}

/* A member value: an Item or an Inner List; *it only for an Item. */
static bool parse_member_value(struct sf *s, struct sf_item *it)
{
	*it = (struct sf_item){ 0 };
	if (at(s, '('))
		return parse_inner_list(s);
	return parse_bare_item(s, it) && parse_params(s);
}

/* Parse a whole dictionary; *u gets the last `u` member's urgency, or
 * -1 if its value is not an Integer 0..7 (left alone if no `u`). */
static bool parse_dictionary(struct sf *s, int *u)
{
	skip_sp(s);
	while (s->p < s->end) {
		struct http_str key;
		struct sf_item it = { 0 };

		if (!parse_key(s, &key))
			return false;
		if (at(s, '=')) {
			s->p++;
			if (!parse_member_value(s, &it))
				return false;
		} else if (!parse_params(s)) { /* a bare key is Boolean true */
			return false;
		}
		if (key.len == 1 && key.p[0] == 'u')
			*u = it.is_int && it.value >= 0 &&
					     it.value <= CAUSAL_URGENCY_MAX ?
				     (int)it.value :
				     -1;
		skip_ows(s);
		if (s->p == s->end)
			return true;
		if (!at(s, ','))
			return false;
		s->p++;
		skip_ows(s);
		if (s->p == s->end)
			return false; /* a trailing comma */
	}
	return true; /* empty: no members */
}

int http_prio_dict_urgency(struct http_str value)
{
	struct sf s = { value.p, value.p + value.len };
	int u = -1;

	if (!value.p || !parse_dictionary(&s, &u))
		return -1;
	return u;
}

int http_prio_number(struct http_str value)
{
	struct http_str v = http_str_trim(value);

	if (!v.p || v.len != 1 || v.p[0] < '0' ||
	    v.p[0] > '0' + CAUSAL_URGENCY_MAX)
		return -1;
	return v.p[0] - '0';
}

int http_prio_rule_parse(struct http_str text, struct http_prio_rule *out)
{
	size_t colon = text.len;

	/* The last colon: a prefix may hold one, the urgency may not. */
	while (colon > 0 && text.p[colon - 1] != ':')
		colon--;
	if (colon < 2 || text.p[0] != '/' || colon - 1 >= HTTP_PRIO_PREFIX_MAX)
		return -EINVAL;
	for (size_t i = 0; i < colon - 1; i++)
		if (text.p[i] == ',' || (unsigned char)text.p[i] <= ' ' ||
		    (unsigned char)text.p[i] >= 0x7f)
			return -EINVAL;
	if (text.len - colon != 1 || !is_digit(text.p[colon]) ||
	    text.p[colon] - '0' > CAUSAL_URGENCY_MAX)
		return -EINVAL;
	memcpy(out->prefix, text.p, colon - 1);
	out->prefix[colon - 1] = '\0';
	out->len = colon - 1;
	out->urgency = (uint8_t)(text.p[colon] - '0');
	return 0;
}

int http_prio_path(const struct http_prio_config *cfg, struct http_str target)
{
	const struct http_prio_rule *best = NULL;

	for (unsigned int i = 0; i < cfg->nrules; i++) {
		const struct http_prio_rule *r = &cfg->rules[i];

		if (r->len <= target.len && (!best || r->len > best->len) &&
		    memcmp(r->prefix, target.p, r->len) == 0)
			best = r;
	}
	return best ? best->urgency : -1;
}

/* The next line of head[*pos..len) without its CR LF (a bare LF also
 * ends one); false at the end. */
static bool next_line(const char *head, size_t len, size_t *pos,
		      struct http_str *line)
{
	size_t start = *pos, end = start;

	if (start >= len)
		return false;
	while (end < len && head[end] != '\n')
		end++;
	*pos = end < len ? end + 1 : end;
	if (end > start && head[end - 1] == '\r')
		end--;
	*line = (struct http_str){ head + start, end - start };
	return true;
}

/* Split a field line at its colon: false if it has none. */
static bool split_field(struct http_str line, struct http_str *name,
			struct http_str *value)
{
	const char *colon = memchr(line.p, ':', line.len);

	if (!colon)
		return false;
	*name = (struct http_str){ line.p, (size_t)(colon - line.p) };
	*value = http_str_trim(
		(struct http_str){ colon + 1, line.len - name->len - 1 });
	return true;
}

static bool name_is(struct http_str name, const char *want, size_t want_len)
{
	if (name.len != want_len)
		return false;
	for (size_t i = 0; i < want_len; i++) {
		char a = name.p[i], b = want[i];

		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char)(b - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

/* Sources 1 and 2 from the field lines: *custom and *header get the
 * urgency each says (-1: nothing usable). */
static void scan_fields(const struct http_prio_config *cfg, const char *head,
			size_t len, int *custom, int *header)
{
	struct http_str line, name, value;
	bool header_bad = false, first = true;
	size_t pos = 0;

	*custom = *header = -1;
	while (next_line(head, len, &pos, &line)) {
		if (first) { /* empty lines, then the request line */
			first = line.len == 0;
			continue;
		}
		if (line.len == 0)
			break; /* end of the head */
		if (!split_field(line, &name, &value))
			continue;
		if (cfg->header_len &&
		    name_is(name, cfg->header, cfg->header_len)) {
			int u = http_prio_number(value);

			if (u >= 0)
				*custom = u;
		} else if (name_is(name, "priority", 8)) {
			struct sf s = { value.p, value.p + value.len };

			if (!parse_dictionary(&s, header))
				header_bad = true;
		}
	}
	if (header_bad)
		*header = -1; /* the field as a whole is ignored */
}

uint8_t http_prio_of_request(const struct http_prio_config *cfg,
			     const char *head, size_t len,
			     struct http_str target,
			     enum http_prio_source *source)
{
	int custom, header, path;

	scan_fields(cfg, head, len, &custom, &header);
	if (custom >= 0) {
		*source = HTTP_PRIO_CUSTOM;
		return (uint8_t)custom;
	}
	if (header >= 0) {
		*source = HTTP_PRIO_HEADER;
		return (uint8_t)header;
	}
	path = http_prio_path(cfg, target);
	if (path >= 0) {
		*source = HTTP_PRIO_PATH;
		return (uint8_t)path;
	}
	*source = HTTP_PRIO_DEFAULT;
	return CAUSAL_URGENCY_DEFAULT;
}
