/* SPDX-License-Identifier: MIT */
/*
 * Endpoint parsing, formatting and comparison (see endpoint.h for the rules). Addresses go
 * through inet_pton (no zone ids, no short forms), names through the hostname rule of the
 * validators, ports are plain decimal 1..65535 without sign or leading spaces.
 */
#include "model/endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "model/model-int.h"

static int parse_port(const char *s, uint16_t *ret)
{
	unsigned v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 5)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

/* host: an IPv4/IPv6 address or a DNS name; v6_only: it came in brackets. */
static int set_host(struct endpoint *ep, const char *host, size_t len, bool v6_only)
{
	if (len == 0 || len >= sizeof(ep->host))
		return -EINVAL;
	memcpy(ep->host, host, len);
	ep->host[len] = '\0';
	if (inet_pton(AF_INET6, ep->host, ep->addr) == 1) {
		ep->family = AF_INET6;
		return 0;
	}
	if (v6_only)
		return -EINVAL;
	if (inet_pton(AF_INET, ep->host, ep->addr) == 1) {
		ep->family = AF_INET;
		return 0;
	}
	/* all digits and dots but no address ("1.2.3"): a typo, not a name */
	if (strspn(ep->host, "0123456789.") == len)
		return -EINVAL;
	return model_hostname_is_valid(ep->host) ? 0 : -EINVAL;
}

int endpoint_parse(const char *s, bool port_optional, struct endpoint *ret)
{
	struct endpoint ep;
	const char *port = NULL;
	int r;

	memset(&ep, 0, sizeof(ep));
	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] != ':' && !(close[1] == '\0' && port_optional)))
			return -EINVAL;
		if ((r = set_host(&ep, s + 1, (size_t)(close - s - 1), true)) < 0)
			return r;
		if (close[1] == ':')
			port = close + 2;
	} else {
		const char *colon = strchr(s, ':');

		/* a bare IPv6 address must be bracketed: at most one colon here */
		if (colon && strchr(colon + 1, ':'))
			return -EINVAL;
		if (!colon && !port_optional)
			return -EINVAL;
		if ((r = set_host(&ep, s, colon ? (size_t)(colon - s) : strlen(s), false)) < 0)
			return r;
		if (ep.family == AF_INET6)
			return -EINVAL;
		if (colon)
			port = colon + 1;
	}
	if (port && parse_port(port, &ep.port) < 0)
		return -EINVAL;
	*ret = ep;
	return 0;
}

int endpoint_from_parts(const char *host, unsigned long port, struct endpoint *ret)
{
	struct endpoint ep;

	memset(&ep, 0, sizeof(ep));
	if (!host || port > 65535 || set_host(&ep, host, strlen(host), false) < 0)
		return -EINVAL;
	ep.port = (uint16_t)port;
	*ret = ep;
	return 0;
}

void endpoint_format(const struct endpoint *ep, char out[static ENDPOINT_STR_MAX])
{
	bool v6 = ep->family == AF_INET6;

	if (!ep->port)
		snprintf(out, ENDPOINT_STR_MAX, v6 ? "[%s]" : "%s", ep->host);
	else
		snprintf(out, ENDPOINT_STR_MAX, v6 ? "[%s]:%u" : "%s:%u", ep->host, ep->port);
}

/* DNS names compare without regard to case or a trailing dot. */
static bool names_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && !strncasecmp(a, b, la);
}

bool endpoint_equal(const struct endpoint *a, const struct endpoint *b)
{
	if (a->port != b->port || a->family != b->family)
		return false;
	if (!a->family)
		return names_equal(a->host, b->host);
	return !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

bool endpoint_str_equal(const char *a, const char *b)
{
	struct endpoint ea, eb;

	a = a ? a : "";
	b = b ? b : "";
	if (!*a || !*b)
		return !*a && !*b;
	if (endpoint_parse(a, true, &ea) < 0 || endpoint_parse(b, true, &eb) < 0)
		return !strcmp(a, b);
	return endpoint_equal(&ea, &eb);
}
