/* SPDX-License-Identifier: MIT */
/*
 * The API description, where wg-portal serves its own (spec/wg-portal-compat.md 2.1;
 * docs/wg-portal-behaviour.md "API description"): the Swagger 2.0 document at
 * {base}/doc/v1_swagger.yaml (application/yaml, basePath rewritten to include web.base_path),
 * the same as JSON at {base}/doc/v1_swagger.json, and a page that renders it at
 * {base}/api/v1/doc.html (wg-portal loads RapiDoc from its assets; ours is a small script of
 * our own, doc.js, so the page works offline under the UI's CSP). No authentication, as in
 * wg-portal. The texts are src/api/doc/, embedded at build time (scripts/embed-files.py).
 *
 * The JSON form is made once from the YAML with libyaml: plain scalars that read as integers,
 * true/false or null become those JSON types, everything else a string.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "api/handlers.h"
#include "api/json_model.h"
#include "api/ui.h"
#include "config/config.h"
#include "util/log.h"

/* build/gen/embedded.c (scripts/embed-files.py) */
extern const unsigned char doc_text_yaml[], doc_text_html[], doc_text_js[];
extern const size_t doc_text_yaml_len, doc_text_html_len, doc_text_js_len;

#define DOC_DEPTH_MAX 64

static pthread_once_t doc_once = PTHREAD_ONCE_INIT;
static char *doc_yaml, *doc_json;   /* with the base path; NULL when building them failed */
static const char *doc_base;        /* web.base_path, read once by doc_build */

static bool plain_int(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s || strlen(s) > 15)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static json_t *scalar(const yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;

	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (!strcmp(s, "true"))
			return json_true();
		if (!strcmp(s, "false"))
			return json_false();
		if (!strcmp(s, "null") || !strcmp(s, "~"))
			return json_null();
		if (plain_int(s))
			return json_integer(strtoll(s, NULL, 10));
	}
	return json_string(s);
}

static json_t *to_json(yaml_document_t *d, const yaml_node_t *n, int depth)
{
	json_t *out = NULL;

	if (!n || depth > DOC_DEPTH_MAX)
		return NULL;
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return scalar(n);
	case YAML_SEQUENCE_NODE:
		out = json_array();
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     out && i < n->data.sequence.items.top; i++) {
			json_t *v = to_json(d, yaml_document_get_node(d, *i), depth + 1);
			if (!v || json_array_append_new(out, v) < 0)
				out = (json_decref(out), NULL);
		}
		return out;
	case YAML_MAPPING_NODE:
		out = json_object();
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     out && p < n->data.mapping.pairs.top; p++) {
			const yaml_node_t *k = yaml_document_get_node(d, p->key);
			json_t *v = to_json(d, yaml_document_get_node(d, p->value), depth + 1);
			if (!k || k->type != YAML_SCALAR_NODE || !v ||
			    json_object_set_new(out, (const char *)k->data.scalar.value, v) < 0) {
				json_decref(v);
				out = (json_decref(out), NULL);
			}
		}
		return out;
	default:
		return NULL;
	}
}

static void doc_build(void)
{
	const char *text = (const char *)doc_text_yaml;
	const char *anchor = "\nbasePath: /api/v1\n";
	const char *at = strstr(text, anchor);
	yaml_parser_t parser;
	yaml_document_t d;
	json_t *j = NULL;

	/* the served YAML: wg-portal rewrites exactly this line */
	if (at && asprintf(&doc_yaml, "%.*s\nbasePath: %s/api/v1\n%s", (int)(at - text), text,
			   doc_base, at + strlen(anchor)) < 0)
		doc_yaml = NULL;
	if (!yaml_parser_initialize(&parser))
		return;
	yaml_parser_set_input_string(&parser, doc_text_yaml, doc_text_yaml_len);
	if (yaml_parser_load(&parser, &d)) {
		j = to_json(&d, yaml_document_get_root_node(&d), 0);
		yaml_document_delete(&d);
	}
	yaml_parser_delete(&parser);
	if (j) {
		char bp[512];
		snprintf(bp, sizeof(bp), "%s/api/v1", doc_base);
		json_object_set_new(j, "basePath", json_string(bp));
		doc_json = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		json_decref(j);
	}
	if (!doc_yaml || !doc_json)
		log_err("api: the embedded API description could not be prepared");
}

/* GET/HEAD only: answers 405 itself otherwise. */
static bool method_ok(struct api_ctx *c, const char *method)
{
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
		return true;
	http_header(c, "Allow", "GET, HEAD");
	http_text(c, 405, "405 method not allowed");
	return false;
}

bool api_doc_serve(struct api_ctx *c, const char *method, const char *rel)
{
	bool yaml = !strcmp(rel, "/doc/v1_swagger.yaml");

	if (!yaml && strcmp(rel, "/doc/v1_swagger.json"))
		return false;
	if (!method_ok(c, method))
		return true;
	doc_base = c->app->cfg->web.base_path ? c->app->cfg->web.base_path : "";
	pthread_once(&doc_once, doc_build);
	if (yaml ? !doc_yaml : !doc_json) {
		http_text(c, 500, "API description unavailable\n");
		return true;
	}
	http_header(c, "Cache-Control", "no-cache");
	if (yaml)
		http_body(c, 200, "application/yaml", doc_yaml, strlen(doc_yaml));
	else
		http_body(c, 200, "application/json", doc_json, strlen(doc_json));
	return true;
}

void api_doc_html(struct api_ctx *c)
{
	api_ui_security_headers(c);
	http_header(c, "Cache-Control", "no-cache");
	http_body(c, 200, "text/html; charset=utf-8", doc_text_html, doc_text_html_len);
}

void api_doc_js(struct api_ctx *c)
{
	api_ui_security_headers(c);
	http_header(c, "Cache-Control", "no-cache");
	http_body(c, 200, "text/javascript; charset=utf-8", doc_text_js, doc_text_js_len);
}
