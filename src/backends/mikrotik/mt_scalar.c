/* SPDX-License-Identifier: MIT */
/*
 * RouterOS scalars in replies and requests (spec/routeros-rest.md 2.2, 2.5): decimal numbers,
 * durations in RouterOS units (w d h m s ms us) or HH:MM:SS, and version strings. Pure, fed
 * untrusted bytes (tests/fuzz/fuzz_mikrotik_reply.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/mikrotik/mt-int.h"


static int add_ovf(int64_t *acc, uint64_t v, uint64_t mul)
{
	uint64_t prod;
	int64_t sum;

	if (__builtin_mul_overflow(v, mul, &prod) || prod > (uint64_t)INT64_MAX ||
	    __builtin_add_overflow(*acc, (int64_t)prod, &sum))
		return -EINVAL;
	*acc = sum;
	return 0;
}

static int read_uint(const char **pp, uint64_t *ret, int *ndigits)
{
	const char *p = *pp;
	uint64_t v = 0;
	int n = 0;

	while (*p >= '0' && *p <= '9') {
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return -EINVAL;
		p++;
		n++;
	}
	if (n == 0)
		return -EINVAL;
	*pp = p;
	*ret = v;
	if (ndigits)
		*ndigits = n;
	return 0;
}

/* "HH:MM:SS[.frac]" after the hours were read. */
static int parse_clock(const char *p, uint64_t hours, int64_t *acc)
{
	uint64_t mm, ss, frac = 0;
	int nd = 0;

	if (*p++ != ':' || read_uint(&p, &mm, NULL) < 0 || mm > 59 || *p++ != ':' ||
	    read_uint(&p, &ss, NULL) < 0 || ss > 59)
		return -EINVAL;
	if (*p == '.') {
		p++;
		if (read_uint(&p, &frac, &nd) < 0 || nd > 9)
			return -EINVAL;
		while (nd < 6) {
			frac *= 10;
			nd++;
		}
		while (nd > 6) {
			frac /= 10;
			nd--;
		}
	}
	if (*p)
		return -EINVAL;
	if (add_ovf(acc, hours, 3600000000ULL) < 0 || add_ovf(acc, mm, 60000000ULL) < 0 ||
	    add_ovf(acc, ss, 1000000ULL) < 0 || add_ovf(acc, frac, 1) < 0)
		return -EINVAL;
	return 0;
}

int mt_parse_duration_us(const char *s, int64_t *ret_us)
{
	const char *p = s;
	int64_t acc = 0;
	int tokens = 0;

	if (!s || !*s)
		return -EINVAL;
	while (*p) {
		uint64_t v, frac = 0;
		int nd = 0;

		if (*p == ' ' && tokens > 0) {
			p++;
			continue;
		}
		if (read_uint(&p, &v, NULL) < 0)
			return -EINVAL;
		if (*p == ':')
			return parse_clock(p, v, &acc) < 0 ? -EINVAL : (*ret_us = acc, 0);
		if (*p == '.') {
			p++;
			if (read_uint(&p, &frac, &nd) < 0 || nd > 6 || *p != 's' ||
			    (p[1] && p[1] != ' '))
				return -EINVAL;
			while (nd < 6) {
				frac *= 10;
				nd++;
			}
		}
		tokens++;
		if (!*p) {
			/* a bare number is seconds, only as the whole value */
			if (tokens != 1)
				return -EINVAL;
			if (add_ovf(&acc, v, 1000000ULL) < 0)
				return -EINVAL;
			break;
		}
		if (!strncmp(p, "ms", 2)) {
			p += 2;
			if (add_ovf(&acc, v, 1000ULL) < 0)
				return -EINVAL;
		} else if (!strncmp(p, "us", 2)) {
			p += 2;
			if (add_ovf(&acc, v, 1ULL) < 0)
				return -EINVAL;
		} else if (!strncmp(p, "\xc2\xb5s", 3)) { /* µs */
			p += 3;
			if (add_ovf(&acc, v, 1ULL) < 0)
				return -EINVAL;
		} else if (!strncmp(p, "ns", 2)) {
			p += 2;
			if (add_ovf(&acc, v / 1000, 1ULL) < 0)
				return -EINVAL;
		} else {
			uint64_t mul;
			switch (*p) {
			case 'w': mul = 604800000000ULL; break;
			case 'd': mul = 86400000000ULL; break;
			case 'h': mul = 3600000000ULL; break;
			case 'm': mul = 60000000ULL; break;
			case 's': mul = 1000000ULL; break;
			default: return -EINVAL;
			}
			p++;
			if (add_ovf(&acc, v, mul) < 0 || add_ovf(&acc, frac, 1) < 0)
				return -EINVAL;
		}
	}
	*ret_us = acc;
	return 0;
}

void mt_format_duration(char out[static 24], uint32_t seconds)
{
	snprintf(out, 24, "%us", seconds);
}

int mt_parse_version(const char *s, struct mt_version *ret)
{
	const char *p = s;
	uint64_t a, b, c = 0;

	if (!s || read_uint(&p, &a, NULL) < 0 || *p++ != '.' || read_uint(&p, &b, NULL) < 0)
		return -EINVAL;
	if (*p == '.') {
		p++;
		if (read_uint(&p, &c, NULL) < 0)
			return -EINVAL;
	}
	if (a > 1000 || b > 1000 || c > 1000)
		return -EINVAL;
	ret->major = (int)a;
	ret->minor = (int)b;
	ret->patch = (int)c;
	return 0;
}

bool mt_version_ge(const struct mt_version *v, int major, int minor)
{
	return v->major > major || (v->major == major && v->minor >= minor);
}

int mt_parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
	const char *p = s;
	uint64_t v;

	if (!s || read_uint(&p, &v, NULL) < 0 || *p || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}
