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

#include "mail/gotpl-lex.h"
#include "util/err.h"

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
		if (tpl_peek(ps, &t) < 0)
			return -EINVAL;
		if (t.kind != T_FIELD || t.space_before)
			return 0;
		tpl_lex(ps, &t);
		char *f = tpl_tok_dup(&t, 1);
		if (!f || strv_push_take(&a->chain, f) < 0)
			return -ENOMEM;
	}
}

static int parse_number(struct parser *ps, const struct tok *t, struct tpl_arg *a)
{
	char buf[64], *end;

	if (t->len >= sizeof(buf))
		return tpl_fail(ps, "bad number syntax", NULL);
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
		return tpl_fail(ps, "bad number syntax:", buf);
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
		a->text = tpl_tok_dup(t, 1);
		if (!a->text || strv_push(&a->chain, a->text) < 0)
			return -ENOMEM;
		return add_chain(ps, a);
	case T_VAR:
		a->kind = ARG_VAR;
		a->text = tpl_tok_dup(t, 0);
		if (!a->text)
			return -ENOMEM;
		if (!var_known(ps, a->text))
			return tpl_fail(ps, "undefined variable", a->text);
		return add_chain(ps, a);
	case T_STRING:
		a->kind = ARG_STRING;
		return tpl_unquote(ps, t, &a->text);
	case T_CHAR: {
		char *s = NULL;
		if ((r = tpl_unquote(ps, t, &s)) < 0)
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
			return tpl_fail(ps, "expression nested too deeply", NULL);
		a->kind = ARG_PIPE;
		r = parse_pipe(ps, T_RPAREN, false, false, &a->pipe);
		ps->nest--;
		if (r < 0)
			return r;
		return add_chain(ps, a);
	case T_IDENT:
		if (tpl_tok_is(t, "true") || tpl_tok_is(t, "false")) {
			a->kind = ARG_BOOL;
			a->bval = tpl_tok_is(t, "true");
			return 0;
		}
		if (tpl_tok_is(t, "nil")) {
			a->kind = ARG_NIL;
			return 0;
		}
		a->kind = ARG_FUNC;
		a->text = tpl_tok_dup(t, 0);
		if (!a->text)
			return -ENOMEM;
		if (!tpl_func_known(a->text))
			return tpl_fail(ps, "function not defined:", a->text);
		return 0;
	default:
		return tpl_fail(ps, "unexpected token in operand", NULL);
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

	if (tpl_peek(ps, &t1) < 0 || t1.kind != T_VAR)
		return 0;
	tpl_lex(ps, &t1);
	if (tpl_lex(ps, &t2) < 0)
		return -EINVAL;
	if (t2.kind == T_DECLARE || t2.kind == T_ASSIGN) {
		char *name = tpl_tok_dup(&t1, 0);
		if (!name || strv_push_take(&p->decl, name) < 0)
			return -ENOMEM;
		p->assign = t2.kind == T_ASSIGN;
		if (p->assign && !var_known(ps, p->decl.v[0]))
			return tpl_fail(ps, "undefined variable", p->decl.v[0]);
		return 1;
	}
	if (range && t2.kind == T_COMMA) {
		if (tpl_lex(ps, &t3) < 0 || t3.kind != T_VAR || tpl_lex(ps, &t4) < 0 ||
		    (t4.kind != T_DECLARE && t4.kind != T_ASSIGN))
			return tpl_fail(ps, "too many declarations in range", NULL);
		char *a = tpl_tok_dup(&t1, 0), *b = tpl_tok_dup(&t3, 0);
		if (!a || !b || strv_push_take(&p->decl, a) < 0 || strv_push_take(&p->decl, b) < 0) {
			free(b);
			return -ENOMEM;
		}
		p->assign = t4.kind == T_ASSIGN;
		return 1;
	}
	/* not a declaration: give both tokens back */
	tpl_unlex(ps, &t2);
	tpl_unlex(ps, &t1);
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
		if ((r = tpl_lex(ps, &t)) < 0)
			goto fail;
		if (t.kind == end || t.kind == T_PIPE) {
			if (cmd.n == 0) {
				r = tpl_fail(ps, t.kind == T_PIPE ? "missing command before '|'"
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
			r = tpl_fail(ps, "unexpected end of expression", NULL);
			goto fail;
		}
		struct tpl_arg a;
		r = parse_operand(ps, &t, &a);
		if (r == 0)
			r = cmd_add(&cmd, &a);
		if (r < 0) {
			tpl_arg_release(&a);
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
		tpl_arg_release(&cmd.args[k]);
	free(cmd.args);
	tpl_pipe_free(p);
	if (r == -ENOMEM && !ps->failed)
		return tpl_fail(ps, "out of memory", NULL);
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

	if (tpl_lex(ps, &t) < 0)
		return -EINVAL;
	if (t.kind != T_RDELIM)
		return tpl_fail(ps, "unexpected token, expected }}", NULL);
	ps->trim_next = t.trim_after;
	return 0;
}

static int parse_control(struct parser *ps, struct tpl_node *n, bool is_range, bool is_with);

/* After "{{else": "if"/"with" chains into a nested node of the same kind, else "}}". */
static int parse_else(struct parser *ps, struct tpl_node *n, bool is_range, bool is_with)
{
	struct tok t;
	int r;

	if (tpl_peek(ps, &t) < 0)
		return -EINVAL;
	if (!is_range && ((tpl_tok_is(&t, "if") && !is_with) || (tpl_tok_is(&t, "with") && is_with))) {
		tpl_lex(ps, &t);
		n->else_list = calloc(1, sizeof(*n->else_list));
		if (!n->else_list)
			return -ENOMEM;
		struct tpl_node *inner = tpl_list_add(n->else_list, n->kind, ps->line);
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
		return tpl_fail(ps, how == END_ELSE ? "expected end; found else" : "unexpected EOF",
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
		return tpl_fail(ps, "template nested too deeply", NULL);
	r = parse_pipe(ps, T_RDELIM, true, is_range, &n->pipe);
	if (r == 0 && is_range)
		ps->range_depth++;
	if (r == 0)
		r = parse_list(ps, &n->list, &how);
	if (r == 0 && is_range)
		ps->range_depth--;
	if (r == 0 && how == END_EOF)
		r = tpl_fail(ps, "unexpected EOF", NULL);
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
			return tpl_fail(ps, "template: multiple definition of template", o->name);
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

	if (tpl_lex(ps, &t) < 0)
		return -EINVAL;
	if (t.kind != T_STRING)
		return tpl_fail(ps, block ? "block name must be a string" :
					"define name must be a string", NULL);
	if ((r = tpl_unquote(ps, &t, &name)) < 0)
		return r;
	if (block) {
		r = parse_pipe(ps, T_RDELIM, false, false, &pipe);
	} else {
		if (ps->nest > 0)
			r = tpl_fail(ps, "unexpected define inside an action", NULL);
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
		r = tpl_fail(ps, how == END_ELSE ? "unexpected else in define" : "unexpected EOF", NULL);
	if (r < 0)
		goto fail;
	if (block) {
		struct tpl_node *n = tpl_list_add(l, N_TEMPLATE, ps->line);
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
	tpl_pipe_free(pipe);
	tpl_list_free(body);
	return r;
}

static int parse_template_call(struct parser *ps, struct tpl_list *l)
{
	struct tok t;
	struct tpl_node *n;
	char *name = NULL;
	int r;

	if (tpl_lex(ps, &t) < 0)
		return -EINVAL;
	if (t.kind != T_STRING)
		return tpl_fail(ps, "template name must be a string", NULL);
	if ((r = tpl_unquote(ps, &t, &name)) < 0)
		return r;
	n = tpl_list_add(l, N_TEMPLATE, ps->line);
	if (!n) {
		free(name);
		return -ENOMEM;
	}
	n->text = name;
	if (tpl_peek(ps, &t) < 0)
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

	if (tpl_peek(ps, &t) < 0)
		return -EINVAL;
	if (t.kind == T_IDENT) {
		if (tpl_tok_is(&t, "end") || tpl_tok_is(&t, "else")) {
			tpl_lex(ps, &t);
			*done = true;
			if (tpl_tok_is(&t, "else")) {
				*how = END_ELSE;
				return 0;
			}
			*how = END_END;
			return expect_rdelim(ps);
		}
		if (tpl_tok_is(&t, "if") || tpl_tok_is(&t, "range") || tpl_tok_is(&t, "with")) {
			tpl_lex(ps, &t);
			bool is_range = tpl_tok_is(&t, "range"), is_with = tpl_tok_is(&t, "with");
			n = tpl_list_add(l, is_range ? N_RANGE : is_with ? N_WITH : N_IF, line);
			if (!n)
				return -ENOMEM;
			return parse_control(ps, n, is_range, is_with);
		}
		if (tpl_tok_is(&t, "define") || tpl_tok_is(&t, "block")) {
			tpl_lex(ps, &t);
			return parse_define(ps, l, tpl_tok_is(&t, "block"));
		}
		if (tpl_tok_is(&t, "template")) {
			tpl_lex(ps, &t);
			return parse_template_call(ps, l);
		}
		if (tpl_tok_is(&t, "break") || tpl_tok_is(&t, "continue")) {
			tpl_lex(ps, &t);
			if (ps->range_depth == 0)
				return tpl_fail(ps, "break or continue outside range", NULL);
			n = tpl_list_add(l, tpl_tok_is(&t, "break") ? N_BREAK : N_CONTINUE, line);
			if (!n)
				return -ENOMEM;
			return expect_rdelim(ps);
		}
	}
	n = tpl_list_add(l, N_ACTION, line);
	if (!n)
		return -ENOMEM;
	return parse_pipe(ps, T_RDELIM, true, false, &n->pipe);
}

/* Adds text [a, b) as a node, honouring the trim markers around it. */
static int add_text(struct parser *ps, struct tpl_list *l, const char *a, const char *b,
		    bool trim_right)
{
	if (ps->trim_next)
		while (a < b && tpl_is_space(*a))
			a++;
	ps->trim_next = false;
	if (trim_right)
		while (b > a && tpl_is_space(b[-1]))
			b--;
	if (a == b)
		return 0;
	struct tpl_node *n = tpl_list_add(l, N_TEXT, ps->line);
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
		return tpl_fail(ps, "unclosed comment", NULL);
	for (const char *p = ps->s + ps->pos; p < end; p++)
		if (*p == '\n')
			ps->line++;
	ps->pos = (size_t)(end - ps->s) + 2;
	if (tpl_at(ps, " -}}")) {
		ps->pos += 4;
		ps->trim_next = true;
		return 0;
	}
	if (tpl_at(ps, "}}")) {
		ps->pos += 2;
		return 0;
	}
	return tpl_fail(ps, "comment ends before closing delimiter", NULL);
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
				 tpl_is_space(open[3]);
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
		if (tpl_at(ps, "/*")) {
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
			return tpl_fail(ps, "out of memory", NULL);
		return r;
	}
	*ret = l;
	return 0;
}

/* ---- the set ---- */

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
		r = tpl_fail(&ps, how == END_END ? "unexpected {{end}}" : "unexpected {{else}}", NULL);
	if (r == 0) {
		char *dup = strdup(name);
		r = dup ? add_def(&ps, dup, root) : -ENOMEM;
		root = NULL;
	}
	strv_release(&ps.vars);
	tpl_list_free(root);
	if (r < 0) {
		tpl_defs_free(ps.defs);
		if (r == -ENOMEM)
			return err_set(err, r, "%s: out of memory", name);
		return r;
	}
	tpl_set_merge(set, ps.defs);
	return 0;
}
