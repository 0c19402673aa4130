#!/bin/sh
# SPDX-License-Identifier: MIT
# Make one network-stack instance from the relocatable stack object
# (lwIP plus the per-instance part of net/, linked with `ld -r`): every
# symbol gets PREFIX, so each instance has its own copy of lwIP's global
# state, then every symbol the stack only references (the kernel's
# kmalloc, iobuf_*, virtq_*...) gets its own name back, so all
# instances share the rest of the kernel. An instance must not carry
# init calls: they would run once per instance (net/net.c starts them).
#   tools/net-instance.sh STACK.o OUT.o PREFIX
set -eu
in=${1:?usage: net-instance.sh STACK.o OUT.o PREFIX}
out=${2:?usage: net-instance.sh STACK.o OUT.o PREFIX}
prefix=${3:?usage: net-instance.sh STACK.o OUT.o PREFIX}
objcopy=${OBJCOPY:-objcopy}
nm=${NM:-nm}
readelf=${READELF:-readelf}

if "$readelf" -SW "$in" | grep -q ' \.initcall'; then
	echo "net-instance: $in has init calls; a per-instance file must" \
		"be started by net/netinst.c, not INITCALL" >&2
	exit 1
fi
syms="$out.redefine"
"$nm" -u "$in" | awk -v p="$prefix" '{ print p $2, $2 }' > "$syms"
"$objcopy" --prefix-symbols="$prefix" "$in" "$out.tmp"
"$objcopy" --redefine-syms="$syms" "$out.tmp" "$out"
rm -f "$out.tmp" "$syms"
