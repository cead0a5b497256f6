/* SPDX-License-Identifier: MIT */
/*
 * The /metrics endpoints (spec 2.6.4): the latest statistics rows written by the collector.
 * A row exists only after the first collection round, so "no row" is a 404 like wg-portal's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/json_model.h"
#include "config/config.h"
#include "store/store.h"
#include "util/err.h"

void api_metrics_iface(struct api_ctx *c)
{
	struct iface_status st;
	struct err err = { 0 };
	json_t *o;
	int r;

	if (!c->app->cfg->statistics.collect_interface_data) {
		http_error(c, 500, NULL, "interface statistics collection is disabled");
		return;
	}
	memset(&st, 0, sizeof(st));
	r = store_iface_status_get(c->app->store, c->id, &st, &err);
	if (r == -ENOENT) {
		http_error(c, 404, NULL, "failed to fetch stats for interface %s: record not found",
			   c->id);
		return;
	}
	if (r < 0) {
		http_error_err(c, &err, "failed to fetch stats for interface");
		return;
	}
	o = json_object();
	if (o) {
		json_object_set_new(o, "InterfaceIdentifier", json_string(c->id));
		json_object_set_new(o, "BytesReceived", json_integer((json_int_t)st.bytes_received));
		json_object_set_new(o, "BytesTransmitted",
				    json_integer((json_int_t)st.bytes_transmitted));
	}
	http_json(c, 200, o);
}

void api_metrics_user(struct api_ctx *c)
{
	struct user *u = NULL;
	struct peer **list = NULL;
	size_t n = 0;
	struct err err = { 0 };
	uint64_t rx = 0, tx = 0;
	json_t *o = NULL, *arr = NULL;
	int r;

	if (!c->app->cfg->statistics.collect_peer_data) {
		http_error(c, 500, NULL, "statistics collection is disabled");
		return;
	}
	if (!api_is_admin(c) && strcmp(c->id, api_caller_id(c)) != 0) {
		http_error(c, 403, NULL, "no permission");
		return;
	}
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
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		struct peer_status st;
		memset(&st, 0, sizeof(st));
		err_clear(&err);
		r = store_peer_status_get(c->app->store, list[i]->identifier, &st, &err);
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			peer_list_free(list, n);
			json_decref(arr);
			http_error_err(c, &err, "failed to fetch peer stats");
			return;
		}
		rx += st.bytes_received;
		tx += st.bytes_transmitted;
		if (json_array_append_new(arr, json_from_peer_status(&st)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	peer_list_free(list, n);
	o = json_object();
	if (o && arr) {
		json_object_set_new(o, "UserIdentifier", json_string(c->id));
		json_object_set_new(o, "PeerCount", json_integer((json_int_t)n));
		json_object_set_new(o, "BytesReceived", json_integer((json_int_t)rx));
		json_object_set_new(o, "BytesTransmitted", json_integer((json_int_t)tx));
		json_object_set_new(o, "PeerMetrics", arr);
	} else {
		json_decref(arr);
		json_decref(o);
		o = NULL;
	}
	http_json(c, 200, o);
}

void api_metrics_peer(struct api_ctx *c)
{
	struct peer_status st;
	struct peer *p;
	struct err err = { 0 };
	int r;

	if (!c->app->cfg->statistics.collect_peer_data) {
		http_error(c, 500, NULL, "peer statistics collection is disabled");
		return;
	}
	p = api_peer_load_owned(c, c->id);
	if (!p)
		return;
	peer_free(p);
	memset(&st, 0, sizeof(st));
	r = store_peer_status_get(c->app->store, c->id, &st, &err);
	if (r == -ENOENT) {
		http_error(c, 404, NULL, "no stats found for peer %s: record not found", c->id);
		return;
	}
	if (r < 0) {
		http_error_err(c, &err, "failed to fetch peer stats");
		return;
	}
	http_json(c, 200, json_from_peer_status(&st));
}
