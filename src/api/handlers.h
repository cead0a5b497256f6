/* SPDX-License-Identifier: MIT */
#ifndef API_HANDLERS_H
#define API_HANDLERS_H
/*
 * REST API v1 endpoint handlers, one file per resource (spec/wg-portal-compat.md 2.5/2.6).
 * The router has already authenticated the caller (c->caller), checked the route's scope and
 * decoded {id} (c->id, never empty). Each handler answers through the http_* helpers.
 */
#include "api/http.h"

/* interfaces.c */
void api_iface_all(struct api_ctx *c);
void api_iface_get(struct api_ctx *c);
void api_iface_prepare(struct api_ctx *c);
void api_iface_new(struct api_ctx *c);
void api_iface_update(struct api_ctx *c);
void api_iface_delete(struct api_ctx *c);

/* peers.c */
void api_peer_by_iface(struct api_ctx *c);
/* One page of c->id's peers for pg (also the UI's metrics page, so both list the same rows);
 * on failure the error is answered (404 unknown interface, 400 bad sort) and <0 returned. */
struct api_paging;
struct peer;
int api_peer_page(struct api_ctx *c, struct api_paging *pg, struct peer ***list, size_t *n,
		  size_t *total);
void api_peer_by_user(struct api_ctx *c);
void api_peer_get(struct api_ctx *c);
void api_peer_prepare(struct api_ctx *c);
void api_peer_new(struct api_ctx *c);
void api_peer_update(struct api_ctx *c);
void api_peer_delete(struct api_ctx *c);

/* users.c */
void api_user_all(struct api_ctx *c);
void api_user_get(struct api_ctx *c);
void api_user_new(struct api_ctx *c);
void api_user_update(struct api_ctx *c);
void api_user_delete(struct api_ctx *c);

/* metrics.c */
void api_metrics_iface(struct api_ctx *c);
void api_metrics_user(struct api_ctx *c);
void api_metrics_peer(struct api_ctx *c);

/* provisioning.c */
void api_prov_user_info(struct api_ctx *c);
void api_prov_peer_config(struct api_ctx *c);
void api_prov_peer_qr(struct api_ctx *c);
void api_prov_new_peer(struct api_ctx *c);

/* cluster.c (addition, docs/cluster.md) */
void api_cluster_get(struct api_ctx *c);
void api_cluster_forget(struct api_ctx *c);

/* delivery.c (additions): config mails and the delivery log */
void api_peer_config_mail(struct api_ctx *c);
void api_delivery_all(struct api_ctx *c);
void api_delivery_get(struct api_ctx *c);
/* backends.c (addition) */
void api_backend_all(struct api_ctx *c);
/* A backend's capability bits as /backend/all names them (also used by /ui/settings). */
json_t *api_backend_caps_json(unsigned caps);

/* Shared checks (access.c). */
/* advanced.api_admin_only for a non-admin: answers 403 with wg-portal's two-line message and
 * returns false. */
bool api_check_admin_only(struct api_ctx *c);
/* Ownership rule of spec 2.2 (admin: all; others: own records; owner "" = admin only);
 * answers 403 "no permission" and returns false when denied. */
bool api_check_owner(struct api_ctx *c, const char *owner);
/* peers.c: loads a stored peer for a read endpoint; answers 404 ("unable to find peer <id>:
 * record not found") or 403 (ownership) itself and returns NULL then. Caller frees. */
struct peer;
struct peer *api_peer_load_owned(struct api_ctx *c, const char *id);

#endif
