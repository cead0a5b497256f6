/* SPDX-License-Identifier: MIT */
#ifndef STORE_STORE_COORD_H
#define STORE_STORE_COORD_H
/*
 * The coordination session of one node among several on a PostgreSQL database
 * (docs/cluster.md): a connection of its own, next to the store's, that
 *   - holds the leader lock: a session-level advisory lock, which the server releases the moment
 *     the session ends (the process died, or the session was cut);
 *   - writes this node's heartbeat into cluster_nodes;
 *   - listens for every node's change notifications (store_changes.c);
 *   - reads the node registry, with who holds the lock.
 * The session runs with idle_session_timeout = STORE_COORD_IDLE_MS: a node that stops sending
 * heartbeats (frozen, cut off from the server) loses its session, and with it the lock, within
 * that time, so that another node can lead. The session's name on the server is
 * "wgportal:<node>" (application_name), which is how other nodes see that a node is alive.
 *
 * Not thread-safe: one thread owns a struct store_coord. Every call is bounded by the op timeout
 * given at open; -ENOTCONN means the session was lost (it reconnects by itself at the next
 * call, as a new session: see store_coord_session).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;
struct store_config;
struct store_coord;

#define STORE_COORD_IDLE_MS 3000

struct store_node {
	char name[64];
	char instance[40];        /* random per process start */
	int64_t pid;
	char version[32];
	char address[128];        /* web.listening_address */
	int64_t started_at_ms, heartbeat_at_ms, leader_since_ms, stopped_at_ms;
	int64_t heartbeat_age_ms; /* by the server's clock, at the time of the list */
	bool connected;           /* has a coordination session now */
	bool leader;              /* holds the leader lock now */
};

/* Connects (op_timeout_ms bounds every later round trip). node: this node's name. */
int store_coord_open(const struct store_config *c, const char *node, int op_timeout_ms,
		     struct store_coord **ret, struct err *err);
void store_coord_close(struct store_coord *co);   /* NULL-safe; ends the session (and lock) */
/* The current server session (db_session): changes with every reconnect. 0 while lost. */
unsigned store_coord_session(struct store_coord *co);

/* The start-up lock, held while one node migrates the schema and creates the administrator, so
 * that nodes started together do that one after the other. Waits up to timeout_ms. */
int store_coord_startup_lock(struct store_coord *co, int timeout_ms, struct err *err);
int store_coord_startup_unlock(struct store_coord *co, struct err *err);

/* Records this node (self: name, instance, pid, version, address) as started. -EEXIST when a
 * running node (one with a coordination session) already has the name. */
int store_coord_register(struct store_coord *co, const struct store_node *self, struct err *err);
/* Marks this node as stopped (a clean shutdown). */
int store_coord_stopped(struct store_coord *co, const struct store_node *self, struct err *err);

/* Tries to take the leader lock without waiting; *ret tells whether this session holds it. */
int store_coord_try_lead(struct store_coord *co, bool *ret, struct err *err);
/* Writes the heartbeat (and leader_since, 0 for a follower) of self. -ESTALE when another
 * process has taken over the node's row (a second node of the same name). */
int store_coord_heartbeat(struct store_coord *co, const struct store_node *self,
			  struct err *err);
/* Starts listening for change notifications (again after every new session). */
int store_coord_listen(struct store_coord *co, struct err *err);
/* Waits up to timeout_ms for notifications, calling fn(payload, ctx) for each. Returns the
 * number delivered or -errno. */
int store_coord_wait(struct store_coord *co, int timeout_ms,
		     void (*fn)(const char *payload, void *ctx), void *ctx, struct err *err);
/* The registry, ordered by name (heap array in *ret, free()). */
int store_coord_nodes(struct store_coord *co, struct store_node **ret, size_t *n,
		      struct err *err);
/* Removes a node from the registry through the store's connection (the caller made sure it
 * does not run). -ENOENT: no such node. */
struct store;
int store_node_forget(struct store *st, const char *name, struct err *err);

#endif
