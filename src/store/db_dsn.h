/* SPDX-License-Identifier: MIT */
#ifndef STORE_DB_DSN_H
#define STORE_DB_DSN_H
/*
 * database.dsn in the forms wg-portal accepts (docs/database.md, "DSN forms"):
 *   - PostgreSQL as pgx reads it: key=value pairs ("host=db user=wg dbname=wg sslmode=disable
 *     TimeZone=UTC") or a URL ("postgres://wg:pw@db:5432/wg?sslmode=disable"). Keys libpq does
 *     not know are, as in pgx, run-time parameters of the session (sent as options -c k=v).
 *   - MySQL as go-sql-driver/mysql reads it: [user[:password]@][net[(addr)]]/dbname[?params].
 * Parsed values are heap strings; the release functions wipe passwords.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

struct err;

/* libpq keywords and values, ready for PQconnectdbParams (NULL-terminated arrays). */
struct db_pg_dsn {
	char **keys, **values;
	size_t n;
};

/* is_keyword says whether libpq knows a keyword (the driver asks PQconndefaults). */
int db_pg_dsn_parse(const char *dsn, bool (*is_keyword)(const char *key), struct db_pg_dsn *ret,
		    struct err *err);
void db_pg_dsn_release(struct db_pg_dsn *d);
/* The value of key, or NULL. */
const char *db_pg_dsn_get(const struct db_pg_dsn *d, const char *key);
/* Adds key=value unless key is present. 0 or -ENOMEM. */
int db_pg_dsn_default(struct db_pg_dsn *d, const char *key, const char *value);

enum db_mysql_tls { DB_MYSQL_TLS_OFF, DB_MYSQL_TLS_PREFERRED, DB_MYSQL_TLS_SKIP_VERIFY,
		    DB_MYSQL_TLS_VERIFY };

struct db_mysql_dsn {
	char *user, *password;
	char *host;                  /* tcp: host name or address; NULL for unix */
	unsigned port;               /* tcp */
	char *socket;                /* unix: socket path */
	char *dbname;
	int64_t timeout_ms, read_timeout_ms, write_timeout_ms; /* 0 = the driver's default */
	enum db_mysql_tls tls;
	char *loc;                   /* the zone times were written in: "UTC" (default), "Local" */
};

int db_mysql_dsn_parse(const char *dsn, struct db_mysql_dsn *ret, struct err *err);
void db_mysql_dsn_release(struct db_mysql_dsn *d);

/* A Go duration ("5s", "1m30s", "250ms", "1.5h") in milliseconds; -EINVAL if malformed. */
int db_go_duration_ms(const char *s, int64_t *ret);

/* The DSN of engine with its password replaced by "***", for messages and logs (heap, or
 * NULL). */
char *db_dsn_redact(enum db_engine engine, const char *dsn);

#endif
