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
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/app.h"
#include "model/iface.h"
#include "model/peer.h"
#include "model/peerconf.h"
#include "model/user.h"

struct err;

/* Interfaces (spec 3.2, 3.5). create/update take ifc and fill defaults in place (public key
 * from private key, generated keys, backend = backend.default when empty). */
/* A ready interface for backend_id (NULL/"" = backend.default): a name that backend accepts
 * and that is free in the store and on the device (pfSense: its next tun_wg<N>), the next
 * free port and networks, fresh keys. -EINVAL naming "backend" for an unknown backend. */
int core_iface_prepare(struct app *app, const char *backend_id, struct iface **ret,
		       struct err *err);
int core_iface_create(struct app *app, struct iface *ifc, struct err *err);
/* Full replacement of the stored record; keeps the backend (not in the v1 model) from the
 * stored record (the API keeps create_default_peer when the body does not carry it). */
int core_iface_update(struct app *app, const char *id, struct iface *ifc, struct err *err);
int core_iface_delete(struct app *app, const char *id, struct err *err);

/* Peers (spec 3.3 - 3.6). */
int core_peer_prepare(struct app *app, const char *iface_id, const char *caller,
		      struct peer **ret, struct err *err);
int core_peer_create(struct app *app, struct peer *p, struct err *err);
/* Creates a peer whose addresses core_peer_prepare allocated: if another creation took them
 * meanwhile, the next free ones are allocated instead of answering a conflict. */
int core_peer_create_prepared(struct app *app, struct peer *p, struct err *err);
/* GET /peer/prepare's peers (core/prepared.c): remember one, and take it back when a client
 * posts that key with the addresses unchanged (true: the addresses are the server's choice). */
void core_prepared_remember(const struct peer *p);
bool core_prepared_take(const struct peer *p);

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
 * delivery event commit together; then the creation is audited and the default peers are
 * queued (core.create_default_peer), for users from a directory or IdP as for local ones. */
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

/* Peer lifecycle and defaults (spec 3.7, 3.9; core/expiry.c, core/default_peers.c,
 * core/apply_defaults.c). */
/* Disables every enabled peer whose ExpiresAt day has begun at now (reason "expired"), one
 * peer per hold of the write lock; *ret_disabled = how many. */
int core_expiry_sweep(struct app *app, time_t now, size_t *ret_disabled, struct err *err);
/* Default peers on one flagged server interface for every eligible user; -EINVAL (field
 * CreateDefaultPeer) when the interface does not make default peers. */
int core_default_peers_create_iface(struct app *app, const char *iface_id, size_t *ret_created,
				    struct err *err);
/* A user's default peers on every flagged server interface; only_if_none: only when the user
 * has no peer at all (the login trigger). */
int core_default_peers_create_user(struct app *app, const char *user_id, bool only_if_none,
				   size_t *ret_created, struct err *err);
/* A web login happened: queues the login default peers (core.create_default_peer_on_login). */
void core_user_logged_in(struct app *app, const char *user_id);
/* "Add multiple peers": one prepared peer per user id, display name "<prefix> Peer <8>".
 * *ret (always set, caller frees with peer_list_free) holds the peers created, also when a
 * later one failed (the error says which). */
int core_peer_create_multi(struct app *app, const char *iface_id, const struct strv *users,
			   const char *prefix, struct peer ***ret, size_t *ret_n, struct err *err);
/* Copies the interface's PeerDef* values into every peer field whose Overridable is set. */
int core_iface_apply_peer_defaults(struct app *app, const char *iface_id, size_t *ret_changed,
				   struct err *err);
/* The interface's own wg-quick file (spec 4.7). Heap text holding the private key. */
int core_iface_config(struct app *app, const char *iface_id, char **ret, struct err *err);
/* A peer's client config in that style (spec 4.1, 4.2); an empty EndpointPublicKey (imported
 * peers) is filled in from the interface's public key. Heap text holding the private key. */
int core_peer_config(struct app *app, const struct peer *p, enum peerconf_style style,
		     char **ret, struct err *err);

/* Self service (core/self_service.c, spec 3.12). */
/* The interfaces users may provision on: enabled server interfaces, none without
 * core.self_provisioning_allowed. */
int core_user_interfaces(struct app *app, struct iface ***ret, size_t *ret_n, struct err *err);
/* A user's edit of their own peer: only the user-editable fields of req are taken. -EACCES
 * without self-provisioning or when caller does not own the peer. *ret = the stored result. */
int core_peer_update_own(struct app *app, const char *caller, const char *old_id,
			 const struct peer *req, struct peer **ret, struct err *err);
/* Sets a local user's new password (min length, must differ from old_password when given);
 * the caller has checked the current password. Every session of the user ends except the one
 * whose id hash is keep_session (NULL: all), as with any password change (core_user_update). */
int core_user_change_password(struct app *app, const char *user_id, const char *old_password,
			      const char *new_password, const char *keep_session, struct err *err);

/* Background work (core/background.c): expiry sweeps, default peers, config files. Start after
 * the start-up restore; stop after the API and the sync threads. */
int core_background_start(struct app *app, struct err *err);
void core_background_stop(struct app *app);

/* Start-up: bootstrap admin (core.admin_*). When the admin does not exist yet and no
 * admin_password is configured, a strong password is generated and returned in *gen_password;
 * likewise an API token in *gen_token when no admin_api_token is configured (so a fresh
 * install can be scripted at once). The caller prints them once and frees them; otherwise they
 * are set to NULL. */
int core_bootstrap_admin(struct app *app, char **gen_password, char **gen_token, struct err *err);

/* The audit trail (core/audit.c). The actor is per thread: the API router sets the
 * authenticated caller for the duration of a request and clears it (NULL) afterwards; a thread
 * without an actor (background work: expiry, default peers, config files, import, healing) acts
 * as CORE_ACTOR_SYSTEM. */
#define CORE_ACTOR_SYSTEM "system"
void core_set_actor(const char *user);
const char *core_actor(void);
/* One audit entry with an explicit user (logins: the account named in the attempt); user NULL
 * or "" = the current actor. Nothing is written without statistics.collect_audit_data. */
void core_audit_entry(struct app *app, const char *user, const char *severity, const char *origin,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Password check for local accounts (argon2id). 0 on match, -EACCES otherwise. */
int core_password_hash(const char *password, char **ret_hash);
int core_password_verify(const char *hash, const char *password);
/* A hash taken over from wg-portal (bcrypt): a login with the right password replaces it by
 * ours (argon2id), so the weaker hash does not stay in the database. */
bool core_password_is_legacy(const char *hash);

#endif
