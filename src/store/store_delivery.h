/* SPDX-License-Identifier: MIT */
#ifndef STORE_STORE_DELIVERY_H
#define STORE_STORE_DELIVERY_H
/*
 * The delivery queue and log (src/store/store_delivery.c, migration 5): one row per mail or
 * webhook, written in the same transaction as the change that caused it, so nothing is lost
 * over a restart and nothing is sent for a change that was rolled back. Rows stay after
 * delivery as the delivery log. Same conventions as store.h; times are unix milliseconds.
 *
 * Order: a row is due only when no older pending row has the same object_key, so a webhook
 * receiver sees the events of one peer, user or interface in the order they happened even when
 * an earlier one waits for a retry.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;
struct store;
struct store_query;

#define DELIVERY_QUEUED "queued"       /* not tried yet */
#define DELIVERY_RETRYING "retrying"   /* failed, tried again at next_attempt_at */
#define DELIVERY_SENT "sent"
#define DELIVERY_FAILED "failed"       /* given up: permanent error or too old */

struct store_delivery {
	int64_t id;
	char *kind;             /* "mail" | "webhook" */
	char *object_key;       /* ordering key, e.g. "peer:<id>" */
	char *event;            /* webhook: create/update/...; mail: "config" | "config-link" */
	char *entity;           /* webhook entity; mail: "peer" */
	char *identifier;       /* the object's id */
	char *recipient;        /* mail: address; webhook: "" */
	char *payload;          /* webhook: body (sealed at rest with a passphrase); never listed */
	char *requested_by;     /* user who asked (mail), "" for events */
	char *status;
	int attempts;
	int64_t next_attempt_at;
	char *last_error;       /* the server's or receiver's answer; never a secret */
	int response_code;      /* SMTP reply code or HTTP status of the last attempt */
	int64_t duration_ms;    /* of the last attempt */
	int64_t created_at, updated_at, sent_at;
};

/* Inserts a new queued row (status, attempts, times filled here: created_at = next attempt =
 * now_ms); the id in d->id. Joins the caller's transaction when one is open. */
int store_delivery_add(struct store *st, struct store_delivery *d, int64_t now_ms,
		       struct err *err);
/* Up to limit rows of kind that are due at now_ms and first in line for their object, oldest
 * first, payload opened. */
int store_delivery_due(struct store *st, const char *kind, int64_t now_ms, size_t limit,
		       struct store_delivery **ret, size_t *n, struct err *err);
/* The earliest next_attempt_at of a first-in-line pending row of kind; -ENOENT when none. */
int store_delivery_next_due(struct store *st, const char *kind, int64_t *ret_ms,
			    struct err *err);
/* Writes the outcome of an attempt: status, attempts, next_attempt_at, last_error,
 * response_code, duration_ms, sent_at, updated_at of d. */
int store_delivery_update(struct store *st, const struct store_delivery *d, struct err *err);
/* The log, newest first, without payloads. kind / status narrow it (NULL or "" = any);
 * q->filter matches a substring of event, entity, identifier, recipient, status or last_error;
 * *total counts the matches before slicing. */
int store_delivery_list(struct store *st, const struct store_query *q, const char *kind,
			const char *status, struct store_delivery **ret, size_t *n, size_t *total,
			struct err *err);
int store_delivery_get(struct store *st, int64_t id, struct store_delivery *ret,
		       struct err *err);
/* Deletes finished rows (sent, failed) last updated before before_ms. */
int store_delivery_purge(struct store *st, int64_t before_ms, struct err *err);
/* Counts of pending rows (queued + retrying) per kind, for the UI's summary. */
int store_delivery_pending(struct store *st, const char *kind, size_t *ret, struct err *err);

void store_delivery_release(struct store_delivery *d);   /* wipes the payload */
void store_delivery_list_free(struct store_delivery *list, size_t n);

#endif
