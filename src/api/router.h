/* SPDX-License-Identifier: MIT */
#ifndef API_ROUTER_H
#define API_ROUTER_H
/*
 * Request dispatch in two phases (api/dispatch.c calls them). router_head() runs once the
 * request head is in: conventions of spec 2.1 (request id, CORS, path cleaning, 404/405), the
 * body limit of the route, authentication (2.2), the route's scope and the {id} path
 * parameter. router_body() runs the handler once the body is in; router_done() writes the
 * request log line and releases what the phases kept in c.
 */
#include <stdbool.h>

struct api_ctx;

/* c->app, c->req and c->resp set, the rest zero. Returns true when the request is answered
 * (its body must not be read), false when router_body() is to run after the body (at most
 * c->body_max bytes) arrived. */
bool router_head(struct api_ctx *c);
void router_body(struct api_ctx *c);
/* Instead of router_head(): answers status with "malformed request: <why>" (framing). */
void router_head_refuse(struct api_ctx *c, int status, const char *why);
/* The request log line, then router_release(). */
void router_done(struct api_ctx *c);
/* Frees what the phases kept in c (the caller, the id); for requests that end unanswered. */
void router_release(struct api_ctx *c);

/* Go's path.Clean semantics on a URL path, keeping a trailing '/' (gin's cleanPath). Heap. */
char *router_clean_path(const char *path);

#endif
