/* SPDX-License-Identifier: MIT */
/*
 * The REST API v1 route table and dispatcher. api/dispatch.c hands every request here in two
 * phases. router_head() runs as soon as the request head is in, before any byte of the body is
 * read: routing sees the raw, still percent-encoded path (peer ids are base64 keys containing
 * '/', '+' and '=', and "{id}" captures the rest of the path and is decoded here once, spec
 * 2.4), and the order of checks follows wg-portal's middleware chain: response headers and
 * CORS, path cleaning (301), preflight (204), 404/405, body limit of the routes without
 * authentication (413), the route's own head check (login CSRF), authentication (401), scope
 * (403), id (400). Only a request that passed all of them gets its body read; router_body()
 * then answers 413 for a body over the route's limit (discarded, never buffered) or calls the
 * handler. So nobody who is not authenticated can make the server buffer a body larger than
 * API_BODY_MAX_UNAUTH.
 */
#include "api/router.h"
#include "version.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ulfius.h>
#include <unistd.h>

#include "api/handlers.h"
#include "api/http.h"
#include "api/ui.h"
#include "config/config.h"
#include "core/core.h"
#include "util/err.h"
#include "util/log.h"


#define API_PREFIX "/api/v1"

/* SCOPE_NONE: no authentication by the router (login, public UI settings). */
enum route_scope { SCOPE_ADMIN, SCOPE_ANY, SCOPE_NONE };

struct route {
	const char *method;
	const char *path;       /* exact path, or the prefix before {id} (ends in '/') */
	const char *id_entity;  /* non-NULL: the path ends with {id}; names it in "missing x id" */
	enum route_scope scope;
	void (*fn)(struct api_ctx *c);
	/* optional check of the head before the body is read; answers and returns false to stop */
	bool (*head_check)(struct api_ctx *c);
};

/* Routes whose raw path is path + {id} + suffix ("/user/by-id/{id}/api-token"). They are tried
 * before the plain table, whose {id} would swallow the suffix; a '/' inside such an id must be
 * sent percent-encoded. */
struct suffix_route {
	struct route r;
	const char *suffix;
};

static const struct route routes[] = {
	{ "GET", "/interface/all", NULL, SCOPE_ADMIN, api_iface_all, NULL },
	{ "GET", "/interface/by-id/", "interface", SCOPE_ADMIN, api_iface_get, NULL },
	{ "GET", "/interface/prepare", NULL, SCOPE_ADMIN, api_iface_prepare, NULL },
	{ "POST", "/interface/new", NULL, SCOPE_ADMIN, api_iface_new, NULL },
	{ "PUT", "/interface/by-id/", "interface", SCOPE_ADMIN, api_iface_update, NULL },
	{ "DELETE", "/interface/by-id/", "interface", SCOPE_ADMIN, api_iface_delete, NULL },

	{ "GET", "/peer/by-interface/", "interface", SCOPE_ADMIN, api_peer_by_iface, NULL },
	{ "GET", "/peer/by-user/", "user", SCOPE_ANY, api_peer_by_user, NULL },
	{ "GET", "/peer/by-id/", "peer", SCOPE_ANY, api_peer_get, NULL },
	{ "GET", "/peer/prepare/", "interface", SCOPE_ADMIN, api_peer_prepare, NULL },
	{ "POST", "/peer/new", NULL, SCOPE_ADMIN, api_peer_new, NULL },
	/* any: admins, and with core.self_provisioning_allowed owners (checked in peers.c) */
	{ "PUT", "/peer/by-id/", "peer", SCOPE_ANY, api_peer_update, NULL },
	{ "DELETE", "/peer/by-id/", "peer", SCOPE_ANY, api_peer_delete, NULL },
	{ "POST", "/peer/multiplenew/", "interface", SCOPE_ADMIN, api_peer_multi_new, NULL },
	{ "POST", "/peer/config-mail", NULL, SCOPE_ANY, api_peer_config_mail, NULL },

	{ "GET", "/user/all", NULL, SCOPE_ADMIN, api_user_all, NULL },
	{ "GET", "/user/by-id/", "user", SCOPE_ANY, api_user_get, NULL },
	{ "POST", "/user/new", NULL, SCOPE_ADMIN, api_user_new, NULL },
	{ "PUT", "/user/by-id/", "user", SCOPE_ADMIN, api_user_update, NULL },
	{ "DELETE", "/user/by-id/", "user", SCOPE_ADMIN, api_user_delete, NULL },

	{ "GET", "/metrics/by-interface/", "interface", SCOPE_ADMIN, api_metrics_iface, NULL },
	{ "GET", "/metrics/by-user/", "user", SCOPE_ANY, api_metrics_user, NULL },
	{ "GET", "/metrics/by-peer/", "peer", SCOPE_ANY, api_metrics_peer, NULL },

	{ "GET", "/provisioning/data/user-info", NULL, SCOPE_ANY, api_prov_user_info, NULL },
	{ "GET", "/provisioning/data/peer-config", NULL, SCOPE_ANY, api_prov_peer_config, NULL },
	{ "GET", "/provisioning/data/peer-qr", NULL, SCOPE_ANY, api_prov_peer_qr, NULL },
	{ "POST", "/provisioning/new-peer", NULL, SCOPE_ANY, api_prov_new_peer, NULL },

	{ "GET", "/backend/all", NULL, SCOPE_ADMIN, api_backend_all, NULL },
	{ "GET", "/cluster", NULL, SCOPE_ADMIN, api_cluster_get, NULL },
	{ "DELETE", "/cluster/node/", "node", SCOPE_ADMIN, api_cluster_forget, NULL },
	{ "GET", "/delivery/all", NULL, SCOPE_ADMIN, api_delivery_all, NULL },
	{ "GET", "/delivery/by-id/", "delivery", SCOPE_ANY, api_delivery_get, NULL },

	/* UI additions (api/ui.h) */
	{ "POST", "/auth/login", NULL, SCOPE_NONE, api_auth_login, api_auth_login_head },
	{ "GET", "/auth/session", NULL, SCOPE_NONE, api_auth_session, NULL },
	{ "POST", "/auth/logout", NULL, SCOPE_NONE, api_auth_logout, NULL },
	/* sign-in methods (docs/auth.md); the steps that end in a session have the login's
	 * head check (JSON, same-origin Origin/Referer: no login CSRF) */
	{ "GET", "/auth/providers", NULL, SCOPE_NONE, api_auth_providers, NULL },
	{ "POST", "/auth/login/totp", NULL, SCOPE_NONE, api_totp_login, api_auth_login_head },
	{ "GET", "/auth/totp", NULL, SCOPE_ANY, api_totp_status, NULL },
	{ "DELETE", "/auth/totp", NULL, SCOPE_ANY, api_totp_disable, NULL },
	/* setup/confirm authenticate themselves: a session, or a login ticket (enrolment) */
	{ "POST", "/auth/totp/setup", NULL, SCOPE_NONE, api_totp_setup, api_auth_login_head },
	{ "POST", "/auth/totp/confirm", NULL, SCOPE_NONE, api_totp_confirm, api_auth_login_head },
	{ "POST", "/auth/webauthn/login/start", NULL, SCOPE_NONE, api_passkey_login_start, NULL },
	{ "POST", "/auth/webauthn/login/finish", NULL, SCOPE_NONE, api_passkey_login_finish,
	  api_auth_login_head },
	{ "GET", "/auth/webauthn/credentials", NULL, SCOPE_ANY, api_passkey_list, NULL },
	{ "POST", "/auth/webauthn/register/start", NULL, SCOPE_ANY, api_passkey_register_start,
	  NULL },
	{ "POST", "/auth/webauthn/register/finish", NULL, SCOPE_ANY, api_passkey_register_finish,
	  NULL },
	{ "PUT", "/auth/webauthn/credential/", "credential", SCOPE_ANY, api_passkey_update, NULL },
	{ "DELETE", "/auth/webauthn/credential/", "credential", SCOPE_ANY, api_passkey_delete,
	  NULL },
	{ "GET", "/ui/settings", NULL, SCOPE_NONE, api_ui_settings, NULL },
	{ "GET", "/ui/settings/session", NULL, SCOPE_ANY, api_ui_settings_session, NULL },
	{ "GET", "/audit/all", NULL, SCOPE_ADMIN, api_audit_all, NULL },
	/* the API description's page (the document itself is /doc/v1_swagger.yaml, doc.c) */
	{ "GET", "/doc.html", NULL, SCOPE_NONE, api_doc_html, NULL },
	{ "GET", "/doc.js", NULL, SCOPE_NONE, api_doc_js, NULL },
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

static const struct suffix_route suffix_routes[] = {
	{ { "POST", "/user/by-id/", "user", SCOPE_ANY, api_token_create, NULL }, "/api-token" },
	{ { "DELETE", "/user/by-id/", "user", SCOPE_ANY, api_token_delete, NULL }, "/api-token" },
	{ { "DELETE", "/user/by-id/", "user", SCOPE_ADMIN, api_totp_reset, NULL }, "/totp" },
	{ { "GET", "/metrics/by-interface/", "interface", SCOPE_ADMIN, api_metrics_iface_peers,
	    NULL }, "/peers" },
	{ { "POST", "/user/by-id/", "user", SCOPE_ANY, api_account_password, NULL },
	  "/change-password" },
	{ { "GET", "/user/by-id/", "user", SCOPE_ANY, api_account_interfaces, NULL },
	  "/interfaces" },
	{ { "GET", "/interface/by-id/", "interface", SCOPE_ADMIN, api_iface_config, NULL },
	  "/config" },
	{ { "POST", "/interface/by-id/", "interface", SCOPE_ADMIN, api_iface_apply_defaults, NULL },
	  "/apply-peer-defaults" },
	{ { "POST", "/interface/by-id/", "interface", SCOPE_ADMIN, api_iface_default_peers, NULL },
	  "/create-default-peers" },
};
#define N_SUFFIX_ROUTES (sizeof(suffix_routes) / sizeof(suffix_routes[0]))

static bool suffix_matches_path(const struct suffix_route *s, const char *rest)
{
	size_t pl = strlen(s->r.path), sl = strlen(s->suffix), rl = strlen(rest);

	return rl > pl + sl && strncmp(rest, s->r.path, pl) == 0 &&
	       strcmp(rest + rl - sl, s->suffix) == 0;
}

/* The suffix of a route from suffix_routes[], NULL for a plain route. */
static const char *route_suffix(const struct route *r)
{
	for (size_t i = 0; i < N_SUFFIX_ROUTES; i++)
		if (r == &suffix_routes[i].r)
			return suffix_routes[i].suffix;
	return NULL;
}

static bool route_matches_path(const struct route *r, const char *rest)
{
	const char *suffix = route_suffix(r);

	if (suffix)
		return suffix_matches_path((const struct suffix_route *)r, rest);
	if (r->id_entity)
		return strncmp(rest, r->path, strlen(r->path)) == 0;
	return strcmp(rest, r->path) == 0;
}

char *router_clean_path(const char *path)
{
	size_t len = strlen(path);
	char *out = malloc(len + 2);
	size_t o = 0, i = 0;

	if (!out)
		return NULL;
	out[o++] = '/';
	while (i < len) {
		size_t s = i;
		while (i < len && path[i] != '/')
			i++;
		size_t seg = i - s;
		if (i < len)
			i++; /* skip '/' */
		if (seg == 0 || (seg == 1 && path[s] == '.'))
			continue;
		if (seg == 2 && path[s] == '.' && path[s + 1] == '.') {
			/* back up over the previous segment */
			if (o > 1) {
				o--; /* the '/' after the previous segment */
				while (o > 1 && out[o - 1] != '/')
					o--;
			}
			continue;
		}
		memcpy(out + o, path + s, seg);
		o += seg;
		out[o++] = '/';
	}
	/* keep the trailing slash only when the input had one */
	if (o > 1 && !(len > 0 && path[len - 1] == '/'))
		o--;
	out[o] = '\0';
	return out;
}

static void request_id(char out[static 9])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

	for (int i = 0; i < 8; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[8] = '\0';
}

static const char *req_header(const struct _u_request *req, const char *name)
{
	return u_map_get_case(req->map_header, name);
}

static void common_headers(struct api_ctx *c)
{
	const struct cfg *cfg = c->app->cfg;

	http_header(c, "X-Request-Id", c->request_id);
	http_header(c, "Vary", "Origin");
	if (req_header(c->req, "Origin"))
		http_header(c, "Access-Control-Allow-Origin", "*");
	if (cfg->web.expose_host_info) {
		char host[256] = "", val[320];
		if (gethostname(host, sizeof(host) - 1) != 0)
			snprintf(host, sizeof(host), "unknown");
		snprintf(val, sizeof(val), "%s, version %s", host, WGPORTAL_VERSION);
		http_header(c, "X-Served-By", val);
	}
}

/* 301 to the cleaned path (spec 2.1); returns true when answered. */
static bool redirect_unclean(struct api_ctx *c, const char *path)
{
	char *clean = router_clean_path(path);
	const char *q;
	bool done = false;

	if (!clean)
		return false;
	if (strcmp(clean, path) != 0) {
		char *loc;
		q = strchr(c->req->http_url ? c->req->http_url : "", '?');
		if (asprintf(&loc, "%s%s", clean, q ? q : "") >= 0) {
			http_header(c, "Location", loc);
			free(loc);
		}
		http_text(c, 301, "Moved Permanently.\n");
		done = true;
	}
	free(clean);
	return done;
}

static bool is_preflight(const struct api_ctx *c, const char *method)
{
	return strcmp(method, "OPTIONS") == 0 && req_header(c->req, "Origin") &&
	       req_header(c->req, "Access-Control-Request-Method");
}

static void answer_preflight(struct api_ctx *c)
{
	http_header(c, "Access-Control-Allow-Origin", "*");
	http_header(c, "Access-Control-Allow-Methods", "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS");
	http_header(c, "Access-Control-Allow-Headers",
		    "Origin,Content-Length,Content-Type,Authorization");
	http_header(c, "Access-Control-Max-Age", "43200");
	http_no_content(c);
}

/* Authentication of spec 2.2; answers 401/429 itself and returns false on failure. Without an
 * Authorization header, the UI's session cookie is accepted instead (with CSRF check). */
static bool authenticate(struct api_ctx *c, const char *method)
{
	bool ok;

	if (!req_header(c->req, "Authorization") && api_session_cookie_present(c)) {
		ok = api_session_authenticate(c, method);
		c->is_session = ok;
		return ok;
	}
	return api_basic_authenticate(c, req_header(c->req, "Authorization"));
}

/* The body size the client announced; 0 without Content-Length (chunked bodies are counted
 * while they arrive, api/dispatch.c). */
static unsigned long long declared_length(const struct api_ctx *c)
{
	const char *v = req_header(c->req, "Content-Length");

	return v ? strtoull(v, NULL, 10) : 0;
}

/* Decodes the {id} rest of the raw path. Answers 400 itself on failure. */
static char *decode_id(struct api_ctx *c, const struct route *rt, const char *raw_rest)
{
	const char *enc = raw_rest + strlen(rt->path);
	const char *suffix = route_suffix(rt);
	size_t elen = strlen(enc) - (suffix ? strlen(suffix) : 0);
	char *id = http_pct_decode(enc, elen);

	if (!id) {
		http_error(c, 400, NULL, "invalid %s id: bad percent-encoding", rt->id_entity);
		return NULL;
	}
	http_trim(id);
	if (!*id) {
		free(id);
		http_error(c, 400, NULL, "missing %s id", rt->id_entity);
		return NULL;
	}
	return id;
}

/* Returns true when the request was answered; false when the handler of c->route runs once
 * the body is in. */
static bool route_head(struct api_ctx *c, const char *method, const char *path)
{
	const struct cfg *cfg = c->app->cfg;
	const char *base = cfg->web.base_path ? cfg->web.base_path : "";
	size_t blen = strlen(base), plen = strlen(API_PREFIX);
	const struct route *hit = NULL;
	char allow[128] = "";
	bool path_known = false;

	/* The API description where wg-portal serves it: {base}/doc/v1_swagger.yaml (and .json). */
	if (strncmp(path, base, blen) == 0 && api_doc_serve(c, method, path + blen))
		return true;
	/* Everything outside {base}/api is the browser UI (static files, SPA fallback). */
	if (strncmp(path, base, blen) != 0 ||
	    (strncmp(path + blen, "/api", 4) != 0 ||
	     (path[blen + 4] != '\0' && path[blen + 4] != '/'))) {
		api_ui_static(c, method, path);
		return true;
	}
	/* wg-portal's OAuth login URLs (auth_oidc.c): registered at identity providers. They run
	 * after the (empty) body like any route, so the body deadline does not cover the calls to
	 * the provider the callback makes. */
	if (strncmp(path + blen, "/api/v0/", 8) == 0) {
		/* not API v1, so not in its document (designated: the route-table parser of
		 * tests/api/test_api_doc.py skips it) */
		static const struct route v0 = { .method = "GET", .path = "/api/v0/",
						 .scope = SCOPE_NONE, .fn = api_v0_route };
		c->body_max = API_BODY_MAX_UNAUTH;
		if (declared_length(c) > c->body_max) {
			http_error(c, 413, NULL, "request body too large (limit %zu bytes)",
				   c->body_max);
			return true;
		}
		c->id = path + blen + 7;   /* borrowed: the rest of the path, for api_v0_route */
		c->route = &v0;
		return false;
	}
	if (strncmp(path + blen, API_PREFIX, plen) != 0 || path[blen + plen] != '/') {
		http_text(c, 404, "404 page not found");
		return true;
	}
	const char *rest = path + blen + plen;
	/* a matching suffix route hides the plain {id} routes of the same prefix */
	bool suffixed = false;
	for (size_t i = 0; i < N_SUFFIX_ROUTES && !suffixed; i++)
		suffixed = suffix_matches_path(&suffix_routes[i], rest);

	size_t n_table = suffixed ? N_SUFFIX_ROUTES : N_ROUTES;
	for (size_t i = 0; i < n_table; i++) {
		const struct route *rt = suffixed ? &suffix_routes[i].r : &routes[i];
		if (!route_matches_path(rt, rest))
			continue;
		path_known = true;
		if (strcmp(rt->method, method) == 0) {
			hit = rt;
			break;
		}
		if (!strstr(allow, rt->method)) {
			size_t n = strlen(allow);
			snprintf(allow + n, sizeof(allow) - n, "%s%s", n ? ", " : "", rt->method);
		}
	}
	if (!hit) {
		if (path_known) {
			http_header(c, "Allow", allow);
			http_text(c, 405, "405 method not allowed");
		} else {
			http_text(c, 404, "404 page not found");
		}
		return true;
	}
	c->body_max = hit->scope == SCOPE_NONE ? API_BODY_MAX_UNAUTH : API_BODY_MAX;
	if (hit->scope == SCOPE_NONE && declared_length(c) > c->body_max) {
		/* nobody is authenticated here: refuse before reading a byte of it */
		http_error(c, 413, NULL, "request body too large (limit %zu bytes)", c->body_max);
		return true;
	}
	if (hit->head_check && !hit->head_check(c))
		return true;
	if (hit->scope != SCOPE_NONE && !authenticate(c, method))
		return true;
	if (hit->scope == SCOPE_ADMIN && !api_is_admin(c)) {
		http_error(c, 403, NULL, "not enough permissions");
		return true;
	}
	if (hit->id_entity) {
		c->id_owned = decode_id(c, hit, rest);
		if (!c->id_owned)
			return true;
		c->id = c->id_owned;
	}
	/* An authenticated client gets its 413 after the body, which is discarded as it comes:
	 * answering now would close the connection with unread data, and the reset would often
	 * destroy the answer before the client reads it. The body deadline bounds the wait. */
	c->body_over = declared_length(c) > c->body_max;
	c->route = hit;
	return false;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void router_start(struct api_ctx *c)
{
	c->t0_ns = mono_ns();
	c->status = 500;
	request_id(c->request_id);
	api_auth_set_session(false);
	common_headers(c);
}

void router_head_refuse(struct api_ctx *c, int status, const char *why)
{
	router_start(c);
	http_error(c, status, NULL, "malformed request: %s", why);
}

bool router_head(struct api_ctx *c)
{
	const char *method = c->req->http_verb ? c->req->http_verb : "";
	const char *path = c->req->url_path ? c->req->url_path : "";

	router_start(c);

	if (path[0] != '/') {
		http_text(c, 404, "404 page not found");
		return true;
	}
	if (redirect_unclean(c, path))
		return true;
	if (is_preflight(c, method)) {
		answer_preflight(c);
		return true;
	}
	return route_head(c, method, path);
}

void router_body(struct api_ctx *c)
{
	const struct route *hit = c->route;

	if (!hit)
		return;
	if (c->body_over || c->req->binary_body_length > c->body_max) {
		http_error(c, 413, NULL, "request body too large (limit %zu bytes)", c->body_max);
		return;
	}
	api_auth_set_session(c->is_session);
	/* the audit trail names who acted (none for the routes without authentication) */
	core_set_actor(c->caller ? api_caller_id(c) : NULL);
	hit->fn(c);
	core_set_actor(NULL);
	api_auth_set_session(false);
}

void router_done(struct api_ctx *c)
{
	const char *method = c->req->http_verb ? c->req->http_verb : "";
	const char *path = c->req->url_path ? c->req->url_path : "";

	if (c->app->cfg->web.request_logging) {
		double ms = (double)(mono_ns() - c->t0_ns) / 1e6;
		char m[LOG_QUOTE_SIZE(16)], p[LOG_QUOTE_SIZE(256)];

		/* Path only: no query (it may carry ids of other users), never headers or bodies;
		 * both cut and escaped, they come from the client. */
		log_info("http: %s %s %d %.1fms id=%s", log_quote(method, m, sizeof(m)),
			 log_quote(path, p, sizeof(p)), c->status, ms, c->request_id);
	}
	router_release(c);
}

void router_release(struct api_ctx *c)
{
	c->caller = user_free(c->caller);
	c->id = NULL;
	free(c->id_owned);
	c->id_owned = NULL;
	c->route = NULL;
}
