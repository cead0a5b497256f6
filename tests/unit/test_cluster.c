/* SPDX-License-Identifier: MIT */
/*
 * The cluster module with one node (cluster.h): every predicate true before and without
 * PostgreSQL, the Node checks of the API, and SQLite's one-process lock (a second claim on the
 * same file, through another path too, is refused naming the holder). Several nodes on a real
 * PostgreSQL are tests/cluster/test_cluster.py's.
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/backend.h"
#include "cluster/cluster.h"
#include "config/config.h"
#include "core/app.h"
#include "util/err.h"

static const struct backend_ops remote_ops = { .type = "mikrotik" };

static void test_cluster__one_node_serves_everything(void **state)
{
	struct backend local = { .ops = &backend_local }, remote = { .ops = &remote_ops };
	struct err err = { 0 };

	(void)state;
	assert_false(cluster_enabled());
	assert_true(cluster_is_leader());
	assert_int_equal(cluster_fence(&err), 0);
	assert_true(cluster_serves(&remote, NULL));
	assert_true(cluster_serves(&local, "some-other-node"));
	assert_true(cluster_serves_backend(&remote));
	assert_null(cluster_new_iface_node(&local));
	assert_int_equal(cluster_last_change_ms(), 0);
	/* Node: none is fine; only local interfaces have one; an unknown node is refused */
	assert_int_equal(cluster_check_node(&remote, NULL, &err), 0);
	assert_int_equal(cluster_check_node(&local, "", &err), 0);
	assert_int_equal(cluster_check_node(&remote, "a", &err), -EINVAL);
	assert_string_equal(err.field, "Node");
	assert_non_null(strstr(err.msg, "only local interfaces"));
	err_clear(&err);
	assert_int_equal(cluster_check_node(&local, "elsewhere", &err), -EINVAL);
	assert_string_equal(err.field, "Node");
}

static void load_cfg(struct cfg *cfg, const char *dsn)
{
	char text[1024];
	struct err err = { 0 };

	snprintf(text, sizeof(text), "database:\n  dsn: %s\ncluster:\n  node_name: solo\n", dsn);
	assert_int_equal(cfg_load_string(cfg, text, "test.yaml", &err), 0);
}

static void test_cluster__sqlite_one_process(void **state)
{
	char *dir = test_tmpdir(), db[512], link[512], want[64];
	struct cfg cfg, cfg2;
	struct app app = { 0 }, app2 = { 0 };
	struct cluster_view v;
	struct err err = { 0 };
	int fd;

	(void)state;
	snprintf(db, sizeof(db), "%s/wgportal.db", dir);
	snprintf(link, sizeof(link), "%s/other-name.db", dir);
	fd = open(db, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlink(db, link), 0);
	load_cfg(&cfg, db);
	load_cfg(&cfg2, link);
	app.cfg = &cfg;
	app2.cfg = &cfg2;
	assert_int_equal(cluster_open(&app, &err), 0);
	assert_false(cluster_enabled());
	assert_string_equal(cluster_node_name(), "solo");
	assert_int_equal(cluster_join(&app, &err), 0);
	/* a second process would be refused: the same file, reached through another name */
	assert_int_equal(cluster_join(&app2, &err), -EBUSY);
	assert_string_equal(err.field, "database.dsn");
	snprintf(want, sizeof(want), "(pid %ld)", (long)getpid());
	assert_non_null(strstr(err.msg, "in use by another wgportal"));
	assert_non_null(strstr(err.msg, want));
	assert_non_null(strstr(err.msg, "PostgreSQL"));
	/* the view of one node: itself, leading */
	assert_int_equal(cluster_view_get(&v, &err), 0);
	assert_int_equal(v.n_nodes, 1);
	assert_string_equal(v.leader, "solo");
	assert_true(v.is_leader && !v.enabled && v.nodes[0].leader && v.nodes[0].connected);
	assert_string_equal(v.engine, "sqlite");
	cluster_view_release(&v);
	/* once the first lets go, the file is free */
	cluster_stop(&app);
	err_clear(&err);
	assert_int_equal(cluster_join(&app2, &err), 0);
	cluster_stop(&app2);
	cfg_release(&cfg);
	cfg_release(&cfg2);
	test_tmpdir_remove(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cluster__one_node_serves_everything),
		cmocka_unit_test(test_cluster__sqlite_one_process),
	};

	return cmocka_run_group_tests_name("cluster", tests, NULL, NULL);
}
