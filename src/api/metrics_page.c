/* SPDX-License-Identifier: MIT */
/*
 * GET /metrics/by-interface/{id}/peers (admin, for the UI's peer table): PeerMetrics of exactly
 * the peers of one page, in the order /peer/by-interface/{id} gives for the same page, sort,
 * order and filter parameters (the same SQL query). Peers without a statistics row, on a
 * backend without peer statistics, or with peer statistics collection switched off answer
 * "StatsAvailable": false with null counters, never zeros.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/handlers.h"
#include "api/json_model.h"
#include "api/paging.h"
#include "api/ui.h"
#include "config/config.h"
#include "store/store.h"
#include "util/err.h"

void api_metrics_iface_peers(struct api_ctx *c)
{
	struct api_paging pg;
	struct peer **list = NULL;
	size_t n = 0, total = 0;
	struct err err = { 0 };
	bool collect = c->app->cfg->statistics.collect_peer_data;
	json_t *arr = NULL;
	int r;

	if (api_paging_parse(c, &pg) < 0)
		goto out;
	if (api_peer_page(c, &pg, &list, &n, &total) < 0)
		goto out;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		struct peer_status st;
		memset(&st, 0, sizeof(st));
		err_clear(&err);
		r = collect ? store_peer_status_get(c->app->store, list[i]->identifier, &st, &err)
			    : -ENOENT;
		if (r == -ENOENT) {
			memset(&st, 0, sizeof(st));
			snprintf(st.peer_id, sizeof(st.peer_id), "%s", list[i]->identifier);
			st.stats_available = false;
		} else if (r < 0) {
			json_decref(arr);
			arr = NULL;
			peer_list_free(list, n);
			http_error_err(c, &err, "failed to fetch peer stats");
			goto out;
		}
		if (json_array_append_new(arr, json_from_peer_status(&st)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	peer_list_free(list, n);
	api_paging_total(c, &pg, total);
	http_json(c, 200, arr);
out:
	api_paging_release(&pg);
}
