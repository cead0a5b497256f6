/* SPDX-License-Identifier: MIT */
#ifndef API_UI_H
#define API_UI_H
/*
 * What the browser UI needs beyond REST API v1 (the UI <-> server contract): session login
 * (auth.c), UI settings (ui_settings.c), the audit list (audit.c), API-token create/revoke
 * (tokens.c), one page of peer metrics (metrics_page.c) and the static UI files
 * (ui_settings.c, on top of src/web). The router calls these; "scope" is checked there.
 */
#include <stdbool.h>

#include "api/http.h"

/* auth.c: POST /auth/login, GET /auth/session, POST /auth/logout (no router auth). */
void api_auth_login(struct api_ctx *c);
void api_auth_session(struct api_ctx *c);
void api_auth_logout(struct api_ctx *c);
/* Shared by every sign-in method (auth.c). */
#include "auth/session.h"
struct user;
/* The client's address as text ("unknown" when none). */
void api_client_addr(const struct api_ctx *c, char out[static 64]);
/* Login throttling (api/throttle.h) for every method: reserves one attempt of the client
 * address and, when user is given, of the account; false (answered 429 with Retry-After) when
 * over a limit. A reserved attempt counts as a failure until released. */
bool api_login_reserve(struct api_ctx *c, const char *user);
/* The reserved attempt does not count (success, or not the client's fault). clear_account:
 * a completed sign-in also forgets the account's earlier failures. */
void api_login_release(struct api_ctx *c, const char *user, bool clear_account);
/* A failed sign-in (its reservation stays counted): logged and audited. how: "password",
 * "oidc <provider>", "passkey", "totp", ...; why: reason or NULL. */
void api_login_failed(struct api_ctx *c, const char *user, const char *how, const char *why);
/* Opens the server-side session for u after any method: fresh id, cookie, failure count of the
 * account cleared, audit entry. 0, or answered the error itself. csrf receives the token,
 * ret_sid (SESSION_TOKEN_LEN + 1 bytes, may be NULL) the session id. */
int api_session_open(struct api_ctx *c, const struct user *u, const char *how,
		     char csrf[static SESSION_TOKEN_LEN + 1], char *ret_sid);
/* The answer of a successful login: {"User":..., "CsrfToken":...}. */
void api_session_answer(struct api_ctx *c, const struct user *u, const char *csrf);
/* The session cookie's value or NULL. */
const char *api_session_cookie_value(const struct api_ctx *c);

/* auth_oidc.c: GET {base}/api/v0/auth/login/{provider}/init and .../callback (wg-portal's
 * paths, so client registrations at identity providers keep working), GET /auth/providers. */
void api_v0_dispatch(struct api_ctx *c, const char *method, const char *rest);
/* The same as a route function: c->id holds the path after {base}/api/v0. */
void api_v0_route(struct api_ctx *c);
void api_auth_providers(struct api_ctx *c);
/* The IdP end-session URL for the session whose id is session_id, when it came from an
 * OpenID provider with logout_idp_session (forgets it). Heap or NULL. */
char *api_oidc_logout_url(struct api_ctx *c, const char *session_id);
/* For /ui/settings: the providers as [{Identifier, Name, ProviderUrl}]. */
json_t *api_oidc_providers_json(struct api_ctx *c);

/* auth_passkey.c: wg-portal's /auth/webauthn/... endpoints under /api/v1. */
void api_passkey_login_start(struct api_ctx *c);
void api_passkey_login_finish(struct api_ctx *c);
void api_passkey_list(struct api_ctx *c);
void api_passkey_register_start(struct api_ctx *c);
void api_passkey_register_finish(struct api_ctx *c);
void api_passkey_update(struct api_ctx *c);
void api_passkey_delete(struct api_ctx *c);

/* auth_totp.c: the second factor. True when a password sign-in of u must continue with a code
 * (u has TOTP, or must set it up: auth.totp.required_for_admins). */
bool api_totp_required(struct api_ctx *c, const struct user *u);
/* Answers {"SecondFactor": "totp"|"totp-enrol", "Ticket": ...} for u (after the password). */
void api_totp_challenge(struct api_ctx *c, const struct user *u, const char *how);
void api_totp_login(struct api_ctx *c);         /* POST /auth/login/totp {Ticket, Code} */
void api_totp_status(struct api_ctx *c);        /* GET /auth/totp */
void api_totp_setup(struct api_ctx *c);         /* POST /auth/totp/setup (session or Ticket) */
void api_totp_confirm(struct api_ctx *c);       /* POST /auth/totp/confirm {Code} */
void api_totp_disable(struct api_ctx *c);       /* DELETE /auth/totp {Code} */
void api_totp_reset(struct api_ctx *c);         /* DELETE /user/by-id/{id}/totp (admin) */

/* origin.c: head check of POST /auth/login, before its body is read: JSON content type and a
 * same-origin (or web.external_url) Origin, else Referer. Answers 415/403 and returns false. */
bool api_auth_login_head(struct api_ctx *c);
/* basic.c: Basic auth (user id + API token) of header, throttled per client address. Sets
 * c->caller; answers 401/429 itself and returns false on failure. */
bool api_basic_authenticate(struct api_ctx *c, const char *header);
/* Checks the password of an account already identified (change-password) with the login's
 * bounds: at most a few argon2 hashes at once and the per-account failure limit. 0 match,
 * -EACCES wrong, -EAGAIN throttled (*retry_after = seconds). */
struct user;
int api_password_verify(struct api_ctx *c, const struct user *u, const char *password,
			unsigned *retry_after);
/* True when the request carries a cookie named web.session_identifier. */
bool api_session_cookie_present(const struct api_ctx *c);
/* Cookie authentication for every other endpoint: sets c->caller from a valid session and,
 * for methods other than GET/HEAD/OPTIONS, checks X-CSRF-Token. Answers 401 ("not logged
 * in") or 403 ("CSRF token missing or invalid") itself and returns false then. */
bool api_session_authenticate(struct api_ctx *c, const char *method);
/* The id hash of the session that authenticated c (for "keep this session"); false when c
 * was not authenticated by a session cookie. */
bool api_session_hash(const struct api_ctx *c, char out[static 65]);
/* True while the current request (this thread) was authenticated by a session cookie. */
bool api_auth_is_session(void);
void api_auth_set_session(bool on);

/* ui_settings.c */
void api_ui_settings(struct api_ctx *c);          /* GET /ui/settings, no auth */
void api_ui_settings_session(struct api_ctx *c);  /* GET /ui/settings/session, any user */
/* Serves a UI file for a GET/HEAD of path (raw, still including the base path). */
void api_ui_static(struct api_ctx *c, const char *method, const char *path);

/* The UI's security headers (CSP, nosniff, referrer, frames) on an answer. */
void api_ui_security_headers(struct api_ctx *c);

/* doc.c: the API description. api_doc_serve answers {base}/doc/v1_swagger.yaml and .json
 * (rel = the path after the base path) and returns true, false for any other path;
 * GET /doc.html and /doc.js (no auth) are the page that renders it. */
bool api_doc_serve(struct api_ctx *c, const char *method, const char *rel);
void api_doc_html(struct api_ctx *c);
void api_doc_js(struct api_ctx *c);

/* audit.c: GET /audit/all (admin). */
void api_audit_all(struct api_ctx *c);
/* Writes one audit entry when statistics.collect_audit_data is on; failures are ignored. */
void api_audit(struct api_ctx *c, const char *user, const char *severity, const char *origin,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* account.c: the caller's own account (self only, any user): POST
 * /user/by-id/{id}/change-password, GET /user/by-id/{id}/interfaces (self or admin). */
void api_account_password(struct api_ctx *c);
void api_account_interfaces(struct api_ctx *c);

/* iface_actions.c (admin): GET /interface/by-id/{id}/config, POST
 * /interface/by-id/{id}/apply-peer-defaults, POST /interface/by-id/{id}/create-default-peers,
 * POST /peer/multiplenew/{id} (id = interface). */
void api_iface_config(struct api_ctx *c);
void api_iface_apply_defaults(struct api_ctx *c);
void api_iface_default_peers(struct api_ctx *c);
void api_peer_multi_new(struct api_ctx *c);

/* tokens.c: POST / DELETE /user/by-id/{id}/api-token (self or admin). */
void api_token_create(struct api_ctx *c);
void api_token_delete(struct api_ctx *c);

/* metrics_page.c: GET /metrics/by-interface/{id}/peers (admin). */
void api_metrics_iface_peers(struct api_ctx *c);

#endif
