/* SPDX-License-Identifier: MIT */
#ifndef UTIL_CURL_UTIL_H
#define UTIL_CURL_UTIL_H
/* libcurl set-up shared by the outbound mail (SMTP) and webhook (HTTP) clients. */
#include <curl/curl.h>

/* A new easy handle (curl_global_init done once per process, thread-safe) that never uses
 * signals and trusts what Go's crypto/x509 trusts on Linux: SSL_CERT_FILE and SSL_CERT_DIR
 * when set (wg-portal admins with a private CA use them), else libcurl's system bundle.
 * NULL on OOM; the caller cleans it up. */
CURL *curl_util_easy(void);

#endif
