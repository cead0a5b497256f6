/* SPDX-License-Identifier: MIT */
/*
 * Reading wg-portal v2's tables: values by column name (a release may lack a column, a later
 * one leaves it NULL), its bools and times, lookups loaded up front, its encrypted secrets,
 * and the detection of its schema version. Shared by the import (wgp2_import.c) through
 * wgp2-int.h.
 */
#include "store/wgp2-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/iface.h"
#include "store/db.h"
#include "util/err.h"
#include "util/strv.h"

/* ---- reading rows by column name --------------------------------------------------------- */

int w2_col(struct db_stmt *s, const char *name)
{
	int n = db_column_count(s);

	for (int i = 0; i < n; i++)
		if (!strcmp(db_column_name(s, i), name))
			return i;
	return -1;
}

const char *w2_txt(struct db_stmt *s, const char *name)
{
	int i = w2_col(s, name);

	return i < 0 ? NULL : db_column_text(s, i);
}

/* GORM bools: SQLite numeric 0/1, PostgreSQL t/f, MySQL tinyint; NULL (a later column) false */
bool w2_flag(struct db_stmt *s, const char *name)
{
	const char *t = w2_txt(s, name);

	return t && (*t == '1' || *t == 't' || *t == 'T' || *t == 'y' || *t == 'Y');
}

int64_t w2_num(struct db_stmt *s, const char *name)
{
	const char *t = w2_txt(s, name);

	return t ? strtoll(t, NULL, 10) : 0;
}

int w2_set_str(char **f, struct db_stmt *s, const char *name)
{
	const char *t = w2_txt(s, name);

	return str_set(f, t && *t ? t : NULL);
}

/* Comma lists, items trimmed ("0.0.0.0/0, ::/0"). */
int w2_set_list(struct strv *f, struct db_stmt *s, const char *name)
{
	const char *t = w2_txt(s, name);

	strv_release(f);
	return strv_split(f, t ? t : "", ",");
}

int w2_when(struct imp *im, struct db_stmt *s, const char *name, int64_t *ret)
{
	const char *t = w2_txt(s, name);
	long off = im->o->naive_time_offset;

	if (off == WGP2_LOCAL_TIME) {
		/* zone-less text in the host's zone: let mktime find the offset of that date */
		struct tm tm = { 0 };
		if (t && *t && sscanf(t, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
				      &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6 &&
		    !strpbrk(t + 19, "+-Z") && tm.tm_year > 1) {
			tm.tm_year -= 1900;
			tm.tm_mon -= 1;
			tm.tm_isdst = -1;
			*ret = (int64_t)mktime(&tm);
			return 0;
		}
		off = 0;
	}
	if (wgp2_parse_time(t, off, ret) < 0)
		return err_set(im->err, -EINVAL, "wg-portal's %s '%.40s' is not a time", name, t);
	return 0;
}

static int run(struct imp *im, const char *sql, struct db_stmt **ret)
{
	int r = db_prepare(im->src, sql, ret, im->err);

	return r < 0 ? err_prefix(im->err, "reading wg-portal's tables") : 0;
}

/* SELECT ... FROM <table> with the table's name as this connection reaches wg-portal's. */
int w2_run_on(struct imp *im, const char *fmt, const char *table, struct db_stmt **ret)
{
	char q[NAME_MAX_Q], sql[512];

	if (db_foreign_table(im->src, table, q, sizeof(q)) < 0)
		return err_set(im->err, -ENAMETOOLONG, "table name too long");
	snprintf(sql, sizeof(sql), fmt, q);
	return run(im, sql, ret);
}

int w2_table_exists(struct db *src, const char *table, bool *ret, struct err *err)
{
	return db_foreign_table_exists(src, table, ret, err);
}

/* ---- lookups loaded up front --------------------------------------------------------------- */

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	/* equal keys keep their read order: a many2many owner's rows stay in order */
	return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

void w2_pairs_free(struct pair *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].key);
		free(v[i].val);
	}
	free(v);
}

/* Reads (key, value) of every row of sql into a key-sorted array. */
int w2_load_pairs(struct imp *im, const char *fmt, const char *table, const char *kcol,
		      const char *vcol, struct pair **ret, size_t *n)
{
	struct db_stmt *s = NULL;
	struct pair *v = NULL;
	size_t cnt = 0, cap = 0;
	int r = w2_run_on(im, fmt, table, &s);

	while (r == 0 && (r = db_step(s, im->err)) == DB_ROW) {
		r = 0; /* DB_ROW */
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 256;
			struct pair *nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		v[cnt].seq = cnt;
		v[cnt].key = strdup(w2_txt(s, kcol) ? w2_txt(s, kcol) : "");
		v[cnt].val = strdup(w2_txt(s, vcol) ? w2_txt(s, vcol) : "");
		cnt++;
		if (!v[cnt - 1].key || !v[cnt - 1].val)
			r = -ENOMEM;
	}
	db_finalize(s);
	if (r == -ENOMEM)
		r = err_set(im->err, -ENOMEM, "out of memory");
	if (r < 0) {
		w2_pairs_free(v, cnt);
		return r;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), pair_cmp);
	*ret = v;
	*n = cnt;
	return 0;
}

/* The values of key in a sorted pair array, appended to out. */
int w2_pairs_of(const struct pair *v, size_t n, const char *key, struct strv *out)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(v[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && !strcmp(v[lo].key, key); lo++)
		if (strv_push(out, v[lo].val) < 0)
			return -ENOMEM;
	return 0;
}

bool w2_sorted_has(const struct strv *sv, const char *s)
{
	size_t lo = 0, hi = sv->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(sv->v[mid], s);
		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int w2_strcmp_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void w2_progress(struct imp *im, const char *what, size_t done, size_t total)
{
	if (im->o->progress)
		im->o->progress(what, done, total, im->o->ctx);
}

/* ---- secrets -------------------------------------------------------------------------------- */

/* One encrypted column into out; what/id name the record in errors, never the value. */
int w2_secret(struct imp *im, struct db_stmt *s, const char *column, bool is_key,
		  const char *what, const char *id, char *out, size_t size)
{
	const char *v = w2_txt(s, column);
	int r = wgp2_decrypt(v ? v : "", im->o->passphrase, out, size);

	if (r == 0 && is_key && *out && !wgp2_is_wg_key(out))
		r = -EACCES;
	if (r == -EACCES && (!im->o->passphrase || !*im->o->passphrase))
		return err_field(im->err, -EACCES, "database.encryption_passphrase",
				 "wg-portal's database holds encrypted secrets (WG_ENC_): set "
				 "database.encryption_passphrase to wg-portal's passphrase");
	if (r == -EACCES)
		return err_field(im->err, -EACCES, "database.encryption_passphrase",
				 "database.encryption_passphrase does not decrypt wg-portal's secrets "
				 "(%s '%.64s', %s: %s)", what, id, column,
				 is_key ? "not a WireGuard key after decryption" : "bad padding");
	if (r < 0)
		return err_set(im->err, -EIO, "wg-portal's %s '%.64s' has a malformed %s", what, id,
			       column);
	return 0;
}

int wgp2_check_secrets(struct db *src, const struct wgp2_opts *o, struct err *err)
{
	static const struct {
		const char *table, *column, *what;
		bool is_key;
	} cols[] = {
		{ "interfaces", "private_key", "interface", true },
		{ "peers", "private_key", "peer", true },
		{ "peers", "preshared_key", "peer", true },
		{ "users", "api_token", "user", false },
	};
	struct imp im = { .src = src, .o = o, .err = err };
	char buf[512];
	int r = 0;

	for (size_t i = 0; r == 0 && i < sizeof(cols) / sizeof(cols[0]); i++) {
		struct db_stmt *s = NULL;

		r = w2_run_on(&im, "SELECT * FROM %s", cols[i].table, &s);
		while (r == 0 && (r = db_step(s, err)) == DB_ROW) {
			r = 0; /* DB_ROW */
			if (w2_col(s, cols[i].column) < 0)
				break; /* not in this release's table */
			r = w2_secret(&im, s, cols[i].column, cols[i].is_key, cols[i].what,
				   w2_txt(s, "identifier") ? w2_txt(s, "identifier") : "", buf, sizeof(buf));
		}
		explicit_bzero(buf, sizeof(buf));
		db_finalize(s);
		if (r == DB_DONE)
			r = 0;
	}
	return r;
}

/* ---- detection ----------------------------------------------------------------------------- */

int wgp2_detect(struct db *src, int *version, struct err *err)
{
	struct imp im = { .src = src, .err = err };
	struct db_stmt *s = NULL;
	bool has = false, v1 = false;
	int r;

	*version = 0;
	r = w2_table_exists(src, "sys_stats", &has, err);
	if (r == 0 && !has)
		r = w2_table_exists(src, "database_migration_infos", &v1, err);
	if (r < 0)
		return r;
	if (v1)
		return err_set(err, -EPROTO, "this is a wg-portal v1 database: upgrade it with "
			       "wg-portal v2 first (its v1 migration), then switch");
	if (!has)
		return 0;
	/* sys_stats: internal/adapters/database.go:26-30 */
	r = w2_run_on(&im, "SELECT max(schema_version) FROM %s", "sys_stats", &s);
	if (r == 0)
		r = db_step(s, err);
	if (r == DB_ROW) {
		*version = (int)db_column_int64(s, 0);
		r = 0;
	}
	db_finalize(s);
	if (r < 0)
		return r;
	if (*version < WGP2_SCHEMA_MIN || *version > WGP2_SCHEMA_MAX)
		return err_set(err, -EPROTO, "wg-portal database at schema version %d: not "
			       "supported (this wgportal takes over versions %d to %d, wg-portal "
			       "v2.0 to v2.3)", *version, WGP2_SCHEMA_MIN, WGP2_SCHEMA_MAX);
	return 0;
}

int w2_count_rows(struct imp *im, const char *table, int64_t *ret)
{
	struct db_stmt *s = NULL;
	int r = w2_run_on(im, "SELECT count(*) FROM %s", table, &s);

	if (r == 0)
		r = db_step(s, im->err);
	*ret = r == DB_ROW ? db_column_int64(s, 0) : 0;
	db_finalize(s);
	return r < 0 ? r : 0;
}

