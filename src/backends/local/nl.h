/* SPDX-License-Identifier: MIT */
#ifndef BACKENDS_LOCAL_NL_H
#define BACKENDS_LOCAL_NL_H
/* One netlink request/response exchange over libmnl, shared by rtnl.c and wg_genl.c. */
#include <libmnl/libmnl.h>

/* Opens a netlink socket of the given bus, bound, with a receive timeout so a silent kernel
 * cannot block us forever. Returns the socket or NULL (errno set). */
struct mnl_socket *lb_nl_open(int bus);

/*
 * Sends nlh and runs cb(data) over every reply until the ack (NLM_F_ACK) or NLMSG_DONE (dumps).
 * When cb fails (returns MNL_CB_ERROR with errno set), the rest of the dump is still drained so
 * the socket stays in step. Returns 0, the kernel's negative errno, or the callback's -errno.
 */
int lb_nl_talk(struct mnl_socket *nl, const struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

#endif
