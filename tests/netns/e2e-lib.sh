# SPDX-License-Identifier: MIT
# Helpers for tests/netns/test_e2e.sh (sourced, bash). TAP output, bounded waits, REST API calls
# run inside a network namespace, small JSON helpers on python3 (always installed for the tests).
#
# The caller sets: E2E_TMP (temp dir), API_NS (namespace where the API listens), API_URL
# (http://127.0.0.1:<port>/api/v1), API_USER, API_TOKEN; for the daemon helpers also
# WGPORTAL_BIN, LOG (daemon output, appended) and $E2E_TMP/config.yaml.

TAP_N=0
TAP_FAILED=0

# ok COND_RC DESCRIPTION: one TAP line; COND_RC is the exit status of the check (0 = pass).
tap()
{
	local rc=$1; shift
	TAP_N=$((TAP_N + 1))
	if [ "$rc" -eq 0 ]; then
		echo "ok $TAP_N - $*"
	else
		echo "not ok $TAP_N - $*"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

# diag TEXT...: a TAP comment line (why a check failed, what was seen).
diag()
{
	local line
	printf '%s\n' "$*" | while IFS= read -r line; do echo "# $line"; done
}

# now_us: wall clock in microseconds (bash 5 EPOCHREALTIME, no subprocess).
now_us()
{
	local t=${EPOCHREALTIME/[.,]/}
	echo "$((10#$t))"
}

# fmt_secs MICROSECONDS: seconds with one decimal.
fmt_secs()
{
	printf '%d.%d' $(($1 / 1000000)) $((($1 % 1000000) / 100000))
}

# wait_until TIMEOUT_S INTERVAL_S CMD...: run CMD until it succeeds or the deadline passes.
# Returns CMD's last status. Every wait in the test goes through here so none is unbounded.
wait_until()
{
	local timeout=$1 interval=$2; shift 2
	local deadline=$(( $(now_us) + timeout * 1000000 ))
	while :; do
		"$@" && return 0
		[ "$(now_us)" -lt "$deadline" ] || break
		sleep "$interval"
	done
	"$@"
}

# urlenc STRING: percent-encode everything but unreserved characters (peer ids hold / + =).
urlenc()
{
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

# api METHOD PATH [BODY_FILE]: one REST call inside $API_NS. Writes the status code to
# $E2E_TMP/status and the body to $E2E_TMP/body; echoes nothing. The status is "000" when the
# connection failed. curl when installed, python3 urllib otherwise.
api()
{
	local method=$1 path=$2 body=${3:-}
	rm -f "$E2E_TMP/body" "$E2E_TMP/status"
	if command -v curl >/dev/null 2>&1; then
		local args=(-s -m 15 -o "$E2E_TMP/body" -w '%{http_code}' -u "$API_USER:$API_TOKEN" -X "$method")
		[ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "@$body")
		ip netns exec "$API_NS" curl "${args[@]}" "$API_URL$path" >"$E2E_TMP/status" 2>/dev/null
		[ -s "$E2E_TMP/status" ] || echo 000 >"$E2E_TMP/status"
	else
		ip netns exec "$API_NS" python3 - "$method" "$API_URL$path" "$body" "$API_USER" "$API_TOKEN" \
			"$E2E_TMP/body" "$E2E_TMP/status" <<'EOF'
import base64, sys, urllib.request, urllib.error
method, url, bodyfile, user, token, out, st = sys.argv[1:8]
data = open(bodyfile, "rb").read() if bodyfile else None
req = urllib.request.Request(url, data=data, method=method)
req.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode())
if data is not None:
    req.add_header("Content-Type", "application/json")
code, payload = "000", b""
try:
    with urllib.request.urlopen(req, timeout=15) as r:
        code, payload = str(r.status), r.read()
except urllib.error.HTTPError as e:
    code, payload = str(e.code), e.read()
except Exception:
    pass
open(out, "wb").write(payload)
open(st, "w").write(code)
EOF
	fi
	[ -f "$E2E_TMP/body" ] || : >"$E2E_TMP/body"
	return 0
}

api_status()
{
	cat "$E2E_TMP/status" 2>/dev/null || echo 000
}

# api_diag: the last answer as TAP comments (for failed checks).
api_diag()
{
	diag "HTTP $(api_status): $(head -c 600 "$E2E_TMP/body" 2>/dev/null)"
}

# jget FILE KEY...: print the JSON value at that path (strings raw, others as JSON); fails when
# the path does not exist. A numeric KEY indexes an array.
jget()
{
	python3 - "$@" <<'EOF'
import json, sys
try:
    v = json.load(open(sys.argv[1]))
    for k in sys.argv[2:]:
        v = v[int(k)] if isinstance(v, list) else v[k]
except Exception:
    sys.exit(1)
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

# jset IN OUT KEY=JSON...: copy the JSON object IN to OUT with top-level keys replaced.
jset()
{
	python3 - "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for a in sys.argv[3:]:
    k, v = a.split("=", 1)
    d[k] = json.loads(v)
json.dump(d, open(sys.argv[2], "w"))
EOF
}

# ns_run NS CMD...: run a command inside a namespace, quietly.
ns_run()
{
	local ns=$1; shift
	ip netns exec "$ns" "$@" >/dev/null 2>&1
}

# proc_alive PID: running and not a zombie.
proc_alive()
{
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" != Z ]
}

# stop_pid PID TIMEOUT_S: SIGTERM, wait up to TIMEOUT_S, then SIGKILL. Sets STOP_RC to the exit
# status (from `wait` when PID is our child) or 255 when it had to be killed.
stop_pid()
{
	local pid=$1 timeout=$2
	STOP_RC=255
	proc_alive "$pid" || { wait "$pid" 2>/dev/null; STOP_RC=$?; return 0; }
	kill -TERM "$pid" 2>/dev/null
	if wait_until "$timeout" 0.2 eval '! proc_alive '"$pid"; then
		wait "$pid" 2>/dev/null
		STOP_RC=$?
	else
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		STOP_RC=255
	fi
	return 0
}

# bail TEXT: TAP "Bail out!" and exit 1 (the EXIT trap cleans up).
bail()
{
	echo "Bail out! $*"
	exit 1
}

# ns_kill_all NS...: stop every process left in our namespaces (all started by us: wgportal,
# the wireguard-go it forked), TERM first, KILL after 0.3 s, then delete the namespaces.
ns_kill_all()
{
	local ns pid
	for ns in "$@"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -TERM "$pid" 2>/dev/null
		done
	done
	sleep 0.3
	for ns in "$@"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
}

# --- the daemon (runs in $API_NS with $E2E_TMP/config.yaml, output appended to $LOG) ---------

api_ready()
{
	api GET /backend/all
	[ "$(api_status)" = 200 ]
}

# start_wgportal: start it, wait (bounded) until the API answers; sets WGP_PID.
start_wgportal()
{
	echo "=== start $(date -u +%FT%TZ)" >>"$LOG"
	ip netns exec "$API_NS" env WG_PORTAL_CONFIG="$E2E_TMP/config.yaml" "$WGPORTAL_BIN" \
		>>"$LOG" 2>&1 </dev/null &
	WGP_PID=$!
	wait_until 20 0.25 eval 'proc_alive '"$WGP_PID"' && api_ready'
}

# stop_wgportal: SIGTERM, bounded wait; STOP_RC = exit status.
stop_wgportal()
{
	stop_pid "$WGP_PID" 15
	WGP_PID=""
	echo "=== stopped, exit status $STOP_RC" >>"$LOG"
}

sanitizer_clean()
{
	! grep -qE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$LOG"
}
