/* SPDX-License-Identifier: MIT */
#ifndef SYNC_HEAL_SEEN_H
#define SYNC_HEAL_SEEN_H
/*
 * The healer's memory (sync/workers.c): the ifindex of every stored interface at its last
 * successful look, so a link re-created under us (same name, new ifindex) is noticed. It grows
 * with the store, with no fixed size (every interface is watched, issue 11), sorted by id for
 * bsearch, and forgets the interfaces that were not stored any more at the end of a sweep.
 * One thread owns a table; nothing here locks.
 */
#include <stdbool.h>
#include <stddef.h>

struct heal_seen {
	char *id;
	int ifindex;
	bool alive;         /* still stored (this sweep) */
};

struct heal_seen_table {
	struct heal_seen *v;
	size_t n, cap;
};

#define HEAL_SEEN_INIT { NULL, 0, 0 }

/* The ifindex recorded at the last successful look, recording ifindex when id is new (also
 * when memory runs out: then id is just not watched this tick). Marks id as still stored. */
int heal_seen_peek(struct heal_seen_table *t, const char *id, int ifindex);
/* Records the ifindex after a successful re-sync. */
void heal_seen_set(struct heal_seen_table *t, const char *id, int ifindex);
/* id is still stored, though not looked at this sweep. */
void heal_seen_keep(struct heal_seen_table *t, const char *id);
/* After a sweep: drops what was neither peeked nor kept since the last prune. */
void heal_seen_prune(struct heal_seen_table *t);
void heal_seen_free(struct heal_seen_table *t);

#endif
