/* SPDX-License-Identifier: MIT */
/*
 * Background work: the healer (core.restore_state: an interface deleted or re-created under us,
 * or whose peers were removed behind our back, is re-synced within a second or two) and the
 * statistics collector (statistics.data_collection_interval), which writes one batch per sweep.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "store/store.h"
#include "sync/sync-int.h"
#include "sync/sync.h"
#include "util/err.h"
#include "util/log.h"

#define HEAL_PERIOD_MS 1000

struct heal_seen {
	char id[64];
	int ifindex;
};

static struct heal_seen seen[256];
static size_t n_seen;

/* Returns the ifindex recorded at the last check and records the new one. */
static int seen_swap(const char *id, int ifindex)
{
	for (size_t i = 0; i < n_seen; i++) {
		if (!strcmp(seen[i].id, id)) {
			int old = seen[i].ifindex;
			seen[i].ifindex = ifindex;
			return old;
		}
	}
	if (n_seen < sizeof(seen) / sizeof(seen[0])) {
		snprintf(seen[n_seen].id, sizeof(seen[n_seen].id), "%s", id);
		seen[n_seen++].ifindex = ifindex;
	}
	return ifindex;
}

static void sleep_ms(struct app *app, long ms)
{
	/* sleep in small steps so shutdown is prompt */
	while (ms > 0 && !app->stopping) {
		long step = ms < 100 ? ms : 100;
		struct timespec ts = { 0, step * 1000000L };
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

static void heal_one(struct app *app, const struct iface *ifc)
{
	struct backend *be = backend_find(ifc->backend);
	struct dev_iface d;
	struct err e;
	int r, expected;
	const char *why = NULL;

	if (!be || ifc->disabled)
		return;
	err_clear(&e);
	expected = backend_has_cap(be, BACKEND_CAP_DISABLED_PEERS) ? ifc->total_peers
								   : ifc->enabled_peers;
	r = backend_get_iface(be, ifc->identifier, &d, &e);
	if (r == -ENOENT) {
		why = "missing on the device";
	} else if (r < 0) {
		return; /* unreachable: the backend wrapper records it, retried next tick */
	} else {
		int old = seen_swap(ifc->identifier, d.ifindex);
		if (old != d.ifindex)
			why = "re-created under us";
		else if ((int)d.n_peers != expected)
			why = "peers differ from the store";
		else if (!d.up)
			why = "link is down";
	}
	dev_iface_release(&d);
	if (!why)
		return;
	err_clear(&e);
	r = sync_iface(app, ifc->identifier, &e);
	if (r < 0) {
		log_warn("heal: interface '%s' (%s): %s", ifc->identifier, why, e.msg);
		return;
	}
	if (backend_get_iface(be, ifc->identifier, &d, &e) == 0) {
		seen_swap(ifc->identifier, d.ifindex);
		dev_iface_release(&d);
	}
	log_info("heal: interface '%s' was %s: restored", ifc->identifier, why);
}

static void *heal_main(void *arg)
{
	struct app *app = arg;

	while (!app->stopping) {
		struct iface **list = NULL;
		size_t n = 0;
		struct err e;

		sleep_ms(app, HEAL_PERIOD_MS);
		if (app->stopping)
			break;
		err_clear(&e);
		pthread_mutex_lock(&app->write_lock);
		if (store_iface_list(app->store, &list, &n, &e) == 0) {
			for (size_t i = 0; i < n && !app->stopping; i++)
				heal_one(app, list[i]);
			iface_list_free(list, n);
		}
		pthread_mutex_unlock(&app->write_lock);
	}
	return NULL;
}

static void fill_peer_status(struct app *app, const struct iface *ifc, const struct dev_peer *dp,
			     const char *peer_id, struct peer_status *ps, int64_t now)
{
	struct peer_status prev;
	struct err e;
	bool had_prev;
	int64_t rekey = app->cfg->backend.rekey_timeout_interval_ms / 1000;

	memset(ps, 0, sizeof(*ps));
	snprintf(ps->peer_id, sizeof(ps->peer_id), "%s", peer_id);
	snprintf(ps->iface_id, sizeof(ps->iface_id), "%s", ifc->identifier);
	ps->stats_available = dp->stats_valid;
	ps->bytes_received = dp->rx_bytes;
	ps->bytes_transmitted = dp->tx_bytes;
	ps->last_handshake = dp->last_handshake_sec;
	snprintf(ps->endpoint, sizeof(ps->endpoint), "%s", dp->endpoint);
	ps->is_connected = dp->stats_valid && dp->last_handshake_sec > 0 &&
			   now - dp->last_handshake_sec <= rekey;
	ps->updated_at = now;
	err_clear(&e);
	had_prev = store_peer_status_get(app->store, peer_id, &prev, &e) == 0;
	ps->is_pingable = had_prev && prev.is_pingable;
	ps->last_ping = had_prev ? prev.last_ping : 0;
	ps->is_connected = ps->is_connected || ps->is_pingable;
	/* session start heuristic: a session begins when the peer becomes connected or its
	 * counters went backwards (device reset) */
	if (ps->is_connected && (!had_prev || !prev.is_connected ||
				 prev.bytes_received > ps->bytes_received))
		ps->last_session_start = dp->last_handshake_sec ? dp->last_handshake_sec : now;
	else if (had_prev)
		ps->last_session_start = prev.last_session_start;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int sync_collect_stats(struct app *app, struct err *err)
{
	struct iface **list = NULL;
	size_t n = 0;
	struct peer_status *ps = NULL;
	struct iface_status *is = NULL;
	size_t n_ps = 0, n_is = 0, cap_ps = 0;
	int64_t now = time(NULL);
	int r = store_iface_list(app->store, &list, &n, err);

	if (r < 0)
		return r;
	is = calloc(n + 1, sizeof(*is));
	if (!is) {
		r = err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct backend *be = backend_find(list[i]->backend);
		struct peer **peers = NULL;
		size_t np = 0, total;
		char **ids = NULL;
		struct dev_iface d;
		struct err e;

		err_clear(&e);
		if (!be || backend_get_iface(be, list[i]->identifier, &d, &e) < 0)
			continue;
		if (app->cfg->statistics.collect_interface_data &&
		    backend_has_cap(be, BACKEND_CAP_STATS_IFACE)) {
			snprintf(is[n_is].iface_id, sizeof(is[n_is].iface_id), "%s",
				 list[i]->identifier);
			is[n_is].bytes_received = d.rx_bytes;
			is[n_is].bytes_transmitted = d.tx_bytes;
			is[n_is].updated_at = now;
			n_is++;
		}
		if (app->cfg->statistics.collect_peer_data &&
		    store_peer_list_by_iface(app->store, list[i]->identifier, NULL, &peers, &np,
					     &total, &e) == 0) {
			ids = calloc(np + 1, sizeof(*ids));
			for (size_t k = 0; ids && k < np; k++)
				ids[k] = peers[k]->identifier;
			if (ids)
				qsort(ids, np, sizeof(*ids), cmp_str);
			for (size_t k = 0; ids && k < d.n_peers; k++) {
				char key[WG_KEY_B64_SIZE], *kp = key;
				char **hit;
				key_to_base64(key, d.peers[k].public_key);
				hit = bsearch(&kp, ids, np, sizeof(*ids), cmp_str);
				if (!hit)
					continue;
				if (n_ps == cap_ps) {
					size_t nc = cap_ps ? cap_ps * 2 : 256;
					struct peer_status *nps = realloc(ps, nc * sizeof(*nps));
					if (!nps)
						break;
					ps = nps;
					cap_ps = nc;
				}
				fill_peer_status(app, list[i], &d.peers[k], *hit, &ps[n_ps++], now);
			}
			free(ids);
			peer_list_free(peers, np);
		}
		dev_iface_release(&d);
	}
	r = store_status_put(app->store, ps, n_ps, is, n_is, err);
out:
	free(ps);
	free(is);
	iface_list_free(list, n);
	return r;
}

static void *stats_main(void *arg)
{
	struct app *app = arg;
	long period = (long)app->cfg->statistics.data_collection_interval_ms;

	if (period <= 0)
		period = 60000;
	while (!app->stopping) {
		struct err e;

		sleep_ms(app, period);
		if (app->stopping)
			break;
		err_clear(&e);
		if (sync_collect_stats(app, &e) < 0)
			log_warn("statistics: %s", e.msg);
	}
	return NULL;
}

int sync_start(struct app *app)
{
	app->stopping = false;
	if (pthread_create(&app->stats_thread, NULL, stats_main, app))
		return -errno;
	if (app->cfg->core.restore_state && pthread_create(&app->heal_thread, NULL, heal_main, app)) {
		app->stopping = true;
		pthread_join(app->stats_thread, NULL);
		return -errno;
	}
	app->threads_started = true;
	return 0;
}

void sync_stop(struct app *app)
{
	if (!app->threads_started)
		return;
	app->stopping = true;
	pthread_join(app->stats_thread, NULL);
	if (app->cfg->core.restore_state)
		pthread_join(app->heal_thread, NULL);
	app->threads_started = false;
}
