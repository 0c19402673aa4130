#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the ext2 test images for tests/fs/test_ext2.c in directory $1:
#   src/        the reference tree (sizes 0..1 MiB, a 70 MiB sparse file,
#               20-level deep path, 2000-entry directory, symlinks)
#   b1024.img b2048.img b4096.img   ext2 rev 1 images of src (b1024: 4
#               groups with flex_bg), directories
#               re-indexed by e2fsck -D (so large ones become htrees)
#   rev0.img    ext2 revision 0 (no features, no file types) of src
#   small/ small.img   a small tree for the corruption fuzzer
# Needs no root: mke2fs -d copies the tree into the image file.
set -eu
out=$1
mkdir -p "$out"
cd "$out"
rm -rf src small ./*.img
mkdir src small

rnd() { # rnd FILE BYTES
	head -c "$2" /dev/urandom >"$1"
}

# Files of edge sizes.
: >src/empty
rnd src/one 1
rnd src/f4095 4095
rnd src/f4096 4096
rnd src/f4097 4097
rnd src/mib 1048576

# Sparse file: data in the direct, double and (1 KiB blocks) triple
# indirect ranges; triple indirection starts at 12 KiB + 256 KiB + 64 MiB.
rnd src/sparse 4096
head -c 3000 /dev/urandom |
	dd of=src/sparse bs=1024 seek=5120 conv=notrunc status=none
head -c 5000 /dev/urandom |
	dd of=src/sparse bs=1024 seek=67584 conv=notrunc status=none
head -c 123 /dev/urandom |
	dd of=src/sparse bs=1024 seek=71680 conv=notrunc status=none

# Deep path.
d=src/deep
for i in $(seq 1 20); do
	d=$d/d$i
done
mkdir -p "$d"
rnd "$d/leaf.txt" 777
deep_rel=deep$(seq -s/ 1 20 | sed 's|\([0-9]*\)|/d\1|g; s|//|/|g')/leaf.txt

# Many directory entries; one in ten has content.
mkdir src/big
i=0
while [ $i -lt 2000 ]; do
	if [ $((i % 10)) -eq 0 ]; then
		printf 'entry %d\n' $i >src/big/file_$i
	else
		: >src/big/file_$i
	fi
	i=$((i + 1))
done

# Symlinks.
ln -s mib src/fast
ln -s "$deep_rel" src/slow
ln -s /deep/d1/d2 src/abs
ln -s deep/d1 src/dirlink
ln -s ../../one src/deep/d1/up
ln -s loop2 src/loop1
ln -s loop1 src/loop2
ln -s selfloop src/selfloop
ln -s does/not/exist src/dangling

mk() { # mk IMG BLOCKSIZE EXTRA...
	img=$1 bs=$2
	shift 2
	mke2fs -q -F -t ext2 -b "$bs" -N 4096 "$@" -d src "$img" 8M \
		>/dev/null
	e2fsck -fyD "$img" >/dev/null 2>&1 || [ $? -le 1 ]
}
mk b1024.img 1024 -O dir_index,flex_bg -G 4 -g 2048
mk b2048.img 2048 -O dir_index
mk b4096.img 4096 -O dir_index
mk rev0.img 1024 -r 0 -g 1024

# Small tree for the fuzzer.
mkdir small/dir
rnd small/a 100
rnd small/b 300000
rnd small/dir/c 5000
ln -s a small/ln
ln -s dir/../dir/c small/ln2
mke2fs -q -F -t ext2 -b 1024 -N 64 -d small small.img 1M >/dev/null
