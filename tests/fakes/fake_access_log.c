// SPDX-License-Identifier: MIT
/* The access log hooks for host tests of the server: they count the
 * requests and responses the server reports, so a test can check that
 * every response is logged once (the real log is tested in
 * tests/app/test_access_fmt.c and tests/integration/test_access_log.py). */
#include "app/access_log.h"

unsigned fake_alog_requests, fake_alog_responses;
int fake_alog_last_status;

bool alog_enabled(void)
{
	return true;
}

void alog_request(struct alog_entry **slot, const struct conn *c,
		  const struct http_request *req, bool parsed)
{
	(void)slot;
	(void)c;
	(void)req;
	(void)parsed;
	fake_alog_requests++;
}

void alog_forget(struct alog_entry *e)
{
	(void)e;
}

void alog_response(struct alog_entry *e, const struct causal *cause, int status,
		   uint64_t body_bytes, uint64_t bytes)
{
	(void)e;
	(void)cause;
	(void)body_bytes;
	(void)bytes;
	fake_alog_responses++;
	fake_alog_last_status = status;
}
