/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the local backend's files: interface-name validation, endpoint
 * resolution/formatting, growing prefix arrays and key hex coding (the UAPI wire form).
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
	char host[72];
	const char *port, *hs;
	size_t hlen;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_protocol = IPPROTO_UDP };
	struct addrinfo *res = NULL;
	int r;

	if (!s || !*s || strlen(s) >= sizeof(host))
		return err_set(err, -EINVAL, "invalid endpoint");
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return err_set(err, -EINVAL, "invalid endpoint '%s'", s);
		hs = s + 1;
		hlen = (size_t)(end - hs);
		port = end + 2;
	} else {
		const char *colon = strrchr(s, ':');

		/* A bare IPv6 address with a port must be bracketed. */
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return err_set(err, -EINVAL, "invalid endpoint '%s'", s);
		hs = s;
		hlen = (size_t)(colon - s);
		port = colon + 1;
	}
	if (hlen == 0 || !*port || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 ||
	    atoi(port) > 65535)
		return err_set(err, -EINVAL, "invalid endpoint '%s'", s);
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	/* Numeric hosts first: no DNS round trip for the common case. */
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	r = getaddrinfo(host, port, &hints, &res);
	if (r == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
		r = getaddrinfo(host, port, &hints, &res);
	}
	if (r != 0 || !res)
		return err_set(err, -EHOSTUNREACH, "cannot resolve endpoint '%s': %s", s,
			       gai_strerror(r));
	if (res->ai_addrlen > sizeof(ret->ss)) {
		freeaddrinfo(res);
		return err_set(err, -EINVAL, "invalid endpoint '%s'", s);
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

void lb_key_to_hex(char out[static 65], const uint8_t key[static 32])
{
	static const char hx[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[key[i] >> 4];
		out[2 * i + 1] = hx[key[i] & 15];
	}
	out[64] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int lb_key_from_hex(uint8_t key[static 32], const char *hex, size_t len)
{
	uint8_t tmp[32];

	if (len != 64)
		return -EINVAL;
	for (int i = 0; i < 32; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			explicit_bzero(tmp, sizeof(tmp));
			return -EINVAL;
		}
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(key, tmp, 32);
	explicit_bzero(tmp, sizeof(tmp));
	return 0;
}

uint32_t lb_next_seq(struct local_priv *lp)
{
	return ++lp->seq;
}

bool lb_key_is_zero(const uint8_t key[static 32])
{
	uint8_t acc = 0;

	for (int i = 0; i < 32; i++)
		acc |= key[i];
	return acc == 0;
}
