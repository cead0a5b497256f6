/* SPDX-License-Identifier: MIT */
/* Calls to identity providers over libcurl (auth/idp_http.h). */
#include "auth/idp_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

char *form_encode(const char *s)
{
	struct buf b;

	buf_init(&b, strlen(s) * 3 + 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int r;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p))
			r = buf_append(&b, p, 1);
		else if (*p == ' ')
			r = buf_append(&b, "+", 1);
		else
			r = buf_printf(&b, "%%%02X", *p);
		if (r < 0) {
			buf_wipe(&b);
			return NULL;
		}
	}
	return buf_detach(&b);
}

int form_append(char **dst, const char *key, const char *value)
{
	char *v = form_encode(value ? value : ""), *out = NULL;
	int n;

	if (!v)
		return -ENOMEM;
	n = asprintf(&out, "%s%s%s=%s", *dst ? *dst : "", *dst && **dst ? "&" : "", key, v);
	explicit_bzero(v, strlen(v));
	free(v);
	if (n < 0)
		return -ENOMEM;
	if (*dst) {
		explicit_bzero(*dst, strlen(*dst));
		free(*dst);
	}
	*dst = out;
	return 0;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buf *b = userdata;
	size_t n = size * nmemb;

	return buf_append(b, ptr, n) < 0 ? 0 : n;
}

static int perform(const char *url, const char *form, const char *bearer, const char *user,
		   const char *pass, struct idp_reply *ret, struct err *err)
{
	char ebuf[CURL_ERROR_SIZE] = "", *auth_hdr = NULL;
	struct curl_slist *hdrs = NULL;
	struct buf body;
	CURLcode cc = CURLE_OK;
	CURL *h;
	int r = 0;

	pthread_once(&once, global_init);
	if (!url || (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)))
		return err_set(err, -EINVAL, "URL must start with http:// or https://");
	h = curl_easy_init();
	if (!h)
		return err_set(err, -ENOMEM, "out of memory");
	buf_init(&body, IDP_HTTP_REPLY_MAX);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (bearer && asprintf(&auth_hdr, "Authorization: Bearer %s", bearer) >= 0)
		hdrs = curl_slist_append(hdrs, auth_hdr);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)IDP_HTTP_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)IDP_HTTP_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)IDP_HTTP_REPLY_MAX);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "wgportal");
	if (form) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(form));
	}
	if (user) {
		/* RFC 6749 2.3.1: id and secret are form-encoded before Basic; libcurl sends
		 * them as given, so encode here (':' in a secret would split it otherwise) */
		char *eu = form_encode(user), *ep = form_encode(pass ? pass : "");
		if (!eu || !ep) {
			r = err_set(err, -ENOMEM, "out of memory");
		} else {
			curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
			curl_easy_setopt(h, CURLOPT_USERNAME, eu);
			curl_easy_setopt(h, CURLOPT_PASSWORD, ep);
		}
		if (r == 0)
			cc = curl_easy_perform(h);
		if (eu)
			explicit_bzero(eu, strlen(eu));
		if (ep)
			explicit_bzero(ep, strlen(ep));
		free(eu);
		free(ep);
		if (r < 0)
			goto out;
	} else {
		cc = curl_easy_perform(h);
	}
	if (cc != CURLE_OK) {
		if (cc == CURLE_OPERATION_TIMEDOUT)
			r = err_set(err, -ETIMEDOUT, "no answer within %d ms", IDP_HTTP_TIMEOUT_MS);
		else if (cc == CURLE_FILESIZE_EXCEEDED || cc == CURLE_WRITE_ERROR)
			r = err_set(err, -E2BIG, "answer larger than %d bytes", IDP_HTTP_REPLY_MAX);
		else
			r = err_set(err, -EHOSTUNREACH, "%s", *ebuf ? ebuf : curl_easy_strerror(cc));
		goto out;
	}
	memset(ret, 0, sizeof(*ret));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ret->status);
	ret->json = body.len ? json_loadb(body.p, body.len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (ret->json && !json_is_object(ret->json)) {
		json_decref(ret->json);
		ret->json = NULL;
	}
out:
	if (auth_hdr) {
		explicit_bzero(auth_hdr, strlen(auth_hdr));
		free(auth_hdr);
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	buf_wipe(&body);
	return r;
}

int idp_get(const char *url, const char *bearer, struct idp_reply *ret, struct err *err)
{
	return perform(url, NULL, bearer, NULL, NULL, ret, err);
}

int idp_post_form(const char *url, const char *form, const char *basic_user,
		  const char *basic_pass, struct idp_reply *ret, struct err *err)
{
	return perform(url, form, NULL, basic_user, basic_pass, ret, err);
}

void idp_reply_release(struct idp_reply *r)
{
	json_decref(r->json);
	r->json = NULL;
}
