#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: tests/lib/npm-ci-once.sh DIR PACKAGE
# Installs DIR's npm dependencies (npm ci) unless DIR/node_modules/PACKAGE is already there from
# a finished install. Suites run in parallel (tests/run-all.sh) and several of them need the
# same folder; npm ci first deletes node_modules, so two at once break each other. The lock
# makes the first one install and the others wait for it and find the result.
set -eu
dir=$1 pkg=$2
exec 9>"$dir/.npm-ci.lock"
flock -w 600 9
# npm writes node_modules/.package-lock.json when an install has finished
if [ -e "$dir/node_modules/$pkg" ] && [ -f "$dir/node_modules/.package-lock.json" ]; then
	exit 0
fi
cd "$dir"
exec timeout 300 npm ci --no-audit --no-fund --loglevel=error
