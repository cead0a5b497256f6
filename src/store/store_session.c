/* SPDX-License-Identifier: MIT */
/*
 * UI sessions (migration 3) and the paged audit-log query behind GET /audit/all.
 * A session row holds the hash of the session id, never the id (auth/session.c hashes it), the
 * per-session CSRF token and two timestamps for the idle and absolute expiry. Statements here
 * are prepared per call (sessions and the audit page are not hot enough to need the cache, and
 * this keeps the shared statement table of store-int.h untouched).
 */
#include "store/store-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#define AUDIT_FILTER_MAX 256

/* Prepares sql, or fills err. The caller holds the store lock. */
static int prep(struct store *st, const char *sql, struct db_stmt **ret, const char *what,
		struct err *err)
{
	int r = db_prepare(st->db, sql, ret, err);

	if (r < 0) {
		*ret = NULL;
		return store_db_err(r, what, err);
	}
	return 0;
}

/* Runs a prepared write to completion and finalizes it. */
static int run_done(struct store *st, struct db_stmt *s, const char *what, struct err *err)
{
	int r = db_step_done(s, err);

	(void)st;
	db_finalize(s);
	return r < 0 ? store_db_err(r, what, err) : 0;
}

int store_session_insert(struct store *st, const char *id_hash, const char *user_id,
			 const char *csrf_token, int64_t now, struct err *err)
{
	struct db_stmt *s;
	int r;

	if (!id_hash || !*id_hash || !user_id || !*user_id || !csrf_token || !*csrf_token)
		return err_set(err, -EINVAL, "insert session: missing field");
	store_lock(st);
	r = prep(st,
		 "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) "
		 "VALUES (?1, ?2, ?3, ?4, ?4)", &s, "insert session", err);
	if (r == 0) {
		db_bind_text(s, 1, id_hash);
		db_bind_text(s, 2, user_id);
		db_bind_text(s, 3, csrf_token);
		db_bind_int64(s, 4, (int64_t)now);
		r = run_done(st, s, "insert session", err);
	}
	store_unlock(st);
	return r;
}

int store_session_get(struct store *st, const char *id_hash, struct store_session *ret,
		      struct err *err)
{
	struct store_session out = { 0 };
	struct db_stmt *s;
	int r, rc;

	store_lock(st);
	r = prep(st,
		 "SELECT user_id, csrf_token, created_at, last_seen_at FROM sessions "
		 "WHERE id_hash = ?1", &s, "read session", err);
	if (r < 0)
		goto out;
	db_bind_text(s, 1, id_hash ? id_hash : "");
	rc = db_step(s, err);
	if (rc == DB_ROW) {
		if (store_col_str(s, 0, &out.user_id) < 0 || store_col_str(s, 1, &out.csrf_token) < 0)
			r = err_set(err, -ENOMEM, "read session: out of memory");
		else if (!out.user_id || !out.csrf_token)
			r = err_set(err, -EIO, "read session: corrupt row");
		out.created_at = db_column_int64(s, 2);
		out.last_seen_at = db_column_int64(s, 3);
	} else if (rc == DB_DONE) {
		r = err_set(err, -ENOENT, "session not found");
	} else {
		r = store_db_err(rc, "read session", err);
	}
	db_finalize(s);
	if (r < 0)
		store_session_release(&out);
	else
		*ret = out;
out:
	store_unlock(st);
	return r;
}

void store_session_release(struct store_session *s)
{
	if (!s)
		return;
	free(s->user_id);
	if (s->csrf_token) {
		explicit_bzero(s->csrf_token, strlen(s->csrf_token));
		free(s->csrf_token);
	}
	memset(s, 0, sizeof(*s));
}

int store_session_touch(struct store *st, const char *id_hash, int64_t now, struct err *err)
{
	struct db_stmt *s;
	int r;

	store_lock(st);
	r = prep(st, "UPDATE sessions SET last_seen_at = ?2 WHERE id_hash = ?1", &s,
		 "touch session", err);
	if (r == 0) {
		db_bind_text(s, 1, id_hash ? id_hash : "");
		db_bind_int64(s, 2, (int64_t)now);
		r = run_done(st, s, "touch session", err);
	}
	store_unlock(st);
	return r;
}

int store_session_delete(struct store *st, const char *id_hash, struct err *err)
{
	struct db_stmt *s;
	int r;

	store_lock(st);
	r = prep(st, "DELETE FROM sessions WHERE id_hash = ?1", &s, "delete session", err);
	if (r == 0) {
		db_bind_text(s, 1, id_hash ? id_hash : "");
		r = run_done(st, s, "delete session", err);
	}
	store_unlock(st);
	return r;
}

int store_session_purge(struct store *st, int64_t idle_before, int64_t created_before,
			struct err *err)
{
	struct db_stmt *s;
	int r;

	store_lock(st);
	r = prep(st, "DELETE FROM sessions WHERE last_seen_at < ?1 OR created_at < ?2", &s,
		 "purge sessions", err);
	if (r == 0) {
		db_bind_int64(s, 1, (int64_t)idle_before);
		db_bind_int64(s, 2, (int64_t)created_before);
		r = run_done(st, s, "purge sessions", err);
	}
	store_unlock(st);
	return r;
}

/* Two steps instead of DELETE ... NOT IN (SELECT ... LIMIT): MySQL accepts neither LIMIT in
 * such a subquery nor a subquery on the table it deletes from. The first session to go is the
 * keep-th (0-based) newest; it and every older one are deleted. */
int store_session_trim_user(struct store *st, const char *user_id, size_t keep, struct err *err)
{
	struct db_stmt *s;
	int64_t created = 0, rowid = 0;
	int r, rc;

	store_lock(st);
	r = prep(st,
		 "SELECT created_at, rowid FROM sessions WHERE user_id = ?1 "
		 "ORDER BY created_at DESC, rowid DESC LIMIT 1 OFFSET ?2", &s, "trim sessions", err);
	if (r < 0)
		goto out;
	db_bind_text(s, 1, user_id ? user_id : "");
	db_bind_int64(s, 2, (int64_t)(keep > INT64_MAX ? INT64_MAX : keep));
	rc = db_step(s, err);
	if (rc == DB_ROW) {
		created = db_column_int64(s, 0);
		rowid = db_column_int64(s, 1);
	}
	db_finalize(s);
	if (rc < 0)
		r = store_db_err(rc, "trim sessions", err);
	if (rc != DB_ROW)
		goto out; /* no more than keep sessions, or an error */
	r = prep(st,
		 "DELETE FROM sessions WHERE user_id = ?1 AND "
		 "(created_at < ?2 OR (created_at = ?2 AND rowid <= ?3))", &s, "trim sessions",
		 err);
	if (r == 0) {
		db_bind_text(s, 1, user_id ? user_id : "");
		db_bind_int64(s, 2, created);
		db_bind_int64(s, 3, rowid);
		r = run_done(st, s, "trim sessions", err);
	}
out:
	store_unlock(st);
	return r;
}

int store_session_delete_user(struct store *st, const char *user_id, const char *keep_hash,
			      struct err *err)
{
	struct db_stmt *s;
	int r;

	store_lock(st);
	r = prep(st, "DELETE FROM sessions WHERE user_id = ?1 AND id_hash <> ?2", &s,
		 "end sessions", err);
	if (r == 0) {
		db_bind_text(s, 1, user_id ? user_id : "");
		db_bind_text(s, 2, keep_hash ? keep_hash : "");
		r = run_done(st, s, "end sessions", err);
	}
	store_unlock(st);
	return r;
}

int store_session_count(struct store *st, size_t *ret, struct err *err)
{
	struct db_stmt *s;
	int r, rc;

	store_lock(st);
	r = prep(st, "SELECT count(*) FROM sessions", &s, "count sessions", err);
	if (r == 0) {
		rc = db_step(s, err);
		if (rc == DB_ROW)
			*ret = (size_t)db_column_int64(s, 0);
		else
			r = store_db_err(rc, "count sessions", err);
		db_finalize(s);
	}
	store_unlock(st);
	return r;
}

/* ---- audit page ------------------------------------------------------------------------- */

/* "%<filter with % _ \ escaped>%", heap. */
static char *audit_like(const char *filter)
{
	size_t len = strlen(filter);
	char *p = malloc(len * 2 + 3), *o = p;

	if (!p)
		return NULL;
	*o++ = '%';
	for (const char *i = filter; *i; i++) {
		if (*i == '%' || *i == '_' || *i == '\\')
			*o++ = '\\';
		*o++ = *i;
	}
	*o++ = '%';
	*o = '\0';
	return p;
}

/* lower() on both sides: LIKE is case-insensitive in SQLite only. Without a filter ?1 is "%"
 * (the columns are NOT NULL); "?1 IS NULL OR ..." would leave PostgreSQL unable to type ?1. */
#define AUDIT_WHERE                                                                            \
	" WHERE (lower(user) LIKE lower(?1) ESCAPE '\\' OR "                                     \
	"lower(severity) LIKE lower(?1) ESCAPE '\\' OR lower(origin) LIKE lower(?1) ESCAPE '\\' " \
	"OR lower(message) LIKE lower(?1) ESCAPE '\\')"

void store_audit_list_free(struct store_audit_entry *list, size_t n)
{
	if (!list)
		return;
	for (size_t i = 0; i < n; i++) {
		free(list[i].user);
		free(list[i].severity);
		free(list[i].origin);
		free(list[i].message);
	}
	free(list);
}

int store_audit_list(struct store *st, const struct store_query *q, struct store_audit_entry **ret,
		     size_t *n, size_t *total, struct err *err)
{
	const char *filter = q && q->filter && *q->filter ? q->filter : NULL;
	struct store_audit_entry *list = NULL;
	size_t cnt = 0, cap = 0, tot = 0;
	struct db_stmt *s = NULL;
	char *pattern = NULL;
	int r = 0, rc;

	if (filter && strlen(filter) > AUDIT_FILTER_MAX)
		return err_field(err, -EINVAL, "filter", "filter longer than %d characters",
				 AUDIT_FILTER_MAX);
	if (filter && !(pattern = audit_like(filter)))
		return err_set(err, -ENOMEM, "out of memory");
	store_lock(st);
	r = prep(st, "SELECT count(*) FROM audit_entries" AUDIT_WHERE, &s, "count audit entries",
		 err);
	if (r < 0)
		goto out;
	db_bind_text(s, 1, pattern ? pattern : "%");
	rc = db_step(s, err);
	if (rc == DB_ROW)
		tot = (size_t)db_column_int64(s, 0);
	else
		r = store_db_err(rc, "count audit entries", err);
	db_finalize(s);
	s = NULL;
	if (r < 0)
		goto out;

	r = prep(st,
		 "SELECT id, created_at, user, severity, origin, message FROM audit_entries"
		 AUDIT_WHERE " ORDER BY id DESC LIMIT ?2 OFFSET ?3", &s, "list audit entries", err);
	if (r < 0)
		goto out;
	db_bind_text(s, 1, pattern ? pattern : "%");
	db_bind_int64(s, 2, q && q->limit ? (int64_t)q->limit : INT64_MAX);
	db_bind_int64(s, 3, q ? (int64_t)q->offset : 0);
	while ((rc = db_step(s, err)) == DB_ROW) {
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct store_audit_entry *nl = realloc(list, ncap * sizeof(*nl));
			if (!nl) {
				r = err_set(err, -ENOMEM, "out of memory");
				goto out;
			}
			list = nl;
			cap = ncap;
		}
		struct store_audit_entry *e = &list[cnt++];
		memset(e, 0, sizeof(*e));
		e->id = db_column_int64(s, 0);
		e->created_at = db_column_int64(s, 1);
		if (store_col_str(s, 2, &e->user) < 0 || store_col_str(s, 3, &e->severity) < 0 ||
		    store_col_str(s, 4, &e->origin) < 0 || store_col_str(s, 5, &e->message) < 0) {
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	if (rc < 0)
		r = store_db_err(rc, "list audit entries", err);
out:
	if (s)
		db_finalize(s);
	store_unlock(st);
	free(pattern);
	if (r < 0) {
		store_audit_list_free(list, cnt);
		return r;
	}
	*ret = list;
	*n = cnt;
	if (total)
		*total = tot;
	return 0;
}
