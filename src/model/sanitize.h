/* SPDX-License-Identifier: MIT */
#ifndef MODEL_SANITIZE_H
#define MODEL_SANITIZE_H
/*
 * Cleaning of user data that comes from identity providers (LDAP entries, OpenID/OAuth
 * claims) before it reaches the store, as wg-portal does (internal/domain/sanitize.go,
 * docs/auth.md): invalid UTF-8 dropped, control and format characters (Unicode Cc, Cf)
 * stripped, surrounding white space trimmed, length capped in characters. wg-portal also
 * NFC-normalises; we do not (no Unicode tables in this build), so a decomposed name stays
 * decomposed. All functions return a heap string ("" when nothing valid is left), NULL on OOM.
 */
#include <stdbool.h>
#include <stddef.h>

#include "util/strv.h"

#define SANITIZE_ID_MAX 256
#define SANITIZE_EMAIL_MAX 254
#define SANITIZE_NAME_MAX 128
#define SANITIZE_PHONE_MAX 50
#define SANITIZE_GROUP_MAX 256

char *sanitize_string(const char *s, size_t max_chars);
/* "" when s contains CR/LF, or the cleaned text is not one plain address (local@domain). */
char *sanitize_email(const char *s, size_t max_chars);
/* Keeps only 0-9 + - ( ) space and dot. */
char *sanitize_phone(const char *s, size_t max_chars);
/* "" also for identifiers wg-portal reserves (user_id_is_reserved). */
char *sanitize_identifier(const char *s, size_t max_chars);

/* What an identity provider says about a user, after mapping (field_map) and cleaning. */
struct ext_user {
	char *identifier, *email, *firstname, *lastname, *phone, *department;
	struct strv groups;          /* OIDC/OAuth user_groups (cleaned; altered ones dropped) */
	bool is_admin;
	bool admin_info_available;   /* is_admin is meaningful and overrides the stored flag */
};

/* Cleans every field in place (wg-portal AuthenticatorUserInfo.Sanitize). -EINVAL when the
 * identifier is empty afterwards, -ENOMEM. */
int ext_user_sanitize(struct ext_user *u);
void ext_user_release(struct ext_user *u);

#endif
