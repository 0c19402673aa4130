/* SPDX-License-Identifier: MIT */
/*
 * Read-only ext2 reader. The volume is reached through struct ext2_dev, a
 * synchronous byte-addressed read callback; ext2 knows nothing about
 * virtio-blk or the page cache. Metadata (superblock, group descriptors,
 * inode tables, indirect and directory blocks) goes through a small LRU
 * block cache inside the volume. File data is not read here on the fast
 * path: ext2_bmap() turns a file block into a volume block, and the page
 * cache reads it itself (at disk_block * ext2_block_size()). ext2_read()
 * is the slow, synchronous convenience for tests and small reads.
 *
 * Every number read from the disk is validated before use: a corrupt
 * volume yields -EUCLEAN (or -EIO from the device), never a read outside
 * the volume. A volume and everything reached through it is main-loop
 * only ([m]); the functions are not reentrant (they share the block cache
 * and the path scratch buffers of the volume), except ext2_bmap_cached and
 * ext2_cache_put, which never read and may run while another caller waits
 * for a read: with them a caller that must not wait maps file blocks,
 * reading the missing indirect blocks itself, asynchronously.
 *
 * Layout: "The Second Extended File System", Dave Poirier, and Linux
 * Documentation/filesystems/ext2.rst.
 */
#ifndef FS_EXT2_H
#define FS_EXT2_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"

/* Little-endian on-disk fields; converted only in fs/ext2.c. */
typedef uint16_t le16;
typedef uint32_t le32;

/* ---- On-disk layout --------------------------------------------------- */

#define EXT2_SUPER_OFFSET 1024 /* bytes from the volume start */
#define EXT2_SUPER_MAGIC 0xEF53
#define EXT2_GOOD_OLD_REV 0 /* fixed 128-byte inodes, no features */
#define EXT2_DYNAMIC_REV 1
#define EXT2_GOOD_OLD_INODE_SIZE 128
#define EXT2_MIN_BLOCK_LOG 10 /* 1 KiB */
#define EXT2_MAX_BLOCK_LOG 12 /* 4 KiB: the largest block size we accept */
#define EXT2_ROOT_INO 2
#define EXT2_NAME_MAX 255

/* i_block[]: 12 direct pointers, then single, double, triple indirect. */
#define EXT2_NDIR_BLOCKS 12
#define EXT2_IND_BLOCK 12
#define EXT2_DIND_BLOCK 13
#define EXT2_TIND_BLOCK 14
#define EXT2_N_BLOCKS 15

/* s_feature_incompat */
#define EXT2_FEATURE_INCOMPAT_COMPRESSION 0x0001
#define EXT2_FEATURE_INCOMPAT_FILETYPE 0x0002
#define EXT3_FEATURE_INCOMPAT_RECOVER 0x0004
#define EXT3_FEATURE_INCOMPAT_JOURNAL_DEV 0x0008
#define EXT2_FEATURE_INCOMPAT_META_BG 0x0010
#define EXT4_FEATURE_INCOMPAT_EXTENTS 0x0040
#define EXT4_FEATURE_INCOMPAT_64BIT 0x0080
#define EXT4_FEATURE_INCOMPAT_MMP 0x0100
#define EXT4_FEATURE_INCOMPAT_FLEX_BG 0x0200
#define EXT4_FEATURE_INCOMPAT_EA_INODE 0x0400
#define EXT4_FEATURE_INCOMPAT_DIRDATA 0x1000
#define EXT4_FEATURE_INCOMPAT_CSUM_SEED 0x2000
#define EXT4_FEATURE_INCOMPAT_LARGEDIR 0x4000
#define EXT4_FEATURE_INCOMPAT_INLINE_DATA 0x8000
#define EXT4_FEATURE_INCOMPAT_ENCRYPT 0x10000
#define EXT4_FEATURE_INCOMPAT_CASEFOLD 0x20000

/* s_feature_ro_compat (only the ones this reader looks at) */
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE 0x0002

/* i_mode file types */
#define EXT2_S_IFMT 0xF000
#define EXT2_S_IFSOCK 0xC000
#define EXT2_S_IFLNK 0xA000
#define EXT2_S_IFREG 0x8000
#define EXT2_S_IFBLK 0x6000
#define EXT2_S_IFDIR 0x4000
#define EXT2_S_IFCHR 0x2000
#define EXT2_S_IFIFO 0x1000

/* i_flags */
#define EXT2_INDEX_FL 0x00001000 /* htree directory (read linearly here) */
#define EXT4_EXTENTS_FL 0x00080000
#define EXT4_INLINE_DATA_FL 0x10000000

/* Directory entry file_type (FILETYPE feature) */
enum ext2_ftype {
	EXT2_FT_UNKNOWN = 0,
	EXT2_FT_REG_FILE = 1,
	EXT2_FT_DIR = 2,
	EXT2_FT_CHRDEV = 3,
	EXT2_FT_BLKDEV = 4,
	EXT2_FT_FIFO = 5,
	EXT2_FT_SOCK = 6,
	EXT2_FT_SYMLINK = 7,
	EXT2_FT_MAX = 8,
};

struct ext2_super_block {
	le32 s_inodes_count;
	le32 s_blocks_count;
	le32 s_r_blocks_count;
	le32 s_free_blocks_count;
	le32 s_free_inodes_count;
	le32 s_first_data_block;
	le32 s_log_block_size; /* block size = 1024 << this */
	le32 s_log_frag_size;
	le32 s_blocks_per_group;
	le32 s_frags_per_group;
	le32 s_inodes_per_group;
	le32 s_mtime;
	le32 s_wtime;
	le16 s_mnt_count;
	le16 s_max_mnt_count;
	le16 s_magic;
	le16 s_state;
	le16 s_errors;
	le16 s_minor_rev_level;
	le32 s_lastcheck;
	le32 s_checkinterval;
	le32 s_creator_os;
	le32 s_rev_level;
	le16 s_def_resuid;
	le16 s_def_resgid;
	/* EXT2_DYNAMIC_REV only from here on */
	le32 s_first_ino;
	le16 s_inode_size;
	le16 s_block_group_nr;
	le32 s_feature_compat;
	le32 s_feature_incompat;
	le32 s_feature_ro_compat;
	uint8_t s_uuid[16];
	char s_volume_name[16];
	char s_last_mounted[64];
	le32 s_algorithm_usage_bitmap;
	uint8_t s_prealloc_blocks;
	uint8_t s_prealloc_dir_blocks;
	le16 s_reserved_gdt_blocks;
	uint8_t s_journal_uuid[16];
	le32 s_journal_inum;
	le32 s_journal_dev;
	le32 s_last_orphan;
	le32 s_hash_seed[4];
	uint8_t s_def_hash_version;
	uint8_t s_jnl_backup_type;
	le16 s_desc_size;
	le32 s_default_mount_opts;
	le32 s_first_meta_bg;
	le32 s_reserved[190];
};
STATIC_ASSERT(sizeof(struct ext2_super_block) == 1024);
STATIC_ASSERT(offsetof(struct ext2_super_block, s_magic) == 56);
STATIC_ASSERT(offsetof(struct ext2_super_block, s_feature_incompat) == 96);
STATIC_ASSERT(offsetof(struct ext2_super_block, s_first_meta_bg) == 260);

struct ext2_group_desc {
	le32 bg_block_bitmap;
	le32 bg_inode_bitmap;
	le32 bg_inode_table;
	le16 bg_free_blocks_count;
	le16 bg_free_inodes_count;
	le16 bg_used_dirs_count;
	le16 bg_flags;
	le32 bg_reserved[3];
};
STATIC_ASSERT(sizeof(struct ext2_group_desc) == 32);

struct ext2_dinode {
	le16 i_mode;
	le16 i_uid;
	le32 i_size;
	le32 i_atime;
	le32 i_ctime;
	le32 i_mtime;
	le32 i_dtime;
	le16 i_gid;
	le16 i_links_count;
	le32 i_blocks; /* 512-byte units, data and metadata */
	le32 i_flags;
	le32 i_osd1;
	le32 i_block[EXT2_N_BLOCKS];
	le32 i_generation;
	le32 i_file_acl;
	le32 i_size_high; /* i_dir_acl in revision 0 */
	le32 i_faddr;
	uint8_t i_osd2[12];
};
STATIC_ASSERT(sizeof(struct ext2_dinode) == 128);
STATIC_ASSERT(offsetof(struct ext2_dinode, i_block) == 40);

struct ext2_dir_entry {
	le32 inode; /* 0: unused record */
	le16 rec_len; /* bytes to the next record, multiple of 4 */
	uint8_t name_len;
	uint8_t file_type; /* high byte of name_len without FILETYPE */
	char name[]; /* not NUL-terminated */
};
STATIC_ASSERT(sizeof(struct ext2_dir_entry) == 8);

#define EXT2_DIR_ALIGN 4
/* Bytes of the symlink target kept in i_block itself (fast symlink). */
#define EXT2_FAST_SYMLINK_MAX (EXT2_N_BLOCKS * sizeof(le32))

/* ---- In-memory interface ---------------------------------------------- */

/*
 * The volume's storage. read() copies len bytes at byte offset off into
 * buf and returns 0 or a negative errno; it is called synchronously and
 * may be called with any offset below size. The caller owns the struct;
 * it must outlive the mount.
 */
struct ext2_dev {
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	void *ctx;
	uint64_t size; /* bytes */
};

struct ext2_vol;

/* An inode as read from disk, fields converted; owned by the caller. */
struct ext2_inode {
	uint32_t ino;
	uint16_t mode; /* EXT2_S_IF* type and permission bits */
	uint16_t links;
	uint64_t size;
	uint32_t mtime; /* seconds since the epoch */
	uint32_t flags;
	uint32_t blocks; /* i_blocks, 512-byte units */
	uint32_t file_acl;
	uint32_t block[EXT2_N_BLOCKS];
};

struct ext2_stat {
	uint32_t ino;
	uint16_t mode;
	uint16_t links;
	uint64_t size;
	uint32_t mtime;
};

struct ext2_dirent {
	uint32_t ino;
	uint8_t type; /* enum ext2_ftype */
	uint8_t name_len;
	char name[EXT2_NAME_MAX + 1]; /* NUL-terminated copy */
};

/* ext2_lookup_flags() flags */
#define EXT2_LOOKUP_NOFOLLOW 0x1 /* do not follow a final symlink */

/* Mount the volume on dev; *out is the new volume on success. */
int ext2_mount(const struct ext2_dev *dev, struct ext2_vol **out);
/* Release a volume from ext2_mount(). */
void ext2_unmount(struct ext2_vol *vol);
/* Bytes per block of the volume (1024, 2048 or 4096). */
uint32_t ext2_block_size(const struct ext2_vol *vol);

/* Read and validate inode ino into *ip. */
int ext2_iget(struct ext2_vol *vol, uint32_t ino, struct ext2_inode *ip);
/* Size, type, mtime, number and links of inode ino. */
int ext2_stat(struct ext2_vol *vol, uint32_t ino, struct ext2_stat *st);
/* Map file block fblk of ip to a volume block (0: hole). */
int ext2_bmap(struct ext2_vol *vol, const struct ext2_inode *ip, uint64_t fblk,
	      uint64_t *dblk);
/* ext2_bmap that never reads: -EAGAIN, *missing = the uncached block. */
int ext2_bmap_cached(struct ext2_vol *vol, const struct ext2_inode *ip,
		     uint64_t fblk, uint64_t *dblk, uint64_t *missing);
/* Put a metadata block read elsewhere into the volume's cache. */
int ext2_cache_put(struct ext2_vol *vol, uint64_t blk, const void *data);
/* Read up to len bytes at off; returns the byte count or -errno. */
int64_t ext2_read(struct ext2_vol *vol, const struct ext2_inode *ip,
		  uint64_t off, void *buf, size_t len);
/* Next entry of directory ip at cursor *pos: 1 entry, 0 end, -errno. */
int ext2_readdir(struct ext2_vol *vol, const struct ext2_inode *ip,
		 uint64_t *pos, struct ext2_dirent *de);
/* Copy a symlink's target (NUL-terminated); returns its length. */
int ext2_readlink(struct ext2_vol *vol, const struct ext2_inode *ip, char *buf,
		  size_t size);
/* Resolve an absolute path from the root, following symlinks. */
int ext2_lookup(struct ext2_vol *vol, const char *path, uint32_t *ino);
/* ext2_lookup() with EXT2_LOOKUP_* flags. */
int ext2_lookup_flags(struct ext2_vol *vol, const char *path, int flags,
		      uint32_t *ino);

/* File type of an inode mode, as an enum ext2_ftype. */
uint8_t ext2_mode_to_ftype(uint16_t mode);

#endif
