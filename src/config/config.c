/* SPDX-License-Identifier: MIT */
/*
 * cfg_load(): which file (1.1), then defaults -> WG_PORTAL_* variables -> ${VAR} substitution
 * of the text -> YAML onto the struct -> post-processing and validation. Everything is built in
 * a scratch struct and handed to the caller only when all of it succeeded.
 *
 * The YAML layer is libyaml plus the table-driven walker in yaml.c, not libcyaml: libcyaml
 * 1.3.1 has no field defaults, and the environment defaults would have to be merged by hand
 * around it anyway (deps.md section 9).
 */
#include "config/config-int.h"
#include "config/config.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CFG_FILE_MAX (4U << 20)

int cfg_defaults(struct cfg *cfg)
{
	int r;

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < cfg_n_keys; i++) {
		if (cfg_key_is_entry(&cfg_keys[i]))
			continue;
		if ((r = cfg_key_set_default(cfg, &cfg_keys[i])) < 0)
			goto fail;
	}
	if ((r = cfg_set_str(&cfg->path, "", false)) < 0)
		goto fail;
	return 0;
fail:
	cfg_release(cfg);
	return r;
}

void cfg_release(struct cfg *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg_n_keys; i++)
		if (!cfg_key_is_entry(&cfg_keys[i]))
			cfg_key_release(cfg, &cfg_keys[i]);
	free(cfg->path);
	strv_release(&cfg->unsupported);
	strv_release(&cfg->warnings);
	explicit_bzero(cfg, sizeof(*cfg));
}

const struct cfg_backend *cfg_backend_find(const struct cfg *cfg, const char *id)
{
	if (!cfg || !id)
		return NULL;
	for (size_t i = 0; i < cfg->backend.n_entries; i++)
		if (cfg->backend.entries[i].id && !strcmp(cfg->backend.entries[i].id, id))
			return &cfg->backend.entries[i];
	return NULL;
}

/* Reads a whole file, bounded. 0, -ENOENT, -EFBIG or another -errno. */
static int read_file(const char *path, char **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int r = 0;

	if (!f)
		return -errno;
	for (;;) {   /* bounded by CFG_FILE_MAX */
		if (cap - len < 4096) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nb;
			if (ncap > CFG_FILE_MAX + 1)
				ncap = CFG_FILE_MAX + 1;
			if (ncap <= cap) {
				r = -EFBIG;
				break;
			}
			if (!(nb = realloc(buf, ncap))) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		size_t got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0) {
			if (ferror(f))
				r = -EIO;
			break;
		}
		if (len >= CFG_FILE_MAX) {
			r = -EFBIG;
			break;
		}
	}
	fclose(f);
	if (r < 0) {
		if (buf)
			explicit_bzero(buf, len);
		free(buf);
		return r;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

static void wipe_free(char *s, size_t len)
{
	if (s) {
		explicit_bzero(s, len);
		free(s);
	}
}

/* The common part of cfg_load and cfg_load_string; text NULL = no file (defaults and env). */
static int load(struct cfg *out, const char *text, const char *name, struct err *err)
{
	struct cfg cfg;
	struct cfg_ctx ctx = { .cfg = &cfg, .name = name, .err = err };
	char *subst = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = cfg_defaults(&cfg)) < 0)
		return err_set(err, r, "out of memory");
	ctx.lines = calloc(cfg_n_keys, sizeof(*ctx.lines));
	if (!ctx.lines) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = cfg_apply_env(&ctx)) < 0)
		goto out;
	if (text) {
		if ((r = cfg_set_str(&cfg.path, name, false)) < 0)
			goto out;
		r = cfg_envsubst(text, &subst, err);
		if (r < 0) {
			err_prefix(err, "%s", name);
			goto out;
		}
		if ((r = cfg_apply_yaml(&ctx, subst, strlen(subst))) < 0)
			goto out;
	}
	r = cfg_validate(&ctx);
out:
	if (subst)
		wipe_free(subst, strlen(subst));
	free(ctx.lines);
	if (r < 0) {
		if (r == -ENOMEM && (!err || !err->code))
			err_set(err, r, "out of memory");
		cfg_release(&cfg);
		return r;
	}
	*out = cfg;
	return 0;
}

int cfg_load_string(struct cfg *cfg, const char *text, const char *name, struct err *err)
{
	return load(cfg, text ? text : "", name && *name ? name : "<string>", err);
}

int cfg_load(struct cfg *cfg, const char *path, struct err *err)
{
	const char *env = getenv("WG_PORTAL_CONFIG");
	bool explicit_path = path && *path;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!explicit_path) {
		struct stat st;
		if (env && *env)
			path = env;
		else if (stat("config/config.yaml", &st) == 0 || stat("config/config.yml", &st) < 0)
			path = "config/config.yaml";
		else
			path = "config/config.yml";
	}
	r = read_file(path, &text, &len);
	if (r == -ENOENT && !explicit_path) {
		/* 1.1 rule 2: no file means built-in defaults plus environment. */
		r = load(cfg, NULL, path, err);
		if (r == 0 && env && *env) {
			char *msg;
			if (asprintf(&msg, "config file '%s' (WG_PORTAL_CONFIG) not found, "
				     "using defaults", path) < 0 ||
			    strv_push_take(&cfg->warnings, msg) < 0) {
				cfg_release(cfg);
				return err_set(err, -ENOMEM, "out of memory");
			}
		}
		return r;
	}
	if (r < 0) {
		if (r == -EFBIG)
			return err_set(err, r, "%s: config file larger than %u bytes", path,
				       CFG_FILE_MAX);
		return err_set(err, r, "%s: %s", path, strerror(-r));
	}
	r = load(cfg, text, path, err);
	wipe_free(text, len);
	return r;
}
