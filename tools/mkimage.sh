#!/bin/sh
# SPDX-License-Identifier: MIT
# Build a read-only ext2 site image from a folder, without root:
#   tools/mkimage.sh SITE_DIR IMAGE [BLOCK_SIZE]
# The image is sized from the folder's contents plus room for metadata.
set -eu
site=${1:?usage: mkimage.sh SITE_DIR IMAGE [BLOCK_SIZE]}
image=${2:?usage: mkimage.sh SITE_DIR IMAGE [BLOCK_SIZE]}
bs=${3:-4096}
[ -d "$site" ] || { echo "mkimage: $site is not a folder" >&2; exit 1; }
case "$bs" in 1024|2048|4096) ;; *) echo "mkimage: block size $bs" >&2; exit 1 ;; esac
mke2fs=$(command -v mke2fs || echo /sbin/mke2fs)

# Apparent size (sparse files stay sparse in the image), 25% + 1 MiB slack.
kib=$(du -s --apparent-size -k "$site" | cut -f1)
files=$(find "$site" | wc -l)
size_kib=$(( kib + kib / 4 + files * bs / 1024 * 2 + 1024 ))
rm -f "$image"
"$mke2fs" -q -F -t ext2 -b "$bs" -L site -m 0 -E root_owner=0:0 \
	-d "$site" "$image" "${size_kib}k"
echo "mkimage: $image ($size_kib KiB) from $site"
