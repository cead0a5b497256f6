/* SPDX-License-Identifier: MIT */
/*
 * The local backend: WireGuard interfaces of this host's network namespace. Kernel WireGuard
 * is driven over generic netlink when the "wireguard" family exists; otherwise wireguard-go is
 * started per interface and driven over its UAPI socket. Links, addresses, MTU, routes and the
 * fwmark policy rule always go through rtnetlink. No `wg` or `ip` is ever executed.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backends/local/local.h"
#include "backends/local/local-int.h"
#include "backends/local/nl.h"
#include "backends/local/rtnl.h"
#include "backends/local/wg_genl.h"
#include "backends/local/wg_uapi.h"
#include "backends/local/wggo.h"
#include "model/cidr.h"
#include "monitor/icmp.h"
#include "util/err.h"
#include "util/log.h"

#define LOCAL_CAPS                                                                              \
	(BACKEND_CAP_CREATE_IFACE | BACKEND_CAP_STATS_PEER | BACKEND_CAP_STATS_IFACE |          \
	 BACKEND_CAP_HOOKS | BACKEND_CAP_PSK | BACKEND_CAP_ROUTES | BACKEND_CAP_MTU |            \
	 BACKEND_CAP_FWMARK | BACKEND_CAP_ADDRESSES)

/* Time allowed for wireguard-go to exit and remove its socket after its link is deleted. */
#define LOCAL_DELETE_WAIT_MS 2000

/*
 * Priority of the "not fwmark X lookup T" rule: counts down from 32700 like wg-quick and
 * wg-portal, one slot per table (modulo 1000) so interfaces with different tables do not
 * collide in the common case.
 */
static uint32_t rule_prio(uint32_t table)
{
	return 32700 - (table % 1000);
}

static void local_close(struct backend *be)
{
	struct local_priv *lp = be ? be->priv : NULL;

	if (!lp)
		return;
	if (lp->genl)
		mnl_socket_close(lp->genl);
	if (lp->rtnl)
		mnl_socket_close(lp->rtnl);
	free(lp->defaults);
	lp->defaults = NULL;
	lp->n_defaults = 0;
	lp->genl = lp->rtnl = NULL;
	lp->is_open = false;
}

static int local_open(struct backend *be, const struct cfg_backend *cfg, struct err *err)
{
	struct local_priv *lp = be->priv;
	char path[512];
	int r;

	(void)cfg;
	memset(lp, 0, sizeof(*lp));
	lp->rtnl = lb_nl_open(NETLINK_ROUTE);
	if (!lp->rtnl)
		return err_set(err, -errno, "local: rtnetlink socket: %s", strerror(errno));
	lp->genl = lb_nl_open(NETLINK_GENERIC);
	if (!lp->genl) {
		r = -errno;
		local_close(be);
		return err_set(err, r, "local: generic netlink socket: %s", strerror(-r));
	}
	r = wg_genl_probe(lp, err);
	if (r == 0) {
		lp->is_kernel = true;
		backend_set_implementation(be, "kernel (genetlink)");
	} else if (r == -ENOENT) {
		mnl_socket_close(lp->genl);
		lp->genl = NULL;
		if (!wggo_find(path, sizeof(path))) {
			local_close(be);
			return err_set(err, -ENOENT,
				       "local: no WireGuard kernel module and wireguard-go is not on "
				       "PATH; install wireguard-go (apt-get install wireguard-go)");
		}
		backend_set_implementation(be, "wireguard-go (uapi)");
	} else {
		local_close(be);
		return r;
	}
	lp->is_open = true;
	backend_set_caps(be, LOCAL_CAPS);
	log_debug("local backend: %s", lp->is_kernel ? "kernel (genetlink)" : "wireguard-go (uapi)");
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_uapi(struct local_priv *lp, struct strv *ret, struct err *err)
{
	DIR *dir = opendir(LB_UAPI_DIR);
	struct dirent *de;
	int r = 0;

	if (!dir)
		return errno == ENOENT ? 0 : err_set(err, -errno, "local: %s: %s", LB_UAPI_DIR,
						     strerror(errno));
	/* Bounded by the directory size. The directory is shared by all network namespaces, so
	 * only sockets whose tun link exists here count. */
	while ((de = readdir(dir))) {
		char name[64];
		size_t len = strlen(de->d_name);
		struct rtnl_link l;

		if (len <= 5 || len - 5 >= sizeof(name) || strcmp(de->d_name + len - 5, ".sock"))
			continue;
		memcpy(name, de->d_name, len - 5);
		name[len - 5] = '\0';
		if (!lb_ifname_is_valid(name) || rtnl_link_get(lp, name, &l) < 0 ||
		    strcmp(l.kind, "tun"))
			continue;
		r = strv_push(ret, name);
		if (r < 0) {
			r = err_set(err, r, "out of memory");
			break;
		}
	}
	closedir(dir);
	return r;
}

static int local_list_ifaces(struct backend *be, struct strv *ret, struct err *err)
{
	struct local_priv *lp = be->priv;
	struct strv names = STRV_INIT;
	int r;

	if (lp->is_kernel) {
		r = rtnl_link_list_kind(lp, "wireguard", &names);
		if (r < 0)
			r = err_set(err, r, "local: listing links: %s", strerror(-r));
	} else {
		r = list_uapi(lp, &names, err);
	}
	if (r < 0) {
		strv_release(&names);
		return r;
	}
	if (names.n > 1)
		qsort(names.v, names.n, sizeof(names.v[0]), name_cmp);
	strv_release(ret);
	*ret = names;
	return 0;
}

static int check_name(const char *name, struct err *err)
{
	if (!lb_ifname_is_valid(name))
		return err_field(err, -EINVAL, "Identifier",
				 "invalid interface name (1-15 characters of A-Z a-z 0-9 _ = + . -)");
	return 0;
}

static int local_get_iface(struct backend *be, const char *name, struct dev_iface *ret,
			   struct err *err)
{
	struct local_priv *lp = be->priv;
	struct rtnl_link l;
	struct dev_iface d = { 0 };
	int r;

	r = check_name(name, err);
	if (r < 0)
		return r;
	r = rtnl_link_get(lp, name, &l);
	if (r == -ENOENT)
		return err_set(err, -ENOENT, "interface '%s' does not exist", name);
	if (r < 0)
		return err_set(err, r, "local: reading link '%s': %s", name, strerror(-r));
	if (lp->is_kernel) {
		r = wg_genl_get_device(lp, name, &d, err);
	} else if (!wg_uapi_sock_exists(name)) {
		r = err_set(err, -ENOENT, "interface '%s' is not a WireGuard interface", name);
	} else {
		r = wg_uapi_get(name, &d, err);
	}
	if (r < 0)
		return r;
	snprintf(d.name, sizeof(d.name), "%s", name);
	d.ifindex = l.ifindex;
	d.up = l.up;
	d.mtu = l.mtu;
	d.rx_bytes = l.rx_bytes;
	d.tx_bytes = l.tx_bytes;
	d.flags |= DEV_IFACE_HAS_MTU | DEV_IFACE_HAS_ADDRESSES;
	for (size_t i = 0; i < d.n_peers; i++) {
		/* the kernel keeps one endpoint: configured and last seen are the same */
		struct dev_peer *p = &d.peers[i];
		snprintf(p->current_endpoint, sizeof(p->current_endpoint), "%.71s", p->endpoint);
		p->flags |= DEV_PEER_HAS_KEEPALIVE | DEV_PEER_HAS_PSK | DEV_PEER_HAS_ENDPOINT;
	}
	r = rtnl_addr_list(lp, l.ifindex, &d.addresses, &d.n_addresses);
	if (r < 0) {
		dev_iface_release(&d);
		return err_set(err, r, "local: reading addresses of '%s': %s", name, strerror(-r));
	}
	*ret = d;
	return 0;
}

/* Membership in a set sorted with ip_prefix_cmp: route sets have one entry per peer, so a
 * linear scan per entry would make every peer change O(peers^2). */
static bool prefix_in_sorted(const struct ip_prefix *p, const struct ip_prefix *v, size_t n)
{
	return n && bsearch(p, v, n, sizeof(*v), ip_prefix_cmp) != NULL;
}

static bool prefix_in(const struct ip_prefix *p, const struct ip_prefix *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].family == p->family && v[i].len == p->len &&
		    !memcmp(v[i].addr, p->addr, p->family == AF_INET ? 4 : 16))
			return true;
	return false;
}

static int apply_addresses(struct local_priv *lp, const struct dev_iface *want, int ifindex,
			   struct err *err)
{
	struct ip_prefix *cur = NULL;
	size_t n = 0;
	int r;

	r = rtnl_addr_list(lp, ifindex, &cur, &n);
	if (r < 0)
		return err_set(err, r, "local: reading addresses of '%s': %s", want->name,
			       strerror(-r));
	for (size_t i = 0; i < want->n_addresses && r == 0; i++) {
		char s[CIDR_STR_MAX];

		if (prefix_in(&want->addresses[i], cur, n))
			continue;
		r = rtnl_addr_change(lp, true, ifindex, &want->addresses[i]);
		if (r < 0) {
			ip_prefix_format(&want->addresses[i], s);
			r = err_set(err, r, "local: adding address %s to '%s': %s", s, want->name,
				    strerror(-r));
		}
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		char s[CIDR_STR_MAX];

		if (prefix_in(&cur[i], want->addresses, want->n_addresses))
			continue;
		r = rtnl_addr_change(lp, false, ifindex, &cur[i]);
		if (r < 0) {
			ip_prefix_format(&cur[i], s);
			r = err_set(err, r, "local: removing address %s from '%s': %s", s,
				    want->name, strerror(-r));
		}
	}
	free(cur);
	return r;
}

/* Records which families (bit 0 IPv4, bit 1 IPv6) interface name routes a default route for,
 * then keeps one "lookup main suppress_prefixlength 0" rule per family while any interface
 * does (wg-portal's setMainRule / cleanupMainRule). */
static int update_default_routes(struct local_priv *lp, const char *name, unsigned fams,
				 uint32_t prio_offset, struct err *err)
{
	static const int fam[] = { AF_INET, AF_INET6 };
	unsigned any = 0;
	size_t i;
	int r = 0;

	for (i = 0; i < lp->n_defaults && strcmp(lp->defaults[i].name, name); i++)
		;
	if (i < lp->n_defaults && fams) {
		lp->defaults[i].fams = fams;
	} else if (i < lp->n_defaults) {
		lp->defaults[i] = lp->defaults[--lp->n_defaults];
	} else if (fams) {
		struct lb_default_route *nv = realloc(lp->defaults,
						      (lp->n_defaults + 1) * sizeof(*nv));
		if (!nv)
			return err_set(err, -ENOMEM, "out of memory");
		lp->defaults = nv;
		snprintf(nv[lp->n_defaults].name, sizeof(nv->name), "%s", name);
		nv[lp->n_defaults++].fams = fams;
	}
	if (!prio_offset)
		return 0;
	for (i = 0; i < lp->n_defaults; i++)
		any |= lp->defaults[i].fams;
	for (i = 0; i < 2 && r == 0; i++) {
		r = rtnl_main_rule_set(lp, fam[i], any & (1U << i), prio_offset);
		if (r == -EADDRNOTAVAIL)
			r = err_set(err, r, "local: rule 'lookup main suppress_prefixlength 0': "
				    "other rules hold every priority from %u to %u", prio_offset,
				    prio_offset + RTNL_MAIN_RULE_SPAN - 1);
		else if (r < 0)
			r = err_set(err, r, "local: rule 'lookup main suppress_prefixlength 0': %s",
				    strerror(-r));
	}
	return r;
}

/* The fwmark of the interface's policy rule: its own mark, else the table number. */
static uint32_t rule_mark(const struct dev_iface *want)
{
	return (want->flags & DEV_IFACE_HAS_FWMARK) && want->fwmark ? want->fwmark : want->table;
}

static int apply_routes(struct local_priv *lp, const struct dev_iface *want, int ifindex,
			struct err *err)
{
	struct ip_prefix *cur = NULL, *wantnet = NULL;
	size_t n = 0, nw = 0;
	uint32_t table = want->table;
	int r;

	r = rtnl_route_list(lp, ifindex, table, &cur, &n);
	if (r < 0)
		return err_set(err, r, "local: reading routes of '%s': %s", want->name,
			       strerror(-r));
	/* Routes are networks: compare host-bit-free forms (10.0.0.5/24 routes 10.0.0.0/24). */
	for (size_t i = 0; i < want->n_routes && r == 0; i++) {
		struct ip_prefix net;

		ip_prefix_network(&want->routes[i], &net);
		r = lb_prefix_append(&wantnet, &nw, &net);
		if (r < 0)
			r = err_set(err, r, "out of memory");
	}
	if (n)
		qsort(cur, n, sizeof(*cur), ip_prefix_cmp);
	if (nw)
		qsort(wantnet, nw, sizeof(*wantnet), ip_prefix_cmp);
	for (size_t i = 0; i < nw && r == 0; i++) {
		char s[CIDR_STR_MAX];

		if (prefix_in_sorted(&wantnet[i], cur, n))
			continue;
		r = rtnl_route_change(lp, true, ifindex, table, &wantnet[i]);
		if (r < 0) {
			ip_prefix_format(&wantnet[i], s);
			r = err_set(err, r, "local: route %s dev '%s' table %u: %s", s, want->name,
				    table, strerror(-r));
		}
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		char s[CIDR_STR_MAX];

		if (prefix_in_sorted(&cur[i], wantnet, nw))
			continue;
		r = rtnl_route_change(lp, false, ifindex, table, &cur[i]);
		if (r < 0) {
			ip_prefix_format(&cur[i], s);
			r = err_set(err, r, "local: removing route %s dev '%s' table %u: %s", s,
				    want->name, table, strerror(-r));
		}
	}
	free(cur);
	free(wantnet);
	if (r < 0 || table == RT_TABLE_MAIN)
		return r;
	/* Traffic not yet marked by the tunnel itself is looked up in the interface's table
	 * (wg-quick). Without a configured fwmark the table number is the mark (wg-portal). */
	{
		uint32_t mark = rule_mark(want);
		static const int fams[] = { AF_INET, AF_INET6 };

		unsigned defaults = 0;

		for (size_t i = 0; i < 2 && r == 0; i++) {
			r = rtnl_rule_ensure(lp, fams[i], mark, table, rule_prio(table));
			if (r == -EAFNOSUPPORT)
				r = 0;
			if (r < 0)
				r = err_set(err, r, "local: rule 'not fwmark %u lookup %u': %s", mark,
					    table, strerror(-r));
		}
		for (size_t i = 0; i < want->n_routes; i++)
			if (want->routes[i].len == 0)
				defaults |= want->routes[i].family == AF_INET ? 1U : 2U;
		if (r == 0)
			r = update_default_routes(lp, want->name, defaults, want->rule_prio_offset,
						  err);
	}
	return r;
}

/* Before a delete: every route of the link in its table, then the policy rules (the kernel
 * drops the routes with the link, but the rules would outlive it). */
static int flush_routes(struct local_priv *lp, const struct dev_iface *want, int ifindex,
			struct err *err)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	struct ip_prefix *cur = NULL;
	size_t n = 0;
	int r = rtnl_route_list(lp, ifindex, want->table, &cur, &n);

	if (r < 0)
		return err_set(err, r, "local: reading routes of '%s': %s", want->name,
			       strerror(-r));
	for (size_t i = 0; i < n && r == 0; i++) {
		r = rtnl_route_change(lp, false, ifindex, want->table, &cur[i]);
		if (r < 0) {
			char s[CIDR_STR_MAX];
			ip_prefix_format(&cur[i], s);
			r = err_set(err, r, "local: removing route %s dev '%s' table %u: %s", s,
				    want->name, want->table, strerror(-r));
		}
	}
	free(cur);
	for (size_t i = 0; i < 2 && r == 0 && want->table != RT_TABLE_MAIN; i++) {
		r = rtnl_rule_remove(lp, fams[i], rule_mark(want), want->table);
		if (r < 0)
			r = err_set(err, r, "local: removing rule 'not fwmark %u lookup %u': %s",
				    rule_mark(want), want->table, strerror(-r));
	}
	if (r == 0 && want->table != RT_TABLE_MAIN)
		r = update_default_routes(lp, want->name, 0, want->rule_prio_offset, err);
	return r;
}

/* DEV_IFACE_ROUTES_ADD/DEL/FLUSH: one peer's routes, or the flush before a delete. Only the
 * route table (and for FLUSH the rules) is touched; the link is never created here. */
static int apply_route_change(struct local_priv *lp, const struct dev_iface *want,
			      struct err *err)
{
	struct rtnl_link l;
	bool add = want->flags & DEV_IFACE_ROUTES_ADD;
	int r = rtnl_link_get(lp, want->name, &l);

	if (r == -ENOENT)
		return err_set(err, -ENOENT, "interface '%s' does not exist", want->name);
	if (r < 0)
		return err_set(err, r, "local: reading link '%s': %s", want->name, strerror(-r));
	if (want->ifindex && want->ifindex != l.ifindex)
		return err_set(err, -ESTALE, "local: '%s' was re-created (ifindex %d, expected %d)",
			       want->name, l.ifindex, want->ifindex);
	if (!want->table)
		return 0;
	if (want->flags & DEV_IFACE_ROUTES_FLUSH)
		return flush_routes(lp, want, l.ifindex, err);
	if (!l.up)
		return 0; /* the kernel refuses routes through a link that is down */
	for (size_t i = 0; i < want->n_routes; i++) {
		r = rtnl_route_change(lp, add, l.ifindex, want->table, &want->routes[i]);
		if (r < 0) {
			char s[CIDR_STR_MAX];
			ip_prefix_format(&want->routes[i], s);
			return err_set(err, r, "local: %s route %s dev '%s' table %u: %s",
				       add ? "adding" : "removing", s, want->name, want->table,
				       strerror(-r));
		}
	}
	return 0;
}

static int local_apply_iface(struct backend *be, const struct dev_iface *want, struct err *err)
{
	struct local_priv *lp = be->priv;
	struct rtnl_link l;
	const unsigned wg_flags = DEV_IFACE_HAS_PRIVATE_KEY | DEV_IFACE_HAS_LISTEN_PORT |
				  DEV_IFACE_HAS_FWMARK;
	int r;

	r = check_name(want->name, err);
	if (r < 0)
		return r;
	if (want->flags & (DEV_IFACE_ROUTES_ADD | DEV_IFACE_ROUTES_DEL | DEV_IFACE_ROUTES_FLUSH))
		return apply_route_change(lp, want, err);
	r = rtnl_link_get(lp, want->name, &l);
	if (r == -ENOENT) {
		if (lp->is_kernel) {
			r = rtnl_link_add_wireguard(lp, want->name);
			if (r < 0)
				return err_set(err, r, "local: creating '%s': %s", want->name,
					       strerror(-r));
		} else {
			r = wggo_start(want->name, err);
			if (r < 0)
				return r;
		}
		r = rtnl_link_get(lp, want->name, &l);
	}
	if (r < 0)
		return err_set(err, r, "local: reading link '%s': %s", want->name, strerror(-r));
	if (!lp->is_kernel && !wg_uapi_sock_exists(want->name))
		return err_set(err, -EEXIST, "local: '%s' exists but is not a WireGuard interface",
			       want->name);
	if (want->flags & wg_flags) {
		r = lp->is_kernel ? wg_genl_set_device(lp, want->name, want, NULL, NULL, 0, err)
				  : wg_uapi_set(want->name, want, NULL, NULL, 0, err);
		if (r < 0)
			return r;
	}
	if ((want->flags & DEV_IFACE_HAS_MTU) && want->mtu && want->mtu != l.mtu) {
		r = rtnl_link_set(lp, l.ifindex, want->mtu, -1);
		if (r < 0)
			return err_set(err, r, "local: setting MTU %u on '%s': %s", want->mtu,
				       want->name, strerror(-r));
	}
	if (want->flags & DEV_IFACE_HAS_ADDRESSES) {
		r = apply_addresses(lp, want, l.ifindex, err);
		if (r < 0)
			return r;
	}
	if (want->up != l.up) {
		r = rtnl_link_set(lp, l.ifindex, 0, want->up ? 1 : 0);
		if (r < 0)
			return err_set(err, r, "local: setting '%s' %s: %s", want->name,
				       want->up ? "up" : "down", strerror(-r));
	}
	/* The kernel refuses (and flushes) routes through a link that is down. */
	if ((want->flags & DEV_IFACE_HAS_ROUTES) && want->table != 0 && want->up)
		r = apply_routes(lp, want, l.ifindex, err);
	return r;
}

static int local_delete_iface(struct backend *be, const char *name, struct err *err)
{
	struct local_priv *lp = be->priv;
	struct rtnl_link l;
	int r;

	r = check_name(name, err);
	if (r < 0)
		return r;
	r = rtnl_link_get(lp, name, &l);
	if (r == -ENOENT)
		return err_set(err, -ENOENT, "interface '%s' does not exist", name);
	if (r < 0)
		return err_set(err, r, "local: reading link '%s': %s", name, strerror(-r));
	/* never take away a link that is not ours to manage (a veth, a bridge named like the
	 * interface): only a WireGuard link is deleted */
	if (lp->is_kernel ? strcmp(l.kind, "wireguard") != 0 : !wg_uapi_sock_exists(name))
		return err_set(err, -ENOENT, "interface '%s' is not a WireGuard interface", name);
	r = rtnl_link_del(lp, l.ifindex);
	if (r < 0)
		return err_set(err, r, "local: deleting '%s': %s", name, strerror(-r));
	if (lp->is_kernel)
		return 0;
	/* wireguard-go notices its tun going away, exits and unlinks the socket. Bounded wait,
	 * so a re-create right after this call does not find the old socket. */
	for (int waited = 0; waited < LOCAL_DELETE_WAIT_MS && wg_uapi_sock_exists(name);
	     waited += 10)
		(void)poll(NULL, 0, 10);
	if (wg_uapi_sock_exists(name))
		return err_set(err, -ETIMEDOUT, "local: wireguard-go for '%s' did not exit", name);
	return 0;
}

static int local_apply_peers(struct backend *be, const char *name, const struct dev_peer *peers,
			     size_t n, struct err *err)
{
	struct local_priv *lp = be->priv;
	struct lb_endpoint *eps = NULL;
	struct dev_peer *writable = NULL;
	const struct dev_peer *use = peers;
	size_t nuse = n, n_ro = 0;
	struct rtnl_link l;
	int r;

	r = check_name(name, err);
	if (r < 0)
		return r;
	r = rtnl_link_get(lp, name, &l);
	if (r == -ENOENT)
		return err_set(err, -ENOENT, "interface '%s' does not exist", name);
	if (r < 0)
		return err_set(err, r, "local: reading link '%s': %s", name, strerror(-r));
	if (n == 0)
		return 0;
	/* Bad input is refused here, before the device sees it: wireguard-go would answer with a
	 * protocol error that reads like a broken device. */
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < peers[i].n_allowed_ips; k++) {
			const struct ip_prefix *a = &peers[i].allowed_ips[k];
			if ((a->family != AF_INET && a->family != AF_INET6) ||
			    a->len > ip_prefix_host_len(a->family))
				return err_field(err, -EINVAL, "AllowedIPs",
						 "invalid allowed IP (family %u, prefix /%u)",
						 a->family, a->len);
		}
	}
	/* Read-only (system) peers are never touched: send a shallow copy without them. */
	for (size_t i = 0; i < n; i++)
		n_ro += (peers[i].flags & DEV_PEER_READONLY) != 0;
	if (n_ro) {
		writable = malloc((n - n_ro) * sizeof(*writable) + 1);
		if (!writable)
			return err_set(err, -ENOMEM, "out of memory");
		nuse = 0;
		for (size_t i = 0; i < n; i++)
			if (!(peers[i].flags & DEV_PEER_READONLY))
				writable[nuse++] = peers[i];
		use = writable;
	}
	for (size_t i = 0; i < nuse; i++) {
		if (!(use[i].flags & DEV_PEER_HAS_ENDPOINT) || !use[i].endpoint[0] ||
		    (use[i].flags & DEV_PEER_REMOVE))
			continue;
		if (!eps) {
			eps = calloc(nuse, sizeof(*eps));
			if (!eps) {
				r = err_set(err, -ENOMEM, "out of memory");
				goto out;
			}
		}
		r = lb_endpoint_resolve(use[i].endpoint, &eps[i], err);
		if (r < 0)
			goto out;
	}
	r = lp->is_kernel ? wg_genl_set_device(lp, name, NULL, use, eps, nuse, err)
			  : wg_uapi_set(name, NULL, use, eps, nuse, err);
out:
	free(eps);
	if (writable) {
		/* Shallow copies carried preshared keys. */
		explicit_bzero(writable, nuse * sizeof(*writable));
		free(writable);
	}
	return r;
}

/* Ping checks go out from the host itself (nothing of the instance is touched). */
static int local_ping(struct backend *be, const char *name, const char *addr,
		      const struct backend_ping_opts *o, struct err *err)
{
	(void)be;
	(void)name;
	return icmp_echo(addr, o->unprivileged, o->timeout_ms, NULL, err);
}

const struct backend_ops backend_local = {
	.type = "local",
	.caps = LOCAL_CAPS,
	.priv_size = sizeof(struct local_priv),
	.open = local_open,
	.close = local_close,
	.list_ifaces = local_list_ifaces,
	.get_iface = local_get_iface,
	.apply_iface = local_apply_iface,
	.delete_iface = local_delete_iface,
	.apply_peers = local_apply_peers,
	.ping = local_ping,
};
