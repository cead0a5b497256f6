/* SPDX-License-Identifier: MIT */
/* Basic authentication header parsing (the v1 API's only scheme: user id + API token). */
#include "auth/basic.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A token longer than this is certainly not ours; bounds the decode buffer. */
#define AUTH_BASIC_MAX 4096

void auth_secret_free(char *s)
{
	if (!s)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

int auth_basic_parse(const char *header, char **ret_user, char **ret_pass)
{
	char *dec = NULL, *colon;
	size_t in_len, dec_len = 0, cap;
	const char *b64;
	int r = -EINVAL;

	if (!header || strncasecmp(header, "Basic ", 6) != 0)
		return -EINVAL;
	b64 = header + 6;
	in_len = strlen(b64);
	if (in_len == 0 || in_len > AUTH_BASIC_MAX)
		return -EINVAL;
	cap = in_len / 4 * 3 + 3;
	dec = malloc(cap + 1);
	if (!dec)
		return -ENOMEM;
	/* Go's StdEncoding: padded, no whitespace or line breaks allowed. */
	if (sodium_base642bin((unsigned char *)dec, cap, b64, in_len, NULL, &dec_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		goto out;
	dec[dec_len] = '\0';
	if (memchr(dec, '\0', dec_len))
		goto out;
	colon = strchr(dec, ':');
	if (!colon)
		goto out;
	*colon = '\0';
	*ret_user = strdup(dec);
	*ret_pass = strdup(colon + 1);
	if (!*ret_user || !*ret_pass) {
		free(*ret_user);
		auth_secret_free(*ret_pass);
		*ret_user = *ret_pass = NULL;
		r = -ENOMEM;
		goto out;
	}
	r = 0;
out:
	sodium_memzero(dec, cap + 1);
	free(dec);
	return r;
}
