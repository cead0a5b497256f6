/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: what the local backend reads from a WireGuard device. The first input
 * byte picks the parser: even = a wireguard-go UAPI "get=1" reply (wg_uapi_parse_get), odd =
 * one kernel WG_CMD_GET_DEVICE netlink message (wg_genl_parse_device, the rest of the input
 * as the message with nlmsg_len set to its size; the same message twice to exercise the peer
 * continuation). Invariants: counts and arrays agree, prefixes are in range.
 */
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backends/backend.h"
#include "backends/local/wg_genl.h"
#include "backends/local/wg_uapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct dev_iface *d)
{
	if (d->n_peers && !d->peers)
		__builtin_trap();
	for (size_t i = 0; i < d->n_peers; i++) {
		const struct dev_peer *p = &d->peers[i];

		if (p->n_allowed_ips && !p->allowed_ips)
			__builtin_trap();
		for (size_t k = 0; k < p->n_allowed_ips; k++)
			if ((p->allowed_ips[k].family == AF_INET && p->allowed_ips[k].len > 32) ||
			    (p->allowed_ips[k].family == AF_INET6 && p->allowed_ips[k].len > 128))
				__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dev_iface d;
	void *msg;

	if (size < 1)
		return 0;
	memset(&d, 0, sizeof(d));
	if (!(data[0] & 1)) {
		if (wg_uapi_parse_get((const char *)data + 1, size - 1, &d) == 0) {
			check(&d);
			dev_iface_release(&d);
		}
		return 0;
	}
	size--;
	if (size < NLMSG_HDRLEN + GENL_HDRLEN || size > (1u << 20))
		return 0;
	/* padded to NLMSG_ALIGN with zeros, as in a receive buffer: libmnl walks attributes up
	 * to the aligned end of a message */
	msg = calloc(1, NLMSG_ALIGN(size));
	if (!msg)
		return 0;
	memcpy(msg, data + 1, size);
	((struct nlmsghdr *)msg)->nlmsg_len = (uint32_t)size;
	if (wg_genl_parse_device(msg, &d) == 0) {
		(void)wg_genl_parse_device(msg, &d); /* the same message again: a continuation */
		check(&d);
	}
	dev_iface_release(&d);
	free(msg);
	return 0;
}

#include "fuzz_standalone.h"
