/* SPDX-License-Identifier: MIT */
/*
 * ${VAR} substitution of the raw config text before YAML parsing (1.2), following a8m/envsubst
 * as wg-portal uses it: $VAR, ${VAR}, ${VAR-d}, ${VAR:-d}, ${VAR=d}, ${VAR:=d}, ${VAR+o},
 * ${VAR:+o}, "$$" -> "$". Names are runs of [A-Za-z0-9_] (a lone "_" is no name); a default may
 * itself contain substitutions; a "${" whose "}" is not on the same line is an error. The
 * environment is only read ("=" assigns nothing, as upstream).
 */
#include "config/config.h"
#include "util/buf.h"
#include "util/err.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SUBST_MAX   (16U << 20)   /* output bound: config files are small */
#define SUBST_DEPTH 16            /* nesting bound for defaults such as ${A:-${B:-c}} */

struct subst {
	const char *p;
	int line;
	struct err *err;
};

static bool is_name_char(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Length of the variable name at p; a lone "_" does not count (upstream keeps "$_" as text). */
static size_t name_len(const char *p)
{
	size_t n = 0;

	while (is_name_char(p[n]))
		n++;
	return n == 1 && p[0] == '_' ? 0 : n;
}

static const char *env_n(const char *name, size_t n)
{
	char buf[256];

	if (n >= sizeof(buf))
		return NULL;
	memcpy(buf, name, n);
	buf[n] = '\0';
	return getenv(buf);
}

static int unclosed(struct subst *st)
{
	return err_set(st->err, -EINVAL, "line %d: unclosed \"${\" (closing brace expected)",
		       st->line);
}

static int expand(struct subst *st, struct buf *out, bool in_braces, int depth);

/* st->p is just after "${". */
static int expand_braces(struct subst *st, struct buf *out, int depth)
{
	const char *name = st->p, *val;
	size_t n = name_len(name);
	struct buf def;
	char op = 0;
	bool colon = false;
	int r;

	if (depth >= SUBST_DEPTH)
		return err_set(st->err, -EINVAL, "line %d: substitutions nested too deeply",
			       st->line);
	if (!n) {
		if (!*name || *name == '\n' || *name == '\r')
			return unclosed(st);
		return err_set(st->err, -EINVAL, "line %d: bad substitution: \"${\" must be "
			       "followed by a variable name", st->line);
	}
	st->p += n;
	val = env_n(name, n);
	if (*st->p == '}') {
		st->p++;
		return val ? buf_puts(out, val) : 0;
	}
	if (*st->p == ':' && (st->p[1] == '-' || st->p[1] == '=' || st->p[1] == '+')) {
		colon = true;
		st->p++;
	}
	if (*st->p == '-' || *st->p == '=' || *st->p == '+') {
		op = *st->p++;
	} else {
		if (!*st->p || *st->p == '\n' || *st->p == '\r')
			return unclosed(st);
		return err_set(st->err, -EINVAL, "line %d: bad substitution: unexpected '%c' after "
			       "variable name", st->line, *st->p);
	}
	buf_init(&def, SUBST_MAX);
	r = expand(st, &def, true, depth + 1);
	if (r < 0)
		goto out;
	st->p++;   /* the '}' expand() stopped at */
	if (op == '+')
		r = val ? buf_append(out, def.p ? def.p : "", def.len) : 0;   /* ':+' is the same */
	else if (colon ? (val && *val) : val != NULL)
		r = buf_puts(out, val);
	else
		r = buf_append(out, def.p ? def.p : "", def.len);
out:
	buf_wipe(&def);
	return r;
}

/* Copies text to out until the end (or, in braces, until the closing '}', left unconsumed). */
static int expand(struct subst *st, struct buf *out, bool in_braces, int depth)
{
	int r = 0;

	/* Every round consumes at least one character, so the loop is bounded by the input. */
	while (*st->p && r >= 0) {
		const char *p = st->p;

		if (in_braces && *p == '}')
			return 0;
		if (in_braces && (*p == '\n' || *p == '\r'))
			return unclosed(st);
		if (*p != '$') {
			size_t n = strcspn(p, in_braces ? "$}\n\r" : "$\n");
			if (!n) {   /* a newline outside braces */
				st->line++;
				n = 1;
			}
			r = buf_append(out, p, n);
			st->p += n;
			continue;
		}
		if (p[1] == '$') {
			r = buf_append(out, "$", 1);
			st->p += 2;
		} else if (p[1] == '{') {
			st->p += 2;
			r = expand_braces(st, out, depth);
		} else if (name_len(p + 1)) {
			size_t n = name_len(p + 1);
			const char *val = env_n(p + 1, n);
			r = val ? buf_puts(out, val) : 0;
			st->p += 1 + n;
		} else {
			r = buf_append(out, "$", 1);
			st->p++;
		}
	}
	if (r >= 0 && in_braces)
		return unclosed(st);
	if (r == -E2BIG)
		return err_set(st->err, r, "config text too large after substitution");
	return r;
}

int cfg_envsubst(const char *in, char **ret, struct err *err)
{
	struct subst st = { .p = in, .line = 1, .err = err };
	struct buf out;
	int r;

	buf_init(&out, SUBST_MAX);
	r = expand(&st, &out, false, 0);
	if (r < 0) {
		buf_wipe(&out);   /* the text may hold secrets */
		if (r == -ENOMEM)
			return err_set(err, r, "out of memory");
		return r;
	}
	*ret = buf_detach(&out);
	if (!*ret)
		return err_set(err, -ENOMEM, "out of memory");
	return 0;
}
