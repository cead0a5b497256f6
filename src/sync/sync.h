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
/* Pushes one peer change (upsert, or removal when remove is true / the peer is disabled on a
 * backend without BACKEND_CAP_DISABLED_PEERS). old_key: previous public key when re-keying. */
int sync_peer(struct app *app, const struct iface *ifc, const struct peer *p, bool remove,
	      const char *old_key, struct err *err);
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
