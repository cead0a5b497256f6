#!/usr/bin/env bash
# Runs every libFuzzer target in build/fuzz/ (make fuzz) for SECONDS each (default 60), one
# after the other, and prints per target the inputs tried, the corpus size and whether it
# found anything. Seeds: tests/fuzz/seeds/<target>/ plus the recorded device replies and
# configs of tests/data/; the growing corpus lives in build/fuzz-corpus/<target>/ and any
# crash input in build/fuzz-findings/. Exit status 1 when a target found a crash or a leak.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
set -u
cd "$(dirname "$0")/../.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=($(cd build/fuzz 2>/dev/null && ls fuzz_* | grep -v '\.' ))
if [ ${#targets[@]} -eq 0 ]; then
	echo "no fuzz targets: run 'make fuzz' first"
	exit 1
fi
mkdir -p build/fuzz-corpus build/fuzz-findings build/test-logs
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
found=0
for t in "${targets[@]}"; do
	corpus=build/fuzz-corpus/$t
	mkdir -p "$corpus"
	case $t in
	fuzz_mikrotik_reply) seeds=tests/data/mikrotik ;;
	fuzz_pfsense_reply) seeds=tests/data/pfsense ;;
	fuzz_config) seeds=tests/data/config ;;
	*) seeds=tests/fuzz/seeds/$t ;;
	esac
	[ -d "$seeds" ] && cp -n "$seeds"/* "$corpus"/ 2>/dev/null
	log=build/test-logs/fuzz-$t.log
	build/fuzz/$t -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="build/fuzz-findings/$t-" "$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	echo "$t: ${execs:-?} inputs in ${secs} s, corpus $(ls "$corpus" | wc -l) files, exit $rc"
	if [ "$rc" -ne 0 ]; then
		found=1
		grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -5 | sed 's/^/    /'
	fi
done
exit $found
