/* SPDX-License-Identifier: MIT */
/*
 * Sign-in state in the store (store_auth.h, migration 6): provider links, LDAP interface
 * allow-lists, passkeys and TOTP, on the engine-neutral db layer (docs/database.md). Statements
 * are prepared per call, as in store_session.c: none of these is hot enough for the shared
 * statement cache. Only portable SQL: no "DO NOTHING" upserts (an existence check under the
 * store lock instead), no conditional upserts (an UPDATE, then an INSERT), COSE keys as base64
 * text (a BLOB is VARBINARY(255) on MySQL, too small for an RSA key). Single writes that may run
 * inside a caller's transaction take a savepoint (store_single_begin).
 */
#include "store/store-int.h"
#include "store/store_auth.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"

/* Prepares sql and binds texts to ?1..?n (NULL: SQL NULL). The caller holds the lock and
 * finalizes. */
static int prep(struct store *st, const char *sql, struct db_stmt **ret, const char *what,
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

/* Steps a write to completion and finalizes; *changes (may be NULL) = rows matched. */
static int finish(struct store *st, struct db_stmt *s, const char *what, int *changes,
		  struct err *err)
{
	int r = db_step_done(s, err);

	if (r == 0 && changes)
		*changes = (int)db_changes(st->db);
	db_finalize(s);
	return r < 0 ? store_db_err(r, what, err) : 0;
}

/* One write: texts a, b, c to ?1..?3, i4 to ?4; inside a caller's transaction it has its own
 * savepoint. */
static int write1(struct store *st, const char *sql, const char *what, int *changes,
		  struct err *err, const char *a, const char *b, const char *c, int64_t i4)
{
	struct db_stmt *s;
	int r = store_single_begin(st, err);

	if (r < 0)
		return r;
	r = prep(st, sql, &s, what, err, a, b, c);
	if (r == 0) {
		(void)db_bind_int64(s, 4, i4);
		r = finish(st, s, what, changes, err);
	}
	return store_single_end(st, r, err);
}

/* write1 for a statement that must change a row: -code with missing when none matched. */
static int write_row(struct store *st, const char *sql, const char *what, int code,
		     const char *missing, struct err *err, const char *a, const char *b,
		     const char *c, int64_t i4)
{
	int changes = 0;
	int r = write1(st, sql, what, &changes, err, a, b, c, i4);

	if (r == 0 && changes == 0)
		r = err_set(err, code, "%s", missing);
	return r;
}

/* Whether the query (texts a, b, c) returns a row. */
static int exists(struct store *st, const char *sql, const char *what, const char *a,
		  const char *b, const char *c, bool *ret, struct err *err)
{
	struct db_stmt *s;
	int r, rc;

	r = prep(st, sql, &s, what, err, a, b, c);
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

/* ---- provider links ----------------------------------------------------------------------- */

int store_auth_link_add(struct store *st, const char *user_id, const char *source,
			const char *provider, struct err *err)
{
	bool have = false;
	int r;

	store_lock(st);
	r = exists(st, "SELECT 1 FROM user_auth_links WHERE user_id = ?1 AND source = ?2 AND "
		   "provider = ?3", "read provider links", user_id, source, provider, &have, err);
	if (r == 0 && !have)
		r = write1(st, "INSERT INTO user_auth_links (user_id, source, provider, created_at) "
			   "VALUES (?1, ?2, ?3, ?4)", "link user to provider", NULL, err, user_id,
			   source, provider, (int64_t)time(NULL));
	store_unlock(st);
	return r;
}

/* Collects column 0 (and 1) of every row into lists; finalizes. */
static int collect(struct db_stmt *s, struct strv *a, struct strv *b, const char *what,
		   struct err *err)
{
	int rc, r = 0;

	while (r == 0 && (rc = db_step(s, err)) == DB_ROW) {
		r = strv_push(a, db_column_text(s, 0) ? db_column_text(s, 0) : "");
		if (r == 0 && b)
			r = strv_push(b, db_column_text(s, 1) ? db_column_text(s, 1) : "");
	}
	if (r < 0)
		r = err_set(err, r, "out of memory");
	else if (rc != DB_DONE)
		r = store_db_err(rc, what, err);
	db_finalize(s);
	return r;
}

/* Runs a read under the lock and collects its first one or two columns. */
static int read_lists(struct store *st, const char *sql, const char *what, const char *a,
		      const char *b, struct strv *col0, struct strv *col1, struct err *err)
{
	struct db_stmt *s;
	int r;

	store_lock(st);
	r = prep(st, sql, &s, what, err, a, b, NULL);
	if (r == 0)
		r = collect(s, col0, col1, what, err);
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
	int r;

	store_lock(st);
	r = store_begin(st, err);
	if (r == 0)
		r = write1(st, "DELETE FROM ldap_interface_users WHERE provider = ?1 AND "
			   "iface_id = ?2", "replace LDAP interface users", NULL, err, provider,
			   iface_id, NULL, 0);
	for (size_t i = 0; r == 0 && i < users->n; i++) {
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = !strcmp(users->v[i], users->v[j]);
		if (!dup)
			r = write1(st, "INSERT INTO ldap_interface_users (provider, iface_id, user_id) "
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
	r = exists(st, "SELECT 1 FROM ldap_interface_users WHERE iface_id = ?1 AND user_id = ?2",
		   "check LDAP interface users", iface_id, user_id, NULL, ret, err);
	store_unlock(st);
	return r;
}

/* ---- passkeys ----------------------------------------------------------------------------- */

int store_passkey_handle(struct store *st, const char *user_id, bool create,
			 char ret[static STORE_PASSKEY_HANDLE_LEN + 1], struct err *err)
{
	struct db_stmt *s;
	uint8_t raw[32];
	int r, rc;

	store_lock(st);
	r = prep(st, "SELECT handle FROM webauthn_users WHERE user_id = ?1", &s,
		 "read passkey handle", err, user_id, NULL, NULL);
	if (r < 0)
		goto out;
	rc = db_step(s, err);
	if (rc == DB_ROW)
		r = store_col_fixed(s, 0, ret, STORE_PASSKEY_HANDLE_LEN + 1);
	else if (rc != DB_DONE)
		r = store_db_err(rc, "read passkey handle", err);
	else if (!create)
		r = -ENOENT;
	db_finalize(s);
	if (r < 0 || rc == DB_ROW)
		goto out;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(ret, STORE_PASSKEY_HANDLE_LEN + 1, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	r = write1(st, "INSERT INTO webauthn_users (user_id, handle) VALUES (?1, ?2)",
		   "store passkey handle", NULL, err, user_id, ret, NULL, 0);
	if (r == -EINVAL || r == -EEXIST)
		r = err_set(err, -EINVAL, "unknown user");
out:
	store_unlock(st);
	return r;
}

#define PASSKEY_COLS "credential_id, user_id, name, public_key, alg, sign_count, aaguid, " \
	"backup_eligible, backed_up, created_at, last_used_at"

static int read_passkey(struct db_stmt *s, struct store_passkey *k)
{
	const char *key = db_column_text(s, 3);
	size_t n = 0;

	memset(k, 0, sizeof(*k));
	if (store_col_fixed(s, 0, k->id, sizeof(k->id)) < 0 ||
	    store_col_fixed(s, 1, k->user_id, sizeof(k->user_id)) < 0 ||
	    store_col_fixed(s, 2, k->name, sizeof(k->name)) < 0 ||
	    store_col_fixed(s, 6, k->aaguid, sizeof(k->aaguid)) < 0 || !key ||
	    sodium_base642bin(k->cose_key, sizeof(k->cose_key), key, strlen(key), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -EIO;
	k->cose_key_len = n;
	k->alg = (long)db_column_int64(s, 4);
	k->sign_count = (uint32_t)db_column_int64(s, 5);
	k->backup_eligible = db_column_int64(s, 7) != 0;
	k->backed_up = db_column_int64(s, 8) != 0;
	k->created_at = db_column_int64(s, 9);
	k->last_used_at = db_column_int64(s, 10);
	return 0;
}

int store_passkey_insert(struct store *st, const struct store_passkey *k, struct err *err)
{
	char key[sodium_base64_ENCODED_LEN(STORE_PASSKEY_KEY_MAX, sodium_base64_VARIANT_ORIGINAL)];
	struct db_stmt *s;
	int r;

	sodium_bin2base64(key, sizeof(key), k->cose_key, k->cose_key_len,
			  sodium_base64_VARIANT_ORIGINAL);
	if ((r = store_single_begin(st, err)) < 0)
		return r;
	r = prep(st, "INSERT INTO webauthn_credentials (" PASSKEY_COLS ") VALUES "
		 "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0)", &s, "store passkey", err, k->id,
		 k->user_id, k->name);
	if (r == 0) {
		db_bind_text(s, 4, key);
		db_bind_int64(s, 5, (int64_t)k->alg);
		db_bind_int64(s, 6, (int64_t)k->sign_count);
		db_bind_text(s, 7, k->aaguid);
		db_bind_int64(s, 8, k->backup_eligible);
		db_bind_int64(s, 9, k->backed_up);
		db_bind_int64(s, 10, k->created_at);
		r = finish(st, s, "store passkey", NULL, err);
	}
	r = store_single_end(st, r, err);
	if (r == -EEXIST)
		err_set(err, r, "this passkey is registered already");
	return r;
}

int store_passkey_get(struct store *st, const char *id, struct store_passkey *ret,
		      char handle[static STORE_PASSKEY_HANDLE_LEN + 1], struct err *err)
{
	struct db_stmt *s;
	int r, rc;

	store_lock(st);
	r = prep(st, "SELECT c.credential_id, c.user_id, c.name, c.public_key, c.alg, "
		 "c.sign_count, c.aaguid, c.backup_eligible, c.backed_up, c.created_at, "
		 "c.last_used_at, u.handle FROM webauthn_credentials c JOIN webauthn_users u ON "
		 "u.user_id = c.user_id WHERE c.credential_id = ?1", &s, "read passkey", err, id,
		 NULL, NULL);
	if (r == 0) {
		rc = db_step(s, err);
		if (rc == DB_ROW) {
			r = read_passkey(s, ret);
			if (r == 0)
				r = store_col_fixed(s, 11, handle, STORE_PASSKEY_HANDLE_LEN + 1);
			if (r < 0)
				r = err_set(err, -EIO, "read passkey: stored record is damaged");
		} else {
			r = rc == DB_DONE ? err_set(err, -ENOENT, "unknown passkey") :
					    store_db_err(rc, "read passkey", err);
		}
		db_finalize(s);
	}
	store_unlock(st);
	return r;
}

int store_passkey_list(struct store *st, const char *user_id, struct store_passkey **ret,
		       size_t *n, struct err *err)
{
	struct store_passkey *v = NULL, *nv;
	struct db_stmt *s = NULL;
	size_t cnt = 0;
	int r, rc = DB_DONE;

	store_lock(st);
	r = prep(st, "SELECT " PASSKEY_COLS " FROM webauthn_credentials WHERE user_id = ?1 "
		 "ORDER BY created_at, rowid", &s, "list passkeys", err, user_id, NULL, NULL);
	while (r == 0 && (rc = db_step(s, err)) == DB_ROW) {
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
	if (r == 0 && rc != DB_DONE)
		r = store_db_err(rc, "list passkeys", err);
	db_finalize(s);
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
	return write_row(st, "UPDATE webauthn_credentials SET name = ?3 WHERE credential_id = ?1 "
			 "AND user_id = ?2", "rename passkey", -ENOENT, "no such passkey", err, id,
			 user_id, name, 0);
}

int store_passkey_delete(struct store *st, const char *user_id, const char *id, struct err *err)
{
	return write_row(st, "DELETE FROM webauthn_credentials WHERE credential_id = ?1 AND "
			 "user_id = ?2", "delete passkey", -ENOENT, "no such passkey", err, id,
			 user_id, NULL, 0);
}

int store_passkey_used(struct store *st, const char *id, uint32_t from, uint32_t to,
		       bool backed_up, int64_t now, struct err *err)
{
	struct db_stmt *s;
	int r, changes = 0;

	if ((r = store_single_begin(st, err)) < 0)
		return r;
	r = prep(st, "UPDATE webauthn_credentials SET sign_count = ?3, backed_up = ?4, "
		 "last_used_at = ?5 WHERE credential_id = ?1 AND sign_count = ?2", &s,
		 "update passkey counter", err, id, NULL, NULL);
	if (r == 0) {
		db_bind_int64(s, 2, (int64_t)from);
		db_bind_int64(s, 3, (int64_t)to);
		db_bind_int64(s, 4, backed_up);
		db_bind_int64(s, 5, now);
		r = finish(st, s, "update passkey counter", &changes, err);
	}
	r = store_single_end(st, r, err);
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
	struct db_stmt *s;
	int r, rc;

	memset(ret, 0, sizeof(*ret));
	store_lock(st);
	r = prep(st, "SELECT secret, confirmed, last_step, created_at, (SELECT count(*) FROM "
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
	r = write1(st, "UPDATE totp_secrets SET secret = ?2, created_at = ?4 WHERE user_id = ?1 "
		   "AND confirmed = 0", "store TOTP", &changes, err, user_id, sealed, NULL, now);
	if (r == 0 && changes == 0)
		r = write1(st, "INSERT INTO totp_secrets (user_id, secret, confirmed, last_step, "
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
		r = write1(st, "UPDATE totp_secrets SET confirmed = 1, last_step = ?4 WHERE "
			   "user_id = ?1 AND confirmed = 0", "confirm TOTP", &changes, err, user_id,
			   NULL, NULL, step);
	if (r == 0 && changes == 0)
		r = err_set(err, -ENOENT, "no TOTP enrolment in progress");
	if (r == 0)
		r = write1(st, "DELETE FROM totp_recovery_codes WHERE user_id = ?1",
			   "replace recovery codes", NULL, err, user_id, NULL, NULL, 0);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = write1(st, "INSERT INTO totp_recovery_codes (user_id, code_hash, used_at) VALUES "
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
	return write_row(st, "UPDATE totp_secrets SET last_step = ?4 WHERE user_id = ?1 AND "
			 "confirmed = 1 AND last_step < ?4", "record TOTP use", -EACCES,
			 "this code was used already", err, user_id, NULL, NULL, step);
}

int store_totp_use_recovery(struct store *st, const char *user_id, const char *code_hash,
			    int64_t now, struct err *err)
{
	return write_row(st, "UPDATE totp_recovery_codes SET used_at = ?4 WHERE user_id = ?1 AND "
			 "code_hash = ?2 AND used_at = 0", "use recovery code", -EACCES,
			 "unknown or used recovery code", err, user_id, code_hash, NULL, now);
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
