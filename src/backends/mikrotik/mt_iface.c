/* SPDX-License-Identifier: MIT */
/*
 * MikroTik interface writes: create or change the WireGuard interface with the fields sync
 * flagged (one PUT or one PATCH), replace its addresses in /ip/address and /ipv6/address, and
 * delete it with its addresses and (non-dynamic) peers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backends/backend.h"
#include "backends/http/http.h"
#include "backends/mikrotik/mt-int.h"
#include "util/err.h"
#include "util/jsonw.h"

/* Address changes for one family table: add missing, re-enable disabled, remove extra. */
static int plan_addrs(const struct dev_iface *want, const char *table, int family,
		      const struct mt_addr *cur, size_t ncur, struct http_call *calls, size_t *nc)
{
	for (size_t i = 0; i < want->n_addresses; i++) {
		const struct ip_prefix *p = &want->addresses[i];
		const struct mt_addr *have = NULL;
		char s[CIDR_STR_MAX];
		struct jsonw b;

		if (p->family != family)
			continue;
		for (size_t k = 0; k < ncur && !have; k++)
			if (!cur[k].dynamic && ip_prefix_equal(&cur[k].prefix, p))
				have = &cur[k];
		if (have && !have->disabled)
			continue;
		jsonw_begin(&b, MT_BODY_MAX);
		if (have) {
			jsonw_str(&b, "disabled", "false");
			calls[*nc].method = "PATCH";
			calls[*nc].path = rest_path_id(table, have->id);
		} else {
			ip_prefix_format(p, s);
			jsonw_str(&b, "address", s);
			jsonw_str(&b, "interface", want->name);
			calls[*nc].method = "PUT";
			calls[*nc].path = strdup(table);
		}
		calls[*nc].body = jsonw_end(&b);
		if (!calls[(*nc)++].path || !calls[*nc - 1].body)
			return -ENOMEM;
	}
	for (size_t k = 0; k < ncur; k++) {
		if (cur[k].dynamic ||
		    ip_prefix_in(&cur[k].prefix, want->addresses, want->n_addresses))
			continue;
		calls[*nc].method = "DELETE";
		calls[*nc].path = rest_path_id(table, cur[k].id);
		if (!calls[(*nc)++].path)
			return -ENOMEM;
	}
	return 0;
}

/* A create answered 400 "already ..." (RouterOS: "already have such address", the simulator:
 * "peer with such public key already exists"). */
static bool put_repeated(const struct http_call *c)
{
	char detail[200];

	if (strcmp(c->method, "PUT") || c->rc != 0 || c->reply.status != 400)
		return false;
	mt_parse_error(c->reply.body, c->reply.len, detail, sizeof(detail));
	return strstr(detail, "already") != NULL;
}

/* Runs mutation calls; returns the first failure (in call order). 404 on DELETE is fine. */
int mt_run_mutations(struct mt_priv *mp, struct http_call *calls, size_t n, const char *what,
		     struct err *err)
{
	int r = 0;

	if (n == 0)
		return 0;
	http_call_batch(mp->http, calls, n, true);
	for (size_t i = 0; i < n; i++) {
		char w[160];
		int r2;
		if (!strcmp(calls[i].method, "DELETE") && calls[i].rc == 0 &&
		    calls[i].reply.status == 404)
			continue;
		snprintf(w, sizeof(w), "%s (%s %.*s)", what, calls[i].method,
			 (int)strcspn(calls[i].path, "?"), calls[i].path);
		if (put_repeated(&calls[i])) {
			/* We only PUT what the read just before did not show. libcurl repeats a
			 * request once when a reused connection closes without an answer, so
			 * "already exists" means our first copy was applied and its answer lost:
			 * a device fault (502), and the caller undoes the change. */
			r = err_set(err, -EIO, "RouterOS, %s: the router says it exists already, "
				    "although it was absent when read just before (the request was "
				    "repeated after a broken connection, or changed concurrently)", w);
			break;
		}
		r2 = rest_result(&mp->rest, &calls[i], w, err);
		if (r2 < 0 && r2 != -ECANCELED) {
			r = r2;
			break;
		}
		if (r2 < 0 && r == 0)
			r = r2;
	}
	return r;
}

enum { A_WG, A_ADDR4, A_ADDR6, A_MAX };

/* The interface's own properties that want flags: one PUT with everything for a new one, one
 * PATCH with just the flagged fields for an existing one (NULL body: nothing to write). */
static int iface_body(const struct dev_iface *want, bool create, char **ret)
{
	struct jsonw b;

	jsonw_begin(&b, MT_BODY_MAX);
	if (create)
		jsonw_str(&b, "name", want->name);
	if (want->flags & DEV_IFACE_HAS_PRIVATE_KEY)
		rest_json_key(&b, "private-key", want->private_key);
	if ((want->flags & DEV_IFACE_HAS_LISTEN_PORT) && want->listen_port) {
		char v[8];
		snprintf(v, sizeof(v), "%u", want->listen_port);
		jsonw_str(&b, "listen-port", v);
	}
	if ((want->flags & DEV_IFACE_HAS_MTU) && want->mtu) {
		char v[12];
		snprintf(v, sizeof(v), "%u", want->mtu);
		jsonw_str(&b, "mtu", v);
	}
	if ((want->flags & DEV_IFACE_HAS_COMMENT) && want->comment)
		jsonw_str(&b, "comment", want->comment);
	if (create || (want->flags & DEV_IFACE_HAS_LINK))
		jsonw_str(&b, "disabled", want->up ? "false" : "true");
	if (!create && !jsonw_members(&b)) {
		jsonw_wipe(&b);
		*ret = NULL;
		return 0;
	}
	*ret = jsonw_end(&b);
	return *ret ? 0 : -ENOMEM;
}

int mt_apply_iface(struct backend *be, const struct dev_iface *want, struct err *err)
{
	static const char *const what[A_MAX] = {
		"reading the interface", "reading IPv4 addresses", "reading IPv6 addresses",
	};
	struct mt_priv *mp = be->priv;
	struct http_call reads[A_MAX] = { 0 };
	struct http_call *muts = NULL;
	struct http_reply rep = { 0 };
	struct mt_wg *w = NULL;
	struct mt_addrs ad = { 0 };
	size_t nw = 0, nreads, nm = 0;
	bool found;
	bool want_addrs = want->flags & DEV_IFACE_HAS_ADDRESSES;
	char *body = NULL;
	int r;

	if ((r = mt_check_name(want->name, err)) < 0)
		return r;
	if ((want->flags & DEV_IFACE_HAS_MTU) && want->mtu && (want->mtu < 68 || want->mtu > 65535))
		return err_field(err, -EINVAL, "Mtu", "MTU must be between 68 and 65535");
	for (size_t i = 0; want_addrs && i < want->n_addresses; i++)
		if (!ip_prefix_is_valid(&want->addresses[i]))
			return err_field(err, -EINVAL, "Addresses", "invalid interface address");
	if ((r = mt_ensure_probed(be, err)) < 0)
		return r;
	/* the policy that blocks the action: without 'write' nothing can be written, keys or
	 * not; without 'sensitive' (known from the user's group) keys cannot be set. When the
	 * group could not be read, the router's answer to the write says which. */
	if ((r = mt_need_write(mp, err)) < 0)
		return r;
	if ((want->flags & DEV_IFACE_HAS_PRIVATE_KEY) && mp->policies_known && mp->no_sensitive)
		return mt_policy_error(mp, "sensitive", MT_P_SENSITIVE, err);

	nreads = want_addrs ? A_MAX : 1;
	reads[A_WG].path = http_path_query("/interface/wireguard", "name", want->name, ".proplist",
					   MT_PL_WG);
	if (want_addrs)
		mt_addr_queries(want->name, &reads[A_ADDR4]);
	if ((r = rest_reads(&mp->rest, reads, nreads, what, err)) < 0)
		goto out;
	if ((r = mt_parse_wgs(reads[A_WG].reply.body, reads[A_WG].reply.len, &w, &nw, err)) < 0 ||
	    (want_addrs && (r = mt_addr_parse(&reads[A_ADDR4], &ad, err)) < 0)) {
		err_prefix(err, "RouterOS interface '%s'", want->name);
		goto out;
	}
	found = nw > 0 && !strcmp(w[0].name, want->name);
	if (iface_body(want, !found, &body) < 0) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (body) {
		char *path = found ? rest_path_id("/interface/wireguard", w[0].id)
				   : strdup("/interface/wireguard");
		if (!path) {
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		r = rest_call(&mp->rest, found ? "PATCH" : "PUT", path, body,
			      found ? "changing the interface" : "creating the interface", &rep,
			      err);
		free(path);
		http_reply_release(&rep);
		if (r < 0)
			goto out;
	}
	if (want_addrs) {
		muts = calloc(want->n_addresses + ad.n4 + ad.n6 + 1, sizeof(*muts));
		if (!muts) {
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		if (plan_addrs(want, "/ip/address", AF_INET, ad.v4, ad.n4, muts, &nm) < 0 ||
		    plan_addrs(want, "/ipv6/address", AF_INET6, ad.v6, ad.n6, muts, &nm) < 0) {
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		r = mt_run_mutations(mp, muts, nm, "setting interface addresses", err);
	}
out:
	jsonw_free(body);
	http_calls_release(reads, A_MAX);
	http_calls_release(muts, nm);
	free(muts);
	mt_wgs_free(w, nw);
	mt_addrs_free(&ad);
	return r;
}

enum { D_WG, D_ADDR4, D_ADDR6, D_PEERS, D_MAX };

int mt_delete_iface(struct backend *be, const char *name, struct err *err)
{
	static const char *const what[D_MAX] = {
		"reading the interface", "reading IPv4 addresses", "reading IPv6 addresses",
		"reading peers",
	};
	struct mt_priv *mp = be->priv;
	struct http_call reads[D_MAX] = { 0 };
	struct http_call *muts = NULL;
	struct http_reply rep = { 0 };
	struct mt_wg *w = NULL;
	struct mt_addrs ad = { 0 };
	struct mt_peer *peers = NULL;
	size_t nw = 0, np = 0, nm = 0;
	char *path = NULL;
	int r;

	if ((r = mt_check_name(name, err)) < 0)
		return r;
	if ((r = mt_ensure_probed(be, err)) < 0)
		return r;
	if ((r = mt_need_write(mp, err)) < 0)
		return r;
	reads[D_WG].path = http_path_query("/interface/wireguard", "name", name, ".proplist",
					   ".id,name");
	mt_addr_queries(name, &reads[D_ADDR4]);
	reads[D_PEERS].path = http_path_query("/interface/wireguard/peers", "interface", name,
					      ".proplist", ".id,interface,public-key,dynamic");
	if ((r = rest_reads(&mp->rest, reads, D_MAX, what, err)) < 0)
		goto out;
	if ((r = mt_parse_wgs(reads[D_WG].reply.body, reads[D_WG].reply.len, &w, &nw, err)) < 0 ||
	    (r = mt_addr_parse(&reads[D_ADDR4], &ad, err)) < 0 ||
	    (r = mt_parse_peers(reads[D_PEERS].reply.body, reads[D_PEERS].reply.len, &peers, &np,
				NULL, err)) < 0) {
		err_prefix(err, "RouterOS interface '%s'", name);
		goto out;
	}
	if (nw == 0 || strcmp(w[0].name, name)) {
		r = err_set(err, -ENOENT, "interface '%s' does not exist", name);
		goto out;
	}
	muts = calloc(ad.n4 + ad.n6 + np + 1, sizeof(*muts));
	if (!muts) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ad.n4 + ad.n6; i++) {
		const struct mt_addr *a = i < ad.n4 ? &ad.v4[i] : &ad.v6[i - ad.n4];
		if (a->dynamic)
			continue;
		muts[nm].method = "DELETE";
		if (!(muts[nm++].path = rest_path_id(i < ad.n4 ? "/ip/address" : "/ipv6/address",
						     a->id)))
			goto oom;
	}
	for (size_t i = 0; i < np; i++) {
		if (peers[i].dynamic)
			continue;
		muts[nm].method = "DELETE";
		if (!(muts[nm++].path = rest_path_id("/interface/wireguard/peers", peers[i].id)))
			goto oom;
	}
	if ((r = mt_run_mutations(mp, muts, nm, "deleting the interface", err)) < 0)
		goto out;
	if (!(path = rest_path_id("/interface/wireguard", w[0].id)))
		goto oom;
	r = rest_call(&mp->rest, "DELETE", path, NULL, "deleting the interface", &rep, err);
	http_reply_release(&rep);
	if (r == -ENOENT)
		r = 0; /* gone meanwhile */
	goto out;
oom:
	r = err_set(err, -ENOMEM, "out of memory");
out:
	free(path);
	http_calls_release(reads, D_MAX);
	http_calls_release(muts, nm);
	free(muts);
	mt_wgs_free(w, nw);
	mt_addrs_free(&ad);
	mt_peers_free(peers, np);
	return r;
}

