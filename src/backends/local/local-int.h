/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_LOCAL_LOCAL_INT_H
#define BACKENDS_LOCAL_LOCAL_INT_H
/*
 * Private declarations of the local backend (kernel WireGuard over generic netlink, or
 * wireguard-go over its UAPI socket, plus rtnetlink for links, addresses and routes).
 * Nothing outside src/backends/local/ includes this header; the only export of the backend is
 * `backend_local` (backend.h).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct mnl_socket;
struct err;

/* Directory of wireguard-go's UAPI sockets. Shared by every network namespace. */
#define LB_UAPI_DIR "/var/run/wireguard"

/* Receive buffer for netlink replies: dumps are sized by the kernel up to 32 KiB per skb. */
#define LB_NL_RECV_SIZE 32768

/* An interface whose routes hold a default route (fams: bit 0 IPv4, bit 1 IPv6). */
struct lb_default_route {
	char name[16];
	unsigned fams;
};

/* Per-instance state (be->priv, allocated by backend.c with priv_size bytes). */
struct local_priv {
	bool is_kernel;             /* genl family "wireguard" present */
	bool is_open;
	struct mnl_socket *rtnl;    /* NETLINK_ROUTE */
	struct mnl_socket *genl;    /* NETLINK_GENERIC (kernel mode only) */
	uint16_t wg_family;         /* genl family id of "wireguard" */
	uint32_t seq;               /* last netlink sequence number used */
	/* wg-portal keeps one "lookup main suppress_prefixlength 0" rule per family while any
	 * interface routes a default route of that family: who does, as of the last reconcile */
	struct lb_default_route *defaults;
	size_t n_defaults;
};

/* A resolved peer endpoint: len 0 = none. */
struct lb_endpoint {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* True when name is a usable interface name: 1..15 chars of [A-Za-z0-9_=+.-]. */
bool lb_ifname_is_valid(const char *name);

/* Resolves "host:port" / "[v6]:port" with getaddrinfo (numeric hosts resolve without DNS).
 * Returns 0, -EINVAL for a malformed string, -EHOSTUNREACH when resolution fails. */
int lb_endpoint_resolve(const char *s, struct lb_endpoint *ret, struct err *err);
/* Formats a sockaddr_in/in6 as "a.b.c.d:port" or "[v6]:port" into out (size >= 72).
 * Returns 0 or -EAFNOSUPPORT. */
int lb_endpoint_format(const struct sockaddr *sa, socklen_t len, char *out, size_t size);

struct ip_prefix;
/* Appends *p to the heap array *v of *n entries (amortised doubling; the capacity is implied by
 * n, so arrays built here can be freed with plain free()). Returns 0 or -ENOMEM. */
int lb_prefix_append(struct ip_prefix **v, size_t *n, const struct ip_prefix *p);

/* Next netlink sequence number of this instance. */
uint32_t lb_next_seq(struct local_priv *lp);

#endif
