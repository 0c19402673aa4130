// SPDX-License-Identifier: MIT
/*
 * Read-only ext2 reader (interface in fs/ext2.h).
 *
 * Mount reads and validates the superblock and every group descriptor,
 * then keeps the geometry in struct ext2_vol ([I] after mount). All other
 * metadata is read through bread(), a small LRU cache of whole blocks
 * (EXT2_CACHE_BLOCKS); a pointer from bread() is valid only until the
 * next bread(), so callers copy what they need first. Every block number
 * taken from the disk is checked against the volume before it is read,
 * and every directory record against its block. Raw little-endian fields
 * are converted only by get16()/get32(), in the functions that turn disk
 * structs into host structs (parse_super, gd_get, ext2_iget, dir_next,
 * bmap_walk).
 *
 * Symlinks are resolved inside the volume: absolute targets start again
 * at the root inode, at most EXT2_SYMLINK_FOLLOW_MAX per lookup. htree
 * directories are read linearly: their index blocks are built to look
 * like one empty record spanning the block.
 */
#define PR_PREFIX "ext2: "

#include "fs/ext2.h"
#include "kernel/core/printk.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/param.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "get16/get32 assume a little-endian CPU"
#endif

/*
 * Incompatible features this reader handles. FILETYPE only adds a type
 * byte to directory records. FLEX_BG only moves bitmaps and inode tables
 * elsewhere; we find them through the descriptors. LARGEDIR allows bigger
 * (and deeper htree) directories, which a linear reader reads the same
 * way. CSUM_SEED only changes how checksums are seeded; we check none.
 * Everything else changes how data or metadata is laid out (compression,
 * extents, 64bit descriptors, meta_bg, inline data, dirdata), needs a
 * journal replay first (recover), is not a file system (journal_dev), or
 * changes name semantics (encrypt, casefold): the mount is refused.
 */
#define INCOMPAT_SUPPORTED                                                \
	(EXT2_FEATURE_INCOMPAT_FILETYPE | EXT4_FEATURE_INCOMPAT_FLEX_BG | \
	 EXT4_FEATURE_INCOMPAT_LARGEDIR | EXT4_FEATURE_INCOMPAT_CSUM_SEED)

/*
 * Read-only-compatible features are, by definition, the ones a reader
 * that does not know them can still read safely (they only constrain
 * writers: checksums, huge_file block counts, dir_nlink, ...). We use
 * sparse_super (no effect on reading: only backups move) and large_file
 * (i_size_high), and ignore the rest.
 */
#define RO_COMPAT_KNOWN                        \
	(EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | \
	 EXT2_FEATURE_RO_COMPAT_LARGE_FILE)

#define EXT2_VALID_FS 0x0001 /* s_state: cleanly unmounted */
#define SECTOR_SIZE 512 /* unit of i_blocks */
#define MAX_INDIRECT 3 /* triple indirect */

static const struct {
	uint32_t mask;
	const char *name;
} incompat_names[] = {
	{ EXT2_FEATURE_INCOMPAT_COMPRESSION, "compression" },
	{ EXT2_FEATURE_INCOMPAT_FILETYPE, "filetype" },
	{ EXT3_FEATURE_INCOMPAT_RECOVER, "needs_recovery" },
	{ EXT3_FEATURE_INCOMPAT_JOURNAL_DEV, "journal_dev" },
	{ EXT2_FEATURE_INCOMPAT_META_BG, "meta_bg" },
	{ EXT4_FEATURE_INCOMPAT_EXTENTS, "extents" },
	{ EXT4_FEATURE_INCOMPAT_64BIT, "64bit" },
	{ EXT4_FEATURE_INCOMPAT_MMP, "mmp" },
	{ EXT4_FEATURE_INCOMPAT_FLEX_BG, "flex_bg" },
	{ EXT4_FEATURE_INCOMPAT_EA_INODE, "ea_inode" },
	{ EXT4_FEATURE_INCOMPAT_DIRDATA, "dirdata" },
	{ EXT4_FEATURE_INCOMPAT_CSUM_SEED, "metadata_csum_seed" },
	{ EXT4_FEATURE_INCOMPAT_LARGEDIR, "large_dir" },
	{ EXT4_FEATURE_INCOMPAT_INLINE_DATA, "inline_data" },
	{ EXT4_FEATURE_INCOMPAT_ENCRYPT, "encrypt" },
	{ EXT4_FEATURE_INCOMPAT_CASEFOLD, "casefold" },
};

/* One cached metadata block. */
struct cache_buf {
	uint64_t blk; /* [m] volume block number */
	uint64_t stamp; /* [m] last use; 0 = empty */
	uint8_t *data; /* [I] block_size bytes */
};

struct ext2_vol {
	/* geometry, [I] after mount */
	const struct ext2_dev *dev;
	uint32_t block_size;
	uint32_t block_shift; /* log2(block_size) */
	uint32_t ptr_shift; /* log2(block pointers per block) */
	uint32_t blocks_count;
	uint32_t inodes_count;
	uint32_t first_data_block;
	uint32_t blocks_per_group;
	uint32_t inodes_per_group;
	uint32_t inode_size;
	uint32_t itable_blocks; /* inode table blocks per group */
	uint32_t groups;
	uint32_t gdt_block; /* first group descriptor block */
	uint32_t incompat;
	uint64_t max_file_size; /* bytes mappable through i_block[] */

	/* block cache and lookup scratch, [m] */
	uint64_t clock;
	struct cache_buf *last; /* most recent hit, checked first */
	struct cache_buf *filling; /* a bread() is reading into it */
	struct cache_buf cache[EXT2_CACHE_BLOCKS];
	uint8_t *cache_mem;
	char path[EXT2_PATH_MAX] __aligned(8);
	char link[EXT2_PATH_MAX];
};

/* A directory cursor: data caches the block holding pos (NULL: none);
 * only valid while nothing else calls bread(). */
struct dir_iter {
	uint64_t pos;
	const uint8_t *data;
};

/* A directory record as found by dir_next(); name points into the cache. */
struct dir_rec {
	uint32_t ino;
	uint8_t type;
	uint8_t name_len;
	const char *name;
};

/* The only conversions of on-disk fields (x86 is little-endian). */
static inline uint16_t get16(le16 v)
{
	return v;
}

static inline uint32_t get32(le32 v)
{
	return v;
}

static int is_dir(uint16_t mode)
{
	return (mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
}

static int is_reg(uint16_t mode)
{
	return (mode & EXT2_S_IFMT) == EXT2_S_IFREG;
}

static int is_lnk(uint16_t mode)
{
	return (mode & EXT2_S_IFMT) == EXT2_S_IFLNK;
}

/* Map an inode mode to the directory-entry file type. */
uint8_t ext2_mode_to_ftype(uint16_t mode)
{
	switch (mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG:
		return EXT2_FT_REG_FILE;
	case EXT2_S_IFDIR:
		return EXT2_FT_DIR;
	case EXT2_S_IFCHR:
		return EXT2_FT_CHRDEV;
	case EXT2_S_IFBLK:
		return EXT2_FT_BLKDEV;
	case EXT2_S_IFIFO:
		return EXT2_FT_FIFO;
	case EXT2_S_IFSOCK:
		return EXT2_FT_SOCK;
	case EXT2_S_IFLNK:
		return EXT2_FT_SYMLINK;
	default:
		return EXT2_FT_UNKNOWN;
	}
}

/* Return the block size of a mounted volume. */
uint32_t ext2_block_size(const struct ext2_vol *vol)
{
	return vol->block_size;
}

/* Whether a block number is one bread() may read. */
static int meta_block_ok(const struct ext2_vol *vol, uint64_t blk)
{
	if (blk == 0 || blk >= vol->blocks_count) {
		pr_err("block %llu outside the volume (%u blocks)\n",
		       (unsigned long long)blk, vol->blocks_count);
		return 0;
	}
	return 1;
}

/*
 * The cached copy of block blk, made the most recent; NULL if it is not
 * cached, with *victim set to the slot to read it into.
 */
static struct cache_buf *cache_find(struct ext2_vol *vol, uint64_t blk,
				    struct cache_buf **victim)
{
	uint32_t i;

	*victim = &vol->cache[0];
	if (vol->last->stamp && vol->last->blk == blk)
		return vol->last; /* already the most recent: stamp unchanged */
	for (i = 0; i < EXT2_CACHE_BLOCKS; i++) {
		struct cache_buf *b = &vol->cache[i];

		if (b->stamp && b->blk == blk) {
			b->stamp = ++vol->clock;
			vol->last = b;
			return b;
		}
		if (b->stamp < (*victim)->stamp)
			*victim = b;
	}
	return NULL;
}

/*
 * Read volume block blk into the cache and point *data at it; the
 * pointer is valid until the next bread(). Block 0 (boot block or
 * superblock) is never metadata and is refused like any block past the
 * end of the volume.
 */
static int bread(struct ext2_vol *vol, uint64_t blk, const uint8_t **data)
{
	struct cache_buf *victim, *b;
	int err;

	if (!meta_block_ok(vol, blk))
		return -EUCLEAN;
	b = cache_find(vol, blk, &victim);
	if (b) {
		*data = b->data;
		return 0;
	}
	victim->stamp = 0;
	vol->filling = victim;
	err = vol->dev->read(vol->dev->ctx, blk << vol->block_shift,
			     victim->data, vol->block_size);
	vol->filling = NULL;
	if (err) {
		pr_err("reading block %llu: %s\n", (unsigned long long)blk,
		       errname(err));
		return err;
	}
	victim->blk = blk;
	victim->stamp = ++vol->clock;
	vol->last = victim;
	*data = victim->data;
	return 0;
}

/* bread() that never reads: -EAGAIN when blk is not cached. */
static int bread_cached(struct ext2_vol *vol, uint64_t blk,
			const uint8_t **data)
{
	struct cache_buf *victim, *b;

	if (!meta_block_ok(vol, blk))
		return -EUCLEAN;
	b = cache_find(vol, blk, &victim);
	if (!b)
		return -EAGAIN;
	*data = b->data;
	return 0;
}

/*
 * Put block blk, read by the caller into data (borrowed, block_size
 * bytes), into the metadata cache. It replaces the least recently used
 * block but never the one a sleeping bread() is reading into, so it may
 * run while another caller waits inside the volume (nothing keeps a
 * pointer from bread() across a read). 0 or -EUCLEAN.
 */
int ext2_cache_put(struct ext2_vol *vol, uint64_t blk, const void *data)
{
	struct cache_buf *victim = NULL;
	uint32_t i;

	if (!meta_block_ok(vol, blk))
		return -EUCLEAN;
	for (i = 0; i < EXT2_CACHE_BLOCKS; i++) {
		struct cache_buf *b = &vol->cache[i];

		if (b->stamp && b->blk == blk)
			return 0;
		if (b != vol->filling && (!victim || b->stamp < victim->stamp))
			victim = b;
	}
	memcpy(victim->data, data, vol->block_size);
	victim->blk = blk;
	victim->stamp = ++vol->clock;
	vol->last = victim;
	return 0;
}

/* Whether a non-zero block number from the disk lies inside the volume. */
static int block_ok(const struct ext2_vol *vol, uint64_t blk)
{
	return blk != 0 && blk < vol->blocks_count;
}

/* Log and count the incompatible features we do not support. */
static int check_incompat(uint32_t incompat)
{
	uint32_t bad = incompat & ~(uint32_t)INCOMPAT_SUPPORTED;
	uint32_t named = 0;
	size_t i;

	if (!bad)
		return 0;
	for (i = 0; i < ARRAY_SIZE(incompat_names); i++) {
		if (bad & incompat_names[i].mask) {
			pr_err("unsupported incompatible feature: %s\n",
			       incompat_names[i].name);
			named |= incompat_names[i].mask;
		}
	}
	if (bad & ~named)
		pr_err("unsupported incompatible feature: unknown (0x%x)\n",
		       bad & ~named);
	return -EOPNOTSUPP;
}

/* Check and store the revision-dependent fields: inode size, features. */
static int parse_rev(struct ext2_vol *vol, const struct ext2_super_block *sb)
{
	uint32_t rev = get32(sb->s_rev_level);
	uint32_t ro;

	if (rev == EXT2_GOOD_OLD_REV) {
		/* Revision 0 has no feature fields (they read as zero). */
		vol->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
		vol->incompat = 0;
		return 0;
	}
	if (rev != EXT2_DYNAMIC_REV) {
		pr_err("unsupported revision %u\n", rev);
		return -EOPNOTSUPP;
	}
	vol->inode_size = get16(sb->s_inode_size);
	if (vol->inode_size < EXT2_GOOD_OLD_INODE_SIZE ||
	    vol->inode_size > vol->block_size ||
	    (vol->inode_size & (vol->inode_size - 1))) {
		pr_err("bad inode size %u\n", vol->inode_size);
		return -EUCLEAN;
	}
	vol->incompat = get32(sb->s_feature_incompat);
	ro = get32(sb->s_feature_ro_compat);
	if (ro & ~(uint32_t)RO_COMPAT_KNOWN)
		pr_info("ignoring ro_compat features 0x%x (read-only)\n",
			ro & ~(uint32_t)RO_COMPAT_KNOWN);
	return check_incompat(vol->incompat);
}

/* Check the group geometry and that the volume fits on the device. */
static int parse_groups(struct ext2_vol *vol, const struct ext2_super_block *sb)
{
	uint32_t bits_per_block = vol->block_size * 8;
	uint64_t gdt_blocks;

	vol->blocks_per_group = get32(sb->s_blocks_per_group);
	vol->inodes_per_group = get32(sb->s_inodes_per_group);
	if (!vol->blocks_per_group || vol->blocks_per_group > bits_per_block ||
	    !vol->inodes_per_group || vol->inodes_per_group > bits_per_block) {
		pr_err("bad group size: %u blocks, %u inodes\n",
		       vol->blocks_per_group, vol->inodes_per_group);
		return -EUCLEAN;
	}
	vol->groups = DIV_ROUND_UP(vol->blocks_count - vol->first_data_block,
				   vol->blocks_per_group);
	if ((uint64_t)vol->groups * vol->inodes_per_group !=
	    vol->inodes_count) {
		pr_err("inode count %u != %u groups * %u inodes\n",
		       vol->inodes_count, vol->groups, vol->inodes_per_group);
		return -EUCLEAN;
	}
	vol->itable_blocks = DIV_ROUND_UP(
		vol->inodes_per_group * vol->inode_size, vol->block_size);
	if ((uint64_t)vol->blocks_count << vol->block_shift > vol->dev->size) {
		pr_err("volume of %u blocks larger than the device (%llu bytes)\n",
		       vol->blocks_count, (unsigned long long)vol->dev->size);
		return -EUCLEAN;
	}
	vol->gdt_block = vol->first_data_block + 1;
	gdt_blocks = DIV_ROUND_UP((uint64_t)vol->groups *
					  sizeof(struct ext2_group_desc),
				  vol->block_size);
	if (vol->gdt_block + gdt_blocks > vol->blocks_count) {
		pr_err("group descriptor table (%llu blocks) past the end\n",
		       (unsigned long long)gdt_blocks);
		return -EUCLEAN;
	}
	return 0;
}

/* Validate the superblock and fill in the volume geometry. */
static int parse_super(struct ext2_vol *vol, const struct ext2_super_block *sb)
{
	uint32_t log = get32(sb->s_log_block_size);
	uint64_t p;
	int err;

	if (get16(sb->s_magic) != EXT2_SUPER_MAGIC) {
		pr_err("bad magic 0x%04x\n", get16(sb->s_magic));
		return -EINVAL;
	}
	if (log > EXT2_MAX_BLOCK_LOG - EXT2_MIN_BLOCK_LOG) {
		pr_err("block size 1024 << %u not supported (1, 2 or 4 KiB)\n",
		       log);
		return -EOPNOTSUPP;
	}
	vol->block_shift = EXT2_MIN_BLOCK_LOG + log;
	vol->block_size = 1u << vol->block_shift;
	vol->ptr_shift = vol->block_shift - 2; /* 4-byte pointers */
	vol->blocks_count = get32(sb->s_blocks_count);
	vol->inodes_count = get32(sb->s_inodes_count);
	vol->first_data_block = get32(sb->s_first_data_block);
	if (vol->first_data_block != (log == 0 ? 1u : 0u) || /* sb block */
	    vol->blocks_count <= vol->first_data_block + 1 ||
	    !vol->inodes_count) {
		pr_err("bad counts: %u blocks, %u inodes, first data block %u\n",
		       vol->blocks_count, vol->inodes_count,
		       vol->first_data_block);
		return -EUCLEAN;
	}
	if (!(get16(sb->s_state) & EXT2_VALID_FS))
		pr_warn("volume was not cleanly unmounted\n");
	p = 1ull << vol->ptr_shift;
	vol->max_file_size = (EXT2_NDIR_BLOCKS + p + p * p + p * p * p)
			     << vol->block_shift;
	err = parse_rev(vol, sb);
	if (err)
		return err;
	return parse_groups(vol, sb);
}

/* Group descriptor g, with its block numbers checked. */
static int gd_get(struct ext2_vol *vol, uint32_t g, struct ext2_group_desc *gd)
{
	uint64_t off = (uint64_t)g * sizeof(*gd);
	uint32_t bb, ib, it;
	const uint8_t *data;
	int err;

	err = bread(vol, vol->gdt_block + (off >> vol->block_shift), &data);
	if (err)
		return err;
	memcpy(gd, data + (off & (vol->block_size - 1)), sizeof(*gd));
	bb = get32(gd->bg_block_bitmap);
	ib = get32(gd->bg_inode_bitmap);
	it = get32(gd->bg_inode_table);
	if (!block_ok(vol, bb) || !block_ok(vol, ib) || !block_ok(vol, it) ||
	    (uint64_t)it + vol->itable_blocks > vol->blocks_count) {
		pr_err("group %u: bitmaps %u/%u or inode table %u outside the volume\n",
		       g, bb, ib, it);
		return -EUCLEAN;
	}
	return 0;
}

/*
 * Mount the ext2 volume on dev (borrowed; it must outlive the volume).
 * On success *out owns a new volume, released with ext2_unmount(); on
 * failure nothing is allocated and the reason has been logged.
 */
int ext2_mount(const struct ext2_dev *dev, struct ext2_vol **out)
{
	struct ext2_super_block *sb;
	struct ext2_inode root;
	struct ext2_vol *vol;
	uint32_t i;
	int err;

	if (dev->size < EXT2_SUPER_OFFSET + sizeof(*sb)) {
		pr_err("device of %llu bytes too small\n",
		       (unsigned long long)dev->size);
		return -EINVAL;
	}
	vol = kzalloc(sizeof(*vol));
	if (!vol)
		return -ENOMEM;
	vol->dev = dev;
	sb = (struct ext2_super_block *)vol->path; /* scratch until lookup */
	STATIC_ASSERT(sizeof(vol->path) >= sizeof(*sb));
	err = dev->read(dev->ctx, EXT2_SUPER_OFFSET, sb, sizeof(*sb));
	if (err) {
		pr_err("reading the superblock: %s\n", errname(err));
		goto err_free_vol;
	}
	err = parse_super(vol, sb);
	if (err)
		goto err_free_vol;
	err = -ENOMEM;
	vol->cache_mem = kmalloc((size_t)EXT2_CACHE_BLOCKS * vol->block_size);
	if (!vol->cache_mem)
		goto err_free_vol;
	for (i = 0; i < EXT2_CACHE_BLOCKS; i++)
		vol->cache[i].data = vol->cache_mem + i * vol->block_size;
	vol->last = &vol->cache[0];

	for (i = 0; i < vol->groups; i++) {
		struct ext2_group_desc gd;

		err = gd_get(vol, i, &gd);
		if (err)
			goto err_free_cache;
	}
	err = ext2_iget(vol, EXT2_ROOT_INO, &root);
	if (!err && !is_dir(root.mode))
		err = -EUCLEAN;
	if (err) {
		pr_err("bad root inode: %s\n", errname(err));
		goto err_free_cache;
	}
	pr_info("mounted: %u blocks of %u bytes, %u inodes, %u groups\n",
		vol->blocks_count, vol->block_size, vol->inodes_count,
		vol->groups);
	*out = vol;
	return 0;

err_free_cache:
	kfree(vol->cache_mem);
err_free_vol:
	kfree(vol);
	return err;
}

/* Release a volume; the device is the caller's again. */
void ext2_unmount(struct ext2_vol *vol)
{
	kfree(vol->cache_mem);
	kfree(vol);
}

/* The file size of a disk inode; i_size_high counts for files (and dirs
 * with large_dir; in revision-0 terms it is the unused i_dir_acl). */
static uint64_t inode_size(const struct ext2_vol *vol,
			   const struct ext2_dinode *d, uint16_t mode)
{
	uint64_t size = get32(d->i_size);

	if (is_reg(mode) ||
	    (is_dir(mode) && (vol->incompat & EXT4_FEATURE_INCOMPAT_LARGEDIR)))
		size |= (uint64_t)get32(d->i_size_high) << 32;
	return size;
}

/*
 * Read inode ino (1..s_inodes_count) into *ip. Returns -EINVAL for a
 * number out of range, -ENOENT for an unused inode (mode or link count
 * zero) and -EUCLEAN for an inode this reader cannot interpret.
 */
int ext2_iget(struct ext2_vol *vol, uint32_t ino, struct ext2_inode *ip)
{
	struct ext2_group_desc gd;
	const struct ext2_dinode *d;
	const uint8_t *data;
	uint64_t byte;
	uint32_t idx, i;
	int err;

	if (ino == 0 || ino > vol->inodes_count)
		return -EINVAL;
	err = gd_get(vol, (ino - 1) / vol->inodes_per_group, &gd);
	if (err)
		return err;
	idx = (ino - 1) % vol->inodes_per_group;
	byte = (uint64_t)idx * vol->inode_size;
	err = bread(vol, get32(gd.bg_inode_table) + (byte >> vol->block_shift),
		    &data);
	if (err)
		return err;
	d = (const struct ext2_dinode *)(data + (byte & (vol->block_size - 1)));
	ip->ino = ino;
	ip->mode = get16(d->i_mode);
	ip->links = get16(d->i_links_count);
	ip->size = inode_size(vol, d, ip->mode);
	ip->mtime = get32(d->i_mtime);
	ip->flags = get32(d->i_flags);
	ip->blocks = get32(d->i_blocks);
	ip->file_acl = get32(d->i_file_acl);
	for (i = 0; i < EXT2_N_BLOCKS; i++)
		ip->block[i] = get32(d->i_block[i]);
	if (!ip->mode || !ip->links)
		return -ENOENT;
	if (ip->flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL) ||
	    ip->size > vol->max_file_size) {
		pr_err("inode %u: flags 0x%x, size %llu not readable\n", ino,
		       ip->flags, (unsigned long long)ip->size);
		return -EUCLEAN;
	}
	return 0;
}

/* Fill *st from inode ino. */
int ext2_stat(struct ext2_vol *vol, uint32_t ino, struct ext2_stat *st)
{
	struct ext2_inode ip;
	int err;

	err = ext2_iget(vol, ino, &ip);
	if (err)
		return err;
	st->ino = ino;
	st->mode = ip.mode;
	st->links = ip.links;
	st->size = ip.size;
	st->mtime = ip.mtime;
	return 0;
}

/* Follow `depth` levels of indirect blocks from blk to the data block of
 * index idx (relative to the subtree); a zero pointer is a hole. With
 * `missing`, an indirect block that is not cached is not read: -EAGAIN
 * and *missing is its number. */
static int bmap_walk(struct ext2_vol *vol, uint32_t blk, uint32_t depth,
		     uint64_t idx, uint64_t *missing, uint64_t *dblk)
{
	uint64_t mask = (1ull << vol->ptr_shift) - 1;
	const uint8_t *data;
	le32 ptr;
	int err;

	while (depth-- > 0 && blk) {
		if (!block_ok(vol, blk)) {
			pr_err("indirect block %u outside the volume\n", blk);
			return -EUCLEAN;
		}
		err = missing ? bread_cached(vol, blk, &data) :
				bread(vol, blk, &data);
		if (err == -EAGAIN)
			*missing = blk;
		if (err)
			return err;
		memcpy(&ptr,
		       data + ((idx >> (vol->ptr_shift * depth)) & mask) *
				       sizeof(ptr),
		       sizeof(ptr));
		blk = get32(ptr);
	}
	if (blk && !block_ok(vol, blk)) {
		pr_err("data block %u outside the volume\n", blk);
		return -EUCLEAN;
	}
	*dblk = blk;
	return 0;
}

/* ext2_bmap, or ext2_bmap_cached when `missing` is given. */
static int bmap(struct ext2_vol *vol, const struct ext2_inode *ip,
		uint64_t fblk, uint64_t *missing, uint64_t *dblk)
{
	uint64_t span;
	uint32_t depth;

	if (fblk < EXT2_NDIR_BLOCKS)
		return bmap_walk(vol, ip->block[fblk], 0, 0, missing, dblk);
	fblk -= EXT2_NDIR_BLOCKS;
	for (depth = 1; depth <= MAX_INDIRECT; depth++) {
		span = 1ull << (vol->ptr_shift * depth);
		if (fblk < span)
			return bmap_walk(vol,
					 ip->block[EXT2_IND_BLOCK + depth - 1],
					 depth, fblk, missing, dblk);
		fblk -= span;
	}
	return -EFBIG;
}

/*
 * Map block fblk of the file ip to its volume block *dblk; 0 means a hole
 * (reads as zeros). Returns -EFBIG past the triple-indirect range and
 * -EUCLEAN for a block number outside the volume. Reads indirect blocks
 * synchronously through the metadata cache; never reads file data.
 */
int ext2_bmap(struct ext2_vol *vol, const struct ext2_inode *ip, uint64_t fblk,
	      uint64_t *dblk)
{
	return bmap(vol, ip, fblk, NULL, dblk);
}

/*
 * ext2_bmap without touching the device: -EAGAIN when an indirect block
 * on the way is not in the metadata cache, with *missing its number (read
 * it, give it to ext2_cache_put, call again: one level more each time).
 * Like ext2_cache_put, safe while another caller sleeps in a read.
 */
int ext2_bmap_cached(struct ext2_vol *vol, const struct ext2_inode *ip,
		     uint64_t fblk, uint64_t *dblk, uint64_t *missing)
{
	return bmap(vol, ip, fblk, missing, dblk);
}

/*
 * Copy up to len bytes of file ip at byte off into buf (borrowed),
 * zeros for holes. Returns the number of bytes copied (0 at or past the
 * end of file) or a negative errno. Synchronous; for tests and small
 * reads only, bulk data goes through ext2_bmap().
 */
int64_t ext2_read(struct ext2_vol *vol, const struct ext2_inode *ip,
		  uint64_t off, void *buf, size_t len)
{
	uint8_t *dst = buf;
	uint64_t done = 0, dblk;
	uint32_t boff, chunk;
	int err;

	if (off >= ip->size)
		return 0;
	if (len > ip->size - off)
		len = ip->size - off;
	if (len > INT64_MAX)
		len = INT64_MAX;
	while (done < len) {
		boff = (off + done) & (vol->block_size - 1);
		chunk = (uint32_t)MIN(len - done, vol->block_size - boff);
		err = ext2_bmap(vol, ip, (off + done) >> vol->block_shift,
				&dblk);
		if (err)
			return err;
		if (!dblk)
			memset(dst + done, 0, chunk);
		else
			err = vol->dev->read(vol->dev->ctx,
					     (dblk << vol->block_shift) + boff,
					     dst + done, chunk);
		if (err)
			return err;
		done += chunk;
	}
	return (int64_t)done;
}

/* Check directory record e at byte off of its block. */
static int rec_ok(const struct ext2_vol *vol, const struct ext2_inode *dir,
		  const struct ext2_dir_entry *e, uint32_t off)
{
	uint32_t rec_len = get16(e->rec_len);

	if (rec_len < sizeof(*e) || rec_len % EXT2_DIR_ALIGN ||
	    off + rec_len > vol->block_size ||
	    sizeof(*e) + e->name_len > rec_len ||
	    (!(vol->incompat & EXT2_FEATURE_INCOMPAT_FILETYPE) &&
	     e->file_type)) {
		pr_err("dir %u: bad record at offset %u of a block: rec_len %u, name_len %u\n",
		       dir->ino, off, rec_len, e->name_len);
		return 0;
	}
	return 1;
}

/* Point it->data at the directory block holding it->pos. */
static int dir_load(struct ext2_vol *vol, const struct ext2_inode *dir,
		    struct dir_iter *it)
{
	uint64_t dblk;
	int err;

	err = ext2_bmap(vol, dir, it->pos >> vol->block_shift, &dblk);
	if (!err && !dblk)
		err = -EUCLEAN; /* directories have no holes */
	if (!err)
		err = bread(vol, dblk, &it->data);
	return err;
}

/*
 * The next used record of directory dir at or after it->pos, which moves
 * past it. Returns 1 with *r filled (r->name points into the block
 * cache), 0 at the end, or a negative errno for a corrupt directory.
 */
static int dir_next(struct ext2_vol *vol, const struct ext2_inode *dir,
		    struct dir_iter *it, struct dir_rec *r)
{
	const struct ext2_dir_entry *e;
	uint32_t off;
	int err;

	if (!is_dir(dir->mode))
		return -ENOTDIR;
	if (dir->size > EXT2_DIR_SIZE_MAX)
		return -EFBIG;
	while (it->pos < dir->size) {
		off = it->pos & (vol->block_size - 1);
		if (!off || !it->data) {
			it->data = NULL;
			err = dir_load(vol, dir, it);
			if (err)
				return err;
		}
		e = (const struct ext2_dir_entry *)(it->data + off);
		if (off % EXT2_DIR_ALIGN ||
		    off + sizeof(*e) > vol->block_size ||
		    !rec_ok(vol, dir, e, off))
			return -EUCLEAN;
		/* rec_ok: the record ends at or before the block's end */
		it->pos += get16(e->rec_len);
		if (!get32(e->inode))
			continue;
		if (get32(e->inode) > vol->inodes_count || !e->name_len) {
			pr_err("dir %u: entry with inode %u, name_len %u\n",
			       dir->ino, get32(e->inode), e->name_len);
			return -EUCLEAN;
		}
		r->ino = get32(e->inode);
		r->type = e->file_type < EXT2_FT_MAX ? e->file_type : 0;
		r->name_len = e->name_len;
		r->name = e->name;
		return 1;
	}
	return 0;
}

/*
 * Return the entry of directory dir at cursor *pos (start with 0) in *de
 * and advance the cursor. Returns 1 for an entry, 0 at the end, or a
 * negative errno. "." and ".." are listed as on disk. Without the
 * FILETYPE feature the type is taken from the entry's inode.
 */
int ext2_readdir(struct ext2_vol *vol, const struct ext2_inode *dir,
		 uint64_t *pos, struct ext2_dirent *de)
{
	struct dir_iter it = { .pos = *pos, .data = NULL };
	struct ext2_inode child;
	struct dir_rec r;
	int ret, err;

	ret = dir_next(vol, dir, &it, &r);
	if (ret <= 0)
		return ret;
	*pos = it.pos;
	de->ino = r.ino;
	de->type = r.type;
	de->name_len = r.name_len;
	memcpy(de->name, r.name, r.name_len);
	de->name[r.name_len] = '\0';
	if (!(vol->incompat & EXT2_FEATURE_INCOMPAT_FILETYPE)) {
		err = ext2_iget(vol, r.ino, &child);
		if (err)
			return err;
		de->type = ext2_mode_to_ftype(child.mode);
	}
	return 1;
}

/* Find name[0..len) in directory dir; -ENOENT if it is not there. */
static int dir_find(struct ext2_vol *vol, const struct ext2_inode *dir,
		    const char *name, size_t len, uint32_t *ino)
{
	struct dir_iter it = { .pos = 0, .data = NULL };
	struct dir_rec r;
	int ret;

	while ((ret = dir_next(vol, dir, &it, &r)) > 0) {
		if (r.name_len == len && !memcmp(r.name, name, len)) {
			*ino = r.ino;
			return 0;
		}
	}
	return ret ? ret : -ENOENT;
}

/* Whether a symlink keeps its target in i_block (fast symlink): short,
 * and no data block (an extended-attribute block does not count). */
static int fast_symlink(const struct ext2_vol *vol, const struct ext2_inode *ip)
{
	uint32_t ea = ip->file_acl ? vol->block_size / SECTOR_SIZE : 0;

	return ip->size < EXT2_FAST_SYMLINK_MAX && ip->blocks == ea;
}

/*
 * Copy the target of symlink ip into buf (size bytes, borrowed) with a
 * terminating NUL; returns its length, -ENAMETOOLONG if it does not fit,
 * -EINVAL if ip is not a symlink, -EUCLEAN for a corrupt target.
 */
int ext2_readlink(struct ext2_vol *vol, const struct ext2_inode *ip, char *buf,
		  size_t size)
{
	uint32_t len = (uint32_t)ip->size, i;
	int64_t n;

	if (!is_lnk(ip->mode))
		return -EINVAL;
	if (ip->size >= size)
		return ip->size > vol->block_size ? -EUCLEAN : -ENAMETOOLONG;
	if (fast_symlink(vol, ip)) {
		for (i = 0; i < len; i++)
			buf[i] = (char)(ip->block[i / 4] >> (8 * (i % 4)));
	} else {
		n = ext2_read(vol, ip, 0, buf, len);
		if (n < 0)
			return (int)n;
		if (n != len)
			return -EUCLEAN;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		pr_err("symlink %u: NUL in target\n", ip->ino);
		return -EUCLEAN;
	}
	return (int)len;
}

/*
 * Replace the path's already-resolved prefix buf[0..end) by the target
 * of symlink ip, keeping the rest buf[end..len). Updates *len.
 */
static int splice_link(struct ext2_vol *vol, const struct ext2_inode *ip,
		       size_t end, size_t *len)
{
	size_t rest = *len - end;
	int n;

	n = ext2_readlink(vol, ip, vol->link, sizeof(vol->link));
	if (n < 0)
		return n;
	if (n == 0)
		return -ENOENT;
	if ((size_t)n + rest >= sizeof(vol->path))
		return -ENAMETOOLONG;
	memmove(vol->path + n, vol->path + end, rest + 1);
	memcpy(vol->path, vol->link, (size_t)n);
	*len = (size_t)n + rest;
	return 0;
}

/* Number of '/' at the start of s. */
static size_t skip_slashes(const char *s)
{
	size_t n = 0;

	while (s[n] == '/')
		n++;
	return n;
}

/*
 * Resolve path (borrowed, NUL-terminated, at most EXT2_PATH_MAX bytes)
 * from the root directory; relative paths start there too. Symlinks are
 * followed, the last one only without EXT2_LOOKUP_NOFOLLOW (or when a
 * '/' follows it). Returns -ENOENT, -ENOTDIR, -ENAMETOOLONG, -ELOOP
 * after EXT2_SYMLINK_FOLLOW_MAX symlinks, or -EUCLEAN for corruption.
 */
int ext2_lookup_flags(struct ext2_vol *vol, const char *path, int flags,
		      uint32_t *ino)
{
	char *buf = vol->path;
	size_t len = strnlen(path, sizeof(vol->path)), pos = 0, end;
	uint32_t cur = EXT2_ROOT_INO, child, links = 0;
	struct ext2_inode ip;
	int err, last;

	if (len == 0)
		return -ENOENT;
	if (len == sizeof(vol->path))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (;;) {
		pos += skip_slashes(buf + pos);
		if (!buf[pos])
			break;
		for (end = pos; buf[end] && buf[end] != '/'; end++)
			;
		if (end - pos > EXT2_NAME_MAX)
			return -ENAMETOOLONG;
		err = ext2_iget(vol, cur, &ip);
		if (err)
			return err;
		if (!is_dir(ip.mode))
			return -ENOTDIR;
		err = dir_find(vol, &ip, buf + pos, end - pos, &child);
		if (!err)
			err = ext2_iget(vol, child, &ip);
		if (err)
			return err;
		last = !buf[end + skip_slashes(buf + end)];
		if (is_lnk(ip.mode) &&
		    (!last || buf[end] || !(flags & EXT2_LOOKUP_NOFOLLOW))) {
			if (++links > EXT2_SYMLINK_FOLLOW_MAX)
				return -ELOOP;
			err = splice_link(vol, &ip, end, &len);
			if (err)
				return err;
			if (buf[0] == '/')
				cur = EXT2_ROOT_INO;
			pos = 0;
			continue;
		}
		if (last && buf[end] && !is_dir(ip.mode))
			return -ENOTDIR; /* "file/" */
		cur = child;
		pos = end;
	}
	*ino = cur;
	return 0;
}

/* Resolve path from the root, following every symlink. */
int ext2_lookup(struct ext2_vol *vol, const char *path, uint32_t *ino)
{
	return ext2_lookup_flags(vol, path, 0, ino);
}
