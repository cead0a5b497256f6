/* SPDX-License-Identifier: MIT */
/*
 * Execution of a parsed Go template against JSON data (see gotpl.h): walks the node lists,
 * evaluates pipelines (fields, variables, literals, builtin functions), prints values the way
 * text/template does and, in HTML sets, hands every value and every piece of template text to
 * the context tracker of gotpl_html.c so values are escaped for where they land.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/gotpl-int.h"
#include "util/buf.h"
#include "util/err.h"

struct var {
	const char *name;        /* borrowed from the tree */
	json_t *v;               /* owned reference, NULL = no value */
};

struct exec {
	const struct gotpl_set *set;
	struct buf *out;
	struct err *err;
	const char *name;
	int line, depth;
	struct tpl_html html;
	struct var *vars;
	size_t nvars, cap;
	bool failed;
};

enum flow { FLOW_NEXT, FLOW_BREAK, FLOW_CONTINUE };

static int xfail(struct exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int xfail(struct exec *x, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (x->failed)
		return -EINVAL;
	x->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(x->err, -EINVAL, "%s:%d: executing \"%s\": %s", x->name, x->line, x->name,
		       msg);
}

static int out_fail(struct exec *x, int r)
{
	if (r == -E2BIG && !x->failed) {
		x->failed = true;
		return err_set(x->err, r, "%s: output larger than %d bytes", x->name, GOTPL_OUT_MAX);
	}
	if (r == -ENOMEM && !x->failed) {
		x->failed = true;
		return err_set(x->err, r, "%s: out of memory", x->name);
	}
	return r;
}

/* ---- variables ---- */

static int var_push(struct exec *x, const char *name, json_t *v)
{
	if (x->nvars == x->cap) {
		size_t ncap = x->cap ? x->cap * 2 : 16;
		struct var *nv = realloc(x->vars, ncap * sizeof(*nv));
		if (!nv) {
			json_decref(v);
			return -ENOMEM;
		}
		x->vars = nv;
		x->cap = ncap;
	}
	x->vars[x->nvars].name = name;
	x->vars[x->nvars].v = v;
	x->nvars++;
	return 0;
}

static void var_pop_to(struct exec *x, size_t mark)
{
	while (x->nvars > mark)
		json_decref(x->vars[--x->nvars].v);
}

static struct var *var_find(struct exec *x, const char *name)
{
	for (size_t i = x->nvars; i-- > 0;)
		if (strcmp(x->vars[i].name, name) == 0)
			return &x->vars[i];
	return NULL;
}

/* ---- evaluation ---- */

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "int";
	case JSON_REAL: return "float64";
	case JSON_TRUE: case JSON_FALSE: return "bool";
	case JSON_ARRAY: return "[]interface {}";
	case JSON_OBJECT: return "map[string]interface {}";
	default: return "<nil>";
	}
}

/* Follows a field chain from v (a new reference or NULL); returns the result the same way. */
static int eval_chain(struct exec *x, json_t *v, const struct strv *chain, size_t from,
		      json_t **ret)
{
	for (size_t i = from; i < chain->n; i++) {
		json_t *next = NULL;
		if (v && json_is_object(v)) {
			next = json_object_get(v, chain->v[i]);
			json_incref(next);
		} else if (v && !json_is_null(v)) {
			int r = xfail(x, "can't evaluate field %s in type %s", chain->v[i],
				      type_name(v));
			json_decref(v);
			return r;
		}
		json_decref(v);
		v = next;
	}
	*ret = v;
	return 0;
}

static int eval_pipe(struct exec *x, const struct tpl_pipe *p, json_t *dot, json_t **ret);

static int eval_arg(struct exec *x, const struct tpl_arg *a, json_t *dot, json_t **ret)
{
	json_t *v = NULL;
	int r;

	switch (a->kind) {
	case ARG_DOT:
		*ret = json_incref(dot);
		return 0;
	case ARG_FIELD:
		return eval_chain(x, json_incref(dot), &a->chain, 0, ret);
	case ARG_VAR: {
		struct var *var = var_find(x, a->text);
		if (!var)
			return xfail(x, "undefined variable: %s", a->text);
		return eval_chain(x, json_incref(var->v), &a->chain, 0, ret);
	}
	case ARG_STRING:
		v = json_string(a->text);
		if (!v)   /* not UTF-8: keep the bytes */
			v = json_stringn_nocheck(a->text, strlen(a->text));
		break;
	case ARG_NUMBER:
		v = a->is_int ? json_integer(a->ival) : json_real(a->num);
		break;
	case ARG_BOOL:
		v = json_boolean(a->bval);
		break;
	case ARG_NIL:
		return xfail(x, "nil is not a command");
	case ARG_PIPE:
		if ((r = eval_pipe(x, a->pipe, dot, &v)) < 0)
			return r;
		return eval_chain(x, v, &a->chain, 0, ret);
	case ARG_FUNC:
		return xfail(x, "function %s used as an argument", a->text);
	}
	if (!v)
		return out_fail(x, -ENOMEM);
	*ret = v;
	return 0;
}

/* One command; final is the value piped in (borrowed, may be NULL), has_final tells if any. */
static int eval_cmd(struct exec *x, const struct tpl_cmd *c, json_t *dot, json_t *final,
		    bool has_final, json_t **ret)
{
	const struct tpl_arg *first = &c->args[0];
	json_t **argv = NULL;
	size_t argc = 0;
	int r = 0;

	if (first->kind != ARG_FUNC) {
		if (c->n > 1 || has_final)
			return xfail(x, "can't give argument to non-function");
		if (first->kind == ARG_NIL)
			return xfail(x, "nil is not a command");
		return eval_arg(x, first, dot, ret);
	}
	argv = calloc(c->n + 1, sizeof(*argv));
	if (!argv)
		return out_fail(x, -ENOMEM);
	for (size_t i = 1; i < c->n && r == 0; i++) {
		if (c->args[i].kind == ARG_NIL) {
			argv[argc++] = json_null();
			continue;
		}
		r = eval_arg(x, &c->args[i], dot, &argv[argc++]);
	}
	if (r == 0 && has_final)
		argv[argc++] = json_incref(final);
	if (r == 0) {
		struct err e = { 0 };
		r = tpl_func_call(first->text, argv, argc, ret, &e);
		if (r < 0)
			r = xfail(x, "error calling %s: %s", first->text, e.msg);
	}
	for (size_t i = 0; i < argc; i++)
		json_decref(argv[i]);
	free(argv);
	return r;
}

static int eval_pipe(struct exec *x, const struct tpl_pipe *p, json_t *dot, json_t **ret)
{
	json_t *v = NULL;
	int r;

	for (size_t i = 0; i < p->n; i++) {
		json_t *next = NULL;
		r = eval_cmd(x, &p->cmds[i], dot, v, i > 0, &next);
		json_decref(v);
		if (r < 0)
			return r;
		v = next;
	}
	*ret = v;
	return 0;
}

/* Evaluates a pipeline with its declarations: ':=' pushes, '=' assigns. */
static int eval_decl_pipe(struct exec *x, const struct tpl_pipe *p, json_t *dot, json_t **ret)
{
	json_t *v = NULL;
	int r = eval_pipe(x, p, dot, &v);

	if (r < 0)
		return r;
	if (p->decl.n == 1) {
		if (p->assign) {
			struct var *var = var_find(x, p->decl.v[0]);
			if (!var) {
				json_decref(v);
				return xfail(x, "undefined variable: %s", p->decl.v[0]);
			}
			json_decref(var->v);
			var->v = json_incref(v);
		} else if ((r = var_push(x, p->decl.v[0], json_incref(v))) < 0) {
			json_decref(v);
			return out_fail(x, r);
		}
	}
	*ret = v;
	return 0;
}

/* ---- output ---- */

static int emit_text(struct exec *x, const char *s, size_t len)
{
	int r = x->set->html ? tpl_html_text(&x->html, x->out, s, len)
			     : buf_append(x->out, s, len);
	return r < 0 ? out_fail(x, r) : 0;
}

static int emit_value(struct exec *x, const json_t *v)
{
	struct buf tmp;
	int r;

	if (!x->set->html) {
		/* a nil map entry prints as "<no value>" at the top, "<nil>" inside a slice */
		r = tpl_print_value(x->out, v && json_is_null(v) ? NULL : v, "<no value>");
		return r < 0 ? out_fail(x, r) : 0;
	}
	buf_init(&tmp, GOTPL_OUT_MAX);
	/* html/template skips untyped nil and renders "no value" as nothing */
	r = v && !json_is_null(v) ? tpl_print_value(&tmp, v, "") : 0;
	if (r == 0)
		r = tpl_html_value(&x->html, x->out, tmp.p ? tmp.p : "", tmp.len);
	buf_release(&tmp);
	return r < 0 ? out_fail(x, r) : 0;
}

/* ---- walking ---- */

static int walk_list(struct exec *x, const struct tpl_list *l, json_t *dot, enum flow *flow);

static int walk_template(struct exec *x, const struct tpl_node *n, json_t *dot)
{
	const struct tpl_def *d = tpl_find(x->set, n->text);
	json_t *arg = NULL;
	enum flow flow = FLOW_NEXT;
	int r;

	if (!d)
		return xfail(x, "no such template \"%s\"", n->text);
	if (x->depth >= GOTPL_DEPTH_MAX)
		return xfail(x, "exceeded maximum template depth (%d)", GOTPL_DEPTH_MAX);
	if (n->pipe && (r = eval_pipe(x, n->pipe, dot, &arg)) < 0)
		return r;
	/* a called template sees only $ = its argument */
	struct var *saved = x->vars;
	size_t saved_n = x->nvars, saved_cap = x->cap;
	const char *saved_name = x->name;
	x->vars = NULL;
	x->nvars = x->cap = 0;
	r = var_push(x, "$", json_incref(arg));
	x->depth++;
	x->name = d->name;
	if (r == 0)
		r = walk_list(x, d->root, arg, &flow);
	else
		r = out_fail(x, r);
	x->name = saved_name;
	x->depth--;
	var_pop_to(x, 0);
	free(x->vars);
	x->vars = saved;
	x->nvars = saved_n;
	x->cap = saved_cap;
	json_decref(arg);
	return r;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int range_item(struct exec *x, const struct tpl_node *n, json_t *key, json_t *elem,
		      enum flow *flow)
{
	size_t mark = x->nvars;
	int r = 0;

	if (n->pipe->decl.n == 1)
		r = var_push(x, n->pipe->decl.v[0], json_incref(elem));
	else if (n->pipe->decl.n == 2) {
		r = var_push(x, n->pipe->decl.v[0], json_incref(key));
		if (r == 0)
			r = var_push(x, n->pipe->decl.v[1], json_incref(elem));
	}
	if (r < 0)
		r = out_fail(x, r);
	else
		r = walk_list(x, n->list, elem, flow);
	var_pop_to(x, mark);
	return r;
}

static int walk_range(struct exec *x, const struct tpl_node *n, json_t *dot, enum flow *outer)
{
	json_t *v = NULL;
	size_t count = 0;
	int r = eval_pipe(x, n->pipe, dot, &v);
	enum flow flow = FLOW_NEXT;

	(void)outer;
	if (r < 0)
		return r;
	if (v && json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v) && r == 0 && flow != FLOW_BREAK; i++) {
			json_t *k = json_integer((json_int_t)i);
			flow = FLOW_NEXT;
			r = k ? range_item(x, n, k, json_array_get(v, i), &flow) : out_fail(x, -ENOMEM);
			json_decref(k);
			count++;
		}
	} else if (v && json_is_object(v)) {
		/* Go ranges over maps in sorted key order */
		size_t nk = json_object_size(v), i = 0;
		const char **keys = calloc(nk ? nk : 1, sizeof(*keys));
		const char *key;
		json_t *val;
		if (!keys) {
			json_decref(v);
			return out_fail(x, -ENOMEM);
		}
		json_object_foreach(v, key, val)
			keys[i++] = key;
		qsort(keys, nk, sizeof(*keys), cmp_keys);
		for (i = 0; i < nk && r == 0 && flow != FLOW_BREAK; i++) {
			json_t *k = json_string(keys[i]);
			flow = FLOW_NEXT;
			r = k ? range_item(x, n, k, json_object_get(v, keys[i]), &flow)
			      : out_fail(x, -ENOMEM);
			json_decref(k);
			count++;
		}
		free(keys);
	} else if (v && json_is_integer(v)) {
		for (json_int_t i = 0; i < json_integer_value(v) && r == 0 && flow != FLOW_BREAK;
		     i++) {
			json_t *k = json_integer(i);
			flow = FLOW_NEXT;
			r = k ? range_item(x, n, k, k, &flow) : out_fail(x, -ENOMEM);
			json_decref(k);
			count++;
			if (i >= 1000000)
				r = xfail(x, "range over too large an integer");
		}
	} else if (v && !json_is_null(v)) {
		r = xfail(x, "range can't iterate over %s", type_name(v));
	}
	json_decref(v);
	if (r == 0 && count == 0 && n->else_list)
		r = walk_list(x, n->else_list, dot, &flow);
	return r;
}

static int walk_node(struct exec *x, const struct tpl_node *n, json_t *dot, enum flow *flow)
{
	size_t mark = x->nvars;
	json_t *v = NULL;
	int r = 0;

	x->line = n->line;
	switch (n->kind) {
	case N_TEXT:
		return emit_text(x, n->text, n->len);
	case N_ACTION:
		r = eval_decl_pipe(x, n->pipe, dot, &v);
		if (r == 0 && n->pipe->decl.n == 0)
			r = emit_value(x, v);
		json_decref(v);
		return r;   /* a declaration lives until the end of the enclosing list */
	case N_IF:
	case N_WITH:
		r = eval_decl_pipe(x, n->pipe, dot, &v);
		if (r == 0) {
			if (tpl_truth(v))
				r = walk_list(x, n->list, n->kind == N_WITH ? v : dot, flow);
			else if (n->else_list)
				r = walk_list(x, n->else_list, dot, flow);
		}
		json_decref(v);
		var_pop_to(x, mark);
		return r;
	case N_RANGE:
		r = walk_range(x, n, dot, flow);
		var_pop_to(x, mark);
		return r;
	case N_TEMPLATE:
		return walk_template(x, n, dot);
	case N_BREAK:
		*flow = FLOW_BREAK;
		return 0;
	case N_CONTINUE:
		*flow = FLOW_CONTINUE;
		return 0;
	}
	return 0;
}

static int walk_list(struct exec *x, const struct tpl_list *l, json_t *dot, enum flow *flow)
{
	size_t mark = x->nvars;
	int r = 0;

	for (size_t i = 0; l && i < l->n && r == 0 && *flow == FLOW_NEXT; i++)
		r = walk_node(x, &l->v[i], dot, flow);
	var_pop_to(x, mark);
	return r;
}

int gotpl_exec(const struct gotpl_set *set, const char *name, const json_t *data,
	       struct buf *out, struct err *err)
{
	const struct tpl_def *d = tpl_find(set, name);
	struct exec x = { .set = set, .out = out, .err = err, .name = name, .line = 1 };
	enum flow flow = FLOW_NEXT;
	int r;

	if (!d)
		return err_set(err, -ENOENT, "template \"%s\" is not defined", name);
	tpl_html_init(&x.html);
	r = var_push(&x, "$", json_incref((json_t *)data));
	if (r == 0)
		r = walk_list(&x, d->root, (json_t *)data, &flow);
	else
		r = out_fail(&x, r);
	var_pop_to(&x, 0);
	free(x.vars);
	return r;
}
