/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the local backend's files: interface-name validation, endpoint
 * resolution/formatting and growing prefix arrays.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/local/local-int.h"
#include "model/cidr.h"
#include "model/endpoint.h"
#include "util/err.h"

bool lb_ifname_is_valid(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strlen(name);
	if (len < 1 || len > 15)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '=' || c == '+' || c == '.' || c == '-'))
			return false;
	}
	/* "." and ".." would name directory entries in /var/run/wireguard and /sys/class/net. */
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	return true;
}

int lb_endpoint_resolve(const char *s, struct lb_endpoint *ret, struct err *err)
{
	char port[8];
	struct endpoint ep;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_protocol = IPPROTO_UDP };
	struct addrinfo *res = NULL;
	int r;

	if (!s || endpoint_parse(s, false, &ep) < 0)
		return err_set(err, -EINVAL, "invalid endpoint '%.64s'", s ? s : "");
	snprintf(port, sizeof(port), "%u", ep.port);
	/* Numeric hosts first: no DNS round trip for the common case. */
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	r = getaddrinfo(ep.host, port, &hints, &res);
	if (r == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
		r = getaddrinfo(ep.host, port, &hints, &res);
	}
	if (r != 0 || !res)
		return err_set(err, -EHOSTUNREACH, "cannot resolve endpoint '%.64s': %s", s,
			       gai_strerror(r));
	if (res->ai_addrlen > sizeof(ret->ss)) {
		freeaddrinfo(res);
		return err_set(err, -EINVAL, "invalid endpoint '%.64s'", s);
	}
	memset(ret, 0, sizeof(*ret));
	memcpy(&ret->ss, res->ai_addr, res->ai_addrlen);
	ret->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int lb_endpoint_format(const struct sockaddr *sa, socklen_t len, char *out, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(out, size, "%s:%u", a, ntohs(in->sin_port));
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(out, size, "[%s]:%u", a, ntohs(in6->sin6_port));
		return 0;
	}
	return -EAFNOSUPPORT;
}

int lb_prefix_append(struct ip_prefix **v, size_t *n, const struct ip_prefix *p)
{
	size_t cur = *n;

	/* Capacity is max(4, next power of two >= n): grow when n is 0 or a power of two >= 4. */
	if (cur == 0 || (cur >= 4 && (cur & (cur - 1)) == 0)) {
		size_t cap = cur == 0 ? 4 : cur * 2;
		struct ip_prefix *nv = realloc(*v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
	}
	(*v)[cur] = *p;
	*n = cur + 1;
	return 0;
}

uint32_t lb_next_seq(struct local_priv *lp)
{
	return ++lp->seq;
}
