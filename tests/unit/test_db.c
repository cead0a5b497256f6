/* SPDX-License-Identifier: MIT */
/*
 * The engine-neutral db layer: the neutral-SQL rewriter (placeholders, DDL tokens, NOCASE,
 * upserts, reserved words and table prefixes, never inside literals), statement splitting,
 * and the SQLite driver through the layer's calls (binding, rows, NULLs, blobs, changes,
 * error mapping, transactions with savepoints). The PostgreSQL and MySQL drivers run the same
 * store tests against real servers (tests/unit/test_store.c with WGPORTAL_TEST_DB).
 */
#include "testlib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/db-int.h"
#include "store/db.h"
#include "util/err.h"

/* A dialect using every rewrite, the shape of MySQL's. */
static const struct db_dialect all_rewrites = {
	.placeholders = DB_PH_POSITIONAL,
	.nocase_lower = true,
	.index_nocase_prefix = true,
	.upsert_on_duplicate_key = true,
	.integer = "BIGINT",
	.blob = "VARBINARY(255)",
	.key_text = "VARCHAR(255)",
	.autoinc = "BIGINT AUTO_INCREMENT PRIMARY KEY",
	.rowid_column = ",\n  rowid BIGINT NOT NULL AUTO_INCREMENT UNIQUE",
	.rowid_index = ", rowid",
	.create_table_suffix = " ENGINE=InnoDB",
	.table_prefix = "wgp_",
	.quote_reserved = true,
};

/* PostgreSQL's placeholder style alone. */
static const struct db_dialect dollar = {
	.placeholders = DB_PH_DOLLAR,
	.nocase_lower = true,
};

static const struct db_dialect numbered = {
	.placeholders = DB_PH_NUMBERED,
	.key_text = "TEXT",
	.rowid_column = "",
	.rowid_index = "",
};

static char *xlate(const struct db_dialect *d, const char *sql, int *nparams, int **slots,
		   int *nslots)
{
	char *out = NULL;

	assert_int_equal(db_sql_translate(d, sql, &out, nparams, slots, nslots), 0);
	return out;
}

static void test_db_sql__placeholders(void **state)
{
	int np, ns, *slots;
	char *out;

	(void)state;
	/* bare ? continue after the highest number so far (SQLite's rule) */
	out = xlate(&numbered, "SELECT ?, ?3, ?, ?1 FROM t WHERE a = '?1'", &np, &slots, &ns);
	assert_string_equal(out, "SELECT ?1, ?3, ?4, ?1 FROM t WHERE a = '?1'");
	assert_int_equal(np, 4);
	assert_null(slots);
	free(out);

	/* $k numbered densely: ?2 is unused here, PostgreSQL must not see a gap */
	out = xlate(&dollar, "SELECT * FROM t WHERE a = ?1 AND b = ?3 OR c = ?1 LIMIT ?4",
		    &np, &slots, &ns);
	assert_string_equal(out, "SELECT * FROM t WHERE a = $1 AND b = $2 OR c = $1 LIMIT $3");
	assert_int_equal(np, 4);
	assert_int_equal(ns, 3);
	assert_int_equal(slots[0], 1);
	assert_int_equal(slots[1], 3);
	assert_int_equal(slots[2], 4);
	free(slots);
	free(out);

	/* one ? per occurrence, each mapped to its number */
	out = xlate(&all_rewrites, "UPDATE t SET x = ?2 WHERE id = ?1 OR ?2 IS NULL", &np, &slots,
		    &ns);
	assert_string_equal(out, "UPDATE t SET x = ? WHERE id = ? OR ? IS NULL");
	assert_int_equal(ns, 3);
	assert_int_equal(slots[0], 2);
	assert_int_equal(slots[1], 1);
	assert_int_equal(slots[2], 2);
	free(slots);
	free(out);

	assert_int_equal(db_sql_translate(&numbered, "SELECT ?99999", &out, &np, &slots, &ns),
			 -EINVAL);
}

static void test_db_sql__ddl_tokens(void **state)
{
	const char *ddl = "CREATE TABLE peers (\n  id {key} PRIMARY KEY,\n  n INTEGER NOT NULL,\n"
			  "  k BLOB{rowid}\n);";
	int np, ns, *slots;
	char *out;

	(void)state;
	out = xlate(&numbered, ddl, &np, &slots, &ns);
	assert_string_equal(out, "CREATE TABLE peers (\n  id TEXT PRIMARY KEY,\n  n INTEGER NOT "
				 "NULL,\n  k BLOB\n);");
	free(out);
	out = xlate(&all_rewrites, ddl, &np, &slots, &ns);
	assert_string_equal(out, "CREATE TABLE wgp_peers (\n  id VARCHAR(255) PRIMARY KEY,\n"
				 "  n BIGINT NOT NULL,\n  k VARBINARY(255),\n  rowid BIGINT NOT "
				 "NULL AUTO_INCREMENT UNIQUE\n) ENGINE=InnoDB");
	free(slots);
	free(out);
	out = xlate(&all_rewrites, "CREATE TABLE audit_entries (id {autoinc}, user TEXT)", &np,
		    &slots, &ns);
	assert_string_equal(out, "CREATE TABLE wgp_audit_entries (id BIGINT AUTO_INCREMENT "
				 "PRIMARY KEY, \"user\" TEXT) ENGINE=InnoDB");
	free(slots);
	free(out);
	assert_int_equal(db_sql_translate(&numbered, "CREATE TABLE t (a {nope})", &out, &np,
					  &slots, &ns), -EINVAL);
}

static void test_db_sql__nocase_upsert_names(void **state)
{
	int np, ns, *slots;
	char *out;

	(void)state;
	out = xlate(&dollar, "SELECT * FROM users u WHERE u.email COLLATE NOCASE = ? COLLATE "
			     "NOCASE ORDER BY p.display_name COLLATE NOCASE DESC", &np, &slots, &ns);
	assert_string_equal(out, "SELECT * FROM users u WHERE lower(u.email) = lower($1) ORDER "
				 "BY lower(p.display_name) DESC");
	free(slots);
	free(out);
	out = xlate(&all_rewrites, "CREATE INDEX peers_iface_name ON peers(iface_id, "
				   "display_name COLLATE NOCASE{,rowid})", &np, &slots, &ns);
	assert_string_equal(out, "CREATE INDEX peers_iface_name ON wgp_peers(iface_id, "
				 "display_name(191), rowid)");
	free(slots);
	free(out);
	out = xlate(&all_rewrites, "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) "
				   "DO UPDATE SET value = ?2", &np, &slots, &ns);
	assert_string_equal(out, "INSERT INTO wgp_meta(\"key\", value) VALUES (?, ?) ON "
				 "DUPLICATE KEY UPDATE value = ?");
	free(slots);
	free(out);
	/* nothing inside literals or quoted identifiers, keywords untouched, qualified names
	 * not prefixed */
	out = xlate(&all_rewrites, "SELECT 'users', \"peers\", PRIMARY, KEY, x.peers, user -- ?\n"
				   "FROM peers", &np, &slots, &ns);
	assert_string_equal(out, "SELECT 'users', \"peers\", PRIMARY, KEY, x.peers, \"user\" -- ?"
				 "\nFROM wgp_peers");
	assert_int_equal(np, 0);
	free(slots);
	free(out);
}

static int collect_stmt(const char *stmt, size_t len, void *ctx)
{
	char *acc = ctx;

	strncat(acc, stmt, len);
	strcat(acc, "|");
	return 0;
}

static void test_db_sql__split(void **state)
{
	char acc[256] = "";

	(void)state;
	assert_int_equal(db_sql_split("CREATE TABLE a (x TEXT DEFAULT ';');\n\n  INSERT INTO a "
				      "VALUES (\"q;\");;  ", collect_stmt, acc), 0);
	assert_string_equal(acc, "CREATE TABLE a (x TEXT DEFAULT ';')|INSERT INTO a VALUES "
				 "(\"q;\")|");
}

static void test_db_engine__names(void **state)
{
	struct err err = { 0 };
	enum db_engine e;

	(void)state;
	assert_int_equal(db_engine_parse("sqlite", &e, &err), 0);
	assert_int_equal(e, DB_SQLITE);
	assert_int_equal(db_engine_parse("postgres", &e, &err), 0);
	assert_int_equal(e, DB_POSTGRES);
	assert_int_equal(db_engine_parse("mysql", &e, &err), 0);
	assert_int_equal(e, DB_MYSQL);
	assert_int_equal(db_engine_parse("mssql", &e, &err), -EINVAL);
	assert_string_equal(err.field, "database.type");
	assert_non_null(strstr(err.msg, "sqlite, postgres, mysql"));
	assert_int_equal(db_engine_parse("oracle", &e, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'oracle'"));
}

static void test_db_sqlite__statements(void **state)
{
	static const uint8_t blob[] = { 0, 1, 2, 0xff };
	struct db *db = NULL;
	struct db_stmt *s = NULL;
	struct err err = { 0 };
	size_t len;

	(void)state;
	assert_int_equal(db_open(DB_SQLITE, ":memory:", NULL, &db, &err), 0);
	assert_int_equal(db_exec(db, "CREATE TABLE t (id {key} PRIMARY KEY, n INTEGER, b BLOB);"
				     "CREATE TABLE c (t_id TEXT NOT NULL REFERENCES t(id))", &err), 0);
	assert_int_equal(db_prepare(db, "INSERT INTO t (id, n, b) VALUES (?, ?, ?)", &s, &err), 0);
	assert_int_equal(db_bind_text(s, 1, "a"), 0);
	assert_int_equal(db_bind_int64(s, 2, INT64_MAX), 0);
	assert_int_equal(db_bind_blob(s, 3, blob, sizeof(blob)), 0);
	assert_int_equal(db_bind_int64(s, 4, 1), -ERANGE);
	assert_int_equal(db_step_done(s, &err), 0);
	assert_int_equal(db_changes(db), 1);
	/* the same values again: unique key */
	db_bind_text(s, 1, "a");
	assert_int_equal(db_step_done(s, &err), -EEXIST);
	db_bind_text(s, 1, "b");
	db_bind_null(s, 2);
	assert_int_equal(db_step_done(s, &err), 0);
	db_finalize(s);

	assert_int_equal(db_prepare(db, "SELECT id, n, b FROM t ORDER BY id", &s, &err), 0);
	assert_int_equal(db_step(s, &err), DB_ROW);
	assert_string_equal(db_column_text(s, 0), "a");
	assert_true(db_column_int64(s, 1) == INT64_MAX);
	assert_memory_equal(db_column_blob(s, 2, &len), blob, sizeof(blob));
	assert_int_equal(len, sizeof(blob));
	assert_int_equal(db_step(s, &err), DB_ROW);
	assert_true(db_column_is_null(s, 1));
	assert_int_equal(db_column_int64(s, 1), 0);
	assert_null(db_column_text(s, 2));
	assert_int_equal(db_step(s, &err), DB_DONE);
	db_finalize(s);

	/* other constraints are -EINVAL: the foreign key */
	assert_int_equal(db_exec(db, "INSERT INTO c VALUES ('nope')", &err), -EINVAL);
	/* a bad statement is -EIO with the engine's reason */
	assert_int_equal(db_prepare(db, "SELECT nope FROM t", &s, &err), -EIO);
	assert_non_null(strstr(err.msg, "nope"));
	db_close(db);
}

static int64_t count_rows(struct db *db)
{
	struct db_stmt *s = NULL;
	struct err err = { 0 };
	int64_t n;

	assert_int_equal(db_prepare(db, "SELECT count(*) FROM t", &s, &err), 0);
	assert_int_equal(db_step(s, &err), DB_ROW);
	n = db_column_int64(s, 0);
	db_finalize(s);
	return n;
}

static void test_db_sqlite__transactions(void **state)
{
	struct db *db = NULL;
	struct err err = { 0 };

	(void)state;
	assert_int_equal(db_open(DB_SQLITE, ":memory:", NULL, &db, &err), 0);
	assert_int_equal(db_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY)", &err), 0);
	assert_int_equal(db_begin(db, &err), 0);
	assert_true(db_in_transaction(db));
	assert_int_equal(db_exec(db, "INSERT INTO t VALUES (1)", &err), 0);
	assert_int_equal(db_savepoint(db, 1, &err), 0);
	assert_int_equal(db_exec(db, "INSERT INTO t VALUES (2)", &err), 0);
	db_rollback_to(db, 1);          /* undoes 2 only */
	assert_int_equal(db_savepoint(db, 1, &err), 0);
	assert_int_equal(db_exec(db, "INSERT INTO t VALUES (3)", &err), 0);
	assert_int_equal(db_release(db, 1, &err), 0);
	assert_int_equal(db_commit(db, &err), 0);
	assert_false(db_in_transaction(db));
	assert_int_equal(count_rows(db), 2);
	assert_int_equal(db_begin(db, &err), 0);
	assert_int_equal(db_exec(db, "INSERT INTO t VALUES (4)", &err), 0);
	db_rollback(db);
	assert_int_equal(count_rows(db), 2);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_db_sql__placeholders),
		cmocka_unit_test(test_db_sql__ddl_tokens),
		cmocka_unit_test(test_db_sql__nocase_upsert_names),
		cmocka_unit_test(test_db_sql__split),
		cmocka_unit_test(test_db_engine__names),
		cmocka_unit_test(test_db_sqlite__statements),
		cmocka_unit_test(test_db_sqlite__transactions),
	};

	return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
