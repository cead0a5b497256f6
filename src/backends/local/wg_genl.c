/* SPDX-License-Identifier: MIT */
/*
 * Kernel WireGuard over generic netlink: pure builders for WG_CMD_SET_DEVICE (chunked like
 * wireguard-tools' ipc-linux.h), WG_CMD_GET_DEVICE and CTRL_CMD_GETFAMILY, a parser of the
 * device dump that merges peers continued across messages, and the socket exchanges.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "backends/local/local-int.h"
#include "backends/local/nl.h"
#include "backends/local/wg_genl.h"
#include "model/keys.h"
#include "util/err.h"

void wg_genl_cursor_init(struct wg_genl_cursor *cur)
{
	memset(cur, 0, sizeof(*cur));
}

static struct nlmsghdr *genl_put_header(void *buf, size_t size, uint16_t family, uint8_t cmd,
					uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*g)))
		return NULL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = WG_GENL_VERSION;
	return nlh;
}

/* Puts one allowed IP as a nested entry; false when it does not fit. */
static bool put_allowedip(struct nlmsghdr *nlh, size_t size, const struct ip_prefix *p)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, size, 0);
	size_t alen = p->family == AF_INET6 ? 16 : 4;

	if (!nest)
		return false;
	if (!mnl_attr_put_u16_check(nlh, size, WGALLOWEDIP_A_FAMILY, p->family) ||
	    !mnl_attr_put_check(nlh, size, WGALLOWEDIP_A_IPADDR, alen, p->addr) ||
	    !mnl_attr_put_u8_check(nlh, size, WGALLOWEDIP_A_CIDR_MASK, p->len)) {
		mnl_attr_nest_cancel(nlh, nest);
		return false;
	}
	mnl_attr_nest_end(nlh, nest);
	return true;
}

/* Puts the per-peer header (key, flags, psk, endpoint, keepalive); false when it does not fit.
 * A continued peer gets its public key only. */
static bool put_peer_header(struct nlmsghdr *nlh, size_t size, const struct dev_peer *p,
			    const struct lb_endpoint *ep, bool cont)
{
	uint32_t flags = 0;

	if (!mnl_attr_put_check(nlh, size, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, p->public_key))
		return false;
	if (cont)
		return true;
	if (p->flags & DEV_PEER_REMOVE)
		flags |= WGPEER_F_REMOVE_ME;
	if (p->flags & DEV_PEER_REPLACE_ALLOWEDIPS)
		flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	if (flags && !mnl_attr_put_u32_check(nlh, size, WGPEER_A_FLAGS, flags))
		return false;
	if (p->flags & DEV_PEER_REMOVE)
		return true;
	if ((p->flags & DEV_PEER_HAS_PSK) &&
	    !mnl_attr_put_check(nlh, size, WGPEER_A_PRESHARED_KEY, WG_KEY_LEN, p->preshared_key))
		return false;
	if ((p->flags & DEV_PEER_HAS_ENDPOINT) && ep && ep->len &&
	    !mnl_attr_put_check(nlh, size, WGPEER_A_ENDPOINT, ep->len, &ep->ss))
		return false;
	if ((p->flags & DEV_PEER_HAS_KEEPALIVE) &&
	    !mnl_attr_put_u16_check(nlh, size, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
				    p->persistent_keepalive))
		return false;
	return true;
}

int wg_genl_build_set(void *buf, size_t size, uint16_t family, uint32_t seq, const char *ifname,
		      const struct dev_iface *dev, const struct dev_peer *peers,
		      const struct lb_endpoint *eps, size_t n, struct wg_genl_cursor *cur)
{
	struct nlmsghdr *nlh;
	struct nlattr *peers_nest;
	bool progress = false;

	if (cur->started && cur->peer >= n)
		return 0;
	nlh = genl_put_header(buf, size, family, WG_CMD_SET_DEVICE, NLM_F_REQUEST | NLM_F_ACK, seq);
	if (!nlh || !mnl_attr_put_strz_check(nlh, size, WGDEVICE_A_IFNAME, ifname))
		return -EMSGSIZE;
	if (!cur->started) {
		if (dev && (dev->flags & DEV_IFACE_HAS_PRIVATE_KEY) &&
		    !mnl_attr_put_check(nlh, size, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN,
					dev->private_key))
			return -EMSGSIZE;
		if (dev && (dev->flags & DEV_IFACE_HAS_LISTEN_PORT) &&
		    !mnl_attr_put_u16_check(nlh, size, WGDEVICE_A_LISTEN_PORT, dev->listen_port))
			return -EMSGSIZE;
		if (dev && (dev->flags & DEV_IFACE_HAS_FWMARK) &&
		    !mnl_attr_put_u32_check(nlh, size, WGDEVICE_A_FWMARK, dev->fwmark))
			return -EMSGSIZE;
		cur->started = true;
		/* Device attributes alone are progress (a peer-less call still sends them). */
		progress = dev && (dev->flags & (DEV_IFACE_HAS_PRIVATE_KEY | DEV_IFACE_HAS_LISTEN_PORT |
						 DEV_IFACE_HAS_FWMARK));
	}
	if (cur->peer >= n)
		return (int)nlh->nlmsg_len;
	peers_nest = mnl_attr_nest_start_check(nlh, size, WGDEVICE_A_PEERS);
	if (!peers_nest)
		return progress ? (int)nlh->nlmsg_len : -EMSGSIZE;
	for (; cur->peer < n; cur->peer++, cur->aip = 0, cur->aip_cont = false) {
		const struct dev_peer *p = &peers[cur->peer];
		struct nlattr *peer_nest, *aips_nest;
		bool has_aips = !(p->flags & DEV_PEER_REMOVE) && p->n_allowed_ips > cur->aip;

		peer_nest = mnl_attr_nest_start_check(nlh, size, 0);
		if (!peer_nest)
			break;
		if (!put_peer_header(nlh, size, p, eps ? &eps[cur->peer] : NULL, cur->aip_cont)) {
			mnl_attr_nest_cancel(nlh, peer_nest);
			break;
		}
		if (!has_aips) {
			mnl_attr_nest_end(nlh, peer_nest);
			progress = true;
			continue;
		}
		/* From here the peer header is in this message: the rest continues without flags. */
		aips_nest = mnl_attr_nest_start_check(nlh, size, WGPEER_A_ALLOWEDIPS);
		if (aips_nest) {
			size_t first = cur->aip;

			for (; cur->aip < p->n_allowed_ips; cur->aip++)
				if (!put_allowedip(nlh, size, &p->allowed_ips[cur->aip]))
					break;
			if (cur->aip == first && cur->aip_cont) {
				/* A bare continuation with no allowed IP would be pointless. */
				mnl_attr_nest_cancel(nlh, peer_nest);
				break;
			}
			mnl_attr_nest_end(nlh, aips_nest);
		} else if (cur->aip_cont) {
			mnl_attr_nest_cancel(nlh, peer_nest);
			break;
		}
		mnl_attr_nest_end(nlh, peer_nest);
		progress = true;
		if (cur->aip < p->n_allowed_ips) {
			/* toobig_allowedips: continue this peer in the next message. */
			cur->aip_cont = true;
			mnl_attr_nest_end(nlh, peers_nest);
			return (int)nlh->nlmsg_len;
		}
	}
	if (!progress)
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, peers_nest);
	return (int)nlh->nlmsg_len;
}

int wg_genl_build_get(void *buf, size_t size, uint16_t family, uint32_t seq, const char *ifname)
{
	struct nlmsghdr *nlh = genl_put_header(buf, size, family, WG_CMD_GET_DEVICE,
					       NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq);

	if (!nlh || !mnl_attr_put_strz_check(nlh, size, WGDEVICE_A_IFNAME, ifname))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int wg_genl_build_getfamily(void *buf, size_t size, uint32_t seq, const char *name)
{
	struct nlmsghdr *nlh = genl_put_header(buf, size, GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
					       NLM_F_REQUEST | NLM_F_ACK, seq);

	if (!nlh || !mnl_attr_put_strz_check(nlh, size, CTRL_ATTR_FAMILY_NAME, name))
		return -EMSGSIZE;
	/* The ctrl family speaks version 1 as well; keep the header consistent with genl(8). */
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->version = 1;
	return (int)nlh->nlmsg_len;
}

int wg_genl_parse_family(const struct nlmsghdr *nlh, uint16_t *ret)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID) {
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -EPROTO;
			*ret = mnl_attr_get_u16(a);
			return 0;
		}
	}
	return -EPROTO;
}

static int parse_allowedip(const struct nlattr *nest, struct dev_peer *p)
{
	const struct nlattr *a;
	struct ip_prefix ip = { 0 };
	bool has_addr = false, has_cidr = false;
	size_t alen = 0;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case WGALLOWEDIP_A_FAMILY:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -EPROTO;
			ip.family = (uint8_t)mnl_attr_get_u16(a);
			break;
		case WGALLOWEDIP_A_IPADDR:
			alen = mnl_attr_get_payload_len(a);
			if (alen != 4 && alen != 16)
				return -EPROTO;
			memcpy(ip.addr, mnl_attr_get_payload(a), alen);
			has_addr = true;
			break;
		case WGALLOWEDIP_A_CIDR_MASK:
			if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
				return -EPROTO;
			ip.len = mnl_attr_get_u8(a);
			has_cidr = true;
			break;
		}
	}
	if (!has_addr || !has_cidr || (ip.family == AF_INET && alen != 4) ||
	    (ip.family == AF_INET6 && alen != 16) ||
	    (ip.family != AF_INET && ip.family != AF_INET6) ||
	    ip.len > (ip.family == AF_INET ? 32 : 128))
		return -EPROTO;
	return lb_prefix_append(&p->allowed_ips, &p->n_allowed_ips, &ip);
}

static int parse_peer(const struct nlattr *nest, struct dev_iface *d)
{
	const struct nlattr *a, *key = NULL;
	struct dev_peer *p = NULL;
	int r;

	/* The public key decides whether this is a new peer or a continuation. */
	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == WGPEER_A_PUBLIC_KEY)
			key = a;
	if (!key || mnl_attr_get_payload_len(key) != WG_KEY_LEN)
		return -EPROTO;
	if (d->n_peers > 0 &&
	    !memcmp(d->peers[d->n_peers - 1].public_key, mnl_attr_get_payload(key), WG_KEY_LEN)) {
		p = &d->peers[d->n_peers - 1];
	} else {
		r = dev_iface_add_peer(d, &p);
		if (r < 0)
			return r;
		memcpy(p->public_key, mnl_attr_get_payload(key), WG_KEY_LEN);
		p->stats_valid = true;
	}
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case WGPEER_A_PRESHARED_KEY:
			if (mnl_attr_get_payload_len(a) != WG_KEY_LEN)
				return -EPROTO;
			memcpy(p->preshared_key, mnl_attr_get_payload(a), WG_KEY_LEN);
			if (!key_is_zero(p->preshared_key))
				p->flags |= DEV_PEER_HAS_PSK;
			break;
		case WGPEER_A_ENDPOINT:
			if (lb_endpoint_format(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a),
					       p->endpoint, sizeof(p->endpoint)) == 0)
				p->flags |= DEV_PEER_HAS_ENDPOINT;
			break;
		case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -EPROTO;
			p->persistent_keepalive = mnl_attr_get_u16(a);
			break;
		case WGPEER_A_LAST_HANDSHAKE_TIME: {
			struct { int64_t sec, nsec; } ts;

			if (mnl_attr_get_payload_len(a) != sizeof(ts))
				return -EPROTO;
			memcpy(&ts, mnl_attr_get_payload(a), sizeof(ts));
			p->last_handshake_sec = ts.sec;
			p->last_handshake_nsec = ts.nsec;
			break;
		}
		case WGPEER_A_RX_BYTES:
			if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
				return -EPROTO;
			p->rx_bytes = mnl_attr_get_u64(a);
			break;
		case WGPEER_A_TX_BYTES:
			if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
				return -EPROTO;
			p->tx_bytes = mnl_attr_get_u64(a);
			break;
		case WGPEER_A_ALLOWEDIPS: {
			const struct nlattr *ai;

			mnl_attr_for_each_nested(ai, a) {
				r = parse_allowedip(ai, p);
				if (r < 0)
					return r;
			}
			break;
		}
		}
	}
	return 0;
}

int wg_genl_parse_device(const struct nlmsghdr *nlh, struct dev_iface *d)
{
	const struct nlattr *a;
	int r;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct genlmsghdr))
		return -EPROTO;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case WGDEVICE_A_IFINDEX:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EPROTO;
			d->ifindex = (int)mnl_attr_get_u32(a);
			break;
		case WGDEVICE_A_IFNAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
				return -EPROTO;
			snprintf(d->name, sizeof(d->name), "%s", mnl_attr_get_str(a));
			break;
		case WGDEVICE_A_PRIVATE_KEY:
			if (mnl_attr_get_payload_len(a) != WG_KEY_LEN)
				return -EPROTO;
			memcpy(d->private_key, mnl_attr_get_payload(a), WG_KEY_LEN);
			d->flags |= DEV_IFACE_HAS_PRIVATE_KEY;
			break;
		case WGDEVICE_A_PUBLIC_KEY:
			if (mnl_attr_get_payload_len(a) != WG_KEY_LEN)
				return -EPROTO;
			memcpy(d->public_key, mnl_attr_get_payload(a), WG_KEY_LEN);
			break;
		case WGDEVICE_A_LISTEN_PORT:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -EPROTO;
			d->listen_port = mnl_attr_get_u16(a);
			d->flags |= DEV_IFACE_HAS_LISTEN_PORT;
			break;
		case WGDEVICE_A_FWMARK:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EPROTO;
			d->fwmark = mnl_attr_get_u32(a);
			d->flags |= DEV_IFACE_HAS_FWMARK;
			break;
		case WGDEVICE_A_PEERS: {
			const struct nlattr *pa;

			mnl_attr_for_each_nested(pa, a) {
				r = parse_peer(pa, d);
				if (r < 0)
					return r;
			}
			break;
		}
		}
	}
	return 0;
}

/* --- socket exchanges ------------------------------------------------------------------- */

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	int r = wg_genl_parse_family(nlh, data);

	if (r < 0) {
		errno = -r;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int wg_genl_probe(struct local_priv *lp, struct err *err)
{
	char buf[256];
	int len, r;

	len = wg_genl_build_getfamily(buf, sizeof(buf), lb_next_seq(lp), WG_GENL_NAME);
	if (len < 0)
		return err_set(err, len, "genl: cannot build request");
	r = lb_nl_talk(lp->genl, (struct nlmsghdr *)buf, family_cb, &lp->wg_family);
	if (r == -ENOENT)
		return -ENOENT; /* no module: the caller falls back to wireguard-go */
	if (r < 0)
		return err_set(err, r, "genl: resolving family 'wireguard': %s", strerror(-r));
	return 0;
}

static int device_cb(const struct nlmsghdr *nlh, void *data)
{
	int r = wg_genl_parse_device(nlh, data);

	if (r < 0) {
		errno = -r;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int wg_genl_get_device(struct local_priv *lp, const char *ifname, struct dev_iface *ret,
		       struct err *err)
{
	char buf[256];
	struct dev_iface d = { 0 };
	int len, r;

	len = wg_genl_build_get(buf, sizeof(buf), lp->wg_family, lb_next_seq(lp), ifname);
	if (len < 0)
		return err_set(err, len, "genl: cannot build request");
	r = lb_nl_talk(lp->genl, (struct nlmsghdr *)buf, device_cb, &d);
	if (r < 0) {
		dev_iface_release(&d);
		if (r == -ENODEV || r == -ENOENT)
			return err_set(err, -ENOENT, "interface '%s' does not exist", ifname);
		return err_set(err, r, "genl: reading device '%s': %s", ifname, strerror(-r));
	}
	*ret = d;
	return 0;
}

int wg_genl_set_device(struct local_priv *lp, const char *ifname, const struct dev_iface *dev,
		       const struct dev_peer *peers, const struct lb_endpoint *eps, size_t n,
		       struct err *err)
{
	struct wg_genl_cursor cur;
	char *buf = malloc(WG_GENL_MSG_SIZE);
	int r = 0;

	if (!buf)
		return err_set(err, -ENOMEM, "out of memory");
	wg_genl_cursor_init(&cur);
	/* Bounded: every iteration emits at least one allowed IP, peer or the device header, or
	 * fails with -EMSGSIZE. */
	for (;;) {
		int len = wg_genl_build_set(buf, WG_GENL_MSG_SIZE, lp->wg_family, lb_next_seq(lp),
					    ifname, dev, peers, eps, n, &cur);

		if (len == 0)
			break;
		if (len < 0) {
			r = err_set(err, len, "genl: peer does not fit into a message");
			break;
		}
		r = lb_nl_talk(lp->genl, (struct nlmsghdr *)buf, NULL, NULL);
		if (r < 0) {
			r = err_set(err, r == -ENODEV ? -ENOENT : r, "genl: configuring '%s': %s",
				    ifname, strerror(-r));
			break;
		}
	}
	/* The messages carried private and preshared keys. */
	explicit_bzero(buf, WG_GENL_MSG_SIZE);
	free(buf);
	return r;
}
