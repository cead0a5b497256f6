/* SPDX-License-Identifier: MIT */
/*
 * SMTP submission through libcurl (see smtp.h). The server's reply lines are taken from
 * libcurl's debug callback (CURLINFO_HEADER_IN only: what the server said, never what we sent,
 * which would include the AUTH exchange), so a failure reports the server's own answer, e.g.
 * "535 5.7.8 Authentication credentials invalid". libcurl does the SMTP dot-stuffing.
 */
#include "mail/smtp.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/curl_util.h"

struct upload {
	const char *p;
	size_t left;
};

struct replies {
	char last[SMTP_ANSWER_MAX];
	char last_error[SMTP_ANSWER_MAX];   /* the last 4xx/5xx line */
};

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *ud)
{
	struct upload *u = ud;
	size_t n = size * nmemb < u->left ? size * nmemb : u->left;

	memcpy(dst, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* Keeps the last reply line (printable ASCII only, trimmed). */
static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
	struct replies *rp = ud;
	char line[SMTP_ANSWER_MAX];
	size_t n = 0;

	(void)h;
	if (type != CURLINFO_HEADER_IN)
		return 0;
	for (size_t i = 0; i < size && n + 1 < sizeof(line); i++) {
		char c = data[i];
		if (c == '\r' || c == '\n')
			break;
		line[n++] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	line[n] = '\0';
	if (!n)
		return 0;
	memcpy(rp->last, line, n + 1);
	if (line[0] == '4' || line[0] == '5')
		memcpy(rp->last_error, line, n + 1);
	return 0;
}

static const char *login_options(const char *auth_type)
{
	if (auth_type && !strcasecmp(auth_type, "login"))
		return "AUTH=LOGIN";
	if (auth_type && !strcasecmp(auth_type, "crammd5"))
		return "AUTH=CRAM-MD5";
	return "AUTH=PLAIN";
}

static bool curl_permanent(CURLcode rc)
{
	switch (rc) {
	case CURLE_LOGIN_DENIED:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_USE_SSL_FAILED:
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return true;
	default:
		return false;
	}
}

int smtp_send(const struct smtp_cfg *cfg, const char *from_addr, const char *to_addr,
	      const char *msg, size_t len, struct smtp_result *res)
{
	struct upload up = { msg, len };
	struct replies rp = { "", "" };
	struct curl_slist *rcpt = NULL;
	char url[512], from[300], to[300], errbuf[CURL_ERROR_SIZE] = "";
	bool tls = cfg->encryption && !strcasecmp(cfg->encryption, "tls");
	bool starttls = cfg->encryption && !strcasecmp(cfg->encryption, "starttls");
	long code = 0;
	CURLcode rc;
	CURL *h;

	memset(res, 0, sizeof(*res));
	if (!(h = curl_util_easy())) {
		snprintf(res->answer, sizeof(res->answer), "out of memory");
		return -ENOMEM;
	}
	/* an IPv6 literal needs brackets in the URL */
	snprintf(url, sizeof(url), strchr(cfg->host, ':') ? "%s://[%s]:%d" : "%s://%s:%d",
		 tls ? "smtps" : "smtp", cfg->host, cfg->port);
	snprintf(from, sizeof(from), "<%s>", from_addr);
	snprintf(to, sizeof(to), "<%s>", to_addr);
	rcpt = curl_slist_append(NULL, to);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)SMTP_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);   /* feeds debug_cb; it logs nothing */
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, &rp);
	curl_easy_setopt(h, CURLOPT_USE_SSL, starttls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, cfg->cert_validation ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, cfg->cert_validation ? 2L : 0L);
	if (cfg->username && *cfg->username) {
		curl_easy_setopt(h, CURLOPT_USERNAME, cfg->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
		curl_easy_setopt(h, CURLOPT_LOGIN_OPTIONS, login_options(cfg->auth_type));
	}
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	curl_slist_free_all(rcpt);
	res->code = (int)code;
	if (rc == CURLE_OK)
		return 0;
	if (rp.last_error[0])
		snprintf(res->answer, sizeof(res->answer), "%s", rp.last_error);
	else
		snprintf(res->answer, sizeof(res->answer), "%s", errbuf[0] ? errbuf
								 : curl_easy_strerror(rc));
	res->permanent = code >= 500 || (code < 400 && curl_permanent(rc));
	if (code >= 400 && code < 500)
		res->permanent = false;
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return -ECONNREFUSED;
	default:
		return -EIO;
	}
}
