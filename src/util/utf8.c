/* SPDX-License-Identifier: MIT */
/* UTF-8 validation (RFC 3629) and scrubbing, byte by byte, without locale. */
#include "util/utf8.h"

#include <stddef.h>

/* Length of the well-formed sequence at s (1-4), 0 when it is not one. */
static size_t seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
		 : (c & 0xf8) == 0xf0 ? 4 : 0;
	unsigned cp;

	if (n == 0 || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4))
		return 0;
	cp = n == 1 ? c : c & (0x7fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = seq_len(p);

		if (!n)
			return false;
		p += n;
	}
	return true;
}

char *utf8_scrub(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n = seq_len(p);

		if (!n) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
	return s;
}
