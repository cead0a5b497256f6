/* SPDX-License-Identifier: MIT */
#ifndef API_JSON_MODEL_H
#define API_JSON_MODEL_H
/*
 * The wg-portal v1 JSON models (spec/wg-portal-compat.md 2.7) <-> domain structs.
 * Output: field order = the model tables, arrays never null, ExpiresAt omitted when empty,
 * Overridable omitted when false, ApiToken omitted when empty/unknown, Password never.
 * Input: field names matched case-insensitively; an unknown field, a wrong JSON type or a value
 * out of range is -EINVAL with err->field set to the model's field name. RO fields
 * (EnabledPeers, TotalPeers, Filename, ApiEnabled, PeerCount, AuthSources) are ignored.
 */
#include <jansson.h>

#include "model/iface.h"
#include "model/peer.h"
#include "model/stats.h"
#include "model/user.h"

struct err;

json_t *json_from_iface(const struct iface *ifc);
json_t *json_from_peer(const struct peer *p);
/* with_token: include ApiToken when u->api_token is set (never in /user/all). */
json_t *json_from_user(const struct user *u, bool with_token);
json_t *json_from_peer_status(const struct peer_status *s);

/* Fill a fresh struct from a request object. For users, *password and *api_token receive the
 * Password / ApiToken values (heap, NULL when absent; api_token "" when sent empty). */
int json_to_iface(const json_t *obj, struct iface **ret, struct err *err);
int json_to_peer(const json_t *obj, struct peer **ret, struct err *err);
int json_to_user(const json_t *obj, struct user **ret, char **password, char **api_token,
		 struct err *err);

/* Serialises like wg-portal: compact, "<", ">" and "&" as \u003c \u003e \u0026, then "\n".
 * Heap string, caller frees. */
char *json_dump_compat(const json_t *v);
/* Time rendering of answers: RFC 3339 (UTC, "Z"); 0 -> JSON null. */
json_t *json_time_or_null(int64_t unix_sec);

#endif
