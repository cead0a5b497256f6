/* SPDX-License-Identifier: MIT */
/*
 * Scalar parsers of 1.3: Go's time.ParseDuration (re-implemented: same grammar, same overflow
 * limit of int64 nanoseconds), the two bool vocabularies (YAML 1.1 words when the target is a
 * bool, strconv.ParseBool in environment variables) and integers.
 */
#include "config/config-int.h"
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{ "ns", 1ULL }, { "us", 1000ULL }, { "\xc2\xb5s", 1000ULL } /* U+00B5 micro sign */,
	{ "\xce\xbcs", 1000ULL } /* U+03BC mu */, { "ms", 1000000ULL }, { "s", 1000000000ULL },
	{ "m", 60ULL * 1000000000ULL }, { "h", 3600ULL * 1000000000ULL },
};

#define DUR_LIMIT (1ULL << 63)

int cfg_parse_duration(const char *s, int64_t *ret_ms)
{
	uint64_t total = 0;
	bool neg = false;

	if (!s)
		return -EINVAL;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!strcmp(s, "0")) {
		*ret_ms = 0;
		return 0;
	}
	if (!*s)
		return -EINVAL;
	/* Each round consumes one <number><unit> group; s only moves forward, so the loop ends. */
	while (*s) {
		uint64_t v = 0, f = 0, unit = 0;
		double scale = 1.0;
		bool pre = false, post = false, f_overflow = false;

		if (!(*s == '.' || (*s >= '0' && *s <= '9')))
			return -EINVAL;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (v > (DUR_LIMIT - 1) / 10)
				return -EINVAL;   /* overflow */
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > DUR_LIMIT)
				return -EINVAL;
			pre = true;
		}
		if (*s == '.') {
			s++;
			for (; *s >= '0' && *s <= '9'; s++) {
				post = true;
				if (f_overflow)
					continue;
				/* Like Go: keep digits while they fit, ignore the rest
				 * (they are below the precision that matters). */
				if (f > (DUR_LIMIT - 1) / 10) {
					f_overflow = true;
					continue;
				}
				f = f * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
		}
		if (!pre && !post)
			return -EINVAL;   /* "." alone */
		size_t ulen = 0;
		while (s[ulen] && s[ulen] != '.' && !(s[ulen] >= '0' && s[ulen] <= '9'))
			ulen++;
		if (!ulen)
			return -EINVAL;   /* missing unit */
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].name) == ulen && !strncmp(units[i].name, s, ulen))
				unit = units[i].ns;
		if (!unit)
			return -EINVAL;   /* unknown unit, e.g. "d" */
		s += ulen;
		if (v > DUR_LIMIT / unit)
			return -EINVAL;
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > DUR_LIMIT)
				return -EINVAL;
		}
		total += v;
		if (total > DUR_LIMIT)
			return -EINVAL;
	}
	if (!neg && total > DUR_LIMIT - 1)
		return -EINVAL;
	/* Milliseconds, truncated toward zero like Go's Duration.Milliseconds(). */
	int64_t ms = (int64_t)(total / 1000000ULL);
	*ret_ms = neg ? -ms : ms;
	return 0;
}

static bool in_list(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(s, *words))
			return true;
	return false;
}

int cfg_parse_bool_yaml(const char *s, bool *ret)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On",
					   "ON", "y", "Y", NULL };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off",
					  "OFF", "n", "N", NULL };

	if (in_list(s, yes))
		*ret = true;
	else if (in_list(s, no))
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

int cfg_parse_bool_env(const char *s, bool *ret)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True", NULL };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False", NULL };

	if (in_list(s, yes))
		*ret = true;
	else if (in_list(s, no))
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

/*
 * yaml=true: YAML integer forms (sign, 0x/0o/0b prefixes, '_' separators), as yaml.v3 resolves
 * them. yaml=false: plain decimal with optional sign (environment variables).
 */
int cfg_parse_int(const char *s, bool yaml, int *ret)
{
	char digits[64];
	size_t n = 0;
	int base = 10;
	bool neg = false;
	long long v;
	char *end;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (yaml && s[0] == '0' && (s[1] == 'x' || s[1] == 'X' || s[1] == 'o' || s[1] == 'b')) {
		base = s[1] == 'o' ? 8 : s[1] == 'b' ? 2 : 16;
		s += 2;
	}
	for (; *s; s++) {
		if (yaml && *s == '_')
			continue;
		if (n + 1 >= sizeof(digits))
			return -ERANGE;
		digits[n++] = *s;
	}
	digits[n] = '\0';
	/* strtoll would accept leading spaces and its own sign: insist on digits only. */
	if (!n || !isalnum((unsigned char)digits[0]))
		return -EINVAL;
	errno = 0;
	v = strtoll(digits, &end, base);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v > INT_MAX || (neg && -v < INT_MIN))
		return -ERANGE;
	*ret = (int)(neg ? -v : v);
	return 0;
}
