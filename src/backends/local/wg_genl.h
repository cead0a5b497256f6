/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_LOCAL_WG_GENL_H
#define BACKENDS_LOCAL_WG_GENL_H
/*
 * Kernel WireGuard over generic netlink (family "wireguard", linux/wireguard.h).
 *
 * The message builders are pure: they write into a caller-provided buffer and touch no socket,
 * so the chunking rules can be unit-tested. A peer set larger than one message is split the way
 * wireguard-tools' ipc-linux.h does it: the peers that do not fit go into the next message, and
 * a peer whose allowed IPs do not fit continues in the next message with only its public key
 * and the remaining allowed IPs (no flags, so REPLACE_ALLOWEDIPS is not repeated).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;
struct dev_iface;
struct dev_peer;
struct lb_endpoint;
struct local_priv;
struct err;

/* Buffer size of one WG_CMD_SET_DEVICE message sent by wg_genl_set_device() (wg(8) uses the
 * same: MNL_SOCKET_BUFFER_SIZE, at most 8 KiB). */
#define WG_GENL_MSG_SIZE 8192

/* Position in the peer list between wg_genl_build_set() calls. */
struct wg_genl_cursor {
	size_t peer;     /* next peer to emit */
	size_t aip;      /* next allowed IP of that peer */
	bool aip_cont;   /* the peer's header went out already: continue its allowed IPs */
	bool started;    /* the first message (with the device attributes) was built */
};

void wg_genl_cursor_init(struct wg_genl_cursor *cur);

/*
 * Builds the next WG_CMD_SET_DEVICE request (NLM_F_REQUEST|NLM_F_ACK) into buf[size].
 * dev (may be NULL): its DEV_IFACE_HAS_PRIVATE_KEY/LISTEN_PORT/FWMARK fields go into the first
 * message only. peers[n]: DEV_PEER_REMOVE -> WGPEER_F_REMOVE_ME, DEV_PEER_REPLACE_ALLOWEDIPS ->
 * WGPEER_F_REPLACE_ALLOWEDIPS, PSK only with DEV_PEER_HAS_PSK, endpoint from eps[i] (eps may be
 * NULL; len 0 = none) only with DEV_PEER_HAS_ENDPOINT, keepalive always for non-removed peers.
 * Returns the message length (> 0), 0 when everything was emitted, -EMSGSIZE when size is too
 * small to make progress.
 */
int wg_genl_build_set(void *buf, size_t size, uint16_t family, uint32_t seq, const char *ifname,
		      const struct dev_iface *dev, const struct dev_peer *peers,
		      const struct lb_endpoint *eps, size_t n, struct wg_genl_cursor *cur);

/* WG_CMD_GET_DEVICE dump request for ifname. Returns the message length or -EMSGSIZE. */
int wg_genl_build_get(void *buf, size_t size, uint16_t family, uint32_t seq, const char *ifname);
/* CTRL_CMD_GETFAMILY request for name. Returns the message length or -EMSGSIZE. */
int wg_genl_build_getfamily(void *buf, size_t size, uint32_t seq, const char *name);
/* Family id from a CTRL_CMD_NEWFAMILY reply; -EPROTO when absent. */
int wg_genl_parse_family(const struct nlmsghdr *nlh, uint16_t *ret);

/*
 * Accumulates one WG_CMD_GET_DEVICE reply message into d: device fields, and peers appended
 * with dev_iface_add_peer(). A peer with the same public key as the last parsed one is a
 * continuation (the kernel splits large peers across messages) and its allowed IPs are merged.
 * Returns 0, -EPROTO for malformed attributes, -ENOMEM.
 */
int wg_genl_parse_device(const struct nlmsghdr *nlh, struct dev_iface *d);

/* Socket operations (kernel mode). */
/* Resolves the "wireguard" family into lp->wg_family: 0, or -ENOENT when the module is absent. */
int wg_genl_probe(struct local_priv *lp, struct err *err);
/* Full device state into *ret (fields only; link data come from rtnl). -ENOENT: no device. */
int wg_genl_get_device(struct local_priv *lp, const char *ifname, struct dev_iface *ret,
		       struct err *err);
/* Sends all WG_CMD_SET_DEVICE messages for dev/peers, waiting for each ack. */
int wg_genl_set_device(struct local_priv *lp, const char *ifname, const struct dev_iface *dev,
		       const struct dev_peer *peers, const struct lb_endpoint *eps, size_t n,
		       struct err *err);

#endif
