/* SPDX-License-Identifier: MIT */
#ifndef UTIL_CURL_UTIL_H
#define UTIL_CURL_UTIL_H
/* libcurl set-up shared by the outbound mail (SMTP) and webhook (HTTP) clients. */
#include <curl/curl.h>

/* curl_global_init once per process, thread-safe. */
void curl_util_global_init(void);
/* Trusts what Go's crypto/x509 trusts on Linux: SSL_CERT_FILE and SSL_CERT_DIR when set
 * (wg-portal admins with a private CA use them), else libcurl's system bundle. */
void curl_util_tls_trust_from_env(CURL *h);

#endif
