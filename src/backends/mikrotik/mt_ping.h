/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_MIKROTIK_MT_PING_H
#define BACKENDS_MIKROTIK_MT_PING_H
/*
 * The MikroTik ping check (ops->ping): POST /tool/ping with count 1 through the instance's
 * shared HTTP client, so pings count against the device's `concurrency` like every other
 * call. Needs the RouterOS 'test' policy; without it -EACCES names the policy.
 *
 * Coupling: reads the instance's HTTP client as the FIRST member of mikrotik.c's struct
 * mt_priv (a pointer to a struct is a pointer to its first member). Keep `http` first there.
 */
#include "backends/backend.h"

int mt_ping(struct backend *be, const char *name, const char *addr,
	    const struct backend_ping_opts *o, struct err *err);

#endif
