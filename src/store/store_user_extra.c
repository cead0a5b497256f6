/* SPDX-License-Identifier: MIT */
/*
 * What migration 6 added about users: login sources with their provider names, the WebAuthn
 * id and the "persist local changes" flag, all filled from wg-portal v2's tables when its
 * database is taken over (its passkey credentials: store_passkey.c). Statements are prepared per call: these are
 * read and written rarely.
 */
#include "store/store-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

static int run_write(struct store *st, const char *sql, const char *const *texts, size_t ntexts,
		     const int64_t *ints, size_t nints, const char *what, struct err *err)
{
	struct db_stmt *s = NULL;
	int r = store_single_begin(st, err);

	if (r < 0)
		return r;
	r = db_prepare(st->db, sql, &s, err);
	for (size_t i = 0; r == 0 && i < ntexts; i++)
		r = db_bind_text(s, (int)i + 1, texts[i] ? texts[i] : "");
	for (size_t i = 0; r == 0 && i < nints; i++)
		r = db_bind_int64(s, (int)(ntexts + i) + 1, ints[i]);
	if (r == 0)
		r = db_step_done(s, err);
	db_finalize(s);
	if (r < 0)
		r = store_db_err(r, what, err);
	return store_single_end(st, r, err);
}

int store_user_auth_add(struct store *st, const struct store_user_auth *a, struct err *err)
{
	const char *t[] = { a->user_id, a->source, a->provider_name };
	const int64_t i[] = { a->created_at, a->updated_at };

	if (!a->user_id || !*a->user_id || !a->source || !*a->source)
		return err_set(err, -EINVAL, "user authentication without user or source");
	return run_write(st, "INSERT INTO user_authentications (user_id, source, provider_name, "
			     "created_at, updated_at) VALUES (?, ?, ?, ?, ?)", t, 3, i, 2,
			 "add user authentication", err);
}

int store_user_extra_set(struct store *st, const char *user_id, const char *webauthn_id,
			 bool persist_local_changes, struct err *err)
{
	const char *t[] = { webauthn_id, user_id };
	const int64_t i[] = { persist_local_changes };
	int r;

	store_lock(st);
	r = run_write(st, "UPDATE users SET webauthn_id = ?1, persist_local_changes = ?3 "
			  "WHERE identifier = ?2", t, 2, i, 1, "update user", err);
	if (r == 0 && db_changes(st->db) == 0)
		r = err_set(err, -ENOENT, "user '%s' not found", user_id ? user_id : "");
	store_unlock(st);
	return r;
}

/* The query behind the lists: rows of one user (all users when user_id is NULL). */
static int list_rows(struct store *st, const char *sql_one, const char *sql_all,
		     const char *user_id, int (*row)(struct db_stmt *, void *, size_t),
		     void **vec, size_t elem, size_t *n, struct err *err)
{
	struct db_stmt *s = NULL;
	size_t cnt = 0, cap = 0;
	char *v = NULL;
	int r;

	store_lock(st);
	r = db_prepare(st->db, user_id ? sql_one : sql_all, &s, err);
	if (r == 0 && user_id)
		r = db_bind_text(s, 1, user_id);
	while (r == 0 && (r = db_step(s, err)) == DB_ROW) {
		r = 0; /* DB_ROW */
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 8;
			char *nv = realloc(v, nc * elem);
			if (!nv) {
				r = err_set(err, -ENOMEM, "out of memory");
				break;
			}
			v = nv;
			cap = nc;
		}
		memset(v + cnt * elem, 0, elem);
		r = row(s, v, cnt);
		cnt++;
	}
	db_finalize(s);
	store_unlock(st);
	*vec = v;
	*n = cnt;
	return r < 0 ? store_db_err(r, "list user data", err) : 0;
}

static int auth_row(struct db_stmt *s, void *vec, size_t i)
{
	struct store_user_auth *a = (struct store_user_auth *)vec + i;
	int r = store_col_str(s, 0, &a->user_id);

	r |= store_col_str(s, 1, &a->source);
	r |= store_col_str(s, 2, &a->provider_name);
	a->created_at = db_column_int64(s, 3);
	a->updated_at = db_column_int64(s, 4);
	return r ? -ENOMEM : 0;
}

void store_user_auth_list_free(struct store_user_auth *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].user_id);
		free(v[i].source);
		free(v[i].provider_name);
	}
	free(v);
}

int store_user_auth_list(struct store *st, const char *user_id, struct store_user_auth **ret,
			 size_t *n, struct err *err)
{
	void *v = NULL;
	int r = list_rows(st,
			  "SELECT user_id, source, provider_name, created_at, updated_at FROM "
			  "user_authentications WHERE user_id = ? ORDER BY source, provider_name",
			  "SELECT user_id, source, provider_name, created_at, updated_at FROM "
			  "user_authentications ORDER BY user_id, source, provider_name",
			  user_id, auth_row, &v, sizeof(struct store_user_auth), n, err);

	if (r < 0) {
		store_user_auth_list_free(v, *n);
		return r;
	}
	*ret = v;
	return 0;
}

int store_user_extra_get(struct store *st, const char *user_id, char **webauthn_id,
			 bool *persist_local_changes, struct err *err)
{
	struct db_stmt *s = NULL;
	int r;

	store_lock(st);
	r = db_prepare(st->db, "SELECT webauthn_id, persist_local_changes FROM users WHERE "
			       "identifier = ?", &s, err);
	if (r == 0)
		r = db_bind_text(s, 1, user_id ? user_id : "");
	if (r == 0)
		r = db_step(s, err);
	if (r == DB_ROW) {
		*webauthn_id = NULL;
		r = store_col_str(s, 0, webauthn_id) < 0 ? err_set(err, -ENOMEM, "out of memory")
							  : 0;
		*persist_local_changes = db_column_int64(s, 1) != 0;
	} else if (r == DB_DONE) {
		r = err_set(err, -ENOENT, "user '%s' not found", user_id ? user_id : "");
	} else {
		r = store_db_err(r, "read user", err);
	}
	db_finalize(s);
	store_unlock(st);
	return r;
}
