/* SPDX-License-Identifier: MIT */
#ifndef STORE_STORE_AUTH_INT_H
#define STORE_STORE_AUTH_INT_H
/*
 * The statement helpers of the sign-in store files (store_auth.c, store_passkey.c): prepared
 * per call (none of these is hot enough for the shared statement cache), texts bound to
 * ?1..?3, one integer to ?4. Single writes that may run inside a caller's transaction take a
 * savepoint (store_single_begin).
 */
#include <stdbool.h>
#include <stdint.h>

struct db_stmt;
struct err;
struct store;

/* Prepares sql and binds texts to ?1..?3 (NULL: SQL NULL). The caller holds the lock and
 * finalizes. */
int sa_prep(struct store *st, const char *sql, struct db_stmt **ret, const char *what,
	    struct err *err, const char *a, const char *b, const char *c);
/* Steps a write to completion and finalizes; *changes (may be NULL) = rows matched. */
int sa_finish(struct store *st, struct db_stmt *s, const char *what, int *changes,
	      struct err *err);
/* One write: texts a, b, c to ?1..?3, i4 to ?4. */
int sa_write1(struct store *st, const char *sql, const char *what, int *changes,
	      struct err *err, const char *a, const char *b, const char *c, int64_t i4);
/* sa_write1 for a statement that must change a row: -code with missing when none matched. */
int sa_write_row(struct store *st, const char *sql, const char *what, int code,
		 const char *missing, struct err *err, const char *a, const char *b,
		 const char *c, int64_t i4);
/* Whether the query (texts a, b, c) returns a row. */
int sa_exists(struct store *st, const char *sql, const char *what, const char *a,
	      const char *b, const char *c, bool *ret, struct err *err);

#endif
