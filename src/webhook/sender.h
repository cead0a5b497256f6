/* SPDX-License-Identifier: MIT */
#ifndef WEBHOOK_SENDER_H
#define WEBHOOK_SENDER_H
/*
 * One webhook request as wg-portal sends it (internal/app/webhooks/manager.go:75-102): POST to
 * webhook.url with Content-Type: application/json, Authorization: <webhook.authentication> when
 * set, the whole request limited by webhook.timeout. Additions: X-Wgportal-Signature:
 * sha256=<hex HMAC-SHA256 of the body with webhook.signing_secret> when that key is set, and
 * X-Wgportal-Delivery: <id> so a receiver can drop a repeated delivery. Redirects are not
 * followed. Any 2xx is success (wg-portal: 200, 202, 204).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* webhook.timeout 0 means "none" in wg-portal; a request is still cut after this long so one
 * receiver that never answers cannot stall delivery for ever. */
#define WEBHOOK_TIMEOUT_CAP_MS (5 * 60 * 1000)
#define WEBHOOK_ANSWER_MAX 256

struct webhook_target {
	const char *url;
	const char *authentication;   /* "" = no Authorization header */
	const char *signing_secret;   /* "" = no signature header */
	int64_t timeout_ms;           /* 0 = WEBHOOK_TIMEOUT_CAP_MS */
};

struct webhook_result {
	int status;                   /* HTTP status, 0 when no answer */
	bool permanent;               /* a 4xx other than 408/429, or a 3xx: retrying cannot help */
	char answer[WEBHOOK_ANSWER_MAX];
};

/* Hex HMAC-SHA256 of body with secret (65 bytes with the NUL). */
void webhook_sign(const char *secret, const char *body, size_t len, char hex[static 65]);

/* 0 on a 2xx answer; -EIO (error status), -ETIMEDOUT or -ECONNREFUSED with res filled. */
int webhook_send(const struct webhook_target *t, int64_t delivery_id, const char *body,
		 size_t len, struct webhook_result *res);

#endif
