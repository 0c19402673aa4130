#!/bin/sh
# SPDX-License-Identifier: MIT
# Emit the .ksyms assembly for kernel/core/ksyms.c from an ELF's text symbols.
# Usage: gen-ksyms.sh kernel.elf > ksyms.S   (or --empty for the first link)
set -eu
if [ "$1" = "--empty" ]; then
	nm_out=""
else
	nm_out=$(${NM:-nm} -n --defined-only "$1" | awk '$2 ~ /^[tTwW]$/')
fi
printf '\t.section .ksyms, "a"\n\t.balign 8\n'
printf '\t.globl ksyms_count, ksyms_addrs, ksyms_name_offsets, ksyms_names\n'
printf '%s\n' "$nm_out" | awk '
BEGIN { n = 0 }
NF == 3 { addr[n] = $1; name[n] = $3; n++ }
END {
	printf "ksyms_count:\n\t.quad %d\nksyms_addrs:\n", n
	for (i = 0; i < n; i++) printf "\t.quad 0x%s\n", addr[i]
	printf "ksyms_name_offsets:\n"
	off = 0
	for (i = 0; i < n; i++) { printf "\t.long %d\n", off; off += length(name[i]) + 1 }
	printf "ksyms_names:\n"
	for (i = 0; i < n; i++) printf "\t.asciz \"%s\"\n", name[i]
	if (n == 0) printf "\t.byte 0\n"
}'
