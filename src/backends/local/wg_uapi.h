/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_LOCAL_WG_UAPI_H
#define BACKENDS_LOCAL_WG_UAPI_H
/*
 * wireguard-go's cross-platform UAPI (https://www.wireguard.com/xplatform/): a text protocol
 * over /var/run/wireguard/<iface>.sock. "get=1\n\n" returns key=value lines ending with
 * "errno=0\n\n"; "set=1\n...\n\n" applies settings and answers "errno=N\n\n". Keys are hex.
 *
 * The text builder and the reply parser are pure (no socket) so they can be unit-tested.
 */
#include <stdbool.h>
#include <stddef.h>

struct buf;
struct dev_iface;
struct dev_peer;
struct lb_endpoint;
struct err;

/* Largest reply accepted from a UAPI socket (a 10,000-peer dump is about 3 MiB). */
#define WG_UAPI_REPLY_MAX (256U << 20)

/*
 * Appends a complete "set=1" transaction (terminated by the empty line) to out.
 * dev (may be NULL): private_key/listen_port/fwmark per its DEV_IFACE_HAS_* flags.
 * peers[n]: "remove=true" for DEV_PEER_REMOVE, "replace_allowed_ips=true" for
 * DEV_PEER_REPLACE_ALLOWEDIPS, preshared_key only with DEV_PEER_HAS_PSK, endpoint (numeric, from
 * eps[i], eps may be NULL) only with DEV_PEER_HAS_ENDPOINT, persistent_keepalive_interval always
 * for non-removed peers. Returns 0, -E2BIG when out's maximum is reached.
 */
int wg_uapi_build_set(struct buf *out, const struct dev_iface *dev, const struct dev_peer *peers,
		      const struct lb_endpoint *eps, size_t n);

/*
 * Parses a complete get=1 reply (text[len], up to and including "errno=N") into *ret: private
 * key (and the derived public key), listen port, fwmark, peers with PSK, endpoint, keepalive,
 * handshake time, rx/tx and allowed IPs. Returns 0, -EPROTO for malformed text, the negative
 * errno reported by the device, or -ENOMEM. *ret is written only on success.
 */
int wg_uapi_parse_get(const char *text, size_t len, struct dev_iface *ret);

/* True when the UAPI socket of ifname exists (it may belong to another network namespace). */
bool wg_uapi_sock_exists(const char *ifname);

/* Reads the device state over the socket. -ENOENT when there is no socket. */
int wg_uapi_get(const char *ifname, struct dev_iface *ret, struct err *err);
/* Sends one set=1 transaction (streamed in chunks) and reads "errno=N". */
int wg_uapi_set(const char *ifname, const struct dev_iface *dev, const struct dev_peer *peers,
		const struct lb_endpoint *eps, size_t n, struct err *err);

#endif
