/* SPDX-License-Identifier: MIT */
#ifndef API_THROTTLE_H
#define API_THROTTLE_H
/*
 * Throttling of password and token guessing (docs/http-hardening.md): failures are counted per
 * account and per client address (an IPv4 address or an IPv6 /64) in sliding windows of
 * THROTTLE_WINDOW_S. A limit must hold for parallel attempts too, so a check and the count of
 * its failure may not be separated by the (slow) secret check: logins (argon2, 87 ms) reserve
 * their slot before hashing and give it back on success; token checks (microseconds) run
 * check, verification and count under one lock (api_throttle_check/fail inside the caller's
 * critical section).
 */
#include <stdbool.h>

struct api_ctx;
struct store;

enum throttle_kind {
	THROTTLE_LOGIN_USER,   /* session logins per account: 5 */
	THROTTLE_LOGIN_ADDR,   /* session logins per client address: 20 */
	THROTTLE_BASIC_ADDR,   /* failed Basic auth (API tokens) per client address: 20 */
	THROTTLE_MAX
};

#define THROTTLE_WINDOW_S 300

/* With more than one node the tables live in the database (store: the shared store; NULL:
 * this process's memory, the default), so a limit holds across the nodes behind a load
 * balancer: failures are stored with wall-clock times all nodes share, and a reservation locks
 * its row, so it is exact across nodes too. The API-token check stays one read before and one
 * write after a failed check, exact per node (basic.c's lock) and off by at most one attempt
 * in flight per other node. A database that cannot be reached throttles nothing: the
 * authentication it would guard fails with 503 anyway. */
void api_throttle_share(struct store *st);

/* Reserves one attempt of key: 0 when it may go ahead (it counts as a failure until released),
 * else the seconds to wait. */
unsigned api_throttle_reserve(enum throttle_kind kind, const char *key);
/* The reserved attempt succeeded: it does not count. */
void api_throttle_release(enum throttle_kind kind, const char *key);
/* Plain check (seconds to wait, 0: go) and failure count, for callers that hold their own
 * lock across check, verification and count. */
unsigned api_throttle_check(enum throttle_kind kind, const char *key);
void api_throttle_fail(enum throttle_kind kind, const char *key);
/* Forgets every failure of key (a successful login clears its account). */
void api_throttle_reset(enum throttle_kind kind, const char *key);
/* Answers 429 with Retry-After: "<what>, retry in N s". */
void api_too_many(struct api_ctx *c, unsigned wait, const char *what);
/* The client's address group as a throttling key: "a.b.c.d" or "<IPv6 /64 prefix>::/64". */
void api_client_group(const struct api_ctx *c, char out[static 64]);

#endif
