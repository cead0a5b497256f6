#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make test's share of fuzzing (tests/run-all.sh picks up tests/*/suite-*.sh): builds the
# libFuzzer targets (make fuzz, clang-14) and runs each for FUZZ_SECONDS (default 15) from its
# seeds (tests/fuzz/run.sh), one TAP line per target. A crash, a leak or a sanitizer report is a
# failure naming the saved input in build/fuzz-findings/. `make fuzz && tests/fuzz/run.sh 600`
# is the long run.
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-15}
if ! command -v "${FUZZ_CC:-clang-14}" >/dev/null; then
	echo "1..1"
	echo "not ok 1 - ${FUZZ_CC:-clang-14} is missing (scripts/install-deps.sh test)"
	exit 1
fi
if ! make --no-print-directory -s fuzz >build/test-logs/fuzz-build.log 2>&1; then
	echo "1..1"
	echo "not ok 1 - make fuzz builds the targets"
	tail -n 5 build/test-logs/fuzz-build.log | sed 's/^/# /'
	exit 1
fi
n=0 failed=0
for t in $(cd build/fuzz && ls fuzz_* | grep -v '\.'); do
	n=$((n + 1))
	line=$(tests/fuzz/run.sh "$secs" "$t" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - ${line%%$'\n'*}"
	else
		failed=$((failed + 1))
		echo "not ok $n - $t found a crash, leak or sanitizer report"
		echo "$line" | sed 's/^/# /'
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
