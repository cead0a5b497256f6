/* SPDX-License-Identifier: MIT */
/*
 * The parse tree's lifetime and the template set: destructors, node lists, the named
 * templates of a set and their replacement by a later parse (a templates_path file over a
 * built-in one).
 */
#include <stdlib.h>
#include <string.h>

#include "mail/gotpl-lex.h"

void tpl_arg_release(struct tpl_arg *a)
{
	free(a->text);
	strv_release(&a->chain);
	tpl_pipe_free(a->pipe);
}

void tpl_pipe_free(struct tpl_pipe *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		for (size_t k = 0; k < p->cmds[i].n; k++)
			tpl_arg_release(&p->cmds[i].args[k]);
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
		tpl_pipe_free(l->v[i].pipe);
		tpl_list_free(l->v[i].list);
		tpl_list_free(l->v[i].else_list);
	}
	free(l->v);
	free(l);
}

void tpl_defs_free(struct tpl_def *d)
{
	while (d) {
		struct tpl_def *next = d->next;
		free(d->name);
		tpl_list_free(d->root);
		free(d);
		d = next;
	}
}

struct tpl_node *tpl_list_add(struct tpl_list *l, enum tpl_node_kind kind, int line)
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
		tpl_defs_free(set->defs);
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
void tpl_set_merge(struct gotpl_set *set, struct tpl_def *from)
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
			tpl_defs_free(old);
		} else {
			from->next = set->defs;
			set->defs = from;
		}
		from = next;
	}
}
