/* SPDX-License-Identifier: MIT */
/*
 * Host stand-in for fs/file.c: an in-memory volume. File data is served
 * as real iobufs from the pool (tests/fakes/fake_pmm.c underneath), either at
 * once or, in deferred mode, when the test completes the reads.
 */
#ifndef TESTS_FAKES_FAKE_FS_H
#define TESTS_FAKES_FAKE_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void fake_fs_reset(void);
void fake_fs_add_file(const char *path, const void *data, size_t len,
		      uint32_t mtime);
void fake_fs_add_dir(const char *path);
void fake_fs_set_mounted(bool mounted);
/* Reads complete only when fake_fs_complete() is called (which then
 * runs the continuations they woke and delivers LAIO completions). */
void fake_fs_set_deferred(bool deferred);
/* Complete deferred reads (all of them); returns how many. */
int fake_fs_complete(void);
/* The next read of `path` fails with err (once). */
void fake_fs_fail_next_read(int err);

#endif
