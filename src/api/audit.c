/* SPDX-License-Identifier: MIT */
/*
 * GET /audit/all (admin, our addition for the UI's audit view): the audit log newest first,
 * paged in SQL with page/per_page (or offset/limit) and filter; X-Total-Count when any paging
 * parameter is present (always, in fact: the view is paged). Also the helper that writes audit entries for UI actions.
 */
#include <stdarg.h>
#include <stdio.h>

#include "api/json_model.h"
#include "api/paging.h"
#include "api/ui.h"
#include "config/config.h"
#include "core/core.h"
#include "store/store.h"
#include "util/err.h"

void api_audit(struct api_ctx *c, const char *user, const char *severity, const char *origin,
	       const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	core_audit_entry(c->app, user, severity, origin, "%s", msg);
}

void api_audit_all(struct api_ctx *c)
{
	struct api_paging pg;
	struct store_audit_entry *list = NULL;
	size_t n = 0, total = 0;
	struct err err = { 0 };
	json_t *arr;

	if (api_paging_parse(c, &pg) < 0)
		goto out;
	if (store_audit_list(c->app->store, &pg.q, &list, &n, &total, &err) < 0) {
		http_error_err(c, &err, "failed to load audit entries");
		goto out;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = json_object();
		if (!o || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			arr = NULL;
			break;
		}
		json_object_set_new(o, "Id", json_integer((json_int_t)list[i].id));
		json_object_set_new(o, "CreatedAt", json_time_or_null(list[i].created_at));
		json_object_set_new(o, "User", json_string(STR(list[i].user)));
		json_object_set_new(o, "Severity", json_string(STR(list[i].severity)));
		json_object_set_new(o, "Origin", json_string(STR(list[i].origin)));
		json_object_set_new(o, "Message", json_string(STR(list[i].message)));
	}
	store_audit_list_free(list, n);
	/* always: the audit view is paged by nature */
	char cnt[32];
	snprintf(cnt, sizeof(cnt), "%zu", total);
	http_header(c, "X-Total-Count", cnt);
	http_json(c, 200, arr);
out:
	api_paging_release(&pg);
}
