#!/bin/sh
# Installs the Debian 12 packages wgportal needs, only those that are missing.
# Usage: scripts/install-deps.sh [build|test]   (test = build + what the test suites need)
# Quiet when nothing is missing; needs root (or sudo) only when something is.
set -eu
build_pkgs="build-essential pkg-config libulfius-dev libmicrohttpd-dev libjansson-dev liborcania-dev
libyder-dev libgnutls28-dev libcurl4-gnutls-dev libyaml-dev libsodium-dev libqrencode-dev libpng-dev
libmnl-dev libsqlite3-dev libpq-dev libmariadb-dev nettle-dev libcrypt-dev zlib1g-dev libldap-dev"
run_pkgs="wireguard-go iproute2"
test_pkgs="libcmocka-dev wireguard-tools iputils-ping python3 python3-yaml python3-aiosmtpd zbar-tools curl openssl chromium clang-14 libclang-rt-14-dev
postgresql mariadb-server python3-cryptography slapd ldap-utils"

# The UI build needs node + npm. Machines of this kind ship node 20 + npm 11 outside Debian;
# only when no npm is on PATH do we ask for Debian's (package "npm" pulls nodejs).
command -v npm >/dev/null 2>&1 || build_pkgs="$build_pkgs nodejs npm"

want="$build_pkgs $run_pkgs"
[ "${1:-build}" = test ] && want="$want $test_pkgs"

missing=""
for p in $want; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
