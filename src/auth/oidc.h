/* SPDX-License-Identifier: MIT */
#ifndef AUTH_OIDC_H
#define AUTH_OIDC_H
/*
 * OpenID Connect and plain OAuth2 sign-in providers (auth.oidc[], auth.oauth[]): the
 * authorization-code flow with PKCE, as a relying party (docs/auth.md "OpenID Connect").
 *
 * A set holds every configured provider under its lower-cased provider_name (a second one
 * with the same name, across oidc and oauth, is skipped: wg-portal internal/app/auth/auth.go:205-246). OpenID
 * providers need discovery from base_url (issuer must equal base_url, go-oidc's rule) and their
 * JWKS before they are ready; set-up is retried (oidc_set_setup) and never stops the daemon.
 * Plain OAuth2 providers are ready at once.
 *
 * Flow: oidc_begin() makes state, nonce (OpenID only) and the PKCE verifier, and the URL to
 * send the browser to; the caller keeps them (auth/pending.h) until the provider calls back,
 * then oidc_finish() exchanges the code (client secret in HTTP Basic, form-encoded as
 * RFC 6749 2.3.1 asks, or in the body when the provider only takes that; like golang.org/x/
 * oauth2's AuthStyleAutoDetect, Basic is tried first and the body on invalid_client), verifies
 * the ID token (auth/jwt.h: signature with the JWKS, iss, aud, exp, nonce; the JWKS is fetched
 * again once when a new kid shows up), merges the userinfo claims (ID token claims win, a
 * userinfo with another "sub" is ignored) or, for plain OAuth2, reads user_info_url, and maps
 * the claims (auth/claims.h).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/sanitize.h"

struct cfg;
struct err;
struct oidc_provider;
struct oidc_set;

enum oidc_kind { OIDC_KIND_OIDC, OIDC_KIND_OAUTH };

#define OIDC_STATE_LEN 43        /* 32 random bytes, base64url */
#define OIDC_SETUP_RETRY_S 30

/* Builds the set from cfg (kept borrowed: it must outlive the set). callback_prefix is
 * "<external_url><base_path>/api/v0/auth/login/" (the provider id and "/callback" follow).
 * Invalid admin regexes: -EINVAL (start-up error); everything network-related happens later. */
int oidc_set_new(const struct cfg *cfg, const char *callback_prefix, struct oidc_set **ret,
		 struct err *err);
struct oidc_set *oidc_set_free(struct oidc_set *s);
/* Tries to set up every provider that is not ready yet (discovery, JWKS). Returns how many are
 * still not ready. Logs each failure once per attempt at warning level. */
size_t oidc_set_setup(struct oidc_set *s);

size_t oidc_set_count(const struct oidc_set *s);
struct oidc_provider *oidc_set_at(struct oidc_set *s, size_t i);
/* By lower-cased id; NULL when unknown. Borrowed. */
struct oidc_provider *oidc_set_find(struct oidc_set *s, const char *id);

const char *oidc_id(const struct oidc_provider *p);           /* lower-cased provider_name */
const char *oidc_display_name(const struct oidc_provider *p);
const char *oidc_provider_name(const struct oidc_provider *p);  /* as configured */
enum oidc_kind oidc_kind(const struct oidc_provider *p);
bool oidc_registration_enabled(const struct oidc_provider *p);
/* Ready to start a login. When not, tries set-up again right away if the last attempt is more
 * than a few seconds old (so a provider that came back works without waiting for the retry)
 * and copies the reason into why. */
bool oidc_ready(struct oidc_provider *p, char *why, size_t why_len);

/* RFC 9207: an "iss" parameter of the authorization response must name this provider (mix-up
 * attacks). True when absent, or when it equals the discovered issuer. */
bool oidc_iss_matches(struct oidc_provider *p, const char *iss);

/* The round trip's secrets, kept server-side between begin and finish. */
struct oidc_round_trip {
	char state[OIDC_STATE_LEN + 1];
	char nonce[OIDC_STATE_LEN + 1];
	char verifier[OIDC_STATE_LEN + 1];   /* "" without PKCE */
};

/* Fills rt and *ret_url (heap): the authorization endpoint with client_id, redirect_uri,
 * response_type=code, scope, state, nonce (OpenID) and the PKCE challenge. */
int oidc_begin(struct oidc_provider *p, struct oidc_round_trip *rt, char **ret_url,
	       struct err *err);
/* Exchanges code and returns the mapped user (allowed_domains/groups already checked) and,
 * for OpenID, the raw ID token (heap, for the logout hint; may be NULL). -EACCES when the
 * provider or the checks refuse, -EHOSTUNREACH/-ETIMEDOUT when it cannot be reached, -EPROTO
 * for answers that make no sense. */
int oidc_finish(struct oidc_provider *p, const struct oidc_round_trip *rt, const char *code,
		struct ext_user *ret, char **ret_id_token, struct err *err);

/* The provider's end-session URL with id_token_hint and post_logout_redirect_uri, when it has
 * one and logout_idp_session is on (auth_oidc.go:106-132). NULL otherwise. Heap. */
char *oidc_logout_url(const struct oidc_provider *p, const char *id_token_hint,
		      const char *post_logout_redirect);

#endif
