#!/bin/sh
# SPDX-License-Identifier: MIT
# Make the seed images of the ext2 harness in directory $1 (default
# tests/fuzz/corpus/ext2): tiny volumes of one small tree, built with
# mke2fs -d (no root needed), each 64 or 128 KiB:
#   b1k.img    1 KiB blocks, rev 1, filetype
#   rev0.img   1 KiB blocks, revision 0 (no file types in directories)
#   b2k.img    2 KiB blocks, large_file, 128 KiB
# The tree has a file through the single-indirect range (13 KiB with
# 1 KiB blocks), a sparse file, an empty file, a nested directory, and
# fast, slow (over 60 bytes), relative, absolute, dangling and looping
# symlinks. Random file contents are fixed by a seeded generator, so the
# images only change when this script or mke2fs does (mke2fs still puts
# a fresh UUID and time in each superblock).
set -eu
out=${1:-tests/fuzz/corpus/ext2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/src

# bytes N SEED: N pseudo-random bytes (awk LCG, reproducible).
bytes() {
	awk -v n="$1" -v s="$2" 'BEGIN {
		for (i = 0; i < n; i++) {
			s = (s * 1103515245 + 12345) % 2147483648
			printf "%c", 32 + int(s / 65536) % 95
		}
	}'
}

mkdir -p "$src/d/e"
printf 'hello\n' >"$src/a"
: >"$src/empty"
bytes 13000 1 >"$src/d/b"
bytes 700 2 >"$src/d/e/c"
bytes 100 3 | dd of="$src/sparse" bs=1024 seek=20 status=none
ln -s a "$src/l"
ln -s d/../d/b "$src/l2"
ln -s /d/e/c "$src/abs"
ln -s d/e/this/is/a/long/symlink/target/of/more/than/sixty/bytes/x \
	"$src/slow"
ln -s nowhere "$src/dangling"
ln -s loop "$src/loop"

mk() { # mk NAME SIZE_KIB MKE2FS_ARGS...
	name=$1 kib=$2
	shift 2
	rm -f "$tmp/$name"
	truncate -s "${kib}K" "$tmp/$name"
	mke2fs -q -F -t ext2 -N 32 -m 0 -E root_owner=0:0 "$@" -d "$src" \
		"$tmp/$name" >/dev/null
	e2fsck -fn "$tmp/$name" >/dev/null 2>&1
	mkdir -p "$out"
	cp "$tmp/$name" "$out/$name"
}
mk b1k.img 64 -b 1024
mk rev0.img 64 -b 1024 -r 0
mk b2k.img 128 -b 2048 -O large_file
