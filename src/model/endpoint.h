/* SPDX-License-Identifier: MIT */
#ifndef MODEL_ENDPOINT_H
#define MODEL_ENDPOINT_H
/*
 * Peer endpoints ("host:port", "[v6]:port"): the one parser and the one comparison of the
 * program. The store, the validators, sync's differ and every backend (the local UAPI/netlink
 * writer, RouterOS's endpoint-address/endpoint-port, pfSense's endpoint/port) go through these
 * functions, so "the same endpoint" means the same thing everywhere:
 *   - ports are compared as numbers (a missing port is 0 and equals only a missing port);
 *   - two addresses are equal when they are the same address, however written
 *     ("2001:db8::1" = "2001:DB8:0::1");
 *   - two names are equal when they are the same DNS name (case and a trailing dot ignored);
 *   - a name never equals an address: the device shows what it resolved, and only a fresh
 *     resolution can tell whether that is still right, so sync writes the name again.
 */
#include <stdbool.h>
#include <stdint.h>

#define ENDPOINT_HOST_MAX 254                     /* a DNS name (253) or an address, + NUL */
#define ENDPOINT_STR_MAX (ENDPOINT_HOST_MAX + 8)  /* "[" host "]:65535" + NUL */

struct endpoint {
	char host[ENDPOINT_HOST_MAX]; /* address as written (no brackets) or DNS name */
	uint16_t port;                /* 0 = none */
	int family;                   /* AF_INET / AF_INET6 for an address, 0 for a name */
	uint8_t addr[16];             /* the address, network byte order (family != 0) */
};

/* "host:port" or "[v6]:port" (port 1..65535); port_optional also takes "host" and "[v6]".
 * A bare IPv6 address with a port must be bracketed. Returns 0 or -EINVAL. */
int endpoint_parse(const char *s, bool port_optional, struct endpoint *ret);
/* The two fields devices keep apart (RouterOS endpoint-address/endpoint-port, pfSense
 * endpoint/port): host without brackets, port 0..65535 (0 = none). Returns 0 or -EINVAL. */
int endpoint_from_parts(const char *host, unsigned long port, struct endpoint *ret);
/* "host:port", "[v6]:port", or the host alone when the port is 0. */
void endpoint_format(const struct endpoint *ep, char out[static ENDPOINT_STR_MAX]);
bool endpoint_equal(const struct endpoint *a, const struct endpoint *b);
/* endpoint_equal() on two strings; "" equals only ""; a string that does not parse equals
 * only itself. */
bool endpoint_str_equal(const char *a, const char *b);

#endif
