/* SPDX-License-Identifier: MIT */
/*
 * What the UI reads before and after login: GET /ui/settings (public: titles, version, base
 * path), GET /ui/settings/session (any logged-in user: feature switches and the backends with
 * their capabilities, without the admin-only health details of /backend/all), and the glue
 * that sends src/web's static-file replies with the UI's security headers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ulfius.h>

#include "api/handlers.h"
#include "api/ui.h"
#include "backends/backend.h"
#include "config/config.h"
#include "core/signin.h"
#include "model/iface.h"
#include "util/err.h"
#include "util/log.h"
#include "version.h"
#include "web/web.h"

static const char *base_path(const struct api_ctx *c)
{
	return c->app->cfg->web.base_path ? c->app->cfg->web.base_path : "";
}

void api_ui_settings(struct api_ctx *c)
{
	const struct cfg *cfg = c->app->cfg;
	json_t *o = json_object();

	if (o) {
		json_object_set_new(o, "SiteTitle", json_string(STR(cfg->web.site_title)));
		json_object_set_new(o, "SiteCompanyName",
				    json_string(STR(cfg->web.site_company_name)));
		json_object_set_new(o, "Version", json_string(WGPORTAL_VERSION));
		json_object_set_new(o, "BasePath", json_string(base_path(c)));
		/* wg-portal endpoint_config.go:129-136: the form hides only when another way in
		 * exists (#/login?all shows it anyway) */
		bool webauthn = c->app->signin && c->app->signin->webauthn;
		json_t *providers = api_oidc_providers_json(c);
		bool social = json_array_size(providers) > 0 || webauthn;
		json_object_set_new(o, "LoginForm", json_boolean(!cfg->auth.hide_login_form || !social));
		json_object_set_new(o, "WebAuthn", json_boolean(webauthn));
		json_object_set_new(o, "Providers", providers ? providers : json_array());
	}
	http_json(c, 200, o);
}

/* Bounded copy of a string the registry may update concurrently. */
static json_t *snap(const char *s, size_t max)
{
	char buf[256];
	size_t n = strnlen(s, max < sizeof(buf) ? max : sizeof(buf) - 1);
	json_t *j;

	memcpy(buf, s, n);
	buf[n] = '\0';
	j = json_string(buf);
	return j ? j : json_string("");
}

void api_ui_settings_session(struct api_ctx *c)
{
	const struct cfg *cfg = c->app->cfg;
	json_t *o = json_object(), *arr = json_array();
	const char *def = backend_default_id();

	if (!o || !arr) {
		json_decref(o);
		json_decref(arr);
		http_json(c, 500, NULL);
		return;
	}
	for (size_t i = 0; i < backend_count(); i++) {
		struct backend *be = backend_at(i);
		struct backend_status bs;
		json_t *b, *caps;

		if (be)
			backend_status_get(be, &bs);
		b = json_object();
		caps = be ? api_backend_caps_json(bs.caps) : NULL;
		if (!be || !b || !caps) {
			json_decref(b);
			json_decref(caps);
			continue;
		}
		json_object_set_new(b, "Identifier", snap(be->id, sizeof(be->id)));
		json_object_set_new(b, "DisplayName", snap(be->display_name, sizeof(be->display_name)));
		json_object_set_new(b, "Type", json_string(be->ops && be->ops->type ? be->ops->type : ""));
		json_object_set_new(b, "Capabilities", caps);
		json_object_set_new(b, "Reachable", json_boolean(bs.reachable));
		json_array_append_new(arr, b);
	}
	json_object_set_new(o, "SelfProvisioning", json_boolean(cfg->core.self_provisioning_allowed));
	json_object_set_new(o, "ApiAdminOnly", json_boolean(cfg->advanced.api_admin_only));
	json_object_set_new(o, "EditableKeys", json_boolean(cfg->core.editable_keys));
	json_object_set_new(o, "DefaultBackend", json_string(def && *def ? def : "local"));
	/* as wg-portal's /config/settings: the password form's minimum, whether interfaces can
	 * make default peers, whether interface files are kept (advanced.config_storage_path) */
	json_object_set_new(o, "MinPasswordLength", json_integer(cfg->auth.min_password_length));
	json_object_set_new(o, "CreateDefaultPeer",
			    json_boolean(cfg->core.create_default_peer_on_login ||
					 cfg->core.create_default_peer_on_user_creation ||
					 cfg->core.create_default_peer_on_interface_creation));
	json_object_set_new(o, "PersistentConfigSupported",
			    json_boolean(cfg->advanced.config_storage_path &&
					 *cfg->advanced.config_storage_path));
	json_object_set_new(o, "Backends", arr);
	http_json(c, 200, o);
}

/* ---- static files ----------------------------------------------------------------------- */

static pthread_mutex_t web_lock = PTHREAD_MUTEX_INITIALIZER;
static struct web *web_inst;
static bool web_failed;

/* The process-wide web instance, made on first use from the app's settings. */
static struct web *web_get(struct api_ctx *c)
{
	struct err err = { 0 };
	struct web *w;

	pthread_mutex_lock(&web_lock);
	if (!web_inst && !web_failed) {
		if (web_new(c->app->web_root, base_path(c), &web_inst, &err) < 0) {
			log_err("web: %s", err.msg);
			web_failed = true;
		} else if (c->app->web_root && *c->app->web_root) {
			log_info("web: serving the UI from '%s'", c->app->web_root);
		}
	}
	w = web_inst;
	pthread_mutex_unlock(&web_lock);
	return w;
}

void api_ui_security_headers(struct api_ctx *c)
{
	http_header(c, "Content-Security-Policy", WEB_CSP);
	http_header(c, "X-Content-Type-Options", "nosniff");
	http_header(c, "Referrer-Policy", "same-origin");
	http_header(c, "X-Frame-Options", "DENY");
}

void api_ui_static(struct api_ctx *c, const char *method, const char *path)
{
	const char *base = base_path(c);
	size_t blen = strlen(base);
	struct web_reply rep;
	struct err err = { 0 };
	struct web *w;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		http_header(c, "Allow", "GET, HEAD");
		http_text(c, 405, "405 method not allowed");
		return;
	}
	if (blen && strncmp(path, base, blen) != 0) {
		if (strcmp(path, "/") == 0) {
			char *loc = NULL;
			if (asprintf(&loc, "%s/", base) >= 0) {
				http_header(c, "Location", loc);
				free(loc);
			}
			http_text(c, 302, "Found.\n");
		} else {
			http_text(c, 404, "404 page not found");
		}
		return;
	}
	const char *rel = path + blen;
	if (*rel == '\0') {
		/* "{base}" without slash: the SPA's relative URLs need "{base}/" */
		char *loc = NULL;
		if (asprintf(&loc, "%s/", base) >= 0) {
			http_header(c, "Location", loc);
			free(loc);
		}
		http_text(c, 301, "Moved Permanently.\n");
		return;
	}
	if (*rel != '/') {
		http_text(c, 404, "404 page not found"); /* "/wgx" under base "/wg" */
		return;
	}
	w = web_get(c);
	if (!w) {
		http_text(c, 500, "web UI unavailable\n");
		return;
	}
	if (web_serve(w, rel, u_map_get_case(c->req->map_header, "Accept-Encoding"),
		      u_map_get_case(c->req->map_header, "If-None-Match"), &rep, &err) < 0) {
		log_warn("web: request %s: %s", c->request_id, err.msg);
		http_text(c, 500, "internal error\n");
		return;
	}
	api_ui_security_headers(c);
	switch (rep.status) {
	case 400:
		http_text(c, 400, "400 bad request");
		break;
	case 404:
		http_text(c, 404, "404 page not found");
		break;
	default:
		if (rep.cache_control)
			http_header(c, "Cache-Control", rep.cache_control);
		if (rep.etag[0])
			http_header(c, "ETag", rep.etag);
		if (rep.vary_encoding)
			http_header(c, "Vary", "Origin, Accept-Encoding");
		if (rep.status == 304) {
			c->status = 304;
			c->resp->status = 304;
			break;
		}
		if (rep.gzip)
			http_header(c, "Content-Encoding", "gzip");
		if (rep.len == 0) {
			http_header(c, "Content-Type", rep.content_type);
			c->status = c->resp->status = 200;
		} else {
			http_body(c, 200, rep.content_type, rep.body, rep.len);
		}
		break;
	}
	web_reply_release(&rep);
}
