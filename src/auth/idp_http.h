/* SPDX-License-Identifier: MIT */
#ifndef AUTH_IDP_HTTP_H
#define AUTH_IDP_HTTP_H
/*
 * HTTP calls from wgportal to OpenID/OAuth2 providers (discovery, JWKS, token, userinfo) on
 * libcurl: http or https only, TLS always verified against the system store, no redirects
 * followed, IDP_HTTP_TIMEOUT_MS per call, replies bounded to IDP_HTTP_REPLY_MAX and parsed as
 * one JSON object (duplicate keys rejected). Thread-safe. Never logs; tokens, codes and client
 * secrets never reach err.
 */
#include <jansson.h>

struct err;

#define IDP_HTTP_TIMEOUT_MS 10000
#define IDP_HTTP_REPLY_MAX (1024 * 1024)

struct idp_reply {
	long status;           /* HTTP status */
	json_t *json;          /* the body as a JSON object, or NULL when it is not one */
};

/* GET url with "Authorization: Bearer <bearer>" when bearer is non-NULL. Any HTTP answer is a
 * success of this function; -EHOSTUNREACH (connection/TLS), -ETIMEDOUT, -E2BIG, -ENOMEM. */
int idp_get(const char *url, const char *bearer, struct idp_reply *ret, struct err *err);
/* POST application/x-www-form-urlencoded form (already encoded). basic_user non-NULL: HTTP
 * Basic auth with user and password each form-URL-encoded first (RFC 6749 2.3.1). */
int idp_post_form(const char *url, const char *form, const char *basic_user,
		  const char *basic_pass, struct idp_reply *ret, struct err *err);
void idp_reply_release(struct idp_reply *r);

/* application/x-www-form-urlencoded encoding of s appended to *dst (heap, realloc'd) as
 * "&key=value" ("key=value" when *dst is empty or NULL). Space becomes '+', every byte but
 * ALPHA / DIGIT / "-._~" is %XX. 0 or -ENOMEM. */
int form_append(char **dst, const char *key, const char *value);
/* The form encoding of one value (heap) or NULL on OOM. */
char *form_encode(const char *s);

#endif
