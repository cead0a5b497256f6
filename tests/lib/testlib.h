/* SPDX-License-Identifier: MIT */
#ifndef TESTS_TESTLIB_H
#define TESTS_TESTLIB_H
/* Shared helpers for the cmocka unit tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* A fresh directory under $TMPDIR (or /tmp), removed by test_tmpdir_remove(). Heap path. */
char *test_tmpdir(void);
void test_tmpdir_remove(const char *dir);
/* Reads a whole file (tests/data/...) relative to the repository root; heap, NUL-terminated. */
char *test_read_file(const char *path);

/*
 * The database a store test runs on. SQLite unless the environment names a server started by
 * tests/db/run_engine.py: WGPORTAL_TEST_DB ("postgres" or "mysql") and WGPORTAL_TEST_DB_DSN,
 * a DSN with "%s" where the database name goes. test_db_fresh creates a new, empty database
 * there (for SQLite: returns sqlite_path, which may be ":memory:") and gives its DSN (heap).
 * test_db_engine() is the engine (enum db_engine of store/db.h).
 */
int test_db_engine(void);
int test_db_fresh(const char *sqlite_path, char **dsn);
/* store_open on the engine under test: test_store_fresh on a new database (sqlite_path for
 * SQLite), its DSN in *dsn when dsn is not NULL (heap); test_store_reopen on an existing one. */
struct store;
int test_store_fresh(const char *sqlite_path, const char *passphrase, struct store **st,
		     char **dsn);
int test_store_reopen(const char *dsn, const char *passphrase, struct store **st);

#endif
