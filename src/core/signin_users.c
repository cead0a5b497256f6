/* SPDX-License-Identifier: MIT */
/*
 * Users that identity providers vouch for (core/signin.h): registration and refresh at sign-in
 * (wg-portal internal/app/auth/auth.go:629-806), the LDAP part of password sign-ins
 * (auth.go:359-452), and the periodic LDAP synchronisation (internal/app/users/ldap_sync.go,
 * ldap_helper.go) with its effects on the users' peers (spec/wg-portal-compat.md 3.8).
 */
#include "core/signin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/ldap_auth.h"
#include "config/config.h"
#include "core/core-int.h"
#include "core/core.h"
#include "model/user.h"
#include "store/store.h"
#include "store/store_auth.h"
#include "util/err.h"
#include "util/log.h"

#define DISABLED_MISSING_IN_LDAP "missing in ldap"

static int set_profile(struct user *u, const struct ext_user *info)
{
	if (str_set(&u->email, info->email) < 0 || str_set(&u->firstname, info->firstname) < 0 ||
	    str_set(&u->lastname, info->lastname) < 0 || str_set(&u->phone, info->phone) < 0 ||
	    str_set(&u->department, info->department) < 0)
		return -ENOMEM;
	return 0;
}

static bool profile_differs(const struct user *u, const struct ext_user *info)
{
	return strcmp(STR(u->email), info->email) || strcmp(STR(u->firstname), info->firstname) ||
	       strcmp(STR(u->lastname), info->lastname) || strcmp(STR(u->phone), info->phone) ||
	       strcmp(STR(u->department), info->department);
}

static int register_user(struct app *app, const struct ext_user *info, const char *source,
			 const char *provider, struct err *err)
{
	struct user *u = user_new();
	int r = -ENOMEM;

	if (!u || str_set(&u->identifier, info->identifier) < 0 || set_profile(u, info) < 0 ||
	    strv_push(&u->auth_sources, source) < 0)
		goto out;
	u->is_admin = info->admin_info_available && info->is_admin;
	if ((r = user_validate(u, err)) < 0)
		goto out;
	r = core_user_insert(app, u, source, provider, err);
	if (r == 0)   /* audited by core_user_insert ("user … created from ldap provider …") */
		log_info("auth: registered user '%s' from %s provider '%s'", u->identifier, source,
			 provider);
out:
	if (r == -ENOMEM)
		err_set(err, r, "out of memory");
	user_free(u);
	return r;
}

/* wg-portal's "persist local changes" (users.persist_local_changes, from a taken-over
 * database): directories and identity providers no longer change the user (internal/app/auth/
 * auth.go:757, internal/app/users/ldap_sync.go:153, 214 at c800e7d). */
static bool keeps_local_changes(struct app *app, const char *user_id)
{
	char *webauthn_id = NULL;
	bool persist = false;

	if (store_user_extra_get(app->store, user_id, &webauthn_id, &persist, NULL) < 0)
		persist = false;
	free(webauthn_id);
	return persist;
}

/* Links the provider and refreshes the profile of a stored user (updateExternalUser). */
static int refresh_user(struct app *app, struct user *u, const struct ext_user *info,
			const char *source, const char *provider, struct err *err)
{
	struct strv sources = STRV_INIT, providers = STRV_INIT;
	bool linked = false, changed;
	int r;

	if (u->disabled || u->locked)
		return 0; /* auth.go:729: no update for them */
	r = store_auth_link_list(app->store, u->identifier, &sources, &providers, err);
	for (size_t i = 0; r == 0 && i < sources.n; i++)
		linked |= !strcmp(sources.v[i], source) && !strcmp(providers.v[i], provider);
	strv_release(&sources);
	strv_release(&providers);
	if (r < 0)
		return r;
	if (!linked && (r = store_auth_link_add(app->store, u->identifier, source, provider,
						err)) < 0)
		return r;
	if (keeps_local_changes(app, u->identifier))
		return 0;   /* the new link is kept, nothing else (auth.go:757-763) */
	changed = profile_differs(u, info) || !strv_contains(&u->auth_sources, source) ||
		  (info->admin_info_available && u->is_admin != info->is_admin);
	if (!changed)
		return 0;
	if (set_profile(u, info) < 0 ||
	    (!strv_contains(&u->auth_sources, source) && strv_push(&u->auth_sources, source) < 0))
		return err_set(err, -ENOMEM, "out of memory");
	if (info->admin_info_available)
		u->is_admin = info->is_admin;
	return core_user_save_external(app, u, err);
}

int signin_external_user(struct app *app, const struct ext_user *info, const char *source,
			 const char *provider, bool allow_register, struct user **ret,
			 struct err *err)
{
	struct user *u = NULL;
	int r = store_user_get(app->store, info->identifier, &u, err);

	if (r == -ENOENT) {
		if (!allow_register)
			return err_set(err, -EACCES, "registration disabled, cannot create missing "
				       "user %s", info->identifier);
		err_clear(err);
		r = register_user(app, info, source, provider, err);
		if (r == -EEXIST) /* a parallel first sign-in of the same user won */
			r = 0;
		if (r == 0)
			r = store_user_get(app->store, info->identifier, &u, err);
	} else if (r == 0) {
		r = refresh_user(app, u, info, source, provider, err);
		if (r == 0) {
			user_free(u);
			u = NULL;
			r = store_user_get(app->store, info->identifier, &u, err);
		}
	}
	if (r < 0) {
		user_free(u);
		return r;
	}
	*ret = u;
	return 0;
}

static const struct cfg_auth_provider *ldap_provider(struct app *app, const char *name)
{
	for (size_t i = 0; i < app->cfg->auth.n_ldap; i++)
		if (!strcasecmp(app->cfg->auth.ldap[i].provider_name, name))
			return &app->cfg->auth.ldap[i];
	return NULL;
}

/* Remembers the most telling failure: an unreachable directory beats "not found". */
static void note(int r, const struct err *e, int *worst, struct err *err)
{
	bool down = r == -EHOSTUNREACH || r == -ETIMEDOUT || r == -EIO;

	if (down && !(*worst == -EHOSTUNREACH || *worst == -ETIMEDOUT || *worst == -EIO)) {
		*worst = r;
		*err = *e;
	}
}

int signin_ldap_password(struct app *app, const char *login, const char *password,
			 struct user **ret, struct err *err)
{
	struct strv sources = STRV_INIT, providers = STRV_INIT;
	struct user *u = NULL;
	struct ext_user info;
	struct err e = { 0 };
	int worst = -EACCES, r;

	err_set(err, -EACCES, "invalid credentials");
	r = store_user_get(app->store, login, &u, &e);
	if (r == 0) {
		if (u->disabled || u->locked) {
			user_free(u);
			return -EACCES;
		}
		r = store_auth_link_list(app->store, login, &sources, &providers, &e);
		for (size_t i = 0; r == 0 && i < sources.n; i++) {
			const struct cfg_auth_provider *p = ldap_provider(app, providers.v[i]);
			if (strcmp(sources.v[i], SIGNIN_SOURCE_LDAP) || !p)
				continue;
			err_clear(&e);
			int lr = ldap_login(p, login, password, &info, &e);
			if (lr == 0) {
				ext_user_release(&info);
				*ret = u;
				strv_release(&sources);
				strv_release(&providers);
				return 0;
			}
			note(lr, &e, &worst, err);
			if (lr != -EACCES && lr != -ENOENT)
				log_warn("auth: LDAP provider '%s' for '%s': %s", p->provider_name,
					 login, e.msg);
		}
		user_free(u);
		strv_release(&sources);
		strv_release(&providers);
		return worst;
	}
	if (r != -ENOENT)
		return err_set(err, r, "%s", e.msg);
	/* unknown here: a directory with registration may know the user */
	for (size_t i = 0; i < app->cfg->auth.n_ldap; i++) {
		const struct cfg_auth_provider *p = &app->cfg->auth.ldap[i];
		if (!p->registration_enabled)
			continue;
		err_clear(&e);
		r = ldap_login(p, login, password, &info, &e);
		if (r < 0) {
			note(r, &e, &worst, err);
			if (r != -EACCES && r != -ENOENT)
				log_warn("auth: LDAP provider '%s' for '%s': %s", p->provider_name,
					 login, e.msg);
			continue;
		}
		if (p->log_user_info)
			log_debug("auth: LDAP provider '%s' entry for '%s': mail '%s', admin %d",
				  p->provider_name, info.identifier, info.email, info.is_admin);
		/* the login name is the stored id: field_map.user_identifier names that attribute */
		r = signin_external_user(app, &info, SIGNIN_SOURCE_LDAP, p->provider_name, true, &u,
					 err);
		ext_user_release(&info);
		if (r == 0) {
			*ret = u;
			return 0;
		}
		return r;
	}
	return worst;
}

/* One entry of a sync run (updateLdapUsers): create, or update when something changed. */
static int sync_one(struct app *app, const struct cfg_auth_provider *p, const struct ext_user *e,
		    struct err *err)
{
	struct user *u = NULL;
	int r = store_user_get(app->store, e->identifier, &u, err);

	if (r == -ENOENT) {
		err_clear(err);
		return register_user(app, e, SIGNIN_SOURCE_LDAP, p->provider_name, err);
	}
	if (r < 0)
		return r;
	if (keeps_local_changes(app, u->identifier)) {
		user_free(u);
		return 0;
	}
	bool disabled = u->disabled;
	const char *reason = STR(u->disabled_reason);
	if (p->auto_re_enable && disabled && !strcmp(reason, DISABLED_MISSING_IN_LDAP))
		disabled = false;
	bool changed = profile_differs(u, e) || disabled != u->disabled ||
		       u->is_admin != e->is_admin ||
		       !strv_contains(&u->auth_sources, SIGNIN_SOURCE_LDAP);
	r = store_auth_link_add(app->store, u->identifier, SIGNIN_SOURCE_LDAP, p->provider_name,
				err);
	if (r == 0 && changed) {
		if (set_profile(u, e) < 0 ||
		    (!strv_contains(&u->auth_sources, SIGNIN_SOURCE_LDAP) &&
		     strv_push(&u->auth_sources, SIGNIN_SOURCE_LDAP) < 0)) {
			user_free(u);
			return err_set(err, -ENOMEM, "out of memory");
		}
		u->is_admin = e->is_admin;
		if (!disabled && u->disabled) {
			u->disabled = false;
			str_set(&u->disabled_reason, "");
			log_info("auth: LDAP sync '%s': re-enabled '%s'", p->provider_name,
				 u->identifier);
		}
		r = core_user_save_external(app, u, err);
	}
	user_free(u);
	return r;
}

/* disableMissingLdapUsers: the provider's users that the run did not see. */
static int disable_missing(struct app *app, const struct cfg_auth_provider *p,
			   const struct ext_user *seen, size_t n, struct err *err)
{
	struct strv linked = STRV_INIT;
	int r = store_auth_link_users(app->store, SIGNIN_SOURCE_LDAP, p->provider_name, &linked,
				      err);

	for (size_t i = 0; r == 0 && i < linked.n; i++) {
		struct user *u = NULL;
		bool found = false;

		for (size_t j = 0; j < n && !found; j++)
			found = !strcmp(seen[j].identifier, linked.v[i]);
		if (found || keeps_local_changes(app, linked.v[i]) ||
		    store_user_get(app->store, linked.v[i], &u, NULL) < 0)
			continue;
		if (!u->disabled) {
			u->disabled = true;
			if (str_set(&u->disabled_reason, DISABLED_MISSING_IN_LDAP) < 0)
				r = err_set(err, -ENOMEM, "out of memory");
			else
				r = core_user_save_external(app, u, err);
			if (r == 0) {
				log_info("auth: LDAP sync '%s': user '%s' is missing in the directory, "
					 "disabled", p->provider_name, u->identifier);
				core_audit(app, "user", "disabled user %s: missing in ldap provider %s",
					   u->identifier, p->provider_name);
			}
		}
		user_free(u);
	}
	strv_release(&linked);
	return r;
}

/* A filter in parentheses, whether written with them or not. */
static char *parenthesised(const char *f)
{
	char *out = NULL;

	if (*f == '(')
		return strdup(f);
	return asprintf(&out, "(%s)", f) < 0 ? NULL : out;
}

/* updateInterfaceLdapFilters: who may self-provision on each filtered interface. wg-portal
 * combines "(&(%s)(%s))" of sync_filter and the interface's filter (ldap_sync.go:265), which
 * doubles the parentheses of filters written with them, as its documentation writes them
 * ("(memberOf=...)"), and slapd refuses that; here each part is parenthesised once. */
static int interface_filters(struct app *app, const struct cfg_auth_provider *p,
			     struct err *err)
{
	for (size_t i = 0; i < p->interface_filter_ids.n; i++) {
		struct ext_user *v = NULL;
		struct strv ids = STRV_INIT;
		size_t n = 0, skipped = 0;
		char *filter = NULL, *a = NULL, *b = parenthesised(p->interface_filter_filters.v[i]);
		struct err e = { 0 };
		int r;

		if (b && *p->sync_filter && (a = parenthesised(p->sync_filter)) &&
		    asprintf(&filter, "(&%s%s)", a, b) < 0)
			filter = NULL;
		else if (b && !*p->sync_filter)
			filter = strdup(b);
		free(a);
		free(b);
		if (!filter)
			return err_set(err, -ENOMEM, "out of memory");
		r = ldap_search_users(p, filter, &v, &n, &skipped, &e);
		free(filter);
		if (r < 0) {
			/* ldap_sync.go:268: logged, the other interfaces still get theirs */
			log_err("auth: LDAP sync '%s': interface filter of '%s': %s", p->provider_name,
				p->interface_filter_ids.v[i], e.msg);
			continue;
		}
		for (size_t j = 0; r == 0 && j < n; j++)
			r = strv_push(&ids, v[j].identifier);
		ldap_users_free(v, n);
		if (r == 0)
			r = store_ldap_iface_users_set(app->store, p->provider_name,
						       p->interface_filter_ids.v[i], &ids, err);
		strv_release(&ids);
		if (r < 0)
			return r;
	}
	return 0;
}

int signin_ldap_sync(struct app *app, const struct cfg_auth_provider *p, struct err *err)
{
	struct ext_user *v = NULL;
	size_t n = 0, skipped = 0;
	int r;

	r = ldap_search_users(p, p->sync_filter, &v, &n, &skipped, err);
	if (r < 0)
		return err_prefix(err, "failed to synchronize LDAP users of '%s'", p->provider_name);
	if (skipped)
		log_warn("auth: LDAP sync '%s': %zu entries without a usable '%s', skipped",
			 p->provider_name, skipped, p->field_map.user_identifier);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (p->sync_log_user_info)
			log_debug("auth: LDAP sync '%s': entry '%s' (admin %d)", p->provider_name,
				  v[i].identifier, v[i].is_admin);
		r = sync_one(app, p, &v[i], err);
		if (r < 0)
			err_prefix(err, "LDAP sync '%s', user '%s'", p->provider_name, v[i].identifier);
	}
	if (r == 0 && p->disable_missing)
		r = disable_missing(app, p, v, n, err);
	if (r == 0)
		r = interface_filters(app, p, err);
	ldap_users_free(v, n);
	if (r == 0)
		log_info("auth: LDAP sync '%s': %zu users", p->provider_name, n);
	return r;
}

bool signin_iface_user_allowed(struct app *app, const char *iface_id, const char *user_id)
{
	bool restricted = false, ok = false;

	for (size_t i = 0; i < app->cfg->auth.n_ldap && !restricted; i++)
		restricted = strv_contains(&app->cfg->auth.ldap[i].interface_filter_ids, iface_id);
	if (!restricted)
		return true;
	return store_ldap_iface_user_allowed(app->store, iface_id, user_id, &ok, NULL) == 0 && ok;
}
