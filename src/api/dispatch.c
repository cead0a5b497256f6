/* SPDX-License-Identifier: MIT */
/*
 * Our own libmicrohttpd access handler for the API listener. ulfius' dispatcher reads the whole
 * body before its callback sees the request, so authentication, the route's body limit and the
 * framing check of RFC 9112 could only happen after a client had parked up to a megabyte in
 * our memory. Here the request head is routed and authenticated first (router_head) and the
 * body is read only for requests that passed (docs/http-hardening.md). The request and answer
 * keep ulfius' structs and maps (struct _u_request / _u_response), which every handler uses.
 *
 * An answer queued while the head is processed makes MHD skip the body and close the
 * connection after the answer; a request with broken framing gets its 400 with an explicit
 * "Connection: close". Each phase is reported to the connection guard (httpd/guard.h) for the
 * head and body deadlines.
 */
#include "api/dispatch.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <ulfius.h>

#include "api/http.h"
#include "api/router.h"
#include "httpd/guard.h"
#include "util/utf8.h"

struct api_request {
	struct _u_request req;
	struct _u_response resp;
	struct api_ctx ctx;
	bool head_done;     /* router_head ran */
	bool answered;      /* an answer is queued */
};

/* Repeated keys are joined with ',' (as ulfius and RFC 9110 5.3 do). */
static enum MHD_Result fill_map(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	struct _u_map *map = cls;
	const char *have;
	int r;

	(void)kind;
	/* values that are not UTF-8 are left out, as ulfius did: every handler may assume text */
	if (!key || !utf8_valid(key) || (value && !utf8_valid(value)))
		return MHD_YES;
	have = u_map_get(map, key);
	if (have) {
		char *joined = NULL;
		if (asprintf(&joined, "%s,%s", have, value ? value : "") < 0)
			return MHD_NO;
		r = u_map_put(map, key, joined);
		free(joined);
	} else {
		r = u_map_put(map, key, value ? value : "");
	}
	return r == U_OK ? MHD_YES : MHD_NO;
}

void *api_dispatch_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct api_request *r = calloc(1, sizeof(*r));

	(void)conn;
	if (!r)
		return NULL;
	if (ulfius_init_request(&r->req) != U_OK) {
		free(r);
		return NULL;
	}
	if (ulfius_init_response(&r->resp) != U_OK) {
		ulfius_clean_request(&r->req);
		free(r);
		return NULL;
	}
	/* the raw URL: the router matches the still percent-encoded path (peer ids carry '/') */
	r->req.http_url = strdup(uri);
	r->req.url_path = strndup(uri, strcspn(uri, "?"));
	r->ctx.app = cls;
	r->ctx.req = &r->req;
	r->ctx.resp = &r->resp;
	return r;
}

static int fill_request(struct api_request *r, struct MHD_Connection *conn, const char *method,
			const char *version)
{
	struct sockaddr_storage *ss = calloc(1, sizeof(*ss));

	if (!ss || !r->req.http_url || !r->req.url_path)
		goto oom;
	/* the whole address: IPv6 does not fit the struct sockaddr ulfius copies */
	httpd_client_addr(conn, ss);
	r->req.client_address = (struct sockaddr *)ss;
	ss = NULL;
	r->req.http_verb = strdup(method);
	r->req.http_protocol = strdup(version);
	if (!r->req.http_verb || !r->req.http_protocol)
		goto oom;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, fill_map, r->req.map_header);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, fill_map, r->req.map_url);
	MHD_get_connection_values(conn, MHD_COOKIE_KIND, fill_map, r->req.map_cookie);
	return 0;
oom:
	free(ss);
	return -1;
}

/* The cookies a handler added with ulfius_add_*cookie_to_response (a second cookie next to
 * the Set-Cookie header in map_header, which holds one value only), as Set-Cookie headers. */
static void add_cookies(struct MHD_Response *m, const struct _u_response *resp)
{
	static const char *const same_site[] = { "", "; SameSite=Strict", "; SameSite=Lax",
						 "; SameSite=None" };

	for (unsigned i = 0; i < resp->nb_cookies; i++) {
		const struct _u_cookie *k = &resp->map_cookie[i];
		char *h = NULL;
		char age[32] = "";

		if (k->max_age)
			snprintf(age, sizeof(age), "; Max-Age=%u", k->max_age);
		if (asprintf(&h, "%s=%s%s%s%s%s%s%s%s%s%s%s", k->key, k->value ? k->value : "", age,
			     k->expires ? "; Expires=" : "", k->expires ? k->expires : "",
			     k->path ? "; Path=" : "", k->path ? k->path : "",
			     k->domain ? "; Domain=" : "", k->domain ? k->domain : "",
			     k->secure ? "; Secure" : "", k->http_only ? "; HttpOnly" : "",
			     k->same_site > 0 && k->same_site <= 3 ? same_site[k->same_site] : "") >= 0)
			MHD_add_response_header(m, MHD_HTTP_HEADER_SET_COOKIE, h);
		free(h);
	}
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct api_request *r, bool close)
{
	struct _u_response *resp = &r->resp;
	struct MHD_Response *m;
	const char **keys;
	enum MHD_Result ret;

	m = MHD_create_response_from_buffer(resp->binary_body_length, resp->binary_body,
					    MHD_RESPMEM_MUST_COPY);
	if (!m)
		return MHD_NO;
	keys = u_map_enum_keys(resp->map_header);
	for (size_t i = 0; keys && keys[i]; i++)
		MHD_add_response_header(m, keys[i], u_map_get(resp->map_header, keys[i]));
	add_cookies(m, resp);
	if (close)
		MHD_add_response_header(m, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(conn, resp->status ? (unsigned)resp->status : 500, m);
	MHD_destroy_response(m);
	r->answered = true;
	router_done(&r->ctx);
	return ret;
}

enum MHD_Result api_dispatch_access(void *cls, struct MHD_Connection *conn, const char *url,
				    const char *method, const char *version, const char *upload,
				    size_t *upload_size, void **con_cls)
{
	struct api_request *r = *con_cls;
	const char *bad;

	(void)cls;
	(void)url;
	if (!r)
		return MHD_NO; /* out of memory at the request line */
	if (!r->head_done) {
		r->head_done = true;
		httpd_guard_head_done(conn);
		if (fill_request(r, conn, method, version) < 0)
			return MHD_NO;
		bad = httpd_framing_error(conn, version);
		if (bad) {
			router_head_refuse(&r->ctx, 400, bad);
			return queue(conn, r, true);
		}
		return router_head(&r->ctx) ? queue(conn, r, false) : MHD_YES;
	}
	if (*upload_size) {
		size_t have = r->req.binary_body_length;

		if (r->answered || r->ctx.body_over) {
			*upload_size = 0; /* discarded: the answer is a 413 (or already queued) */
			return MHD_YES;
		}
		if (*upload_size > r->ctx.body_max - have) {
			/* a chunked body over the limit: drop what we have, discard the rest */
			r->ctx.body_over = true;
			explicit_bzero(r->req.binary_body, have);
			free(r->req.binary_body);
			r->req.binary_body = NULL;
			r->req.binary_body_length = 0;
			*upload_size = 0;
			return MHD_YES;
		}
		void *nb = realloc(r->req.binary_body, have + *upload_size + 1);
		if (!nb)
			return MHD_NO;
		memcpy((char *)nb + have, upload, *upload_size);
		((char *)nb)[have + *upload_size] = '\0';
		r->req.binary_body = nb;
		r->req.binary_body_length = have + *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	httpd_guard_body_done(conn);
	router_body(&r->ctx);
	return queue(conn, r, false);
}

void api_dispatch_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			    enum MHD_RequestTerminationCode toe)
{
	struct api_request *r = *con_cls;

	(void)cls;
	(void)toe;
	httpd_guard_request_done(conn);
	if (!r)
		return;
	if (!r->answered)
		router_release(&r->ctx); /* the client went away before the answer */
	if (r->req.binary_body)
		explicit_bzero(r->req.binary_body, r->req.binary_body_length); /* passwords, keys */
	ulfius_clean_request(&r->req);
	ulfius_clean_response(&r->resp);
	free(r);
	*con_cls = NULL;
}
