#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Browser tests of the sign-in methods (tests/ui/auth.mjs): LDAP (slapd), OpenID Connect and
# OAuth2 (npm oidc-provider on 127.0.0.2), passkeys (Chromium's virtual authenticator), TOTP.
# Runs in a private network namespace "wgpau<pid>" (loopback only). TAP output, exit 1 on any
# failure. Needs root, /usr/bin/chromium, slapd, node; npm ci in tests/ui and tests/idp when
# their node_modules are missing. Env: WGPORTAL_BIN (default build/wgportal).
set -u
cd "$(dirname "$0")/../.." || exit 1

export WGPORTAL_BIN=${WGPORTAL_BIN:-build/wgportal}
NS="wgpau$$"
bail() { echo "not ok 1 - sign-in browser tests cannot run: $*"; echo "1..1"; exit 1; }

[ "$(id -u)" -eq 0 ] || bail "needs root (network namespace)"
[ -x /usr/bin/chromium ] || bail "/usr/bin/chromium missing (scripts/install-deps.sh test)"
[ -x /usr/sbin/slapd ] || bail "slapd missing (scripts/install-deps.sh test)"
[ -x "$WGPORTAL_BIN" ] || bail "$WGPORTAL_BIN missing: run make"
command -v node >/dev/null || bail "node missing"
tests/lib/npm-ci-once.sh tests/ui playwright-core >&2 || bail "npm ci in tests/ui failed"
tests/lib/npm-ci-once.sh tests/idp oidc-provider >&2 || bail "npm ci in tests/idp failed"

TMP=$(mktemp -d "/tmp/wgpau$$.XXXXXX") || bail "mktemp failed"
export UI_TMP=$TMP UI_TAG=$$ UI_LOG_PREFIX=ui-auth
. tests/lib/netns.sh
cleanup()
{
	netns_remove "$NS"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS" || bail "ip netns add $NS failed"
ip -n "$NS" link set lo up || bail "loopback up in $NS failed"
timeout -k 10 600 ip netns exec "$NS" node tests/ui/auth.mjs
