/* SPDX-License-Identifier: MIT */
/*
 * Route reference counts per interface (see route_refs.h). Both maps are glibc tsearch()
 * trees (red-black, O(log n) per lookup); nothing here talks to a device or the store.
 */
#include "sync/route_refs.h"

#include <errno.h>
#include <pthread.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct rr_prefix {
	struct ip_prefix p;
	unsigned refs;
};

struct rr_peer {
	char *id;
	struct ip_prefix *v;  /* sorted with ip_prefix_cmp, unique */
	size_t n;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct route_refs *registry;

static int cmp_peer(const void *a, const void *b)
{
	return strcmp(((const struct rr_peer *)a)->id, ((const struct rr_peer *)b)->id);
}

static void free_peer(void *node)
{
	struct rr_peer *p = node;

	free(p->id);
	free(p->v);
	free(p);
}

static void entry_clear(struct route_refs *rr)
{
	tdestroy(rr->prefixes, free);
	tdestroy(rr->peers, free_peer);
	rr->prefixes = rr->peers = NULL;
}

struct route_refs *route_refs_find(const struct app *app, const char *iface)
{
	struct route_refs *rr;

	pthread_mutex_lock(&registry_lock);
	for (rr = registry; rr; rr = rr->next)
		if (rr->app == app && !strcmp(rr->iface, iface))
			break;
	pthread_mutex_unlock(&registry_lock);
	return rr;
}

struct route_refs *route_refs_reset(const struct app *app, const char *iface, int ifindex,
				    uint32_t table)
{
	struct route_refs *rr = route_refs_find(app, iface);

	if (rr) {
		entry_clear(rr);
	} else {
		rr = calloc(1, sizeof(*rr));
		if (!rr)
			return NULL;
		rr->app = app;
		snprintf(rr->iface, sizeof(rr->iface), "%s", iface);
		pthread_mutex_lock(&registry_lock);
		rr->next = registry;
		registry = rr;
		pthread_mutex_unlock(&registry_lock);
	}
	rr->ifindex = ifindex;
	rr->table = table;
	return rr;
}

void route_refs_drop(const struct app *app, const char *iface)
{
	struct route_refs **pp, *dead = NULL;

	pthread_mutex_lock(&registry_lock);
	for (pp = &registry; *pp;) {
		struct route_refs *rr = *pp;
		if (rr->app == app && (!iface || !strcmp(rr->iface, iface))) {
			*pp = rr->next;
			rr->next = dead;
			dead = rr;
		} else {
			pp = &rr->next;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	while (dead) {
		struct route_refs *next = dead->next;
		entry_clear(dead);
		free(dead);
		dead = next;
	}
}

static int push(struct ip_prefix **v, size_t *n, const struct ip_prefix *p)
{
	/* grows by doubling; the capacity is implied by n (powers of two) */
	if ((*n & (*n - 1)) == 0) {
		size_t cap = *n ? *n * 2 : 1;
		struct ip_prefix *nv = realloc(*v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
	}
	(*v)[(*n)++] = *p;
	return 0;
}

/* Masked, sorted, unique copy of v (NULL when n == 0). */
static int normalise(const struct ip_prefix *v, size_t n, struct ip_prefix **ret, size_t *ret_n)
{
	struct ip_prefix *c;
	size_t k = 0;

	*ret = NULL;
	*ret_n = 0;
	if (!n)
		return 0;
	c = malloc(n * sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		ip_prefix_network(&v[i], &c[i]);
	qsort(c, n, sizeof(*c), ip_prefix_cmp);
	for (size_t i = 0; i < n; i++)
		if (!k || ip_prefix_cmp(&c[k - 1], &c[i]))
			c[k++] = c[i];
	*ret = c;
	*ret_n = k;
	return 0;
}

static int ref_inc(struct route_refs *rr, const struct ip_prefix *p, struct route_delta *d)
{
	struct rr_prefix key = { .p = *p }, *node, **found;

	found = tfind(&key, &rr->prefixes, ip_prefix_cmp);
	if (found) {
		(*found)->refs++;
		return 0;
	}
	node = calloc(1, sizeof(*node));
	if (!node)
		return -ENOMEM;
	node->p = *p;
	node->refs = 1;
	found = tsearch(node, &rr->prefixes, ip_prefix_cmp);
	if (!found) {
		free(node);
		return -ENOMEM;
	}
	return d ? push(&d->add, &d->n_add, p) : 0;
}

static int ref_dec(struct route_refs *rr, const struct ip_prefix *p, struct route_delta *d)
{
	struct rr_prefix key = { .p = *p }, *node, **found;

	found = tfind(&key, &rr->prefixes, ip_prefix_cmp);
	if (!found)
		return 0; /* never counted: nothing to release */
	node = *found;
	if (--node->refs)
		return 0;
	tdelete(&key, &rr->prefixes, ip_prefix_cmp);
	free(node);
	return d ? push(&d->del, &d->n_del, p) : 0;
}

int route_refs_set_peer(struct route_refs *rr, const char *peer_id, const struct ip_prefix *v,
			size_t n, struct route_delta *d)
{
	struct rr_peer key = { .id = (char *)peer_id }, *pe = NULL, **found;
	struct ip_prefix *nv;
	size_t nn, i = 0, j = 0;
	const struct ip_prefix *ov = NULL;
	size_t on = 0;
	int r = normalise(v, n, &nv, &nn);

	if (r < 0)
		return r;
	found = tfind(&key, &rr->peers, cmp_peer);
	if (found) {
		pe = *found;
		ov = pe->v;
		on = pe->n;
	}
	/* merge walk over two sorted sets: only the difference changes counts */
	while (r == 0 && (i < nn || j < on)) {
		int c = i == nn ? 1 : j == on ? -1 : ip_prefix_cmp(&nv[i], &ov[j]);
		if (c < 0)
			r = ref_inc(rr, &nv[i++], d);
		else if (c > 0)
			r = ref_dec(rr, &ov[j++], d);
		else
			i++, j++;
	}
	if (r < 0) {
		free(nv);
		return r;
	}
	if (!nn) {
		if (pe) {
			tdelete(&key, &rr->peers, cmp_peer);
			free_peer(pe);
		}
		free(nv);
		return 0;
	}
	if (!pe) {
		pe = calloc(1, sizeof(*pe));
		if (!pe || !(pe->id = strdup(peer_id)) || !tsearch(pe, &rr->peers, cmp_peer)) {
			if (pe)
				free(pe->id);
			free(pe);
			free(nv);
			return -ENOMEM;
		}
	}
	free(pe->v);
	pe->v = nv;
	pe->n = nn;
	return 0;
}

void route_delta_release(struct route_delta *d)
{
	free(d->add);
	free(d->del);
	memset(d, 0, sizeof(*d));
}
