/* SPDX-License-Identifier: MIT */
/*
 * Interface actions of wg-portal's UI (docs/wg-portal-behaviour.md; its v0 API has them as
 * GET /interface/config/{id}, POST /interface/{id}/apply-peer-defaults,
 * POST /interface/{id}/create-default-peers, POST /peer/iface/{iface}/multiplenew), offered
 * here under API v1 so a script can do what the UI does. All admin-only (router scope).
 *
 *  - GET  /interface/by-id/{id}/config               text/plain wg-quick file of the interface
 *  - POST /interface/by-id/{id}/apply-peer-defaults  {"Changed": n}
 *  - POST /interface/by-id/{id}/create-default-peers {"Created": n}
 *  - POST /peer/multiplenew/{id} {"Identifiers": [user ids], "Prefix": ""} -> [Peer]
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/handlers.h"
#include "api/json_model.h"
#include "api/ui.h"
#include "core/core.h"
#include "util/err.h"

#define MULTI_MAX 1000   /* users per request */

void api_iface_config(struct api_ctx *c)
{
	struct err err = { 0 };
	char *text = NULL;
	int r = core_iface_config(c->app, c->id, &text, &err);

	if (r == -ENOENT) {
		http_error(c, 404, NULL, "failed to load interface: record not found");
		return;
	}
	if (r < 0) {
		http_error_err(c, &err, "failed to render interface config");
		return;
	}
	http_text(c, 200, text);
	explicit_bzero(text, strlen(text));
	free(text);
}

/* An action on interface c->id that answers {"<field>": n}. */
static void count_action(struct api_ctx *c, int (*fn)(struct app *, const char *, size_t *,
						    struct err *),
			 const char *what, const char *field)
{
	struct err err = { 0 };
	size_t n = 0;
	int r = fn(c->app, c->id, &n, &err);

	if (r == -ENOENT) {
		http_error(c, 404, NULL, "failed to load interface: record not found");
		return;
	}
	if (r < 0) {
		http_error_err(c, &err, what);
		return;
	}
	http_json(c, 200, json_pack("{s:I}", field, (json_int_t)n));
}

void api_iface_apply_defaults(struct api_ctx *c)
{
	count_action(c, core_iface_apply_peer_defaults, "failed to apply peer defaults", "Changed");
}

void api_iface_default_peers(struct api_ctx *c)
{
	count_action(c, core_default_peers_create_iface, "failed to create default peers",
		     "Created");
}

/* {"Identifiers": [...], "Prefix": "..."}; answers 400 itself. */
static int parse_multi(struct api_ctx *c, json_t *body, struct strv *users, const char **prefix)
{
	const char *key;
	json_t *v;

	*prefix = "";
	json_object_foreach(body, key, v) {
		if (!strcasecmp(key, "Prefix") && (json_is_string(v) || json_is_null(v))) {
			*prefix = json_is_string(v) ? json_string_value(v) : "";
		} else if (!strcasecmp(key, "Identifiers") && json_is_array(v)) {
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e) {
				if (!json_is_string(e) || !*json_string_value(e)) {
					http_error(c, 400, "Identifiers",
						   "Identifiers: expected non-empty user ids");
					return -EINVAL;
				}
				if (strv_push(users, json_string_value(e)) < 0) {
					http_json(c, 500, NULL);
					return -ENOMEM;
				}
			}
		} else {
			bool known = !strcasecmp(key, "Prefix") || !strcasecmp(key, "Identifiers");
			http_error(c, 400, key, known ? "%s: wrong type" : "unknown field '%s'", key);
			return -EINVAL;
		}
	}
	if (!users->n || users->n > MULTI_MAX) {
		http_error(c, 400, "Identifiers", "Identifiers: between 1 and %d user ids",
			   MULTI_MAX);
		return -EINVAL;
	}
	if (strpbrk(*prefix, "\r\n")) {
		http_error(c, 400, "Prefix", "Prefix must not contain line breaks");
		return -EINVAL;
	}
	return 0;
}

void api_peer_multi_new(struct api_ctx *c)
{
	struct strv users = STRV_INIT;
	struct peer **list = NULL;
	struct err err = { 0 };
	const char *prefix;
	json_t *body = NULL, *arr;
	size_t n = 0;
	int r;

	if (http_body_object(c, &body) < 0)
		return;
	if (parse_multi(c, body, &users, &prefix) < 0)
		goto out;
	r = core_peer_create_multi(c->app, c->id, &users, prefix, &list, &n, &err);
	if (r == -ENOENT && !n) {
		http_error(c, 404, NULL, "unable to find interface %s: record not found", c->id);
		goto out;
	}
	if (r < 0) {
		http_error_err(c, &err, "failed to create peers");
		goto out;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, json_from_peer(list[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	http_json(c, 200, arr);
out:
	peer_list_free(list, n);
	strv_release(&users);
	json_decref(body);
}
