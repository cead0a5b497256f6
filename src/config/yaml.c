/* SPDX-License-Identifier: MIT */
/*
 * The schema walker: loads the (already substituted) text with libyaml's document API and walks
 * it against the key table, writing each value into struct cfg. Unknown keys, duplicate keys and
 * wrong types are errors with line and column (wg-portal ignores unknown keys; we do not). Merge
 * keys ("<<") are honoured like yaml.v3 does; explicit keys win over merged ones. Aliases are
 * followed, with a node budget and a depth bound so a hostile file cannot blow up the walk.
 */
#include "config/config-int.h"
#include "config/config.h"
#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define WALK_BUDGET 200000   /* nodes visited, aliases counted each time they are followed */
#define WALK_DEPTH  32
#define PATH_MAX_LEN 256

struct walk {
	struct cfg_ctx *ctx;
	yaml_document_t *doc;
	unsigned budget;
};

static int line_of(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

static int col_of(const yaml_node_t *n)
{
	return (int)n->start_mark.column + 1;
}

__attribute__((format(printf, 4, 5)))
static int fail(struct walk *w, const yaml_node_t *n, const char *field, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_field(w->ctx->err, -EINVAL, field ? field : "", "%s: line %d, column %d: %s",
			 w->ctx->name, line_of(n), col_of(n), msg);
}

static yaml_node_t *node(struct walk *w, int id)
{
	return yaml_document_get_node(w->doc, id);
}

static const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* `key:`, `key: ~`, `key: null`: the key keeps its default (1.1 rule 5). */
static bool is_null(const yaml_node_t *n)
{
	const char *s;

	if (!is_plain(n))
		return false;
	s = sval(n);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

/* [+-]?[0-9]+ */
static bool is_exponent(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Whether a plain scalar resolves to a YAML int or float (what yaml.v3 refuses for durations). */
static bool is_number(const char *s)
{
	bool digits = false, dot = false;

	if (*s == '-' || *s == '+')
		s++;
	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") || !strcmp(s, ".nan") ||
	    !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		return true;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b') && s[2])
		return true;
	for (; *s; s++) {
		if ((*s >= '0' && *s <= '9') || *s == '_')
			digits = true;
		else if (*s == '.' && !dot)
			dot = true;
		else if ((*s == 'e' || *s == 'E') && digits)
			return is_exponent(s + 1);
		else
			return false;
	}
	return digits;
}

static const char *kind_name(enum cfg_kind k)
{
	switch (k) {
	case CFG_K_STR: return "a string";
	case CFG_K_BOOL: return "a boolean";
	case CFG_K_INT: return "an integer";
	case CFG_K_DUR: return "a duration string";
	case CFG_K_STRV: return "a list of strings";
	case CFG_K_STRMAP: return "a mapping of strings";
	case CFG_K_LIST: return "a list of mappings";
	default: return "a value";
	}
}

static int walk_map(struct walk *w, yaml_node_t *map, const char *lpre, const char *dpre,
		    void *base, int depth);

/* Removes the entries of list l (a key set twice through a merge replaces, not appends). */
static void list_clear(struct cfg *cfg, enum cfg_list l)
{
	if (!cfg_list_is_backend(l)) {
		const struct cfg_key *k = cfg_key_find(cfg_list_path(l));
		cfg_key_release(cfg, k);
		return;
	}
	enum cfg_backend_type t = l == CFG_L_MIKROTIK ? CFG_BACKEND_MIKROTIK :
				  l == CFG_L_PFSENSE ? CFG_BACKEND_PFSENSE : CFG_BACKEND_OPNSENSE;
	size_t j = 0;
	for (size_t i = 0; i < cfg->backend.n_entries; i++) {
		if (cfg->backend.entries[i].type == t)
			cfg_entry_release(&cfg->backend.entries[i], CFG_L_MIKROTIK);
		else
			cfg->backend.entries[j++] = cfg->backend.entries[i];
	}
	cfg->backend.n_entries = j;
}

static int apply_list(struct walk *w, const struct cfg_key *k, yaml_node_t *v, const char *disp,
		      int depth)
{
	struct cfg *cfg = w->ctx->cfg;
	char lpre[PATH_MAX_LEN], dpre[PATH_MAX_LEN + 32];
	size_t n = 0;
	int r;

	list_clear(cfg, k->list);
	if (is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return fail(w, v, disp, "'%s' must be %s", disp, kind_name(k->kind));
	snprintf(lpre, sizeof(lpre), "%s[]", k->path);
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++, n++) {
		yaml_node_t *item = node(w, *it);
		void *e;

		snprintf(dpre, sizeof(dpre), "%s[%zu]", disp, n);
		if (!item || item->type != YAML_MAPPING_NODE)
			return fail(w, item ? item : v, disp, "'%s' must be a mapping", dpre);
		r = cfg_entry_append(cfg, k->list, line_of(item), &e);
		if (r == -E2BIG)
			return fail(w, item, disp, "'%s': more than %d entries", disp,
				    CFG_MAX_ENTRIES);
		if (r < 0)
			return err_set(w->ctx->err, r, "out of memory");
		r = walk_map(w, item, lpre, dpre, e, depth + 1);
		if (r < 0)
			return r;
	}
	if (n && !(k->flags & CFG_F_ACCEPTED))
		return cfg_mark_unsupported(cfg, k->path);
	return 0;
}

static int apply_strv(struct walk *w, const struct cfg_key *k, yaml_node_t *v, const char *disp,
		      struct strv *dst)
{
	struct strv sv = STRV_INIT;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail(w, v, disp, "'%s' must be %s", disp, kind_name(k->kind));
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = node(w, *it);
		if (!item || item->type != YAML_SCALAR_NODE) {
			strv_release(&sv);
			return fail(w, item ? item : v, disp, "'%s' items must be strings", disp);
		}
		if (strv_push(&sv, is_null(item) ? "" : sval(item)) < 0) {
			strv_release(&sv);
			return err_set(w->ctx->err, -ENOMEM, "out of memory");
		}
	}
	strv_release(dst);
	*dst = sv;
	return 0;
}

static int apply_strmap(struct walk *w, const struct cfg_key *k, yaml_node_t *v,
			const char *disp, void *base)
{
	struct strv *keys = cfg_key_field(base, k);
	struct strv *vals = (struct strv *)((char *)base + k->off2);

	if (v->type != YAML_MAPPING_NODE)
		return fail(w, v, disp, "'%s' must be %s", disp, kind_name(k->kind));
	strv_release(keys);
	strv_release(vals);
	yaml_node_pair_t *end = v->data.mapping.pairs.top;
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < end; p++) {
		yaml_node_t *kn = node(w, p->key), *vn = node(w, p->value);
		if (!kn || !vn || kn->type != YAML_SCALAR_NODE || vn->type != YAML_SCALAR_NODE)
			return fail(w, kn ? kn : v, disp, "'%s' must map names to strings", disp);
		if (strv_push(keys, sval(kn)) < 0 ||
		    strv_push(vals, is_null(vn) ? "" : sval(vn)) < 0)
			return err_set(w->ctx->err, -ENOMEM, "out of memory");
	}
	return 0;
}

static int apply_scalar(struct walk *w, const struct cfg_key *k, yaml_node_t *v, const char *disp,
			void *base)
{
	void *f = cfg_key_field(base, k);
	const char *s;

	if (v->type != YAML_SCALAR_NODE)
		return fail(w, v, disp, "'%s' must be %s", disp, kind_name(k->kind));
	s = sval(v);
	if (strlen(s) != v->data.scalar.length)
		return fail(w, v, disp, "'%s' contains a NUL character", disp);
	switch (k->kind) {
	case CFG_K_STR:
		if (cfg_set_str(f, s, k->flags & CFG_F_SECRET) < 0)
			return err_set(w->ctx->err, -ENOMEM, "out of memory");
		return 0;
	case CFG_K_BOOL:
		if (cfg_parse_bool_yaml(s, f) < 0)
			return fail(w, v, disp, "'%s' must be a boolean (true or false), "
				    "got '%.64s'", disp, s);
		return 0;
	case CFG_K_INT: {
		int r = is_plain(v) ? cfg_parse_int(s, true, f) : -EINVAL;
		if (r == -ERANGE)
			return fail(w, v, disp, "'%s': integer %.64s out of range", disp, s);
		if (r < 0)
			return fail(w, v, disp, "'%s' must be an integer, got '%.64s'", disp, s);
		return 0;
	}
	case CFG_K_DUR:
		/* yaml.v3 refuses a YAML number for a time.Duration, so wg-portal does too. A bare
		 * 0 can only mean "zero", so it is taken as "0" with a warning (the issue allows
		 * it; docs/wg-portal-behaviour.md); any other bare number is an error. */
		if (is_plain(v) && !strcmp(s, "0")) {
			char *msg = NULL;
			if (asprintf(&msg, "line %d: '%s': a bare 0 is taken as \"0\" (wg-portal "
				     "refuses it; write \"0\" or 0s)", line_of(v), disp) < 0 ||
			    strv_push_take(&w->ctx->cfg->warnings, msg) < 0)
				return err_set(w->ctx->err, -ENOMEM, "out of memory");
			*(int64_t *)f = 0;
			return 0;
		}
		if (is_plain(v) && is_number(s))
			return fail(w, v, disp, "'%s' must be a duration string such as \"30s\" "
				    "(a bare number is not accepted), got %.64s", disp, s);
		if (cfg_parse_duration(s, f) < 0)
			return fail(w, v, disp, "'%s': invalid duration '%.64s' (units ns, us, ms, "
				    "s, m, h; e.g. \"1h30m\")", disp, s);
		return 0;
	default:
		return 0;
	}
}

static int apply(struct walk *w, const struct cfg_key *k, yaml_node_t *key, yaml_node_t *v,
		 const char *disp, void *base, int depth)
{
	int r;

	if (k->kind == CFG_K_IGNORE)
		return 0;
	if (k->kind == CFG_K_LIST) {
		r = apply_list(w, k, v, disp, depth);
	} else if (is_null(v)) {
		/* Null keeps the default; for lists that is the empty list. */
		if (k->kind == CFG_K_STRV || k->kind == CFG_K_STRMAP)
			cfg_key_set_default(base, k);
		return 0;
	} else if (k->kind == CFG_K_STRV) {
		r = apply_strv(w, k, v, disp, cfg_key_field(base, k));
	} else if (k->kind == CFG_K_STRMAP) {
		r = apply_strmap(w, k, v, disp, base);
	} else {
		r = apply_scalar(w, k, v, disp, base);
	}
	if (r < 0)
		return r;
	if (cfg_key_is_entry(k))
		return 0;
	w->ctx->lines[k - cfg_keys] = line_of(key);
	if (k->flags & CFG_F_ADMINPW)
		w->ctx->cfg->core.admin_password_set = true;
	if (k->kind != CFG_K_LIST && !(k->flags & CFG_F_ACCEPTED))
		return cfg_mark_unsupported(w->ctx->cfg, k->path);
	return 0;
}

static int walk_pair(struct walk *w, yaml_node_t *kn, yaml_node_t *vn, const char *lpre,
		     const char *dpre, void *base, int depth)
{
	char lpath[PATH_MAX_LEN], dpath[PATH_MAX_LEN];
	const struct cfg_key *k;
	const char *name = sval(kn);
	int n1, n2;

	if (*lpre) {
		n1 = snprintf(lpath, sizeof(lpath), "%s.%s", lpre, name);
		n2 = snprintf(dpath, sizeof(dpath), "%s.%s", dpre, name);
	} else {
		n1 = snprintf(lpath, sizeof(lpath), "%s", name);
		n2 = snprintf(dpath, sizeof(dpath), "%s", name);
	}
	k = n1 < (int)sizeof(lpath) && n2 < (int)sizeof(dpath) ? cfg_key_find(lpath) : NULL;
	if (k)
		return apply(w, k, kn, vn, dpath, base, depth);
	if (n1 < (int)sizeof(lpath) && cfg_key_is_section(lpath)) {
		if (is_null(vn))
			return 0;
		if (vn->type != YAML_MAPPING_NODE)
			return fail(w, vn, dpath, "'%s' must be a mapping", dpath);
		return walk_map(w, vn, lpath, dpath, base, depth + 1);
	}
	if (!*dpre)
		return fail(w, kn, name, "unknown top-level key '%.64s'", name);
	return fail(w, kn, dpath, "unknown key '%.64s' in '%s'", name, dpre);
}

static int walk_map(struct walk *w, yaml_node_t *map, const char *lpre, const char *dpre,
		    void *base, int depth)
{
	yaml_node_pair_t *start = map->data.mapping.pairs.start, *top = map->data.mapping.pairs.top;
	int r;

	if (depth > WALK_DEPTH)
		return fail(w, map, dpre, "'%s': nested too deeply", dpre);
	/* Pass 0 applies merge keys, pass 1 the explicit keys, so explicit ones win. */
	for (int pass = 0; pass < 2; pass++) {
		for (yaml_node_pair_t *p = start; p < top; p++) {
			yaml_node_t *kn = node(w, p->key), *vn = node(w, p->value);

			if (!kn || !vn)
				return err_set(w->ctx->err, -EINVAL, "%s: malformed YAML document",
					       w->ctx->name);
			if (w->budget-- == 0)
				return fail(w, kn, dpre, "document too large (alias expansion?)");
			if (kn->type != YAML_SCALAR_NODE)
				return fail(w, kn, dpre, "keys must be plain strings");
			bool merge = is_plain(kn) && !strcmp(sval(kn), "<<");
			if (merge != (pass == 0))
				continue;
			if (merge) {
				r = 0;
				if (vn->type == YAML_MAPPING_NODE) {
					r = walk_map(w, vn, lpre, dpre, base, depth + 1);
				} else if (vn->type == YAML_SEQUENCE_NODE) {
					for (yaml_node_item_t *it = vn->data.sequence.items.start;
					     r >= 0 && it < vn->data.sequence.items.top; it++) {
						yaml_node_t *m = node(w, *it);
						if (!m || m->type != YAML_MAPPING_NODE)
							return fail(w, vn, dpre, "merge key "
								    "'<<' needs mappings");
						r = walk_map(w, m, lpre, dpre, base, depth + 1);
					}
				} else {
					r = fail(w, vn, dpre, "merge key '<<' needs a mapping");
				}
				if (r < 0)
					return r;
				continue;
			}
			for (yaml_node_pair_t *q = start; q < p; q++) {
				yaml_node_t *qk = node(w, q->key);
				if (qk && qk->type == YAML_SCALAR_NODE &&
				    !strcmp(sval(qk), sval(kn)))
					return fail(w, kn, dpre, "duplicate key '%.64s' (first "
						    "at line %d)", sval(kn), line_of(qk));
			}
			r = walk_pair(w, kn, vn, lpre, dpre, base, depth);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* libyaml frees without clearing; the scalars and its decoded input copy may hold secrets. */
static void wipe_document(yaml_document_t *doc)
{
	for (yaml_node_t *n = doc->nodes.start; n && n < doc->nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE && n->data.scalar.value)
			explicit_bzero(n->data.scalar.value, n->data.scalar.length);
}

static void wipe_parser(yaml_parser_t *p)
{
	if (p->buffer.start && p->buffer.end > p->buffer.start)
		explicit_bzero(p->buffer.start, (size_t)(p->buffer.end - p->buffer.start));
}

int cfg_apply_yaml(struct cfg_ctx *ctx, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct walk w = { .ctx = ctx, .doc = &doc, .budget = WALK_BUDGET };
	yaml_node_t *root;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return err_set(ctx->err, -ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (parser.error == YAML_MEMORY_ERROR)
			r = err_set(ctx->err, -ENOMEM, "out of memory");
		else
			r = err_set(ctx->err, -EINVAL, "%s: line %zu, column %zu: %s%s%s%s",
				    ctx->name, parser.problem_mark.line + 1,
				    parser.problem_mark.column + 1,
				    parser.problem ? parser.problem : "invalid YAML",
				    parser.context ? " (" : "",
				    parser.context ? parser.context : "",
				    parser.context ? ")" : "");
		wipe_parser(&parser);
		yaml_parser_delete(&parser);
		return r;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && !is_null(root)) {
		if (root->type != YAML_MAPPING_NODE)
			r = fail(&w, root, "", "the top level must be a mapping of sections");
		else
			r = walk_map(&w, root, "", "", ctx->cfg, 0);
	}
	wipe_document(&doc);
	yaml_document_delete(&doc);
	wipe_parser(&parser);
	yaml_parser_delete(&parser);
	return r;
}
