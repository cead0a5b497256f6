/* SPDX-License-Identifier: MIT */
/*
 * "Apply peer defaults" (spec/wg-portal-compat.md 2.7 ConfigOption, 3.3; wg-portal:
 * docs/wg-portal-behaviour.md "Apply peer defaults"): the
 * interface's current PeerDef* values are copied into every one of its peers, but only into
 * fields whose Overridable flag is set (prepare sets them all; a value edited by hand is
 * pinned). The stored defaults are used (wg-portal takes the unsaved form's values).
 *
 * One store transaction and one device sync for the whole interface: a field that reaches the
 * device (endpoint and keepalive of a client interface's peers) is pushed as a delta by sync.
 */
#include <errno.h>
#include <string.h>

#include "core/core-int.h"
#include "core/core.h"
#include "delivery/delivery.h"
#include "store/store.h"
#include "sync/sync.h"
#include "util/err.h"

static int set_str(struct opt_str *o, const char *v, bool *changed)
{
	if (!o->overridable || !strcmp(STR(o->value), STR(v)))
		return 0;
	*changed = true;
	return str_set(&o->value, v);
}

static int set_strv(struct opt_strv *o, const struct strv *v, bool *changed)
{
	bool same = o->value.n == v->n;

	for (size_t i = 0; same && i < v->n; i++)
		same = !strcmp(o->value.v[i], v->v[i]);
	if (!o->overridable || same)
		return 0;
	*changed = true;
	return strv_copy(&o->value, v);
}

static void set_int(struct opt_int *o, int64_t v, bool *changed)
{
	if (o->overridable && o->value != v) {
		o->value = v;
		*changed = true;
	}
}

/* The fields of ApplyInterfaceDefaults, in its order. */
static int apply(struct peer *p, const struct iface *ifc, bool *changed)
{
	int r = 0;

	r |= set_str(&p->endpoint, ifc->peer_def_endpoint, changed);
	r |= set_str(&p->endpoint_public_key, ifc->public_key, changed);
	r |= set_strv(&p->allowed_ips, &ifc->peer_def_allowed_ips, changed);
	set_int(&p->persistent_keepalive, ifc->peer_def_persistent_keepalive, changed);
	r |= set_strv(&p->dns, &ifc->peer_def_dns, changed);
	r |= set_strv(&p->dns_search, &ifc->peer_def_dns_search, changed);
	set_int(&p->mtu, ifc->peer_def_mtu, changed);
	set_int(&p->firewall_mark, ifc->peer_def_firewall_mark, changed);
	r |= set_str(&p->routing_table, ifc->peer_def_routing_table, changed);
	r |= set_str(&p->pre_up, ifc->peer_def_pre_up, changed);
	r |= set_str(&p->post_up, ifc->peer_def_post_up, changed);
	r |= set_str(&p->pre_down, ifc->peer_def_pre_down, changed);
	r |= set_str(&p->post_down, ifc->peer_def_post_down, changed);
	return r < 0 ? -ENOMEM : 0;
}

int core_iface_apply_peer_defaults(struct app *app, const char *iface_id, size_t *ret_changed,
				   struct err *err)
{
	struct iface *ifc = NULL;
	struct peer **peers = NULL;
	size_t n = 0, total = 0, count = 0;
	int r;

	*ret_changed = 0;
	pthread_mutex_lock(&app->write_lock);
	r = store_iface_get_settings(app->store, iface_id, &ifc, err);
	if (r == -ENOENT) {
		err_set(err, r, "unable to load existing interface %s: record not found", iface_id);
		goto unlock;
	}
	if (r == 0)
		r = store_peer_list_by_iface(app->store, iface_id, NULL, &peers, &n, &total, err);
	if (r == 0)
		r = store_begin(app->store, err);
	if (r < 0)
		goto unlock;
	for (size_t i = 0; r == 0 && i < n; i++) {
		bool changed = false;

		r = apply(peers[i], ifc, &changed);
		if (r < 0) {
			err_set(err, r, "out of memory");
			break;
		}
		if (!changed)
			continue;
		peers[i]->updated_at = 0;
		r = peer_validate(peers[i], err);
		if (r == 0)
			r = store_peer_update(app->store, peers[i]->identifier, peers[i], err);
		/* wg-portal's UpdatePeer per peer publishes the peer update (webhook) */
		if (r == 0)
			r = delivery_event_peer(app, "update", peers[i], err);
		count += r == 0;
	}
	if (r == 0 && count)
		r = sync_iface(app, iface_id, err);
	if (r == 0)
		r = store_commit(app->store, err);
	if (r < 0) {
		struct err e;
		store_rollback(app->store);
		err_clear(&e);
		(void)sync_iface(app, iface_id, &e);
		err_prefix(err, "failed to apply interface defaults");
		goto unlock;
	}
	*ret_changed = count;
	if (count) {
		delivery_kick();
		char il[CORE_LABEL_MAX];
		core_iface_label(ifc, il);
		core_audit(app, "interface", "peer defaults of %s applied to %zu peer(s)", il, count);
		core_iface_changed(app, iface_id);
	}
unlock:
	pthread_mutex_unlock(&app->write_lock);
	peer_list_free(peers, n);
	iface_free(ifc);
	return r;
}
