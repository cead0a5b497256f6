/* SPDX-License-Identifier: MIT */
/*
 * UI sessions on top of the store's sessions table: random ids and CSRF tokens from
 * libsodium's CSPRNG, only BLAKE2b hashes of ids stored, idle/absolute expiry checked on every
 * lookup, constant-time token comparison.
 */
#include "auth/session.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/err.h"

void session_random_token(char out[static SESSION_TOKEN_LEN + 1])
{
	unsigned char raw[32];

	if (sodium_init() < 0)
		abort(); /* no CSPRNG: never hand out guessable tokens */
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, SESSION_TOKEN_LEN + 1, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

void session_hash(const char *id, char out[static SESSION_HASH_HEX + 1])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)id, strlen(id), NULL, 0);
	sodium_bin2hex(out, SESSION_HASH_HEX + 1, h, sizeof(h));
	sodium_memzero(h, sizeof(h));
}

bool session_id_is_valid(const char *id)
{
	size_t n = 0;

	if (!id)
		return false;
	for (; id[n]; n++) {
		char ch = id[n];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_'))
			return false;
		if (n >= SESSION_TOKEN_LEN)
			return false;
	}
	return n == SESSION_TOKEN_LEN;
}

int session_create(struct store *st, const char *user_id, int64_t now,
		   char ret_id[static SESSION_TOKEN_LEN + 1],
		   char ret_csrf[static SESSION_TOKEN_LEN + 1], struct err *err)
{
	char id[SESSION_TOKEN_LEN + 1], csrf[SESSION_TOKEN_LEN + 1], hash[SESSION_HASH_HEX + 1];
	int r;

	/* Expired rows of everybody go first, so the table stays bounded by active sessions. */
	r = store_session_purge(st, now - SESSION_IDLE_S, now - SESSION_ABSOLUTE_S, err);
	if (r < 0)
		return r;
	session_random_token(id);
	session_random_token(csrf);
	session_hash(id, hash);
	r = store_session_insert(st, hash, user_id, csrf, now, err);
	if (r == 0)
		r = store_session_trim_user(st, user_id, SESSION_PER_USER_MAX, err);
	if (r == 0) {
		memcpy(ret_id, id, sizeof(id));
		memcpy(ret_csrf, csrf, sizeof(csrf));
	}
	sodium_memzero(id, sizeof(id));
	sodium_memzero(csrf, sizeof(csrf));
	sodium_memzero(hash, sizeof(hash));
	return r;
}

int session_lookup(struct store *st, const char *id, int64_t now, char **ret_user_id,
		   char **ret_csrf, struct err *err)
{
	char hash[SESSION_HASH_HEX + 1];
	struct store_session s = { 0 };
	int r;

	if (!session_id_is_valid(id))
		return err_set(err, -ENOENT, "session not found");
	session_hash(id, hash);
	r = store_session_get(st, hash, &s, err);
	if (r < 0)
		goto out;
	if (now - s.last_seen_at >= SESSION_IDLE_S || now - s.created_at >= SESSION_ABSOLUTE_S ||
	    s.created_at > now + 300) {
		(void)store_session_delete(st, hash, NULL);
		r = err_set(err, -ENOENT, "session expired");
		goto out;
	}
	if (now - s.last_seen_at >= SESSION_TOUCH_S) {
		r = store_session_touch(st, hash, now, err);
		if (r < 0)
			goto out;
	}
	*ret_user_id = s.user_id;
	*ret_csrf = s.csrf_token;
	s.user_id = s.csrf_token = NULL;
out:
	store_session_release(&s);
	sodium_memzero(hash, sizeof(hash));
	return r;
}

int session_delete(struct store *st, const char *id, struct err *err)
{
	char hash[SESSION_HASH_HEX + 1];
	int r;

	if (!session_id_is_valid(id))
		return 0;
	session_hash(id, hash);
	r = store_session_delete(st, hash, err);
	sodium_memzero(hash, sizeof(hash));
	return r;
}

bool session_csrf_equal(const char *expected, const char *presented)
{
	size_t n;

	if (!expected || !presented || !*expected)
		return false;
	n = strlen(expected);
	if (strlen(presented) != n)
		return false;
	return sodium_memcmp(expected, presented, n) == 0;
}
