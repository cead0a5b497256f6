/* SPDX-License-Identifier: MIT */
/*
 * Identity-provider data cleaning (model/sanitize.h), following wg-portal's
 * internal/domain/sanitize.go:53-146 and internal/domain/auth.go:31-76.
 */
#include "model/sanitize.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/user.h"
#include "util/buf.h"

/* Decodes one UTF-8 sequence at s (n bytes left); returns its length, 0 for an invalid one
 * (overlong, surrogate, beyond U+10FFFF, truncated). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Unicode general categories Cc (controls) and Cf (format: soft hyphen, zero-width and
 * bidirectional marks, BOM, tags, ...), Unicode 15. */
static bool is_control_or_format(uint32_t c)
{
	static const uint32_t cf[][2] = {
		{ 0xad, 0xad }, { 0x600, 0x605 }, { 0x61c, 0x61c }, { 0x6dd, 0x6dd },
		{ 0x70f, 0x70f }, { 0x890, 0x891 }, { 0x8e2, 0x8e2 }, { 0x180e, 0x180e },
		{ 0x200b, 0x200f }, { 0x202a, 0x202e }, { 0x2060, 0x2064 }, { 0x2066, 0x206f },
		{ 0xfeff, 0xfeff }, { 0xfff9, 0xfffb }, { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
		{ 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 },
		{ 0xe0020, 0xe007f },
	};

	if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
		return true;
	for (size_t i = 0; i < sizeof(cf) / sizeof(cf[0]); i++)
		if (c >= cf[i][0] && c <= cf[i][1])
			return true;
	return false;
}

/* Unicode White_Space (what Go's strings.TrimSpace removes). */
static bool is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	       c == 0x205f || c == 0x3000;
}

/* Trims white space on both ends, in place (an invalid byte counts as text). */
static void trim_utf8(char *s)
{
	size_t n = strlen(s), start = 0, end = 0, i = 0;
	uint32_t cp;
	bool seen = false;

	while (i < n) {
		size_t l = utf8_decode((unsigned char *)s + i, n - i, &cp);
		if (l == 0) {
			l = 1;
			cp = 0xfffd;
		}
		if (!is_space(cp)) {
			if (!seen)
				start = i;
			seen = true;
			end = i + l;
		}
		i += l;
	}
	if (!seen) {
		s[0] = '\0';
		return;
	}
	memmove(s, s + start, end - start);
	s[end - start] = '\0';
}

char *sanitize_string(const char *s, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), i = 0, chars = 0, o = 0;
	char *out = malloc(n + 1);
	uint32_t cp;

	if (!out)
		return NULL;
	out[0] = '\0';
	if (max_chars == 0)
		return out;
	/* drop invalid bytes and controls; the leading white space goes in trim_utf8 */
	while (i < n) {
		size_t l = utf8_decode(p + i, n - i, &cp);
		if (l == 0) {
			i++;
			continue;
		}
		/* \t, \n and friends are Cc too: Go drops them like any control */
		if (!is_control_or_format(cp)) {
			memcpy(out + o, p + i, l);
			o += l;
		}
		i += l;
	}
	out[o] = '\0';
	trim_utf8(out);
	/* cap at max_chars characters, then trim again (a cut may leave a space at the end) */
	for (i = 0, o = strlen(out); i < o && chars < max_chars; chars++)
		i += utf8_decode((unsigned char *)out + i, o - i, &cp);
	out[i] = '\0';
	trim_utf8(out);
	return out;
}

static bool is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       ((unsigned char)c >= 0x80) || strchr("!#$%&'*+-/=?^_`{|}~", c);
}

/* A dot-atom (RFC 5322 3.2.3): atoms of atext joined by single dots. */
static bool is_dot_atom(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.' ? s[i + 1] == '.' : !is_atext(s[i]))
			return false;
	}
	return true;
}

char *sanitize_email(const char *s, size_t max_chars)
{
	char *out, *at;

	if (s && strpbrk(s, "\r\n"))
		return strdup("");
	out = sanitize_string(s, max_chars);
	if (!out)
		return NULL;
	at = strchr(out, '@');
	/* Go's mail.ParseAddress with no display name: a dot-atom local part and domain */
	if (!at || strchr(at + 1, '@') || !is_dot_atom(out, (size_t)(at - out)) ||
	    !is_dot_atom(at + 1, strlen(at + 1)))
		out[0] = '\0';
	return out;
}

char *sanitize_phone(const char *s, size_t max_chars)
{
	char *out = sanitize_string(s, max_chars);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; out[i]; i++)
		if ((out[i] >= '0' && out[i] <= '9') || strchr("+-() .", out[i]))
			out[o++] = out[i];
	out[o] = '\0';
	trim_utf8(out);
	return out;
}

char *sanitize_identifier(const char *s, size_t max_chars)
{
	char *out = sanitize_string(s, max_chars);

	if (out && user_id_is_reserved(out))
		out[0] = '\0';
	return out;
}

static int replace(char **field, char *(*fn)(const char *, size_t), size_t max)
{
	char *v = fn(*field, max);

	if (!v)
		return -ENOMEM;
	free(*field);
	*field = v;
	return 0;
}

int ext_user_sanitize(struct ext_user *u)
{
	struct strv groups = STRV_INIT;
	int r = 0;

	if (replace(&u->identifier, sanitize_identifier, SANITIZE_ID_MAX) < 0 ||
	    replace(&u->email, sanitize_email, SANITIZE_EMAIL_MAX) < 0 ||
	    replace(&u->firstname, sanitize_string, SANITIZE_NAME_MAX) < 0 ||
	    replace(&u->lastname, sanitize_string, SANITIZE_NAME_MAX) < 0 ||
	    replace(&u->phone, sanitize_phone, SANITIZE_PHONE_MAX) < 0 ||
	    replace(&u->department, sanitize_string, SANITIZE_NAME_MAX) < 0)
		return -ENOMEM;
	/* a group name that cleaning had to change (beyond trimming) is dropped, not kept
	 * altered (internal/domain/auth.go:59-76) */
	for (size_t i = 0; i < u->groups.n && r == 0; i++) {
		char *g = sanitize_string(u->groups.v[i], SANITIZE_GROUP_MAX);
		char *t = strdup(u->groups.v[i]);

		if (!g || !t) {
			free(g);
			free(t);
			r = -ENOMEM;
			break;
		}
		trim_utf8(t);
		if (*g && !strcmp(g, t))
			r = strv_push_take(&groups, g);
		else
			free(g);
		free(t);
	}
	if (r < 0) {
		strv_release(&groups);
		return r;
	}
	strv_release(&u->groups);
	u->groups = groups;
	return *u->identifier ? 0 : -EINVAL;
}

void ext_user_release(struct ext_user *u)
{
	free(u->identifier);
	free(u->email);
	free(u->firstname);
	free(u->lastname);
	free(u->phone);
	free(u->department);
	strv_release(&u->groups);
	memset(u, 0, sizeof(*u));
}
