/* SPDX-License-Identifier: MIT */
/*
 * Round-trip state of sign-ins in the store (store_auth.h, table signin_pending of migration
 * 8; auth/pending.h): every node of a cluster sees it, and a restart keeps it. Values are
 * sealed like the other secrets, bound to their kind and key; keys are hashes of the browser's
 * tokens. Portable SQL only: the "closest to expiry" row is read before it is deleted (MySQL
 * refuses a subquery on the table a DELETE changes), and a take is decided by its DELETE.
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

#define B64_MAX sodium_base64_ENCODED_LEN(STORE_PENDING_VALUE_MAX, sodium_base64_VARIANT_ORIGINAL)
/* what store_secret_seal takes at most (store_secret.c) */
#define SEALABLE_MAX 4096
_Static_assert(B64_MAX <= SEALABLE_MAX, "round-trip state must fit a sealed secret");

/* One statement with (kind, key or NULL, an integer or 0) at ?1, ?2, ?3; *changes as sa_finish.
 * A query's first integer column goes to *ret_int (when not NULL) and its first text to
 * *ret_text (heap, when not NULL). */
static int run(struct store *st, const char *sql, const char *what, int kind, const char *key,
	       int64_t i3, int *changes, int64_t *ret_int, char **ret_text, struct err *err)
{
	struct db_stmt *s;
	int r = db_prepare(st->db, sql, &s, err), rc;

	if (r < 0)
		return store_db_err(r, what, err);
	(void)db_bind_int64(s, 1, kind);
	(void)db_bind_text(s, 2, key);
	(void)db_bind_int64(s, 3, i3);
	if (!ret_int && !ret_text)
		return sa_finish(st, s, what, changes, err);
	rc = db_step(s, err);
	if (rc == DB_ROW) {
		if (ret_int)
			*ret_int = db_column_int64(s, 0);
		if (ret_text && store_col_str(s, ret_int ? 1 : 0, ret_text) < 0)
			r = err_set(err, -ENOMEM, "out of memory");
	} else if (rc == DB_DONE) {
		r = -ENOENT;
	} else {
		r = store_db_err(rc, what, err);
	}
	db_finalize(s);
	return r;
}

static void field(int kind, char out[static 32])
{
	snprintf(out, 32, "signin.pending.%d", kind);
}

int store_pending_put(struct store *st, int kind, const char *key, const void *value,
		      size_t len, int64_t now, int64_t expires, size_t max, struct err *err)
{
	char b64[B64_MAX], f[32], *sealed = NULL, *oldest = NULL;
	struct db_stmt *s;
	int64_t n = 0;
	int r;

	if (len > STORE_PENDING_VALUE_MAX)
		return err_set(err, -E2BIG, "round-trip state too large");
	sodium_bin2base64(b64, sizeof(b64), value, len, sodium_base64_VARIANT_ORIGINAL);
	field(kind, f);
	r = store_secret_seal(st, b64, f, key, &sealed);
	sodium_memzero(b64, sizeof(b64));
	if (r < 0)
		return err_set(err, r, "out of memory");
	store_lock(st);
	r = store_begin(st, err);
	if (r == 0)   /* the kind's expired entries and an entry of the same key go */
		r = run(st, "DELETE FROM signin_pending WHERE kind = ?1 AND (expires_at <= ?3 OR "
			"key_hash = ?2)", "store sign-in state", kind, key, now, NULL, NULL, NULL,
			err);
	if (r == 0)
		r = run(st, "SELECT count(*) FROM signin_pending WHERE kind = ?1",
			"store sign-in state", kind, NULL, 0, NULL, &n, NULL, err);
	if (r == 0 && (size_t)n >= max) {   /* full: the entry closest to expiry goes */
		int64_t at = 0;
		r = run(st, "SELECT expires_at, key_hash FROM signin_pending WHERE kind = ?1 ORDER BY "
			"expires_at LIMIT 1", "store sign-in state", kind, NULL, 0, NULL, &at,
			&oldest, err);
		if (r == 0)
			r = run(st, "DELETE FROM signin_pending WHERE kind = ?1 AND key_hash = ?2",
				"store sign-in state", kind, oldest, 0, NULL, NULL, NULL, err);
	}
	if (r == 0) {
		r = db_prepare(st->db, "INSERT INTO signin_pending (kind, key_hash, value, "
			       "expires_at) VALUES (?1, ?2, ?3, ?4)", &s, err);
		if (r < 0) {
			r = store_db_err(r, "store sign-in state", err);
		} else {
			(void)db_bind_int64(s, 1, kind);
			(void)db_bind_text(s, 2, key);
			(void)db_bind_text(s, 3, sealed);
			(void)db_bind_int64(s, 4, expires);
			r = sa_finish(st, s, "store sign-in state", NULL, err);
		}
	}
	if (r == 0)
		r = store_commit(st, err);
	else
		store_rollback(st);
	store_unlock(st);
	free(oldest);
	free(sealed);
	return r;
}

int store_pending_take(struct store *st, int kind, const char *key, int64_t now, void *out,
		       size_t cap, size_t *ret_len, struct err *err)
{
	char b64[B64_MAX], f[32], *stored = NULL;
	uint8_t raw[STORE_PENDING_VALUE_MAX];
	int64_t expires = 0;
	size_t n = 0;
	int r, changes = 0;

	store_lock(st);
	r = run(st, "SELECT expires_at, value FROM signin_pending WHERE kind = ?1 AND "
		"key_hash = ?2", "read sign-in state", kind, key, 0, NULL, &expires, &stored, err);
	/* whoever deletes the row has it: of two takes on any nodes, one */
	if (r == 0)
		r = run(st, "DELETE FROM signin_pending WHERE kind = ?1 AND key_hash = ?2",
			"read sign-in state", kind, key, 0, &changes, NULL, NULL, err);
	store_unlock(st);
	if (r == 0 && (changes != 1 || expires <= now))
		r = -ENOENT;
	field(kind, f);
	if (r == 0)
		r = store_secret_open(st, stored, f, key, b64, sizeof(b64), err);
	if (r == 0 && sodium_base642bin(raw, sizeof(raw), b64, strlen(b64), NULL, &n, NULL,
					sodium_base64_VARIANT_ORIGINAL) != 0)
		r = err_set(err, -EIO, "read sign-in state: stored value is damaged");
	if (r == 0) {
		memcpy(out, raw, n < cap ? n : cap);
		if (ret_len)
			*ret_len = n;
	}
	sodium_memzero(b64, sizeof(b64));
	sodium_memzero(raw, sizeof(raw));
	free(stored);
	return r;
}
