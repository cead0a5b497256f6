/* SPDX-License-Identifier: MIT */
/*
 * Peer use cases (spec/wg-portal-compat.md 2.6.2, 3.3 - 3.6): prepare (interface defaults flow
 * into the new peer, next free addresses), create, update (re-key when the public key changes),
 * delete. The store change and the device change succeed together or not at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backends/backend.h"
#include "config/config.h"
#include "core/core-int.h"
#include "core/core.h"
#include "delivery/delivery.h"
#include "store/store.h"
#include "sync/sync.h"
#include "util/err.h"
#include "util/log.h"

static int opt_copy_str(struct opt_str *o, const char *v)
{
	o->overridable = true;
	return str_set(&o->value, v);
}

static int opt_copy_strv(struct opt_strv *o, const struct strv *v)
{
	o->overridable = true;
	return strv_copy(&o->value, v);
}

static int alloc_addresses(struct app *app, const struct iface *ifc, struct peer *p,
			   struct err *err)
{
	int r = 0;

	for (size_t i = 0; i < ifc->peer_def_network.n; i++) {
		struct ip_prefix net, a;
		char buf[CIDR_STR_MAX];

		if (ip_prefix_parse(ifc->peer_def_network.v[i], true, &net) < 0)
			continue;
		r = core_alloc_address_stored(app, &net, &a, err);
		if (r < 0)
			break;
		ip_prefix_format(&a, buf);
		if ((r = strv_push(&p->addresses, buf)) < 0)
			break;
	}
	return r;
}

int core_peer_prepare(struct app *app, const char *iface_id, const char *caller,
		      struct peer **ret, struct err *err)
{
	struct iface *ifc = NULL;
	struct peer *p = NULL;
	char name[32];
	uint8_t psk[WG_KEY_LEN];
	int r = store_iface_get_settings(app->store, iface_id, &ifc, err);

	if (r < 0)
		return err_set(err, r, "unable to find interface %s: record not found", iface_id);
	p = peer_new();
	r = -ENOMEM;
	if (!p)
		goto out;
	key_pair_b64(p->private_key, p->public_key);
	memcpy(p->identifier, p->public_key, sizeof(p->identifier));
	key_generate_psk(psk);
	key_to_base64(p->preshared_key, psk);
	explicit_bzero(psk, sizeof(psk));
	snprintf(name, sizeof(name), "Peer %.8s", p->identifier);
	if (str_set(&p->display_name, name) || str_set(&p->user_identifier, caller) ||
	    str_set(&p->interface_identifier, iface_id) ||
	    str_set(&p->mode, peer_mode_for_iface(ifc->mode)) ||
	    opt_copy_str(&p->endpoint, ifc->peer_def_endpoint) ||
	    opt_copy_str(&p->endpoint_public_key, ifc->public_key) ||
	    opt_copy_strv(&p->allowed_ips, &ifc->peer_def_allowed_ips) ||
	    opt_copy_strv(&p->dns, &ifc->peer_def_dns) ||
	    opt_copy_strv(&p->dns_search, &ifc->peer_def_dns_search) ||
	    opt_copy_str(&p->routing_table, ifc->peer_def_routing_table) ||
	    opt_copy_str(&p->pre_up, ifc->peer_def_pre_up) ||
	    opt_copy_str(&p->post_up, ifc->peer_def_post_up) ||
	    opt_copy_str(&p->pre_down, ifc->peer_def_pre_down) ||
	    opt_copy_str(&p->post_down, ifc->peer_def_post_down))
		goto out;
	p->persistent_keepalive.value = ifc->peer_def_persistent_keepalive;
	p->persistent_keepalive.overridable = true;
	p->mtu.value = ifc->peer_def_mtu;
	p->mtu.overridable = true;
	p->firewall_mark.value = ifc->peer_def_firewall_mark;
	p->firewall_mark.overridable = true;
	r = alloc_addresses(app, ifc, p, err);
out:
	iface_free(ifc);
	if (r < 0) {
		peer_free(p);
		return r == -ENOMEM ? err_set(err, r, "out of memory") : r;
	}
	*ret = p;
	return 0;
}

/* A peer's UserIdentifier names an existing user (or nobody). wg-portal stores any text. */
static int check_user(struct app *app, const struct peer *p, const char *verb, struct err *err)
{
	struct user *u = NULL;
	int r;

	if (!p->user_identifier || !*p->user_identifier)
		return 0;
	r = store_user_get(app->store, p->user_identifier, &u, err);
	user_free(u);
	if (r == -ENOENT) {
		err_clear(err);
		return err_field(err, -EINVAL, "UserIdentifier",
				 "%s not allowed: unknown user %s: invalid data", verb,
				 p->user_identifier);
	}
	return r;
}

/* Identifier/PublicKey rules of POST /peer/new and PUT; mode derivation; validation. */
static int normalise_peer(struct app *app, struct peer *p, const char *verb, struct iface **ret_ifc,
			  struct err *err)
{
	struct iface *ifc = NULL;
	char pub[WG_KEY_B64_SIZE];
	int r;

	if (!p->identifier[0] && !p->public_key[0])
		return err_field(err, -EINVAL, "Identifier",
				 "%s not allowed: invalid peer identifier: invalid data", verb);
	if (!p->public_key[0])
		memcpy(p->public_key, p->identifier, sizeof(p->public_key));
	if (!p->identifier[0])
		memcpy(p->identifier, p->public_key, sizeof(p->identifier));
	r = store_iface_get_settings(app->store, STR(p->interface_identifier), &ifc, err);
	if (r < 0 && r != -ENOENT)
		return r; /* the database failed (503 while it is unreachable), not the input */
	if (r < 0)
		return err_field(err, -EINVAL, "InterfaceIdentifier",
				 "%s not allowed: invalid interface: invalid data", verb);
	/* wg-portal leaves an empty Mode empty (no allowed IPs on the device); we derive it */
	if (!p->mode || !*p->mode) {
		const char *m = strcasecmp(STR(ifc->mode), "any") ? peer_mode_for_iface(ifc->mode)
								  : "any";
		if (str_set(&p->mode, m) < 0) {
			iface_free(ifc);
			return -ENOMEM;
		}
	}
	r = peer_validate(p, err);
	if (r < 0)
		goto fail;
	if (p->private_key[0]) {
		if (key_public_b64(pub, p->private_key) < 0 || strcmp(pub, p->public_key)) {
			iface_free(ifc);
			return err_field(err, -EINVAL, "PrivateKey",
					 "%s not allowed: private key does not belong to the public "
					 "key: invalid data", verb);
		}
	}
	*ret_ifc = ifc;
	return 0;
fail:
	iface_free(ifc);
	err_prefix(err, "%s not allowed", verb);
	return r;
}

/* Addresses the server allocated (core_peer_prepare) may be taken between the prepare and
 * the create: a background job making a new user's default peer, a second "add multiple
 * peers", a self-service peer. Under the write lock every other creation on this node is
 * finished, so allocating again there finds the next address that is really free. A peer
 * whose addresses a client chose keeps them and gets the conflict instead. */
static int check_addresses(struct app *app, const struct iface *ifc, struct peer *p,
			   bool allocated, struct err *err)
{
	int r = core_check_peer_addresses(app, ifc, p, p->identifier, err);

	for (int tries = 0; allocated && r == -EEXIST && err && !strcmp(err->field, "Addresses") &&
	     tries < 3; tries++) {
		strv_release(&p->addresses);
		err_clear(err);
		r = alloc_addresses(app, ifc, p, err);
		if (r == 0)
			r = core_check_peer_addresses(app, ifc, p, p->identifier, err);
	}
	return r;
}

static int create(struct app *app, struct peer *p, bool allocated, struct err *err)
{
	struct iface *ifc = NULL;
	struct peer *have = NULL;
	int r;

	if (p->identifier[0] && p->public_key[0] && strcmp(p->identifier, p->public_key))
		return err_field(err, -EINVAL, "Identifier", "peer id mismatch: %s != %s: invalid data",
				 p->identifier, p->public_key);
	pthread_mutex_lock(&app->write_lock);
	r = normalise_peer(app, p, "creation", &ifc, err);
	if (r < 0)
		goto unlock;
	if (store_peer_get(app->store, p->identifier, &have, NULL) == 0) {
		r = err_field(err, -EEXIST, "Identifier", "peer %s already exists: duplicate entry",
			      p->identifier);
		goto unlock;
	}
	r = check_user(app, p, "creation", err);
	if (r == 0)
		r = check_addresses(app, ifc, p, allocated, err);
	if (r == 0)
		r = core_check_addresses(app, &p->addresses, p->identifier, NULL, "Addresses", err);
	if (r < 0)
		goto unlock;
	p->created_at = p->updated_at = 0;
	r = store_begin(app->store, err);
	if (r < 0)
		goto unlock;
	r = store_peer_insert(app->store, p, err);
	if (r == 0)
		r = sync_peer(app, ifc, NULL, p, false, err);
	if (r == 0)   /* the webhook is queued with the change, or neither happens */
		r = delivery_event_peer(app, "create", p, err);
	if (r == 0)
		r = store_commit(app->store, err);
	if (r < 0) {
		store_rollback(app->store);
		if (r != -EEXIST && r != -EINVAL) {
			struct err e;
			err_clear(&e);
			sync_peer(app, ifc, NULL, p, true, &e); /* the device may have the peer */
			err_prefix(err, "creation failure");
		}
	} else {
		delivery_kick();
		char pl[CORE_LABEL_MAX], il[CORE_LABEL_MAX];
		core_peer_label(p, pl);
		core_iface_label(ifc, il);
		core_audit(app, "peer", "peer %s created on %s%s", pl, il,
			   p->disabled ? " (disabled)" : "");
		core_iface_changed(app, ifc->identifier);
	}
unlock:
	pthread_mutex_unlock(&app->write_lock);
	peer_free(have);
	iface_free(ifc);
	return r;
}

int core_peer_create(struct app *app, struct peer *p, struct err *err)
{
	return create(app, p, false, err);
}

int core_peer_create_prepared(struct app *app, struct peer *p, struct err *err)
{
	return create(app, p, true, err);
}

/* What an update did, in words: enabled/disabled (with the reason), re-keyed, or updated. */
static void audit_update(struct app *app, const struct peer *old, const struct peer *p)
{
	char pl[CORE_LABEL_MAX];

	core_peer_label(p, pl);
	if (strcmp(old->identifier, p->identifier))
		core_audit(app, "peer", "peer %s re-keyed (was %.8s…)", pl, old->identifier);
	if (!old->disabled && p->disabled)
		core_audit(app, "peer", "peer %s disabled%s%.128s%s", pl,
			   p->disabled_reason && *p->disabled_reason ? " (" : "",
			   STR(p->disabled_reason),
			   p->disabled_reason && *p->disabled_reason ? ")" : "");
	else if (old->disabled && !p->disabled)
		core_audit(app, "peer", "peer %s enabled", pl);
	else if (!strcmp(old->identifier, p->identifier))
		core_audit(app, "peer", "peer %s updated", pl);
}

int core_peer_update_locked(struct app *app, const char *old_id, struct peer *p, struct err *err)
{
	struct iface *ifc = NULL, *old_ifc = NULL;
	struct peer *old = NULL, *clash = NULL;
	int r;

	r = store_peer_get(app->store, old_id, &old, err);
	if (r < 0) {
		err_set(err, r, "unable to load existing peer %s: record not found", old_id);
		goto unlock;
	}
	if (!p->identifier[0])
		memcpy(p->identifier, old_id, sizeof(p->identifier));
	/* a PUT with a new PublicKey re-keys the peer (3.5) */
	if (p->public_key[0] && strcmp(p->public_key, p->identifier))
		memcpy(p->identifier, p->public_key, sizeof(p->identifier));
	r = normalise_peer(app, p, "update", &ifc, err);
	if (r < 0)
		goto unlock;
	if (strcmp(p->identifier, old_id) &&
	    store_peer_get(app->store, p->identifier, &clash, NULL) == 0) {
		r = err_field(err, -EEXIST, "PublicKey", "peer %s already exists: duplicate entry",
			      p->identifier);
		goto unlock;
	}
	/* Only what changes is checked against the rest: a stored peer may name a user who is
	 * gone (disabled peers keep the reference when their user is deleted, as in wg-portal's
	 * handleUserDeletedEvent; taken-over databases hold any text) or overlap another peer
	 * (wg-portal never checked), and must stay editable and expirable. The new key is not
	 * stored yet (checked above): excluding the old record is enough. */
	r = 0;
	if (strcmp(STR(old->user_identifier), STR(p->user_identifier)))
		r = check_user(app, p, "update", err);
	if (r == 0 && (!strv_eq(&old->addresses, &p->addresses) ||
		       strcmp(STR(old->interface_identifier), STR(p->interface_identifier)))) {
		r = core_check_peer_addresses(app, ifc, p, old_id, err);
		if (r == 0)
			r = core_check_addresses(app, &p->addresses, old_id, NULL, "Addresses",
						 err);
	}
	if (r < 0)
		goto unlock;
	p->created_at = old->created_at;
	p->updated_at = 0;
	r = store_begin(app->store, err);
	if (r < 0)
		goto unlock;
	r = store_peer_update(app->store, old_id, p, err);
	if (r == 0 && strcmp(STR(old->interface_identifier), STR(p->interface_identifier))) {
		/* moved to another interface: take it off the old one first */
		r = store_iface_get_settings(app->store, STR(old->interface_identifier), &old_ifc,
					     err);
		if (r == 0)
			r = sync_peer(app, old_ifc, NULL, old, true, err);
		if (r == 0)
			r = sync_peer(app, ifc, NULL, p, false, err);
	} else if (r == 0) {
		r = sync_peer(app, ifc, old, p, false, err);
	}
	/* a re-key is the old peer's delete and the new one's update (wg-portal
	 * wireguard_peers.go:384-409) */
	if (r == 0 && strcmp(old_id, p->identifier))
		r = delivery_event_peer(app, "delete", old, err);
	if (r == 0)
		r = delivery_event_peer(app, "update", p, err);
	if (r == 0)
		r = store_commit(app->store, err);
	if (r < 0) {
		struct err e;
		store_rollback(app->store);
		err_clear(&e);
		sync_iface(app, ifc->identifier, &e);
		if (old_ifc)
			sync_iface(app, old_ifc->identifier, &e);
		err_prefix(err, "update failure");
	} else {
		delivery_kick();
		audit_update(app, old, p);
		core_iface_changed(app, ifc->identifier);
		if (old_ifc)
			core_iface_changed(app, old_ifc->identifier);
	}
unlock:
	peer_free(old);
	peer_free(clash);
	iface_free(ifc);
	iface_free(old_ifc);
	return r;
}

int core_peer_update(struct app *app, const char *old_id, struct peer *p, struct err *err)
{
	int r;

	pthread_mutex_lock(&app->write_lock);
	r = core_peer_update_locked(app, old_id, p, err);
	pthread_mutex_unlock(&app->write_lock);
	return r;
}

int core_peer_delete(struct app *app, const char *id, struct err *err)
{
	struct iface *ifc = NULL;
	struct peer *old = NULL;
	int r;

	pthread_mutex_lock(&app->write_lock);
	r = store_peer_get(app->store, id, &old, err);
	if (r < 0) {
		err_set(err, r, "unable to find peer %s: record not found", id);
		goto unlock;
	}
	r = store_iface_get_settings(app->store, STR(old->interface_identifier), &ifc, err);
	if (r < 0)
		goto unlock;
	r = store_begin(app->store, err);
	if (r < 0)
		goto unlock;
	r = store_peer_delete(app->store, id, err);
	if (r == 0)
		r = sync_peer(app, ifc, NULL, old, true, err);
	if (r == 0)
		r = delivery_event_peer(app, "delete", old, err);
	if (r == 0)
		r = store_commit(app->store, err);
	if (r < 0) {
		struct err e;
		store_rollback(app->store);
		err_clear(&e);
		sync_iface(app, ifc->identifier, &e);
		err_prefix(err, "deletion failure");
	} else {
		delivery_kick();
		char pl[CORE_LABEL_MAX], il[CORE_LABEL_MAX];
		core_peer_label(old, pl);
		core_iface_label(ifc, il);
		core_audit(app, "peer", "peer %s deleted from %s", pl, il);
		core_iface_changed(app, ifc->identifier);
	}
unlock:
	pthread_mutex_unlock(&app->write_lock);
	peer_free(old);
	iface_free(ifc);
	return r;
}
