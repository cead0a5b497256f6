/* SPDX-License-Identifier: MIT */
/*
 * Sliding-window failure counter for login throttling. Each key keeps the times of its last
 * max_failures failures in a small ring; a key is blocked while it holds max_failures failures
 * younger than the window. Linear search over a bounded table: the table holds at most a few
 * thousand keys and is only consulted on login attempts.
 */
#include "auth/ratelimit.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct rl_entry {
	bool used;
	char key[RATELIMIT_KEY_MAX + 1];
	unsigned n;                           /* failures stored (<= max) */
	unsigned head;                        /* next slot to write */
	int64_t t[RATELIMIT_FAILURES_MAX];
	int64_t last;
};

struct ratelimit {
	pthread_mutex_t lock;
	unsigned max, window;
	size_t n_keys;
	struct rl_entry *e;
};

struct ratelimit *ratelimit_new(unsigned max_failures, unsigned window_s, size_t max_keys)
{
	struct ratelimit *rl;

	if (!max_failures || max_failures > RATELIMIT_FAILURES_MAX || !window_s || !max_keys)
		return NULL;
	rl = calloc(1, sizeof(*rl));
	if (!rl)
		return NULL;
	rl->e = calloc(max_keys, sizeof(*rl->e));
	if (!rl->e) {
		free(rl);
		return NULL;
	}
	pthread_mutex_init(&rl->lock, NULL);
	rl->max = max_failures;
	rl->window = window_s;
	rl->n_keys = max_keys;
	return rl;
}

struct ratelimit *ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return NULL;
	pthread_mutex_destroy(&rl->lock);
	free(rl->e);
	free(rl);
	return NULL;
}

static struct rl_entry *find(struct ratelimit *rl, const char *key)
{
	for (size_t i = 0; i < rl->n_keys; i++)
		if (rl->e[i].used && strncmp(rl->e[i].key, key, RATELIMIT_KEY_MAX) == 0)
			return &rl->e[i];
	return NULL;
}

size_t ratelimit_times_expire(int64_t *t, size_t n, unsigned window_s, int64_t now)
{
	size_t keep = 0;

	for (size_t i = 0; i < n; i++)
		if (now - t[i] < (int64_t)window_s)
			t[keep++] = t[i];
	return keep;
}

unsigned ratelimit_times_wait(const int64_t *t, size_t n, unsigned max_failures,
			      unsigned window_s, int64_t now)
{
	int64_t left;

	if (n < max_failures)
		return 0;
	left = t[0] + (int64_t)window_s - now;
	return left < 1 ? 1 : (unsigned)left;
}

/* Drops failures older than the window; the ring is linear (oldest at 0) afterwards. */
static void expire(struct ratelimit *rl, struct rl_entry *e, int64_t now)
{
	int64_t t[RATELIMIT_FAILURES_MAX];

	for (unsigned i = 0; i < e->n; i++)
		t[i] = e->t[(e->head + rl->max - e->n + i) % rl->max]; /* oldest first */
	e->n = (unsigned)ratelimit_times_expire(t, e->n, rl->window, now);
	memcpy(e->t, t, e->n * sizeof(t[0]));
	e->head = e->n % rl->max;
	if (e->n == 0)
		e->used = false;
}

/* Seconds until key may try again (0: now). Called with the lock held; expires old failures. */
static unsigned wait_locked(struct ratelimit *rl, struct rl_entry *e, int64_t now)
{
	if (!e)
		return 0;
	expire(rl, e, now);
	return e->used ? ratelimit_times_wait(e->t, e->n, rl->max, rl->window, now) : 0;
}

unsigned ratelimit_check(struct ratelimit *rl, const char *key, int64_t now)
{
	unsigned wait;

	if (!rl || !key)
		return 0;
	pthread_mutex_lock(&rl->lock);
	wait = wait_locked(rl, find(rl, key), now);
	pthread_mutex_unlock(&rl->lock);
	return wait;
}

/* Records one failure of key at now. Called with the lock held. */
static void record_locked(struct ratelimit *rl, const char *key, int64_t now)
{
	struct rl_entry *e = find(rl, key), *victim = NULL;

	if (e)
		expire(rl, e, now);
	if (!e || !e->used) {
		e = NULL;
		for (size_t i = 0; i < rl->n_keys && !e; i++)
			if (!rl->e[i].used)
				e = &rl->e[i];
			else if (!victim || rl->e[i].last < victim->last)
				victim = &rl->e[i];
		if (!e)
			e = victim;
		memset(e, 0, sizeof(*e));
		e->used = true;
		strncpy(e->key, key, RATELIMIT_KEY_MAX);
		e->key[RATELIMIT_KEY_MAX] = '\0';
	}
	e->t[e->head] = now;
	e->head = (e->head + 1) % rl->max;
	if (e->n < rl->max)
		e->n++;
	e->last = now;
}

void ratelimit_fail(struct ratelimit *rl, const char *key, int64_t now)
{
	if (!rl || !key)
		return;
	pthread_mutex_lock(&rl->lock);
	record_locked(rl, key, now);
	pthread_mutex_unlock(&rl->lock);
}

unsigned ratelimit_reserve(struct ratelimit *rl, const char *key, int64_t now)
{
	unsigned wait;

	if (!rl || !key)
		return 0;
	pthread_mutex_lock(&rl->lock);
	wait = wait_locked(rl, find(rl, key), now);
	if (!wait)
		record_locked(rl, key, now);
	pthread_mutex_unlock(&rl->lock);
	return wait;
}

void ratelimit_release(struct ratelimit *rl, const char *key)
{
	struct rl_entry *e;

	if (!rl || !key)
		return;
	pthread_mutex_lock(&rl->lock);
	e = find(rl, key);
	/* the newest entry: parallel reservations of one key differ by their order only, so
	 * which one is taken back does not change the count */
	if (e && e->n > 0) {
		e->head = (e->head + rl->max - 1) % rl->max;
		if (--e->n == 0)
			e->used = false;
	}
	pthread_mutex_unlock(&rl->lock);
}

void ratelimit_reset(struct ratelimit *rl, const char *key)
{
	struct rl_entry *e;

	if (!rl || !key)
		return;
	pthread_mutex_lock(&rl->lock);
	e = find(rl, key);
	if (e)
		memset(e, 0, sizeof(*e));
	pthread_mutex_unlock(&rl->lock);
}
