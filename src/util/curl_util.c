/* SPDX-License-Identifier: MIT */
/* libcurl set-up shared by the mail and webhook clients (see curl_util.h). */
#include "util/curl_util.h"

#include <pthread.h>
#include <stdlib.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

CURL *curl_util_easy(void)
{
	const char *file = getenv("SSL_CERT_FILE"), *dir = getenv("SSL_CERT_DIR");
	CURL *h;

	pthread_once(&curl_once, init_once);
	h = curl_easy_init();
	if (!h)
		return NULL;
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (file && *file)
		curl_easy_setopt(h, CURLOPT_CAINFO, file);
	if (dir && *dir)
		curl_easy_setopt(h, CURLOPT_CAPATH, dir);
	return h;
}
