/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_LOCAL_RTNL_H
#define BACKENDS_LOCAL_RTNL_H
/*
 * rtnetlink for the local backend: links (create/delete/MTU/up), addresses, routes of one link
 * in one table, and wg-quick's "not fwmark X lookup T" policy rule. All functions use
 * lp->rtnl, return 0 or the kernel's negative errno, and never log.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strv.h"

struct local_priv;
struct ip_prefix;

struct rtnl_link {
	int ifindex;
	bool up;              /* IFF_UP */
	uint32_t mtu;
	uint64_t rx_bytes, tx_bytes;  /* IFLA_STATS64 */
	char kind[32];        /* IFLA_INFO_KIND, "" when none (wireguard-go's tun has "tun") */
};

/* Link by name; -ENOENT when it does not exist. */
int rtnl_link_get(struct local_priv *lp, const char *name, struct rtnl_link *ret);
/* Appends the names of all links whose IFLA_INFO_KIND is kind. */
int rtnl_link_list_kind(struct local_priv *lp, const char *kind, struct strv *ret);
/* RTM_NEWLINK of kind "wireguard" (kernel mode). */
int rtnl_link_add_wireguard(struct local_priv *lp, const char *name);
int rtnl_link_del(struct local_priv *lp, int ifindex);
/* mtu 0 = leave; up < 0 = leave, 0 = down, 1 = up. */
int rtnl_link_set(struct local_priv *lp, int ifindex, uint32_t mtu, int up);

/* Global-scope addresses of the link (IPv6 link-local ones are skipped: the kernel owns them).
 * *ret is a heap array (free()), written on success. */
int rtnl_addr_list(struct local_priv *lp, int ifindex, struct ip_prefix **ret, size_t *ret_n);
/* RTM_NEWADDR (add) / RTM_DELADDR; adding an existing address is not an error. */
int rtnl_addr_change(struct local_priv *lp, bool add, int ifindex, const struct ip_prefix *p);

/* Unicast routes through the link in table (both families), except the kernel's own
 * (proto kernel) routes. Destinations are networks (host bits zero). */
int rtnl_route_list(struct local_priv *lp, int ifindex, uint32_t table, struct ip_prefix **ret,
		    size_t *ret_n);
/* add: RTM_NEWROUTE NLM_F_CREATE|NLM_F_REPLACE, scope link, dev ifindex; else RTM_DELROUTE.
 * p is masked to its network first. Deleting a missing route is not an error. */
int rtnl_route_change(struct local_priv *lp, bool add, int ifindex, uint32_t table,
		      const struct ip_prefix *p);
/* Adds "not fwmark <fwmark> lookup <table> priority <prio>" for family unless a rule with the
 * same table, fwmark and inversion exists. */
int rtnl_rule_ensure(struct local_priv *lp, int family, uint32_t fwmark, uint32_t table,
		     uint32_t prio);
/* Removes that rule (any priority); a missing rule is not an error. */
int rtnl_rule_remove(struct local_priv *lp, int family, uint32_t fwmark, uint32_t table);
/* Priorities from prio_offset on that the main rule may take (the first one no rule holds). */
#define RTNL_MAIN_RULE_SPAN 1024
/* want: adds "lookup main suppress_prefixlength 0" at the first free priority from
 * prio_offset unless such a rule exists (any priority), -EADDRNOTAVAIL when other rules hold
 * every priority of the span; !want: removes those within prio_offset .. prio_offset + 1023
 * (wg-portal's range; a rule elsewhere is not ours). */
int rtnl_main_rule_set(struct local_priv *lp, int family, bool want, uint32_t prio_offset);

#endif
