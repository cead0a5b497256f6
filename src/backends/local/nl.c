/* SPDX-License-Identifier: MIT */
/*
 * Netlink request/response loop for the local backend. Every request carries its own sequence
 * number; replies are matched by libmnl (mnl_cb_run checks seq and port id), and a failed
 * callback still drains the dump so the next request does not read stale messages.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "backends/local/local-int.h"
#include "backends/local/nl.h"

struct mnl_socket *lb_nl_open(int bus)
{
	struct mnl_socket *nl = mnl_socket_open2(bus, SOCK_CLOEXEC);
	struct timeval tv = { .tv_sec = 5 };
	int one = 1;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* Extended acks are informative only; ignore failure on old kernels. */
	(void)mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	return nl;
}

struct nl_wrap {
	mnl_cb_t cb;
	void *data;
	int err; /* first callback error; later messages are skipped but still consumed */
};

static int nl_wrap_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_wrap *w = data;

	if (w->err || !w->cb)
		return MNL_CB_OK;
	errno = 0;
	if (w->cb(nlh, w->data) == MNL_CB_ERROR) {
		w->err = errno ? -errno : -EPROTO;
		return MNL_CB_OK;
	}
	return MNL_CB_OK;
}

int lb_nl_talk(struct mnl_socket *nl, const struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	uint32_t seq = nlh->nlmsg_seq, portid = mnl_socket_get_portid(nl);
	struct nl_wrap w = { .cb = cb, .data = data };
	char *buf;
	int r = 0;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	buf = malloc(LB_NL_RECV_SIZE);
	if (!buf)
		return -ENOMEM;
	/* Bounded by the kernel: every reply ends with an ack or NLMSG_DONE, and each recv has a
	 * timeout (lb_nl_open). */
	for (;;) {
		ssize_t len = mnl_socket_recvfrom(nl, buf, LB_NL_RECV_SIZE);
		int rc;

		if (len < 0) {
			r = (errno == EAGAIN || errno == EWOULDBLOCK) ? -ETIMEDOUT : -errno;
			break;
		}
		errno = 0;
		rc = mnl_cb_run(buf, (size_t)len, seq, portid, nl_wrap_cb, &w);
		if (rc == MNL_CB_STOP)
			break;
		if (rc == MNL_CB_ERROR) {
			/* Only the kernel's NLMSG_ERROR (or a foreign sequence number) gets here. */
			r = errno ? -errno : -EPROTO;
			break;
		}
	}
	free(buf);
	if (w.err && r == 0)
		r = w.err;
	return r;
}
