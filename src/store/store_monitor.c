/* SPDX-License-Identifier: MIT */
/*
 * Monitoring queries: ping targets and results, and the exporter's rows. The exporter's reads
 * are single statements iterated under the store lock with borrowed column text, so a scrape
 * allocates nothing per peer. The ping result upsert changes only the ping-related columns,
 * so it never clobbers counters the statistics collector wrote in between.
 */
#include "store/store-int.h"
#include "store/store_monitor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* The exporter's join is done here as a hash join over two sequential scans: with 10,000
 * peers, per-row B-tree lookups of 44-character text keys were a quarter of a scrape. */
static const char sql_metrics_count[] = "SELECT count(*) FROM peer_statuses";
static const char sql_metrics_status[] =
	"SELECT peer_id, is_connected, last_handshake, bytes_received, bytes_transmitted, "
	"stats_available FROM peer_statuses";
static const char sql_metrics_peers[] =
	"SELECT iface_id, addresses, identifier, display_name, user_id FROM peers";
static const char sql_metrics_ifaces[] =
	"SELECT s.iface_id, s.bytes_received, s.bytes_transmitted FROM interface_statuses s "
	"JOIN interfaces i ON i.identifier = s.iface_id ORDER BY s.iface_id";
static const char sql_ping_targets[] =
	"SELECT p.identifier, p.iface_id, i.backend, p.check_alive_address, p.addresses, i.node "
	"FROM peers p JOIN interfaces i ON i.identifier = p.iface_id "
	"WHERE p.disabled = 0 AND i.disabled = 0 ORDER BY i.backend, p.iface_id, p.identifier";
/* ?1 peer ?2 iface ?3 pingable (0/1) ?4 now ?5 stats_available ?6 rekey seconds. SET
 * expressions see the row as it was, so is_connected on the right is the previous state
 * (MySQL assigns left to right: is_connected is therefore set after its last reader). Columns
 * on the right are qualified: PostgreSQL finds them ambiguous with "excluded" otherwise.
 * Selecting the values FROM the peer's own row inserts nothing for a peer deleted meanwhile;
 * truth values are integers compared with 0 (PostgreSQL has no integer booleans). */
#define PS "peer_statuses."
#define FRESH_HANDSHAKE "(" PS "last_handshake > 0 AND ?4 - " PS "last_handshake <= ?6)"
static const char sql_ping_put[] =
	"INSERT INTO peer_statuses (peer_id, iface_id, is_pingable, last_ping, is_connected, "
	"last_session_start, stats_available, updated_at) "
	"SELECT ?1, ?2, ?3, CASE WHEN ?3 <> 0 THEN ?4 ELSE 0 END, ?3, "
	"CASE WHEN ?3 <> 0 THEN ?4 ELSE 0 END, ?5, ?4 FROM peers WHERE identifier = ?1 "
	"ON CONFLICT(peer_id) DO UPDATE SET is_pingable = ?3, "
	"last_ping = CASE WHEN ?3 <> 0 THEN ?4 ELSE 0 END, "
	"last_session_start = CASE WHEN (?3 <> 0 OR " FRESH_HANDSHAKE ") AND "
	PS "is_connected = 0 THEN (CASE WHEN " FRESH_HANDSHAKE " THEN " PS "last_handshake "
	"ELSE ?4 END) ELSE " PS "last_session_start END, "
	"is_connected = CASE WHEN ?3 <> 0 OR " FRESH_HANDSHAKE " THEN 1 ELSE 0 END, "
	"updated_at = ?4";
#undef FRESH_HANDSHAKE
#undef PS

static const char *col(struct db_stmt *s, int i)
{
	const char *t = db_column_text(s, i);

	return t ? t : "";
}

static int iterate(struct store *st, const char *sql, const char *what,
		   int (*row)(struct db_stmt *, void *), void *ctx, struct err *err)
{
	struct db_stmt *s = NULL;
	int rc, r = 0;

	store_lock(st);
	rc = db_prepare(st->db, sql, &s, err);
	if (rc < 0) {
		s = NULL;
		r = store_db_err(rc, what, err);
		goto out;
	}
	while ((rc = db_step(s, err)) == DB_ROW) {
		r = row(s, ctx);
		if (r < 0)
			goto out;
	}
	if (rc < 0)
		r = store_db_err(rc, what, err);
out:
	db_finalize(s);
	store_unlock(st);
	return r;
}

struct status_row {
	char id[WG_KEY_B64_SIZE];
	bool is_connected, stats_available;
	int64_t last_handshake;
	uint64_t bytes_received, bytes_transmitted;
};

/* Rows in an array, found through an open-addressing index of row numbers + 1 (0 = empty);
 * both sized once from a count, so a scrape does two allocations. */
struct status_table {
	struct status_row *rows;
	uint32_t *index;
	size_t n, max, mask;
	int (*fn)(const struct store_metric_peer *, void *);
	void *ctx;
};

static size_t key_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

/* The index slot holding id, or the empty slot where it would go. */
static uint32_t *find(struct status_table *t, const char *id)
{
	size_t i = key_hash(id) & t->mask;

	while (t->index[i] && strcmp(t->rows[t->index[i] - 1].id, id))
		i = (i + 1) & t->mask;
	return &t->index[i];
}

static int count_row(struct db_stmt *s, void *arg)
{
	*(size_t *)arg = (size_t)db_column_int64(s, 0);
	return 0;
}

static int status_row(struct db_stmt *s, void *arg)
{
	struct status_table *t = arg;
	const char *id = col(s, 0);
	size_t len = strlen(id);
	struct status_row *r;
	uint32_t *slot;

	if (len >= WG_KEY_B64_SIZE || t->n == t->max)
		return 0; /* not a key (no peer can match), or rows added since the count */
	slot = find(t, id);
	if (*slot)
		return 0;
	r = &t->rows[t->n];
	memcpy(r->id, id, len + 1);
	r->is_connected = db_column_int64(s, 1) != 0;
	r->last_handshake = db_column_int64(s, 2);
	r->bytes_received = (uint64_t)db_column_int64(s, 3);
	r->bytes_transmitted = (uint64_t)db_column_int64(s, 4);
	r->stats_available = db_column_int64(s, 5) != 0;
	*slot = (uint32_t)++t->n;
	return 0;
}

static int peer_row(struct db_stmt *s, void *arg)
{
	struct status_table *t = arg;
	const char *id = col(s, 2);
	const struct status_row *st;
	struct store_metric_peer p;
	uint32_t slot = *find(t, id);

	if (!slot)
		return 0; /* no statistics row yet: not exported */
	st = &t->rows[slot - 1];
	p = (struct store_metric_peer){
		.iface_id = col(s, 0),
		.addresses = col(s, 1),
		.id = id,
		.name = col(s, 3),
		.user = col(s, 4),
		.is_connected = st->is_connected,
		.last_handshake = st->last_handshake,
		.bytes_received = st->bytes_received,
		.bytes_transmitted = st->bytes_transmitted,
		.stats_available = st->stats_available,
	};
	return t->fn(&p, t->ctx);
}

int store_metrics_peers(struct store *st, int (*fn)(const struct store_metric_peer *, void *),
			void *ctx, struct err *err)
{
	struct status_table t = { .fn = fn, .ctx = ctx };
	size_t n = 0, cap = 16;
	int r;

	/* one lock for all scans: no write of another thread comes in between */
	store_lock(st);
	r = iterate(st, sql_metrics_count, "count peer statistics", count_row, &n, err);
	if (r < 0)
		goto out;
	if (n >= UINT32_MAX / 4) {
		r = err_set(err, -E2BIG, "too many statistics rows");
		goto out;
	}
	while (cap < 2 * n)
		cap *= 2;
	t.max = n;
	t.mask = cap - 1;
	t.rows = malloc((n + 1) * sizeof(*t.rows));
	t.index = calloc(cap, sizeof(*t.index));
	if (!t.rows || !t.index) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = iterate(st, sql_metrics_status, "read peer statistics", status_row, &t, err);
	if (r == 0)
		r = iterate(st, sql_metrics_peers, "read peers", peer_row, &t, err);
out:
	store_unlock(st);
	free(t.rows);
	free(t.index);
	return r;
}

struct iface_iter {
	int (*fn)(const struct store_metric_iface *, void *);
	void *ctx;
};

static int iface_row(struct db_stmt *s, void *arg)
{
	struct iface_iter *it = arg;
	struct store_metric_iface m = {
		.iface_id = col(s, 0),
		.bytes_received = (uint64_t)db_column_int64(s, 1),
		.bytes_transmitted = (uint64_t)db_column_int64(s, 2),
	};

	return it->fn(&m, it->ctx);
}

int store_metrics_ifaces(struct store *st, int (*fn)(const struct store_metric_iface *, void *),
			 void *ctx, struct err *err)
{
	struct iface_iter it = { fn, ctx };

	return iterate(st, sql_metrics_ifaces, "read interface metrics", iface_row, &it, err);
}

struct target_list {
	struct store_ping_target *v;
	size_t n, cap;
};

/* The address part of the check address, else of the first address ("10.0.0.2/32"). */
static void target_addr(const char *check, const char *addrs, char out[static 64])
{
	const char *src = *check ? check : addrs;
	size_t n = strcspn(src, ",/ ");

	if (n >= 64)
		n = 0;
	memcpy(out, src, n);
	out[n] = '\0';
}

static int target_row(struct db_stmt *s, void *arg)
{
	struct target_list *l = arg;
	struct store_ping_target *t;

	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 256;
		struct store_ping_target *nv = realloc(l->v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = nc;
	}
	t = &l->v[l->n];
	memset(t, 0, sizeof(*t));
	target_addr(col(s, 3), col(s, 4), t->addr);
	if (!*t->addr || strlen(col(s, 0)) >= sizeof(t->peer_id) ||
	    strlen(col(s, 1)) >= sizeof(t->iface_id) || strlen(col(s, 2)) >= sizeof(t->backend) ||
	    strlen(col(s, 5)) >= sizeof(t->node))
		return 0; /* nothing to ping (no address) or a malformed row */
	snprintf(t->peer_id, sizeof(t->peer_id), "%s", col(s, 0));
	snprintf(t->iface_id, sizeof(t->iface_id), "%s", col(s, 1));
	snprintf(t->backend, sizeof(t->backend), "%s", col(s, 2));
	snprintf(t->node, sizeof(t->node), "%s", col(s, 5));
	l->n++;
	return 0;
}

int store_ping_targets(struct store *st, struct store_ping_target **ret, size_t *n,
		       struct err *err)
{
	struct target_list l = { 0 };
	int r = iterate(st, sql_ping_targets, "read ping targets", target_row, &l, err);

	if (r == -ENOMEM)
		r = err_set(err, -ENOMEM, "out of memory");
	if (r < 0) {
		free(l.v);
		return r;
	}
	*ret = l.v;
	*n = l.n;
	return 0;
}

int store_ping_results_put(struct store *st, const struct store_ping_result *v, size_t n,
			   int64_t now, int64_t rekey_s, struct err *err)
{
	struct db_stmt *s = NULL;
	int rc, r;

	if (n == 0)
		return 0;
	r = store_begin(st, err);
	if (r < 0)
		return r;
	rc = db_prepare(st->db, sql_ping_put, &s, err);
	if (rc < 0) {
		s = NULL;
		r = store_db_err(rc, "write ping results", err);
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		db_bind_text(s, 1, v[i].peer_id);
		db_bind_text(s, 2, v[i].iface_id);
		db_bind_int64(s, 3, v[i].pingable);
		db_bind_int64(s, 4, now);
		db_bind_int64(s, 5, v[i].stats_available);
		db_bind_int64(s, 6, rekey_s);
		r = store_step_done(st, s, "write ping result", err);
		if (r < 0)
			goto fail;
	}
	db_finalize(s);
	return store_commit(st, err);
fail:
	db_finalize(s);
	store_rollback(st);
	return r;
}
