/* SPDX-License-Identifier: MIT */
/*
 * Parser of the Go template subset (see gotpl.h): text and {{actions}} into a tree of
 * tpl_node lists, one tpl_def per template name. Errors carry Go's "name:line: reason" form so
 * an admin finds the spot in a templates_path file; the set changes only when the whole text
 * parsed. Every loop is bounded by the input, nesting by TPL_NEST_MAX (fuzzed:
 * tests/fuzz/fuzz_gotpl.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mail/gotpl-int.h"
#include "util/err.h"

#define TPL_NEST_MAX 64

enum tok_kind {
	T_EOF, T_RDELIM, T_FIELD, T_VAR, T_STRING, T_NUMBER, T_CHAR, T_IDENT, T_DOT, T_PIPE,
	T_LPAREN, T_RPAREN, T_DECLARE, T_ASSIGN, T_COMMA,
};

struct tok {
	enum tok_kind kind;
	const char *p;           /* start in the text */
	size_t len;
	bool space_before;
	bool trim_after;         /* T_RDELIM written " -}}" */
};

struct parser {
	const char *s;
	size_t len, pos;
	int line;
	const char *name;
	struct err *err;
	bool trim_next;          /* the last action ended with " -}}" */
	struct tok back[2];      /* pushed-back tokens, read before the text */
	int nback;
	struct strv vars;        /* variables in scope, innermost last */
	int range_depth, nest;
	struct tpl_def *defs;    /* templates defined by this text */
	bool failed;
};

static int fail(struct parser *ps, const char *fmt, const char *arg)
{
	if (!ps->failed) {
		ps->failed = true;
		err_set(ps->err, -EINVAL, "%s:%d: %s%s%s", ps->name, ps->line, fmt, arg ? " " : "",
			arg ? arg : "");
	}
	return -EINVAL;
}

/* ---- tree destructors ---- */

static void pipe_free(struct tpl_pipe *p);

static void arg_release(struct tpl_arg *a)
{
	free(a->text);
	strv_release(&a->chain);
	pipe_free(a->pipe);
}

static void pipe_free(struct tpl_pipe *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		for (size_t k = 0; k < p->cmds[i].n; k++)
			arg_release(&p->cmds[i].args[k]);
		free(p->cmds[i].args);
	}
	free(p->cmds);
	strv_release(&p->decl);
	free(p);
}

void tpl_list_free(struct tpl_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].text);
		pipe_free(l->v[i].pipe);
		tpl_list_free(l->v[i].list);
		tpl_list_free(l->v[i].else_list);
	}
	free(l->v);
	free(l);
}

static void defs_free(struct tpl_def *d)
{
	while (d) {
		struct tpl_def *next = d->next;
		free(d->name);
		tpl_list_free(d->root);
		free(d);
		d = next;
	}
}

static struct tpl_node *list_add(struct tpl_list *l, enum tpl_node_kind kind, int line)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		struct tpl_node *nv = realloc(l->v, ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = ncap;
	}
	struct tpl_node *n = &l->v[l->n++];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->line = line;
	return n;
}

/* ---- lexer (inside an action) ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

static void skip_space(struct parser *ps, bool *saw)
{
	while (ps->pos < ps->len && is_space(ps->s[ps->pos])) {
		if (ps->s[ps->pos] == '\n')
			ps->line++;
		ps->pos++;
		*saw = true;
	}
}

static bool at(const struct parser *ps, const char *lit)
{
	size_t n = strlen(lit);
	return ps->len - ps->pos >= n && memcmp(ps->s + ps->pos, lit, n) == 0;
}

static int lex_quoted(struct parser *ps, struct tok *t, char q)
{
	ps->pos++;
	while (ps->pos < ps->len && ps->s[ps->pos] != q) {
		if (q != '`' && ps->s[ps->pos] == '\n')
			return fail(ps, "unterminated quoted string", NULL);
		if (q == '`' && ps->s[ps->pos] == '\n')
			ps->line++;
		if (q != '`' && ps->s[ps->pos] == '\\' && ps->pos + 1 < ps->len)
			ps->pos++;
		ps->pos++;
	}
	if (ps->pos >= ps->len)
		return fail(ps, "unterminated quoted string", NULL);
	ps->pos++;
	t->kind = q == '\'' ? T_CHAR : T_STRING;
	t->len = (size_t)(ps->s + ps->pos - t->p);
	return 0;
}

static int lex(struct parser *ps, struct tok *t)
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
		return fail(ps, "unclosed action", NULL);
	if (saw && at(ps, "-}}")) {
		t->kind = T_RDELIM;
		t->trim_after = true;
		ps->pos += 3;
		return 0;
	}
	if (at(ps, "}}")) {
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
	if (c == ':' && at(ps, ":=")) {
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
	return fail(ps, "unexpected character in action:", isprint((unsigned char)c) ? bad : "?");
}

static void unlex(struct parser *ps, const struct tok *t)
{
	ps->back[ps->nback++] = *t;
}

static int peek(struct parser *ps, struct tok *t)
{
	if (lex(ps, t) < 0)
		return -EINVAL;
	unlex(ps, t);
	return 0;
}

static bool tok_is(const struct tok *t, const char *word)
{
	return t->kind == T_IDENT && t->len == strlen(word) && memcmp(t->p, word, t->len) == 0;
}

static char *tok_dup(const struct tok *t, size_t skip)
{
	return strndup(t->p + skip, t->len - skip);
}

/* Unquotes a Go string or char literal into a heap string. */
static int unquote(struct parser *ps, const struct tok *t, char **ret)
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
	return fail(ps, "invalid escape in string literal", NULL);
}

/* ---- variables in scope ---- */

static bool var_known(const struct parser *ps, const char *name)
{
	if (strcmp(name, "$") == 0)
		return true;
	for (size_t i = ps->vars.n; i-- > 0;)
		if (strcmp(ps->vars.v[i], name) == 0)
			return true;
	return false;
}

static void vars_pop_to(struct parser *ps, size_t mark)
{
	while (ps->vars.n > mark)
		free(ps->vars.v[--ps->vars.n]);
}

/* ---- pipelines ---- */

static int parse_pipe(struct parser *ps, enum tok_kind end, bool decl_ok, bool range,
		      struct tpl_pipe **ret);

static int add_chain(struct parser *ps, struct tpl_arg *a)
{
	struct tok t;

	for (;;) {
		if (peek(ps, &t) < 0)
			return -EINVAL;
		if (t.kind != T_FIELD || t.space_before)
			return 0;
		lex(ps, &t);
		char *f = tok_dup(&t, 1);
		if (!f || strv_push_take(&a->chain, f) < 0)
			return -ENOMEM;
	}
}

static int parse_number(struct parser *ps, const struct tok *t, struct tpl_arg *a)
{
	char buf[64], *end;

	if (t->len >= sizeof(buf))
		return fail(ps, "bad number syntax", NULL);
	memcpy(buf, t->p, t->len);
	buf[t->len] = '\0';
	for (char *p = buf, *q = buf;; p++) {   /* Go allows '_' digit separators */
		if (*p != '_')
			*q++ = *p;
		if (!*p)
			break;
	}
	a->kind = ARG_NUMBER;
	errno = 0;
	long long v = strtoll(buf, &end, 0);
	if (*end == '\0' && errno == 0 && end != buf) {
		a->is_int = true;
		a->ival = v;
		a->num = (double)v;
		return 0;
	}
	errno = 0;
	a->num = strtod(buf, &end);
	if (*end != '\0' || end == buf || errno)
		return fail(ps, "bad number syntax:", buf);
	return 0;
}

static int parse_operand(struct parser *ps, const struct tok *t, struct tpl_arg *a)
{
	int r = 0;

	memset(a, 0, sizeof(*a));
	switch (t->kind) {
	case T_DOT:
		a->kind = ARG_DOT;
		return 0;
	case T_FIELD:
		a->kind = ARG_FIELD;
		a->text = tok_dup(t, 1);
		if (!a->text || strv_push(&a->chain, a->text) < 0)
			return -ENOMEM;
		return add_chain(ps, a);
	case T_VAR:
		a->kind = ARG_VAR;
		a->text = tok_dup(t, 0);
		if (!a->text)
			return -ENOMEM;
		if (!var_known(ps, a->text))
			return fail(ps, "undefined variable", a->text);
		return add_chain(ps, a);
	case T_STRING:
		a->kind = ARG_STRING;
		return unquote(ps, t, &a->text);
	case T_CHAR: {
		char *s = NULL;
		if ((r = unquote(ps, t, &s)) < 0)
			return r;
		a->kind = ARG_NUMBER;
		a->is_int = true;
		a->ival = (unsigned char)s[0];
		a->num = (double)a->ival;
		free(s);
		return 0;
	}
	case T_NUMBER:
		return parse_number(ps, t, a);
	case T_LPAREN:
		if (++ps->nest > TPL_NEST_MAX)
			return fail(ps, "expression nested too deeply", NULL);
		a->kind = ARG_PIPE;
		r = parse_pipe(ps, T_RPAREN, false, false, &a->pipe);
		ps->nest--;
		if (r < 0)
			return r;
		return add_chain(ps, a);
	case T_IDENT:
		if (tok_is(t, "true") || tok_is(t, "false")) {
			a->kind = ARG_BOOL;
			a->bval = tok_is(t, "true");
			return 0;
		}
		if (tok_is(t, "nil")) {
			a->kind = ARG_NIL;
			return 0;
		}
		a->kind = ARG_FUNC;
		a->text = tok_dup(t, 0);
		if (!a->text)
			return -ENOMEM;
		if (!tpl_func_known(a->text))
			return fail(ps, "function not defined:", a->text);
		return 0;
	default:
		return fail(ps, "unexpected token in operand", NULL);
	}
}

static int cmd_add(struct tpl_cmd *c, struct tpl_arg *a)
{
	struct tpl_arg *nv = realloc(c->args, (c->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	c->args = nv;
	c->args[c->n++] = *a;
	return 0;
}

static int pipe_add(struct tpl_pipe *p, struct tpl_cmd *c)
{
	struct tpl_cmd *nv = realloc(p->cmds, (p->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	p->cmds = nv;
	p->cmds[p->n++] = *c;
	return 0;
}

/* Declarations at the start: "$x :=", "$x =", "$i, $e :=" (range only). */
static int parse_decl(struct parser *ps, struct tpl_pipe *p, bool range)
{
	struct tok t1, t2, t3, t4;

	if (peek(ps, &t1) < 0 || t1.kind != T_VAR)
		return 0;
	lex(ps, &t1);
	if (lex(ps, &t2) < 0)
		return -EINVAL;
	if (t2.kind == T_DECLARE || t2.kind == T_ASSIGN) {
		char *name = tok_dup(&t1, 0);
		if (!name || strv_push_take(&p->decl, name) < 0)
			return -ENOMEM;
		p->assign = t2.kind == T_ASSIGN;
		if (p->assign && !var_known(ps, p->decl.v[0]))
			return fail(ps, "undefined variable", p->decl.v[0]);
		return 1;
	}
	if (range && t2.kind == T_COMMA) {
		if (lex(ps, &t3) < 0 || t3.kind != T_VAR || lex(ps, &t4) < 0 ||
		    (t4.kind != T_DECLARE && t4.kind != T_ASSIGN))
			return fail(ps, "too many declarations in range", NULL);
		char *a = tok_dup(&t1, 0), *b = tok_dup(&t3, 0);
		if (!a || !b || strv_push_take(&p->decl, a) < 0 || strv_push_take(&p->decl, b) < 0) {
			free(b);
			return -ENOMEM;
		}
		p->assign = t4.kind == T_ASSIGN;
		return 1;
	}
	/* not a declaration: give both tokens back */
	unlex(ps, &t2);
	unlex(ps, &t1);
	return 0;
}

static int parse_pipe(struct parser *ps, enum tok_kind end, bool decl_ok, bool range,
		      struct tpl_pipe **ret)
{
	struct tpl_pipe *p = calloc(1, sizeof(*p));
	struct tpl_cmd cmd = { 0 };
	struct tok t;
	int r = -ENOMEM;

	if (!p)
		return -ENOMEM;
	if (decl_ok && (r = parse_decl(ps, p, range)) < 0)
		goto fail;
	for (;;) {
		if ((r = lex(ps, &t)) < 0)
			goto fail;
		if (t.kind == end || t.kind == T_PIPE) {
			if (cmd.n == 0) {
				r = fail(ps, t.kind == T_PIPE ? "missing command before '|'"
							      : "missing value for command", NULL);
				goto fail;
			}
			if ((r = pipe_add(p, &cmd)) < 0)
				goto fail;
			memset(&cmd, 0, sizeof(cmd));
			if (t.kind == end) {
				if (end == T_RDELIM)
					ps->trim_next = t.trim_after;
				break;
			}
			continue;
		}
		if (t.kind == T_RDELIM || t.kind == T_RPAREN) {
			r = fail(ps, "unexpected end of expression", NULL);
			goto fail;
		}
		struct tpl_arg a;
		r = parse_operand(ps, &t, &a);
		if (r == 0)
			r = cmd_add(&cmd, &a);
		if (r < 0) {
			arg_release(&a);
			goto fail;
		}
	}
	/* declared names enter the scope after the pipeline */
	if (!p->assign)
		for (size_t i = 0; i < p->decl.n; i++)
			if (strv_push(&ps->vars, p->decl.v[i]) < 0) {
				r = -ENOMEM;
				goto fail;
			}
	*ret = p;
	return 0;
fail:
	for (size_t k = 0; k < cmd.n; k++)
		arg_release(&cmd.args[k]);
	free(cmd.args);
	pipe_free(p);
	if (r == -ENOMEM && !ps->failed)
		return fail(ps, "out of memory", NULL);
	return r;
}

/* ---- lists and control structures ---- */

/* How a list ended: at EOF, or at {{end}} / {{else ...}} (the "else" action is left for the
 * caller to read: ps->pos stands right after the word "else"). */
enum list_end { END_EOF, END_END, END_ELSE };

static int parse_list(struct parser *ps, struct tpl_list **ret, enum list_end *how);

static int expect_rdelim(struct parser *ps)
{
	struct tok t;

	if (lex(ps, &t) < 0)
		return -EINVAL;
	if (t.kind != T_RDELIM)
		return fail(ps, "unexpected token, expected }}", NULL);
	ps->trim_next = t.trim_after;
	return 0;
}

static int parse_control(struct parser *ps, struct tpl_node *n, bool is_range, bool is_with);

/* After "{{else": "if"/"with" chains into a nested node of the same kind, else "}}". */
static int parse_else(struct parser *ps, struct tpl_node *n, bool is_range, bool is_with)
{
	struct tok t;
	int r;

	if (peek(ps, &t) < 0)
		return -EINVAL;
	if (!is_range && ((tok_is(&t, "if") && !is_with) || (tok_is(&t, "with") && is_with))) {
		lex(ps, &t);
		n->else_list = calloc(1, sizeof(*n->else_list));
		if (!n->else_list)
			return -ENOMEM;
		struct tpl_node *inner = list_add(n->else_list, n->kind, ps->line);
		if (!inner)
			return -ENOMEM;
		return parse_control(ps, inner, false, is_with);
	}
	if ((r = expect_rdelim(ps)) < 0)
		return r;
	enum list_end how;
	if ((r = parse_list(ps, &n->else_list, &how)) < 0)
		return r;
	if (how != END_END)
		return fail(ps, how == END_ELSE ? "expected end; found else" : "unexpected EOF",
			    NULL);
	return 0;
}

/* if / range / with: the pipeline was not read yet. */
static int parse_control(struct parser *ps, struct tpl_node *n, bool is_range, bool is_with)
{
	size_t mark = ps->vars.n;
	enum list_end how;
	int r;

	if (++ps->nest > TPL_NEST_MAX)
		return fail(ps, "template nested too deeply", NULL);
	r = parse_pipe(ps, T_RDELIM, true, is_range, &n->pipe);
	if (r == 0 && is_range)
		ps->range_depth++;
	if (r == 0)
		r = parse_list(ps, &n->list, &how);
	if (r == 0 && is_range)
		ps->range_depth--;
	if (r == 0 && how == END_EOF)
		r = fail(ps, "unexpected EOF", NULL);
	if (r == 0 && how == END_ELSE)
		r = parse_else(ps, n, is_range, is_with);
	vars_pop_to(ps, mark);
	ps->nest--;
	return r;
}

static int add_def(struct parser *ps, char *name, struct tpl_list *root)
{
	struct tpl_def *d = calloc(1, sizeof(*d));

	if (!d) {
		free(name);
		tpl_list_free(root);
		return -ENOMEM;
	}
	for (struct tpl_def *o = ps->defs; o; o = o->next)
		if (strcmp(o->name, name) == 0) {   /* Go: a later define replaces an empty one */
			free(d);
			free(name);
			tpl_list_free(root);
			return fail(ps, "template: multiple definition of template", o->name);
		}
	d->name = name;
	d->root = root;
	d->next = ps->defs;
	ps->defs = d;
	return 0;
}

/* {{define "x"}} / {{block "x" pipe}}: the name is next. */
static int parse_define(struct parser *ps, struct tpl_list *l, bool block)
{
	struct tok t;
	char *name = NULL;
	struct tpl_pipe *pipe = NULL;
	struct tpl_list *body = NULL;
	enum list_end how;
	size_t saved_vars = ps->vars.n;
	int r, saved_range = ps->range_depth;

	if (lex(ps, &t) < 0)
		return -EINVAL;
	if (t.kind != T_STRING)
		return fail(ps, block ? "block name must be a string" :
					"define name must be a string", NULL);
	if ((r = unquote(ps, &t, &name)) < 0)
		return r;
	if (block) {
		r = parse_pipe(ps, T_RDELIM, false, false, &pipe);
	} else {
		if (ps->nest > 0)
			r = fail(ps, "unexpected define inside an action", NULL);
		else
			r = expect_rdelim(ps);
	}
	if (r < 0)
		goto fail;
	/* a template body sees only $ (Go: a new scope per template) */
	struct strv outer = ps->vars;
	memset(&ps->vars, 0, sizeof(ps->vars));
	ps->range_depth = 0;
	ps->nest++;
	r = parse_list(ps, &body, &how);
	ps->nest--;
	strv_release(&ps->vars);
	ps->vars = outer;
	vars_pop_to(ps, saved_vars);
	ps->range_depth = saved_range;
	if (r == 0 && how != END_END)
		r = fail(ps, how == END_ELSE ? "unexpected else in define" : "unexpected EOF", NULL);
	if (r < 0)
		goto fail;
	if (block) {
		struct tpl_node *n = list_add(l, N_TEMPLATE, ps->line);
		if (!n || !(n->text = strdup(name))) {
			r = -ENOMEM;
			goto fail;
		}
		n->pipe = pipe;
		pipe = NULL;
	}
	r = add_def(ps, name, body);
	name = NULL;
	body = NULL;
fail:
	free(name);
	pipe_free(pipe);
	tpl_list_free(body);
	return r;
}

static int parse_template_call(struct parser *ps, struct tpl_list *l)
{
	struct tok t;
	struct tpl_node *n;
	char *name = NULL;
	int r;

	if (lex(ps, &t) < 0)
		return -EINVAL;
	if (t.kind != T_STRING)
		return fail(ps, "template name must be a string", NULL);
	if ((r = unquote(ps, &t, &name)) < 0)
		return r;
	n = list_add(l, N_TEMPLATE, ps->line);
	if (!n) {
		free(name);
		return -ENOMEM;
	}
	n->text = name;
	if (peek(ps, &t) < 0)
		return -EINVAL;
	if (t.kind == T_RDELIM)
		return expect_rdelim(ps);
	return parse_pipe(ps, T_RDELIM, false, false, &n->pipe);
}

/* One action after "{{" (and its trim marker). */
static int parse_action(struct parser *ps, struct tpl_list *l, enum list_end *how, bool *done)
{
	struct tok t;
	struct tpl_node *n;
	int line = ps->line;

	if (peek(ps, &t) < 0)
		return -EINVAL;
	if (t.kind == T_IDENT) {
		if (tok_is(&t, "end") || tok_is(&t, "else")) {
			lex(ps, &t);
			*done = true;
			if (tok_is(&t, "else")) {
				*how = END_ELSE;
				return 0;
			}
			*how = END_END;
			return expect_rdelim(ps);
		}
		if (tok_is(&t, "if") || tok_is(&t, "range") || tok_is(&t, "with")) {
			lex(ps, &t);
			bool is_range = tok_is(&t, "range"), is_with = tok_is(&t, "with");
			n = list_add(l, is_range ? N_RANGE : is_with ? N_WITH : N_IF, line);
			if (!n)
				return -ENOMEM;
			return parse_control(ps, n, is_range, is_with);
		}
		if (tok_is(&t, "define") || tok_is(&t, "block")) {
			lex(ps, &t);
			return parse_define(ps, l, tok_is(&t, "block"));
		}
		if (tok_is(&t, "template")) {
			lex(ps, &t);
			return parse_template_call(ps, l);
		}
		if (tok_is(&t, "break") || tok_is(&t, "continue")) {
			lex(ps, &t);
			if (ps->range_depth == 0)
				return fail(ps, "break or continue outside range", NULL);
			n = list_add(l, tok_is(&t, "break") ? N_BREAK : N_CONTINUE, line);
			if (!n)
				return -ENOMEM;
			return expect_rdelim(ps);
		}
	}
	n = list_add(l, N_ACTION, line);
	if (!n)
		return -ENOMEM;
	return parse_pipe(ps, T_RDELIM, true, false, &n->pipe);
}

/* Adds text [a, b) as a node, honouring the trim markers around it. */
static int add_text(struct parser *ps, struct tpl_list *l, const char *a, const char *b,
		    bool trim_right)
{
	if (ps->trim_next)
		while (a < b && is_space(*a))
			a++;
	ps->trim_next = false;
	if (trim_right)
		while (b > a && is_space(b[-1]))
			b--;
	if (a == b)
		return 0;
	struct tpl_node *n = list_add(l, N_TEXT, ps->line);
	if (!n || !(n->text = malloc((size_t)(b - a) + 1)))
		return -ENOMEM;
	memcpy(n->text, a, (size_t)(b - a));
	n->text[b - a] = '\0';
	n->len = (size_t)(b - a);
	return 0;
}

/* Skips a comment action whose opening slash-star is at ps->pos. */
static int skip_comment(struct parser *ps)
{
	const char *end = memmem(ps->s + ps->pos, ps->len - ps->pos, "*/", 2);

	if (!end)
		return fail(ps, "unclosed comment", NULL);
	for (const char *p = ps->s + ps->pos; p < end; p++)
		if (*p == '\n')
			ps->line++;
	ps->pos = (size_t)(end - ps->s) + 2;
	if (at(ps, " -}}")) {
		ps->pos += 4;
		ps->trim_next = true;
		return 0;
	}
	if (at(ps, "}}")) {
		ps->pos += 2;
		return 0;
	}
	return fail(ps, "comment ends before closing delimiter", NULL);
}

static int parse_list(struct parser *ps, struct tpl_list **ret, enum list_end *how)
{
	struct tpl_list *l = calloc(1, sizeof(*l));
	int r = 0;

	if (!l)
		return -ENOMEM;
	*how = END_EOF;
	while (ps->pos < ps->len) {
		const char *s = ps->s + ps->pos;
		const char *open = memmem(s, ps->len - ps->pos, "{{", 2);
		const char *text_end = open ? open : ps->s + ps->len;
		bool trim_left = open && (size_t)(ps->s + ps->len - open) >= 4 && open[2] == '-' &&
				 is_space(open[3]);
		for (const char *p = s; p < text_end; p++)
			if (*p == '\n')
				ps->line++;
		if ((r = add_text(ps, l, s, text_end, trim_left)) < 0)
			break;
		if (!open) {
			ps->pos = ps->len;
			break;
		}
		ps->pos = (size_t)(open - ps->s) + (trim_left ? 4 : 2);
		ps->nback = 0;
		if (at(ps, "/*")) {
			if ((r = skip_comment(ps)) < 0)
				break;
			continue;
		}
		bool done = false;
		if ((r = parse_action(ps, l, how, &done)) < 0 || done)
			break;
	}
	if (r < 0) {
		tpl_list_free(l);
		if (r == -ENOMEM)
			return fail(ps, "out of memory", NULL);
		return r;
	}
	*ret = l;
	return 0;
}

/* ---- the set ---- */

struct gotpl_set *gotpl_set_new(bool html)
{
	struct gotpl_set *set = calloc(1, sizeof(*set));

	if (set)
		set->html = html;
	return set;
}

struct gotpl_set *gotpl_set_free(struct gotpl_set *set)
{
	if (set) {
		defs_free(set->defs);
		free(set);
	}
	return NULL;
}

const struct tpl_def *tpl_find(const struct gotpl_set *set, const char *name)
{
	for (const struct tpl_def *d = set->defs; d; d = d->next)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

bool gotpl_has(const struct gotpl_set *set, const char *name)
{
	return tpl_find(set, name) != NULL;
}

/* Moves every def of `from` into the set, replacing same-named ones. */
static void set_merge(struct gotpl_set *set, struct tpl_def *from)
{
	while (from) {
		struct tpl_def *next = from->next, **pp = &set->defs;
		while (*pp && strcmp((*pp)->name, from->name) != 0)
			pp = &(*pp)->next;
		if (*pp) {
			struct tpl_def *old = *pp;
			from->next = old->next;
			*pp = from;
			old->next = NULL;
			defs_free(old);
		} else {
			from->next = set->defs;
			set->defs = from;
		}
		from = next;
	}
}

int gotpl_parse(struct gotpl_set *set, const char *name, const char *text, size_t len,
		struct err *err)
{
	struct parser ps = { .s = text, .len = len, .line = 1, .name = name, .err = err };
	struct tpl_list *root = NULL;
	enum list_end how;
	int r;

	if (len > GOTPL_TEXT_MAX)
		return err_set(err, -EINVAL, "%s: template larger than %d bytes", name,
			       GOTPL_TEXT_MAX);
	r = parse_list(&ps, &root, &how);
	if (r == 0 && how != END_EOF)
		r = fail(&ps, how == END_END ? "unexpected {{end}}" : "unexpected {{else}}", NULL);
	if (r == 0) {
		char *dup = strdup(name);
		r = dup ? add_def(&ps, dup, root) : -ENOMEM;
		root = NULL;
	}
	strv_release(&ps.vars);
	tpl_list_free(root);
	if (r < 0) {
		defs_free(ps.defs);
		if (r == -ENOMEM)
			return err_set(err, r, "%s: out of memory", name);
		return r;
	}
	set_merge(set, ps.defs);
	return 0;
}
