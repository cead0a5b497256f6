/* SPDX-License-Identifier: MIT */
/*
 * A user's own account (our additions for the UI; wg-portal's v0 API has the same two, see
 * docs/wg-portal-behaviour.md "Own password" and "Self-service"):
 *
 *  - POST /user/by-id/{id}/change-password {OldPassword, Password, PasswordRepeat}: only the
 *    account itself (an admin resets others with PUT /user/by-id/{id}); the current password
 *    is checked with the login's bounds (a few hashes at once, 5 failures per 5 minutes per
 *    account, then 429, api/throttle.h); on success every other session of the user ends
 *    (core_user_update does that for every password change).
 *  - GET /user/by-id/{id}/interfaces (self or admin): the interfaces the user may provision on,
 *    public fields only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/handlers.h"
#include "api/json_model.h"
#include "api/throttle.h"
#include "api/ui.h"
#include "auth/basic.h"
#include "auth/session.h"
#include "core/core.h"
#include "store/store.h"
#include "util/err.h"

struct pw_req {
	const char *old, *new, *repeat;
};

/* {OldPassword, Password, PasswordRepeat}: strings, names case-insensitive, nothing else. */
static int parse_pw_req(struct api_ctx *c, json_t *body, struct pw_req *pr)
{
	static const char *const names[] = { "OldPassword", "Password", "PasswordRepeat" };
	const char **slots[] = { &pr->old, &pr->new, &pr->repeat };
	const char *key;
	json_t *v;

	memset(pr, 0, sizeof(*pr));
	json_object_foreach(body, key, v) {
		size_t i;
		for (i = 0; i < 3 && strcasecmp(key, names[i]); i++)
			;
		if (i == 3) {
			http_error(c, 400, key, "unknown field '%s'", key);
			return -EINVAL;
		}
		if (!json_is_string(v) && !json_is_null(v)) {
			http_error(c, 400, names[i], "%s: expected a string", names[i]);
			return -EINVAL;
		}
		*slots[i] = json_string_value(v);
	}
	if (!pr->old || !*pr->old) {
		http_error(c, 400, "OldPassword", "old password missing");
		return -EINVAL;
	}
	if (!pr->new || !*pr->new) {
		http_error(c, 400, "Password", "new password missing");
		return -EINVAL;
	}
	if (pr->repeat && strcmp(pr->repeat, pr->new)) {
		http_error(c, 400, "PasswordRepeat", "password mismatch");
		return -EINVAL;
	}
	return 0;
}

/* jansson keeps the clear passwords until the decref: wipe them first. */
static void wipe_body(json_t *body)
{
	const char *key;
	json_t *v;

	json_object_foreach(body, key, v)
		if (json_is_string(v))
			explicit_bzero((char *)json_string_value(v), json_string_length(v));
}

void api_account_password(struct api_ctx *c)
{
	struct pw_req pr;
	struct user *u = NULL;
	struct err err = { 0 };
	char keep[SESSION_HASH_HEX + 1];
	json_t *body = NULL;
	unsigned wait = 0;
	int r;

	if (strcmp(c->id, api_caller_id(c)) != 0) {
		http_error(c, 403, NULL, "no permission");
		return;
	}
	if (http_body_object(c, &body) < 0)
		return;
	if (parse_pw_req(c, body, &pr) < 0)
		goto out;
	if (store_user_get(c->app->store, c->id, &u, &err) < 0) {
		http_error_err(c, &err, "unable to load user");
		goto out;
	}
	r = api_password_verify(c, u, pr.old, &wait);
	if (r == -EAGAIN) {
		api_too_many(c, wait, "too many wrong passwords");
		goto out;
	}
	if (r < 0) {
		core_audit_entry(c->app, NULL, "warning", "auth", "password change refused: wrong "
				 "current password");
		http_error(c, 400, "OldPassword", "current password is invalid");
		goto out;
	}
	err_clear(&err);
	/* every other session of the user ends with the change (core_user_update); the browser
	 * that made it stays logged in */
	r = core_user_change_password(c->app, c->id, pr.old, pr.new,
				      api_session_hash(c, keep) ? keep : NULL, &err);
	if (r < 0) {
		http_error_err(c, &err, "password change failed");
		goto out;
	}
	user_free(u);
	u = NULL;
	if (store_user_get(c->app->store, c->id, &u, &err) == 0)
		http_json(c, 200, json_from_user(u, false));
	else
		http_no_content(c);
out:
	user_free(u);
	if (body) {
		wipe_body(body);
		json_decref(body);
	}
}

void api_account_interfaces(struct api_ctx *c)
{
	struct iface **list = NULL;
	size_t n = 0;
	struct err err = { 0 };
	json_t *arr;

	if (!api_is_admin(c) && strcmp(c->id, api_caller_id(c)) != 0) {
		http_error(c, 403, NULL, "no permission");
		return;
	}
	if (core_user_interfaces(c->app, &list, &n, &err) < 0) {
		http_error_err(c, &err, "unable to load interfaces");
		return;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		/* public fields only, as wg-portal (docs/wg-portal-behaviour.md) */
		json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "Identifier", STR(list[i]->identifier),
				      "DisplayName", STR(list[i]->display_name), "Mode",
				      STR(list[i]->mode), "Disabled", list[i]->disabled);
		if (!o || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	iface_list_free(list, n);
	http_json(c, 200, arr);
}
