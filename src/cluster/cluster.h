/* SPDX-License-Identifier: MIT */
#ifndef CLUSTER_CLUSTER_H
#define CLUSTER_CLUSTER_H
/*
 * More than one node on one PostgreSQL database (docs/cluster.md). Every node serves the API,
 * the UI and the metrics from the shared database; the work that must happen once, and every
 * write to a remote device, is the leader's. The calls other modules make:
 *
 *   cluster_is_leader()        gates the leader-only workers: remote-backend sync, restore and
 *                              healing, statistics from routers, expiry and LDAP sweeps, mail
 *                              and webhook delivery;
 *   cluster_serves_iface()     whether this node does the device work of an interface (sync,
 *   cluster_serves()           statistics, pings): remote backends' interfaces are the leader's,
 *                              a local interface is its own node's;
 *   cluster_new_iface_node()   the node to record for an interface created or imported here;
 *   the fence                  every HTTP call that may change a remote device asks
 *                              cluster_fence() first (installed as the device client's write
 *                              gate by cluster_start): a leader whose lease on its database
 *                              session has run out sends nothing, even while still running.
 *
 * Changes made on any node reach the others as notifications from the store
 * (store_changes_enable, sent inside the writing transaction); the node that serves the
 * interface applies them to the device at once, and every node notes the time of the latest
 * change for the UI (cluster_last_change_ms).
 *
 * With SQLite or MySQL there is one node: it leads and serves everything (all predicates are
 * true), and a second process on the same SQLite file is refused at cluster_join(). The same
 * holds before cluster_open() is called (unit tests).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_coord.h"

struct app;
struct backend;
struct err;
struct iface;

/*
 * Start-up in main.c's order:
 *   cluster_open   before the store is opened: PostgreSQL: the coordination session, and the
 *                  start-up lock (nodes started together migrate one after the other);
 *   cluster_join   once the store is open: SQLite: refuse a second process on the file;
 *                  PostgreSQL: register the node (refused when a running node has its name),
 *                  enable change notifications, bound the store's round trips;
 *   cluster_ready  once the administrator exists: releases the start-up lock;
 *   cluster_start  with the API listening: the coordinator (heartbeat, leader election,
 *                  notifications) and the worker that applies changes and takes over;
 *   cluster_stop   at the end (releases the leadership at once).
 * Each returns 0 or -errno with the reason in err (main.c logs it and stops).
 */
int cluster_open(struct app *app, struct err *err);
int cluster_join(struct app *app, struct err *err);
void cluster_ready(struct app *app);
int cluster_start(struct app *app, struct err *err);
void cluster_stop(struct app *app);

/*
 * Work that must run on one node only and starts and stops as a whole (the mail and webhook
 * delivery worker): with one node start() runs now; with several the leader starts it when it
 * takes over and stops it when it loses the lead (both from the cluster's worker thread, never
 * from the heartbeat's, so a slow stop delays nothing that matters). kick (may be NULL) is
 * called on the leader whenever another node reports a change, since what that node queued
 * for the job is in the database now. name is for the log. Returns start()'s result with one
 * node, else 0 (-ENOSPC: more than CLUSTER_JOBS_MAX).
 */
#define CLUSTER_JOBS_MAX 8
int cluster_leader_job(struct app *app, const char *name, int (*start)(struct app *app),
		       void (*stop)(void), void (*kick)(void));

/* Whether more than one node can share the database (PostgreSQL). */
bool cluster_enabled(void);
/* This node's name (cluster.node_name); "" before cluster_open. */
const char *cluster_node_name(void);
/* Whether this node does the leader's work now: always with one node; with several, while it
 * holds the leader lock, its takeover grace has passed and its lease has not run out. */
bool cluster_is_leader(void);
/* Whether this node does the device work of an interface on backend be owned by node (NULL
 * or "" = none): remote backends -> the leader; local -> its node (an interface without one
 * -> the leader, which claims it at takeover). Always true with one node. */
bool cluster_serves(const struct backend *be, const char *node);
bool cluster_serves_iface(const struct iface *ifc);
/* Whether this node talks to backend be beyond health probes (local: always; remote: the
 * leader). */
bool cluster_serves_backend(const struct backend *be);
/* The name of the node that does the device work of an interface on be owned by node (the
 * leader for remote backends, "" while none is known). */
void cluster_served_by(const struct backend *be, const char *node, char out[static 64]);
/* The node to record for a new interface on backend be: this node for a local backend when
 * clustered, else NULL (the leader serves remote backends; one node needs no owner). */
const char *cluster_new_iface_node(const struct backend *be);
/* Checks the Node an API client gave for an interface on backend be: "" or NULL is fine (the
 * creating node, or the stored one); otherwise a local interface's node must be a registered
 * node (this one with one node), and only local interfaces have one. -EINVAL naming "Node". */
int cluster_check_node(const struct backend *be, const char *node, struct err *err);
/* 0 when this node may write to remote devices now, else -ESTALE with the reason in err. */
int cluster_fence(struct err *err);

/* The wall-clock time (ms) of the latest change any node made that this node heard of (its own
 * included), 0 when none since start (and always with one node, where the UI's own requests
 * are the only changes): the UI reloads a list when it grows. */
int64_t cluster_last_change_ms(void);

/* GET /api/v1/cluster: this node, the leader and the registry as last read by the coordinator
 * (at most a few seconds old). nodes: heap array (free()); with one node, just this one. */
struct cluster_view {
	bool enabled;                  /* PostgreSQL */
	char engine[16];
	char node[64];                 /* this node */
	char leader[64];               /* the node holding the lock, "" = none known */
	bool is_leader;                /* cluster_is_leader() */
	int64_t leader_since_ms;       /* this node's, 0 when it does not lead */
	bool database_ok;              /* the coordinator's last round trip worked */
	char database_error[256];
	int64_t refreshed_age_ms;      /* how old the registry below is */
	struct store_node *nodes;
	size_t n_nodes;
};
int cluster_view_get(struct cluster_view *ret, struct err *err);
void cluster_view_release(struct cluster_view *v);
/* DELETE /api/v1/cluster/node/{name}: removes a node that does not run from the registry.
 * -ENOENT unknown; -EINVAL running (or this node). */
int cluster_forget_node(struct app *app, const char *name, struct err *err);

#endif
