#!/bin/sh
# SPDX-License-Identifier: MIT
# The JOSE library comparison behind docs/auth.md ("JOSE library"): builds one small program per
# Debian 12 candidate (rhonabwy, libcjose, libjwt) and one on wgportal's own src/auth/jwt.c,
# runs the same vectors (gen.mjs) through each and prints which cases each gets wrong and the
# time per verification. Needs: make (build/libwgportal.a), node, librhonabwy-dev libcjose-dev
# libjwt-dev (not wgportal dependencies; install them for this comparison only).
set -eu
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
node bench/jose/gen.mjs "$out"
CFLAGS="-O2 -std=gnu17 -w -Ibench/jose"
cc $CFLAGS -o "$out/rhonabwy" bench/jose/m_rhonabwy.c $(pkg-config --cflags --libs librhonabwy jansson)
cc $CFLAGS -o "$out/cjose" bench/jose/m_cjose.c $(pkg-config --cflags --libs cjose jansson)
cc $CFLAGS -o "$out/libjwt" bench/jose/m_libjwt.c $(pkg-config --cflags --libs libjwt)
cc $CFLAGS -Isrc -o "$out/wgportal" bench/jose/m_wgportal.c build/libwgportal.a \
	$(pkg-config --libs gnutls jansson libsodium)
for p in rhonabwy cjose libjwt wgportal; do "$out/$p" "$out"; echo; done
