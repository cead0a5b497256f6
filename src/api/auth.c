/* SPDX-License-Identifier: MIT */
/*
 * Session login for the browser UI (contract "Session auth"): POST /auth/login checks a local
 * account's argon2id hash and opens a server-side session (cookie web.session_identifier,
 * HttpOnly, SameSite=Strict, Path = base path, Secure behind an https external_url);
 * GET /auth/session says who is logged in; POST /auth/logout ends it. Every other endpoint
 * accepts the cookie instead of Basic auth, with X-CSRF-Token required on state-changing
 * methods (api_session_authenticate, called by the router).
 *
 * Login throttling: failures are counted per account (5 in 5 minutes) and per client address
 * (20 in 5 minutes); over either limit the answer is 429 with Retry-After, before any password
 * check. Unknown, disabled and locked users get the same 401 as a wrong password, after the
 * same argon2 work. At most LOGIN_CONCURRENCY hashes run at once (64 MiB each, deps.md 12.14).
 * The other sign-in methods (auth_oidc.c, auth_passkey.c, auth_totp.c) use the same counters
 * and open their sessions through api_session_open(), so every method ends in the same
 * server-side session and every success and failure is audited.
 */
#include "api/ui.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <ulfius.h>

#include "api/json_model.h"
#include "auth/basic.h"
#include "auth/ratelimit.h"
#include "auth/session.h"
#include "config/config.h"
#include "core/core.h"
#include "core/signin.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"

#define LOGIN_USER_FAILURES 5
#define LOGIN_ADDR_FAILURES 20
#define LOGIN_WINDOW_S 300
#define LOGIN_TABLE_KEYS 4096
#define LOGIN_CONCURRENCY 4
#define LOGIN_FIELD_MAX 1024
#define DEFAULT_COOKIE "wgPortalSession"

static pthread_once_t login_once = PTHREAD_ONCE_INIT;
static struct ratelimit *rl_user, *rl_addr;
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
	rl_user = ratelimit_new(LOGIN_USER_FAILURES, LOGIN_WINDOW_S, LOGIN_TABLE_KEYS);
	rl_addr = ratelimit_new(LOGIN_ADDR_FAILURES, LOGIN_WINDOW_S, LOGIN_TABLE_KEYS);
	sem_init(&hash_slots, 0, LOGIN_CONCURRENCY);
	if (core_password_hash("wgportal-no-such-user-placeholder", &dummy_hash) < 0)
		dummy_hash = NULL;
}

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
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

static void client_addr(const struct api_ctx *c, char out[static 64])
{
	const struct sockaddr *sa = c->req->client_address;
	socklen_t len;

	snprintf(out, 64, "unknown");
	if (!sa)
		return;
	len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (getnameinfo(sa, len, out, 64, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(out, 64, "unknown");
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

static void too_many(struct api_ctx *c, unsigned wait)
{
	char v[24];

	snprintf(v, sizeof(v), "%u", wait);
	http_header(c, "Retry-After", v);
	http_error(c, 429, NULL, "too many login attempts, retry in %u s", wait);
}

void api_client_addr(const struct api_ctx *c, char out[static 64])
{
	client_addr(c, out);
}

bool api_login_throttled(struct api_ctx *c, const char *user)
{
	char addr[64], ukey[RATELIMIT_KEY_MAX + 1], akey[80];
	int64_t now = mono_s();
	unsigned wait = 0, wait_a;

	pthread_once(&login_once, login_init);
	client_addr(c, addr);
	snprintf(akey, sizeof(akey), "a:%s", addr);
	if (user) {
		snprintf(ukey, sizeof(ukey), "u:%s", user);
		wait = ratelimit_check(rl_user, ukey, now);
	}
	wait_a = ratelimit_check(rl_addr, akey, now);
	if (wait_a > wait)
		wait = wait_a;
	if (!wait)
		return false;
	log_info("auth: login%s%s%s from %s throttled", user ? " for '" : "", user ? user : "",
		 user ? "'" : "", addr);
	too_many(c, wait);
	return true;
}

void api_login_failed(struct api_ctx *c, const char *user, const char *how, const char *why)
{
	char addr[64], ukey[RATELIMIT_KEY_MAX + 1], akey[80];
	int64_t now = mono_s();

	pthread_once(&login_once, login_init);
	client_addr(c, addr);
	snprintf(akey, sizeof(akey), "a:%s", addr);
	if (user) {
		snprintf(ukey, sizeof(ukey), "u:%s", user);
		ratelimit_fail(rl_user, ukey, now);
	}
	ratelimit_fail(rl_addr, akey, now);
	log_info("auth: login via %s failed for '%s' from %s%s%s", how, user ? user : "", addr,
		 why && *why ? ": " : "", why ? why : "");
	api_audit(c, user ? user : "", "warning", "auth", "login failed via %s from %s%s%s", how,
		  addr, why && *why ? ": " : "", why ? why : "");
}

int api_session_open(struct api_ctx *c, const struct user *u, const char *how,
		     char csrf[static SESSION_TOKEN_LEN + 1], char *ret_sid)
{
	char addr[64], ukey[RATELIMIT_KEY_MAX + 1], sid[SESSION_TOKEN_LEN + 1];
	struct err err = { 0 };
	int r;

	pthread_once(&login_once, login_init);
	client_addr(c, addr);
	snprintf(ukey, sizeof(ukey), "u:%s", u->identifier);
	ratelimit_reset(rl_user, ukey);
	/* a fresh id on every login (no fixation); the old session of this browser ends */
	if (api_session_cookie_present(c))
		(void)session_delete(c->app->store, session_cookie(c), NULL);
	r = session_create(c->app->store, u->identifier, (int64_t)time(NULL), sid, csrf, &err);
	if (r < 0) {
		http_error_err(c, &err, "cannot create session");
		return r;
	}
	set_cookie(c, sid, SESSION_ABSOLUTE_S);
	log_info("auth: '%s' logged in via %s from %s", u->identifier, how, addr);
	api_audit(c, u->identifier, "info", "auth", "logged in via %s from %s", how, addr);
	if (ret_sid)
		memcpy(ret_sid, sid, sizeof(sid));
	explicit_bzero(sid, sizeof(sid));
	return 0;
}

const char *api_session_cookie_value(const struct api_ctx *c)
{
	return session_cookie(c);
}

void api_session_answer(struct api_ctx *c, const struct user *u, const char *csrf)
{
	answer_session(c, u, csrf);
}

void api_auth_login(struct api_ctx *c)
{
	char csrf[SESSION_TOKEN_LEN + 1];
	char *user = NULL, *pass = NULL;
	struct user *u = NULL;
	struct err err = { 0 };
	const char *how = "password";
	bool ok = false;
	int r;

	pthread_once(&login_once, login_init);
	if (login_body(c, &user, &pass) < 0)
		return;
	if (api_login_throttled(c, user))
		goto out;

	r = store_user_get(c->app->store, user, &u, &err);
	if (r < 0 && r != -ENOENT) {
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
	if (!ok && c->app->signin && c->app->cfg->auth.n_ldap) {
		/* directories: the user's linked LDAP providers, or registration (auth.go:359) */
		struct user *lu = NULL;
		err_clear(&err);
		r = signin_ldap_password(c->app, user, pass, &lu, &err);
		if (r == 0 && !lu->disabled && !lu->locked) {
			user_free(u);
			u = lu;
			ok = true;
			how = "ldap";
		} else if (r == 0) {
			user_free(lu);
		} else if (r != -EACCES) {
			/* not the password's fault: say so, and do not count it */
			log_warn("auth: login for '%s': %s", user, err.msg);
			http_error(c, 503, NULL, "the sign-in directory cannot be reached, try again "
				   "later");
			goto out;
		}
	}
	if (!ok) {
		api_login_failed(c, user, "password", NULL);
		http_error(c, 401, NULL, "invalid credentials");
		goto out;
	}
	/* a second factor, when the user has one (or must set one up) */
	if (api_totp_challenge(c, u, how))
		goto out;
	if (api_session_open(c, u, how, csrf, NULL) < 0)
		goto out;
	answer_session(c, u, csrf);
	explicit_bzero(csrf, sizeof(csrf));
out:
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
	char *csrf = NULL, *idp_url = NULL;
	struct user *u = session_user(c, &csrf);

	if (u) {
		if (!method_is_safe(method) && !csrf_ok(c, csrf)) {
			user_free(u);
			auth_secret_free(csrf);
			http_error(c, 403, NULL, "CSRF token missing or invalid");
			return;
		}
		api_audit(c, u->identifier, "info", "auth", "logged out");
		/* a session from an OpenID provider may end the provider's session too */
		idp_url = api_oidc_logout_url(c, session_cookie(c));
	}
	if (api_session_cookie_present(c))
		(void)session_delete(c->app->store, session_cookie(c), NULL);
	user_free(u);
	auth_secret_free(csrf);
	set_cookie(c, "", 0);
	if (idp_url) {
		json_t *o = json_pack("{s:s, s:s}", "Message", "logout ok", "RedirectUrl", idp_url);
		free(idp_url);
		http_json(c, 200, o);
		return;
	}
	http_no_content(c);
}
