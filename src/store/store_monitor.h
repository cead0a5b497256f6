/* SPDX-License-Identifier: MIT */
#ifndef STORE_STORE_MONITOR_H
#define STORE_STORE_MONITOR_H
/*
 * The monitoring queries (src/store/store_monitor.c): the ping checker's target list and its
 * result batch, and the Prometheus exporter's rows, each read in one query so /metrics with
 * 10,000 peers renders in milliseconds. Same conventions as store.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/keys.h"

struct err;
struct store;

/* Peers the exporter shows: those with a statistics row, ordered by interface and id. The
 * strings are borrowed for the duration of the callback only. */
struct store_metric_peer {
	const char *iface_id, *addresses, *id, *name, *user;
	bool is_connected, stats_available;
	int64_t last_handshake;        /* unix seconds, 0 = never */
	uint64_t bytes_received, bytes_transmitted;
};
struct store_metric_iface {
	const char *iface_id;
	uint64_t bytes_received, bytes_transmitted;
};
/* Calls fn for every row while holding the store lock; a negative return of fn stops the
 * iteration and is returned. Otherwise 0 or -EIO. */
int store_metrics_peers(struct store *st, int (*fn)(const struct store_metric_peer *, void *),
			void *ctx, struct err *err);
int store_metrics_ifaces(struct store *st, int (*fn)(const struct store_metric_iface *, void *),
			 void *ctx, struct err *err);

/* One ping check to run: every enabled peer of an enabled interface that has an address. */
struct store_ping_target {
	char peer_id[WG_KEY_B64_SIZE];
	char iface_id[32];
	char backend[64];              /* the interface's backend id ("" = local) */
	char addr[64];                 /* CheckAliveAddress, else the first address; no prefix */
	char node[64];                 /* the interface's node (iface.h), "" = none */
};
/* Heap array ordered by backend and interface in *ret (free()), count in *n. */
int store_ping_targets(struct store *st, struct store_ping_target **ret, size_t *n,
		       struct err *err);

struct store_ping_result {
	const char *peer_id, *iface_id;
	bool pingable;
	bool stats_available;          /* for a status row the check creates */
};
/*
 * Writes a round's results in one transaction, touching only the ping-related fields:
 * IsPingable, LastPing (now when answered, else null), IsConnected (answered, or handshake
 * not older than rekey_s) and LastSessionStart (set when the peer becomes connected: to the
 * fresh handshake's time, else now). Peers deleted meanwhile are skipped.
 */
int store_ping_results_put(struct store *st, const struct store_ping_result *v, size_t n,
			   int64_t now, int64_t rekey_s, struct err *err);

#endif
