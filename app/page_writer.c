// SPDX-License-Identifier: MIT
/* Text into one-page pool buffers (interface in page_writer.h). */
#include "app/page_writer.h"

#include "kernel/io/iobuf.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/param.h"

void page_writer_flush(struct page_writer *w)
{
	int err;

	if (!w->buf)
		return;
	iobuf_unmap(w->buf, w->va);
	iobuf_seal(w->buf, w->len);
	err = ioagg_append(w->out, w->buf, 0, w->len);
	iobuf_unref(w->buf);
	w->buf = NULL;
	if (err && !w->err)
		w->err = err;
}

void page_writer_put(struct page_writer *w, const char *s, size_t n)
{
	while (n && !w->err) {
		uint32_t k;

		if (w->buf && w->len == PAGE_SIZE)
			page_writer_flush(w);
		if (!w->buf) {
			w->buf = iobuf_alloc(PAGE_SIZE, NULL, NULL);
			if (!w->buf) {
				w->err = -ENOMEM;
				return;
			}
			w->va = iobuf_map(w->buf);
			w->len = 0;
		}
		k = (uint32_t)MIN(n, (size_t)(PAGE_SIZE - w->len));
		memcpy(w->va + w->len, s, k);
		w->len += k;
		w->bytes += k;
		s += k;
		n -= k;
	}
}

void page_writer_puts(struct page_writer *w, const char *s)
{
	page_writer_put(w, s, strlen(s));
}

uint64_t page_writer_budget(uint64_t max_pages)
{
	struct iobuf_stats io;
	uint64_t pages;

	iobuf_get_stats(&io);
	pages = (io.pool_pages - MIN(io.pinned_pages, io.pool_pages)) / 4;
	pages = MIN(pages, max_pages);
	return pages > 1 ? (pages - 1) * PAGE_SIZE : 0;
}
