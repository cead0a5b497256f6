/* SPDX-License-Identifier: MIT */
/*
 * Sign-in state in the store (store_auth.h, migrations 6 and 8): provider links (wg-portal's
 * user_authentications), LDAP interface allow-lists and TOTP, on the engine-neutral db layer
 * (docs/database.md); passkeys are in store_passkey.c. Only portable SQL: no "DO NOTHING"
 * upserts (an existence check under the store lock instead), no conditional upserts (an
 * UPDATE, then an INSERT).
 */
#include "store/store-int.h"
#include "store/store_auth.h"
#include "store/store_auth-int.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"

int sa_prep(struct store *st, const char *sql, struct db_stmt **ret, const char *what,
		struct err *err, const char *a, const char *b, const char *c)
{
	int r = db_prepare(st->db, sql, ret, err);

	if (r < 0) {
		*ret = NULL;
		return store_db_err(r, what, err);
	}
	/* binding a position the statement lacks is -ERANGE and harmless: ignored */
	(void)db_bind_text(*ret, 1, a);
	(void)db_bind_text(*ret, 2, b);
	(void)db_bind_text(*ret, 3, c);
	return 0;
}

int sa_finish(struct store *st, struct db_stmt *s, const char *what, int *changes,
		  struct err *err)
{
	int r = db_step_done(s, err);

	if (r == 0 && changes)
		*changes = (int)db_changes(st->db);
	db_finalize(s);
	return r < 0 ? store_db_err(r, what, err) : 0;
}

int sa_write1(struct store *st, const char *sql, const char *what, int *changes,
		  struct err *err, const char *a, const char *b, const char *c, int64_t i4)
{
	struct db_stmt *s;
	int r = store_single_begin(st, err);

	if (r < 0)
		return r;
	r = sa_prep(st, sql, &s, what, err, a, b, c);
	if (r == 0) {
		(void)db_bind_int64(s, 4, i4);
		r = sa_finish(st, s, what, changes, err);
	}
	return store_single_end(st, r, err);
}

int sa_write_row(struct store *st, const char *sql, const char *what, int code,
		     const char *missing, struct err *err, const char *a, const char *b,
		     const char *c, int64_t i4)
{
	int changes = 0;
	int r = sa_write1(st, sql, what, &changes, err, a, b, c, i4);

	if (r == 0 && changes == 0)
		r = err_set(err, code, "%s", missing);
	return r;
}

int sa_exists(struct store *st, const char *sql, const char *what, const char *a,
		  const char *b, const char *c, bool *ret, struct err *err)
{
	struct db_stmt *s;
	int r, rc;

	r = sa_prep(st, sql, &s, what, err, a, b, c);
	if (r < 0)
		return r;
	rc = db_step(s, err);
	if (rc == DB_ROW || rc == DB_DONE)
		*ret = rc == DB_ROW;
	else
		r = store_db_err(rc, what, err);
	db_finalize(s);
	return r;
}

/* ---- provider links (wg-portal's user_authentications, migration 6) ------------------- */

int store_auth_link_add(struct store *st, const char *user_id, const char *source,
			const char *provider, struct err *err)
{
	int64_t now = (int64_t)time(NULL);
	struct store_user_auth a = { .user_id = (char *)user_id, .source = (char *)source,
				     .provider_name = (char *)provider, .created_at = now,
				     .updated_at = now };
	bool have = false;
	int r;

	store_lock(st);
	r = sa_exists(st, "SELECT 1 FROM user_authentications WHERE user_id = ?1 AND source = ?2 "
		      "AND provider_name = ?3", "read provider links", user_id, source, provider,
		      &have, err);
	if (r == 0 && !have)
		r = store_user_auth_add(st, &a, err);
	store_unlock(st);
	return r;
}

int store_auth_link_list(struct store *st, const char *user_id, struct strv *ret_sources,
			 struct strv *ret_providers, struct err *err)
{
	struct store_user_auth *v = NULL;
	size_t n = 0;
	int r = store_user_auth_list(st, user_id, &v, &n, err);

	for (size_t i = 0; r == 0 && i < n; i++)
		if (strv_push(ret_sources, v[i].source) < 0 ||
		    strv_push(ret_providers, v[i].provider_name) < 0)
			r = err_set(err, -ENOMEM, "out of memory");
	store_user_auth_list_free(v, n);
	return r;
}

int store_auth_link_users(struct store *st, const char *source, const char *provider,
			  struct strv *ret, struct err *err)
{
	struct db_stmt *s;
	int r, rc;

	store_lock(st);
	r = sa_prep(st, "SELECT user_id FROM user_authentications WHERE source = ?1 AND "
		    "provider_name = ?2 ORDER BY user_id", &s, "read provider users", err, source,
		    provider, NULL);
	while (r == 0 && (rc = db_step(s, err)) == DB_ROW)
		if (strv_push(ret, db_column_text(s, 0) ? db_column_text(s, 0) : "") < 0)
			r = err_set(err, -ENOMEM, "out of memory");
	if (r == 0 && rc != DB_DONE)
		r = store_db_err(rc, "read provider users", err);
	if (s)
		db_finalize(s);
	store_unlock(st);
	return r;
}

/* ---- LDAP interface_filter ---------------------------------------------------------------- */

int store_ldap_iface_users_set(struct store *st, const char *provider, const char *iface_id,
			       const struct strv *users, struct err *err)
{
	int r;

	store_lock(st);
	r = store_begin(st, err);
	if (r == 0)
		r = sa_write1(st, "DELETE FROM ldap_interface_users WHERE provider = ?1 AND "
			   "iface_id = ?2", "replace LDAP interface users", NULL, err, provider,
			   iface_id, NULL, 0);
	for (size_t i = 0; r == 0 && i < users->n; i++) {
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = !strcmp(users->v[i], users->v[j]);
		if (!dup)
			r = sa_write1(st, "INSERT INTO ldap_interface_users (provider, iface_id, user_id) "
				   "VALUES (?1, ?2, ?3)", "store LDAP interface users", NULL, err,
				   provider, iface_id, users->v[i], 0);
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
	int r;

	store_lock(st);
	r = sa_exists(st, "SELECT 1 FROM ldap_interface_users WHERE iface_id = ?1 AND user_id = ?2",
		   "check LDAP interface users", iface_id, user_id, NULL, ret, err);
	store_unlock(st);
	return r;
}

/* ---- TOTP --------------------------------------------------------------------------------- */

int store_totp_get(struct store *st, const char *user_id, struct store_totp *ret,
		   struct err *err)
{
	char b64[64];
	size_t len = 0;
	struct db_stmt *s;
	int r, rc;

	memset(ret, 0, sizeof(*ret));
	store_lock(st);
	r = sa_prep(st, "SELECT secret, confirmed, last_step, created_at, (SELECT count(*) FROM "
		 "totp_recovery_codes WHERE user_id = ?1 AND used_at = 0) FROM totp_secrets WHERE "
		 "user_id = ?1", &s, "read TOTP", err, user_id, NULL, NULL);
	if (r < 0)
		goto out;
	rc = db_step(s, err);
	if (rc == DB_ROW) {
		r = store_secret_open(st, db_column_text(s, 0), "user.totp_secret", user_id, b64,
				      sizeof(b64), err);
		if (r == 0 && (sodium_base642bin(ret->secret, sizeof(ret->secret), b64, strlen(b64),
						 NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) ||
			       len != sizeof(ret->secret)))
			r = err_set(err, -EIO, "read TOTP: stored secret is damaged");
		ret->confirmed = db_column_int64(s, 1) != 0;
		ret->last_step = db_column_int64(s, 2);
		ret->created_at = db_column_int64(s, 3);
		ret->recovery_left = (size_t)db_column_int64(s, 4);
	} else {
		r = rc == DB_DONE ? -ENOENT : store_db_err(rc, "read TOTP", err);
	}
	db_finalize(s);
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
	/* an unconfirmed enrolment is restarted; a confirmed factor is never overwritten (the
	 * INSERT then meets the primary key) */
	store_lock(st);
	r = sa_write1(st, "UPDATE totp_secrets SET secret = ?2, created_at = ?4 WHERE user_id = ?1 "
		   "AND confirmed = 0", "store TOTP", &changes, err, user_id, sealed, NULL, now);
	if (r == 0 && changes == 0)
		r = sa_write1(st, "INSERT INTO totp_secrets (user_id, secret, confirmed, last_step, "
			   "created_at) VALUES (?1, ?2, 0, 0, ?4)", "store TOTP", NULL, err, user_id,
			   sealed, NULL, now);
	store_unlock(st);
	sodium_memzero(sealed, strlen(sealed));
	free(sealed);
	if (r == -EEXIST)
		r = err_set(err, -EEXIST, "TOTP is already set up; disable it first");
	return r;
}

int store_totp_confirm(struct store *st, const char *user_id, int64_t step,
		       const char *const *code_hashes, size_t n, struct err *err)
{
	int r, changes = 0;

	store_lock(st);
	r = store_begin(st, err);
	if (r == 0)
		r = sa_write1(st, "UPDATE totp_secrets SET confirmed = 1, last_step = ?4 WHERE "
			   "user_id = ?1 AND confirmed = 0", "confirm TOTP", &changes, err, user_id,
			   NULL, NULL, step);
	if (r == 0 && changes == 0)
		r = err_set(err, -ENOENT, "no TOTP enrolment in progress");
	if (r == 0)
		r = sa_write1(st, "DELETE FROM totp_recovery_codes WHERE user_id = ?1",
			   "replace recovery codes", NULL, err, user_id, NULL, NULL, 0);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = sa_write1(st, "INSERT INTO totp_recovery_codes (user_id, code_hash, used_at) VALUES "
			   "(?1, ?2, 0)", "store recovery codes", NULL, err, user_id, code_hashes[i],
			   NULL, 0);
	if (r == 0)
		r = store_commit(st, err);
	else
		store_rollback(st);
	store_unlock(st);
	return r;
}

int store_totp_use_step(struct store *st, const char *user_id, int64_t step, struct err *err)
{
	return sa_write_row(st, "UPDATE totp_secrets SET last_step = ?4 WHERE user_id = ?1 AND "
			 "confirmed = 1 AND last_step < ?4", "record TOTP use", -EACCES,
			 "this code was used already", err, user_id, NULL, NULL, step);
}

int store_totp_use_recovery(struct store *st, const char *user_id, const char *code_hash,
			    int64_t now, struct err *err)
{
	return sa_write_row(st, "UPDATE totp_recovery_codes SET used_at = ?4 WHERE user_id = ?1 AND "
			 "code_hash = ?2 AND used_at = 0", "use recovery code", -EACCES,
			 "unknown or used recovery code", err, user_id, code_hash, NULL, now);
}

int store_totp_delete(struct store *st, const char *user_id, struct err *err)
{
	int r;

	store_lock(st);
	r = store_begin(st, err);
	if (r == 0)
		r = sa_write1(st, "DELETE FROM totp_recovery_codes WHERE user_id = ?1", "disable TOTP",
			   NULL, err, user_id, NULL, NULL, 0);
	if (r == 0)
		r = sa_write1(st, "DELETE FROM totp_secrets WHERE user_id = ?1", "disable TOTP", NULL,
			   err, user_id, NULL, NULL, 0);
	if (r == 0)
		r = store_commit(st, err);
	else
		store_rollback(st);
	store_unlock(st);
	return r;
}
