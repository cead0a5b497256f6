/* SPDX-License-Identifier: MIT */
/*
 * Response helpers and request-body parsing for the REST API. Every answer goes through here so
 * the conventions of spec 2.1 hold in one place: JSON via json_dump_compat (compact, HTML-safe
 * escapes, trailing "\n"), Content-Type without charset, errors as {"Code","Message"} with an
 * optional "Field" (our addition), DELETE answers without body.
 */
#include "api/http.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ulfius.h>

#include "api/errmap.h"
#include "api/json_model.h"
#include "util/err.h"
#include "util/log.h"
#include "util/utf8.h"

const char *api_caller_id(const struct api_ctx *c)
{
	return c->caller && c->caller->identifier ? c->caller->identifier : "";
}

void http_header(struct api_ctx *c, const char *name, const char *value)
{
	u_map_put(c->resp->map_header, name, value);
}

void http_body(struct api_ctx *c, int status, const char *content_type, const void *body,
	       size_t len)
{
	c->status = status;
	if (content_type)
		http_header(c, "Content-Type", content_type);
	c->resp->status = status;
	if (len == 0)
		return; /* ulfius refuses empty bodies; status alone gives an empty answer */
	if (ulfius_set_binary_body_response(c->resp, (unsigned)status, body, len) != U_OK) {
		/* Only OOM gets here; an empty 500 is all we can still say. */
		c->resp->status = 500;
		c->status = 500;
	}
}

void http_text(struct api_ctx *c, int status, const char *text)
{
	http_body(c, status, "text/plain", text, strlen(text));
}

void http_no_content(struct api_ctx *c)
{
	c->status = 204;
	c->resp->status = 204;
	u_map_remove_from_key(c->resp->map_header, "Content-Type");
}

void http_json(struct api_ctx *c, int status, json_t *v)
{
	char *s;

	if (!v) {
		http_text(c, 500, "out of memory\n");
		return;
	}
	s = json_dump_compat(v);
	json_decref(v);
	if (!s) {
		http_text(c, 500, "out of memory\n");
		return;
	}
	http_body(c, status, "application/json", s, strlen(s));
	free(s);
}

static void http_error_msg(struct api_ctx *c, int status, const char *field, const char *msg)
{
	json_t *o = json_object();
	char *text = NULL;

	/* a message quoting a request value that is not UTF-8 (a percent-decoded id) would be
	 * refused by jansson and the answer would lose its Message */
	if (!utf8_valid(msg) && (text = strdup(msg)))
		msg = utf8_scrub(text);
	if (o) {
		json_object_set_new(o, "Code", json_integer(status));
		json_object_set_new(o, "Message", json_string(msg));
		if (field && *field)
			json_object_set_new(o, "Field", json_string(field));
	}
	free(text);
	http_json(c, status, o);
}

void http_error(struct api_ctx *c, int status, const char *field, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	http_error_msg(c, status, field, msg);
}

void http_error_err(struct api_ctx *c, const struct err *e, const char *fallback)
{
	int status = (e->code ? errmap_status(e->code) : 500);
	const char *msg = e->msg[0] ? e->msg : (fallback ? fallback : "internal error");

	if (status >= 500)
		log_warn("api: request %s: %s", c->request_id, msg);
	http_error_msg(c, status, e->field, msg);
}

void http_error_prefixed(struct api_ctx *c, const struct err *e, const char *fmt, ...)
{
	char prefix[ERR_MSG_MAX], msg[ERR_MSG_MAX * 2 + 4];
	int status = (e->code ? errmap_status(e->code) : 500);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (e->msg[0])
		snprintf(msg, sizeof(msg), "%s: %s", prefix, e->msg);
	else
		snprintf(msg, sizeof(msg), "%s", prefix);
	if (status >= 500)
		log_warn("api: request %s: %s", c->request_id, msg);
	http_error_msg(c, status, e->field, msg);
}

static int json_depth_ok(const json_t *v, int depth)
{
	size_t i;
	const char *k;
	json_t *x;

	if (depth > API_JSON_DEPTH_MAX)
		return 0;
	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if (!json_depth_ok(x, depth + 1))
				return 0;
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x)
			if (!json_depth_ok(x, depth + 1))
				return 0;
	}
	return 1;
}

int http_body_object(struct api_ctx *c, json_t **ret)
{
	const struct _u_request *req = c->req;
	json_error_t jerr;
	json_t *v;

	/* The server keeps at most API_BODY_MAX + 1 bytes, so reaching that size means the client
	 * sent more than the limit. */
	if (req->binary_body_length > API_BODY_MAX) {
		http_error(c, 413, NULL, "request body too large (limit %d bytes)", API_BODY_MAX);
		return -E2BIG;
	}
	if (!req->binary_body || req->binary_body_length == 0) {
		http_error(c, 400, NULL, "invalid JSON body: empty body");
		return -EINVAL;
	}
	/* Like Go's json.Decoder: only the first value is read, trailing data is ignored. */
	v = json_loadb(req->binary_body, req->binary_body_length,
		       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK,
		       &jerr);
	if (!v) {
		http_error(c, 400, NULL, "invalid JSON body: %s (line %d, column %d)", jerr.text,
			   jerr.line, jerr.column);
		return -EINVAL;
	}
	if (json_is_null(v)) {
		json_decref(v);
		v = json_object();
		if (!v) {
			http_text(c, 500, "out of memory\n");
			return -ENOMEM;
		}
	}
	if (!json_is_object(v)) {
		json_decref(v);
		http_error(c, 400, NULL, "invalid JSON body: expected an object");
		return -EINVAL;
	}
	if (!json_depth_ok(v, 0)) {
		json_decref(v);
		http_error(c, 400, NULL, "invalid JSON body: nesting deeper than %d levels",
			   API_JSON_DEPTH_MAX);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

char *http_trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (s[i] && isspace((unsigned char)s[i]))
		i++;
	if (i)
		memmove(s, s + i, n - i + 1);
	return s;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

char *http_pct_decode(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= len) {
			free(out);
			return NULL;
		}
		int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			free(out);
			return NULL;
		}
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	return out;
}

bool http_query_has(const struct api_ctx *c, const char *name)
{
	return u_map_has_key(c->req->map_url, name) != 0;
}

char *http_query(const struct api_ctx *c, const char *name)
{
	const char *v = u_map_get(c->req->map_url, name);
	char *s = strdup(v ? v : "");

	return s ? http_trim(s) : NULL;
}
