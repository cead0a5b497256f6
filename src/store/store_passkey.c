/* SPDX-License-Identifier: MIT */
/*
 * Passkeys in the store (store_auth.h): wg-portal's user_passkeys (migration 6, filled when its
 * database is taken over) with the sign-in columns of migration 8, and each user's WebAuthn
 * user handle in users.webauthn_id. The stored forms are wg-portal's, so a taken-over
 * database needs no conversion: credential ids as standard base64 of the raw id
 * (domain/user.go NewUserWebauthnCredential), the handle as standard base64 of 64 hex digits
 * (GenerateWebAuthnId). Callers see base64url (the WebAuthn JSON form); this file converts.
 * Rows from wg-portal carry only its serialized credential until the first sign-in with them
 * fills the sign-in columns (store_passkey_fill).
 */
#include "store/store-int.h"
#include "store/store_auth.h"
#include "store/store_auth-int.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#define RAW_ID_MAX 1024
#define RAW_HANDLE_MAX 64   /* WebAuthn: user.id is at most 64 bytes */

/* Re-encodes base64 text between variants; -EINVAL when in is not valid `from` or decodes to
 * more than max bytes. */
static int recode(const char *in, int from, int to, size_t max, char *out, size_t out_size)
{
	uint8_t raw[RAW_ID_MAX];
	size_t n = 0;

	if (!in || max > sizeof(raw) ||
	    sodium_base642bin(raw, max, in, strlen(in), NULL, &n, NULL, from) != 0 ||
	    sodium_base64_ENCODED_LEN(n, to) > out_size)
		return -EINVAL;
	sodium_bin2base64(out, out_size, raw, n, to);
	return 0;
}

#define STD sodium_base64_VARIANT_ORIGINAL
#define URL sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define STORED_ID_MAX sodium_base64_ENCODED_LEN(RAW_ID_MAX, STD)

/* A caller's credential id (base64url) in its stored form. */
static int stored_id(const char *id, char out[static STORED_ID_MAX])
{
	return recode(id, URL, STD, RAW_ID_MAX, out, STORED_ID_MAX);
}

/* ---- the user handle ---------------------------------------------------------------------- */

static int read_handle(struct store *st, const char *user_id, char *out, size_t size,
		       bool *found, struct err *err)
{
	struct db_stmt *s;
	int r = sa_prep(st, "SELECT webauthn_id FROM users WHERE identifier = ?1", &s,
			"read passkey handle", err, user_id, NULL, NULL);
	int rc;

	if (r < 0)
		return r;
	*found = false;
	rc = db_step(s, err);
	if (rc == DB_ROW) {
		*found = true;
		if (store_col_fixed(s, 0, out, size) < 0)
			*out = '\0';   /* longer than any handle we accept: treated as damaged */
	} else if (rc != DB_DONE) {
		r = store_db_err(rc, "read passkey handle", err);
	}
	db_finalize(s);
	return r;
}

int store_passkey_handle(struct store *st, const char *user_id, bool create,
			 char ret[static STORE_PASSKEY_HANDLE_MAX + 1], struct err *err)
{
	char stored[sodium_base64_ENCODED_LEN(RAW_HANDLE_MAX, STD)], hex[65];
	uint8_t raw[32];
	bool found = false;
	int r;

	store_lock(st);
	r = read_handle(st, user_id, stored, sizeof(stored), &found, err);
	if (r == 0 && !found)
		r = err_set(err, -EINVAL, "unknown user");
	if (r == 0 && !*stored && create) {
		/* wg-portal's form: 64 hex digits, standard base64 (GenerateWebAuthnId); only an
		 * empty handle is replaced, so of two racing registrations both get the winner's */
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
		sodium_bin2base64(stored, sizeof(stored), (const uint8_t *)hex, 64, STD);
		r = sa_write1(st, "UPDATE users SET webauthn_id = ?2 WHERE identifier = ?1 AND "
			      "webauthn_id = ''", "store passkey handle", NULL, err, user_id, stored,
			      NULL, 0);
		if (r == 0)
			r = read_handle(st, user_id, stored, sizeof(stored), &found, err);
	}
	if (r == 0 && !*stored)
		r = -ENOENT;
	else if (r == 0 && recode(stored, STD, URL, RAW_HANDLE_MAX, ret,
				  STORE_PASSKEY_HANDLE_MAX + 1) < 0)
		r = err_set(err, -EIO, "the stored WebAuthn id of '%s' is damaged", user_id);
	store_unlock(st);
	return r;
}

/* ---- credentials -------------------------------------------------------------------------- */

#define PASSKEY_COLS "c.credential_id, c.user_id, c.display_name, c.public_key, c.alg, " \
	"c.sign_count, c.aaguid, c.backup_eligible, c.backed_up, c.created_at, c.last_used_at"

/* One row of PASSKEY_COLS. A row without the sign-in columns (taken over from wg-portal)
 * reads with cose_key_len 0. */
static int read_passkey(struct db_stmt *s, struct store_passkey *k)
{
	const char *key = db_column_text(s, 3);
	size_t n = 0;

	memset(k, 0, sizeof(*k));
	if (recode(db_column_text(s, 0), STD, URL, RAW_ID_MAX, k->id, sizeof(k->id)) < 0 ||
	    store_col_fixed(s, 1, k->user_id, sizeof(k->user_id)) < 0)
		return -EIO;
	/* a longer name or AAGUID from wg-portal is cut, not an error */
	if (store_col_fixed(s, 2, k->name, sizeof(k->name)) < 0)
		snprintf(k->name, sizeof(k->name), "%s",
			 db_column_text(s, 2) ? db_column_text(s, 2) : "");
	if (store_col_fixed(s, 6, k->aaguid, sizeof(k->aaguid)) < 0)
		*k->aaguid = '\0';
	if (key && *key && sodium_base642bin(k->cose_key, sizeof(k->cose_key), key, strlen(key),
					     NULL, &n, NULL, STD) != 0)
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

/* The user's next insertion number (read first: MySQL refuses a subquery on the table an
 * INSERT writes). Two instances adding at once may tie; the id then orders them. */
static int next_seq(struct store *st, const char *user_id, int64_t *ret, struct err *err)
{
	struct db_stmt *s;
	int r = sa_prep(st, "SELECT MAX(seq) FROM user_passkeys WHERE user_id = ?1", &s,
			"store passkey", err, user_id, NULL, NULL);
	int rc;

	if (r < 0)
		return r;
	rc = db_step(s, err);
	if (rc == DB_ROW)
		*ret = db_column_int64(s, 0) + 1;
	else if (rc != DB_DONE)
		r = store_db_err(rc, "store passkey", err);
	db_finalize(s);
	return r;
}

int store_passkey_insert(struct store *st, const struct store_passkey *k, struct err *err)
{
	char key[sodium_base64_ENCODED_LEN(STORE_PASSKEY_KEY_MAX, STD)], id[STORED_ID_MAX];
	struct db_stmt *s;
	bool have = false;
	int64_t seq = 0;
	int r;

	if (stored_id(k->id, id) < 0)
		return err_set(err, -EINVAL, "invalid credential id");
	sodium_bin2base64(key, sizeof(key), k->cose_key, k->cose_key_len, STD);
	store_lock(st);
	/* unique across users; wg-portal's table has no such constraint to lean on */
	r = sa_exists(st, "SELECT 1 FROM user_passkeys WHERE credential_id = ?1",
		      "store passkey", id, NULL, NULL, &have, err);
	if (r == 0 && have)
		r = err_set(err, -EEXIST, "this passkey is registered already");
	if (r == 0)
		r = next_seq(st, k->user_id, &seq, err);
	if (r == 0)
		r = store_single_begin(st, err);
	if (r == 0) {
		r = sa_prep(st, "INSERT INTO user_passkeys (credential_id, user_id, display_name, "
			    "public_key, alg, sign_count, aaguid, backup_eligible, backed_up, "
			    "created_at, last_used_at, serialized_credential, seq) VALUES (?1, ?2, ?3, "
			    "?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, '', ?11)", &s, "store passkey", err, id,
			    k->user_id, k->name);
		if (r == 0) {
			db_bind_text(s, 4, key);
			db_bind_int64(s, 5, (int64_t)k->alg);
			db_bind_int64(s, 6, (int64_t)k->sign_count);
			db_bind_text(s, 7, k->aaguid);
			db_bind_int64(s, 8, k->backup_eligible);
			db_bind_int64(s, 9, k->backed_up);
			db_bind_int64(s, 10, k->created_at);
			db_bind_int64(s, 11, seq);
			r = sa_finish(st, s, "store passkey", NULL, err);
		}
		r = store_single_end(st, r, err);
	}
	store_unlock(st);
	return r;
}

int store_passkey_get(struct store *st, const char *id, struct store_passkey *ret,
		      char **ret_serialized, char handle[static STORE_PASSKEY_HANDLE_MAX + 1],
		      struct err *err)
{
	char sid[STORED_ID_MAX];
	struct db_stmt *s;
	int r, rc;

	*ret_serialized = NULL;
	if (stored_id(id, sid) < 0)
		return err_set(err, -ENOENT, "unknown passkey");
	store_lock(st);
	r = sa_prep(st, "SELECT " PASSKEY_COLS ", c.serialized_credential, u.webauthn_id FROM "
		    "user_passkeys c JOIN users u ON u.identifier = c.user_id WHERE "
		    "c.credential_id = ?1", &s, "read passkey", err, sid, NULL, NULL);
	if (r == 0) {
		rc = db_step(s, err);
		if (rc == DB_ROW) {
			r = read_passkey(s, ret);
			if (r == 0 && !ret->cose_key_len)
				r = store_col_str(s, 11, ret_serialized);
			if (r == 0 && recode(db_column_text(s, 12), STD, URL, RAW_HANDLE_MAX, handle,
					     STORE_PASSKEY_HANDLE_MAX + 1) < 0)
				*handle = '\0';   /* no (valid) handle: no user handle matches */
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

int store_passkey_fill(struct store *st, const struct store_passkey *k, struct err *err)
{
	char key[sodium_base64_ENCODED_LEN(STORE_PASSKEY_KEY_MAX, STD)], id[STORED_ID_MAX];
	struct db_stmt *s;
	int r;

	if (stored_id(k->id, id) < 0)
		return err_set(err, -EINVAL, "invalid credential id");
	sodium_bin2base64(key, sizeof(key), k->cose_key, k->cose_key_len, STD);
	if ((r = store_single_begin(st, err)) < 0)
		return r;
	r = sa_prep(st, "UPDATE user_passkeys SET public_key = ?2, alg = ?3, sign_count = ?4, "
		    "aaguid = ?5, backup_eligible = ?6, backed_up = ?7 WHERE credential_id = ?1 AND "
		    "public_key = ''", &s, "store passkey", err, id, key, NULL);
	if (r == 0) {
		db_bind_int64(s, 3, (int64_t)k->alg);
		db_bind_int64(s, 4, (int64_t)k->sign_count);
		db_bind_text(s, 5, k->aaguid);
		db_bind_int64(s, 6, k->backup_eligible);
		db_bind_int64(s, 7, k->backed_up);
		r = sa_finish(st, s, "store passkey", NULL, err);
	}
	return store_single_end(st, r, err);
}

int store_passkey_list(struct store *st, const char *user_id, struct store_passkey **ret,
		       size_t *n, struct err *err)
{
	struct store_passkey *v = NULL, *nv;
	struct db_stmt *s = NULL;
	size_t cnt = 0;
	int r, rc = DB_DONE;

	store_lock(st);
	r = sa_prep(st, "SELECT " PASSKEY_COLS " FROM user_passkeys c WHERE c.user_id = ?1 "
		    "ORDER BY c.created_at, c.seq, c.credential_id", &s, "list passkeys", err, user_id,
		    NULL, NULL);
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
	char sid[STORED_ID_MAX];

	if (stored_id(id, sid) < 0)
		return err_set(err, -ENOENT, "no such passkey");
	return sa_write_row(st, "UPDATE user_passkeys SET display_name = ?3 WHERE "
			    "credential_id = ?1 AND user_id = ?2", "rename passkey", -ENOENT,
			    "no such passkey", err, sid, user_id, name, 0);
}

int store_passkey_delete(struct store *st, const char *user_id, const char *id, struct err *err)
{
	char sid[STORED_ID_MAX];

	if (stored_id(id, sid) < 0)
		return err_set(err, -ENOENT, "no such passkey");
	return sa_write_row(st, "DELETE FROM user_passkeys WHERE credential_id = ?1 AND "
			    "user_id = ?2", "delete passkey", -ENOENT, "no such passkey", err, sid,
			    user_id, NULL, 0);
}

int store_passkey_used(struct store *st, const char *id, uint32_t from, uint32_t to,
		       bool backed_up, int64_t now, struct err *err)
{
	char sid[STORED_ID_MAX];
	struct db_stmt *s;
	int r, changes = 0;

	if (stored_id(id, sid) < 0)
		return err_set(err, -ENOENT, "unknown passkey");
	if ((r = store_single_begin(st, err)) < 0)
		return r;
	r = sa_prep(st, "UPDATE user_passkeys SET sign_count = ?3, backed_up = ?4, "
		    "last_used_at = ?5 WHERE credential_id = ?1 AND sign_count = ?2", &s,
		    "update passkey counter", err, sid, NULL, NULL);
	if (r == 0) {
		db_bind_int64(s, 2, (int64_t)from);
		db_bind_int64(s, 3, (int64_t)to);
		db_bind_int64(s, 4, backed_up);
		db_bind_int64(s, 5, now);
		r = sa_finish(st, s, "update passkey counter", &changes, err);
	}
	r = store_single_end(st, r, err);
	if (r == 0 && changes == 0)
		r = err_set(err, -EACCES, "passkey was used by another sign-in at the same time");
	return r;
}

/* ---- wg-portal's credentials (taking over its database) ---------------------------------- */

int store_passkey_import(struct store *st, const struct store_passkey_wgp *p, struct err *err)
{
	struct db_stmt *s;
	int r;

	if (!p->user_id || !*p->user_id || !p->credential_id || !*p->credential_id)
		return err_set(err, -EINVAL, "passkey without user or credential id");
	if ((r = store_single_begin(st, err)) < 0)
		return r;
	/* as wg-portal stored it; the sign-in columns follow at the first use */
	r = sa_prep(st, "INSERT INTO user_passkeys (user_id, credential_id, display_name, "
		    "serialized_credential, created_at) VALUES (?1, ?2, ?3, ?5, ?4)", &s,
		    "add passkey", err, p->user_id, p->credential_id, p->display_name);
	if (r == 0) {
		db_bind_int64(s, 4, p->created_at);
		db_bind_text(s, 5, p->serialized_credential ? p->serialized_credential : "");
		r = sa_finish(st, s, "add passkey", NULL, err);
	}
	return store_single_end(st, r, err);
}
