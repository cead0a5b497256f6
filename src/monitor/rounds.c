/* SPDX-License-Identifier: MIT */
/*
 * Last-round records per backend and kind: a small fixed table (backends are at most 64)
 * behind one mutex; readers get a copy.
 */
#include "monitor/rounds.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SLOTS 64

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t status_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char id[64];
	struct monitor_round r[MONITOR_ROUND_MAX];
	bool have[MONITOR_ROUND_MAX];
} slots[SLOTS];
static size_t n_slots;

const char *monitor_round_name(enum monitor_round_kind k)
{
	static const char *const names[MONITOR_ROUND_MAX] = {
		[MONITOR_ROUND_STATS] = "statistics",
		[MONITOR_ROUND_PING] = "ping",
		[MONITOR_ROUND_SYNC] = "sync",
	};

	return (unsigned)k < MONITOR_ROUND_MAX ? names[k] : "";
}

/* Called with mu held; NULL when the table is full. */
static size_t slot_for(const char *id)
{
	for (size_t i = 0; i < n_slots; i++)
		if (!strcmp(slots[i].id, id))
			return i;
	if (n_slots == SLOTS)
		return SLOTS;
	memset(&slots[n_slots], 0, sizeof(slots[0]));
	snprintf(slots[n_slots].id, sizeof(slots[0].id), "%s", id);
	return n_slots++;
}

void monitor_round_put(enum monitor_round_kind k, const char *backend_id,
		       const struct monitor_round *r)
{
	size_t i;

	if (k >= MONITOR_ROUND_MAX)
		return;
	pthread_mutex_lock(&mu);
	i = slot_for(backend_id);
	if (i < SLOTS) {
		unsigned long rounds = slots[i].r[k].rounds + 1, skipped = slots[i].r[k].skipped;
		slots[i].r[k] = *r;
		slots[i].r[k].rounds = rounds;
		slots[i].r[k].skipped = skipped;
		slots[i].have[k] = true;
	}
	pthread_mutex_unlock(&mu);
}

void monitor_round_skip(enum monitor_round_kind k, const char *backend_id)
{
	size_t i;

	if (k >= MONITOR_ROUND_MAX)
		return;
	pthread_mutex_lock(&mu);
	i = slot_for(backend_id);
	if (i < SLOTS)
		slots[i].r[k].skipped++;
	pthread_mutex_unlock(&mu);
}

bool monitor_round_get(enum monitor_round_kind k, const char *backend_id,
		       struct monitor_round *ret)
{
	bool found = false;

	if (k >= MONITOR_ROUND_MAX)
		return false;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < n_slots; i++) {
		if (!strcmp(slots[i].id, backend_id)) {
			*ret = slots[i].r[k];
			found = slots[i].have[k] || slots[i].r[k].skipped;
			break;
		}
	}
	pthread_mutex_unlock(&mu);
	return found;
}

void monitor_acc_begin(struct monitor_round_acc *a, enum monitor_round_kind k)
{
	memset(a, 0, sizeof(*a));
	a->kind = k;
	a->started = (int64_t)time(NULL);
}

void monitor_acc_add(struct monitor_round_acc *a, const char *backend_id, double ms,
		     const char *err_msg)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!strcmp(a->be[i].id, backend_id))
			break;
	if (i == a->n) {
		if (a->n == MONITOR_ACC_MAX)
			return;
		snprintf(a->be[i].id, sizeof(a->be[i].id), "%s", backend_id);
		a->be[i].r.last_at = a->started;
		a->n++;
	}
	a->be[i].r.duration_ms += ms;
	if (err_msg) {
		if (a->be[i].r.errors++ == 0)
			snprintf(a->be[i].r.last_error, sizeof(a->be[i].r.last_error), "%.255s",
				 err_msg);
	}
}

void monitor_acc_end(struct monitor_round_acc *a)
{
	for (size_t i = 0; i < a->n; i++)
		monitor_round_put(a->kind, a->be[i].id, &a->be[i].r);
}

void monitor_status_lock(void)
{
	pthread_mutex_lock(&status_mu);
}

void monitor_status_unlock(void)
{
	pthread_mutex_unlock(&status_mu);
}
