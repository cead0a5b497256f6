/* SPDX-License-Identifier: MIT */
/*
 * The throttles table (migration 7): the recent failure times of one (kind, key), for the login
 * and API-token throttles that several nodes count together (api/throttle.c, docs/cluster.md).
 * The times are unix seconds, oldest first, comma-separated in one row. An update runs in one
 * transaction that first locks the row with an upsert, so parallel updates of one key, from any
 * node, run one after the other and a reservation counts exactly. Keys longer than
 * KEY_INLINE_MAX are stored as their hash.
 */
#include "store/store-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#define KEY_INLINE_MAX 128
/* Rows untouched this long are removed (every PURGE_EVERY updates). */
#define PURGE_AFTER_S 3600
#define PURGE_EVERY 64

static const char sql_get[] = "SELECT times FROM throttles WHERE kind = ?1 AND key = ?2";
static const char sql_lock[] =
	"INSERT INTO throttles (kind, key, times, updated_at) VALUES (?1, ?2, '', ?3) "
	"ON CONFLICT(kind, key) DO UPDATE SET updated_at = ?3";
static const char sql_put[] =
	"UPDATE throttles SET times = ?3, updated_at = ?4 WHERE kind = ?1 AND key = ?2";
static const char sql_del[] = "DELETE FROM throttles WHERE kind = ?1 AND key = ?2";
static const char sql_purge[] = "DELETE FROM throttles WHERE updated_at < ?";

/* The stored form of a key: itself, or "#" + its hash when long. */
static void key_form(const char *key, char out[static KEY_INLINE_MAX + 2])
{
	char h[65];

	if (strlen(key) <= KEY_INLINE_MAX) {
		snprintf(out, KEY_INLINE_MAX + 2, "%s", key);
		return;
	}
	store_token_hash(key, h);
	snprintf(out, KEY_INLINE_MAX + 2, "#%s", h);
}

static size_t parse_times(const char *s, int64_t *t, size_t cap)
{
	size_t n = 0;

	while (s && *s && n < cap) {
		char *end;
		long long v = strtoll(s, &end, 10);

		if (end == s)
			break;
		t[n++] = v;
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

static int bind_kk(struct db_stmt *s, int kind, const char *k)
{
	return db_bind_int64(s, 1, kind) | db_bind_text(s, 2, k);
}

static int read_locked(struct store *st, int kind, const char *k, int64_t *t, size_t cap,
		       size_t *n, struct err *err)
{
	struct db_stmt *s;
	int r = store_stmt(st, STMT_THROTTLE_GET, sql_get, &s, err), rc;

	*n = 0;
	if (r < 0)
		return r;
	bind_kk(s, kind, k);
	rc = db_step(s, err);
	if (rc == DB_ROW)
		*n = parse_times(db_column_text(s, 0), t, cap);
	store_stmt_done(s);
	return rc < 0 ? store_db_err(rc, "read a throttle", err) : 0;
}

int store_throttle_get(struct store *st, int kind, const char *key, int64_t *times, size_t cap,
		       size_t *n, struct err *err)
{
	char k[KEY_INLINE_MAX + 2];
	int r;

	key_form(key, k);
	store_lock(st);
	r = read_locked(st, kind, k, times, cap, n, err);
	store_unlock(st);
	return r;
}

static int write_list(struct store *st, int kind, const char *k, const int64_t *t, size_t n,
		      int64_t now, struct err *err)
{
	struct db_stmt *s;
	char *list = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (n == 0) {
		r = store_stmt(st, STMT_THROTTLE_DEL, sql_del, &s, err);
		if (r == 0) {
			bind_kk(s, kind, k);
			r = store_step_done(st, s, "update a throttle", err);
		}
		return r;
	}
	f = open_memstream(&list, &len);
	if (!f)
		return err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%lld", i ? "," : "", (long long)t[i]);
	if (fclose(f) != 0 || !list) {
		free(list);
		return err_set(err, -ENOMEM, "out of memory");
	}
	r = store_stmt(st, STMT_THROTTLE_PUT, sql_put, &s, err);
	if (r < 0) {
		free(list);
		return r;
	}
	bind_kk(s, kind, k);
	db_bind_text_take(s, 3, list);
	db_bind_int64(s, 4, now);
	return store_step_done(st, s, "update a throttle", err);
}

int store_throttle_update(struct store *st, int kind, const char *key, int64_t now,
			  int (*fn)(int64_t *t, size_t *n, size_t cap, void *ctx), void *ctx,
			  struct err *err)
{
	static unsigned calls; /* atomic */
	char k[KEY_INLINE_MAX + 2];
	int64_t t[STORE_THROTTLE_TIMES_MAX];
	struct db_stmt *s;
	size_t n = 0;
	int r, result = 0;

	key_form(key, k);
	r = store_begin(st, err);
	if (r < 0)
		return r;
	r = store_stmt(st, STMT_THROTTLE_LOCK, sql_lock, &s, err);
	if (r == 0) {
		bind_kk(s, kind, k);
		db_bind_int64(s, 3, now);
		r = store_step_done(st, s, "lock a throttle", err);
	}
	if (r == 0)
		r = read_locked(st, kind, k, t, STORE_THROTTLE_TIMES_MAX, &n, err);
	if (r == 0)
		result = fn(t, &n, STORE_THROTTLE_TIMES_MAX, ctx);
	if (r == 0)
		r = write_list(st, kind, k, t, n, now, err);
	if (r == 0 && __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED) % PURGE_EVERY == 0) {
		r = store_stmt(st, STMT_THROTTLE_PURGE, sql_purge, &s, err);
		if (r == 0) {
			db_bind_int64(s, 1, now - PURGE_AFTER_S);
			r = store_step_done(st, s, "purge throttles", err);
		}
	}
	if (r < 0) {
		store_rollback(st);
		return r;
	}
	r = store_commit(st, err);
	return r < 0 ? r : result;
}
