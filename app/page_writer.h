/* SPDX-License-Identifier: MIT */
/*
 * Text appended to an aggregate in one-page pool buffers, for answers
 * that may be larger than any heap block should be (/_trace, /_profile).
 * The first failure (-ENOMEM: no pool page) sticks in `err` and later
 * writes do nothing; page_writer_flush() appends the last page.
 */
#ifndef APP_PAGE_WRITER_H
#define APP_PAGE_WRITER_H

#include <stddef.h>
#include <stdint.h>

struct ioagg;
struct iobuf;

struct page_writer {
	struct ioagg *out;
	struct iobuf *buf; /* the page being written, mapped at va */
	char *va;
	uint32_t len;
	uint64_t bytes; /* written */
	uint64_t budget; /* for the caller: bytes it allows itself */
	int err;
};

void page_writer_put(struct page_writer *w, const char *s, size_t n);
void page_writer_puts(struct page_writer *w, const char *s);

/* Append the page being written; w->err is the result of the whole. */
void page_writer_flush(struct page_writer *w);

/* Bytes an answer may take (for `budget`): max_pages pages, and no more
 * than a quarter of the pool pages not pinned, less one page for what
 * follows the budgeted part; 0 when that leaves nothing. */
uint64_t page_writer_budget(uint64_t max_pages);

#endif
