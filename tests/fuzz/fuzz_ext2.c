// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the ext2 reader (fs/ext2.c) over arbitrary image
 * bytes. The input is the volume, zero-padded to at least DEV_MIN bytes
 * (so the fuzzer can drop the empty tail of an image), in an exact-size
 * heap block behind a struct ext2_dev whose read() checks the contract
 * (only whole ranges inside the device).
 *
 * After a successful mount the tree is walked from the root with bounded
 * effort (WALK_ENTRIES entries, WALK_DEPTH levels, WALK_BYTES of file
 * data): every entry is looked up by path (with and without following a
 * final symlink) and stat'ed, regular files are read in odd-sized chunks
 * (each read returns what is left of the file, at most the chunk), and
 * symlinks are read with ext2_readlink() (the length matches the string).
 * Every error must be a negative errno; nothing may read outside the
 * device or leak memory.
 */
#include <stdbool.h>

#include "tests/fakes/fake_printk.h"
#include "tests/fuzz/fuzz.h"

#include "fs/ext2.h"
#include "kernel/lib/errno.h"
#include "kernel/param.h"

#define DEV_MIN (64 * 1024)
#define WALK_ENTRIES 256
#define WALK_DEPTH 8
#define WALK_BYTES (256 * 1024)
#define READ_CHUNK 3000 /* not a block multiple: unaligned reads */
#define LINK_SIZE 64 /* a small buffer: -ENAMETOOLONG paths */

struct memdev {
	const uint8_t *img;
	uint64_t size;
	struct ext2_dev dev;
};

struct walk {
	struct ext2_vol *vol;
	uint64_t dev_size;
	unsigned entries;
	uint64_t bytes;
	char path[EXT2_PATH_MAX];
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct memdev *m = ctx;

	FUZZ_CHECK(off <= m->size && len <= m->size - off);
	memcpy(buf, m->img + off, len);
	return 0;
}

/* A failure is a negative errno the reader documents. */
static void check_err(int64_t err)
{
	FUZZ_CHECK(err == -EUCLEAN || err == -EINVAL || err == -ENOENT ||
		   err == -ENOTDIR || err == -ENAMETOOLONG || err == -ELOOP ||
		   err == -EFBIG || err == -EIO || err == -ENOMEM);
}

static void read_file(struct walk *w, const struct ext2_inode *ip)
{
	uint8_t *buf = malloc(READ_CHUNK);
	uint64_t off = 0, want, dblk, probes[] = { 0, UINT64_MAX - 1 };
	int64_t n;

	FUZZ_CHECK(buf);
	while (off < ip->size && w->bytes < WALK_BYTES) {
		n = ext2_read(w->vol, ip, off, buf, READ_CHUNK);
		if (n < 0) {
			check_err(n);
			break;
		}
		want = ip->size - off < READ_CHUNK ? ip->size - off :
						     READ_CHUNK;
		FUZZ_CHECK(n > 0 && (uint64_t)n == want);
		off += (uint64_t)n;
		w->bytes += (uint64_t)n;
	}
	FUZZ_CHECK(ext2_read(w->vol, ip, ip->size, buf, READ_CHUNK) == 0);
	free(buf);
	/* Map the block just past the end and one far past any file. */
	probes[0] = ip->size / ext2_block_size(w->vol);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		int err = ext2_bmap(w->vol, ip, probes[i], &dblk);

		if (err)
			check_err(err);
		else
			FUZZ_CHECK(dblk * ext2_block_size(w->vol) <
				   w->dev_size);
	}
}

static void read_link(struct walk *w, const struct ext2_inode *ip)
{
	char *big = malloc(EXT2_PATH_MAX), *small = malloc(LINK_SIZE);
	int n, m;

	FUZZ_CHECK(big && small);
	n = ext2_readlink(w->vol, ip, big, EXT2_PATH_MAX);
	if (n >= 0)
		FUZZ_CHECK((size_t)n == strlen(big));
	else
		check_err(n);
	m = ext2_readlink(w->vol, ip, small, LINK_SIZE);
	if (m >= 0)
		FUZZ_CHECK(m == n && !strcmp(small, big));
	else if (n >= 0)
		FUZZ_CHECK(m == -ENAMETOOLONG && n >= LINK_SIZE);
	else
		check_err(m);
	free(small);
	free(big);
}

static void walk_dir(struct walk *w, const struct ext2_inode *dir, size_t plen,
		     unsigned depth);

/* One directory entry named w->path[0, plen). */
static void visit(struct walk *w, const struct ext2_dirent *de, size_t plen,
		  unsigned depth)
{
	struct ext2_inode ip;
	struct ext2_stat st;
	uint32_t ino;
	int err;

	FUZZ_CHECK(de->name_len && strlen(de->name) <= de->name_len);
	FUZZ_CHECK(de->type < EXT2_FT_MAX);
	err = ext2_lookup_flags(w->vol, w->path, EXT2_LOOKUP_NOFOLLOW, &ino);
	if (err)
		check_err(err);
	err = ext2_lookup(w->vol, w->path, &ino);
	if (err)
		check_err(err);
	err = ext2_stat(w->vol, de->ino, &st);
	if (err)
		check_err(err);
	err = ext2_iget(w->vol, de->ino, &ip);
	if (err) {
		check_err(err);
		return;
	}
	FUZZ_CHECK(ip.ino == de->ino && ip.mode && ip.links);
	switch (ip.mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG:
		read_file(w, &ip);
		break;
	case EXT2_S_IFLNK:
		read_link(w, &ip);
		break;
	case EXT2_S_IFDIR:
		if (depth < WALK_DEPTH)
			walk_dir(w, &ip, plen, depth + 1);
		break;
	}
}

static void walk_dir(struct walk *w, const struct ext2_inode *dir, size_t plen,
		     unsigned depth)
{
	struct ext2_dirent *de = malloc(sizeof(*de));
	uint64_t pos = 0, prev;
	int r;

	FUZZ_CHECK(de);
	while (w->entries < WALK_ENTRIES) {
		prev = pos;
		r = ext2_readdir(w->vol, dir, &pos, de);
		if (r <= 0) {
			if (r < 0)
				check_err(r);
			break;
		}
		FUZZ_CHECK(r == 1 && pos > prev);
		w->entries++;
		if (!strcmp(de->name, ".") || !strcmp(de->name, ".."))
			continue;
		if (plen + 1 + de->name_len >= sizeof(w->path))
			continue;
		w->path[plen] = '/';
		memcpy(w->path + plen + 1, de->name, de->name_len + 1u);
		visit(w, de, plen + 1 + de->name_len, depth);
		w->path[plen] = '\0';
	}
	free(de);
}

static void walk(struct ext2_vol *vol, uint64_t dev_size)
{
	/* clang-format off */
	static const char *const paths[] = {
		"/", "a", "/d/b", "/l", "/l2", "/d/../a", "/nope/x", "//a//",
	};
	/* clang-format on */
	struct walk *w = calloc(1, sizeof(*w));
	struct ext2_inode root;
	uint32_t ino;
	int err;

	FUZZ_CHECK(w);
	w->vol = vol;
	w->dev_size = dev_size;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		err = ext2_lookup(vol, paths[i], &ino);
		if (err)
			check_err(err);
	}
	FUZZ_CHECK(ext2_block_size(vol) >= 1024 &&
		   ext2_block_size(vol) <= 4096);
	err = ext2_iget(vol, EXT2_ROOT_INO, &root);
	if (err)
		check_err(err);
	else
		walk_dir(w, &root, 0, 0);
	free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct memdev m;
	struct ext2_vol *vol;
	uint8_t *img;
	int err;

	m.size = size < DEV_MIN ? DEV_MIN : size;
	img = calloc(1, m.size);
	FUZZ_CHECK(img);
	memcpy(img, data, size);
	m.img = img;
	m.dev.read = mem_read;
	m.dev.ctx = &m;
	m.dev.size = m.size;
	fake_printk_reset();
	err = ext2_mount(&m.dev, &vol);
	if (err) {
		FUZZ_CHECK(err == -EUCLEAN || err == -EINVAL ||
			   err == -EOPNOTSUPP || err == -ENOENT ||
			   err == -ENOMEM || err == -EIO);
	} else {
		walk(vol, m.size);
		ext2_unmount(vol);
	}
	free(img);
	return 0;
}
