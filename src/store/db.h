/* SPDX-License-Identifier: MIT */
#ifndef STORE_DB_H
#define STORE_DB_H
/*
 * The engine-neutral database layer under src/store: one connection to SQLite, PostgreSQL or
 * MySQL/MariaDB behind one set of calls (open, prepare, bind, step, column getters,
 * transactions). Only src/store (and the migration tool and tests) use it.
 *
 * SQL is written once, in the "neutral dialect" (docs/database.md), which is SQLite's syntax
 * with these conventions; db_sql.c rewrites it for the connected engine:
 *   - placeholders are ?N (1-based, may repeat) or ? (the next number);
 *   - keywords are upper case, identifiers lower case (a lower-case identifier that an engine
 *     reserves, like user or key, is quoted for that engine; table names may be prefixed);
 *   - x COLLATE NOCASE compares/sorts case-insensitively (lower(x) where there is no NOCASE);
 *   - in DDL: INTEGER is 64-bit, {key} is indexable text, {autoinc} an auto-increment integer
 *     primary key, {rowid} declares the insertion-order column "rowid" where the engine has no
 *     implicit one, {,rowid} appends it to an index column list;
 *   - upserts are INSERT ... ON CONFLICT(col) DO UPDATE SET col = ?N (no "excluded.");
 *   - no engine-specific functions, no boolean-valued expressions as values, LIMIT always with
 *     a number (INT64_MAX for "all").
 *
 * Errors: 0 or a negative errno with err set to the engine's reason: -EEXIST (unique key),
 * -EINVAL (other constraint), -EBUSY (locked, deadlock), -ENOMEM, -ENOSPC (the database's
 * disk is full), -ENOTCONN (the server is unreachable or the connection was lost: see db_open),
 * -EIO (anything else).
 * Bound values never appear in errors or logs; database.debug logs statement text only.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;
struct db;
struct db_stmt;

enum db_engine {
	DB_SQLITE,
	DB_POSTGRES,
	DB_MYSQL,
	DB_ENGINE_MAX
};

/* db_step() results besides -errno */
#define DB_DONE 0
#define DB_ROW 1

struct db_options {
	bool debug;               /* database.debug: log every statement's text at info */
	int64_t slow_query_ms;    /* database.slow_query_threshold: warn above this; 0 = off */
	bool read_only;           /* a migration source: nothing is created or changed (SQLite:
				   * opened read-only, journal mode left alone; servers: read-only
				   * session) */
	/* PostgreSQL: run-time parameters for every session of this connection, in libpq's
	 * options form ("-c idle_session_timeout=3000"); NULL = none. */
	const char *session_options;
};

/* What a column of the current row holds. */
enum db_type {
	DB_TYPE_NULL,
	DB_TYPE_INT,
	DB_TYPE_TEXT,
	DB_TYPE_BLOB,
};

/* "sqlite", "postgres" (also "postgresql"), "mysql" (also "mariadb"). Anything else, "mssql"
 * included, is -EINVAL with a message naming the supported types (field "database.type"). */
int db_engine_parse(const char *type, enum db_engine *ret, struct err *err);
const char *db_engine_name(enum db_engine e);
/* A comma-separated list of the types this build supports, for messages. */
const char *db_engine_list(void);

/*
 * Connects. dsn: a file path (SQLite; ":memory:" works), a PostgreSQL key=value string or URL,
 * or a MySQL go-sql-driver DSN "user:pass@tcp(host:port)/db?param=value". The connection is
 * not thread-safe: the store serialises its use. When a server connection is lost, calls
 * return -ENOTCONN; outside a transaction the next call reconnects (at most one attempt per
 * second, so requests fail fast while the server is down); inside one, every call fails
 * until the outermost db_rollback, because the server has discarded the transaction.
 */
int db_open(enum db_engine engine, const char *dsn, const struct db_options *opt,
	    struct db **ret, struct err *err);
void db_close(struct db *db);
enum db_engine db_engine_of(const struct db *db);

/* Executes literal SQL (no values; one or more statements separated by ';'). */
int db_exec(struct db *db, const char *sql, struct err *err);

/* Prepares one statement (prepared on the server at first execution). */
int db_prepare(struct db *db, const char *sql, struct db_stmt **ret, struct err *err);
void db_finalize(struct db_stmt *s);   /* NULL-safe */
/* Ends an execution: results and bindings are dropped, the statement is ready to bind anew. */
void db_reset(struct db_stmt *s);

/* Bindings (n is the placeholder number, 1-based), copied; valid until db_reset. Return 0 or
 * -ENOMEM / -ERANGE (n out of range). A NULL text binds SQL NULL. */
int db_bind_int64(struct db_stmt *s, int n, int64_t v);
int db_bind_text(struct db_stmt *s, int n, const char *v);
/* Takes ownership of v (freed with free(), also on failure). */
int db_bind_text_take(struct db_stmt *s, int n, char *v);
int db_bind_blob(struct db_stmt *s, int n, const void *p, size_t len);
int db_bind_null(struct db_stmt *s, int n);

/* Executes on the first call, then walks the rows: DB_ROW, DB_DONE or -errno. */
int db_step(struct db_stmt *s, struct err *err);
/* Steps to the end and resets (a write). 0 or -errno. */
int db_step_done(struct db_stmt *s, struct err *err);

/* The result's columns: count, names (borrowed) and the type of the current row's value
 * (servers: the column's declared type; integers and booleans are DB_TYPE_INT). */
int db_column_count(struct db_stmt *s);
const char *db_column_name(struct db_stmt *s, int col);
enum db_type db_column_type(struct db_stmt *s, int col);

/* The current row's columns (0-based). Text and blobs are borrowed until the next step or
 * reset. NULL reads as 0 / NULL. Integers stored as text are parsed. */
bool db_column_is_null(struct db_stmt *s, int col);
int64_t db_column_int64(struct db_stmt *s, int col);
const char *db_column_text(struct db_stmt *s, int col);
const void *db_column_blob(struct db_stmt *s, int col, size_t *len);

/* Rows matched (not only changed) by the last INSERT/UPDATE/DELETE of this connection. */
int64_t db_changes(struct db *db);

/*
 * Transactions. db_begin opens one (the write lock is taken at once on SQLite), savepoints
 * nest inside (level >= 1). db_commit ends it; on failure it has been rolled back. db_rollback
 * and db_rollback_to never fail visibly (a lost connection has rolled back on the server).
 */
int db_begin(struct db *db, struct err *err);
int db_commit(struct db *db, struct err *err);
void db_rollback(struct db *db);
int db_savepoint(struct db *db, unsigned level, struct err *err);
int db_release(struct db *db, unsigned level, struct err *err);
void db_rollback_to(struct db *db, unsigned level);
bool db_in_transaction(const struct db *db);

/* Whether a table of ours exists (name as written in neutral SQL). */
int db_table_exists(struct db *db, const char *name, bool *ret, struct err *err);
/* The same for a table outside our namespace (wg-portal's, see db_foreign_table). */
int db_foreign_table_exists(struct db *db, const char *name, bool *ret, struct err *err);
/* Writes into out the quoted name under which SQL on this connection reaches a table that is
 * not ours, e.g. wg-portal's "users" next to our own users table. -ENAMETOOLONG if it does
 * not fit. */
int db_foreign_table(struct db *db, const char *name, char *out, size_t size);

/* Creates the namespace of our tables where the engine has one (PostgreSQL: the schema
 * "wgportal"); called before the first migration, so a connection that only reads (a
 * migration source, a test's admin connection) never creates anything. */
int db_create_namespace(struct db *db, struct err *err);

/* Whether deep pages (LIMIT n OFFSET m over an index order) are faster read as a "deferred
 * join": the page's rowids from the index first, then their rows. True for MySQL/MariaDB,
 * which otherwise reads every skipped row in full. */
bool db_deferred_paging(const struct db *db);
/* Refreshes the planner's statistics of one of our tables (after a bulk copy: a planner that
 * still believes the table empty picks poor plans). */
int db_analyze(struct db *db, const char *table, struct err *err);

/* Whether the connection is currently usable (false after a loss, before the reconnect). */
bool db_is_connected(const struct db *db);

/*
 * Bounds every round trip to a database server from now on (PostgreSQL; SQLite has none, MySQL
 * its DSN's read/write timeouts): a statement during which the server sends nothing for ms
 * fails with -ENOTCONN and the connection counts as lost, so a server that hangs (not only one
 * that refuses) never holds up a caller longer than that (a large answer that keeps arriving
 * is not cut off). The reconnect after a loss then proceeds
 * in steps of at most ms / 20, one step every 250 ms whoever calls (a connection attempt is
 * not thrown away between calls), so callers keep failing fast until the server answers
 * again. 0 = no bound (the default; a connect waits up to the DSN's connect_timeout).
 */
void db_set_op_timeout(struct db *db, int ms);

/* The current server session: a number that changes with every (re)connect. State kept by a
 * session (PostgreSQL advisory locks, LISTEN) is gone when it changes. */
unsigned db_session(const struct db *db);

/* PostgreSQL LISTEN/NOTIFY: waits up to timeout_ms for notifications on channels this session
 * listens to and calls fn for each (payload borrowed for the call). Returns the number
 * delivered, -ENOTCONN when the session was lost, -EOPNOTSUPP on other engines. */
typedef void db_notify_fn(const char *channel, const char *payload, void *ctx);
int db_wait_notify(struct db *db, int timeout_ms, db_notify_fn *fn, void *ctx, struct err *err);

#endif
