/* SPDX-License-Identifier: MIT */
/*
 * UI sessions (auth/session.c over store_session.c): token format, hash-only storage, lookup,
 * idle and absolute expiry, last-seen refresh, logout, per-user trimming, cascade with the user,
 * survival across a store reopen; CSRF comparison; the login rate limiter; the audit page query.
 */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth/basic.h"
#include "auth/ratelimit.h"
#include "auth/session.h"
#include "model/iface.h"
#include "model/user.h"
#include "store/store-int.h"
#include "store/store.h"
#include "util/err.h"

#define T0 1800000000LL

struct fx {
	char *dir;
	char path[512];
	struct store *st;
};

static void add_user(struct store *st, const char *id)
{
	struct user *u = user_new();
	struct err err = { 0 };

	assert_non_null(u);
	assert_int_equal(str_set(&u->identifier, id), 0);
	assert_int_equal(store_user_insert(st, u, &err), 0);
	user_free(u);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->dir = test_tmpdir();
	assert_non_null(fx->dir);
	snprintf(fx->path, sizeof(fx->path), "%s/wgportal.db", fx->dir);
	char *dsn = NULL;
	assert_int_equal(test_store_fresh(fx->path, NULL, &fx->st, &dsn), 0);
	assert_true(strlen(dsn) < sizeof(fx->path));
	strcpy(fx->path, dsn);
	free(dsn);
	add_user(fx->st, "alice");
	add_user(fx->st, "bob");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->st);
	test_tmpdir_remove(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

static size_t count(struct store *st)
{
	size_t n = 99;
	struct err err = { 0 };

	assert_int_equal(store_session_count(st, &n, &err), 0);
	return n;
}

static void test_session_token__format_and_randomness(void **state)
{
	char a[SESSION_TOKEN_LEN + 1], b[SESSION_TOKEN_LEN + 1], h[SESSION_HASH_HEX + 1];
	char h2[SESSION_HASH_HEX + 1];

	(void)state;
	session_random_token(a);
	session_random_token(b);
	assert_int_equal(strlen(a), SESSION_TOKEN_LEN);
	assert_true(session_id_is_valid(a));
	assert_string_not_equal(a, b);
	session_hash(a, h);
	session_hash(a, h2);
	assert_int_equal(strlen(h), 64);
	assert_string_equal(h, h2);
	assert_string_not_equal(h, a);
	assert_int_equal(strspn(h, "0123456789abcdef"), 64);

	assert_false(session_id_is_valid(NULL));
	assert_false(session_id_is_valid(""));
	assert_false(session_id_is_valid("short"));
	char bad[SESSION_TOKEN_LEN + 2];
	memcpy(bad, a, sizeof(a));
	bad[5] = '=';
	assert_false(session_id_is_valid(bad));
	memcpy(bad, a, sizeof(a));
	bad[SESSION_TOKEN_LEN] = 'x';
	bad[SESSION_TOKEN_LEN + 1] = '\0';
	assert_false(session_id_is_valid(bad)); /* too long */
	memcpy(bad, a, sizeof(a));
	bad[0] = ';';
	assert_false(session_id_is_valid(bad));
}

static void test_session__create_lookup_hash_only(void **state)
{
	struct fx *fx = *state;
	char id[SESSION_TOKEN_LEN + 1], csrf[SESSION_TOKEN_LEN + 1], hash[SESSION_HASH_HEX + 1];
	char *uid = NULL, *tok = NULL;
	struct err err = { 0 };
	struct db_stmt *s;

	assert_int_equal(session_create(fx->st, "alice", T0, id, csrf, &err), 0);
	assert_true(session_id_is_valid(id));
	assert_true(session_id_is_valid(csrf));
	assert_string_not_equal(id, csrf);
	assert_int_equal(session_lookup(fx->st, id, T0 + 1, &uid, &tok, &err), 0);
	assert_string_equal(uid, "alice");
	assert_string_equal(tok, csrf);
	free(uid);
	auth_secret_free(tok);

	/* the row holds the hash, never the id */
	session_hash(id, hash);
	assert_int_equal(db_prepare(fx->st->db,
				    "SELECT id_hash, user_id, csrf_token, created_at, "
				    "last_seen_at FROM sessions", &s, &err), 0);
	assert_int_equal(db_step(s, &err), DB_ROW);
	assert_string_equal(db_column_text(s, 0), hash);
	for (int col = 0; col < 3; col++)
		assert_null(strstr(db_column_text(s, col), id));
	assert_int_equal(db_column_int64(s, 3), T0);
	assert_int_equal(db_step(s, &err), DB_DONE);
	db_finalize(s);

	/* unknown, malformed and other-session ids */
	char other[SESSION_TOKEN_LEN + 1];
	session_random_token(other);
	assert_int_equal(session_lookup(fx->st, other, T0 + 1, &uid, &tok, &err), -ENOENT);
	assert_int_equal(session_lookup(fx->st, "x", T0 + 1, &uid, &tok, &err), -ENOENT);
	assert_int_equal(session_lookup(fx->st, hash, T0 + 1, &uid, &tok, &err), -ENOENT);
	assert_int_equal(session_lookup(fx->st, NULL, T0 + 1, &uid, &tok, &err), -ENOENT);
}

static void test_session__unknown_user_refused(void **state)
{
	struct fx *fx = *state;
	char id[SESSION_TOKEN_LEN + 1], csrf[SESSION_TOKEN_LEN + 1];
	struct err err = { 0 };

	assert_int_equal(session_create(fx->st, "nobody", T0, id, csrf, &err), -EINVAL);
	assert_int_equal(count(fx->st), 0);
}

static void test_session__idle_expiry_and_touch(void **state)
{
	struct fx *fx = *state;
	char id[SESSION_TOKEN_LEN + 1], csrf[SESSION_TOKEN_LEN + 1];
	char *uid = NULL, *tok = NULL;
	struct err err = { 0 };
	struct store_session ss;
	char hash[SESSION_HASH_HEX + 1];

	assert_int_equal(session_create(fx->st, "alice", T0, id, csrf, &err), 0);
	session_hash(id, hash);
	/* a use shortly after login does not write (SESSION_TOUCH_S) */
	assert_int_equal(session_lookup(fx->st, id, T0 + 10, &uid, &tok, &err), 0);
	free(uid);
	auth_secret_free(tok);
	assert_int_equal(store_session_get(fx->st, hash, &ss, &err), 0);
	assert_int_equal(ss.last_seen_at, T0);
	store_session_release(&ss);
	/* a later use moves last_seen */
	assert_int_equal(session_lookup(fx->st, id, T0 + 3600, &uid, &tok, &err), 0);
	free(uid);
	auth_secret_free(tok);
	assert_int_equal(store_session_get(fx->st, hash, &ss, &err), 0);
	assert_int_equal(ss.last_seen_at, T0 + 3600);
	assert_int_equal(ss.created_at, T0);
	store_session_release(&ss);
	/* idle just under 8 h since the last use: still valid */
	assert_int_equal(session_lookup(fx->st, id, T0 + 3600 + SESSION_IDLE_S - 1, &uid, &tok,
					&err), 0);
	free(uid);
	auth_secret_free(tok);
	/* 8 h idle: gone, and the row is deleted */
	int64_t last = T0 + 3600 + SESSION_IDLE_S - 1;
	assert_int_equal(session_lookup(fx->st, id, last + SESSION_IDLE_S, &uid, &tok, &err),
			 -ENOENT);
	assert_int_equal(count(fx->st), 0);
}

static void test_session__absolute_expiry(void **state)
{
	struct fx *fx = *state;
	char id[SESSION_TOKEN_LEN + 1], csrf[SESSION_TOKEN_LEN + 1];
	char *uid = NULL, *tok = NULL;
	struct err err = { 0 };
	int64_t t;

	assert_int_equal(session_create(fx->st, "alice", T0, id, csrf, &err), 0);
	/* used every 7 hours: the idle limit never strikes, the 24 h limit does */
	for (t = T0 + 7 * 3600; t < T0 + SESSION_ABSOLUTE_S; t += 7 * 3600) {
		assert_int_equal(session_lookup(fx->st, id, t, &uid, &tok, &err), 0);
		free(uid);
		auth_secret_free(tok);
	}
	assert_int_equal(session_lookup(fx->st, id, T0 + SESSION_ABSOLUTE_S, &uid, &tok, &err),
			 -ENOENT);
	assert_int_equal(count(fx->st), 0);
}

static void test_session__logout_purge_trim_cascade(void **state)
{
	struct fx *fx = *state;
	char id[SESSION_TOKEN_LEN + 1], csrf[SESSION_TOKEN_LEN + 1];
	char id_b[SESSION_TOKEN_LEN + 1];
	char *uid = NULL, *tok = NULL;
	struct err err = { 0 };

	assert_int_equal(session_create(fx->st, "alice", T0, id, csrf, &err), 0);
	assert_int_equal(session_create(fx->st, "bob", T0, id_b, csrf, &err), 0);
	assert_int_equal(session_delete(fx->st, id, &err), 0);
	assert_int_equal(session_lookup(fx->st, id, T0 + 1, &uid, &tok, &err), -ENOENT);
	assert_int_equal(session_delete(fx->st, id, &err), 0); /* twice: no error */
	assert_int_equal(session_delete(fx->st, "garbage", &err), 0);
	assert_int_equal(count(fx->st), 1);

	/* per-user cap: the oldest sessions go */
	char first[SESSION_TOKEN_LEN + 1];
	for (int i = 0; i < SESSION_PER_USER_MAX + 3; i++) {
		assert_int_equal(session_create(fx->st, "alice", T0 + i, id, csrf, &err), 0);
		if (i == 0)
			memcpy(first, id, sizeof(id));
	}
	assert_int_equal(count(fx->st), SESSION_PER_USER_MAX + 1);
	assert_int_equal(session_lookup(fx->st, first, T0 + 100, &uid, &tok, &err), -ENOENT);
	assert_int_equal(session_lookup(fx->st, id, T0 + 100, &uid, &tok, &err), 0);
	free(uid);
	auth_secret_free(tok);

	/* creating a session purges everybody's expired ones */
	assert_int_equal(session_create(fx->st, "bob", T0 + SESSION_ABSOLUTE_S + 10, id, csrf,
					&err), 0);
	assert_int_equal(count(fx->st), 1);

	/* deleting the user deletes the sessions */
	assert_int_equal(store_user_delete(fx->st, "bob", &err), 0);
	assert_int_equal(count(fx->st), 0);
}

static void test_session__survives_reopen(void **state)
{
	struct fx *fx = *state;
	char id[SESSION_TOKEN_LEN + 1], csrf[SESSION_TOKEN_LEN + 1];
	char *uid = NULL, *tok = NULL;
	struct err err = { 0 };

	assert_int_equal(session_create(fx->st, "alice", T0, id, csrf, &err), 0);
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(test_store_reopen(fx->path, NULL, &fx->st), 0);
	assert_int_equal(store_schema_version(fx->st), STORE_SCHEMA_VERSION_LATEST);
	assert_int_equal(session_lookup(fx->st, id, T0 + 5, &uid, &tok, &err), 0);
	assert_string_equal(uid, "alice");
	assert_string_equal(tok, csrf);
	free(uid);
	auth_secret_free(tok);
}

static void test_session_csrf__compare(void **state)
{
	(void)state;
	assert_true(session_csrf_equal("abcDEF123", "abcDEF123"));
	assert_false(session_csrf_equal("abcDEF123", "abcDEF124"));
	assert_false(session_csrf_equal("abcDEF123", "abcDEF12"));
	assert_false(session_csrf_equal("abcDEF123", "abcDEF1234"));
	assert_false(session_csrf_equal("abcDEF123", "ABCDEF123"));
	assert_false(session_csrf_equal("abcDEF123", ""));
	assert_false(session_csrf_equal("abcDEF123", NULL));
	assert_false(session_csrf_equal(NULL, "x"));
	assert_false(session_csrf_equal("", ""));
}

/* The window rule on plain lists (the throttles several nodes share keep such lists). */
static void test_ratelimit__times_lists(void **state)
{
	int64_t t[6] = { 100, 101, 150, 390, 399, 400 };
	size_t n;

	(void)state;
	/* at 401 with a 300 s window: 100 and 101 have left it (the window is half-open, as in
	 * the table above) */
	n = ratelimit_times_expire(t, 6, 300, 401);
	assert_int_equal(n, 4);
	assert_true(t[0] == 150 && t[3] == 400);
	assert_int_equal(ratelimit_times_wait(t, n, 5, 300, 401), 0);
	assert_int_equal(ratelimit_times_wait(t, n, 4, 300, 401), 49);
	assert_int_equal(ratelimit_times_wait(t, n, 4, 300, 449), 1);
	assert_int_equal(ratelimit_times_wait(t, 0, 1, 300, 449), 0);
	assert_int_equal(ratelimit_times_expire(t, n, 300, 10000), 0);
}

static void test_ratelimit__window_reset_and_keys(void **state)
{
	struct ratelimit *rl = ratelimit_new(5, 300, 16);

	(void)state;
	assert_non_null(rl);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(ratelimit_check(rl, "u:alice", 100 + i), 0);
		ratelimit_fail(rl, "u:alice", 100 + i);
	}
	/* the 6th try is refused until the first failure leaves the window */
	assert_int_equal(ratelimit_check(rl, "u:alice", 104), 296);
	assert_int_equal(ratelimit_check(rl, "u:alice", 399), 1);
	assert_int_equal(ratelimit_check(rl, "u:alice", 400), 0);
	/* other keys are independent */
	assert_int_equal(ratelimit_check(rl, "u:bob", 104), 0);
	assert_int_equal(ratelimit_check(rl, "u:alicex", 104), 0);
	/* a fresh failure at 400 makes 5 within the window again (101..104, 400) */
	ratelimit_fail(rl, "u:alice", 400);
	assert_true(ratelimit_check(rl, "u:alice", 400) > 0);
	assert_int_equal(ratelimit_check(rl, "u:alice", 401), 0);
	/* reset forgets */
	for (int i = 0; i < 5; i++)
		ratelimit_fail(rl, "u:bob", 500);
	assert_true(ratelimit_check(rl, "u:bob", 500) > 0);
	ratelimit_reset(rl, "u:bob");
	assert_int_equal(ratelimit_check(rl, "u:bob", 500), 0);
	/* NULL-safe */
	assert_int_equal(ratelimit_check(NULL, "x", 1), 0);
	ratelimit_fail(NULL, "x", 1);
	assert_null(ratelimit_free(rl));
	assert_null(ratelimit_new(0, 300, 16));
	assert_null(ratelimit_new(RATELIMIT_FAILURES_MAX + 1, 300, 16));
}

/* Reservation: 16 threads racing for a limit of 5 get exactly 5 slots (the check-then-fail
 * pattern let every one of them through). Released slots are free again. */
struct reserve_race {
	struct ratelimit *rl;
	pthread_barrier_t *start;
	int granted;
};

static void *reserve_one(void *arg)
{
	struct reserve_race *r = arg;

	pthread_barrier_wait(r->start);
	r->granted = ratelimit_reserve(r->rl, "u:race", 100) == 0;
	return NULL;
}

static void test_ratelimit__reserve_parallel(void **state)
{
	struct ratelimit *rl = ratelimit_new(5, 300, 16);
	struct reserve_race races[16];
	pthread_t th[16];
	pthread_barrier_t start;
	int granted = 0;

	(void)state;
	pthread_barrier_init(&start, NULL, 16);
	for (int i = 0; i < 16; i++) {
		races[i] = (struct reserve_race){ .rl = rl, .start = &start };
		assert_int_equal(pthread_create(&th[i], NULL, reserve_one, &races[i]), 0);
	}
	for (int i = 0; i < 16; i++) {
		pthread_join(th[i], NULL);
		granted += races[i].granted;
	}
	pthread_barrier_destroy(&start);
	assert_int_equal(granted, 5);
	assert_int_equal(ratelimit_reserve(rl, "u:race", 101), 299);
	/* a success gives its slot back: one more attempt may go */
	ratelimit_release(rl, "u:race");
	assert_int_equal(ratelimit_reserve(rl, "u:race", 101), 0);
	assert_true(ratelimit_reserve(rl, "u:race", 101) > 0);
	/* releasing every slot forgets the key */
	for (int i = 0; i < 5; i++)
		ratelimit_release(rl, "u:race");
	assert_int_equal(ratelimit_check(rl, "u:race", 101), 0);
	ratelimit_release(rl, "u:none"); /* nothing to release: no-op */
	assert_int_equal(ratelimit_reserve(NULL, "x", 1), 0);
	ratelimit_free(rl);
}

static void test_ratelimit__bounded_table(void **state)
{
	struct ratelimit *rl = ratelimit_new(2, 60, 2);

	(void)state;
	assert_non_null(rl);
	ratelimit_fail(rl, "a", 1);
	ratelimit_fail(rl, "a", 2);
	ratelimit_fail(rl, "b", 3);
	ratelimit_fail(rl, "b", 4);
	assert_true(ratelimit_check(rl, "a", 5) > 0);
	/* a third key recycles the entry with the oldest failure ("a") */
	ratelimit_fail(rl, "c", 5);
	ratelimit_fail(rl, "c", 6);
	assert_int_equal(ratelimit_check(rl, "a", 6), 0);
	assert_true(ratelimit_check(rl, "b", 6) > 0);
	assert_true(ratelimit_check(rl, "c", 6) > 0);
	/* long keys are compared by their prefix, without overflow */
	char big[RATELIMIT_KEY_MAX * 2];
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ratelimit_fail(rl, big, 10);
	ratelimit_fail(rl, big, 10);
	assert_true(ratelimit_check(rl, big, 10) > 0);
	ratelimit_free(rl);
}

static void test_store_audit__list_page_filter(void **state)
{
	struct fx *fx = *state;
	struct store_audit_entry *list = NULL;
	struct store_query q = { 0 };
	struct err err = { 0 };
	size_t n = 0, total = 0;

	assert_int_equal(store_audit_add(fx->st, "alice", "info", "auth", "logged in", &err), 0);
	assert_int_equal(store_audit_add(fx->st, "bob", "warning", "auth", "login failed", &err), 0);
	assert_int_equal(store_audit_add(fx->st, "", "info", "interface", "wg0 100%_done", &err), 0);

	assert_int_equal(store_audit_list(fx->st, &q, &list, &n, &total, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(total, 3);
	assert_string_equal(list[0].message, "wg0 100%_done"); /* newest first */
	assert_string_equal(list[2].user, "alice");
	assert_true(list[0].id > list[1].id && list[1].id > list[2].id);
	assert_true(list[0].created_at > 0);
	store_audit_list_free(list, n);

	q.limit = 1;
	q.offset = 1;
	assert_int_equal(store_audit_list(fx->st, &q, &list, &n, &total, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(total, 3);
	assert_string_equal(list[0].user, "bob");
	store_audit_list_free(list, n);

	memset(&q, 0, sizeof(q));
	q.filter = "LOGIN";
	assert_int_equal(store_audit_list(fx->st, &q, &list, &n, &total, &err), 0);
	assert_int_equal(total, 1);
	assert_string_equal(list[0].user, "bob");
	store_audit_list_free(list, n);
	/* LIKE wildcards in the filter are literal */
	q.filter = "%_";
	assert_int_equal(store_audit_list(fx->st, &q, &list, &n, &total, &err), 0);
	assert_int_equal(total, 1);
	store_audit_list_free(list, n);
	q.filter = "_";
	assert_int_equal(store_audit_list(fx->st, &q, &list, &n, &total, &err), 0);
	assert_int_equal(total, 1);
	store_audit_list_free(list, n);
	q.filter = "no-such-thing";
	assert_int_equal(store_audit_list(fx->st, &q, &list, &n, &total, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(total, 0);
	store_audit_list_free(list, n);
	char longf[300];
	memset(longf, 'x', sizeof(longf) - 1);
	longf[sizeof(longf) - 1] = '\0';
	q.filter = longf;
	assert_int_equal(store_audit_list(fx->st, &q, &list, &n, &total, &err), -EINVAL);
	assert_string_equal(err.field, "filter");
}

#define FX(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_token__format_and_randomness),
		FX(test_session__create_lookup_hash_only),
		FX(test_session__unknown_user_refused),
		FX(test_session__idle_expiry_and_touch),
		FX(test_session__absolute_expiry),
		FX(test_session__logout_purge_trim_cascade),
		FX(test_session__survives_reopen),
		cmocka_unit_test(test_session_csrf__compare),
		cmocka_unit_test(test_ratelimit__times_lists),
		cmocka_unit_test(test_ratelimit__window_reset_and_keys),
		cmocka_unit_test(test_ratelimit__reserve_parallel),
		cmocka_unit_test(test_ratelimit__bounded_table),
		FX(test_store_audit__list_page_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
