/* SPDX-License-Identifier: MIT */
/*
 * Start-up work of spec/wg-portal-compat.md 3.10: import the interfaces and peers that exist on
 * every backend but not in the store (core.import_existing), then push the stored state to
 * every backend (core.restore_state).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cluster/cluster.h"
#include "config/config.h"
#include "store/store.h"
#include "sync/sync-int.h"
#include "sync/sync.h"
#include "util/err.h"
#include "util/log.h"

static bool is_ignored(const struct app *app, const struct backend *be, const char *name)
{
	const struct cfg_backend *cb;

	if (!strcmp(be->id, "local"))
		return strv_contains(&app->cfg->backend.ignored_local_interfaces, name);
	cb = cfg_backend_find(app->cfg, be->id);
	return cb && strv_contains(&cb->ignored_interfaces, name);
}

static int push_prefix_str(struct strv *sv, const struct ip_prefix *p, bool network)
{
	char buf[CIDR_STR_MAX];
	struct ip_prefix n = *p;

	if (network)
		ip_prefix_network(p, &n);
	ip_prefix_format(&n, buf);
	return strv_contains(sv, buf) ? 0 : strv_push(sv, buf);
}

/* Mode inference of 3.1: 0 peers -> any; 1 peer -> server with a listen port, else client;
 * more peers -> server. */
static const char *infer_mode(const struct dev_iface *d)
{
	if (d->n_peers == 0)
		return "any";
	if (d->n_peers == 1)
		return d->listen_port ? "server" : "client";
	return "server";
}

static int import_peer(struct app *app, const struct iface *ifc, const struct dev_peer *dp,
		       struct err *err)
{
	struct peer *p = peer_new();
	char shortid[9];
	char name[64];
	int r = -ENOMEM;

	if (!p)
		return err_set(err, -ENOMEM, "out of memory");
	key_to_base64(p->public_key, dp->public_key);
	memcpy(p->identifier, p->public_key, sizeof(p->identifier));
	if (!key_is_zero(dp->preshared_key))
		key_to_base64(p->preshared_key, dp->preshared_key);
	snprintf(shortid, sizeof(shortid), "%.8s", p->identifier);
	if (dp->name && *dp->name)
		snprintf(name, sizeof(name), "%s", dp->name);
	else
		snprintf(name, sizeof(name), "Autodetected %s (%s)",
			 !strcmp(ifc->mode, "server") ? "Client"
			 : !strcmp(ifc->mode, "client") ? "Endpoint" : "Peer", shortid);
	if (str_set(&p->display_name, name) || str_set(&p->interface_identifier, ifc->identifier) ||
	    str_set(&p->mode, peer_mode_for_iface(ifc->mode)))
		goto out;
	p->automatic = true;
	/* dynamic/system peers (RouterOS Back-to-Home): the backend refuses writes to them */
	if ((dp->flags & DEV_PEER_READONLY) &&
	    str_set(&p->notes, "read-only: dynamic peer managed by the device itself"))
		goto out;
	p->disabled = (dp->flags & DEV_PEER_DISABLED) != 0;
	for (size_t i = 0; i < dp->n_allowed_ips; i++) {
		const struct ip_prefix *a = &dp->allowed_ips[i];
		struct ip_prefix net;
		ip_prefix_network(a, &net);
		/* host routes and non-network prefixes are the peer's own addresses (3.10) */
		bool host = a->len == ip_prefix_host_len(a->family) || memcmp(&net, a, sizeof(net));
		r = push_prefix_str(host ? &p->addresses : &p->extra_allowed_ips, a, !host);
		if (r < 0)
			goto out;
	}
	if (dp->endpoint[0] && str_set(&p->endpoint.value, dp->endpoint))
		goto out;
	p->persistent_keepalive.value = dp->persistent_keepalive;
	r = store_peer_insert(app->store, p, err);
	if (r == -EEXIST) {
		log_warn("import: peer %s of '%s' already stored on another interface, ignoring",
			 p->identifier, ifc->identifier);
		err_clear(err);
		r = 0;
	}
out:
	peer_free(p);
	return r == -ENOMEM ? err_set(err, r, "out of memory") : r;
}

static int import_iface(struct app *app, struct backend *be, const char *name, struct err *err)
{
	struct dev_iface d;
	struct iface *ifc = NULL;
	int r = backend_get_iface(be, name, &d, err);

	if (r < 0)
		return r;
	ifc = iface_new();
	r = -ENOMEM;
	if (!ifc)
		goto out;
	if (str_set(&ifc->identifier, name) ||
	    str_set(&ifc->display_name, d.comment && *d.comment ? d.comment : name) ||
	    str_set(&ifc->mode, infer_mode(&d)) || str_set(&ifc->backend, be->id) ||
	    str_set(&ifc->node, cluster_new_iface_node(be)))
		goto out;
	if (!key_is_zero(d.private_key)) {
		key_to_base64(ifc->private_key, d.private_key);
		key_public_b64(ifc->public_key, ifc->private_key);
	} else if (!key_is_zero(d.public_key)) {
		key_to_base64(ifc->public_key, d.public_key);
	}
	ifc->listen_port = d.listen_port;
	ifc->mtu = (int)d.mtu;
	ifc->peer_def_mtu = (int)d.mtu;
	ifc->disabled = !d.up;
	if (ifc->disabled && str_set(&ifc->disabled_reason, "imported as down"))
		goto out;
	if (d.fwmark && d.fwmark != (uint32_t)(app->cfg->advanced.route_table_offset + d.ifindex))
		ifc->firewall_mark = d.fwmark;
	for (size_t i = 0; i < d.n_addresses; i++) {
		if (push_prefix_str(&ifc->addresses, &d.addresses[i], false) < 0 ||
		    push_prefix_str(&ifc->peer_def_network, &d.addresses[i], true) < 0 ||
		    push_prefix_str(&ifc->peer_def_allowed_ips, &d.addresses[i], false) < 0)
			goto out;
	}
	r = store_begin(app->store, err);
	if (r < 0)
		goto out;
	r = store_iface_insert(app->store, ifc, err);
	for (size_t i = 0; r == 0 && i < d.n_peers; i++)
		r = import_peer(app, ifc, &d.peers[i], err);
	if (r == 0)
		r = store_commit(app->store, err);
	else
		store_rollback(app->store);
	if (r == 0)
		log_info("imported interface '%s' from backend '%s' with %zu peers", name, be->id,
			 d.n_peers);
out:
	if (r == -ENOMEM)
		err_set(err, r, "out of memory");
	iface_free(ifc);
	dev_iface_release(&d);
	return r;
}

void sync_import_backend(struct app *app, struct backend *be)
{
	struct strv names = STRV_INIT;
	struct err e;

	err_clear(&e);
	if (!be->reachable || !cluster_serves_backend(be))
		return;
	if (backend_list_ifaces(be, &names, &e) < 0) {
		log_warn("import: cannot list interfaces of backend '%s': %s, ignoring", be->id,
			 e.msg);
		return;
	}
	for (size_t i = 0; i < names.n; i++) {
		struct iface *have = NULL;
		if (is_ignored(app, be, names.v[i]))
			continue;
		if (store_iface_get(app->store, names.v[i], &have, &e) == 0) {
			iface_free(have);
			continue;
		}
		err_clear(&e);
		if (import_iface(app, be, names.v[i], &e) < 0)
			log_warn("import: interface '%s' of backend '%s': %s, ignoring", names.v[i],
				 be->id, e.msg);
	}
	strv_release(&names);
}

int sync_import_existing(struct app *app, struct err *err)
{
	for (size_t b = 0; b < backend_count(); b++)
		sync_import_backend(app, backend_at(b));
	(void)err;
	return 0;
}

int sync_restore_state(struct app *app, struct err *err)
{
	struct iface **list = NULL;
	size_t n = 0;
	int r, failed = 0;

	r = store_iface_list(app->store, &list, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct backend *be = backend_find(list[i]->backend);
		struct err e;

		err_clear(&e);
		if (!be) {
			log_warn("restore: interface '%s' is on backend '%s', which is not configured: "
				 "shown as unavailable, not restored", list[i]->identifier,
				 STR(list[i]->backend));
			continue;
		}
		if (!cluster_serves_iface(list[i]))
			continue; /* another node's (cluster.h) */
		if (!be->reachable) {
			log_warn("restore: backend '%s' is unreachable, interface '%s' will be restored "
				 "when it comes back", be->id, list[i]->identifier);
			continue;
		}
		pthread_mutex_lock(&app->write_lock);
		r = sync_iface(app, list[i]->identifier, &e);
		pthread_mutex_unlock(&app->write_lock);
		if (r < 0) {
			failed++;
			log_err("restore: interface '%s' on backend '%s': %s", list[i]->identifier,
				be->id, e.msg);
		}
	}
	iface_list_free(list, n);
	return failed ? err_set(err, -EIO, "%d interface(s) could not be restored", failed) : 0;
}
