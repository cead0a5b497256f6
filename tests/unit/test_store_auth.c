/* SPDX-License-Identifier: MIT */
/*
 * Sign-in state in the store (store_auth.c, migration 6): provider links, LDAP interface
 * allow-lists, passkeys (handle, insert/duplicate, list/rename/delete scoped to the owner, the
 * sign counter that only one of two racing assertions can move), TOTP (sealed secret: not in
 * the file in clear with a passphrase, enrolment that cannot overwrite a confirmed factor,
 * replayed steps and recovery codes refused) and the cascade when the user goes.
 */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/user.h"
#include "store/store.h"
#include "store/store_auth.h"
#include "util/err.h"

struct fx {
	char *dir;
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

	fx->dir = test_tmpdir();
	snprintf(fx->path, sizeof(fx->path), "%s/db.sqlite", fx->dir);
	assert_int_equal(store_open(fx->path, "a passphrase for the test", &fx->st, &err), 0);
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
	/* links need an existing user */
	assert_int_not_equal(store_auth_link_add(fx->st, "nobody", "ldap", "corp", &err), 0);

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
	char h1[STORE_PASSKEY_HANDLE_LEN + 1], h2[STORE_PASSKEY_HANDLE_LEN + 1];
	struct err err = { 0 };
	size_t n = 0;

	assert_int_equal(store_passkey_handle(fx->st, "alice", false, h1, &err), -ENOENT);
	assert_int_equal(store_passkey_handle(fx->st, "alice", true, h1, &err), 0);
	assert_int_equal(strlen(h1), STORE_PASSKEY_HANDLE_LEN);
	assert_int_equal(store_passkey_handle(fx->st, "alice", true, h2, &err), 0);
	assert_string_equal(h1, h2);
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
	assert_int_equal(store_passkey_get(fx->st, "Y3JlZC0x", &got, h2, &err), 0);
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
	assert_int_equal(store_passkey_get(fx->st, "Y3JlZC0x", &got, h2, &err), 0);
	assert_int_equal(got.sign_count, 4);
	assert_int_equal(got.last_used_at, 2000);
	assert_int_equal(store_passkey_delete(fx->st, "alice", "Y3JlZC0x", &err), 0);
	assert_int_equal(store_passkey_get(fx->st, "Y3JlZC0x", &got, h2, &err), -ENOENT);
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
	/* the secret is sealed: its clear text is nowhere in the database file */
	store_close(fx->st);
	FILE *f = fopen(fx->path, "rb");
	char buf[1 << 16];
	size_t len;
	bool found = false;
	while ((len = fread(buf, 1, sizeof(buf), f)) > 0)
		found |= memmem(buf, len, "VE9UUC1TRUNSRVQtSU4tQ0xFQVI", 27) != NULL ||
			 memmem(buf, len, "TOTP-SECRET-IN-CLEAR", 20) != NULL;
	fclose(f);
	assert_false(found);
	assert_int_equal(store_open(fx->path, "a passphrase for the test", &fx->st, &err), 0);
	assert_int_equal(store_totp_get(fx->st, "alice", &t, &err), 0);
	assert_memory_equal(t.secret, secret, sizeof(secret));
	assert_int_equal(store_totp_delete(fx->st, "alice", &err), 0);
	assert_int_equal(store_totp_get(fx->st, "alice", &t, &err), -ENOENT);
}

static void test_store_auth__cascade_with_user(void **state)
{
	struct fx *fx = *state;
	uint8_t secret[STORE_TOTP_SECRET_LEN] = { 1 };
	char h[STORE_PASSKEY_HANDLE_LEN + 1];
	struct store_passkey k = { .id = "a2V5", .user_id = "bob", .alg = -8, .cose_key_len = 1 };
	struct strv src = STRV_INIT, prov = STRV_INIT;
	struct store_totp t;
	struct err err = { 0 };

	assert_int_equal(store_auth_link_add(fx->st, "bob", "oauth", "idp", &err), 0);
	assert_int_equal(store_passkey_handle(fx->st, "bob", true, h, &err), 0);
	assert_int_equal(store_passkey_insert(fx->st, &k, &err), 0);
	assert_int_equal(store_totp_begin(fx->st, "bob", secret, 1, &err), 0);
	assert_int_equal(store_user_delete(fx->st, "bob", &err), 0);
	assert_int_equal(store_auth_link_list(fx->st, "bob", &src, &prov, &err), 0);
	assert_int_equal(src.n, 0);
	assert_int_equal(store_passkey_get(fx->st, "a2V5", &k, h, &err), -ENOENT);
	assert_int_equal(store_totp_get(fx->st, "bob", &t, &err), -ENOENT);
	assert_int_equal(store_passkey_handle(fx->st, "bob", false, h, &err), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_auth__links_and_ldap_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_auth__passkeys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_auth__totp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_auth__cascade_with_user, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
