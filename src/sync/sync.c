/* SPDX-License-Identifier: MIT */
/*
 * The differ: brings a backend in line with the store. sync_iface() reads the stored interface
 * and peers, reads the device, and applies only what differs (interface settings, peers to
 * upsert, device peers to remove). Request handlers use sync_peer() for one-peer changes so a
 * peer create on a 10,000-peer interface does not re-read the whole device, the store or the
 * route table: its routes change as a delta against reference counts (route_refs.h) that the
 * last full reconcile built.
 */
#include "sync/sync.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/cluster.h"
#include "config/config.h"
#include "monitor/rounds.h"
#include "store/store.h"
#include "sync/route_refs.h"
#include "sync/sync-int.h"
#include "util/err.h"
#include "util/log.h"

static int cmp_peer_key(const void *a, const void *b)
{
	return memcmp(((const struct dev_peer *)a)->public_key,
		      ((const struct dev_peer *)b)->public_key, WG_KEY_LEN);
}

/* Normalise a prefix list for comparison: host bits masked, sorted. */
static void prefixes_norm(struct ip_prefix *v, size_t n)
{
	if (!n)
		return; /* v may be NULL: qsort() must not see it */
	for (size_t i = 0; i < n; i++) {
		struct ip_prefix p = v[i];
		ip_prefix_network(&p, &v[i]);
	}
	qsort(v, n, sizeof(*v), ip_prefix_cmp);
}

static bool endpoint_is_numeric(const char *ep)
{
	char host[64];
	const char *colon;
	unsigned char buf[16];

	if (ep[0] == '[') {
		const char *close = strchr(ep, ']');
		if (!close || (size_t)(close - ep - 1) >= sizeof(host))
			return false;
		memcpy(host, ep + 1, (size_t)(close - ep - 1));
		host[close - ep - 1] = '\0';
		return inet_pton(AF_INET6, host, buf) == 1;
	}
	colon = strrchr(ep, ':');
	if (!colon || (size_t)(colon - ep) >= sizeof(host))
		return false;
	memcpy(host, ep, (size_t)(colon - ep));
	host[colon - ep] = '\0';
	return inet_pton(AF_INET, host, buf) == 1;
}

/* want's allowed IPs must already be normalised; have's are normalised here. psk_hidden: the
 * device cannot report preshared keys, so they are not compared. */
static bool dev_peer_equal(const struct dev_peer *want, struct dev_peer *have, bool psk_hidden)
{
	bool want_psk = !key_is_zero(want->preshared_key);
	bool have_psk = !key_is_zero(have->preshared_key);

	if (!psk_hidden && (want_psk != have_psk ||
			    (want_psk && memcmp(want->preshared_key, have->preshared_key, WG_KEY_LEN))))
		return false;
	if (want->persistent_keepalive != have->persistent_keepalive)
		return false;
	if ((want->flags & DEV_PEER_DISABLED) != (have->flags & DEV_PEER_DISABLED))
		return false;
	if (want->flags & DEV_PEER_HAS_ENDPOINT) {
		/* a hostname resolves to whatever address the device shows: do not churn on it */
		if (endpoint_is_numeric(want->endpoint) ? strcmp(want->endpoint, have->endpoint)
							: !have->endpoint[0])
			return false;
	}
	if (want->n_allowed_ips != have->n_allowed_ips)
		return false;
	prefixes_norm(have->allowed_ips, have->n_allowed_ips);
	return !want->n_allowed_ips || !memcmp(want->allowed_ips, have->allowed_ips,
					       want->n_allowed_ips * sizeof(struct ip_prefix));
}

static bool prefix_sets_equal(struct ip_prefix *a, size_t na, struct ip_prefix *b, size_t nb)
{
	if (na != nb)
		return false;
	if (!na)
		return true;
	qsort(a, na, sizeof(*a), ip_prefix_cmp);
	qsort(b, nb, sizeof(*b), ip_prefix_cmp);
	return !memcmp(a, b, na * sizeof(*a));
}

/* Interface-level settings differ (keys, port, fwmark, MTU, link state, addresses)? A device
 * that hides its private key (BACKEND_CAP_PRIVKEY_HIDDEN) is compared by public key. */
static bool iface_settings_differ(const struct backend *be, struct dev_iface *want,
				  struct dev_iface *have)
{
	if (want->flags & DEV_IFACE_HAS_PRIVATE_KEY) {
		if (!backend_has_cap(be, BACKEND_CAP_PRIVKEY_HIDDEN)) {
			if (memcmp(want->private_key, have->private_key, WG_KEY_LEN))
				return true;
		} else if (!key_is_zero(have->public_key)) {
			uint8_t pub[WG_KEY_LEN];
			if (key_public_from_private(pub, want->private_key) < 0 ||
			    memcmp(pub, have->public_key, WG_KEY_LEN))
				return true;
		}
	}
	if ((want->flags & DEV_IFACE_HAS_LISTEN_PORT) && want->listen_port &&
	    want->listen_port != have->listen_port)
		return true;
	if ((want->flags & DEV_IFACE_HAS_FWMARK) && want->fwmark != have->fwmark)
		return true;
	if ((want->flags & DEV_IFACE_HAS_MTU) && want->mtu != have->mtu)
		return true;
	if (want->up != have->up)
		return true;
	if ((want->flags & DEV_IFACE_HAS_ADDRESSES) &&
	    !prefix_sets_equal(want->addresses, want->n_addresses, have->addresses,
			       have->n_addresses))
		return true;
	return false;
}

static int load_iface_and_peers(struct app *app, const char *id, struct iface **ifc,
				struct peer ***peers, size_t *n, struct err *err)
{
	size_t total;
	int r = store_iface_get_settings(app->store, id, ifc, err);

	if (r < 0)
		return r;
	r = store_peer_list_by_iface(app->store, id, NULL, peers, n, &total, err);
	if (r < 0)
		*ifc = iface_free(*ifc);
	return r;
}

static struct backend *iface_backend(const struct iface *ifc, struct err *err)
{
	struct backend *be = backend_find(ifc->backend);

	if (!be)
		err_set(err, -EHOSTUNREACH, "backend '%s' of interface '%s' is not configured",
			STR(ifc->backend), STR(ifc->identifier));
	return be;
}

/* Applies interface settings and routes; creates the device when missing. *have is the
 * device state afterwards (re-read when the device had to be created). */
static int apply_iface_part(struct app *app, struct backend *be, const struct iface *ifc,
			    struct dev_iface *want, struct dev_iface *have, bool *created,
			    struct err *err)
{
	int r = backend_get_iface(be, want->name, have, err);

	*created = false;
	if (r == -ENOENT) {
		if (ifc->disabled)
			return 0; /* nothing to create for a disabled interface */
		if (!backend_has_cap(be, BACKEND_CAP_CREATE_IFACE))
			return err_set(err, -ENODEV, "interface '%s' does not exist on backend '%s'",
				       want->name, be->id);
		unsigned flags = want->flags;
		want->flags &= ~(unsigned)(DEV_IFACE_HAS_ROUTES | DEV_IFACE_HAS_FWMARK);
		r = backend_apply_iface(be, want, err);
		want->flags = flags;
		if (r < 0)
			return r;
		*created = true;
		r = backend_get_iface(be, want->name, have, err);
	}
	if (r < 0)
		return r;

	/* fwmark and route table derive from the ifindex (route_table_offset + ifindex) */
	if (backend_has_cap(be, BACKEND_CAP_FWMARK)) {
		want->fwmark = sync_fwmark(app, ifc, have->ifindex);
		want->flags |= DEV_IFACE_HAS_FWMARK;
	}
	if (backend_has_cap(be, BACKEND_CAP_ROUTES)) {
		want->table = sync_route_table(app, ifc, have->ifindex);
		want->rule_prio_offset = (uint32_t)app->cfg->advanced.rule_prio_offset;
		want->flags |= DEV_IFACE_HAS_ROUTES;
	}
	/* Routes are not observable through get_iface: always let the backend reconcile them
	 * (cheap when nothing changed); device settings only when they differ. */
	if (!*created && !iface_settings_differ(be, want, have)) {
		unsigned flags = want->flags;
		int r2;
		want->flags &= DEV_IFACE_HAS_ROUTES | DEV_IFACE_HAS_FWMARK;
		r2 = (want->flags & DEV_IFACE_HAS_ROUTES) ? backend_apply_iface(be, want, err) : 0;
		want->flags = flags;
		return r2;
	}
	return backend_apply_iface(be, want, err);
}

static int apply_peer_part(struct backend *be, struct dev_iface *want, struct dev_iface *have,
			   struct err *err)
{
	struct dev_peer *plan = NULL;
	size_t n_plan = 0;
	int r = 0;

	bool psk_hidden = backend_has_cap(be, BACKEND_CAP_PSK_WRITE_ONLY);

	plan = calloc(want->n_peers + have->n_peers + 1, sizeof(*plan));
	if (!plan)
		return err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < want->n_peers; i++)
		prefixes_norm(want->peers[i].allowed_ips, want->peers[i].n_allowed_ips);
	if (have->n_peers)
		qsort(have->peers, have->n_peers, sizeof(*have->peers), cmp_peer_key);

	for (size_t i = 0; i < want->n_peers; i++) {
		struct dev_peer *h = !have->n_peers ? NULL :
			bsearch(&want->peers[i], have->peers, have->n_peers, sizeof(*have->peers),
				cmp_peer_key);
		if (h && (h->flags & DEV_PEER_READONLY))
			continue;
		if (!h || !dev_peer_equal(&want->peers[i], h, psk_hidden))
			plan[n_plan++] = want->peers[i]; /* shallow: want owns the memory */
	}
	if (want->n_peers)
		qsort(want->peers, want->n_peers, sizeof(*want->peers), cmp_peer_key);
	for (size_t i = 0; i < have->n_peers; i++) {
		if (have->peers[i].flags & DEV_PEER_READONLY)
			continue;
		if (!want->n_peers || !bsearch(&have->peers[i], want->peers, want->n_peers, sizeof(*want->peers),
			     cmp_peer_key)) {
			memcpy(plan[n_plan].public_key, have->peers[i].public_key, WG_KEY_LEN);
			plan[n_plan].flags = DEV_PEER_REMOVE;
			plan[n_plan].allowed_ips = NULL;
			n_plan++;
		}
	}
	if (n_plan)
		r = backend_apply_peers(be, want->name, plan, n_plan, err);
	log_debug("sync %s: %zu peer changes", want->name, n_plan);
	/* plan entries are shallow copies: free only the array */
	free(plan);
	return r;
}

/* After a full route reconcile: the reference counts start again from the stored peers. Which
 * peers count mirrors sync_build_dev_iface (on the device, keys that parse). Out of memory only
 * costs speed: without an entry the next peer change reconciles in full. */
static void routes_rebuild(struct app *app, struct backend *be, const struct iface *ifc,
			   struct peer **peers, size_t n, int ifindex, uint32_t table)
{
	struct route_refs *rr;

	if (!backend_has_cap(be, BACKEND_CAP_ROUTES))
		return;
	if (ifc->disabled || !(rr = route_refs_reset(app, ifc->identifier, ifindex, table))) {
		route_refs_drop(app, ifc->identifier);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct ip_prefix *v = NULL;
		size_t k = 0;
		struct dev_peer dp;
		int r;

		if (!sync_peer_on_device(be, peers[i]))
			continue;
		if (sync_dev_peer_from(ifc, peers[i], true, &dp) < 0)
			continue;
		dev_peer_release(&dp);
		r = sync_peer_routes(ifc, peers[i], &v, &k);
		if (r == 0)
			r = route_refs_set_peer(rr, peers[i]->identifier, v, k, NULL);
		free(v);
		if (r < 0) {
			route_refs_drop(app, ifc->identifier);
			return;
		}
	}
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The last full sync per backend, for /backend/all and wgportal_round_*{round="sync"}. */
static void record_sync(const struct backend *be, double t0, int r, const struct err *err)
{
	struct monitor_round mr;

	memset(&mr, 0, sizeof(mr));
	mr.last_at = (int64_t)time(NULL);
	mr.duration_ms = mono_ms() - t0;
	mr.errors = r < 0;
	if (r < 0)
		snprintf(mr.last_error, sizeof(mr.last_error), "%.255s", err ? err->msg : "");
	monitor_round_put(MONITOR_ROUND_SYNC, be->id, &mr);
}

int sync_iface(struct app *app, const char *iface_id, struct err *err)
{
	struct iface *ifc = NULL;
	struct peer **peers = NULL;
	size_t n = 0;
	struct dev_iface want, have;
	struct backend *be = NULL;
	bool created = false;
	double t0 = mono_ms();
	int r;

	memset(&have, 0, sizeof(have));
	memset(&want, 0, sizeof(want));
	r = load_iface_and_peers(app, iface_id, &ifc, &peers, &n, err);
	if (r < 0)
		return r;
	be = iface_backend(ifc, err);
	if (!be) {
		r = -EHOSTUNREACH;
		goto out;
	}
	if (!cluster_serves_iface(ifc)) {
		be = NULL; /* another node's device (cluster.h): it hears of the change */
		goto out;
	}
	r = sync_build_dev_iface(app, ifc, peers, n, &want, err);
	if (r < 0)
		goto out;
	r = apply_iface_part(app, be, ifc, &want, &have, &created, err);
	if (r < 0)
		route_refs_drop(app, iface_id);
	else
		routes_rebuild(app, be, ifc, peers, n, have.ifindex, want.table);
	if (r < 0 || (ifc->disabled && !have.name[0]))
		goto out;
	if (ifc->disabled && !backend_has_cap(be, BACKEND_CAP_DISABLED_PEERS)) {
		/* local: a disabled interface keeps no peers (spec 3.6, restore) */
		for (size_t i = 0; i < want.n_peers; i++)
			dev_peer_release(&want.peers[i]);
		want.n_peers = 0;
	}
	r = apply_peer_part(be, &want, &have, err);
	if (created && r == 0)
		log_info("interface '%s' created on backend '%s'", iface_id, be->id);
out:
	if (be)
		record_sync(be, t0, r, err);
	dev_iface_release(&want);
	dev_iface_release(&have);
	peer_list_free(peers, n);
	iface_free(ifc);
	return r;
}

/* Routes of an interface follow its peers: recompute them from the store and let the backend
 * reconcile the table (only when the backend manages routes). */
static int sync_routes(struct app *app, struct backend *be, const struct iface *ifc,
		       struct err *err)
{
	struct peer **peers = NULL;
	size_t n = 0, total;
	struct dev_iface want, have;
	int r;

	if (!backend_has_cap(be, BACKEND_CAP_ROUTES) || ifc->disabled)
		return 0;
	memset(&have, 0, sizeof(have));
	r = store_peer_list_by_iface(app->store, ifc->identifier, NULL, &peers, &n, &total, err);
	if (r < 0)
		return r;
	r = sync_build_dev_iface(app, ifc, peers, n, &want, err);
	if (r == 0) {
		bool created;
		r = apply_iface_part(app, be, ifc, &want, &have, &created, err);
	}
	if (r == 0)
		routes_rebuild(app, be, ifc, peers, n, have.ifindex, want.table);
	else
		route_refs_drop(app, ifc->identifier);
	dev_iface_release(&want);
	dev_iface_release(&have);
	peer_list_free(peers, n);
	return r;
}

/* Applies a route delta: removals first, then additions (a prefix never is in both). */
static int apply_route_delta(struct backend *be, const struct iface *ifc,
			     const struct route_refs *rr, const struct route_delta *d,
			     struct err *err)
{
	struct dev_iface want;
	int r = 0;

	memset(&want, 0, sizeof(want));
	snprintf(want.name, sizeof(want.name), "%s", STR(ifc->identifier));
	want.table = rr->table;
	want.ifindex = rr->ifindex;
	want.up = true;
	if (d->n_del) {
		want.flags = DEV_IFACE_HAS_ROUTES | DEV_IFACE_ROUTES_DEL;
		want.routes = d->del;
		want.n_routes = d->n_del;
		r = backend_apply_iface(be, &want, err);
	}
	if (r == 0 && d->n_add) {
		want.flags = DEV_IFACE_HAS_ROUTES | DEV_IFACE_ROUTES_ADD;
		want.routes = d->add;
		want.n_routes = d->n_add;
		r = backend_apply_iface(be, &want, err);
	}
	return r;
}

static bool has_default_route(const struct ip_prefix *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].len == 0)
			return true;
	return false;
}

/* The routes of one changed peer (and of its previous key when re-keyed). Falls back to the
 * full reconcile when no reference counts exist yet, the interface's table moved, a default
 * route is involved (its policy rules live in the full path) or the delta failed. */
static int sync_peer_routes_delta(struct app *app, struct backend *be, const struct iface *ifc,
				  const struct peer *p, bool remove, const char *old_key,
				  struct err *err)
{
	struct route_refs *rr;
	struct route_delta d = { 0 };
	struct ip_prefix *v = NULL;
	size_t n = 0;
	int r = 0;

	if (!backend_has_cap(be, BACKEND_CAP_ROUTES) || ifc->disabled)
		return 0;
	rr = route_refs_find(app, ifc->identifier);
	if (!rr || rr->table != sync_route_table(app, ifc, rr->ifindex)) {
		log_debug("sync %s: routes reconciled in full (no reference counts for table)",
			  STR(ifc->identifier));
		return sync_routes(app, be, ifc, err);
	}
	if (!remove && sync_peer_on_device(be, p))
		r = sync_peer_routes(ifc, p, &v, &n);
	if (r == 0)
		r = route_refs_set_peer(rr, p->identifier, v, n, &d);
	if (r == 0 && old_key && *old_key && strcmp(old_key, p->identifier))
		r = route_refs_set_peer(rr, old_key, NULL, 0, &d);
	free(v);
	if (r == 0 && (has_default_route(d.add, d.n_add) || has_default_route(d.del, d.n_del)))
		r = -EAGAIN;
	if (r == 0 && rr->table)
		r = apply_route_delta(be, ifc, rr, &d, err);
	if (r == 0)
		log_debug("sync %s: route delta +%zu -%zu", STR(ifc->identifier), d.n_add, d.n_del);
	route_delta_release(&d);
	if (r < 0) {
		log_debug("sync %s: routes reconciled in full (delta: %s)", STR(ifc->identifier),
			  r == -EAGAIN ? "default route" : r == -ENOMEM ? "out of memory" : err->msg);
		err_clear(err);
		route_refs_drop(app, ifc->identifier);
		r = sync_routes(app, be, ifc, err);
	}
	return r;
}

int sync_peer(struct app *app, const struct iface *ifc, const struct peer *p, bool remove,
	      const char *old_key, struct err *err)
{
	struct backend *be = iface_backend(ifc, err);
	struct dev_peer dp[2];
	size_t n = 0;
	int r;

	if (!be)
		return -EHOSTUNREACH;
	if (!cluster_serves_iface(ifc))
		return 0; /* another node's device (cluster.h): it hears of the change */
	if (ifc->disabled && !backend_has_cap(be, BACKEND_CAP_DISABLED_PEERS))
		return 0; /* peers of a disabled local interface are not on the device */
	memset(dp, 0, sizeof(dp));
	if (old_key && *old_key && strcmp(old_key, p->identifier)) {
		if (key_from_base64(dp[n].public_key, old_key) == 0) {
			dp[n].flags = DEV_PEER_REMOVE;
			n++;
		}
	}
	if (remove || !sync_peer_on_device(be, p)) {
		if (key_from_base64(dp[n].public_key, p->identifier) < 0)
			return err_field(err, -EINVAL, "PublicKey", "invalid public key");
		dp[n].flags = DEV_PEER_REMOVE;
		n++;
	} else {
		r = sync_dev_peer_from(ifc, p, true, &dp[n]);
		if (r < 0)
			return err_field(err, r, "PublicKey", "invalid peer keys");
		n++;
	}
	r = backend_apply_peers(be, ifc->identifier, dp, n, err);
	for (size_t i = 0; i < n; i++)
		dev_peer_release(&dp[i]);
	if (r == 0)
		r = sync_peer_routes_delta(app, be, ifc, p, remove, old_key, err);
	return r;
}

/* Before a delete (wg-portal: "remove routes" first): the interface's routes and its policy
 * rules go; the rules would otherwise outlive the link. The table derives from the ifindex,
 * read from the device (or remembered from the last reconcile when the link is gone). */
static int flush_routes(struct app *app, struct backend *be, const struct iface *ifc,
			struct err *err)
{
	struct route_refs *rr = route_refs_find(app, ifc->identifier);
	struct dev_iface have, want;
	int ifindex = rr ? rr->ifindex : 0;
	int r;

	memset(&have, 0, sizeof(have));
	memset(&want, 0, sizeof(want));
	r = backend_get_iface(be, ifc->identifier, &have, err);
	if (r == 0)
		ifindex = have.ifindex;
	dev_iface_release(&have);
	err_clear(err);
	if (r < 0 && r != -ENOENT)
		return r;
	snprintf(want.name, sizeof(want.name), "%s", STR(ifc->identifier));
	want.table = sync_route_table(app, ifc, ifindex);
	want.fwmark = sync_fwmark(app, ifc, ifindex);
	want.rule_prio_offset = (uint32_t)app->cfg->advanced.rule_prio_offset;
	want.flags = DEV_IFACE_HAS_ROUTES | DEV_IFACE_ROUTES_FLUSH |
		     (backend_has_cap(be, BACKEND_CAP_FWMARK) ? DEV_IFACE_HAS_FWMARK : 0);
	if (!want.table || r == -ENOENT)
		return 0; /* link gone: its routes went with it */
	return backend_apply_iface(be, &want, err);
}

int sync_iface_remove(struct app *app, const struct iface *ifc, struct err *err)
{
	struct backend *be = iface_backend(ifc, err);
	int r;

	if (!be)
		return -EHOSTUNREACH;
	if (!cluster_serves_iface(ifc))
		return 0; /* another node's device (cluster.h): it hears of the change */
	if (backend_has_cap(be, BACKEND_CAP_ROUTES)) {
		r = flush_routes(app, be, ifc, err);
		if (r < 0)
			return r;
	}
	route_refs_drop(app, ifc->identifier);
	r = backend_delete_iface(be, ifc->identifier, err);
	if (r == -ENOENT) {
		err_clear(err);
		r = 0;
	}
	return r;
}
