/* SPDX-License-Identifier: MIT */
#ifndef SYNC_ROUTE_REFS_H
#define SYNC_ROUTE_REFS_H
/*
 * Which prefixes an interface's peers route through it, and how many peers need each one.
 * Built by a full reconcile (sync_iface), then kept up to date per peer change, so one peer
 * create/update/delete turns into "add these routes, remove those" in O(changed prefixes *
 * log n) instead of re-reading every peer of the interface. A prefix is removed only when the
 * last peer routing it lets go (two peers may share an extra allowed network).
 *
 * Private to sync/. Callers hold app->write_lock; the registry has its own lock only because
 * several apps may live in one process (unit tests).
 */
#include <stddef.h>
#include <stdint.h>

#include "model/cidr.h"

struct app;

struct route_refs {
	struct route_refs *next;
	const struct app *app;
	char iface[64];
	int ifindex;            /* link the routes were reconciled on */
	uint32_t table;         /* route table they live in (0: routes not managed) */
	void *prefixes;         /* tsearch tree of prefix -> number of peers routing it */
	void *peers;            /* tsearch tree of peer id -> its prefixes (sorted, unique) */
};

/* Prefixes that start / stop being needed by one change (heap arrays, free() them). */
struct route_delta {
	struct ip_prefix *add, *del;
	size_t n_add, n_del;
};

/* The entry of one interface, NULL when none was built (or it was dropped). */
struct route_refs *route_refs_find(const struct app *app, const char *iface);
/* Creates the entry, or empties an existing one, for a fresh build. NULL when out of memory. */
struct route_refs *route_refs_reset(const struct app *app, const char *iface, int ifindex,
				    uint32_t table);
/* Forgets one interface's entry (iface NULL: every entry of app). */
void route_refs_drop(const struct app *app, const char *iface);
/* Sets the prefixes of one peer (n == 0 removes the peer). Host bits are masked. When d is
 * not NULL, prefixes whose count went 0 -> 1 are appended to d->add and those that went to 0 to
 * d->del. Returns 0 or -ENOMEM (the entry is then inconsistent: drop it). */
int route_refs_set_peer(struct route_refs *rr, const char *peer_id, const struct ip_prefix *v,
			size_t n, struct route_delta *d);
void route_delta_release(struct route_delta *d);

#endif
