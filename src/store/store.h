/* SPDX-License-Identifier: MIT */
#ifndef STORE_STORE_H
#define STORE_STORE_H
/*
 * The only module that speaks SQL: SQLite (WAL mode), PostgreSQL or MySQL/MariaDB through the
 * engine-neutral db layer (db.h, docs/database.md), versioned migrations (schema_version
 * table), one connection guarded by a mutex (safe from every HTTP thread). While a database
 * server is unreachable calls fail with -ENOTCONN (the API answers 503) and the connection is
 * re-established by itself. Secrets (interface
 * and peer private keys, preshared keys) are encrypted with XChaCha20-Poly1305 when a
 * passphrase is given to store_open(); passwords and API tokens are stored only as hashes.
 *
 * Return values: 0, -ENOENT (no such record), -EEXIST (duplicate), -EINVAL, -ENOTCONN (database
 * server unreachable), -EIO (database error, text in err). Lists are returned as arrays of heap objects that the caller frees with
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

/* A table's rows in a copy: in the source, in the destination afterwards (equal, or the copy
 * was rolled back). */
struct store_copy_row {
	const char *what;
	int64_t source, copied;
};
struct store_copy_report {
	char source[64];            /* "wg-portal v2 (schema 3)", "wgportal (schema 5)" */
	struct store_copy_row rows[16];
	size_t n_rows;
	int64_t orphans;            /* wg-portal rows whose owner is gone, not taken over */
	char backup[4200];          /* SQLite take-over: where the original file is kept */
};

/* The config's database section: type "sqlite", "postgres" or "mysql" (anything else is
 * refused naming those), dsn in the forms wg-portal accepts (docs/database.md), debug logs
 * every statement, slow_query_ms warns about slower ones (0 = off). progress (may be NULL)
 * hears about long copies; notice (may be NULL) gets one line per take-over decision. */
struct store_config {
	const char *type, *dsn, *passphrase;
	bool debug;
	int64_t slow_query_ms;
	bool default_peer_creation;  /* core.create_default_peer (wg-portal's migration 1->2) */
	void (*progress)(const char *what, size_t done, size_t total, void *ctx);
	void (*notice)(const char *msg, void *ctx);
	void *ctx;
};
/*
 * Opens the configured database. A wg-portal v2 database found there (docs/wg-portal-import.md)
 * is taken over first, in one transaction: on PostgreSQL and MySQL into our own tables next to
 * wg-portal's, which stay untouched; for SQLite into a new file that then takes the original's
 * place, the original kept beside it (report->backup). A database taken over before is left
 * alone. A wrong passphrase, an unknown schema version or a failed verification refuse to
 * start and change nothing. report may be NULL.
 */
int store_open_config(const struct store_config *c, struct store **ret,
		      struct store_copy_report *report, struct err *err);
/*
 * wgportal --migrate-from: copies a wg-portal v2 database or one of ours (any engine) into
 * the configured database, which must be empty, in one transaction, with progress and the row
 * counts of both sides in *report. The source is opened read-only and never changed.
 */
int store_migrate_from(const struct store_config *dst, const char *src_type,
		       const char *src_dsn, struct store_copy_report *report, struct err *err);
void store_close(struct store *st);
/* Bounds every round trip to a database server from now on (db_set_op_timeout): a server that
 * hangs costs a caller at most ms, then -ENOTCONN (503). 0 = no bound. */
void store_set_op_timeout(struct store *st, int ms);
int store_schema_version(struct store *st);
#define STORE_SCHEMA_VERSION_LATEST 8   /* bump with every migration added */

/*
 * Change notifications between nodes (store_changes.c, docs/cluster.md): after
 * store_changes_enable(origin) every interface and peer write also sends a NOTIFY on
 * STORE_CHANGE_CHANNEL inside its transaction, delivered when it commits (PostgreSQL only; on
 * other engines this does nothing). origin: this node's name. -EINVAL for a bad name.
 */
#define STORE_CHANGE_CHANNEL "wgportal"
int store_changes_enable(struct store *st, const char *origin);
/* One notification, parsed. kind 'i': iface/backend/node/deleted; 'p': iface (empty when the
 * peer was deleted), old_iface (when moved), peer, old_peer (when re-keyed). */
struct store_change {
	char origin[64];
	char kind;
	int64_t at_ms;                   /* wall clock of the writer */
	char iface[256], old_iface[256];
	char peer[64], old_peer[64];
	char backend[128], node[128];
	bool deleted;
};
/* 0 or -EINVAL (not one of ours, or malformed). */
int store_change_parse(const char *payload, struct store_change *ret);

/*
 * Throttles that several nodes count together (store_throttle.c, api/throttle.c): the recent
 * failure times (unix seconds, oldest first, at most STORE_THROTTLE_TIMES_MAX) of one (kind,
 * key). get reads them (*n = 0 when none); update locks the row, reads the list into t, lets
 * fn edit it (t, *n; cap = STORE_THROTTLE_TIMES_MAX) and writes it back, all in one transaction,
 * so parallel updates of one key from any node run one after the other. update returns fn's
 * result (>= 0) or -errno.
 */
#define STORE_THROTTLE_TIMES_MAX 64
int store_throttle_get(struct store *st, int kind, const char *key, int64_t *times, size_t cap,
		       size_t *n, struct err *err);
int store_throttle_update(struct store *st, int kind, const char *key, int64_t now,
			  int (*fn)(int64_t *t, size_t *n, size_t cap, void *ctx), void *ctx,
			  struct err *err);

/* Transactions nest by counting: the outermost begin/commit are BEGIN/COMMIT. The calling
 * thread holds the store mutex from begin to commit/rollback. Inner levels are savepoints: a
 * rollback there (or a failing store_* call inside a caller's transaction) undoes only that
 * level, the outer transaction may still commit. A failed commit has already rolled back and
 * closed its level; a store_rollback right after it is a harmless no-op. */
int store_begin(struct store *st, struct err *err);
int store_commit(struct store *st, struct err *err);
void store_rollback(struct store *st);

/* List queries (API additions: paging, sorting, filtering). limit 0 = all. sort is a JSON field
 * name of the model ("Identifier", "DisplayName", ...); desc reverses; filter matches a
 * substring of identifier, display name or owner (user id), case-insensitive. Sortable peer
 * fields (names compared case-insensitively): CreatedAt (the default, = insertion order), Identifier,
 * DisplayName, UserIdentifier, InterfaceIdentifier, Disabled, ExpiresAt, Mode, PublicKey,
 * Addresses (numeric order of the first address), UpdatedAt. Anything else: -EINVAL with
 * err->field "sort". A filter longer than 256 characters: -EINVAL, field "filter". */
struct store_query {
	size_t offset, limit;
	const char *sort;
	bool desc;
	const char *filter;
};

/* Interfaces. get/list fill enabled_peers/total_peers; list is ordered by identifier.
 * Timestamps (interfaces, peers, users): insert stores created_at, or now when 0; insert and
 * update store updated_at, or now when 0; update with created_at 0 keeps the stored one. */
int store_iface_get(struct store *st, const char *id, struct iface **ret, struct err *err);
/* The same without the peer counts (enabled_peers = total_peers = -1): counting walks every
 * peer of the interface, which a one-peer request on 10,000 peers must not pay. */
int store_iface_get_settings(struct store *st, const char *id, struct iface **ret,
			     struct err *err);
int store_iface_list(struct store *st, struct iface ***ret, size_t *n, struct err *err);
int store_iface_insert(struct store *st, const struct iface *ifc, struct err *err);  /* -EEXIST */
int store_iface_update(struct store *st, const struct iface *ifc, struct err *err);  /* -ENOENT */
/* Records the node of an interface that has none (cluster takeover). -ENOENT when the
 * interface is missing or already has a node. */
int store_iface_set_node(struct store *st, const char *id, const char *node, struct err *err);
/* Deletes the interface with its peers and statistics. */
int store_iface_delete(struct store *st, const char *id, struct err *err);

/* Peers. */
int store_peer_get(struct store *st, const char *id, struct peer **ret, struct err *err);
int store_peer_list_by_iface(struct store *st, const char *iface_id, const struct store_query *q,
			     struct peer ***ret, size_t *n, size_t *total, struct err *err);
int store_peer_list_by_user(struct store *st, const char *user_id, struct peer ***ret, size_t *n,
			    struct err *err);
int store_peer_insert(struct store *st, const struct peer *p, struct err *err);   /* -EEXIST */
/* Replaces the peer stored under old_id (== p->identifier unless re-keying; NULL = same).
 * Re-keying (old_id != p->identifier) deletes the old row and its statistics and inserts the
 * new one in one transaction, keeping the old created_at when p->created_at is 0;
 * -ENOENT if old_id is missing, -EEXIST if p->identifier already exists. */
int store_peer_update(struct store *st, const char *old_id, const struct peer *p, struct err *err);
int store_peer_delete(struct store *st, const char *id, struct err *err);
/* Every address (interface and peer addresses of all interfaces), address part only,
 * e.g. "10.11.12.5"; used for allocation and collision checks. */
int store_addresses_in_use(struct store *st, struct strv *ret, struct err *err);
/* Calls cb with every address in use inside net (interface and peer addresses of all
 * interfaces, host length), in ascending order, duplicates included, until cb returns nonzero.
 * Reads only as far as cb goes (addr_key index). cb runs under the store lock: compare only. */
struct ip_prefix;
int store_addresses_walk(struct store *st, const struct ip_prefix *net,
			 int (*cb)(const struct ip_prefix *addr, void *ctx), void *ctx,
			 struct err *err);
/* The first stored address of a peer of iface_id (other than except_peer) that shares an
 * address with one of nets[0..n): 0 when none, -EEXIST with *ret filled (nets index, owner,
 * stored address text) when one does. Host routes are found through the address index, wider
 * stored prefixes by a scan of the interface's network routes. */
struct store_addr_conflict {
	size_t index;
	char owner[128];
	char addr[64];
};
int store_peer_addr_conflict(struct store *st, const char *iface_id, const char *except_peer,
			     const struct ip_prefix *nets, size_t n,
			     struct store_addr_conflict *ret, struct err *err);
/* The peer (other than except_peer_id) that already uses this address part, or -ENOENT.
 * addr may carry a prefix ("10.0.0.2/32") and any IPv6 spelling; addresses are compared in
 * canonical form. Only peer addresses are searched (interface addresses are in
 * store_addresses_in_use). */
int store_address_owner(struct store *st, const char *addr, const char *except_peer_id,
			char owner[static 128], struct err *err);

/* MySQL/MariaDB serve one node (store_claim.c): holds a server lock named after the database on
 * a connection of its own (*ret, kept open while the node runs; db_close releases it); -EBUSY
 * naming database.dsn when another node holds it. */
struct db;
int store_claim_mysql(const struct store_config *c, struct db **ret, struct err *err);

/* Users. list and find_by_email (case-insensitive) are ordered by identifier; peer_count is
 * computed. A user written with api_token set and api_token_hash empty gets the token's hash
 * stored (the clear token never is). NULL or "" password_hash / api_token_hash are stored as
 * NULL (no password / API disabled). */
int store_user_get(struct store *st, const char *id, struct user **ret, struct err *err);
int store_user_list(struct store *st, struct user ***ret, size_t *n, struct err *err);
int store_user_find_by_email(struct store *st, const char *email, struct user ***ret, size_t *n,
			     struct err *err);
int store_user_insert(struct store *st, const struct user *u, struct err *err);
int store_user_update(struct store *st, const struct user *u, struct err *err);
int store_user_delete(struct store *st, const char *id, struct err *err);
/* Replaces the user's password hash by new_hash only while it still is old_hash (a login that
 * upgrades a taken-over hash never undoes a password change made meanwhile): 1 replaced,
 * 0 not (changed meanwhile), or -errno. */
int store_user_rehash(struct store *st, const char *id, const char *old_hash,
		      const char *new_hash, struct err *err);
/* A user's login sources with provider names (migration 6; filled from wg-portal's
 * user_authentications; the sign-in methods add theirs, store_auth.h). Times are unix
 * seconds. add: -EEXIST for a duplicate (user, source, provider). The list is ordered; the
 * caller frees it with the matching _free. Deleting the user deletes them. Passkeys
 * (user_passkeys) are in store_auth.h. */
struct store_user_auth {
	char *user_id, *source, *provider_name;
	int64_t created_at, updated_at;
};
int store_user_auth_add(struct store *st, const struct store_user_auth *a, struct err *err);
int store_user_auth_list(struct store *st, const char *user_id, struct store_user_auth **ret,
			 size_t *n, struct err *err);
void store_user_auth_list_free(struct store_user_auth *v, size_t n);
/* wg-portal's per-user WebAuthn id and "persist local changes" flag (migration 6). */
int store_user_extra_set(struct store *st, const char *user_id, const char *webauthn_id,
			 bool persist_local_changes, struct err *err);
int store_user_extra_get(struct store *st, const char *user_id, char **webauthn_id,
			 bool *persist_local_changes, struct err *err);

/* Looks a user up by identifier and compares the API token against the stored hash in
 * constant time. 0 and *ret on match (ret may be NULL), -EACCES when the user is unknown, has
 * no token, or the token differs. Disabled/locked flags are not checked here (auth/ does). */
int store_user_check_token(struct store *st, const char *id, const char *token, struct user **ret,
			   struct err *err);
/* The hash stored for an API token (hex BLAKE2b-256 of the token), for user->api_token_hash. */
int store_token_hash(const char *token, char out[static 65]);

/* Statistics: written in one transaction per sweep (upsert per peer / interface; updated_at
 * 0 = now). Rows are removed with their peer or interface. */
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
/* One page of the audit log, newest first (store_session.c). q->filter (may be NULL/"") matches
 * a case-insensitive substring of user, severity, origin or message; q->sort/desc are ignored.
 * *total = matches before slicing. The caller frees with store_audit_list_free(). */
struct store_audit_entry {
	int64_t id;
	int64_t created_at;          /* unix seconds */
	char *user, *severity, *origin, *message;
};
int store_audit_list(struct store *st, const struct store_query *q, struct store_audit_entry **ret,
		     size_t *n, size_t *total, struct err *err);
void store_audit_list_free(struct store_audit_entry *list, size_t n);

/* UI sessions (store_session.c, migration 3). id_hash is the hex hash of the session id (see
 * auth/session.h; the id itself is never stored). Times are unix seconds. insert: -EINVAL when
 * the user does not exist (foreign key), -EEXIST on a duplicate hash. get: -ENOENT. */
struct store_session {
	char *user_id;
	char *csrf_token;
	int64_t created_at, last_seen_at;
};
int store_session_insert(struct store *st, const char *id_hash, const char *user_id,
			 const char *csrf_token, int64_t now, struct err *err);
int store_session_get(struct store *st, const char *id_hash, struct store_session *ret,
		      struct err *err);
void store_session_release(struct store_session *s);
int store_session_touch(struct store *st, const char *id_hash, int64_t now, struct err *err);
/* Deleting a missing session is not an error. */
int store_session_delete(struct store *st, const char *id_hash, struct err *err);
/* Removes sessions idle since before idle_before or created before created_before. */
int store_session_purge(struct store *st, int64_t idle_before, int64_t created_before,
			struct err *err);
/* Keeps only the newest `keep` sessions of a user. */
int store_session_trim_user(struct store *st, const char *user_id, size_t keep, struct err *err);
/* Ends every session of user_id except the one whose hash is keep_hash (NULL: all). */
int store_session_delete_user(struct store *st, const char *user_id, const char *keep_hash,
			      struct err *err);
int store_session_count(struct store *st, size_t *ret, struct err *err);

#endif
