/* SPDX-License-Identifier: MIT */
/*
 * The delivery queue and log (see store_delivery.h; schema: migration 5 in store_migrate.c).
 * Webhook bodies carry peer and interface private keys (wg-portal sends them), so the payload
 * column is sealed like every other secret when database.encryption_passphrase is set. SQL here
 * is the db layer's neutral dialect (docs/database.md), so the queue works on every engine.
 * Statements are prepared per call: the queue is polled, not hot.
 */
#include "store/store_delivery.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-int.h"
#include "util/err.h"

#define DELIVERY_FILTER_MAX 256
#define PENDING "status IN ('queued', 'retrying')"
#define SEAL_FIELD "delivery.payload"

#define COLS                                                                                   \
	"id, kind, object_key, event, entity, identifier, recipient, requested_by, status, "    \
	"attempts, next_attempt_at, last_error, response_code, duration_ms, created_at, "       \
	"updated_at, sent_at"
#define N_COLS 17

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
static int run_done(struct db_stmt *s, const char *what, struct err *err)
{
	int r = db_step_done(s, err);

	db_finalize(s);
	return r < 0 ? store_db_err(r, what, err) : 0;
}

void store_delivery_release(struct store_delivery *d)
{
	if (!d)
		return;
	free(d->kind);
	free(d->object_key);
	free(d->event);
	free(d->entity);
	free(d->identifier);
	free(d->recipient);
	if (d->payload) {
		explicit_bzero(d->payload, strlen(d->payload));
		free(d->payload);
	}
	free(d->requested_by);
	free(d->status);
	free(d->last_error);
	memset(d, 0, sizeof(*d));
}

void store_delivery_list_free(struct store_delivery *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		store_delivery_release(&list[i]);
	free(list);
}

/* Reads the COLS columns of the current row. */
static int read_row(struct db_stmt *s, struct store_delivery *d)
{
	int r = 0;

	memset(d, 0, sizeof(*d));
	d->id = db_column_int64(s, 0);
	r |= store_col_str(s, 1, &d->kind);
	r |= store_col_str(s, 2, &d->object_key);
	r |= store_col_str(s, 3, &d->event);
	r |= store_col_str(s, 4, &d->entity);
	r |= store_col_str(s, 5, &d->identifier);
	r |= store_col_str(s, 6, &d->recipient);
	r |= store_col_str(s, 7, &d->requested_by);
	r |= store_col_str(s, 8, &d->status);
	d->attempts = (int)db_column_int64(s, 9);
	d->next_attempt_at = db_column_int64(s, 10);
	r |= store_col_str(s, 11, &d->last_error);
	d->response_code = (int)db_column_int64(s, 12);
	d->duration_ms = db_column_int64(s, 13);
	d->created_at = db_column_int64(s, 14);
	d->updated_at = db_column_int64(s, 15);
	d->sent_at = db_column_int64(s, 16);
	return r ? -ENOMEM : 0;
}

int store_delivery_add(struct store *st, struct store_delivery *d, int64_t now_ms,
		       struct err *err)
{
	struct db_stmt *s;
	unsigned char rnd[16];
	char uid[33], *sealed = NULL;
	int r, rc;

	if (!d->kind || !d->object_key)
		return err_set(err, -EINVAL, "delivery: kind and object key are required");
	if (store_secret_seal(st, d->payload ? d->payload : "", SEAL_FIELD, d->object_key,
			      &sealed) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	/* no engine-neutral "last insert id": a random token finds the row again */
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(uid, sizeof(uid), rnd, sizeof(rnd));
	r = store_single_begin(st, err);
	if (r == 0)
		r = prep(st,
			 "INSERT INTO deliveries (uid, kind, object_key, event, entity, identifier, "
			 "recipient, payload, requested_by, status, attempts, next_attempt_at, "
			 "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
			 "'queued', 0, ?10, ?10, ?10)", &s, "queue delivery", err);
	if (r == 0) {
		db_bind_text(s, 1, uid);
		store_bind_str(s, 2, d->kind);
		store_bind_str(s, 3, d->object_key);
		store_bind_str(s, 4, d->event);
		store_bind_str(s, 5, d->entity);
		store_bind_str(s, 6, d->identifier);
		store_bind_str(s, 7, d->recipient);
		store_bind_str(s, 8, sealed);
		store_bind_str(s, 9, d->requested_by);
		db_bind_int64(s, 10, now_ms);
		r = run_done(s, "queue delivery", err);
	}
	if (r == 0)
		r = prep(st, "SELECT id FROM deliveries WHERE uid = ?1", &s, "read delivery id", err);
	if (r == 0) {
		db_bind_text(s, 1, uid);
		rc = db_step(s, err);
		if (rc == DB_ROW)
			d->id = db_column_int64(s, 0);
		else
			r = rc < 0 ? store_db_err(rc, "read delivery id", err)
				   : err_set(err, -EIO, "queued delivery not found");
		db_finalize(s);
	}
	r = store_single_end(st, r, err);
	if (r == 0) {
		d->created_at = d->updated_at = d->next_attempt_at = now_ms;
		d->attempts = 0;
	}
	if (sealed) {
		explicit_bzero(sealed, strlen(sealed));
		free(sealed);
	}
	return r;
}

/* Rows of kind first in line for their object (no older pending row shares the key). */
#define FIRST_IN_LINE                                                                          \
	"kind = ?1 AND " PENDING " AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE "         \
	"e.object_key = d.object_key AND e.id < d.id AND e.status IN ('queued', 'retrying'))"

static int open_payload(struct store *st, struct db_stmt *s, int col, struct store_delivery *d,
			struct err *err)
{
	const char *stored = db_column_text(s, col);
	size_t size = stored ? strlen(stored) + 1 : 1;
	int r;

	d->payload = malloc(size);
	if (!d->payload)
		return err_set(err, -ENOMEM, "out of memory");
	r = store_secret_open(st, stored ? stored : "", SEAL_FIELD, STR(d->object_key),
			      d->payload, size, err);
	if (r < 0)
		err_prefix(err, "delivery %lld payload", (long long)d->id);
	return r;
}

int store_delivery_due(struct store *st, const char *kind, int64_t now_ms, size_t limit,
		       struct store_delivery **ret, size_t *n, struct err *err)
{
	struct store_delivery *list = calloc(limit ? limit : 1, sizeof(*list));
	struct db_stmt *s = NULL;
	size_t cnt = 0;
	int r, rc = DB_DONE;

	if (!list)
		return err_set(err, -ENOMEM, "out of memory");
	store_lock(st);
	r = prep(st, "SELECT " COLS ", payload FROM deliveries d WHERE " FIRST_IN_LINE
		 " AND next_attempt_at <= ?2 ORDER BY id LIMIT ?3", &s, "read due deliveries",
		 err);
	if (r < 0)
		goto out;
	db_bind_text(s, 1, kind);
	db_bind_int64(s, 2, now_ms);
	db_bind_int64(s, 3, (int64_t)limit);
	while (r == 0 && cnt < limit && (rc = db_step(s, err)) == DB_ROW) {
		r = read_row(s, &list[cnt]);
		if (r < 0) {
			r = err_set(err, r, "out of memory");
			cnt++;
			break;
		}
		r = open_payload(st, s, N_COLS, &list[cnt], err);
		cnt++;
	}
	if (r == 0 && rc < 0)
		r = store_db_err(rc, "read due deliveries", err);
out:
	db_finalize(s);
	store_unlock(st);
	if (r < 0) {
		store_delivery_list_free(list, cnt);
		return r;
	}
	*ret = list;
	*n = cnt;
	return 0;
}

int store_delivery_next_due(struct store *st, const char *kind, int64_t *ret_ms,
			    struct err *err)
{
	struct db_stmt *s;
	int r, rc;

	store_lock(st);
	r = prep(st, "SELECT min(next_attempt_at), count(*) FROM deliveries d WHERE "
		 FIRST_IN_LINE, &s, "read next delivery", err);
	if (r == 0) {
		db_bind_text(s, 1, kind);
		rc = db_step(s, err);
		if (rc != DB_ROW)
			r = rc < 0 ? store_db_err(rc, "read next delivery", err)
				   : err_set(err, -EIO, "read next delivery: no row");
		else if (db_column_int64(s, 1) == 0)
			r = -ENOENT;
		else
			*ret_ms = db_column_int64(s, 0);
		db_finalize(s);
	}
	store_unlock(st);
	return r;
}

int store_delivery_update(struct store *st, const struct store_delivery *d, struct err *err)
{
	struct db_stmt *s;
	int r = store_single_begin(st, err);

	if (r == 0)
		r = prep(st,
			 "UPDATE deliveries SET status = ?2, attempts = ?3, next_attempt_at = ?4, "
			 "last_error = ?5, response_code = ?6, duration_ms = ?7, sent_at = ?8, "
			 "updated_at = ?9 WHERE id = ?1", &s, "update delivery", err);
	if (r == 0) {
		db_bind_int64(s, 1, d->id);
		store_bind_str(s, 2, d->status);
		db_bind_int64(s, 3, d->attempts);
		db_bind_int64(s, 4, d->next_attempt_at);
		store_bind_str(s, 5, d->last_error);
		db_bind_int64(s, 6, d->response_code);
		db_bind_int64(s, 7, d->duration_ms);
		db_bind_int64(s, 8, d->sent_at);
		db_bind_int64(s, 9, d->updated_at);
		r = run_done(s, "update delivery", err);
	}
	if (r == 0 && db_changes(st->db) == 0)
		r = err_set(err, -ENOENT, "delivery %lld not found", (long long)d->id);
	return store_single_end(st, r, err);
}

static char *like_pattern(const char *filter)
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

/* lower() on both sides: LIKE is case-insensitive in SQLite only. An absent criterion is ''
 * ("?1 IS NULL OR ..." leaves PostgreSQL unable to type the parameter, store_session.c). */
#define LIKE3(col) "lower(" col ") LIKE lower(?3) ESCAPE '\\'"
#define LIST_WHERE                                                                             \
	" WHERE (?1 = '' OR kind = ?1) AND (?2 = '' OR status = ?2) AND (?3 = '' OR "           \
	LIKE3("event") " OR " LIKE3("entity") " OR " LIKE3("identifier") " OR "                \
	LIKE3("recipient") " OR " LIKE3("status") " OR " LIKE3("last_error") ")"

static void bind_list(struct db_stmt *s, const char *kind, const char *status, const char *pat)
{
	db_bind_text(s, 1, kind ? kind : "");
	db_bind_text(s, 2, status ? status : "");
	db_bind_text(s, 3, pat ? pat : "");
}

int store_delivery_list(struct store *st, const struct store_query *q, const char *kind,
			const char *status, struct store_delivery **ret, size_t *n, size_t *total,
			struct err *err)
{
	const char *filter = q && q->filter && *q->filter ? q->filter : NULL;
	struct store_delivery *list = NULL;
	size_t cnt = 0, cap = 0;
	struct db_stmt *s = NULL;
	char *pat = NULL;
	int r, rc;

	if (filter && strlen(filter) > DELIVERY_FILTER_MAX)
		return err_field(err, -EINVAL, "filter", "filter longer than %d characters",
				 DELIVERY_FILTER_MAX);
	if (filter && !(pat = like_pattern(filter)))
		return err_set(err, -ENOMEM, "out of memory");
	store_lock(st);
	r = prep(st, "SELECT count(*) FROM deliveries" LIST_WHERE, &s, "count deliveries", err);
	if (r < 0)
		goto out;
	bind_list(s, kind, status, pat);
	rc = db_step(s, err);
	if (rc == DB_ROW)
		*total = (size_t)db_column_int64(s, 0);
	else
		r = rc < 0 ? store_db_err(rc, "count deliveries", err)
			   : err_set(err, -EIO, "count deliveries: no row");
	db_finalize(s);
	s = NULL;
	if (r < 0)
		goto out;
	r = prep(st, "SELECT " COLS " FROM deliveries" LIST_WHERE " ORDER BY id DESC LIMIT ?4 "
		 "OFFSET ?5", &s, "list deliveries", err);
	if (r < 0)
		goto out;
	bind_list(s, kind, status, pat);
	db_bind_int64(s, 4, q && q->limit ? (int64_t)q->limit : INT64_MAX);
	db_bind_int64(s, 5, q ? (int64_t)q->offset : 0);
	while ((rc = db_step(s, err)) == DB_ROW) {
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct store_delivery *nl = realloc(list, ncap * sizeof(*nl));
			if (!nl) {
				r = err_set(err, -ENOMEM, "out of memory");
				goto out;
			}
			list = nl;
			cap = ncap;
		}
		if (read_row(s, &list[cnt++]) < 0) {
			r = err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	if (rc < 0)
		r = store_db_err(rc, "list deliveries", err);
out:
	db_finalize(s);
	store_unlock(st);
	free(pat);
	if (r < 0) {
		store_delivery_list_free(list, cnt);
		return r;
	}
	*ret = list;
	*n = cnt;
	return 0;
}

int store_delivery_get(struct store *st, int64_t id, struct store_delivery *ret,
		       struct err *err)
{
	struct db_stmt *s;
	int r, rc;

	store_lock(st);
	r = prep(st, "SELECT " COLS " FROM deliveries WHERE id = ?1", &s, "read delivery", err);
	if (r == 0) {
		db_bind_int64(s, 1, id);
		rc = db_step(s, err);
		if (rc == DB_ROW)
			r = read_row(s, ret) < 0 ? err_set(err, -ENOMEM, "out of memory") : 0;
		else if (rc == DB_DONE)
			r = err_set(err, -ENOENT, "delivery %lld not found", (long long)id);
		else
			r = store_db_err(rc, "read delivery", err);
		db_finalize(s);
	}
	store_unlock(st);
	return r;
}

int store_delivery_purge(struct store *st, int64_t before_ms, struct err *err)
{
	struct db_stmt *s;
	int r = store_single_begin(st, err);

	if (r == 0)
		r = prep(st, "DELETE FROM deliveries WHERE status IN ('sent', 'failed') AND "
			 "updated_at < ?1", &s, "purge deliveries", err);
	if (r == 0) {
		db_bind_int64(s, 1, before_ms);
		r = run_done(s, "purge deliveries", err);
	}
	return store_single_end(st, r, err);
}

int store_delivery_pending(struct store *st, const char *kind, size_t *ret, struct err *err)
{
	struct db_stmt *s;
	int r, rc;

	store_lock(st);
	r = prep(st, "SELECT count(*) FROM deliveries WHERE kind = ?1 AND " PENDING, &s,
		 "count pending deliveries", err);
	if (r == 0) {
		db_bind_text(s, 1, kind);
		rc = db_step(s, err);
		if (rc == DB_ROW)
			*ret = (size_t)db_column_int64(s, 0);
		else
			r = rc < 0 ? store_db_err(rc, "count pending deliveries", err)
				   : err_set(err, -EIO, "count pending deliveries: no row");
		db_finalize(s);
	}
	store_unlock(st);
	return r;
}
