/* SPDX-License-Identifier: MIT */
#ifndef CORE_CORE_INT_H
#define CORE_CORE_INT_H
/* Private to core/: shared helpers of the use cases. */
#include <stdbool.h>
#include <time.h>

#include "core/app.h"
#include "model/cidr.h"
#include "model/iface.h"
#include "model/peer.h"

struct err;

/* Records an audit entry (statistics.collect_audit_data) after a successful change, in the
 * name of the current actor (core_actor(): the request's caller, or "system"). */
void core_audit(struct app *app, const char *origin, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* How audit messages name a peer ("'Alice Laptop' (pXCEvTAl…)") and an interface
 * ("wg0 ('Office VPN')"): display names first, ids to tell twins apart. */
#define CORE_LABEL_MAX 160
void core_peer_label(const struct peer *p, char out[static CORE_LABEL_MAX]);
void core_iface_label(const struct iface *ifc, char out[static CORE_LABEL_MAX]);

/* Checks that no address of `addrs` (address part) is used by another interface or peer.
 * except_peer / except_iface: the record being updated. -EEXIST naming `field` on collision. */
int core_check_addresses(struct app *app, const struct strv *addrs, const char *except_peer,
			 const char *except_iface, const char *field, struct err *err);
/* The rules of issue 12 for a peer's Addresses on interface ifc (docs/http-hardening.md): at
 * most CORE_PEER_ADDR_MAX entries, none listed twice, no /0, no broadcast address (-EINVAL);
 * no overlap with the interface's own addresses or another peer of the interface (-EEXIST,
 * naming both addresses). except_peer: the record being updated. */
#define CORE_PEER_ADDR_MAX 64
int core_check_peer_addresses(struct app *app, const struct iface *ifc, const struct peer *p,
			      const char *except_peer, struct err *err);
/* Sorts an address list for core_alloc_address(). */
void core_sort_addresses(struct strv *in_use);
/* Next free host address in network `net` (spec 3.4, stopping before the last address). */
int core_alloc_address(const struct ip_prefix *net, const struct strv *in_use,
		       struct ip_prefix *ret, struct err *err);
/* The same against the store: walks only the addresses in use inside net, in order, up to the
 * first free one (GET /peer/prepare on a 10,000-peer interface reads no other rows). */
int core_alloc_address_stored(struct app *app, const struct ip_prefix *net,
			      struct ip_prefix *ret, struct err *err);
/* The next network of the same size after net. -ERANGE at the end of the family. */
int core_next_network(struct ip_prefix *net);

/* Runs an interface hook (local backend only) as `bash -ce '<hook>'` with %i replaced by the
 * interface name. Empty hook: 0. Non-zero exit: -EIO with the exit status in err. Still running
 * after timeout_ms (0: no limit): its process group is killed, -ETIMEDOUT. */
int core_run_hook(const char *hook, const char *iface_name, const char *which,
		  int64_t timeout_ms, struct err *err);

/* core_peer_update with app->write_lock already held by the caller (expiry, self-service:
 * read, change and write one peer under one hold of the lock). */
int core_peer_update_locked(struct app *app, const char *old_id, struct peer *p, struct err *err);
/* Whether a peer's ExpiresAt day has begun (00:00 UTC) at time now (spec 3.7). */
bool core_peer_is_expired(const struct peer *p, time_t now);

/* After a successful change (core/background.c queues the work; without a running background
 * worker these do nothing): the interface's file in advanced.config_storage_path is rewritten
 * or removed; default peers are made for a new flagged server interface or a new user when
 * core.create_default_peer_on_* says so. */
void core_iface_changed(struct app *app, const char *iface_id);
void core_iface_removed(struct app *app, const struct iface *ifc);
void core_default_peers_for_iface(struct app *app, const struct iface *ifc);
void core_default_peers_for_user(struct app *app, const char *user_id);

/* The files of advanced.config_storage_path (core/conffile.c), run by the background worker:
 * prepare creates the directory (at start); write renders one interface's file when it has
 * SaveConfig; remove deletes a file by name; write_all queues every SaveConfig interface. */
int core_conffile_prepare(struct app *app, struct err *err);
int core_conffile_write(struct app *app, const char *iface_id, struct err *err);
int core_conffile_remove(struct app *app, const char *filename, struct err *err);
void core_conffile_write_all(struct app *app);

/* Derives peer modes of every stored peer of the interface from its mode (spec 3.1). */
int core_rederive_peer_modes(struct app *app, const struct iface *ifc, struct err *err);

#endif
