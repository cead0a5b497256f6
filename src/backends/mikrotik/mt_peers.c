/* SPDX-License-Identifier: MIT */
/*
 * MikroTik peer writes: sync says per peer what changed (dev_peer.changes); this file looks up
 * the peers' .id on the router and translates: a PATCH of the changed properties for a peer the
 * router has, one PUT with all of them for a peer it lacks, a DELETE for a removal. Nothing is
 * compared here. A few peers (one request's change) are looked up by public key, in parallel,
 * so a create on a 1,000-peer interface does not read the whole table (that made creating
 * 1,000 peers quadratic); a bigger set (a sync) reads the interface's table once.
 *
 * A peer we do not dial (no endpoint) only answers: from 7.15 RouterOS has a property for that
 * ('is-responder' in 7.15-7.16, 'responder' from 7.17; wg-portal #516), written with the
 * endpoint. The peer's display name goes to 'name' (7.15+) or 'comment'.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "backends/http/http.h"
#include "backends/mikrotik/mt-int.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jsonw.h"

#define MT_LOOKUP_MAX 4
#define PL_PEER_IDS ".id,interface,public-key,dynamic"

static void put_aips(struct jsonw *b, const struct dev_peer *dp)
{
	struct buf v;
	char *s;

	buf_init(&v, MT_BODY_MAX);
	(void)buf_puts(&v, "");  /* "" is a valid value: no allowed address */
	for (size_t i = 0; i < dp->n_allowed_ips; i++) {
		char p[CIDR_STR_MAX];
		ip_prefix_format(&dp->allowed_ips[i], p);
		(void)buf_printf(&v, "%s%s", i ? "," : "", p); /* sticky: checked by detach */
	}
	s = buf_detach(&v);
	if (!s) {
		jsonw_fail(b, -ENOMEM); /* the body is refused as a whole, never half-written */
		return;
	}
	jsonw_str(b, "allowed-address", s);
	free(s);
}

static void put_endpoint(struct jsonw *b, const struct mt_priv *mp, const struct dev_peer *dp)
{
	struct endpoint ep;
	char port[8];
	bool has = dp->endpoint[0] && endpoint_parse(dp->endpoint, false, &ep) == 0;

	snprintf(port, sizeof(port), "%u", has ? ep.port : 0);
	jsonw_str(b, "endpoint-address", has ? ep.host : "");
	jsonw_str(b, "endpoint-port", port);
	/* a peer we do not dial only answers (wg-portal #516) */
	if (mt_version_ge(&mp->res.ver, 7, 15))
		jsonw_str(b, mt_version_ge(&mp->res.ver, 7, 17) ? "responder" : "is-responder",
			  has ? "false" : "true");
}

/* Body for creating (create) or updating a peer: the fields of the change mask, or for a
 * create every field the peer has. NULL on OOM. */
static char *peer_body(const struct mt_priv *mp, const char *iface, const struct dev_peer *dp,
		       bool create)
{
	unsigned ch = create ? DEV_PEER_CH_ALL : dp->changes;
	struct jsonw b;

	jsonw_begin(&b, MT_BODY_MAX);
	if (create) {
		jsonw_str(&b, "interface", iface);
		rest_json_key(&b, "public-key", dp->public_key);
	}
	if (ch & DEV_PEER_CH_ALLOWEDIPS)
		put_aips(&b, dp);
	if ((ch & DEV_PEER_CH_PSK) && (dp->flags & DEV_PEER_HAS_PSK)) {
		if (!key_is_zero(dp->preshared_key))
			rest_json_key(&b, "preshared-key", dp->preshared_key);
		else if (!create)
			jsonw_str(&b, "preshared-key", "");
	}
	if (ch & DEV_PEER_CH_ENDPOINT) {
		if (dp->flags & DEV_PEER_HAS_ENDPOINT)
			put_endpoint(&b, mp, dp);
		else if (create && mt_version_ge(&mp->res.ver, 7, 15))
			/* no endpoint of ours: a peer we never dial */
			jsonw_str(&b, mt_version_ge(&mp->res.ver, 7, 17) ? "responder" : "is-responder",
				  "true");
	}
	if ((ch & DEV_PEER_CH_KEEPALIVE) && (dp->flags & DEV_PEER_HAS_KEEPALIVE) &&
	    (!create || dp->persistent_keepalive)) {
		char ka[24];
		mt_format_duration(ka, dp->persistent_keepalive);
		jsonw_str(&b, "persistent-keepalive", ka);
	}
	if ((ch & DEV_PEER_CH_DISABLED) && (!create || (dp->flags & DEV_PEER_DISABLED)))
		jsonw_str(&b, "disabled", dp->flags & DEV_PEER_DISABLED ? "true" : "false");
	if ((ch & DEV_PEER_CH_NAME) && dp->name)
		jsonw_str(&b, mt_version_ge(&mp->res.ver, 7, 15) ? "name" : "comment", dp->name);
	return jsonw_end(&b);
}

static const struct mt_peer *find_peer(const struct mt_peer *v, size_t n,
				       const uint8_t key[static WG_KEY_LEN])
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(v[i].public_key, key, WG_KEY_LEN))
			return &v[i];
	return NULL;
}

static int iface_exists(struct mt_priv *mp, const char *name, struct err *err)
{
	struct http_reply rep = { 0 };
	struct mt_wg *w = NULL;
	size_t nw = 0;
	char *path = http_path_query("/interface/wireguard", "name", name, ".proplist", ".id,name");
	int r;

	if (!path)
		return err_set(err, -ENOMEM, "out of memory");
	r = rest_call(&mp->rest, "GET", path, NULL, "reading the interface", &rep, err);
	free(path);
	if (r == 0)
		r = mt_parse_wgs(rep.body, rep.len, &w, &nw, err);
	http_reply_release(&rep);
	if (r < 0)
		return r;
	r = nw > 0 ? 0 : err_set(err, -ENOENT, "interface '%s' does not exist", name);
	mt_wgs_free(w, nw);
	return r;
}

/* The router rows (.id, interface, key, dynamic) of the peers about to change. */
static int read_peers(struct mt_priv *mp, const char *name, const struct dev_peer *peers,
		      size_t n, struct mt_peer **ret, size_t *ret_n, struct err *err)
{
	struct http_call calls[MT_LOOKUP_MAX] = { 0 };
	const char *what[MT_LOOKUP_MAX] = { "reading peers", "reading peers", "reading peers",
					    "reading peers" };
	bool by_key = n <= MT_LOOKUP_MAX;
	size_t nc = by_key ? n : 1, nall = 0;
	struct mt_peer *all = NULL;
	int r = 0;

	for (size_t i = 0; i < nc; i++) {
		calls[i].path = http_path_query("/interface/wireguard/peers", "interface", name,
						".proplist", PL_PEER_IDS);
		if (calls[i].path && by_key) {
			char key[WG_KEY_B64_SIZE];
			key_to_base64(key, peers[i].public_key);
			if (http_query_append(&calls[i].path, "public-key", key) < 0) {
				free(calls[i].path);
				calls[i].path = NULL;
			}
		}
	}
	if ((r = rest_reads(&mp->rest, calls, nc, what, err)) < 0)
		goto out;
	for (size_t i = 0; i < nc; i++) {
		struct mt_peer *v = NULL, *na;
		size_t nv = 0;

		if ((r = mt_parse_peers(calls[i].reply.body, calls[i].reply.len, &v, &nv, NULL,
					err)) < 0)
			goto out;
		na = nv ? realloc(all, (nall + nv) * sizeof(*na)) : all;
		if (nv && !na) {
			mt_peers_free(v, nv);
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		all = na;
		if (nv)
			memcpy(all + nall, v, nv * sizeof(*v)); /* rows move; free the array only */
		nall += nv;
		free(v);
	}
	*ret = all;
	*ret_n = nall;
	all = NULL;
	nall = 0;
out:
	http_calls_release(calls, nc);
	mt_peers_free(all, nall);
	return r;
}

/* The call for one peer (method NULL: nothing to do); -EPERM for a dynamic peer, -ENOMEM. */
static int plan_peer(const struct mt_priv *mp, const char *name, const struct dev_peer *dp,
		     const struct mt_peer *h, struct http_call *c, struct err *err)
{
	if (h && h->dynamic) {
		/* sync never plans changes to dynamic peers: this is a request to change one,
		 * refused instead of silently dropped */
		char key[WG_KEY_B64_SIZE];
		key_to_base64(key, h->public_key);
		return err_field(err, -EPERM, "Identifier",
				 "peer %s on '%s' is a dynamic RouterOS peer (system-managed, e.g. "
				 "Back-to-Home): it is read-only and wgportal never changes or removes "
				 "it", key, name);
	}
	if (dp->flags & DEV_PEER_REMOVE) {
		if (!h)
			return 0;
		c->method = "DELETE";
		c->path = rest_path_id("/interface/wireguard/peers", h->id);
		return c->path ? 0 : err_set(err, -ENOMEM, "out of memory");
	}
	if (h && !dp->changes)
		return 0;
	c->body = peer_body(mp, name, dp, !h);
	c->method = h ? "PATCH" : "PUT";
	c->path = h ? rest_path_id("/interface/wireguard/peers", h->id)
		    : strdup("/interface/wireguard/peers");
	return c->body && c->path ? 0 : err_set(err, -ENOMEM, "out of memory");
}

int mt_apply_peers(struct backend *be, const char *name, const struct dev_peer *peers,
		   size_t n, struct err *err)
{
	struct mt_priv *mp = be->priv;
	struct http_call *muts = NULL;
	struct mt_peer *have = NULL;
	size_t nh = 0, nm = 0;
	bool any_create = false;
	int r;

	if ((r = mt_check_name(name, err)) < 0)
		return r;
	if ((r = rest_check_peers(peers, n, SIZE_MAX, err)) < 0)
		return r;
	if ((r = mt_ensure_probed(be, err)) < 0)
		return r;
	if ((r = read_peers(mp, name, peers, n, &have, &nh, err)) < 0)
		return r;
	muts = calloc(n + 1, sizeof(*muts));
	if (!muts) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct mt_peer *h = find_peer(have, nh, peers[i].public_key);

		if ((peers[i].flags & DEV_PEER_READONLY) || (h && strcmp(h->iface, name)))
			continue;
		if ((r = plan_peer(mp, name, &peers[i], h, &muts[nm], err)) < 0) {
			nm++; /* released below */
			goto out;
		}
		if (muts[nm].method) {
			any_create |= !h && !(peers[i].flags & DEV_PEER_REMOVE);
			nm++;
		}
	}
	if (nm == 0) {
		/* nothing to do; say ENOENT for a missing interface like the local backend */
		r = nh > 0 ? 0 : iface_exists(mp, name, err);
		goto out;
	}
	if ((r = mt_need_write(mp, err)) < 0)
		goto out;
	r = mt_run_mutations(mp, muts, nm, "applying peers", err);
	if (r == -EINVAL && any_create && nh == 0) {
		struct err e2 = { 0 };
		if (iface_exists(mp, name, &e2) == -ENOENT)
			r = err_set(err, -ENOENT, "%s", e2.msg);
	}
out:
	for (size_t i = 0; i < nm; i++) {
		jsonw_free(muts[i].body);
		muts[i].body = NULL;
	}
	http_calls_release(muts, nm);
	free(muts);
	mt_peers_free(have, nh);
	return r;
}
