/* SPDX-License-Identifier: MIT */
/*
 * The MySQL/MariaDB driver (libmariadb, prepared statements). A MySQL database is one
 * namespace, shared here with wg-portal's tables of the same names, so our tables carry the
 * prefix "wgp_" (the dialect renames them). The session runs in ANSI_QUOTES and
 * NO_BACKSLASH_ESCAPES mode (neutral SQL quotes identifiers with " and escapes LIKE with \),
 * strict, utf8mb4 with binary (case-sensitive) collation like SQLite's. CLIENT_FOUND_ROWS makes
 * "changes" count matched rows, as the other engines do. Results are buffered client-side,
 * every column read as text (blobs as their bytes).
 */
#include "store/db-int.h"

#include <errno.h>
#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db_dsn.h"
#include "util/err.h"

#define TABLE_PREFIX "wgp_"
#define SESSION_SQL_MODE \
	"SET SESSION sql_mode = 'ANSI_QUOTES,PIPES_AS_CONCAT,NO_BACKSLASH_ESCAPES," \
	"STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'"

static const struct db_dialect mysql_dialect = {
	.placeholders = DB_PH_POSITIONAL,
	.nocase_lower = true,
	.index_nocase_prefix = true,
	.upsert_on_duplicate_key = true,
	.integer = "BIGINT",
	.blob = "VARBINARY(255)",
	.key_text = "VARCHAR(255)",
	.autoinc = "BIGINT AUTO_INCREMENT PRIMARY KEY",
	.rowid_column = ",\n  rowid BIGINT NOT NULL AUTO_INCREMENT UNIQUE",
	.rowid_index = ", rowid",
	.create_table_suffix = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
	.table_prefix = TABLE_PREFIX,
	.quote_reserved = true,
	.analyze = "ANALYZE TABLE %s",
	.deferred_paging = true,
	.default_text_parens = true,
};

struct my_col {
	char *buf;
	unsigned long cap, len;
	my_bool is_null, error;
};

struct my_stmt {
	MYSQL_STMT *h;
	char **names;        /* [ncols] */
	enum db_type *types; /* [ncols] */
	MYSQL_BIND *pbind;   /* [nslots] */
	MYSQL_BIND *rbind;   /* [ncols] */
	struct my_col *cols; /* [ncols] */
	unsigned ncols;
	bool has_result;
};

static MYSQL *myc(struct db *db)
{
	return db->conn;
}

static bool is_conn_error(unsigned e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_CONNECTION_ERROR ||
	       e == CR_CONN_HOST_ERROR || e == CR_SERVER_LOST_EXTENDED ||
	       e == ER_SERVER_SHUTDOWN || e == ER_CONNECTION_KILLED || e == 4031 /* idle kill */;
}

static int my_err(struct db *db, unsigned e, const char *msg, struct err *err)
{
	if (is_conn_error(e))
		return db_lost(db, err, "%s", msg);
	switch (e) {
	case ER_DUP_ENTRY:
		return err_set(err, -EEXIST, "already exists");
	case ER_BAD_NULL_ERROR:
	case ER_DATA_TOO_LONG:
	case ER_ROW_IS_REFERENCED_2:
	case ER_NO_REFERENCED_ROW_2:
		return err_set(err, -EINVAL, "%s", msg);
	case ER_LOCK_WAIT_TIMEOUT:
	case ER_LOCK_DEADLOCK:
		return err_set(err, -EBUSY, "database is busy: %s", msg);
	case CR_OUT_OF_MEMORY:
		return err_set(err, -ENOMEM, "out of memory");
	default:
		return err_set(err, -EIO, "%s", msg);
	}
}

static int conn_err(struct db *db, struct err *err)
{
	return my_err(db, mysql_errno(myc(db)), mysql_error(myc(db)), err);
}

static int stmt_err(struct db_stmt *s, struct err *err)
{
	struct my_stmt *ms = s->drv;

	return my_err(s->db, mysql_stmt_errno(ms->h), mysql_stmt_error(ms->h), err);
}

static int my_run(struct db *db, const char *sql, struct err *err)
{
	MYSQL_RES *res;

	if (mysql_real_query(myc(db), sql, strlen(sql)) != 0)
		return conn_err(db, err);
	/* db_changes is about prepared statements: literal SQL (savepoints) leaves it alone */
	res = mysql_store_result(myc(db));
	if (res)
		mysql_free_result(res);
	else if (mysql_field_count(myc(db)) != 0)
		return conn_err(db, err);
	return 0;
}

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void library_init(void)
{
	mysql_library_init(0, NULL, NULL);
}

static unsigned secs(int64_t ms, unsigned dflt)
{
	return ms > 0 ? (unsigned)((ms + 999) / 1000) : dflt;
}

static int my_connect(struct db *db, struct err *err)
{
	struct db_mysql_dsn d;
	unsigned int proto, to_connect, to_read, to_write;
	my_bool on = 1, off = 0;
	MYSQL *m;
	int r;

	r = db_mysql_dsn_parse(db->dsn, &d, err);
	if (r < 0)
		return r;
	pthread_once(&library_once, library_init);
	m = mysql_init(NULL);
	if (!m) {
		db_mysql_dsn_release(&d);
		return err_set(err, -ENOMEM, "out of memory");
	}
	/* fail fast while the server is down; a hung server fails a query after read_timeout */
	to_connect = secs(d.timeout_ms, 5);
	to_read = secs(d.read_timeout_ms, 30);
	to_write = secs(d.write_timeout_ms, 30);
	proto = d.socket ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
	mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &to_connect);
	mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &to_read);
	mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &to_write);
	mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &proto);
	mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_optionsv(m, MYSQL_OPT_RECONNECT, &off); /* reconnects are ours (db.c) */
	if (d.tls != DB_MYSQL_TLS_OFF && d.tls != DB_MYSQL_TLS_PREFERRED)
		mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
	mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
		       d.tls == DB_MYSQL_TLS_VERIFY ? &on : &off);
	if (!mysql_real_connect(m, d.host, d.user, d.password, d.dbname, d.port, d.socket,
				CLIENT_FOUND_ROWS)) {
		r = err_field(err, -ENOTCONN, "database.dsn", "cannot connect to MySQL: %s",
			      mysql_error(m));
		mysql_close(m);
		db_mysql_dsn_release(&d);
		return r;
	}
	db_mysql_dsn_release(&d);
	db->conn = m;
	r = my_run(db, SESSION_SQL_MODE, err);
	if (r == 0 && db->opt.read_only)
		r = my_run(db, "SET SESSION TRANSACTION READ ONLY", err);
	if (r < 0) {
		mysql_close(m);
		db->conn = NULL;
	}
	return r;
}

static void my_disconnect(struct db *db)
{
	if (db->conn)
		mysql_close(db->conn);
	db->conn = NULL;
}

static int my_exec(struct db *db, const char *sql, struct err *err)
{
	return my_run(db, sql, err);
}

static void my_finalize(struct db_stmt *s)
{
	struct my_stmt *ms = s->drv;

	if (!ms)
		return;
	/* after mysql_close of its connection the handle is only freed (no server contact) */
	if (ms->h)
		mysql_stmt_close(ms->h);
	for (unsigned i = 0; ms->cols && i < ms->ncols; i++)
		free(ms->cols[i].buf);
	for (unsigned i = 0; ms->names && i < ms->ncols; i++)
		free(ms->names[i]);
	free(ms->names);
	free(ms->types);
	free(ms->cols);
	free(ms->rbind);
	free(ms->pbind);
	free(ms);
	s->drv = NULL;
}

static enum db_type column_kind(const MYSQL_FIELD *f)
{
	switch (f->type) {
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_BIT:
		return DB_TYPE_INT;
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_BLOB:
	case MYSQL_TYPE_STRING:
	case MYSQL_TYPE_VAR_STRING:
		/* charset 63 = binary: VARBINARY/BLOB; otherwise text */
		return f->charsetnr == 63 ? DB_TYPE_BLOB : DB_TYPE_TEXT;
	default:
		return DB_TYPE_TEXT;
	}
}

static int my_prepare(struct db_stmt *s, struct err *err)
{
	struct my_stmt *ms = calloc(1, sizeof(*ms));
	my_bool on = 1;
	MYSQL_RES *meta;

	if (!ms)
		return err_set(err, -ENOMEM, "out of memory");
	s->drv = ms;
	ms->h = mysql_stmt_init(myc(s->db));
	ms->pbind = calloc((size_t)s->nslots + 1, sizeof(*ms->pbind));
	if (!ms->h || !ms->pbind) {
		my_finalize(s);
		return err_set(err, -ENOMEM, "out of memory");
	}
	if (mysql_stmt_prepare(ms->h, s->sql, strlen(s->sql)) != 0) {
		int r = stmt_err(s, err);
		my_finalize(s);
		return r;
	}
	mysql_stmt_attr_set(ms->h, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
	meta = mysql_stmt_result_metadata(ms->h);
	if (meta) {
		MYSQL_FIELD *f = mysql_fetch_fields(meta);
		bool oom = false;

		ms->ncols = mysql_num_fields(meta);
		ms->rbind = calloc(ms->ncols + 1, sizeof(*ms->rbind));
		ms->cols = calloc(ms->ncols + 1, sizeof(*ms->cols));
		ms->names = calloc(ms->ncols + 1, sizeof(*ms->names));
		ms->types = calloc(ms->ncols + 1, sizeof(*ms->types));
		oom = !ms->rbind || !ms->cols || !ms->names || !ms->types;
		for (unsigned i = 0; !oom && i < ms->ncols; i++) {
			ms->names[i] = strdup(f[i].name);
			oom = !ms->names[i];
			ms->types[i] = column_kind(&f[i]);
		}
		mysql_free_result(meta);
		if (oom) {
			my_finalize(s);
			return err_set(err, -ENOMEM, "out of memory");
		}
	}
	return 0;
}

static void bind_params(struct db_stmt *s, struct my_stmt *ms)
{
	for (int i = 0; i < s->nslots; i++) {
		struct db_value *v = &s->params[s->slots[i] - 1];
		MYSQL_BIND *b = &ms->pbind[i];

		memset(b, 0, sizeof(*b));
		switch (v->type) {
		case DBV_INT:
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &v->i;
			break;
		case DBV_TEXT:
			b->buffer_type = MYSQL_TYPE_STRING;
			b->buffer = v->p;
			b->buffer_length = v->len;
			break;
		case DBV_BLOB:
			b->buffer_type = MYSQL_TYPE_BLOB;
			b->buffer = v->p;
			b->buffer_length = v->len;
			break;
		default:
			b->buffer_type = MYSQL_TYPE_NULL;
			break;
		}
	}
}

/* Result buffers sized from the longest value of each column (max_length after
 * mysql_stmt_store_result); a value that still does not fit is fetched again per column. */
static int bind_results(struct db_stmt *s, struct my_stmt *ms, struct err *err)
{
	MYSQL_RES *meta = mysql_stmt_result_metadata(ms->h);
	MYSQL_FIELD *f = meta ? mysql_fetch_fields(meta) : NULL;

	for (unsigned i = 0; i < ms->ncols; i++) {
		struct my_col *c = &ms->cols[i];
		unsigned long want = (f ? f[i].max_length : 0) + 32;

		if (want > c->cap) {
			char *nb = realloc(c->buf, want + 1);
			if (!nb) {
				if (meta)
					mysql_free_result(meta);
				return err_set(err, -ENOMEM, "out of memory");
			}
			c->buf = nb;
			c->cap = want;
		}
		memset(&ms->rbind[i], 0, sizeof(ms->rbind[i]));
		ms->rbind[i].buffer_type = MYSQL_TYPE_STRING;
		ms->rbind[i].buffer = c->buf;
		ms->rbind[i].buffer_length = c->cap;
		ms->rbind[i].length = &c->len;
		ms->rbind[i].is_null = &c->is_null;
		ms->rbind[i].error = &c->error;
	}
	if (meta)
		mysql_free_result(meta);
	if (mysql_stmt_bind_result(ms->h, ms->rbind) != 0)
		return stmt_err(s, err);
	return 0;
}

static int fetch_truncated(struct db_stmt *s, struct my_stmt *ms, struct err *err)
{
	for (unsigned i = 0; i < ms->ncols; i++) {
		struct my_col *c = &ms->cols[i];

		if (c->is_null || c->len <= c->cap)
			continue;
		char *nb = realloc(c->buf, c->len + 1);
		if (!nb)
			return err_set(err, -ENOMEM, "out of memory");
		c->buf = nb;
		c->cap = c->len;
		ms->rbind[i].buffer = c->buf;
		ms->rbind[i].buffer_length = c->cap;
		if (mysql_stmt_fetch_column(ms->h, &ms->rbind[i], i, 0) != 0)
			return stmt_err(s, err);
	}
	/* later rows use the grown buffers */
	return mysql_stmt_bind_result(ms->h, ms->rbind) ? stmt_err(s, err) : 0;
}

static int my_step(struct db_stmt *s, bool first, struct err *err)
{
	struct my_stmt *ms = s->drv;
	int rc, r;

	if (first) {
		bind_params(s, ms);
		if ((s->nslots && mysql_stmt_bind_param(ms->h, ms->pbind) != 0) ||
		    mysql_stmt_execute(ms->h) != 0)
			return stmt_err(s, err);
		if (ms->ncols == 0) {
			s->db->changes = (int64_t)mysql_stmt_affected_rows(ms->h);
			return DB_DONE;
		}
		if (mysql_stmt_store_result(ms->h) != 0)
			return stmt_err(s, err);
		ms->has_result = true;
		r = bind_results(s, ms, err);
		if (r < 0)
			return r;
	}
	if (!ms->has_result)
		return DB_DONE;
	rc = mysql_stmt_fetch(ms->h);
	if (rc == MYSQL_NO_DATA)
		return DB_DONE;
	if (rc == MYSQL_DATA_TRUNCATED) {
		r = fetch_truncated(s, ms, err);
		if (r < 0)
			return r;
	} else if (rc != 0) {
		return stmt_err(s, err);
	}
	for (unsigned i = 0; i < ms->ncols; i++)
		if (!ms->cols[i].is_null)
			ms->cols[i].buf[ms->cols[i].len] = '\0';
	return DB_ROW;
}

static void my_reset(struct db_stmt *s)
{
	struct my_stmt *ms = s->drv;

	if (ms && ms->has_result) {
		mysql_stmt_free_result(ms->h);
		ms->has_result = false;
	}
}

static int my_column_count(struct db_stmt *s)
{
	struct my_stmt *ms = s->drv;

	return ms ? (int)ms->ncols : 0;
}

static const char *my_column_name(struct db_stmt *s, int col)
{
	struct my_stmt *ms = s->drv;

	return ms && col >= 0 && (unsigned)col < ms->ncols ? ms->names[col] : NULL;
}

static enum db_type my_column_type(struct db_stmt *s, int col)
{
	struct my_stmt *ms = s->drv;

	return ms && col >= 0 && (unsigned)col < ms->ncols ? ms->types[col] : DB_TYPE_NULL;
}

static bool my_column_is_null(struct db_stmt *s, int col)
{
	struct my_stmt *ms = s->drv;

	return !ms || !ms->has_result || col < 0 || (unsigned)col >= ms->ncols ||
	       ms->cols[col].is_null;
}

static const char *my_column_text(struct db_stmt *s, int col)
{
	struct my_stmt *ms = s->drv;

	return my_column_is_null(s, col) ? NULL : ms->cols[col].buf;
}

static int64_t my_column_int64(struct db_stmt *s, int col)
{
	const char *t = my_column_text(s, col);

	return t ? strtoll(t, NULL, 10) : 0;
}

static const void *my_column_blob(struct db_stmt *s, int col, size_t *len)
{
	struct my_stmt *ms = s->drv;

	if (my_column_is_null(s, col)) {
		*len = 0;
		return NULL;
	}
	*len = ms->cols[col].len;
	return ms->cols[col].buf;
}

static int my_table_exists(struct db *db, const char *name, bool foreign, bool *ret,
			   struct err *err)
{
	char sql[256], esc[2 * 64 + 1];
	MYSQL_RES *res;
	MYSQL_ROW row;

	if (strlen(name) > 64)
		return err_set(err, -EINVAL, "table name too long");
	mysql_real_escape_string(myc(db), esc, name, (unsigned long)strlen(name));
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
		 "AND table_name = '%s%s'", foreign ? "" : TABLE_PREFIX, esc);
	if (mysql_real_query(myc(db), sql, strlen(sql)) != 0)
		return conn_err(db, err);
	res = mysql_store_result(myc(db));
	if (!res)
		return conn_err(db, err);
	row = mysql_fetch_row(res);
	*ret = row && row[0] && strcmp(row[0], "0") != 0;
	mysql_free_result(res);
	return 0;
}

static int my_foreign_table(struct db *db, const char *name, char *out, size_t size)
{
	size_t o = 0;

	(void)db;
	if (size < 3)
		return -ENAMETOOLONG;
	out[o++] = '"';
	for (const char *c = name; *c; c++) {
		if (o + 3 >= size)
			return -ENAMETOOLONG;
		if (*c == '"')
			out[o++] = '"';
		out[o++] = *c;
	}
	out[o++] = '"';
	out[o] = '\0';
	return 0;
}

const struct db_driver db_driver_mysql = {
	.name = "mysql",
	.dialect = &mysql_dialect,
	.connect = my_connect,
	.disconnect = my_disconnect,
	.exec = my_exec,
	.prepare = my_prepare,
	.finalize = my_finalize,
	.step = my_step,
	.reset = my_reset,
	.column_count = my_column_count,
	.column_name = my_column_name,
	.column_type = my_column_type,
	.column_is_null = my_column_is_null,
	.column_text = my_column_text,
	.column_int64 = my_column_int64,
	.column_blob = my_column_blob,
	.begin_sql = "START TRANSACTION",
	.table_exists = my_table_exists,
	.foreign_table = my_foreign_table,
};
