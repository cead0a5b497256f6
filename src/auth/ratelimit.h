/* SPDX-License-Identifier: MIT */
#ifndef AUTH_RATELIMIT_H
#define AUTH_RATELIMIT_H
/*
 * Failure counting for login throttling: at most `max_failures` failures per key within a
 * sliding window of `window_s` seconds; while over the limit, ratelimit_check() says how long
 * to wait. The table is bounded (max_keys); when it is full the entry with the oldest last
 * failure is recycled. Thread-safe. Times are caller-supplied seconds (monotonic in the daemon,
 * arbitrary in tests).
 */
#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* NULL on OOM or bad arguments (any of them 0, max_failures > RATELIMIT_FAILURES_MAX). */
#define RATELIMIT_FAILURES_MAX 64
#define RATELIMIT_KEY_MAX 256
struct ratelimit *ratelimit_new(unsigned max_failures, unsigned window_s, size_t max_keys);
struct ratelimit *ratelimit_free(struct ratelimit *rl);
/* 0 when key may try now, else the seconds (>= 1) until the oldest counted failure leaves the
 * window. Keys longer than RATELIMIT_KEY_MAX are compared by their first RATELIMIT_KEY_MAX bytes. */
unsigned ratelimit_check(struct ratelimit *rl, const char *key, int64_t now);
/* Records one failure for key at now. */
void ratelimit_fail(struct ratelimit *rl, const char *key, int64_t now);
/* Check and record in one step, for attempts that run in parallel: when key may try now, one
 * failure is recorded at once and 0 returned (the attempt holds a slot until it is released);
 * otherwise nothing is recorded and the seconds to wait are returned. A check followed by
 * ratelimit_fail() after the attempt would let every parallel attempt pass the check. */
unsigned ratelimit_reserve(struct ratelimit *rl, const char *key, int64_t now);
/* Takes back one reserved attempt that succeeded (it does not count as a failure). */
void ratelimit_release(struct ratelimit *rl, const char *key);
/* Forgets key's failures (after a successful login). */
void ratelimit_reset(struct ratelimit *rl, const char *key);

/* The window rule on a plain list of failure times, oldest first (the table above keeps one
 * per key; the throttles several nodes share keep theirs in the database): drop those that
 * left the window (returns the new count), and the seconds until another attempt may go
 * (0: now) when the list holds max_failures. */
size_t ratelimit_times_expire(int64_t *t, size_t n, unsigned window_s, int64_t now);
unsigned ratelimit_times_wait(const int64_t *t, size_t n, unsigned max_failures,
			      unsigned window_s, int64_t now);

#endif
