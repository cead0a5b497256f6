/* SPDX-License-Identifier: MIT */
/*
 * The delivery queue and log (see store_delivery.h; schema: migration 5 in store_migrate.c).
 * Webhook bodies carry peer and interface private keys (wg-portal sends them), so the payload
 * column is sealed like every other secret when database.encryption_passphrase is set. SQL here
 * keeps to the portable subset (numbered placeholders, no engine functions). Statements are
 * prepared per call: the queue is polled, not hot.
 */
#include "store/store_delivery.h"

#include <errno.h>
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

static int prep(struct store *st, const char *sql, sqlite3_stmt **ret, const char *what,
		struct err *err)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, ret, NULL);

	if (rc != SQLITE_OK) {
		*ret = NULL;
		return store_sql_err(st, rc, what, err);
	}
	return 0;
}

static int run_done(struct store *st, sqlite3_stmt *s, const char *what, struct err *err)
{
	int rc = sqlite3_step(s);
	int r = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : store_sql_err(st, rc, what, err);

	sqlite3_finalize(s);
	return r;
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
static int read_row(sqlite3_stmt *s, struct store_delivery *d)
{
	int r = 0;

	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(s, 0);
	r |= store_col_str(s, 1, &d->kind);
	r |= store_col_str(s, 2, &d->object_key);
	r |= store_col_str(s, 3, &d->event);
	r |= store_col_str(s, 4, &d->entity);
	r |= store_col_str(s, 5, &d->identifier);
	r |= store_col_str(s, 6, &d->recipient);
	r |= store_col_str(s, 7, &d->requested_by);
	r |= store_col_str(s, 8, &d->status);
	d->attempts = sqlite3_column_int(s, 9);
	d->next_attempt_at = sqlite3_column_int64(s, 10);
	r |= store_col_str(s, 11, &d->last_error);
	d->response_code = sqlite3_column_int(s, 12);
	d->duration_ms = sqlite3_column_int64(s, 13);
	d->created_at = sqlite3_column_int64(s, 14);
	d->updated_at = sqlite3_column_int64(s, 15);
	d->sent_at = sqlite3_column_int64(s, 16);
	return r ? -ENOMEM : 0;
}

int store_delivery_add(struct store *st, struct store_delivery *d, int64_t now_ms,
		       struct err *err)
{
	sqlite3_stmt *s;
	char *sealed = NULL;
	int r;

	if (!d->kind || !d->object_key)
		return err_set(err, -EINVAL, "delivery: kind and object key are required");
	if (store_secret_seal(st, d->payload ? d->payload : "", SEAL_FIELD, d->object_key,
			      &sealed) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	store_lock(st);
	r = prep(st,
		 "INSERT INTO deliveries (kind, object_key, event, entity, identifier, recipient, "
		 "payload, requested_by, status, attempts, next_attempt_at, created_at, updated_at) "
		 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued', 0, ?9, ?9, ?9)", &s,
		 "queue delivery", err);
	if (r == 0) {
		store_bind_str(s, 1, d->kind);
		store_bind_str(s, 2, d->object_key);
		store_bind_str(s, 3, d->event);
		store_bind_str(s, 4, d->entity);
		store_bind_str(s, 5, d->identifier);
		store_bind_str(s, 6, d->recipient);
		store_bind_str(s, 7, sealed);
		store_bind_str(s, 8, d->requested_by);
		sqlite3_bind_int64(s, 9, now_ms);
		r = run_done(st, s, "queue delivery", err);
	}
	if (r == 0) {
		d->id = sqlite3_last_insert_rowid(st->db);
		d->created_at = d->updated_at = d->next_attempt_at = now_ms;
		d->attempts = 0;
	}
	store_unlock(st);
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

static int open_payload(struct store *st, sqlite3_stmt *s, int col, struct store_delivery *d,
			struct err *err)
{
	const char *stored = (const char *)sqlite3_column_text(s, col);
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
	sqlite3_stmt *s = NULL;
	size_t cnt = 0;
	int r, rc;

	if (!list)
		return err_set(err, -ENOMEM, "out of memory");
	store_lock(st);
	r = prep(st, "SELECT " COLS ", payload FROM deliveries d WHERE " FIRST_IN_LINE
		 " AND next_attempt_at <= ?2 ORDER BY id LIMIT ?3", &s, "read due deliveries",
		 err);
	if (r < 0)
		goto out;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, now_ms);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)limit);
	while (r == 0 && cnt < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		r = read_row(s, &list[cnt]);
		if (r < 0) {
			r = err_set(err, r, "out of memory");
			cnt++;
			break;
		}
		r = open_payload(st, s, N_COLS, &list[cnt], err);
		cnt++;
	}
	if (r == 0 && cnt < limit && rc != SQLITE_DONE)
		r = store_sql_err(st, rc, "read due deliveries", err);
out:
	sqlite3_finalize(s);
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
	sqlite3_stmt *s;
	int r, rc;

	store_lock(st);
	r = prep(st, "SELECT min(next_attempt_at), count(*) FROM deliveries d WHERE "
		 FIRST_IN_LINE, &s, "read next delivery", err);
	if (r == 0) {
		sqlite3_bind_text(s, 1, kind, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW)
			r = store_sql_err(st, rc, "read next delivery", err);
		else if (sqlite3_column_int64(s, 1) == 0)
			r = -ENOENT;
		else
			*ret_ms = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	store_unlock(st);
	return r;
}

int store_delivery_update(struct store *st, const struct store_delivery *d, struct err *err)
{
	sqlite3_stmt *s;
	int r;

	store_lock(st);
	r = prep(st,
		 "UPDATE deliveries SET status = ?2, attempts = ?3, next_attempt_at = ?4, "
		 "last_error = ?5, response_code = ?6, duration_ms = ?7, sent_at = ?8, "
		 "updated_at = ?9 WHERE id = ?1", &s, "update delivery", err);
	if (r == 0) {
		sqlite3_bind_int64(s, 1, d->id);
		store_bind_str(s, 2, d->status);
		sqlite3_bind_int(s, 3, d->attempts);
		sqlite3_bind_int64(s, 4, d->next_attempt_at);
		store_bind_str(s, 5, d->last_error);
		sqlite3_bind_int(s, 6, d->response_code);
		sqlite3_bind_int64(s, 7, d->duration_ms);
		sqlite3_bind_int64(s, 8, d->sent_at);
		sqlite3_bind_int64(s, 9, d->updated_at);
		r = run_done(st, s, "update delivery", err);
	}
	if (r == 0 && sqlite3_changes(st->db) == 0)
		r = err_set(err, -ENOENT, "delivery %lld not found", (long long)d->id);
	store_unlock(st);
	return r;
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

#define LIST_WHERE                                                                             \
	" WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR "  \
	"event LIKE ?3 ESCAPE '\\' OR entity LIKE ?3 ESCAPE '\\' OR identifier LIKE ?3 ESCAPE "  \
	"'\\' OR recipient LIKE ?3 ESCAPE '\\' OR status LIKE ?3 ESCAPE '\\' OR last_error LIKE " \
	"?3 ESCAPE '\\')"

static void bind_list(sqlite3_stmt *s, const char *kind, const char *status, const char *pat)
{
	if (kind && *kind)
		sqlite3_bind_text(s, 1, kind, -1, SQLITE_TRANSIENT);
	if (status && *status)
		sqlite3_bind_text(s, 2, status, -1, SQLITE_TRANSIENT);
	if (pat)
		sqlite3_bind_text(s, 3, pat, -1, SQLITE_TRANSIENT);
}

int store_delivery_list(struct store *st, const struct store_query *q, const char *kind,
			const char *status, struct store_delivery **ret, size_t *n, size_t *total,
			struct err *err)
{
	const char *filter = q && q->filter && *q->filter ? q->filter : NULL;
	struct store_delivery *list = NULL;
	size_t cnt = 0, cap = 0;
	sqlite3_stmt *s = NULL;
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
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*total = (size_t)sqlite3_column_int64(s, 0);
	else
		r = store_sql_err(st, rc, "count deliveries", err);
	sqlite3_finalize(s);
	s = NULL;
	if (r < 0)
		goto out;
	r = prep(st, "SELECT " COLS " FROM deliveries" LIST_WHERE " ORDER BY id DESC LIMIT ?4 "
		 "OFFSET ?5", &s, "list deliveries", err);
	if (r < 0)
		goto out;
	bind_list(s, kind, status, pat);
	sqlite3_bind_int64(s, 4, q && q->limit ? (sqlite3_int64)q->limit : -1);
	sqlite3_bind_int64(s, 5, q ? (sqlite3_int64)q->offset : 0);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
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
	if (rc != SQLITE_DONE)
		r = store_sql_err(st, rc, "list deliveries", err);
out:
	sqlite3_finalize(s);
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
	sqlite3_stmt *s;
	int r, rc;

	store_lock(st);
	r = prep(st, "SELECT " COLS " FROM deliveries WHERE id = ?1", &s, "read delivery", err);
	if (r == 0) {
		sqlite3_bind_int64(s, 1, id);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			r = read_row(s, ret) < 0 ? err_set(err, -ENOMEM, "out of memory") : 0;
		else if (rc == SQLITE_DONE)
			r = err_set(err, -ENOENT, "delivery %lld not found", (long long)id);
		else
			r = store_sql_err(st, rc, "read delivery", err);
		sqlite3_finalize(s);
	}
	store_unlock(st);
	return r;
}

int store_delivery_purge(struct store *st, int64_t before_ms, struct err *err)
{
	sqlite3_stmt *s;
	int r;

	store_lock(st);
	r = prep(st, "DELETE FROM deliveries WHERE status IN ('sent', 'failed') AND "
		 "updated_at < ?1", &s, "purge deliveries", err);
	if (r == 0) {
		sqlite3_bind_int64(s, 1, before_ms);
		r = run_done(st, s, "purge deliveries", err);
	}
	store_unlock(st);
	return r;
}

int store_delivery_pending(struct store *st, const char *kind, size_t *ret, struct err *err)
{
	sqlite3_stmt *s;
	int r, rc;

	store_lock(st);
	r = prep(st, "SELECT count(*) FROM deliveries WHERE kind = ?1 AND " PENDING, &s,
		 "count pending deliveries", err);
	if (r == 0) {
		sqlite3_bind_text(s, 1, kind, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*ret = (size_t)sqlite3_column_int64(s, 0);
		else
			r = store_sql_err(st, rc, "count pending deliveries", err);
		sqlite3_finalize(s);
	}
	store_unlock(st);
	return r;
}
