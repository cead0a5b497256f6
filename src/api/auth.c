/* SPDX-License-Identifier: MIT */
/*
 * Session login for the browser UI (contract "Session auth"): POST /auth/login checks a local
 * account's argon2id hash and opens a server-side session (cookie web.session_identifier,
 * HttpOnly, SameSite=Strict, Path = base path, Secure behind an https external_url);
 * GET /auth/session says who is logged in; POST /auth/logout ends it. Every other endpoint
 * accepts the cookie instead of Basic auth, with X-CSRF-Token required on state-changing
 * methods (api_session_authenticate, called by the router).
 *
 * Login throttling (api/throttle.h): failures are counted per account (5 in 5 minutes) and
 * per client address (20 in 5 minutes); every attempt reserves its slot in both before the
 * password is checked, so parallel attempts cannot outrun the count. Over either limit the
 * answer is 429 with Retry-After, before any password check. Unknown, disabled and locked
 * users get the same 401 as a wrong password, after the same argon2 work. At most
 * LOGIN_CONCURRENCY hashes run at once (64 MiB each, deps.md 12.14). A password change ends
 * the user's other sessions (core_user_update).
 */
#include "api/ui.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <ulfius.h>

#include "api/json_model.h"
#include "api/throttle.h"
#include "auth/basic.h"
#include "auth/session.h"
#include "config/config.h"
#include "core/core.h"
#include "httpd/guard.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"

#define LOGIN_CONCURRENCY 4
#define LOGIN_FIELD_MAX 1024
#define DEFAULT_COOKIE "wgPortalSession"

static pthread_once_t login_once = PTHREAD_ONCE_INIT;
static sem_t hash_slots;
static char *dummy_hash;             /* equalises the work for unknown users */
static __thread bool req_is_session;

bool api_auth_is_session(void)
{
	return req_is_session;
}

void api_auth_set_session(bool on)
{
	req_is_session = on;
}

static void login_init(void)
{
	sem_init(&hash_slots, 0, LOGIN_CONCURRENCY);
	if (core_password_hash("wgportal-no-such-user-placeholder", &dummy_hash) < 0)
		dummy_hash = NULL;
}

/* The configured cookie name when it is a valid RFC 6265 token, else the default. */
static const char *cookie_name(const struct api_ctx *c)
{
	const char *n = c->app->cfg->web.session_identifier;

	if (!n || !*n || strlen(n) > 64)
		return DEFAULT_COOKIE;
	for (const char *p = n; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", *p))
			return DEFAULT_COOKIE;
	return n;
}

static const char *session_cookie(const struct api_ctx *c)
{
	return c->req->map_cookie ? u_map_get(c->req->map_cookie, cookie_name(c)) : NULL;
}

bool api_session_hash(const struct api_ctx *c, char out[static SESSION_HASH_HEX + 1])
{
	const char *v = session_cookie(c);

	if (!c->is_session || !v || !session_id_is_valid(v))
		return false;
	session_hash(v, out);
	return true;
}

bool api_session_cookie_present(const struct api_ctx *c)
{
	const char *v = session_cookie(c);

	return v && *v;
}

static void set_cookie(struct api_ctx *c, const char *value, long max_age)
{
	const struct cfg *cfg = c->app->cfg;
	const char *base = cfg->web.base_path && *cfg->web.base_path ? cfg->web.base_path : "/";
	bool secure = cfg->web.external_url && strncasecmp(cfg->web.external_url, "https://", 8) == 0;
	char *h = NULL;

	if (asprintf(&h, "%s=%s; Path=%s; Max-Age=%ld; HttpOnly; SameSite=Strict%s", cookie_name(c),
		     value, base, max_age, secure ? "; Secure" : "") < 0)
		return;
	http_header(c, "Set-Cookie", h);
	explicit_bzero(h, strlen(h));
	free(h);
}

/* Loads the session's user; NULL (and -ENOENT) when the session is gone, the user is missing,
 * disabled or locked. *ret_csrf: the session's token (heap). */
static struct user *session_user(struct api_ctx *c, char **ret_csrf)
{
	const char *id = session_cookie(c);
	char *uid = NULL, *csrf = NULL;
	struct user *u = NULL;
	struct err err = { 0 };
	int r;

	if (!id || !*id)
		return NULL;
	r = session_lookup(c->app->store, id, (int64_t)time(NULL), &uid, &csrf, &err);
	if (r < 0) {
		if (r != -ENOENT)
			log_warn("api: request %s: session lookup: %s", c->request_id, err.msg);
		return NULL;
	}
	err_clear(&err);
	if (store_user_get(c->app->store, uid, &u, &err) < 0 || u->disabled || u->locked) {
		u = user_free(u);
		auth_secret_free(csrf);
		csrf = NULL;
	}
	free(uid);
	*ret_csrf = csrf;
	return u;
}

static bool method_is_safe(const char *m)
{
	return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "OPTIONS");
}

static bool csrf_ok(const struct api_ctx *c, const char *expected)
{
	return session_csrf_equal(expected, u_map_get_case(c->req->map_header, "X-CSRF-Token"));
}

bool api_session_authenticate(struct api_ctx *c, const char *method)
{
	char *csrf = NULL;
	struct user *u = session_user(c, &csrf);

	if (!u) {
		http_error(c, 401, NULL, "not logged in");
		return false;
	}
	if (!method_is_safe(method) && !csrf_ok(c, csrf)) {
		user_free(u);
		auth_secret_free(csrf);
		http_error(c, 403, NULL, "CSRF token missing or invalid");
		return false;
	}
	auth_secret_free(csrf);
	c->caller = u;
	api_auth_set_session(true);
	return true;
}

static void answer_session(struct api_ctx *c, const struct user *u, const char *csrf)
{
	json_t *o = json_object();

	if (o) {
		json_object_set_new(o, "User", json_from_user(u, false));
		json_object_set_new(o, "CsrfToken", json_string(csrf));
	}
	http_json(c, 200, o);
}

/* Username / Password from the body, names matched case-insensitively (v1 convention). */
static int login_body(struct api_ctx *c, char **ret_user, char **ret_pass)
{
	const char *k, *user = NULL, *pass = NULL;
	json_t *body, *v;
	int r;

	if ((r = http_body_object(c, &body)) < 0)
		return r;
	json_object_foreach(body, k, v) {
		if (!strcasecmp(k, "Username") || !strcasecmp(k, "Password")) {
			bool is_user = !strcasecmp(k, "Username");
			if (!json_is_string(v)) {
				json_decref(body);
				http_error(c, 400, is_user ? "Username" : "Password",
					   "invalid JSON body: %s must be a string",
					   is_user ? "Username" : "Password");
				return -EINVAL;
			}
			if (is_user)
				user = json_string_value(v);
			else
				pass = json_string_value(v);
		}
	}
	if (!user || !*user || strlen(user) > LOGIN_FIELD_MAX) {
		json_decref(body);
		http_error(c, 400, "Username", "missing username");
		return -EINVAL;
	}
	if (!pass || !*pass || strlen(pass) > LOGIN_FIELD_MAX) {
		json_decref(body);
		http_error(c, 400, "Password", "missing password");
		return -EINVAL;
	}
	*ret_user = strdup(user);
	*ret_pass = strdup(pass);
	/* jansson keeps its copy until the decref; wipe it, it is the clear password */
	explicit_bzero((char *)pass, strlen(pass));
	json_decref(body);
	if (!*ret_user || !*ret_pass) {
		free(*ret_user);
		auth_secret_free(*ret_pass);
		http_json(c, 500, NULL);
		return -ENOMEM;
	}
	return 0;
}

/* A password change ends the user's sessions (core_user_update). A login that checked the old
 * password just before the change but creates its session just after would survive it, so
 * the hash is read again once the session exists; a changed hash (or an account disabled in
 * the meantime) ends the new session. */
static bool session_still_valid(struct api_ctx *c, const struct user *u, const char *sid)
{
	struct user *cur = NULL;
	bool same = store_user_get(c->app->store, u->identifier, &cur, NULL) == 0 &&
		    cur->password_hash && u->password_hash &&
		    !strcmp(cur->password_hash, u->password_hash) && !cur->disabled && !cur->locked;

	user_free(cur);
	if (!same)
		(void)session_delete(c->app->store, sid, NULL);
	return same;
}

int api_password_verify(struct api_ctx *c, const struct user *u, const char *password,
			unsigned *retry_after)
{
	bool ok;

	(void)c;
	pthread_once(&login_once, login_init);
	/* the login's account throttle: the attempt counts as a failure until it succeeds */
	*retry_after = api_throttle_reserve(THROTTLE_LOGIN_USER, u->identifier);
	if (*retry_after)
		return -EAGAIN;
	while (sem_wait(&hash_slots) != 0)
		;
	ok = u->password_hash && *u->password_hash &&
	     core_password_verify(u->password_hash, password) == 0;
	sem_post(&hash_slots);
	if (!ok)
		return -EACCES;
	api_throttle_release(THROTTLE_LOGIN_USER, u->identifier);
	return 0;
}

/* Reserves the attempt in both throttles (account, then address); answers 429 otherwise. */
static bool login_reserve(struct api_ctx *c, const char *user, const char *group,
			  const char *quser, const char *addr)
{
	unsigned wait = api_throttle_reserve(THROTTLE_LOGIN_USER, user);

	if (!wait) {
		wait = api_throttle_reserve(THROTTLE_LOGIN_ADDR, group);
		if (wait)
			api_throttle_release(THROTTLE_LOGIN_USER, user);
	}
	if (!wait)
		return true;
	log_info("auth: login for '%s' from %s throttled", quser, addr);
	api_too_many(c, wait, "too many login attempts");
	return false;
}

void api_auth_login(struct api_ctx *c)
{
	char addr[64], group[64], quser[LOG_QUOTE_SIZE(128)];
	char sid[SESSION_TOKEN_LEN + 1], csrf[SESSION_TOKEN_LEN + 1];
	char *user = NULL, *pass = NULL;
	struct user *u = NULL;
	struct err err = { 0 };
	bool ok = false;
	int r;

	pthread_once(&login_once, login_init);
	if (login_body(c, &user, &pass) < 0)
		return;
	httpd_addr_format(c->req->client_address, addr);
	api_client_group(c, group);
	log_quote(user, quser, sizeof(quser));
	if (!login_reserve(c, user, group, quser, addr))
		goto out;

	r = store_user_get(c->app->store, user, &u, &err);
	if (r < 0 && r != -ENOENT) {
		/* not the password's fault: the attempt does not count */
		api_throttle_release(THROTTLE_LOGIN_USER, user);
		api_throttle_release(THROTTLE_LOGIN_ADDR, group);
		http_error_err(c, &err, "login failed");
		goto out;
	}
	while (sem_wait(&hash_slots) != 0)
		;
	if (u && u->password_hash && *u->password_hash)
		ok = core_password_verify(u->password_hash, pass) == 0;
	else if (dummy_hash)
		(void)core_password_verify(dummy_hash, pass);
	sem_post(&hash_slots);
	if (ok && (u->disabled || u->locked))
		ok = false;
	if (!ok) {
		/* the reserved slots stay: this was a failure */
		log_info("auth: login failed for '%s' from %s", quser, addr);
		api_audit(c, user, "warning", "auth", "login failed from %s", addr);
		http_error(c, 401, NULL, "invalid credentials");
		goto out;
	}
	api_throttle_reset(THROTTLE_LOGIN_USER, user);
	api_throttle_release(THROTTLE_LOGIN_ADDR, group);
	/* a fresh id on every login (no fixation); the old session of this browser ends */
	if (api_session_cookie_present(c))
		(void)session_delete(c->app->store, session_cookie(c), NULL);
	err_clear(&err);
	r = session_create(c->app->store, u->identifier, (int64_t)time(NULL), sid, csrf, &err);
	if (r < 0) {
		http_error_err(c, &err, "cannot create session");
		goto out;
	}
	if (!session_still_valid(c, u, sid)) {
		http_error(c, 401, NULL, "invalid credentials");
		goto out;
	}
	set_cookie(c, sid, SESSION_ABSOLUTE_S);
	log_info("auth: '%s' logged in from %s", quser, addr);
	api_audit(c, u->identifier, "info", "auth", "logged in from %s", addr);
	core_user_logged_in(c->app, u->identifier);
	answer_session(c, u, csrf);
out:
	explicit_bzero(sid, sizeof(sid));
	explicit_bzero(csrf, sizeof(csrf));
	user_free(u);
	free(user);
	auth_secret_free(pass);
}

void api_auth_session(struct api_ctx *c)
{
	char *csrf = NULL;
	struct user *u = session_user(c, &csrf);

	if (!u) {
		http_error(c, 401, NULL, "not logged in");
		return;
	}
	answer_session(c, u, csrf);
	user_free(u);
	auth_secret_free(csrf);
}

void api_auth_logout(struct api_ctx *c)
{
	const char *method = c->req->http_verb ? c->req->http_verb : "";
	char *csrf = NULL;
	struct user *u = session_user(c, &csrf);

	if (u) {
		if (!method_is_safe(method) && !csrf_ok(c, csrf)) {
			user_free(u);
			auth_secret_free(csrf);
			http_error(c, 403, NULL, "CSRF token missing or invalid");
			return;
		}
		api_audit(c, u->identifier, "info", "auth", "logged out");
	}
	if (api_session_cookie_present(c))
		(void)session_delete(c->app->store, session_cookie(c), NULL);
	user_free(u);
	auth_secret_free(csrf);
	set_cookie(c, "", 0);
	http_no_content(c);
}
