/* SPDX-License-Identifier: MIT */
/*
 * A request's urgency (RFC 9218: 0 most urgent .. 7, 3 by default) from
 * its head. Pure functions over a request head the parser accepted
 * (pointer + length, no allocation, no NUL needed); the boot options
 * that configure them are app/prio.c's.
 *
 * Sources, first that says something wins:
 *  1. the configured header (prio_header=, e.g. X-Priority): a number
 *     0..7 with optional whitespace around it; a front end the operator
 *     runs decided it for this very request;
 *  2. the `Priority` header (RFC 9218 section 4): a Structured Field
 *     Dictionary (RFC 8941 section 3.2) whose `u` member is an Integer
 *     0..7; `i` and unknown members are ignored; several Priority lines
 *     are each parsed, the last `u` wins; a line that is not a valid
 *     dictionary makes the whole field ignored (RFC 8941 4.2), and a `u`
 *     of the wrong type or out of range is ignored (RFC 9218 section 4);
 *  3. a path rule (prio_path=): the longest rule prefix of the raw
 *     request-target, compared byte for byte (no decoding);
 *  4. the default, 3.
 * Anything malformed is no error: that source says nothing.
 */
#ifndef APP_HTTP_PRIO_H
#define APP_HTTP_PRIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/http_param.h"
#include "app/http_str.h"

enum http_prio_source {
	HTTP_PRIO_DEFAULT,
	HTTP_PRIO_CUSTOM, /* the configured header */
	HTTP_PRIO_HEADER, /* Priority */
	HTTP_PRIO_PATH, /* a path rule */
};

struct http_prio_rule {
	char prefix[HTTP_PRIO_PREFIX_MAX]; /* starts with '/' */
	size_t len;
	uint8_t urgency;
};

struct http_prio_config {
	char header[HTTP_PRIO_HEADER_MAX]; /* the configured header, "": none */
	size_t header_len;
	unsigned int nrules;
	struct http_prio_rule rules[HTTP_PRIO_RULES_MAX];
};

/* The `u` of one Priority field value: 0..7, or -1 when the value is not
 * a valid dictionary or has no usable `u`. */
int http_prio_dict_urgency(struct http_str value);

/* A configured header's value: 0..7, or -1. */
int http_prio_number(struct http_str value);

/* One path rule "PREFIX:U" (PREFIX starts with '/', has no ',', fits
 * HTTP_PRIO_PREFIX_MAX; U is 0..7). 0, or -EINVAL. */
int http_prio_rule_parse(struct http_str text, struct http_prio_rule *out);

/* The urgency of the longest matching rule, or -1. */
int http_prio_path(const struct http_prio_config *cfg, struct http_str target);

/* The urgency of the request whose accepted head is head[0..len), with
 * request-target `target`; *source says where it came from. */
uint8_t http_prio_of_request(const struct http_prio_config *cfg,
			     const char *head, size_t len,
			     struct http_str target,
			     enum http_prio_source *source);

#endif
