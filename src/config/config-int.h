/* SPDX-License-Identifier: MIT */
#ifndef CONFIG_CONFIG_INT_H
#define CONFIG_CONFIG_INT_H
/*
 * Private to src/config: the key table every part of the loader is driven by (defaults, env
 * variables, the YAML walker, release, the "not supported yet" list), the value parsers, and
 * the load context shared by the walker and the validator.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg;
struct err;
struct strv;

enum cfg_kind {
	CFG_K_STR,     /* char * */
	CFG_K_BOOL,    /* bool */
	CFG_K_INT,     /* int */
	CFG_K_DUR,     /* int64_t milliseconds, Go duration string in YAML */
	CFG_K_STRV,    /* struct strv, YAML sequence of scalars */
	CFG_K_STRMAP,  /* two struct strv (keys at off, values at off2), YAML mapping */
	CFG_K_LIST,    /* sequence of entries of list `list` */
	CFG_K_IGNORE,  /* accepted and dropped (upstream sample keys that have no effect) */
};

enum cfg_list {
	CFG_L_NONE,
	CFG_L_MIKROTIK, CFG_L_PFSENSE, CFG_L_OPNSENSE,   /* struct cfg_backend */
	CFG_L_OIDC, CFG_L_OAUTH, CFG_L_LDAP,             /* struct cfg_auth_provider */
	CFG_L_MAX,
};

enum {
	CFG_F_IMPL    = 1U << 0,   /* this build acts on the key (else: cfg->unsupported) */
	CFG_F_SECRET  = 1U << 1,   /* wiped on release */
	CFG_F_ADMINPW = 1U << 2,   /* setting it marks core.admin_password_set */
	/* accepted and deliberately not acted on because wg-portal never reads it either
	 * (web.session_secret, web.csrf_secret): no "not supported yet" line */
	CFG_F_INERT   = 1U << 3,
};
/* Keys that need no "not supported yet" line. */
#define CFG_F_ACCEPTED (CFG_F_IMPL | CFG_F_INERT)

/*
 * One row per key. Top-level rows: path is the dotted key ("core.admin_user"), off is into
 * struct cfg, list is CFG_L_NONE (or, for CFG_K_LIST rows, the list the sequence fills).
 * Entry rows: path is "<list path>[].<key>" ("backend.mikrotik[].api_url"), off is into the
 * entry struct, list is the list they belong to. Sections ("core", "auth.oidc[].field_map")
 * have no row: a path is a section when some row lies below it.
 */
struct cfg_key {
	const char *path;
	enum cfg_kind kind;
	size_t off, off2;
	const char *env;     /* suffix after WG_PORTAL_<SECTION>_, NULL = no variable */
	const char *def;     /* default in YAML/env text form, NULL = "" / empty / false / 0 */
	unsigned flags;
	enum cfg_list list;
};

extern const struct cfg_key cfg_keys[];
extern const size_t cfg_n_keys;

/* The row with exactly this path, NULL if none. */
const struct cfg_key *cfg_key_find(const char *path);
/* Whether some row lies below path (path is a mapping of keys). */
bool cfg_key_is_section(const char *path);
bool cfg_key_is_entry(const struct cfg_key *k);
/* "backend.mikrotik" for CFG_L_MIKROTIK. */
const char *cfg_list_path(enum cfg_list l);
bool cfg_list_is_backend(enum cfg_list l);

/* Pointer to the field of row k inside base (struct cfg or an entry struct). */
static inline void *cfg_key_field(void *base, const struct cfg_key *k)
{
	return (char *)base + k->off;
}

/* Sets a string field, freeing (and wiping, if secret) the old value. 0 or -ENOMEM. */
int cfg_set_str(char **dst, const char *val, bool secret);
/* Applies the row's default to its field. 0 or -ENOMEM. */
int cfg_key_set_default(void *base, const struct cfg_key *k);
/* Frees the row's field (string, string lists, list entries) and NULLs it; idempotent. */
void cfg_key_release(void *base, const struct cfg_key *k);

/* Entries: all fields of the list's struct family set to "" or the list's defaults. */
int cfg_entry_init(void *entry, enum cfg_list l);
void cfg_entry_release(void *entry, enum cfg_list l);
/* Appends a fresh entry to the list's array in cfg; returns it in *ret. 0, -ENOMEM, -E2BIG. */
int cfg_entry_append(struct cfg *cfg, enum cfg_list l, int line, void **ret);

/* Value parsers. YAML bools accept the 1.1 words (yes/no/on/off/y/n), env bools Go's
 * strconv.ParseBool words. Ints must fit in int. 0 or -EINVAL (-ERANGE for ints). */
int cfg_parse_bool_yaml(const char *s, bool *ret);
int cfg_parse_bool_env(const char *s, bool *ret);
int cfg_parse_int(const char *s, bool yaml, int *ret);

/* Load context: state shared by the env pass, the YAML walker and the validator. */
#define CFG_MAX_ENTRIES 256
struct cfg_ctx {
	struct cfg *cfg;
	const char *name;    /* file name for messages */
	struct err *err;
	int *lines;          /* per top-level row: line where the file set it, 0 = not in file */
};

/* Records that key path is present but not implemented (deduplicated). 0 or -ENOMEM. */
int cfg_mark_unsupported(struct cfg *cfg, const char *path);
/* Applies every WG_PORTAL_* variable; bad values become warnings. 0 or -ENOMEM. */
int cfg_apply_env(struct cfg_ctx *ctx);
/* Parses YAML text (already substituted) onto ctx->cfg. 0 or -EINVAL/-ENOMEM with err set. */
int cfg_apply_yaml(struct cfg_ctx *ctx, const char *text, size_t len);
/* Post-processing and validation of 1.7 and backends.md. */
int cfg_validate(struct cfg_ctx *ctx);

#endif
