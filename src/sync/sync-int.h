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
/* The differ (diff.c). Interfaces: clears want's HAS_* bits of the fields the device already
 * has (labels kept only when before, the stored state before a user's change, differs;
 * routes and fwmark always kept). sync_iface_changes(): anything but routes/fwmark left. */
void sync_diff_iface(struct dev_iface *want, struct dev_iface *have,
		     const struct dev_iface *before);
bool sync_iface_changes(const struct dev_iface *want);
/* Peers: the change mask of want against the device's have (fields both know); of a stored
 * peer's change (before -> after); and the plan of a full sync: changed, missing (CH_ALL) and
 * removed peers, shallow copies of want's entries (free only the array). */
unsigned sync_diff_peer(const struct dev_peer *want, struct dev_peer *have);
unsigned sync_diff_peer_change(const struct dev_peer *before, struct dev_peer *after);
/* A stored peer changed where the state before it is not known here (another cluster node):
 * against the device's have, plus its name when it differs, plus a PSK the device hides when
 * the store holds one. */
unsigned sync_diff_peer_elsewhere(struct dev_peer *want, struct dev_peer *have);
int sync_plan_peers(struct dev_iface *want, struct dev_iface *have, struct dev_peer **ret,
		    size_t *ret_n);
/* Appends the prefixes routed through the interface for one peer. */
int sync_peer_routes(const struct iface *ifc, const struct peer *p, struct ip_prefix **routes,
		     size_t *n);

#endif
