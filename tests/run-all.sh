#!/usr/bin/env bash
# Runs every suite and prints one closing line "N passed, N failed" (exit status 1 when anything
# failed). Each suite speaks TAP ("ok N - name" / "not ok N - name"); cmocka binaries run with
# CMOCKA_MESSAGE_OUTPUT=TAP. A suite that exits non-zero without a failing line counts as one
# failure (a crash), and so does a suite that runs longer than SUITE_TIMEOUT seconds.
#
# Suites: unit tests (plain and ASan+UBSan builds), tests/api/*.py and tests/netns/*.sh against
# both daemons, the simulators' self-tests (tests/sim/), the browser tests (tests/ui/run.sh) and
# any tests/*/suite-*.sh that a subsystem adds (e.g. the database engines).
#
# Independent suites run in parallel, TEST_JOBS at a time (default: cores + 1, since most suites
# wait on simulated latency, timers or child processes rather than compute). As root, each suite
# runs in a network namespace of its own (unshare -n, loopback up), so the fixed loopback ports
# that simulators and daemons use can never collide between two suites running at once; the
# suites that build their own namespaces (ip netns add) still do so from inside it. The
# slowest suites (by the durations of the previous run, kept in build/test-logs/durations) start
# first. TEST_FILTER=regex runs only the suites whose name matches.
set -u
cd "$(dirname "$0")/.." || exit 1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# third-party leaks only, each explained in the file
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp}
export CMOCKA_MESSAGE_OUTPUT=TAP
logdir=build/test-logs
mkdir -p "$logdir"
jobs=${TEST_JOBS:-$(( $(nproc 2>/dev/null || echo 2) + 1 ))}
suite_timeout=${SUITE_TIMEOUT:-1500}
durations=$logdir/durations
filter=${TEST_FILTER:-}

isolate=()
if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
	isolate=(unshare -n sh -c 'ip link set lo up 2>/dev/null; exec "$@"' suite)
fi

names=() cmds=()
add() { # name, command...
	local name=$1; shift
	[ -n "$filter" ] && ! [[ $name =~ $filter ]] && return
	names+=("$name")
	cmds+=("$(printf '%q ' "$@")")
}

for t in build/tests/test_*; do
	[ -x "$t" ] && [ "${t%.d}" = "$t" ] && add "unit/$(basename "$t")" "$t"
done
for t in build/san/tests/test_*; do
	[ -x "$t" ] && [ "${t%.d}" = "$t" ] && add "unit-asan/$(basename "$t")" "$t"
done
# Daemon-level suites run against the plain and the ASan+UBSan daemon (WGPORTAL_BIN).
for bin in build/wgportal build/san/wgportal; do
	flavour=$([ "$bin" = build/wgportal ] && echo plain || echo asan)
	for t in tests/api/test_*.py; do
		[ -f "$t" ] && add "api-$flavour/$(basename "$t")" env WGPORTAL_BIN="$bin" python3 "$t"
	done
	for t in tests/netns/test_*.sh; do
		[ -f "$t" ] && add "netns-$flavour/$(basename "$t")" env WGPORTAL_BIN="$bin" bash "$t"
	done
done
for t in tests/sim/test_*.py; do
	[ -f "$t" ] && add "sim/$(basename "$t")" python3 "$t"
done
for t in tests/*/suite-*.sh; do
	[ -f "$t" ] && add "$(basename "$(dirname "$t")")/$(basename "$t")" bash "$t"
done
# Browser tests of the web UI (headless chromium, the UI embedded in the plain daemon).
[ -f tests/ui/run.sh ] && add "ui/run.sh" env WGPORTAL_BIN=build/wgportal bash tests/ui/run.sh

# Longest first (unknown suites count as long, so a new suite never starts last).
order=()
while read -r _ i; do order+=("$i"); done < <(
	for i in "${!names[@]}"; do
		d=$(awk -v n="${names[$i]}" '$2 == n { print $1 }' "$durations" 2>/dev/null | tail -n 1)
		echo "${d:-100000} $i"
	done | sort -rn -k1,1)

logname() { echo "$logdir/$(echo "$1" | tr '/ ' '__').log"; }

run_one() { # index: runs the suite, writes its log and a result line "rc seconds"
	local i=$1 log start
	log=$(logname "${names[$i]}")
	start=$(date +%s)
	eval "timeout -k 10 $suite_timeout ${isolate[*]:+$(printf '%q ' "${isolate[@]}")}${cmds[$i]}" \
		>"$log" 2>&1 </dev/null
	echo "$? $(( $(date +%s) - start ))" >"$log.result"
}

report() { # index: prints the suite's summary, adds its counts
	local i=$1 name=${names[$1]} log rc secs p f
	log=$(logname "$name")
	read -r rc secs <"$log.result"
	p=$(grep -cE '^ok [0-9]+' "$log")
	f=$(grep -cE '^not ok [0-9]+' "$log")
	echo "== $name (${secs} s)"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		f=$((f + 1))
		echo "   suite did not finish within $suite_timeout s"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "   suite exited with status $rc without a failing test line (crash?)"
	fi
	grep -E '^not ok [0-9]+' "$log" | sed 's/^/   /'
	if [ "$f" -ne 0 ] || [ "$rc" -ne 0 ]; then
		echo "   --- last lines of $log:"; tail -n 25 "$log" | sed 's/^/   | /'
	fi
	echo "   $p passed, $f failed"
	passed=$((passed + p)); failed=$((failed + f))
	echo "$secs $name" >>"$durations.new"
}

passed=0 failed=0
rm -f "$durations.new"
declare -A running=()
started=$(date +%s)
for i in "${order[@]}"; do
	while [ "${#running[@]}" -ge "$jobs" ]; do
		wait -n 2>/dev/null
		for pid in "${!running[@]}"; do
			kill -0 "$pid" 2>/dev/null && continue
			wait "$pid" 2>/dev/null; report "${running[$pid]}"; unset "running[$pid]"
		done
	done
	rm -f "$(logname "${names[$i]}").result"
	run_one "$i" &
	running[$!]=$i
done
for pid in "${!running[@]}"; do
	wait "$pid" 2>/dev/null; report "${running[$pid]}"
done
# Keep the durations of suites that did not run this time (TEST_FILTER) for the next ordering.
if [ -f "$durations.new" ]; then
	[ -f "$durations" ] && awk 'NR == FNR { seen[$2] = 1; next } !($2 in seen)' \
		"$durations.new" "$durations" >>"$durations.new"
	mv "$durations.new" "$durations"
fi
echo "wall time $(( $(date +%s) - started )) s, $jobs suites at a time"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
