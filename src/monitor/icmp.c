/* SPDX-License-Identifier: MIT */
/*
 * ICMP echo from the host, IPv4 and IPv6, raw or datagram socket (statistics.ping_unprivileged).
 * One socket per call, connected to the target so the kernel already drops replies from other
 * hosts; raw sockets still see every echo reply from that host, so identifier, sequence and a
 * random cookie in the payload must match too. Datagram sockets get their identifier from the
 * kernel (it is the socket's "port"), which also does the matching, so only the sequence and
 * cookie are checked there.
 */
#include "monitor/icmp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"

#define ICMP_PAYLOAD 16
#define RAW_ICMP_FILTER 1 /* ICMP_FILTER of <linux/icmp.h>, which clashes with glibc's */

struct echo {
	uint8_t type, code;
	uint16_t cksum, id, seq;
	uint8_t data[ICMP_PAYLOAD];
} __attribute__((packed));

static unsigned short seq_counter;

uint16_t icmp_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 8];
	size_t n = strcspn(addr, "/");
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	if (n == 0 || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, addr, n);
	host[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

static int open_socket(int family, bool unprivileged, struct err *err)
{
	int type = (unprivileged ? SOCK_DGRAM : SOCK_RAW) | SOCK_CLOEXEC | SOCK_NONBLOCK;
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int fd = socket(family, type, proto);

	if (fd >= 0)
		return fd;
	if (errno == EPERM || errno == EACCES) {
		if (unprivileged)
			return err_set(err, -EACCES, "ICMP datagram sockets are not permitted for our "
				       "group (sysctl net.ipv4.ping_group_range)");
		return err_set(err, -EACCES, "raw ICMP sockets need CAP_NET_RAW (or set "
			       "statistics.ping_unprivileged: true)");
	}
	return err_set(err, -errno, "ICMP socket: %s", strerror(errno));
}

/* Until connect() a raw socket gets every echo reply of the host; under load (a thread
 * descheduled between socket() and connect()) that backlog can fill its receive queue so our
 * own reply would be dropped: empty it before sending. Always returns false. */
static bool drain(int fd, uint8_t *buf, size_t size)
{
	while (recv(fd, buf, size, MSG_DONTWAIT) >= 0)
		;
	return false;
}

/* Is buf (n bytes, as received) the reply to req? */
static bool is_reply(const uint8_t *buf, ssize_t n, int family, bool unprivileged,
		     const struct echo *req)
{
	const struct echo *rep;

	if (family == AF_INET && !unprivileged) {
		/* raw IPv4 sockets deliver the IP header first */
		if (n < (ssize_t)sizeof(struct iphdr))
			return false;
		size_t hl = (size_t)(buf[0] & 0x0f) * 4;
		if (hl < sizeof(struct iphdr) || (ssize_t)hl > n)
			return false;
		buf += hl;
		n -= (ssize_t)hl;
	}
	if (n < (ssize_t)sizeof(*rep))
		return false;
	rep = (const struct echo *)buf;
	if (rep->type != (family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY))
		return false;
	if (!unprivileged && rep->id != req->id)
		return false;
	return rep->seq == req->seq && !memcmp(rep->data, req->data, sizeof(req->data));
}

int icmp_echo(const char *addr, bool unprivileged, int timeout_ms, int64_t *ret_rtt_us,
	      struct err *err)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct echo req;
	uint8_t buf[1024];
	int64_t t0, deadline;
	int fd, r = 0;

	if (!addr || parse_addr(addr, &ss, &sl) < 0)
		return err_set(err, -EINVAL, "'%.64s' is not an IP address", addr ? addr : "");
	memset(&req, 0, sizeof(req));
	req.type = ss.ss_family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	if (getrandom(&req.id, sizeof(req.id), 0) != sizeof(req.id) ||
	    getrandom(req.data, sizeof(req.data), 0) != sizeof(req.data))
		return err_set(err, -EIO, "no random bytes for the ICMP cookie");
	req.seq = htons(__atomic_add_fetch(&seq_counter, 1, __ATOMIC_RELAXED));
	/* IPv4: we fill the checksum (datagram sockets recompute it after setting the id);
	 * ICMPv6: the kernel always computes it over the pseudo-header */
	if (ss.ss_family == AF_INET)
		req.cksum = icmp_checksum(&req, sizeof(req));
	fd = open_socket(ss.ss_family, unprivileged, err);
	if (fd < 0)
		return fd;
	if (!unprivileged) {
		/* raw sockets: only echo replies (not every other socket's requests) */
		if (ss.ss_family == AF_INET6) {
			struct icmp6_filter f;
			ICMP6_FILTER_SETBLOCKALL(&f);
			ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
			(void)setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
		} else {
			/* struct icmp_filter of <linux/icmp.h>: a bit set = type blocked */
			uint32_t f = ~(1U << ICMP_ECHOREPLY);
			(void)setsockopt(fd, SOL_RAW, RAW_ICMP_FILTER, &f, sizeof(f));
		}
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 || drain(fd, buf, sizeof(buf)) ||
	    send(fd, &req, sizeof(req), 0) < 0) {
		if (errno == ENETUNREACH || errno == EHOSTUNREACH || errno == EHOSTDOWN ||
		    errno == ECONNREFUSED || errno == EADDRNOTAVAIL) {
			goto out; /* r = 0: not answered */
		}
		r = err_set(err, -errno, "ICMP echo to '%.64s': %s", addr, strerror(errno));
		goto out;
	}
	t0 = now_us();
	deadline = t0 + (int64_t)(timeout_ms > 0 ? timeout_ms : 2000) * 1000;
	for (;;) {
		int64_t left = deadline - now_us();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int pr;

		if (left <= 0)
			break;
		pr = poll(&pfd, 1, (int)((left + 999) / 1000));
		if (pr == 0 || (pr < 0 && errno != EINTR))
			break;
		if (pr < 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			/* an ICMP error for our request (unreachable) arrives as a socket error */
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (errno == EHOSTUNREACH || errno == ENETUNREACH || errno == ECONNREFUSED)
				break;
			continue;
		}
		if (is_reply(buf, n, ss.ss_family, unprivileged, &req)) {
			if (ret_rtt_us)
				*ret_rtt_us = now_us() - t0;
			r = 1;
			break;
		}
	}
out:
	close(fd);
	return r;
}
