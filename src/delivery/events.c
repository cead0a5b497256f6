/* SPDX-License-Identifier: MIT */
/*
 * Queueing (see delivery.h): webhook events become a row with the body exactly as it will be
 * sent (wg-portal's model, built now, so an update and the delete after it each carry their
 * own state); a config mail becomes a row naming the peer and the recipient, and the message
 * is built when it is sent (no private key waits in the queue). Events are queued only while
 * webhook.url is set, as wg-portal subscribes only then (internal/app/webhooks/manager.go:56).
 */
#include "delivery/delivery.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "model/iface.h"
#include "model/peer.h"
#include "model/stats.h"
#include "model/user.h"
#include "store/store.h"
#include "store/store_delivery.h"
#include "util/err.h"
#include "webhook/payload.h"

int64_t delivery_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool webhooks_on(const struct app *app)
{
	return app->cfg->webhook.url && *app->cfg->webhook.url;
}

/* Takes payload's reference. object_key orders the events of one object. */
static int queue_event(struct app *app, const char *event, const char *entity, const char *id,
		       const char *object_key, json_t *payload, struct err *err)
{
	struct store_delivery d = { 0 };
	char *body = webhook_body(event, entity, id, payload);
	int r;

	if (!body)
		return err_set(err, -ENOMEM, "out of memory");
	d.kind = (char *)DELIVERY_KIND_WEBHOOK;
	d.object_key = (char *)object_key;
	d.event = (char *)event;
	d.entity = (char *)entity;
	d.identifier = (char *)id;
	d.payload = body;
	r = store_delivery_add(app->store, &d, delivery_now_ms(), err);
	explicit_bzero(body, strlen(body));   /* it holds private keys */
	free(body);
	if (r < 0)
		err_prefix(err, "queue webhook %s %s", entity, event);
	return r;
}

static time_t or_now(time_t t)
{
	return t ? t : time(NULL);
}

int delivery_event_peer(struct app *app, const char *event, const struct peer *p,
			struct err *err)
{
	char key[80];

	if (!webhooks_on(app))
		return 0;
	struct peer view = *p;   /* shallow: only the timestamps differ */
	view.created_at = or_now(p->created_at);
	view.updated_at = or_now(p->updated_at);
	snprintf(key, sizeof(key), "peer:%s", p->identifier);
	return queue_event(app, event, WEBHOOK_ENTITY_PEER, p->identifier, key,
			   webhook_peer_json(&view), err);
}

int delivery_event_iface(struct app *app, const char *event, const struct iface *ifc,
			 struct err *err)
{
	char key[300];

	if (!webhooks_on(app))
		return 0;
	struct iface view = *ifc;
	view.created_at = or_now(ifc->created_at);
	view.updated_at = or_now(ifc->updated_at);
	snprintf(key, sizeof(key), "interface:%.250s", STR(ifc->identifier));
	return queue_event(app, event, WEBHOOK_ENTITY_INTERFACE, STR(ifc->identifier), key,
			   webhook_iface_json(&view), err);
}

int delivery_event_user(struct app *app, const char *event, const struct user *u,
			struct err *err)
{
	char *key;
	int r;

	if (!webhooks_on(app))
		return 0;
	struct user view = *u;
	view.created_at = or_now(u->created_at);
	view.updated_at = or_now(u->updated_at);
	if (asprintf(&key, "user:%s", STR(u->identifier)) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	r = queue_event(app, event, WEBHOOK_ENTITY_USER, STR(u->identifier), key,
			webhook_user_json(&view), err);
	free(key);
	return r;
}

int delivery_event_peer_state(struct app *app, const struct peer_status *s,
			      const struct peer *p, struct err *err)
{
	char key[80];

	if (!webhooks_on(app))
		return 0;
	/* same key as the peer's own events: a connect never overtakes the peer's create */
	snprintf(key, sizeof(key), "peer:%s", p->identifier);
	return queue_event(app, s->is_connected ? "connect" : "disconnect",
			   WEBHOOK_ENTITY_PEER_METRIC, p->identifier, key,
			   webhook_peer_metric_json(s, p), err);
}

int delivery_peer_states_before(struct app *app, const char *const *peer_ids, size_t n,
				bool **ret_was, struct err *err)
{
	bool *was;

	*ret_was = NULL;
	if (!webhooks_on(app) || n == 0)
		return 0;
	was = calloc(n, sizeof(*was));
	if (!was)
		return err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct peer_status ps;
		was[i] = store_peer_status_get(app->store, peer_ids[i], &ps, NULL) == 0 &&
			 ps.is_connected;
	}
	*ret_was = was;
	return 0;
}

int delivery_peer_states_since(struct app *app, const char *const *peer_ids, const bool *was,
			       size_t n, struct err *err)
{
	int r = 0;

	for (size_t i = 0; was && r == 0 && i < n; i++) {
		struct peer_status ps;
		struct peer *p = NULL;
		if (store_peer_status_get(app->store, peer_ids[i], &ps, NULL) < 0 ||
		    ps.is_connected == was[i] || store_peer_get(app->store, peer_ids[i], &p, NULL) < 0)
			continue;
		r = delivery_event_peer_state(app, &ps, p, err);
		peer_free(p);
	}
	return r;
}

int delivery_queue_config_mail(struct app *app, const struct peer *p, const char *to,
			       bool link_only, const char *requested_by, int64_t *ret_id,
			       struct err *err)
{
	struct store_delivery d = { 0 };
	char key[80];
	int r;

	snprintf(key, sizeof(key), "mail:%s", p->identifier);
	d.kind = (char *)DELIVERY_KIND_MAIL;
	d.object_key = key;
	d.event = (char *)(link_only ? "config-link" : "config");
	d.entity = (char *)"peer";
	d.identifier = (char *)p->identifier;
	d.recipient = (char *)to;
	d.requested_by = (char *)requested_by;
	r = store_delivery_add(app->store, &d, delivery_now_ms(), err);
	if (r == 0 && ret_id)
		*ret_id = d.id;
	return r;
}
