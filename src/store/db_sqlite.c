/* SPDX-License-Identifier: MIT */
/*
 * The SQLite driver: a file (parent directories created 0700, the file 0600 before SQLite
 * touches it) or ":memory:", WAL journal, foreign keys on, a 5 s busy timeout. Neutral SQL is
 * SQLite's own, so its dialect changes nothing but the {...} DDL tokens. The file's one
 * connection never "goes away".
 */
#include "store/db-int.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"

static const struct db_dialect sqlite_dialect = {
	.placeholders = DB_PH_NUMBERED,
	.key_text = "TEXT",
	.autoinc = "INTEGER PRIMARY KEY AUTOINCREMENT",
	.rowid_column = "",   /* every table has its implicit rowid */
	.rowid_index = "",    /* and every index ends with it */
	.analyze = "ANALYZE %s",
};

static sqlite3 *conn(struct db *db)
{
	return db->conn;
}

/* Maps a SQLite result code to -errno with the engine's message in err. */
static int sq_err(struct db *db, int rc, struct err *err)
{
	int prim = rc & 0xff;
	const char *msg = db->conn ? sqlite3_errmsg(conn(db)) : sqlite3_errstr(rc);

	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
		return err_set(err, -EEXIST, "already exists");
	if (prim == SQLITE_CONSTRAINT)
		return err_set(err, -EINVAL, "%s", msg);
	if (prim == SQLITE_NOMEM)
		return err_set(err, -ENOMEM, "out of memory");
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
		return err_set(err, -EBUSY, "database is busy");
	/* a full disk is no device error: -ENOSPC, answered 507 (api/errmap.c) */
	if (prim == SQLITE_FULL ||
	    (prim == SQLITE_IOERR && db->conn && sqlite3_system_errno(conn(db)) == ENOSPC))
		return err_set(err, -ENOSPC, "database or disk is full");
	return err_set(err, -EIO, "%s", msg);
}

/* mkdir -p of path's directory part, each created component 0700. */
static int make_parent_dirs(const char *path, struct err *err)
{
	char *dir = strdup(path);
	char *slash;
	int r = 0;

	if (!dir)
		return err_set(err, -ENOMEM, "out of memory");
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		goto out;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			r = err_field(err, -errno, "database.dsn", "cannot create directory '%s': %s",
				      dir, strerror(errno));
			goto out;
		}
		*p = c;
		if (c == '\0')
			break;
	}
out:
	free(dir);
	return r;
}

/* Creates the file 0600 before SQLite does (it would use 0644 & umask), and narrows an
 * existing file to 0600. */
static int prepare_file(const char *path, struct err *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return err_field(err, -errno, "database.dsn", "cannot open database '%s': %s", path,
				 strerror(errno));
	if (fchmod(fd, 0600) < 0) {
		int e = errno;
		close(fd);
		return err_field(err, -e, "database.dsn", "cannot chmod database '%s': %s", path,
				 strerror(e));
	}
	close(fd);
	return 0;
}

static int sq_exec(struct db *db, const char *sql, struct err *err)
{
	int rc = sqlite3_exec(conn(db), sql, NULL, NULL, NULL);

	/* db_changes is about prepared statements: literal SQL (savepoints) leaves it alone */
	return rc != SQLITE_OK ? sq_err(db, rc, err) : 0;
}

static int sq_connect(struct db *db, struct err *err)
{
	const char *path = db->dsn;
	sqlite3 *h = NULL;
	int rc, r;

	if (strcmp(path, ":memory:") != 0 && !db->opt.read_only) {
		r = make_parent_dirs(path, err);
		if (r == 0)
			r = prepare_file(path, err);
		if (r < 0)
			return r;
	}
	/* NOMUTEX: the store serialises every use of the connection. A read-only source is
	 * opened as it is: no file created, its journal mode (wg-portal: rollback) untouched. */
	rc = sqlite3_open_v2(path, &h, (db->opt.read_only ? SQLITE_OPEN_READONLY
				 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		r = err_field(err, -EIO, "database.dsn", "cannot open database '%s': %s", path,
			      h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
		sqlite3_close(h);
		return r;
	}
	db->conn = h;
	sqlite3_extended_result_codes(h, 1);
	sqlite3_busy_timeout(h, 5000);
	r = sq_exec(db, "PRAGMA foreign_keys=ON", err);
	if (r == 0 && db->opt.read_only)
		r = sq_exec(db, "PRAGMA query_only=ON", err);
	else if (r == 0)
		r = sq_exec(db, "PRAGMA journal_mode=WAL", err);
	if (r == 0 && !db->opt.read_only)
		r = sq_exec(db, "PRAGMA synchronous=NORMAL", err);
	if (r < 0) {
		err_prefix(err, "database '%s'", path);
		sqlite3_close(h);
		db->conn = NULL;
	}
	return r;
}

static void sq_disconnect(struct db *db)
{
	sqlite3_close(conn(db));
	db->conn = NULL;
}

static int sq_prepare(struct db_stmt *s, struct err *err)
{
	sqlite3_stmt *h = NULL;
	int rc = sqlite3_prepare_v3(conn(s->db), s->sql, -1, SQLITE_PREPARE_PERSISTENT, &h, NULL);

	if (rc != SQLITE_OK)
		return sq_err(s->db, rc, err);
	s->drv = h;
	return 0;
}

static void sq_finalize(struct db_stmt *s)
{
	sqlite3_finalize(s->drv);
	s->drv = NULL;
}

/* The values live in s->params until db_reset, so SQLite may keep pointers to them. */
static int bind_all(struct db_stmt *s)
{
	sqlite3_stmt *h = s->drv;
	int rc = SQLITE_OK;

	for (int i = 0; i < s->nparams && rc == SQLITE_OK; i++) {
		const struct db_value *v = &s->params[i];

		switch (v->type) {
		case DBV_INT:
			rc = sqlite3_bind_int64(h, i + 1, v->i);
			break;
		case DBV_TEXT:
			rc = sqlite3_bind_text(h, i + 1, v->p, (int)v->len, SQLITE_STATIC);
			break;
		case DBV_BLOB:
			rc = sqlite3_bind_blob(h, i + 1, v->p, (int)v->len, SQLITE_STATIC);
			break;
		default:
			rc = sqlite3_bind_null(h, i + 1);
			break;
		}
	}
	return rc;
}

static int sq_step(struct db_stmt *s, bool first, struct err *err)
{
	int rc;

	if (first && (rc = bind_all(s)) != SQLITE_OK)
		return sq_err(s->db, rc, err);
	rc = sqlite3_step(s->drv);
	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE) {
		s->db->changes = sqlite3_changes(conn(s->db));
		return DB_DONE;
	}
	return sq_err(s->db, rc, err);
}

static void sq_reset(struct db_stmt *s)
{
	sqlite3_reset(s->drv);
	sqlite3_clear_bindings(s->drv);
}

static int sq_column_count(struct db_stmt *s)
{
	return sqlite3_column_count(s->drv);
}

static const char *sq_column_name(struct db_stmt *s, int col)
{
	return sqlite3_column_name(s->drv, col);
}

static enum db_type sq_column_type(struct db_stmt *s, int col)
{
	switch (sqlite3_column_type(s->drv, col)) {
	case SQLITE_INTEGER: return DB_TYPE_INT;
	case SQLITE_BLOB: return DB_TYPE_BLOB;
	case SQLITE_NULL: return DB_TYPE_NULL;
	default: return DB_TYPE_TEXT; /* text, and floats as their text */
	}
}

static bool sq_column_is_null(struct db_stmt *s, int col)
{
	return sqlite3_column_type(s->drv, col) == SQLITE_NULL;
}

static const char *sq_column_text(struct db_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(s->drv, col);
}

static int64_t sq_column_int64(struct db_stmt *s, int col)
{
	return sqlite3_column_int64(s->drv, col);
}

static const void *sq_column_blob(struct db_stmt *s, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(s->drv, col);

	*len = (size_t)sqlite3_column_bytes(s->drv, col);
	return p;
}

static int sq_table_exists(struct db *db, const char *name, bool foreign, bool *ret,
			   struct err *err)
{
	sqlite3_stmt *h = NULL;
	int rc;

	/* one file, one namespace: foreign tables are in a file of their own */
	(void)foreign;
	rc = sqlite3_prepare_v2(conn(db),
				"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
				-1, &h, NULL);
	if (rc != SQLITE_OK)
		return sq_err(db, rc, err);
	sqlite3_bind_text(h, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(h);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int(h, 0) > 0;
	sqlite3_finalize(h);
	return rc == SQLITE_ROW ? 0 : sq_err(db, rc, err);
}

static int sq_foreign_table(struct db *db, const char *name, char *out, size_t size)
{
	int n = snprintf(out, size, "\"%s\"", name);

	(void)db;
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

const struct db_driver db_driver_sqlite = {
	.name = "sqlite",
	.dialect = &sqlite_dialect,
	.connect = sq_connect,
	.disconnect = sq_disconnect,
	.exec = sq_exec,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.step = sq_step,
	.reset = sq_reset,
	.column_count = sq_column_count,
	.column_name = sq_column_name,
	.column_type = sq_column_type,
	.column_is_null = sq_column_is_null,
	.column_text = sq_column_text,
	.column_int64 = sq_column_int64,
	.column_blob = sq_column_blob,
	.begin_sql = "BEGIN IMMEDIATE",
	.table_exists = sq_table_exists,
	.foreign_table = sq_foreign_table,
};
