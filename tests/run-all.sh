#!/usr/bin/env bash
# Runs every suite and prints one closing line "N passed, N failed".
# Each suite speaks TAP ("ok N - name" / "not ok N - name"); cmocka binaries run with
# CMOCKA_MESSAGE_OUTPUT=TAP. A suite that dies without a plan counts as one failure.
# Suites: unit tests (plain and ASan+UBSan builds), then tests/api/*.py and tests/netns/*.sh
# (root; network namespaces with wireguard-go) against both daemons, then the simulators'
# self-tests in tests/sim/, then the browser tests of the web UI (tests/ui/run.sh), then the
# store and API suites again against a real PostgreSQL and a real MariaDB server
# (tests/db/run_engine.py; the two engines run in parallel, each with its own server).
set -u
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CMOCKA_MESSAGE_OUTPUT=TAP
passed=0 failed=0
logdir=build/test-logs
mkdir -p "$logdir"

run_suite() { # name, command...
	local name=$1; shift
	local log="$logdir/$(echo "$name" | tr '/ ' '__').log"
	echo "== $name"
	"$@" >"$log" 2>&1
	local rc=$?
	local p f
	p=$(grep -cE '^ok [0-9]+' "$log")
	f=$(grep -cE '^not ok [0-9]+' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "   suite exited with status $rc without a failing test line (crash?)"
	fi
	grep -E '^not ok [0-9]+' "$log" | sed 's/^/   /'
	if [ "$f" -ne 0 ] || [ "$rc" -ne 0 ]; then
		echo "   --- last lines of $log:"; tail -n 25 "$log" | sed 's/^/   | /'
	fi
	echo "   $p passed, $f failed"
	passed=$((passed + p)); failed=$((failed + f))
}

for t in build/tests/test_*; do
	[ -x "$t" ] && [ "${t%.d}" = "$t" ] && run_suite "unit/$(basename "$t")" "$t"
done
for t in build/san/tests/test_*; do
	[ -x "$t" ] && [ "${t%.d}" = "$t" ] && run_suite "unit-asan/$(basename "$t")" "$t"
done
# Daemon-level suites run against the plain and the ASan+UBSan daemon (WGPORTAL_BIN).
for bin in build/wgportal build/san/wgportal; do
	flavour=$([ "$bin" = build/wgportal ] && echo plain || echo asan)
	for t in tests/api/test_*.py; do
		[ -f "$t" ] && run_suite "api-$flavour/$(basename "$t")" env WGPORTAL_BIN="$bin" python3 "$t"
	done
	for t in tests/netns/test_*.sh; do
		[ -f "$t" ] && run_suite "netns-$flavour/$(basename "$t")" env WGPORTAL_BIN="$bin" bash "$t"
	done
done
for t in tests/sim/test_*.py; do
	[ -f "$t" ] && run_suite "sim/$(basename "$t")" python3 "$t"
done
# Browser tests of the web UI (headless chromium, the UI embedded in the plain daemon).
[ -f tests/ui/run.sh ] && run_suite "ui/run.sh" env WGPORTAL_BIN=build/wgportal bash tests/ui/run.sh

# The database engines: independent of each other (own server, own namespace per daemon), so
# both run at once; their results are counted in order once both have finished.
engine_pids=()
for engine in postgres mysql; do
	run_suite "db/$engine" python3 tests/db/run_engine.py "$engine" >"$logdir/db-$engine.summary" &
	engine_pids+=($!)
done
for i in "${!engine_pids[@]}"; do
	wait "${engine_pids[$i]}"
done
for engine in postgres mysql; do
	cat "$logdir/db-$engine.summary"
	p=$(sed -n 's/^   \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$logdir/db-$engine.summary")
	f=$(sed -n 's/^   \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$logdir/db-$engine.summary")
	passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1}))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
