/* SPDX-License-Identifier: MIT */
/*
 * The peer-expiry sweep (spec/wg-portal-compat.md 3.7; docs/wg-portal-behaviour.md "Peer
 * expiry"). ExpiresAt is a day; the peer expires at 00:00 UTC of
 * that day. Every enabled peer whose expiry instant has passed is disabled with reason
 * "expired" and taken off its device (or flagged disabled where the backend keeps disabled
 * peers); it is not deleted. Re-enabling a still-expired peer lasts until the next sweep.
 *
 * The peers are read page by page without the write lock; each expired one is re-read and
 * changed under the lock, one peer per lock hold, so a sweep never blocks API writes for
 * longer than one peer change and never acts on a stale copy.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/core-int.h"
#include "core/core.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"

#define SWEEP_PAGE 500

/* "YYYY-MM-DD" of a unix time in UTC. */
static void utc_day(time_t t, char out[static 11])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

bool core_peer_is_expired(const struct peer *p, time_t now)
{
	char today[11];

	if (!p->expires_at || strlen(p->expires_at) < 10)
		return false;
	utc_day(now, today);
	/* day D expires at D 00:00 UTC: passed once today is D or later (ISO dates sort as text) */
	return strncmp(p->expires_at, today, 10) <= 0;
}

/* Disables one peer if it is (still) enabled and expired; *done tells whether it did. */
static int expire_one(struct app *app, const char *id, time_t now, bool *done, struct err *err)
{
	struct peer *p = NULL;
	int r;

	*done = false;
	pthread_mutex_lock(&app->write_lock);
	r = store_peer_get(app->store, id, &p, err);
	if (r == -ENOENT) {
		r = 0;   /* deleted meanwhile */
		goto out;
	}
	if (r < 0 || p->disabled || !core_peer_is_expired(p, now))
		goto out;
	p->disabled = true;
	if ((r = str_set(&p->disabled_reason, "expired")) < 0) {
		err_set(err, r, "out of memory");
		goto out;
	}
	r = core_peer_update_locked(app, id, p, err);
	*done = r == 0;
out:
	pthread_mutex_unlock(&app->write_lock);
	peer_free(p);
	return r;
}

/* The expired, enabled peers of one interface, collected page by page. */
static int sweep_iface(struct app *app, const char *iface_id, time_t now, size_t *count,
		       struct err *err)
{
	struct store_query q = { .limit = SWEEP_PAGE };
	struct strv due = STRV_INIT;
	int r = 0;

	for (;;) {
		struct peer **page = NULL;
		size_t n = 0, total = 0;

		r = store_peer_list_by_iface(app->store, iface_id, &q, &page, &n, &total, err);
		for (size_t i = 0; r == 0 && i < n; i++)
			if (!page[i]->disabled && core_peer_is_expired(page[i], now))
				r = strv_push(&due, page[i]->identifier);
		peer_list_free(page, n);
		if (r < 0 || n < SWEEP_PAGE)
			break;
		q.offset += n;
	}
	for (size_t i = 0; r == 0 && i < due.n; i++) {
		struct err e;
		bool done;

		err_clear(&e);
		/* one peer the device refuses must not keep the others enabled */
		if (expire_one(app, due.v[i], now, &done, &e) < 0)
			log_warn("expiry check: peer %.8s… on '%s': %s", due.v[i], iface_id, e.msg);
		else if (done)
			(*count)++;
	}
	strv_release(&due);
	return r;
}

int core_expiry_sweep(struct app *app, time_t now, size_t *ret_disabled, struct err *err)
{
	struct iface **list = NULL;
	size_t n = 0, count = 0;
	int r = store_iface_list(app->store, &list, &n, err);

	for (size_t i = 0; r == 0 && i < n; i++)
		r = sweep_iface(app, list[i]->identifier, now, &count, err);
	iface_list_free(list, n);
	*ret_disabled = count;
	return r;
}
