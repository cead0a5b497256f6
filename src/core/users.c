/* SPDX-License-Identifier: MIT */
/*
 * User use cases (spec/wg-portal-compat.md 2.6.3 and 3.8): create, update (with the effects of
 * disabling/re-enabling on the user's peers), delete (peers deleted or disabled), and the
 * bootstrap admin of core.admin_user with a generated password when none is configured.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/token.h"
#include "config/config.h"
#include "core/core-int.h"
#include "core/core.h"
#include "delivery/delivery.h"
#include "store/store.h"
#include "store/store_auth.h"
#include "sync/sync.h"
#include "util/err.h"
#include "util/log.h"

static int check_password(struct app *app, const char *password, const char *verb,
			  struct err *err)
{
	int min = app->cfg->auth.min_password_length;

	if ((int)strlen(password) < min)
		return err_field(err, -EINVAL, "Password",
				 "%s not allowed: password too weak: password is too short, minimum "
				 "length is %d\ninvalid data", verb, min);
	return 0;
}

static int set_token(struct user *u, const char *token)
{
	char hash[65];

	if (store_token_hash(token, hash) < 0)
		return -EINVAL;
	if (str_set(&u->api_token_hash, hash) < 0 || str_set(&u->api_token, token) < 0)
		return -ENOMEM;
	return 0;
}

int core_user_create(struct app *app, struct user *u, const char *password, struct err *err)
{
	struct user *have = NULL;
	char *hash = NULL;
	int r;

	if (!u->identifier || !*u->identifier)
		return err_field(err, -EINVAL, "Identifier", "missing user identifier");
	if (store_user_get(app->store, u->identifier, &have, NULL) == 0) {
		user_free(have);
		return err_field(err, -EEXIST, "Identifier", "user %s already exists\nduplicate entry",
				 u->identifier);
	}
	if (user_id_is_reserved(u->identifier))
		return err_field(err, -EINVAL, "Identifier",
				 "creation not allowed: reserved user identifier: invalid data");
	if (!password || !*password)
		return err_field(err, -EINVAL, "Password",
				 "creation not allowed: missing password: invalid data");
	r = check_password(app, password, "creation", err);
	if (r < 0)
		return r;
	r = user_validate(u, err);
	if (r < 0)
		return err_prefix(err, "creation not allowed");
	if (u->disabled && (!u->disabled_reason || !*u->disabled_reason))
		str_set(&u->disabled_reason, "disabled through api");
	if (u->locked && (!u->locked_reason || !*u->locked_reason))
		str_set(&u->locked_reason, "locked by admin");
	strv_release(&u->auth_sources);
	if (strv_push(&u->auth_sources, "db") < 0)
		return err_set(err, -ENOMEM, "out of memory");
	if (u->api_token && *u->api_token && set_token(u, u->api_token) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	r = core_password_hash(password, &hash);
	if (r < 0)
		return err_set(err, r, "cannot hash password");
	free(u->password_hash);
	u->password_hash = hash;
	return core_user_insert(app, u, NULL, NULL, err);
}

int core_user_insert(struct app *app, const struct user *u, const char *link_source,
		     const char *link_provider, struct err *err)
{
	int r;

	pthread_mutex_lock(&app->write_lock);
	r = store_begin(app->store, err);
	if (r == 0) {
		r = store_user_insert(app->store, u, err);
		if (r == 0 && link_source)
			r = store_auth_link_add(app->store, u->identifier, link_source,
						link_provider, err);
		if (r == 0)
			r = delivery_event_user(app, "create", u, err);
		if (r == 0)
			r = store_commit(app->store, err);
		else
			store_rollback(app->store);
	}
	pthread_mutex_unlock(&app->write_lock);
	if (r == 0) {
		delivery_kick();
		core_audit(app, "user", "user %s created%s%s%s%s%s%s", u->identifier,
			   u->is_admin ? " (administrator)" : "", u->disabled ? " (disabled)" : "",
			   link_source ? " from " : "", link_source ? link_source : "",
			   link_source ? " provider " : "", link_source ? STR(link_provider) : "");
		core_default_peers_for_user(app, u->identifier);
	}
	return r;
}

/* An audit line per peer a user change took along, and its interface file rewritten. Entries
 * are written before the outer commit: a failing commit would leave them behind, which is
 * accepted (the transaction fails only on a database error). */
static void audit_cascade(struct app *app, const struct peer *p, const char *what,
			  const char *reason)
{
	char pl[CORE_LABEL_MAX];

	core_peer_label(p, pl);
	core_audit(app, "peer", "peer %s %s (%s)", pl, what, reason);
	core_iface_changed(app, STR(p->interface_identifier));
}

/* Applies 3.8 to the user's peers: disable (reason) or re-enable those disabled for reason. */
static int user_peers_set(struct app *app, const char *user_id, bool disable, const char *reason,
			  struct err *err)
{
	struct peer **peers = NULL;
	size_t n = 0;
	int r = store_peer_list_by_user(app->store, user_id, &peers, &n, err);

	for (size_t i = 0; r == 0 && i < n; i++) {
		struct iface *ifc = NULL;
		struct peer *p = peers[i];
		struct peer *before;

		if (disable ? p->disabled : (!p->disabled || strcmp(STR(p->disabled_reason), reason)))
			continue;
		if (!(before = peer_dup(p))) {
			r = err_set(err, -ENOMEM, "out of memory");
			break;
		}
		p->disabled = disable;
		if ((r = str_set(&p->disabled_reason, disable ? reason : "")) == 0)
			r = store_peer_update(app->store, p->identifier, p, err);
		if (r == 0 && store_iface_get(app->store, STR(p->interface_identifier), &ifc, err) == 0) {
			r = sync_peer(app, ifc, before, p, false, err);
			iface_free(ifc);
		}
		peer_free(before);
		if (r == 0)   /* spec 6.1: peer updates of a user cascade */
			r = delivery_event_peer(app, "update", p, err);
		if (r == 0)
			audit_cascade(app, p, disable ? "disabled" : "enabled",
				      disable ? reason : "user enabled");
	}
	peer_list_free(peers, n);
	return r;
}

/* Writes u over old (created_at kept) and applies 3.8 to the user's peers when the disabled
 * flag changes, in one transaction. A password change or reset ends the user's other sessions
 * (whoever knew the old password keeps no way in; end_sessions, keeping keep_session), nothing
 * else: API tokens stay. The caller holds the write lock. */
static int save_with_effects(struct app *app, const struct user *old, struct user *u,
			     bool end_sessions, const char *keep_session, struct err *err)
{
	int r;

	u->created_at = old->created_at;
	u->updated_at = 0;
	r = store_begin(app->store, err);
	if (r < 0)
		return r;
	r = store_user_update(app->store, u, err);
	if (r == 0 && end_sessions)
		r = store_session_delete_user(app->store, u->identifier, keep_session, err);
	if (r == 0 && u->disabled && !old->disabled)
		r = user_peers_set(app, u->identifier, true, "user disabled", err);
	else if (r == 0 && !u->disabled && old->disabled &&
		 app->cfg->core.re_enable_peer_after_user_enable)
		r = user_peers_set(app, u->identifier, false, "user disabled", err);
	if (r == 0)
		r = delivery_event_user(app, "update", u, err);
	if (r == 0)
		r = store_commit(app->store, err);
	else
		store_rollback(app->store);
	return r;
}

int core_user_save_external(struct app *app, struct user *u, struct err *err)
{
	struct user *old = NULL;
	int r;

	pthread_mutex_lock(&app->write_lock);
	r = store_user_get(app->store, STR(u->identifier), &old, err);
	if (r == 0) {
		/* what identity providers never set stays as stored */
		str_set(&u->password_hash, old->password_hash);
		str_set(&u->api_token_hash, old->api_token_hash);
		str_set(&u->notes, old->notes);
		if (u->locked != old->locked || strcmp(STR(u->locked_reason), STR(old->locked_reason))) {
			u->locked = old->locked;
			str_set(&u->locked_reason, old->locked_reason);
		}
		r = save_with_effects(app, old, u, false, NULL, err);
	}
	pthread_mutex_unlock(&app->write_lock);
	if (r == 0)
		delivery_kick();
	user_free(old);
	return r;
}

/* One audit line naming what a user update changed. */
static void audit_user_update(struct app *app, const struct user *old, const struct user *u,
			      const char *password, const char *api_token)
{
	char what[256] = "";
	size_t n = 0;
#define ADD(cond, text)                                                                    \
	do {                                                                               \
		if ((cond) && n < sizeof(what))                                            \
			n += (size_t)snprintf(what + n, sizeof(what) - n, "%s%s", n ? ", " : "", \
					      text);                                       \
	} while (0)
	ADD(!old->disabled && u->disabled, "disabled");
	ADD(old->disabled && !u->disabled, "enabled");
	ADD(!old->locked && u->locked, "locked");
	ADD(old->locked && !u->locked, "unlocked");
	ADD(!old->is_admin && u->is_admin, "made administrator");
	ADD(old->is_admin && !u->is_admin, "administrator rights removed");
	ADD(password && *password, "password changed");
	ADD(api_token && *api_token, "API token created");
	ADD(api_token && !*api_token && old->api_token_hash, "API token revoked");
	ADD(strcmp(STR(old->email), STR(u->email)) || strcmp(STR(old->firstname), STR(u->firstname)) ||
	    strcmp(STR(old->lastname), STR(u->lastname)) || strcmp(STR(old->phone), STR(u->phone)) ||
	    strcmp(STR(old->department), STR(u->department)) || strcmp(STR(old->notes), STR(u->notes)),
	    "profile updated");
#undef ADD
	core_audit(app, "user", "user %s %s", u->identifier, n ? what : "updated");
}

int core_user_update(struct app *app, const char *caller, struct user *u, const char *password,
		     const char *api_token, const char *keep_session, struct err *err)
{
	struct user *old = NULL;
	bool self = caller && !strcmp(caller, STR(u->identifier));
	int r;

	pthread_mutex_lock(&app->write_lock);
	r = store_user_get(app->store, STR(u->identifier), &old, err);
	if (r < 0) {
		err_set(err, r, "unable to load existing user %s: record not found",
			STR(u->identifier));
		goto unlock;
	}
	r = -EINVAL;
	if (self && old->is_admin && !u->is_admin) {
		err_field(err, r, "IsAdmin", "update not allowed: cannot remove own admin rights: "
			  "invalid data");
		goto unlock;
	}
	if (self && u->disabled && !old->disabled) {
		err_field(err, r, "Disabled", "update not allowed: cannot disable own user: invalid data");
		goto unlock;
	}
	if (self && u->locked && !old->locked) {
		err_field(err, r, "Locked", "update not allowed: cannot lock own user: invalid data");
		goto unlock;
	}
	r = user_validate(u, err);
	if (r < 0) {
		err_prefix(err, "update not allowed");
		goto unlock;
	}
	if (password && *password) {
		if (!strv_contains(&old->auth_sources, "db")) {
			r = err_field(err, -EINVAL, "Password", "update not allowed: password can only "
				      "be set for local users: invalid data");
			goto unlock;
		}
		if ((r = check_password(app, password, "update", err)) < 0)
			goto unlock;
		free(u->password_hash);
		u->password_hash = NULL;
		if ((r = core_password_hash(password, &u->password_hash)) < 0) {
			err_set(err, r, "cannot hash password");
			goto unlock;
		}
	} else {
		str_set(&u->password_hash, old->password_hash);
	}
	/* tokens are stored hashed, so GET cannot return them: an absent ApiToken keeps the
	 * token, "" removes it, anything else replaces it */
	if (!api_token) {
		str_set(&u->api_token_hash, old->api_token_hash);
	} else if (!*api_token) {
		free(u->api_token_hash);
		u->api_token_hash = NULL;
	} else if ((r = set_token(u, api_token)) < 0) {
		err_set(err, r, "cannot store API token");
		goto unlock;
	}
	if (u->disabled && (!u->disabled_reason || !*u->disabled_reason))
		str_set(&u->disabled_reason, "disabled through api");
	if (u->locked && (!u->locked_reason || !*u->locked_reason))
		str_set(&u->locked_reason, "locked by admin");
	strv_copy(&u->auth_sources, &old->auth_sources);
	r = save_with_effects(app, old, u, password && *password, keep_session, err);
	if (r == 0)
		audit_user_update(app, old, u, password, api_token);
unlock:
	pthread_mutex_unlock(&app->write_lock);
	if (r == 0)
		delivery_kick();
	user_free(old);
	return r;
}

int core_user_delete(struct app *app, const char *caller, const char *id, struct err *err)
{
	struct user *old = NULL;
	struct peer **peers = NULL;
	size_t n = 0;
	int r;

	if (caller && !strcmp(caller, id))
		return err_set(err, -EINVAL, "deletion not allowed: cannot delete own user: invalid data");
	pthread_mutex_lock(&app->write_lock);
	r = store_user_get(app->store, id, &old, err);
	if (r < 0) {
		err_set(err, r, "unable to load user %s: record not found", id);
		goto unlock;
	}
	r = store_begin(app->store, err);
	if (r < 0)
		goto unlock;
	r = store_peer_list_by_user(app->store, id, &peers, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct peer *p = peers[i], *before;
		struct iface *ifc = NULL;
		bool del = app->cfg->core.delete_peer_after_user_deleted;

		if (p->disabled)
			continue;
		if (!(before = peer_dup(p))) {
			r = err_set(err, -ENOMEM, "out of memory");
			break;
		}
		if (del) {
			r = store_peer_delete(app->store, p->identifier, err);
		} else {
			p->disabled = true;
			str_set(&p->disabled_reason, "user deleted");
			str_set(&p->user_identifier, "");
			r = store_peer_update(app->store, p->identifier, p, err);
		}
		if (r == 0 && store_iface_get(app->store, STR(p->interface_identifier), &ifc, err) == 0) {
			r = sync_peer(app, ifc, before, p, del, err);
			iface_free(ifc);
		}
		peer_free(before);
		if (r == 0)
			r = delivery_event_peer(app, del ? "delete" : "update", p, err);
		if (r == 0)
			audit_cascade(app, p, del ? "deleted" : "disabled", "user deleted");
	}
	if (r == 0)
		r = store_user_delete(app->store, id, err);
	if (r == 0)
		r = delivery_event_user(app, "delete", old, err);
	if (r == 0)
		r = store_commit(app->store, err);
	else
		store_rollback(app->store);
	if (r == 0)
	if (r == 0) {
		delivery_kick();
		core_audit(app, "user", "user %s deleted", id);
	}
unlock:
	pthread_mutex_unlock(&app->write_lock);
	peer_list_free(peers, n);
	user_free(old);
	return r;
}

/* len characters from a 64-symbol alphabet (6 bits each; 24 chars = 144 bits). */
static char *generate_secret(int len)
{
	static const char alphabet[] =
		"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_+=.:";
	char *s = malloc((size_t)len + 1);

	if (!s)
		return NULL;
	for (int i = 0; i < len; i++)
		s[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	s[len] = '\0';
	return s;
}

static void free_secret(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

int core_bootstrap_admin(struct app *app, char **gen_password, char **gen_token, struct err *err)
{
	const struct cfg *cfg = app->cfg;
	struct user *u = NULL, *have = NULL;
	char *pw = NULL, *token = NULL;
	const char *password = cfg->core.admin_password;
	const char *api_token = cfg->core.admin_api_token;
	int min = cfg->auth.min_password_length;
	int r;

	*gen_password = *gen_token = NULL;
	if (cfg->core.disable_admin_user || !cfg->core.admin_user || !*cfg->core.admin_user)
		return 0;
	if (store_user_get(app->store, cfg->core.admin_user, &have, NULL) == 0) {
		user_free(have);
		return 0;
	}
	if (!cfg->core.admin_password_set || !password || !*password) {
		/* no default password: a generated one, never shorter than the configured minimum */
		pw = generate_secret(min > 24 ? min : 24);
		if (!pw)
			return err_set(err, -ENOMEM, "out of memory");
		password = pw;
	} else if ((int)strlen(password) < min) {
		return err_set(err, -EINVAL, "core.admin_password is shorter than "
			       "auth.min_password_length (%d)", min);
	}
	if (!api_token || !*api_token) {
		token = generate_secret(32);
		if (!token) {
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		api_token = token;
	} else if (strlen(api_token) < AUTH_TOKEN_MIN_LEN) {
		/* accepted, as wg-portal does; tokens set through the API are refused below this */
		log_warn("core.admin_api_token is shorter than %d characters and easy to guess; "
			 "set a longer one", AUTH_TOKEN_MIN_LEN);
	}
	u = user_new();
	r = -ENOMEM;
	if (!u || str_set(&u->identifier, cfg->core.admin_user) ||
	    str_set(&u->email, "admin@wgportal.local") ||
	    str_set(&u->firstname, "WireGuard Portal") || str_set(&u->lastname, "Admin") ||
	    str_set(&u->notes, "default administrator user") || str_set(&u->api_token, api_token)) {
		err_set(err, r, "out of memory");
		goto out;
	}
	u->is_admin = true;
	r = core_user_create(app, u, password, err);
	if (r == 0) {
		*gen_password = pw;
		*gen_token = token;
		pw = token = NULL;
	}
out:
	free_secret(pw);
	free_secret(token);
	user_free(u);
	return r;
}
