/* SPDX-License-Identifier: MIT */
/*
 * database.debug and database.slow_query_threshold (issue 13): a store opened with
 * store_open_logged (what main.c does with the config) logs every statement, or those that ran
 * at least the threshold, with the statement text only (a bound value, which may be a secret,
 * never reaches the log). stderr is captured into a file.
 */
#include "testlib.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store-int.h"
#include "store/store.h"
#include "util/err.h"

/* A statement that takes well over a millisecond on any machine. */
#define SLOW_SQL                                                                          \
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) " \
	"SELECT count(*) FROM c"

struct capture {
	int saved, fd;
	char *dir;
	char path[256];
};

static void capture_begin(struct capture *c)
{
	c->dir = test_tmpdir();
	assert_non_null(c->dir);
	snprintf(c->path, sizeof(c->path), "%s/stderr.txt", c->dir);
	fflush(stderr);
	c->saved = dup(2);
	c->fd = open(c->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(c->saved >= 0 && c->fd >= 0);
	dup2(c->fd, 2);
}

/* Restores stderr and returns what was written (heap). */
static char *capture_end(struct capture *c)
{
	char *out = calloc(1, 1 << 16);
	ssize_t n;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	lseek(c->fd, 0, SEEK_SET);
	n = read(c->fd, out, (1 << 16) - 1);
	assert_true(n >= 0);
	close(c->fd);
	unlink(c->path);
	test_tmpdir_remove(c->dir);
	free(c->dir);
	return out;
}

/* Opens a store with the statement log (debug, slow_ms), runs SLOW_SQL when slow is set and
 * writes an audit entry holding a secret-like value; returns what reached stderr (heap). */
static char *logged_run(bool debug, int64_t slow_ms, bool slow)
{
	struct store *st = NULL;
	struct err err = { 0 };
	struct capture c;
	char *log;

	capture_begin(&c);
	assert_int_equal(store_open_logged(":memory:", NULL, debug, slow_ms, &st, &err), 0);
	if (slow)
		assert_int_equal(store_exec(st, SLOW_SQL, &err), 0);
	assert_int_equal(store_audit_add(st, "u", "info", "o", "secret-msg-value", &err), 0);
	log = capture_end(&c);
	store_close(st);
	assert_null(strstr(log, "secret-msg-value"));   /* bound values never */
	return log;
}

static void test_store_trace__slow_statements_only(void **state)
{
	char *log;

	(void)state;
	log = logged_run(false, 1, true);
	assert_non_null(strstr(log, "slow query"));
	assert_non_null(strstr(log, "WITH RECURSIVE"));
	free(log);
	/* off ("0", the default): nothing */
	log = logged_run(false, 0, true);
	assert_string_equal(log, "");
	free(log);
}

static void test_store_trace__debug_logs_every_statement_without_values(void **state)
{
	char *log;

	(void)state;
	log = logged_run(true, 0, false);
	assert_non_null(strstr(log, "database: "));
	assert_non_null(strstr(log, "audit_entries"));
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_trace__slow_statements_only),
		cmocka_unit_test(test_store_trace__debug_logs_every_statement_without_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
