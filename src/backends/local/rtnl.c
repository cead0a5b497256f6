/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink requests of the local backend (libmnl): link state, addresses, per-link routes in
 * one table and the fwmark policy rule. Dumps filter in user space as well, because older
 * kernels ignore the dump filters in the request header.
 */
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/local/local-int.h"
#include "backends/local/nl.h"
#include "backends/local/rtnl.h"
#include "model/cidr.h"

#define RTNL_REQ_SIZE 1024

static struct nlmsghdr *req_init(struct local_priv *lp, char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, RTNL_REQ_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = lb_next_seq(lp);
	return nlh;
}

/* --- links ------------------------------------------------------------------------------ */

static void parse_linkinfo(const struct nlattr *nest, struct rtnl_link *l)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
		    mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
			snprintf(l->kind, sizeof(l->kind), "%.*s",
				 (int)strnlen(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a)),
				 (const char *)mnl_attr_get_payload(a));
}

static int parse_link(const struct nlmsghdr *nlh, struct rtnl_link *l, const char **name)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -EPROTO;
	memset(l, 0, sizeof(*l));
	*name = NULL;
	l->ifindex = ifi->ifi_index;
	l->up = ifi->ifi_flags & IFF_UP;
	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				*name = mnl_attr_get_str(a);
			break;
		case IFLA_MTU:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				l->mtu = mnl_attr_get_u32(a);
			break;
		case IFLA_STATS64: {
			struct rtnl_link_stats64 st;

			if (mnl_attr_get_payload_len(a) >= sizeof(st)) {
				memcpy(&st, mnl_attr_get_payload(a), sizeof(st));
				l->rx_bytes = st.rx_bytes;
				l->tx_bytes = st.tx_bytes;
			}
			break;
		}
		case IFLA_LINKINFO:
			parse_linkinfo(a, l);
			break;
		}
	}
	return 0;
}

static int link_get_cb(const struct nlmsghdr *nlh, void *data)
{
	const char *name;

	if (parse_link(nlh, data, &name) < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int rtnl_link_get(struct local_priv *lp, const char *name, struct rtnl_link *ret)
{
	char buf[RTNL_REQ_SIZE];
	struct nlmsghdr *nlh = req_init(lp, buf, RTM_GETLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct rtnl_link l = { .ifindex = 0 };
	int r;

	ifi->ifi_family = AF_UNSPEC;
	if (strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	r = lb_nl_talk(lp->rtnl, nlh, link_get_cb, &l);
	if (r == -ENODEV)
		return -ENOENT;
	if (r < 0)
		return r;
	if (l.ifindex <= 0)
		return -ENOENT;
	*ret = l;
	return 0;
}

struct list_kind_ctx {
	const char *kind;
	struct strv *out;
};

static int list_kind_cb(const struct nlmsghdr *nlh, void *data)
{
	struct list_kind_ctx *c = data;
	struct rtnl_link l;
	const char *name;

	if (parse_link(nlh, &l, &name) < 0)
		return MNL_CB_OK; /* not a link message; nothing to collect */
	if (name && !strcmp(l.kind, c->kind) && strv_push(c->out, name) < 0) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int rtnl_link_list_kind(struct local_priv *lp, const char *kind, struct strv *ret)
{
	char buf[RTNL_REQ_SIZE];
	struct nlmsghdr *nlh = req_init(lp, buf, RTM_GETLINK, NLM_F_DUMP);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct list_kind_ctx c = { kind, ret };

	ifi->ifi_family = AF_UNSPEC;
	return lb_nl_talk(lp->rtnl, nlh, list_kind_cb, &c);
}

int rtnl_link_add_wireguard(struct local_priv *lp, const char *name)
{
	char buf[RTNL_REQ_SIZE];
	struct nlmsghdr *nlh = req_init(lp, buf, RTM_NEWLINK,
					NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *nest;

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "wireguard");
	mnl_attr_nest_end(nlh, nest);
	return lb_nl_talk(lp->rtnl, nlh, NULL, NULL);
}

int rtnl_link_del(struct local_priv *lp, int ifindex)
{
	char buf[RTNL_REQ_SIZE];
	struct nlmsghdr *nlh = req_init(lp, buf, RTM_DELLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	int r;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	r = lb_nl_talk(lp->rtnl, nlh, NULL, NULL);
	return r == -ENODEV ? -ENOENT : r;
}

int rtnl_link_set(struct local_priv *lp, int ifindex, uint32_t mtu, int up)
{
	char buf[RTNL_REQ_SIZE];
	struct nlmsghdr *nlh = req_init(lp, buf, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (up >= 0) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = up ? IFF_UP : 0;
	}
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return lb_nl_talk(lp->rtnl, nlh, NULL, NULL);
}

/* --- addresses -------------------------------------------------------------------------- */

struct prefix_list_ctx {
	int ifindex;
	uint32_t table;
	struct ip_prefix *v;
	size_t n;
};

static int addr_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct prefix_list_ctx *c = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *local = NULL, *address = NULL, *use;
	struct ip_prefix p = { 0 };
	size_t alen;

	if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return MNL_CB_OK;
	if ((int)ifa->ifa_index != c->ifindex)
		return MNL_CB_OK;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	if (ifa->ifa_family == AF_INET6 && ifa->ifa_scope == RT_SCOPE_LINK)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_type(a) == IFA_LOCAL)
			local = a;
		else if (mnl_attr_get_type(a) == IFA_ADDRESS)
			address = a;
	}
	/* IFA_LOCAL is the own address; IFA_ADDRESS is the peer on point-to-point links. */
	use = local ? local : address;
	if (!use)
		return MNL_CB_OK;
	alen = ifa->ifa_family == AF_INET ? 4 : 16;
	if (mnl_attr_get_payload_len(use) != alen)
		return MNL_CB_OK;
	p.family = ifa->ifa_family;
	p.len = ifa->ifa_prefixlen;
	memcpy(p.addr, mnl_attr_get_payload(use), alen);
	if (lb_prefix_append(&c->v, &c->n, &p) < 0) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int rtnl_addr_list(struct local_priv *lp, int ifindex, struct ip_prefix **ret, size_t *ret_n)
{
	char buf[RTNL_REQ_SIZE];
	struct nlmsghdr *nlh = req_init(lp, buf, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	struct prefix_list_ctx c = { .ifindex = ifindex };
	int r;

	ifa->ifa_family = AF_UNSPEC;
	ifa->ifa_index = (unsigned)ifindex;
	r = lb_nl_talk(lp->rtnl, nlh, addr_list_cb, &c);
	if (r < 0) {
		free(c.v);
		return r;
	}
	*ret = c.v;
	*ret_n = c.n;
	return 0;
}

int rtnl_addr_change(struct local_priv *lp, bool add, int ifindex, const struct ip_prefix *p)
{
	char buf[RTNL_REQ_SIZE];
	struct nlmsghdr *nlh = req_init(lp, buf, add ? RTM_NEWADDR : RTM_DELADDR,
					NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0));
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	size_t alen = p->family == AF_INET6 ? 16 : 4;
	int r;

	if (p->family != AF_INET && p->family != AF_INET6)
		return -EAFNOSUPPORT;
	ifa->ifa_family = p->family;
	ifa->ifa_prefixlen = p->len;
	ifa->ifa_index = (unsigned)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put(nlh, IFA_LOCAL, alen, p->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, p->addr);
	r = lb_nl_talk(lp->rtnl, nlh, NULL, NULL);
	if (add && r == -EEXIST)
		return 0;
	if (!add && r == -EADDRNOTAVAIL)
		return 0;
	return r;
}

/* --- routes ----------------------------------------------------------------------------- */

static void put_table(struct nlmsghdr *nlh, unsigned char *hdr_table, uint32_t table)
{
	/* Tables above 255 only fit into the attribute. */
	*hdr_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
}

static int route_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct prefix_list_ctx *c = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	uint32_t table, oif = 0;
	struct ip_prefix p = { 0 };
	size_t alen;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_OK;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return MNL_CB_OK;
	/* The kernel's own routes (address prefixes, fe80::/64) are not ours to remove. */
	if (rtm->rtm_type != RTN_UNICAST || rtm->rtm_protocol == RTPROT_KERNEL)
		return MNL_CB_OK;
	alen = rtm->rtm_family == AF_INET ? 4 : 16;
	table = rtm->rtm_table;
	p.family = rtm->rtm_family;
	p.len = rtm->rtm_dst_len;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(a)) {
		case RTA_TABLE:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				table = mnl_attr_get_u32(a);
			break;
		case RTA_OIF:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				oif = mnl_attr_get_u32(a);
			break;
		case RTA_DST:
			if (mnl_attr_get_payload_len(a) == alen)
				memcpy(p.addr, mnl_attr_get_payload(a), alen);
			break;
		}
	}
	if (table != c->table || (int)oif != c->ifindex)
		return MNL_CB_OK;
	if (lb_prefix_append(&c->v, &c->n, &p) < 0) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int rtnl_route_list(struct local_priv *lp, int ifindex, uint32_t table, struct ip_prefix **ret,
		    size_t *ret_n)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct prefix_list_ctx c = { .ifindex = ifindex, .table = table };

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		char buf[RTNL_REQ_SIZE];
		struct nlmsghdr *nlh = req_init(lp, buf, RTM_GETROUTE, NLM_F_DUMP);
		struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		int r;

		rtm->rtm_family = (unsigned char)families[i];
		r = lb_nl_talk(lp->rtnl, nlh, route_list_cb, &c);
		/* A kernel without IPv6 answers EAFNOSUPPORT: no routes of that family. */
		if (r == -EAFNOSUPPORT)
			continue;
		if (r < 0) {
			free(c.v);
			return r;
		}
	}
	*ret = c.v;
	*ret_n = c.n;
	return 0;
}

int rtnl_route_change(struct local_priv *lp, bool add, int ifindex, uint32_t table,
		      const struct ip_prefix *p)
{
	char buf[RTNL_REQ_SIZE];
	struct nlmsghdr *nlh = req_init(lp, buf, add ? RTM_NEWROUTE : RTM_DELROUTE,
					NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0));
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct ip_prefix net;
	size_t alen = p->family == AF_INET6 ? 16 : 4;
	int r;

	if (p->family != AF_INET && p->family != AF_INET6)
		return -EAFNOSUPPORT;
	ip_prefix_network(p, &net);
	rtm->rtm_family = net.family;
	rtm->rtm_dst_len = net.len;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = add ? RT_SCOPE_LINK : RT_SCOPE_NOWHERE;
	rtm->rtm_type = RTN_UNICAST;
	put_table(nlh, &rtm->rtm_table, table);
	if (net.len > 0)
		mnl_attr_put(nlh, RTA_DST, alen, net.addr);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	r = lb_nl_talk(lp->rtnl, nlh, NULL, NULL);
	if (!add && r == -ESRCH)
		return 0;
	return r;
}

/* --- policy rule ------------------------------------------------------------------------ */

struct rule_find_ctx {
	uint32_t fwmark, table;
	bool found;
};

static int rule_find_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rule_find_ctx *c = data;
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	uint32_t table, fwmark = 0;
	bool has_mark = false;

	if (nlh->nlmsg_type != RTM_NEWRULE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*frh))
		return MNL_CB_OK;
	table = frh->table;
	mnl_attr_for_each(a, nlh, sizeof(*frh)) {
		if (mnl_attr_get_type(a) == FRA_TABLE && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			table = mnl_attr_get_u32(a);
		else if (mnl_attr_get_type(a) == FRA_FWMARK &&
			 mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			fwmark = mnl_attr_get_u32(a);
			has_mark = true;
		}
	}
	if (table == c->table && has_mark && fwmark == c->fwmark && (frh->flags & FIB_RULE_INVERT))
		c->found = true;
	return MNL_CB_OK;
}

/* The body of "not fwmark <fwmark> lookup <table>" for family (add and delete alike). */
static void put_rule(struct nlmsghdr *nlh, int family, uint32_t fwmark, uint32_t table)
{
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));

	frh->family = (unsigned char)family;
	frh->action = FR_ACT_TO_TBL;
	frh->flags = FIB_RULE_INVERT;
	frh->table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	mnl_attr_put_u32(nlh, FRA_FWMARK, fwmark);
	mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffffU);
}

int rtnl_rule_ensure(struct local_priv *lp, int family, uint32_t fwmark, uint32_t table,
		     uint32_t prio)
{
	char buf[RTNL_REQ_SIZE];
	struct nlmsghdr *nlh = req_init(lp, buf, RTM_GETRULE, NLM_F_DUMP);
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	struct rule_find_ctx c = { .fwmark = fwmark, .table = table };
	int r;

	frh->family = (unsigned char)family;
	r = lb_nl_talk(lp->rtnl, nlh, rule_find_cb, &c);
	if (r < 0)
		return r;
	if (c.found)
		return 0;
	nlh = req_init(lp, buf, RTM_NEWRULE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	put_rule(nlh, family, fwmark, table);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);
	r = lb_nl_talk(lp->rtnl, nlh, NULL, NULL);
	return r == -EEXIST ? 0 : r;
}

int rtnl_rule_remove(struct local_priv *lp, int family, uint32_t fwmark, uint32_t table)
{
	char buf[RTNL_REQ_SIZE];
	struct nlmsghdr *nlh = req_init(lp, buf, RTM_DELRULE, NLM_F_ACK);
	int r;

	/* the kernel deletes the first rule matching every attribute given here */
	put_rule(nlh, family, fwmark, table);
	r = lb_nl_talk(lp->rtnl, nlh, NULL, NULL);
	return r == -ENOENT || r == -EAFNOSUPPORT ? 0 : r;
}

/* --- "lookup main suppress_prefixlength 0" ------------------------------------------------- */

/* Priorities at and above the offset that count as ours (the rule is one per family). */
#define MAIN_RULE_SPAN RTNL_MAIN_RULE_SPAN

struct main_rule_ctx {
	uint32_t lo;
	bool found;                       /* a main-table suppress_prefixlength 0 rule, any prio */
	uint8_t used[MAIN_RULE_SPAN];     /* priorities lo.. taken by any rule */
	uint8_t ours[MAIN_RULE_SPAN];     /* ... by a main suppress_prefixlength 0 rule */
};

static int main_rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct main_rule_ctx *c = data;
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	uint32_t table, prio = 0, suppress = UINT32_MAX;

	if (nlh->nlmsg_type != RTM_NEWRULE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*frh))
		return MNL_CB_OK;
	table = frh->table;
	mnl_attr_for_each(a, nlh, sizeof(*frh)) {
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			continue;
		switch (mnl_attr_get_type(a)) {
		case FRA_TABLE:
			table = mnl_attr_get_u32(a);
			break;
		case FRA_PRIORITY:
			prio = mnl_attr_get_u32(a);
			break;
		case FRA_SUPPRESS_PREFIXLEN:
			suppress = mnl_attr_get_u32(a);
			break;
		}
	}
	bool is_main = table == RT_TABLE_MAIN && suppress == 0;
	c->found |= is_main;
	if (prio >= c->lo && prio - c->lo < MAIN_RULE_SPAN) {
		c->used[prio - c->lo] = 1;
		c->ours[prio - c->lo] |= is_main;
	}
	return MNL_CB_OK;
}

static int main_rule_dump(struct local_priv *lp, int family, struct main_rule_ctx *c)
{
	char buf[RTNL_REQ_SIZE];
	struct nlmsghdr *nlh = req_init(lp, buf, RTM_GETRULE, NLM_F_DUMP);
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));

	frh->family = (unsigned char)family;
	return lb_nl_talk(lp->rtnl, nlh, main_rule_cb, c);
}

static int main_rule_change(struct local_priv *lp, bool add, int family, uint32_t prio)
{
	char buf[RTNL_REQ_SIZE];
	struct nlmsghdr *nlh = req_init(lp, buf, add ? RTM_NEWRULE : RTM_DELRULE,
					NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0));
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));

	frh->family = (unsigned char)family;
	frh->action = FR_ACT_TO_TBL;
	frh->table = RT_TABLE_MAIN;
	mnl_attr_put_u32(nlh, FRA_TABLE, RT_TABLE_MAIN);
	mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, 0);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);
	return lb_nl_talk(lp->rtnl, nlh, NULL, NULL);
}

int rtnl_main_rule_set(struct local_priv *lp, int family, bool want, uint32_t prio_offset)
{
	struct main_rule_ctx *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->lo = prio_offset;
	r = main_rule_dump(lp, family, c);
	if (r == 0 && want && !c->found) {
		uint32_t i = 0;
		while (i < MAIN_RULE_SPAN && c->used[i])
			i++;
		/* every priority of the span taken by other rules: exhausted, like an address
		 * space (not -ENOSPC, which the API reports as our own storage being full) */
		r = i < MAIN_RULE_SPAN ? main_rule_change(lp, true, family, prio_offset + i)
				       : -EADDRNOTAVAIL;
		if (r == -EEXIST)
			r = 0;
	}
	for (uint32_t i = 0; r == 0 && !want && i < MAIN_RULE_SPAN; i++) {
		if (!c->ours[i])
			continue;
		r = main_rule_change(lp, false, family, prio_offset + i);
		if (r == -ENOENT)
			r = 0;
	}
	free(c);
	return r == -EAFNOSUPPORT ? 0 : r;
}
