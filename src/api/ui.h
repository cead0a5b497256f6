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
