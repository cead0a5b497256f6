/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_LOCAL_LOCAL_H
#define BACKENDS_LOCAL_LOCAL_H
/*
 * The local backend: WireGuard interfaces of the host wgportal runs on (kernel genetlink, or
 * wireguard-go over its UAPI socket), rtnetlink for links, addresses and routes, ICMP from the
 * host for ping checks. Always registered as the instance "local".
 */
#include "backends/backend.h"

extern const struct backend_ops backend_local;

#endif
