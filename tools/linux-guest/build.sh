#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the Linux baseline guest from Debian packages only, without root:
#   tools/linux-guest/build.sh [OUT_DIR]          (default build/linux-guest)
# Produces OUT_DIR/vmlinuz (Debian's kernel) and OUT_DIR/initramfs.cpio.gz
# (busybox-static, nginx with the shared libraries it needs and the
# dynamic loader, the virtio modules, /init and nginx.conf from this
# folder). Boot with: -kernel vmlinuz -initrd initramfs.cpio.gz -append
# "console=ttyS0 petrel.ip=10.77.0.2/24" and the site image as /dev/vda.
#
# Packages are fetched with `apt-get download` into OUT_DIR/debs once and
# reused; the initramfs is rebuilt only when an input changed.
# LINUX_FLAVOUR=cloud (default) or generic picks the kernel package.
# Exit status: 0 built, 1 error, 2 packages could not be downloaded.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/linux-guest}
flavour=${LINUX_FLAVOUR:-cloud}
case "$flavour" in
cloud) meta=linux-image-cloud-amd64 ;;
generic) meta=linux-image-amd64 ;;
*) echo "linux-guest: LINUX_FLAVOUR=$flavour: cloud or generic" >&2; exit 1 ;;
esac
# The modules /init loads (skipped when built in); their dependencies are
# added from .modinfo. ext4 mounts the ext2 image; it checksums with crc32c.
MODULES="virtio_pci virtio_blk virtio_net ext4 crc32c_generic"
# nginx's Depends that the guest does not need.
SKIP_DEPS="iproute2"

debs=$out/debs
mkdir -p "$debs"
debs=$(cd "$debs" && pwd)
out=$(dirname "$debs")

err() { echo "linux-guest: $*" >&2; exit 1; }

# fetch PACKAGE: download its .deb into $debs unless one is there already.
fetch() {
	for f in "$debs/$1"_*.deb; do
		[ -e "$f" ] && return 0
	done
	sandbox=""
	[ "$(id -u)" -eq 0 ] && sandbox="-o APT::Sandbox::User=root"
	# shellcheck disable=SC2086
	if ! (cd "$debs" && apt-get -q download $sandbox "$1") \
		>"$out/apt.log" 2>&1; then
		cat "$out/apt.log" >&2
		echo "linux-guest: cannot download $1" >&2
		exit 2
	fi
}

deb_of() {
	for f in "$debs/$1"_*.deb; do
		[ -e "$f" ] && { echo "$f"; return 0; }
	done
	err "no .deb for $1"
}

# deps_of DEB: the package names of its Depends (versions, alternatives
# after the first and :arch qualifiers dropped).
deps_of() {
	dpkg-deb -f "$1" Depends | tr ',' '\n' |
		sed -e 's/|.*//' -e 's/(.*)//' -e 's/:.*//' -e 's/ //g' |
		grep -v '^$' | sort -u
}

# 1. Packages: the kernel (through its metapackage), busybox, nginx and
# nginx's library packages.
fetch "$meta"
kpkg=$(deps_of "$(deb_of "$meta")" | grep '^linux-image-[0-9]' | head -n 1)
[ -n "$kpkg" ] || err "$meta names no linux-image-VERSION package"
fetch "$kpkg"
fetch busybox-static
fetch nginx
pkgs="$kpkg busybox-static nginx"
for d in $(deps_of "$(deb_of nginx)"); do
	case " $SKIP_DEPS " in *" $d "*) continue ;; esac
	fetch "$d"
	pkgs="$pkgs $d"
done

# 2. Skip the rest when the outputs are newer than every input.
initrd=$out/initramfs.cpio.gz
kernel=$out/vmlinuz
stamp=$out/inputs.txt
inputs=$(for p in $pkgs; do basename "$(deb_of "$p")"; done;
	cat "$here/build.sh" "$here/init" "$here/nginx.conf" \
		"$here/mkcpio.py" | cksum)
if [ -e "$initrd" ] && [ -e "$kernel" ] && [ -e "$stamp" ] &&
	[ "$(cat "$stamp")" = "$inputs" ]; then
	echo "linux-guest: up to date ($out)"
else
	# 3. Unpack every package into one tree.
	tree=$out/tree
	rm -rf "$tree"
	mkdir -p "$tree"
	for p in $pkgs; do
		dpkg-deb -x "$(deb_of "$p")" "$tree"
	done
	kver=${kpkg#linux-image-}
	moddir=$tree/lib/modules/$kver
	[ -e "$tree/boot/vmlinuz-$kver" ] || err "no vmlinuz-$kver in $kpkg"

	# 4. Stage the initramfs.
	stage=$out/stage
	rm -rf "$stage"
	mkdir -p "$stage"
	(cd "$stage" && mkdir -p bin sbin usr/bin usr/sbin etc/nginx dev \
		proc sys run tmp srv/site var/lib/nginx var/log/nginx \
		"lib/modules/$kver")
	chmod 1777 "$stage/tmp"
	cp "$tree/bin/busybox" "$stage/bin/busybox"
	for app in $("$stage/bin/busybox" --list-full); do
		[ -e "$stage/$app" ] || ln -s /bin/busybox "$stage/$app"
	done
	install -m 755 "$here/init" "$stage/init"
	cp "$tree/usr/sbin/nginx" "$stage/usr/sbin/nginx"
	cp "$here/nginx.conf" "$stage/etc/nginx/nginx.conf"
	cp "$tree/etc/nginx/mime.types" "$stage/etc/nginx/mime.types"
	printf 'root:x:0:0:root:/root:/bin/sh\n%s\n' \
		'www-data:x:33:33:www-data:/var/www:/bin/false' \
		>"$stage/etc/passwd"
	printf 'root:x:0:\nwww-data:x:33:\n' >"$stage/etc/group"
	printf 'passwd: files\ngroup: files\n' >"$stage/etc/nsswitch.conf"

	# Shared libraries: the DT_NEEDED closure of nginx, looked up in the
	# unpacked packages only, plus the interpreter it names.
	libdirs="lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu"
	interp=$(readelf -l "$tree/usr/sbin/nginx" |
		sed -n 's/.*interpreter: \(.*\)]/\1/p')
	[ -n "$interp" ] || err "nginx names no program interpreter"
	todo="$tree/usr/sbin/nginx"
	done_libs=" "
	while [ -n "$todo" ]; do
		next=""
		for elf in $todo; do
			for lib in $(readelf -d "$elf" |
				sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
				case "$done_libs" in *" $lib "*) continue ;; esac
				found=""
				for d in $libdirs; do
					[ -e "$tree/$d/$lib" ] && found=$d/$lib && break
				done
				[ -n "$found" ] || err "$lib (needed by $elf) not in the packages"
				mkdir -p "$stage/$(dirname "$found")"
				cp -L "$tree/$found" "$stage/$found"
				done_libs="$done_libs$lib "
				next="$next $tree/$found"
			done
		done
		todo=$next
	done
	mkdir -p "$stage/$(dirname "$interp")"
	cp -L "$tree$interp" "$stage$interp"

	# Modules: the closure of MODULES over .modinfo "depends=", written to
	# /etc/modules.load dependencies first.
	: >"$stage/etc/modules.load"
	loaded=" "
	# (No `local` in POSIX sh: the recursion keeps its state in "$@".)
	add_module() {
		case "$loaded" in *" $1 "*) return 0 ;; esac
		ko=$(find "$moddir/kernel" \( -name "$1.ko" -o \
			-name "$(echo "$1" | tr _ -).ko" \) | head -n 1)
		if [ -z "$ko" ]; then
			grep -q "/$1.ko\$" "$moddir/modules.builtin" && return 0
			err "module $1 is neither in $kpkg nor built in"
		fi
		loaded="$loaded$1 "
		set -- "$1" "${ko#"$moddir"/}" "$(readelf -p .modinfo "$ko" |
			sed -n 's/.*depends=\(.*\)$/\1/p' | tr ',-' ' _')"
		for dep in $3; do
			add_module "$dep"
		done
		mkdir -p "$stage/lib/modules/$kver/$(dirname "$2")"
		cp "$moddir/$2" "$stage/lib/modules/$kver/$2"
		echo "$2" >>"$stage/etc/modules.load"
	}
	for m in $MODULES; do
		add_module "$m"
	done

	# 5. Pack.
	python3 "$here/mkcpio.py" "$stage" "$initrd"
	cp "$tree/boot/vmlinuz-$kver" "$kernel"
	echo "$kpkg" >"$out/kernel-package.txt"
	echo "$inputs" >"$stamp"
	rm -rf "$tree"
	echo "linux-guest: built from $pkgs"
fi

ksize=$(stat -c %s "$kernel")
isize=$(stat -c %s "$initrd")
echo "linux-guest: kernel $(cat "$out/kernel-package.txt") $kernel" \
	"$((ksize / 1024)) KiB"
echo "linux-guest: initramfs $initrd $((isize / 1024)) KiB" \
	"(unpacked $(du -sk "$out/stage" | cut -f1) KiB)"
echo "linux-guest: total $(((ksize + isize) / 1024)) KiB"
