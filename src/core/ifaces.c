/* SPDX-License-Identifier: MIT */
/*
 * Interface use cases (spec/wg-portal-compat.md 2.6.1, 3.2, 3.5): prepare, create, update,
 * delete. Each change is one store transaction plus a sync of the device under app->write_lock;
 * a device failure rolls the store back and re-syncs the device from the stored state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "backends/backend.h"
#include "cluster/cluster.h"
#include "config/config.h"
#include "core/core-int.h"
#include "core/core.h"
#include "delivery/delivery.h"
#include "model/endpoint.h"
#include "store/store.h"
#include "sync/sync.h"
#include "util/err.h"
#include "util/log.h"

static bool port_used(struct iface **list, size_t n, int port)
{
	for (size_t i = 0; i < n; i++)
		if (list[i]->listen_port == port)
			return true;
	return false;
}

/* Any stored interface address inside a network equal to net (same base and length)? */
static bool network_used(struct iface **list, size_t n, const struct ip_prefix *net)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < list[i]->addresses.n; k++) {
			struct ip_prefix a, an;
			if (ip_prefix_parse(list[i]->addresses.v[k], true, &a) < 0 ||
			    a.family != net->family)
				continue;
			ip_prefix_network(&a, &an);
			if (an.len == net->len && !memcmp(an.addr, net->addr, 16))
				return true;
		}
	}
	return false;
}

/* Picks the first free network from start (3.2); appends "net+1/len" to addresses and the
 * network to the peer defaults. */
static int prepare_family(struct iface *ifc, struct iface **list, size_t n, const char *start,
			  struct err *err)
{
	struct ip_prefix net, host;
	char buf[CIDR_STR_MAX];

	if (ip_prefix_parse(start, false, &net) < 0)
		return err_set(err, -EINVAL, "invalid start network '%s' in advanced config", start);
	ip_prefix_network(&net, &net);
	while (network_used(list, n, &net))
		if (core_next_network(&net) < 0)
			return err_set(err, -EADDRNOTAVAIL, "no free network left after %s", start);
	host = net;
	if (ip_addr_next(&host) < 0)
		return err_set(err, -EADDRNOTAVAIL, "network %s has no host address", start);
	ip_prefix_format(&host, buf);
	if (strv_push(&ifc->addresses, buf) < 0)
		return -ENOMEM;
	ip_prefix_format(&net, buf);
	if (strv_push(&ifc->peer_def_network, buf) < 0 || strv_push(&ifc->peer_def_allowed_ips, buf))
		return -ENOMEM;
	return 0;
}

int core_iface_prepare(struct app *app, const char *backend_id, struct iface **ret,
		       struct err *err)
{
	const struct cfg *cfg = app->cfg;
	struct iface **list = NULL;
	struct strv taken = STRV_INIT;
	struct backend *be;
	size_t n = 0;
	struct iface *ifc = NULL;
	char name[64];
	int r, port;

	if (!backend_id || !*backend_id)
		backend_id = backend_default_id();
	be = backend_find(backend_id);
	if (!be)
		return err_field(err, -EINVAL, "backend", "backend '%.64s' is not configured",
				 backend_id);
	r = store_iface_list(app->store, &list, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = strv_push(&taken, STR(list[i]->identifier));
	if (r < 0 || !(ifc = iface_new())) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* the device names it (pfSense tun_wgN), or the name must be free there too */
	r = backend_suggest_name(be, &taken, name, sizeof(name), err);
	if (r < 0)
		goto out;
	for (port = cfg->advanced.start_listen_port; port <= 65535 && port_used(list, n, port); port++)
		;
	if (port > 65535) {
		r = err_set(err, -EADDRNOTAVAIL, "no free listen port above %d",
			    cfg->advanced.start_listen_port);
		goto out;
	}
	r = -ENOMEM;
	if (str_set(&ifc->identifier, name) || str_set(&ifc->display_name, name) ||
	    str_set(&ifc->mode, "server") || str_set(&ifc->backend, be->id))
		goto out;
	key_pair_b64(ifc->private_key, ifc->public_key);
	ifc->listen_port = port;
	ifc->mtu = ifc->peer_def_mtu = 1420;
	ifc->peer_def_persistent_keepalive = 16;
	ifc->save_config = cfg->advanced.config_storage_path && *cfg->advanced.config_storage_path;
	/* spec 3.2: set when any default-peer option is on */
	ifc->create_default_peer = cfg->core.create_default_peer_on_login ||
				   cfg->core.create_default_peer_on_user_creation ||
				   cfg->core.create_default_peer_on_interface_creation;
	r = prepare_family(ifc, list, n, cfg->advanced.start_cidr_v4, err);
	if (r == 0 && cfg->advanced.use_ip_v6)
		r = prepare_family(ifc, list, n, cfg->advanced.start_cidr_v6, err);
out:
	strv_release(&taken);
	iface_list_free(list, n);
	if (r < 0) {
		iface_free(ifc);
		return r == -ENOMEM ? err_set(err, r, "out of memory") : r;
	}
	*ret = ifc;
	return 0;
}

/* Shared input rules of create and update: defaults, keys, backend, hooks, endpoint port. */
static int normalise_iface(struct app *app, struct iface *ifc, const char *verb, struct err *err)
{
	struct backend *be;
	char pub[WG_KEY_B64_SIZE];
	int r;

	if (!ifc->mode || !*ifc->mode) {
		if (str_set(&ifc->mode, "server") < 0)
			return -ENOMEM;
	}
	if (!ifc->backend || !*ifc->backend)
		if (str_set(&ifc->backend, backend_default_id()) < 0)
			return -ENOMEM;
	r = iface_validate(ifc, err);
	if (r < 0)
		return err_prefix(err, "%s not allowed", verb);
	be = backend_find(ifc->backend);
	if (!be)
		return err_field(err, -EINVAL, "Backend",
				 "%s not allowed: backend '%s' is not configured", verb, ifc->backend);
	if (!ifc->private_key[0]) {
		if (ifc->public_key[0])
			return err_field(err, -EINVAL, "PrivateKey",
					 "%s not allowed: a public key without its private key "
					 "cannot run an interface: invalid data", verb);
		key_pair_b64(ifc->private_key, ifc->public_key);
	} else {
		if (key_public_b64(pub, ifc->private_key) < 0)
			return err_field(err, -EINVAL, "PrivateKey",
					 "%s not allowed: invalid private key: invalid data", verb);
		if (ifc->public_key[0] && strcmp(pub, ifc->public_key))
			return err_field(err, -EINVAL, "PublicKey",
					 "%s not allowed: invalid public key for given privatekey: "
					 "invalid data", verb);
		memcpy(ifc->public_key, pub, sizeof(pub));
	}
	/* Node: which node's host holds a local interface (cluster.h) */
	r = cluster_check_node(be, ifc->node, err);
	if (r < 0)
		return err_prefix(err, "%s not allowed", verb);
	if (!backend_has_cap(be, BACKEND_CAP_HOOKS) &&
	    ((ifc->pre_up && *ifc->pre_up) || (ifc->post_up && *ifc->post_up) ||
	     (ifc->pre_down && *ifc->pre_down) || (ifc->post_down && *ifc->post_down)))
		return err_field(err, -EOPNOTSUPP, "PreUp",
				 "interface hooks are not supported by backend '%s' (%s)", be->id,
				 be->ops->type);
	/* PeerDefEndpoint is stored with :<ListenPort> when the port is missing (2.7) */
	if (ifc->peer_def_endpoint && *ifc->peer_def_endpoint) {
		struct endpoint ep;
		char buf[ENDPOINT_STR_MAX];

		/* validated above with the port optional: parses */
		if (endpoint_parse(ifc->peer_def_endpoint, true, &ep) == 0 && !ep.port &&
		    ifc->listen_port > 0 && ifc->listen_port <= 65535) {
			ep.port = (uint16_t)ifc->listen_port;
			endpoint_format(&ep, buf);
			if (str_set(&ifc->peer_def_endpoint, buf) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* Hooks run on the host of the interface: its own node (cluster.h). */
static bool hooks_allowed(const struct iface *ifc)
{
	const struct backend *be = backend_find(ifc->backend);
	return be && backend_has_cap(be, BACKEND_CAP_HOOKS) && cluster_serves_iface(ifc);
}

/* Runs the hooks that belong to an enabled-state change (3.5): before = Pre*, after = Post*. */
static int run_state_hooks(struct app *app, const struct iface *ifc, bool was_enabled,
			   bool after, struct err *err)
{
	int64_t limit = app->cfg->advanced.hook_timeout_ms;
	bool now_enabled = !ifc->disabled;

	if (was_enabled == now_enabled || !hooks_allowed(ifc))
		return 0;
	if (now_enabled)
		return core_run_hook(after ? ifc->post_up : ifc->pre_up, ifc->identifier,
				     after ? "PostUp" : "PreUp", limit, err);
	return core_run_hook(after ? ifc->post_down : ifc->pre_down, ifc->identifier,
			     after ? "PostDown" : "PreDown", limit, err);
}

/* After a failed device call: the store was rolled back, bring the device back to it. */
static void resync_after_failure(struct app *app, const char *id)
{
	struct err e;

	err_clear(&e);
	if (sync_iface(app, id, &e) < 0 && e.code != -ENOENT)
		log_warn("interface '%s': could not restore the device after a failed change: %s",
			 id, e.msg);
}

/* Whether the backend already has a device of that name (before a create). */
static bool device_exists(const struct iface *ifc)
{
	struct backend *be = backend_find(ifc->backend);
	struct dev_iface d;
	bool found;

	if (!be || !cluster_serves_iface(ifc))
		return false; /* another node's device: it is not ours to look at */
	found = backend_get_iface(be, ifc->identifier, &d, NULL) == 0;
	dev_iface_release(&d);
	return found;
}

int core_iface_create(struct app *app, struct iface *ifc, struct err *err)
{
	struct iface *have = NULL;
	bool existed;
	int r;

	if (!ifc->identifier || !*ifc->identifier)
		return err_field(err, -EINVAL, "Identifier",
				 "creation not allowed: invalid interface identifier");
	if (store_iface_get(app->store, ifc->identifier, &have, NULL) == 0) {
		iface_free(have);
		return err_field(err, -EEXIST, "Identifier",
				 "interface %s already exists: duplicate entry", ifc->identifier);
	}
	r = normalise_iface(app, ifc, "creation", err);
	if (r < 0)
		return r;
	if ((!ifc->node || !*ifc->node) &&
	    str_set(&ifc->node, cluster_new_iface_node(backend_find(ifc->backend))) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	ifc->created_at = ifc->updated_at = 0;

	pthread_mutex_lock(&app->write_lock);
	r = core_check_addresses(app, &ifc->addresses, NULL, NULL, "Addresses", err);
	if (r < 0)
		goto unlock;
	existed = device_exists(ifc);
	r = run_state_hooks(app, ifc, false, false, err);
	if (r < 0)
		goto unlock;
	r = store_begin(app->store, err);
	if (r < 0)
		goto unlock;
	r = store_iface_insert(app->store, ifc, err);
	if (r == 0)
		r = sync_iface(app, ifc->identifier, err);
	if (r == 0)
		r = delivery_event_iface(app, "create", ifc, err);
	if (r == 0)
		r = store_commit(app->store, err);
	if (r < 0) {
		struct err e;
		store_rollback(app->store);
		err_clear(&e);
		/* the device may have been created before the failure: take it away again, but
		 * never a device that was there before this request */
		if (!existed)
			sync_iface_remove(app, ifc, &e);
		err_prefix(err, "creation failure");
		goto unlock;
	}
	r = run_state_hooks(app, ifc, false, true, err);
	if (r < 0)
		log_warn("interface '%s': %s", ifc->identifier, err->msg);
	r = 0;
	delivery_kick();
	{
		char il[CORE_LABEL_MAX];
		core_iface_label(ifc, il);
		core_audit(app, "interface", "interface %s created", il);
	}
	core_iface_changed(app, ifc->identifier);
	core_default_peers_for_iface(app, ifc);
unlock:
	pthread_mutex_unlock(&app->write_lock);
	return r;
}

int core_rederive_peer_modes(struct app *app, const struct iface *ifc, struct err *err)
{
	struct peer **peers = NULL;
	size_t n = 0, total;
	const char *mode = strcasecmp(STR(ifc->mode), "any") ? peer_mode_for_iface(ifc->mode)
							       : "any";
	int r = store_peer_list_by_iface(app->store, ifc->identifier, NULL, &peers, &n, &total, err);

	for (size_t i = 0; r == 0 && i < n; i++) {
		if (peers[i]->mode && !strcmp(peers[i]->mode, mode))
			continue;
		if ((r = str_set(&peers[i]->mode, mode)) < 0)
			break;
		r = store_peer_update(app->store, peers[i]->identifier, peers[i], err);
	}
	peer_list_free(peers, n);
	return r;
}

int core_iface_update(struct app *app, const char *id, struct iface *ifc, struct err *err)
{
	struct iface *old = NULL;
	bool was_enabled;
	int r;

	pthread_mutex_lock(&app->write_lock);
	r = store_iface_get(app->store, id, &old, err);
	if (r < 0) {
		err_set(err, r, "unable to load existing interface %s: failed to load interface: "
			"record not found", id);
		goto unlock;
	}
	/* v1 has no Backend field: keep what is stored instead of resetting to local (2.8) */
	if ((r = str_set(&ifc->backend, old->backend)) < 0)
		goto unlock;
	/* a local interface stays on its host: "" or the same Node keeps it (docs/cluster.md) */
	if (ifc->node && *ifc->node && old->node && *old->node && strcmp(ifc->node, old->node)) {
		r = err_field(err, -EINVAL, "Node", "update not allowed: interface %s belongs to node "
			      "'%s' and cannot move to another node", id, old->node);
		goto unlock;
	}
	if (!ifc->private_key[0]) {
		memcpy(ifc->private_key, old->private_key, sizeof(ifc->private_key));
		if (!ifc->public_key[0])
			memcpy(ifc->public_key, old->public_key, sizeof(ifc->public_key));
	}
	ifc->created_at = old->created_at;
	ifc->updated_at = 0;
	r = normalise_iface(app, ifc, "update", err);
	if (r < 0)
		goto unlock;
	r = core_check_addresses(app, &ifc->addresses, NULL, id, "Addresses", err);
	if (r < 0)
		goto unlock;
	was_enabled = !old->disabled;
	r = run_state_hooks(app, ifc, was_enabled, false, err);
	if (r < 0)
		goto unlock;
	r = store_begin(app->store, err);
	if (r < 0)
		goto unlock;
	r = store_iface_update(app->store, ifc, err);
	if (r == 0)
		r = core_rederive_peer_modes(app, ifc, err);
	if (r == 0)
		r = sync_iface_change(app, id, old, err);
	if (r == 0)
		r = delivery_event_iface(app, "update", ifc, err);
	if (r == 0)
		r = store_commit(app->store, err);
	if (r < 0) {
		store_rollback(app->store);
		resync_after_failure(app, id);
		err_prefix(err, "update failure");
		goto unlock;
	}
	if (run_state_hooks(app, ifc, was_enabled, true, err) < 0)
		log_warn("interface '%s': %s", id, err->msg);
	err_clear(err);
	ifc->enabled_peers = old->enabled_peers;
	ifc->total_peers = old->total_peers;
	delivery_kick();
	{
		char il[CORE_LABEL_MAX];
		core_iface_label(ifc, il);
		core_audit(app, "interface", "interface %s %s", il,
			   was_enabled && ifc->disabled   ? "disabled"
			   : !was_enabled && !ifc->disabled ? "enabled"
							    : "updated");
	}
	core_iface_changed(app, id);
unlock:
	pthread_mutex_unlock(&app->write_lock);
	iface_free(old);
	return r;
}

int core_iface_delete(struct app *app, const char *id, struct err *err)
{
	struct iface *old = NULL;
	int r;

	pthread_mutex_lock(&app->write_lock);
	r = store_iface_get(app->store, id, &old, err);
	if (r < 0) {
		err_set(err, r, "unable to find interface %s: failed to load interface: record not "
			"found", id);
		goto unlock;
	}
	/* wg-portal never runs the down hooks on delete; we do (recommended in 3.5) */
	if (!old->disabled && hooks_allowed(old) &&
	    core_run_hook(old->pre_down, id, "PreDown", app->cfg->advanced.hook_timeout_ms,
			  err) < 0)
		log_warn("interface '%s': %s, deleting anyway", id, err->msg);
	r = store_begin(app->store, err);
	if (r < 0)
		goto unlock;
	r = store_iface_delete(app->store, id, err);
	if (r == 0)
		r = sync_iface_remove(app, old, err);
	/* the peers go with their interface without events of their own (spec 6.1) */
	if (r == 0)
		r = delivery_event_iface(app, "delete", old, err);
	if (r == 0)
		r = store_commit(app->store, err);
	if (r < 0) {
		store_rollback(app->store);
		resync_after_failure(app, id);
		err_prefix(err, "deletion failure");
		goto unlock;
	}
	if (!old->disabled && hooks_allowed(old) &&
	    core_run_hook(old->post_down, id, "PostDown", app->cfg->advanced.hook_timeout_ms,
			  err) < 0)
		log_warn("interface '%s': %s", id, err->msg);
	err_clear(err);
	delivery_kick();
	{
		char il[CORE_LABEL_MAX];
		core_iface_label(old, il);
		core_audit(app, "interface", "interface %s deleted", il);
	}
	core_iface_removed(app, old);
unlock:
	pthread_mutex_unlock(&app->write_lock);
	iface_free(old);
	return r;
}
