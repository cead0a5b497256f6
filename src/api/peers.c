/* SPDX-License-Identifier: MIT */
/*
 * The /peer endpoints (spec 2.6.2). Lists per interface page in SQL (store_query) so 10,000
 * peers stay fast; writes go through core_*. wg-portal's checks and messages are reproduced in
 * its order; the PUT path id must equal the body Identifier (recommended deviation).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/json_model.h"
#include "api/paging.h"
#include "config/config.h"
#include "core/core.h"
#include "model/keys.h"
#include "store/store.h"
#include "util/err.h"

static void answer_peer_list(struct api_ctx *c, struct peer **list, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, json_from_peer(list[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	http_json(c, 200, arr);
}

/* Answers the stored peer id (re-read), falling back to the in-memory copy. */
static void answer_stored(struct api_ctx *c, const char *id, const struct peer *fallback)
{
	struct peer *p = NULL;
	struct err err = { 0 };

	if (store_peer_get(c->app->store, id, &p, &err) == 0) {
		http_json(c, 200, json_from_peer(p));
		peer_free(p);
		return;
	}
	http_json(c, 200, json_from_peer(fallback));
}

int api_peer_page(struct api_ctx *c, struct api_paging *pg, struct peer ***list, size_t *n,
		  size_t *total)
{
	struct iface *ifc = NULL;
	struct err err = { 0 };
	int r;

	/* existence only: the settings row, without counting the interface's peers */
	r = store_iface_get_settings(c->app->store, c->id, &ifc, &err);
	if (r == -ENOENT) {
		http_error(c, 404, NULL, "failed to load interface: record not found");
		return r;
	}
	if (r < 0) {
		http_error_err(c, &err, "failed to load interface");
		return r;
	}
	iface_free(ifc);
	err_clear(&err);
	r = store_peer_list_by_iface(c->app->store, c->id, &pg->q, list, n, total, &err);
	if (r < 0) {
		/* -EINVAL here is an unknown sort field. */
		if (r == -EINVAL && !err.field[0])
			err_field(&err, r, "sort", "%s", err.msg[0] ? err.msg : "invalid sort field");
		http_error_err(c, &err, "failed to load peers");
	}
	return r;
}

void api_peer_by_iface(struct api_ctx *c)
{
	struct api_paging pg;
	struct peer **list = NULL;
	size_t n = 0, total = 0;

	if (api_paging_parse(c, &pg) < 0)
		goto out;
	if (api_peer_page(c, &pg, &list, &n, &total) < 0)
		goto out;
	api_paging_total(c, &pg, total);
	answer_peer_list(c, list, n);
	peer_list_free(list, n);
out:
	api_paging_release(&pg);
}

void api_peer_by_user(struct api_ctx *c)
{
	struct user *u = NULL;
	struct peer **list = NULL;
	size_t n = 0;
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
	user_free(u);
	err_clear(&err);
	if (store_peer_list_by_user(c->app->store, c->id, &list, &n, &err) < 0) {
		http_error_err(c, &err, "failed to load peers");
		return;
	}
	answer_peer_list(c, list, n);
	peer_list_free(list, n);
}

/* Loads a peer for a read endpoint: 404 / ownership 403 answered here. */
static struct peer *load_owned_peer(struct api_ctx *c, const char *id)
{
	struct peer *p = NULL;
	struct err err = { 0 };
	int r = store_peer_get(c->app->store, id, &p, &err);

	if (r == -ENOENT) {
		http_error(c, 404, NULL, "unable to find peer %s: record not found", id);
		return NULL;
	}
	if (r < 0) {
		http_error_err(c, &err, "unable to find peer");
		return NULL;
	}
	if (!api_check_owner(c, p->user_identifier)) {
		peer_free(p);
		return NULL;
	}
	return p;
}

void api_peer_get(struct api_ctx *c)
{
	struct peer *p;

	if (!api_check_admin_only(c))
		return;
	p = load_owned_peer(c, c->id);
	if (!p)
		return;
	http_json(c, 200, json_from_peer(p));
	peer_free(p);
}

void api_peer_prepare(struct api_ctx *c)
{
	struct peer *p = NULL;
	struct err err = { 0 };
	int r = core_peer_prepare(c->app, c->id, api_caller_id(c), &p, &err);

	if (r == -ENOENT) {
		http_error(c, 404, NULL, "unable to find interface %s: record not found", c->id);
		return;
	}
	if (r < 0) {
		http_error_err(c, &err, "failed to prepare peer");
		return;
	}
	core_prepared_remember(p);
	http_json(c, 200, json_from_peer(p));
	peer_free(p);
}

static struct peer *body_peer(struct api_ctx *c)
{
	struct peer *p = NULL;
	struct err err = { 0 };
	json_t *body;

	if (http_body_object(c, &body) < 0)
		return NULL;
	if (json_to_peer(body, &p, &err) < 0) {
		json_decref(body);
		http_error_err(c, &err, "invalid peer");
		return NULL;
	}
	json_decref(body);
	return p;
}

void api_peer_new(struct api_ctx *c)
{
	struct peer *p = body_peer(c), *old = NULL;
	struct iface *ifc = NULL;
	struct err err = { 0 };
	int r;

	if (!p)
		return;
	if (strcmp(p->identifier, p->public_key) != 0) {
		http_error(c, 400, "Identifier", "peer id mismatch: %s != %s: invalid data",
			   p->identifier, p->public_key);
		goto out;
	}
	if (p->identifier[0] && store_peer_get(c->app->store, p->identifier, &old, &err) == 0) {
		peer_free(old);
		http_error(c, 409, NULL, "peer %s already exists: duplicate entry", p->identifier);
		goto out;
	}
	if (!p->identifier[0]) {
		http_error(c, 400, "Identifier",
			   "creation not allowed: invalid peer identifier: invalid data");
		goto out;
	}
	if (!key_b64_is_valid(p->public_key)) {
		/* wg-portal fails in the device layer (500); nothing is stored either way. */
		http_error(c, 400, "PublicKey", "creation not allowed: invalid public key: invalid data");
		goto out;
	}
	err_clear(&err);
	r = store_iface_get_settings(c->app->store, STR(p->interface_identifier), &ifc, &err);
	if (r == -ENOENT) {
		http_error(c, 400, "InterfaceIdentifier",
			   "creation not allowed: invalid interface: invalid data");
		goto out;
	}
	if (r < 0) {
		/* the database's failure (503 while it is unreachable), not bad input */
		http_error_err(c, &err, "creation failure");
		goto out;
	}
	iface_free(ifc);
	err_clear(&err);
	/* addresses exactly as this node's prepare handed them out are its choice: taken by
	 * another creation meanwhile, the next free ones are allocated instead of a 409 */
	r = core_prepared_take(p) ? core_peer_create_prepared(c->app, p, &err)
				  : core_peer_create(c->app, p, &err);
	if (r < 0) {
		if (r == -EEXIST && !err.msg[0])
			err_set(&err, r, "peer %s already exists: duplicate entry", p->identifier);
		http_error_err(c, &err, "creation failure");
		goto out;
	}
	answer_stored(c, p->identifier, p);
out:
	peer_free(p);
}

/*
 * PUT and DELETE are admin endpoints in wg-portal's v1 API; its UI lets users edit and delete
 * their own peers when core.self_provisioning_allowed is on (docs/wg-portal-behaviour.md
 * "Self-service"). We offer that here too: a non-admin gets the router's 403 without
 * self-provisioning, "no permission" for a peer they do not own, and an edit takes only the
 * user-editable fields (core_peer_update_own).
 */
static bool self_service_allowed(struct api_ctx *c)
{
	if (api_is_admin(c) || c->app->cfg->core.self_provisioning_allowed)
		return true;
	http_error(c, 403, NULL, "not enough permissions");
	return false;
}

static void update_own(struct api_ctx *c, const struct peer *req)
{
	struct peer *p = NULL;
	struct err err = { 0 };
	int r = core_peer_update_own(c->app, api_caller_id(c), c->id, req, &p, &err);

	if (r == -EACCES) {
		http_error(c, 403, NULL, "no permission");
		return;
	}
	if (r < 0) {
		http_error_err(c, &err, "update failure");
		return;
	}
	answer_stored(c, p->identifier, p);
	peer_free(p);
}

void api_peer_update(struct api_ctx *c)
{
	struct peer *p, *old = NULL;
	struct err err = { 0 };
	int r;

	if (!self_service_allowed(c))
		return;
	p = body_peer(c);
	if (!p)
		return;
	if (strcmp(p->identifier, c->id) != 0) {
		http_error(c, 400, "Identifier", "peer id mismatch: %s != %s: invalid data", c->id,
			   p->identifier);
		goto out;
	}
	r = store_peer_get(c->app->store, c->id, &old, &err);
	if (r == -ENOENT) {
		http_error(c, 404, NULL, "unable to load existing peer %s: record not found", c->id);
		goto out;
	}
	if (r < 0) {
		http_error_err(c, &err, "unable to load existing peer");
		goto out;
	}
	if (!api_is_admin(c)) {
		if (api_check_owner(c, old->user_identifier))
			update_own(c, p);
		peer_free(old);
		goto out;
	}
	peer_free(old);
	/* An absent PublicKey cannot mean "re-key to nothing": keep the key. */
	if (!p->public_key[0])
		memcpy(p->public_key, p->identifier, sizeof(p->public_key));
	if (!key_b64_is_valid(p->public_key)) {
		http_error(c, 400, "PublicKey", "update not allowed: invalid public key: invalid data");
		goto out;
	}
	err_clear(&err);
	r = core_peer_update(c->app, c->id, p, &err);
	if (r < 0) {
		http_error_err(c, &err, "update failure");
		goto out;
	}
	/* After a re-key the peer lives under its new key. */
	answer_stored(c, p->public_key, p);
out:
	peer_free(p);
}

void api_peer_delete(struct api_ctx *c)
{
	struct peer *old = NULL;
	struct err err = { 0 };
	int r;

	if (!self_service_allowed(c))
		return;
	r = store_peer_get(c->app->store, c->id, &old, &err);
	if (r == -ENOENT) {
		http_error(c, 404, NULL, "unable to find peer %s: record not found", c->id);
		return;
	}
	if (r < 0) {
		http_error_err(c, &err, "unable to find peer");
		return;
	}
	if (!api_check_owner(c, old->user_identifier)) {
		peer_free(old);
		return;
	}
	peer_free(old);
	err_clear(&err);
	r = core_peer_delete(c->app, c->id, &err);
	if (r < 0) {
		http_error_err(c, &err, "deletion failure");
		return;
	}
	http_no_content(c);
}

struct peer *api_peer_load_owned(struct api_ctx *c, const char *id)
{
	return load_owned_peer(c, id);
}
