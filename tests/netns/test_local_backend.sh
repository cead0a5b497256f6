#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Local backend against real wireguard-go interfaces in network namespaces (root only).
#
#   netns wgpl$$-a                                   netns wgpl$$-b
#   +--------------------------+   veth underlay    +--------------------------+
#   | wgl$$a (local backend)   |  192.168.241.1/24  | wgl$$b (wireguard-go +   |
#   | 10.77.0.1/24, port 51820 |<------------------>|  wg set), 10.77.0.2/24,  |
#   | driven by local_driver   |  192.168.241.2/24  |  port 51821              |
#   +--------------------------+                    +--------------------------+
#
# The driver (tests/netns/local_driver.c) calls the backend through the registry wrappers;
# `wg` and `ip` are used here only to verify. Output is TAP.
set -u
cd "$(dirname "$0")/../.."

NA="wgpl$$-a" NB="wgpl$$-b"
IA="wgl$$a" IB="wgl$$b" IX="wgl$$x"
VA="wgpv$$a" VB="wgpv$$b"
# The flavour follows WGPORTAL_BIN (tests/run-all.sh runs this once per build): the driver of
# the ASan+UBSan run links build/san's library with the sanitizers. Each flavour has its own
# driver path, since both runs may build at the same time.
LIBDIR=build SANFLAGS=""
case ${WGPORTAL_BIN:-} in
*/build/san/*|build/san/*) LIBDIR=build/san SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" ;;
esac
DRV=$LIBDIR/netns/local_driver
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; [ $# -gt 1 ] && echo "# $2"; }
check() { # description, command...
	local d=$1; shift
	local out
	if out=$("$@" 2>&1); then ok "$d"; else nok "$d" "$(echo "$out" | tail -n 3 | tr '\n' ' ')"; fi
}
a() { ip netns exec "$NA" "$@"; }
b() { ip netns exec "$NB" "$@"; }
drv() { timeout 30 ip netns exec "$NA" "$DRV" "$@"; }

cleanup() {
	local ns pid
	for ns in "$NA" "$NB"; do
		# wireguard-go daemons we started live in these namespaces: stop them by pid.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	rm -f "/var/run/wireguard/$IA.sock" "/var/run/wireguard/$IB.sock" "/var/run/wireguard/$IX.sock"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then echo "1..0 # SKIP needs root"; exit 0; fi
if ! command -v wireguard-go >/dev/null || ! command -v wg >/dev/null; then
	echo "1..0 # SKIP needs wireguard-go and wireguard-tools"; exit 0
fi

# Build the driver against the library (no Makefile rule of its own).
mkdir -p "$LIBDIR/netns"
if [ "$LIBDIR" = build/san ]; then
	make --no-print-directory -s SANITIZE=1 build/san/libwgportal.a >/dev/null
else
	make --no-print-directory -s build/libwgportal.a >/dev/null
fi || { echo "1..0 # SKIP library does not build"; exit 0; }
PKGS="libulfius libmicrohttpd jansson liborcania libyder yaml-0.1 libsodium libqrencode libpng libmnl sqlite3 libcurl"
# shellcheck disable=SC2086  # SANFLAGS is a list of flags
if ! cc -std=gnu17 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -Isrc -D_GNU_SOURCE \
	$SANFLAGS $(pkg-config --cflags $PKGS) -o "$DRV.$$" tests/netns/local_driver.c "$LIBDIR/libwgportal.a" \
	$(pkg-config --libs $PKGS) -lpthread -lm; then
	echo "1..1"; echo "not ok 1 - build local_driver"; exit 1
fi
mv -f "$DRV.$$" "$DRV"   # a rename: a run of the other flavour never executes a half-written file

ip netns add "$NA" && ip netns add "$NB" || { echo "1..1"; echo "not ok 1 - create namespaces"; exit 1; }
a ip link set lo up; b ip link set lo up
ip link add "$VA" netns "$NA" type veth peer name "$VB" netns "$NB"
a ip addr add 192.168.241.1/24 dev "$VA"; a ip link set "$VA" up
b ip addr add 192.168.241.2/24 dev "$VB"; b ip link set "$VB" up

KA=$(wg genkey); PA=$(echo "$KA" | wg pubkey)
KB=$(wg genkey); PB=$(echo "$KB" | wg pubkey)
P1=$(wg genkey | wg pubkey); P2=$(wg genkey | wg pubkey); P3=$(wg genkey | wg pubkey)
PSK=$(wg genpsk)

# --- implementation probe ---
impl=$(drv impl 2>&1)
case "$impl" in
"wireguard-go (uapi)"*|"kernel (genetlink)"*) ok "open: implementation '$impl'" ;;
*) nok "open: implementation" "$impl" ;;
esac

# --- create ---
check "apply_iface creates $IA" drv apply-iface "$IA" "$KA" 51820 1380 "10.77.0.1/24,fd77::1/64" 1
[ "$(a wg show "$IA" listen-port 2>/dev/null)" = 51820 ] && ok "wg show: listen port" || nok "wg show: listen port"
[ "$(a wg show "$IA" public-key 2>/dev/null)" = "$PA" ] && ok "wg show: public key from private key" || nok "wg show: public key"
addrs=$(a ip -o addr show dev "$IA" 2>/dev/null)
echo "$addrs" | grep -q "inet 10.77.0.1/24" && echo "$addrs" | grep -q "inet6 fd77::1/64" \
	&& ok "ip addr: IPv4 and IPv6 addresses" || nok "ip addr: addresses" "$addrs"
link=$(a ip -o link show dev "$IA" 2>/dev/null)
echo "$link" | grep -q "mtu 1380" && echo "$link" | grep -q "[<,]UP[,>]" \
	&& ok "ip link: mtu 1380 and up" || nok "ip link: mtu/up" "$link"

# --- list: an interface of another namespace must not show up ---
b wireguard-go "$IX" >/dev/null 2>&1
list=$(drv list 2>&1)
echo "$list" | grep -qx "$IA" && ! echo "$list" | grep -qx "$IX" \
	&& ok "list_ifaces: own interface only (shared /var/run/wireguard)" || nok "list_ifaces" "$list"

# --- peers ---
check "apply_peers: 3 peers" drv peers "$IA" \
	"$P1|10.77.0.11/32,fd77::11/128|192.168.241.9:51820|25|$PSK" \
	"$P2|10.77.0.12/32|[fd00:241::9]:1234||" \
	"$P3|10.77.0.13/32,10.88.0.0/16|||"
dump=$(a wg show "$IA" dump 2>/dev/null | tail -n +2)
[ "$(echo "$dump" | wc -l)" -eq 3 ] \
	&& echo "$dump" | grep -q "^$P1	$PSK	192.168.241.9:51820	10.77.0.11/32,fd77::11/128	0	0	[0-9]*	25$" \
	&& echo "$dump" | grep -q "^$P2	(none)	\[fd00:241::9\]:1234	10.77.0.12/32	" \
	&& echo "$dump" | grep -q "^$P3	(none)	(none)	10.77.0.13/32,10.88.0.0/16	" \
	&& ok "wg show dump: 3 peers with psk/endpoint/keepalive/allowed ips" || nok "wg show dump" "$dump"
got=$(drv get "$IA" 2>&1)
[ "$(echo "$got" | grep -c '^peer ')" -eq 3 ] \
	&& echo "$got" | grep -q "^peer pub=$P1 endpoint=192.168.241.9:51820 keepalive=25 psk=yes .* aips=10.77.0.11/32,fd77::11/128$" \
	&& echo "$got" | grep -q "^iface name=$IA .*up=1 mtu=1380 port=51820 .*pub=$PA .*peers=3 addrs=10.77.0.1/24,fd77::1/64$" \
	&& ok "get_iface: link, keys, addresses and 3 peers" || nok "get_iface" "$got"
check "apply_peers: remove one, replace allowed IPs of another" drv peers "$IA" "-$P2" "$P3|10.77.0.14/32|||"
dump=$(a wg show "$IA" dump 2>/dev/null | tail -n +2)
[ "$(echo "$dump" | wc -l)" -eq 2 ] && ! echo "$dump" | grep -q "^$P2" \
	&& echo "$dump" | grep -q "^$P3	(none)	(none)	10.77.0.14/32	" \
	&& ok "wg show: peer removed, allowed IPs replaced" || nok "peer removal" "$dump"
check "apply_peers: psk removal (all-zero)" drv peers "$IA" "$P1|10.77.0.11/32|||zero"
[ "$(a wg show "$IA" preshared-keys | grep "^$P1" | cut -f2)" = "(none)" ] \
	&& ok "wg show: psk removed" || nok "psk removal"

# --- addresses replaced, routes in a table, policy rule ---
check "apply_iface: replace addresses, routes in table 1234" \
	drv apply-iface "$IA" "$KA" 51820 1380 "10.77.0.1/24,10.78.0.1/24" 1 1234 "10.77.5.0/24,10.77.6.1/32,fd77:6::/64"
addrs=$(a ip -o addr show dev "$IA")
echo "$addrs" | grep -q "inet 10.78.0.1/24" && echo "$addrs" | grep -q "inet 10.77.0.1/24" \
	&& ! echo "$addrs" | grep -q "fd77::1/64" && ok "ip addr: set replaced" || nok "address replace" "$addrs"
rt=$(a ip route show table 1234; a ip -6 route show table 1234)
echo "$rt" | grep -q "^10.77.5.0/24 dev $IA .*scope link" && echo "$rt" | grep -q "^10.77.6.1 dev $IA" \
	&& echo "$rt" | grep -q "^fd77:6::/64 dev $IA" && ok "ip route table 1234: routes" || nok "routes" "$rt"
rules=$(a ip rule; a ip -6 rule)
[ "$(echo "$rules" | grep -c "not from all fwmark 0x4d2 lookup 1234")" -eq 2 ] \
	&& ok "ip rule: not fwmark 0x4d2 lookup 1234 (v4 and v6)" || nok "rules" "$rules"
check "apply_iface: same config again (idempotent)" \
	drv apply-iface "$IA" "$KA" 51820 1380 "10.77.0.1/24,10.78.0.1/24" 1 1234 "10.77.5.0/24,10.77.6.1/32,fd77:6::/64"
[ "$(a ip rule | grep -c "lookup 1234")" -eq 1 ] && ok "ip rule: not duplicated" || nok "rule duplicated"
check "apply_iface: fewer routes" drv apply-iface "$IA" "$KA" 51820 1380 "10.77.0.1/24" 1 1234 "10.77.6.1/32"
rt=$(a ip route show table 1234; a ip -6 route show table 1234)
[ "$(echo "$rt" | grep -c .)" -eq 1 ] && echo "$rt" | grep -q "^10.77.6.1 dev $IA" \
	&& ok "ip route table 1234: stale routes removed" || nok "stale routes" "$rt"
a ip route show table main | grep -q "^10.77.0.0/24 dev $IA proto kernel" \
	&& ok "main table: kernel prefix route untouched" || nok "kernel route"
main_rules() { a ip "$1" rule | grep -c "^20000:	from all lookup main suppress_prefixlength 0"; }
check "apply_iface: a default route (0.0.0.0/0) in table 1234, rule_prio_offset 20000" \
	drv apply-iface "$IA" "$KA" 51820 1380 "10.77.0.1/24" 1 1234 "10.77.6.1/32,0.0.0.0/0" "" 20000
[ "$(main_rules -4)" -eq 1 ] && [ "$(main_rules -6)" -eq 0 ] \
	&& ok "ip rule: 20000: lookup main suppress_prefixlength 0 for IPv4 only" || nok "main rule" "$(a ip rule)"
check "apply_iface: the same again" \
	drv apply-iface "$IA" "$KA" 51820 1380 "10.77.0.1/24" 1 1234 "10.77.6.1/32,0.0.0.0/0" "" 20000
[ "$(a ip rule | grep -c "suppress_prefixlength 0")" -eq 1 ] && ok "ip rule: main rule not duplicated" \
	|| nok "main rule duplicated" "$(a ip rule)"
check "apply_iface: default route gone" \
	drv apply-iface "$IA" "$KA" 51820 1380 "10.77.0.1/24" 1 1234 "10.77.6.1/32" "" 20000
[ "$(main_rules -4)" -eq 0 ] && [ "$(a ip route show table 1234 | grep -c default)" -eq 0 ] \
	&& ok "ip rule: main rule removed with the last default route" || nok "main rule removal" "$(a ip rule)"
# every priority of the main rule's span held by other rules: a clear error, not "disk full"
for p in $(seq 30000 31023); do echo "rule add priority $p lookup 5555"; done | a ip -batch -
out=$(drv apply-iface "$IA" "$KA" 51820 1380 "10.77.0.1/24" 1 1234 "10.77.6.1/32,0.0.0.0/0" "" 30000 2>&1) \
	&& nok "full rule span accepted" "$out" \
	|| { echo "$out" | grep -q "other rules hold every priority from 30000 to 31023" \
		&& ok "apply_iface: rule priorities 30000-31023 all taken: refused naming the span" \
		|| nok "full rule span" "$out"; }
for p in $(seq 30000 31023); do echo "rule del priority $p"; done | a ip -batch -
check "apply_iface: back to the state before" \
	drv apply-iface "$IA" "$KA" 51820 1380 "10.77.0.1/24" 1 1234 "10.77.6.1/32" "" 20000

# --- route-only applies: one peer's routes as a delta, the flush before a delete ---
rt_all() { { a ip route show table 1234; a ip -6 route show table 1234; } 2>/dev/null | awk '{print $1}' | sort | tr '\n' ' '; }
check "routes add: two prefixes" drv routes add "$IA" 1234 "10.77.7.0/24,fd77:7::/64"
[ "$(rt_all)" = "10.77.6.1 10.77.7.0/24 fd77:7::/64 " ] \
	&& ok "ip route table 1234: added next to the existing route" || nok "routes add" "$(rt_all)"
check "routes add: an existing route again (replace, no error)" drv routes add "$IA" 1234 "10.77.7.0/24"
check "routes del: one prefix" drv routes del "$IA" 1234 "10.77.7.0/24"
check "routes del: a missing prefix is not an error" drv routes del "$IA" 1234 "10.77.9.0/24"
[ "$(rt_all)" = "10.77.6.1 fd77:7::/64 " ] \
	&& ok "ip route table 1234: only that prefix removed" || nok "routes del" "$(rt_all)"
ifx=$(a cat "/sys/class/net/$IA/ifindex" 2>/dev/null)
out=$(drv routes add "$IA" 1234 "10.77.8.0/24" "" $((ifx + 1000)) 2>&1) && nok "stale ifindex refused" \
	|| { echo "$out" | grep -q "re-created" && ok "routes add with a stale ifindex: refused (re-created)" || nok "stale ifindex" "$out"; }
check "routes add with the current ifindex" drv routes add "$IA" 1234 "10.77.8.0/24" "" "$ifx"
[ "$(rt_all)" = "10.77.6.1 10.77.8.0/24 fd77:7::/64 " ] \
	&& ok "ip route table 1234: stale request changed nothing, current one added" || nok "ifindex check" "$(rt_all)"
check "apply_iface: an IPv6 default route (::/0)" \
	drv apply-iface "$IA" "$KA" 51820 1380 "10.77.0.1/24" 1 1234 "10.77.6.1/32,10.77.8.0/24,fd77:7::/64,::/0" "" 20000
[ "$(main_rules -6)" -eq 1 ] && ok "ip -6 rule: main rule for the IPv6 default route" || nok "v6 main rule" "$(a ip -6 rule)"
check "routes flush" drv routes flush "$IA" 1234 "" "" "" 20000
rules=$(a ip rule; a ip -6 rule)
[ -z "$(rt_all | tr -d ' ')" ] && [ "$(echo "$rules" | grep -c "lookup 1234")" -eq 0 ] \
	&& [ "$(main_rules -6)" -eq 0 ] \
	&& ok "flush: table 1234 empty, both 'not fwmark 0x4d2 lookup 1234' rules and the main rule gone" \
	|| nok "flush" "$(rt_all) / $rules"
a ip route show table main | grep -q "^10.77.0.0/24 dev $IA proto kernel" \
	&& ok "flush: main table kernel prefix route untouched" || nok "flush touched main"

# --- real handshake: A by the driver, B by wireguard-go + wg set ---
b wireguard-go "$IB" >/dev/null 2>&1
b wg set "$IB" private-key <(echo "$KB") listen-port 51821 \
	peer "$PA" allowed-ips 10.77.0.1/32 endpoint 192.168.241.1:51820
b ip addr add 10.77.0.2/24 dev "$IB"; b ip link set "$IB" up
check "apply_peers: tunnel peer B" drv peers "$IA" "$PB|10.77.0.2/32|192.168.241.2:51821|0|"
pinged=0
for i in 1 2 3; do
	if a ping -c1 -W2 10.77.0.2 >/dev/null 2>&1; then pinged=1; break; fi
done
[ $pinged = 1 ] && ok "ping through the tunnel" || nok "ping through the tunnel"
got=$(drv get "$IA" 2>&1)
line=$(echo "$got" | grep "^peer pub=$PB ")
hs=$(echo "$line" | sed -n 's/.* hs=\([0-9]*\) .*/\1/p')
rx=$(echo "$line" | sed -n 's/.* rx=\([0-9]*\) .*/\1/p')
tx=$(echo "$line" | sed -n 's/.* tx=\([0-9]*\) .*/\1/p')
[ "${hs:-0}" -gt 0 ] && [ "${rx:-0}" -gt 0 ] && [ "${tx:-0}" -gt 0 ] \
	&& ok "get_iface: handshake $hs, rx $rx, tx $tx" || nok "peer stats" "$line"
irx=$(echo "$got" | sed -n 's/^iface .* rx=\([0-9]*\) tx=\([0-9]*\) .*/\1 \2/p')
set -- $irx
[ "${1:-0}" -gt 0 ] && [ "${2:-0}" -gt 0 ] && ok "get_iface: link rx/tx ($irx)" || nok "link stats" "$irx"

# --- down, delete, errors ---
check "apply_iface: link down" drv apply-iface "$IA" "" 51820 1380 "10.77.0.1/24" 0
a ip -o link show dev "$IA" | grep -q "[<,]UP[,>]" && nok "link down" || ok "ip link: down"
check "delete_iface" drv delete "$IA"
! a ip link show dev "$IA" >/dev/null 2>&1 && [ ! -e "/var/run/wireguard/$IA.sock" ] \
	&& ok "link and UAPI socket gone" || nok "delete left link or socket"
out=$(drv get "$IA" 2>&1) && nok "get after delete fails" || { echo "$out" | grep -q "does not exist" && ok "get after delete: does not exist" || nok "get after delete" "$out"; }
out=$(drv apply-iface "bad/name" "" 1 0 "" 1 2>&1) && nok "invalid name rejected" || ok "invalid name rejected"
out=$(drv apply-iface "wgl\$(id)" "" 1 0 "" 1 2>&1) && nok "shell metacharacters rejected" || ok "shell metacharacters rejected"

echo "1..$n"
[ "$failed" -eq 0 ]
