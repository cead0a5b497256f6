/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_MIKROTIK_MIKROTIK_H
#define BACKENDS_MIKROTIK_MIKROTIK_H
/*
 * MikroTik RouterOS v7 backend over the REST API (spec/routeros-rest.md). One instance per
 * backend.mikrotik[] config entry. Interfaces map to /interface/wireguard (counters from
 * /interface), addresses to /ip/address and /ipv6/address, peers to
 * /interface/wireguard/peers. Dynamic (system) peers are reported DEV_PEER_READONLY and never
 * modified. No hooks, routes or fwmark.
 */
#include "backends/backend.h"

extern const struct backend_ops backend_mikrotik;

#endif
