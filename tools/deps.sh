#!/bin/sh
# SPDX-License-Identifier: MIT
# Install everything the build, the tests and the benchmarks need on
# Debian bookworm. Idempotent: silent and quick when all is present.
set -eu

# chromium runs headless in the live view test (tests/integration/
# test_liveview.py), inside the test's namespace.
PACKAGES="
	build-essential binutils gcc make gdb
	qemu-system-x86 qemu-utils
	grub-pc-bin grub-common xorriso mtools
	e2fsprogs
	libcmocka-dev python3 python3-pytest
	iproute2 nftables iputils-ping wrk httperf curl tcpdump
	clang-format cppcheck dpkg-dev patch
	clang libclang-rt-14-dev
	nginx gnuplot-nox haproxy
	chromium
"

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

# lwIP comes from Debian's source package (tools/fetch-lwip.sh), so apt
# needs deb-src entries. They are derived from the machine's own deb822
# sources (same URIs, suites, components and keys), in a file of ours.
SRC_LIST=/etc/apt/sources.list.d/petrel-deb-src.sources
enable_deb_src() {
	[ -e "$SRC_LIST" ] && return 0
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] && [ "$f" != "$SRC_LIST" ] || continue
		# Keep each stanza's fields, turn Types: deb into deb-src.
		awk '/^Types:/ { print "Types: deb-src"; next } { print }' "$f"
		echo
	done > /tmp/petrel-deb-src.$$
	if [ -f /etc/apt/sources.list ]; then
		sed -n 's/^deb \(.*\)$/deb-src \1/p' /etc/apt/sources.list \
			> /tmp/petrel-deb-src-list.$$
		if [ -s /tmp/petrel-deb-src-list.$$ ]; then
			$SUDO cp /tmp/petrel-deb-src-list.$$ \
				/etc/apt/sources.list.d/petrel-deb-src.list
		fi
		rm -f /tmp/petrel-deb-src-list.$$
	fi
	if ! grep -q '^Types: deb-src' /tmp/petrel-deb-src.$$ &&
		[ ! -e /etc/apt/sources.list.d/petrel-deb-src.list ]; then
		echo "deps: no Debian apt sources found to derive deb-src from" >&2
		rm -f /tmp/petrel-deb-src.$$
		return 1
	fi
	$SUDO cp /tmp/petrel-deb-src.$$ "$SRC_LIST"
	rm -f /tmp/petrel-deb-src.$$
	echo "deps: enabled deb-src in $SRC_LIST"
	$SUDO apt-get update -qq
}
enable_deb_src

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
$SUDO apt-get update -qq
# nginx is only run by the benchmark (tools/bench/hostref.py, its own
# prefix and config, inside a namespace): keep the package's maintainer
# scripts from starting a system-wide nginx on port 80. A policy-rc.d
# that is already there (containers ship one) is left as it is.
POLICY=/usr/sbin/policy-rc.d
ours=""
if [ ! -e "$POLICY" ]; then
	printf '#!/bin/sh\nexit 101\n' > /tmp/petrel-policy-rc.d.$$
	$SUDO install -m 755 /tmp/petrel-policy-rc.d.$$ "$POLICY"
	rm -f /tmp/petrel-policy-rc.d.$$
	ours=1
fi
status=0
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null || status=$?
[ -n "$ours" ] && $SUDO rm -f "$POLICY"
exit "$status"
