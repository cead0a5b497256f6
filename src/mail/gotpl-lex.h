/* SPDX-License-Identifier: MIT */
#ifndef MAIL_GOTPL_LEX_H
#define MAIL_GOTPL_LEX_H
/* Private to the Go template parser (gotpl_parse.c) and its lexer (gotpl_lex.c). */
#include <stdbool.h>
#include <stddef.h>

#include "mail/gotpl-int.h"

#define TPL_NEST_MAX 64   /* nesting of control structures and parentheses */

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

/* Records the first error as "<name>:<line>: <msg>[ <arg>]"; returns -EINVAL. */
int tpl_fail(struct parser *ps, const char *msg, const char *arg);
/* The next token of the current action (pushed-back ones first); -EINVAL at a lexical error. */
int tpl_lex(struct parser *ps, struct tok *t);
/* Gives a token back (at most two outstanding). */
void tpl_unlex(struct parser *ps, const struct tok *t);
/* The next token without consuming it. */
int tpl_peek(struct parser *ps, struct tok *t);
bool tpl_tok_is(const struct tok *t, const char *word);
/* Heap copy of the token text without its first skip bytes. */
char *tpl_tok_dup(const struct tok *t, size_t skip);
/* The value of a string or char literal token, as a heap string. */
int tpl_unquote(struct parser *ps, const struct tok *t, char **ret);
bool tpl_is_space(char c);
/* Does the text at ps->pos start with lit? */
bool tpl_at(const struct parser *ps, const char *lit);

/* gotpl_set.c: tree helpers shared by the parser */
void tpl_pipe_free(struct tpl_pipe *p);
void tpl_arg_release(struct tpl_arg *a);
void tpl_defs_free(struct tpl_def *d);
struct tpl_node *tpl_list_add(struct tpl_list *l, enum tpl_node_kind kind, int line);
/* Moves every def of `from` into the set, replacing same-named ones. */
void tpl_set_merge(struct gotpl_set *set, struct tpl_def *from);

#endif
