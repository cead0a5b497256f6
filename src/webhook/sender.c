/* SPDX-License-Identifier: MIT */
/*
 * Webhook POSTs with libcurl (see sender.h). The Authorization value and the signing secret
 * are secrets: they live only in the request's header list, which is wiped before it is
 * freed, and never in results or logs. The answer kept for the delivery log is the receiver's
 * status line only: a body could echo the request, which carries private keys.
 */
#include "webhook/sender.h"

#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/curl_util.h"

void webhook_sign(const char *secret, const char *body, size_t len, char hex[static 65])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, 65, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
}

/* The answer body is read and dropped. */
static size_t body_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	(void)data;
	(void)ud;
	return size * nmemb;
}

/* Keeps the last status line ("HTTP/1.1 500 Internal Server Error"), bounded. */
static size_t header_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t n = size * nmemb;

	if (n > 5 && memcmp(data, "HTTP/", 5) == 0) {
		b->len = 0;
		(void)buf_append(b, data, n < b->max ? n : b->max);
	}
	return n;
}

static struct curl_slist *add_header(struct curl_slist *h, const char *name, const char *value,
				     bool *failed)
{
	char *line;
	struct curl_slist *n;

	if (asprintf(&line, "%s: %s", name, value) < 0) {
		*failed = true;
		return h;
	}
	n = curl_slist_append(h, line);
	explicit_bzero(line, strlen(line));
	free(line);
	if (!n)
		*failed = true;
	return n ? n : h;
}

static void free_headers(struct curl_slist *h)
{
	for (struct curl_slist *p = h; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

static void printable(char *dst, size_t size, const char *src, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < size; i++)
		dst[n++] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : ' ';
	dst[n] = '\0';
}

int webhook_send(const struct webhook_target *t, int64_t delivery_id, const char *body,
		 size_t len, struct webhook_result *res)
{
	struct curl_slist *hdr = NULL;
	struct buf answer;
	char errbuf[CURL_ERROR_SIZE] = "", id[32], sig[80], hex[65];
	bool failed = false;
	long status = 0, timeout = t->timeout_ms > 0 && t->timeout_ms < WEBHOOK_TIMEOUT_CAP_MS
					  ? (long)t->timeout_ms : WEBHOOK_TIMEOUT_CAP_MS;
	CURLcode rc;
	CURL *h;

	memset(res, 0, sizeof(*res));
	if (!(h = curl_util_easy())) {
		snprintf(res->answer, sizeof(res->answer), "out of memory");
		return -ENOMEM;
	}
	buf_init(&answer, 160);
	snprintf(id, sizeof(id), "%lld", (long long)delivery_id);
	hdr = add_header(hdr, "Content-Type", "application/json", &failed);
	if (t->authentication && *t->authentication)
		hdr = add_header(hdr, "Authorization", t->authentication, &failed);
	if (t->signing_secret && *t->signing_secret) {
		webhook_sign(t->signing_secret, body, len, hex);
		snprintf(sig, sizeof(sig), "sha256=%s", hex);
		hdr = add_header(hdr, "X-Wgportal-Signature", sig, &failed);
	}
	hdr = add_header(hdr, "X-Wgportal-Delivery", id, &failed);
	hdr = add_header(hdr, "Expect", "", &failed);   /* no 100-continue round trip */
	if (failed) {
		free_headers(hdr);
		curl_easy_cleanup(h);
		snprintf(res->answer, sizeof(res->answer), "out of memory");
		return -ENOMEM;
	}
	curl_easy_setopt(h, CURLOPT_URL, t->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &answer);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "wgportal-webhook");
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	free_headers(hdr);
	explicit_bzero(sig, sizeof(sig));
	res->status = (int)status;
	if (rc != CURLE_OK) {
		printable(res->answer, sizeof(res->answer), errbuf[0] ? errbuf
					: curl_easy_strerror(rc), strlen(errbuf[0] ? errbuf
					: curl_easy_strerror(rc)));
		buf_release(&answer);
		res->permanent = rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL;
		return rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT
		       : rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST
			       ? -ECONNREFUSED : -EIO;
	}
	if (status >= 200 && status < 300) {
		buf_release(&answer);
		return 0;
	}
	/* "HTTP/1.1 500 Internal Server Error" -> "HTTP 500 Internal Server Error" */
	char line[160];
	const char *sp = answer.p ? memchr(answer.p, ' ', answer.len) : NULL;
	printable(line, sizeof(line), sp ? sp + 1 : "", sp ? answer.len - (size_t)(sp + 1 - answer.p)
								 : 0);
	for (size_t n = strlen(line); n > 0 && line[n - 1] == ' '; n--)
		line[n - 1] = '\0';
	if (line[0])
		snprintf(res->answer, sizeof(res->answer), "HTTP %s", line);
	else
		snprintf(res->answer, sizeof(res->answer), "HTTP %ld", status);
	buf_release(&answer);
	res->permanent = status < 500 && status != 408 && status != 429;
	return -EIO;
}
