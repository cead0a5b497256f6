/* SPDX-License-Identifier: MIT */
#ifndef STORE_STORE_H
#define STORE_STORE_H
/*
 * The only module that speaks SQL. SQLite in WAL mode, versioned migrations (schema_version
 * table), one connection guarded by a mutex (safe from every HTTP thread). Secrets (interface
 * and peer private keys, preshared keys) are encrypted with XChaCha20-Poly1305 when a
 * passphrase is given to store_open(); passwords and API tokens are stored only as hashes.
 *
 * Return values: 0, -ENOENT (no such record), -EEXIST (duplicate), -EINVAL, -EIO (SQLite error,
 * text in err). Lists are returned as arrays of heap objects that the caller frees with
 * iface_list_free() / peer_list_free() / user_list_free().
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/iface.h"
#include "model/peer.h"
#include "model/stats.h"
#include "model/user.h"

struct err;
struct store;

/* Opens (creating the parent directory 0700 and the file 0600) and migrates to the newest
 * schema. passphrase NULL or "" = secrets stored in clear. path ":memory:" works for tests. */
int store_open(const char *path, const char *passphrase, struct store **ret, struct err *err);
void store_close(struct store *st);
int store_schema_version(struct store *st);
#define STORE_SCHEMA_VERSION_LATEST 2   /* bump with every migration added */

/* Transactions nest by counting: only the outermost begin/commit touch SQLite. The calling
 * thread holds the store mutex from begin to commit/rollback. */
int store_begin(struct store *st, struct err *err);
int store_commit(struct store *st, struct err *err);
void store_rollback(struct store *st);

/* List queries (API additions: paging, sorting, filtering). limit 0 = all. sort is a JSON field
 * name of the model ("Identifier", "DisplayName", ...); desc reverses; filter matches a
 * substring of identifier or display name (case-insensitive). */
struct store_query {
	size_t offset, limit;
	const char *sort;
	bool desc;
	const char *filter;
};

/* Interfaces. get/list fill enabled_peers/total_peers. */
int store_iface_get(struct store *st, const char *id, struct iface **ret, struct err *err);
int store_iface_list(struct store *st, struct iface ***ret, size_t *n, struct err *err);
int store_iface_insert(struct store *st, const struct iface *ifc, struct err *err);  /* -EEXIST */
int store_iface_update(struct store *st, const struct iface *ifc, struct err *err);  /* -ENOENT */
/* Deletes the interface with its peers and statistics. */
int store_iface_delete(struct store *st, const char *id, struct err *err);

/* Peers. */
int store_peer_get(struct store *st, const char *id, struct peer **ret, struct err *err);
int store_peer_list_by_iface(struct store *st, const char *iface_id, const struct store_query *q,
			     struct peer ***ret, size_t *n, size_t *total, struct err *err);
int store_peer_list_by_user(struct store *st, const char *user_id, struct peer ***ret, size_t *n,
			    struct err *err);
int store_peer_insert(struct store *st, const struct peer *p, struct err *err);   /* -EEXIST */
/* Replaces the peer stored under old_id (== p->identifier unless re-keying). */
int store_peer_update(struct store *st, const char *old_id, const struct peer *p, struct err *err);
int store_peer_delete(struct store *st, const char *id, struct err *err);
/* Every address (interface and peer addresses of all interfaces), address part only,
 * e.g. "10.11.12.5"; used for allocation and collision checks. */
int store_addresses_in_use(struct store *st, struct strv *ret, struct err *err);
/* The peer (other than except_peer_id) that already uses this address part, or -ENOENT. */
int store_address_owner(struct store *st, const char *addr, const char *except_peer_id,
			char owner[static 128], struct err *err);

/* Users. */
int store_user_get(struct store *st, const char *id, struct user **ret, struct err *err);
int store_user_list(struct store *st, struct user ***ret, size_t *n, struct err *err);
int store_user_find_by_email(struct store *st, const char *email, struct user ***ret, size_t *n,
			     struct err *err);
int store_user_insert(struct store *st, const struct user *u, struct err *err);
int store_user_update(struct store *st, const struct user *u, struct err *err);
int store_user_delete(struct store *st, const char *id, struct err *err);
/* Looks a user up by identifier and compares the API token against the stored hash in
 * constant time. 0 and *ret on match, -EACCES when the user is unknown or the token differs. */
int store_user_check_token(struct store *st, const char *id, const char *token, struct user **ret,
			   struct err *err);
/* The hash stored for an API token (hex BLAKE2b-256 of the token), for user->api_token_hash. */
int store_token_hash(const char *token, char out[static 65]);

/* Statistics: written in one transaction per sweep. */
int store_status_put(struct store *st, const struct peer_status *peers, size_t n_peers,
		     const struct iface_status *ifaces, size_t n_ifaces, struct err *err);
int store_peer_status_get(struct store *st, const char *peer_id, struct peer_status *ret,
			  struct err *err);
int store_iface_status_get(struct store *st, const char *iface_id, struct iface_status *ret,
			   struct err *err);

/* Audit. */
int store_audit_add(struct store *st, const char *user, const char *severity, const char *origin,
		    const char *message, struct err *err);
int store_audit_count(struct store *st, size_t *ret, struct err *err);

#endif
