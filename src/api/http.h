/* SPDX-License-Identifier: MIT */
#ifndef API_HTTP_H
#define API_HTTP_H
/*
 * Per-request context and response helpers of the REST API (spec/wg-portal-compat.md 2.1, 2.3):
 * JSON answers in wg-portal's serialisation, the Error model {"Code","Message"[,"Field"]},
 * text and PNG bodies, 204 without body, request bodies parsed with limits.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/app.h"
#include "model/user.h"

struct _u_request;
struct _u_response;
struct err;

/* Request body limit (1 MiB): larger bodies are answered 413. */
#define API_BODY_MAX (1024 * 1024)
/* Body limit of the routes that need no authentication (login): its JSON is two short
 * strings; nobody unauthenticated gets to park a megabyte in our memory. */
#define API_BODY_MAX_UNAUTH (4 * 1024)
/* Nesting limit for request JSON (our models nest 3 levels). */
#define API_JSON_DEPTH_MAX 16

struct api_ctx {
	struct app *app;
	const struct _u_request *req;
	struct _u_response *resp;
	struct user *caller;          /* authenticated user (owned), NULL before auth */
	const char *id;               /* decoded, trimmed {id} path parameter or NULL */
	char request_id[9];
	int status;                   /* status of the answer, for the request log */
	/* between the two phases of the router (router.h) */
	const void *route;            /* the matched route, NULL when the head was answered */
	char *id_owned;               /* heap copy behind id */
	bool is_session;              /* authenticated by the session cookie */
	size_t body_max;              /* body limit of the route */
	bool body_over;               /* the body exceeds it: discarded as it arrives, then 413 */
	int64_t t0_ns;                /* monotonic start, for the request log */
};

static inline bool api_is_admin(const struct api_ctx *c)
{
	return c->caller && c->caller->is_admin;
}

/* Caller's identifier ("" before auth). Borrowed. */
const char *api_caller_id(const struct api_ctx *c);

/* Adds (replaces) a response header. */
void http_header(struct api_ctx *c, const char *name, const char *value);
/* JSON answer; takes the reference of v (v NULL -> 500 out of memory). */
void http_json(struct api_ctx *c, int status, json_t *v);
/* Error model answer with a printf message; field (may be NULL/"") adds "Field". */
void http_error(struct api_ctx *c, int status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Error answer from a struct err: status from errmap (500 when err->code is 0), Message =
 * err->msg (or fallback when the message is empty), Field = err->field. */
void http_error_err(struct api_ctx *c, const struct err *e, const char *fallback);
/* Same, with the message "<prefix>: <err->msg>". */
void http_error_prefixed(struct api_ctx *c, const struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Raw body with a content type (copied). */
void http_body(struct api_ctx *c, int status, const char *content_type, const void *body,
	       size_t len);
/* Plain text (text/plain, no charset), as Go's c.String / 404 page. */
void http_text(struct api_ctx *c, int status, const char *text);
/* 204, no body, no Content-Type. */
void http_no_content(struct api_ctx *c);

/* Parses the request body as one JSON value (first value only; duplicate keys rejected;
 * depth-limited). "null" yields an empty object. Answers the error itself (400/413) and returns
 * a negative code on failure; on success *ret is a new reference to an object. */
int http_body_object(struct api_ctx *c, json_t **ret);

/* Query parameter, percent-decoded by the server and trimmed (heap copy, "" when absent). */
char *http_query(const struct api_ctx *c, const char *name);
/* True when the query parameter is present at all. */
bool http_query_has(const struct api_ctx *c, const char *name);

/* Decodes %XX escapes of s into a heap string ('+' stays '+'); NULL on a bad escape, an
 * encoded NUL or OOM. */
char *http_pct_decode(const char *s, size_t len);
/* Trims ASCII whitespace on both ends in place; returns s. */
char *http_trim(char *s);

#endif
