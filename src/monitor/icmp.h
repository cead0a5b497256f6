/* SPDX-License-Identifier: MIT */
#ifndef MONITOR_ICMP_H
#define MONITOR_ICMP_H
/*
 * One ICMP / ICMPv6 echo from this host (the local backend's ping check). Raw sockets need
 * CAP_NET_RAW; datagram ("ping") sockets need the caller's group inside
 * net.ipv4.ping_group_range (the same sysctl governs IPv6). Thread-safe: every call has its
 * own socket, and replies are matched by source address, identifier, sequence and a random
 * cookie (raw sockets see every echo reply the host receives).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;

/*
 * Pings addr ("10.0.0.2", "fd00::2"; a "/prefix" suffix is ignored) once, waiting at most
 * timeout_ms. Returns 1 (answered; *ret_rtt_us when non-NULL), 0 (no answer in time, or no
 * route to it), -EINVAL (not an IP address), -EACCES (the socket kind is not permitted here;
 * err says which setting to change) or another -errno.
 */
int icmp_echo(const char *addr, bool unprivileged, int timeout_ms, int64_t *ret_rtt_us,
	      struct err *err);

/* The Internet checksum (RFC 1071) of len bytes; exported for the unit test. */
uint16_t icmp_checksum(const void *data, size_t len);

#endif
