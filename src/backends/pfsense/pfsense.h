/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_PFSENSE_PFSENSE_H
#define BACKENDS_PFSENSE_PFSENSE_H
/*
 * pfSense backend over the REST API v2 package (pfrest, spec/pfsense-rest.md). One instance per
 * backend.pfsense[] config entry. Interfaces are WireGuard tunnels (named by pfSense, tun_wgN),
 * with their addresses; peers are the global peer list filtered by `tun`. Writes are staged by
 * pfSense and applied once per batch; success is reported only after the apply ran. Private
 * keys are never returned (BACKEND_CAP_PRIVKEY_HIDDEN), preshared keys are write-only
 * (BACKEND_CAP_PSK_WRITE_ONLY). Peer statistics only with package 2.9.0 and later (status
 * endpoint). A read-only API key leaves the backend readable (BACKEND_CAP_READONLY), every
 * write returns -EACCES.
 */
#include "backends/backend.h"

extern const struct backend_ops backend_pfsense;

#endif
