/* SPDX-License-Identifier: MIT */
/*
 * Sign-in state in the store (store_auth.c, store_passkey.c, migrations 6 and 8): provider
 * links (wg-portal's user_authentications), LDAP interface allow-lists, passkeys (handle in
 * wg-portal's form, insert/duplicate, list/rename/delete scoped to the owner, the sign counter
 * that only one of two racing assertions can move, a passkey taken over from wg-portal that
 * gets its sign-in columns at the first use), TOTP (sealed secret: not stored in clear with a
 * passphrase, enrolment that cannot overwrite a confirmed factor, replayed steps and recovery
 * codes refused) and everything going with the user. On SQLite, or on the server engine
 * tests/db/run_engine.py names (WGPORTAL_TEST_DB).
 */
#include "testlib.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/pending.h"
#include "model/user.h"
#include "store/db.h"
#include "store/store.h"
#include "store/store_auth.h"
#include "util/err.h"

#define PASSPHRASE "a passphrase for the test"

struct fx {
	char *dir, *dsn;
	char path[512];
	struct store *st;
};

static void add_user(struct store *st, const char *id)
{
	struct user *u = user_new();
	struct err err = { 0 };

	assert_int_equal(str_set(&u->identifier, id), 0);
	assert_int_equal(store_user_insert(st, u, &err), 0);
	user_free(u);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct err err = { 0 };

	(void)err;
	fx->dir = test_tmpdir();
	snprintf(fx->path, sizeof(fx->path), "%s/db.sqlite", fx->dir);
	assert_int_equal(test_store_fresh(fx->path, PASSPHRASE, &fx->st, &fx->dsn), 0);
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
	free(fx->dsn);
	free(fx);
	return 0;
}

/* The first value of a query, through a connection of its own (not the store's). */
static char *raw_column(const char *dsn, const char *sql)
{
	struct db *db = NULL;
	struct db_stmt *s = NULL;
	struct err err = { 0 };
	char *v = NULL;

	assert_int_equal(db_open((enum db_engine)test_db_engine(), dsn, NULL, &db, &err), 0);
	assert_int_equal(db_prepare(db, sql, &s, &err), 0);
	if (db_step(s, &err) == DB_ROW)
		v = strdup(db_column_text(s, 0) ? db_column_text(s, 0) : "");
	db_finalize(s);
	db_close(db);
	return v;
}

static void test_store_auth__links_and_ldap_lists(void **state)
{
	struct fx *fx = *state;
	struct strv src = STRV_INIT, prov = STRV_INIT, users = STRV_INIT, set = STRV_INIT;
	struct err err = { 0 };
	bool ok = true;

	assert_int_equal(store_auth_link_add(fx->st, "alice", "ldap", "corp", &err), 0);
	assert_int_equal(store_auth_link_add(fx->st, "alice", "ldap", "corp", &err), 0);
	assert_int_equal(store_auth_link_add(fx->st, "alice", "oauth", "keycloak", &err), 0);
	assert_int_equal(store_auth_link_add(fx->st, "bob", "ldap", "corp", &err), 0);
	assert_int_equal(store_auth_link_list(fx->st, "alice", &src, &prov, &err), 0);
	assert_int_equal(src.n, 2);
	assert_true(strv_contains(&prov, "corp") && strv_contains(&prov, "keycloak"));
	assert_int_equal(store_auth_link_users(fx->st, "ldap", "corp", &users, &err), 0);
	assert_int_equal(users.n, 2);
	assert_string_equal(users.v[0], "alice");

	strv_push(&set, "alice");
	assert_int_equal(store_ldap_iface_users_set(fx->st, "corp", "wg0", &set, &err), 0);
	assert_int_equal(store_ldap_iface_user_allowed(fx->st, "wg0", "alice", &ok, &err), 0);
	assert_true(ok);
	assert_int_equal(store_ldap_iface_user_allowed(fx->st, "wg0", "bob", &ok, &err), 0);
	assert_false(ok);
	strv_release(&set);
	strv_push(&set, "bob");
	assert_int_equal(store_ldap_iface_users_set(fx->st, "corp", "wg0", &set, &err), 0);
	assert_int_equal(store_ldap_iface_user_allowed(fx->st, "wg0", "alice", &ok, &err), 0);
	assert_false(ok);
	strv_release(&src);
	strv_release(&prov);
	strv_release(&users);
	strv_release(&set);
}

static void test_store_auth__passkeys(void **state)
{
	struct fx *fx = *state;
	struct store_passkey k, got, *list = NULL;
	char h1[STORE_PASSKEY_HANDLE_MAX + 1], h2[STORE_PASSKEY_HANDLE_MAX + 1], *ser = NULL;
	struct err err = { 0 };
	size_t n = 0;

	assert_int_equal(store_passkey_handle(fx->st, "alice", false, h1, &err), -ENOENT);
	assert_int_equal(store_passkey_handle(fx->st, "nobody", true, h1, &err), -EINVAL);
	assert_int_equal(store_passkey_handle(fx->st, "alice", true, h1, &err), 0);
	assert_int_equal(strlen(h1), STORE_PASSKEY_HANDLE_MAX);   /* 64 bytes, base64url */
	assert_int_equal(store_passkey_handle(fx->st, "alice", true, h2, &err), 0);
	assert_string_equal(h1, h2);
	/* stored as wg-portal does: standard base64 of 64 hex digits */
	char *wid = raw_column(fx->dsn, "SELECT webauthn_id FROM users WHERE identifier = 'alice'");
	assert_int_equal(strlen(wid), 88);
	free(wid);
	memset(&k, 0, sizeof(k));
	strcpy(k.id, "Y3JlZC0x");
	strcpy(k.user_id, "alice");
	strcpy(k.name, "Laptop");
	k.cose_key_len = 77;
	memset(k.cose_key, 0xa5, k.cose_key_len);
	k.alg = -7;
	k.sign_count = 3;
	k.created_at = 1000;
	assert_int_equal(store_passkey_insert(fx->st, &k, &err), 0);
	assert_int_equal(store_passkey_insert(fx->st, &k, &err), -EEXIST);
	assert_int_equal(store_passkey_get(fx->st, "Y3JlZC0x", &got, &ser, h2, &err), 0);
	assert_null(ser);
	assert_string_equal(h2, h1);
	assert_int_equal(got.cose_key_len, 77);
	assert_memory_equal(got.cose_key, k.cose_key, 77);
	assert_int_equal(got.sign_count, 3);
	/* only the owner renames or deletes */
	assert_int_equal(store_passkey_rename(fx->st, "bob", "Y3JlZC0x", "Mine", &err), -ENOENT);
	assert_int_equal(store_passkey_rename(fx->st, "alice", "Y3JlZC0x", "Work", &err), 0);
	assert_int_equal(store_passkey_delete(fx->st, "bob", "Y3JlZC0x", &err), -ENOENT);
	assert_int_equal(store_passkey_list(fx->st, "alice", &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].name, "Work");
	free(list);
	/* two assertions read counter 3: the first moves it, the second loses */
	assert_int_equal(store_passkey_used(fx->st, "Y3JlZC0x", 3, 4, false, 2000, &err), 0);
	assert_int_equal(store_passkey_used(fx->st, "Y3JlZC0x", 3, 5, false, 2000, &err), -EACCES);
	assert_int_equal(store_passkey_get(fx->st, "Y3JlZC0x", &got, &ser, h2, &err), 0);
	assert_int_equal(got.sign_count, 4);
	assert_int_equal(got.last_used_at, 2000);
	assert_int_equal(store_passkey_delete(fx->st, "alice", "Y3JlZC0x", &err), 0);
	assert_int_equal(store_passkey_get(fx->st, "Y3JlZC0x", &got, &ser, h2, &err), -ENOENT);
}

/* A passkey as wg-portal stored it: listed at once, its sign-in columns filled at the first
 * use (what the API does after webauthn_credential_from_wgportal), counters from then on. */
static void test_store_auth__wgportal_passkey(void **state)
{
	struct fx *fx = *state;
	struct store_passkey_wgp w = { .user_id = "alice", .credential_id = "Y3JlZC1hbGljZQ==",
				       .display_name = "YubiKey 5",
				       .serialized_credential = "eyJpZCI6IlkzSmxaQzFoYkdsalpRPT0ifQ==",
				       .created_at = 500 };
	struct store_passkey got, *list = NULL;
	char h[STORE_PASSKEY_HANDLE_MAX + 1], *ser = NULL;
	struct err err = { 0 };
	size_t n = 0;

	assert_int_equal(store_passkey_import(fx->st, &w, &err), 0);
	assert_int_equal(store_passkey_list(fx->st, "alice", &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].id, "Y3JlZC1hbGljZQ");   /* base64url for callers */
	assert_string_equal(list[0].name, "YubiKey 5");
	assert_int_equal(list[0].cose_key_len, 0);
	free(list);
	assert_int_equal(store_passkey_get(fx->st, "Y3JlZC1hbGljZQ", &got, &ser, h, &err), 0);
	assert_string_equal(ser, w.serialized_credential);
	assert_string_equal(h, "");   /* alice has no WebAuthn id yet */
	free(ser);
	got.cose_key_len = 3;
	memcpy(got.cose_key, "\xa1\x01\x02", 3);
	got.alg = -7;
	got.sign_count = 9;
	assert_int_equal(store_passkey_fill(fx->st, &got, &err), 0);
	got.sign_count = 1;   /* filled once: a second fill changes nothing */
	assert_int_equal(store_passkey_fill(fx->st, &got, &err), 0);
	assert_int_equal(store_passkey_get(fx->st, "Y3JlZC1hbGljZQ", &got, &ser, h, &err), 0);
	assert_null(ser);
	assert_int_equal(got.cose_key_len, 3);
	assert_int_equal(got.sign_count, 9);
	assert_int_equal(store_passkey_used(fx->st, "Y3JlZC1hbGljZQ", 9, 10, false, 600, &err), 0);
	assert_int_equal(store_passkey_rename(fx->st, "alice", "Y3JlZC1hbGljZQ", "Key", &err), 0);
	/* the same credential registered again is refused */
	memset(&got, 0, sizeof(got));
	strcpy(got.id, "Y3JlZC1hbGljZQ");
	strcpy(got.user_id, "bob");
	assert_int_equal(store_passkey_insert(fx->st, &got, &err), -EEXIST);
	/* an id that is no base64url names no passkey */
	assert_int_equal(store_passkey_get(fx->st, "not*base64", &got, &ser, h, &err), -ENOENT);
}

static void test_store_auth__totp(void **state)
{
	struct fx *fx = *state;
	uint8_t secret[STORE_TOTP_SECRET_LEN];
	struct store_totp t;
	const char *hashes[] = { "h1", "h2" };
	struct err err = { 0 };

	memcpy(secret, "TOTP-SECRET-IN-CLEAR", STORE_TOTP_SECRET_LEN);
	assert_int_equal(store_totp_get(fx->st, "alice", &t, &err), -ENOENT);
	assert_int_equal(store_totp_begin(fx->st, "alice", secret, 100, &err), 0);
	assert_int_equal(store_totp_get(fx->st, "alice", &t, &err), 0);
	assert_false(t.confirmed);
	assert_memory_equal(t.secret, secret, sizeof(secret));
	/* not in force yet: steps cannot be used */
	assert_int_equal(store_totp_use_step(fx->st, "alice", 5, &err), -EACCES);
	assert_int_equal(store_totp_confirm(fx->st, "alice", 10, hashes, 2, &err), 0);
	assert_int_equal(store_totp_confirm(fx->st, "alice", 11, hashes, 2, &err), -ENOENT);
	assert_int_equal(store_totp_begin(fx->st, "alice", secret, 200, &err), -EEXIST);
	assert_int_equal(store_totp_get(fx->st, "alice", &t, &err), 0);
	assert_true(t.confirmed);
	assert_int_equal(t.last_step, 10);
	assert_int_equal(t.recovery_left, 2);
	assert_int_equal(store_totp_use_step(fx->st, "alice", 10, &err), -EACCES);
	assert_int_equal(store_totp_use_step(fx->st, "alice", 11, &err), 0);
	assert_int_equal(store_totp_use_recovery(fx->st, "alice", "h1", 300, &err), 0);
	assert_int_equal(store_totp_use_recovery(fx->st, "alice", "h1", 300, &err), -EACCES);
	assert_int_equal(store_totp_use_recovery(fx->st, "bob", "h2", 300, &err), -EACCES);
	assert_int_equal(store_totp_get(fx->st, "alice", &t, &err), 0);
	assert_int_equal(t.recovery_left, 1);
	/* the secret is sealed: the stored value holds neither its clear text nor its base64,
	 * and (SQLite) neither does the file */
	char *stored = raw_column(fx->dsn, "SELECT secret FROM totp_secrets WHERE user_id = 'alice'");
	assert_non_null(stored);
	assert_null(strstr(stored, "VE9UUC1TRUNSRVQtSU4tQ0xFQVI"));
	assert_null(strstr(stored, "TOTP-SECRET-IN-CLEAR"));
	free(stored);
	store_close(fx->st);
	if (test_db_engine() == DB_SQLITE) {
		FILE *f = fopen(fx->path, "rb");
		char buf[1 << 16];
		size_t len;
		bool found = false;
		while ((len = fread(buf, 1, sizeof(buf), f)) > 0)
			found |= memmem(buf, len, "VE9UUC1TRUNSRVQtSU4tQ0xFQVI", 27) != NULL ||
				 memmem(buf, len, "TOTP-SECRET-IN-CLEAR", 20) != NULL;
		fclose(f);
		assert_false(found);
	}
	assert_int_equal(test_store_reopen(fx->dsn, PASSPHRASE, &fx->st), 0);
	assert_int_equal(store_totp_get(fx->st, "alice", &t, &err), 0);
	assert_memory_equal(t.secret, secret, sizeof(secret));
	assert_int_equal(store_totp_delete(fx->st, "alice", &err), 0);
	assert_int_equal(store_totp_get(fx->st, "alice", &t, &err), -ENOENT);
}

/* Round-trip state (auth/pending.h on signin_pending): single use, expiry, kinds apart, the
 * bound, a replaced key, two takes racing (one wins), and the value sealed. */
struct race {
	struct pending *p;
	int got;
};

static void *take_one(void *arg)
{
	struct race *r = arg;
	char out[16];

	r->got = pending_take(r->p, "raced-token", 100, out, sizeof(out), NULL) == 0;
	return NULL;
}

static void test_store_auth__round_trips(void **state)
{
	struct fx *fx = *state;
	struct pending *a = pending_new(fx->st, 1, 3), *b = pending_new(fx->st, 2, 3);
	char out[64];
	size_t len = 0;

	assert_int_equal(pending_put(a, "token-1", "state one", 10, 100, 60), 0);
	assert_int_equal(pending_take(b, "token-1", 101, out, sizeof(out), &len), -ENOENT);
	assert_int_equal(pending_take(a, "token-1", 101, out, sizeof(out), &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(out, "state one");
	assert_int_equal(pending_take(a, "token-1", 101, out, sizeof(out), &len), -ENOENT);
	/* expiry */
	assert_int_equal(pending_put(a, "token-2", "x", 2, 100, 60), 0);
	assert_int_equal(pending_take(a, "token-2", 160, out, sizeof(out), &len), -ENOENT);
	/* the same key again replaces; a full table drops the entry closest to expiry */
	assert_int_equal(pending_put(a, "k1", "old", 4, 100, 30), 0);
	assert_int_equal(pending_put(a, "k1", "new", 4, 100, 50), 0);
	assert_int_equal(pending_put(a, "k2", "2", 2, 100, 40), 0);
	assert_int_equal(pending_put(a, "k3", "3", 2, 100, 60), 0);
	assert_int_equal(pending_put(a, "k4", "4", 2, 100, 70), 0);   /* k2 goes */
	assert_int_equal(pending_take(a, "k2", 101, out, sizeof(out), &len), -ENOENT);
	assert_int_equal(pending_take(a, "k1", 101, out, sizeof(out), &len), 0);
	assert_string_equal(out, "new");
	/* the largest value, sealed and back */
	static char big[PENDING_VALUE_MAX], back[PENDING_VALUE_MAX];
	memset(big, 'v', sizeof(big));
	assert_int_equal(pending_put(b, "big", big, sizeof(big), 100, 60), 0);
	assert_int_equal(pending_take(b, "big", 101, back, sizeof(back), &len), 0);
	assert_int_equal(len, sizeof(big));
	assert_memory_equal(back, big, sizeof(big));
	assert_int_equal(pending_put(a, "big", big, PENDING_VALUE_MAX + 1, 100, 60), -E2BIG);
	/* sealed: neither the value nor the token is stored in clear */
	assert_int_equal(pending_put(b, "secret-token", "PKCE-VERIFIER-IN-CLEAR", 23, 100, 60), 0);
	char *v = raw_column(fx->dsn, "SELECT value FROM signin_pending WHERE kind = 2");
	assert_non_null(v);
	assert_null(strstr(v, "PKCE"));
	assert_null(strstr(v, "UEtDRS1WRVJJRklFUi"));   /* its base64 */
	free(v);
	v = raw_column(fx->dsn, "SELECT key_hash FROM signin_pending WHERE kind = 2");
	assert_null(strstr(v, "secret-token"));
	free(v);
	/* two takes at once: exactly one gets it */
	for (int round = 0; round < 10; round++) {
		struct race r1 = { a, 0 }, r2 = { a, 0 };
		pthread_t t1, t2;
		assert_int_equal(pending_put(a, "raced-token", "r", 2, 100, 60), 0);
		pthread_create(&t1, NULL, take_one, &r1);
		pthread_create(&t2, NULL, take_one, &r2);
		pthread_join(t1, NULL);
		pthread_join(t2, NULL);
		assert_int_equal(r1.got + r2.got, 1);
	}
	pending_free(a);
	pending_free(b);
}

static void test_store_auth__cascade_with_user(void **state)
{
	struct fx *fx = *state;
	uint8_t secret[STORE_TOTP_SECRET_LEN] = { 1 };
	char h[STORE_PASSKEY_HANDLE_MAX + 1], *ser = NULL;
	struct store_passkey k = { .id = "a2V5", .user_id = "bob", .alg = -8, .cose_key_len = 1 };
	struct strv one = STRV_INIT;
	bool ok = true;
	struct strv src = STRV_INIT, prov = STRV_INIT;
	struct store_totp t;
	struct err err = { 0 };

	assert_int_equal(store_auth_link_add(fx->st, "bob", "oauth", "idp", &err), 0);
	assert_int_equal(store_passkey_handle(fx->st, "bob", true, h, &err), 0);
	assert_int_equal(store_passkey_insert(fx->st, &k, &err), 0);
	assert_int_equal(store_totp_begin(fx->st, "bob", secret, 1, &err), 0);
	strv_push(&one, "bob");
	assert_int_equal(store_ldap_iface_users_set(fx->st, "corp", "wg0", &one, &err), 0);
	strv_release(&one);
	assert_int_equal(store_user_delete(fx->st, "bob", &err), 0);
	assert_int_equal(store_auth_link_list(fx->st, "bob", &src, &prov, &err), 0);
	assert_int_equal(src.n, 0);
	assert_int_equal(store_passkey_get(fx->st, "a2V5", &k, &ser, h, &err), -ENOENT);
	assert_int_equal(store_totp_get(fx->st, "bob", &t, &err), -ENOENT);
	assert_int_equal(store_passkey_handle(fx->st, "bob", false, h, &err), -EINVAL);
	assert_int_equal(store_ldap_iface_user_allowed(fx->st, "wg0", "bob", &ok, &err), 0);
	assert_false(ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_auth__links_and_ldap_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_auth__passkeys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_auth__wgportal_passkey, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_auth__totp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_auth__round_trips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_auth__cascade_with_user, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
