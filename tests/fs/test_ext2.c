// SPDX-License-Identifier: MIT
/*
 * Unit tests for fs/ext2.c on real images: tests/fs/mkimages.sh builds a
 * reference tree and ext2 images of it with mke2fs -d (1, 2 and 4 KiB
 * blocks, revision 0, htree directories), and the tests compare every
 * file, directory and symlink byte for byte with the tree. Corrupted
 * images are made in memory from a valid one by patching bytes; each
 * must fail with an error code (ASan/UBSan abort on any bad access).
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs/ext2.h"
#include "kernel/lib/errno.h"
#include "tests/fakes/fake_printk.h"

#define CHUNK (1u << 20)

static char workdir[] = "/tmp/test_ext2.XXXXXX";
static char srcdir[512];

/* ---- devices ---------------------------------------------------------- */

struct memdev {
	uint8_t *img;
	size_t size;
	struct ext2_dev dev;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct memdev *m = ctx;

	/* The contract: ext2 only reads inside the device. */
	assert_true(off <= m->size && len <= m->size - off);
	memcpy(buf, m->img + off, len);
	return 0;
}

/* Load image `name` into memory (so tests can patch it). */
static void mem_load(struct memdev *m, const char *name)
{
	char path[600];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", workdir, name);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	m->size = (size_t)st.st_size;
	m->img = malloc(m->size);
	assert_non_null(m->img);
	assert_int_equal(pread(fd, m->img, m->size, 0), (ssize_t)m->size);
	close(fd);
	m->dev.read = mem_read;
	m->dev.ctx = m;
	m->dev.size = m->size;
}

static void mem_free(struct memdev *m)
{
	free(m->img);
}

struct filedev {
	int fd;
	struct ext2_dev dev;
};

static unsigned int file_reads; /* device reads through file_read() */

static int file_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct filedev *f = ctx;

	file_reads++;
	if (pread(f->fd, buf, len, (off_t)off) != (ssize_t)len)
		return -EIO;
	return 0;
}

static struct ext2_vol *file_mount(struct filedev *f, const char *name)
{
	struct ext2_vol *vol = NULL;
	char path[600];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", workdir, name);
	f->fd = open(path, O_RDONLY);
	assert_true(f->fd >= 0);
	assert_int_equal(fstat(f->fd, &st), 0);
	f->dev.read = file_read;
	f->dev.ctx = f;
	f->dev.size = (uint64_t)st.st_size;
	assert_int_equal(ext2_mount(&f->dev, &vol), 0);
	return vol;
}

static void file_unmount(struct filedev *f, struct ext2_vol *vol)
{
	ext2_unmount(vol);
	close(f->fd);
}

/* ---- comparing a volume with the source tree -------------------------- */

static uint32_t lookup_ok(struct ext2_vol *vol, const char *path, int flags)
{
	uint32_t ino = 0;
	int err = ext2_lookup_flags(vol, path, flags, &ino);

	if (err)
		fail_msg("lookup %s: %d", path, err);
	return ino;
}

static void compare_file(struct ext2_vol *vol, const struct ext2_inode *ip,
			 const char *host)
{
	static uint8_t a[CHUNK], b[CHUNK];
	uint64_t off = 0;
	ssize_t n;
	int fd = open(host, O_RDONLY);

	assert_true(fd >= 0);
	for (;;) {
		n = read(fd, a, CHUNK);
		assert_true(n >= 0);
		assert_int_equal(ext2_read(vol, ip, off, b, CHUNK), n);
		if (n == 0)
			break;
		if (memcmp(a, b, (size_t)n))
			fail_msg("%s differs in the MiB at %llu", host,
				 (unsigned long long)off);
		off += (uint64_t)n;
	}
	close(fd);
}

static void compare_node(struct ext2_vol *vol, const char *host,
			 const char *path);

/* Compare directory listings (both ways) and recurse. */
static void compare_dir(struct ext2_vol *vol, const struct ext2_inode *dir,
			const char *host, const char *path)
{
	char h[1024], p[1024];
	struct ext2_dirent de;
	struct dirent *hd;
	uint64_t pos = 0;
	unsigned int n_ext2 = 0, n_host = 0;
	struct stat st;
	DIR *d;
	int ret;

	while ((ret = ext2_readdir(vol, dir, &pos, &de)) == 1) {
		if (!strcmp(de.name, ".") || !strcmp(de.name, "..") ||
		    (!strcmp(path, "") && !strcmp(de.name, "lost+found")))
			continue;
		n_ext2++;
		snprintf(h, sizeof(h), "%s/%s", host, de.name);
		assert_int_equal(lstat(h, &st), 0);
		assert_int_equal(de.type,
				 ext2_mode_to_ftype((uint16_t)st.st_mode));
		assert_int_equal(de.name_len, strlen(de.name));
	}
	assert_int_equal(ret, 0);

	d = opendir(host);
	assert_non_null(d);
	while ((hd = readdir(d))) {
		if (!strcmp(hd->d_name, ".") || !strcmp(hd->d_name, ".."))
			continue;
		n_host++;
		snprintf(h, sizeof(h), "%s/%s", host, hd->d_name);
		snprintf(p, sizeof(p), "%s/%s", path, hd->d_name);
		compare_node(vol, h, p);
	}
	closedir(d);
	assert_int_equal(n_ext2, n_host);
}

/* Compare one node (lookup without following, stat, content). */
static void compare_node(struct ext2_vol *vol, const char *host,
			 const char *path)
{
	char target[4096], ht[4096];
	struct ext2_inode ip;
	struct ext2_stat es;
	struct stat st;
	uint32_t ino;
	ssize_t n;

	assert_int_equal(lstat(host, &st), 0);
	ino = lookup_ok(vol, path[0] ? path : "/", EXT2_LOOKUP_NOFOLLOW);
	assert_int_equal(ext2_stat(vol, ino, &es), 0);
	assert_int_equal(es.ino, ino);
	assert_int_equal(es.mode, st.st_mode & 0xffff);
	/* The root gets lost+found (and a new mtime) from mke2fs itself. */
	if (path[0] && es.mtime != (uint32_t)st.st_mtime)
		fail_msg("%s: mtime %u, host %ld", path, es.mtime,
			 (long)st.st_mtime);
	assert_int_equal(ext2_iget(vol, ino, &ip), 0);
	if (S_ISREG(st.st_mode)) {
		assert_int_equal(es.size, (uint64_t)st.st_size);
		assert_int_equal(es.links, st.st_nlink);
		compare_file(vol, &ip, host);
	} else if (S_ISLNK(st.st_mode)) {
		n = readlink(host, ht, sizeof(ht));
		assert_true(n > 0);
		ht[n] = '\0';
		assert_int_equal(
			ext2_readlink(vol, &ip, target, sizeof(target)), n);
		assert_string_equal(target, ht);
	} else if (S_ISDIR(st.st_mode)) {
		compare_dir(vol, &ip, host, path);
	}
}

static void compare_image(const char *name)
{
	struct filedev f;
	struct ext2_vol *vol = file_mount(&f, name);

	compare_node(vol, srcdir, "");
	file_unmount(&f, vol);
}

/* ---- valid images ----------------------------------------------------- */

static void test_tree_1k(void **state)
{
	compare_image("b1024.img");
}

static void test_tree_2k(void **state)
{
	compare_image("b2048.img");
}

static void test_tree_4k(void **state)
{
	compare_image("b4096.img");
}

static void test_tree_rev0(void **state)
{
	compare_image("rev0.img");
}

/* The 2000-entry directory is an htree (read linearly) in rev 1 images. */
static void test_htree(void **state)
{
	static const char *const imgs[] = { "b1024.img", "b4096.img" };
	struct ext2_dirent de;
	struct ext2_inode dir;
	struct filedev f;
	struct ext2_vol *vol;
	uint64_t pos;
	unsigned int i, n;
	char name[64];

	for (i = 0; i < 2; i++) {
		vol = file_mount(&f, imgs[i]);
		assert_int_equal(
			ext2_iget(vol, lookup_ok(vol, "/big", 0), &dir), 0);
		assert_true(dir.flags & EXT2_INDEX_FL);
		for (n = 0, pos = 0; ext2_readdir(vol, &dir, &pos, &de) == 1;)
			n++;
		assert_int_equal(n, 2000 + 2);
		for (n = 0; n < 2000; n += 97) {
			snprintf(name, sizeof(name), "/big/file_%u", n);
			lookup_ok(vol, name, 0);
		}
		file_unmount(&f, vol);
	}
}

/* The sparse file uses the triple-indirect block with 1 KiB blocks. */
static void test_triple_indirect(void **state)
{
	struct ext2_inode ip;
	struct filedev f;
	struct ext2_vol *vol = file_mount(&f, "b1024.img");
	uint64_t blk;
	uint8_t buf[64];

	assert_int_equal(ext2_iget(vol, lookup_ok(vol, "/sparse", 0), &ip), 0);
	assert_int_equal(ip.size, 71680 * 1024ull + 123);
	assert_int_not_equal(ip.block[EXT2_TIND_BLOCK], 0);
	assert_int_equal(ext2_bmap(vol, &ip, 67584, &blk), 0);
	assert_int_not_equal(blk, 0);
	assert_int_equal(ext2_bmap(vol, &ip, 67583, &blk), 0);
	assert_int_equal(blk, 0); /* hole */
	assert_int_equal(ext2_bmap(vol, &ip, 40000, &blk), 0);
	assert_int_equal(blk, 0); /* hole in the double-indirect range */
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(ext2_read(vol, &ip, 40000 * 1024ull, buf, 64), 64);
	assert_int_equal(buf[0] | buf[63], 0);
	/* Partial read at the end, nothing past it. */
	assert_int_equal(ext2_read(vol, &ip, ip.size - 10, buf, 64), 10);
	assert_int_equal(ext2_read(vol, &ip, ip.size, buf, 64), 0);
	assert_int_equal(ext2_read(vol, &ip, ip.size + 5000, buf, 64), 0);
	/* Past the triple-indirect range. */
	assert_int_equal(ext2_bmap(vol, &ip, 1ull << 40, &blk), -EFBIG);
	file_unmount(&f, vol);
}

/* ext2_bmap_cached never reads: it names the indirect block it lacks,
 * one level at a time, until ext2_cache_put has supplied each; then it
 * agrees with ext2_bmap. */
static void test_bmap_cached_never_reads(void **state)
{
	struct ext2_inode ip;
	struct filedev f;
	struct ext2_vol *vol = file_mount(&f, "b1024.img");
	uint64_t blk = 7, cached = 7, missing = 0, seen[4];
	uint8_t block[1024];
	unsigned int reads, rounds = 0;
	int err;

	assert_int_equal(ext2_iget(vol, lookup_ok(vol, "/sparse", 0), &ip), 0);
	reads = file_reads;
	/* 67584 is behind the triple-indirect block: three levels. */
	while ((err = ext2_bmap_cached(vol, &ip, 67584, &cached, &missing)) ==
	       -EAGAIN) {
		assert_int_equal(file_reads, reads);
		assert_int_equal(cached, 7); /* untouched on failure */
		assert_true(rounds < 3);
		seen[rounds++] = missing;
		assert_int_equal(pread(f.fd, block, sizeof(block),
				       (off_t)missing * 1024),
				 (ssize_t)sizeof(block));
		assert_int_equal(ext2_cache_put(vol, missing, block), 0);
	}
	assert_int_equal(err, 0);
	assert_int_equal(rounds, 3);
	assert_int_equal(seen[0], ip.block[EXT2_TIND_BLOCK]);
	assert_int_equal(ext2_bmap(vol, &ip, 67584, &blk), 0);
	assert_int_equal(file_reads, reads); /* all cached now */
	assert_int_equal(cached, blk);
	assert_int_equal(ext2_bmap_cached(vol, &ip, 1ull << 40, &cached,
					  &missing),
			 -EFBIG);
	assert_int_equal(ext2_cache_put(vol, 0, block), -EUCLEAN);
	file_unmount(&f, vol);
}

static void test_symlinks(void **state)
{
	struct filedev f;
	struct ext2_vol *vol = file_mount(&f, "b2048.img");
	char deep[512], target[256];
	struct ext2_inode ip;
	uint32_t ino;
	int i;

	strcpy(deep, "/deep");
	for (i = 1; i <= 20; i++)
		sprintf(deep + strlen(deep), "/d%d", i);
	strcat(deep, "/leaf.txt");

	assert_int_equal(lookup_ok(vol, "/fast", 0), lookup_ok(vol, "/mib", 0));
	assert_int_equal(lookup_ok(vol, "/slow", 0), lookup_ok(vol, deep, 0));
	assert_int_equal(lookup_ok(vol, "/abs", 0),
			 lookup_ok(vol, "/deep/d1/d2", 0));
	assert_int_equal(lookup_ok(vol, "/dirlink/d2/../d2/./d3", 0),
			 lookup_ok(vol, "/deep/d1/d2/d3", 0));
	assert_int_equal(lookup_ok(vol, "/deep/d1/up", 0),
			 lookup_ok(vol, "/one", 0));
	assert_int_equal(lookup_ok(vol, "/abs/", 0),
			 lookup_ok(vol, "/deep/d1/d2", 0));

	/* Fast (in i_block) and slow (in a data block) targets. */
	assert_int_equal(
		ext2_iget(vol, lookup_ok(vol, "/fast", EXT2_LOOKUP_NOFOLLOW),
			  &ip),
		0);
	assert_int_equal(ip.blocks, 0);
	assert_int_equal(ext2_readlink(vol, &ip, target, sizeof(target)), 3);
	assert_string_equal(target, "mib");
	assert_int_equal(ext2_readlink(vol, &ip, target, 3), -ENAMETOOLONG);
	ino = lookup_ok(vol, "/slow", EXT2_LOOKUP_NOFOLLOW);
	assert_int_equal(ext2_iget(vol, ino, &ip), 0);
	assert_int_not_equal(ip.blocks, 0);
	assert_true(ip.size > 60);
	assert_int_equal(ext2_readlink(vol, &ip, target, sizeof(target)),
			 (int)strlen(deep) - 1);
	assert_string_equal(target, deep + 1);

	assert_int_equal(ext2_lookup(vol, "/loop1", &ino), -ELOOP);
	assert_int_equal(ext2_lookup(vol, "/selfloop", &ino), -ELOOP);
	assert_int_equal(ext2_lookup(vol, "/dangling", &ino), -ENOENT);
	lookup_ok(vol, "/dangling", EXT2_LOOKUP_NOFOLLOW);
	lookup_ok(vol, "/loop1", EXT2_LOOKUP_NOFOLLOW);
	assert_int_equal(ext2_lookup_flags(vol, "/loop1/", EXT2_LOOKUP_NOFOLLOW,
					   &ino),
			 -ELOOP);
	/* readlink on a non-symlink */
	assert_int_equal(ext2_iget(vol, lookup_ok(vol, "/one", 0), &ip), 0);
	assert_int_equal(ext2_readlink(vol, &ip, target, sizeof(target)),
			 -EINVAL);
	file_unmount(&f, vol);
}

static void test_lookup_errors(void **state)
{
	struct filedev f;
	struct ext2_vol *vol = file_mount(&f, "b1024.img");
	static char longpath[5000];
	char name[300];
	struct ext2_stat st;
	uint32_t ino;

	assert_int_equal(ext2_lookup(vol, "/", &ino), 0);
	assert_int_equal(ino, EXT2_ROOT_INO);
	assert_int_equal(lookup_ok(vol, "/..", 0), EXT2_ROOT_INO);
	assert_int_equal(lookup_ok(vol, "//deep/./d1/..//", 0),
			 lookup_ok(vol, "/deep", 0));
	assert_int_equal(lookup_ok(vol, "one", 0), lookup_ok(vol, "/one", 0));
	assert_int_equal(ext2_lookup(vol, "", &ino), -ENOENT);
	assert_int_equal(ext2_lookup(vol, "/nope", &ino), -ENOENT);
	assert_int_equal(ext2_lookup(vol, "/deep/nope/x", &ino), -ENOENT);
	assert_int_equal(ext2_lookup(vol, "/one/x", &ino), -ENOTDIR);
	assert_int_equal(ext2_lookup(vol, "/one/", &ino), -ENOTDIR);
	assert_int_equal(ext2_lookup(vol, "/fast/", &ino), -ENOTDIR);
	memset(name, 'a', sizeof(name));
	name[0] = '/';
	name[257] = '\0';
	assert_int_equal(ext2_lookup(vol, name, &ino), -ENAMETOOLONG);
	name[256] = '\0'; /* 255 characters: legal, absent */
	assert_int_equal(ext2_lookup(vol, name, &ino), -ENOENT);
	memset(longpath, '/', sizeof(longpath) - 1);
	assert_int_equal(ext2_lookup(vol, longpath, &ino), -ENAMETOOLONG);
	longpath[4000] = '\0';
	assert_int_equal(ext2_lookup(vol, longpath, &ino), 0);

	/* stat: sizes, types and links */
	assert_int_equal(ext2_stat(vol, lookup_ok(vol, "/f4097", 0), &st), 0);
	assert_int_equal(st.size, 4097);
	assert_int_equal(st.mode & EXT2_S_IFMT, EXT2_S_IFREG);
	assert_int_equal(st.links, 1);
	assert_int_equal(ext2_stat(vol, lookup_ok(vol, "/deep/d1", 0), &st), 0);
	assert_int_equal(st.mode & EXT2_S_IFMT, EXT2_S_IFDIR);
	assert_int_equal(st.links, 3);
	assert_int_equal(ext2_stat(vol, 0, &st), -EINVAL);
	assert_int_equal(ext2_stat(vol, 1u << 30, &st), -EINVAL);
	assert_int_equal(ext2_block_size(vol), 1024);
	file_unmount(&f, vol);
}

/* ---- corrupted images ------------------------------------------------- */

struct geo {
	uint32_t bs, inodes_count, blocks_count, ipg, isz;
};

static struct ext2_super_block *sb_of(struct memdev *m)
{
	return (struct ext2_super_block *)(m->img + EXT2_SUPER_OFFSET);
}

static struct geo geo_of(struct memdev *m)
{
	struct ext2_super_block *sb = sb_of(m);
	struct geo g = {
		.bs = 1024u << sb->s_log_block_size,
		.inodes_count = sb->s_inodes_count,
		.blocks_count = sb->s_blocks_count,
		.ipg = sb->s_inodes_per_group,
		.isz = sb->s_rev_level ? sb->s_inode_size : 128,
	};
	return g;
}

static struct ext2_group_desc *gd_of(struct memdev *m, uint32_t g)
{
	struct geo geo = geo_of(m);
	uint32_t gdt = geo.bs == 1024 ? 2 : 1;

	return (struct ext2_group_desc *)(m->img + gdt * geo.bs) + g;
}

static struct ext2_dinode *inode_of(struct memdev *m, uint32_t ino)
{
	struct geo g = geo_of(m);
	struct ext2_group_desc *gd = gd_of(m, (ino - 1) / g.ipg);

	return (struct ext2_dinode *)(m->img +
				      (size_t)gd->bg_inode_table * g.bs +
				      (size_t)((ino - 1) % g.ipg) * g.isz);
}

/* Entry `name` in the first block of the root directory. */
static struct ext2_dir_entry *root_entry(struct memdev *m, const char *name)
{
	struct geo g = geo_of(m);
	uint8_t *blk = m->img + (size_t)inode_of(m, 2)->i_block[0] * g.bs;
	uint32_t off = 0;
	struct ext2_dir_entry *e;

	while (off < g.bs) {
		e = (struct ext2_dir_entry *)(blk + off);
		if (e->name_len == strlen(name) &&
		    !memcmp(e->name, name, e->name_len))
			return e;
		off += e->rec_len;
	}
	fail_msg("no root entry %s", name);
	return NULL;
}

static int mount_mem(struct memdev *m, struct ext2_vol **vol)
{
	fake_printk_reset();
	*vol = NULL;
	return ext2_mount(&m->dev, vol);
}

static void expect_mount_fails(struct memdev *m, int err, const char *msg)
{
	struct ext2_vol *vol;

	assert_int_equal(mount_mem(m, &vol), err);
	assert_null(vol);
	if (msg && !strstr(fake_printk_log(), msg))
		fail_msg("log lacks \"%s\":\n%s", msg, fake_printk_log());
}

static void test_bad_super(void **state)
{
	struct memdev m;
	struct ext2_super_block *sb;
	struct ext2_super_block saved;

	mem_load(&m, "b1024.img");
	sb = sb_of(&m);
	saved = *sb;

	m.dev.size = 1 << 20; /* truncated image */
	expect_mount_fails(&m, -EUCLEAN, "larger than the device");
	m.dev.size = 1500;
	expect_mount_fails(&m, -EINVAL, "too small");
	m.dev.size = m.size;

	sb->s_magic = 0x1234;
	expect_mount_fails(&m, -EINVAL, "bad magic 0x1234");
	*sb = saved;

	sb->s_feature_incompat |= EXT4_FEATURE_INCOMPAT_EXTENTS;
	expect_mount_fails(&m, -EOPNOTSUPP, "feature: extents");
	sb->s_feature_incompat |= EXT2_FEATURE_INCOMPAT_COMPRESSION |
				  0x80000000u;
	expect_mount_fails(&m, -EOPNOTSUPP, "feature: compression");
	assert_non_null(strstr(fake_printk_log(), "unknown (0x80000000)"));
	*sb = saved;
	sb->s_feature_incompat |= EXT3_FEATURE_INCOMPAT_RECOVER;
	expect_mount_fails(&m, -EOPNOTSUPP, "feature: needs_recovery");
	*sb = saved;
	sb->s_feature_incompat |= EXT4_FEATURE_INCOMPAT_64BIT |
				  EXT2_FEATURE_INCOMPAT_META_BG;
	expect_mount_fails(&m, -EOPNOTSUPP, "feature: 64bit");
	assert_non_null(strstr(fake_printk_log(), "feature: meta_bg"));
	*sb = saved;

	sb->s_log_block_size = 3; /* 8 KiB */
	expect_mount_fails(&m, -EOPNOTSUPP, "block size");
	sb->s_log_block_size = 0xffffffffu;
	expect_mount_fails(&m, -EOPNOTSUPP, "block size");
	sb->s_log_block_size = 2; /* 4 KiB but first data block 1 */
	expect_mount_fails(&m, -EUCLEAN, "bad counts");
	*sb = saved;

	sb->s_rev_level = 2;
	expect_mount_fails(&m, -EOPNOTSUPP, "revision 2");
	*sb = saved;
	sb->s_inode_size = 100;
	expect_mount_fails(&m, -EUCLEAN, "inode size 100");
	*sb = saved;
	sb->s_inodes_per_group = 0;
	expect_mount_fails(&m, -EUCLEAN, "bad group size");
	*sb = saved;
	sb->s_blocks_per_group = 1u << 20;
	expect_mount_fails(&m, -EUCLEAN, "bad group size");
	*sb = saved;
	sb->s_inodes_count += 1;
	expect_mount_fails(&m, -EUCLEAN, "inode count");
	*sb = saved;
	sb->s_blocks_count = 0;
	expect_mount_fails(&m, -EUCLEAN, "bad counts");
	*sb = saved;
	/* Many tiny groups: descriptors past the real table are garbage. */
	sb->s_blocks_per_group = 1;
	sb->s_inodes_per_group = 1;
	sb->s_inodes_count = sb->s_blocks_count - 1;
	expect_mount_fails(&m, -EUCLEAN, "outside the volume");
	*sb = saved;

	/* Unknown ro_compat features do not stop a read-only mount. */
	{
		struct ext2_vol *vol;

		sb->s_feature_ro_compat |= 0x4000;
		assert_int_equal(mount_mem(&m, &vol), 0);
		ext2_unmount(vol);
	}
	mem_free(&m);
}

static void test_bad_group_desc(void **state)
{
	struct memdev m;
	struct ext2_group_desc saved, *gd;
	struct geo g;

	mem_load(&m, "b1024.img");
	g = geo_of(&m);
	gd = gd_of(&m, 0);
	saved = *gd;
	gd->bg_inode_table = g.blocks_count - 1;
	expect_mount_fails(&m, -EUCLEAN, "group 0");
	*gd = saved;
	gd->bg_block_bitmap = 0;
	expect_mount_fails(&m, -EUCLEAN, "group 0");
	*gd = saved;
	gd = gd_of(&m, 1);
	gd->bg_inode_bitmap = 0xfffffff0u;
	expect_mount_fails(&m, -EUCLEAN, "group 1");
	mem_free(&m);
}

static void test_bad_dir_entries(void **state)
{
	struct memdev m;
	struct ext2_dir_entry *e;
	struct ext2_dirent de;
	struct ext2_inode root;
	struct ext2_vol *vol;
	uint64_t pos;
	uint32_t ino;
	uint8_t *copy;
	struct geo g;
	int ret;

	mem_load(&m, "b1024.img");
	g = geo_of(&m);
	copy = malloc(m.size);
	assert_non_null(copy);
	memcpy(copy, m.img, m.size);

#define RESET() memcpy(m.img, copy, m.size)
#define EXPECT_LOOKUP(path, err)                                        \
	do {                                                            \
		assert_int_equal(mount_mem(&m, &vol), 0);               \
		assert_int_equal(ext2_lookup(vol, path, &ino), err);    \
		assert_int_equal(ext2_iget(vol, 2, &root), 0);          \
		for (pos = 0;                                           \
		     (ret = ext2_readdir(vol, &root, &pos, &de)) == 1;) \
			;                                               \
		assert_int_equal(ret, err == 0 ? 0 : err);              \
		ext2_unmount(vol);                                      \
	} while (0)

	/* Inode number out of range. */
	root_entry(&m, "one")->inode = g.inodes_count + 1;
	EXPECT_LOOKUP("/one", -EUCLEAN);
	RESET();
	/* rec_len 0 (would loop forever if accepted). */
	root_entry(&m, "..")->rec_len = 0;
	EXPECT_LOOKUP("/one", -EUCLEAN);
	RESET();
	/* rec_len not a multiple of 4 */
	root_entry(&m, ".")->rec_len = 13;
	EXPECT_LOOKUP("/one", -EUCLEAN);
	RESET();
	/* record crossing the block end */
	e = root_entry(&m, "..");
	e->rec_len = (uint16_t)(g.bs + 4);
	EXPECT_LOOKUP("/one", -EUCLEAN);
	RESET();
	/* name_len larger than the record */
	root_entry(&m, ".")->name_len = 200;
	EXPECT_LOOKUP("/one", -EUCLEAN);
	RESET();
	/* file_type set in a rev-0 style volume: no FILETYPE feature */
	sb_of(&m)->s_feature_incompat &= ~EXT2_FEATURE_INCOMPAT_FILETYPE;
	EXPECT_LOOKUP("/one", -EUCLEAN);
	RESET();
	/* hole in a directory */
	inode_of(&m, 2)->i_block[0] = 0;
	EXPECT_LOOKUP("/one", -EUCLEAN);
	RESET();
	/* directory block past the end of the volume */
	inode_of(&m, 2)->i_block[0] = g.blocks_count;
	EXPECT_LOOKUP("/one", -EUCLEAN);
	RESET();
	/* sanity: the unpatched image works */
	EXPECT_LOOKUP("/one", 0);
#undef EXPECT_LOOKUP
#undef RESET
	free(copy);
	mem_free(&m);
}

static void test_bad_indirect(void **state)
{
	struct memdev m;
	struct ext2_inode ip;
	struct ext2_vol *vol;
	struct ext2_dinode *d;
	uint8_t *buf = malloc(CHUNK);
	uint32_t ino, *ind;
	uint64_t blk;
	struct geo g;

	assert_non_null(buf);
	mem_load(&m, "b1024.img");
	g = geo_of(&m);
	assert_int_equal(mount_mem(&m, &vol), 0);
	ino = lookup_ok(vol, "/mib", 0);
	ext2_unmount(vol);
	d = inode_of(&m, ino);

	/* A pointer inside the single-indirect block points past the end. */
	ind = (uint32_t *)(m.img + (size_t)d->i_block[EXT2_IND_BLOCK] * g.bs);
	ind[5] = g.blocks_count + 7;
	assert_int_equal(mount_mem(&m, &vol), 0);
	assert_int_equal(ext2_iget(vol, ino, &ip), 0);
	assert_int_equal(ext2_bmap(vol, &ip, EXT2_NDIR_BLOCKS + 5, &blk),
			 -EUCLEAN);
	assert_int_equal(ext2_read(vol, &ip, 0, buf, CHUNK), -EUCLEAN);
	ext2_unmount(vol);

	/* The double-indirect block itself is past the end. */
	d->i_block[EXT2_DIND_BLOCK] = 0xffffff00u;
	assert_int_equal(mount_mem(&m, &vol), 0);
	assert_int_equal(ext2_iget(vol, ino, &ip), 0);
	assert_int_equal(ext2_bmap(vol, &ip, 300, &blk), -EUCLEAN);
	ext2_unmount(vol);

	/* A size no block map can reach, and an extents inode. */
	d->i_size_high = 0x7fffffff;
	assert_int_equal(mount_mem(&m, &vol), 0);
	assert_int_equal(ext2_iget(vol, ino, &ip), -EUCLEAN);
	ext2_unmount(vol);
	d->i_size_high = 0;
	d->i_flags |= EXT4_EXTENTS_FL;
	assert_int_equal(mount_mem(&m, &vol), 0);
	assert_int_equal(ext2_iget(vol, ino, &ip), -EUCLEAN);
	ext2_unmount(vol);

	/* An old-style slow symlink shorter than 60 bytes (target in a
	 * block, not in i_block), and one whose data block is a hole. */
	assert_int_equal(mount_mem(&m, &vol), 0);
	ino = lookup_ok(vol, "/slow", EXT2_LOOKUP_NOFOLLOW);
	ext2_unmount(vol);
	d = inode_of(&m, ino);
	d->i_size = 10;
	assert_int_equal(mount_mem(&m, &vol), 0);
	assert_int_equal(ext2_iget(vol, ino, &ip), 0);
	assert_int_equal(ext2_readlink(vol, &ip, (char *)buf, 64), 10);
	assert_string_equal((char *)buf, "deep/d1/d2");
	assert_int_equal(lookup_ok(vol, "/slow", 0),
			 lookup_ok(vol, "/deep/d1/d2", 0));
	ext2_unmount(vol);
	d->i_block[0] = 0;
	assert_int_equal(mount_mem(&m, &vol), 0);
	assert_int_equal(ext2_lookup(vol, "/slow", &ino), -EUCLEAN);
	ext2_unmount(vol);

	/* A corrupt root inode refuses the mount. */
	inode_of(&m, 2)->i_mode = EXT2_S_IFREG | 0644;
	expect_mount_fails(&m, -EUCLEAN, "root inode");
	free(buf);
	mem_free(&m);
}

/* Walk everything reachable, bounded; errors are fine, crashes are not. */
static void walk(struct ext2_vol *vol, uint32_t ino, int depth)
{
	static uint8_t buf[65536];
	struct ext2_inode ip;
	struct ext2_dirent de;
	uint64_t pos = 0;
	int n = 0;

	if (depth > 4 || ext2_iget(vol, ino, &ip))
		return;
	if ((ip.mode & EXT2_S_IFMT) == EXT2_S_IFLNK) {
		ext2_readlink(vol, &ip, (char *)buf, sizeof(buf));
		return;
	}
	if ((ip.mode & EXT2_S_IFMT) != EXT2_S_IFDIR) {
		ext2_read(vol, &ip, 0, buf, sizeof(buf));
		ext2_read(vol, &ip, 290000, buf, sizeof(buf));
		return;
	}
	while (n++ < 64 && ext2_readdir(vol, &ip, &pos, &de) == 1) {
		if (strcmp(de.name, ".") && strcmp(de.name, ".."))
			walk(vol, de.ino, depth + 1);
	}
}

/* Random byte damage in the metadata of a small image. */
static void test_fuzz(void **state)
{
	static const char *const paths[] = { "/a",  "/b",   "/dir/c",
					     "/ln", "/ln2", "/dir/../ln2/x" };
	struct memdev m;
	struct ext2_vol *vol;
	uint8_t *copy;
	uint32_t ino;
	size_t meta;
	unsigned int seed = 12345, i, j;
	int mounted = 0;

	mem_load(&m, "small.img");
	copy = malloc(m.size);
	assert_non_null(copy);
	memcpy(copy, m.img, m.size);
	meta = 64 * 1024; /* superblock, descriptors, bitmaps, inodes */
	for (i = 0; i < 400; i++) {
		memcpy(m.img, copy, m.size);
		for (j = 0; j < 1 + i % 8; j++) {
			size_t off = (size_t)rand_r(&seed) % meta;

			m.img[off] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
		}
		if (mount_mem(&m, &vol))
			continue;
		mounted++;
		for (j = 0; j < ARRAY_SIZE(paths); j++)
			ext2_lookup(vol, paths[j], &ino);
		walk(vol, EXT2_ROOT_INO, 0);
		ext2_unmount(vol);
	}
	assert_true(mounted > 100); /* the damage was not all fatal */
	free(copy);
	mem_free(&m);
}

/* ---- setup ------------------------------------------------------------ */

static int setup(void **state)
{
	char cmd[1024];

	if (!mkdtemp(workdir))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s %s", MKIMAGES, workdir);
	if (system(cmd) != 0)
		return -1;
	snprintf(srcdir, sizeof(srcdir), "%s/src", workdir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", workdir);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_1k),
		cmocka_unit_test(test_tree_2k),
		cmocka_unit_test(test_tree_4k),
		cmocka_unit_test(test_tree_rev0),
		cmocka_unit_test(test_htree),
		cmocka_unit_test(test_triple_indirect),
		cmocka_unit_test(test_bmap_cached_never_reads),
		cmocka_unit_test(test_symlinks),
		cmocka_unit_test(test_lookup_errors),
		cmocka_unit_test(test_bad_super),
		cmocka_unit_test(test_bad_group_desc),
		cmocka_unit_test(test_bad_dir_entries),
		cmocka_unit_test(test_bad_indirect),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
