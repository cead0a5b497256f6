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
 *
 * The other sign-in methods (auth_oidc.c, auth_passkey.c, auth_totp.c; docs/auth.md) reserve
 * and count their attempts in the same throttles (api_login_reserve) and open their sessions
 * through api_session_open(), so every method ends in the same server-side session and every
 * success and failure is audited. A correct password followed by a second factor does not
 * clear the account's failures: wrong one-time codes keep counting across password logins.
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
#include "core/signin.h"
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
		    !cur->disabled && !cur->locked &&
		    /* only a local password can have changed under a login that checked it */
		    (!u->password_hash || (cur->password_hash &&
					   !strcmp(cur->password_hash, u->password_hash)));

	user_free(cur);
	if (!same)
		(void)session_delete(c->app->store, sid, NULL);
	return same;
}

void api_client_addr(const struct api_ctx *c, char out[static 64])
{
	httpd_addr_format(c->req->client_address, out);
}

#define ACCOUNT_KEY_MAX 257

/* The account throttle's key: the name with ASCII letters folded, since a directory finds
 * "Bob@Example.org" and "bob@example.org" alike (LDAP matching is case-insensitive); folding
 * only makes the budget of local names that differ in case shared, never larger. */
static const char *account_key(const char *user, char key[static ACCOUNT_KEY_MAX])
{
	size_t i;

	if (!user)
		return NULL;
	for (i = 0; user[i] && i < ACCOUNT_KEY_MAX - 1; i++)
		key[i] = (char)((user[i] >= 'A' && user[i] <= 'Z') ? user[i] + 32 : user[i]);
	key[i] = '\0';
	return key;
}

bool api_login_reserve(struct api_ctx *c, const char *user)
{
	char addr[64], group[64], quser[LOG_QUOTE_SIZE(128)], kbuf[ACCOUNT_KEY_MAX];
	const char *key = account_key(user, kbuf);
	unsigned wait = key ? api_throttle_reserve(THROTTLE_LOGIN_USER, key) : 0;

	api_client_group(c, group);
	if (!wait) {
		wait = api_throttle_reserve(THROTTLE_LOGIN_ADDR, group);
		if (wait && key)
			api_throttle_release(THROTTLE_LOGIN_USER, key);
	}
	if (!wait)
		return true;
	httpd_addr_format(c->req->client_address, addr);
	log_info("auth: login%s%s%s from %s throttled", user ? " for '" : "",
		 user ? log_quote(user, quser, sizeof(quser)) : "", user ? "'" : "", addr);
	api_too_many(c, wait, "too many login attempts");
	return false;
}

void api_login_release(struct api_ctx *c, const char *user, bool clear_account)
{
	char group[64], kbuf[ACCOUNT_KEY_MAX];
	const char *key = account_key(user, kbuf);

	api_client_group(c, group);
	if (key && clear_account)
		api_throttle_reset(THROTTLE_LOGIN_USER, key);
	else if (key)
		api_throttle_release(THROTTLE_LOGIN_USER, key);
	api_throttle_release(THROTTLE_LOGIN_ADDR, group);
}

int api_password_verify(struct api_ctx *c, const struct user *u, const char *password,
			unsigned *retry_after)
{
	char kbuf[ACCOUNT_KEY_MAX];
	const char *key = account_key(u->identifier, kbuf);
	bool ok;

	(void)c;
	pthread_once(&login_once, login_init);
	/* the login's account throttle: the attempt counts as a failure until it succeeds */
	*retry_after = api_throttle_reserve(THROTTLE_LOGIN_USER, key);
	if (*retry_after)
		return -EAGAIN;
	while (sem_wait(&hash_slots) != 0)
		;
	ok = u->password_hash && *u->password_hash &&
	     core_password_verify(u->password_hash, password) == 0;
	sem_post(&hash_slots);
	if (!ok)
		return -EACCES;
	api_throttle_release(THROTTLE_LOGIN_USER, key);
	return 0;
}

void api_login_failed(struct api_ctx *c, const char *user, const char *how, const char *why)
{
	char addr[64], quser[LOG_QUOTE_SIZE(128)], qwhy[LOG_QUOTE_SIZE(256)];

	/* the reserved slots stay: this was a failure */
	httpd_addr_format(c->req->client_address, addr);
	log_info("auth: login via %s failed for '%s' from %s%s%s", how,
		 log_quote(user ? user : "", quser, sizeof(quser)), addr, why && *why ? ": " : "",
		 why && *why ? log_quote(why, qwhy, sizeof(qwhy)) : "");
	api_audit(c, user ? user : "", "warning", "auth", "login failed via %s from %s%s%s", how,
		  addr, why && *why ? ": " : "", why ? why : "");
}

int api_session_open(struct api_ctx *c, const struct user *u, const char *how,
		     char csrf[static SESSION_TOKEN_LEN + 1], char *ret_sid)
{
	char addr[64], quser[LOG_QUOTE_SIZE(128)], sid[SESSION_TOKEN_LEN + 1];
	struct err err = { 0 };
	int r;

	httpd_addr_format(c->req->client_address, addr);
	/* a fresh id on every login (no fixation); the old session of this browser ends */
	if (api_session_cookie_present(c))
		(void)session_delete(c->app->store, session_cookie(c), NULL);
	r = session_create(c->app->store, u->identifier, (int64_t)time(NULL), sid, csrf, &err);
	if (r < 0) {
		http_error_err(c, &err, "cannot create session");
		return r;
	}
	if (!session_still_valid(c, u, sid)) {
		explicit_bzero(sid, sizeof(sid));
		http_error(c, 401, NULL, "invalid credentials");
		return -EACCES;
	}
	set_cookie(c, sid, SESSION_ABSOLUTE_S);
	log_info("auth: '%s' logged in via %s from %s",
		 log_quote(u->identifier, quser, sizeof(quser)), how, addr);
	api_audit(c, u->identifier, "info", "auth", "logged in via %s from %s", how, addr);
	core_user_logged_in(c->app, u->identifier);   /* core.create_default_peer_on_login */
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

/* A taken-over wg-portal hash (bcrypt) is replaced by ours at the first login that proves the
 * password; a failure only costs the upgrade (the next login tries again). u takes the new
 * hash, which session_still_valid compares with the stored one. */
static void upgrade_hash(struct api_ctx *c, struct user *u, const char *password)
{
	char q[LOG_QUOTE_SIZE(128)], *hash = NULL;
	struct err err = { 0 };
	int r;

	if (core_password_hash(password, &hash) < 0)
		return;
	r = store_user_rehash(c->app->store, u->identifier, u->password_hash, hash, &err);
	if (r > 0) {
		log_info("auth: password hash of '%s' upgraded from bcrypt to argon2id",
			 log_quote(u->identifier, q, sizeof(q)));
		free(u->password_hash);
		u->password_hash = hash;
		return;
	}
	if (r < 0)
		log_warn("auth: password hash of '%s' not upgraded: %s",
			 log_quote(u->identifier, q, sizeof(q)), err.msg);
	free(hash);
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
	if (!api_login_reserve(c, user))
		goto out;

	r = store_user_get(c->app->store, user, &u, &err);
	if (r < 0 && r != -ENOENT) {
		/* not the password's fault: the attempt does not count */
		api_login_release(c, user, false);
		http_error_err(c, &err, "login failed");
		goto out;
	}
	while (sem_wait(&hash_slots) != 0)
		;
	if (u && u->password_hash && *u->password_hash)
		ok = core_password_verify(u->password_hash, pass) == 0;
	else if (dummy_hash)
		(void)core_password_verify(dummy_hash, pass);
	/* under the same bound as the other hashing */
	if (ok && !u->disabled && !u->locked && core_password_is_legacy(u->password_hash))
		upgrade_hash(c, u, pass);
	sem_post(&hash_slots);
	if (ok && (u->disabled || u->locked))
		ok = false;
	if (!ok && c->app->signin && c->app->cfg->auth.n_ldap) {
		/* directories: the user's linked LDAP providers, or registration
		 * (internal/app/auth/auth.go:359-452) */
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
			char quser[LOG_QUOTE_SIZE(128)];
			log_warn("auth: login for '%s': %s", log_quote(user, quser, sizeof(quser)),
				 err.msg);
			api_login_release(c, user, false);
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
	/* a second factor, when the user has one (or must set one up): this attempt does not
	 * count, but the account's earlier failures stay for the code step */
	if (api_totp_required(c, u)) {
		api_login_release(c, user, false);
		api_totp_challenge(c, u, how);
		goto out;
	}
	api_login_release(c, user, true);
	if (api_session_open(c, u, how, csrf, NULL) < 0)
		goto out;
	answer_session(c, u, csrf);
out:
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
