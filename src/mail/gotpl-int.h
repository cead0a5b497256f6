/* SPDX-License-Identifier: MIT */
#ifndef MAIL_GOTPL_INT_H
#define MAIL_GOTPL_INT_H
/* Private to the Go template engine: the parse tree shared by parser, executor and escaper. */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "mail/gotpl.h"
#include "util/strv.h"

struct buf;
struct err;

enum tpl_arg_kind {
	ARG_DOT,         /* .                      */
	ARG_FIELD,       /* .A.B      (chain)      */
	ARG_VAR,         /* $x.A.B    (name+chain) */
	ARG_STRING,      /* "s" / `s`  (text)      */
	ARG_NUMBER,      /* 12, -3, 1.5, 0x1f      */
	ARG_BOOL,
	ARG_NIL,
	ARG_FUNC,        /* identifier naming a function */
	ARG_PIPE,        /* ( pipeline ).A.B       */
};

struct tpl_pipe;

struct tpl_arg {
	enum tpl_arg_kind kind;
	char *text;              /* string value, variable or function name */
	struct strv chain;       /* field names after the operand */
	double num;
	bool is_int;
	long long ival;
	bool bval;
	struct tpl_pipe *pipe;   /* ARG_PIPE */
};

struct tpl_cmd {
	struct tpl_arg *args;
	size_t n;
};

struct tpl_pipe {
	struct strv decl;        /* variables declared ($x := / $i, $e :=) or assigned */
	bool assign;             /* '=' instead of ':=' */
	struct tpl_cmd *cmds;
	size_t n;
};

enum tpl_node_kind {
	N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_TEMPLATE, N_BREAK, N_CONTINUE,
};

struct tpl_list;

struct tpl_node {
	enum tpl_node_kind kind;
	int line;
	char *text;              /* N_TEXT: bytes (may hold NUL); N_TEMPLATE: called name */
	size_t len;
	struct tpl_pipe *pipe;   /* action, if/range/with condition, template argument */
	struct tpl_list *list, *else_list;
};

struct tpl_list {
	struct tpl_node *v;
	size_t n, cap;
};

struct tpl_def {
	char *name;
	struct tpl_list *root;
	struct tpl_def *next;
};

struct gotpl_set {
	bool html;
	struct tpl_def *defs;
};

/* gotpl_parse.c: frees a list (NULL-safe). */
void tpl_list_free(struct tpl_list *l);
/* Looks a defined template up. */
const struct tpl_def *tpl_find(const struct gotpl_set *set, const char *name);

/* gotpl_funcs.c: the builtin functions; returns true when name is one. */
bool tpl_func_known(const char *name);
/* Calls builtin `name` with argv (borrowed; NULL = "no value"). On success *ret is a new
 * reference (NULL for "no value"); on failure -EINVAL with the reason in err. */
int tpl_func_call(const char *name, json_t **argv, size_t argc, json_t **ret, struct err *err);
/* Go's truth: false, 0, "", nil, empty array/object and "no value" are false. */
bool tpl_truth(const json_t *v);
/* Appends v as fmt.Print renders it (strings bare, numbers, true/false, [a b], map[k:v],
 * <nil>); NULL appends none_text ("<no value>" in text templates). */
int tpl_print_value(struct buf *out, const json_t *v, const char *none_text);

/* gotpl_html.c: the context of an HTML output stream. */
struct tpl_html {
	int state, attr, url_part, raw_elem;
	char name[32];           /* the tag or attribute name being read */
	size_t name_len;
	char tag[16];            /* the current tag's name (the raw element's, inside it) */
	int end_tag;
	int match;               /* dashes seen in an HTML comment (for "-->") */
	char js_quote;           /* inside a JS string literal of a script: its quote */
	int cmt;                 /* inside a script/style comment: 1 block, 2 line */
};
void tpl_html_init(struct tpl_html *h);
/* Appends template text, updating the context; drops HTML comments in text context. */
int tpl_html_text(struct tpl_html *h, struct buf *out, const char *s, size_t len);
/* Appends a value escaped for the current context. */
int tpl_html_value(struct tpl_html *h, struct buf *out, const char *s, size_t len);

/* Escapers shared with the functions html, js and urlquery. */
/* plus: escape '+' as html/template does (text/template's html function does not) */
int tpl_escape_html(struct buf *out, const char *s, size_t len, bool plus);
int tpl_escape_js_string(struct buf *out, const char *s, size_t len);
int tpl_escape_url(struct buf *out, const char *s, size_t len, bool normalise);

#endif
