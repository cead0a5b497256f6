/* SPDX-License-Identifier: MIT */
/*
 * POST /user/by-id/{id}/api-token (self or admin): a new random API token (UUIDv4 text, as
 * wg-portal's UI makes them), stored hashed, shown once in the answer. DELETE revokes it.
 * advanced.api_admin_only (default true) keeps non-admins from managing their own token, as in
 * wg-portal's UI (spec/wg-portal-compat.md 2.2, effect 1).
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/handlers.h"
#include "api/ui.h"
#include "config/config.h"
#include "core/core.h"
#include "store/store.h"
#include "util/err.h"

static void uuid4(char out[static 37])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	sodium_memzero(b, sizeof(b));
}

/* Checks and loads the target user; answers itself and returns NULL on failure. */
static struct user *load_target(struct api_ctx *c)
{
	struct user *u = NULL;
	struct err err = { 0 };
	int r;

	if (!api_is_admin(c) && strcmp(c->id, api_caller_id(c)) != 0) {
		http_error(c, 403, NULL, "no permission");
		return NULL;
	}
	/* effect (1) of api_admin_only; unlike api_check_admin_only, no exemption for sessions */
	if (!api_is_admin(c) && c->app->cfg->advanced.api_admin_only) {
		http_error(c, 403, NULL, "only admins can access this endpoint\nno permission");
		return NULL;
	}
	r = store_user_get(c->app->store, c->id, &u, &err);
	if (r == -ENOENT) {
		http_error(c, 404, NULL, "unable to load user %s: record not found", c->id);
		return NULL;
	}
	if (r < 0) {
		http_error_err(c, &err, "unable to load user");
		return NULL;
	}
	return u;
}

static int set_token(struct api_ctx *c, struct user *u, const char *token)
{
	struct err err = { 0 };
	int r = core_user_update(c->app, api_caller_id(c), u, NULL, token, NULL, &err);

	if (r < 0)
		http_error_err(c, &err, "cannot change API token");
	return r;
}

void api_token_create(struct api_ctx *c)
{
	char token[37];
	struct user *u = load_target(c);
	json_t *o;

	if (!u)
		return;
	uuid4(token);
	/* the audit entry ("user <id> API token created") is core_user_update's */
	if (set_token(c, u, token) == 0) {
		o = json_object();
		if (o)
			json_object_set_new(o, "ApiToken", json_string(token));
		http_json(c, 200, o);
	}
	sodium_memzero(token, sizeof(token));
	user_free(u);
}

void api_token_delete(struct api_ctx *c)
{
	struct user *u = load_target(c);

	if (!u)
		return;
	if (set_token(c, u, "") == 0)
		http_no_content(c);
	user_free(u);
}
