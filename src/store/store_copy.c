/* SPDX-License-Identifier: MIT */
/*
 * Copying one of our databases into another, on any two engines (wgportal --migrate-from):
 * every table row by row, columns taken by name from the source and bound with their types,
 * in one transaction of the destination, with the row counts of both sides compared before
 * the commit. Key material (meta: kdf salt, verifier) travels along, so sealed secrets stay
 * valid and the destination opens with the same database.encryption_passphrase.
 */
#include "store/store-copy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/store-int.h"
#include "util/buf.h"
#include "util/err.h"

#define PROGRESS_EVERY 1000

/* In dependency order (users before their sessions). order: the source's order of rows
 * where it matters (insertion order of peers and sessions, the audit log's ids). */
static const struct {
	const char *table, *what, *order;
} tables[] = {
	{ "meta", "settings", NULL },
	{ "users", "users", NULL },
	{ "user_authentications", "login sources", NULL },
	{ "user_passkeys", "passkeys", NULL },
	{ "totp_secrets", "TOTP secrets", NULL },
	{ "totp_recovery_codes", "TOTP recovery codes", NULL },
	{ "ldap_interface_users", "LDAP interface filter results", NULL },
	{ "sessions", "sessions", "rowid" },
	{ "interfaces", "interfaces", NULL },
	{ "interface_addresses", "interface addresses", NULL },
	{ "peers", "peers", "rowid" },
	{ "peer_addresses", "peer addresses", NULL },
	{ "peer_statuses", "peer statistics", NULL },
	{ "interface_statuses", "interface statistics", NULL },
	{ "audit_entries", "audit entries", "id" },
};

/* Columns the destination numbers itself: its own insertion order and audit ids. */
static bool generated(const char *table, const char *column)
{
	return !strcmp(column, "rowid") || (!strcmp(table, "audit_entries") && !strcmp(column, "id"));
}

/* "INSERT INTO t (a, b) VALUES (?1, ?2)" for the columns kept of src's result. */
static int build_insert(const char *table, struct db_stmt *src, int *keep, int *nkeep,
			char **ret)
{
	struct buf b;
	int n = db_column_count(src), k = 0, r;

	buf_init(&b, 8192);
	r = buf_printf(&b, "INSERT INTO %s (", table);
	for (int i = 0; r == 0 && i < n; i++) {
		if (generated(table, db_column_name(src, i)))
			continue;
		r = buf_printf(&b, "%s%s", k ? ", " : "", db_column_name(src, i));
		keep[k++] = i;
	}
	if (r == 0)
		r = buf_puts(&b, ") VALUES (");
	for (int i = 0; r == 0 && i < k; i++)
		r = buf_printf(&b, "%s?%d", i ? ", " : "", i + 1);
	if (r == 0)
		r = buf_puts(&b, ")");
	if (r < 0) {
		buf_release(&b);
		return r;
	}
	*nkeep = k;
	*ret = buf_detach(&b);
	return *ret ? 0 : -ENOMEM;
}

static int bind_value(struct db_stmt *dst, int n, struct db_stmt *src, int col)
{
	size_t len;
	const void *p;

	switch (db_column_type(src, col)) {
	case DB_TYPE_INT:
		return db_bind_int64(dst, n, db_column_int64(src, col));
	case DB_TYPE_BLOB:
		p = db_column_blob(src, col, &len);
		return db_bind_blob(dst, n, p ? p : "", len);
	case DB_TYPE_TEXT:
		return db_bind_text(dst, n, db_column_text(src, col));
	default:
		return db_bind_null(dst, n);
	}
}

static int copy_table(struct db *src, struct store *st, size_t t, const struct store_copy_opts *o,
		      int64_t *copied, struct err *err)
{
	struct db_stmt *sel = NULL, *ins = NULL;
	char sql[160], *isql = NULL;
	int keep[128], nkeep = 0, r;
	int64_t total = 0;

	snprintf(sql, sizeof(sql), "SELECT * FROM %s%s%s", tables[t].table,
		 tables[t].order ? " ORDER BY " : "", tables[t].order ? tables[t].order : "");
	r = db_prepare(src, sql, &sel, err);
	while (r == 0 && (r = db_step(sel, err)) == DB_ROW) {
		r = 0; /* DB_ROW */
		if (!ins) {
			if (db_column_count(sel) > (int)(sizeof(keep) / sizeof(keep[0]))) {
				r = err_set(err, -E2BIG, "table %s has too many columns",
					    tables[t].table);
				break;
			}
			r = build_insert(tables[t].table, sel, keep, &nkeep, &isql);
			if (r == 0)
				r = db_prepare(st->db, isql, &ins, err);
			if (r < 0)
				break;
		}
		for (int i = 0; r == 0 && i < nkeep; i++)
			r = bind_value(ins, i + 1, sel, keep[i]);
		if (r == 0)
			r = db_step_done(ins, err);
		if (r == 0 && ++total % PROGRESS_EVERY == 0 && o->progress)
			o->progress(tables[t].what, (size_t)total, 0, o->ctx);
	}
	db_finalize(sel);
	db_finalize(ins);
	free(isql);
	if (r < 0)
		return err_prefix(err, "copying %s", tables[t].table);
	if (o->progress && total >= PROGRESS_EVERY)
		o->progress(tables[t].what, (size_t)total, (size_t)total, o->ctx);
	*copied = total;
	return 0;
}

static int count_src(struct db *src, const char *table, int64_t *ret, struct err *err)
{
	struct db_stmt *s = NULL;
	char sql[96];
	int r;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	r = db_prepare(src, sql, &s, err);
	if (r == 0)
		r = db_step(s, err);
	*ret = r == DB_ROW ? db_column_int64(s, 0) : 0;
	db_finalize(s);
	return r < 0 ? r : 0;
}

int store_copy_ours(struct db *src, struct store *st, const struct store_copy_opts *o,
		    struct store_copy_report *rep, struct err *err)
{
	int64_t have = 0;
	int r;

	/* an empty destination: users, interfaces, peers, and no key material of its own */
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		if (!strcmp(tables[t].table, "meta"))
			continue;
		r = store_count(st, tables[t].table, &have, err);
		if (r < 0)
			return r;
		if (have)
			return err_set(err, -EEXIST, "the destination is not empty (%lld %s): copy "
				       "into an empty database", (long long)have, tables[t].what);
	}
	r = store_begin(st, err);
	if (r < 0)
		return r;
	/* the source's meta replaces the destination's (a fresh one holds nothing to keep) */
	r = store_exec(st, "DELETE FROM meta", err);
	rep->n_rows = 0;
	for (size_t t = 0; r == 0 && t < sizeof(tables) / sizeof(tables[0]); t++) {
		struct store_copy_row *row = &rep->rows[rep->n_rows++];

		row->what = tables[t].what;
		r = count_src(src, tables[t].table, &row->source, err);
		if (r == 0)
			r = copy_table(src, st, t, o, &row->copied, err);
		if (r == 0)
			r = store_count(st, tables[t].table, &have, err);
		if (r == 0 && (have != row->source || row->copied != row->source))
			r = err_set(err, -EIO, "verification failed: the source has %lld %s, the copy "
				    "%lld (nothing was written)", (long long)row->source,
				    tables[t].what, (long long)have);
	}
	/* the passphrase must open the copied key material before anything is kept */
	if (r == 0)
		r = store_secret_setup(st, o->passphrase, err);
	if (r < 0) {
		store_rollback(st);
		return r;
	}
	r = store_commit(st, err);
	return r < 0 ? r : store_analyze(st, err);
}
