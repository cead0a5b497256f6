/* SPDX-License-Identifier: MIT */
#ifndef STORE_DB_PG_INT_H
#define STORE_DB_PG_INT_H
/*
 * Private to the PostgreSQL driver (db_pg.c) and its round trips (db_pg_io.c): the connection
 * object and the time-bounded libpq calls. Every query is sent with libpq's asynchronous calls
 * and its answer awaited with poll(), so db_set_op_timeout bounds what a caller can wait for a
 * server that stops answering.
 */
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/db-int.h"

struct pg_conn {
	PGconn *c;
	char foreign_schema[128];  /* where other applications' tables are (the DSN's schema) */
	bool ready;                /* connected and the session set up */
	int64_t connect_started_ns;
	int64_t connect_limit_ms;  /* the DSN's connect_timeout */
	PostgresPollingStatusType polling; /* the last PQconnectPoll() answer, while connecting */
};

static inline PGconn *pg_c(struct db *db)
{
	return db->conn ? ((struct pg_conn *)db->conn)->c : NULL;
}

/*
 * The answer to the query just handed to libpq: sent is what PQsend*() returned. 0 and *ret (a
 * result, maybe a failed one: check PQresultStatus) or -ENOTCONN when the server did not answer
 * within the connection's op timeout or the connection broke (the connection is then lost, err
 * says why). When a query yields several results, the first failed one or else the last is kept.
 */
int pg_io_result(struct db *db, int sent, PGresult **ret, struct err *err);
/* PQexec with the time bound: the same contract as pg_io_result. */
int pg_io_exec(struct db *db, const char *sql, PGresult **ret, struct err *err);
/*
 * Connects pc->c step by step (PQconnectStartParams was called, connect_started_ns set): 0 when
 * the connection is up, -EINPROGRESS when the step budget (op timeout / 5; without an op timeout
 * the whole connect_timeout) ran out first, -ENOTCONN when it failed or connect_timeout passed.
 */
int pg_io_connect(struct db *db, struct pg_conn *pc, struct err *err);
/* db_wait_notify for PostgreSQL. */
int pg_io_wait_notify(struct db *db, int timeout_ms, db_notify_fn *fn, void *ctx,
		      struct err *err);

#endif
