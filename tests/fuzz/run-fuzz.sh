#!/bin/sh
# SPDX-License-Identifier: MIT
# Run libFuzzer harnesses for a bounded time each:
#   run-fuzz.sh SECONDS WORKDIR HARNESS...
# HARNESS is build/fuzz/fuzz_<target>. Its seeds (tests/fuzz/corpus/
# <target>) are copied into WORKDIR/corpus/<target>, which the run grows;
# the repository is never written. A crash, leak or timeout leaves its
# input in WORKDIR (path printed) and the script fails after running the
# others. One line per harness: executions, corpus size, result.
set -u
secs=$1
work=$2
shift 2
seeds=tests/fuzz/corpus
failed=0
for bin in "$@"; do
	name=${bin##*/}
	target=${name#fuzz_}
	corpus=$work/corpus/$target
	log=$work/$name.log
	mkdir -p "$corpus"
	cp -R "$seeds/$target/." "$corpus/"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/$target-" \
		"$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	[ -n "$execs" ] ||
		execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")
	ninputs=$(find "$corpus" -type f | wc -l)
	if [ "$rc" -eq 0 ]; then
		printf '  %-14s %10s execs in %ss, corpus %s: ok\n' \
			"$name" "${execs:-?}" "$secs" "$ninputs"
		continue
	fi
	failed=$((failed + 1))
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
	printf '  %-14s FAILED (exit %s) after %s execs\n' "$name" "$rc" \
		"${execs:-?}"
	grep -m 3 -E 'ERROR:|invariant broken|runtime error|panic:' "$log" |
		sed 's/^/    /'
	printf '    input: %s\n    log:   %s\n' "${crash:-?}" "$log"
	[ -n "$crash" ] &&
		printf '    rerun: %s %s\n' "$bin" "$crash"
done
[ "$failed" -eq 0 ]
