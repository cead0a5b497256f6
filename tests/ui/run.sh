#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Browser tests of the web UI: a real wgportal (local backend with wireguard-go, the RouterOS and
# pfSense simulators as further backends) in a private network namespace "wgpw<pid>", driven by
# Debian's /usr/bin/chromium through playwright-core. TAP output ("ok N - ...", "1..N"), exit 1
# on any failure. Needs root (network namespace, wireguard-go).
#
# Env: WGPORTAL_BIN (default build/wgportal)
#      WGPORTAL_WEB_ROOT (default empty: the UI embedded into the binary, which is what ships; a
#                         directory such as ui/dist serves it from disk, built here when missing)
#      UI_PERF_PEERS (default 10000): size of the interface for the timing measurement
set -u
cd "$(dirname "$0")/../.." || exit 1

export WGPORTAL_BIN=${WGPORTAL_BIN:-build/wgportal}
export WGPORTAL_WEB_ROOT=${WGPORTAL_WEB_ROOT-}
export UI_TAG=$$
NS="wgpw$$"
export UI_NS=$NS
# A missing prerequisite is a failing test line, never a silent skip: scripts/install-deps.sh
# test installs chromium, and make builds the UI.
bail() { echo "not ok 1 - browser tests cannot run: $*"; echo "1..1"; exit 1; }

[ "$(id -u)" -eq 0 ] || bail "needs root (network namespace, wireguard-go)"
[ -x /usr/bin/chromium ] || bail "/usr/bin/chromium missing: apt-get install -y chromium (scripts/install-deps.sh test)"
[ -x "$WGPORTAL_BIN" ] || bail "$WGPORTAL_BIN missing: run make"
command -v node >/dev/null || bail "node missing"

tests/lib/npm-ci-once.sh tests/ui playwright-core >&2 || bail "npm ci in tests/ui failed"
if [ -n "$WGPORTAL_WEB_ROOT" ] && [ ! -f "$WGPORTAL_WEB_ROOT/index.html" ]; then
	(cd ui && { [ -d node_modules ] || timeout 300 npm ci --no-audit --no-fund --loglevel=error; } &&
		timeout 300 npm run build --silent) >&2 || bail "building ui/dist failed"
fi

TMP=$(mktemp -d "/tmp/wgpw$$.XXXXXX") || bail "mktemp failed"
export UI_TMP=$TMP

. tests/lib/netns.sh
cleanup()
{
	netns_remove "$NS"
	rm -f /var/run/wireguard/wgpw"$UI_TAG"*.sock
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS" || bail "ip netns add $NS failed"
ip -n "$NS" link set lo up || bail "loopback up in $NS failed"

# The whole browser run is bounded; the test's own waits are bounded much tighter.
timeout -k 10 900 ip netns exec "$NS" node tests/ui/main.mjs
