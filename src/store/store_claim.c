/* SPDX-License-Identifier: MIT */
/*
 * One node per MySQL/MariaDB database. Only PostgreSQL coordinates several nodes (a leader,
 * the fence: docs/cluster.md); two nodes on one MariaDB database would both act alone and both
 * write to the routers. The first node holds a named lock of the server (GET_LOCK) on a
 * connection of its own for as long as it runs; a second one finds it taken and is refused,
 * as a second process on one SQLite file is (cluster/cluster.c). The name is derived from the
 * database name, since the server's named locks are shared by all its databases.
 */
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>

#include "store/db.h"
#include "util/err.h"

static const char sql_claim[] =
	"SELECT GET_LOCK(CONCAT('wgportal-node:', LEFT(SHA1(DATABASE()), 40)), 0), "
	"IS_USED_LOCK(CONCAT('wgportal-node:', LEFT(SHA1(DATABASE()), 40)))";

int store_claim_mysql(const struct store_config *c, struct db **ret, struct err *err)
{
	struct db_options o = { .debug = c->debug, .slow_query_ms = c->slow_query_ms };
	struct db_stmt *s = NULL;
	struct db *db = NULL;
	int64_t holder = 0;
	bool got = false;
	int r;

	*ret = NULL;
	r = db_open(DB_MYSQL, c->dsn, &o, &db, err);
	if (r < 0)
		return err_prefix(err, "node lock");
	r = db_prepare(db, sql_claim, &s, err);
	if (r == 0 && (r = db_step(s, err)) == DB_ROW) {
		got = !db_column_is_null(s, 0) && db_column_int64(s, 0) == 1;
		holder = db_column_int64(s, 1);
		r = 0;
	} else if (r == DB_DONE) {
		r = err_set(err, -EIO, "node lock: no answer");
	}
	db_finalize(s);
	if (r == 0 && !got)
		r = err_field(err, -EBUSY, "database.dsn",
			      "the MySQL/MariaDB database is in use by another wgportal (server "
			      "connection %lld); MySQL/MariaDB serves one node: for more nodes use "
			      "PostgreSQL (README, \"More than one node\")", (long long)holder);
	if (r < 0) {
		db_close(db);
		return r;
	}
	*ret = db;
	return 0;
}
