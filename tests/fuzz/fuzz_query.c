/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: query parameters and the other request-line and header values our own
 * code parses. The input is split at '\n' into: a query string ("page=2&sort=x&filter=%41"),
 * a raw path, an Authorization header, an Origin header, a Referer header and a cookie value.
 * The query string is decoded as MHD does (name=value pairs, percent escapes) into the request
 * map; then api_paging_parse() and api_paging_apply() (on a small user list), http_query(),
 * http_pct_decode() and router_clean_path() of the path, auth_basic_parse(), the login's
 * same-origin head check, and session_id_is_valid(). Invariants: a refused parameter is
 * answered 400 as JSON naming a field; a cleaned path starts with '/' and has no "//" or "/../".
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ulfius.h>

#include "api/http.h"
#include "api/paging.h"
#include "api/router.h"
#include "api/ui.h"
#include "auth/basic.h"
#include "auth/session.h"
#include "config/config.h"
#include "core/app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const filter_fields[] = { "Identifier", "Email", NULL };

/* The next '\n'-terminated field of [*p, end) as a heap string. */
static char *field(const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = (size_t)((nl ? nl : end) - *p);
	char *s = strndup(*p, n);

	*p = nl ? nl + 1 : end;
	return s;
}

/* name=value pairs split at '&' and percent-decoded into map (undecodable ones skipped, as
 * MHD hands us only what it could decode). */
static void fill_query(struct _u_map *map, const char *q)
{
	char *copy = strdup(q), *save = NULL;

	for (char *pair = copy ? strtok_r(copy, "&", &save) : NULL; pair;
	     pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '=');
		char *k, *v;

		if (eq)
			*eq = '\0';
		k = http_pct_decode(pair, strlen(pair));
		v = eq ? http_pct_decode(eq + 1, strlen(eq + 1)) : strdup("");
		if (k && v && *k)
			u_map_put(map, k, v);
		free(k);
		free(v);
	}
	free(copy);
}

static void check_answer(const struct _u_response *resp)
{
	json_t *j = json_loadb(resp->binary_body, resp->binary_body_length, 0, NULL);

	if (resp->status != 400 || !j || json_integer_value(json_object_get(j, "Code")) != 400 ||
	    !json_is_string(json_object_get(j, "Message")))
		__builtin_trap();
	json_decref(j);
}

static json_t *users(void)
{
	json_t *a = json_array();

	for (int i = 0; i < 5; i++) {
		json_t *o = json_object();
		char id[16];

		snprintf(id, sizeof(id), "user%d", (i * 7) % 5);
		json_object_set_new(o, "Identifier", json_string(id));
		json_object_set_new(o, "Email", json_string(i % 2 ? "a@example.com" : ""));
		json_object_set_new(o, "PeerCount", json_integer(i));
		json_array_append_new(a, o);
	}
	return a;
}

static void run_paging(struct api_ctx *c)
{
	struct api_paging pg;
	json_t *arr;

	if (api_paging_parse(c, &pg) < 0) {
		check_answer(c->resp);
		return;
	}
	arr = api_paging_apply(c, &pg, users(), filter_fields);
	if (arr && (!json_is_array(arr) || json_array_size(arr) > 5))
		__builtin_trap();
	json_decref(arr);
	api_paging_release(&pg);
}

static void run_path(const char *raw)
{
	char *dec = http_pct_decode(raw, strlen(raw));
	char *clean = router_clean_path(raw);

	if (clean && (clean[0] != '/' || strstr(clean, "//") || strstr(clean, "/../") ||
		      (strlen(clean) >= 3 && !strcmp(clean + strlen(clean) - 3, "/.."))))
		__builtin_trap();
	if (dec && strlen(dec) > strlen(raw))
		__builtin_trap();
	free(dec);
	free(clean);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg cfg;
	static struct app app;
	const char *p = (const char *)data, *end = p + size;
	char *query = field(&p, end), *path = field(&p, end), *authz = field(&p, end);
	char *origin = field(&p, end), *referer = field(&p, end), *cookie = field(&p, end);
	char *user = NULL, *pass = NULL, *v;
	struct _u_request req;
	struct _u_response resp;
	struct api_ctx c = { .app = &app, .req = &req, .resp = &resp };

	if (!cfg.web.listening_address) {
		cfg_defaults(&cfg);
		free(cfg.web.external_url);
		cfg.web.external_url = strdup("https://portal.example.com");
		app.cfg = &cfg;
	}
	if (!query || !path || !authz || !origin || !referer || !cookie ||
	    ulfius_init_request(&req) != U_OK)
		goto out;
	if (ulfius_init_response(&resp) != U_OK) {
		ulfius_clean_request(&req);
		goto out;
	}
	fill_query(req.map_url, query);
	run_paging(&c);
	v = http_query(&c, "PeerId");
	if (v && (*v == ' ' || (*v && v[strlen(v) - 1] == ' ')))
		__builtin_trap(); /* trimmed */
	free(v);
	run_path(path);
	if (auth_basic_parse(authz, &user, &pass) == 0 && (!user || !pass || strchr(user, ':')))
		__builtin_trap();
	free(user);
	auth_secret_free(pass);
	ulfius_clean_response(&resp);
	ulfius_init_response(&resp);
	u_map_put(req.map_header, "Content-Type", "application/json");
	u_map_put(req.map_header, "Host", "127.0.0.1:8888");
	if (*origin)
		u_map_put(req.map_header, "Origin", origin);
	if (*referer)
		u_map_put(req.map_header, "Referer", referer);
	if (!api_auth_login_head(&c) && (resp.status != 403 && resp.status != 415))
		__builtin_trap();
	(void)session_id_is_valid(cookie);
	ulfius_clean_request(&req);
	ulfius_clean_response(&resp);
out:
	free(query);
	free(path);
	free(authz);
	free(origin);
	free(referer);
	free(cookie);
	return 0;
}

#include "fuzz_standalone.h"
