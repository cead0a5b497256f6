/* SPDX-License-Identifier: MIT */
/*
 * The /interface endpoints (spec 2.6.1, all admin). Reads come from the store, writes go through core_*,
 * which validates, writes the store and syncs the backend in one step. The checks done here are
 * the ones whose wg-portal messages clients see (duplicate, empty id, key mismatch, id mismatch).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/handlers.h"
#include "api/json_model.h"
#include "api/paging.h"
#include "backends/backend.h"
#include "cluster/cluster.h"
#include "core/core.h"
#include "model/keys.h"
#include "store/store.h"
#include "util/err.h"

static const char *const iface_filter_fields[] = { "Identifier", "DisplayName", NULL };

/* The v1 model plus our additions "BackendAvailable": false when the interface's backend is not
 * configured (it stays listed, never moved to local) or is currently unreachable, and
 * "ServedBy": the node that does its device work (docs/cluster.md). */
static json_t *iface_answer(const struct iface *ifc)
{
	json_t *obj = json_from_iface(ifc);
	const struct backend *be = backend_find(ifc->backend);
	char by[64];

	cluster_served_by(be, ifc->node, by);
	if (obj && (json_object_set_new(obj, "BackendAvailable", json_boolean(be && be->reachable)) ||
		    json_object_set_new(obj, "ServedBy", json_string(by))))
		obj = (json_decref(obj), NULL);
	return obj;
}

/* Answers the stored interface id (re-read so the answer is what was stored), falling back to
 * the in-memory copy when the read fails. */
static void answer_stored(struct api_ctx *c, const char *id, const struct iface *fallback)
{
	struct iface *ifc = NULL;
	struct err err = { 0 };

	if (store_iface_get(c->app->store, id, &ifc, &err) == 0) {
		http_json(c, 200, iface_answer(ifc));
		iface_free(ifc);
		return;
	}
	http_json(c, 200, iface_answer(fallback));
}

void api_iface_all(struct api_ctx *c)
{
	struct api_paging pg;
	struct iface **list = NULL;
	size_t n = 0;
	struct err err = { 0 };
	json_t *arr;

	if (api_paging_parse(c, &pg) < 0)
		goto out;
	if (store_iface_list(c->app->store, &list, &n, &err) < 0) {
		http_error_err(c, &err, "failed to load interfaces");
		goto out;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, iface_answer(list[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	iface_list_free(list, n);
	if (!arr) {
		http_json(c, 500, NULL);
		goto out;
	}
	arr = api_paging_apply(c, &pg, arr, iface_filter_fields);
	if (arr)
		http_json(c, 200, arr);
out:
	api_paging_release(&pg);
}

void api_iface_get(struct api_ctx *c)
{
	struct iface *ifc = NULL;
	struct err err = { 0 };
	int r = store_iface_get(c->app->store, c->id, &ifc, &err);

	if (r == -ENOENT) {
		http_error(c, 404, NULL, "failed to load interface: record not found");
		return;
	}
	if (r < 0) {
		http_error_err(c, &err, "failed to load interface");
		return;
	}
	http_json(c, 200, iface_answer(ifc));
	iface_free(ifc);
}

void api_iface_prepare(struct api_ctx *c)
{
	struct iface *ifc = NULL;
	struct err err = { 0 };

	if (core_iface_prepare(c->app, &ifc, &err) < 0) {
		http_error_err(c, &err, "failed to prepare interface");
		return;
	}
	http_json(c, 200, iface_answer(ifc));
	iface_free(ifc);
}

/* Parses the body into an interface; answers 400/413 itself on failure. *has_cdp tells
 * whether the body carries our CreateDefaultPeer addition (any spelling of its name). */
static struct iface *body_iface(struct api_ctx *c, bool *has_cdp)
{
	struct iface *ifc = NULL;
	struct err err = { 0 };
	const char *key;
	json_t *body, *v;

	if (http_body_object(c, &body) < 0)
		return NULL;
	*has_cdp = false;
	json_object_foreach(body, key, v)
		*has_cdp = *has_cdp || !strcasecmp(key, "CreateDefaultPeer");
	if (json_to_iface(body, &ifc, &err) < 0) {
		json_decref(body);
		http_error_err(c, &err, "invalid interface");
		return NULL;
	}
	json_decref(body);
	return ifc;
}

void api_iface_new(struct api_ctx *c)
{
	bool has_cdp;
	struct iface *ifc = body_iface(c, &has_cdp), *old = NULL;
	struct err err = { 0 };
	int r;

	if (!ifc)
		return;
	const char *id = STR(ifc->identifier);
	if (*id && store_iface_get(c->app->store, id, &old, &err) == 0) {
		iface_free(old);
		http_error(c, 409, NULL, "interface %s already exists: duplicate entry", id);
		goto out;
	}
	if (!*id) {
		/* wg-portal answers 500 here; 400 as the spec recommends. */
		http_error(c, 400, "Identifier", "creation not allowed: invalid interface identifier");
		goto out;
	}
	if (ifc->private_key[0] && ifc->public_key[0]) {
		char pub[WG_KEY_B64_SIZE];
		if (key_public_b64(pub, ifc->private_key) < 0) {
			http_error(c, 400, "PrivateKey",
				   "creation not allowed: invalid private key: invalid data");
			goto out;
		}
		if (strcmp(pub, ifc->public_key) != 0) {
			http_error(c, 400, "PublicKey",
				   "creation not allowed: invalid public key for given privatekey: "
				   "invalid data");
			goto out;
		}
	}
	err_clear(&err);
	r = core_iface_create(c->app, ifc, &err);
	if (r < 0) {
		if (r == -EEXIST && !err.msg[0])
			err_set(&err, r, "interface %s already exists: duplicate entry", id);
		http_error_err(c, &err, "creation failure");
		goto out;
	}
	answer_stored(c, STR(ifc->identifier), ifc);
out:
	iface_free(ifc);
}

void api_iface_update(struct api_ctx *c)
{
	bool has_cdp;
	struct iface *ifc = body_iface(c, &has_cdp), *old = NULL;
	struct err err = { 0 };
	int r;

	if (!ifc)
		return;
	if (strcmp(STR(ifc->identifier), c->id) != 0) {
		http_error(c, 400, "Identifier", "interface id mismatch");
		goto out;
	}
	r = store_iface_get(c->app->store, c->id, &old, &err);
	if (r == -ENOENT) {
		http_error(c, 404, NULL,
			   "unable to load existing interface %s: failed to load interface: record "
			   "not found", c->id);
		goto out;
	}
	if (r < 0) {
		http_error_err(c, &err, "unable to load existing interface");
		goto out;
	}
	/* wg-portal's v1 PUT resets the flag (spec 2.6.1 quirk); a body without it keeps it */
	if (!has_cdp)
		ifc->create_default_peer = old->create_default_peer;
	iface_free(old);
	err_clear(&err);
	r = core_iface_update(c->app, c->id, ifc, &err);
	if (r < 0) {
		http_error_err(c, &err, "update failure");
		goto out;
	}
	answer_stored(c, c->id, ifc);
out:
	iface_free(ifc);
}

void api_iface_delete(struct api_ctx *c)
{
	struct iface *old = NULL;
	struct err err = { 0 };
	int r = store_iface_get(c->app->store, c->id, &old, &err);

	if (r == -ENOENT) {
		http_error(c, 404, NULL,
			   "unable to find interface %s: failed to load interface: record not found",
			   c->id);
		return;
	}
	if (r < 0) {
		http_error_err(c, &err, "unable to find interface");
		return;
	}
	iface_free(old);
	err_clear(&err);
	r = core_iface_delete(c->app, c->id, &err);
	if (r < 0) {
		http_error_err(c, &err, "deletion failure");
		return;
	}
	http_no_content(c);
}
