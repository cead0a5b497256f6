/* SPDX-License-Identifier: MIT */
/*
 * The lexer of the Go template parser: tokens inside an action ({{ ... }}), with Go's string,
 * raw string, char and number literals, and the error record of the parse. Every loop is
 * bounded by the input (fuzzed: tests/fuzz/fuzz_gotpl.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mail/gotpl-lex.h"
#include "util/err.h"

int tpl_fail(struct parser *ps, const char *fmt, const char *arg)
{
	if (!ps->failed) {
		ps->failed = true;
		err_set(ps->err, -EINVAL, "%s:%d: %s%s%s", ps->name, ps->line, fmt, arg ? " " : "",
			arg ? arg : "");
	}
	return -EINVAL;
}

/* ---- tree destructors ---- */

bool tpl_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

static void skip_space(struct parser *ps, bool *saw)
{
	while (ps->pos < ps->len && tpl_is_space(ps->s[ps->pos])) {
		if (ps->s[ps->pos] == '\n')
			ps->line++;
		ps->pos++;
		*saw = true;
	}
}

bool tpl_at(const struct parser *ps, const char *lit)
{
	size_t n = strlen(lit);
	return ps->len - ps->pos >= n && memcmp(ps->s + ps->pos, lit, n) == 0;
}

static int lex_quoted(struct parser *ps, struct tok *t, char q)
{
	ps->pos++;
	while (ps->pos < ps->len && ps->s[ps->pos] != q) {
		if (q != '`' && ps->s[ps->pos] == '\n')
			return tpl_fail(ps, "unterminated quoted string", NULL);
		if (q == '`' && ps->s[ps->pos] == '\n')
			ps->line++;
		if (q != '`' && ps->s[ps->pos] == '\\' && ps->pos + 1 < ps->len)
			ps->pos++;
		ps->pos++;
	}
	if (ps->pos >= ps->len)
		return tpl_fail(ps, "unterminated quoted string", NULL);
	ps->pos++;
	t->kind = q == '\'' ? T_CHAR : T_STRING;
	t->len = (size_t)(ps->s + ps->pos - t->p);
	return 0;
}

int tpl_lex(struct parser *ps, struct tok *t)
{
	bool saw = false;

	if (ps->nback > 0) {
		*t = ps->back[--ps->nback];
		return 0;
	}
	memset(t, 0, sizeof(*t));
	skip_space(ps, &saw);
	t->space_before = saw;
	t->p = ps->s + ps->pos;
	if (ps->pos >= ps->len)
		return tpl_fail(ps, "unclosed action", NULL);
	if (saw && tpl_at(ps, "-}}")) {
		t->kind = T_RDELIM;
		t->trim_after = true;
		ps->pos += 3;
		return 0;
	}
	if (tpl_at(ps, "}}")) {
		t->kind = T_RDELIM;
		ps->pos += 2;
		return 0;
	}
	char c = ps->s[ps->pos];
	switch (c) {
	case '|': t->kind = T_PIPE; ps->pos++; t->len = 1; return 0;
	case '(': t->kind = T_LPAREN; ps->pos++; t->len = 1; return 0;
	case ')': t->kind = T_RPAREN; ps->pos++; t->len = 1; return 0;
	case ',': t->kind = T_COMMA; ps->pos++; t->len = 1; return 0;
	case '=': t->kind = T_ASSIGN; ps->pos++; t->len = 1; return 0;
	case '"': case '`': case '\'': return lex_quoted(ps, t, c);
	}
	if (c == ':' && tpl_at(ps, ":=")) {
		t->kind = T_DECLARE;
		ps->pos += 2;
		t->len = 2;
		return 0;
	}
	if (c == '.' || c == '$') {
		size_t st = ps->pos++;
		while (ps->pos < ps->len && is_ident(ps->s[ps->pos]))
			ps->pos++;
		t->len = ps->pos - st;
		if (c == '.' && t->len == 1) {
			if (ps->pos < ps->len && isdigit((unsigned char)ps->s[ps->pos]))
				goto number;
			t->kind = T_DOT;
		} else {
			t->kind = c == '.' ? T_FIELD : T_VAR;
		}
		return 0;
	}
	if (isdigit((unsigned char)c) || ((c == '-' || c == '+') && ps->pos + 1 < ps->len &&
					  (isdigit((unsigned char)ps->s[ps->pos + 1]) ||
					   ps->s[ps->pos + 1] == '.'))) {
number:
		ps->pos = (size_t)(t->p - ps->s) + 1;
		while (ps->pos < ps->len &&
		       (isalnum((unsigned char)ps->s[ps->pos]) || ps->s[ps->pos] == '.' ||
			ps->s[ps->pos] == '_' ||
			((ps->s[ps->pos] == '-' || ps->s[ps->pos] == '+') &&
			 (ps->s[ps->pos - 1] == 'e' || ps->s[ps->pos - 1] == 'E'))))
			ps->pos++;
		t->kind = T_NUMBER;
		t->len = (size_t)(ps->s + ps->pos - t->p);
		return 0;
	}
	if (is_ident(c)) {
		while (ps->pos < ps->len && is_ident(ps->s[ps->pos]))
			ps->pos++;
		t->kind = T_IDENT;
		t->len = (size_t)(ps->s + ps->pos - t->p);
		return 0;
	}
	char bad[2] = { c, 0 };
	return tpl_fail(ps, "unexpected character in action:", isprint((unsigned char)c) ? bad : "?");
}

void tpl_unlex(struct parser *ps, const struct tok *t)
{
	if (ps->nback < (int)(sizeof(ps->back) / sizeof(ps->back[0])))
		ps->back[ps->nback++] = *t;
}

int tpl_peek(struct parser *ps, struct tok *t)
{
	if (tpl_lex(ps, t) < 0)
		return -EINVAL;
	tpl_unlex(ps, t);
	return 0;
}

bool tpl_tok_is(const struct tok *t, const char *word)
{
	return t->kind == T_IDENT && t->len == strlen(word) && memcmp(t->p, word, t->len) == 0;
}

char *tpl_tok_dup(const struct tok *t, size_t skip)
{
	return strndup(t->p + skip, t->len - skip);
}

/* Unquotes a Go string or char literal into a heap string. */
int tpl_unquote(struct parser *ps, const struct tok *t, char **ret)
{
	const char *s = t->p + 1, *e = t->p + t->len - 1;
	char *out = malloc(t->len + 1), *o = out;

	if (!out)
		return -ENOMEM;
	if (t->p[0] == '`') {
		memcpy(out, s, (size_t)(e - s));
		out[e - s] = '\0';
		*ret = out;
		return 0;
	}
	while (s < e) {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case 'a': *o++ = '\a'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'v': *o++ = '\v'; break;
		case '\\': case '"': case '\'': *o++ = *s; break;
		case 'x': {
			char hex[3] = { 0 };
			if (e - s < 3 || !isxdigit((unsigned char)s[1]) || !isxdigit((unsigned char)s[2]))
				goto bad;
			memcpy(hex, s + 1, 2);
			*o++ = (char)strtol(hex, NULL, 16);
			s += 2;
			break;
		}
		default:
			goto bad;
		}
		s++;
	}
	*o = '\0';
	*ret = out;
	return 0;
bad:
	free(out);
	return tpl_fail(ps, "invalid escape in string literal", NULL);
}

/* ---- variables in scope ---- */
