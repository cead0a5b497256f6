/* SPDX-License-Identifier: MIT */
#ifndef AUTH_TOKEN_H
#define AUTH_TOKEN_H
/*
 * API token authentication (spec/wg-portal-compat.md 2.2): username = user identifier,
 * password = that user's API token, compared against the stored hash (a cheap BLAKE2b hash,
 * no argon2 per request). Deviation recommended by the spec: disabled and locked users are
 * refused like a wrong token.
 */
#include "model/user.h"

struct err;
struct store;

/* Shortest API token we accept from a client (wg-portal warns below it, internal/app/app.go
 * at the admin bootstrap); a configured core.admin_api_token only gets a warning. */
#define AUTH_TOKEN_MIN_LEN 18

/* 0 and *ret (caller frees with user_free) when the token matches an enabled, unlocked user;
 * -EACCES otherwise ("invalid credentials"); other negative codes for store failures. */
int auth_token_check(struct store *st, const char *user_id, const char *token, struct user **ret,
		     struct err *err);

#endif
