/* SPDX-License-Identifier: MIT */
/*
 * Address bookkeeping: collision checks across all interfaces and peers, and allocation of the
 * next free host address for a new peer (spec/wg-portal-compat.md 3.4, with the recommended
 * stop before the network's last address instead of running into the next network).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/core-int.h"
#include "store/store.h"
#include "util/err.h"

int core_check_addresses(struct app *app, const struct strv *addrs, const char *except_peer,
			 const char *except_iface, const char *field, struct err *err)
{
	for (size_t i = 0; i < addrs->n; i++) {
		struct ip_prefix p;
		char a[CIDR_STR_MAX], owner[128];
		int r;

		if (ip_prefix_parse(addrs->v[i], true, &p) < 0)
			return err_field(err, -EINVAL, field, "invalid address '%s'", addrs->v[i]);
		ip_addr_format(&p, a);
		r = store_address_owner(app->store, a, except_peer ? except_peer : "", owner, err);
		if (r == -ENOENT) {
			err_clear(err);
			continue;
		}
		if (r < 0)
			return r;
		if (except_iface && !strcmp(owner, except_iface))
			continue;
		return err_field(err, -EEXIST, field, "address %s is already used by %s", a, owner);
	}
	return 0;
}

/* Rules of a peer's own address list that need nothing but the list: at most
 * CORE_PEER_ADDR_MAX entries, no /0, no limited broadcast, no address listed twice. */
static int check_list(const struct strv *addrs, struct ip_prefix *nets, struct err *err)
{
	if (addrs->n > CORE_PEER_ADDR_MAX)
		return err_field(err, -EINVAL, "Addresses",
				 "too many addresses: %zu (at most %d per peer)", addrs->n,
				 CORE_PEER_ADDR_MAX);
	for (size_t i = 0; i < addrs->n; i++) {
		struct ip_prefix *p = &nets[i];
		char a[CIDR_STR_MAX];

		if (ip_prefix_parse(addrs->v[i], true, p) < 0)
			return err_field(err, -EINVAL, "Addresses", "invalid address '%s'",
					 addrs->v[i]);
		ip_prefix_format(p, a);
		if (p->len == 0)
			return err_field(err, -EINVAL, "Addresses",
					 "address %s covers every address; a peer's addresses are "
					 "its own (use AllowedIPs for routes)", a);
		if (p->family == AF_INET && p->len == 32 && !memcmp(p->addr, "\xff\xff\xff\xff", 4))
			return err_field(err, -EINVAL, "Addresses",
					 "address %s is the broadcast address", a);
		for (size_t j = 0; j < i; j++)
			if (ip_addr_equal(&nets[j], p))
				return err_field(err, -EINVAL, "Addresses",
						 "address %s is listed twice", a);
	}
	return 0;
}

/* Against the interface's own addresses: a peer address may not contain the interface's
 * address, and a single host may not be the broadcast address of the interface's subnet. */
static int check_iface(const struct iface *ifc, const struct ip_prefix *p, struct err *err)
{
	char a[CIDR_STR_MAX], ia[CIDR_STR_MAX];

	ip_prefix_format(p, a);
	for (size_t k = 0; k < ifc->addresses.n; k++) {
		struct ip_prefix net;

		if (ip_prefix_parse(ifc->addresses.v[k], true, &net) < 0 || net.family != p->family)
			continue;
		ip_addr_format(&net, ia);
		if (ip_prefix_contains(p, &net))
			return err_field(err, -EEXIST, "Addresses",
					 "address %s overlaps the address %s of interface %s", a, ia,
					 STR(ifc->identifier));
		if (p->family == AF_INET && p->len == 32 && net.len < 31 &&
		    ip_addr_is_last_in(&net, p))
			return err_field(err, -EINVAL, "Addresses",
					 "address %s is the broadcast address of %s", a,
					 ifc->addresses.v[k]);
	}
	return 0;
}

int core_check_peer_addresses(struct app *app, const struct iface *ifc, const struct peer *p,
			      const char *except_peer, struct err *err)
{
	struct ip_prefix nets[CORE_PEER_ADDR_MAX];
	struct store_addr_conflict hit;
	int r = check_list(&p->addresses, nets, err);

	for (size_t i = 0; r == 0 && i < p->addresses.n; i++)
		r = check_iface(ifc, &nets[i], err);
	if (r < 0 || !p->addresses.n)
		return r;
	r = store_peer_addr_conflict(app->store, STR(ifc->identifier), except_peer, nets,
				     p->addresses.n, &hit, err);
	if (r == -EEXIST) {
		char a[CIDR_STR_MAX];

		ip_prefix_format(&nets[hit.index], a);
		err_clear(err);
		return err_field(err, -EEXIST, "Addresses",
				 "address %s overlaps %s of peer %s on interface %s", a, hit.addr,
				 hit.owner, STR(ifc->identifier));
	}
	return r;
}

int core_next_network(struct ip_prefix *net)
{
	int bytes = net->family == AF_INET ? 4 : 16;
	int hostbits = bytes * 8 - net->len;
	int carry;

	if (net->len == 0)
		return -ERANGE;
	/* add 1 << hostbits to the address, big-endian */
	int byte = bytes - 1 - hostbits / 8;
	unsigned add = 1U << (hostbits % 8);
	for (carry = (int)add; byte >= 0 && carry; byte--) {
		unsigned v = net->addr[byte] + (unsigned)carry;
		net->addr[byte] = (uint8_t)v;
		carry = (int)(v >> 8);
	}
	return carry ? -ERANGE : 0;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* in_use must be sorted with core_sort_addresses() (bsearch keeps a 10,000-peer walk fast). */
void core_sort_addresses(struct strv *in_use)
{
	qsort(in_use->v, in_use->n, sizeof(*in_use->v), cmp_strp);
}

/* Moves cand to the next address of network n that may be handed out: -EADDRNOTAVAIL past
 * the end (and, for networks wider than /31 or /127, at the last address). */
static int cand_next(const struct ip_prefix *n, struct ip_prefix *cand)
{
	if (ip_addr_next(cand) < 0 || !ip_prefix_contains(n, cand) ||
	    (n->len < ip_prefix_host_len(n->family) - 1 && ip_addr_is_last_in(n, cand)))
		return -EADDRNOTAVAIL;
	return 0;
}

static int exhausted(const struct ip_prefix *n, struct err *err)
{
	char netstr[CIDR_STR_MAX];

	ip_prefix_format(n, netstr);
	return err_set(err, -EADDRNOTAVAIL,
		       "failed to allocate address: ip space on subnet %s is exhausted", netstr);
}

int core_alloc_address(const struct ip_prefix *net, const struct strv *in_use,
		       struct ip_prefix *ret, struct err *err)
{
	struct ip_prefix n, cand;

	ip_prefix_network(net, &n);
	cand = n;
	for (;;) {
		char a[CIDR_STR_MAX];
		char *ap = a;

		if (cand_next(&n, &cand) < 0)
			return exhausted(&n, err);
		ip_addr_format(&cand, a);
		if (!in_use->n || !bsearch(&ap, in_use->v, in_use->n, sizeof(*in_use->v), cmp_strp))
			break;
	}
	cand.len = (uint8_t)ip_prefix_host_len(cand.family);
	*ret = cand;
	return 0;
}

struct alloc_walk {
	struct ip_prefix net, cand;
	int r;          /* -EADDRNOTAVAIL once the candidates ran out */
};

/* Used addresses arrive in ascending order: the candidate moves past each one it meets; the
 * first used address above the candidate proves the candidate free. */
static int alloc_walk_cb(const struct ip_prefix *used, void *ctx)
{
	struct alloc_walk *w = ctx;
	int c = memcmp(used->addr, w->cand.addr, w->net.family == AF_INET ? 4 : 16);

	if (c < 0)
		return 0; /* the network address itself, or a duplicate */
	if (c > 0)
		return 1;
	w->r = cand_next(&w->net, &w->cand);
	return w->r < 0;
}

int core_alloc_address_stored(struct app *app, const struct ip_prefix *net,
			      struct ip_prefix *ret, struct err *err)
{
	struct alloc_walk w = { .r = 0 };
	int r;

	ip_prefix_network(net, &w.net);
	w.cand = w.net;
	if (cand_next(&w.net, &w.cand) < 0)
		return exhausted(&w.net, err);
	r = store_addresses_walk(app->store, &w.net, alloc_walk_cb, &w, err);
	if (r < 0)
		return r;
	if (w.r < 0)
		return exhausted(&w.net, err);
	w.cand.len = (uint8_t)ip_prefix_host_len(w.cand.family);
	*ret = w.cand;
	return 0;
}
