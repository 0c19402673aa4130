// SPDX-License-Identifier: MIT
/*
 * HTTP/1.1 server: routing and responses (see http_conn.h). A parsed
 * request is mapped to a file, a redirect, /_stats or an error; small
 * answers are built whole into a pool buffer, a file's head waits in
 * hc->head for the first window of its body (body_event.c) or goes out
 * before the connection's thread copies the body (body_thread.c).
 * Conditionals (If-None-Match, If-Modified-Since, If-Range) and ranges
 * are decided here. File opens go through LAIO: one that blocks leaves
 * the request buffered (OPENING) and it is parsed again when done.
 */
#define PR_PREFIX "http: "
#include <stdbool.h>

#include "app/access_log.h"
#include "app/http_cond.h"
#include "app/http_conn.h"
#include "app/http_param.h"
#include "app/http_parser.h"
#include "app/http_path.h"
#include "app/http_range.h"
#include "app/http_response.h"
#include "app/mime.h"
#include "app/stats.h"
#include "app/profile_folded.h"
#include "app/trace_json.h"
#include "fs/file.h"
#include "kernel/arch/rtc.h"
#include "kernel/arch/smp.h"
#include "kernel/io/iobuf.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/param.h"
#include "kernel/sched/laio.h"
#include "kernel/sched/profile.h"
#include "kernel/sched/timer.h"
#include "net/conn.h"

#define HEAD_BUF_PAGES 1 /* response head + small bodies */
/* /_stats JSON, plus one page per 4 CPUs (their "cpus" and sfbuf
 * "per_cpu" counters) */
#define STATS_BUF_PAGES 4
#define STATS_PATH "/_stats"
#define HEALTH_PATH "/_health" /* load balancers' health check */
#define HEALTH_BODY "ok\n"
#define TRACE_PATH "/_trace"
#define PROFILE_PATH "/_profile"

static void count_status(int status)
{
	hc_stats.status[http_status_slot(status)]++;
}

/*
 * Build the head (and, for small generated answers, the body) of a
 * response into a fresh pool buffer and append it to hc->head.
 * 0, or -ENOMEM when the pool is exhausted.
 */
static int queue_head(struct http_conn *hc, const struct http_response *r,
		      const char *body, size_t body_len)
{
	struct iobuf *b = iobuf_alloc(HEAD_BUF_PAGES * PAGE_SIZE, NULL, NULL);
	char *va;
	int n, err;

	if (!b) {
		hc_stats.aborted_no_head++; /* every caller resets */
		return -ENOMEM;
	}
	va = iobuf_map(b);
	n = http_response_head(va, HEAD_BUF_PAGES * PAGE_SIZE, r);
	if (n >= 0 && body_len <= HEAD_BUF_PAGES * PAGE_SIZE - (size_t)n) {
		if (body_len)
			memcpy(va + n, body, body_len);
		n += (int)body_len;
	} else if (n >= 0) {
		n = -ENOSPC;
	}
	iobuf_unmap(b, va);
	if (n < 0) {
		iobuf_unref(b);
		return n;
	}
	iobuf_seal(b, (uint32_t)n);
	hc->resp_head = (uint64_t)n - body_len; /* answer() puts bodies here */
	err = ioagg_append(&hc->head, b, 0, (uint32_t)n);
	iobuf_unref(b);
	return err;
}

static struct http_response base_response(struct http_conn *hc, int status)
{
	return (struct http_response){
		.status = status,
		.date = rtc_now(),
		.keep_alive = hc->keep_alive,
		.traceresponse = hc->marks.traceresponse[0] ?
					 hc->marks.traceresponse :
					 NULL,
	};
}

/* Send what is queued in hc->head (and `window` if given) now. */
void hc_flush(struct http_conn *hc, bool with_window)
{
	if (with_window) {
		hc_stats.body_bytes += ioagg_len(&hc->window);
		ioagg_concat(&hc->head, &hc->window);
		ioagg_release(&hc->window);
	}
	hc_trace_send(hc);
	if (ioagg_len(&hc->head))
		conn_send(hc->c, &hc->head);
	hc->head_sent = true;
	/* A reader that stops reading must not hold us forever. */
	hc_arm_idle(hc);
}

/* Answer with a generated page (errors, redirects, 304, /_stats). */
static void answer(struct http_conn *hc, struct http_response *r,
		   const char *body, size_t body_len, bool head_only)
{
	hc->status = r->status;
	count_status(r->status);
	r->content_length = body_len;
	hc->resp_body = head_only ? 0 : body_len;
	if (queue_head(hc, r, body, hc->resp_body)) {
		hc_abort(hc); /* pool exhausted: nothing sensible to send */
		return;
	}
	hc_flush(hc, false);
	hc_response_done(hc);
}

void hc_answer_error(struct http_conn *hc, int status, bool head_only)
{
	char body[HTTP_ERROR_BODY_SIZE];
	struct http_response r;
	int n;

	/* Client errors on the framing leave the stream unusable. */
	if (status == 400 || status == 414 || status == 431 || status == 505 ||
	    status == 501)
		hc->keep_alive = false;
	r = base_response(hc, status);
	n = http_error_body(body, sizeof(body), status);
	r.content_type = "text/html; charset=utf-8";
	answer(hc, &r, body, n > 0 ? (size_t)n : 0, head_only);
}

/* Append `len` bytes of `data` to `agg` in one-page pool buffers. */
static int append_copy(struct ioagg *agg, const char *data, size_t len)
{
	while (len) {
		uint32_t n = (uint32_t)MIN(len, (size_t)PAGE_SIZE);
		struct iobuf *b = iobuf_alloc(n, NULL, NULL);
		char *va;
		int err;

		if (!b)
			return -ENOMEM;
		va = iobuf_map(b);
		memcpy(va, data, n);
		iobuf_unmap(b, va);
		iobuf_seal(b, n);
		err = ioagg_append(agg, b, 0, n);
		iobuf_unref(b);
		if (err)
			return err;
		data += n;
		len -= n;
	}
	return 0;
}

static void answer_stats(struct http_conn *hc, bool head_only)
{
	size_t size =
		(STATS_BUF_PAGES + DIV_ROUND_UP(cpu_count(), 4)) * PAGE_SIZE;
	/* Every CPU's counters summed, in this CPU's scratch block: nothing
	 * runs on this CPU between the sum and the JSON (no sleeping), and
	 * a heap too full for a new connection must still answer this. */
	static struct http_stats sums[CPU_MAX];
	struct http_stats *sum = &sums[cpu_self()];
	char *json = kmalloc(size);
	struct http_response r;
	int n, err;

	if (!json) {
		hc_answer_error(hc, 503, head_only);
		return;
	}
	http_get_stats(sum);
	n = http_stats_json(json, size, sum);
	if (n < 0) {
		kfree(json);
		hc_answer_error(hc, 500, head_only);
		return;
	}
	r = base_response(hc, 200);
	r.content_type = "application/json";
	r.content_length = (uint64_t)n;
	hc->status = 200;
	count_status(200);
	err = queue_head(hc, &r, NULL, 0);
	if (!err && !head_only)
		err = append_copy(&hc->head, json, (size_t)n);
	kfree(json);
	if (err) {
		hc_abort(hc);
		return;
	}
	if (!head_only) {
		hc_stats.body_bytes += (uint64_t)n;
		hc->resp_body = (uint64_t)n;
	}
	hc_flush(hc, false);
	hc_response_done(hc);
}

/* GET /_health: 200 "ok" while the volume is mounted (files can be
 * served), else 503. Cheap: no file system call, no allocation beyond
 * the head's buffer. Not in the access log (a balancer asks every
 * second); counted in http.health_checks. */
static void answer_health(struct http_conn *hc, bool head_only)
{
	struct http_response r = base_response(hc, 200);

	hc_stats.health_checks++;
	alog_forget(hc->log);
	if (!fs_mounted()) {
		hc_answer_error(hc, 503, head_only);
		return;
	}
	r.content_type = "text/plain";
	answer(hc, &r, HEALTH_BODY, sizeof(HEALTH_BODY) - 1, head_only);
}

/* Answer 200 with a generated body in pool pages (taken from `body`). */
static void answer_pages(struct http_conn *hc, struct ioagg *body,
			 const char *content_type, bool head_only)
{
	uint64_t len = ioagg_len(body);
	struct http_response r = base_response(hc, 200);
	int err;

	r.content_type = content_type;
	r.content_length = len;
	hc->status = 200;
	count_status(200);
	err = queue_head(hc, &r, NULL, 0);
	if (!err && !head_only)
		err = ioagg_concat(&hc->head, body);
	ioagg_release(body);
	if (err) {
		hc_abort(hc);
		return;
	}
	if (!head_only) {
		hc_stats.body_bytes += len;
		hc->resp_body = len;
	}
	hc_flush(hc, false);
	hc_response_done(hc);
}

/* The status for a /_trace failure: unknown request, bad id, no memory. */
static int trace_error_status(int err)
{
	if (err == -ENOENT)
		return 404;
	return err == -EINVAL ? 400 : 503;
}

/* GET /_trace[?id=N|?last=N]: the recorded spans as Chrome Trace Event
 * JSON, built in pool pages (app/trace_json.h). Both at once: 400. */
static void answer_trace(struct http_conn *hc, const struct http_request *req,
			 bool head_only)
{
	struct ioagg body;
	uint64_t id;
	unsigned int last = 0;
	int err = trace_query_id(req->target.p, req->target.len, &id);

	if (!err)
		err = trace_query_last(req->target.p, req->target.len, &last);
	if (!err && id && last)
		err = -EINVAL;
	ioagg_init(&body);
	if (!err)
		err = last ? trace_json_last(&body, last) :
			     trace_json(&body, id);
	if (err) {
		ioagg_release(&body);
		hc_answer_error(hc, trace_error_status(err), head_only);
		return;
	}
	answer_pages(hc, &body, "application/json", head_only);
}

/* GET /_profile[?ms=N]: the profiler's samples as folded stacks
 * (app/profile_folded.h); 404 while the profiler is off (profile=0). */
static void answer_profile(struct http_conn *hc, const struct http_request *req,
			   bool head_only)
{
	struct ioagg body;
	uint64_t ms;
	int err = profile_query_ms(req->target.p, req->target.len, &ms);

	if (err || !profile_hz()) {
		hc_answer_error(hc, err ? 400 : 404, head_only);
		return;
	}
	ioagg_init(&body);
	err = profile_folded(&body, ms);
	if (err) {
		ioagg_release(&body);
		hc_answer_error(hc, 503, head_only);
		return;
	}
	answer_pages(hc, &body, "text/plain", head_only);
}

/* The head fields that describe the file `st` (its ETag into etag,
 * HTTP_ETAG_SIZE bytes). */
static void describe_file(struct http_response *r, char *etag,
			  const struct file_stat *st, const char *path,
			  size_t path_len)
{
	if (http_etag_make(etag, HTTP_ETAG_SIZE, st->ino, st->size, st->mtime,
			   false) > 0)
		r->etag = etag;
	r->has_last_modified = true;
	r->last_modified = st->mtime;
	r->content_type = mime_type(path, path_len);
	r->accept_ranges = true;
}

/* The part of a file of `size` bytes the request asks for: NONE for all
 * of it (no Range, or an If-Range that does not hold). */
static enum http_range_kind requested_range(const struct http_request *req,
					    const struct http_response *r,
					    uint64_t size,
					    struct http_range *range)
{
	struct http_str tag = { r->etag, r->etag ? strlen(r->etag) : 0 };

	if (!req->range.p ||
	    !http_if_range_holds(req->if_range, tag, r->last_modified, r->date))
		return HTTP_RANGE_NONE;
	return http_range_parse(req->range.p, req->range.len, size, range);
}

/* Queue the head `r` of file f's bytes [body_off, body_end) and start
 * the body. */
static void start_file(struct http_conn *hc, struct http_response *r,
		       struct file *f, bool head_only)
{
	bool threaded = hc_threads_model() && !head_only &&
			hc->body_off != hc->body_end;

	/* Out of memory for a thread: say so, as for a dead disk. */
	if (threaded && !hc_thread_prepare(hc)) {
		hc->keep_alive = false;
		hc_answer_error(hc, 503, false);
		return;
	}
	r->content_length = hc->body_end - hc->body_off;
	hc->status = r->status;
	count_status(r->status);
	if (queue_head(hc, r, NULL, 0)) {
		hc_abort(hc);
		return;
	}
	if (head_only)
		hc->body_end = hc->body_off;
	hc->resp_body = hc->body_end - hc->body_off;
	hc->file = f;
	hc->head_sent = false;
	hc->state = BODY;
	if (threaded)
		hc_thread_body_start(hc);
	else
		hc_event_body_start(hc);
}

/* Conditional, range and head for a regular file; then the body. */
static void serve_file(struct http_conn *hc, const struct http_request *req,
		       const char *path, size_t path_len, struct file *f)
{
	const struct file_stat *st = fs_stat(f);
	bool head_only = req->method == HTTP_METHOD_HEAD;
	char etag[HTTP_ETAG_SIZE];
	struct http_response r = base_response(hc, 200);
	struct http_range range;
	enum http_range_kind kind;

	describe_file(&r, etag, st, path, path_len);
	if (r.etag &&
	    http_not_modified(req->if_none_match, req->if_modified_since,
			      (struct http_str){ etag, strlen(etag) },
			      st->mtime, r.date)) {
		r.status = 304;
		r.content_type = NULL;
		answer(hc, &r, NULL, 0, true);
		return;
	}
	kind = requested_range(req, &r, st->size, &range);
	r.range = kind;
	r.file_size = st->size;
	if (kind == HTTP_RANGE_UNSATISFIABLE) {
		r.status = 416;
		r.content_type = NULL;
		answer(hc, &r, NULL, 0, head_only);
		return;
	}
	hc->body_off = kind == HTTP_RANGE_PARTIAL ? range.first : 0;
	hc->body_end = kind == HTTP_RANGE_PARTIAL ? range.last + 1 : st->size;
	if (kind == HTTP_RANGE_PARTIAL) {
		r.status = 206;
		r.range_bounds = range;
	}
	start_file(hc, &r, f, head_only);
}

/* The blocking open LAIO runs on a spare stack. */
static int open_op(void *arg)
{
	struct http_conn *hc = arg;

	return fs_open_for(hc->open_path, &hc->cause, &hc->open_file);
}

/* The open blocked and is done: parse the request again to use it. */
static void open_done(void *arg, int err)
{
	struct http_conn *hc = arg;

	hc->read_pending = false;
	if (hc_thread_reap(hc))
		return; /* its thread frees hc */
	if (hc->dead) {
		hc_free(hc);
		return;
	}
	if (hc->state != OPENING)
		return; /* aborted meanwhile; closed() will free */
	hc_trace_opened(hc);
	hc->open_err = err;
	hc->open_ready = true;
	hc->state = IDLE;
	hc_pipeline(hc);
}

/* fs_open through LAIO: 0 or an error, or -EINPROGRESS when it blocked
 * (state OPENING: the request is answered when open_done has run). */
static int open_file(struct http_conn *hc, const char *path, struct file **f)
{
	int err;

	if (hc->open_ready && !strcmp(path, hc->open_path)) {
		hc->open_ready = false;
		*f = hc->open_file;
		return hc->open_err;
	}
	hc->open_ready = false;
	strlcpy(hc->open_path, path, sizeof(hc->open_path));
	hc->read_pending = true;
	hc_trace_open_start(hc);
	err = hc_laio_call(hc, open_op, open_done);
	if (err == -EINPROGRESS) {
		hc_trace_blocked(hc);
		hc->state = OPENING;
		hc_stats.opens_blocked++;
		return err;
	}
	hc->read_pending = false;
	if (err == -EAGAIN) {
		/* Ran here for want of a spare stack, and a sleeping
		 * continuation holds the volume: try again shortly. */
		hc->state = OPENING;
		hc_stats.open_retries++;
		timer_arm_in(&hc->retry, NOMEM_RETRY_MS * MS);
		return -EINPROGRESS;
	}
	hc_trace_opened(hc);
	*f = hc->open_file;
	return err;
}

/* A directory: redirect to its name with a '/', or open its index
 * file (path, *len and *f updated). 0 when the request is answered or
 * its open blocked (-EINPROGRESS), else the open's result. */
static int open_directory(struct http_conn *hc, char *path, size_t *len,
			  struct file **f, bool head_only)
{
	if (path[*len - 1] != '/') {
		struct http_response r = base_response(hc, 301);

		path[*len] = '/';
		path[*len + 1] = '\0';
		r.location = path;
		r.content_type = "text/html; charset=utf-8";
		answer(hc, &r, NULL, 0, head_only);
		return -EINPROGRESS;
	}
	memcpy(path + *len, INDEX_FILE, sizeof(INDEX_FILE));
	*len += sizeof(INDEX_FILE) - 1;
	return open_file(hc, path, f);
}

/* Open the regular file at path (or its directory's index): 0 with *f
 * set, -EINPROGRESS when answered or blocked, else an error. */
static int open_target(struct http_conn *hc, char *path, size_t *len,
		       struct file **f, bool head_only)
{
	int err = open_file(hc, path, f);

	if (!err && fs_stat(*f)->is_dir)
		err = open_directory(hc, path, len, f, head_only);
	if (!err && !fs_stat(*f)->is_reg)
		err = -ENOENT;
	return err;
}

bool hc_disk_gone(int err)
{
	return err == -ETIMEDOUT || err == -ENODEV;
}

/* The status for an open error: 503, 500 for a device error, else 404. */
static int open_error_status(int err)
{
	if (hc_disk_gone(err))
		return 503;
	return err == -EIO ? 500 : 404;
}

/* Map a request to a file, a redirect, /_stats or an error. */
void hc_route(struct http_conn *hc, const struct http_request *req)
{
	bool head_only = req->method == HTTP_METHOD_HEAD;
	char path[HTTP_PATH_MAX + sizeof(INDEX_FILE) + 1];
	size_t len;
	struct file *f;
	int err;

	if (req->method != HTTP_METHOD_GET && !head_only) {
		hc_answer_error(hc, 405, head_only);
		return;
	}
	err = http_path_normalize(req->target.p, req->target.len, path,
				  HTTP_PATH_MAX + 1, &len);
	if (err) {
		hc_answer_error(hc, err == -ENAMETOOLONG ? 414 : 400,
				head_only);
		return;
	}
	if (!strcmp(path, STATS_PATH)) {
		answer_stats(hc, head_only);
		return;
	}
	if (!strcmp(path, HEALTH_PATH)) {
		answer_health(hc, head_only);
		return;
	}
	if (!strcmp(path, TRACE_PATH)) {
		answer_trace(hc, req, head_only);
		return;
	}
	if (!strcmp(path, PROFILE_PATH)) {
		answer_profile(hc, req, head_only);
		return;
	}
	if (!fs_mounted()) {
		hc_answer_error(hc, 503, head_only);
		return;
	}
	err = open_target(hc, path, &len, &f, head_only);
	if (err == -EINPROGRESS)
		return;
	if (err)
		hc_answer_error(hc, open_error_status(err), head_only);
	else
		serve_file(hc, req, path, len, f);
}
