/* SPDX-License-Identifier: MIT */
#ifndef AUTH_SESSION_H
#define AUTH_SESSION_H
/*
 * Server-side UI sessions (design.md 6): a random session id travels only in the cookie; the
 * store keeps its BLAKE2b-256 hash, the owning user, a per-session CSRF token and two times.
 * A session ends after SESSION_IDLE_S without use or SESSION_ABSOLUTE_S after login, whichever
 * comes first, and at logout. Each user keeps at most SESSION_PER_USER_MAX sessions (oldest go).
 * Session ids, their hashes and CSRF tokens are secrets: never log them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;
struct store;

#define SESSION_IDLE_S (8 * 3600)
#define SESSION_ABSOLUTE_S (24 * 3600)
#define SESSION_PER_USER_MAX 32
/* Touch the last-seen time at most this often (fewer writes; idle expiry is this coarse). */
#define SESSION_TOUCH_S 60
/* Random tokens: 32 bytes as unpadded base64url = 43 characters. */
#define SESSION_TOKEN_LEN 43
#define SESSION_HASH_HEX 64

/* A fresh random token (session id or CSRF token), NUL-terminated. */
void session_random_token(char out[static SESSION_TOKEN_LEN + 1]);
/* Hex BLAKE2b-256 of a session id, as stored. */
void session_hash(const char *id, char out[static SESSION_HASH_HEX + 1]);
/* True for a syntactically valid session id (43 base64url characters). */
bool session_id_is_valid(const char *id);

/* Creates a session for user_id at time now (unix seconds): purges expired sessions, trims the
 * user's older ones, stores the hash. *ret_id and *ret_csrf receive the clear id and token.
 * -EINVAL for an unknown user. */
int session_create(struct store *st, const char *user_id, int64_t now,
		   char ret_id[static SESSION_TOKEN_LEN + 1],
		   char ret_csrf[static SESSION_TOKEN_LEN + 1], struct err *err);
/* Looks an id up at time now. 0 with *ret_user_id and *ret_csrf (heap; caller frees, wipe the
 * token with auth_secret_free) when valid; an expired session is deleted and -ENOENT returned,
 * as for unknown or malformed ids. Refreshes last-seen (at most every SESSION_TOUCH_S). */
int session_lookup(struct store *st, const char *id, int64_t now, char **ret_user_id,
		   char **ret_csrf, struct err *err);
/* Deletes the session of this id (no error when there is none). */
int session_delete(struct store *st, const char *id, struct err *err);

/* Constant-time comparison of a presented CSRF token with the session's; false for NULL,
 * empty or different-length input. */
bool session_csrf_equal(const char *expected, const char *presented);

#endif
