/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL driver's round trips with a time bound (db_set_op_timeout, db-pg-int.h). A
 * server that refuses connections is noticed at once; one that stops answering (a frozen host,
 * a network that drops packets, a unix socket whose server is stopped) would hold a blocking
 * libpq call until TCP gives up, minutes later, and with it every request waiting for the
 * store's lock. So queries are sent with PQsend*() and their answer awaited with poll() up to
 * the bound; the connect is driven with PQconnectPoll() in steps; LISTEN's notifications are
 * read the same way.
 */
#include "store/db-pg-int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"

/* Milliseconds until deadline_ns, at least 0; -1 (wait forever) when there is no deadline. */
static int remaining_ms(int64_t deadline_ns)
{
	int64_t left;

	if (!deadline_ns)
		return -1;
	left = (deadline_ns - db_now_ns() + 999999) / 1000000;
	return left < 0 ? 0 : left > 3600000 ? 3600000 : (int)left;
}

/* 1 when fd is ready (or in error, which the next libpq call reports), 0 at the deadline. */
static int wait_fd(int fd, bool write, int64_t deadline_ns)
{
	struct pollfd p = { .fd = fd, .events = write ? POLLOUT : POLLIN };

	if (fd < 0)
		return 1;
	for (;;) {
		int r = poll(&p, 1, remaining_ms(deadline_ns));

		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return 1;
	}
}

static int64_t op_deadline(const struct db *db)
{
	return db->op_timeout_ms ? db_now_ns() + (int64_t)db->op_timeout_ms * 1000000LL : 0;
}

static int timed_out(struct db *db, struct err *err)
{
	return db_lost(db, err, "PostgreSQL did not answer within %d ms", db->op_timeout_ms);
}

static int broken(struct db *db, struct err *err)
{
	char msg[ERR_MSG_MAX];
	size_t n;

	snprintf(msg, sizeof(msg), "%s", pg_c(db) ? PQerrorMessage(pg_c(db)) : "");
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	return db_lost(db, err, "%s", *msg ? msg : "connection to PostgreSQL lost");
}

int pg_io_result(struct db *db, int sent, PGresult **ret, struct err *err)
{
	PGconn *c = pg_c(db);
	int64_t deadline = op_deadline(db);
	PGresult *keep = NULL, *res;

	*ret = NULL;
	if (!c || !sent)
		return broken(db, err);
	for (;;) {
		while (PQisBusy(c)) {
			if (!wait_fd(PQsocket(c), false, deadline)) {
				PQclear(keep);
				return timed_out(db, err);
			}
			if (!PQconsumeInput(c)) {
				PQclear(keep);
				return broken(db, err);
			}
			/* the bound is on silence: a large result that keeps arriving is no hang */
			deadline = op_deadline(db);
		}
		res = PQgetResult(c);
		if (!res)
			break;
		if (keep && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
			PQclear(res);
			continue;
		}
		PQclear(keep);
		keep = res;
	}
	if (!keep)
		return broken(db, err);
	*ret = keep;
	return 0;
}

int pg_io_exec(struct db *db, const char *sql, PGresult **ret, struct err *err)
{
	PGconn *c = pg_c(db);

	return pg_io_result(db, c ? PQsendQuery(c, sql) : 0, ret, err);
}

int pg_io_connect(struct db *db, struct pg_conn *pc, struct err *err)
{
	int64_t limit = pc->connect_started_ns + pc->connect_limit_ms * 1000000LL;
	int64_t step = db->op_timeout_ms ? db_now_ns() + (db->op_timeout_ms / 20 + 1) * 1000000LL
					 : limit;
	/* libpq: after PQconnectStart, poll as if PGRES_POLLING_WRITING had been returned */
	PostgresPollingStatusType st = pc->polling ? pc->polling : PGRES_POLLING_WRITING;

	if (!pc->c)
		return err_set(err, -ENOMEM, "out of memory");
	if (PQstatus(pc->c) == CONNECTION_BAD)
		return err_set(err, -ENOTCONN, "%s", PQerrorMessage(pc->c));
	for (;;) {
		int64_t until = step < limit ? step : limit;

		if (st == PGRES_POLLING_READING || st == PGRES_POLLING_WRITING) {
			if (!wait_fd(PQsocket(pc->c), st == PGRES_POLLING_WRITING, until)) {
				if (db_now_ns() >= limit)
					return err_set(err, -ENOTCONN, "timeout expired after %lld s",
						       (long long)pc->connect_limit_ms / 1000);
				pc->polling = st;
				return -EINPROGRESS;
			}
		}
		st = PQconnectPoll(pc->c);
		if (st == PGRES_POLLING_OK)
			return 0;
		if (st == PGRES_POLLING_FAILED)
			return err_set(err, -ENOTCONN, "%s", PQerrorMessage(pc->c));
	}
}

int pg_io_wait_notify(struct db *db, int timeout_ms, db_notify_fn *fn, void *ctx,
		      struct err *err)
{
	PGconn *c = pg_c(db);
	int64_t deadline = db_now_ns() + (int64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000LL;
	int n = 0;

	if (!c)
		return broken(db, err);
	for (;;) {
		PGnotify *nf;

		if (!PQconsumeInput(c))
			return broken(db, err);
		while ((nf = PQnotifies(c)) != NULL) {
			fn(nf->relname, nf->extra ? nf->extra : "", ctx);
			PQfreemem(nf);
			n++;
		}
		if (n || db_now_ns() >= deadline || !wait_fd(PQsocket(c), false, deadline))
			return n;
	}
}
