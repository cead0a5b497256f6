/* SPDX-License-Identifier: MIT */
/*
 * Login CSRF (docs/http-hardening.md): a page on another site must not be able to log a
 * visitor's browser into an account of the attacker's choosing. POST /auth/login therefore
 * takes only a JSON body (a cross-site form or a "simple" fetch cannot send one without a CORS
 * preflight) and only from this site: the Origin header (or, when a browser sends none, the
 * Referer) must name the address the browser used for us (the Host header) or
 * web.external_url. Both checks run on the head, before the body is read.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <ulfius.h>

#include "api/ui.h"
#include "config/config.h"

#define ORIGIN_MAX 300

/* "scheme://authority" of url as lower-case "authority", default port dropped, into out.
 * *ret_https tells the scheme. False for anything but an http(s) URL with a plain host. */
static bool url_authority(const char *url, char out[static ORIGIN_MAX], bool *ret_https)
{
	const char *a;
	size_t n;

	if (!url)
		return false;
	if (!strncasecmp(url, "http://", 7)) {
		*ret_https = false;
		a = url + 7;
	} else if (!strncasecmp(url, "https://", 8)) {
		*ret_https = true;
		a = url + 8;
	} else {
		return false;
	}
	n = strcspn(a, "/?#");
	if (n == 0 || n >= ORIGIN_MAX || memchr(a, '@', n) || memchr(a, '\\', n))
		return false;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)((a[i] >= 'A' && a[i] <= 'Z') ? a[i] + 32 : a[i]);
	out[n] = '\0';
	return true;
}

/* Drops ":80" (http) or ":443" (https) at the end of an authority. */
static void drop_default_port(char *auth, bool https)
{
	const char *p = https ? ":443" : ":80";
	size_t n = strlen(auth), pl = strlen(p);

	if (n > pl && !strcmp(auth + n - pl, p))
		auth[n - pl] = '\0';
}

static bool same_origin(const struct api_ctx *c, const char *url)
{
	const char *ext = c->app->cfg->web.external_url;
	const char *host = u_map_get_case(c->req->map_header, "Host");
	char want[ORIGIN_MAX], got[ORIGIN_MAX];
	bool https, ext_https;

	if (!url_authority(url, got, &https))
		return false;
	drop_default_port(got, https);
	/* web.external_url: scheme and authority must both match */
	if (ext && url_authority(ext, want, &ext_https) && ext_https == https) {
		drop_default_port(want, ext_https);
		if (!strcmp(want, got))
			return true;
	}
	/* the address the browser used for us; the scheme is not compared, since a TLS proxy in
	 * front of us makes it https for the browser and http here */
	if (!host || !*host || strlen(host) >= ORIGIN_MAX)
		return false;
	for (size_t i = 0; host[i]; i++)
		want[i] = (char)((host[i] >= 'A' && host[i] <= 'Z') ? host[i] + 32 : host[i]);
	want[strlen(host)] = '\0';
	drop_default_port(want, https);
	return !strcmp(want, got);
}

static bool is_json(const char *ct)
{
	size_t n = strlen("application/json");

	return ct && !strncasecmp(ct, "application/json", n) &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

bool api_auth_login_head(struct api_ctx *c)
{
	const char *origin = u_map_get_case(c->req->map_header, "Origin");
	const char *referer = u_map_get_case(c->req->map_header, "Referer");

	if (!is_json(u_map_get_case(c->req->map_header, "Content-Type"))) {
		http_error(c, 415, "Content-Type", "login needs Content-Type: application/json");
		return false;
	}
	if (origin) {
		if (!same_origin(c, origin)) {
			http_error(c, 403, "Origin", "login from another site refused (Origin)");
			return false;
		}
		return true;
	}
	if (!referer) {
		http_error(c, 403, "Origin",
			   "login needs an Origin or Referer header naming this site");
		return false;
	}
	if (!same_origin(c, referer)) {
		http_error(c, 403, "Referer", "login from another site refused (Referer)");
		return false;
	}
	return true;
}
