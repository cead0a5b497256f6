/* SPDX-License-Identifier: MIT */
/*
 * Latest statistics per peer and interface (one upserted row each, written in one transaction
 * per sweep) and the append-only audit log.
 */
#include "store/store-int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/err.h"

static const char sql_peer_put[] =
	"INSERT INTO peer_statuses (peer_id, iface_id, bytes_received, bytes_transmitted, "
	"last_handshake, endpoint, is_pingable, last_ping, last_session_start, is_connected, "
	"stats_available, updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12) "
	"ON CONFLICT(peer_id) DO UPDATE SET iface_id=?2, bytes_received=?3, "
	"bytes_transmitted=?4, last_handshake=?5, endpoint=?6, is_pingable=?7, last_ping=?8, "
	"last_session_start=?9, is_connected=?10, stats_available=?11, updated_at=?12";
static const char sql_iface_put[] =
	"INSERT INTO interface_statuses (iface_id, bytes_received, bytes_transmitted, updated_at) "
	"VALUES (?1,?2,?3,?4) ON CONFLICT(iface_id) DO UPDATE SET bytes_received=?2, "
	"bytes_transmitted=?3, updated_at=?4";
static const char sql_peer_get[] =
	"SELECT peer_id, iface_id, bytes_received, bytes_transmitted, last_handshake, endpoint, "
	"is_pingable, last_ping, last_session_start, is_connected, stats_available, updated_at "
	"FROM peer_statuses WHERE peer_id = ?";
static const char sql_iface_get[] =
	"SELECT iface_id, bytes_received, bytes_transmitted, updated_at FROM interface_statuses "
	"WHERE iface_id = ?";
static const char sql_audit_add[] =
	"INSERT INTO audit_entries (created_at, user, severity, origin, message) "
	"VALUES (?, ?, ?, ?, ?)";
static const char sql_audit_count[] = "SELECT count(*) FROM audit_entries";

/* Counters are uint64 on the wire; SQLite keeps int64. The cast round-trips all 64 bits. */
static int put_peer(struct store *st, const struct peer_status *ps, struct err *err)
{
	struct db_stmt *s;
	int r = store_stmt(st, STMT_PEER_STATUS_PUT, sql_peer_put, &s, err);

	if (r < 0)
		return r;
	db_bind_text(s, 1, ps->peer_id);
	db_bind_text(s, 2, ps->iface_id);
	db_bind_int64(s, 3, (int64_t)ps->bytes_received);
	db_bind_int64(s, 4, (int64_t)ps->bytes_transmitted);
	db_bind_int64(s, 5, ps->last_handshake);
	db_bind_text(s, 6, ps->endpoint);
	db_bind_int64(s, 7, ps->is_pingable);
	db_bind_int64(s, 8, ps->last_ping);
	db_bind_int64(s, 9, ps->last_session_start);
	db_bind_int64(s, 10, ps->is_connected);
	db_bind_int64(s, 11, ps->stats_available);
	db_bind_int64(s, 12, ps->updated_at ? ps->updated_at : (int64_t)time(NULL));
	return store_step_done(st, s, "write peer status", err);
}

static int put_iface(struct store *st, const struct iface_status *is, struct err *err)
{
	struct db_stmt *s;
	int r = store_stmt(st, STMT_IFACE_STATUS_PUT, sql_iface_put, &s, err);

	if (r < 0)
		return r;
	db_bind_text(s, 1, is->iface_id);
	db_bind_int64(s, 2, (int64_t)is->bytes_received);
	db_bind_int64(s, 3, (int64_t)is->bytes_transmitted);
	db_bind_int64(s, 4, is->updated_at ? is->updated_at : (int64_t)time(NULL));
	return store_step_done(st, s, "write interface status", err);
}

int store_status_put(struct store *st, const struct peer_status *peers, size_t n_peers,
		     const struct iface_status *ifaces, size_t n_ifaces, struct err *err)
{
	int r = store_begin(st, err);

	if (r < 0)
		return r;
	for (size_t i = 0; r == 0 && i < n_peers; i++)
		r = put_peer(st, &peers[i], err);
	for (size_t i = 0; r == 0 && i < n_ifaces; i++)
		r = put_iface(st, &ifaces[i], err);
	if (r < 0) {
		store_rollback(st);
		return r;
	}
	return store_commit(st, err);
}

int store_peer_status_get(struct store *st, const char *peer_id, struct peer_status *ret,
			  struct err *err)
{
	struct peer_status ps = { 0 };
	struct db_stmt *s;
	int r, rc;

	store_lock(st);
	r = store_stmt(st, STMT_PEER_STATUS_GET, sql_peer_get, &s, err);
	if (r < 0)
		goto out;
	db_bind_text(s, 1, STR(peer_id));
	rc = db_step(s, err);
	if (rc == DB_ROW) {
		if (store_col_fixed(s, 0, ps.peer_id, sizeof(ps.peer_id)) < 0 ||
		    store_col_fixed(s, 1, ps.iface_id, sizeof(ps.iface_id)) < 0 ||
		    store_col_fixed(s, 5, ps.endpoint, sizeof(ps.endpoint)) < 0) {
			r = err_set(err, -EIO, "stored status of peer '%s' is malformed",
				    STR(peer_id));
		} else {
			ps.bytes_received = (uint64_t)db_column_int64(s, 2);
			ps.bytes_transmitted = (uint64_t)db_column_int64(s, 3);
			ps.last_handshake = db_column_int64(s, 4);
			ps.is_pingable = db_column_int64(s, 6) != 0;
			ps.last_ping = db_column_int64(s, 7);
			ps.last_session_start = db_column_int64(s, 8);
			ps.is_connected = db_column_int64(s, 9) != 0;
			ps.stats_available = db_column_int64(s, 10) != 0;
			ps.updated_at = db_column_int64(s, 11);
			*ret = ps;
		}
	} else if (rc == DB_DONE) {
		r = err_set(err, -ENOENT, "no status for peer '%s'", STR(peer_id));
	} else {
		r = store_db_err(rc, "get peer status", err);
	}
	store_stmt_done(s);
out:
	store_unlock(st);
	return r;
}

int store_iface_status_get(struct store *st, const char *iface_id, struct iface_status *ret,
			   struct err *err)
{
	struct iface_status is = { 0 };
	struct db_stmt *s;
	int r, rc;

	store_lock(st);
	r = store_stmt(st, STMT_IFACE_STATUS_GET, sql_iface_get, &s, err);
	if (r < 0)
		goto out;
	db_bind_text(s, 1, STR(iface_id));
	rc = db_step(s, err);
	if (rc == DB_ROW) {
		if (store_col_fixed(s, 0, is.iface_id, sizeof(is.iface_id)) < 0) {
			r = err_set(err, -EIO, "stored status of interface '%s' is malformed",
				    STR(iface_id));
		} else {
			is.bytes_received = (uint64_t)db_column_int64(s, 1);
			is.bytes_transmitted = (uint64_t)db_column_int64(s, 2);
			is.updated_at = db_column_int64(s, 3);
			*ret = is;
		}
	} else if (rc == DB_DONE) {
		r = err_set(err, -ENOENT, "no status for interface '%s'", STR(iface_id));
	} else {
		r = store_db_err(rc, "get interface status", err);
	}
	store_stmt_done(s);
out:
	store_unlock(st);
	return r;
}

int store_audit_add_at(struct store *st, int64_t created_at, const char *user,
		       const char *severity, const char *origin, const char *message,
		       struct err *err)
{
	struct db_stmt *s;
	int r;

	r = store_single_begin(st, err);
	if (r < 0)
		return r;
	r = store_stmt(st, STMT_AUDIT_ADD, sql_audit_add, &s, err);
	if (r == 0) {
		db_bind_int64(s, 1, created_at);
		store_bind_str(s, 2, user);
		store_bind_str(s, 3, severity);
		store_bind_str(s, 4, origin);
		store_bind_str(s, 5, message);
		r = store_step_done(st, s, "write audit entry", err);
	}
	return store_single_end(st, r, err);
}

int store_audit_add(struct store *st, const char *user, const char *severity, const char *origin,
		    const char *message, struct err *err)
{
	return store_audit_add_at(st, (int64_t)time(NULL), user, severity, origin, message, err);
}

int store_analyze(struct store *st, struct err *err)
{
	static const char *const tables[] = { "users", "interfaces", "interface_addresses",
					      "peers", "peer_addresses", "audit_entries" };
	int r = 0;

	store_lock(st);
	for (size_t i = 0; r == 0 && i < sizeof(tables) / sizeof(tables[0]); i++)
		r = db_analyze(st->db, tables[i], err);
	store_unlock(st);
	return r < 0 ? store_db_err(r, "update planner statistics", err) : 0;
}

int store_count(struct store *st, const char *table, int64_t *ret, struct err *err)
{
	struct db_stmt *s = NULL;
	char sql[96];
	int r;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	store_lock(st);
	r = db_prepare(st->db, sql, &s, err);
	if (r == 0)
		r = db_step(s, err);
	if (r == DB_ROW) {
		*ret = db_column_int64(s, 0);
		r = 0;
	} else if (r == DB_DONE) {
		r = err_set(err, -EIO, "count of %s: no row", table);
	}
	db_finalize(s);
	store_unlock(st);
	return r < 0 ? store_db_err(r, "count rows", err) : 0;
}

int store_audit_count(struct store *st, size_t *ret, struct err *err)
{
	struct db_stmt *s;
	int r, rc;

	store_lock(st);
	r = store_stmt(st, STMT_AUDIT_COUNT, sql_audit_count, &s, err);
	if (r == 0) {
		rc = db_step(s, err);
		if (rc == DB_ROW)
			*ret = (size_t)db_column_int64(s, 0);
		else
			r = store_db_err(rc, "count audit entries", err);
		store_stmt_done(s);
	}
	store_unlock(st);
	return r;
}
