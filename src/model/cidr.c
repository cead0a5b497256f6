/* SPDX-License-Identifier: MIT */
/*
 * IP prefixes: strict parsing (inet_pton for the address, plain decimal prefix without sign or
 * leading zeros), formatting and the arithmetic address allocation needs.
 */
#include "model/cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static int addr_bytes(int family)
{
	return family == AF_INET ? 4 : 16;
}

int ip_prefix_cmp(const void *pa, const void *pb)
{
	const struct ip_prefix *a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

int ip_prefix_host_len(int family)
{
	return family == AF_INET ? 32 : 128;
}

static int parse_prefix_len(const char *s, int max)
{
	int v = 0;

	if (!*s || strlen(s) > 3)
		return -EINVAL;
	if (s[0] == '0' && s[1] != '\0')
		return -EINVAL; /* "/024" is ambiguous to a reader; wg-portal's Go parser refuses it */
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		v = v * 10 + (*c - '0');
	}
	return v > max ? -EINVAL : v;
}

int ip_prefix_parse(const char *s, bool allow_bare, struct ip_prefix *ret)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash;
	size_t hlen;
	struct ip_prefix p;
	int len;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	hlen = slash ? (size_t)(slash - s) : strlen(s);
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	if (!slash && !allow_bare)
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(&p, 0, sizeof(p));
	/* inet_pton refuses spaces, signs, zone ids ("%eth0"), short forms ("1.2.3") and octal. */
	if (strchr(host, ':')) {
		if (inet_pton(AF_INET6, host, p.addr) != 1)
			return -EINVAL;
		p.family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, host, p.addr) != 1)
			return -EINVAL;
		p.family = AF_INET;
	}
	if (slash) {
		len = parse_prefix_len(slash + 1, ip_prefix_host_len(p.family));
		if (len < 0)
			return -EINVAL;
	} else {
		len = ip_prefix_host_len(p.family);
	}
	p.len = (uint8_t)len;
	*ret = p;
	return 0;
}

void ip_addr_format(const struct ip_prefix *p, char out[static CIDR_STR_MAX])
{
	if (!inet_ntop(p->family == AF_INET ? AF_INET : AF_INET6, p->addr, out, CIDR_STR_MAX))
		out[0] = '\0';
}

void ip_prefix_format(const struct ip_prefix *p, char out[static CIDR_STR_MAX])
{
	size_t n;

	ip_addr_format(p, out);
	n = strlen(out);
	(void) snprintf(out + n, CIDR_STR_MAX - n, "/%u", (unsigned)p->len);
}

void ip_prefix_network(const struct ip_prefix *p, struct ip_prefix *ret)
{
	struct ip_prefix n = *p;
	int bytes = addr_bytes(p->family);

	for (int i = 0; i < 16; i++) {
		int bit = i * 8;

		if (i >= bytes || bit >= p->len)
			n.addr[i] = 0;
		else if (bit + 8 > p->len)
			n.addr[i] &= (uint8_t)(0xff << (8 - (p->len - bit)));
	}
	*ret = n;
}

/* True when the first len bits of a and b agree. */
static bool bits_equal(const uint8_t *a, const uint8_t *b, int len)
{
	int full = len / 8, rest = len % 8;

	if (memcmp(a, b, (size_t)full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		return (a[full] & mask) == (b[full] & mask);
	}
	return true;
}

bool ip_prefix_contains(const struct ip_prefix *n, const struct ip_prefix *a)
{
	if (n->family != a->family)
		return false;
	return bits_equal(n->addr, a->addr, n->len);
}

bool ip_prefix_overlaps(const struct ip_prefix *a, const struct ip_prefix *b)
{
	if (a->family != b->family)
		return false;
	return bits_equal(a->addr, b->addr, a->len < b->len ? a->len : b->len);
}

bool ip_addr_equal(const struct ip_prefix *a, const struct ip_prefix *b)
{
	return a->family == b->family &&
	       memcmp(a->addr, b->addr, (size_t)addr_bytes(a->family)) == 0;
}

bool ip_prefix_is_valid(const struct ip_prefix *p)
{
	return (p->family == AF_INET && p->len <= 32) || (p->family == AF_INET6 && p->len <= 128);
}

bool ip_prefix_equal(const struct ip_prefix *a, const struct ip_prefix *b)
{
	return a->family == b->family && a->len == b->len && ip_addr_equal(a, b);
}

bool ip_prefix_in(const struct ip_prefix *p, const struct ip_prefix *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ip_prefix_equal(p, &v[i]))
			return true;
	return false;
}

bool ip_prefix_sets_equal(const struct ip_prefix *a, size_t na, const struct ip_prefix *b,
			  size_t nb)
{
	for (size_t i = 0; i < na; i++)
		if (!ip_prefix_in(&a[i], b, nb))
			return false;
	for (size_t i = 0; i < nb; i++)
		if (!ip_prefix_in(&b[i], a, na))
			return false;
	return true;
}

int ip_addr_next(struct ip_prefix *p)
{
	for (int i = addr_bytes(p->family) - 1; i >= 0; i--) {
		if (++p->addr[i] != 0)
			return 0;
	}
	return -ERANGE; /* wrapped to all zeros */
}

bool ip_addr_is_last_in(const struct ip_prefix *n, const struct ip_prefix *a)
{
	int bytes = addr_bytes(n->family);

	if (!ip_prefix_contains(n, a))
		return false;
	for (int i = 0; i < bytes; i++) {
		int bit = i * 8;
		uint8_t host_mask;

		if (bit + 8 <= n->len)
			continue;
		host_mask = bit >= n->len ? 0xff : (uint8_t)(0xff >> (n->len - bit));
		if ((a->addr[i] & host_mask) != host_mask)
			return false;
	}
	return true;
}
