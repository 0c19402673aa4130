#!/bin/sh
# SPDX-License-Identifier: MIT
# Run cmocka test binaries, show the output of failing ones, and end with
# one summary line "unit: N passed, M failed".
set -u
passed=0
failed=0
for t in "$@"; do
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1)
	rc=$?
	p=$(printf '%s\n' "$out" | grep -c '^ok ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok ')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed or sanitizer abort before reporting
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		printf '%s\n' "--- $t (exit $rc)" "$out"
	else
		printf '  %-40s %d passed\n' "${t##*/}" "$p"
	fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
