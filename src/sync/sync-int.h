/* SPDX-License-Identifier: MIT */
#ifndef SYNC_SYNC_INT_H
#define SYNC_SYNC_INT_H
/* Private to sync/: conversion helpers between stored and device forms. */
#include <stdbool.h>

#include "backends/backend.h"
#include "core/app.h"
#include "model/iface.h"
#include "model/peer.h"

/* Fills one device peer from a stored peer (allowed IPs per mode, spec 3.1). */
int sync_dev_peer_from(const struct iface *ifc, const struct peer *p, bool keep_disabled,
		       struct dev_peer *ret);
/* True when the peer belongs on the device: enabled, or disabled on a backend that keeps
 * disabled peers flagged. */
bool sync_peer_on_device(const struct backend *be, const struct peer *p);
/* Route table number for an interface (0 = no route management), spec 4.11. */
uint32_t sync_route_table(const struct app *app, const struct iface *ifc, int ifindex);
/* Firewall mark for an interface: its own or route_table_offset + ifindex. */
uint32_t sync_fwmark(const struct app *app, const struct iface *ifc, int ifindex);
/* Appends the prefixes routed through the interface for one peer. */
int sync_peer_routes(const struct iface *ifc, const struct peer *p, struct ip_prefix **routes,
		     size_t *n);

#endif
