// SPDX-License-Identifier: MIT
/*
 * A QEMU TCG plugin that counts how often each translated block ran, for
 * tools/bench/insnprof.py: guest instructions by function, exact, where
 * -icount gives only the total. Each block gets a counter that the
 * translated code itself increments (an inline add, no callback per
 * block); touching OUT.req makes a helper thread write every counter
 * that moved to OUT.N (N = 0, 1, ... in order) and remove OUT.req.
 * A line is "id count pc pc ...": the block's identity, its count, and
 * the guest address of each of its instructions.
 *
 *   qemu-system-x86_64 ... -plugin insnprof.so,out=/tmp/p
 *
 * The plugin API is declared here (the subset used), as QEMU 7.2's
 * qemu-plugin.h has it: Debian ships plugin support in QEMU but not the
 * header. API version 1.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
struct qemu_info_t;

#define PLUGIN_EXPORT __attribute__((visibility("default")))
#define PLUGIN_INLINE_ADD_U64 0 /* enum qemu_plugin_op */

typedef void (*tb_trans_fn)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_fn cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *
qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, int op,
					      void *ptr, uint64_t imm);

PLUGIN_EXPORT int qemu_plugin_version = 1;

#define POLL_US 20000

struct block {
	uint64_t count; /* incremented by the translated code */
	struct block *next;
	uint32_t n;
	uint64_t pc[];
};

static struct block *blocks; /* newest first, under `lock` */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char out[512];

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct block *b = calloc(1, sizeof(*b) + n * sizeof(b->pc[0]));

	(void)id;
	if (!b)
		return; /* that block goes uncounted */
	b->n = (uint32_t)n;
	for (size_t i = 0; i < n; i++)
		b->pc[i] =
			qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, i));
	qemu_plugin_register_vcpu_tb_exec_inline(tb, PLUGIN_INLINE_ADD_U64,
						 &b->count, 1);
	pthread_mutex_lock(&lock);
	b->next = blocks;
	blocks = b;
	pthread_mutex_unlock(&lock);
}

/* Every block that ran into OUT.seq, written aside and renamed so that
 * a reader never sees half a file. */
static void dump(int seq)
{
	char tmp[600], path[600];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", out, seq);
	snprintf(path, sizeof(path), "%s.%d", out, seq);
	f = fopen(tmp, "w");
	if (!f)
		return;
	pthread_mutex_lock(&lock);
	for (const struct block *b = blocks; b; b = b->next) {
		if (!b->count)
			continue;
		fprintf(f, "%p %llu", (const void *)b,
			(unsigned long long)b->count);
		for (uint32_t i = 0; i < b->n; i++)
			fprintf(f, " %llx", (unsigned long long)b->pc[i]);
		fputc('\n', f);
	}
	pthread_mutex_unlock(&lock);
	fclose(f);
	rename(tmp, path);
}

static void *watch_requests(void *arg)
{
	char req[600];
	int seq = 0;

	(void)arg;
	snprintf(req, sizeof(req), "%s.req", out);
	for (;;) {
		usleep(POLL_US);
		if (access(req, F_OK))
			continue;
		dump(seq++);
		unlink(req);
	}
	return NULL;
}

PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
				      const struct qemu_info_t *info, int argc,
				      char **argv)
{
	pthread_t t;

	(void)info;
	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			snprintf(out, sizeof(out), "%s", argv[i] + 4);
	if (!out[0]) {
		fprintf(stderr, "insnprof: needs out=PATH\n");
		return -1;
	}
	if (pthread_create(&t, NULL, watch_requests, NULL))
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
	return 0;
}
