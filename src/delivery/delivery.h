/* SPDX-License-Identifier: MIT */
#ifndef DELIVERY_DELIVERY_H
#define DELIVERY_DELIVERY_H
/*
 * Reliable delivery of mails and webhooks (docs/mail-and-webhooks.md). Callers only queue: a
 * mail or an event becomes a row of the delivery table (store_delivery.h) inside the
 * transaction of the change that caused it, so an API request never waits for SMTP or a
 * receiver, and nothing is lost over a restart. One worker (two threads: mails and webhooks,
 * so a slow receiver never delays a mail) sends due rows, retries failures with backoff
 * (1 s doubling to 10 min, for up to 24 h) and records each outcome; rows of the same object
 * go out in order. delivery_start()/delivery_stop() are the only switch of the worker, so a
 * node that is not the leader can simply not start it.
 */
#include <stdbool.h>
#include <stdint.h>

#include "core/app.h"
#include "mail/address.h"

struct err;
struct iface;
struct peer;
struct peer_status;
struct user;

#define DELIVERY_KIND_MAIL "mail"
#define DELIVERY_KIND_WEBHOOK "webhook"

/* Backoff and give-up rules of the worker. */
#define DELIVERY_RETRY_FIRST_MS 1000
#define DELIVERY_RETRY_MAX_MS (10 * 60 * 1000)
#define DELIVERY_GIVE_UP_MS (24LL * 3600 * 1000)
/* Finished rows are kept this long as the delivery log. */
#define DELIVERY_KEEP_MS (30LL * 24 * 3600 * 1000)

/* Start-up checks of mail.* and webhook.* (mail.from, webhook.url and header values without
 * line breaks) and the mail templates (templates_path): a failure stops the start. */
int delivery_init(struct app *app, struct err *err);
/* Starts the worker threads; 0 or -errno. Idempotent. */
int delivery_start(struct app *app);
/* Stops and joins them (a send in progress finishes or times out first). Idempotent. */
void delivery_stop(void);
/* Frees what delivery_init loaded. */
void delivery_shutdown(void);
/* Wakes the worker: call after committing a transaction that queued something. */
void delivery_kick(void);

/* Webhook events of spec 6.1, queued in the caller's transaction (no-op while webhook.url is
 * empty). event: "create", "update", "delete". The object is the state after the change (the
 * last state for a delete). */
int delivery_event_peer(struct app *app, const char *event, const struct peer *p,
			struct err *err);
int delivery_event_iface(struct app *app, const char *event, const struct iface *ifc,
			 struct err *err);
int delivery_event_user(struct app *app, const char *event, const struct user *u,
			struct err *err);
/* "connect" / "disconnect" from the peer's new status (entity peer_metric). */
int delivery_event_peer_state(struct app *app, const struct peer_status *s,
			      const struct peer *p, struct err *err);

/* For writers of statuses that do not see the old row (the ping checker): *ret_was (heap,
 * n entries, NULL when webhooks are off) receives the peers' connected state before the
 * write; after it, delivery_peer_states_since() queues connect/disconnect for the peers whose
 * state changed. */
int delivery_peer_states_before(struct app *app, const char *const *peer_ids, size_t n,
				bool **ret_was, struct err *err);
int delivery_peer_states_since(struct app *app, const char *const *peer_ids, const bool *was,
			       size_t n, struct err *err);

/* Queues the config mail of a stored peer to `to` (resolved with mail_config_recipient).
 * *ret_id receives the delivery id. */
int delivery_queue_config_mail(struct app *app, const struct peer *p, const char *to,
			       bool link_only, const char *requested_by, int64_t *ret_id,
			       struct err *err);

/* Milliseconds of the realtime clock (delivery times). */
int64_t delivery_now_ms(void);

#endif
