#!/bin/sh
# SPDX-License-Identifier: MIT
# Install everything the build, the tests and the benchmarks need on
# Debian bookworm. Idempotent: silent and quick when all is present.
set -eu

PACKAGES="
	build-essential binutils gcc make gdb
	qemu-system-x86 qemu-utils
	grub-pc-bin grub-common xorriso mtools
	e2fsprogs
	libcmocka-dev python3 python3-pytest
	iproute2 wrk curl
	clang-format cppcheck
	clang libclang-rt-14-dev
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "deps: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
