/* SPDX-License-Identifier: MIT */
/*
 * The daemon's throttle tables (api/throttle.h): one bounded sliding-window table per kind
 * (auth/ratelimit.c), created on first use, times from the monotonic clock.
 */
#include "api/throttle.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <ulfius.h>

#include "api/http.h"
#include "auth/ratelimit.h"
#include "httpd/guard.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"

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

/* ---- shared by the nodes: the tables in the database ------------------------------------- */

static struct store *_Atomic shared;

void api_throttle_share(struct store *st)
{
	shared = st;
}

static int64_t wall_s(void)
{
	return (int64_t)time(NULL);
}

enum shared_op { OP_RESERVE, OP_RELEASE, OP_FAIL, OP_RESET };

struct shared_edit {
	enum shared_op op;
	unsigned max;
	int64_t now;
};

/* Adds now, keeping the list ordered (nodes' clocks differ a little) and within cap. */
static void add_time(int64_t *t, size_t *n, size_t cap, int64_t now)
{
	size_t i;

	if (*n == cap) {
		memmove(t, t + 1, (cap - 1) * sizeof(*t));
		(*n)--;
	}
	for (i = *n; i > 0 && t[i - 1] > now; i--)
		t[i] = t[i - 1];
	t[i] = now;
	(*n)++;
}

/* The edit of one (kind, key) row, inside store_throttle_update's transaction. */
static int edit_row(int64_t *t, size_t *n, size_t cap, void *ctx)
{
	const struct shared_edit *e = ctx;
	unsigned wait;

	*n = ratelimit_times_expire(t, *n, THROTTLE_WINDOW_S, e->now);
	switch (e->op) {
	case OP_RESERVE:
		wait = ratelimit_times_wait(t, *n, e->max, THROTTLE_WINDOW_S, e->now);
		if (wait)
			return (int)wait;
		add_time(t, n, cap, e->now);
		return 0;
	case OP_FAIL:
		add_time(t, n, cap, e->now);
		return 0;
	case OP_RELEASE:
		/* the newest: which of a key's parallel reservations goes does not change the count */
		if (*n)
			(*n)--;
		return 0;
	case OP_RESET:
		*n = 0;
		return 0;
	}
	return 0;
}

static unsigned shared_update(struct store *st, enum throttle_kind kind, enum shared_op op,
			      const char *key)
{
	struct shared_edit e = { op, kind < THROTTLE_MAX ? throttle_max[kind] : 1, wall_s() };
	struct err err = { 0 };
	int r = store_throttle_update(st, (int)kind, key ? key : "", e.now, edit_row, &e, &err);

	if (r < 0)
		log_debug("throttle: %s, not counted", err.msg);
	return r > 0 ? (unsigned)r : 0;
}

static unsigned shared_check(struct store *st, enum throttle_kind kind, const char *key)
{
	int64_t t[STORE_THROTTLE_TIMES_MAX], now = wall_s();
	size_t n = 0;

	if (store_throttle_get(st, (int)kind, key ? key : "", t, STORE_THROTTLE_TIMES_MAX, &n,
			       NULL) < 0 || kind >= THROTTLE_MAX)
		return 0;
	n = ratelimit_times_expire(t, n, THROTTLE_WINDOW_S, now);
	return ratelimit_times_wait(t, n, throttle_max[kind], THROTTLE_WINDOW_S, now);
}

/* ---- the calls ------------------------------------------------------------------------------ */

unsigned api_throttle_reserve(enum throttle_kind kind, const char *key)
{
	struct store *st = shared;

	return st ? shared_update(st, kind, OP_RESERVE, key)
		  : ratelimit_reserve(table(kind), key, mono_s());
}

void api_throttle_release(enum throttle_kind kind, const char *key)
{
	struct store *st = shared;

	if (st)
		shared_update(st, kind, OP_RELEASE, key);
	else
		ratelimit_release(table(kind), key);
}

unsigned api_throttle_check(enum throttle_kind kind, const char *key)
{
	struct store *st = shared;

	return st ? shared_check(st, kind, key) : ratelimit_check(table(kind), key, mono_s());
}

void api_throttle_fail(enum throttle_kind kind, const char *key)
{
	struct store *st = shared;

	if (st)
		shared_update(st, kind, OP_FAIL, key);
	else
		ratelimit_fail(table(kind), key, mono_s());
}

void api_throttle_reset(enum throttle_kind kind, const char *key)
{
	struct store *st = shared;

	if (st)
		shared_update(st, kind, OP_RESET, key);
	else
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
