// SPDX-License-Identifier: MIT
/*
 * fscheck=on: a boot-time self-test of the whole storage path. Every
 * regular file is read through fs_read (page cache, virtio-blk DMA into
 * pool pages) three times: "cold" and "warm" time the disk and the cache
 * hit path without touching the data, "verify" lists each file with its
 * CRC-32 so a test can compare with the files it put in the image.
 * Output lines, one per file:
 *   fscheck: file <crc32 hex> <size> <path>
 *   fscheck: error <errname> <path>
 * and a summary per pass:
 *   fscheck: <pass> <files> files <bytes> bytes <us> us <MB/s> MB/s
 *            <pages> pages <ns/page> ns/page
 * The walk is depth-first with a depth bound; paths are built in a
 * fixed buffer and over-long ones are reported, not truncated.
 */
#define PR_PREFIX "fscheck: "
#include <stdbool.h>

#include "fs/file.h"
#include "kernel/arch/time.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/initcall.h"
#include "kernel/core/printk.h"
#include "kernel/io/iobuf.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/crc32.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/param.h"

#define FSCHECK_DEPTH_MAX 32
#define FSCHECK_CHUNK (1u << 20) /* bytes per fs_read */
#define FSCHECK_PATH_MAX 1024

static bool fscheck;
KPARAM_BOOL(fscheck, fscheck,
	    "list every file with its CRC-32 at boot and time the reads");

struct pass {
	bool verify; /* checksum and list every file */
	uint64_t files, bytes, pages, failed;
};

static uint32_t crc_agg(uint32_t crc, const struct ioagg *a)
{
	for (uint32_t i = 0; i < ioagg_count(a); i++) {
		const struct ioslice *s = ioagg_slice_at(a, i);
		char *va = iobuf_map(s->buf);

		crc = crc32_update(crc, va + s->off, s->len);
		iobuf_unmap(s->buf, va);
	}
	return crc;
}

static int check_file(struct file *f, const char *path, struct pass *p)
{
	uint64_t size = fs_stat(f)->size;
	uint32_t crc = 0;
	int err = 0;

	for (uint64_t off = 0; off < size && !err; off += FSCHECK_CHUNK) {
		struct ioagg a;

		ioagg_init(&a);
		err = fs_read_sync(f, off, MIN(FSCHECK_CHUNK, size - off), &a,
				   NULL);
		if (!err && p->verify)
			crc = crc_agg(crc, &a);
		ioagg_release(&a);
	}
	if (err) {
		pr_err("error %s %s", errname(err), path);
		p->failed++;
		return err;
	}
	if (p->verify)
		pr_info("file %08x %llu %s", crc, (unsigned long long)size,
			path);
	p->files++;
	p->bytes += size;
	p->pages += DIV_ROUND_UP(size, PAGE_SIZE);
	return 0;
}

static void walk(char *path, size_t len, int depth, struct pass *p)
{
	struct fs_dirent *de;
	struct file *dir;
	uint64_t pos = 0;
	int err;

	err = fs_open(len ? path : "/", &dir);
	if (err || depth > FSCHECK_DEPTH_MAX) {
		pr_err("error %s %s", errname(err ? err : -ELOOP), path);
		p->failed++;
		return;
	}
	de = kmalloc(sizeof(*de));
	if (!de)
		return;
	while ((err = fs_readdir(dir, &pos, de)) == 1) {
		struct file *f;
		int n;

		if (!strcmp(de->name, ".") || !strcmp(de->name, ".."))
			continue;
		n = snprintf(path + len, FSCHECK_PATH_MAX - len, "/%s",
			     de->name);
		if (n < 0 || (size_t)n >= FSCHECK_PATH_MAX - len) {
			pr_err("error ENAMETOOLONG %s/...", path);
			p->failed++;
			continue;
		}
		if (fs_open(path, &f)) {
			pr_err("error open %s", path);
			p->failed++;
		} else if (fs_stat(f)->is_dir) {
			walk(path, len + (size_t)n, depth + 1, p);
		} else if (fs_stat(f)->is_reg) {
			check_file(f, path, p);
		}
		path[len] = '\0';
	}
	if (err < 0) {
		pr_err("error %s reading directory %s", errname(err), path);
		p->failed++;
	}
	kfree(de);
}

static void run_pass(const char *name, char *path, struct pass *p)
{
	uint64_t t0 = time_ns(), ns;

	path[0] = '\0';
	walk(path, 0, 0, p);
	ns = MAX(time_ns() - t0, 1);
	pr_info("%s %llu files %llu bytes %llu us %llu MB/s %llu pages "
		"%llu ns/page",
		name, (unsigned long long)p->files,
		(unsigned long long)p->bytes, (unsigned long long)(ns / 1000),
		(unsigned long long)(p->bytes * 1000 / ns),
		(unsigned long long)p->pages,
		(unsigned long long)(p->pages ? ns / p->pages : 0));
}

static void fscheck_run(void)
{
	struct pass cold = { 0 }, warm = { 0 }, verify = { .verify = true };
	char *path;

	if (!fscheck)
		return;
	if (!fs_mounted()) {
		pr_err("no volume mounted");
		return;
	}
	path = kmalloc(FSCHECK_PATH_MAX);
	if (!path)
		return;
	run_pass("cold", path, &cold);
	run_pass("warm", path, &warm);
	run_pass("verify", path, &verify);
	kfree(path);
	pr_info("done, %llu failed", (unsigned long long)verify.failed);
}
INITCALL(fscheck_run, INIT_SELFTEST);
