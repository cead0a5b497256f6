/* SPDX-License-Identifier: MIT */
/* The healer's ifindex table (see heal_seen.h). */
#include "sync/heal_seen.h"

#include <stdlib.h>
#include <string.h>

static int seen_cmp(const void *key, const void *e)
{
	return strcmp(key, ((const struct heal_seen *)e)->id);
}

static struct heal_seen *find(struct heal_seen_table *t, const char *id)
{
	return t->n ? bsearch(id, t->v, t->n, sizeof(*t->v), seen_cmp) : NULL;
}

/* The entry of id, added with ifindex when new; NULL only when memory runs out. */
static struct heal_seen *get(struct heal_seen_table *t, const char *id, int ifindex)
{
	struct heal_seen *e = find(t, id);
	size_t lo = 0, hi;
	char *copy;

	if (e)
		return e;
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		struct heal_seen *nv = realloc(t->v, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		t->v = nv;
		t->cap = nc;
	}
	if (!(copy = strdup(id)))
		return NULL;
	/* the insertion point, by binary search */
	hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(t->v[mid].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&t->v[lo + 1], &t->v[lo], (t->n - lo) * sizeof(*t->v));
	t->v[lo] = (struct heal_seen){ .id = copy, .ifindex = ifindex, .alive = true };
	t->n++;
	return &t->v[lo];
}

int heal_seen_peek(struct heal_seen_table *t, const char *id, int ifindex)
{
	struct heal_seen *e = get(t, id, ifindex);

	if (!e)
		return ifindex;
	e->alive = true;
	return e->ifindex;
}

void heal_seen_set(struct heal_seen_table *t, const char *id, int ifindex)
{
	struct heal_seen *e = get(t, id, ifindex);

	if (e)
		e->ifindex = ifindex;
}

void heal_seen_keep(struct heal_seen_table *t, const char *id)
{
	struct heal_seen *e = find(t, id);

	if (e)
		e->alive = true;
}

void heal_seen_prune(struct heal_seen_table *t)
{
	size_t k = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].alive) {
			t->v[i].alive = false;
			t->v[k++] = t->v[i];
		} else {
			free(t->v[i].id);
		}
	}
	t->n = k;
}

void heal_seen_free(struct heal_seen_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].id);
	free(t->v);
	*t = (struct heal_seen_table)HEAL_SEEN_INIT;
}
