/* SPDX-License-Identifier: MIT */
/*
 * WG_PORTAL_<SECTION>_<KEY> environment defaults (1.3, 1.6). They sit between the built-in
 * defaults and the file. A value that does not parse is a warning and the default stays; the
 * warning names the variable but never its value (a misplaced secret must not reach the log).
 */
#include "config/config-int.h"
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cfg_mark_unsupported(struct cfg *cfg, const char *path)
{
	if (strv_contains(&cfg->unsupported, path))
		return 0;
	return strv_push(&cfg->unsupported, path);
}

/* "WG_PORTAL_" + upper-cased first path component + "_" + suffix. */
static int env_name(const struct cfg_key *k, char *out, size_t size)
{
	size_t sec = strcspn(k->path, ".");
	int n = snprintf(out, size, "WG_PORTAL_%.*s_%s", (int)sec, k->path, k->env);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	for (size_t i = 10; i < 10 + sec; i++)
		out[i] = (char)toupper((unsigned char)out[i]);
	return 0;
}

static int warn(struct cfg *cfg, const char *var, const char *what)
{
	char *msg;

	if (asprintf(&msg, "environment variable %s: invalid %s, ignoring", var, what) < 0)
		return -ENOMEM;
	return strv_push_take(&cfg->warnings, msg);
}

static int apply_one(struct cfg *cfg, const struct cfg_key *k, const char *var, const char *v)
{
	void *f = cfg_key_field(cfg, k);
	int r;

	switch (k->kind) {
	case CFG_K_STR:
		r = cfg_set_str(f, v, k->flags & CFG_F_SECRET);
		break;
	case CFG_K_BOOL: {
		bool b;
		if (cfg_parse_bool_env(v, &b) < 0)
			return warn(cfg, var, "boolean (expected true or false)");
		*(bool *)f = b;
		r = 0;
		break;
	}
	case CFG_K_INT: {
		int i;
		if (cfg_parse_int(v, false, &i) < 0)
			return warn(cfg, var, "integer");
		*(int *)f = i;
		r = 0;
		break;
	}
	case CFG_K_DUR: {
		int64_t ms;
		if (cfg_parse_duration(v, &ms) < 0)
			return warn(cfg, var, "duration (expected e.g. \"30s\" or \"1h30m\")");
		*(int64_t *)f = ms;
		r = 0;
		break;
	}
	case CFG_K_STRV: {
		struct strv sv = STRV_INIT;
		r = strv_split(&sv, v, ",");
		if (r < 0) {
			strv_release(&sv);
			break;
		}
		strv_release(f);
		*(struct strv *)f = sv;
		break;
	}
	default:
		return 0;
	}
	if (r < 0)
		return r;
	if (k->flags & CFG_F_ADMINPW)
		cfg->core.admin_password_set = true;
	if (!(k->flags & CFG_F_ACCEPTED))
		return cfg_mark_unsupported(cfg, k->path);
	return 0;
}

int cfg_apply_env(struct cfg_ctx *ctx)
{
	char var[128];
	int r;

	for (size_t i = 0; i < cfg_n_keys; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		const char *v;

		if (!k->env || cfg_key_is_entry(k) || env_name(k, var, sizeof(var)) < 0)
			continue;
		v = getenv(var);
		if (!v)
			continue;
		r = apply_one(ctx->cfg, k, var, v);
		if (r < 0)
			return r;
	}
	return 0;
}
