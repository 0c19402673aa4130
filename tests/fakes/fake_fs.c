// SPDX-License-Identifier: MIT
/* Host fs/file.h over an in-memory table (see fake_fs.h). */
#include <stdlib.h>
#include <string.h>

#include "fs/file.h"
#include "kernel/io/iobuf.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/param.h"
#include "kernel/sched/laio.h"
#include "kernel/sched/thread.h"
#include "tests/fakes/fake_fs.h"

#define MAX_FILES 32
#define MAX_PENDING 64

struct file {
	char path[256];
	unsigned char *data;
	struct file_stat st;
};

struct pending {
	struct file *f;
	uint64_t off, len;
	struct ioagg *out;
	fs_read_done_fn done;
	void *arg;
};

static struct file files[MAX_FILES];
static int nfiles;
static bool mounted = true, deferred;
static struct pending pending[MAX_PENDING];
static int npending;
static int fail_err;

void fake_fs_reset(void)
{
	for (int i = 0; i < nfiles; i++)
		free(files[i].data);
	nfiles = 0;
	mounted = true;
	deferred = false;
	npending = 0;
	fail_err = 0;
}

void fake_fs_add_file(const char *path, const void *data, size_t len,
		      uint32_t mtime)
{
	struct file *f = &files[nfiles++];

	strncpy(f->path, path, sizeof(f->path) - 1);
	f->data = malloc(len ? len : 1);
	memcpy(f->data, data, len);
	f->st = (struct file_stat){ .ino = (uint32_t)nfiles + 10,
				    .is_reg = true,
				    .size = len,
				    .mtime = mtime };
}

void fake_fs_add_dir(const char *path)
{
	struct file *f = &files[nfiles++];

	strncpy(f->path, path, sizeof(f->path) - 1);
	f->data = NULL;
	f->st = (struct file_stat){ .ino = (uint32_t)nfiles + 10,
				    .is_dir = true };
}

void fake_fs_set_mounted(bool m)
{
	mounted = m;
}

void fake_fs_set_deferred(bool d)
{
	deferred = d;
}

void fake_fs_fail_next_read(int err)
{
	fail_err = err;
}

bool fs_mounted(void)
{
	return mounted;
}

int fs_open_for(const char *path, const struct causal *cause, struct file **out)
{
	(void)cause;
	return fs_open(path, out);
}

int fs_open(const char *path, struct file **out)
{
	size_t len = strlen(path);

	/* A directory is found with or without its trailing slash. */
	for (int i = 0; i < nfiles; i++) {
		size_t flen = strlen(files[i].path);

		if (!strcmp(files[i].path, path) ||
		    (files[i].st.is_dir && len == flen + 1 &&
		     !strncmp(files[i].path, path, flen) &&
		     path[flen] == '/')) {
			*out = &files[i];
			return 0;
		}
	}
	return -ENOENT;
}

const struct file_stat *fs_stat(const struct file *f)
{
	return &f->st;
}

/* Append [off, off+len) of f as page-sized iobufs. */
static int fill(struct file *f, uint64_t off, uint64_t len, struct ioagg *out)
{
	while (len) {
		uint32_t n = (uint32_t)MIN(len, (uint64_t)PAGE_SIZE);
		struct iobuf *b = iobuf_alloc(n, NULL, NULL);
		char *va;

		if (!b)
			return -ENOMEM;
		va = iobuf_map(b);
		memcpy(va, f->data + off, n);
		iobuf_unmap(b, va);
		iobuf_seal(b, n);
		ioagg_append(out, b, 0, n);
		iobuf_unref(b);
		off += n;
		len -= n;
	}
	return 0;
}

int fs_read(struct file *f, uint64_t off, uint64_t len, struct ioagg *out,
	    fs_read_done_fn done, void *arg, const struct causal *cause)
{
	(void)cause;
	if (!f->st.is_reg)
		return -EISDIR;
	if (off > f->st.size || len > f->st.size - off)
		return -EINVAL;
	if (fail_err) {
		int err = fail_err;

		fail_err = 0;
		if (!deferred)
			return err;
		pending[npending++] =
			(struct pending){ f, off, len, out, done, arg };
		pending[npending - 1].len = UINT64_MAX; /* marks failure */
		fail_err = err;
		return -EINPROGRESS;
	}
	if (!deferred)
		return fill(f, off, len, out);
	pending[npending++] = (struct pending){ f, off, len, out, done, arg };
	return -EINPROGRESS;
}

struct sync_wait {
	bool done;
	int err;
};

static void sync_done(void *arg, int err)
{
	struct sync_wait *w = arg;

	w->err = err;
	w->done = true;
	thread_wakeup(w);
}

/* As fs/file.c: a thread (a LAIO continuation) sleeps until the read is
 * in; the main loop "polls the disk", here: completes what is pending. */
int fs_read_sync(struct file *f, uint64_t off, uint64_t len, struct ioagg *out,
		 const struct causal *cause)
{
	struct sync_wait w = { 0 };
	int err = fs_read(f, off, len, out, sync_done, &w, cause);

	if (err != -EINPROGRESS)
		return err;
	while (!w.done) {
		if (thread_current())
			thread_sleep(&w);
		else
			fake_fs_complete();
	}
	return w.err;
}

int fake_fs_complete(void)
{
	int n = npending;

	for (int i = 0; i < n; i++) {
		struct pending p = pending[i];

		if (p.len == UINT64_MAX) {
			int err = fail_err;

			fail_err = 0;
			p.done(p.arg, err);
		} else {
			p.done(p.arg, fill(p.f, p.off, p.len, p.out));
		}
	}
	memmove(pending, pending + n,
		(size_t)(npending - n) * sizeof(*pending));
	npending -= n;
	/* What the main loop does next: run the woken continuations, then
	 * deliver LAIO completions. */
	while (thread_any_ready())
		thread_run_ready();
	laio_poll(NULL);
	return n;
}
