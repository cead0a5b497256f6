#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/run.sh — every wgportal benchmark; `make bench` calls it. See bench/README.md.
#
#   1. API benchmark (bench/bench_api.py): wgportal in a fresh network namespace wgpb<pid>,
#      local backend on wireguard-go, temp config and database; figures against references
#      measured in the same run (idle wireguard-go, `wg set` per peer).
#   2. bench/run-local.sh (local backend apply/read against wg setconf / wg show dump), when it
#      exists and is executable.
#   3. bench/bench_ui.sh (web UI in headless chromium: first table, search, gzip bytes, RSS with
#      20 sessions), when it exists and is executable.
#   4. bench/bench_mikrotik.py (MikroTik backend against the RouterOS simulator, 1,000 peers,
#      20 ms latency, concurrency 1 and 5: calls per peer vs wg-portal, wall time, in flight),
#      in its own namespace wgpmb<pid>.
#   4b. bench/bench_pfsense.py (pfSense backend against the pfrest simulator: sync of 500 peers
#      at 20 ms latency, HTTP calls, applies and wall time vs wg-portal's sequence), in its own
#      namespace wgpfb<pid>.
#   4c. bench/bench_monitor.py (a ping round over 1,000 local peers with 10 workers vs ping -c1,
#      /metrics render time with 10,000 peers vs wg show dump).
#   4d. bench/bench_db.py (issue 14: a 10,000-peer wg-portal database taken over into SQLite,
#      PostgreSQL and MariaDB; 100-row page and peer create p50/p99 per engine as ratios
#      against SQLite), in its own namespace wgpdb<pid> with its own database servers.
#   4e. bench/bench_cluster.py (issue 17: two nodes on a real PostgreSQL with the RouterOS
#      simulator: failover time, median of 10; a write on a follower to the router against the
#      leader's; API p99 with two nodes against one), in its own namespace wgcb<pid>.
#   4f. bench/bench_auth.py (sign-in time per method: password, LDAP, LDAPS with client
#      certificate, OpenID Connect, OAuth2, passkey, password + TOTP, against real slapd and
#      oidc-provider; ratios to the password sign-in), in its own namespace wgpba<pid>.
#   5. One "== bench summary" block: one "name: value" line per figure.
#
# Benchmarks print figures and ratios; they never fail on speed (timings depend on the machine
# and its load). The exit status is non-zero only when a benchmark could not run or the daemon
# answered wrongly (wrong status, wrong page size, missing peers).
#
# Needs root (network namespaces, tun). Environment:
#   WGPORTAL_BIN   daemon binary (default build/wgportal; built with make when missing)
#   BENCH_PORT     API port inside the namespace (default 19010; range 19000-19099)
#   BENCH_PEERS    peers created one request each (default 1000)
#   BENCH_TOTAL    peers on the interface at the end (default 10000)
#   BENCH_ARGS     extra bench_api.py options, e.g. "--deadline-grow 300" (see --help)
#   BENCH_KEEP=1   keep the temp directory (config, database, daemon log) for inspection
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (network namespace, wireguard-go tun device)" >&2
	exit 1
fi
for t in ip wg wireguard-go python3; do
	command -v "$t" >/dev/null || { echo "bench: '$t' not found (scripts/install-deps.sh test)" >&2; exit 1; }
done

BIN=${WGPORTAL_BIN:-build/wgportal}
if [ ! -x "$BIN" ]; then
	echo "bench: $BIN missing, building it"
	make --no-print-directory all
fi
BIN=$(realpath "$BIN")

NS=wgpb$$              # namespace and interface names carry our PID: other runs go in parallel
IF=wgb$$               # interface created through the API (<= 10 chars, kernel limit 15)
REF=wgb$$r             # reference interface, wireguard-go started directly
PORT=${BENCH_PORT:-19010}
PEERS=${BENCH_PEERS:-1000}
TOTAL=${BENCH_TOTAL:-10000}
TMP=$(mktemp -d /tmp/wgpb-bench.XXXXXX)
SUMMARY_API=$TMP/summary-api.txt
SUMMARY_LOCAL=$TMP/summary-local.txt
WGPID=""
DAEMON_STATUS=""
T_START=$(date +%s)

# 20-character password and 32-character API token, hex from the CSPRNG (no default secrets).
PASSWORD=$(od -An -N10 -tx1 /dev/urandom | tr -d ' \n')
TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

# SIGTERM, then wait at most $2 seconds, then SIGKILL. Only PIDs we started or that live in our
# own namespace are ever passed here.
stop_pid() {
	local pid=$1 secs=$2 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "bench: pid $pid still running after ${secs}s SIGTERM, sending SIGKILL" >&2
	kill -KILL "$pid" 2>/dev/null || true
}

# Stops the daemon (bounded) and records how it ended; prints the seconds it took.
stop_daemon() {
	[ -n "$WGPID" ] || return 0
	local t0 t1 rc=0
	t0=$(date +%s%N)
	stop_pid "$WGPID" 15
	wait "$WGPID" 2>/dev/null || rc=$?
	t1=$(date +%s%N)
	DAEMON_STATUS="exit status $rc after SIGTERM, $(( (t1 - t0) / 1000000 )) ms"
	echo "bench: wgportal stopped: $DAEMON_STATUS"
	WGPID=""
}

cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	stop_daemon || true
	# Everything still running in our namespace is ours (wireguard-go started by wgportal
	# or by bench_api.py): stop it by PID.
	if ip netns list 2>/dev/null | grep -qw "$NS"; then
		for pid in $(ip netns pids "$NS" 2>/dev/null); do
			stop_pid "$pid" 5
		done
		ip netns del "$NS" 2>/dev/null || true
	fi
	rm -f "/var/run/wireguard/$IF.sock" "/var/run/wireguard/$REF.sock"
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "bench: kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== wgportal API benchmark (namespace $NS, interface $IF, reference $REF)"
ip netns add "$NS"
ip -n "$NS" link set lo up

cat >"$TMP/config.yaml" <<EOF
core:
  admin_user: admin@wgportal.local
  admin_password: "$PASSWORD"
  admin_api_token: "$TOKEN"
  import_existing: false
advanced:
  start_cidr_v4: 10.232.0.0/16
  use_ip_v6: false
database:
  dsn: $TMP/sqlite.db
statistics:
  data_collection_interval: "10s"
web:
  listening_address: 127.0.0.1:$PORT
EOF

# `ip netns exec` execs the command, so $! is the daemon's own PID (VmRSS is read from it).
ip netns exec "$NS" "$BIN" --config "$TMP/config.yaml" >"$TMP/wgportal.log" 2>&1 &
WGPID=$!
echo "bench: wgportal pid $WGPID, log $TMP/wgportal.log"

api_rc=0
ip netns exec "$NS" python3 -u bench/bench_api.py --port "$PORT" --token "$TOKEN" \
	--pid "$WGPID" --iface "$IF" --ref-iface "$REF" --tmp "$TMP" --summary "$SUMMARY_API" \
	--peers "$PEERS" --total "$TOTAL" ${BENCH_ARGS:-} || api_rc=$?
if ! kill -0 "$WGPID" 2>/dev/null; then
	echo "bench: PROBLEM: wgportal is not running any more" >&2
fi
if [ "$api_rc" -ne 0 ]; then
	echo "bench: API benchmark failed (exit $api_rc); last lines of the daemon log:" >&2
	tail -n 30 "$TMP/wgportal.log" >&2 || true
fi
stop_daemon
for pid in $(ip netns pids "$NS" 2>/dev/null); do
	stop_pid "$pid" 5
done
ip netns del "$NS"
rm -f "/var/run/wireguard/$IF.sock" "/var/run/wireguard/$REF.sock"
# The daemon's warnings and errors during the run (never secrets: the log must not carry any).
if grep -Eiq 'error|warn' "$TMP/wgportal.log"; then
	echo "bench: warnings/errors in the daemon log (first 10):"
	grep -Ei 'error|warn' "$TMP/wgportal.log" | head -n 10 | sed 's/^/  /'
fi
leftovers=""
for pid in $(ls /proc | grep -E '^[0-9]+$'); do
	cmd=$( { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null || true)
	case "$cmd" in *"wireguard-go"*" $IF "* | *"wireguard-go"*" $REF "*) leftovers="$leftovers $pid" ;; esac
done
[ -z "$leftovers" ] || echo "bench: PROBLEM: wireguard-go leftovers:$leftovers" >&2

local_rc=""
if [ -x bench/run-local.sh ]; then
	echo
	echo "== local backend benchmark (bench/run-local.sh)"
	set +e
	bench/run-local.sh 2>&1 | tee "$TMP/local.log"
	local_rc=${PIPESTATUS[0]}
	set -e
	# Its figures: the lines after its own "== ... summary" header when it prints one,
	# otherwise every "name: value" line.
	if grep -q '^== .*summary' "$TMP/local.log"; then
		sed -n '/^== .*summary/,$p' "$TMP/local.log" | sed 1d | grep -E '^[A-Za-z0-9_]+: ' \
			>"$SUMMARY_LOCAL" || true
	else
		grep -E '^[a-z][a-z0-9_]*( \([^)]*\))?: ' "$TMP/local.log" >"$SUMMARY_LOCAL" || true
	fi
fi

ui_rc=""
if [ -x bench/bench_ui.sh ]; then
	echo
	echo "== web UI benchmark (bench/bench_ui.sh)"
	set +e
	BENCH_UI_SUMMARY=$TMP/summary-ui.txt WGPORTAL_BIN=$BIN bench/bench_ui.sh
	ui_rc=$?
	set -e
fi

mt_rc=""
if [ -f bench/bench_mikrotik.py ]; then
	echo
	echo "== MikroTik backend benchmark (bench/bench_mikrotik.py, RouterOS simulator)"
	set +e
	WGPORTAL_BIN=$BIN python3 -u bench/bench_mikrotik.py --summary "$TMP/summary-mt.txt"
	mt_rc=$?
	set -e
fi

pf_rc=""
if [ -f bench/bench_pfsense.py ]; then
	echo
	echo "== pfSense backend benchmark (bench/bench_pfsense.py: sync 500 peers at 20 ms vs wg-portal)"
	set +e
	WGPORTAL_BIN=$BIN python3 -u bench/bench_pfsense.py --summary "$TMP/summary-pf.txt"
	pf_rc=$?
	set -e
fi

mon_rc=""
if [ -f bench/bench_monitor.py ]; then
	echo
	echo "== monitoring benchmark (bench/bench_monitor.py: ping round, /metrics)"
	set +e
	BENCH_MONITOR_SUMMARY=$TMP/summary-monitor.txt WGPORTAL_BIN=$BIN \
		python3 -u bench/bench_monitor.py
	mon_rc=$?
	set -e
fi

db_rc=""
if [ -f bench/bench_db.py ]; then
	echo
	echo "== database benchmark (bench/bench_db.py: wg-portal take-over, API per engine)"
	set +e
	BENCH_DB_SUMMARY=$TMP/summary-db.txt WGPORTAL_BIN=$BIN python3 -u bench/bench_db.py
	db_rc=$?
	set -e
fi

cl_rc=""
if [ -f bench/bench_cluster.py ]; then
	echo
	echo "== more than one node (bench/bench_cluster.py: failover, follower writes, API p99)"
	set +e
	BENCH_CLUSTER_SUMMARY=$TMP/summary-cluster.txt WGPORTAL_BIN=$BIN python3 -u bench/bench_cluster.py
	cl_rc=$?
	set -e
fi

auth_rc=""
if [ -f bench/bench_auth.py ]; then
	echo
	echo "== sign-in benchmark (bench/bench_auth.py: time per method vs the password sign-in)"
	set +e
	WGPORTAL_BIN=$BIN python3 -u bench/bench_auth.py --summary "$TMP/summary-auth.txt"
	auth_rc=$?
	set -e
fi

echo
echo "== bench summary"
[ -s "$SUMMARY_API" ] && cat "$SUMMARY_API"
[ "$api_rc" -eq 0 ] || echo "api_bench: FAILED (exit $api_rc)"
echo "daemon_stop: ${DAEMON_STATUS:-not started}"
if [ -n "$local_rc" ]; then
	[ -s "$SUMMARY_LOCAL" ] && cat "$SUMMARY_LOCAL"
	[ "$local_rc" -eq 0 ] || echo "local_bench: FAILED (exit $local_rc)"
else
	echo "local_bench: not run (bench/run-local.sh missing or not executable)"
fi
if [ -n "$ui_rc" ]; then
	[ -s "$TMP/summary-ui.txt" ] && cat "$TMP/summary-ui.txt"
	[ "$ui_rc" -eq 0 ] || echo "ui_bench: FAILED (exit $ui_rc)"
else
	echo "ui_bench: not run (bench/bench_ui.sh missing or not executable)"
fi
if [ -n "$mt_rc" ]; then
	[ -s "$TMP/summary-mt.txt" ] && cat "$TMP/summary-mt.txt"
	[ "$mt_rc" -eq 0 ] || echo "mikrotik_bench: FAILED (exit $mt_rc)"
else
	echo "mikrotik_bench: not run (bench/bench_mikrotik.py missing)"
fi
if [ -n "$pf_rc" ]; then
	[ -s "$TMP/summary-pf.txt" ] && cat "$TMP/summary-pf.txt"
	[ "$pf_rc" -eq 0 ] || echo "pfsense_bench: FAILED (exit $pf_rc)"
else
	echo "pfsense_bench: not run (bench/bench_pfsense.py missing)"
fi
if [ -n "$mon_rc" ]; then
	[ -s "$TMP/summary-monitor.txt" ] && cat "$TMP/summary-monitor.txt"
	[ "$mon_rc" -eq 0 ] || echo "monitor_bench: FAILED (exit $mon_rc)"
else
	echo "monitor_bench: not run (bench/bench_monitor.py missing)"
fi
if [ -n "$db_rc" ]; then
	[ -s "$TMP/summary-db.txt" ] && cat "$TMP/summary-db.txt"
	[ "$db_rc" -eq 0 ] || echo "db_bench: FAILED (exit $db_rc)"
else
	echo "db_bench: not run (bench/bench_db.py missing)"
fi
if [ -n "$cl_rc" ]; then
	[ -s "$TMP/summary-cluster.txt" ] && cat "$TMP/summary-cluster.txt"
	[ "$cl_rc" -eq 0 ] || echo "cluster_bench: FAILED (exit $cl_rc)"
else
	echo "cluster_bench: not run (bench/bench_cluster.py missing)"
fi
if [ -n "$auth_rc" ]; then
	[ -s "$TMP/summary-auth.txt" ] && cat "$TMP/summary-auth.txt"
	[ "$auth_rc" -eq 0 ] || echo "auth_bench: FAILED (exit $auth_rc)"
else
	echo "auth_bench: not run (bench/bench_auth.py missing)"
fi
echo "bench_wall_s: $(( $(date +%s) - T_START ))"
[ "$api_rc" -eq 0 ] && [ "${local_rc:-0}" -eq 0 ] && [ "${ui_rc:-0}" -eq 0 ] && [ "${mt_rc:-0}" -eq 0 ] &&
	[ "${mon_rc:-0}" -eq 0 ] && [ "${pf_rc:-0}" -eq 0 ] && [ "${db_rc:-0}" -eq 0 ] &&
	[ "${cl_rc:-0}" -eq 0 ] && [ "${auth_rc:-0}" -eq 0 ]
