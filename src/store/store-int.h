/* SPDX-License-Identifier: MIT */
#ifndef STORE_STORE_INT_H
#define STORE_STORE_INT_H
/*
 * Private to src/store/: the store object, the prepared-statement cache, the lock helpers,
 * secret sealing and the migration runner. Nothing outside src/store/ (and its unit tests and
 * the migration tool) includes this header. SQL goes through the engine-neutral db layer
 * (db.h); no file here names an engine.
 *
 * Locking: st->lock is a recursive mutex. Every public call takes it for its whole duration
 * (store_lock/store_unlock); store_begin takes it once more and keeps it until the outermost
 * commit/rollback, so a transaction of one thread never interleaves with another thread's
 * statements on the shared connection.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"
#include "store/store.h"

struct err;

/* Fixed statements, prepared once on first use and kept for the life of the connection. */
enum store_stmt_id {
	STMT_IFACE_GET,
	STMT_IFACE_GET_SETTINGS,
	STMT_IFACE_LIST,
	STMT_IFACE_INSERT,
	STMT_IFACE_UPDATE,
	STMT_IFACE_DELETE,
	STMT_IFACE_ADDR_DELETE,
	STMT_IFACE_ADDR_INSERT,
	STMT_IFACE_PEERS_DELETE,
	STMT_IFACE_PEER_STATUS_DELETE,
	STMT_IFACE_STATUS_DELETE,
	STMT_PEER_GET,
	STMT_PEER_EXISTS,
	STMT_PEER_CREATED_AT,
	STMT_PEER_INSERT,
	STMT_PEER_UPDATE,
	STMT_PEER_DELETE,
	STMT_PEER_ADDR_DELETE,
	STMT_PEER_ADDR_INSERT,
	STMT_PEER_STATUS_DELETE,
	STMT_PEER_LIST_BY_USER,
	STMT_PEER_COUNT_BY_IFACE,
	STMT_PEER_COUNT_BY_IFACE_FILTER,
	STMT_ADDR_IN_USE,
	STMT_ADDR_OWNER,
	STMT_ADDR_WALK,
	STMT_ADDR_NEAR,
	STMT_USER_GET,
	STMT_USER_LIST,
	STMT_USER_BY_EMAIL,
	STMT_USER_INSERT,
	STMT_USER_UPDATE,
	STMT_USER_DELETE,
	STMT_PEER_STATUS_PUT,
	STMT_IFACE_STATUS_PUT,
	STMT_PEER_STATUS_GET,
	STMT_IFACE_STATUS_GET,
	STMT_AUDIT_ADD,
	STMT_AUDIT_COUNT,
	STMT_CHANGE_PEER_IFACE,
	STMT_CHANGE_IFACE_ROW,
	STMT_CHANGE_NOTIFY,
	STMT_THROTTLE_GET,
	STMT_THROTTLE_LOCK,
	STMT_THROTTLE_PUT,
	STMT_THROTTLE_DEL,
	STMT_THROTTLE_PURGE,
	STMT__MAX
};

/* Peer list statements depend on (sort column, direction, filter present): a small cache. */
#define STORE_PEER_SORT_MAX 12
#define STORE_PEER_LIST_SLOTS (STORE_PEER_SORT_MAX * 4)

#define STORE_KEY_LEN 32

struct store {
	struct db *db;
	pthread_mutex_t lock;
	unsigned int tx_depth;  /* nesting of store_begin; 0 = no transaction */
	/* An inner commit failed and already closed its level: the caller's customary
	 * store_rollback right after it must not close the enclosing level too. Only set while
	 * the failing thread still holds the lock (depth > 0). */
	bool inner_commit_failed;
	bool encrypt;           /* secrets are sealed with key */
	uint8_t *key;           /* STORE_KEY_LEN bytes in sodium_malloc memory, or NULL */
	struct db_stmt *stmts[STMT__MAX];
	bool changes_on;        /* store_changes_enable on PostgreSQL */
	char change_origin[64];
	struct db_stmt *peer_list[STORE_PEER_LIST_SLOTS];
};

/* How to open a store (store_open() is the SQLite shorthand). */
struct store_open_opts {
	enum db_engine engine;
	const char *dsn;
	const char *passphrase;       /* NULL or "" = secrets stored in clear */
	struct db_options db;         /* database.debug, database.slow_query_threshold */
	int migrate_to;               /* schema version to migrate to; 0 = the latest */
	bool skip_secret_setup;       /* leave meta's key material alone (copying a store) */
};
int store_open_opts(const struct store_open_opts *o, struct store **ret, struct err *err);

void store_lock(struct store *st);
void store_unlock(struct store *st);
/* Around a write of one statement: takes the lock and, inside a caller's transaction, opens a
 * savepoint, so a failing statement (say -EEXIST) leaves the caller's transaction usable
 * (PostgreSQL would abort all of it). Outside one the statement commits by itself.
 * store_single_end releases or rolls back the savepoint as r says, unlocks and returns r. */
int store_single_begin(struct store *st, struct err *err);
int store_single_end(struct store *st, int r, struct err *err);

/* The cached statement for id (prepared from sql on first use, so each module keeps its own
 * SQL text next to its code), reset and with bindings cleared, in *ret. 0 or -errno. */
int store_stmt(struct store *st, enum store_stmt_id id, const char *sql, struct db_stmt **ret,
	       struct err *err);
/* Same for a caller-owned cache slot (*slot prepared unless already there). */
int store_stmt_cached(struct store *st, struct db_stmt **slot, const char *sql,
		      struct db_stmt **ret, struct err *err);
/* Resets a statement after use so it holds no read snapshot and no bound values. */
void store_stmt_done(struct db_stmt *s);

/* Prefixes the db layer's reason in err with the operation ("insert peer") and returns r. */
int store_db_err(int r, const char *what, struct err *err);
/* Runs one statement to completion and resets it. */
int store_step_done(struct store *st, struct db_stmt *s, const char *what, struct err *err);
/* Executes literal SQL (no user data ever). */
int store_exec(struct store *st, const char *sql, struct err *err);

/* Column readers: empty or NULL text -> NULL string / empty list. Return 0 or -ENOMEM. */
int store_col_str(struct db_stmt *s, int col, char **field);
int store_col_strv(struct db_stmt *s, int col, struct strv *field);
/* Copies text into a fixed buffer; -EIO when it does not fit (corrupt row). */
int store_col_fixed(struct db_stmt *s, int col, char *out, size_t size);
/* Binds a list joined with ","; -ENOMEM on OOM. */
int store_bind_strv(struct db_stmt *s, int col, const struct strv *sv);
/* Binds text, "" for NULL. */
int store_bind_str(struct db_stmt *s, int col, const char *v);
/* The address part of "10.0.0.1/24" in canonical text ("10.0.0.1"); out >= 64 bytes. */
void store_addr_part(const char *cidr, char out[static 64]);
/* Address keys (store_addr.c): binds the addr_key blob of cidr (NULL when unparsable). */
int store_bind_addr_key(struct db_stmt *s, int col, const char *cidr);
/* Migration 4: keys the address rows written before it. */
int store_addr_backfill(struct store *st, struct err *err);

/* Change notifications (store_changes.c), sent inside the caller's transaction when enabled,
 * else nothing. The interface a peer is stored on now ("" when none; call it before changing
 * the row); a peer change (after writing; iface "" for a delete); an interface change (after
 * an insert/update, before a delete with deleted = true: backend and node are read from the
 * row). */
int store_change_peer_iface(struct store *st, const char *peer_id, char out[static 256],
			    struct err *err);
int store_change_peer(struct store *st, const char *iface, const char *old_iface,
		      const char *peer_id, const char *old_id, struct err *err);
int store_change_iface(struct store *st, const char *iface_id, bool deleted, struct err *err);

/* Secrets at rest (store_secret.c). */
/* Derives the key, or creates salt+verifier on first use; checks the verifier otherwise. */
int store_secret_setup(struct store *st, const char *passphrase, struct err *err);
/* Seals plain into "enc:v1:<b64(nonce|ct)>", authenticated together with field and id (so a
 * sealed value cannot be moved to another column or record), or copies plain when the store has
 * no key. "" stays "". Heap result in *ret. Returns 0 or -ENOMEM. */
int store_secret_seal(struct store *st, const char *plain, const char *field, const char *id,
		      char **ret);
/* Opens a stored value into out (size bytes). Plain values pass through (rows written before a
 * passphrase was set). -EIO on a bad tag, a sealed value without key, or a value that does not
 * fit. Temporaries holding plaintext are wiped. */
int store_secret_open(struct store *st, const char *stored, const char *field, const char *id,
		      char *out, size_t size, struct err *err);
void store_secret_free(struct store *st);

/* The meta table (store_secret.c): a key's value (heap, NULL when absent) / an upsert. */
int store_meta_get(struct store *st, const char *key, char **ret, struct err *err);
int store_meta_put(struct store *st, const char *key, const char *value, struct err *err);
/* An audit entry with its own time (store_status.c), for entries taken over. */
int store_audit_add_at(struct store *st, int64_t created_at, const char *user,
		       const char *severity, const char *origin, const char *message,
		       struct err *err);
/* Refreshes the planner statistics of our bulk tables after a copy (store_status.c). */
int store_analyze(struct store *st, struct err *err);
/* count(*) of one of our tables (a constant name, never input). */
int store_count(struct store *st, const char *table, int64_t *ret, struct err *err);

/* Migrations (store_migrate.c). */
int store_migrate_to(struct store *st, int target, struct err *err);
int store_migration_count(void);
/* The DDL of migration version (1-based), for tests. */
const char *store_migration_sql(int version);
/* Reads MAX(version) of schema_version, 0 for an empty database. */
int store_read_version(struct store *st, int *ret, struct err *err);

#endif
