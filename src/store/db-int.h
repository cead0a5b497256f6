/* SPDX-License-Identifier: MIT */
#ifndef STORE_DB_INT_H
#define STORE_DB_INT_H
/*
 * Private to the db layer (db.c, db_sql.c and the drivers db_sqlite.c, db_pg.c, db_mysql.c):
 * the connection and statement objects, the driver table and the dialect description that
 * db_sql.c uses to rewrite neutral SQL. Every difference between the engines lives either in a
 * driver (how to talk to it) or in its struct db_dialect (how its SQL differs).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/db.h"

struct err;

enum db_value_type {
	DBV_NULL = 0, /* also an unbound placeholder */
	DBV_INT,
	DBV_TEXT,
	DBV_BLOB,
};

struct db_value {
	enum db_value_type type;
	int64_t i;
	char *p;       /* owned: NUL-terminated text, or blob bytes (plus a NUL) */
	size_t len;
};

/* How an engine's placeholders are written. */
enum db_placeholders {
	DB_PH_NUMBERED,   /* ?N kept (SQLite) */
	DB_PH_DOLLAR,     /* $1..$m, numbered densely (PostgreSQL) */
	DB_PH_POSITIONAL, /* one ? per occurrence (MySQL) */
};

/* The SQL differences of one engine, applied by db_sql_translate(). NULL strings mean "keep
 * the neutral text". */
struct db_dialect {
	enum db_placeholders placeholders;
	bool nocase_lower;            /* x COLLATE NOCASE -> lower(x) */
	bool index_nocase_prefix;     /* in CREATE INDEX: x COLLATE NOCASE -> x(191) (MySQL) */
	bool upsert_on_duplicate_key; /* ON CONFLICT(c) DO UPDATE SET -> ON DUPLICATE KEY UPDATE */
	const char *integer;          /* the INTEGER type */
	const char *blob;             /* the BLOB type */
	const char *key_text;         /* {key} */
	const char *autoinc;          /* {autoinc} */
	const char *rowid_column;     /* {rowid} */
	const char *rowid_index;      /* {,rowid} */
	const char *create_table_suffix;
	const char *table_prefix;     /* prepended to our table names */
	bool quote_reserved;          /* quote lower-case user/key/... as identifiers */
	bool deferred_paging;         /* pages read their rowids first (db_deferred_paging) */
	bool default_text_parens;     /* DEFAULT 'x' -> DEFAULT ('x'): MySQL 8 allows a default on
				       * TEXT only as an expression (MariaDB takes both) */
	const char *analyze;          /* statistics of one table: format with %s = its name */
};

struct db_driver {
	const char *name;
	const struct db_dialect *dialect;
	/* Opens db->conn from db->dsn. -ENOTCONN when the server cannot be reached. With
	 * db->op_timeout_ms set, a driver may give up the caller after about op_timeout_ms / 20
	 * with -EINPROGRESS and continue the same attempt at the next call (kept in db->conn;
	 * disconnect abandons it). */
	int (*connect)(struct db *db, struct err *err);
	/* Closes db->conn (NULL-safe); must work on a lost connection. */
	void (*disconnect)(struct db *db);
	/* One translated statement without values. */
	int (*exec)(struct db *db, const char *sql, struct err *err);
	/* Prepares s->sql (translated). May defer the server round trip to the first step. */
	int (*prepare)(struct db_stmt *s, struct err *err);
	/* Frees s->drv; the connection may be gone. */
	void (*finalize)(struct db_stmt *s);
	/* first: execute with s->params, then return the first row; later: the next row.
	 * DB_ROW, DB_DONE (db->changes set) or -errno. */
	int (*step)(struct db_stmt *s, bool first, struct err *err);
	/* Drops the current execution's results. */
	void (*reset)(struct db_stmt *s);
	int (*column_count)(struct db_stmt *s);
	const char *(*column_name)(struct db_stmt *s, int col);
	enum db_type (*column_type)(struct db_stmt *s, int col);
	bool (*column_is_null)(struct db_stmt *s, int col);
	const char *(*column_text)(struct db_stmt *s, int col);
	int64_t (*column_int64)(struct db_stmt *s, int col);
	const void *(*column_blob)(struct db_stmt *s, int col, size_t *len);
	/* SQL starting a transaction ("BEGIN IMMEDIATE", "BEGIN", "START TRANSACTION") */
	const char *begin_sql;
	/* Whether a table exists: in our namespace (foreign = false) or in the one of other
	 * applications' tables (foreign = true). name is unprefixed. */
	int (*table_exists)(struct db *db, const char *name, bool foreign, bool *ret,
			    struct err *err);
	/* The quoted name of another application's table ("users" -> "public"."users"). */
	int (*foreign_table)(struct db *db, const char *name, char *out, size_t size);
	/* Creates the namespace our tables live in, if the engine has one (NULL: nothing to do). */
	int (*create_namespace)(struct db *db, struct err *err);
	/* db_wait_notify (NULL: not supported). */
	int (*wait_notify)(struct db *db, int timeout_ms, db_notify_fn *fn, void *ctx,
			   struct err *err);
};

extern const struct db_driver db_driver_sqlite;
extern const struct db_driver db_driver_postgres;
extern const struct db_driver db_driver_mysql;

struct db {
	const struct db_driver *drv;
	enum db_engine engine;
	struct db_options opt;
	char *dsn;               /* kept for reconnects; wiped at close (may hold a password) */
	char *session_options;   /* owned copy behind opt.session_options */
	void *conn;              /* the driver's connection */
	unsigned gen;            /* bumped by every (re)connect; statements re-prepare on change */
	bool lost;               /* the connection is gone, not yet re-established */
	bool in_tx;              /* between db_begin and db_commit/db_rollback */
	struct timespec last_attempt; /* of a reconnect */
	int64_t changes;
	unsigned long stmt_seq;  /* names of server-side statements */
	int op_timeout_ms;       /* db_set_op_timeout; 0 = none */
	/* A reconnect whose connect is still under way (the driver keeps the attempt in conn;
	 * connect returns -EINPROGRESS until it is done). */
	bool connecting;
	int64_t last_step_ns;    /* of the attempt under way */
};

struct db_stmt {
	struct db *db;
	char *sql;               /* translated for the engine (also what is logged) */
	int nparams;             /* highest placeholder number */
	struct db_value *params; /* [nparams], by placeholder number - 1 */
	int nslots;              /* the engine's parameters (see enum db_placeholders) */
	int *slots;              /* engine parameter i takes params[slots[i] - 1] */
	void *drv;               /* the driver's statement state */
	unsigned gen;            /* db->gen it was prepared under */
	bool started;            /* executed since the last reset */
	bool logged;             /* debug/slow logging done for this execution */
	int64_t elapsed_ns;      /* of this execution so far */
};

/*
 * Rewrites one neutral statement for dialect d into *ret (heap). Placeholders: *nparams the
 * highest number, *slots and *nslots the engine parameter -> placeholder map (NULL/0 for
 * DB_PH_NUMBERED). 0, -ENOMEM or -EINVAL (malformed placeholder).
 */
int db_sql_translate(const struct db_dialect *d, const char *sql, char **ret, int *nparams,
		     int **slots, int *nslots);
/* Whether name is one of our tables (those a table_prefix applies to). */
bool db_sql_is_our_table(const char *name);
/* Splits literal SQL at top-level ';' into statements; calls fn for each non-empty one. */
int db_sql_split(const char *sql, int (*fn)(const char *stmt, size_t len, void *ctx), void *ctx);

/* Driver helpers (db.c). */
/* Marks the connection lost and returns err_set(err, -ENOTCONN, ...). */
int db_lost(struct db *db, struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Monotonic nanoseconds. */
int64_t db_now_ns(void);

#endif
