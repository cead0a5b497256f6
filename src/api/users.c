/* SPDX-License-Identifier: MIT */
/*
 * The /user endpoints (spec 2.6.3). API tokens are stored hashed, so GET can never return one;
 * a token is echoed once in the answer of the POST/PUT that set it. Deviation on PUT: an absent
 * ApiToken keeps the stored token (wg-portal removes it, relying on GET returning it), "" removes
 * it, any other value sets it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/json_model.h"
#include "api/paging.h"
#include "api/ui.h"
#include "auth/basic.h"
#include "auth/session.h"
#include "auth/token.h"
#include "config/config.h"
#include "core/core.h"
#include "store/store.h"
#include "util/err.h"

static const char *const user_filter_fields[] = { "Identifier", "Email", "Firstname", "Lastname",
						  NULL };

/* Answers the stored user, echoing the clear token that was just set (never stored). */
static void answer_stored(struct api_ctx *c, const char *id, const struct user *fallback,
			  const char *token)
{
	struct user *u = NULL;
	struct err err = { 0 };
	json_t *j;

	if (store_user_get(c->app->store, id, &u, &err) < 0) {
		http_json(c, 200, json_from_user(fallback, true));
		return;
	}
	if (token && *token && !u->api_token)
		u->api_token = strdup(token);
	j = json_from_user(u, true);
	user_free(u);
	http_json(c, 200, j);
}

void api_user_all(struct api_ctx *c)
{
	struct api_paging pg;
	struct user **list = NULL;
	size_t n = 0;
	struct err err = { 0 };
	json_t *arr;

	if (api_paging_parse(c, &pg) < 0)
		goto out;
	if (store_user_list(c->app->store, &list, &n, &err) < 0) {
		http_error_err(c, &err, "failed to load users");
		goto out;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, json_from_user(list[i], false)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	user_list_free(list, n);
	if (!arr) {
		http_json(c, 500, NULL);
		goto out;
	}
	arr = api_paging_apply(c, &pg, arr, user_filter_fields);
	if (arr)
		http_json(c, 200, arr);
out:
	api_paging_release(&pg);
}

void api_user_get(struct api_ctx *c)
{
	struct user *u = NULL;
	struct err err = { 0 };
	int r;

	if (!api_is_admin(c) && strcmp(c->id, api_caller_id(c)) != 0) {
		http_error(c, 403, NULL, "no permission");
		return;
	}
	if (!api_check_admin_only(c))
		return;
	r = store_user_get(c->app->store, c->id, &u, &err);
	if (r == -ENOENT) {
		http_error(c, 404, NULL, "unable to load user %s: record not found", c->id);
		return;
	}
	if (r < 0) {
		http_error_err(c, &err, "unable to load user");
		return;
	}
	http_json(c, 200, json_from_user(u, true));
	user_free(u);
}

struct user_body {
	struct user *u;
	char *password, *api_token;
};

static void user_body_release(struct user_body *b)
{
	b->u = user_free(b->u);
	auth_secret_free(b->password);
	auth_secret_free(b->api_token);
	b->password = b->api_token = NULL;
}

static int body_user(struct api_ctx *c, struct user_body *b)
{
	struct err err = { 0 };
	json_t *body;
	int r;

	memset(b, 0, sizeof(*b));
	if ((r = http_body_object(c, &body)) < 0)
		return r;
	r = json_to_user(body, &b->u, &b->password, &b->api_token, &err);
	json_decref(body);
	if (r < 0) {
		http_error_err(c, &err, "invalid user");
		user_body_release(b);
	}
	return r;
}

/* wg-portal's reasons default when a flag is set without one. */
static int default_reasons(struct user *u)
{
	if (u->disabled && !(u->disabled_reason && *u->disabled_reason) &&
	    str_set(&u->disabled_reason, "disabled through api") < 0)
		return -ENOMEM;
	if (u->locked && !(u->locked_reason && *u->locked_reason) &&
	    str_set(&u->locked_reason, "locked by admin") < 0)
		return -ENOMEM;
	return 0;
}

/* A token set through the API (not "": that removes it) must be hard to guess. */
static bool token_ok(struct api_ctx *c, const char *token, const char *what)
{
	if (!token || !*token || strlen(token) >= AUTH_TOKEN_MIN_LEN)
		return true;
	http_error(c, 400, "ApiToken", "%s: API token too short, minimum length is %d\n"
		   "invalid data", what, AUTH_TOKEN_MIN_LEN);
	return false;
}

static bool password_ok(struct api_ctx *c, const char *password, const char *what)
{
	int min = c->app->cfg->auth.min_password_length;

	if (min > 0 && strlen(password) < (size_t)min) {
		http_error(c, 400, "Password",
			   "%s: password too weak: password is too short, minimum length is %d\n"
			   "invalid data", what, min);
		return false;
	}
	return true;
}

void api_user_new(struct api_ctx *c)
{
	struct user_body b;
	struct user *old = NULL;
	struct err err = { 0 };
	int r;

	if (body_user(c, &b) < 0)
		return;
	const char *id = STR(b.u->identifier);
	if (!*id) {
		/* wg-portal answers 500 here; 400 as the spec recommends. */
		http_error(c, 400, "Identifier", "missing user identifier");
		goto out;
	}
	if (store_user_get(c->app->store, id, &old, &err) == 0) {
		user_free(old);
		http_error(c, 409, NULL, "user %s already exists\nduplicate entry", id);
		goto out;
	}
	if (user_id_is_reserved(id)) {
		http_error(c, 400, "Identifier",
			   "creation not allowed: reserved user identifier: invalid data");
		goto out;
	}
	if (!b.password || !*b.password) {
		http_error(c, 400, "Password", "creation not allowed: missing password: invalid data");
		goto out;
	}
	if (!password_ok(c, b.password, "creation not allowed") ||
	    !token_ok(c, b.api_token, "creation not allowed"))
		goto out;
	if (default_reasons(b.u) < 0) {
		http_json(c, 500, NULL);
		goto out;
	}
	if (b.api_token && *b.api_token) {
		b.u->api_token = strdup(b.api_token);
		if (!b.u->api_token) {
			http_json(c, 500, NULL);
			goto out;
		}
	}
	err_clear(&err);
	r = core_user_create(c->app, b.u, b.password, &err);
	if (r < 0) {
		if (r == -EEXIST && !err.msg[0])
			err_set(&err, r, "user %s already exists\nduplicate entry", id);
		http_error_err(c, &err, "creation failure");
		goto out;
	}
	answer_stored(c, id, b.u, b.api_token);
out:
	user_body_release(&b);
}

void api_user_update(struct api_ctx *c)
{
	char hash[SESSION_HASH_HEX + 1];
	struct user_body b;
	struct user *old = NULL;
	struct err err = { 0 };
	bool keep;
	int r;

	if (body_user(c, &b) < 0)
		return;
	if (strcmp(STR(b.u->identifier), c->id) != 0) {
		http_error(c, 400, "Identifier", "user id mismatch: %s != %s: invalid data", c->id,
			   STR(b.u->identifier));
		goto out;
	}
	r = store_user_get(c->app->store, c->id, &old, &err);
	if (r == -ENOENT) {
		http_error(c, 404, NULL, "unable to load existing user %s: record not found", c->id);
		goto out;
	}
	if (r < 0) {
		http_error_err(c, &err, "unable to load existing user");
		goto out;
	}
	user_free(old);
	if ((b.password && *b.password && !password_ok(c, b.password, "update not allowed")) ||
	    !token_ok(c, b.api_token, "update not allowed"))
		goto out;
	if (default_reasons(b.u) < 0) {
		http_json(c, 500, NULL);
		goto out;
	}
	/* the browser that changes its own user's password stays logged in */
	keep = strcmp(c->id, api_caller_id(c)) == 0 && api_session_hash(c, hash);
	err_clear(&err);
	r = core_user_update(c->app, api_caller_id(c), b.u, b.password, b.api_token,
			     keep ? hash : NULL, &err);
	if (r < 0) {
		http_error_err(c, &err, "update failure");
		goto out;
	}
	answer_stored(c, c->id, b.u, b.api_token);
out:
	user_body_release(&b);
}

void api_user_delete(struct api_ctx *c)
{
	struct user *old = NULL;
	struct err err = { 0 };
	int r;

	if (strcmp(c->id, api_caller_id(c)) == 0) {
		http_error(c, 400, NULL, "deletion not allowed: cannot delete own user: invalid data");
		return;
	}
	r = store_user_get(c->app->store, c->id, &old, &err);
	if (r == -ENOENT) {
		/* wg-portal crashes (500) here; 404 as the spec recommends. */
		http_error(c, 404, NULL, "unable to load user %s: record not found", c->id);
		return;
	}
	if (r < 0) {
		http_error_err(c, &err, "unable to load user");
		return;
	}
	user_free(old);
	err_clear(&err);
	r = core_user_delete(c->app, api_caller_id(c), c->id, &err);
	if (r < 0) {
		http_error_err(c, &err, "deletion failure");
		return;
	}
	http_no_content(c);
}
