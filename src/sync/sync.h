/* SPDX-License-Identifier: MIT */
#ifndef SYNC_SYNC_H
#define SYNC_SYNC_H
/*
 * The only differ: desired state (store) vs observed state (backend) -> plan -> apply.
 * Serves request changes, core.import_existing / core.restore_state at start, healing of
 * interfaces deleted or re-created under us, and the statistics collector.
 * Callers hold app->write_lock for the sync_* functions that write.
 */
#include <stdbool.h>

#include "core/app.h"
#include "model/iface.h"
#include "model/peer.h"

struct err;
struct dev_iface;
struct backend;

/* Brings one stored interface and all its peers onto its backend: creates the device when
 * missing (and enabled), sets keys/port/MTU/addresses/link state/routes, upserts peers that
 * differ and removes device peers that are not stored (or belong to disabled peers on local).
 * -ENOENT when the interface is not stored; -EHOSTUNREACH when its backend is not configured. */
int sync_iface(struct app *app, const char *iface_id, struct err *err);
/* The same after a user changed the stored interface; before: the stored interface before the
 * change. Labels (the display name the device shows) are written only then (sync/diff.c). */
int sync_iface_change(struct app *app, const char *iface_id, const struct iface *before,
		      struct err *err);
/* Pushes one peer change: p upserted, or removed when remove is true or the peer is disabled on
 * a backend without BACKEND_CAP_DISABLED_PEERS. before: the stored peer before the change
 * (NULL for a create); only the fields that differ from it are written, and a different
 * public key (re-keying) removes the old peer. */
int sync_peer(struct app *app, const struct iface *ifc, const struct peer *before,
	      const struct peer *p, bool remove, struct err *err);
/* Pushes a stored peer that changed on another cluster node (the state before it is not known
 * here): read from the device and written where it differs (sync_diff_peer_elsewhere), created
 * when missing. A removal goes through sync_peer(). */
int sync_peer_refresh(struct app *app, const struct iface *ifc, const struct peer *p,
		      struct err *err);
/* Removes the device interface of a stored interface (delete). */
int sync_iface_remove(struct app *app, const struct iface *ifc, struct err *err);

/* Builds the device form of a stored interface + peers (exported for tests and bench). */
int sync_build_dev_iface(struct app *app, const struct iface *ifc, struct peer **peers, size_t n,
			 struct dev_iface *ret, struct err *err);

/* Start-up (spec 3.10). import_existing and restore_state leave out what another node serves
 * (cluster.h); the leader imports and restores the remote backends when it takes over. */
int sync_import_existing(struct app *app, struct err *err);
/* core.import_existing for one backend (start-up, when a backend that was down answers again,
 * a new leader): interfaces not stored yet are imported with their peers. Caller holds
 * write_lock. */
void sync_import_backend(struct app *app, struct backend *be);
int sync_restore_state(struct app *app, struct err *err);

/* One statistics sweep over every backend (written in one store batch). */
int sync_collect_stats(struct app *app, struct err *err);

/* Background threads: healing (every second: enabled interfaces whose device vanished or whose
 * peers drifted are re-synced when core.restore_state) and the statistics collector. */
int sync_start(struct app *app);
void sync_stop(struct app *app);

#endif
