/* SPDX-License-Identifier: MIT */
/*
 * Stored interface/peer -> device form. This is where wg-portal's mode semantics live
 * (spec/wg-portal-compat.md 3.1): which allowed IPs, endpoint and keepalive a peer gets on the
 * device, and which prefixes are routed through the interface (wg-portal.md 4.11).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "config/config.h"
#include "sync/sync-int.h"
#include "sync/sync.h"
#include "util/err.h"

static int push_prefix(struct ip_prefix **v, size_t *n, const struct ip_prefix *p)
{
	struct ip_prefix *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[(*n)++] = *p;
	return 0;
}

/* Adds each CIDR of sv; as_host turns "10.0.0.2/24" into "10.0.0.2/32" (peer addresses). */
static int push_list(struct ip_prefix **v, size_t *n, const struct strv *sv, bool as_host)
{
	for (size_t i = 0; i < sv->n; i++) {
		struct ip_prefix p;
		if (ip_prefix_parse(sv->v[i], true, &p) < 0)
			continue; /* validated on write; an old bad row must not stop a sync */
		if (as_host)
			p.len = (uint8_t)ip_prefix_host_len(p.family);
		else
			ip_prefix_network(&p, &p);
		if (push_prefix(v, n, &p) < 0)
			return -ENOMEM;
	}
	return 0;
}

static bool mode_is(const char *m, const char *want)
{
	return m && !strcasecmp(m, want);
}

bool sync_peer_on_device(const struct backend *be, const struct peer *p)
{
	return !p->disabled || backend_has_cap(be, BACKEND_CAP_DISABLED_PEERS);
}

int sync_dev_peer_from(const struct iface *ifc, const struct peer *p, bool keep_disabled,
		       struct dev_peer *ret)
{
	const char *mode = p->mode;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (key_from_base64(ret->public_key, p->public_key[0] ? p->public_key : p->identifier) < 0)
		return -EINVAL;
	ret->flags = DEV_PEER_REPLACE_ALLOWEDIPS | DEV_PEER_HAS_PSK;
	if (p->preshared_key[0] && key_from_base64(ret->preshared_key, p->preshared_key) < 0)
		return -EINVAL;
	if (p->disabled && keep_disabled)
		ret->flags |= DEV_PEER_DISABLED;
	if (!mode || !*mode)
		mode = peer_mode_for_iface(ifc->mode);

	/* server-side peers ("client" mode) are reached through their tunnel addresses; peers we
	 * dial out to ("server") carry the networks behind them; "any" is both */
	if (mode_is(mode, "client") || mode_is(mode, "any"))
		r = push_list(&ret->allowed_ips, &ret->n_allowed_ips, &p->addresses, true);
	else if (mode_is(mode, "server"))
		r = push_list(&ret->allowed_ips, &ret->n_allowed_ips, &p->allowed_ips.value, false);
	if (r == 0 && (mode_is(mode, "client") || mode_is(mode, "server") || mode_is(mode, "any")))
		r = push_list(&ret->allowed_ips, &ret->n_allowed_ips, &p->extra_allowed_ips, false);
	if (r < 0) {
		dev_peer_release(ret);
		return r;
	}
	/* endpoint and keepalive are wgportal's only for peers it dials (3.1); for the others
	 * they stay as the device has them */
	if (mode_is(mode, "server") || mode_is(mode, "any")) {
		if (p->endpoint.value)
			snprintf(ret->endpoint, sizeof(ret->endpoint), "%s", p->endpoint.value);
		if (p->persistent_keepalive.value > 0 && p->persistent_keepalive.value <= 65535)
			ret->persistent_keepalive = (uint16_t)p->persistent_keepalive.value;
		ret->flags |= DEV_PEER_HAS_ENDPOINT | DEV_PEER_HAS_KEEPALIVE;
	}
	/* remote backends show it as the peer's name/comment/description, as wg-portal does */
	if (p->display_name && *p->display_name && !(ret->name = strdup(p->display_name))) {
		dev_peer_release(ret);
		return -ENOMEM;
	}
	return 0;
}

static bool parse_table(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*ret = (uint32_t)v;
	return true;
}

uint32_t sync_fwmark(const struct app *app, const struct iface *ifc, int ifindex)
{
	if (ifc->firewall_mark)
		return ifc->firewall_mark;
	if (ifindex <= 0)
		return 0;
	return (uint32_t)(app->cfg->advanced.route_table_offset + ifindex);
}

uint32_t sync_route_table(const struct app *app, const struct iface *ifc, int ifindex)
{
	uint32_t t;

	if (ifc->routing_table && !strcasecmp(ifc->routing_table, "off"))
		return 0;
	if (parse_table(ifc->routing_table, &t) && t != 0)
		return t;
	return sync_fwmark(app, ifc, ifindex); /* "" or "0": automatic, table = fwmark */
}

int sync_peer_routes(const struct iface *ifc, const struct peer *p, struct ip_prefix **routes,
		     size_t *n)
{
	int r;

	if (p->disabled)
		return 0;
	if (mode_is(ifc->mode, "client"))
		r = push_list(routes, n, &p->allowed_ips.value, false);
	else
		r = push_list(routes, n, &p->addresses, true);
	if (r == 0)
		r = push_list(routes, n, &p->extra_allowed_ips, false);
	return r;
}

int sync_build_dev_iface(struct app *app, const struct iface *ifc, struct peer **peers, size_t n,
			 struct dev_iface *ret, struct err *err)
{
	struct backend *be = backend_find(ifc->backend);
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	snprintf(ret->name, sizeof(ret->name), "%s", STR(ifc->identifier));
	ret->up = !ifc->disabled;
	if (ifc->display_name && *ifc->display_name && !(ret->comment = strdup(ifc->display_name)))
		return err_set(err, -ENOMEM, "out of memory building device state");
	if (ifc->private_key[0]) {
		if (key_from_base64(ret->private_key, ifc->private_key) < 0) {
			dev_iface_release(ret);
			return err_field(err, -EINVAL, "PrivateKey", "invalid private key");
		}
		ret->flags |= DEV_IFACE_HAS_PRIVATE_KEY;
	}
	ret->listen_port = (uint16_t)ifc->listen_port;
	ret->flags |= DEV_IFACE_HAS_LISTEN_PORT;
	if (ifc->mtu > 0) {
		ret->mtu = (uint32_t)ifc->mtu;
		ret->flags |= DEV_IFACE_HAS_MTU;
	}
	if (!be || backend_has_cap(be, BACKEND_CAP_ADDRESSES)) {
		for (size_t i = 0; i < ifc->addresses.n; i++) {
			struct ip_prefix p;
			if (ip_prefix_parse(ifc->addresses.v[i], false, &p) == 0 &&
			    (r = push_prefix(&ret->addresses, &ret->n_addresses, &p)) < 0)
				goto fail;
		}
		ret->flags |= DEV_IFACE_HAS_ADDRESSES;
	}
	for (size_t i = 0; i < n; i++) {
		struct dev_peer *dp;
		if (be && !sync_peer_on_device(be, peers[i]))
			continue;
		if ((r = dev_iface_add_peer(ret, &dp)) < 0)
			goto fail;
		if ((r = sync_dev_peer_from(ifc, peers[i], true, dp)) < 0) {
			ret->n_peers--;
			if (r == -EINVAL)
				continue; /* a stored peer with a broken key is skipped, not fatal */
			goto fail;
		}
		if ((r = sync_peer_routes(ifc, peers[i], &ret->routes, &ret->n_routes)) < 0)
			goto fail;
	}
	return 0;
fail:
	dev_iface_release(ret);
	return err_set(err, r, "out of memory building device state");
}
