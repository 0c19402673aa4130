// SPDX-License-Identifier: MIT
/* Host net/conn.h (see fake_conn.h). */
#include <stdlib.h>
#include <string.h>

#include "kernel/io/iobuf.h"
#include "kernel/lib/errno.h"
#include "kernel/param.h"
#include "net/conn.h"
#include "tests/fakes/fake_conn.h"

struct conn {
	void *ctx;
	struct ioagg unread; /* sent, not yet taken by the test */
	uint64_t queued; /* sent, not yet acknowledged */
	bool closing, aborted, paused;
	size_t refused; /* bytes the server left in fake_conn_recv */
	uint8_t urgency; /* the last conn_set_urgency */
};

static const struct conn_callbacks *cbs;
static void *listener_ctx;
static int live;
static struct conn_stats stats;

int conn_listen(uint16_t port, const struct conn_callbacks *cb, void *ctx)
{
	(void)port;
	cbs = cb;
	listener_ctx = ctx;
	return 0;
}

struct conn *fake_conn_open(void)
{
	struct conn *c = calloc(1, sizeof(*c));

	ioagg_init(&c->unread);
	c->ctx = cbs->accept(listener_ctx, c);
	if (!c->ctx) {
		free(c);
		return NULL;
	}
	live++;
	return c;
}

size_t fake_conn_recv(struct conn *c, const char *data, size_t len)
{
	size_t took = cbs->recv(c->ctx, data, len);

	/* What the server leaves is the test's to send again. */
	c->refused += len - took;
	return took;
}

void fake_conn_recv_str(struct conn *c, const char *s)
{
	fake_conn_recv(c, s, strlen(s));
}

void fake_conn_eof(struct conn *c)
{
	cbs->eof(c->ctx);
}

int conn_send(struct conn *c, struct ioagg *agg)
{
	if (c->closing || c->aborted) {
		ioagg_release(agg);
		return -ENOTCONN;
	}
	c->queued += ioagg_len(agg);
	ioagg_concat(&c->unread, agg);
	ioagg_release(agg);
	return 0;
}

/* The copying write: a page at a time into the output. */
long conn_write(struct conn *c, const void *buf, size_t len)
{
	uint32_t n = len < PAGE_SIZE ? (uint32_t)len : PAGE_SIZE;
	struct iobuf *b;
	char *va;

	if (c->closing || c->aborted)
		return -ENOTCONN;
	b = iobuf_alloc(n, NULL, NULL);
	if (!b)
		return 0;
	va = iobuf_map(b);
	memcpy(va, buf, n);
	iobuf_unmap(b, va);
	iobuf_seal(b, n);
	ioagg_append(&c->unread, b, 0, n);
	iobuf_unref(b);
	c->queued += n;
	return n;
}

uint64_t fake_conn_queued_bytes(const struct conn *c)
{
	return c->queued;
}

uint64_t conn_queued(const struct conn *c)
{
	return c->queued;
}

/* The fake records no spans (the server's tests run with trace=off). */
void conn_trace_ack(struct conn *c, uint64_t req, uint64_t start_ns,
		    uint64_t now_ns)
{
	(void)c, (void)req, (void)start_ns, (void)now_ns;
}

char *fake_conn_take_output(struct conn *c, size_t *len)
{
	size_t n = ioagg_len(&c->unread);
	char *out = malloc(n + 1);

	ioagg_copyout(&c->unread, 0, out, n);
	out[n] = '\0';
	ioagg_release(&c->unread);
	*len = n;
	return out;
}

/* The peer acknowledged n bytes: writable() below low water. The real
 * ACK path, ECEM splicing included, is tested against lwIP in
 * tests/net/test_conn.c. */
void fake_conn_ack(struct conn *c, uint64_t n)
{
	n = n < c->queued ? n : c->queued;
	c->queued -= n;
	if (c->queued < FAKE_CONN_LOWAT)
		cbs->writable(c->ctx);
}

void conn_recv_pause(struct conn *c, bool pause)
{
	c->paused = pause;
}

void conn_close(struct conn *c)
{
	c->closing = true;
}

void conn_abort(struct conn *c)
{
	c->aborted = true;
}

bool fake_conn_closing(const struct conn *c)
{
	return c->closing;
}

bool fake_conn_aborted(const struct conn *c)
{
	return c->aborted;
}

bool fake_conn_paused(const struct conn *c)
{
	return c->paused;
}

void fake_conn_finish(struct conn *c, int err)
{
	cbs->closed(c->ctx, err);
	ioagg_release(&c->unread);
	free(c);
	live--;
}

void conn_set_urgency(struct conn *c, uint8_t urgency)
{
	c->urgency = urgency;
}

uint8_t fake_conn_urgency(const struct conn *c)
{
	return c->urgency;
}

int fake_conn_live(void)
{
	return live;
}

const char *conn_peer(const struct conn *c, char *buf, size_t size)
{
	(void)c;
	strncpy(buf, "test", size);
	return buf;
}

void conn_get_stats(struct conn_stats *st)
{
	*st = stats;
}
