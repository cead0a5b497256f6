/* SPDX-License-Identifier: MIT */
/*
 * The store object: opening the database through the db layer, running migrations and the
 * secret setup, the recursive lock, nesting transactions (a transaction outermost, savepoints
 * inside so an inner failure undoes only its own work), the prepared-statement cache and the
 * small column/bind helpers every table file uses.
 */
#include "store/store-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int store_single_begin(struct store *st, struct err *err)
{
	int r;

	store_lock(st);
	if (st->tx_depth == 0)
		return 0;
	r = store_begin(st, err);
	if (r < 0)
		store_unlock(st);
	return r;
}

int store_single_end(struct store *st, int r, struct err *err)
{
	/* depth > 0 here means store_single_begin opened a level (it was > 0 then) */
	if (st->tx_depth > 0) {
		if (r == 0)
			r = store_commit(st, err);
		else
			store_rollback(st);
	}
	store_unlock(st);
	return r;
}

int store_db_err(int r, const char *what, struct err *err)
{
	if (err && err->code == r)
		err_prefix(err, "%s", what);
	else
		err_set(err, r, "%s: database error", what);
	return r;
}

int store_exec(struct store *st, const char *sql, struct err *err)
{
	int r = db_exec(st->db, sql, err);

	return r < 0 ? store_db_err(r, "database", err) : 0;
}

int store_stmt_cached(struct store *st, struct db_stmt **slot, const char *sql,
		      struct db_stmt **ret, struct err *err)
{
	int r;

	if (*slot) {
		db_reset(*slot);
		*ret = *slot;
		return 0;
	}
	r = db_prepare(st->db, sql, slot, err);
	if (r < 0) {
		*slot = NULL;
		return store_db_err(r, "prepare", err);
	}
	*ret = *slot;
	return 0;
}

int store_stmt(struct store *st, enum store_stmt_id id, const char *sql, struct db_stmt **ret,
	       struct err *err)
{
	return store_stmt_cached(st, &st->stmts[id], sql, ret, err);
}

void store_stmt_done(struct db_stmt *s)
{
	db_reset(s);
}

int store_step_done(struct store *st, struct db_stmt *s, const char *what, struct err *err)
{
	int r = db_step_done(s, err);

	(void)st;
	return r < 0 ? store_db_err(r, what, err) : 0;
}

int store_col_str(struct db_stmt *s, int col, char **field)
{
	const char *t = db_column_text(s, col);

	return str_set(field, (t && *t) ? t : NULL);
}

int store_col_strv(struct db_stmt *s, int col, struct strv *field)
{
	const char *t = db_column_text(s, col);

	return strv_split(field, t ? t : "", ",");
}

int store_col_fixed(struct db_stmt *s, int col, char *out, size_t size)
{
	const char *t = db_column_text(s, col);
	size_t len = t ? strlen(t) : 0;

	if (len >= size)
		return -EIO;
	memcpy(out, t ? t : "", len);
	out[len] = '\0';
	return 0;
}

int store_bind_str(struct db_stmt *s, int col, const char *v)
{
	return db_bind_text(s, col, v ? v : "");
}

int store_bind_strv(struct db_stmt *s, int col, const struct strv *sv)
{
	char *j = strv_join(sv, ",");

	if (!j)
		return -ENOMEM;
	return db_bind_text_take(s, col, j);
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

int store_open_opts(const struct store_open_opts *o, struct store **ret, struct err *err)
{
	pthread_mutexattr_t attr;
	struct store *st;
	int r;

	st = calloc(1, sizeof(*st));
	if (!st)
		return err_set(err, -ENOMEM, "out of memory");
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&st->lock, &attr);
	pthread_mutexattr_destroy(&attr);

	r = db_open(o->engine, o->dsn, &o->db, &st->db, err);
	if (r < 0)
		goto fail;
	r = store_migrate_to(st, o->migrate_to ? o->migrate_to : STORE_SCHEMA_VERSION_LATEST, err);
	if (r < 0)
		goto fail;
	if (!o->skip_secret_setup) {
		r = store_secret_setup(st, o->passphrase, err);
		if (r < 0)
			goto fail;
	}
	log_debug("store: opened %s database (schema %d, secrets %s)", db_engine_name(o->engine),
		  STORE_SCHEMA_VERSION_LATEST, st->encrypt ? "encrypted" : "plain");
	*ret = st;
	return 0;
fail:
	store_close(st);
	return r;
}

int store_open(const char *path, const char *passphrase, struct store **ret, struct err *err)
{
	struct store_open_opts o = { .engine = DB_SQLITE, .dsn = path, .passphrase = passphrase };

	if (!path || !*path)
		return err_field(err, -EINVAL, "database.dsn", "database path is empty");
	return store_open_opts(&o, ret, err);
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < STMT__MAX; i++)
		db_finalize(st->stmts[i]);
	for (size_t i = 0; i < STORE_PEER_LIST_SLOTS; i++)
		db_finalize(st->peer_list[i]);
	db_close(st->db);
	store_secret_free(st);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

void store_set_op_timeout(struct store *st, int ms)
{
	store_lock(st);
	db_set_op_timeout(st->db, ms);
	store_unlock(st);
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
 * savepoints (named by level): a failed store_peer_insert inside a caller's transaction (say
 * -EEXIST) undoes only its own statements and the caller may still commit the rest. This is
 * also what keeps a PostgreSQL transaction usable after a failed statement.
 */
int store_begin(struct store *st, struct err *err)
{
	int r;

	store_lock(st);
	r = st->tx_depth == 0 ? db_begin(st->db, err) : db_savepoint(st->db, st->tx_depth, err);
	if (r < 0) {
		store_unlock(st);
		return store_db_err(r, "begin transaction", err);
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
		r = db_release(st->db, st->tx_depth - 1, err);
		if (r < 0) {
			db_rollback_to(st->db, st->tx_depth - 1);
			st->inner_commit_failed = true;
		}
	} else {
		r = db_commit(st->db, err);
	}
	if (r < 0)
		store_db_err(r, "commit", err);
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
	if (st->tx_depth > 1)
		db_rollback_to(st->db, st->tx_depth - 1);
	else
		db_rollback(st->db);
	st->tx_depth--;
	store_unlock(st);
	store_unlock(st);
}
