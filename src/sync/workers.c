/* SPDX-License-Identifier: MIT */
/*
 * Background work: the healer (core.restore_state: an interface deleted or re-created under us,
 * or whose peers were removed behind our back, is re-synced within a second or two, within
 * about five on remote devices; the same thread revives unreachable backends) and the
 * statistics collector (statistics.data_collection_interval), which writes one batch per sweep.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "config/config.h"
#include "delivery/delivery.h"
#include "monitor/rounds.h"
#include "store/store.h"
#include "sync/route_refs.h"
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

/* The ifindex recorded at the last successful check (recording it when the interface is new);
 * it changes only after a successful re-sync, so a failed one is retried next tick. */
static int seen_peek(const char *id, int ifindex)
{
	for (size_t i = 0; i < n_seen; i++)
		if (!strcmp(seen[i].id, id))
			return seen[i].ifindex;
	return seen_swap(id, ifindex);
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

/* Device peers the store accounts for: dynamic (read-only) peers created by the device after
 * the import are not stored and must not make the healer re-sync every tick. */
static int managed_peers(struct app *app, const struct dev_iface *d)
{
	int n = 0;

	for (size_t i = 0; i < d->n_peers; i++) {
		char key[WG_KEY_B64_SIZE];
		struct peer *p = NULL;

		if (!(d->peers[i].flags & DEV_PEER_READONLY)) {
			n++;
			continue;
		}
		key_to_base64(key, d->peers[i].public_key);
		if (store_peer_get(app->store, key, &p, NULL) == 0)
			n++;
		peer_free(p);
	}
	return n;
}

/* Why the interface needs a re-sync, or NULL. Reads the device (a netlink dump, or a router's
 * peer table) and is run without the write lock first, so a 10,000-peer interface does not
 * hold up API writes every tick. */
static const char *heal_reason(struct app *app, struct backend *be, const struct iface *ifc)
{
	struct dev_iface d;
	struct err e;
	int r, expected;
	const char *why = NULL;

	err_clear(&e);
	expected = backend_has_cap(be, BACKEND_CAP_DISABLED_PEERS) ? ifc->total_peers
								   : ifc->enabled_peers;
	r = backend_get_iface(be, ifc->identifier, &d, &e);
	if (r == -ENOENT)
		return "missing on the device";
	if (r < 0)
		return NULL; /* unreachable: the backend wrapper records it, retried next tick */
	if (seen_peek(ifc->identifier, d.ifindex) != d.ifindex)
		why = "re-created under us";
	else if (managed_peers(app, &d) != expected)
		why = "peers differ from the store";
	else if (!d.up)
		why = "link is down";
	dev_iface_release(&d);
	return why;
}

static void heal_one(struct app *app, const struct iface *ifc)
{
	struct backend *be = backend_find(ifc->backend);
	struct iface *cur = NULL;
	struct dev_iface d;
	struct err e;
	const char *why;
	int r;

	if (!be || ifc->disabled || !cluster_serves_iface(ifc) || !heal_reason(app, be, ifc))
		return;
	/* Something looked off: look again under the write lock with the stored row as it is now
	 * (an API write may have been half-way between store and device, or deleted it). */
	err_clear(&e);
	pthread_mutex_lock(&app->write_lock);
	if (store_iface_get(app->store, ifc->identifier, &cur, &e) < 0 || cur->disabled ||
	    !(why = heal_reason(app, be, cur))) {
		pthread_mutex_unlock(&app->write_lock);
		iface_free(cur);
		return;
	}
	r = sync_iface(app, cur->identifier, &e);
	if (r == 0 && backend_get_iface(be, cur->identifier, &d, &e) == 0) {
		seen_swap(cur->identifier, d.ifindex);
		dev_iface_release(&d);
	}
	pthread_mutex_unlock(&app->write_lock);
	if (r < 0)
		log_warn("heal: interface '%s' (%s): %s", cur->identifier, why, e.msg);
	else
		log_info("heal: interface '%s' was %s: restored", cur->identifier, why);
	iface_free(cur);
}

/* A backend that is unreachable (down at start, or since) is probed every REVIVE_TICKS, so it
 * recovers by itself even with no interface on it. When it answers again (to our probe or to
 * any other call), its interfaces that are not stored yet are imported as at start
 * (core.import_existing). The probe runs without the write lock: a dead device must not hold
 * up API writes. */
#define REVIVE_TICKS 3

static bool was_down[64];

static void revive_backends(struct app *app, unsigned tick)
{
	for (size_t i = 0; i < backend_count() && i < 64 && !app->stopping; i++) {
		struct backend *be = backend_at(i);
		struct strv names = STRV_INIT;
		struct err e;

		if (!be)
			continue;
		err_clear(&e);
		if (!be->reachable) {
			was_down[i] = true;
			if (tick % REVIVE_TICKS || backend_list_ifaces(be, &names, &e) < 0) {
				strv_release(&names);
				continue;
			}
			strv_release(&names);
		}
		if (!was_down[i] || !be->reachable)
			continue;
		was_down[i] = false;
		log_info("backend '%s' is reachable again", be->id);
		if (app->cfg->core.import_existing && cluster_serves_backend(be)) {
			pthread_mutex_lock(&app->write_lock);
			sync_import_backend(app, be);
			pthread_mutex_unlock(&app->write_lock);
		}
	}
}

/* A look at a remote device reads its whole peer table (a 1,000-peer JSON reply on a router):
 * every HEAL_REMOTE_TICKS there, every tick on the local host where it costs a netlink dump. */
#define HEAL_REMOTE_TICKS 5

static bool heal_due(const struct iface *ifc, unsigned tick)
{
	const struct backend *be = backend_find(ifc->backend);

	return !be || !strcmp(be->ops->type, "local") || tick % HEAL_REMOTE_TICKS == 0;
}

static void *heal_main(void *arg)
{
	struct app *app = arg;
	unsigned tick = 0;

	while (!app->stopping) {
		struct iface **list = NULL;
		size_t n = 0;
		struct err e;

		sleep_ms(app, HEAL_PERIOD_MS);
		if (app->stopping)
			break;
		/* An unpaged list of 10,000 peers frees ~150 MB that glibc keeps in its arenas;
		 * hand it back to the OS once a second (cheap when there is nothing to trim). */
		malloc_trim(0);
		revive_backends(app, ++tick);
		if (!app->cfg->core.restore_state)
			continue; /* the thread only revives backends then */
		err_clear(&e);
		/* no write lock for the sweep: heal_one takes it only for an interface that needs
		 * a re-sync */
		if (store_iface_list(app->store, &list, &n, &e) == 0) {
			for (size_t i = 0; i < n && !app->stopping; i++)
				if (heal_due(list[i], tick))
					heal_one(app, list[i]);
			iface_list_free(list, n);
		}
	}
	return NULL;
}

/* Fills ps from the device's view; returns true when the peer's connected state changed
 * (wg-portal statistics.go:214-220: a first status counts as "was not connected"). */
static bool fill_peer_status(struct app *app, const struct iface *ifc, const struct dev_peer *dp,
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
	return (had_prev && prev.is_connected) != ps->is_connected;
}

static int cmp_peer_id(const void *a, const void *b)
{
	return strcmp((*(struct peer *const *)a)->identifier,
		      (*(struct peer *const *)b)->identifier);
}

static int cmp_key_peer(const void *key, const void *elem)
{
	return strcmp(key, (*(struct peer *const *)elem)->identifier);
}

/* A peer whose connected state changed in this sweep: its status and a copy of the peer. */
struct state_change {
	size_t status_index;
	struct peer *peer;
};

/* Writes the sweep and queues the connect/disconnect webhooks (spec 6.1) in one transaction. */
static int put_statuses(struct app *app, const struct peer_status *ps, size_t n_ps,
			const struct iface_status *is, size_t n_is,
			const struct state_change *ch, size_t n_ch, struct err *err)
{
	int r = store_begin(app->store, err);

	if (r == 0)
		r = store_status_put(app->store, ps, n_ps, is, n_is, err);
	for (size_t i = 0; r == 0 && i < n_ch; i++)
		r = delivery_event_peer_state(app, &ps[ch[i].status_index], ch[i].peer, err);
	if (r == 0)
		r = store_commit(app->store, err);
	else
		store_rollback(app->store);
	if (r == 0 && n_ch)
		delivery_kick();
	return r;
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int collect_stats(struct app *app, struct monitor_round_acc *acc, struct err *err)
{
	struct iface **list = NULL;
	size_t n = 0;
	struct peer_status *ps = NULL;
	struct iface_status *is = NULL;
	struct state_change *ch = NULL;
	size_t n_ps = 0, n_is = 0, cap_ps = 0, n_ch = 0, cap_ch = 0;
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
		struct peer **peers = NULL, **sorted = NULL;
		size_t np = 0, total;
		struct dev_iface d;
		struct err e;

		double t0 = mono_ms();
		int gr;

		err_clear(&e);
		if (!be || !cluster_serves_iface(list[i]))
			continue; /* another node collects it (cluster.h) */
		gr = backend_get_iface(be, list[i]->identifier, &d, &e);
		/* per-backend round record (GET /backend/all, exporter) */
		monitor_acc_add(acc, be->id, mono_ms() - t0, gr < 0 && gr != -ENOENT ? e.msg : NULL);
		if (gr < 0)
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
			sorted = calloc(np + 1, sizeof(*sorted));
			if (sorted && np) {
				memcpy(sorted, peers, np * sizeof(*sorted));
				qsort(sorted, np, sizeof(*sorted), cmp_peer_id);
			}
			for (size_t k = 0; sorted && k < d.n_peers; k++) {
				char key[WG_KEY_B64_SIZE];
				struct peer **hit;
				key_to_base64(key, d.peers[k].public_key);
				hit = bsearch(key, sorted, np, sizeof(*sorted), cmp_key_peer);
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
				if (!fill_peer_status(app, list[i], &d.peers[k], (*hit)->identifier,
						      &ps[n_ps++], now))
					continue;
				if (n_ch == cap_ch) {
					size_t nc = cap_ch ? cap_ch * 2 : 16;
					struct state_change *nch = realloc(ch, nc * sizeof(*nch));
					if (!nch)
						continue;
					ch = nch;
					cap_ch = nc;
				}
				ch[n_ch].status_index = n_ps - 1;
				ch[n_ch].peer = *hit;   /* taken from peers: freed with ch */
				for (size_t x = 0; x < np; x++)
					if (peers[x] == ch[n_ch].peer)
						peers[x] = NULL;
				n_ch++;
			}
			free(sorted);
			peer_list_free(peers, np);
		}
		dev_iface_release(&d);
	}
	r = put_statuses(app, ps, n_ps, is, n_is, ch, n_ch, err);
out:
	for (size_t i = 0; i < n_ch; i++)
		peer_free(ch[i].peer);
	free(ch);
	free(ps);
	free(is);
	iface_list_free(list, n);
	return r;
}

/* The ping checker writes the same rows: the status lock keeps its results from being
 * overwritten by this sweep's read-modify-write (monitor/rounds.h). */
int sync_collect_stats(struct app *app, struct err *err)
{
	struct monitor_round_acc *acc = malloc(sizeof(*acc));
	int r;

	if (!acc)
		return err_set(err, -ENOMEM, "out of memory");
	monitor_acc_begin(acc, MONITOR_ROUND_STATS);
	monitor_status_lock();
	r = collect_stats(app, acc, err);
	monitor_status_unlock();
	monitor_acc_end(acc);
	free(acc);
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
	memset(was_down, 0, sizeof(was_down));
	if (pthread_create(&app->stats_thread, NULL, stats_main, app))
		return -errno;
	if (pthread_create(&app->heal_thread, NULL, heal_main, app)) {
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
	pthread_join(app->heal_thread, NULL);
	app->threads_started = false;
	route_refs_drop(app, NULL); /* a later app at the same address must not inherit them */
}
