/* SPDX-License-Identifier: MIT */
/*
 * The coordination session of a node (store_coord.h, docs/cluster.md). PostgreSQL only: the
 * leader lock is pg_try_advisory_lock on this session, liveness is the session itself (seen by
 * the others in pg_stat_activity under "wgportal:<node>"), and changes arrive by LISTEN. Times
 * in cluster_nodes are the server's clock in milliseconds, so the heartbeat ages that nodes show
 * do not depend on their own clocks.
 */
#include "store/store_coord.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store-int.h"
#include "util/err.h"

/* The advisory lock keys (two int4): "wgpt" and which lock. */
#define LOCK_CLASS "2003267700"
#define LOCK_LEADER "1"
#define LOCK_STARTUP "2"
/* The server's clock in milliseconds. */
#define NOW_MS "(extract(EPOCH FROM clock_timestamp()) * 1000)::bigint"
/* Sessions of running nodes, by application_name. */
#define APP_NAME "'wgportal:' || "

struct store_coord {
	struct db *db;
	char node[64];
	unsigned setup_session;   /* the session application_name (and LISTEN) were set on */
	bool listening;
};

int store_coord_open(const struct store_config *c, const char *node, int op_timeout_ms,
		     struct store_coord **ret, struct err *err)
{
	char options[160];
	struct db_options o = { .debug = c->debug, .slow_query_ms = c->slow_query_ms };
	struct store_coord *co;
	enum db_engine e;
	int r;

	r = db_engine_parse(c->type, &e, err);
	if (r < 0)
		return r;
	if (e != DB_POSTGRES)
		return err_set(err, -EOPNOTSUPP, "more than one node needs PostgreSQL");
	co = calloc(1, sizeof(*co));
	if (!co)
		return err_set(err, -ENOMEM, "out of memory");
	snprintf(co->node, sizeof(co->node), "%s", node);
	/* the server ends a session that has been idle longer: see store_coord.h */
	snprintf(options, sizeof(options), "-c idle_session_timeout=%d -c statement_timeout=%d",
		 STORE_COORD_IDLE_MS, op_timeout_ms > 0 ? op_timeout_ms : 0);
	o.session_options = options;
	r = db_open(e, c->dsn, &o, &co->db, err);
	if (r < 0) {
		free(co);
		return r;
	}
	db_set_op_timeout(co->db, op_timeout_ms);
	*ret = co;
	return 0;
}

void store_coord_close(struct store_coord *co)
{
	if (!co)
		return;
	db_close(co->db);
	free(co);
}

unsigned store_coord_session(struct store_coord *co)
{
	return db_session(co->db);
}

/* Names the session after the node and listens again when the session is new. The names are
 * validated node names (cluster.node_name), so they can stand in SQL text. */
static int setup(struct store_coord *co, struct err *err)
{
	char sql[128];

	for (int tries = 0; tries < 3; tries++) {
		unsigned s;
		int r;

		if (co->setup_session && db_session(co->db) == co->setup_session)
			return 0;
		snprintf(sql, sizeof(sql), "SET application_name = 'wgportal:%s'", co->node);
		r = db_exec(co->db, sql, err);
		if (r < 0)
			return r;
		s = db_session(co->db);
		if (co->listening && (r = db_exec(co->db, "LISTEN " STORE_CHANGE_CHANNEL, err)) < 0)
			return r;
		if (db_session(co->db) == s) {
			co->setup_session = s;
			return 0;
		}
	}
	return err_set(err, -ENOTCONN, "database unavailable: the session keeps reconnecting");
}

/* Runs sql with text/integer parameters ("t" or "i" per character of types) and reads one row
 * into *ret_value (the first column as an integer) when ret_value is not NULL. */
static int one(struct store_coord *co, const char *sql, const char *types, const void **args,
	       int64_t *ret_value, struct err *err)
{
	struct db_stmt *s = NULL;
	int r = setup(co, err);

	if (r == 0)
		r = db_prepare(co->db, sql, &s, err);
	for (int i = 0; r == 0 && types[i]; i++)
		r = types[i] == 'i' ? db_bind_int64(s, i + 1, *(const int64_t *)args[i])
				    : db_bind_text(s, i + 1, args[i]);
	if (r == 0) {
		r = db_step(s, err);
		if (r == DB_ROW && ret_value)
			*ret_value = db_column_int64(s, 0);
		r = r < 0 ? r : 0;
	}
	db_finalize(s);
	return r;
}

int store_coord_startup_lock(struct store_coord *co, int timeout_ms, struct err *err)
{
	struct timespec t0, now, pause = { 0, 100 * 1000000L };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int64_t got = 0;
		int r = one(co, "SELECT pg_try_advisory_lock(" LOCK_CLASS ", " LOCK_STARTUP ")", "",
			    NULL, &got, err);

		if (r < 0)
			return r;
		if (got)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >
		    timeout_ms)
			return err_set(err, -ETIMEDOUT, "another node has been starting for more "
				       "than %d s", timeout_ms / 1000);
		nanosleep(&pause, NULL);
	}
}

int store_coord_startup_unlock(struct store_coord *co, struct err *err)
{
	return one(co, "SELECT pg_advisory_unlock(" LOCK_CLASS ", " LOCK_STARTUP ")", "", NULL,
		   NULL, err);
}

int store_coord_register(struct store_coord *co, const struct store_node *self, struct err *err)
{
	const void *name[] = { self->name };
	const void *args[] = { self->name, self->instance, &self->pid, self->version,
			       self->address };
	int64_t running = 0;
	int r;

	r = one(co, "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
		    APP_NAME "?1 AND pid <> pg_backend_pid()", "t", name, &running, err);
	if (r < 0)
		return r;
	if (running)
		return err_field(err, -EEXIST, "cluster.node_name",
				 "a running node already has the name '%s' (every node needs a "
				 "cluster.node_name of its own)", self->name);
	return one(co, "INSERT INTO cluster_nodes (name, instance, pid, version, address, "
		       "started_at, heartbeat_at, leader_since, stopped_at) VALUES (?1, ?2, ?3, ?4, "
		       "?5, " NOW_MS ", " NOW_MS ", 0, 0) ON CONFLICT(name) DO UPDATE SET "
		       "instance = ?2, pid = ?3, version = ?4, address = ?5, started_at = " NOW_MS
		       ", heartbeat_at = " NOW_MS ", leader_since = 0, stopped_at = 0",
		   "ttitt", args, NULL, err);
}

int store_coord_stopped(struct store_coord *co, const struct store_node *self, struct err *err)
{
	const void *args[] = { self->name, self->instance };

	return one(co, "UPDATE cluster_nodes SET stopped_at = " NOW_MS ", leader_since = 0 "
		       "WHERE name = ?1 AND instance = ?2", "tt", args, NULL, err);
}

int store_coord_try_lead(struct store_coord *co, bool *ret, struct err *err)
{
	int64_t got = 0;
	int r = one(co, "SELECT pg_try_advisory_lock(" LOCK_CLASS ", " LOCK_LEADER ")", "", NULL,
		    &got, err);

	if (r == 0)
		*ret = got != 0;
	return r;
}

int store_coord_heartbeat(struct store_coord *co, const struct store_node *self,
			  struct err *err)
{
	const void *args[] = { self->name, self->instance, &self->leader_since_ms };
	struct db_stmt *s = NULL;
	int r = setup(co, err);

	if (r == 0)
		r = db_prepare(co->db, "UPDATE cluster_nodes SET heartbeat_at = " NOW_MS ", "
				       "leader_since = ?3, stopped_at = 0 WHERE name = ?1 AND "
				       "instance = ?2", &s, err);
	if (r == 0) {
		db_bind_text(s, 1, args[0]);
		db_bind_text(s, 2, args[1]);
		db_bind_int64(s, 3, self->leader_since_ms);
		r = db_step_done(s, err);
	}
	db_finalize(s);
	if (r == 0 && db_changes(co->db) == 0)
		r = err_field(err, -ESTALE, "cluster.node_name", "another process has started as "
			      "node '%s'", self->name);
	return r;
}

int store_coord_listen(struct store_coord *co, struct err *err)
{
	co->listening = true;
	co->setup_session = 0; /* setup() listens now */
	return setup(co, err);
}

struct wait_ctx {
	void (*fn)(const char *payload, void *ctx);
	void *ctx;
};

static void on_notify(const char *channel, const char *payload, void *ctx)
{
	struct wait_ctx *w = ctx;

	if (!strcmp(channel, STORE_CHANGE_CHANNEL))
		w->fn(payload, w->ctx);
}

int store_coord_wait(struct store_coord *co, int timeout_ms,
		     void (*fn)(const char *payload, void *ctx), void *ctx, struct err *err)
{
	struct wait_ctx w = { fn, ctx };
	int r = setup(co, err);

	return r < 0 ? r : db_wait_notify(co->db, timeout_ms, on_notify, &w, err);
}

static int read_node(struct db_stmt *s, struct store_node *n)
{
	const char *t;

	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", (t = db_column_text(s, 0)) ? t : "");
	snprintf(n->instance, sizeof(n->instance), "%s", (t = db_column_text(s, 1)) ? t : "");
	n->pid = db_column_int64(s, 2);
	snprintf(n->version, sizeof(n->version), "%s", (t = db_column_text(s, 3)) ? t : "");
	snprintf(n->address, sizeof(n->address), "%s", (t = db_column_text(s, 4)) ? t : "");
	n->started_at_ms = db_column_int64(s, 5);
	n->heartbeat_at_ms = db_column_int64(s, 6);
	n->leader_since_ms = db_column_int64(s, 7);
	n->stopped_at_ms = db_column_int64(s, 8);
	n->heartbeat_age_ms = db_column_int64(s, 9) - n->heartbeat_at_ms;
	n->connected = db_column_int64(s, 10) != 0;
	n->leader = db_column_int64(s, 11) != 0;
	return 0;
}

int store_coord_nodes(struct store_coord *co, struct store_node **ret, size_t *n,
		      struct err *err)
{
	struct db_stmt *s = NULL;
	struct store_node *v = NULL;
	size_t cnt = 0, cap = 0;
	int r = setup(co, err);

	if (r == 0)
		r = db_prepare(co->db,
			       "SELECT c.name, c.instance, c.pid, c.version, c.address, "
			       "c.started_at, c.heartbeat_at, c.leader_since, c.stopped_at, " NOW_MS
			       ", (SELECT count(*) FROM pg_stat_activity a WHERE a.application_name "
			       "= " APP_NAME "c.name), (SELECT count(*) FROM pg_locks l JOIN "
			       "pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
			       "AND l.classid = " LOCK_CLASS " AND l.objid = " LOCK_LEADER " AND "
			       "l.objsubid = 2 AND l.granted AND l.database = (SELECT oid FROM "
			       "pg_database WHERE datname = current_database()) AND "
			       "a.application_name = " APP_NAME "c.name) FROM cluster_nodes c "
			       "ORDER BY c.name", &s, err);
	while (r == 0 && (r = db_step(s, err)) == DB_ROW) {
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 8;
			struct store_node *nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				r = err_set(err, -ENOMEM, "out of memory");
				break;
			}
			v = nv;
			cap = nc;
		}
		read_node(s, &v[cnt++]);
		r = 0;
	}
	db_finalize(s);
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*n = cnt;
	return 0;
}

int store_node_forget(struct store *st, const char *name, struct err *err)
{
	struct db_stmt *s = NULL;
	int r;

	store_lock(st);
	r = db_prepare(st->db, "DELETE FROM cluster_nodes WHERE name = ?", &s, err);
	if (r == 0) {
		db_bind_text(s, 1, name);
		r = db_step_done(s, err);
		if (r < 0)
			r = store_db_err(r, "remove the node", err);
		else if (db_changes(st->db) == 0)
			r = err_set(err, -ENOENT, "no node '%s'", name);
	}
	db_finalize(s);
	store_unlock(st);
	return r;
}
