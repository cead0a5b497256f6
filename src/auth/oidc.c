/* SPDX-License-Identifier: MIT */
/*
 * OpenID Connect / OAuth2 relying party (auth/oidc.h). wg-portal's counterparts:
 * internal/app/auth/auth_oidc.go (discovery, verifier, userinfo merge), auth_oauth.go (plain
 * OAuth2 with user_info_url), internal/app/auth/auth.go:458-618 (the two login steps).
 */
#include "auth/oidc.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/claims.h"
#include "auth/idp_http.h"
#include "auth/jwt.h"
#include "config/config.h"
#include "util/err.h"
#include "util/log.h"

#define RETRY_ON_DEMAND_S 5      /* a login may trigger a new set-up attempt this often */
#define JWKS_REFRESH_MIN_S 10    /* an unknown kid refetches the JWKS at most this often */

enum auth_style { STYLE_UNKNOWN, STYLE_HEADER, STYLE_PARAMS };

struct oidc_provider {
	const struct cfg_auth_provider *cfg;
	enum oidc_kind kind;
	char *id, *redirect_uri;
	struct claim_rules rules;
	pthread_mutex_t mu;
	/* set-up state (under mu) */
	bool ready, permanent_failure;
	char why[ERR_MSG_MAX];
	int64_t last_attempt;
	/* endpoints: written once before ready is set, read-only afterwards */
	char *issuer, *auth_ep, *token_ep, *userinfo_ep, *end_session_ep, *jwks_uri;
	unsigned algs;
	bool post_only;          /* the token endpoint takes client_secret_post only */
	/* under mu */
	struct jwks *jwks;
	int64_t jwks_fetched;
	enum auth_style style;
};

struct oidc_set {
	struct oidc_provider **v;
	size_t n;
};

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static void reset_endpoints(struct oidc_provider *p)
{
	free(p->issuer);
	free(p->auth_ep);
	free(p->token_ep);
	free(p->userinfo_ep);
	free(p->end_session_ep);
	free(p->jwks_uri);
	p->issuer = p->auth_ep = p->token_ep = p->userinfo_ep = NULL;
	p->end_session_ep = p->jwks_uri = NULL;
}

static void provider_free(struct oidc_provider *p)
{
	if (!p)
		return;
	claim_rules_release(&p->rules);
	pthread_mutex_destroy(&p->mu);
	jwks_free(p->jwks);
	free(p->id);
	free(p->redirect_uri);
	reset_endpoints(p);
	free(p);
}

struct oidc_set *oidc_set_free(struct oidc_set *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		provider_free(s->v[i]);
	free(s->v);
	free(s);
	return NULL;
}

static int add_provider(struct oidc_set *s, const struct cfg_auth_provider *c, enum oidc_kind k,
			const char *callback_prefix, struct err *err)
{
	struct oidc_provider *p, **nv;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return err_set(err, -ENOMEM, "out of memory");
	p->cfg = c;
	p->kind = k;
	pthread_mutex_init(&p->mu, NULL);
	p->id = strdup(c->provider_name);
	if (!p->id) {
		provider_free(p);
		return err_set(err, -ENOMEM, "out of memory");
	}
	for (char *ch = p->id; *ch; ch++)
		*ch = (char)tolower((unsigned char)*ch);
	if (oidc_set_find(s, p->id)) {
		log_err("auth: %s provider '%s' is already registered, skipping this one",
			k == OIDC_KIND_OIDC ? "OIDC" : "OAuth", p->id);
		provider_free(p);
		return 0;
	}
	if (asprintf(&p->redirect_uri, "%s%s/callback", callback_prefix, p->id) < 0) {
		p->redirect_uri = NULL;
		provider_free(p);
		return err_set(err, -ENOMEM, "out of memory");
	}
	if ((r = claim_rules_init(&p->rules, c, err)) < 0) {
		provider_free(p);
		return r;
	}
	if (!*p->id || !*c->client_id) {
		p->permanent_failure = true;
		snprintf(p->why, sizeof(p->why), "provider_name and client_id are required");
	} else if (c->use_pkce && strcmp(c->pkce_method, "S256") && strcmp(c->pkce_method, "plain")) {
		/* auth_oidc.go:77: the provider never comes up with another method */
		p->permanent_failure = true;
		snprintf(p->why, sizeof(p->why), "unsupported PKCE method \"%.32s\", allowed: S256, "
			 "plain", c->pkce_method);
	} else if (k == OIDC_KIND_OAUTH) {
		if (!*c->auth_url || !*c->token_url || !*c->user_info_url) {
			p->permanent_failure = true;
			snprintf(p->why, sizeof(p->why),
				 "auth_url, token_url and user_info_url are required");
		} else {
			p->auth_ep = strdup(c->auth_url);
			p->token_ep = strdup(c->token_url);
			p->userinfo_ep = strdup(c->user_info_url);
			p->ready = p->auth_ep && p->token_ep && p->userinfo_ep;
		}
	} else if (!*c->base_url) {
		p->permanent_failure = true;
		snprintf(p->why, sizeof(p->why), "base_url is required");
	}
	nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	if (!nv) {
		provider_free(p);
		return err_set(err, -ENOMEM, "out of memory");
	}
	s->v = nv;
	s->v[s->n++] = p;
	return 0;
}

int oidc_set_new(const struct cfg *cfg, const char *callback_prefix, struct oidc_set **ret,
		 struct err *err)
{
	struct oidc_set *s = calloc(1, sizeof(*s));
	int r = 0;

	if (!s)
		return err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < cfg->auth.n_oidc; i++)
		r = add_provider(s, &cfg->auth.oidc[i], OIDC_KIND_OIDC, callback_prefix, err);
	for (size_t i = 0; r == 0 && i < cfg->auth.n_oauth; i++)
		r = add_provider(s, &cfg->auth.oauth[i], OIDC_KIND_OAUTH, callback_prefix, err);
	if (r < 0) {
		oidc_set_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

size_t oidc_set_count(const struct oidc_set *s)
{
	return s ? s->n : 0;
}

struct oidc_provider *oidc_set_at(struct oidc_set *s, size_t i)
{
	return s && i < s->n ? s->v[i] : NULL;
}

struct oidc_provider *oidc_set_find(struct oidc_set *s, const char *id)
{
	for (size_t i = 0; s && id && i < s->n; i++)
		if (!strcmp(s->v[i]->id, id))
			return s->v[i];
	return NULL;
}

const char *oidc_id(const struct oidc_provider *p)
{
	return p->id;
}

const char *oidc_display_name(const struct oidc_provider *p)
{
	return *p->cfg->display_name ? p->cfg->display_name : p->cfg->provider_name;
}

const char *oidc_provider_name(const struct oidc_provider *p)
{
	return p->cfg->provider_name;
}

enum oidc_kind oidc_kind(const struct oidc_provider *p)
{
	return p->kind;
}

bool oidc_registration_enabled(const struct oidc_provider *p)
{
	return p->cfg->registration_enabled;
}

static char *dup_member(json_t *o, const char *name)
{
	const char *v = json_string_value(json_object_get(o, name));

	return v && *v ? strdup(v) : NULL;
}

/* Strips one trailing '/' for comparison of issuer URLs. */
static bool same_issuer(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la && a[la - 1] == '/')
		la--;
	if (lb && b[lb - 1] == '/')
		lb--;
	return la == lb && !strncmp(a, b, la);
}

static unsigned algs_of(json_t *doc)
{
	json_t *v = json_object_get(doc, "id_token_signing_alg_values_supported"), *e;
	unsigned algs = 0;
	size_t i;

	json_array_foreach(v, i, e) {
		enum sig_alg a = sig_alg_from_jose(json_string_value(e));
		if (a != SIG_ALG_INVALID)
			algs |= 1u << a;
	}
	return algs ? algs : 1u << SIG_RS256;
}

static bool only_post(json_t *doc)
{
	json_t *v = json_object_get(doc, "token_endpoint_auth_methods_supported"), *e;
	bool basic = false, post = false;
	size_t i;

	if (!json_is_array(v))
		return false; /* the default is client_secret_basic (Discovery 1.0, 3) */
	json_array_foreach(v, i, e) {
		const char *m = json_string_value(e);
		basic |= m && !strcmp(m, "client_secret_basic");
		post |= m && !strcmp(m, "client_secret_post");
	}
	return post && !basic;
}

static int fetch_jwks(const char *uri, struct jwks **ret, struct err *err)
{
	struct idp_reply rep;
	char *text;
	int r;

	if ((r = idp_get(uri, NULL, &rep, err)) < 0)
		return err_prefix(err, "JWKS");
	if (rep.status != 200 || !rep.json) {
		idp_reply_release(&rep);
		return err_set(err, -EPROTO, "JWKS %s answered HTTP %ld", uri, rep.status);
	}
	text = json_dumps(rep.json, JSON_COMPACT);
	idp_reply_release(&rep);
	if (!text)
		return err_set(err, -ENOMEM, "out of memory");
	r = jwks_parse(text, strlen(text), ret, err);
	free(text);
	return r;
}

/* Discovery and JWKS of an OpenID provider (go-oidc NewProvider + remote key set). */
static int discover(struct oidc_provider *p, struct err *err)
{
	const char *base = p->cfg->base_url;
	size_t bl = strlen(base);
	struct idp_reply rep;
	struct jwks *ks = NULL;
	char *url = NULL;
	int r;

	if (asprintf(&url, "%.*s/.well-known/openid-configuration",
		     (int)(bl && base[bl - 1] == '/' ? bl - 1 : bl), base) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	r = idp_get(url, NULL, &rep, err);
	if (r < 0) {
		err_prefix(err, "discovery at %s", url);
		free(url);
		return r;
	}
	if (rep.status != 200 || !rep.json) {
		r = err_set(err, -EPROTO, "discovery at %s answered HTTP %ld%s", url, rep.status,
			    rep.json ? "" : " without a JSON document");
		goto out;
	}
	const char *iss = json_string_value(json_object_get(rep.json, "issuer"));
	if (!iss || !same_issuer(iss, base)) {
		r = err_set(err, -EPROTO, "issuer did not match the issuer returned by provider, "
			    "expected \"%s\" got \"%.200s\"", base, iss ? iss : "");
		goto out;
	}
	p->issuer = strdup(iss);
	p->auth_ep = dup_member(rep.json, "authorization_endpoint");
	p->token_ep = dup_member(rep.json, "token_endpoint");
	p->userinfo_ep = dup_member(rep.json, "userinfo_endpoint");
	p->end_session_ep = dup_member(rep.json, "end_session_endpoint");
	p->jwks_uri = dup_member(rep.json, "jwks_uri");
	p->algs = algs_of(rep.json);
	p->post_only = only_post(rep.json);
	if (!p->issuer || !p->auth_ep || !p->token_ep || !p->jwks_uri) {
		r = err_set(err, -EPROTO, "discovery document lacks authorization_endpoint, "
			    "token_endpoint or jwks_uri");
		goto out;
	}
	if ((r = fetch_jwks(p->jwks_uri, &ks, err)) < 0)
		goto out;
	pthread_mutex_lock(&p->mu);
	jwks_free(p->jwks);
	p->jwks = ks;
	p->jwks_fetched = mono_s();
	pthread_mutex_unlock(&p->mu);
out:
	idp_reply_release(&rep);
	free(url);
	return r;
}

/* One set-up attempt; the caller holds no lock. Only one thread attempts at a time. */
static void setup_one(struct oidc_provider *p)
{
	struct err err = { 0 };
	bool attempt;

	pthread_mutex_lock(&p->mu);
	attempt = !p->ready && !p->permanent_failure && p->last_attempt != -1;
	if (attempt)
		p->last_attempt = -1;   /* "in progress" */
	pthread_mutex_unlock(&p->mu);
	if (!attempt)
		return;
	int r = discover(p, &err);
	if (r < 0)
		reset_endpoints(p);
	pthread_mutex_lock(&p->mu);
	p->last_attempt = mono_s();
	if (r == 0) {
		p->ready = true;
		p->why[0] = '\0';
	} else {
		snprintf(p->why, sizeof(p->why), "%s", err.msg);
	}
	pthread_mutex_unlock(&p->mu);
	if (r == 0)
		log_info("auth: OIDC provider '%s' is ready (%s)", p->id, p->issuer);
	else
		log_warn("auth: failed to set up oidc authentication provider '%s': %s; retrying in "
			 "%d s", p->id, err.msg, OIDC_SETUP_RETRY_S);
}

size_t oidc_set_setup(struct oidc_set *s)
{
	size_t not_ready = 0;

	for (size_t i = 0; s && i < s->n; i++) {
		struct oidc_provider *p = s->v[i];
		setup_one(p);
		pthread_mutex_lock(&p->mu);
		if (!p->ready && !p->permanent_failure)
			not_ready++;
		if (p->permanent_failure && p->last_attempt == 0) {
			log_err("auth: provider '%s' cannot be used: %s", p->id, p->why);
			p->last_attempt = mono_s();
		}
		pthread_mutex_unlock(&p->mu);
	}
	return not_ready;
}

bool oidc_ready(struct oidc_provider *p, char *why, size_t why_len)
{
	bool ready, retry;

	pthread_mutex_lock(&p->mu);
	retry = !p->ready && !p->permanent_failure && p->last_attempt >= 0 &&
		mono_s() - p->last_attempt >= RETRY_ON_DEMAND_S;
	pthread_mutex_unlock(&p->mu);
	if (retry)
		setup_one(p);
	pthread_mutex_lock(&p->mu);
	ready = p->ready;
	if (!ready && why)
		snprintf(why, why_len, "%s", *p->why ? p->why : "not set up yet");
	pthread_mutex_unlock(&p->mu);
	return ready;
}

bool oidc_iss_matches(struct oidc_provider *p, const char *iss)
{
	bool ok;

	if (!iss || !*iss || p->kind != OIDC_KIND_OIDC)
		return true;
	pthread_mutex_lock(&p->mu);
	ok = p->ready && p->issuer && !strcmp(iss, p->issuer);
	pthread_mutex_unlock(&p->mu);
	return ok;
}

static void random_token(char out[OIDC_STATE_LEN + 1])
{
	uint8_t raw[32];
	char *s;

	randombytes_buf(raw, sizeof(raw));
	s = b64url_encode(raw, sizeof(raw));
	snprintf(out, OIDC_STATE_LEN + 1, "%s", s ? s : "");
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
	sodium_memzero(raw, sizeof(raw));
}

int oidc_begin(struct oidc_provider *p, struct oidc_round_trip *rt, char **ret_url,
	       struct err *err)
{
	const struct cfg_auth_provider *c = p->cfg;
	char *q = NULL, *scope = NULL, *url = NULL, challenge[OIDC_STATE_LEN + 1] = "";
	const struct strv *extra = p->kind == OIDC_KIND_OIDC ? &c->extra_scopes : &c->scopes;
	int r = 0;

	memset(rt, 0, sizeof(*rt));
	random_token(rt->state);
	if (p->kind == OIDC_KIND_OIDC)
		random_token(rt->nonce);
	if (c->use_pkce) {
		random_token(rt->verifier);
		if (!strcmp(c->pkce_method, "plain")) {
			memcpy(challenge, rt->verifier, sizeof(challenge));
		} else {
			uint8_t h[32];
			crypto_hash_sha256(h, (const unsigned char *)rt->verifier,
					   strlen(rt->verifier));
			char *e = b64url_encode(h, sizeof(h));
			snprintf(challenge, sizeof(challenge), "%s", e ? e : "");
			free(e);
		}
	}
	/* scope: "openid" then extra_scopes (OIDC), or scopes (OAuth2, left out when empty) */
	if (p->kind == OIDC_KIND_OIDC && !(scope = strdup("openid")))
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < extra->n; i++) {
		char *n = NULL;
		if (asprintf(&n, "%s%s%s", scope ? scope : "", scope ? " " : "", extra->v[i]) < 0)
			r = -ENOMEM;
		free(scope);
		scope = r ? NULL : n;
	}
	/* parameters in golang.org/x/oauth2's order (url.Values.Encode sorts by key) */
	if (r == 0 && *challenge)
		r = form_append(&q, "code_challenge", challenge);
	if (r == 0 && *challenge)
		r = form_append(&q, "code_challenge_method", c->pkce_method);
	if (r == 0)
		r = form_append(&q, "client_id", c->client_id);
	if (r == 0 && *rt->nonce)
		r = form_append(&q, "nonce", rt->nonce);
	if (r == 0)
		r = form_append(&q, "redirect_uri", p->redirect_uri);
	if (r == 0)
		r = form_append(&q, "response_type", "code");
	if (r == 0 && scope)
		r = form_append(&q, "scope", scope);
	if (r == 0)
		r = form_append(&q, "state", rt->state);
	if (r == 0 && asprintf(&url, "%s%c%s", p->auth_ep, strchr(p->auth_ep, '?') ? '&' : '?',
			       q) < 0)
		r = -ENOMEM;
	free(q);
	free(scope);
	if (r < 0)
		return err_set(err, -ENOMEM, "out of memory");
	*ret_url = url;
	return 0;
}

/* The token endpoint's refusal as text: "error (error_description)". */
static void token_error(const struct idp_reply *rep, char *out, size_t n)
{
	const char *e = json_string_value(json_object_get(rep->json, "error"));
	const char *d = json_string_value(json_object_get(rep->json, "error_description"));

	snprintf(out, n, "%.64s%s%.160s%s", e ? e : "no error code", d ? " (" : "", d ? d : "",
		 d ? ")" : "");
}

static int token_request(struct oidc_provider *p, const struct oidc_round_trip *rt,
			 const char *code, enum auth_style style, struct idp_reply *rep,
			 struct err *err)
{
	const struct cfg_auth_provider *c = p->cfg;
	char *form = NULL;
	int r;

	r = form_append(&form, "code", code);
	if (r == 0 && *rt->verifier)
		r = form_append(&form, "code_verifier", rt->verifier);
	if (r == 0)
		r = form_append(&form, "grant_type", "authorization_code");
	if (r == 0)
		r = form_append(&form, "redirect_uri", p->redirect_uri);
	if (r == 0 && style == STYLE_PARAMS) {
		r = form_append(&form, "client_id", c->client_id);
		if (r == 0 && *c->client_secret)
			r = form_append(&form, "client_secret", c->client_secret);
	}
	if (r < 0) {
		free(form);
		return err_set(err, -ENOMEM, "out of memory");
	}
	r = idp_post_form(p->token_ep, form, style == STYLE_HEADER ? c->client_id : NULL,
			  c->client_secret, rep, err);
	explicit_bzero(form, strlen(form));
	free(form);
	if (r < 0)
		err_prefix(err, "token endpoint");
	return r;
}

static bool client_auth_refused(const struct idp_reply *rep)
{
	const char *e = json_string_value(json_object_get(rep->json, "error"));

	return rep->status == 401 || (e && (!strcmp(e, "invalid_client") ||
					    !strcmp(e, "unauthorized_client")));
}

/* Code -> token response (AuthStyleAutoDetect: Basic first, then the body). */
static int exchange(struct oidc_provider *p, const struct oidc_round_trip *rt, const char *code,
		    struct idp_reply *rep, struct err *err)
{
	enum auth_style style;
	char why[256];
	int r;

	pthread_mutex_lock(&p->mu);
	style = p->style != STYLE_UNKNOWN ? p->style : p->post_only ? STYLE_PARAMS : STYLE_UNKNOWN;
	pthread_mutex_unlock(&p->mu);
	r = token_request(p, rt, code, style == STYLE_UNKNOWN ? STYLE_HEADER : style, rep, err);
	if (r == 0 && style == STYLE_UNKNOWN && rep->status != 200 && client_auth_refused(rep)) {
		idp_reply_release(rep);
		style = STYLE_PARAMS;
		r = token_request(p, rt, code, style, rep, err);
	} else if (style == STYLE_UNKNOWN) {
		style = STYLE_HEADER;
	}
	if (r < 0)
		return r;
	if (rep->status != 200 || !rep->json ||
	    !json_is_string(json_object_get(rep->json, "access_token"))) {
		token_error(rep, why, sizeof(why));
		r = err_set(err, -EACCES, "the provider refused the authorization code: HTTP %ld, %s",
			    rep->status, why);
		if (p->cfg->log_sensitive_info)
			log_debug("auth: provider '%s': token endpoint answered HTTP %ld: %s", p->id,
				  rep->status, why);
		idp_reply_release(rep);
		return r;
	}
	pthread_mutex_lock(&p->mu);
	p->style = style;
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* ID token verification with the cached JWKS, refetched once for an unknown kid. */
static int verify_id_token(struct oidc_provider *p, const char *token, const char *nonce,
			   json_t **claims, struct err *err)
{
	struct jwt_expect w = { p->issuer, p->cfg->client_id, nonce, (int64_t)time(NULL),
				p->algs };
	struct jwks *fresh = NULL;
	bool refetch;
	int r;

	pthread_mutex_lock(&p->mu);
	r = jwt_verify(token, p->jwks, &w, claims, err);
	refetch = r == -ENOKEY && mono_s() - p->jwks_fetched >= JWKS_REFRESH_MIN_S;
	pthread_mutex_unlock(&p->mu);
	if (!refetch)
		return r == -ENOKEY ? -EACCES : r;
	err_clear(err);
	if ((r = fetch_jwks(p->jwks_uri, &fresh, err)) < 0)
		return r;
	pthread_mutex_lock(&p->mu);
	jwks_free(p->jwks);
	p->jwks = fresh;
	p->jwks_fetched = mono_s();
	r = jwt_verify(token, p->jwks, &w, claims, err);
	pthread_mutex_unlock(&p->mu);
	return r == -ENOKEY ? -EACCES : r;
}

/* log_sensitive_info (auth_oidc.go:197-200 logs the token itself): the decoded header and
 * claims of a refused ID token at debug level. The signature is left out: a token with its
 * signature is a credential and never reaches a log. */
static void log_refused_token(const struct oidc_provider *p, const char *token, const char *why)
{
	const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	uint8_t *h = NULL, *c = NULL;
	size_t hl = 0, cl = 0;

	if (!p->cfg->log_sensitive_info || !d2 ||
	    b64url_decode(token, (size_t)(d1 - token), &h, &hl) < 0 ||
	    b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &c, &cl) < 0) {
		free(h);
		return;
	}
	log_debug("auth: OIDC provider '%s': ID token refused (%s): header %.*s, claims %.*s",
		  p->id, why, (int)(hl > 512 ? 512 : hl), (const char *)h,
		  (int)(cl > 2048 ? 2048 : cl), (const char *)c);
	free(h);
	free(c);
}

/* OpenID: ID token claims, completed by userinfo (auth_oidc.go:184-264). */
static int oidc_claims(struct oidc_provider *p, const struct oidc_round_trip *rt,
		       json_t *tokens, json_t **ret, char **ret_id_token, struct err *err)
{
	const char *id_token = json_string_value(json_object_get(tokens, "id_token"));
	const char *access = json_string_value(json_object_get(tokens, "access_token"));
	json_t *claims = NULL;
	struct idp_reply rep;
	struct err uerr = { 0 };
	int r;

	if (!id_token)
		return err_set(err, -EPROTO, "token does not contain id_token");
	if ((r = verify_id_token(p, id_token, rt->nonce, &claims, err)) < 0) {
		log_refused_token(p, id_token, err->msg);
		return r;
	}
	if (p->userinfo_ep && idp_get(p->userinfo_ep, access, &rep, &uerr) == 0) {
		const char *sub = json_string_value(json_object_get(claims, "sub"));
		const char *usub = json_string_value(json_object_get(rep.json, "sub"));
		const char *k;
		json_t *v;

		/* Core 5.3.2: a userinfo answer about another subject must not be used */
		if (rep.status == 200 && rep.json && sub && usub && !strcmp(sub, usub)) {
			json_object_foreach(rep.json, k, v) {
				if (!json_object_get(claims, k))
					json_object_set(claims, k, v);
			}
		}
		idp_reply_release(&rep);
	}
	if (p->cfg->log_user_info) {
		char *dump = json_dumps(claims, JSON_COMPACT);
		log_debug("auth: OIDC provider '%s' user info: %s", p->id, dump ? dump : "");
		free(dump);
	}
	*ret = claims;
	*ret_id_token = strdup(id_token);
	return 0;
}

static int oauth_claims(struct oidc_provider *p, json_t *tokens, json_t **ret, struct err *err)
{
	const char *access = json_string_value(json_object_get(tokens, "access_token"));
	struct idp_reply rep;
	int r;

	if ((r = idp_get(p->userinfo_ep, access, &rep, err)) < 0)
		return err_prefix(err, "user info");
	if (rep.status != 200 || !rep.json) {
		r = err_set(err, -EPROTO, "failed to get user info: HTTP %ld%s", rep.status,
			    rep.json ? "" : " without a JSON object");
		idp_reply_release(&rep);
		return r;
	}
	if (p->cfg->log_user_info) {
		char *dump = json_dumps(rep.json, JSON_COMPACT);
		log_debug("auth: OAuth provider '%s' user info: %s", p->id, dump ? dump : "");
		free(dump);
	}
	*ret = rep.json;
	return 0;
}

int oidc_finish(struct oidc_provider *p, const struct oidc_round_trip *rt, const char *code,
		struct ext_user *ret, char **ret_id_token, struct err *err)
{
	struct idp_reply tok = { 0 };
	json_t *claims = NULL;
	char *id_token = NULL;
	int r;

	*ret_id_token = NULL;
	if (!code || !*code || strlen(code) > 4096)
		return err_set(err, -EACCES, "the provider sent no authorization code");
	if ((r = exchange(p, rt, code, &tok, err)) < 0)
		return r;
	if (p->kind == OIDC_KIND_OIDC)
		r = oidc_claims(p, rt, tok.json, &claims, &id_token, err);
	else
		r = oauth_claims(p, tok.json, &claims, err);
	idp_reply_release(&tok);
	if (r < 0)
		goto out;
	if ((r = claims_to_user(&p->rules, claims, ret, err)) < 0)
		goto out;
	if ((r = claims_allowed(&p->rules, ret, err)) < 0) {
		ext_user_release(ret);
		goto out;
	}
	*ret_id_token = id_token;
	id_token = NULL;
out:
	json_decref(claims);
	free(id_token);
	return r;
}

char *oidc_logout_url(const struct oidc_provider *p, const char *id_token_hint,
		      const char *post_logout_redirect)
{
	char *q = NULL, *url = NULL;
	int r = 0;

	if (p->kind != OIDC_KIND_OIDC || !p->cfg->logout_idp_session || !p->end_session_ep)
		return NULL;
	if (id_token_hint && *id_token_hint)
		r = form_append(&q, "id_token_hint", id_token_hint);
	if (r == 0 && post_logout_redirect && *post_logout_redirect)
		r = form_append(&q, "post_logout_redirect_uri", post_logout_redirect);
	if (r == 0 && asprintf(&url, "%s%s%s", p->end_session_ep,
			       q ? (strchr(p->end_session_ep, '?') ? "&" : "?") : "",
			       q ? q : "") < 0)
		url = NULL;
	free(q);
	return url;
}
