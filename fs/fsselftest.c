// SPDX-License-Identifier: MIT
/*
 * Boot test of the shared storage layers on every CPU, boot option
 * fsselftest=on (run after the initcalls, in the CPUs' main loops).
 *
 * A kernel thread on each CPU (created there through a handover) opens
 * and reads every regular file of the volume's root directory through
 * the page cache, 64 KiB at a time, and takes each file's CRC-32. Three
 * rounds, all CPUs at once between barriers: cold with every CPU on the
 * same file at the same time (misses on the same pages from several
 * CPUs: waiters queued from one CPU and handed back to it when another
 * CPU's read fills the page), warm, then cold again after the boot CPU
 * dropped every unreferenced page, each CPU starting on a different
 * file. Disk completions reaped on the CPU the interrupt reached go back
 * to the asker through the handover queues. Before the rounds each
 * thread also reads the volume's first FSTEST_RAW bytes straight from
 * the disk (vblk_read_sync: it sleeps until its completion, which must
 * come back to its own CPU to wake it). The boot CPU then checks
 * that every CPU read the same bytes in every round and prints each
 * file's size and CRC-32 (the integration test compares them with the
 * host's files) and one summary line, "passed" or "FAILED".
 */
#define PR_PREFIX "fsselftest: "
#include "fs/file.h"
#include "fs/pcache.h"
#include "fs/virtio_blk.h"

#include "kernel/arch/smp.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/initcall.h"
#include "kernel/core/printk.h"
#include "kernel/core/spinlock.h"
#include "kernel/io/iobuf.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/crc32.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/param.h"
#include "kernel/sched/handover.h"
#include "kernel/sched/thread.h"

#define FSTEST_FILES_MAX 32
#define FSTEST_ROUNDS 3 /* cold together, warm, cold spread */
#define FSTEST_CHUNK (64 * 1024)
#define FSTEST_CPUS_MAX 8
#define FSTEST_RAW (16 * 1024) /* bytes read raw from the disk */

static bool enabled;
KPARAM_BOOL(fsselftest, enabled,
	    "read the volume's root files on every CPU at boot and check them");

static struct {
	unsigned ncpu, nfiles; /* [I] once started */
	char names[FSTEST_FILES_MAX][64]; /* [I] */
	uint64_t sizes[FSTEST_FILES_MAX]; /* [I] */
	uint32_t crc[FSTEST_ROUNDS][FSTEST_CPUS_MAX][FSTEST_FILES_MAX];
	int err[FSTEST_ROUNDS][FSTEST_CPUS_MAX]; /* first error */
	uint64_t bytes[FSTEST_CPUS_MAX]; /* [its CPU] */
	uint32_t raw_crc[FSTEST_CPUS_MAX]; /* [its CPU] */
	int raw_err[FSTEST_CPUS_MAX]; /* [its CPU] */
	unsigned arrived; /* [atomic] barrier arrivals */
	struct handover start[FSTEST_CPUS_MAX]; /* [queue] */
} t;

/* Wait until every CPU has arrived `n` times in all (threads yield to
 * their CPU's loop: the disk and the handovers keep going). */
static void rendezvous(unsigned n)
{
	__atomic_fetch_add(&t.arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&t.arrived, __ATOMIC_ACQUIRE) < n * t.ncpu)
		thread_yield();
}

/* Read file i whole; its CRC-32 in *crc. 0 or the error. */
static int read_file(unsigned i, uint8_t *chunk, uint32_t *crc)
{
	struct file *f;
	uint64_t off = 0, size;
	int err = fs_open(t.names[i], &f);

	*crc = 0;
	if (err)
		return err;
	size = fs_stat(f)->size;
	while (!err && off < size) {
		uint64_t len = MIN(size - off, FSTEST_CHUNK);
		struct ioagg a;

		ioagg_init(&a);
		err = fs_read_sync(f, off, len, &a, NULL);
		if (!err && ioagg_copyout(&a, 0, chunk, len) != len)
			err = -EIO;
		ioagg_release(&a);
		if (!err)
			*crc = crc32_update(*crc, chunk, len);
		off += len;
		t.bytes[cpu_self()] += len;
	}
	return err;
}

static void report(void);

static void worker(void *arg)
{
	unsigned self = cpu_self();
	uint8_t *chunk = kmalloc(FSTEST_CHUNK);

	(void)arg;
	t.raw_err[self] =
		chunk ? vblk_read_sync(fs_device(), 0, chunk, FSTEST_RAW) :
			-ENOMEM;
	if (!t.raw_err[self])
		t.raw_crc[self] = crc32_update(0, chunk, FSTEST_RAW);
	for (unsigned r = 0; r < FSTEST_ROUNDS; r++) {
		/* Round 2 starts cold: the boot CPU drops every page. */
		if (r == 2 && self == 0)
			pcache_reclaim(UINT64_MAX);
		rendezvous(2 * r + 1);
		for (unsigned k = 0; k < t.nfiles; k++) {
			unsigned first = r == 0 ? 0 : self * t.nfiles / t.ncpu;
			unsigned i = (first + k) % t.nfiles;
			int err = chunk ? read_file(i, chunk,
						    &t.crc[r][self][i]) :
					  -ENOMEM;

			if (err && !t.err[r][self])
				t.err[r][self] = err;
		}
		rendezvous(2 * r + 2);
	}
	kfree(chunk);
	if (self == 0)
		report();
}

static void start_worker(struct handover *h)
{
	if (!thread_create(worker, NULL, "fsselftest"))
		pr_err("CPU %u: no memory for the worker: FAILED", cpu_self());
}

static void report(void)
{
	struct pcache_stats pc;
	struct handover_stats ho;
	uint64_t bytes = 0, handovers = 0;
	unsigned differ = 0, errors = 0;

	for (unsigned c = 0; c < t.ncpu; c++) {
		bytes += t.bytes[c];
		errors += t.raw_err[c] != 0;
		differ += t.raw_crc[c] != t.raw_crc[0];
		handover_get_cpu_stats(c, &ho);
		handovers += ho.sent;
		for (unsigned r = 0; r < FSTEST_ROUNDS; r++) {
			errors += t.err[r][c] != 0;
			for (unsigned i = 0; i < t.nfiles; i++)
				differ += t.crc[r][c][i] != t.crc[0][0][i];
		}
	}
	for (unsigned i = 0; i < t.nfiles; i++)
		pr_info("file %s size %llu crc32 %08x", t.names[i],
			(unsigned long long)t.sizes[i], t.crc[0][0][i]);
	pcache_get_stats(&pc);
	pr_info("%u CPUs x %u files x %u rounds: %llu bytes, %u disagreements, "
		"%u errors, %llu misses, %llu waits, %llu handovers, %llu lock "
		"violations: %s",
		t.ncpu, t.nfiles, FSTEST_ROUNDS, (unsigned long long)bytes,
		differ, errors, (unsigned long long)pc.misses,
		(unsigned long long)pc.waits, (unsigned long long)handovers,
		(unsigned long long)spinlock_violations(),
		differ || errors || !t.nfiles || spinlock_violations() ?
			"FAILED" :
			"passed");
}

/* The root directory's regular files (at most FSTEST_FILES_MAX). */
static int list_files(void)
{
	struct fs_dirent *de = kmalloc(sizeof(*de));
	struct file *dir, *f;
	uint64_t pos = 0;
	int err = de ? fs_open("/", &dir) : -ENOMEM;

	while (!err && t.nfiles < FSTEST_FILES_MAX &&
	       (err = fs_readdir(dir, &pos, de)) > 0) {
		char *name = t.names[t.nfiles];

		err = 0;
		if (de->is_dir || strlen(de->name) + 2 > sizeof(t.names[0]))
			continue;
		name[0] = '/';
		strlcpy(name + 1, de->name, sizeof(t.names[0]) - 1);
		if (fs_open(name, &f) || !fs_stat(f)->is_reg)
			continue;
		t.sizes[t.nfiles++] = fs_stat(f)->size;
	}
	kfree(de);
	return err;
}

static void fsselftest_init(void)
{
	int err;

	if (!enabled)
		return;
	t.ncpu = MIN(cpu_count(), FSTEST_CPUS_MAX);
	err = list_files();
	if (err || !t.nfiles) {
		pr_err("no files to read (%s): FAILED", errname(err));
		return;
	}
	for (unsigned c = 0; c < t.ncpu; c++)
		handover_to(c, &t.start[c], start_worker);
}
INITCALL(fsselftest_init, INIT_SELFTEST);
