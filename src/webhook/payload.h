/* SPDX-License-Identifier: MIT */
#ifndef WEBHOOK_PAYLOAD_H
#define WEBHOOK_PAYLOAD_H
/*
 * wg-portal's webhook models (spec/wg-portal-compat.md 6.1; internal/app/webhooks/model.go and
 * models/{user,peer,interface,peer_metrics}.go): the envelope {"event", "entity",
 * "identifier", "payload"} and the User, Peer, Interface and PeerMetrics payloads, field for
 * field and in wg-portal's order, plain values instead of the API's ConfigOption objects. Times are RFC 3339 in UTC; optional times and
 * "omitempty" fields are left out when empty. docs/mail-and-webhooks.md lists each field with
 * its source line and the few places where our model has less than wg-portal's.
 */
#include <jansson.h>

#include "model/iface.h"
#include "model/peer.h"
#include "model/stats.h"
#include "model/user.h"

/* event: create, update, delete, connect, disconnect (model.go:45-51). */
#define WEBHOOK_ENTITY_USER "user"
#define WEBHOOK_ENTITY_PEER "peer"
#define WEBHOOK_ENTITY_PEER_METRIC "peer_metric"
#define WEBHOOK_ENTITY_INTERFACE "interface"

/* New references, NULL on OOM. */
json_t *webhook_user_json(const struct user *u);                 /* models/user.go */
json_t *webhook_peer_json(const struct peer *p);                 /* models/peer.go */
json_t *webhook_iface_json(const struct iface *ifc);             /* models/interface.go */
json_t *webhook_peer_metric_json(const struct peer_status *s,    /* models/peer_metrics.go */
				 const struct peer *p);

/* The request body as Go's json.Marshal writes it (compact, no trailing newline). Takes the
 * payload's reference. Heap string, NULL on OOM. */
char *webhook_body(const char *event, const char *entity, const char *identifier,
		   json_t *payload);

#endif
