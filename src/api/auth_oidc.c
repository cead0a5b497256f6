/* SPDX-License-Identifier: MIT */
/*
 * Sign-in through OpenID Connect and OAuth2 providers, on wg-portal's URLs so that client
 * registrations at identity providers keep working unchanged (internal/app/api/v0/handlers/
 * endpoint_authentication.go:112-113, 196-372, 450-518):
 *
 *   GET {base}/api/v0/auth/login/{provider}/init?redirect=<bool>&return=<url>
 *       redirect true: 302 to the provider; else {"RedirectUrl", "State"}.
 *   GET {base}/api/v0/auth/login/{provider}/callback?code=..&state=..
 *       then 302 to `return` with wgLoginState=success|err added (in the fragment's query when
 *       the URL has a fragment, as the UI's hash routes do) and, our addition, wgLoginError
 *       with a short reason; without a return URL the login page of the UI.
 *
 * The round trip's secrets (state, nonce, PKCE verifier) stay on the server (auth/pending.h,
 * 10 minutes, single use) keyed by state. The browser that started the flow must be the one
 * that comes back: /init sets a random binding cookie that /callback must present. It is
 * SameSite=Lax, because the provider sends the browser back from another site and a Strict
 * cookie would not be sent then (docs/auth.md). `return` must be on web.external_url's scheme
 * and host, and under web.base_path when one is set (wg-portal requires base_path + "/app";
 * our UI lives at base_path + "/").
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sodium.h>
#include <ulfius.h>

#include "api/json_model.h"
#include "api/ui.h"
#include "auth/basic.h"
#include "auth/idp_http.h"
#include "auth/oidc.h"
#include "auth/pending.h"
#include "config/config.h"
#include "core/signin.h"
#include "model/user.h"
#include "util/err.h"
#include "util/log.h"

#define ROUND_TRIP_TTL_S 600
#define RETURN_MAX 1024
#define BINDING_COOKIE "wgPortalLoginState"

struct oidc_pending {
	char provider[128];
	struct oidc_round_trip rt;
	char binding[SESSION_HASH_HEX + 1];
	char return_to[RETURN_MAX + 1];
};

struct idp_login {
	char provider[128];
	char id_token[PENDING_VALUE_MAX - 128];
};

static const char *base_path(const struct api_ctx *c)
{
	return c->app->cfg->web.base_path ? c->app->cfg->web.base_path : "";
}

/* strconv.ParseBool; anything else is false, as wg-portal ignores the parse error. */
static bool parse_bool(const char *s)
{
	return !strcmp(s, "1") || !strcmp(s, "t") || !strcmp(s, "T") || !strcmp(s, "true") ||
	       !strcmp(s, "TRUE") || !strcmp(s, "True");
}

/* The "scheme://authority" part of a URL (length), 0 when it has none. */
static size_t origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	if (!p || p == url)
		return 0;
	p += 3;
	return (size_t)(p + strcspn(p, "/?#") - url);
}

/* isValidReturnUrl (endpoint_authentication.go:450-474), with our UI's location. */
static bool return_ok(const struct api_ctx *c, const char *ret)
{
	const char *ext = c->app->cfg->web.external_url, *base = base_path(c), *path;
	size_t ol = origin_len(ret), bl = strlen(base);

	if (strlen(ret) > RETURN_MAX || ol == 0 || ol != origin_len(ext) ||
	    strncasecmp(ret, ext, ol))
		return false;
	/* no user info in the authority, nothing a browser would read differently */
	if (memchr(ret, '@', ol) || strpbrk(ret, "\\\r\n\t "))
		return false;
	path = ret + ol;
	return bl == 0 || (!strncmp(path, base, bl) && (path[bl] == '\0' || strchr("/?#", path[bl])));
}

/* returnUrlWithLoginState (endpoint_authentication.go:484-518): the state (and our reason)
 * go into the fragment's query when there is a fragment, else into the query. */
static char *with_login_state(const struct api_ctx *c, const char *ret, const char *state,
			      const char *why)
{
	char *def = NULL, *out = NULL, *w = NULL;
	const char *url = ret, *hash;
	int n;

	if (!url || !*url) {
		if (asprintf(&def, "%s%s/#/login", c->app->cfg->web.external_url, base_path(c)) < 0)
			return NULL;
		url = def;
	}
	if (why && *why && !(w = form_encode(why))) {
		free(def);
		return NULL;
	}
	hash = strchr(url, '#');
	const char *q = hash ? strchr(hash, '?') : strchr(url, '?');
	n = asprintf(&out, "%s%s%s=%s%s%s", url, q ? "&" : "?", "wgLoginState", state,
		     w ? "&wgLoginError=" : "", w ? w : "");
	free(def);
	free(w);
	return n < 0 ? NULL : out;
}

static void redirect(struct api_ctx *c, const char *url)
{
	http_header(c, "Location", url);
	http_header(c, "Cache-Control", "no-store");
	http_text(c, 302, "Found.\n");
}

static void redirect_state(struct api_ctx *c, const char *ret, const char *state, const char *why)
{
	char *url = with_login_state(c, ret, state, why);

	if (!url) {
		http_json(c, 500, NULL);
		return;
	}
	redirect(c, url);
	free(url);
}

/* The binding cookie goes through ulfius' cookie list, not a Set-Cookie header: the session
 * cookie of the same answer is such a header, and a second one would replace it. */
static void binding_cookie(struct api_ctx *c, const char *value, long max_age)
{
	bool secure = !strncasecmp(c->app->cfg->web.external_url, "https://", 8);
	char path[300];

	snprintf(path, sizeof(path), "%s/api/v0/auth/login/", base_path(c));
	/* Lax: the provider brings the browser back from another site (docs/auth.md) */
	ulfius_add_same_site_cookie_to_response(c->resp, BINDING_COOKIE, value,
						max_age ? NULL : "Thu, 01 Jan 1970 00:00:00 GMT",
						(unsigned)max_age, NULL, path, secure, 1,
						U_COOKIE_SAME_SITE_LAX);
}

static const char *binding_value(const struct api_ctx *c)
{
	const char *v = c->req->map_cookie ? u_map_get(c->req->map_cookie, BINDING_COOKIE) : NULL;

	return v && session_id_is_valid(v) ? v : NULL;
}

/* True when the browser already has a valid session (wg-portal: "already logged in"). */
static bool logged_in(struct api_ctx *c)
{
	char *uid = NULL, *csrf = NULL;
	const char *sid = api_session_cookie_value(c);
	bool yes;

	if (!sid || !*sid)
		return false;
	yes = session_lookup(c->app->store, sid, (int64_t)time(NULL), &uid, &csrf, NULL) == 0;
	free(uid);
	auth_secret_free(csrf);
	return yes;
}

static void login_init(struct api_ctx *c, struct oidc_provider *p)
{
	char *ret = http_query(c, "return"), *rd = http_query(c, "redirect"), *url = NULL;
	char token[SESSION_TOKEN_LEN + 1], why[ERR_MSG_MAX];
	struct oidc_pending st = { 0 };
	struct err err = { 0 };
	bool auto_redirect = rd && parse_bool(rd);
	const char *have = binding_value(c);

	if (!ret || !rd) {
		http_json(c, 500, NULL);
		goto out;
	}
	if (*ret && !return_ok(c, ret)) {
		http_error(c, 400, "return", "invalid return URL");
		goto out;
	}
	if (logged_in(c)) {
		if (auto_redirect && *ret)
			redirect_state(c, ret, "success", NULL);
		else
			http_error(c, 400, NULL, "already logged in");
		goto out;
	}
	if (!oidc_ready(p, why, sizeof(why))) {
		char msg[ERR_MSG_MAX + 64];
		snprintf(msg, sizeof(msg), "sign-in with %s is not available: %s",
			 oidc_display_name(p), why);
		log_warn("auth: login via '%s' refused: %s", oidc_id(p), why);
		if (auto_redirect && *ret)
			redirect_state(c, ret, "err", msg);
		else
			http_error(c, 503, NULL, "%s", msg);
		goto out;
	}
	if (oidc_begin(p, &st.rt, &url, &err) < 0) {
		http_error_err(c, &err, "cannot start the login");
		goto out;
	}
	/* one binding per browser, reused by parallel logins in other tabs */
	if (have)
		snprintf(token, sizeof(token), "%s", have);
	else
		session_random_token(token);
	session_hash(token, st.binding);
	snprintf(st.provider, sizeof(st.provider), "%s", oidc_id(p));
	snprintf(st.return_to, sizeof(st.return_to), "%s", ret);
	char key[8 + OIDC_STATE_LEN + 1];
	snprintf(key, sizeof(key), "oidc:%s", st.rt.state);
	if (pending_put(c->app->signin->rounds, key, &st, sizeof(st), (int64_t)time(NULL),
			ROUND_TRIP_TTL_S) < 0) {
		http_json(c, 500, NULL);
		goto out;
	}
	binding_cookie(c, token, ROUND_TRIP_TTL_S);
	http_header(c, "Cache-Control", "no-store");
	if (auto_redirect) {
		redirect(c, url);
	} else {
		json_t *o = json_pack("{s:s, s:s}", "RedirectUrl", url, "State", st.rt.state);
		http_json(c, 200, o);
	}
out:
	explicit_bzero(&st, sizeof(st));
	explicit_bzero(token, sizeof(token));
	free(url);
	free(ret);
	free(rd);
}

/* Remembers which provider (and ID token) a session came from, for the IdP logout. */
static void remember_idp(struct api_ctx *c, const char *sid, const char *provider,
			 const char *id_token)
{
	struct idp_login l = { 0 };
	char key[8 + SESSION_TOKEN_LEN + 1];

	snprintf(l.provider, sizeof(l.provider), "%s", provider);
	if (id_token && strlen(id_token) < sizeof(l.id_token))
		memcpy(l.id_token, id_token, strlen(id_token));
	snprintf(key, sizeof(key), "idp:%s", sid);
	(void)pending_put(c->app->signin->idp_logins, key, &l, sizeof(l), (int64_t)time(NULL),
			  SESSION_ABSOLUTE_S);
	explicit_bzero(&l, sizeof(l));
	explicit_bzero(key, sizeof(key));
}

static void login_callback(struct api_ctx *c, struct oidc_provider *p)
{
	char *state = http_query(c, "state"), *code = http_query(c, "code");
	char *idp_err = http_query(c, "error"), *idp_desc = http_query(c, "error_description");
	char *iss = http_query(c, "iss");
	char key[8 + OIDC_STATE_LEN + 1], bind[SESSION_HASH_HEX + 1] = "", how[160];
	char csrf[SESSION_TOKEN_LEN + 1], sid[SESSION_TOKEN_LEN + 1];
	const char *browser = binding_value(c);
	struct oidc_pending st = { 0 };
	struct ext_user info = { 0 };
	struct user *u = NULL;
	struct err err = { 0 };
	char *id_token = NULL;
	bool have = false;
	int r;

	snprintf(how, sizeof(how), "%s %s", oidc_kind(p) == OIDC_KIND_OIDC ? "oidc" : "oauth",
		 oidc_id(p));
	if (!state || !code || !idp_err || !idp_desc || !iss) {
		http_json(c, 500, NULL);
		goto out;
	}
	if (!api_login_reserve(c, NULL))
		goto out;
	if (strlen(state) <= OIDC_STATE_LEN) {
		snprintf(key, sizeof(key), "oidc:%s", state);
		have = pending_take(c->app->signin->rounds, key, (int64_t)time(NULL), &st,
				    sizeof(st), NULL) == 0;
	}
	if (browser)
		session_hash(browser, bind);
	if (!have) {
		api_login_failed(c, NULL, how, "invalid oauth state");
		redirect_state(c, NULL, "err", "the login took too long or was started elsewhere, "
			       "please try again");
		goto out;
	}
	binding_cookie(c, "", 0);
	if (!browser || sodium_memcmp(bind, st.binding, SESSION_HASH_HEX) != 0 ||
	    strcmp(st.provider, oidc_id(p))) {
		api_login_failed(c, NULL, how, "login state of another browser or provider");
		redirect_state(c, st.return_to, "err", "the login was started in another browser, "
			       "please try again");
		goto out;
	}
	if (!oidc_iss_matches(p, iss)) {
		api_login_failed(c, NULL, how, "authorization response from another issuer (iss)");
		redirect_state(c, st.return_to, "err", "the answer came from another provider");
		goto out;
	}
	if (*idp_err) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s refused the login: %.64s%s%.120s", oidc_display_name(p),
			 idp_err, *idp_desc ? " - " : "", idp_desc);
		api_login_failed(c, NULL, how, msg);
		redirect_state(c, st.return_to, "err", msg);
		goto out;
	}
	r = oidc_finish(p, &st.rt, code, &info, &id_token, &err);
	if (r == 0) {
		r = signin_external_user(c->app, &info, SIGNIN_SOURCE_OAUTH, oidc_provider_name(p),
					 oidc_registration_enabled(p), &u, &err);
		if (r == 0 && (u->disabled || u->locked))
			r = err_set(&err, -EACCES, "user is locked");
	}
	if (r == -EHOSTUNREACH || r == -ETIMEDOUT) {
		/* not the client's fault: the attempt does not count */
		api_login_release(c, NULL, false);
		log_warn("auth: login via %s: %s", how, err.msg);
		redirect_state(c, st.return_to, "err", "the sign-in provider cannot be reached, "
			       "try again later");
		goto out;
	}
	if (r < 0) {
		api_login_failed(c, info.identifier, how, err.msg);
		redirect_state(c, st.return_to, "err", err.msg);
		goto out;
	}
	api_login_release(c, u->identifier, true);
	if (api_session_open(c, u, how, csrf, sid) < 0)
		goto out;
	remember_idp(c, sid, oidc_id(p), id_token);
	redirect_state(c, st.return_to, "success", NULL);
out:
	explicit_bzero(&st, sizeof(st));
	explicit_bzero(csrf, sizeof(csrf));
	explicit_bzero(sid, sizeof(sid));
	ext_user_release(&info);
	user_free(u);
	if (id_token) {
		explicit_bzero(id_token, strlen(id_token));
		free(id_token);
	}
	if (code)
		explicit_bzero(code, strlen(code));
	free(code);
	free(state);
	free(idp_err);
	free(idp_desc);
	free(iss);
}

void api_v0_dispatch(struct api_ctx *c, const char *method, const char *rest)
{
	static const char prefix[] = "/auth/login/";
	const char *name = rest + sizeof(prefix) - 1, *slash;
	char id[128];
	struct oidc_provider *p;

	if (strncmp(rest, prefix, sizeof(prefix) - 1) || !(slash = strchr(name, '/')) ||
	    slash == name || (size_t)(slash - name) >= sizeof(id) ||
	    (strcmp(slash, "/init") && strcmp(slash, "/callback"))) {
		http_text(c, 404, "404 page not found");
		return;
	}
	if (strcmp(method, "GET")) {
		http_header(c, "Allow", "GET");
		http_text(c, 405, "405 method not allowed");
		return;
	}
	memcpy(id, name, (size_t)(slash - name));
	id[slash - name] = '\0';
	p = c->app->signin ? oidc_set_find(c->app->signin->idps, id) : NULL;
	if (!p) {
		http_error(c, 404, NULL, "missing oauth provider %.64s", id);
		return;
	}
	if (!strcmp(slash, "/init"))
		login_init(c, p);
	else
		login_callback(c, p);
}

void api_v0_route(struct api_ctx *c)
{
	api_v0_dispatch(c, c->req->http_verb ? c->req->http_verb : "", c->id ? c->id : "");
}

json_t *api_oidc_providers_json(struct api_ctx *c)
{
	struct oidc_set *set = c->app->signin ? c->app->signin->idps : NULL;
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < oidc_set_count(set); i++) {
		struct oidc_provider *p = oidc_set_at(set, i);
		char init[256], cb[256];

		snprintf(init, sizeof(init), "/auth/login/%s/init", oidc_id(p));
		snprintf(cb, sizeof(cb), "/auth/login/%s/callback", oidc_id(p));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "Identifier", oidc_id(p),
						     "Name", oidc_display_name(p), "ProviderUrl",
						     init, "CallbackUrl", cb));
	}
	return arr;
}

void api_auth_providers(struct api_ctx *c)
{
	http_json(c, 200, api_oidc_providers_json(c));
}

char *api_oidc_logout_url(struct api_ctx *c, const char *session_id)
{
	struct idp_login l;
	struct oidc_provider *p;
	char key[8 + SESSION_TOKEN_LEN + 1], *post = NULL, *url = NULL;

	if (!c->app->signin || !session_id || !session_id_is_valid(session_id))
		return NULL;
	snprintf(key, sizeof(key), "idp:%s", session_id);
	if (pending_take(c->app->signin->idp_logins, key, (int64_t)time(NULL), &l, sizeof(l),
			 NULL) < 0)
		return NULL;
	p = oidc_set_find(c->app->signin->idps, l.provider);
	/* the UI's root, without a fragment: providers refuse post-logout URIs with one
	 * (oidc-provider: "post_logout_redirect_uris must not contain fragments"); wg-portal
	 * sends "<ui>/#/login" (endpoint_authentication.go:435) */
	if (p && asprintf(&post, "%s%s/", c->app->cfg->web.external_url, base_path(c)) >= 0)
		url = oidc_logout_url(p, l.id_token, post);
	free(post);
	explicit_bzero(&l, sizeof(l));
	return url;
}
