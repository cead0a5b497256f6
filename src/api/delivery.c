/* SPDX-License-Identifier: MIT */
/*
 * Mail and the delivery log (API v1 additions, docs/mail-and-webhooks.md):
 *   POST /peer/config-mail     {"Identifiers": [...], "LinkOnly": bool} (wg-portal's UI body,
 *                              internal/app/api/v0/handlers/endpoint_peers.go:460-490): every
 *                              peer is checked (exists, caller may see it, has a recipient)
 *                              before any mail is queued; 202 with the queued deliveries.
 *   GET  /delivery/all         admins: the log of mails and webhooks, newest first, paged,
 *                              kind=mail|webhook, status=queued|retrying|sent|failed, filter.
 *   GET  /delivery/by-id/{id}  one entry: admins, or the user who asked for that mail.
 * Entries never carry payloads (webhook bodies hold private keys).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/handlers.h"
#include "api/paging.h"
#include "config/config.h"
#include "delivery/delivery.h"
#include "mail/config_mail.h"
#include "model/peer.h"
#include "store/store.h"
#include "store/store_delivery.h"
#include "util/err.h"

#define MAIL_IDS_MAX 1000

static json_t *time_ms_or_null(int64_t ms)
{
	char out[64], frac[8];
	struct tm tm;
	time_t t = (time_t)(ms / 1000);

	if (ms <= 0 || !gmtime_r(&t, &tm))
		return json_null();
	strftime(out, sizeof(out) - 8, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(frac, sizeof(frac), ".%03dZ", (int)(ms % 1000));
	strcat(out, frac);
	return json_string(out);
}

static json_t *delivery_json(const struct store_delivery *d)
{
	bool pending = d->status && (!strcmp(d->status, DELIVERY_QUEUED) ||
				     !strcmp(d->status, DELIVERY_RETRYING));

	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:i,s:I,s:o,s:o,s:o,s:o}",
			 "Id", (json_int_t)d->id, "Kind", STR(d->kind), "Event", STR(d->event),
			 "Entity", STR(d->entity), "Identifier", STR(d->identifier),
			 "Recipient", STR(d->recipient), "RequestedBy", STR(d->requested_by),
			 "Status", STR(d->status), "Attempts", d->attempts,
			 "LastError", STR(d->last_error), "ResponseCode", d->response_code,
			 "DurationMs", (json_int_t)d->duration_ms,
			 "CreatedAt", time_ms_or_null(d->created_at),
			 "UpdatedAt", time_ms_or_null(d->updated_at),
			 "NextAttemptAt", pending ? time_ms_or_null(d->next_attempt_at) : json_null(),
			 "SentAt", time_ms_or_null(d->sent_at));
}

/* ---- POST /peer/config-mail ---- */

struct mail_req {
	const json_t *ids;
	bool link_only;
};

static int parse_mail_req(struct api_ctx *c, const json_t *body, struct mail_req *mr)
{
	const char *key;
	json_t *v;
	size_t i;

	memset(mr, 0, sizeof(*mr));
	json_object_foreach((json_t *)body, key, v) {
		if (!strcasecmp(key, "Identifiers")) {
			if (!json_is_array(v) && !json_is_null(v)) {
				http_error(c, 400, "Identifiers", "Identifiers: expected an array of "
					   "peer identifiers");
				return -EINVAL;
			}
			mr->ids = v;
		} else if (!strcasecmp(key, "LinkOnly")) {
			if (!json_is_boolean(v) && !json_is_null(v)) {
				http_error(c, 400, "LinkOnly", "LinkOnly: expected true or false");
				return -EINVAL;
			}
			mr->link_only = json_is_true(v);
		} else {
			char name[64];
			snprintf(name, sizeof(name), "%s", key);
			for (char *p = name; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					*p = '?';
			http_error(c, 400, name, "unknown field '%s'", name);
			return -EINVAL;
		}
	}
	if (!mr->ids || json_array_size(mr->ids) == 0) {   /* endpoint_peers.go:472 */
		http_error(c, 400, "Identifiers", "missing peer identifiers");
		return -EINVAL;
	}
	if (json_array_size(mr->ids) > MAIL_IDS_MAX) {
		http_error(c, 400, "Identifiers", "at most %d peers per request", MAIL_IDS_MAX);
		return -EINVAL;
	}
	json_array_foreach(mr->ids, i, v)
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) >= WG_KEY_B64_SIZE + 64) {
			http_error(c, 400, "Identifiers", "Identifiers[%zu]: expected a peer "
				   "identifier", i);
			return -EINVAL;
		}
	return 0;
}

struct mail_target {
	struct peer *p;
	char to[MAIL_ADDR_MAX];
	int64_t id;
};

/* Loads and checks every peer; answers the first problem itself. */
static int resolve_targets(struct api_ctx *c, const json_t *ids, struct mail_target *t)
{
	struct err err = { 0 };
	size_t i;
	json_t *v;

	json_array_foreach(ids, i, v) {
		t[i].p = api_peer_load_owned(c, json_string_value(v));
		if (!t[i].p)
			return -ENOENT;
		if (mail_config_recipient(c->app->cfg, c->app->store, t[i].p, t[i].to, &err) < 0) {
			http_error_err(c, &err, "failed to send peer email");
			return err.code;
		}
	}
	return 0;
}

void api_peer_config_mail(struct api_ctx *c)
{
	struct mail_target *t = NULL;
	struct mail_req mr;
	struct err err = { 0 };
	json_t *body = NULL, *arr;
	size_t n = 0;
	int r;

	if (!api_check_admin_only(c) || http_body_object(c, &body) < 0)
		goto out;
	if (parse_mail_req(c, body, &mr) < 0)
		goto out;
	n = json_array_size(mr.ids);
	t = calloc(n, sizeof(*t));
	if (!t) {
		http_json(c, 500, NULL);
		goto out;
	}
	if (resolve_targets(c, mr.ids, t) < 0)
		goto out;
	/* mail.link_only is the admin's choice: a request cannot turn attachments back on */
	bool link = mr.link_only || c->app->cfg->mail.link_only;
	r = store_begin(c->app->store, &err);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = delivery_queue_config_mail(c->app, t[i].p, t[i].to, link, api_caller_id(c),
					       &t[i].id, &err);
	if (r == 0)
		r = store_commit(c->app->store, &err);
	else
		store_rollback(c->app->store);
	if (r < 0) {
		http_error_err(c, &err, "failed to queue the mails");
		goto out;
	}
	delivery_kick();
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:s,s:b}", "Id",
						     (json_int_t)t[i].id, "PeerIdentifier",
						     t[i].p->identifier, "Recipient", t[i].to,
						     "Status", DELIVERY_QUEUED, "LinkOnly", link));
	http_json(c, 202, json_pack("{s:o}", "Deliveries", arr ? arr : json_array()));
out:
	for (size_t i = 0; t && i < n; i++)
		peer_free(t[i].p);
	free(t);
	json_decref(body);
}

/* ---- GET /delivery/all, /delivery/by-id/{id} ---- */

static bool one_of(const char *v, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (!strcmp(v, *allowed))
			return true;
	return false;
}

void api_delivery_all(struct api_ctx *c)
{
	static const char *const kinds[] = { DELIVERY_KIND_MAIL, DELIVERY_KIND_WEBHOOK, NULL };
	static const char *const states[] = { DELIVERY_QUEUED, DELIVERY_RETRYING, DELIVERY_SENT,
					      DELIVERY_FAILED, NULL };
	struct api_paging pg = { 0 };
	struct store_delivery *list = NULL;
	size_t n = 0, total = 0;
	struct err err = { 0 };
	char *kind = http_query(c, "kind"), *status = http_query(c, "status"), cnt[32];
	json_t *arr;

	if (!kind || !status) {
		http_json(c, 500, NULL);
		goto out;
	}
	if (*kind && !one_of(kind, kinds)) {
		http_error(c, 400, "kind", "kind: expected mail or webhook");
		goto out;
	}
	if (*status && !one_of(status, states)) {
		http_error(c, 400, "status", "status: expected queued, retrying, sent or failed");
		goto out;
	}
	if (api_paging_parse(c, &pg) < 0)
		goto out;
	if (store_delivery_list(c->app->store, &pg.q, kind, status, &list, &n, &total, &err) < 0) {
		http_error_err(c, &err, "failed to load the delivery log");
		goto out;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, delivery_json(&list[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	snprintf(cnt, sizeof(cnt), "%zu", total);
	http_header(c, "X-Total-Count", cnt);
	http_json(c, 200, arr);
out:
	store_delivery_list_free(list, n);
	api_paging_release(&pg);
	free(kind);
	free(status);
}

void api_delivery_get(struct api_ctx *c)
{
	struct store_delivery d = { 0 };
	struct err err = { 0 };
	char *end;
	long long id = strtoll(c->id, &end, 10);
	int r;

	if (*end || id <= 0) {
		http_error(c, 400, NULL, "invalid delivery id");
		return;
	}
	r = store_delivery_get(c->app->store, id, &d, &err);
	/* a non-admin sees only the mails they asked for; anything else is "not found" */
	if (r == 0 && !api_is_admin(c) && strcmp(STR(d.requested_by), api_caller_id(c)))
		r = -ENOENT;
	if (r == -ENOENT)
		http_error(c, 404, NULL, "delivery %lld not found", id);
	else if (r < 0)
		http_error_err(c, &err, "failed to load the delivery");
	else
		http_json(c, 200, delivery_json(&d));
	store_delivery_release(&d);
}
