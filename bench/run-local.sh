#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Local backend benchmark in a private network namespace (root, wireguard-go, wg).
# Prints "apply_10k: ..." and "get_10k: ..." lines with ratios against wireguard-tools.
set -eu
cd "$(dirname "$0")/.."
NS="wgpl$$-bench" IA="wgl$$ba" IB="wgl$$bb"
cleanup() {
	local pid
	for pid in $(ip netns pids "$NS" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
	ip netns del "$NS" 2>/dev/null || true
	rm -f "/var/run/wireguard/$IA.sock" "/var/run/wireguard/$IB.sock"
}
trap cleanup EXIT
make --no-print-directory -s build/bench/bench_local
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
timeout 300 ip netns exec "$NS" build/bench/bench_local "$IA" "$IB" "${1:-10000}"
