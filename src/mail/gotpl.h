/* SPDX-License-Identifier: MIT */
#ifndef MAIL_GOTPL_H
#define MAIL_GOTPL_H
/*
 * Go templates (text/template and html/template) in the subset that mail templates use, so the
 * .gotpl / .gohtml files wg-portal admins already have keep working (docs/mail-and-webhooks.md).
 *
 * A set holds named templates like Go's *Template: gotpl_parse() adds the file's text under its
 * name plus every {{define "x"}} / {{block "x"}} inside it; a later parse of the same name
 * replaces the earlier one (templates_path overriding a built-in file). Data is a JSON value:
 * objects play Go's structs and maps, a missing key is "no value" (text: "<no value>",
 * html: empty), JSON null is Go's nil.
 *
 * Syntax: text, comment actions (slash-star ... star-slash), trim markers {{- and -}},
 * pipelines with '|', fields
 * (.A.B), variables ($, $x := ..., $x = ...), literals (strings, raw strings, numbers, true,
 * false, nil), parenthesised pipelines, if / else if / else, range (with $i, $e := and else),
 * with / else with, define, template, block, break, continue; functions and, or, not, len,
 * index, print, printf, println, eq, ne, lt, le, gt, ge, html, js, urlquery.
 *
 * HTML sets escape every value by its context as html/template does: HTML text and quoted
 * attributes (&<>"'+ as entities), unquoted attributes, URL attributes (unsafe schemes become
 * "#ZgotmplZ", the rest percent-normalised), event handler and <script> values as JS
 * literals, style values through a CSS filter. HTML comments in the template text are dropped.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct buf;
struct err;
struct gotpl_set;

/* Output limit of one execution (bytes) and nesting limit of {{template}} calls. */
#define GOTPL_OUT_MAX (2 * 1024 * 1024)
#define GOTPL_DEPTH_MAX 64
/* Input limit of one template file. */
#define GOTPL_TEXT_MAX (1024 * 1024)

/* A new, empty set; html selects html/template escaping. NULL on OOM. */
struct gotpl_set *gotpl_set_new(bool html);
struct gotpl_set *gotpl_set_free(struct gotpl_set *set);   /* NULL-safe, returns NULL */

/* Parses text as the template `name` (and the templates it defines). On a syntax error returns
 * -EINVAL with "<name>:<line>: <reason>" in err, and the set is unchanged. */
int gotpl_parse(struct gotpl_set *set, const char *name, const char *text, size_t len,
		struct err *err);
/* True when the set holds a template of that name. */
bool gotpl_has(const struct gotpl_set *set, const char *name);
/* Executes template `name` with data as dot, appending to out. -ENOENT for an unknown name,
 * -EINVAL for an execution error ("<name>:<line>: ..." in err), -E2BIG past GOTPL_OUT_MAX. */
int gotpl_exec(const struct gotpl_set *set, const char *name, const json_t *data,
	       struct buf *out, struct err *err);

#endif
