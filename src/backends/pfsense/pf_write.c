/* SPDX-License-Identifier: MIT */
/*
 * pfSense tunnel and peer writes: sync says what changed (dev_iface HAS_* bits, dev_peer
 * .changes); this file finds the objects' ids and translates into one write batch
 * (pf_batch.c). Nothing is compared here.
 *
 * A tunnel is created without a name: `name` is read-only and pfSense assigns the next free
 * tun_wgN (tests/sim/README.md, "Read-only fields"). When that is not the identifier asked for
 * (a name not next in line), the new tunnel is removed again and the caller told which name
 * to use. Peer writes carry only the changed fields: an imported peer's preshared key, which
 * pfSense never shows, is written only when a user sets one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "backends/http/http.h"
#include "backends/pfsense/pf-int.h"
#include "util/err.h"
#include "util/log.h"

#define PF_LOOKUP_MAX 4

/* "k":[{"address":"10.0.0.1","mask":24,"descr":""},...] */
static void put_addrs(struct jsonw *b, const char *k, const struct ip_prefix *v, size_t n)
{
	jsonw_key(b, k);
	jsonw_raw(b, "[");
	for (size_t i = 0; i < n; i++) {
		char a[CIDR_STR_MAX], m[48];
		ip_addr_format(&v[i], a);
		jsonw_raw(b, i ? ",{\"address\":\"" : "{\"address\":\"");
		jsonw_raw(b, a);  /* an address: no escaping needed */
		snprintf(m, sizeof(m), "\",\"mask\":%u,\"descr\":\"\"}", v[i].len);
		jsonw_raw(b, m);
	}
	jsonw_raw(b, "]");
}

/* ---- tunnels -------------------------------------------------------------------------------- */

static int tunnels_named(struct pf_priv *pp, const char *name, struct pf_tunnel **t, size_t *nt,
			 struct err *err)
{
	struct http_reply rep = { 0 };
	char *path = http_path_query(PF_W "/tunnels", "name", name, NULL, NULL);
	int r;

	if (!path)
		return err_set(err, -ENOMEM, "out of memory");
	r = rest_call(&pp->rest, "GET", path, NULL, "reading the WireGuard tunnel", &rep, err);
	free(path);
	if (r == 0)
		r = pf_parse_tunnels(rep.body, rep.len, t, nt, err);
	http_reply_release(&rep);
	return r;
}

/* After a tunnel write: remember what a create made (its name may not be ours). */
static void tunnel_done(struct pf_priv *pp, const struct pf_op *o, const struct http_reply *rep)
{
	struct pf_tunnel t;

	if (strcmp(o->method, "POST") || pf_parse_tunnel_one(rep->body, rep->len, &t, NULL) < 0)
		return;
	pp->created_id = t.id;
	snprintf(pp->created_name, sizeof(pp->created_name), "%s", t.name);
	pf_tunnel_release(&t);
}

/* The tunnel's fields that want flags (all of them for a create, which has no name). */
static void tunnel_body(const struct dev_iface *want, bool create, struct jsonw *b)
{
	jsonw_begin(b, PF_BODY_MAX);
	if (create || (want->flags & DEV_IFACE_HAS_LINK))
		jsonw_bool(b, "enabled", want->up);
	if ((want->flags & DEV_IFACE_HAS_COMMENT) || create)
		jsonw_str(b, "descr", want->comment ? want->comment : "");
	if ((want->flags & DEV_IFACE_HAS_LISTEN_PORT) && want->listen_port) {
		char port[8];
		snprintf(port, sizeof(port), "%u", want->listen_port);
		jsonw_str(b, "listenport", port);
	}
	if ((want->flags & DEV_IFACE_HAS_MTU) && want->mtu)
		jsonw_int(b, "mtu", want->mtu);
	if (want->flags & DEV_IFACE_HAS_PRIVATE_KEY)
		rest_json_key(b, "privatekey", want->private_key);
	/* written only when it changed: pfSense validates it even when the tunnel is assigned
	 * to an interface (pfrest #902, before 2.9) */
	if (want->flags & DEV_IFACE_HAS_ADDRESSES)
		put_addrs(b, "addresses", want->addresses, want->n_addresses);
}

int pf_apply_iface(struct backend *be, const struct dev_iface *want, struct err *err)
{
	struct pf_priv *pp = be->priv;
	struct pf_tunnel *t = NULL;
	const struct pf_tunnel *have;
	struct pf_op op = { 0 };
	size_t nt = 0;
	int r;

	if ((r = pf_check_name(want->name, err)) < 0)
		return r;
	if ((want->flags & DEV_IFACE_HAS_MTU) && want->mtu && (want->mtu < 68 || want->mtu > 65535))
		return err_field(err, -EINVAL, "Mtu", "MTU must be between 68 and 65535");
	if ((want->flags & DEV_IFACE_HAS_ADDRESSES) && want->n_addresses > PF_MAX_ADDRS)
		return err_field(err, -EINVAL, "Addresses", "too many interface addresses");
	for (size_t i = 0; (want->flags & DEV_IFACE_HAS_ADDRESSES) && i < want->n_addresses; i++)
		if (!ip_prefix_is_valid(&want->addresses[i]) || want->addresses[i].len == 0)
			return err_field(err, -EINVAL, "Addresses", "invalid interface address");
	if (want->comment && strlen(want->comment) > 255)
		return err_field(err, -EINVAL, "DisplayName", "description too long");
	if ((r = pf_ensure_probed(be, err)) < 0)
		return r;
	if ((r = tunnels_named(pp, want->name, &t, &nt, err)) < 0)
		return err_prefix(err, "pfSense tunnel '%s'", want->name);
	have = pf_find_tunnel(t, nt, want->name);
	if (!have && (!(want->flags & DEV_IFACE_HAS_PRIVATE_KEY) || key_is_zero(want->private_key))) {
		r = err_field(err, -EINVAL, "PrivateKey",
			      "pfSense needs the private key to create a tunnel");
		goto out;
	}
	op.kind = OP_TUNNEL;
	op.method = have ? "PATCH" : "POST";
	op.id = have ? have->id : -1;
	snprintf(op.name, sizeof(op.name), "%s", want->name);
	tunnel_body(want, !have, &op.body);
	if (have && !jsonw_members(&op.body)) {
		/* nothing to write; an apply still owed runs now */
		r = pp->apply_pending ? pf_apply_now(pp, err) : 0;
		goto out;
	}
	if ((r = pf_need_write(be, err)) < 0)
		goto out;
	pp->created_id = -1;
	r = pf_run_ops(pp, &op, 1, have ? "changing the tunnel" : "creating the tunnel",
		       tunnel_done, err);
	if (r == -ESTALE && !have) {
		/* pfSense named the new tunnel itself: remove it again */
		if (pp->created_id >= 0) {
			struct pf_op del = { .method = "DELETE", .kind = OP_TUNNEL };
			struct err e2 = { 0 };
			snprintf(del.name, sizeof(del.name), "%s", pp->created_name);
			if (pf_run_ops(pp, &del, 1, "removing the misnamed tunnel", NULL, &e2) < 0)
				log_debug("backend '%s': %s", pp->id, e2.msg);
		}
		r = err_field(err, -EINVAL, "Identifier",
			      "pfSense named the new tunnel '%s', not '%s': it gives the next free "
			      "tun_wg<N> itself; create the interface with that name",
			      pp->created_name[0] ? pp->created_name : "?", want->name);
	}
out:
	pf_op_release(&op);
	pf_tunnels_free(t, nt);
	return pf_sync_caps(be, r);
}

enum { D_TUN, D_PEERS, D_MAX };

int pf_delete_iface(struct backend *be, const char *name, struct err *err)
{
	static const char *const what[D_MAX] = { "reading the tunnel", "reading the tunnel" };
	struct pf_priv *pp = be->priv;
	struct http_call reads[D_MAX] = { 0 };
	struct pf_tunnel *t = NULL;
	struct pf_peer *peers = NULL;
	struct pf_op ops[2];
	size_t nt = 0, np = 0, nops = 0;
	bool any = false;
	int r;

	memset(ops, 0, sizeof(ops));
	if ((r = pf_check_name(name, err)) < 0)
		return r;
	if ((r = pf_ensure_probed(be, err)) < 0)
		return r;
	reads[D_TUN].path = http_path_query(PF_W "/tunnels", "name", name, NULL, NULL);
	reads[D_PEERS].path = http_path_query(PF_W "/peers", "tun", name, NULL, NULL);
	if ((r = rest_reads(&pp->rest, reads, D_MAX, what, err)) < 0)
		goto out;
	if ((r = pf_parse_tunnels(reads[D_TUN].reply.body, reads[D_TUN].reply.len, &t, &nt,
				  err)) < 0 ||
	    (r = pf_parse_peers(reads[D_PEERS].reply.body, reads[D_PEERS].reply.len, &peers, &np,
				NULL, err)) < 0) {
		err_prefix(err, "pfSense tunnel '%s'", name);
		goto out;
	}
	if (!pf_find_tunnel(t, nt, name)) {
		r = err_set(err, -ENOENT, "interface '%s' does not exist", name);
		goto out;
	}
	if ((r = pf_need_write(be, err)) < 0)
		goto out;
	/* pfSense keeps peers of a deleted tunnel (spec 4.1): delete them first, all in one
	 * plural DELETE by tunnel name */
	for (size_t i = 0; i < np; i++)
		any |= !strcmp(peers[i].tun, name);
	if (any) {
		ops[nops].method = "DELETE";
		ops[nops].kind = OP_PEER;
		ops[nops].all_of_tunnel = true;
		snprintf(ops[nops++].name, sizeof(ops[0].name), "%s", name);
	}
	ops[nops].method = "DELETE";
	ops[nops].kind = OP_TUNNEL;
	snprintf(ops[nops++].name, sizeof(ops[0].name), "%s", name);
	r = pf_run_ops(pp, ops, nops, "deleting the tunnel", NULL, err);
out:
	for (size_t i = 0; i < nops; i++)
		pf_op_release(&ops[i]);
	http_calls_release(reads, D_MAX);
	pf_tunnels_free(t, nt);
	pf_peers_free(peers, np);
	return pf_sync_caps(be, r);
}

/* ---- peers ------------------------------------------------------------------------------------ */

static void put_endpoint(struct jsonw *b, const struct dev_peer *dp)
{
	struct endpoint ep;

	/* pfSense keeps host and port apart and takes no port without a host */
	if (dp->endpoint[0] && endpoint_parse(dp->endpoint, false, &ep) == 0) {
		char port[8];
		snprintf(port, sizeof(port), "%u", ep.port);
		jsonw_str(b, "endpoint", ep.host);
		jsonw_str(b, "port", port);
	} else {
		jsonw_null(b, "endpoint");
	}
}

/* The op's body for creating (create) or updating a peer: the fields of the change mask, or
 * for a create every field the peer has. */
static void peer_body(const char *iface, const struct dev_peer *dp, bool create, struct pf_op *o)
{
	unsigned ch = create ? DEV_PEER_CH_ALL : dp->changes;
	bool disabled = dp->flags & DEV_PEER_DISABLED;
	struct jsonw *b = &o->body;

	jsonw_begin(b, PF_BODY_MAX);
	o->kind = OP_PEER;
	memcpy(o->pub, dp->public_key, WG_KEY_LEN);
	if (create) {
		jsonw_str(b, "tun", iface);
		rest_json_key(b, "publickey", dp->public_key);
	}
	if (ch & DEV_PEER_CH_DISABLED)
		jsonw_bool(b, "enabled", !disabled);  /* pfrest's default is false: always set */
	if ((ch & DEV_PEER_CH_NAME) && (dp->name || create))
		jsonw_str(b, "descr", dp->name ? dp->name : "");
	if (ch & DEV_PEER_CH_ALLOWEDIPS)
		put_addrs(b, "allowedips", dp->allowed_ips, dp->n_allowed_ips);
	if ((ch & DEV_PEER_CH_KEEPALIVE) && (dp->flags & DEV_PEER_HAS_KEEPALIVE) &&
	    (!create || dp->persistent_keepalive)) {
		if (dp->persistent_keepalive)
			jsonw_int(b, "persistentkeepalive", dp->persistent_keepalive);
		else
			jsonw_null(b, "persistentkeepalive");
	}
	if ((ch & DEV_PEER_CH_ENDPOINT) && (dp->flags & DEV_PEER_HAS_ENDPOINT) &&
	    (!create || dp->endpoint[0]))
		put_endpoint(b, dp);
	if ((ch & DEV_PEER_CH_PSK) && (dp->flags & DEV_PEER_HAS_PSK) &&
	    (!create || !key_is_zero(dp->preshared_key))) {
		if (!key_is_zero(dp->preshared_key))
			rest_json_key(b, "presharedkey", dp->preshared_key);
		else
			jsonw_str(b, "presharedkey", "");
	}
}

static const struct pf_peer *find_peer(const struct pf_peer *v, size_t n,
				       const uint8_t key[static WG_KEY_LEN])
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(v[i].public_key, key, WG_KEY_LEN))
			return &v[i];
	return NULL;
}

/* The tunnel, and the firewall's rows of the peers about to change: a few looked up by public
 * key (one request's change), else every peer at once (public keys are unique across tunnels,
 * ids are global). ids are re-resolved here, once per batch. */
static int read_for_peers(struct pf_priv *pp, const char *name, const struct dev_peer *peers,
			  size_t n, struct pf_tunnel **t, size_t *nt, struct pf_peer **have,
			  size_t *nh, struct err *err)
{
	static const char *const what[1 + PF_LOOKUP_MAX] = {
		"reading the tunnel", "reading peers", "reading peers", "reading peers",
		"reading peers",
	};
	struct http_call calls[1 + PF_LOOKUP_MAX] = { 0 };
	bool by_key = n <= PF_LOOKUP_MAX;
	size_t nc = 1 + (by_key ? n : 1);
	int r;

	calls[0].path = http_path_query(PF_W "/tunnels", "name", name, NULL, NULL);
	for (size_t i = 1; i < nc; i++) {
		char pub[WG_KEY_B64_SIZE];
		key_to_base64(pub, peers[i - 1].public_key);
		calls[i].path = by_key ? http_path_query(PF_W "/peers", "publickey", pub, NULL, NULL)
				       : strdup(PF_W "/peers");
	}
	if ((r = rest_reads(&pp->rest, calls, nc, what, err)) < 0)
		goto out;
	if ((r = pf_parse_tunnels(calls[0].reply.body, calls[0].reply.len, t, nt, err)) < 0)
		goto out;
	for (size_t i = 1; i < nc; i++) {
		struct pf_peer *v = NULL, *na;
		size_t nv = 0;

		if ((r = pf_parse_peers(calls[i].reply.body, calls[i].reply.len, &v, &nv, NULL,
					err)) < 0)
			goto out;
		na = nv ? realloc(*have, (*nh + nv) * sizeof(*na)) : *have;
		if (nv && !na) {
			pf_peers_free(v, nv);
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		*have = na;
		if (nv)
			memcpy(*have + *nh, v, nv * sizeof(*v)); /* rows move; free the array only */
		*nh += nv;
		free(v);
	}
out:
	http_calls_release(calls, nc);
	if (r < 0)
		err_prefix(err, "pfSense tunnel '%s'", name);
	return r;
}

/* PATCHes (ids stable), POSTs (append at the end), DELETEs (by natural key, last). */
static void order_ops(struct pf_op *ops, size_t n, struct pf_op *sorted)
{
	static const char *const order[] = { "PATCH", "POST", "DELETE" };
	size_t ns = 0;

	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < n; i++)
			if (!strcmp(ops[i].method, order[k]))
				sorted[ns++] = ops[i];
}

int pf_apply_peers(struct backend *be, const char *name, const struct dev_peer *peers,
		   size_t n, struct err *err)
{
	struct pf_priv *pp = be->priv;
	struct pf_tunnel *t = NULL;
	struct pf_peer *have = NULL;
	struct pf_op *ops = NULL, *sorted = NULL;
	size_t nt = 0, nh = 0, nops = 0, ns = 0;
	int r;

	if ((r = pf_check_name(name, err)) < 0)
		return r;
	if ((r = rest_check_peers(peers, n, PF_MAX_ADDRS, err)) < 0)
		return r;
	if ((r = pf_ensure_probed(be, err)) < 0)
		return r;
	if (pp->n_undo)
		pf_undo_run(pp, name, peers, n);
	if ((r = read_for_peers(pp, name, peers, n, &t, &nt, &have, &nh, err)) < 0)
		goto out;
	if (!pf_find_tunnel(t, nt, name)) {
		r = err_set(err, -ENOENT, "interface '%s' does not exist", name);
		goto out;
	}
	ops = calloc(n + 1, sizeof(*ops));
	sorted = calloc(n + 1, sizeof(*sorted));
	if (!ops || !sorted) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct dev_peer *dp = &peers[i];
		const struct pf_peer *h = find_peer(have, nh, dp->public_key);
		struct pf_op *o = &ops[nops];

		if (dp->flags & DEV_PEER_READONLY)
			continue;
		if (h && strcmp(h->tun, name)) {
			if (dp->flags & DEV_PEER_REMOVE)
				continue;
			r = err_field(err, -EEXIST, "PublicKey",
				      "peer %zu: its public key is used by a peer of pfSense tunnel "
				      "'%.60s' (keys are unique across tunnels)", i, h->tun);
			goto out;
		}
		if (dp->flags & DEV_PEER_REMOVE) {
			if (!h)
				continue;
			o->method = "DELETE";
			o->kind = OP_PEER;
			memcpy(o->pub, dp->public_key, WG_KEY_LEN);
		} else {
			if (h && !dp->changes)
				continue;
			peer_body(name, dp, !h, o);
			o->method = h ? "PATCH" : "POST";
			o->id = h ? h->id : -1;
		}
		snprintf(o->name, sizeof(o->name), "%s", name);
		nops++;
	}
	if (nops && (r = pf_need_write(be, err)) < 0)
		goto out;
	order_ops(ops, nops, sorted);
	free(ops); /* the bodies moved to sorted */
	ops = NULL;
	ns = nops;
	nops = 0;
	r = pf_run_ops(pp, sorted, ns, "applying peers", NULL, err);
	if (r < 0 && pp->n_undo)
		pf_undo_run(pp, NULL, NULL, 0); /* at once, when the firewall still answers */
out:
	pf_ops_free(ops, nops);
	pf_ops_free(sorted, ns);
	pf_tunnels_free(t, nt);
	pf_peers_free(have, nh);
	return pf_sync_caps(be, r);
}
