/* SPDX-License-Identifier: MIT */
#ifndef CORE_CORE_H
#define CORE_CORE_H
/*
 * Use cases behind the REST API: each validates, changes the store in one transaction and asks
 * sync/ to bring the backend in line; when the device refuses, the store change is rolled back
 * and the interface is re-synced, so store and device stay consistent.
 *
 * Return codes (mapped to HTTP by api/errmap.c): -EINVAL bad input (err->field names the JSON
 * field), -ENOENT not found, -EEXIST duplicate / collision, -EACCES no permission,
 * -EOPNOTSUPP the backend cannot do it (422), -EHOSTUNREACH / -EIO / -EPROTO / -ETIMEDOUT device
 * error (502/504), -EADDRNOTAVAIL address space or listen ports exhausted (500), -ENOSPC the
 * database's disk is full (507).
 * Objects passed in are borrowed; objects returned through **ret are owned by the caller.
 */
#include "core/app.h"
#include "model/iface.h"
#include "model/peer.h"
#include "model/user.h"

struct err;

/* Interfaces (spec 3.2, 3.5). create/update take ifc and fill defaults in place (public key
 * from private key, generated keys, backend = backend.default when empty). */
int core_iface_prepare(struct app *app, struct iface **ret, struct err *err);
int core_iface_create(struct app *app, struct iface *ifc, struct err *err);
/* Full replacement of the stored record; keeps fields the v1 model does not carry (backend,
 * create_default_peer) from the stored record. */
int core_iface_update(struct app *app, const char *id, struct iface *ifc, struct err *err);
int core_iface_delete(struct app *app, const char *id, struct err *err);

/* Peers (spec 3.3 - 3.6). */
int core_peer_prepare(struct app *app, const char *iface_id, const char *caller,
		      struct peer **ret, struct err *err);
int core_peer_create(struct app *app, struct peer *p, struct err *err);
/* Finds the stored peer by old_id; re-keys when p->public_key differs (spec 3.5). */
int core_peer_update(struct app *app, const char *old_id, struct peer *p, struct err *err);
int core_peer_delete(struct app *app, const char *id, struct err *err);

/* Users (spec 2.6.3, 3.8). caller = identifier of the authenticated user (self-checks).
 * password = clear password or NULL/"" (update: keep). api_token: NULL keep, "" remove,
 * else set (u->api_token is filled so the answer can echo it once). A new password ends
 * every UI session of the user in the same transaction, except the one whose id hash is
 * keep_session (the browser that made the change; NULL: none is kept). */
int core_user_create(struct app *app, struct user *u, const char *password, struct err *err);
/* The insert transaction of a prepared user (hashes set): the row, the sign-in link
 * (link_source "ldap"/"oauth" and provider, or NULL for a local user) and the "create"
 * delivery event commit together. */
int core_user_insert(struct app *app, const struct user *u, const char *link_source,
		     const char *link_provider, struct err *err);
int core_user_update(struct app *app, const char *caller, struct user *u, const char *password,
		     const char *api_token, const char *keep_session, struct err *err);
int core_user_delete(struct app *app, const char *caller, const char *id, struct err *err);
/* A stored user changed by an identity provider (sign-in refresh, LDAP sync): writes u's
 * profile, admin flag, disabled state and auth sources, keeps the password, API token, notes
 * and lock from the store, and applies 3.8 to the user's peers when the disabled flag changes.
 * -ENOENT when the user is gone. */
int core_user_save_external(struct app *app, struct user *u, struct err *err);

/* Start-up: bootstrap admin (core.admin_*). When the admin does not exist yet and no
 * admin_password is configured, a strong password is generated and returned in *gen_password;
 * likewise an API token in *gen_token when no admin_api_token is configured (so a fresh
 * install can be scripted at once). The caller prints them once and frees them; otherwise they
 * are set to NULL. */
int core_bootstrap_admin(struct app *app, char **gen_password, char **gen_token, struct err *err);

/* Password check for local accounts (argon2id). 0 on match, -EACCES otherwise. */
int core_password_hash(const char *password, char **ret_hash);
int core_password_verify(const char *hash, const char *password);

#endif
