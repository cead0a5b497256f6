#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Start-up import and restore (spec/wg-portal-compat.md 3.10, mode inference 3.1, backend of an
# interface 2.8): WireGuard devices made by hand with wireguard-go + wg + ip BEFORE wgportal
# starts are imported with their keys, port, addresses and peers; ignored and foreign-namespace
# devices are not; a restart removes device peers the store does not know; an interface stored
# on a configured-but-unavailable backend stays listed on that backend and its device is left
# alone (both while the backend is configured but unreachable and after it was removed from the
# config). Also: a GET answer PUT back unchanged is accepted (clients do GET-modify-PUT).
# Needs root. TAP output.
#
#   +----------------------------- wgpi$$ -----------------------------------+
#   | wgportal  API 127.0.0.1:<19300..19399>                                 |
#   | wgi$$a  10.234.1.1/24 udp 51777, peers A, B (+PSK, +192.168.77.0/24), C |
#   | wgi$$b  10.234.2.1/24 random port, 1 peer                              |
#   | wgi$$x  10.234.3.1/24 (backend.ignored_local_interfaces)               |
#   +-------------------------------------------------------------------------+
#   +----------------------------- wgpi$$-o ---------------------------------+
#   | wgi$$o  10.234.4.1/24: its socket is in the shared /var/run/wireguard,  |
#   |         but it is not a device of wgportal's namespace                  |
#   +-------------------------------------------------------------------------+
#
# Env: WGPORTAL_BIN (default build/wgportal; the runner also passes build/san/wgportal).
# Daemon stdout+stderr: build/test-logs/import-wgportal-<basename of WGPORTAL_BIN>.log;
# sanitizer reports there are failures.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/netns/e2e-lib.sh

WGPORTAL_BIN=${WGPORTAL_BIN:-build/wgportal}
NS="wgpi$$"
NS_O="wgpi$$-o"
IF_A="wgi$$a"
IF_B="wgi$$b"
IF_X="wgi$$x"
IF_O="wgi$$o"
IF_M="wgi$$m" # only ever a name in a POST; must never appear as a device
ALL_IFS="$IF_A $IF_B $IF_X $IF_O $IF_M"
PORT_A=51777
# per-PID port inside 19300-19399 (the namespace isolates it anyway; keeps logs unambiguous)
API_PORT=$((19300 + ($$ % 50) * 2))
METRICS_PORT=$((API_PORT + 1))
LOG_DIR=build/test-logs
LOG="$LOG_DIR/import-wgportal-$(echo "$WGPORTAL_BIN" | tr / -).log"

API_NS=$NS
API_URL="http://127.0.0.1:$API_PORT/api/v1"
API_USER=admin@wgportal.local
API_TOKEN=import-token-0123456789abcdef012
E2E_TMP=$(mktemp -d /tmp/wgpi$$.XXXXXX)
DB="$E2E_TMP/sqlite.db"

WGP_PID=""
WG_PIDS=""

cleanup()
{
	local ns pid ifn
	[ -n "$WGP_PID" ] && stop_pid "$WGP_PID" 10
	for pid in $WG_PIDS; do
		kill -TERM "$pid" 2>/dev/null
	done
	# anything else still in our namespaces was started by us (wireguard-go)
	ns_kill_all "$NS" "$NS_O"
	for pid in $WG_PIDS; do
		wait "$pid" 2>/dev/null
	done
	for ifn in $ALL_IFS; do
		rm -f "/var/run/wireguard/$ifn.sock"
	done
	rm -rf "$E2E_TMP"
}
trap cleanup EXIT

bail()
{
	echo "Bail out! $*"
	echo "1..$TAP_N"
	exit 1
}

# --- devices made by hand -------------------------------------------------------------------

# mk_wg NS NAME ADDR: a wireguard-go device NAME in NS with address ADDR, private key in
# $E2E_TMP/NAME.key, link up. Peers and ports are set by the caller.
mk_wg()
{
	local ns=$1 name=$2 addr=$3 pid
	ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 wireguard-go -f "$name" \
		>"$E2E_TMP/wireguard-go-$name.log" 2>&1 </dev/null &
	pid=$!
	WG_PIDS="$WG_PIDS $pid"
	wait_until 5 0.1 test -S "/var/run/wireguard/$name.sock" || return 1
	wait_until 5 0.1 ns_run "$ns" ip link show "$name" || return 1
	(umask 077 && wg genkey >"$E2E_TMP/$name.key") || return 1
	ip netns exec "$ns" wg set "$name" private-key "$E2E_TMP/$name.key" || return 1
	ip -n "$ns" addr add "$addr" dev "$name" || return 1
	ip -n "$ns" link set "$name" up
}

# new_peer VAR: a fresh public key into VAR (its private key is thrown away).
new_peer()
{
	local k
	k=$(wg genkey | wg pubkey) || return 1
	printf -v "$1" '%s' "$k"
}

setup_devices()
{
	ip netns add "$NS" && ip netns add "$NS_O" || return 1
	ip -n "$NS" link set lo up && ip -n "$NS_O" link set lo up || return 1

	mk_wg "$NS" "$IF_A" 10.234.1.1/24 || return 1
	new_peer PEER_A && new_peer PEER_B && new_peer PEER_C || return 1
	(umask 077 && wg genpsk >"$E2E_TMP/psk-b") || return 1
	PSK_B=$(cat "$E2E_TMP/psk-b")
	ip netns exec "$NS" wg set "$IF_A" listen-port "$PORT_A" \
		peer "$PEER_A" allowed-ips 10.234.1.2/32 \
		peer "$PEER_B" allowed-ips 10.234.1.3/32,192.168.77.0/24 preshared-key "$E2E_TMP/psk-b" \
		peer "$PEER_C" allowed-ips 10.234.1.4/32 endpoint 10.234.99.9:51000 \
		persistent-keepalive 25 || return 1

	# no listen port given: wireguard-go binds a random one when the link goes up
	mk_wg "$NS" "$IF_B" 10.234.2.1/24 || return 1
	new_peer PEER_B1 || return 1
	ip netns exec "$NS" wg set "$IF_B" peer "$PEER_B1" allowed-ips 10.234.2.2/32 || return 1

	mk_wg "$NS" "$IF_X" 10.234.3.1/24 || return 1
	new_peer PEER_X1 || return 1
	ip netns exec "$NS" wg set "$IF_X" peer "$PEER_X1" allowed-ips 10.234.3.2/32 || return 1

	mk_wg "$NS_O" "$IF_O" 10.234.4.1/24 || return 1
	new_peer PEER_O1 || return 1
	ip netns exec "$NS_O" wg set "$IF_O" listen-port 51778 \
		peer "$PEER_O1" allowed-ips 10.234.4.2/32 || return 1
	PORT_B=$(ip netns exec "$NS" wg show "$IF_B" listen-port)
	[ -n "$PORT_B" ] && [ "$PORT_B" != 0 ]
}

ns_wg()
{
	ip netns exec "$NS" wg show "$@" 2>/dev/null
}

wg_diag()
{
	diag "wg show $1: $(ns_wg "$1" 2>&1 | tr '\n' '|')"
}

# device_allowed IFACE PUBKEY: the allowed ips wg reports for that peer (sorted, comma-joined).
device_allowed()
{
	ns_wg "$1" allowed-ips | awk -v k="$2" '$1 == k { for (i = 2; i <= NF; i++) print $i }' |
		sort | paste -sd, -
}

peer_on_device()
{
	ns_wg "$1" peers | grep -qxF "$2"
}

# the 3 hand-made peers of wgi$$a with their allowed ips, and nothing else
iface_a_device_ok()
{
	[ "$(ns_wg "$IF_A" peers | wc -l)" -eq 3 ] &&
		[ "$(device_allowed "$IF_A" "$PEER_A")" = 10.234.1.2/32 ] &&
		[ "$(device_allowed "$IF_A" "$PEER_B")" = "10.234.1.3/32,192.168.77.0/24" ] &&
		[ "$(device_allowed "$IF_A" "$PEER_C")" = 10.234.1.4/32 ] &&
		[ "$(ns_wg "$IF_A" listen-port)" = "$PORT_A" ] &&
		[ "$(ns_wg "$IF_A" private-key)" = "$(cat "$E2E_TMP/$IF_A.key")" ]
}

# --- the daemon -------------------------------------------------------------------------------

# write_config [EXTRA_BACKEND_YAML]: import + restore on, wgi$$x ignored.
write_config()
{
	cat >"$E2E_TMP/config.yaml" <<EOF
core:
  admin_user: $API_USER
  admin_password: "import-admin-password-123"
  admin_api_token: "$API_TOKEN"
  import_existing: true
  restore_state: true
advanced:
  start_cidr_v4: 10.234.200.0/24
  use_ip_v6: false
backend:
  rekey_timeout_interval: "180s"
  ignored_local_interfaces:
    - $IF_X
${1:-}
database:
  dsn: "$DB"
statistics:
  data_collection_interval: "1s"
  listening_address: "127.0.0.1:$METRICS_PORT"
web:
  listening_address: "127.0.0.1:$API_PORT"
  external_url: "http://127.0.0.1:$API_PORT"
EOF
}

# log_since_start: the daemon's output since the last start marker.
log_since_start()
{
	awk '/^=== start /{buf=""} {buf = buf $0 "\n"} END {printf "%s", buf}' "$LOG"
}

# jdel FILE KEY...: drop top-level keys in place. Used to take our own answer-only addition
# "BackendAvailable" out of bodies built from GET answers where the check is about something
# else (the round trip itself is checked separately).
jdel()
{
	python3 - "$@" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    d.pop(k, None)
json.dump(d, open(sys.argv[1], "w"))
EOF2
}

# pycheck SCRIPT ARGS...: run a python check; prints its complaints, returns its status.
pycheck()
{
	python3 -c "$@"
}

# --- checks -----------------------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
command -v wireguard-go >/dev/null && command -v wg >/dev/null ||
	{ echo "1..0 # SKIP needs wireguard-go and wireguard-tools"; exit 0; }
[ -x "$WGPORTAL_BIN" ] || bail "no daemon binary at $WGPORTAL_BIN (run make)"
mkdir -p "$LOG_DIR"
: >"$LOG"

# 1. devices made by hand before wgportal starts
setup_devices
rc=$?
tap $rc "hand-made devices: $IF_A (port $PORT_A, 3 peers), $IF_B (random port ${PORT_B:-?}, 1 peer), $IF_X, $IF_O in $NS_O"
[ $rc -eq 0 ] || { wg_diag "$IF_A"; wg_diag "$IF_B"; bail "cannot build the devices"; }
IFA_PUB=$(ns_wg "$IF_A" public-key)
IFA_PRIV=$(cat "$E2E_TMP/$IF_A.key")
IFB_PUB=$(ns_wg "$IF_B" public-key)

# 2. start with import + restore
write_config
start_wgportal
rc=$?
tap $rc "wgportal starts with core.import_existing + core.restore_state and answers the API"
[ $rc -eq 0 ] || { api_diag; diag "log: $(tail -n 20 "$LOG")"; bail "daemon did not come up"; }

# 3. what was imported
api GET /interface/all
cp "$E2E_TMP/body" "$E2E_TMP/all.json"
st=$(api_status)
out=$(pycheck '
import json, sys
want, notwant = sys.argv[2].split(), sys.argv[3].split()
try:
    ids = [i["Identifier"] for i in json.load(open(sys.argv[1]))]
except Exception as e:
    print("bad answer:", e); sys.exit(1)
bad = [w for w in want if w not in ids] + [n for n in notwant if n in ids]
if bad: print("identifiers:", ids)
sys.exit(1 if bad else 0)
' "$E2E_TMP/all.json" "$IF_A $IF_B" "$IF_X $IF_O" 2>&1)
rc=$?
[ "$st" = 200 ] || rc=1
tap $rc "GET /interface/all: $st, lists $IF_A and $IF_B; not the ignored $IF_X nor $IF_O of another namespace"
[ $rc -eq 0 ] || { diag "$out"; api_diag; }

# Interfaces listed by /interface/all that are not ours: another namespace's device must never
# show up here (the namespace is fresh, so only our devices exist in it).
out=$(pycheck '
import json, sys
ours = sys.argv[2].split()
ids = [i["Identifier"] for i in json.load(open(sys.argv[1]))]
extra = [i for i in ids if i not in ours]
if extra: print("foreign interfaces imported:", extra)
sys.exit(1 if extra else 0)
' "$E2E_TMP/all.json" "$IF_A $IF_B" 2>&1)
rc=$?
tap $rc "no other interface imported (other engineers' sockets share /var/run/wireguard)"
[ $rc -eq 0 ] || diag "$out"

# iface_fields FILE KEY=JSON...: the interface answer has these values (JSON compared).
iface_fields()
{
	pycheck '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("bad answer:", e); sys.exit(1)
bad = []
for a in sys.argv[2:]:
    k, v = a.split("=", 1)
    if d.get(k, "<absent>") != json.loads(v):
        bad.append("%s: got %s, want %s" % (k, json.dumps(d.get(k, "<absent>")), v))
print("\n".join(bad))
sys.exit(1 if bad else 0)
' "$@"
}

api GET "/interface/by-id/$IF_A"
cp "$E2E_TMP/body" "$E2E_TMP/iface-a.json"
st=$(api_status)
out=$(iface_fields "$E2E_TMP/iface-a.json" "Identifier=\"$IF_A\"" "PublicKey=\"$IFA_PUB\"" \
	"PrivateKey=\"$IFA_PRIV\"" "ListenPort=$PORT_A" 'Addresses=["10.234.1.1/24"]' \
	'PeerDefNetwork=["10.234.1.0/24"]' 'Mode="server"' 'TotalPeers=3' 'EnabledPeers=3' \
	'Backend="local"' "DisplayName=\"$IF_A\"" 'Disabled=false' 2>&1)
rc=$?
[ "$st" = 200 ] || rc=1
tap $rc "GET /interface/by-id/$IF_A: $st, device keys, port $PORT_A, 10.234.1.1/24, PeerDefNetwork 10.234.1.0/24, Mode server (3 peers), TotalPeers 3, Backend local"
[ $rc -eq 0 ] || { diag "$out"; api_diag; }

# peer_checks FILE SPEC_JSON: SPEC maps public key -> {field: expected}; "Endpoint" and
# "PersistentKeepalive" compare the ConfigOption's Value. Also: exactly these peers, every
# Identifier = PublicKey, PrivateKey "", DisplayName "Autodetected Client (<8 chars>)".
peer_checks()
{
	pycheck '
import json, sys
try:
    peers = json.load(open(sys.argv[1]))
except Exception as e:
    print("bad answer:", e); sys.exit(1)
spec, prefix = json.loads(sys.argv[2]), sys.argv[3]
bad = []
got = {p.get("PublicKey"): p for p in peers}
if sorted(got) != sorted(spec):
    bad.append("peers: got %s, want %s" % (sorted(got), sorted(spec)))
for key, want in spec.items():
    p = got.get(key)
    if p is None:
        continue
    exp = dict(want)
    exp.setdefault("Identifier", key)
    exp.setdefault("PrivateKey", "")
    exp.setdefault("DisplayName", "%s (%s)" % (prefix, key[:8]))
    for k, v in exp.items():
        g = p.get(k, "<absent>")
        if k in ("Endpoint", "PersistentKeepalive", "AllowedIPs") and isinstance(g, dict):
            g = g.get("Value", "<absent>")
        if g != v:
            bad.append("%s %s: got %s, want %s" % (key[:8], k, json.dumps(g), json.dumps(v)))
print("\n".join(bad))
sys.exit(1 if bad else 0)
' "$@"
}

api GET "/peer/by-interface/$IF_A"
cp "$E2E_TMP/body" "$E2E_TMP/peers-a.json"
st=$(api_status)
spec=$(python3 -c '
import json, sys
a, b, c, psk, iface = sys.argv[1:6]
print(json.dumps({
    a: {"Addresses": ["10.234.1.2/32"], "ExtraAllowedIPs": [], "PresharedKey": "",
        "InterfaceIdentifier": iface, "Mode": "client", "Disabled": False},
    b: {"Addresses": ["10.234.1.3/32"], "ExtraAllowedIPs": ["192.168.77.0/24"],
        "PresharedKey": psk, "InterfaceIdentifier": iface},
    c: {"Addresses": ["10.234.1.4/32"], "ExtraAllowedIPs": [], "Endpoint": "10.234.99.9:51000",
        "PersistentKeepalive": 25, "InterfaceIdentifier": iface},
}))' "$PEER_A" "$PEER_B" "$PEER_C" "$PSK_B" "$IF_A")
out=$(peer_checks "$E2E_TMP/peers-a.json" "$spec" "Autodetected Client" 2>&1)
rc=$?
[ "$st" = 200 ] || rc=1
tap $rc "GET /peer/by-interface/$IF_A: $st, 3 peers, Identifier = PublicKey, 'Autodetected Client (<8>)', no PrivateKey; B: 10.234.1.3/32 + extra 192.168.77.0/24 + PSK; C: Endpoint 10.234.99.9:51000, keepalive 25"
[ $rc -eq 0 ] || { diag "$out"; api_diag; }

api GET "/interface/by-id/$IF_B"
cp "$E2E_TMP/body" "$E2E_TMP/iface-b.json"
st=$(api_status)
out=$(iface_fields "$E2E_TMP/iface-b.json" "PublicKey=\"$IFB_PUB\"" "ListenPort=$PORT_B" \
	'Addresses=["10.234.2.1/24"]' 'PeerDefNetwork=["10.234.2.0/24"]' 'Mode="server"' \
	'TotalPeers=1' 'Backend="local"' 2>&1)
rc=$?
[ "$st" = 200 ] || rc=1
tap $rc "GET /interface/by-id/$IF_B: $st, 1 peer + listen port $PORT_B -> Mode server (3.1), 10.234.2.1/24, TotalPeers 1"
[ $rc -eq 0 ] || { diag "$out"; api_diag; }

api GET "/peer/by-interface/$IF_B"
cp "$E2E_TMP/body" "$E2E_TMP/peers-b.json"
st=$(api_status)
spec=$(python3 -c 'import json, sys; print(json.dumps({sys.argv[1]: {"Addresses": ["10.234.2.2/32"]}}))' \
	"$PEER_B1")
out=$(peer_checks "$E2E_TMP/peers-b.json" "$spec" "Autodetected Client" 2>&1)
rc=$?
[ "$st" = 200 ] || rc=1
tap $rc "GET /peer/by-interface/$IF_B: $st, its one peer imported (10.234.2.2/32)"
[ $rc -eq 0 ] || { diag "$out"; api_diag; }

for ifn in "$IF_X" "$IF_O"; do
	api GET "/interface/by-id/$ifn"
	st=$(api_status)
	[ "$st" = 404 ]
	rc=$?
	tap $rc "GET /interface/by-id/$ifn: $st (want 404: not imported)"
	[ $rc -eq 0 ] || api_diag
done

# restore (3.10 step 2) re-applied the imported state: the device must be unchanged, and the
# ignored / foreign devices untouched
iface_a_device_ok && peer_on_device "$IF_X" "$PEER_X1" &&
	ip netns exec "$NS_O" wg show "$IF_O" peers 2>/dev/null | grep -qxF "$PEER_O1"
rc=$?
tap $rc "after import + restore: $IF_A still has its key, port and 3 peers with their allowed ips; $IF_X and $IF_O untouched"
[ $rc -eq 0 ] || { wg_diag "$IF_A"; wg_diag "$IF_X"; }

# PUT is a full replacement (2.6.1): a client's GET-modify-PUT sends back every field of the
# answer, so the unchanged answer must be accepted and must leave the device as it is.
api GET "/interface/by-id/$IF_A"
cp "$E2E_TMP/body" "$E2E_TMP/iface-a-put.json"
api PUT "/interface/by-id/$IF_A" "$E2E_TMP/iface-a-put.json"
st=$(api_status)
[ "$st" = 200 ] && wait_until 3 0.2 iface_a_device_ok
rc=$?
tap $rc "PUT /interface/by-id/$IF_A with its own GET answer unchanged: $st (want 200), device unchanged"
[ $rc -eq 0 ] || { api_diag; wg_diag "$IF_A"; }

api GET "/peer/by-id/$(urlenc "$PEER_B")"
cp "$E2E_TMP/body" "$E2E_TMP/peer-b-put.json"
api PUT "/peer/by-id/$(urlenc "$PEER_B")" "$E2E_TMP/peer-b-put.json"
st=$(api_status)
[ "$st" = 200 ] && [ "$(jget "$E2E_TMP/body" PresharedKey)" = "$PSK_B" ] &&
	wait_until 3 0.2 iface_a_device_ok &&
	[ "$(ns_wg "$IF_A" preshared-keys | awk -v k="$PEER_B" '$1 == k {print $2}')" = "$PSK_B" ]
rc=$?
tap $rc "PUT /peer/by-id/B with its own GET answer unchanged: $st (want 200), allowed ips and PSK unchanged on the device"
[ $rc -eq 0 ] || { api_diag; wg_diag "$IF_A"; }

# 4. restore removes unknown device peers
stop_wgportal
rc_stop=$STOP_RC
tap $([ "$rc_stop" -eq 0 ]; echo $?) "SIGTERM after the import: exit status $rc_stop (want 0)"
new_peer PEER_D
ip netns exec "$NS" wg set "$IF_A" peer "$PEER_D" allowed-ips 10.234.1.9/32
peer_on_device "$IF_A" "$PEER_D"
rc=$?
tap $rc "peer D ${PEER_D:0:8} added to $IF_A with wg set while wgportal is down"
rc=1
if start_wgportal; then
	# 3.10: restore runs before the listeners start, so D must already be gone once the API
	# answers (a healer removing it later would be a different, slower behaviour)
	! peer_on_device "$IF_A" "$PEER_D" && iface_a_device_ok
	rc=$?
fi
tap $rc "restart with import_existing: unknown device peer D removed from $IF_A before the API answers; the 3 stored peers still on the device"
if [ $rc -ne 0 ]; then
	wg_diag "$IF_A"
	if wait_until 5 0.5 eval '! peer_on_device "$IF_A" "$PEER_D"'; then
		diag "(D disappeared later, after the API was already answering)"
	fi
	diag "log: $(log_since_start | tail -n 10)"
fi

api GET "/peer/by-interface/$IF_A"
cp "$E2E_TMP/body" "$E2E_TMP/peers-a2.json"
st=$(api_status)
out=$(pycheck '
import json, sys
keys = sorted(p.get("PublicKey") for p in json.load(open(sys.argv[1])))
want = sorted(sys.argv[2:])
if keys != want: print("peers:", keys)
sys.exit(0 if keys == want else 1)
' "$E2E_TMP/peers-a2.json" "$PEER_A" "$PEER_B" "$PEER_C" 2>&1)
rc=$?
[ "$st" = 200 ] || rc=1
tap $rc "GET /peer/by-interface/$IF_A after the restart: $st, still exactly A, B, C (D was not imported into an already stored interface)"
[ $rc -eq 0 ] || { diag "$out"; api_diag; }

# 5. unavailable backend
stop_wgportal
rc_stop=$STOP_RC
tap $([ "$rc_stop" -eq 0 ]; echo $?) "SIGTERM after the restore: exit status $rc_stop (want 0)"
write_config '  mikrotik:
    - id: mt-gone
      display_name: "MikroTik (gone)"
      api_url: "https://127.0.0.1:1/rest"
      api_user: x
      api_password: y
      api_timeout: "2s"'
start_wgportal
rc=$?
tap $rc "wgportal starts with a mikrotik backend 'mt-gone' that cannot be reached (https://127.0.0.1:1/rest)"
[ $rc -eq 0 ] || { api_diag; diag "log: $(log_since_start | tail -n 20)"; bail "daemon did not come up"; }

# Try the API first: a create on mt-gone is either accepted with Backend mt-gone or refused
# with a 4xx; it must never land on local (no local device, no local record).
api GET /interface/prepare
rc=1
create_st=""
if [ "$(api_status)" = 200 ] &&
	jset "$E2E_TMP/body" "$E2E_TMP/iface-m.json" "Identifier=\"$IF_M\"" 'Backend="mt-gone"' \
		'ListenPort=51779' 'Addresses=["10.234.5.1/24"]' 'PeerDefNetwork=["10.234.5.0/24"]' &&
	jdel "$E2E_TMP/iface-m.json" BackendAvailable; then
	api POST /interface/new "$E2E_TMP/iface-m.json"
	create_st=$(api_status)
	cp "$E2E_TMP/body" "$E2E_TMP/create-m.json"
	sleep 1 # a wrongly local create would start wireguard-go; give it a moment to show
	case "$create_st" in
	200 | 201) [ "$(jget "$E2E_TMP/create-m.json" Backend)" = mt-gone ] ;;
	# 4xx, or the design's "device unreachable/timeout" 502/504: nothing may be stored
	4?? | 502 | 504) api GET "/interface/by-id/$IF_M"; [ "$(api_status)" = 404 ] ;;
	*) false ;;
	esac && ! ns_run "$NS" ip link show "$IF_M" && [ ! -S "/var/run/wireguard/$IF_M.sock" ]
	rc=$?
fi
tap $rc "POST /interface/new Backend mt-gone: $create_st (accepted as mt-gone, or refused with 4xx/502/504 and not stored; never created on local)"
diag "create answered HTTP $create_st: $(head -c 400 "$E2E_TMP/create-m.json" 2>/dev/null)"

# In any case move the imported wgi$$b to mt-gone in the store, behind wgportal's back, so the
# device-side checks have a real device: the store file is only edited while wgportal is down.
stop_wgportal
rc_stop=$STOP_RC
out=$(python3 - "$DB" "$IF_B" 2>&1 <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("UPDATE interfaces SET backend = 'mt-gone' WHERE identifier = ?",
               (sys.argv[2],)).rowcount
db.commit()
db.close()
sys.exit(0 if n == 1 else 1)
EOF
)
rc=$?
[ "$rc_stop" -eq 0 ] || rc=1
tap $rc "stop (exit $rc_stop) and set interfaces.backend of $IF_B to 'mt-gone' in $DB"
[ $rc -eq 0 ] || diag "$out"

# A peer E added to wgi$$b now would be removed by a restore/heal that treats the interface as
# local (E is not stored): its survival shows the device is left alone.
new_peer PEER_E
ip netns exec "$NS" wg set "$IF_B" peer "$PEER_E" allowed-ips 10.234.2.9/32
B_IFINDEX=$(ip -n "$NS" -o link show dev "$IF_B" 2>/dev/null | cut -d: -f1)
B_DUMP=$(ns_wg "$IF_B" dump | sort)

start_wgportal
rc=$?
tap $rc "wgportal restarts with $IF_B stored on the unavailable backend mt-gone"
[ $rc -eq 0 ] || { api_diag; diag "log: $(log_since_start | tail -n 20)"; bail "daemon did not come up"; }

api GET /interface/all
cp "$E2E_TMP/body" "$E2E_TMP/all2.json"
st=$(api_status)
out=$(pycheck '
import json, sys
ifs = {i["Identifier"]: i for i in json.load(open(sys.argv[1]))}
b, a = ifs.get(sys.argv[2]), ifs.get(sys.argv[3])
bad = []
if b is None: bad.append("%s not listed" % sys.argv[2])
elif b.get("Backend") != "mt-gone": bad.append("%s Backend: %r" % (sys.argv[2], b.get("Backend")))
if a is None or a.get("Backend") != "local": bad.append("%s missing or not local" % sys.argv[3])
print("\n".join(bad))
sys.exit(1 if bad else 0)
' "$E2E_TMP/all2.json" "$IF_B" "$IF_A" 2>&1)
rc=$?
[ "$st" = 200 ] || rc=1
tap $rc "GET /interface/all: $st, $IF_B still listed with Backend mt-gone (not moved to local); $IF_A still local"
[ $rc -eq 0 ] || { diag "$out"; api_diag; }

api GET "/interface/by-id/$IF_B"
st=$(api_status)
[ "$st" = 200 ] && [ "$(jget "$E2E_TMP/body" Backend)" = mt-gone ] &&
	[ "$(jget "$E2E_TMP/body" TotalPeers)" = 1 ] &&
	{ ! jget "$E2E_TMP/body" BackendAvailable >/dev/null ||
		[ "$(jget "$E2E_TMP/body" BackendAvailable)" = false ]; }
rc=$?
tap $rc "GET /interface/by-id/$IF_B: $st, Backend mt-gone, TotalPeers 1 (peer E of the device not imported), BackendAvailable false if sent"
[ $rc -eq 0 ] || api_diag

api GET /backend/all
cp "$E2E_TMP/body" "$E2E_TMP/backends.json"
st=$(api_status)
out=$(pycheck '
import json, sys
bs = json.load(open(sys.argv[1]))
mt = [b for b in bs if b.get("Identifier") == "mt-gone"]
if mt and mt[0].get("Reachable") is not False:
    print("mt-gone claimed reachable:", mt[0]); sys.exit(1)
print("mt-gone listed" if mt else "mt-gone not listed (backend not built in)")
' "$E2E_TMP/backends.json" 2>&1)
rc=$?
[ "$st" = 200 ] || rc=1
tap $rc "GET /backend/all: $st, does not claim mt-gone reachable ($out)"
[ $rc -eq 0 ] || api_diag

log_since_start | grep 'mt-gone' | grep -qiE 'unavailable|unreachable|not configured|not supported'
rc=$?
tap $rc "wgportal's log says backend mt-gone / its interface is unavailable"
[ $rc -eq 0 ] || diag "log: $(log_since_start | tail -n 15)"

# Let the healer run a few periods (1 s each) before judging the device.
sleep 3
[ "$(ip -n "$NS" -o link show dev "$IF_B" 2>/dev/null | cut -d: -f1)" = "$B_IFINDEX" ] &&
	[ "$(ns_wg "$IF_B" dump | sort)" = "$B_DUMP" ] && peer_on_device "$IF_B" "$PEER_E" &&
	ip -n "$NS" -o addr show dev "$IF_B" | grep -q 'inet 10.234.2.1/24 '
rc=$?
tap $rc "device $IF_B untouched by wgportal: same ifindex, same wg dump (unknown peer E still there), address kept"
[ $rc -eq 0 ] || { wg_diag "$IF_B"; diag "before: $(echo "$B_DUMP" | tr '\n' '|')"; }

# the local interface keeps working next to the unavailable one
iface_a_device_ok && peer_on_device "$IF_X" "$PEER_X1"
rc=$?
tap $rc "$IF_A (local) still restored with its 3 peers; ignored $IF_X untouched"
[ $rc -eq 0 ] || { wg_diag "$IF_A"; wg_diag "$IF_X"; }

# 5b. the same stored interface when mt-gone is no longer configured at all (2.8 / design 4:
# shown as unavailable, never moved to local, its device left alone)
stop_wgportal
rc_stop=$STOP_RC
write_config
start_wgportal
rc=$?
[ "$rc_stop" -eq 0 ] || rc=1
tap $rc "stop (exit $rc_stop); wgportal restarts with mt-gone removed from the config"
[ $rc -eq 0 ] || { api_diag; diag "log: $(log_since_start | tail -n 20)"; bail "daemon did not come up"; }

api GET "/interface/by-id/$IF_B"
st=$(api_status)
[ "$st" = 200 ] && [ "$(jget "$E2E_TMP/body" Backend)" = mt-gone ]
rc=$?
tap $rc "GET /interface/by-id/$IF_B: $st, still Backend mt-gone although mt-gone is not configured"
[ $rc -eq 0 ] || api_diag

api GET /backend/all
st=$(api_status)
out=$(pycheck '
import json, sys
bs = json.load(open(sys.argv[1]))
mt = [b for b in bs if b.get("Identifier") == "mt-gone" and b.get("Reachable") is not False]
if mt: print("mt-gone claimed reachable:", mt[0])
sys.exit(1 if mt else 0)
' "$E2E_TMP/body" 2>&1)
rc=$?
[ "$st" = 200 ] || rc=1
tap $rc "GET /backend/all: $st, no reachable mt-gone"
[ $rc -eq 0 ] || { diag "$out"; api_diag; }

log_since_start | grep 'mt-gone' | grep -qiE 'unavailable|not configured'
rc=$?
tap $rc "log says $IF_B's backend mt-gone is not configured / unavailable"
[ $rc -eq 0 ] || diag "log: $(log_since_start | tail -n 15)"

sleep 3 # a few healer periods
[ "$(ip -n "$NS" -o link show dev "$IF_B" 2>/dev/null | cut -d: -f1)" = "$B_IFINDEX" ] &&
	[ "$(ns_wg "$IF_B" dump | sort)" = "$B_DUMP" ] && peer_on_device "$IF_B" "$PEER_E"
rc=$?
tap $rc "device $IF_B still untouched (same ifindex and wg dump, peer E there)"
[ $rc -eq 0 ] || { wg_diag "$IF_B"; diag "before: $(echo "$B_DUMP" | tr '\n' '|')"; }

# an operation on it must not fall through to the local device either: a PUT that changes the
# port is refused, or accepted without touching the local device of the same name
api GET "/interface/by-id/$IF_B"
rc=1
put_st=""
if [ "$(api_status)" = 200 ] && jset "$E2E_TMP/body" "$E2E_TMP/iface-b-put.json" 'ListenPort=51780' &&
	jdel "$E2E_TMP/iface-b-put.json" BackendAvailable; then
	api PUT "/interface/by-id/$IF_B" "$E2E_TMP/iface-b-put.json"
	put_st=$(api_status)
	cp "$E2E_TMP/body" "$E2E_TMP/put-b.json"
	sleep 1
	case "$put_st" in
	2??) api GET "/interface/by-id/$IF_B"; [ "$(jget "$E2E_TMP/body" Backend)" = mt-gone ] ;;
	4?? | 50[234]) true ;;
	*) false ;;
	esac && [ "$(ns_wg "$IF_B" listen-port)" = "$PORT_B" ] && peer_on_device "$IF_B" "$PEER_E"
	rc=$?
fi
tap $rc "PUT $IF_B (ListenPort 51780) on the unconfigured backend: $put_st; the local device keeps port $PORT_B and peer E"
diag "PUT answered HTTP $put_st: $(head -c 300 "$E2E_TMP/put-b.json" 2>/dev/null)"
[ $rc -eq 0 ] || wg_diag "$IF_B"

# 6. clean stop
stop_wgportal
rc_stop=$STOP_RC
rc=1
[ "$rc_stop" -eq 0 ] && sanitizer_clean && rc=0
tap $rc "SIGTERM: exit status $rc_stop (want 0), no sanitizer reports in $LOG"
[ $rc -eq 0 ] || diag "$(grep -m5 -A5 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LOG")"

# wgportal does not delete the devices it imported when it stops
ns_run "$NS" ip link show "$IF_A" && ns_run "$NS" ip link show "$IF_B"
rc=$?
tap $rc "after the stop $IF_A and $IF_B still exist"

echo "1..$TAP_N"
[ "$TAP_FAILED" -eq 0 ]
