/* SPDX-License-Identifier: MIT */
/*
 * The engine-neutral part of the db layer: the driver registry, statements (translation,
 * bound values, re-preparation after a reconnect), transactions, the connection-loss policy
 * (fail fast while the server is down, reconnect outside transactions, never inside one) and
 * the statement log of database.debug / database.slow_query_threshold.
 */
#include "store/db-int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/log.h"

#define RECONNECT_INTERVAL_NS 1000000000LL /* one attempt per second while the server is down */
#define RECONNECT_STEP_GAP_NS 250000000LL  /* a step of an attempt under way at most this often */

static const struct db_driver *const drivers[DB_ENGINE_MAX] = {
	[DB_SQLITE] = &db_driver_sqlite,
	[DB_POSTGRES] = &db_driver_postgres,
	[DB_MYSQL] = &db_driver_mysql,
};

int64_t db_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

const char *db_engine_name(enum db_engine e)
{
	static const char *const names[DB_ENGINE_MAX] = { "sqlite", "postgres", "mysql" };

	return e < DB_ENGINE_MAX ? names[e] : "?";
}

const char *db_engine_list(void)
{
	return "sqlite, postgres, mysql";
}

int db_engine_parse(const char *type, enum db_engine *ret, struct err *err)
{
	static const struct {
		const char *name;
		enum db_engine e;
	} names[] = {
		{ "sqlite", DB_SQLITE },   { "sqlite3", DB_SQLITE },   { "postgres", DB_POSTGRES },
		{ "postgresql", DB_POSTGRES }, { "mysql", DB_MYSQL }, { "mariadb", DB_MYSQL },
	};

	for (size_t i = 0; type && i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(type, names[i].name)) {
			*ret = names[i].e;
			return 0;
		}
	}
	if (type && !strcasecmp(type, "mssql"))
		return err_field(err, -EINVAL, "database.type",
				 "database.type 'mssql' (Microsoft SQL Server) is not supported; "
				 "supported types: %s", db_engine_list());
	return err_field(err, -EINVAL, "database.type",
			 "unknown database.type '%.32s'; supported types: %s", type ? type : "",
			 db_engine_list());
}

enum db_engine db_engine_of(const struct db *db)
{
	return db->engine;
}

int db_lost(struct db *db, struct err *err, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	db->lost = true;
	return err_set(err, -ENOTCONN, "database unavailable: %s", msg);
}

bool db_is_connected(const struct db *db)
{
	return !db->lost;
}

/* Before every use: after a loss, reconnect if allowed. Inside a transaction the server has
 * already thrown the transaction away, so nothing may run until the caller rolls back. */
static int ensure_connected(struct db *db, struct err *err)
{
	struct timespec now;
	int64_t now_ns, last_ns;
	int r;

	if (!db->lost)
		return 0;
	if (db->in_tx)
		return err_set(err, -ENOTCONN,
			       "database unavailable: the connection was lost during the transaction");
	if (db->connecting) {
		/* one caller at a time spends a step on the attempt; the others waiting for the
		 * store's lock behind it fail at once instead of adding their steps up */
		if (db_now_ns() - db->last_step_ns < RECONNECT_STEP_GAP_NS)
			return err_set(err, -ENOTCONN, "database unavailable (reconnecting)");
	} else {
		clock_gettime(CLOCK_MONOTONIC, &now);
		now_ns = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
		last_ns = (int64_t)db->last_attempt.tv_sec * 1000000000LL +
			  db->last_attempt.tv_nsec;
		if (last_ns && now_ns - last_ns < RECONNECT_INTERVAL_NS)
			return err_set(err, -ENOTCONN, "database unavailable (reconnecting)");
		db->last_attempt = now;
		db->drv->disconnect(db);
		db->conn = NULL;
	}
	r = db->drv->connect(db, err);
	db->last_step_ns = db_now_ns();
	db->connecting = r == -EINPROGRESS;
	if (r == -EINPROGRESS)
		return err_set(err, -ENOTCONN, "database unavailable (reconnecting)");
	if (r < 0) {
		/* the reason of the failed attempt, as a 503 an API client understands (not a
		 * config error about database.dsn) */
		char why[ERR_MSG_MAX];
		snprintf(why, sizeof(why), "%s", err ? err->msg : "");
		return err_set(err, -ENOTCONN, "database unavailable: %s", why);
	}
	db->lost = false;
	db->gen++;
	log_debug("database: reconnected to %s", db->drv->name);
	return 0;
}

void db_set_op_timeout(struct db *db, int ms)
{
	db->op_timeout_ms = ms > 0 ? ms : 0;
}

unsigned db_session(const struct db *db)
{
	return db->lost ? 0 : db->gen;
}

int db_wait_notify(struct db *db, int timeout_ms, db_notify_fn *fn, void *ctx, struct err *err)
{
	int r;

	if (!db->drv->wait_notify)
		return err_set(err, -EOPNOTSUPP, "%s has no notifications", db->drv->name);
	r = ensure_connected(db, err);
	return r < 0 ? r : db->drv->wait_notify(db, timeout_ms, fn, ctx, err);
}

int db_open(enum db_engine engine, const char *dsn, const struct db_options *opt,
	    struct db **ret, struct err *err)
{
	struct db *db;
	int r;

	if (engine >= DB_ENGINE_MAX || !drivers[engine])
		return err_field(err, -EINVAL, "database.type", "unsupported database engine");
	if (!dsn || !*dsn)
		return err_field(err, -EINVAL, "database.dsn", "database.dsn is empty");
	db = calloc(1, sizeof(*db));
	if (!db)
		return err_set(err, -ENOMEM, "out of memory");
	db->drv = drivers[engine];
	db->engine = engine;
	if (opt)
		db->opt = *opt;
	/* kept for every reconnect: our own copy */
	db->opt.session_options = NULL;
	db->dsn = strdup(dsn);
	if (db->dsn && opt && opt->session_options)
		db->opt.session_options = db->session_options = strdup(opt->session_options);
	if (!db->dsn || (opt && opt->session_options && !db->session_options)) {
		free(db->dsn);
		free(db);
		return err_set(err, -ENOMEM, "out of memory");
	}
	r = db->drv->connect(db, err);
	if (r < 0) {
		db->lost = false;
		db_close(db);
		return r;
	}
	db->gen = 1;
	*ret = db;
	return 0;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	db->drv->disconnect(db);
	if (db->dsn) {
		explicit_bzero(db->dsn, strlen(db->dsn));
		free(db->dsn);
	}
	free(db->session_options);
	free(db);
}

/* ---- statement log ------------------------------------------------------------------------ */

/* database.debug: every statement; slow_query_threshold: those slower than it (warning). Only
 * the statement text is logged, never a bound value. */
static void log_statement(struct db *db, const char *sql, int64_t elapsed_ns, int result)
{
	int64_t ms = elapsed_ns / 1000000;
	bool slow = db->opt.slow_query_ms > 0 && ms >= db->opt.slow_query_ms;

	if (slow)
		log_warn("database: slow query (%lld ms): %s", (long long)ms, sql);
	else if (db->opt.debug)
		log_info("database: %s (%.3f ms%s)", sql, (double)elapsed_ns / 1e6,
			 result < 0 ? ", failed" : "");
}

static void stmt_log_once(struct db_stmt *s, int result)
{
	if (!s->started || s->logged)
		return;
	s->logged = true;
	if (s->db->opt.debug || s->db->opt.slow_query_ms > 0)
		log_statement(s->db, s->sql, s->elapsed_ns, result);
}

/* ---- literal SQL -------------------------------------------------------------------------- */

static int exec_one(const char *stmt, size_t len, void *ctx)
{
	struct {
		struct db *db;
		struct err *err;
	} *c = ctx;
	struct db *db = c->db;
	char *neutral = strndup(stmt, len), *sql = NULL;
	int *slots = NULL, nslots = 0, nparams = 0, r;
	int64_t t0;

	if (!neutral)
		return err_set(c->err, -ENOMEM, "out of memory");
	r = db_sql_translate(db->drv->dialect, neutral, &sql, &nparams, &slots, &nslots);
	free(neutral);
	free(slots);
	if (r < 0)
		return err_set(c->err, r, "cannot translate SQL for %s", db->drv->name);
	t0 = db_now_ns();
	r = db->drv->exec(db, sql, c->err);
	if (db->opt.debug || db->opt.slow_query_ms > 0)
		log_statement(db, sql, db_now_ns() - t0, r);
	free(sql);
	return r;
}

int db_exec(struct db *db, const char *sql, struct err *err)
{
	struct {
		struct db *db;
		struct err *err;
	} c = { db, err };
	int r = ensure_connected(db, err);

	if (r < 0)
		return r;
	return db_sql_split(sql, exec_one, &c);
}

/* ---- statements --------------------------------------------------------------------------- */

int db_prepare(struct db *db, const char *sql, struct db_stmt **ret, struct err *err)
{
	struct db_stmt *s;
	int r;

	r = ensure_connected(db, err);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(err, -ENOMEM, "out of memory");
	s->db = db;
	r = db_sql_translate(db->drv->dialect, sql, &s->sql, &s->nparams, &s->slots, &s->nslots);
	if (r < 0) {
		free(s);
		return err_set(err, r, "cannot translate SQL for %s", db->drv->name);
	}
	if (s->nparams > 0) {
		s->params = calloc((size_t)s->nparams, sizeof(*s->params));
		if (!s->params) {
			db_finalize(s);
			return err_set(err, -ENOMEM, "out of memory");
		}
	}
	r = db->drv->prepare(s, err);
	if (r < 0) {
		db_finalize(s);
		return r;
	}
	s->gen = db->gen;
	*ret = s;
	return 0;
}

static void clear_params(struct db_stmt *s)
{
	for (int i = 0; i < s->nparams; i++) {
		free(s->params[i].p);
		s->params[i] = (struct db_value){ 0 };
	}
}

void db_finalize(struct db_stmt *s)
{
	if (!s)
		return;
	if (s->started)
		stmt_log_once(s, 0);
	if (s->drv)
		s->db->drv->finalize(s);
	if (s->params)
		clear_params(s);
	free(s->params);
	free(s->slots);
	free(s->sql);
	free(s);
}

void db_reset(struct db_stmt *s)
{
	if (!s)
		return;
	if (s->started) {
		stmt_log_once(s, 0);
		s->db->drv->reset(s);
	}
	s->started = false;
	s->logged = false;
	s->elapsed_ns = 0;
	clear_params(s);
}

static struct db_value *param(struct db_stmt *s, int n)
{
	if (n < 1 || n > s->nparams)
		return NULL;
	free(s->params[n - 1].p);
	s->params[n - 1] = (struct db_value){ 0 };
	return &s->params[n - 1];
}

int db_bind_int64(struct db_stmt *s, int n, int64_t v)
{
	struct db_value *p = param(s, n);

	if (!p)
		return -ERANGE;
	p->type = DBV_INT;
	p->i = v;
	return 0;
}

int db_bind_null(struct db_stmt *s, int n)
{
	return param(s, n) ? 0 : -ERANGE;
}

int db_bind_text_take(struct db_stmt *s, int n, char *v)
{
	struct db_value *p = param(s, n);

	if (!p) {
		free(v);
		return -ERANGE;
	}
	if (!v)
		return 0;
	p->type = DBV_TEXT;
	p->p = v;
	p->len = strlen(v);
	return 0;
}

int db_bind_text(struct db_stmt *s, int n, const char *v)
{
	char *copy = NULL;

	if (v && !(copy = strdup(v)))
		return -ENOMEM;
	return db_bind_text_take(s, n, copy);
}

int db_bind_blob(struct db_stmt *s, int n, const void *data, size_t len)
{
	struct db_value *p = param(s, n);

	if (!p)
		return -ERANGE;
	p->p = malloc(len + 1);
	if (!p->p)
		return -ENOMEM;
	memcpy(p->p, data, len);
	p->p[len] = '\0';
	p->len = len;
	p->type = DBV_BLOB;
	return 0;
}

int db_step(struct db_stmt *s, struct err *err)
{
	struct db *db = s->db;
	bool first = !s->started;
	int64_t t0;
	int r;

	if (first) {
		r = ensure_connected(db, err);
		if (r < 0)
			return r;
		if (s->gen != db->gen) {
			/* prepared on a connection that is gone: prepare again on this one */
			db->drv->finalize(s);
			s->drv = NULL;
			r = db->drv->prepare(s, err);
			if (r < 0)
				return r;
			s->gen = db->gen;
		}
		s->started = true;
	} else if (db->lost) {
		return err_set(err, -ENOTCONN, "database unavailable: connection lost");
	}
	t0 = db_now_ns();
	r = db->drv->step(s, first, err);
	s->elapsed_ns += db_now_ns() - t0;
	if (r != DB_ROW)
		stmt_log_once(s, r);
	return r;
}

int db_step_done(struct db_stmt *s, struct err *err)
{
	int r;

	while ((r = db_step(s, err)) == DB_ROW)
		;
	db_reset(s);
	return r;
}

int db_column_count(struct db_stmt *s)
{
	return s->db->drv->column_count(s);
}

const char *db_column_name(struct db_stmt *s, int col)
{
	return s->db->drv->column_name(s, col);
}

enum db_type db_column_type(struct db_stmt *s, int col)
{
	return s->db->drv->column_is_null(s, col) ? DB_TYPE_NULL : s->db->drv->column_type(s, col);
}

bool db_column_is_null(struct db_stmt *s, int col)
{
	return s->db->drv->column_is_null(s, col);
}

int64_t db_column_int64(struct db_stmt *s, int col)
{
	return s->db->drv->column_int64(s, col);
}

const char *db_column_text(struct db_stmt *s, int col)
{
	return s->db->drv->column_text(s, col);
}

const void *db_column_blob(struct db_stmt *s, int col, size_t *len)
{
	return s->db->drv->column_blob(s, col, len);
}

int64_t db_changes(struct db *db)
{
	return db->changes;
}

/* ---- transactions ------------------------------------------------------------------------- */

int db_begin(struct db *db, struct err *err)
{
	int r = db_exec(db, db->drv->begin_sql, err);

	if (r == 0)
		db->in_tx = true;
	return r;
}

int db_commit(struct db *db, struct err *err)
{
	int r;

	if (db->lost) {
		db->in_tx = false;
		return err_set(err, -ENOTCONN,
			       "database unavailable: the connection was lost during the transaction");
	}
	r = db->drv->exec(db, "COMMIT", err);
	if (r < 0 && !db->lost)
		(void)db->drv->exec(db, "ROLLBACK", NULL);
	db->in_tx = false;
	return r;
}

void db_rollback(struct db *db)
{
	if (!db->lost)
		(void)db->drv->exec(db, "ROLLBACK", NULL);
	db->in_tx = false;
}

int db_savepoint(struct db *db, unsigned level, struct err *err)
{
	char sql[48];

	if (db->lost)
		return ensure_connected(db, err);
	snprintf(sql, sizeof(sql), "SAVEPOINT sp%u", level);
	return db->drv->exec(db, sql, err);
}

int db_release(struct db *db, unsigned level, struct err *err)
{
	char sql[48];

	if (db->lost)
		return ensure_connected(db, err);
	snprintf(sql, sizeof(sql), "RELEASE SAVEPOINT sp%u", level);
	return db->drv->exec(db, sql, err);
}

void db_rollback_to(struct db *db, unsigned level)
{
	char sql[80];

	if (db->lost)
		return;
	snprintf(sql, sizeof(sql), "ROLLBACK TO SAVEPOINT sp%u", level);
	if (db->drv->exec(db, sql, NULL) == 0) {
		snprintf(sql, sizeof(sql), "RELEASE SAVEPOINT sp%u", level);
		(void)db->drv->exec(db, sql, NULL);
	}
}

bool db_in_transaction(const struct db *db)
{
	return db->in_tx;
}

int db_table_exists(struct db *db, const char *name, bool *ret, struct err *err)
{
	int r = ensure_connected(db, err);

	return r < 0 ? r : db->drv->table_exists(db, name, false, ret, err);
}

int db_foreign_table_exists(struct db *db, const char *name, bool *ret, struct err *err)
{
	int r = ensure_connected(db, err);

	return r < 0 ? r : db->drv->table_exists(db, name, true, ret, err);
}

int db_foreign_table(struct db *db, const char *name, char *out, size_t size)
{
	return db->drv->foreign_table(db, name, out, size);
}

int db_create_namespace(struct db *db, struct err *err)
{
	int r = ensure_connected(db, err);

	if (r < 0 || !db->drv->create_namespace)
		return r;
	return db->drv->create_namespace(db, err);
}

bool db_deferred_paging(const struct db *db)
{
	return db->drv->dialect->deferred_paging;
}

int db_analyze(struct db *db, const char *table, struct err *err)
{
	char sql[128];

	if (!db->drv->dialect->analyze)
		return 0;
	snprintf(sql, sizeof(sql), db->drv->dialect->analyze, table);
	return db_exec(db, sql, err);
}
