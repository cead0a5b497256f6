/* SPDX-License-Identifier: MIT */
/*
 * The apply worker: brings the devices this node serves in line with changes other nodes made
 * (their notifications, queued by the coordinator), re-syncs everything it serves after a gap
 * in the notifications, and does the new leader's takeover. Each device change runs under
 * app->write_lock, like an API request's, and goes through sync/ (the only differ); whether
 * this node serves an interface is asked again at the moment of the change.
 *
 * A peer notification names the interface(s) and key(s) involved; the peer is re-read from the
 * store and upserted where it is stored now, removed where it is not. Many changes of one
 * interface in one batch (an import, a bulk edit) become one full sync of that interface.
 */
#include "cluster/cluster-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/backend.h"
#include "config/config.h"
#include "core/app.h"
#include "model/peer.h"
#include "store/store.h"
#include "sync/sync.h"
#include "util/err.h"
#include "util/log.h"

#define QUEUE_MAX 4096
/* More peer changes than this for one interface in a batch: one full sync instead. */
#define PEERS_PER_FULL_SYNC 32

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct store_change *q;
	size_t n;
	bool resync, takeover;
} A = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

int cluster_apply_init(void)
{
	pthread_mutex_lock(&A.mu);
	free(A.q);
	A.q = calloc(QUEUE_MAX, sizeof(*A.q));
	A.n = 0;
	A.resync = A.takeover = false;
	pthread_mutex_unlock(&A.mu);
	return A.q ? 0 : -ENOMEM;
}

void cluster_apply_release(void)
{
	pthread_mutex_lock(&A.mu);
	free(A.q);
	A.q = NULL;
	A.n = 0;
	pthread_mutex_unlock(&A.mu);
}

void cluster_apply_push(const struct store_change *c)
{
	pthread_mutex_lock(&A.mu);
	if (!A.q || A.n == QUEUE_MAX)
		A.resync = true; /* overflow: a full resync covers whatever was dropped */
	else
		A.q[A.n++] = *c;
	pthread_cond_signal(&A.cv);
	pthread_mutex_unlock(&A.mu);
}

void cluster_apply_resync(bool takeover)
{
	pthread_mutex_lock(&A.mu);
	A.resync = true;
	A.takeover = A.takeover || takeover;
	pthread_cond_signal(&A.cv);
	pthread_mutex_unlock(&A.mu);
}

void cluster_apply_wake(void)
{
	pthread_mutex_lock(&A.mu);
	pthread_cond_broadcast(&A.cv);
	pthread_mutex_unlock(&A.mu);
}

/* ---- applying ----------------------------------------------------------------------------- */

static void sync_one(struct app *app, const char *iface_id, const char *why)
{
	struct err e;

	err_clear(&e);
	pthread_mutex_lock(&app->write_lock);
	if (sync_iface(app, iface_id, &e) < 0 && e.code != -ENOENT)
		log_warn("cluster: interface '%s' (%s): %s", iface_id, why, e.msg);
	pthread_mutex_unlock(&app->write_lock);
}

static void apply_iface(struct app *app, const struct store_change *c)
{
	struct iface *ifc = NULL;
	struct err e;
	int r;

	err_clear(&e);
	r = store_iface_get_settings(app->store, c->iface, &ifc, &e);
	if (r == 0) {
		if (cluster_serves_iface(ifc))
			sync_one(app, c->iface, "changed on another node");
	} else if (r == -ENOENT && (ifc = iface_new()) != NULL &&
		   str_set(&ifc->identifier, c->iface) == 0 &&
		   str_set(&ifc->backend, c->backend) == 0 && str_set(&ifc->node, c->node) == 0 &&
		   cluster_serves_iface(ifc)) {
		err_clear(&e);
		pthread_mutex_lock(&app->write_lock);
		if (sync_iface_remove(app, ifc, &e) < 0)
			log_warn("cluster: removing interface '%s' (deleted on another node): %s",
				 c->iface, e.msg);
		pthread_mutex_unlock(&app->write_lock);
	}
	iface_free(ifc);
}

/* One key on one served interface: upserted when stored there, else removed. */
static void apply_key(struct app *app, const struct iface *ifc, const char *key)
{
	struct peer *p = NULL, gone;
	struct err e;
	int r;

	err_clear(&e);
	if (store_peer_get(app->store, key, &p, NULL) == 0 &&
	    !strcmp(STR(p->interface_identifier), STR(ifc->identifier))) {
		r = sync_peer_refresh(app, ifc, p, &e);
	} else {
		memset(&gone, 0, sizeof(gone));
		snprintf(gone.identifier, sizeof(gone.identifier), "%s", key);
		r = sync_peer(app, ifc, NULL, &gone, true, &e);
	}
	if (r < 0)
		log_warn("cluster: peer %s on '%s' (changed on another node): %s", key,
			 STR(ifc->identifier), e.msg);
	peer_free(p);
}

static void apply_peer(struct app *app, const struct store_change *c)
{
	const char *ifaces[2] = { c->iface, c->old_iface };
	const char *keys[2] = { c->peer, c->old_peer };

	for (int i = 0; i < 2; i++) {
		struct iface *ifc = NULL;

		if (!*ifaces[i] || (i == 1 && !strcmp(ifaces[1], ifaces[0])))
			continue;
		/* a deleted interface has its own notification */
		if (store_iface_get_settings(app->store, ifaces[i], &ifc, NULL) < 0)
			continue;
		if (cluster_serves_iface(ifc)) {
			pthread_mutex_lock(&app->write_lock);
			for (int k = 0; k < 2; k++)
				if (*keys[k])
					apply_key(app, ifc, keys[k]);
			pthread_mutex_unlock(&app->write_lock);
		}
		iface_free(ifc);
	}
}

/* How many peer changes of iface are in the batch. */
static size_t peer_changes_of(const struct store_change *v, size_t n, const char *iface)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i].kind == 'p' && (!strcmp(v[i].iface, iface) || !strcmp(v[i].old_iface, iface)))
			k++;
	return k;
}

static bool in_list(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static void apply_batch(struct app *app, const struct store_change *v, size_t n)
{
	const char **full = calloc(n + 1, sizeof(*full));
	size_t n_full = 0;

	for (size_t i = 0; i < n && !cluster_g.stopping; i++) {
		const struct store_change *c = &v[i];

		if (c->kind == 'i') {
			apply_iface(app, c);
		} else if (full && peer_changes_of(v, n, c->iface) > PEERS_PER_FULL_SYNC) {
			if (!in_list(full, n_full, c->iface)) {
				full[n_full++] = c->iface;
				sync_one(app, c->iface, "many changes on another node");
			}
		} else {
			apply_peer(app, c);
		}
	}
	free(full);
}

/* Local interfaces without a node (written before there were nodes, or by one node on
 * SQLite and copied over) become the leader's: it is the only node that can tell. */
static void claim_unowned(struct app *app)
{
	struct iface **list = NULL;
	size_t n = 0;
	struct err e;

	err_clear(&e);
	if (store_iface_list(app->store, &list, &n, &e) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct backend *be = backend_find(list[i]->backend);
		const char *me = cluster_new_iface_node(be);

		if (!me || (list[i]->node && *list[i]->node))
			continue;
		err_clear(&e);
		if (store_iface_set_node(app->store, list[i]->identifier, me, &e) == 0)
			log_info("cluster: local interface '%s' had no node: it is node '%s''s now",
				 list[i]->identifier, me);
	}
	iface_list_free(list, n);
}

static void takeover(struct app *app)
{
	log_info("cluster: node '%s' leads now: importing and restoring the remote backends",
		 cluster_node_name());
	claim_unowned(app);
	if (app->cfg->core.import_existing) {
		for (size_t i = 0; i < backend_count() && !cluster_g.stopping; i++) {
			struct backend *be = backend_at(i);

			if (!be || !be->ops->remote)
				continue;
			pthread_mutex_lock(&app->write_lock);
			sync_import_backend(app, be);
			pthread_mutex_unlock(&app->write_lock);
		}
	}
}

void *cluster_apply_main(void *arg)
{
	struct app *app = arg;
	struct store_change *batch = calloc(QUEUE_MAX, sizeof(*batch));

	while (!cluster_g.stopping) {
		size_t n;
		bool resync, take;
		struct err e;

		pthread_mutex_lock(&A.mu);
		while (!cluster_g.stopping && !A.n && !A.resync) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&A.cv, &A.mu, &ts);
		}
		n = batch ? A.n : 0;
		if (n)
			memcpy(batch, A.q, n * sizeof(*batch));
		A.n = 0;
		resync = A.resync;
		take = A.takeover;
		A.resync = A.takeover = false;
		pthread_mutex_unlock(&A.mu);
		if (cluster_g.stopping)
			break;
		if (take && cluster_is_leader())
			takeover(app);
		/* leader-only jobs follow the lead (checked at least once a second) */
		cluster_jobs_run(app, cluster_is_leader());
		if (resync) {
			/* everything this node serves; the queued changes are part of that */
			err_clear(&e);
			if (sync_restore_state(app, &e) < 0)
				log_warn("cluster: resync: %s", e.msg);
		} else if (n) {
			apply_batch(app, batch, n);
		}
		if (n)
			cluster_jobs_kick(); /* what the other node queued is in the database */
	}
	free(batch);
	return NULL;
}
