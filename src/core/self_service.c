/* SPDX-License-Identifier: MIT */
/*
 * What a user does for themself (spec/wg-portal-compat.md 3.12; docs/wg-portal-behaviour.md
 * "Self-service", "Own password"):
 *
 *  - the interfaces a user may provision on: with core.self_provisioning_allowed, every enabled
 *    server interface, public fields only (no keys);
 *  - editing an own peer: only the fields wg-portal lets users edit are taken from the request
 *    (display name, expiry, disabled flag and reason, MTU, keepalive, and with
 *    core.editable_keys the keys and so the identifier), everything else stays as stored; the
 *    stored peer is read and written under one hold of the write lock;
 *  - changing the own password (the caller checked the current one).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/core-int.h"
#include "core/core.h"
#include "store/store.h"
#include "util/err.h"

int core_user_interfaces(struct app *app, struct iface ***ret, size_t *ret_n, struct err *err)
{
	struct iface **list = NULL;
	size_t n = 0, k = 0;
	int r;

	*ret = NULL;
	*ret_n = 0;
	if (!app->cfg->core.self_provisioning_allowed)
		return 0;
	r = store_iface_list(app->store, &list, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (list[i]->disabled || strcmp(STR(list[i]->mode), "server")) {
			list[i] = iface_free(list[i]);
			continue;
		}
		list[k++] = list[i];
	}
	*ret = list;
	*ret_n = k;
	return 0;
}

/* OverwriteUserEditableFields: the request's values of the user-editable fields into p. */
static int take_user_fields(struct app *app, struct peer *p, const struct peer *req)
{
	if (str_set(&p->display_name, req->display_name) < 0 ||
	    str_set(&p->expires_at, req->expires_at) < 0 ||
	    str_set(&p->disabled_reason, req->disabled ? req->disabled_reason : NULL) < 0)
		return -ENOMEM;
	p->disabled = req->disabled;
	p->mtu = req->mtu;
	p->persistent_keepalive = req->persistent_keepalive;
	if (app->cfg->core.editable_keys) {
		memcpy(p->public_key, req->public_key[0] ? req->public_key : p->public_key,
		       sizeof(p->public_key));
		memcpy(p->private_key, req->private_key, sizeof(p->private_key));
		memcpy(p->preshared_key, req->preshared_key, sizeof(p->preshared_key));
	}
	return 0;
}

int core_peer_update_own(struct app *app, const char *caller, const char *old_id,
			 const struct peer *req, struct peer **ret, struct err *err)
{
	struct peer *p = NULL;
	int r;

	*ret = NULL;
	if (!app->cfg->core.self_provisioning_allowed)
		return err_set(err, -EACCES, "no permission");
	pthread_mutex_lock(&app->write_lock);
	r = store_peer_get(app->store, old_id, &p, err);
	if (r == -ENOENT) {
		err_set(err, r, "unable to load existing peer %s: record not found", old_id);
		goto out;
	}
	if (r < 0)
		goto out;
	if (!p->user_identifier || strcmp(p->user_identifier, caller)) {
		r = err_set(err, -EACCES, "no permission");
		goto out;
	}
	if ((r = take_user_fields(app, p, req)) < 0) {
		err_set(err, r, "out of memory");
		goto out;
	}
	r = core_peer_update_locked(app, old_id, p, err);
out:
	pthread_mutex_unlock(&app->write_lock);
	if (r < 0)
		peer_free(p);
	else
		*ret = p;
	return r;
}

int core_user_change_password(struct app *app, const char *user_id, const char *old_password,
			      const char *new_password, const char *keep_session, struct err *err)
{
	struct user *u = NULL;
	int min = app->cfg->auth.min_password_length;
	int r;

	if (!new_password || !*new_password)
		return err_field(err, -EINVAL, "Password", "new password missing");
	if (old_password && !strcmp(old_password, new_password))
		return err_field(err, -EINVAL, "Password", "password did not change");
	if ((int)strlen(new_password) < min)
		return err_field(err, -EINVAL, "Password", "password too weak: password is too "
				 "short, minimum length is %d", min);
	r = store_user_get(app->store, user_id, &u, err);
	if (r == -ENOENT)
		return err_set(err, r, "unable to load user %s: record not found", user_id);
	if (r < 0)
		return r;
	if (!strv_contains(&u->auth_sources, "db")) {
		r = err_field(err, -EINVAL, "Password", "user has no linked authentication source "
			      "that does support password changes");
		goto out;
	}
	r = core_user_update(app, user_id, u, new_password, NULL, keep_session, err);
out:
	user_free(u);
	return r;
}
