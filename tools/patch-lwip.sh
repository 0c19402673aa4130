#!/bin/sh
# SPDX-License-Identifier: MIT
# Copy the fetched lwIP tree SRC (tools/fetch-lwip.sh) to DEST and apply
# our patches to the copy with `patch -p1`, in the order given; SRC stays
# as Debian shipped it, so a changed or removed patch needs no new fetch.
# STAMP (a file in DEST) is written last: net/build.mk names it after a
# hash of the patches, so any change to them remakes DEST and every lwIP
# object. Each patch says why it exists (net/lwip-port/patches/).
#
#   tools/patch-lwip.sh SRC DEST STAMP [PATCH...]
set -eu

[ $# -ge 3 ] || { echo "usage: $0 SRC DEST STAMP [PATCH...]" >&2; exit 2; }
SRC=$1
DEST=$2
STAMP=$3
shift 3

[ -f "$SRC/.fetched" ] || { echo "patch-lwip: $SRC not fetched" >&2; exit 1; }
tmp="$DEST.tmp"
rm -rf "$tmp" "$DEST"
# A plain copy (new mtimes): objects built from the old tree are older.
cp -r "$SRC" "$tmp"
for p in "$@"; do
	echo "patch-lwip: $p"
	if ! patch -p1 -s --batch --forward -d "$tmp" < "$p"; then
		echo "patch-lwip: $p does not apply to $(cat "$SRC/.fetched")" >&2
		rm -rf "$tmp"
		exit 1
	fi
done
mv "$tmp" "$DEST"
printf '%s\n' "$@" > "$STAMP"
