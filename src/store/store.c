/* SPDX-License-Identifier: MIT */
/*
 * The store object: opening the SQLite file (directory 0700, file 0600, WAL pragmas),
 * running migrations and the secret setup, the recursive lock, nesting transactions
 * (BEGIN IMMEDIATE outermost, SAVEPOINTs inside so an inner failure undoes only its own work),
 * the prepared-statement cache and the small column/bind helpers every table file uses.
 */
#include "store/store-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/cidr.h"
#include "util/err.h"
#include "util/log.h"
#include "util/strv.h"

void store_lock(struct store *st)
{
	pthread_mutex_lock(&st->lock);
}

void store_unlock(struct store *st)
{
	pthread_mutex_unlock(&st->lock);
}

int store_sql_err(struct store *st, int rc, const char *what, struct err *err)
{
	int prim = rc & 0xff;

	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
		return err_set(err, -EEXIST, "%s: already exists", what);
	if (prim == SQLITE_CONSTRAINT)
		return err_set(err, -EINVAL, "%s: %s", what, sqlite3_errmsg(st->db));
	if (prim == SQLITE_NOMEM)
		return err_set(err, -ENOMEM, "%s: out of memory", what);
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
		return err_set(err, -EBUSY, "%s: database is busy", what);
	/* a full disk is no device error: -ENOSPC, answered 507 (api/errmap.c) */
	if (prim == SQLITE_FULL || (prim == SQLITE_IOERR && sqlite3_system_errno(st->db) == ENOSPC))
		return err_set(err, -ENOSPC, "%s: database or disk is full", what);
	return err_set(err, -EIO, "%s: %s", what, sqlite3_errmsg(st->db));
}

int store_exec(struct store *st, const char *sql, struct err *err)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return store_sql_err(st, rc, "database", err);
	return 0;
}

int store_stmt_cached(struct store *st, sqlite3_stmt **slot, const char *sql, sqlite3_stmt **ret,
		      struct err *err)
{
	int rc;

	if (*slot) {
		sqlite3_reset(*slot);
		sqlite3_clear_bindings(*slot);
		*ret = *slot;
		return 0;
	}
	rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
	if (rc != SQLITE_OK) {
		*slot = NULL;
		return store_sql_err(st, rc, "prepare", err);
	}
	*ret = *slot;
	return 0;
}

int store_stmt(struct store *st, enum store_stmt_id id, const char *sql, sqlite3_stmt **ret,
	       struct err *err)
{
	return store_stmt_cached(st, &st->stmts[id], sql, ret, err);
}

void store_stmt_done(sqlite3_stmt *s)
{
	if (!s)
		return;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

int store_step_done(struct store *st, sqlite3_stmt *s, const char *what, struct err *err)
{
	int rc = sqlite3_step(s);
	int r = 0;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store_sql_err(st, rc, what, err);
	store_stmt_done(s);
	return r;
}

int store_col_str(sqlite3_stmt *s, int col, char **field)
{
	const char *t = (const char *)sqlite3_column_text(s, col);

	return str_set(field, (t && *t) ? t : NULL);
}

int store_col_strv(sqlite3_stmt *s, int col, struct strv *field)
{
	const char *t = (const char *)sqlite3_column_text(s, col);

	return strv_split(field, t ? t : "", ",");
}

int store_col_fixed(sqlite3_stmt *s, int col, char *out, size_t size)
{
	const char *t = (const char *)sqlite3_column_text(s, col);
	size_t len = t ? strlen(t) : 0;

	if (len >= size)
		return -EIO;
	memcpy(out, t ? t : "", len);
	out[len] = '\0';
	return 0;
}

int store_bind_str(sqlite3_stmt *s, int col, const char *v)
{
	return sqlite3_bind_text(s, col, v ? v : "", -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -ENOMEM;
}

int store_bind_strv(sqlite3_stmt *s, int col, const struct strv *sv)
{
	char *j = strv_join(sv, ",");

	if (!j)
		return -ENOMEM;
	/* sqlite takes ownership of j and frees it with free(). */
	return sqlite3_bind_text(s, col, j, -1, free) == SQLITE_OK ? 0 : -ENOMEM;
}

void store_addr_part(const char *cidr, char out[static 64])
{
	struct ip_prefix p;
	char buf[CIDR_STR_MAX];
	size_t len;

	if (cidr && ip_prefix_parse(cidr, true, &p) == 0) {
		/* Canonical text so "fd00::01/128" and "fd00::1" collide as they should. */
		ip_addr_format(&p, buf);
		snprintf(out, 64, "%s", buf);
		return;
	}
	/* Unparsable (never validated) value: compare its text before the prefix. */
	len = cidr ? strcspn(cidr, "/") : 0;
	if (len > 63)
		len = 63;
	memcpy(out, cidr ? cidr : "", len);
	out[len] = '\0';
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
	for (char *p = dir + 1; ; p++) {
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

static int apply_pragmas(struct store *st, struct err *err)
{
	int r;

	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	r = store_exec(st, "PRAGMA foreign_keys=ON", err);
	if (r == 0)
		r = store_exec(st, "PRAGMA journal_mode=WAL", err);
	if (r == 0)
		r = store_exec(st, "PRAGMA synchronous=NORMAL", err);
	if (r == 0)
		r = store_exec(st, "PRAGMA busy_timeout=5000", err);
	return r;
}

int store_open(const char *path, const char *passphrase, struct store **ret, struct err *err)
{
	pthread_mutexattr_t attr;
	struct store *st;
	bool mem;
	int r, rc;

	if (!path || !*path)
		return err_field(err, -EINVAL, "database.dsn", "database path is empty");
	mem = !strcmp(path, ":memory:");
	if (!mem) {
		r = make_parent_dirs(path, err);
		if (r < 0)
			return r;
		r = prepare_file(path, err);
		if (r < 0)
			return r;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return err_set(err, -ENOMEM, "out of memory");
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&st->lock, &attr);
	pthread_mutexattr_destroy(&attr);

	/* NOMUTEX: st->lock already serialises every use of the connection. */
	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		r = err_field(err, -EIO, "database.dsn", "cannot open database '%s': %s", path,
			      st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	r = apply_pragmas(st, err);
	if (r == 0)
		r = store_addr_register(st, err);
	if (r < 0)
		goto fail;
	r = store_migrate_to(st, STORE_SCHEMA_VERSION_LATEST, err);
	if (r < 0)
		goto fail;
	r = store_secret_setup(st, passphrase, err);
	if (r < 0)
		goto fail;
	log_debug("store: opened '%s' (schema %d, secrets %s)", path, STORE_SCHEMA_VERSION_LATEST,
		  st->encrypt ? "encrypted" : "plain");
	*ret = st;
	return 0;
fail:
	store_close(st);
	return r;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < STMT__MAX; i++)
		sqlite3_finalize(st->stmts[i]);
	for (size_t i = 0; i < STORE_PEER_LIST_SLOTS; i++)
		sqlite3_finalize(st->peer_list[i]);
	sqlite3_close(st->db);
	store_secret_free(st);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

int store_schema_version(struct store *st)
{
	int v = -1;

	store_lock(st);
	if (store_read_version(st, &v, NULL) < 0)
		v = -1;
	store_unlock(st);
	return v;
}

/*
 * Transactions. The lock taken by store_begin is released by the matching commit/rollback, so
 * the outermost level holds the connection for the whole transaction. Inner levels are
 * SAVEPOINTs: a failed store_peer_insert inside a caller's transaction (say -EEXIST) undoes
 * only its own statements and the caller may still commit the rest.
 */
int store_begin(struct store *st, struct err *err)
{
	int r;

	store_lock(st);
	r = store_exec(st, st->tx_depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT store_sp", err);
	if (r < 0) {
		store_unlock(st);
		return r;
	}
	st->inner_commit_failed = false;
	st->tx_depth++;
	return 0;
}

/* A failed commit rolls its level back and closes it, so the idiom
 * "if (r == 0) r = store_commit(); if (r < 0) store_rollback();" is safe at every level. */
int store_commit(struct store *st, struct err *err)
{
	int r;

	store_lock(st);
	if (st->tx_depth == 0) {
		store_unlock(st);
		return err_set(err, -EINVAL, "store_commit without store_begin");
	}
	st->inner_commit_failed = false;
	if (st->tx_depth > 1) {
		r = store_exec(st, "RELEASE store_sp", err);
		if (r < 0) {
			(void)sqlite3_exec(st->db, "ROLLBACK TO store_sp; RELEASE store_sp", NULL,
					   NULL, NULL);
			st->inner_commit_failed = true;
		}
	} else {
		r = store_exec(st, "COMMIT", err);
		if (r < 0 && !sqlite3_get_autocommit(st->db))
			(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	}
	st->tx_depth--;
	store_unlock(st);
	store_unlock(st);
	return r;
}

void store_rollback(struct store *st)
{
	store_lock(st);
	if (st->tx_depth == 0 || st->inner_commit_failed) {
		st->inner_commit_failed = false;
		store_unlock(st);
		return;
	}
	if (st->tx_depth > 1) {
		(void)sqlite3_exec(st->db, "ROLLBACK TO store_sp; RELEASE store_sp", NULL, NULL, NULL);
	} else if (!sqlite3_get_autocommit(st->db)) {
		(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	}
	st->tx_depth--;
	store_unlock(st);
	store_unlock(st);
}
