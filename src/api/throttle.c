/* SPDX-License-Identifier: MIT */
/*
 * The daemon's throttle tables (api/throttle.h): one bounded sliding-window table per kind
 * (auth/ratelimit.c), created on first use, times from the monotonic clock.
 */
#include "api/throttle.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <ulfius.h>

#include "api/http.h"
#include "auth/ratelimit.h"
#include "httpd/guard.h"

#define THROTTLE_TABLE_KEYS 4096

static const unsigned throttle_max[THROTTLE_MAX] = {
	[THROTTLE_LOGIN_USER] = 5,
	[THROTTLE_LOGIN_ADDR] = 20,
	[THROTTLE_BASIC_ADDR] = 20,
};

static pthread_once_t throttle_once = PTHREAD_ONCE_INIT;
static struct ratelimit *tables[THROTTLE_MAX];

static void throttle_init(void)
{
	for (int k = 0; k < THROTTLE_MAX; k++)
		tables[k] = ratelimit_new(throttle_max[k], THROTTLE_WINDOW_S, THROTTLE_TABLE_KEYS);
}

static struct ratelimit *table(enum throttle_kind kind)
{
	pthread_once(&throttle_once, throttle_init);
	return kind < THROTTLE_MAX ? tables[kind] : NULL;
}

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

unsigned api_throttle_reserve(enum throttle_kind kind, const char *key)
{
	return ratelimit_reserve(table(kind), key, mono_s());
}

void api_throttle_release(enum throttle_kind kind, const char *key)
{
	ratelimit_release(table(kind), key);
}

unsigned api_throttle_check(enum throttle_kind kind, const char *key)
{
	return ratelimit_check(table(kind), key, mono_s());
}

void api_throttle_fail(enum throttle_kind kind, const char *key)
{
	ratelimit_fail(table(kind), key, mono_s());
}

void api_throttle_reset(enum throttle_kind kind, const char *key)
{
	ratelimit_reset(table(kind), key);
}

void api_too_many(struct api_ctx *c, unsigned wait, const char *what)
{
	char v[24];

	snprintf(v, sizeof(v), "%u", wait);
	http_header(c, "Retry-After", v);
	http_error(c, 429, NULL, "%s, retry in %u s", what, wait);
}

void api_client_group(const struct api_ctx *c, char out[static 64])
{
	httpd_addr_group(c->req->client_address, out);
}
