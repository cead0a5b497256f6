#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end: wgportal with the local backend (wireguard-go, started by wgportal itself) in one
# network namespace, a plain wg client in another, driven only through REST API v1; asserted with
# `wg show`, `ip` and pings through the tunnel. Needs root. TAP output.
#
#   +------------------------------- wgpe$$-srv ---------------------------------+
#   | wgportal  API 127.0.0.1:18950 (loopback of this namespace only)            |
#   |    |  creates/heals                                                         |
#   |    v                                                                        |
#   | wge$$  10.231.8.1/24  udp 51899 (wireguard-go, /var/run/wireguard/wge$$.sock)|
#   |                                                                             |
#   | veth wgpe$$s 10.231.0.1/24                                                  |
#   +--------------|--------------------------------------------------------------+
#                  | veth pair (underlay)
#   +--------------|--------------------------------------------------------------+
#   | veth wgpe$$c 10.231.0.2/24                                                  |
#   |                                                                             |
#   | wge$$c 10.231.8.2/32 (wireguard-go started here, configured ONLY from the   |
#   |        peer file downloaded through the API), endpoint 10.231.0.1:51899     |
#   +------------------------------- wgpe$$-cli ---------------------------------+
#
# Env: WGPORTAL_BIN (default build/wgportal; the runner passes build/san/wgportal).
# The daemon's stdout+stderr go to build/test-logs/e2e-wgportal.log; sanitizer reports there
# are failures.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/netns/e2e-lib.sh

WGPORTAL_BIN=${WGPORTAL_BIN:-build/wgportal}
NS_SRV="wgpe$$-srv"
NS_CLI="wgpe$$-cli"
VETH_SRV="wgpe$$s"
VETH_CLI="wgpe$$c"
WG_SRV="wge$$"
WG_CLI="wge$$c"
WG_PORT=51899
API_PORT=18950
METRICS_PORT=18951
HOOK_PORT=18952      # webhook receiver beside wgportal (peer_metric connect from a handshake)
SRV_UNDERLAY=10.231.0.1
CLI_UNDERLAY=10.231.0.2
SRV_TUN=10.231.8.1
CLI_TUN=10.231.8.2
LOG_DIR=build/test-logs
LOG="$LOG_DIR/e2e-wgportal.log"

API_NS=$NS_SRV
API_URL="http://127.0.0.1:$API_PORT/api/v1"
API_USER=admin@wgportal.local
API_TOKEN=e2e-token-0123456789abcdef0123
E2E_TMP=$(mktemp -d /tmp/wgpe$$.XXXXXX)

WGP_PID=""
CLI_WG_PID=""

cleanup()
{
	[ -n "$WGP_PID" ] && stop_pid "$WGP_PID" 10
	[ -n "$CLI_WG_PID" ] && stop_pid "$CLI_WG_PID" 5
	ns_kill_all "$NS_SRV" "$NS_CLI"
	ip link del "$VETH_SRV" 2>/dev/null
	rm -f "/var/run/wireguard/$WG_SRV.sock" "/var/run/wireguard/$WG_CLI.sock"
	rm -rf "$E2E_TMP"
}
trap cleanup EXIT

# --- topology -----------------------------------------------------------------------------

setup_netns()
{
	ip netns add "$NS_SRV" && ip netns add "$NS_CLI" || return 1
	ip -n "$NS_SRV" link set lo up && ip -n "$NS_CLI" link set lo up || return 1
	ip link add "$VETH_SRV" netns "$NS_SRV" type veth peer name "$VETH_CLI" netns "$NS_CLI" ||
		return 1
	ip -n "$NS_SRV" addr add "$SRV_UNDERLAY/24" dev "$VETH_SRV" &&
		ip -n "$NS_CLI" addr add "$CLI_UNDERLAY/24" dev "$VETH_CLI" &&
		ip -n "$NS_SRV" link set "$VETH_SRV" up &&
		ip -n "$NS_CLI" link set "$VETH_CLI" up || return 1
	wait_until 5 0.2 ns_run "$NS_CLI" ping -c1 -W1 "$SRV_UNDERLAY"
}

# --- the daemon -----------------------------------------------------------------------------

write_config()
{
	cat >"$E2E_TMP/config.yaml" <<EOF
core:
  admin_user: admin@wgportal.local
  admin_password: "e2e-admin-password-123"
  admin_api_token: "$API_TOKEN"
  import_existing: false
  restore_state: true
advanced:
  start_cidr_v4: 10.231.8.0/24
  use_ip_v6: false
  log_level: debug
backend:
  rekey_timeout_interval: "180s"
database:
  dsn: "$E2E_TMP/sqlite.db"
statistics:
  data_collection_interval: "1s"
  listening_address: "127.0.0.1:$METRICS_PORT"
webhook:
  url: "http://127.0.0.1:$HOOK_PORT/hook"
web:
  listening_address: "127.0.0.1:$API_PORT"
  external_url: "http://127.0.0.1:$API_PORT"
EOF
}

# --- device assertions (what is really on the interface) --------------------------------------

srv_wg()
{
	ip netns exec "$NS_SRV" wg show "$WG_SRV" "$@" 2>/dev/null
}

# peer_on_device PUBKEY [ALLOWED]: the peer is on wge$$ (with exactly ALLOWED allowed ips).
peer_on_device()
{
	local line
	line=$(srv_wg allowed-ips | awk -v k="$1" '$1 == k') || return 1
	[ -n "$line" ] || return 1
	[ -z "${2:-}" ] || [ "$(echo "$line" | cut -f2-)" = "$2" ]
}

peer_not_on_device()
{
	srv_wg peers >/dev/null || return 1
	! srv_wg peers | grep -qxF "$1"
}

iface_addr_up()
{
	ip -n "$NS_SRV" -o addr show dev "$WG_SRV" 2>/dev/null | grep -q "inet $SRV_TUN/24 " &&
		ip -n "$NS_SRV" link show dev "$WG_SRV" 2>/dev/null | grep -q '[<,]UP[,>]'
}

# iface_matches PUBKEY: listen port, public key, address and UP as created through the API.
iface_matches()
{
	[ "$(srv_wg listen-port)" = "$WG_PORT" ] && [ "$(srv_wg public-key)" = "$1" ] &&
		iface_addr_up
}

srv_sock_gone()
{
	! ls "/var/run/wireguard/$WG_SRV.sock" >/dev/null 2>&1
}

# iface_gone: no netdev in the namespace and no wireguard-go socket left behind.
iface_gone()
{
	! ns_run "$NS_SRV" ip link show "$WG_SRV" && srv_sock_gone
}

# iface_healthy PUBKEY: device present with its address, up, and the peer on it.
iface_healthy()
{
	iface_addr_up && peer_on_device "$1" "$CLI_TUN/32"
}

ping_ok()
{
	ns_run "$NS_CLI" ping -c 3 -W 2 "$SRV_TUN"
}

# ping_works TIMEOUT_S: bounded retries; the client may need a new handshake (up to ~15 s when
# the server lost its session: REKEY_TIMEOUT + KEEPALIVE_TIMEOUT).
ping_works()
{
	wait_until "$1" 1 ping_ok
}

ping_fails()
{
	! ns_run "$NS_CLI" ping -c 1 -W 1 "$SRV_TUN"
}

srv_diag()
{
	diag "wg show: $(srv_wg 2>&1 | tr '\n' '|')"
	diag "ip addr: $(ip -n "$NS_SRV" -o addr show dev "$WG_SRV" 2>&1 | tr '\n' '|')"
	diag "ip link: $(ip -n "$NS_SRV" -o link show dev "$WG_SRV" 2>&1 | tr '\n' '|')"
}

# --- the client, configured only from the downloaded file -----------------------------------

# strip_wgquick IN OUT: what `wg-quick strip` does: drop comments and the wg-quick-only keys.
strip_wgquick()
{
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$1" |
		grep -viE '^[[:space:]]*(Address|DNS|MTU|Table|PreUp|PreDown|PostUp|PostDown|SaveConfig)[[:space:]]*=' \
			>"$2"
}

# file_value FILE KEY: value of "KEY = value" (first match).
file_value()
{
	sed -n "s/^$2[[:space:]]*=[[:space:]]*//p" "$1" | head -n1
}

setup_client()
{
	local conf=$1 addr ip
	strip_wgquick "$conf" "$E2E_TMP/client.setconf" || return 1
	ip netns exec "$NS_CLI" env WG_PROCESS_FOREGROUND=1 wireguard-go -f "$WG_CLI" \
		>"$E2E_TMP/wireguard-go-cli.log" 2>&1 &
	CLI_WG_PID=$!
	wait_until 5 0.2 test -S "/var/run/wireguard/$WG_CLI.sock" || return 1
	wait_until 5 0.2 ns_run "$NS_CLI" ip link show "$WG_CLI" || return 1
	ip netns exec "$NS_CLI" wg setconf "$WG_CLI" "$E2E_TMP/client.setconf" || return 1
	addr=$(file_value "$conf" Address)
	for ip in ${addr//,/ }; do
		ip -n "$NS_CLI" addr add "$ip" dev "$WG_CLI" || return 1
	done
	ip -n "$NS_CLI" link set "$WG_CLI" up || return 1
	# like wg-quick: a route for every AllowedIPs entry of the peer
	for ip in $(ip netns exec "$NS_CLI" wg show "$WG_CLI" allowed-ips | cut -f2-); do
		[ "$ip" = "(none)" ] && continue
		ip -n "$NS_CLI" route replace "$ip" dev "$WG_CLI" || return 1
	done
}

# --- checks -------------------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || bail "needs root"
[ -x "$WGPORTAL_BIN" ] || bail "no daemon binary at $WGPORTAL_BIN (run make)"
mkdir -p "$LOG_DIR"
: >"$LOG"
setup_netns || bail "cannot build the namespaces"
write_config
# the webhook receiver: one JSON body per line in hooks.jsonl (stopped with the namespace)
ip netns exec "$NS_SRV" python3 - "$HOOK_PORT" "$E2E_TMP/hooks.jsonl" >/dev/null 2>&1 <<'EOF' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[2], "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF

# 1. start, backend list
if start_wgportal; then
	impl=$(python3 - "$E2E_TMP/body" <<'EOF'
import json, sys
for b in json.load(open(sys.argv[1])):
    if b.get("Identifier") == "local":
        print(b.get("Implementation", ""))
EOF
)
	echo "$impl" | grep -qi wireguard-go
	rc=$?
	tap $rc "wgportal starts and GET /backend/all lists local (Implementation: '$impl')"
	[ $rc -eq 0 ] || api_diag
else
	tap 1 "wgportal starts and answers GET /backend/all"
	api_diag
	diag "log: $(tail -n 20 "$LOG")"
	bail "daemon did not come up"
fi

# 2. interface
api GET /interface/prepare
cp "$E2E_TMP/body" "$E2E_TMP/iface-prepared.json"
rc=1
if [ "$(api_status)" = 200 ] &&
	jset "$E2E_TMP/iface-prepared.json" "$E2E_TMP/iface.json" "Identifier=\"$WG_SRV\"" \
		"DisplayName=\"e2e $WG_SRV\"" "ListenPort=$WG_PORT" \
		"PeerDefEndpoint=\"$SRV_UNDERLAY:$WG_PORT\""; then
	api POST /interface/new "$E2E_TMP/iface.json"
	if [ "$(api_status)" = 200 ]; then
		IFACE_PUB=$(jget "$E2E_TMP/body" PublicKey)
		wait_until 3 0.2 iface_matches "$IFACE_PUB"
		rc=$?
	fi
fi
tap $rc "POST /interface/new $WG_SRV: 200, wg show has port $WG_PORT and the API's public key, $SRV_TUN/24, UP"
[ $rc -eq 0 ] || { api_diag; srv_diag; }
IFACE_PUB=${IFACE_PUB:-}

# 3. peer
api GET "/peer/prepare/$WG_SRV"
cp "$E2E_TMP/body" "$E2E_TMP/peer.json"
rc=1
PEER_ID=""
if [ "$(api_status)" = 200 ]; then
	PEER_ID=$(jget "$E2E_TMP/peer.json" Identifier)
	api POST /peer/new "$E2E_TMP/peer.json"
	[ "$(api_status)" = 200 ] && [ "$(jget "$E2E_TMP/body" Identifier)" = "$PEER_ID" ] &&
		wait_until 3 0.2 peer_on_device "$PEER_ID" "$CLI_TUN/32"
	rc=$?
fi
tap $rc "POST /peer/new: 200, wg show lists peer ${PEER_ID:0:8} with allowed ips $CLI_TUN/32"
[ $rc -eq 0 ] || { api_diag; srv_diag; }
PEER_ENC=$(urlenc "$PEER_ID")

# 4. peer file
api GET "/provisioning/data/peer-config?PeerId=$PEER_ENC"
cp "$E2E_TMP/body" "$E2E_TMP/peer.conf"
check_peer_file()
{
	local f=$E2E_TMP/peer.conf
	[ "$(api_status)" = 200 ] || return 1
	[ "$(head -n1 "$f")" = "# AUTOGENERATED FILE - DO NOT EDIT" ] || return 1
	# section order and the keys inside each section
	python3 - "$f" "$CLI_TUN/32" "$IFACE_PUB" "$SRV_UNDERLAY:$WG_PORT" <<'EOF'
import sys
path, addr, ifpub, endpoint = sys.argv[1:5]
sect, kv = None, {}
for line in open(path).read().split("\n"):
    s = line.strip()
    if not s or s.startswith("#"):
        continue
    if s.startswith("["):
        sect = s
        kv.setdefault(sect, {})
        continue
    k, _, v = s.partition("=")
    kv.setdefault(sect, {})[k.strip()] = v.strip()
i, p = kv.get("[Interface]", {}), kv.get("[Peer]", {})
ok = (len(i.get("PrivateKey", "")) == 44 and i.get("Address") == addr
      and p.get("PublicKey") == ifpub and p.get("Endpoint") == endpoint)
if not ok:
    print("interface:", {k: v for k, v in i.items() if k != "PrivateKey"}, "peer:", p)
sys.exit(0 if ok else 1)
EOF
}
out=$(check_peer_file 2>&1)
rc=$?
tap $rc "peer-config is wg-quick (header, [Interface] PrivateKey + Address = $CLI_TUN/32, [Peer] interface key + Endpoint = $SRV_UNDERLAY:$WG_PORT)"
[ $rc -eq 0 ] || { diag "$out"; diag "HTTP $(api_status)"; diag "$(head -c 1500 "$E2E_TMP/peer.conf")"; }

# 5. client from the file only, ping through the tunnel
setup_client "$E2E_TMP/peer.conf" && ping_works 30
rc=$?
tap $rc "client configured only from the peer file pings $SRV_TUN through the tunnel"
[ $rc -eq 0 ] || { diag "client: $(ip netns exec "$NS_CLI" wg show "$WG_CLI" 2>&1 | tr '\n' '|')"; srv_diag; }

# 6. statistics
metrics_seen()
{
	api GET "/metrics/by-peer/$PEER_ENC"
	[ "$(api_status)" = 200 ] || return 1
	python3 - "$E2E_TMP/body" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
sys.exit(0 if m.get("LastHandshake") is not None and m.get("BytesReceived", 0) > 0
         and m.get("BytesTransmitted", 0) > 0 else 1)
EOF
}
wait_until 10 0.5 metrics_seen
rc=$?
tap $rc "GET /metrics/by-peer: LastHandshake set, BytesReceived > 0, BytesTransmitted > 0 (within 10 s)"
[ $rc -eq 0 ] || api_diag

# the handshake (no ping checks configured) makes the peer connected: wg-portal's peer_metric
# "connect" webhook, with the peer and its status
connect_hook_seen()
{
	python3 - "$E2E_TMP/hooks.jsonl" "$PEER_ID" <<'EOF'
import json, sys
try:
    events = [json.loads(l) for l in open(sys.argv[1])]
except OSError:
    sys.exit(1)
ok = any(e.get("entity") == "peer_metric" and e.get("event") == "connect"
         and e.get("identifier") == sys.argv[2]
         and e["payload"]["Status"]["IsConnected"] is True
         and e["payload"]["Status"]["IsPingable"] is False
         and e["payload"]["Peer"]["Identifier"] == sys.argv[2] for e in events)
sys.exit(0 if ok else 1)
EOF
}
wait_until 15 0.5 connect_hook_seen
rc=$?
tap $rc "the client's handshake sends the peer_metric connect webhook (IsConnected, not by ping)"
[ $rc -eq 0 ] || diag "hooks: $(tail -c 600 "$E2E_TMP/hooks.jsonl" 2>/dev/null)"

# 7. disable / re-enable
# set_disabled true|false: GET the peer, flip Disabled, PUT it back; returns 0 on 200.
set_disabled()
{
	api GET "/peer/by-id/$PEER_ENC"
	[ "$(api_status)" = 200 ] || return 1
	jset "$E2E_TMP/body" "$E2E_TMP/peer-put.json" "Disabled=$1" || return 1
	api PUT "/peer/by-id/$PEER_ENC" "$E2E_TMP/peer-put.json"
	[ "$(api_status)" = 200 ] && [ "$(jget "$E2E_TMP/body" Disabled)" = "$1" ]
}
set_disabled true && wait_until 3 0.2 peer_not_on_device "$PEER_ID" && ping_fails
rc=$?
tap $rc "PUT Disabled=true: 200, peer gone from wg show, ping fails"
[ $rc -eq 0 ] || { api_diag; srv_diag; }
set_disabled false && wait_until 3 0.2 peer_on_device "$PEER_ID" "$CLI_TUN/32" && ping_works 40
rc=$?
tap $rc "PUT Disabled=false: 200, peer back in wg show, ping works again"
[ $rc -eq 0 ] || { api_diag; srv_diag; }

# 8. restore_state after a restart with the device deleted behind wgportal's back
stop_wgportal
rc_stop=$STOP_RC
ip -n "$NS_SRV" link del "$WG_SRV" 2>/dev/null
# wireguard-go exits when its tun goes away; its socket must be gone before the restart
wait_until 5 0.2 srv_sock_gone
# restart even when the stop failed (crash), so the later checks still test a running daemon
rc=1
if ! ns_run "$NS_SRV" ip link show "$WG_SRV" && start_wgportal; then
	wait_until 5 0.5 iface_healthy "$PEER_ID" && ping_works 40
	rc=$?
fi
[ "$rc_stop" -eq 0 ] || rc=1
tap $rc "restart (SIGTERM exit $rc_stop) after 'ip link del': restore brings back $WG_SRV, its peer and address; ping works"
[ $rc -eq 0 ] || { srv_diag; diag "log: $(tail -n 15 "$LOG")"; }

# 9. healing while running
ip -n "$NS_SRV" link del "$WG_SRV" 2>/dev/null
t0=$(now_us)
wait_until 10 0.5 iface_healthy "$PEER_ID"
rc=$?
heal_us=$(( $(now_us) - t0 ))
secs=$(fmt_secs "$heal_us")
# the limit: back within 5 s of the deletion (measured; polled every 0.5 s)
[ $rc -eq 0 ] && [ "$heal_us" -gt 5000000 ] && rc=1
[ $rc -eq 0 ] && { ping_works 40 || rc=1; }
tap $rc "healing: $WG_SRV deleted while running is back with its peer after ${secs}s (limit 5s), ping works"
[ $rc -eq 0 ] || { srv_diag; diag "log: $(tail -n 10 "$LOG")"; }

# 9b. routes follow single peer changes (applied as deltas against per-prefix reference
# counts): a prefix two peers share stays until the last one goes; a changed ExtraAllowedIPs
# moves its route. The table is route_table_offset (20000) + ifindex, fwmark likewise.
SRV_IFINDEX=$(ip -n "$NS_SRV" -o link show dev "$WG_SRV" 2>/dev/null | cut -d: -f1)
RT_TABLE=$((20000 + ${SRV_IFINDEX:-0}))
# srv_routes: the destinations in the interface's table, sorted, one line
srv_routes()
{
	{ ip -n "$NS_SRV" route show table "$RT_TABLE" dev "$WG_SRV"
	  ip -n "$NS_SRV" -6 route show table "$RT_TABLE" dev "$WG_SRV"; } 2>/dev/null |
		awk '{print $1}' | sort | tr '\n' ' ' | sed 's/ $//'
}
# routes_are "DST DST...": the table holds exactly these (sorted like srv_routes)
routes_are()
{
	[ "$(srv_routes)" = "$(echo "$1" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')" ]
}
# new_peer NAME EXTRA_JSON: prepare + create one peer; sets NEWP_ID and NEWP_ADDR (host part)
new_peer()
{
	NEWP_ID="" NEWP_ADDR=""
	api GET "/peer/prepare/$WG_SRV"
	[ "$(api_status)" = 200 ] || return 1
	jset "$E2E_TMP/body" "$E2E_TMP/np.json" "DisplayName=\"$1\"" "ExtraAllowedIPs=$2" || return 1
	NEWP_ID=$(jget "$E2E_TMP/np.json" Identifier)
	NEWP_ADDR=$(jget "$E2E_TMP/np.json" Addresses 0 | cut -d/ -f1)
	api POST /peer/new "$E2E_TMP/np.json"
	[ "$(api_status)" = 200 ]
}
rule_count()
{
	{ ip -n "$NS_SRV" rule; ip -n "$NS_SRV" -6 rule; } 2>/dev/null |
		grep -c "not from all fwmark $(printf '0x%x' "$RT_TABLE") lookup $RT_TABLE"
}
routes_diag()
{
	diag "table $RT_TABLE: '$(srv_routes)'; rules: $(ip -n "$NS_SRV" rule 2>&1 | tr '\n' '|')"
	api_diag
}

LOG_MARK=$(wc -l <"$LOG")
routes_are "$CLI_TUN" && [ "$(rule_count)" -eq 2 ]
rc=$?
tap $rc "routes: table $RT_TABLE holds exactly $CLI_TUN; rule 'not fwmark $RT_TABLE lookup $RT_TABLE' for IPv4 and IPv6"
[ $rc -eq 0 ] || routes_diag

new_peer "route A" '["10.231.99.0/24"]' && PA_ID=$NEWP_ID PA_ADDR=$NEWP_ADDR &&
	new_peer "route B" '["10.231.99.0/24", "fd31:99::/64"]' && PB_ID=$NEWP_ID PB_ADDR=$NEWP_ADDR &&
	wait_until 3 0.2 routes_are "$CLI_TUN $PA_ADDR $PB_ADDR 10.231.99.0/24 fd31:99::/64"
rc=$?
tap $rc "routes: two new peers sharing 10.231.99.0/24 -> their host routes + 10.231.99.0/24 + fd31:99::/64"
[ $rc -eq 0 ] || routes_diag
PA_ID=${PA_ID:-} PB_ID=${PB_ID:-} PA_ADDR=${PA_ADDR:-} PB_ADDR=${PB_ADDR:-}

api DELETE "/peer/by-id/$(urlenc "$PA_ID")"
[ "$(api_status)" = 204 ] && routes_are "$CLI_TUN $PB_ADDR 10.231.99.0/24 fd31:99::/64"
rc=$?
tap $rc "routes: deleting one of the two sharing peers keeps 10.231.99.0/24, drops its host route"
[ $rc -eq 0 ] || routes_diag

PB_ENC=$(urlenc "$PB_ID")
api GET "/peer/by-id/$PB_ENC"
rc=1
if [ "$(api_status)" = 200 ] &&
	jset "$E2E_TMP/body" "$E2E_TMP/pb.json" 'ExtraAllowedIPs=["10.231.98.0/24", "fd31:99::/64"]'; then
	api PUT "/peer/by-id/$PB_ENC" "$E2E_TMP/pb.json"
	[ "$(api_status)" = 200 ] && routes_are "$CLI_TUN $PB_ADDR 10.231.98.0/24 fd31:99::/64"
	rc=$?
fi
tap $rc "routes: PUT ExtraAllowedIPs 10.231.99.0/24 -> 10.231.98.0/24: old route gone, new one present, fd31:99::/64 kept"
[ $rc -eq 0 ] || routes_diag

api DELETE "/peer/by-id/$PB_ENC"
[ "$(api_status)" = 204 ] && routes_are "$CLI_TUN"
rc=$?
tap $rc "routes: deleting the second peer removes its host route, 10.231.98.0/24 and fd31:99::/64"
[ $rc -eq 0 ] || routes_diag
# the five single-peer changes above went through route deltas, none re-read all peers
n_delta=$(tail -n +"$((LOG_MARK + 1))" "$LOG" | grep -c "sync $WG_SRV: route delta ")
n_full=$(tail -n +"$((LOG_MARK + 1))" "$LOG" | grep -c "sync $WG_SRV: routes reconciled in full")
[ "$n_delta" -ge 5 ] && [ "$n_full" -eq 0 ]
rc=$?
tap $rc "routes: the 5 peer changes were applied as route deltas ($n_delta deltas, $n_full full reconciles)"
[ $rc -eq 0 ] || diag "$(tail -n +"$((LOG_MARK + 1))" "$LOG" | grep -E "route delta|reconciled in full" | tail -n 8)"

# 10. delete peer, delete interface
api DELETE "/peer/by-id/$PEER_ENC"
st=$(api_status)
[ "$st" = 204 ] && wait_until 3 0.2 peer_not_on_device "$PEER_ID"
rc=$?
tap $rc "DELETE /peer/by-id: $st (want 204), peer gone from wg show"
[ $rc -eq 0 ] || { api_diag; srv_diag; }
api DELETE "/interface/by-id/$WG_SRV"
st=$(api_status)
[ "$st" = 204 ] &&
	wait_until 5 0.2 iface_gone
rc=$?
tap $rc "DELETE /interface/by-id: $st (want 204), device and /var/run/wireguard/$WG_SRV.sock gone"
[ $rc -eq 0 ] || { api_diag; srv_diag; diag "sockets: $(ls /var/run/wireguard/ 2>&1 | tr '\n' ' ')"; }
[ "$(rule_count)" -eq 0 ]
rc=$?
tap $rc "DELETE /interface/by-id: policy rules 'not fwmark $RT_TABLE lookup $RT_TABLE' removed (IPv4 and IPv6)"
[ $rc -eq 0 ] || routes_diag

# 11. clean stop
stop_wgportal
rc_stop=$STOP_RC
rc=1
[ "$rc_stop" -eq 0 ] && sanitizer_clean && rc=0
tap $rc "SIGTERM: exit status $rc_stop (want 0), no sanitizer reports in $LOG"
[ $rc -eq 0 ] || diag "$(grep -m5 -A5 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LOG")"

# 12. the daemon ran at debug level: still no private or preshared key of the peer in its log
secrets=$(sed -n 's/^\(PrivateKey\|PresharedKey\) *= *//p' "$E2E_TMP/peer.conf" 2>/dev/null)
leaked=0
for k in $secrets $API_TOKEN; do grep -qF -- "$k" "$LOG" && leaked=$((leaked + 1)); done
[ -n "$secrets" ] && [ "$leaked" -eq 0 ]
rc=$?
tap $rc "debug log holds none of the peer's private/preshared keys and no API token ($leaked found)"

echo "1..$TAP_N"
[ "$TAP_FAILED" -eq 0 ]
