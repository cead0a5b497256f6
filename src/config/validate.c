/* SPDX-License-Identifier: MIT */
/*
 * Post-processing and validation after the file is applied (1.7, 1.6.4, backends.md): deprecated
 * flags mapped, URLs and paths normalised, backend entries checked and completed, ranges of the
 * numbers checked. Every message names the offending key (and its line when the file set it).
 */
#include "config/config-int.h"
#include "config/config.h"
#include "store/db.h"
#include "util/err.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OFF(f) offsetof(struct cfg, f)
#define DEFAULT_TIMEOUT_MS  30000
#define DEFAULT_CONCURRENCY 5
#define MAX_CONCURRENCY     1024

/* "<file>: line L: <key>: <msg>" (line omitted when 0). */
__attribute__((format(printf, 4, 5)))
static int bad(struct cfg_ctx *ctx, int line, const char *key, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		return err_field(ctx->err, -EINVAL, key, "%s: line %d: %s: %s", ctx->name, line,
				 key, msg);
	return err_field(ctx->err, -EINVAL, key, "%s: %s: %s", ctx->name, key, msg);
}

static int line_of_key(struct cfg_ctx *ctx, const char *path)
{
	const struct cfg_key *k = cfg_key_find(path);

	return k ? ctx->lines[k - cfg_keys] : 0;
}

static void strip_trailing(char *s, const char *suffix)
{
	size_t n = strlen(s), sl = strlen(suffix);

	while (n >= sl && n > 0 && !strcmp(s + n - sl, suffix)) {
		n -= sl;
		s[n] = '\0';
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), sl = strlen(suffix);

	return n >= sl && !strcmp(s + n - sl, suffix);
}

/* web.base_path: trimmed, trailing '/' removed, leading '/' added ("wg/" -> "/wg"). */
static int normalise_base_path(struct cfg *cfg)
{
	const char *s = cfg->web.base_path;
	char *out;
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	while (n && s[n - 1] == '/')
		n--;
	if (!n)
		return cfg_set_str(&cfg->web.base_path, "", false);
	if (asprintf(&out, "%s%.*s", s[0] == '/' ? "" : "/", (int)n, s) < 0)
		return -ENOMEM;
	free(cfg->web.base_path);
	cfg->web.base_path = out;
	return 0;
}

static const struct {
	const char *path;
	size_t off;
	int min, max;
} int_ranges[] = {
	{ "advanced.start_listen_port", OFF(advanced.start_listen_port), 1, 65535 },
	{ "advanced.rule_prio_offset", OFF(advanced.rule_prio_offset), 0, INT_MAX },
	{ "advanced.route_table_offset", OFF(advanced.route_table_offset), 0,
	  INT_MAX },
	{ "advanced.limit_additional_user_peers",
	  OFF(advanced.limit_additional_user_peers), 0, INT_MAX },
	{ "statistics.ping_check_workers", OFF(statistics.ping_check_workers), 0,
	  1024 },
	{ "mail.port", OFF(mail.port), 0, 65535 },
	{ "auth.min_password_length", OFF(auth.min_password_length), 0, 4096 },
};

static int check_numbers(struct cfg_ctx *ctx)
{
	for (size_t i = 0; i < sizeof(int_ranges) / sizeof(int_ranges[0]); i++) {
		int v = *(int *)((char *)ctx->cfg + int_ranges[i].off);
		if (v < int_ranges[i].min || v > int_ranges[i].max)
			return bad(ctx, line_of_key(ctx, int_ranges[i].path), int_ranges[i].path,
				   "%d is out of range (%d..%d)", v, int_ranges[i].min,
				   int_ranges[i].max);
	}
	/* Durations of the top level are periods, thresholds or timeouts: never negative. */
	for (size_t i = 0; i < cfg_n_keys; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		if (k->kind != CFG_K_DUR || cfg_key_is_entry(k))
			continue;
		if (*(int64_t *)cfg_key_field(ctx->cfg, k) < 0)
			return bad(ctx, ctx->lines[i], k->path, "duration must not be negative");
	}
	for (size_t i = 0; i < ctx->cfg->auth.n_ldap; i++) {
		if (ctx->cfg->auth.ldap[i].sync_interval_ms < 0) {
			char key[64];
			snprintf(key, sizeof(key), "auth.ldap[%zu].sync_interval", i);
			return bad(ctx, 0, key, "duration must not be negative");
		}
	}
	return 0;
}

/* The engine names and the refusal of mssql live with the engines (store/db.c). */
static int check_database(struct cfg_ctx *ctx)
{
	struct err e = { 0 };
	enum db_engine engine;

	if (db_engine_parse(ctx->cfg->database.type, &engine, &e) == 0)
		return 0;
	return bad(ctx, line_of_key(ctx, "database.type"), "database.type", "%s", e.msg);
}

/* cluster.node_name: the host name when unset. A name travels in notifications between nodes
 * and in the API, so it is restricted to what a host name may hold. */
static int check_cluster(struct cfg_ctx *ctx)
{
	char **name = &ctx->cfg->cluster.node_name;
	char host[HOST_NAME_MAX + 1];
	size_t n;

	if (!*name || !**name) {
		if (gethostname(host, sizeof(host)) < 0 || !*host)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		if (cfg_set_str(name, host, false) < 0)
			return err_set(ctx->err, -ENOMEM, "out of memory");
	}
	n = strlen(*name);
	if (n > CFG_NODE_NAME_MAX || strspn(*name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					       "0123456789.-_") != n)
		return bad(ctx, line_of_key(ctx, "cluster.node_name"), "cluster.node_name",
			   "must be 1 to %d letters, digits, '.', '-' or '_'", CFG_NODE_NAME_MAX);
	return 0;
}

static const char *list_of(const struct cfg_backend *be)
{
	switch (be->type) {
	case CFG_BACKEND_MIKROTIK: return "backend.mikrotik";
	case CFG_BACKEND_PFSENSE: return "backend.pfsense";
	default: return "backend.opnsense";
	}
}

/* Index of be within its own list (entries of all three lists share one array). */
static size_t index_in_list(const struct cfg *cfg, size_t at)
{
	size_t n = 0;

	for (size_t i = 0; i < at; i++)
		if (cfg->backend.entries[i].type == cfg->backend.entries[at].type)
			n++;
	return n;
}

static int check_backend(struct cfg_ctx *ctx, size_t at)
{
	struct cfg *cfg = ctx->cfg;
	struct cfg_backend *be = &cfg->backend.entries[at];
	char key[96], base[64];
	int r;

	snprintf(base, sizeof(base), "%s[%zu]", list_of(be), index_in_list(cfg, at));
#define KEY(name) (snprintf(key, sizeof(key), "%s.%s", base, name), key)
	if (!*be->id)
		return bad(ctx, be->line, KEY("id"), "backend ID is required");
	if (!strcmp(be->id, "local"))
		return bad(ctx, be->line, KEY("id"), "backend ID \"local\" is a reserved keyword");
	for (size_t i = 0; i < at; i++)
		if (!strcmp(cfg->backend.entries[i].id, be->id))
			return bad(ctx, be->line, KEY("id"), "backend ID \"%.64s\" is not unique",
				   be->id);
	if (!*be->display_name && (r = cfg_set_str(&be->display_name, be->id, false)) < 0)
		return r;
	if (be->api_timeout_ms <= 0)
		be->api_timeout_ms = DEFAULT_TIMEOUT_MS;
	if (be->concurrency <= 0)
		be->concurrency = DEFAULT_CONCURRENCY;
	if (be->concurrency > MAX_CONCURRENCY)
		return bad(ctx, be->line, KEY("concurrency"), "%d is out of range (at most %d)",
			   be->concurrency, MAX_CONCURRENCY);
	if (!*be->api_url)
		return bad(ctx, be->line, KEY("api_url"), "api_url is required");
	switch (be->type) {
	case CFG_BACKEND_MIKROTIK:
		/* A trailing slash is harmless; the REST paths are joined under the base. */
		strip_trailing(be->api_url, "/");
		if (!ends_with(be->api_url, "/rest"))
			return bad(ctx, be->line, KEY("api_url"), "the RouterOS REST base URL must "
				   "end in /rest (e.g. https://10.10.10.10/rest)");
		break;
	case CFG_BACKEND_PFSENSE:
		strip_trailing(be->api_url, "/");
		if (ends_with(be->api_url, "/api/v2")) {
			char *msg;
			be->api_url[strlen(be->api_url) - strlen("/api/v2")] = '\0';
			strip_trailing(be->api_url, "/");
			if (asprintf(&msg, "%s: api_url should not include /api/v2 (it is appended "
				     "automatically); using '%s'", KEY("api_url"), be->api_url) < 0)
				return -ENOMEM;
			if ((r = strv_push_take(&cfg->warnings, msg)) < 0)
				return r;
			if (!*be->api_url)
				return bad(ctx, be->line, KEY("api_url"), "api_url is required");
		}
		break;
	case CFG_BACKEND_OPNSENSE:
		strip_trailing(be->api_url, "/");
		if (!*be->api_key)
			return bad(ctx, be->line, KEY("api_key"), "api_key is required");
		if (!*be->api_secret)
			return bad(ctx, be->line, KEY("api_secret"), "api_secret is required");
		break;
	}
#undef KEY
	return 0;
}

static int check_backends(struct cfg_ctx *ctx)
{
	struct cfg *cfg = ctx->cfg;
	int r;

	for (size_t i = 0; i < cfg->backend.n_entries; i++)
		if ((r = check_backend(ctx, i)) < 0)
			return r;
	if (!*cfg->backend.default_id &&
	    (r = cfg_set_str(&cfg->backend.default_id, "local", false)) < 0)
		return r;
	if (strcmp(cfg->backend.default_id, "local") &&
	    !cfg_backend_find(cfg, cfg->backend.default_id))
		return bad(ctx, line_of_key(ctx, "backend.default"), "backend.default",
			   "backend \"%.64s\" is not configured (use \"local\" or the id of a "
			   "backend.mikrotik/pfsense/opnsense entry)", cfg->backend.default_id);
	return 0;
}

/* oidc/oauth: empty display_name -> provider_name; an empty field_map value means the default. */
static int complete_providers(struct cfg_auth_provider *p, size_t n, enum cfg_list l)
{
	int r;

	for (size_t i = 0; i < n; i++) {
		if (!*p[i].display_name &&
		    (r = cfg_set_str(&p[i].display_name, p[i].provider_name, false)) < 0)
			return r;
		for (size_t j = 0; j < cfg_n_keys; j++) {
			const struct cfg_key *k = &cfg_keys[j];
			if (k->list != l || !cfg_key_is_entry(k) || k->kind != CFG_K_STR ||
			    !k->def || !strstr(k->path, ".field_map."))
				continue;
			char **s = cfg_key_field(&p[i], k);
			if (!**s && (r = cfg_set_str(s, k->def, false)) < 0)
				return r;
		}
	}
	return 0;
}

int cfg_validate(struct cfg_ctx *ctx)
{
	struct cfg *cfg = ctx->cfg;
	int r;

	/* Deprecated core flags (1.6.1). */
	if (cfg->core.create_default_peer)
		cfg->core.create_default_peer_on_login = true;
	if (cfg->core.create_default_peer_on_creation) {
		cfg->core.create_default_peer_on_user_creation = true;
		cfg->core.create_default_peer_on_interface_creation = true;
	}
	strip_trailing(cfg->web.external_url, "/");
	if ((r = normalise_base_path(cfg)) < 0)
		return r;
	if ((r = complete_providers(cfg->auth.oidc, cfg->auth.n_oidc, CFG_L_OIDC)) < 0 ||
	    (r = complete_providers(cfg->auth.oauth, cfg->auth.n_oauth, CFG_L_OAUTH)) < 0 ||
	    (r = complete_providers(cfg->auth.ldap, cfg->auth.n_ldap, CFG_L_LDAP)) < 0)
		return r;
	if ((r = check_database(ctx)) < 0)
		return r;
	if ((r = check_cluster(ctx)) < 0)
		return r;
	if ((r = check_numbers(ctx)) < 0)
		return r;
	return check_backends(ctx);
}
