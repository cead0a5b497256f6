/* SPDX-License-Identifier: MIT */
/*
 * Sign-in state in the store (store_auth.h, migration 5): provider links, LDAP interface
 * allow-lists, passkeys and TOTP. Statements are prepared per call, as in store_session.c:
 * none of these is hot enough for the shared statement cache.
 */
#include "store/store-int.h"
#include "store/store_auth.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"

/* Prepared statement with text parameters bound in order (NULL: SQL NULL). Caller holds the
 * store lock and finalizes. */
static int prep(struct store *st, const char *sql, sqlite3_stmt **ret, const char *what,
		struct err *err, int n_text, ...)
{
	va_list ap;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, ret, NULL);

	if (rc != SQLITE_OK) {
		*ret = NULL;
		return store_sql_err(st, rc, what, err);
	}
	va_start(ap, n_text);
	for (int i = 1; i <= n_text; i++)
		sqlite3_bind_text(*ret, i, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
	va_end(ap);
	return 0;
}

/* Steps a write to completion, finalizes; *changes (may be NULL) = rows matched. */
static int finish(struct store *st, sqlite3_stmt *s, const char *what, int *changes,
		  struct err *err)
{
	int rc = sqlite3_step(s), r = 0;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store_sql_err(st, rc, what, err);
	else if (changes)
		*changes = sqlite3_changes(st->db);
	sqlite3_finalize(s);
	return r;
}

/* Runs a one-statement write under the lock: texts a, b, c go to ?1..?3 and i4 to ?4; values
 * for positions the statement does not have are ignored (SQLITE_RANGE). */
static int write1(struct store *st, const char *sql, const char *what, int *changes,
		  struct err *err, const char *a, const char *b, const char *c, int64_t i4)
{
	sqlite3_stmt *s;
	int r;

	store_lock(st);
	r = prep(st, sql, &s, what, err, 3, a, b, c);
	if (r == 0) {
		sqlite3_bind_int64(s, 4, (sqlite3_int64)i4);
		r = finish(st, s, what, changes, err);
	}
	store_unlock(st);
	return r;
}

/* ---- provider links ----------------------------------------------------------------------- */

int store_auth_link_add(struct store *st, const char *user_id, const char *source,
			const char *provider, struct err *err)
{
	return write1(st, "INSERT INTO user_auth_links (user_id, source, provider, created_at) "
		      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(user_id, source, provider) DO NOTHING",
		      "link user to provider", NULL, err, user_id, source, provider,
		      (int64_t)time(NULL));
}

/* Collects column 0 (and 1) of every row into lists. */
static int collect(struct store *st, sqlite3_stmt *s, struct strv *a, struct strv *b,
		   const char *what, struct err *err)
{
	int rc, r = 0;

	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		r = strv_push(a, (const char *)sqlite3_column_text(s, 0));
		if (r == 0 && b)
			r = strv_push(b, (const char *)sqlite3_column_text(s, 1));
	}
	if (r < 0)
		r = err_set(err, r, "out of memory");
	else if (rc != SQLITE_DONE)
		r = store_sql_err(st, rc, what, err);
	sqlite3_finalize(s);
	return r;
}

/* Runs a read under the lock and collects its first one or two columns. */
static int read_lists(struct store *st, const char *sql, const char *what, const char *a,
		      const char *b, struct strv *col0, struct strv *col1, struct err *err)
{
	sqlite3_stmt *s;
	int r;

	store_lock(st);
	r = prep(st, sql, &s, what, err, 2, a, b);
	if (r == 0)
		r = collect(st, s, col0, col1, what, err);
	store_unlock(st);
	return r;
}

int store_auth_link_list(struct store *st, const char *user_id, struct strv *ret_sources,
			 struct strv *ret_providers, struct err *err)
{
	return read_lists(st, "SELECT source, provider FROM user_auth_links WHERE user_id = ?1 "
			  "ORDER BY created_at, source, provider", "read provider links", user_id,
			  NULL, ret_sources, ret_providers, err);
}

int store_auth_link_users(struct store *st, const char *source, const char *provider,
			  struct strv *ret, struct err *err)
{
	return read_lists(st, "SELECT user_id FROM user_auth_links WHERE source = ?1 AND "
			  "provider = ?2 ORDER BY user_id", "read provider users", source, provider,
			  ret, NULL, err);
}

/* ---- LDAP interface_filter ---------------------------------------------------------------- */

int store_ldap_iface_users_set(struct store *st, const char *provider, const char *iface_id,
			       const struct strv *users, struct err *err)
{
	sqlite3_stmt *s;
	int r;

	store_lock(st);
	r = store_begin(st, err);
	if (r == 0 && (r = prep(st, "DELETE FROM ldap_interface_users WHERE provider = ?1 AND "
				"iface_id = ?2", &s, "replace LDAP interface users", err, 2, provider,
				iface_id)) == 0)
		r = finish(st, s, "replace LDAP interface users", NULL, err);
	for (size_t i = 0; r == 0 && i < users->n; i++) {
		r = prep(st, "INSERT INTO ldap_interface_users (provider, iface_id, user_id) VALUES "
			 "(?1, ?2, ?3) ON CONFLICT(provider, iface_id, user_id) DO NOTHING", &s,
			 "store LDAP interface users", err, 3, provider, iface_id, users->v[i]);
		if (r == 0)
			r = finish(st, s, "store LDAP interface users", NULL, err);
	}
	if (r == 0)
		r = store_commit(st, err);
	else
		store_rollback(st);
	store_unlock(st);
	return r;
}

int store_ldap_iface_user_allowed(struct store *st, const char *iface_id, const char *user_id,
				  bool *ret, struct err *err)
{
	sqlite3_stmt *s;
	int r, rc;

	store_lock(st);
	r = prep(st, "SELECT 1 FROM ldap_interface_users WHERE iface_id = ?1 AND user_id = ?2 "
		 "LIMIT 1", &s, "check LDAP interface users", err, 2, iface_id, user_id);
	if (r == 0) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			*ret = rc == SQLITE_ROW;
		else
			r = store_sql_err(st, rc, "check LDAP interface users", err);
		sqlite3_finalize(s);
	}
	store_unlock(st);
	return r;
}

/* ---- passkeys ----------------------------------------------------------------------------- */

int store_passkey_handle(struct store *st, const char *user_id, bool create,
			 char ret[static STORE_PASSKEY_HANDLE_LEN + 1], struct err *err)
{
	sqlite3_stmt *s;
	int r, rc;

	store_lock(st);
	r = prep(st, "SELECT handle FROM webauthn_users WHERE user_id = ?1", &s,
		 "read passkey handle", err, 1, user_id);
	if (r < 0)
		goto out;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = store_col_fixed(s, 0, ret, STORE_PASSKEY_HANDLE_LEN + 1);
	else if (rc != SQLITE_DONE)
		r = store_sql_err(st, rc, "read passkey handle", err);
	else if (!create)
		r = -ENOENT;
	sqlite3_finalize(s);
	if (r < 0 || rc == SQLITE_ROW)
		goto out;
	uint8_t raw[32];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(ret, STORE_PASSKEY_HANDLE_LEN + 1, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	r = prep(st, "INSERT INTO webauthn_users (user_id, handle) VALUES (?1, ?2)", &s,
		 "store passkey handle", err, 2, user_id, ret);
	if (r == 0)
		r = finish(st, s, "store passkey handle", NULL, err);
	if (r == -EEXIST)
		r = err_set(err, -EINVAL, "unknown user");
out:
	store_unlock(st);
	return r;
}

#define PASSKEY_COLS "credential_id, user_id, name, public_key, alg, sign_count, aaguid, " \
	"backup_eligible, backed_up, created_at, last_used_at"

static int read_passkey(sqlite3_stmt *s, struct store_passkey *k)
{
	const void *blob = sqlite3_column_blob(s, 3);
	int n = sqlite3_column_bytes(s, 3);

	memset(k, 0, sizeof(*k));
	if (store_col_fixed(s, 0, k->id, sizeof(k->id)) < 0 ||
	    store_col_fixed(s, 1, k->user_id, sizeof(k->user_id)) < 0 ||
	    store_col_fixed(s, 2, k->name, sizeof(k->name)) < 0 ||
	    store_col_fixed(s, 6, k->aaguid, sizeof(k->aaguid)) < 0 || n < 0 ||
	    (size_t)n > sizeof(k->cose_key))
		return -EIO;
	memcpy(k->cose_key, blob, (size_t)n);
	k->cose_key_len = (size_t)n;
	k->alg = (long)sqlite3_column_int64(s, 4);
	k->sign_count = (uint32_t)sqlite3_column_int64(s, 5);
	k->backup_eligible = sqlite3_column_int(s, 7) != 0;
	k->backed_up = sqlite3_column_int(s, 8) != 0;
	k->created_at = sqlite3_column_int64(s, 9);
	k->last_used_at = sqlite3_column_int64(s, 10);
	return 0;
}

int store_passkey_insert(struct store *st, const struct store_passkey *k, struct err *err)
{
	sqlite3_stmt *s;
	int r;

	store_lock(st);
	r = prep(st, "INSERT INTO webauthn_credentials (" PASSKEY_COLS ") VALUES "
		 "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0)", &s, "store passkey", err, 3, k->id,
		 k->user_id, k->name);
	if (r == 0) {
		sqlite3_bind_blob(s, 4, k->cose_key, (int)k->cose_key_len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)k->alg);
		sqlite3_bind_int64(s, 6, (sqlite3_int64)k->sign_count);
		sqlite3_bind_text(s, 7, k->aaguid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(s, 8, k->backup_eligible);
		sqlite3_bind_int(s, 9, k->backed_up);
		sqlite3_bind_int64(s, 10, (sqlite3_int64)k->created_at);
		r = finish(st, s, "store passkey", NULL, err);
	}
	store_unlock(st);
	if (r == -EEXIST)
		err_set(err, r, "this passkey is registered already");
	return r;
}

int store_passkey_get(struct store *st, const char *id, struct store_passkey *ret,
		      char handle[static STORE_PASSKEY_HANDLE_LEN + 1], struct err *err)
{
	sqlite3_stmt *s;
	int r, rc;

	store_lock(st);
	r = prep(st, "SELECT c.credential_id, c.user_id, c.name, c.public_key, c.alg, "
		 "c.sign_count, c.aaguid, c.backup_eligible, c.backed_up, c.created_at, "
		 "c.last_used_at, u.handle FROM webauthn_credentials c JOIN webauthn_users u ON "
		 "u.user_id = c.user_id WHERE c.credential_id = ?1", &s, "read passkey", err, 1, id);
	if (r == 0) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			r = read_passkey(s, ret);
			if (r == 0)
				r = store_col_fixed(s, 11, handle, STORE_PASSKEY_HANDLE_LEN + 1);
			if (r < 0)
				r = err_set(err, -EIO, "read passkey: stored record is damaged");
		} else {
			r = rc == SQLITE_DONE ? err_set(err, -ENOENT, "unknown passkey") :
						store_sql_err(st, rc, "read passkey", err);
		}
		sqlite3_finalize(s);
	}
	store_unlock(st);
	return r;
}

int store_passkey_list(struct store *st, const char *user_id, struct store_passkey **ret,
		       size_t *n, struct err *err)
{
	struct store_passkey *v = NULL, *nv;
	size_t cnt = 0;
	sqlite3_stmt *s;
	int r, rc = SQLITE_DONE;

	store_lock(st);
	r = prep(st, "SELECT " PASSKEY_COLS " FROM webauthn_credentials WHERE user_id = ?1 "
		 "ORDER BY created_at, rowid", &s, "list passkeys", err, 1, user_id);
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			r = err_set(err, -ENOMEM, "out of memory");
			break;
		}
		v = nv;
		if (read_passkey(s, &v[cnt]) < 0)
			r = err_set(err, -EIO, "list passkeys: stored record is damaged");
		else
			cnt++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_sql_err(st, rc, "list passkeys", err);
	if (s)
		sqlite3_finalize(s);
	store_unlock(st);
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*n = cnt;
	return 0;
}

int store_passkey_rename(struct store *st, const char *user_id, const char *id, const char *name,
			 struct err *err)
{
	int changes = 0;
	int r = write1(st, "UPDATE webauthn_credentials SET name = ?3 WHERE credential_id = ?1 "
		       "AND user_id = ?2", "rename passkey", &changes, err, id, user_id,
		       name, 0);

	if (r == 0 && changes == 0)
		r = err_set(err, -ENOENT, "no such passkey");
	return r;
}

int store_passkey_delete(struct store *st, const char *user_id, const char *id, struct err *err)
{
	int changes = 0;
	int r = write1(st, "DELETE FROM webauthn_credentials WHERE credential_id = ?1 AND "
		       "user_id = ?2", "delete passkey", &changes, err, id,
		       user_id, "", 0);

	if (r == 0 && changes == 0)
		r = err_set(err, -ENOENT, "no such passkey");
	return r;
}

int store_passkey_used(struct store *st, const char *id, uint32_t from, uint32_t to,
		       bool backed_up, int64_t now, struct err *err)
{
	sqlite3_stmt *s;
	int r, changes = 0;

	store_lock(st);
	r = prep(st, "UPDATE webauthn_credentials SET sign_count = ?3, backed_up = ?4, "
		 "last_used_at = ?5 WHERE credential_id = ?1 AND sign_count = ?2", &s,
		 "update passkey counter", err, 1, id);
	if (r == 0) {
		sqlite3_bind_int64(s, 2, (sqlite3_int64)from);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)to);
		sqlite3_bind_int(s, 4, backed_up);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)now);
		r = finish(st, s, "update passkey counter", &changes, err);
	}
	store_unlock(st);
	if (r == 0 && changes == 0)
		r = err_set(err, -EACCES, "passkey was used by another sign-in at the same time");
	return r;
}

/* ---- TOTP --------------------------------------------------------------------------------- */

int store_totp_get(struct store *st, const char *user_id, struct store_totp *ret,
		   struct err *err)
{
	char b64[64];
	size_t len = 0;
	sqlite3_stmt *s;
	int r, rc;

	memset(ret, 0, sizeof(*ret));
	store_lock(st);
	r = prep(st, "SELECT secret, confirmed, last_step, created_at, (SELECT count(*) FROM "
		 "totp_recovery_codes WHERE user_id = ?1 AND used_at = 0) FROM totp_secrets WHERE "
		 "user_id = ?1", &s, "read TOTP", err, 1, user_id);
	if (r < 0)
		goto out;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		r = store_secret_open(st, (const char *)sqlite3_column_text(s, 0), "user.totp_secret",
				      user_id, b64, sizeof(b64), err);
		if (r == 0 && (sodium_base642bin(ret->secret, sizeof(ret->secret), b64, strlen(b64),
						 NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) ||
			       len != sizeof(ret->secret)))
			r = err_set(err, -EIO, "read TOTP: stored secret is damaged");
		ret->confirmed = sqlite3_column_int(s, 1) != 0;
		ret->last_step = sqlite3_column_int64(s, 2);
		ret->created_at = sqlite3_column_int64(s, 3);
		ret->recovery_left = (size_t)sqlite3_column_int64(s, 4);
	} else {
		r = rc == SQLITE_DONE ? -ENOENT : store_sql_err(st, rc, "read TOTP", err);
	}
	sqlite3_finalize(s);
out:
	store_unlock(st);
	sodium_memzero(b64, sizeof(b64));
	if (r < 0)
		sodium_memzero(ret->secret, sizeof(ret->secret));
	return r;
}

int store_totp_begin(struct store *st, const char *user_id,
		     const uint8_t secret[STORE_TOTP_SECRET_LEN], int64_t now, struct err *err)
{
	char b64[sodium_base64_ENCODED_LEN(STORE_TOTP_SECRET_LEN, sodium_base64_VARIANT_ORIGINAL)];
	char *sealed = NULL;
	int r, changes = 0;

	sodium_bin2base64(b64, sizeof(b64), secret, STORE_TOTP_SECRET_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
	r = store_secret_seal(st, b64, "user.totp_secret", user_id, &sealed);
	sodium_memzero(b64, sizeof(b64));
	if (r < 0)
		return err_set(err, r, "out of memory");
	/* a confirmed factor is never overwritten by a new enrolment */
	r = write1(st, "INSERT INTO totp_secrets (user_id, secret, confirmed, last_step, created_at) "
		   "VALUES (?1, ?2, 0, 0, ?4) ON CONFLICT(user_id) DO UPDATE SET secret = ?2, "
		   "created_at = ?4 WHERE confirmed = 0", "store TOTP", &changes, err,
		   user_id, sealed, "", now);
	sodium_memzero(sealed, strlen(sealed));
	free(sealed);
	if (r == 0 && changes == 0)
		r = err_set(err, -EEXIST, "TOTP is already set up; disable it first");
	return r;
}

int store_totp_confirm(struct store *st, const char *user_id, int64_t step,
		       const char *const *code_hashes, size_t n, struct err *err)
{
	sqlite3_stmt *s;
	int r, changes = 0;

	store_lock(st);
	r = store_begin(st, err);
	if (r == 0 && (r = prep(st, "UPDATE totp_secrets SET confirmed = 1, last_step = ?2 WHERE "
				"user_id = ?1 AND confirmed = 0", &s, "confirm TOTP", err, 1,
				user_id)) == 0) {
		sqlite3_bind_int64(s, 2, (sqlite3_int64)step);
		r = finish(st, s, "confirm TOTP", &changes, err);
		if (r == 0 && changes == 0)
			r = err_set(err, -ENOENT, "no TOTP enrolment in progress");
	}
	if (r == 0 && (r = prep(st, "DELETE FROM totp_recovery_codes WHERE user_id = ?1", &s,
				"replace recovery codes", err, 1, user_id)) == 0)
		r = finish(st, s, "replace recovery codes", NULL, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = prep(st, "INSERT INTO totp_recovery_codes (user_id, code_hash) VALUES (?1, ?2)",
			 &s, "store recovery codes", err, 2, user_id, code_hashes[i]);
		if (r == 0)
			r = finish(st, s, "store recovery codes", NULL, err);
	}
	if (r == 0)
		r = store_commit(st, err);
	else
		store_rollback(st);
	store_unlock(st);
	return r;
}

int store_totp_use_step(struct store *st, const char *user_id, int64_t step, struct err *err)
{
	int changes = 0;
	int r = write1(st, "UPDATE totp_secrets SET last_step = ?4 WHERE user_id = ?1 AND "
		       "confirmed = 1 AND last_step < ?4",
		       "record TOTP use", &changes, err, user_id, "", "", step);

	if (r == 0 && changes == 0)
		r = err_set(err, -EACCES, "this code was used already");
	return r;
}

int store_totp_use_recovery(struct store *st, const char *user_id, const char *code_hash,
			    int64_t now, struct err *err)
{
	int changes = 0;
	int r = write1(st, "UPDATE totp_recovery_codes SET used_at = ?4 WHERE user_id = ?1 AND "
		       "code_hash = ?2 AND used_at = 0", "use recovery code", &changes,
		       err, user_id, code_hash, "", now);

	if (r == 0 && changes == 0)
		r = err_set(err, -EACCES, "unknown or used recovery code");
	return r;
}

int store_totp_delete(struct store *st, const char *user_id, struct err *err)
{
	int r;

	store_lock(st);
	r = store_begin(st, err);
	if (r == 0)
		r = write1(st, "DELETE FROM totp_recovery_codes WHERE user_id = ?1", "disable TOTP",
			   NULL, err, user_id, NULL, NULL, 0);
	if (r == 0)
		r = write1(st, "DELETE FROM totp_secrets WHERE user_id = ?1", "disable TOTP", NULL,
			   err, user_id, NULL, NULL, 0);
	if (r == 0)
		r = store_commit(st, err);
	else
		store_rollback(st);
	store_unlock(st);
	return r;
}
