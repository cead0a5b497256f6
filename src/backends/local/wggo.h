/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_LOCAL_WGGO_H
#define BACKENDS_LOCAL_WGGO_H
/* Starting wireguard-go (userspace WireGuard) for one interface. */
#include <stdbool.h>
#include <stddef.h>

struct err;

/* Time allowed for wireguard-go to create its tun device and UAPI socket. */
#define WGGO_START_TIMEOUT_MS 3000

/* Looks up `wireguard-go` on PATH; writes its full path into path[size]. */
bool wggo_find(char *path, size_t size);

/*
 * Runs `wireguard-go <name>` (fork + execve, no shell; name must pass lb_ifname_is_valid()).
 * wireguard-go daemonises itself; this waits, bounded by WGGO_START_TIMEOUT_MS, until the UAPI
 * socket and the link exist in our namespace. Returns 0, -EINVAL (bad name), -ENOENT (no
 * wireguard-go), -ETIMEDOUT, or -EIO when wireguard-go failed (its last stderr line in err).
 */
int wggo_start(const char *name, struct err *err);

#endif
