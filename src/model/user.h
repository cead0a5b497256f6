/* SPDX-License-Identifier: MIT */
#ifndef MODEL_USER_H
#define MODEL_USER_H
/*
 * A user (spec/wg-portal-compat.md 2.7 User). Passwords and API tokens are never kept in clear
 * text in the store: password_hash is an argon2id string, api_token_hash a hash of the token.
 * api_token holds a clear token only transiently (just set, to echo it once in the answer).
 */
#include <stdbool.h>
#include <time.h>

#include "util/strv.h"

struct user {
	char *identifier;
	char *email;
	struct strv auth_sources;  /* "db", "ldap", "oauth" */
	bool is_admin;
	char *firstname, *lastname, *phone, *department, *notes;
	char *password_hash;       /* argon2id (crypto_pwhash_str), NULL = no password */
	bool disabled;
	char *disabled_reason;
	bool locked;
	char *locked_reason;
	char *api_token_hash;      /* NULL = API disabled */
	char *api_token;           /* transient clear token, never stored */
	time_t created_at, updated_at;
	int peer_count;            /* computed on read */
};

struct user *user_new(void);
struct user *user_free(struct user *u);   /* wipes api_token; NULL-safe */
void user_release(struct user *u);
struct user *user_dup(const struct user *u);
void user_list_free(struct user **list, size_t n);

struct err;
int user_validate(const struct user *u, struct err *err);
/* True for identifiers wg-portal reserves (all, new, id, _WG_SYS_*). */
bool user_id_is_reserved(const char *id);

#endif
