/* SPDX-License-Identifier: MIT */
#ifndef AUTH_CLAIMS_H
#define AUTH_CLAIMS_H
/*
 * From the claims an OpenID or OAuth2 provider returns to a wgportal user, as wg-portal does
 * (internal/app/auth/oauth_common.go:12-63, auth.go:501-543): field_map names the claims,
 * non-string values are printed (true, 42), is_admin is matched (trimmed) against
 * admin_value_regex, and when that does not make the user an admin, admin_group_regex is tried
 * on the cleaned user_groups. allowed_domains and allowed_user_groups restrict who may sign in.
 *
 * Regular expressions are POSIX extended (regcomp); wg-portal's are Go RE2. Patterns that use
 * RE2-only syntax such as (?i) are refused when the provider is set up, with the reason, rather
 * than crashing at login as wg-portal does (spec/wg-portal-compat.md 1.6.8).
 */
#include <jansson.h>
#include <regex.h>
#include <stdbool.h>

#include "model/sanitize.h"

struct cfg_auth_provider;
struct err;

struct claim_rules {
	const struct cfg_auth_provider *cfg;
	regex_t admin_value, admin_group;
	bool has_admin_group;
};

/* Compiles the provider's regular expressions. -EINVAL naming the key and reason. */
int claim_rules_init(struct claim_rules *r, const struct cfg_auth_provider *cfg,
		     struct err *err);
void claim_rules_release(struct claim_rules *r);

/* Maps claims to a cleaned user. -EINVAL when no identifier is left. */
int claims_to_user(const struct claim_rules *r, json_t *claims, struct ext_user *ret,
		   struct err *err);
/* allowed_domains / allowed_user_groups; -EACCES with the reason when refused. */
int claims_allowed(const struct claim_rules *r, const struct ext_user *u, struct err *err);

/* A claim's value as text (MapDefaultString): strings as they are, numbers and booleans
 * printed, absent or null -> NULL. Heap. */
char *claim_text(json_t *claims, const char *name);

#endif
