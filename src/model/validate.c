/* SPDX-License-Identifier: MIT */
/*
 * Field validators for the domain model. Everything that reaches a device, a shell hook or the
 * generated peer file passes through here, so the rules are strict and uniform: no control
 * characters anywhere, addresses parsed by the strict CIDR parser, ports and MTUs in range.
 */
#include "model/model-int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cidr.h"
#include "model/endpoint.h"
#include "model/keys.h"
#include "util/err.h"

/* A short printable copy of s for messages (control characters become '?'). */
static const char *quote(const char *s, char out[static 72])
{
	size_t i;

	for (i = 0; s && s[i] && i < 64; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	out[i] = '\0';
	if (s && s[i])
		strcpy(out + i, "...");
	return out;
}

bool model_str_is_clean(const char *s)
{
	for (; s && *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	}
	return true;
}

int model_check_text(const char *field, const char *s, struct err *err)
{
	if (!model_str_is_clean(s))
		return err_field(err, -EINVAL, field, "field '%s' must not contain control characters "
				 "or line breaks", field);
	return 0;
}

int model_check_strv_text(const char *field, const struct strv *sv, struct err *err)
{
	for (size_t i = 0; i < sv->n; i++) {
		int r = model_check_text(field, sv->v[i], err);

		if (r < 0)
			return r;
	}
	return 0;
}

int model_check_netdev_name(const char *field, const char *s, struct err *err)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0)
		return err_field(err, -EINVAL, field, "field '%s' must not be empty", field);
	if (n > 15)
		return err_field(err, -EINVAL, field, "interface name longer than 15 characters");
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return err_field(err, -EINVAL, field, "invalid interface name");
	for (const char *c = s; *c; c++) {
		/* printable ASCII without space; '/' and ':' are refused by the kernel's
		 * dev_valid_name() resp. alias syntax */
		if (*c <= 0x20 || *c >= 0x7f || *c == '/' || *c == ':')
			return err_field(err, -EINVAL, field, "invalid interface name");
	}
	return 0;
}

int model_check_mode(const char *field, const char *s, bool allow_empty, struct err *err)
{
	char q[72];

	if ((!s || !*s) && allow_empty)
		return 0;
	if (s && (!strcmp(s, "server") || !strcmp(s, "client") || !strcmp(s, "any")))
		return 0;
	return err_field(err, -EINVAL, field, "invalid mode '%s' (server, client or any)",
			 quote(s, q));
}

int model_check_key(const char *field, const char *s, bool secret, struct err *err)
{
	char q[72];

	if (!s || !*s || key_b64_is_valid(s))
		return 0;
	if (secret)
		return err_field(err, -EINVAL, field, "field '%s' is not a valid base64 key", field);
	return err_field(err, -EINVAL, field, "invalid key '%s' in field '%s'", quote(s, q), field);
}

int model_check_cidr_list(const char *field, const struct strv *sv, struct err *err)
{
	struct ip_prefix p;
	char q[72];

	for (size_t i = 0; i < sv->n; i++) {
		if (ip_prefix_parse(sv->v[i], false, &p) < 0)
			return err_field(err, -EINVAL, field, "invalid CIDR '%s' in field '%s'",
					 quote(sv->v[i], q), field);
	}
	return 0;
}

int model_check_ip(const char *field, const char *s, struct err *err)
{
	struct ip_prefix p;
	char q[72];

	if (!s || !*s)
		return 0;
	if (strchr(s, '/') || ip_prefix_parse(s, true, &p) < 0)
		return err_field(err, -EINVAL, field, "invalid IP address '%s' in field '%s'",
				 quote(s, q), field);
	return 0;
}

int model_check_ip_list(const char *field, const struct strv *sv, struct err *err)
{
	char q[72];

	for (size_t i = 0; i < sv->n; i++) {
		if (!sv->v[i][0])
			return err_field(err, -EINVAL, field, "empty IP address in field '%s'", field);
		if (model_check_ip(field, sv->v[i], err) < 0)
			return err_field(err, -EINVAL, field, "invalid IP address '%s' in field '%s'",
					 quote(sv->v[i], q), field);
	}
	return 0;
}

bool model_hostname_is_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0, label = 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			/* empty label, or a label ending in '-' */
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-' && c != '_')
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	/* a trailing dot (fully qualified) is fine; a trailing '-' is not */
	return s[n - 1] != '-';
}

int model_check_hostname_list(const char *field, const struct strv *sv, struct err *err)
{
	char q[72];

	for (size_t i = 0; i < sv->n; i++) {
		if (!model_hostname_is_valid(sv->v[i]))
			return err_field(err, -EINVAL, field, "invalid domain name '%s' in field '%s'",
					 quote(sv->v[i], q), field);
	}
	return 0;
}

int model_check_endpoint(const char *field, const char *s, bool port_optional, struct err *err)
{
	struct endpoint ep;
	char q[72];

	if (!s || !*s || endpoint_parse(s, port_optional, &ep) == 0)
		return 0;
	return err_field(err, -EINVAL, field, "invalid endpoint '%s' in field '%s' (host:port)",
			 quote(s, q), field);
}

int model_check_routing_table(const char *field, const char *s, struct err *err)
{
	char q[72];
	const char *digits;
	int base;
	unsigned long long v;
	char *end;

	if (!s || !*s || !strcmp(s, "off"))
		return 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		digits = s + 2;
		base = 16;
	} else {
		digits = s;
		base = 10;
	}
	if (!*digits || strlen(digits) > 10 || !isxdigit((unsigned char)digits[0]))
		goto bad;
	errno = 0;
	v = strtoull(digits, &end, base);
	if (errno || *end != '\0' || v > UINT32_MAX)
		goto bad;
	return 0;
bad:
	return err_field(err, -EINVAL, field,
			 "invalid routing table '%s' (off, a decimal or 0x hex number)", quote(s, q));
}

int model_check_range(const char *field, int64_t v, int64_t lo, int64_t hi, struct err *err)
{
	if (v < lo || v > hi)
		return err_field(err, -EINVAL, field, "field '%s' must be between %lld and %lld",
				 field, (long long)lo, (long long)hi);
	return 0;
}

int model_check_mtu(const char *field, int64_t v, struct err *err)
{
	if (v != 0 && (v < 576 || v > 9000))
		return err_field(err, -EINVAL, field, "field '%s' must be 0 or between 576 and 9000",
				 field);
	return 0;
}

int model_check_date(const char *field, const char *s, struct err *err)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	char q[72];
	int y, m, d, dim;

	if (!s || !*s)
		return 0;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		goto bad;
	for (int i = 0; i < 10; i++) {
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			goto bad;
	}
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (m < 1 || m > 12)
		goto bad;
	dim = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		dim = 29;
	if (d < 1 || d > dim)
		goto bad;
	return 0;
bad:
	return err_field(err, -EINVAL, field, "invalid date '%s' in field '%s' (YYYY-MM-DD)",
			 quote(s, q), field);
}

void model_filename_finish(const char *s, size_t keep, char out[static 32])
{
	size_t n = 0;

	if (keep > 16)
		keep = 16;
	for (; s && *s && n < keep; s++) {
		char c = *s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_')
			out[n++] = c;
	}
	memcpy(out + n, ".conf", 6);
}
