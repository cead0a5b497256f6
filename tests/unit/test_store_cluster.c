/* SPDX-License-Identifier: MIT */
/*
 * The store's parts for more than one node (docs/cluster.md), on the engine under test
 * (SQLite by default; tests/db/run_engine.py runs it on PostgreSQL and MariaDB too): the
 * shared throttle rows (exact under parallel updates from two connections), an interface's
 * node, the change payloads and, on PostgreSQL, the notifications themselves (delivered on
 * commit only), the bounded round trips and the step-wise reconnect.
 */
#include "testlib.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/iface.h"
#include "model/peer.h"
#include "store/db.h"
#include "store/store-int.h"
#include "store/store.h"
#include "util/err.h"

static enum db_engine engine;

struct fx {
	char *dir;
	char *dsn;
	struct store *st;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char path[512];

	assert_non_null(fx);
	fx->dir = test_tmpdir();
	snprintf(path, sizeof(path), "%s/wgportal.db", fx->dir);
	assert_int_equal(test_store_fresh(path, NULL, &fx->st, &fx->dsn), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->st);
	test_tmpdir_remove(fx->dir);
	free(fx->dir);
	free(fx->dsn);
	free(fx);
	return 0;
}

/* ---- throttles -------------------------------------------------------------------------- */

#define LIMIT 5

/* A reservation as api/throttle.c makes it: refused (1) when LIMIT times are stored. */
static int reserve(int64_t *t, size_t *n, size_t cap, void *ctx)
{
	(void)cap;
	if (*n >= LIMIT)
		return 1;
	t[(*n)++] = *(int64_t *)ctx;
	return 0;
}

static int clear(int64_t *t, size_t *n, size_t cap, void *ctx)
{
	(void)t, (void)cap, (void)ctx;
	*n = 0;
	return 0;
}

struct racer {
	struct store *st;
	int granted, errors;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	int64_t now = 1000;

	for (int i = 0; i < 10; i++) {
		struct err err = { 0 };
		int v = store_throttle_update(r->st, 1, "user@example.com", now, reserve, &now, &err);

		if (v == 0)
			r->granted++;
		else if (v < 0)
			r->errors++;
	}
	return NULL;
}

/* Parallel reservations over two connections (two nodes) grant exactly LIMIT. */
static void test_store_throttle__exact_across_connections(void **state)
{
	struct fx *fx = *state;
	struct store *other = NULL;
	struct racer r[4];
	pthread_t th[4];
	int64_t t[STORE_THROTTLE_TIMES_MAX];
	size_t n = 0;
	int granted = 0, errors = 0;

	assert_int_equal(test_store_reopen(fx->dsn, NULL, &other), 0);
	for (int i = 0; i < 4; i++) {
		r[i] = (struct racer){ i % 2 ? other : fx->st, 0, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		granted += r[i].granted;
		errors += r[i].errors;
	}
	assert_int_equal(errors, 0);
	assert_int_equal(granted, LIMIT);
	assert_int_equal(store_throttle_get(other, 1, "user@example.com", t, STORE_THROTTLE_TIMES_MAX,
					    &n, NULL), 0);
	assert_int_equal(n, LIMIT);
	assert_int_equal(t[0], 1000);
	store_close(other);
}

static void test_store_throttle__kinds_long_keys_delete(void **state)
{
	struct fx *fx = *state;
	char a[300], b[300];
	int64_t t[STORE_THROTTLE_TIMES_MAX], now = 77;
	size_t n = 9;
	struct err err = { 0 };

	assert_int_equal(store_throttle_get(fx->st, 0, "nobody", t, STORE_THROTTLE_TIMES_MAX, &n,
					    &err), 0);
	assert_int_equal(n, 0);
	/* two keys that share their first 200 characters stay apart (long keys are hashed) */
	memset(a, 'x', sizeof(a));
	memcpy(b, a, sizeof(b));
	a[299] = b[299] = '\0';
	b[250] = 'y';
	assert_int_equal(store_throttle_update(fx->st, 0, a, now, reserve, &now, &err), 0);
	assert_int_equal(store_throttle_get(fx->st, 0, b, t, STORE_THROTTLE_TIMES_MAX, &n, &err), 0);
	assert_int_equal(n, 0);
	/* the same key of another kind is another row */
	assert_int_equal(store_throttle_get(fx->st, 2, a, t, STORE_THROTTLE_TIMES_MAX, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_throttle_get(fx->st, 0, a, t, STORE_THROTTLE_TIMES_MAX, &n, &err), 0);
	assert_int_equal(n, 1);
	/* an empty list removes the row */
	assert_int_equal(store_throttle_update(fx->st, 0, a, now, clear, NULL, &err), 0);
	assert_int_equal(store_throttle_get(fx->st, 0, a, t, STORE_THROTTLE_TIMES_MAX, &n, &err), 0);
	assert_int_equal(n, 0);
}

/* ---- an interface's node ------------------------------------------------------------------ */

static struct iface *mk_iface(const char *id, const char *node)
{
	struct iface *ifc = iface_new();

	assert_non_null(ifc);
	assert_int_equal(str_set(&ifc->identifier, id), 0);
	assert_int_equal(str_set(&ifc->backend, "local"), 0);
	assert_int_equal(str_set(&ifc->node, node), 0);
	return ifc;
}

static void test_store_iface__node(void **state)
{
	struct fx *fx = *state;
	struct iface *a = mk_iface("wga", "node-a"), *b = mk_iface("wgb", NULL), *got = NULL;
	struct err err = { 0 };

	assert_int_equal(store_iface_insert(fx->st, a, &err), 0);
	assert_int_equal(store_iface_insert(fx->st, b, &err), 0);
	assert_int_equal(store_iface_get(fx->st, "wga", &got, &err), 0);
	assert_string_equal(STR(got->node), "node-a");
	got = iface_free(got);
	/* an update without a node keeps the stored one; with one it moves */
	free(a->node);
	a->node = NULL;
	assert_int_equal(store_iface_update(fx->st, a, &err), 0);
	assert_int_equal(store_iface_get(fx->st, "wga", &got, &err), 0);
	assert_string_equal(STR(got->node), "node-a");
	got = iface_free(got);
	assert_int_equal(str_set(&a->node, "node-c"), 0);
	assert_int_equal(store_iface_update(fx->st, a, &err), 0);
	assert_int_equal(store_iface_get(fx->st, "wga", &got, &err), 0);
	assert_string_equal(STR(got->node), "node-c");
	got = iface_free(got);
	/* a claim takes only interfaces without a node */
	assert_int_equal(store_iface_set_node(fx->st, "wgb", "node-b", &err), 0);
	assert_int_equal(store_iface_set_node(fx->st, "wgb", "node-x", &err), -ENOENT);
	assert_int_equal(store_iface_set_node(fx->st, "wga", "node-x", &err), -ENOENT);
	assert_int_equal(store_iface_get(fx->st, "wgb", &got, &err), 0);
	assert_string_equal(STR(got->node), "node-b");
	iface_free(got);
	iface_free(a);
	iface_free(b);
}

/* ---- change notifications ----------------------------------------------------------------- */

static void test_store_change__parse(void **state)
{
	struct store_change c;

	(void)state;
	assert_int_equal(store_change_parse("1\tnode-a\tp\t1700000000123\twg0\t\tKEY=\tOLD=", &c),
			 0);
	assert_string_equal(c.origin, "node-a");
	assert_int_equal(c.kind, 'p');
	assert_true(c.at_ms == 1700000000123LL);
	assert_string_equal(c.iface, "wg0");
	assert_string_equal(c.old_iface, "");
	assert_string_equal(c.peer, "KEY=");
	assert_string_equal(c.old_peer, "OLD=");
	assert_int_equal(store_change_parse("1\tb\ti\t5\twg1\tmt1\t\t1", &c), 0);
	assert_true(c.kind == 'i' && c.deleted && !strcmp(c.backend, "mt1") && !*c.node);
	assert_int_equal(store_change_parse("2\tb\ti\t5\twg1\tmt1\t\t1", &c), -EINVAL);
	assert_int_equal(store_change_parse("1\tb\tx\t5\twg1\tmt1\t\t1", &c), -EINVAL);
	assert_int_equal(store_change_parse("1\tb\ti\t5\twg1", &c), -EINVAL);
	assert_int_equal(store_change_parse("", &c), -EINVAL);
	assert_int_equal(store_change_parse(NULL, &c), -EINVAL);
}

static struct peer *mk_peer(const char *iface, int i)
{
	struct peer *p = peer_new();

	assert_non_null(p);
	snprintf(p->identifier, sizeof(p->identifier), "%042dA=", i);
	memcpy(p->public_key, p->identifier, sizeof(p->public_key));
	assert_int_equal(str_set(&p->interface_identifier, iface), 0);
	return p;
}

struct heard {
	char payload[8][256];
	int n;
};

static void on_notify(const char *channel, const char *payload, void *ctx)
{
	struct heard *h = ctx;

	if (h->n < 8 && !strcmp(channel, STORE_CHANGE_CHANNEL))
		snprintf(h->payload[h->n++], sizeof(h->payload[0]), "%s", payload);
}

static void listen_drain(struct db *l, struct heard *h)
{
	struct err err = { 0 };

	memset(h, 0, sizeof(*h));
	while (db_wait_notify(l, 300, on_notify, h, &err) > 0)
		;
}

/* PostgreSQL: notifications travel with their transaction; other engines send none. */
static void test_store_change__notify_on_commit_only(void **state)
{
	struct fx *fx = *state;
	struct db *l = NULL;
	struct err err = { 0 };
	struct heard h;
	struct iface *ifc = mk_iface("wgn", NULL);
	struct peer *p1 = mk_peer("wgn", 1), *p2 = mk_peer("wgn", 2);
	struct store_change c;

	assert_int_equal(store_changes_enable(fx->st, "node-a"), 0);
	assert_int_equal(store_changes_enable(fx->st, "bad\tname"), -EINVAL);
	assert_int_equal(store_iface_insert(fx->st, ifc, &err), 0);
	if (engine != DB_POSTGRES) {
		assert_false(fx->st->changes_on);
		goto out;
	}
	assert_int_equal(db_open(DB_POSTGRES, fx->dsn, NULL, &l, &err), 0);
	assert_int_equal(db_exec(l, "LISTEN " STORE_CHANGE_CHANNEL, &err), 0);
	/* committed: heard */
	assert_int_equal(store_begin(fx->st, &err), 0);
	assert_int_equal(store_peer_insert(fx->st, p1, &err), 0);
	listen_drain(l, &h);
	assert_int_equal(h.n, 0); /* not before the commit */
	assert_int_equal(store_commit(fx->st, &err), 0);
	listen_drain(l, &h);
	assert_int_equal(h.n, 1);
	assert_int_equal(store_change_parse(h.payload[0], &c), 0);
	assert_true(c.kind == 'p' && !strcmp(c.origin, "node-a") && !strcmp(c.iface, "wgn") &&
		    !strcmp(c.peer, p1->identifier));
	/* rolled back: never heard */
	assert_int_equal(store_begin(fx->st, &err), 0);
	assert_int_equal(store_peer_insert(fx->st, p2, &err), 0);
	store_rollback(fx->st);
	listen_drain(l, &h);
	assert_int_equal(h.n, 0);
	/* a failed insert inside a committed transaction (its savepoint rolled back) neither */
	assert_int_equal(store_begin(fx->st, &err), 0);
	assert_int_equal(store_peer_insert(fx->st, p1, &err), -EEXIST);
	assert_int_equal(store_commit(fx->st, &err), 0);
	listen_drain(l, &h);
	assert_int_equal(h.n, 0);
	/* a re-key names the old key; a delete names the interface it left */
	memcpy(p2->identifier, p1->identifier, sizeof(p2->identifier));
	snprintf(p2->identifier, sizeof(p2->identifier), "%042dB=", 3);
	memcpy(p2->public_key, p2->identifier, sizeof(p2->public_key));
	assert_int_equal(store_peer_update(fx->st, p1->identifier, p2, &err), 0);
	assert_int_equal(store_peer_delete(fx->st, p2->identifier, &err), 0);
	listen_drain(l, &h);
	assert_int_equal(h.n, 2);
	assert_int_equal(store_change_parse(h.payload[0], &c), 0);
	assert_true(!strcmp(c.peer, p2->identifier) && !strcmp(c.old_peer, p1->identifier));
	assert_int_equal(store_change_parse(h.payload[1], &c), 0);
	assert_true(!*c.iface && !strcmp(c.old_iface, "wgn") && !strcmp(c.peer, p2->identifier));
	/* an interface deletion says who served it */
	assert_int_equal(store_iface_delete(fx->st, "wgn", &err), 0);
	listen_drain(l, &h);
	assert_int_equal(h.n, 1);
	assert_int_equal(store_change_parse(h.payload[0], &c), 0);
	assert_true(c.kind == 'i' && c.deleted && !strcmp(c.backend, "local"));
	db_close(l);
out:
	iface_free(ifc);
	peer_free(p1);
	peer_free(p2);
}

/* ---- bounded round trips (PostgreSQL) ------------------------------------------------------ */

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A statement the server does not answer within the bound fails with -ENOTCONN soon after
 * it; the connection is made again step by step and works. */
static void test_db_pg__op_timeout_and_reconnect(void **state)
{
	struct fx *fx = *state;
	struct db *db = NULL;
	struct err err = { 0 };
	int64_t t0, el;
	int r = -1;

	if (engine != DB_POSTGRES)
		return;
	assert_int_equal(db_open(DB_POSTGRES, fx->dsn, NULL, &db, &err), 0);
	db_set_op_timeout(db, 300);
	t0 = ms_now();
	assert_int_equal(db_exec(db, "SELECT pg_sleep(5)", &err), -ENOTCONN);
	el = ms_now() - t0;
	assert_true(el >= 290 && el < 1500);
	assert_non_null(strstr(err.msg, "did not answer within 300 ms"));
	assert_false(db_is_connected(db));
	/* the reconnect: callers fail at once until it is done, then it works */
	t0 = ms_now();
	while (ms_now() - t0 < 10000 && (r = db_exec(db, "SELECT 1", &err)) < 0) {
		struct timespec ts = { 0, 50 * 1000000L };
		assert_int_equal(r, -ENOTCONN);
		nanosleep(&ts, NULL);
	}
	assert_int_equal(r, 0);
	assert_true(db_session(db) > 1);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_throttle__exact_across_connections, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_throttle__kinds_long_keys_delete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_iface__node, setup, teardown),
		cmocka_unit_test(test_store_change__parse),
		cmocka_unit_test_setup_teardown(test_store_change__notify_on_commit_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_db_pg__op_timeout_and_reconnect, setup, teardown),
	};

	engine = (enum db_engine)test_db_engine();
	return cmocka_run_group_tests_name(engine == DB_POSTGRES ? "store-cluster-postgres"
					   : engine == DB_MYSQL ? "store-cluster-mysql"
								: "store-cluster",
					   tests, NULL, NULL);
}
