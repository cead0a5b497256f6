/* SPDX-License-Identifier: MIT */
/*
 * pfSense reads: one tunnel with its peers and their statistics, three parallel GETs
 * (/tunnels?name=, /peers?tun=, and from package 2.9 /status/wireguard/tunnels?name=, whose
 * per-tunnel peer list is complete, unlike /status/wireguard/peers; tests/sim/README.md). A
 * peer's configured endpoint (endpoint/port) and where it was last seen (the status endpoint)
 * are kept apart: the first is compared by sync, the second is statistics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "backends/http/http.h"
#include "backends/pfsense/pf-int.h"
#include "util/err.h"

static int peer_to_dev(const struct pf_peer *p, const struct pf_peer_status *st, bool stats,
		       struct dev_peer *dp)
{
	struct endpoint ep;

	memcpy(dp->public_key, p->public_key, WG_KEY_LEN);
	if (p->has_psk) {
		/* exposed by the firewall; otherwise unknown, and never written back */
		memcpy(dp->preshared_key, p->preshared_key, WG_KEY_LEN);
		dp->flags |= DEV_PEER_HAS_PSK;
	}
	/* pfSense always shows the configured endpoint (null = none), its port (kept apart)
	 * and the keepalive (null = off) */
	if (p->endpoint[0] && endpoint_from_parts(p->endpoint, p->port, &ep) == 0)
		endpoint_format(&ep, dp->endpoint);
	dp->flags |= DEV_PEER_HAS_ENDPOINT | DEV_PEER_HAS_KEEPALIVE;
	dp->persistent_keepalive = (uint16_t)p->keepalive;
	if (p->n_aips) {
		dp->allowed_ips = malloc(p->n_aips * sizeof(*dp->allowed_ips));
		if (!dp->allowed_ips)
			return -ENOMEM;
		memcpy(dp->allowed_ips, p->aips, p->n_aips * sizeof(*dp->allowed_ips));
		dp->n_allowed_ips = p->n_aips;
	}
	if (p->descr && p->descr[0] && !(dp->name = strdup(p->descr)))
		return -ENOMEM;
	if (!p->enabled)
		dp->flags |= DEV_PEER_DISABLED;
	dp->stats_valid = stats;
	if (st) {
		if (st->endpoint[0] && strcmp(st->endpoint, "(none)"))
			snprintf(dp->current_endpoint, sizeof(dp->current_endpoint), "%s",
				 st->endpoint);
		dp->rx_bytes = st->rx;
		dp->tx_bytes = st->tx;
		dp->last_handshake_sec = st->latest_handshake;
	}
	return 0;
}

enum { G_TUN, G_PEERS, G_STATUS, G_MAX };

int pf_get_iface(struct backend *be, const char *name, struct dev_iface *ret, struct err *err)
{
	static const char *const what[G_MAX] = {
		"reading the WireGuard tunnel", "reading peers", "reading peer status",
	};
	struct pf_priv *pp = be->priv;
	struct http_call calls[G_MAX] = { 0 };
	struct dev_iface d = { 0 };
	struct pf_tunnel *t = NULL;
	struct pf_peer *peers = NULL;
	struct pf_peer_status *st = NULL;
	const struct pf_tunnel *tn;
	size_t nt = 0, np = 0, nst = 0, ncalls;
	int r;

	if ((r = pf_check_name(name, err)) < 0)
		return r;
	if ((r = pf_ensure_probed(be, err)) < 0)
		return r;
	if (pp->n_undo)
		pf_undo_run(pp, NULL, NULL, 0);
	ncalls = pp->stats ? G_MAX : G_STATUS;
	calls[G_TUN].path = http_path_query(PF_W "/tunnels", "name", name, NULL, NULL);
	calls[G_PEERS].path = http_path_query(PF_W "/peers", "tun", name, NULL, NULL);
	/* per tunnel: /status/wireguard/peers drops the peers of later tunnels (array union) */
	if (pp->stats)
		calls[G_STATUS].path = http_path_query("/status/wireguard/tunnels", "name", name,
						       NULL, NULL);
	if ((r = rest_reads(&pp->rest, calls, ncalls, what, err)) < 0)
		goto out;
	if ((r = pf_parse_tunnels(calls[G_TUN].reply.body, calls[G_TUN].reply.len, &t, &nt,
				  err)) < 0 ||
	    (r = pf_parse_peers(calls[G_PEERS].reply.body, calls[G_PEERS].reply.len, &peers, &np,
				NULL, err)) < 0 ||
	    (pp->stats && (r = pf_parse_tunnel_status(calls[G_STATUS].reply.body,
						      calls[G_STATUS].reply.len, &st, &nst,
						      err)) < 0)) {
		err_prefix(err, "pfSense tunnel '%s'", name);
		goto out;
	}
	tn = pf_find_tunnel(t, nt, name);
	if (!tn) {
		r = err_set(err, -ENOENT, "interface '%s' does not exist", name);
		goto out;
	}
	snprintf(d.name, sizeof(d.name), "%s", name);
	d.flags = DEV_IFACE_HAS_LISTEN_PORT | DEV_IFACE_HAS_MTU | DEV_IFACE_HAS_ADDRESSES;
	if (tn->has_private_key) {
		/* the firewall exposes sensitive fields */
		memcpy(d.private_key, tn->private_key, WG_KEY_LEN);
		d.flags |= DEV_IFACE_HAS_PRIVATE_KEY;
	}
	if (tn->has_public_key)
		memcpy(d.public_key, tn->public_key, WG_KEY_LEN);
	d.listen_port = tn->listenport;
	d.mtu = tn->mtu;
	d.up = tn->enabled;
	if (tn->descr && tn->descr[0] && !(d.comment = strdup(tn->descr)))
		goto oom;
	if (tn->n_addrs) {
		d.addresses = malloc(tn->n_addrs * sizeof(*d.addresses));
		if (!d.addresses)
			goto oom;
		memcpy(d.addresses, tn->addrs, tn->n_addrs * sizeof(*d.addresses));
		d.n_addresses = tn->n_addrs;
	}
	for (size_t i = 0; i < np; i++) {
		const struct pf_peer_status *ps = NULL;
		struct dev_peer *dp;

		if (strcmp(peers[i].tun, name))
			continue; /* the filter is loose (spec 2.4); be exact */
		for (size_t k = 0; k < nst && !ps; k++)
			if (!memcmp(st[k].public_key, peers[i].public_key, WG_KEY_LEN) &&
			    (!st[k].tunnel[0] || !strcmp(st[k].tunnel, name)))
				ps = &st[k];
		if (dev_iface_add_peer(&d, &dp) < 0 || peer_to_dev(&peers[i], ps, pp->stats, dp) < 0)
			goto oom;
	}
	*ret = d;
	memset(&d, 0, sizeof(d));
	r = 0;
	goto out;
oom:
	r = err_set(err, -ENOMEM, "out of memory");
out:
	dev_iface_release(&d);
	pf_tunnels_free(t, nt);
	pf_peers_free(peers, np);
	free(st);
	http_calls_release(calls, G_MAX);
	return r;
}

