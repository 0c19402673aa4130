#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetch the lwIP 2.1.x source from Debian's source package into DEST
# (default build/lwip-src) and write DEST/.fetched with the version. The
# tree is upstream's own: Debian's patches (a POSIX port, Hurd socket
# glue) are not applied (dpkg-source --skip-patches); ours are applied to
# a copy by tools/patch-lwip.sh. Nothing is fetched when DEST/.fetched
# exists. apt needs deb-src entries: tools/deps.sh
# derives them from the machine's apt sources and is run when the
# package is not found.
#
#   tools/fetch-lwip.sh [DEST]
set -eu

DEST=${1:-build/lwip-src}
STAMP="$DEST/.fetched"
PKG=lwip
WANT_VERSION='^2\.1\.' # upstream versions we were written against

[ -f "$STAMP" ] && exit 0

here=$(cd "$(dirname "$0")" && pwd)
if ! apt-cache showsrc "$PKG" 2>/dev/null | grep -q '^Package:'; then
	echo "fetch-lwip: no deb-src entry for $PKG; running tools/deps.sh"
	"$here/deps.sh"
fi

dl="$DEST.download"
rm -rf "$dl" "$DEST"
mkdir -p "$dl"
echo "fetch-lwip: apt-get source $PKG into $dl"
# apt verifies the .dsc and tarballs against the signed Sources index.
(cd "$dl" && apt-get source --download-only -qq "$PKG" 2>&1 |
	grep -v 'Download is performed unsandboxed' || true)
dsc=$(ls "$dl"/"$PKG"_*.dsc 2>/dev/null | head -n 1)
if [ -z "$dsc" ]; then
	echo "fetch-lwip: apt-get source $PKG downloaded nothing" >&2
	exit 1
fi
# Debian's uploader key is not in the keyring; apt checked the hashes.
dpkg-source -q --skip-patches -x "$dsc" "$dl/tree" 2>&1 | grep -v '^gpgv:' || true
[ -d "$dl/tree/src" ] || { echo "fetch-lwip: unpacking failed" >&2; exit 1; }

init_h="$dl/tree/src/include/lwip/init.h"
ver=$(tr -d '\r' < "$init_h" |
	awk '/#define LWIP_VERSION_(MAJOR|MINOR|REVISION)[ \t]/ {
		v = v sep $3; sep = "." } END { print v }')
if ! echo "$ver" | grep -q "$WANT_VERSION"; then
	echo "fetch-lwip: got lwIP '$ver', need 2.1.x" >&2
	exit 1
fi
for f in src/Filelists.mk src/core/init.c src/netif/ethernet.c; do
	[ -f "$dl/tree/$f" ] || { echo "fetch-lwip: $f missing" >&2; exit 1; }
done

mv "$dl/tree" "$DEST"
rm -rf "$dl"
echo "$ver $(basename "$dsc")" > "$STAMP"
echo "fetch-lwip: lwIP $ver in $DEST"
