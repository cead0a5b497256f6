/* SPDX-License-Identifier: MIT */
/*
 * The coordinator thread of a node on PostgreSQL (cluster-int.h has the timing). Every tick:
 *   1. the heartbeat on the coordination session, which also renews the leader's lease; a
 *      failed heartbeat, or a session that is not the one the lock was taken on, ends the
 *      leadership at once;
 *   2. after a new session (a reconnect): LISTEN again and resync what this node serves, since
 *      notifications sent in between are lost;
 *   3. a follower tries the leader lock; a new leader waits out the grace, then takes over
 *      (claims interfaces without a node, imports and restores the remote backends: apply.c);
 *   4. every few ticks the registry is read (GET /api/v1/cluster);
 *   5. the rest of the tick waits for notifications and hands other nodes' changes to the
 *      apply worker.
 * The thread does no device work itself, so a slow router never delays a heartbeat.
 */
#include "cluster/cluster-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/app.h"
#include "util/err.h"
#include "util/log.h"

static void note_db(int r, const struct err *e)
{
	pthread_mutex_lock(&cluster_g.mu);
	cluster_g.db_ok = r >= 0;
	snprintf(cluster_g.db_error, sizeof(cluster_g.db_error), "%.255s", r < 0 ? e->msg : "");
	pthread_mutex_unlock(&cluster_g.mu);
}

/* With cluster_g.mu held. */
static void lose_locked(const char *why)
{
	if (!cluster_g.leader)
		return;
	cluster_g.leader = false;
	cluster_g.lease_until_ns = 0;
	cluster_g.active_from_ns = 0;
	cluster_g.self.leader_since_ms = 0;
	cluster_g.leader_name[0] = '\0'; /* unknown until the registry is read again */
	log_warn("cluster: node '%s' is no longer the leader (%s): device writes stop",
		 cluster_g.self.name, why);
	cluster_apply_wake(); /* its worker stops the leader-only jobs */
}

static void heartbeat(struct store_coord *co, int64_t t0, unsigned *session, int *ret)
{
	struct store_node self;
	struct err e;
	int r;

	err_clear(&e);
	pthread_mutex_lock(&cluster_g.mu);
	self = cluster_g.self;
	pthread_mutex_unlock(&cluster_g.mu);
	r = store_coord_heartbeat(co, &self, &e);
	if (r == -ESTALE) {
		/* our row is gone or someone else's (forgotten by an admin): write it again */
		log_warn("cluster: %s; registering again", e.msg);
		err_clear(&e);
		r = store_coord_register(co, &self, &e);
	}
	*session = store_coord_session(co);
	note_db(r, &e);
	pthread_mutex_lock(&cluster_g.mu);
	if (cluster_g.leader) {
		if (r < 0)
			lose_locked(e.msg);
		else if (*session != cluster_g.lead_session)
			lose_locked("the database session that held the lock ended");
		else
			cluster_g.lease_until_ns = t0 + CLUSTER_LEASE_MS * 1000000LL;
	}
	pthread_mutex_unlock(&cluster_g.mu);
	*ret = r;
}

static void elect(struct store_coord *co)
{
	struct err e;
	bool got = false;
	int64_t t0 = cluster_mono_ns();
	unsigned session;

	err_clear(&e);
	if (store_coord_try_lead(co, &got, &e) < 0 || !got)
		return;
	/* the lock belongs to the session the query ran on (a reconnect may have just made a
	 * new one), and that query proves the session until t0 + the server's idle limit */
	session = store_coord_session(co);
	pthread_mutex_lock(&cluster_g.mu);
	cluster_g.leader = true;
	cluster_g.lead_session = session;
	cluster_g.active_from_ns = cluster_mono_ns() + CLUSTER_GRACE_MS * 1000000LL;
	cluster_g.lease_until_ns = t0 + CLUSTER_LEASE_MS * 1000000LL;
	cluster_g.self.leader_since_ms = cluster_wall_ms();
	snprintf(cluster_g.leader_name, sizeof(cluster_g.leader_name), "%s", cluster_g.self.name);
	pthread_mutex_unlock(&cluster_g.mu);
	log_info("cluster: node '%s' took the leader lock; it leads after %d ms of grace",
		 cluster_g.self.name, CLUSTER_GRACE_MS);
}

static void read_registry(struct store_coord *co)
{
	struct store_node *v = NULL;
	size_t n = 0;
	struct err e;
	char leader[64] = "";

	err_clear(&e);
	if (store_coord_nodes(co, &v, &n, &e) < 0) {
		note_db(-1, &e);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].leader)
			snprintf(leader, sizeof(leader), "%s", v[i].name);
	pthread_mutex_lock(&cluster_g.mu);
	free(cluster_g.nodes);
	cluster_g.nodes = v;
	cluster_g.n_nodes = n;
	cluster_g.nodes_read_ns = cluster_mono_ns();
	snprintf(cluster_g.leader_name, sizeof(cluster_g.leader_name), "%s", leader);
	pthread_mutex_unlock(&cluster_g.mu);
}

static void on_payload(const char *payload, void *ctx)
{
	struct store_change c;

	(void)ctx;
	if (store_change_parse(payload, &c) < 0)
		return;
	pthread_mutex_lock(&cluster_g.mu);
	if (c.at_ms > cluster_g.last_change_ms)
		cluster_g.last_change_ms = c.at_ms;
	pthread_mutex_unlock(&cluster_g.mu);
	if (strcmp(c.origin, cluster_g.self.name))
		cluster_apply_push(&c);
}

static void sleep_until(int64_t at_ns)
{
	while (!cluster_g.stopping) {
		int64_t left = at_ns - cluster_mono_ns();
		struct timespec ts;

		if (left <= 0)
			return;
		if (left > 100000000LL)
			left = 100000000LL;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left;
		nanosleep(&ts, NULL);
	}
}

void *cluster_coord_main(void *arg)
{
	struct store_coord *co = cluster_g.co;
	unsigned listened = 0, tick = 0;
	bool took_over = false;

	(void)arg;
	while (!cluster_g.stopping) {
		int64_t t0 = cluster_mono_ns(), end = t0 + CLUSTER_TICK_MS * 1000000LL;
		unsigned session = 0;
		struct err e;
		bool lead, active;
		int r;

		heartbeat(co, t0, &session, &r);
		if (r < 0) {
			took_over = false;
			sleep_until(end);
			continue;
		}
		if (session != listened) {
			err_clear(&e);
			if (store_coord_listen(co, &e) < 0) {
				note_db(-1, &e);
				sleep_until(end);
				continue;
			}
			if (listened)
				cluster_apply_resync(false); /* notifications may have been lost */
			listened = session;
		}
		pthread_mutex_lock(&cluster_g.mu);
		lead = cluster_g.leader;
		pthread_mutex_unlock(&cluster_g.mu);
		if (!lead) {
			took_over = false;
			elect(co);
		}
		pthread_mutex_lock(&cluster_g.mu);
		lead = cluster_g.leader;
		active = lead && cluster_mono_ns() >= cluster_g.active_from_ns;
		pthread_mutex_unlock(&cluster_g.mu);
		if (active && !took_over) {
			took_over = true;
			cluster_apply_resync(true);
		}
		if (tick++ % CLUSTER_REGISTRY_TICKS == 0)
			read_registry(co);
		while (!cluster_g.stopping) {
			int64_t left = (end - cluster_mono_ns()) / 1000000;

			if (left <= 0)
				break;
			err_clear(&e);
			if (store_coord_wait(co, (int)(left > 100 ? 100 : left), on_payload, NULL,
					     &e) < 0) {
				note_db(-1, &e);
				sleep_until(end);
				break;
			}
		}
	}
	return NULL;
}
