/* SPDX-License-Identifier: MIT */
/*
 * The file API the server uses: one read-only volume (ext2 on the first
 * virtio-blk disk), files opened by path, and byte ranges read as IO-Lite
 * aggregates whose slices reference page-cache pages (no copy).
 *
 * A struct file stays cached for the life of the volume (a static site
 * opens the same files over and over); fs_open hands out the same object
 * for the same inode. Path lookups and inode reads go to disk through the
 * blocking metadata path; file data goes through the page cache
 * asynchronously, and so do the indirect blocks that map it when the
 * read starts in the main loop. A dead disk (see virtio_blk.h) fails
 * reads with -ETIMEDOUT, then -ENODEV at once. Main loop and kernel
 * threads only ([m]).
 */
#ifndef FS_FILE_H
#define FS_FILE_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/lib/statjson.h"

struct causal;
struct file;
struct ioagg;
struct vblk_dev;

struct file_stat {
	uint32_t ino;
	uint16_t mode; /* ext2 i_mode */
	bool is_dir, is_reg;
	uint64_t size;
	uint32_t mtime; /* seconds since the epoch */
};

#define FS_STATS(X)                                                     \
	X(opens)                                                        \
	X(open_errors)                                                  \
	X(name_cache_hits) /* opens that a CPU's path cache answered */ \
	X(files_cached)                                                 \
	X(reads)                                                        \
	X(read_hits) /* reads served wholly from the page cache */      \
	X(read_errors)                                                  \
	X(bytes_read) /* handed out in aggregates */                    \
	X(disk_requests) /* the disk (virtio-blk) */                    \
	X(disk_bytes)                                                   \
	X(disk_segments) /* data segments of those requests */          \
	X(disk_segments_max) /* most in one request */                  \
	X(disk_request_bytes_max) /* largest request */                 \
	X(fill_requests) /* file-data requests (page fills) */          \
	X(disk_errors)                                                  \
	X(disk_queued)                                                  \
	X(disk_in_flight)                                               \
	X(disk_max_in_flight)                                           \
	X(disk_interrupts)                                              \
	X(disk_waiting) /* now: no descriptors yet */                   \
	X(disk_rekicks)                                                 \
	X(meta_waits) /* a thread waited for the volume's metadata */   \
	X(meta_busy) /* main loop found it held: -EAGAIN */             \
	X(sync_reads_in_loop) /* the running main loop waited */        \
	X(bmap_async_reads) /* indirect blocks read without waiting */  \
	X(disk_timeouts) /* requests failed with -ETIMEDOUT */          \
	X(disk_refused) /* reads refused since (-ENODEV) */             \
	X(disk_late) /* answers that came after their timeout */        \
	X(pages_lost) /* pool pages left to the dead device */

struct fs_stats {
	FS_STATS(STAT_U64)
	const char *disk_irq_mode; /* "msix", "intx", "polled"; "none" */
	/* a dead disk (virtio_blk.h): given up after disk_timeout_ms */
	bool disk_failed; /* every read now fails at once */
};

/* Set up the page cache and mount the first virtio-blk disk, if any;
 * failures are logged and leave the kernel running without a volume. */
void fs_init(void);

/* Mount the ext2 volume on `dev`. 0, or the mount error (logged with the
 * reason); the kernel keeps running without a volume. */
int fs_mount(struct vblk_dev *dev);
bool fs_mounted(void);

/* The disk the volume is on, or NULL (self-tests read it raw). */
struct vblk_dev *fs_device(void);

/* Open `path` (absolute, inside the volume; symlinks followed). 0 with
 * *out set, -ENODEV (no volume), -ENOENT, -ENOTDIR, -ELOOP, -EUCLEAN... */
int fs_open(const char *path, struct file **out);
/* fs_open for request `cause` (borrowed; NULL: default urgency): with
 * prio=on a more urgent request gets the volume first. */
int fs_open_for(const char *path, const struct causal *cause,
		struct file **out);

const struct file_stat *fs_stat(const struct file *f);

typedef void (*fs_read_done_fn)(void *arg, int err);

/*
 * Append bytes [off, off + len) of regular file f to `out`. Returns 0 if
 * every page was cached (out is complete, done is not called),
 * -EINPROGRESS if done(arg, err) will be called once out is complete or
 * the read failed, or an error at once. On any error `out` is unchanged.
 * `out` must stay valid until done is called. `cause` (NULL: none) is the
 * request the read is for: the disk requests a miss starts carry a copy
 * of its trace id (kernel/io/trace.h) and its urgency (kernel/io/prio.h;
 * NULL: the default); borrowed for the call only.
 */
int fs_read(struct file *f, uint64_t off, uint64_t len, struct ioagg *out,
	    fs_read_done_fn done, void *arg, const struct causal *cause);

/* Blocking fs_read: sleeps a kernel thread, or polls the disk from the
 * main loop. */
int fs_read_sync(struct file *f, uint64_t off, uint64_t len, struct ioagg *out,
		 const struct causal *cause);

struct fs_dirent {
	uint32_t ino;
	bool is_dir;
	char name[256];
};

/* Next entry of directory f at *pos: 1 with *de set, 0 at the end, or a
 * negative errno. "." and ".." are included. */
int fs_readdir(struct file *dir, uint64_t *pos, struct fs_dirent *de);

void fs_get_stats(struct fs_stats *st);

#endif
