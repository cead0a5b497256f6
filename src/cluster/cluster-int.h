/* SPDX-License-Identifier: MIT */
#ifndef CLUSTER_CLUSTER_INT_H
#define CLUSTER_CLUSTER_INT_H
/*
 * Private to src/cluster/: the node's state shared by the predicates (cluster.c), the
 * coordinator thread (coordinator.c) and the apply worker (apply.c), and the timing.
 *
 * Timing (docs/cluster.md): the coordinator ticks every CLUSTER_TICK_MS with a heartbeat on its
 * session. The server ends a session idle for STORE_COORD_IDLE_MS, releasing the lock; so a
 * leader's heartbeat sent at t proves that nobody else can hold the lock before
 * t + STORE_COORD_IDLE_MS, and the leader allows itself device writes until t + CLUSTER_LEASE_MS,
 * a margin earlier. A new leader waits CLUSTER_GRACE_MS after taking the lock before its first
 * write, longer than any lease the previous one may still believe in (a server restart ends
 * sessions without waiting for their idle time).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cluster/cluster.h"
#include "store/store.h"
#include "store/store_coord.h"

struct app;

#define CLUSTER_TICK_MS 500
#define CLUSTER_LEASE_MS (STORE_COORD_IDLE_MS - 500)
#define CLUSTER_GRACE_MS STORE_COORD_IDLE_MS
/* Round trips of the coordination session, and of the store once several nodes share it
 * (every request answers within 2 s while the server does not answer: docs/cluster.md). */
#define CLUSTER_COORD_TIMEOUT_MS 1000
#define CLUSTER_STORE_TIMEOUT_MS 1200
/* How long a node waits for another node's start-up (migrations) before giving up. */
#define CLUSTER_STARTUP_WAIT_MS 120000
/* The registry is read every this many ticks. */
#define CLUSTER_REGISTRY_TICKS 4

struct cluster_state {
	pthread_mutex_t mu;          /* guards everything below that the threads change */
	struct app *app;
	bool enabled;                /* PostgreSQL: the coordination session exists */
	struct store_coord *co;      /* the coordinator thread's once it runs */
	struct store_node self;
	int sqlite_fd;               /* SQLite: the flock()ed database file, -1 = none */
	struct db *mysql_claim;      /* MySQL/MariaDB: the connection holding the node lock */
	bool startup_locked;

	/* leadership */
	bool leader;                 /* this session holds the leader lock */
	unsigned lead_session;       /* ... taken on this session */
	int64_t active_from_ns;      /* monotonic: the takeover grace ends */
	int64_t lease_until_ns;      /* monotonic: device writes allowed until */
	char leader_name[64];        /* who holds the lock, from the registry */

	/* the registry as last read */
	struct store_node *nodes;
	size_t n_nodes;
	int64_t nodes_read_ns;
	bool db_ok;
	char db_error[256];

	int64_t last_change_ms;

	/* leader-only jobs (cluster_leader_job), started and stopped by the apply worker */
	struct cluster_job {
		const char *name;
		int (*start)(struct app *app);
		void (*stop)(void);
		void (*kick)(void);
		bool running;
	} jobs[CLUSTER_JOBS_MAX];
	size_t n_jobs;

	/* threads */
	volatile bool stopping;
	bool threads;
	pthread_t coord_thread, apply_thread;
};

extern struct cluster_state cluster_g;

int64_t cluster_mono_ns(void);
int64_t cluster_wall_ms(void);

/* coordinator.c */
void *cluster_coord_main(void *arg);

/* apply.c: the queue between the coordinator and the worker. */
int cluster_apply_init(void);
void cluster_apply_release(void);
/* A change heard from another node. */
void cluster_apply_push(const struct store_change *c);
/* Everything this node serves is synced again: after a gap in the notifications (a new
 * session), and at takeover (with takeover set: claim interfaces without a node, import and
 * restore the remote backends). */
void cluster_apply_resync(bool takeover);
void cluster_apply_wake(void);
/* The apply worker's: start the leader-only jobs (takeover) or stop them (lost the lead). */
void cluster_jobs_run(struct app *app, bool leading);
/* Kicks the running jobs (another node changed something). */
void cluster_jobs_kick(void);
void *cluster_apply_main(void *arg);

#endif
