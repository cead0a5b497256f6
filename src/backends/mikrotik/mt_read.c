/* SPDX-License-Identifier: MIT */
/*
 * MikroTik reads: one interface with its counters, addresses and peers, read with five
 * parallel GETs filtered by ?name= / ?interface= and cut to the properties used (.proplist).
 * A peer's configured endpoint (endpoint-address/-port) and where it was last seen
 * (current-endpoint-*) are kept apart: the first is compared by sync, the second is statistics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/backend.h"
#include "backends/http/http.h"
#include "backends/mikrotik/mt-int.h"
#include "util/err.h"

#define PL_IFSTAT ".id,name,rx-byte,tx-byte"
#define PL_PEER_BASE                                                                             \
	".id,interface,comment,public-key,preshared-key,allowed-address,endpoint-address,"      \
	"endpoint-port,persistent-keepalive,disabled,dynamic,rx,tx,last-handshake,"             \
	"current-endpoint-address,current-endpoint-port"

char *mt_peer_proplist(const struct mt_priv *mp)
{
	char *s = NULL;
	const struct mt_version *v = &mp->res.ver;

	if (asprintf(&s, "%s%s%s", PL_PEER_BASE, mt_version_ge(v, 7, 15) ? ",name" : "",
		     mt_version_ge(v, 7, 17)   ? ",responder"
		     : mt_version_ge(v, 7, 15) ? ",is-responder"
					       : "") < 0)
		return NULL;
	return s;
}

/* host and port as one endpoint string; "" when the host is empty. */
static void endpoint_text(const char *host, unsigned port, char *out, size_t size)
{
	struct endpoint ep;

	if (!host[0]) {
		out[0] = '\0';
	} else if (endpoint_from_parts(host, port, &ep) == 0) {
		char s[ENDPOINT_STR_MAX];
		endpoint_format(&ep, s);
		snprintf(out, size, "%s", s);
	} else {
		snprintf(out, size, "%s:%u", host, port);  /* not ours to judge: compared as text */
	}
}

static int peer_to_dev(const struct mt_priv *mp, const struct mt_peer *p, time_t now,
		       struct dev_peer *dp)
{
	const char *nm = mt_version_ge(&mp->res.ver, 7, 15) && p->name ? p->name : p->comment;

	memcpy(dp->public_key, p->public_key, WG_KEY_LEN);
	if (p->has_psk) {
		memcpy(dp->preshared_key, p->preshared_key, WG_KEY_LEN);
		dp->flags |= DEV_PEER_HAS_PSK;
	}
	/* RouterOS always shows the configured endpoint ("" = none) and keepalive */
	endpoint_text(p->endpoint_address, p->endpoint_port, dp->endpoint, sizeof(dp->endpoint));
	endpoint_text(p->current_address, p->current_port, dp->current_endpoint,
		      sizeof(dp->current_endpoint));
	if (!p->current_port)
		dp->current_endpoint[0] = '\0';
	dp->flags |= DEV_PEER_HAS_ENDPOINT | DEV_PEER_HAS_KEEPALIVE;
	dp->persistent_keepalive = (uint16_t)p->keepalive;
	if (p->n_aips) {
		dp->allowed_ips = malloc(p->n_aips * sizeof(*dp->allowed_ips));
		if (!dp->allowed_ips)
			return -ENOMEM;
		memcpy(dp->allowed_ips, p->aips, p->n_aips * sizeof(*dp->allowed_ips));
		dp->n_allowed_ips = p->n_aips;
	}
	if (nm && !(dp->name = strdup(nm)))
		return -ENOMEM;
	if (p->disabled)
		dp->flags |= DEV_PEER_DISABLED;
	if (p->dynamic)
		dp->flags |= DEV_PEER_READONLY;
	dp->rx_bytes = p->rx_bytes;
	dp->tx_bytes = p->tx_bytes;
	if (p->last_handshake_ago >= 0 && p->last_handshake_ago <= now)
		dp->last_handshake_sec = (int64_t)now - p->last_handshake_ago;
	dp->stats_valid = true;
	return 0;
}

void mt_addr_queries(const char *name, struct http_call v[2])
{
	v[0].path = http_path_query("/ip/address", "interface", name, ".proplist", MT_PL_ADDR);
	v[1].path = http_path_query("/ipv6/address", "interface", name, ".proplist", MT_PL_ADDR);
}

int mt_addr_parse(const struct http_call v[2], struct mt_addrs *ret, struct err *err)
{
	int r;

	memset(ret, 0, sizeof(*ret));
	if ((r = mt_parse_addrs(v[0].reply.body, v[0].reply.len, &ret->v4, &ret->n4, err)) < 0 ||
	    (r = mt_parse_addrs(v[1].reply.body, v[1].reply.len, &ret->v6, &ret->n6, err)) < 0)
		mt_addrs_free(ret);
	return r;
}

void mt_addrs_free(struct mt_addrs *a)
{
	free(a->v4);
	free(a->v6);
	memset(a, 0, sizeof(*a));
}

enum { G_WG, G_IFSTAT, G_ADDR4, G_ADDR6, G_PEERS, G_MAX };

int mt_get_iface(struct backend *be, const char *name, struct dev_iface *ret, struct err *err)
{
	static const char *const what[G_MAX] = {
		"reading the WireGuard interface", "reading interface counters",
		"reading IPv4 addresses", "reading IPv6 addresses", "reading peers",
	};
	struct mt_priv *mp = be->priv;
	struct http_call calls[G_MAX] = { 0 };
	struct dev_iface d = { 0 };
	struct mt_wg *w = NULL;
	struct mt_ifstat *st = NULL;
	struct mt_addrs ad = { 0 };
	struct mt_peer *peers = NULL;
	size_t nw = 0, nst = 0, np = 0;
	char *plp = NULL;
	time_t now = time(NULL);
	int r;

	if ((r = mt_check_name(name, err)) < 0)
		return r;
	if ((r = mt_ensure_probed(be, err)) < 0)
		return r;
	plp = mt_peer_proplist(mp);
	calls[G_WG].path = http_path_query("/interface/wireguard", "name", name, ".proplist", MT_PL_WG);
	calls[G_IFSTAT].path = http_path_query("/interface", "name", name, ".proplist", PL_IFSTAT);
	mt_addr_queries(name, &calls[G_ADDR4]);
	calls[G_PEERS].path = plp ? http_path_query("/interface/wireguard/peers", "interface", name,
					   ".proplist", plp) : NULL;
	free(plp);
	if ((r = rest_reads(&mp->rest, calls, G_MAX, what, err)) < 0)
		goto out;
	if ((r = mt_parse_wgs(calls[G_WG].reply.body, calls[G_WG].reply.len, &w, &nw, err)) < 0 ||
	    (r = mt_parse_ifstats(calls[G_IFSTAT].reply.body, calls[G_IFSTAT].reply.len, &st, &nst,
				  err)) < 0 ||
	    (r = mt_addr_parse(&calls[G_ADDR4], &ad, err)) < 0 ||
	    (r = mt_parse_peers(calls[G_PEERS].reply.body, calls[G_PEERS].reply.len, &peers, &np,
				NULL, err)) < 0) {
		err_prefix(err, "RouterOS interface '%s'", name);
		goto out;
	}
	if (nw == 0 || strcmp(w[0].name, name)) {
		r = err_set(err, -ENOENT, "interface '%s' does not exist", name);
		goto out;
	}
	snprintf(d.name, sizeof(d.name), "%s", name);
	d.flags = DEV_IFACE_HAS_LISTEN_PORT | DEV_IFACE_HAS_MTU | DEV_IFACE_HAS_ADDRESSES;
	if (w[0].has_private_key) {
		memcpy(d.private_key, w[0].private_key, WG_KEY_LEN);
		d.flags |= DEV_IFACE_HAS_PRIVATE_KEY;
	}
	/* we asked for private-key: not getting it means no 'sensitive' policy */
	if (!mp->policies_known)
		mp->no_sensitive = !w[0].has_private_key;
	if (w[0].has_public_key)
		memcpy(d.public_key, w[0].public_key, WG_KEY_LEN);
	d.listen_port = w[0].listen_port;
	d.mtu = w[0].mtu;
	d.up = !w[0].disabled;
	if (w[0].comment && !(d.comment = strdup(w[0].comment)))
		goto oom;
	for (size_t i = 0; i < nst; i++)
		if (!strcmp(st[i].name, name) || !strcmp(st[i].id, w[0].id)) {
			d.rx_bytes = st[i].rx_bytes;
			d.tx_bytes = st[i].tx_bytes;
			break;
		}
	d.addresses = calloc(ad.n4 + ad.n6 + 1, sizeof(*d.addresses));
	if (!d.addresses)
		goto oom;
	for (size_t i = 0; i < ad.n4 + ad.n6; i++) {
		const struct mt_addr *a = i < ad.n4 ? &ad.v4[i] : &ad.v6[i - ad.n4];
		if (a->dynamic || a->disabled || strcmp(a->iface, name))
			continue;
		d.addresses[d.n_addresses++] = a->prefix;
	}
	for (size_t i = 0; i < np; i++) {
		struct dev_peer *dp;
		if (strcmp(peers[i].iface, name) && peers[i].iface[0])
			continue;
		if (peers[i].psk_masked)
			mp->no_sensitive = true;
		if (dev_iface_add_peer(&d, &dp) < 0 || peer_to_dev(mp, &peers[i], now, dp) < 0)
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
	mt_wgs_free(w, nw);
	free(st);
	mt_addrs_free(&ad);
	mt_peers_free(peers, np);
	http_calls_release(calls, G_MAX);
	return r;
}

