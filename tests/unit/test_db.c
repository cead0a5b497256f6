/* SPDX-License-Identifier: MIT */
/*
 * The engine-neutral db layer: the neutral-SQL rewriter (placeholders, DDL tokens, NOCASE,
 * upserts, reserved words and table prefixes, never inside literals), statement splitting,
 * and the SQLite driver through the layer's calls (binding, rows, NULLs, blobs, changes,
 * error mapping, transactions with savepoints). The PostgreSQL and MySQL drivers run the same
 * store tests against real servers (tests/unit/test_store.c with WGPORTAL_TEST_DB).
 * Also: the DSN forms wg-portal's drivers accept (pgx, go-sql-driver/mysql) and the real
 * dialects on the real migrations.
 */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db-int.h"
#include "store/db.h"
#include "store/db_dsn.h"
#include "store/store-int.h"
#include "util/err.h"

/* The engines' own dialects: MySQL's uses every rewrite. */
#define all_rewrites (*db_driver_mysql.dialect)
#define dollar (*db_driver_postgres.dialect)
#define numbered (*db_driver_sqlite.dialect)
#define MYSQL_TABLE " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

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
				 "NULL AUTO_INCREMENT UNIQUE\n)" MYSQL_TABLE);
	free(slots);
	free(out);
	out = xlate(&all_rewrites, "ALTER TABLE users ADD COLUMN notes TEXT NOT NULL DEFAULT 'a''b'",
		    &np, &slots, &ns);
	assert_string_equal(out, "ALTER TABLE wgp_users ADD COLUMN notes TEXT NOT NULL DEFAULT "
				 "('a''b')");
	free(slots);
	free(out);
	out = xlate(&all_rewrites, "CREATE TABLE audit_entries (id {autoinc}, user TEXT)", &np,
		    &slots, &ns);
	assert_string_equal(out, "CREATE TABLE wgp_audit_entries (id BIGINT AUTO_INCREMENT "
				 "PRIMARY KEY, \"user\" TEXT)" MYSQL_TABLE);
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
	free(slots);
	free(out);
	/* a column named like a table is no table: only table positions are renamed */
	out = xlate(&all_rewrites, "SELECT max(schema_version) FROM schema_version JOIN peers p "
				   "ON p.identifier = peer_statuses.peer_id", &np, &slots, &ns);
	assert_string_equal(out, "SELECT max(schema_version) FROM wgp_schema_version JOIN wgp_peers "
				 "p ON p.identifier = wgp_peer_statuses.peer_id");
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

/* ---- DSNs ---- */

static bool fake_libpq_keyword(const char *k)
{
	static const char *const kw[] = { "host", "port", "user", "password", "dbname", "sslmode",
					  "connect_timeout", "application_name", "options", NULL };

	for (const char *const *p = kw; *p; p++)
		if (!strcmp(*p, k))
			return true;
	return false;
}

static void test_db_dsn__postgres_key_value(void **state)
{
	struct db_pg_dsn d;
	struct err err = { 0 };

	(void)state;
	/* wg-portal's documented form, with a pgx run-time parameter (TimeZone) */
	assert_int_equal(db_pg_dsn_parse("host=db.example user=wg password='p w\\'x' dbname=wg "
					 "port=5433 sslmode=disable TimeZone=Europe/Berlin "
					 "search_path=a\\ b", fake_libpq_keyword, &d, &err), 0);
	assert_string_equal(db_pg_dsn_get(&d, "host"), "db.example");
	assert_string_equal(db_pg_dsn_get(&d, "password"), "p w'x");
	assert_string_equal(db_pg_dsn_get(&d, "dbname"), "wg");
	assert_string_equal(db_pg_dsn_get(&d, "port"), "5433");
	assert_null(db_pg_dsn_get(&d, "TimeZone"));
	assert_string_equal(db_pg_dsn_get(&d, "options"),
			    "-c TimeZone=Europe/Berlin -c search_path=a\\ b");
	assert_null(d.keys[d.n]);
	db_pg_dsn_release(&d);
	/* pgx's "database" is libpq's "dbname" */
	assert_int_equal(db_pg_dsn_parse("database = wg", fake_libpq_keyword, &d, &err), 0);
	assert_string_equal(db_pg_dsn_get(&d, "dbname"), "wg");
	db_pg_dsn_release(&d);
	assert_int_equal(db_pg_dsn_parse("host=db user", fake_libpq_keyword, &d, &err), -EINVAL);
	assert_string_equal(err.field, "database.dsn");
	assert_int_equal(db_pg_dsn_parse("password='open", fake_libpq_keyword, &d, &err), -EINVAL);
}

static void test_db_dsn__postgres_url(void **state)
{
	struct db_pg_dsn d;
	struct err err = { 0 };

	(void)state;
	assert_int_equal(db_pg_dsn_parse("postgres://wg:p%40ss@db:5433/wg%20db?sslmode=disable&"
					 "TimeZone=UTC&application_name=a+b", fake_libpq_keyword, &d,
					 &err), 0);
	assert_string_equal(db_pg_dsn_get(&d, "user"), "wg");
	assert_string_equal(db_pg_dsn_get(&d, "password"), "p@ss");
	assert_string_equal(db_pg_dsn_get(&d, "host"), "db");
	assert_string_equal(db_pg_dsn_get(&d, "port"), "5433");
	assert_string_equal(db_pg_dsn_get(&d, "dbname"), "wg db");
	assert_string_equal(db_pg_dsn_get(&d, "sslmode"), "disable");
	assert_string_equal(db_pg_dsn_get(&d, "application_name"), "a b");
	assert_string_equal(db_pg_dsn_get(&d, "options"), "-c TimeZone=UTC");
	db_pg_dsn_release(&d);
	/* several hosts, IPv6, a unix socket directory in the query */
	assert_int_equal(db_pg_dsn_parse("postgresql://[::1]:5432,db2/wg?host=%2Fvar%2Frun",
					 fake_libpq_keyword, &d, &err), 0);
	assert_string_equal(db_pg_dsn_get(&d, "host"), "/var/run");
	assert_string_equal(db_pg_dsn_get(&d, "port"), "5432,");
	db_pg_dsn_release(&d);
	assert_int_equal(db_pg_dsn_parse("postgres://[::1/wg", fake_libpq_keyword, &d, &err),
			 -EINVAL);
}

static void test_db_dsn__mysql(void **state)
{
	struct db_mysql_dsn d;
	struct err err = { 0 };
	int64_t ms;

	(void)state;
	/* wg-portal's documented form */
	assert_int_equal(db_mysql_dsn_parse("wg:secret@tcp(db.example:3307)/wgportal?charset="
					    "utf8mb4&parseTime=True&loc=Local&timeout=2s&"
					    "readTimeout=1m30s", &d, &err), 0);
	assert_string_equal(d.user, "wg");
	assert_string_equal(d.password, "secret");
	assert_string_equal(d.host, "db.example");
	assert_int_equal(d.port, 3307);
	assert_null(d.socket);
	assert_string_equal(d.dbname, "wgportal");
	assert_int_equal(d.timeout_ms, 2000);
	assert_int_equal(d.read_timeout_ms, 90000);
	db_mysql_dsn_release(&d);
	/* the password may hold ':', '@' and '/' (go-sql-driver: last '/', last '@' before it) */
	assert_int_equal(db_mysql_dsn_parse("u:p@:/x@tcp([::1])/db", &d, &err), 0);
	assert_string_equal(d.user, "u");
	assert_string_equal(d.password, "p@:/x");
	assert_string_equal(d.host, "::1");
	assert_int_equal(d.port, 3306);
	db_mysql_dsn_release(&d);
	assert_int_equal(db_mysql_dsn_parse("root@unix(/run/mysqld/mysqld.sock)/wg", &d, &err), 0);
	assert_string_equal(d.socket, "/run/mysqld/mysqld.sock");
	assert_null(d.password);
	db_mysql_dsn_release(&d);
	assert_int_equal(db_mysql_dsn_parse("/wg", &d, &err), 0);
	assert_string_equal(d.host, "127.0.0.1");
	db_mysql_dsn_release(&d);
	assert_int_equal(db_mysql_dsn_parse("u:p@tcp(h:1/db", &d, &err), -EINVAL);
	assert_int_equal(db_mysql_dsn_parse("u:p@tcp(h)", &d, &err), -EINVAL);
	assert_int_equal(db_mysql_dsn_parse("u:p@udp(h)/db", &d, &err), -EINVAL);
	assert_int_equal(db_mysql_dsn_parse("u:p@tcp(h:99999)/db", &d, &err), -EINVAL);
	assert_int_equal(db_mysql_dsn_parse("u@tcp(h)/db?tls=maybe", &d, &err), -EINVAL);
	assert_int_equal(db_mysql_dsn_parse("u@tcp(h)/db?timeout=5", &d, &err), -EINVAL);
	assert_string_equal(err.field, "database.dsn");
	assert_int_equal(db_go_duration_ms("1h2m3.5s", &ms), 0);
	assert_int_equal(ms, 3723500);
	assert_int_equal(db_go_duration_ms("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(db_go_duration_ms("5x", &ms), -EINVAL);
}

static void test_db_dsn__redact(void **state)
{
	static const struct {
		enum db_engine e;
		const char *dsn, *shown;
	} cases[] = {
		{ DB_POSTGRES, "postgres://wg:s3cr%40t@db/wg", "postgres://wg:***@db/wg" },
		{ DB_POSTGRES, "host=db password='a b' user=wg", "host=db password=*** user=wg" },
		{ DB_POSTGRES, "host=db password = a@b/c sslpassword=x",
		  "host=db password = *** sslpassword=***" },
		{ DB_MYSQL, "wg:s3cr@t@tcp(db)/wg?tls=true", "wg:***@tcp(db)/wg?tls=true" },
		{ DB_SQLITE, "/var/lib/wg/sqlite.db", "/var/lib/wg/sqlite.db" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = db_dsn_redact(cases[i].e, cases[i].dsn);
		assert_string_equal(r, cases[i].shown);
		free(r);
	}
}

/* ---- the real dialects on the real migrations ---- */

static void test_db_sql__migrations_every_dialect(void **state)
{
	const struct db_driver *drivers[] = { &db_driver_sqlite, &db_driver_postgres,
					      &db_driver_mysql };

	(void)state;
	for (int v = 1; v <= store_migration_count(); v++) {
		const char *sql = store_migration_sql(v);

		/* every table a migration creates is one the MySQL prefix knows */
		for (const char *p = strstr(sql, "CREATE TABLE "); p; p = strstr(p + 1, "CREATE TABLE ")) {
			char name[64];
			assert_int_equal(sscanf(p, "CREATE TABLE %63[a-z_]", name), 1);
			if (!db_sql_is_our_table(name))
				fail_msg("table '%s' of migration %d is missing from our_tables", name,
					 v);
		}
		for (size_t d = 0; d < sizeof(drivers) / sizeof(drivers[0]); d++) {
			int np, ns, *slots;
			char *out;

			assert_int_equal(db_sql_translate(drivers[d]->dialect, sql, &out, &np, &slots,
							  &ns), 0);
			assert_null(strchr(out, '{')); /* every token rendered */
			if (drivers[d] == &db_driver_mysql)
				assert_null(strstr(out, "CREATE TABLE peers"));
			free(slots);
			free(out);
		}
	}
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
		cmocka_unit_test(test_db_dsn__postgres_key_value),
		cmocka_unit_test(test_db_dsn__postgres_url),
		cmocka_unit_test(test_db_dsn__mysql),
		cmocka_unit_test(test_db_dsn__redact),
		cmocka_unit_test(test_db_sql__migrations_every_dialect),
	};

	return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
