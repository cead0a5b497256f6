/* SPDX-License-Identifier: MIT */
/*
 * The users table. Passwords arrive already hashed (argon2id strings from auth/); API tokens are
 * kept only as hex BLAKE2b-256 and compared in constant time. peer_count is computed on read.
 */
#include "store/store-int.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"

#define USER_COLS \
	"identifier, email, auth_sources, is_admin, firstname, lastname, phone, department, " \
	"notes, password_hash, disabled, disabled_reason, locked, locked_reason, api_token_hash, " \
	"created_at, updated_at"

#define USER_SELECT \
	"SELECT " USER_COLS ", (SELECT count(*) FROM peers p WHERE p.user_id = u.identifier) " \
	"FROM users u "

static const char sql_get[] = USER_SELECT "WHERE identifier = ?";
static const char sql_list[] = USER_SELECT "ORDER BY identifier";
static const char sql_by_email[] =
	USER_SELECT "WHERE email COLLATE NOCASE = ? COLLATE NOCASE ORDER BY identifier";
static const char sql_insert[] =
	"INSERT INTO users (" USER_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char sql_update[] =
	"UPDATE users SET email=?2, auth_sources=?3, is_admin=?4, firstname=?5, lastname=?6, "
	"phone=?7, department=?8, notes=?9, password_hash=?10, disabled=?11, "
	"disabled_reason=?12, locked=?13, locked_reason=?14, api_token_hash=?15, "
	"created_at=CASE WHEN ?16 = 0 THEN created_at ELSE ?16 END, updated_at=?17 "
	"WHERE identifier=?1";
static const char sql_delete[] = "DELETE FROM users WHERE identifier = ?";

int store_token_hash(const char *token, char out[static 65])
{
	uint8_t h[32];

	if (!token)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	crypto_generichash(h, sizeof(h), (const uint8_t *)token, strlen(token), NULL, 0);
	sodium_bin2hex(out, 65, h, sizeof(h));
	return 0;
}

static int read_row(struct db_stmt *s, struct user **ret, struct err *err)
{
	struct user *u = user_new();
	int c = 0, r = 0;

	if (!u)
		return err_set(err, -ENOMEM, "out of memory");
	r |= store_col_str(s, c++, &u->identifier);
	r |= store_col_str(s, c++, &u->email);
	r |= store_col_strv(s, c++, &u->auth_sources);
	u->is_admin = db_column_int64(s, c++) != 0;
	r |= store_col_str(s, c++, &u->firstname);
	r |= store_col_str(s, c++, &u->lastname);
	r |= store_col_str(s, c++, &u->phone);
	r |= store_col_str(s, c++, &u->department);
	r |= store_col_str(s, c++, &u->notes);
	r |= store_col_str(s, c++, &u->password_hash);
	u->disabled = db_column_int64(s, c++) != 0;
	r |= store_col_str(s, c++, &u->disabled_reason);
	u->locked = db_column_int64(s, c++) != 0;
	r |= store_col_str(s, c++, &u->locked_reason);
	r |= store_col_str(s, c++, &u->api_token_hash);
	u->created_at = (time_t)db_column_int64(s, c++);
	u->updated_at = (time_t)db_column_int64(s, c++);
	u->peer_count = db_column_int64(s, c++);
	if (r != 0) {
		user_free(u);
		return err_set(err, -ENOMEM, "out of memory");
	}
	if (ret)
		*ret = u;
	else
		user_free(u);
	return 0;
}

/* NULL for NULL or "": "no password" / "API disabled" must not become an empty hash. */
static int bind_opt(struct db_stmt *s, int col, const char *v)
{
	if (!v || !*v)
		return db_bind_null(s, col);
	return db_bind_text(s, col, v);
}

static int bind_row(struct db_stmt *s, const struct user *u, bool insert, struct err *err)
{
	time_t now = time(NULL);
	char token_hash[65];
	const char *th = u->api_token_hash;
	int c = 1, r = 0;

	/* A fresh clear token without its hash (the API just set it): store its hash, so the
	 * token can never be lost nor land in the database in clear. */
	if ((!th || !*th) && u->api_token && *u->api_token) {
		if (store_token_hash(u->api_token, token_hash) < 0)
			return err_set(err, -EIO, "cannot hash the API token");
		th = token_hash;
	}
	r |= store_bind_str(s, c++, u->identifier);
	r |= store_bind_str(s, c++, u->email);
	r |= store_bind_strv(s, c++, &u->auth_sources);
	r |= db_bind_int64(s, c++, u->is_admin);
	r |= store_bind_str(s, c++, u->firstname);
	r |= store_bind_str(s, c++, u->lastname);
	r |= store_bind_str(s, c++, u->phone);
	r |= store_bind_str(s, c++, u->department);
	r |= store_bind_str(s, c++, u->notes);
	r |= bind_opt(s, c++, u->password_hash);
	r |= db_bind_int64(s, c++, u->disabled);
	r |= store_bind_str(s, c++, u->disabled_reason);
	r |= db_bind_int64(s, c++, u->locked);
	r |= store_bind_str(s, c++, u->locked_reason);
	r |= bind_opt(s, c++, th);
	r |= db_bind_int64(s, c++, u->created_at ? u->created_at : (insert ? now : 0));
	r |= db_bind_int64(s, c++, u->updated_at ? u->updated_at : now);
	sodium_memzero(token_hash, sizeof(token_hash));
	if (r != 0)
		return err_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int get_locked(struct store *st, const char *id, struct user **ret, struct err *err)
{
	struct db_stmt *s;
	int r, rc;

	r = store_stmt(st, STMT_USER_GET, sql_get, &s, err);
	if (r < 0)
		return r;
	db_bind_text(s, 1, STR(id));
	rc = db_step(s, err);
	if (rc == DB_ROW)
		r = read_row(s, ret, err);
	else if (rc == DB_DONE)
		r = err_set(err, -ENOENT, "user '%s' not found", STR(id));
	else
		r = store_db_err(rc, "get user", err);
	store_stmt_done(s);
	return r;
}

int store_user_get(struct store *st, const char *id, struct user **ret, struct err *err)
{
	int r;

	store_lock(st);
	r = get_locked(st, id, ret, err);
	store_unlock(st);
	return r;
}

static int collect(struct store *st, struct db_stmt *s, struct user ***ret, size_t *n,
		   struct err *err)
{
	struct user **list = NULL, **nl;
	size_t cnt = 0;
	int rc, r = 0;

	while ((rc = db_step(s, err)) == DB_ROW) {
		nl = realloc(list, (cnt + 1) * sizeof(*list));
		if (!nl) {
			r = err_set(err, -ENOMEM, "out of memory");
			break;
		}
		list = nl;
		r = read_row(s, &list[cnt], err);
		if (r < 0)
			break;
		cnt++;
	}
	if (r == 0 && rc < 0)
		r = store_db_err(rc, "list users", err);
	if (r < 0) {
		user_list_free(list, cnt);
		return r;
	}
	*ret = list;
	*n = cnt;
	return 0;
}

int store_user_list(struct store *st, struct user ***ret, size_t *n, struct err *err)
{
	struct db_stmt *s;
	int r;

	store_lock(st);
	r = store_stmt(st, STMT_USER_LIST, sql_list, &s, err);
	if (r == 0) {
		r = collect(st, s, ret, n, err);
		store_stmt_done(s);
	}
	store_unlock(st);
	return r;
}

int store_user_find_by_email(struct store *st, const char *email, struct user ***ret, size_t *n,
			     struct err *err)
{
	struct db_stmt *s;
	int r;

	store_lock(st);
	r = store_stmt(st, STMT_USER_BY_EMAIL, sql_by_email, &s, err);
	if (r == 0) {
		db_bind_text(s, 1, STR(email));
		r = collect(st, s, ret, n, err);
		store_stmt_done(s);
	}
	store_unlock(st);
	return r;
}

static int user_write(struct store *st, const struct user *u, bool insert, struct err *err)
{
	struct db_stmt *s;
	int r;

	if (!u->identifier || !*u->identifier)
		return err_field(err, -EINVAL, "Identifier", "user identifier is empty");
	r = store_single_begin(st, err);
	if (r < 0)
		return r;
	r = insert ? store_stmt(st, STMT_USER_INSERT, sql_insert, &s, err)
		   : store_stmt(st, STMT_USER_UPDATE, sql_update, &s, err);
	if (r < 0)
		goto out;
	r = bind_row(s, u, insert, err);
	if (r < 0) {
		store_stmt_done(s);
		goto out;
	}
	r = store_step_done(st, s, insert ? "insert user" : "update user", err);
	if (r == -EEXIST)
		r = err_field(err, -EEXIST, "Identifier", "user '%s' already exists",
			      u->identifier);
	else if (r == 0 && !insert && db_changes(st->db) == 0)
		r = err_set(err, -ENOENT, "user '%s' not found", u->identifier);
out:
	return store_single_end(st, r, err);
}

int store_user_rehash(struct store *st, const char *id, const char *old_hash,
		      const char *new_hash, struct err *err)
{
	static const char sql[] =
		"UPDATE users SET password_hash = ?3 WHERE identifier = ?1 AND password_hash = ?2";
	struct db_stmt *s = NULL;
	int r = store_single_begin(st, err);

	if (r < 0)
		return r;
	r = db_prepare(st->db, sql, &s, err);
	if (r == 0)
		r = db_bind_text(s, 1, STR(id));
	if (r == 0)
		r = db_bind_text(s, 2, STR(old_hash));
	if (r == 0)
		r = db_bind_text(s, 3, STR(new_hash));
	if (r == 0)
		r = db_step_done(s, err);
	if (r == 0)
		r = db_changes(st->db) > 0;
	db_finalize(s);
	if (r < 0)
		r = store_db_err(r, "upgrade password hash", err);
	return store_single_end(st, r, err);
}

int store_user_insert(struct store *st, const struct user *u, struct err *err)
{
	return user_write(st, u, true, err);
}

int store_user_update(struct store *st, const struct user *u, struct err *err)
{
	return user_write(st, u, false, err);
}

/* The user row and what migrations 6 and 8 keep about the user, in one transaction. */
int store_user_delete(struct store *st, const char *id, struct err *err)
{
	static const char *const extra[] = {
		"DELETE FROM user_authentications WHERE user_id = ?",
		"DELETE FROM user_passkeys WHERE user_id = ?",
		"DELETE FROM totp_secrets WHERE user_id = ?",
		"DELETE FROM totp_recovery_codes WHERE user_id = ?",
		"DELETE FROM ldap_interface_users WHERE user_id = ?",
	};
	struct db_stmt *s;
	int r;

	r = store_begin(st, err);
	if (r < 0)
		return r;
	r = store_stmt(st, STMT_USER_DELETE, sql_delete, &s, err);
	if (r == 0) {
		db_bind_text(s, 1, STR(id));
		r = store_step_done(st, s, "delete user", err);
		if (r == 0 && db_changes(st->db) == 0)
			r = err_set(err, -ENOENT, "user '%s' not found", STR(id));
	}
	for (size_t i = 0; r == 0 && i < sizeof(extra) / sizeof(extra[0]); i++) {
		s = NULL;
		r = db_prepare(st->db, extra[i], &s, err);
		if (r == 0)
			r = db_bind_text(s, 1, STR(id));
		if (r == 0)
			r = db_step_done(s, err);
		db_finalize(s);
		if (r < 0)
			r = store_db_err(r, "delete user", err);
	}
	if (r < 0) {
		store_rollback(st);
		return r;
	}
	return store_commit(st, err);
}

int store_user_check_token(struct store *st, const char *id, const char *token, struct user **ret,
			   struct err *err)
{
	struct user *u = NULL;
	char hash[65];
	bool match;
	int r;

	/* Hash first, whatever the user lookup gives, so timing says nothing about which part
	 * failed. */
	if (store_token_hash(token ? token : "", hash) < 0)
		return err_set(err, -EIO, "cannot hash the API token");
	store_lock(st);
	r = get_locked(st, id, &u, err);
	store_unlock(st);
	if (r == -ENOENT || (r == 0 && (!u->api_token_hash || !token || !*token))) {
		user_free(u);
		return err_set(err, -EACCES, "unknown user or wrong API token");
	}
	if (r < 0) /* the database's reason (say, unavailable) travels up */
		return err_prefix(err, "cannot read user '%s'", STR(id));
	match = strlen(u->api_token_hash) == 64 && sodium_memcmp(hash, u->api_token_hash, 64) == 0;
	sodium_memzero(hash, sizeof(hash));
	if (!match) {
		user_free(u);
		return err_set(err, -EACCES, "unknown user or wrong API token");
	}
	if (ret)
		*ret = u;
	else
		user_free(u);
	return 0;
}
