#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Web UI benchmark (bench/bench_ui.mjs) in a private network namespace "wgpw<pid>z": headless
# /usr/bin/chromium through playwright-core (tests/ui/node_modules, npm ci when missing) against
# wgportal with a BENCH_UI_PEERS-peer (default 10000) wireguard-go interface and the RouterOS and
# pfSense simulators. Ports 19620-19623 inside the namespace. Prints "name: value" figures; with
# BENCH_UI_SUMMARY=FILE also writes them there (bench/run.sh). Needs root.
# Env: WGPORTAL_BIN (default build/wgportal), BENCH_UI_PEERS, BENCH_UI_SESSIONS (20),
#      BENCH_UI_POLL_S (30 s of RSS sampling while the sessions poll).
set -u
cd "$(dirname "$0")/.." || exit 1

export WGPORTAL_BIN=${WGPORTAL_BIN:-build/wgportal}
export WGPORTAL_WEB_ROOT=""     # the embedded UI: what ships, gzip copies made at build time
export UI_PORT_BASE=19620
export UI_LOG_PREFIX=bench-ui   # build/test-logs/bench-ui-*.log
export UI_TAG=$$
NS="wgpw$$z"
die() { echo "bench_ui: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (network namespace, wireguard-go)"
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium missing (scripts/install-deps.sh test)"
[ -x "$WGPORTAL_BIN" ] || die "$WGPORTAL_BIN missing: run make"
if [ ! -d tests/ui/node_modules/playwright-core ]; then
	(cd tests/ui && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >&2 || die "npm ci in tests/ui failed"
fi
TMP=$(mktemp -d "/tmp/wgpw$$z.XXXXXX")
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

ip netns add "$NS" || die "ip netns add $NS failed"
ip -n "$NS" link set lo up || die "loopback up in $NS failed"
# one address per polling browser session (bench_ui.mjs); the daemon listens on all addresses
# of this private namespace
for i in $(seq 1 20); do ip -n "$NS" addr add "10.93.0.$i/32" dev lo || die "address 10.93.0.$i"; done
export UI_LISTEN=0.0.0.0 BENCH_UI_HOSTS=1
timeout -k 10 600 ip netns exec "$NS" node bench/bench_ui.mjs
