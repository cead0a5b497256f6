/* SPDX-License-Identifier: MIT */
#ifndef STORE_WGP2_INT_H
#define STORE_WGP2_INT_H
/*
 * Private to the wg-portal v2 import (wgp2_rows.c, wgp2_import.c): one import's state and
 * the row readers.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/wgp2.h"
#include "util/strv.h"

struct db;
struct db_stmt;
struct err;
struct store;

#define NAME_MAX_Q 200
#define PROGRESS_EVERY 1000

/* (key, value) rows of a join or child table, sorted by key, equal keys in read order. */
struct pair {
	char *key, *val;
	size_t seq;
};

struct imp {
	struct db *src;
	struct store *st;
	const struct wgp2_opts *o;
	int version;
	struct err *err;
	struct wgp2_counts read, written;
	struct strv user_ids;            /* sorted: the users taken over */
	struct pair *auths, *iaddr, *paddr;
	size_t n_auths, n_iaddr, n_paddr;
};

/* The column of that name in the result, -1 when this release has none. */
int w2_col(struct db_stmt *s, const char *name);
/* Its text, NULL when absent or NULL. */
const char *w2_txt(struct db_stmt *s, const char *name);
/* GORM bools: SQLite numeric 0/1, PostgreSQL t/f, MySQL tinyint; NULL false. */
bool w2_flag(struct db_stmt *s, const char *name);
int64_t w2_num(struct db_stmt *s, const char *name);
/* Heap copy (NULL for "" or NULL) / comma list with items trimmed. 0 or -ENOMEM. */
int w2_set_str(char **f, struct db_stmt *s, const char *name);
int w2_set_list(struct strv *f, struct db_stmt *s, const char *name);
/* A time column as unix seconds (0 for NULL and Go's zero time). */
int w2_when(struct imp *im, struct db_stmt *s, const char *name, int64_t *ret);
/* Prepares fmt with %s = the table's name as this connection reaches wg-portal's tables. */
int w2_run_on(struct imp *im, const char *fmt, const char *table, struct db_stmt **ret);
int w2_table_exists(struct db *src, const char *table, bool *ret, struct err *err);
int w2_count_rows(struct imp *im, const char *table, int64_t *ret);
int w2_load_pairs(struct imp *im, const char *fmt, const char *table, const char *kcol,
	       const char *vcol, struct pair **ret, size_t *n);
void w2_pairs_free(struct pair *v, size_t n);
/* Appends the values of key to out. */
int w2_pairs_of(const struct pair *v, size_t n, const char *key, struct strv *out);
bool w2_sorted_has(const struct strv *sv, const char *s);
int w2_strcmp_p(const void *a, const void *b);
void w2_progress(struct imp *im, const char *what, size_t done, size_t total);
/* An encrypted column decrypted into out; is_key: must be a WireGuard key. -EACCES (wrong or
 * missing passphrase) names the record, never the value. */
int w2_secret(struct imp *im, struct db_stmt *s, const char *column, bool is_key, const char *what,
	   const char *id, char *out, size_t size);

#endif
